import Foundation
import ONNXIR

/// ConvTranspose for NC[D...] inputs of any spatial rank: W is [C, M/group, k...]. Per sample and
/// group one sgemm forms columns = W_g^T [M/g * k, C/g] x X_g [C/g, in], then col2im scatters
/// them: input position i and kernel offset t land on output i * stride + t * dilation -
/// pad_begin. The output size is stride * (in - 1) + output_padding + (k - 1) * dilation + 1 -
/// pads, or `output_shape`, whose total padding is split as the spec says (begin gets the larger
/// half unless auto_pad is SAME_UPPER; a negative total extends the end).
final class ConvTransposeKernel: Kernel {
    let group: Int
    let attributeKernel: [Int]?
    let strides: [Int]?, dilations: [Int]?, pads: [Int]?
    let outputPadding: [Int]?, outputShape: [Int]?
    let autoPad: String

    init(_ ctx: KernelBuildContext) throws {
        group = try ctx.int("group", default: 1)
        attributeKernel = try ctx.ints("kernel_shape")
        strides = try ctx.ints("strides")
        dilations = try ctx.ints("dilations")
        pads = try ctx.ints("pads")
        outputPadding = try ctx.ints("output_padding")
        outputShape = try ctx.ints("output_shape")
        autoPad = try ctx.string("auto_pad", default: "NOTSET")
        guard group >= 1 else { throw ctx.fail("group must be positive") }
        guard ["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"].contains(autoPad) else { throw ctx.fail("unknown auto_pad '\(autoPad)'") }
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0), w = try Require.input(inputs, 1, "W")
        let bias = inputs.count > 2 ? inputs[2] : nil
        if x.dataType == .float16 || x.dataType == .bfloat16 || x.dataType == .double {
            return try HalfPrecision.inFloat32([x, w, bias], returning: x.dataType, context) { try run($0, context) }
        }
        try Require.type(x, [.float], "X")
        try Require.type(w, [.float], "W")
        guard x.rank >= 3, w.rank == x.rank else {
            throw KernelFailure("X \(x.shape) and W \(w.shape) must have the same rank, at least 3")
        }
        let n = x.rank - 2
        let input = Array(x.shape.dropFirst(2)), kernel = attributeKernel ?? Array(w.shape.dropFirst(2))
        guard kernel == Array(w.shape.dropFirst(2)) else { throw KernelFailure("kernel_shape \(kernel) does not match W \(w.shape)") }
        let stride = strides ?? Array(repeating: 1, count: n), dilation = dilations ?? Array(repeating: 1, count: n)
        let extra = outputPadding ?? Array(repeating: 0, count: n)
        guard stride.count == n, dilation.count == n, extra.count == n else {
            throw KernelFailure("strides, dilations and output_padding need \(n) values")
        }
        var full = [Int](repeating: 0, count: n)
        for i in 0..<n {
            let span: Int = (kernel[i] - 1) * dilation[i] + 1
            full[i] = stride[i] * (input[i] - 1) + extra[i] + span
        }
        var begin = [Int](repeating: 0, count: n)
        var output = full
        if let outputShape {
            let target = Array(outputShape.suffix(n))
            guard target.count == n else { throw KernelFailure("output_shape needs \(n) spatial values") }
            for i in 0..<n {
                let total: Int = full[i] - target[i]
                // Floor division: a negative total (output larger than the natural size) pads the end.
                let lowerHalf: Int = total >= 0 ? total / 2 : -((1 - total) / 2)
                begin[i] = autoPad == "SAME_UPPER" ? lowerHalf : total - lowerHalf
            }
            output = target
        } else if autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER" {
            for i in 0..<n {
                output[i] = input[i] * stride[i]
                let total = max(0, full[i] - output[i])
                begin[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2
            }
        } else if let pads, autoPad == "NOTSET" {
            guard pads.count == 2 * n else { throw KernelFailure("pads needs \(2 * n) values") }
            for i in 0..<n {
                begin[i] = pads[i]
                output[i] = full[i] - pads[i] - pads[i + n]
            }
        }
        let (batch, cin) = (x.shape[0], x.shape[1])
        guard w.shape[0] == cin, cin % group == 0 else {
            throw KernelFailure("W \(w.shape) does not match \(cin) input channels, group \(group)")
        }
        let coutPerGroup = w.shape[1], cout = coutPerGroup * group, cinPerGroup = cin / group
        if let bias, bias.count != cout { throw KernelFailure("B has \(bias.count) values, expected \(cout)") }
        guard output.allSatisfy({ $0 >= 0 }) else { throw KernelFailure("output shape \(output) is negative") }

