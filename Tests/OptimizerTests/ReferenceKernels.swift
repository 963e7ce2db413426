import Interpreter
import ONNXIR

/// Straightforward stand-ins for ops the interpreter does not ship yet, so fusion tests can
/// compare numerics now. `cleanupRegistry` uses one only while the standard registry lacks its op.
enum ReferenceKernels {
    static let all: [KernelDescriptor] = [
        KernelDescriptor("ConvTranspose") { ctx in
            ConvTranspose2DStandIn(
                strides: try ctx.ints("strides") ?? [1, 1], pads: try ctx.ints("pads") ?? [0, 0, 0, 0],
                dilations: try ctx.ints("dilations") ?? [1, 1], outputPadding: try ctx.ints("output_padding") ?? [0, 0],
                group: try ctx.int("group", default: 1))
        }
    ]
}

/// ConvTranspose over 2-D images, float32, explicit pads only.
///
///     y[n, g*Cout_g + j, ih*s + kh*d - pad] += x[n, g*Cin_g + c, ih, iw] * W[g*Cin_g + c, j, kh, kw]
final class ConvTranspose2DStandIn: Kernel {
    let strides: [Int]
    let pads: [Int]
    let dilations: [Int]
    let outputPadding: [Int]
    let group: Int

    init(strides: [Int], pads: [Int], dilations: [Int], outputPadding: [Int], group: Int) {
        self.strides = strides
        self.pads = pads
        self.dilations = dilations
        self.outputPadding = outputPadding
        self.group = group
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        let w = try Require.input(inputs, 1)
        let (n, cin, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (coutG, kh, kw) = (w.shape[1], w.shape[2], w.shape[3])
        let cout = coutG * group
        let cinG = cin / group
        let oh = strides[0] * (h - 1) + outputPadding[0] + (kh - 1) * dilations[0] + 1 - pads[0] - pads[2]
        let ow = strides[1] * (wd - 1) + outputPadding[1] + (kw - 1) * dilations[1] + 1 - pads[1] - pads[3]
        let xs = Array(x.floats)
        let ws = Array(w.floats)
        var y = [Float](repeating: 0, count: n * cout * oh * ow)
        if inputs.count > 2, let b = inputs[2] {
            let bs = Array(b.floats)
            for b0 in 0..<n { for o in 0..<cout { for i in 0..<(oh * ow) { y[(b0 * cout + o) * oh * ow + i] = bs[o] } } }
        }
        for b0 in 0..<n {
            for g in 0..<group {
                for c in 0..<cinG {
                    let ci = g * cinG + c
                    for j in 0..<coutG {
                        let o = g * coutG + j
                        for ih in 0..<h {
                            for iw in 0..<wd {
                                let xv = xs[((b0 * cin + ci) * h + ih) * wd + iw]
                                for ky in 0..<kh {
                                    let y0 = ih * strides[0] + ky * dilations[0] - pads[0]
                                    guard y0 >= 0 && y0 < oh else { continue }
                                    for kx in 0..<kw {
                                        let x0 = iw * strides[1] + kx * dilations[1] - pads[1]
                                        guard x0 >= 0 && x0 < ow else { continue }
                                        y[((b0 * cout + o) * oh + y0) * ow + x0] += xv * ws[((ci * coutG + j) * kh + ky) * kw + kx]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return [RuntimeTensor.float32([n, cout, oh, ow], y)]
    }
}