        let inSize = input.reduce(1, *), kernelSize = kernel.reduce(1, *), outSize = output.reduce(1, *)
        // target[t * inSize + i]: the output offset input position i and kernel offset t reach, or -1.
        var target = [Int](repeating: -1, count: kernelSize * inSize)
        var tIndex = [Int](repeating: 0, count: n)
        for t in 0..<kernelSize {
            var iIndex = [Int](repeating: 0, count: n)
            for i in 0..<inSize {
                var offset = 0, inside = true
                for d in 0..<n {
                    let o = iIndex[d] * stride[d] + tIndex[d] * dilation[d] - begin[d]
                    if o < 0 || o >= output[d] { inside = false; break }
                    offset = offset * output[d] + o
                }
                if inside { target[t * inSize + i] = offset }
                MultiIndex.advance(&iIndex, input)
            }
            MultiIndex.advance(&tIndex, kernel)
        }
        let out = try context.zeros(.float, [batch, cout] + output)
        let rows = coutPerGroup * kernelSize
        var columns = [Float](repeating: 0, count: rows * inSize)
        let px = x.floats.baseAddress!, pw = w.floats.baseAddress!, po = out.floats.baseAddress!
        let b = try bias?.floatValues()
        for s in 0..<batch {
            for g in 0..<group {
                // W_g is [C/g, M/g * k] row-major; its transpose times X_g gives the columns.
                columns.withUnsafeMutableBufferPointer { c in
                    // Empty columns (no input positions) leave nothing to scatter.
                    guard let columnsBase = c.baseAddress else { return }
                    BLAS.sgemm(
                        transA: true, transB: false, m: rows, n: inSize, k: cinPerGroup, alpha: 1,
                        a: pw + g * cinPerGroup * rows, lda: rows, b: px + (s * cin + g * cinPerGroup) * inSize, ldb: inSize, beta: 0,
                        c: columnsBase, ldc: inSize)
                }
                for m in 0..<coutPerGroup {
                    let channel = g * coutPerGroup + m
                    let plane = po + (s * cout + channel) * outSize
                    for t in 0..<kernelSize {
                        let row = (m * kernelSize + t) * inSize
                        for i in 0..<inSize {
                            let o = target[t * inSize + i]
                            if o >= 0 { plane[o] += columns[row + i] }
                        }
                    }
                    if let b { for o in 0..<outSize { plane[o] += b[channel] } }
                }
            }
        }
        return [out]
    }
}

/// DeformConv (opset 19), 2-D: a grouped convolution whose kernel taps sample X bilinearly at
/// positions moved by `offset` [N, offset_group * kh * kw * 2, oh, ow] ((dy, dx) per tap),
/// optionally scaled by `mask` [N, offset_group * kh * kw, oh, ow]; samples outside X read 0.
final class DeformConvKernel: Kernel {
    let group: Int, offsetGroup: Int
    let dilations: [Int]?, pads: [Int]?, strides: [Int]?

    init(_ ctx: KernelBuildContext) throws {
        group = try ctx.int("group", default: 1)
        offsetGroup = try ctx.int("offset_group", default: 1)
        dilations = try ctx.ints("dilations")
        pads = try ctx.ints("pads")
        strides = try ctx.ints("strides")
        guard group >= 1, offsetGroup >= 1 else { throw ctx.fail("group and offset_group must be positive") }
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0, "X"), w = try Require.input(inputs, 1, "W"), offsetT = try Require.input(inputs, 2, "offset")
        let bias = try (inputs.count > 3 ? inputs[3] : nil).map { try FloatIO.doubles($0) }
        let maskT = inputs.count > 4 ? inputs[4] : nil
        guard x.rank == 4, w.rank == 4, offsetT.rank == 4 else { throw KernelFailure("DeformConv supports 2-D inputs only (X \(x.shape))") }
        let (n, ic, ih, iw) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (oc, icpg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let (oh, ow) = (offsetT.shape[2], offsetT.shape[3])
        guard ic == icpg * group, oc % group == 0, ic % offsetGroup == 0, offsetT.shape[0] == n,
            offsetT.shape[1] == offsetGroup * kh * kw * 2
        else { throw KernelFailure("X \(x.shape), W \(w.shape) and offset \(offsetT.shape) do not match") }
        if let maskT, maskT.shape != [n, offsetGroup * kh * kw, oh, ow] { throw KernelFailure("mask \(maskT.shape) does not match") }
        if let bias, bias.count != oc { throw KernelFailure("B needs \(oc) values") }
        let d = dilations ?? [1, 1], p = pads ?? [0, 0, 0, 0], st = strides ?? [1, 1]
        let xv = try FloatIO.doubles(x), wv = try FloatIO.doubles(w), off = try FloatIO.doubles(offsetT)
        let mask = try maskT.map { try FloatIO.doubles($0) }
        let ocpg = oc / group, icPerOffset = ic / offsetGroup
        var y = [Double](repeating: 0, count: n * oc * oh * ow)
        func sample(_ plane: Int, _ py: Double, _ px: Double) -> Double {
            let y0 = Int(py.rounded(.down)), x0 = Int(px.rounded(.down))
            let fy = py - Double(y0), fx = px - Double(x0)
            var sum = 0.0
            for (yy, wy) in [(y0, 1 - fy), (y0 + 1, fy)] where yy >= 0 && yy < ih && wy != 0 {
                for (xx, wx) in [(x0, 1 - fx), (x0 + 1, fx)] where xx >= 0 && xx < iw && wx != 0 {
                    sum += wy * wx * xv[plane * ih * iw + yy * iw + xx]
                }
            }
            return sum
        }
        for b in 0..<n {
            for c in 0..<ic {
                let g = c / icpg, og = c / icPerOffset
                for i in 0..<oh {
                    for j in 0..<ow {
                        for u in 0..<kh {
                            for v in 0..<kw {
                                let tap = (og * kh + u) * kw + v
                                let dy = off[((b * offsetGroup * kh * kw * 2) + tap * 2) * oh * ow + i * ow + j]
                                let dx = off[((b * offsetGroup * kh * kw * 2) + tap * 2 + 1) * oh * ow + i * ow + j]
                                let m = mask?[((b * offsetGroup * kh * kw) + tap) * oh * ow + i * ow + j] ?? 1
                                let value =
                                    sample(b * ic + c, Double(i * st[0] - p[0] + u * d[0]) + dy, Double(j * st[1] - p[1] + v * d[1]) + dx)
                                    * m
                                if value == 0 { continue }
                                for o in (g * ocpg)..<((g + 1) * ocpg) {
                                    y[((b * oc + o) * oh + i) * ow + j] += value * wv[((o * icpg + c % icpg) * kh + u) * kw + v]
                                }
                            }
                        }
                    }
                }
            }
            if let bias { for o in 0..<oc { for k in 0..<(oh * ow) { y[(b * oc + o) * oh * ow + k] += bias[o] } } }
        }
        return [try FloatIO.make(x.dataType, [n, oc, oh, ow], y, context)]
    }
}

enum ConvTransposeKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("DeformConv", since: 19) { try DeformConvKernel($0) },
        KernelDescriptor("ConvTranspose") { try ConvTransposeKernel($0) },
    ]
}
