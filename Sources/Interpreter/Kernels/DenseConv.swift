import CVectorMath
import ONNXIR

/// Conv (opset 1, 11) for NCHW inputs of any spatial rank: groups (depthwise by a direct loop),
/// strides, dilations, pads, auto_pad; dense groups through im2col + sgemm (1x1 stride-1 convs
/// skip im2col; see ConvLowering). Batches run in parallel when threads allow.
final class DenseConvKernel: Kernel, ActivationAbsorbing {
    let group: Int
    let attributeKernel: [Int]?
    let strides: [Int]?
    let dilations: [Int]?
    let pads: [Int]?
    let autoPad: String
    /// Set by the planner when this Conv absorbs the activation node after it.
    var activation: FusedActivation?
    /// Whether W is an initializer, so its Winograd transform can be kept across runs.
    let constantWeights: Bool
    let winogradWeights = WinogradWeightCache()

    init(_ ctx: KernelBuildContext) throws {
        group = try ctx.int("group", default: 1)
        attributeKernel = try ctx.ints("kernel_shape")
        strides = try ctx.ints("strides")
        dilations = try ctx.ints("dilations")
        pads = try ctx.ints("pads")
        autoPad = try ctx.string("auto_pad", default: "NOTSET")
        guard group >= 1 else { throw ctx.fail("group must be positive") }
        constantWeights = ctx.node.inputs.count > 1 && ctx.node.inputs[1]?.initializer != nil
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0), w = try Require.input(inputs, 1, "W")
        let bias = inputs.count > 2 ? inputs[2] : nil
        if x.dataType == .float16 || x.dataType == .bfloat16 || x.dataType == .double, w.dataType == x.dataType {
            // Computed in float32 (sgemm) and rounded back once.
            return try HalfPrecision.inFloat32([x, w, bias], returning: x.dataType, context) { try run($0, context) }
        }
        try Require.type(x, [.float], "X")
        try Require.type(w, [.float], "W")
        guard x.rank >= 3, w.rank == x.rank else {
            throw KernelFailure("X \(x.shape) and W \(w.shape) must have the same rank, at least 3")
        }
        let spatial = x.rank - 2
        let geometry = try ConvGeometry(
            input: Array(x.shape.dropFirst(2)), kernel: attributeKernel ?? Array(w.shape.dropFirst(2)), strides: strides,
            dilations: dilations,
            pads: pads, autoPad: autoPad, spatial: spatial)
        let (batch, cin, cout) = (x.shape[0], x.shape[1], w.shape[0])
        guard cin == w.shape[1] * group, cout % group == 0 else {
            throw KernelFailure("channels do not match: X has \(cin), W \(w.shape) with group \(group)")
        }
        if let bias, bias.count != cout { throw KernelFailure("B has \(bias.count) values, expected \(cout)") }
        let out = try context.allocate(.float, [batch, cout] + geometry.output)
        let outSize = geometry.output.reduce(1, *)
        let inSize = geometry.input.reduce(1, *)
        let px = x.floats.baseAddress!, pw = w.floats.baseAddress!, po = out.floats.baseAddress!
        let pb = bias.map { $0.floats.baseAddress! }
        let cinPerGroup = cin / group, coutPerGroup = cout / group
        let kernelSize = geometry.kernel.reduce(1, *)
        let depthwise = group == cin && coutPerGroup == 1 && spatial == 2
        let pointwise = kernelSize == 1 && geometry.isIdentityWindow
        if depthwise {
            DepthwiseConv(geometry: geometry, channels: cin, activation: activation).run(
                batch: batch, x: px, w: pw, bias: pb, out: po, context: context)
            return [out]
        }
        if WinogradConv.applies(geometry, group: group, inputs: cin, outputs: cout) {
            let winograd = WinogradConv(geometry: geometry, inputs: cin, outputs: cout)
            let u =
                constantWeights
                ? winogradWeights.weights(for: w, outputs: cout, inputs: cin)
                : WinogradConv.transform(weights: pw, outputs: cout, inputs: cin)
            let scratch = try context.allocate(.float, [winograd.scratchCount])
            u.withUnsafeBufferPointer { pu in
                for n in 0..<batch {
                    winograd.run(
                        x: px + n * cin * inSize, u: pu.baseAddress!, bias: pb, out: po + n * cout * outSize,
                        scratch: scratch.floats.baseAddress!,
                        activation: activation, context: context)
                }
            }
            return [out]
        }
        let lowering = ConvLowering(
            geometry: geometry, outputChannels: coutPerGroup, inputChannels: cinPerGroup, pointwise: pointwise, activation: activation)
        // Samples spread over the threads when there are enough of them; otherwise each GEMM
        // splits over the threads (batch 1 is the common case). One column buffer per worker,
        // from the session's pool: it is fully overwritten, so it is never cleared.
        let workers = batch >= context.threads ? context.threads : 1
        let threadsPerSample = workers > 1 ? 1 : context.threads
        let scratchCount = max(1, lowering.scratchCount(threads: threadsPerSample))
        let scratch = try context.allocate(.float, [workers * scratchCount])
        let ps = scratch.floats.baseAddress!
        let samplesPerWorker = (batch + workers - 1) / workers
        context.parallelFor(workers, grain: 1) { range in
            for worker in range {
                let columns = ps + worker * scratchCount
                for n in (worker * samplesPerWorker)..<min(batch, (worker + 1) * samplesPerWorker) {
                    for g in 0..<group {
                        lowering.run(
                            x: px + (n * cin + g * cinPerGroup) * inSize, w: pw + g * coutPerGroup * lowering.k,
                            bias: pb.map { $0 + g * coutPerGroup }, out: po + (n * cout + g * coutPerGroup) * outSize, scratch: columns,
                            threads: threadsPerSample, context: context)
                    }
                }
            }
        }
        return [out]
    }
}

/// Sliding-window geometry shared by Conv and pooling: output sizes, padding per auto_pad, and
/// the im2col / direct loops.
struct ConvGeometry {
    let input: [Int]
    let kernel: [Int]
    let strides: [Int]
    let dilations: [Int]
    /// Begin pads then end pads.
    let pads: [Int]
    let output: [Int]

    init(
        input: [Int], kernel: [Int], strides: [Int]?, dilations: [Int]?, pads: [Int]?, autoPad: String, spatial: Int, ceilMode: Bool = false
    ) throws {
        guard kernel.count == spatial else { throw KernelFailure("kernel_shape has \(kernel.count) dims, expected \(spatial)") }
        let s = strides ?? Array(repeating: 1, count: spatial)
        let d = dilations ?? Array(repeating: 1, count: spatial)
        guard s.count == spatial, d.count == spatial, s.allSatisfy({ $0 > 0 }), d.allSatisfy({ $0 > 0 }) else {
            throw KernelFailure("strides and dilations need \(spatial) positive values")
        }
        var p = pads ?? Array(repeating: 0, count: 2 * spatial)
        guard p.count == 2 * spatial else { throw KernelFailure("pads need \(2 * spatial) values, got \(p.count)") }
        var out: [Int] = []
        for i in 0..<spatial {
            let effective = d[i] * (kernel[i] - 1) + 1
            switch autoPad {
            case "SAME_UPPER", "SAME_LOWER":
                let o = (input[i] + s[i] - 1) / s[i]
                let total = max(0, (o - 1) * s[i] + effective - input[i])
                let small = total / 2, large = total - small
                (p[i], p[i + spatial]) = autoPad == "SAME_UPPER" ? (small, large) : (large, small)
                out.append(o)
            case "VALID":
                p[i] = 0
                p[i + spatial] = 0
                let span = input[i] - effective
                out.append((span >= 0 ? span / s[i] : -((-span + s[i] - 1) / s[i])) + 1)
            case "NOTSET":
                let span = input[i] + p[i] + p[i + spatial] - effective
                // Floor (or ceiling) division, also when the window is wider than the padded input.
                let floor = span >= 0 ? span / s[i] : -((-span + s[i] - 1) / s[i])
                var o = (ceilMode && span % s[i] != 0 ? floor + 1 : floor) + 1
                // A window starting entirely in the end padding is dropped (ceil_mode rule).
                if ceilMode && (o - 1) * s[i] >= input[i] + p[i] { o -= 1 }
                out.append(o)
            default: throw KernelFailure("unknown auto_pad '\(autoPad)'")
            }
            if out[i] < 0 { throw KernelFailure("the window does not fit the input") }
        }
        self.input = input
        self.kernel = kernel
        self.strides = s
        self.dilations = d
        self.pads = p
        self.output = out
    }

    var isIdentityWindow: Bool { strides.allSatisfy { $0 == 1 } && pads.allSatisfy { $0 == 0 } }

    /// Column matrix [channels * kernel taps, output positions] for N-d windows (zero padding).
    func im2col(input x: UnsafePointer<Float>, channels: Int, columns: UnsafeMutablePointer<Float>) {
        let spatial = input.count
        let outSize = output.reduce(1, *), inSize = input.reduce(1, *)
        let taps = kernel.reduce(1, *)
        if spatial == 2 {
            let (ih, iw, kh, kw, oh, ow) = (input[0], input[1], kernel[0], kernel[1], output[0], output[1])
            for c in 0..<channels {
                let xc = x + c * inSize
                for ky in 0..<kh {
                    for kx in 0..<kw {
                        let row = columns + ((c * kh + ky) * kw + kx) * outSize
                        for oy in 0..<oh {
                            let iy = oy * strides[0] - pads[0] + ky * dilations[0]
                            let dst = row + oy * ow
                            if iy < 0 || iy >= ih {
                                for ox in 0..<ow { dst[ox] = 0 }
                                continue
                            }
                            let src = xc + iy * iw
                            let base = kx * dilations[1] - pads[1]
                            let step = strides[1]
                            for ox in 0..<ow {
                                let ix = ox * step + base
                                dst[ox] = ix >= 0 && ix < iw ? src[ix] : 0
                            }
                        }
                    }
                }
            }
            return
        }
        // Generic rank: walk taps and output positions with multi-indices.
        var tap = [Int](repeating: 0, count: spatial)
        for c in 0..<channels {
            for t in 0..<taps {
                var rest = t
                for d in stride(from: spatial - 1, through: 0, by: -1) {
                    tap[d] = rest % kernel[d]
                    rest /= kernel[d]
                }
                let row = columns + (c * taps + t) * outSize
                for o in 0..<outSize {
                    var r = o, offset = 0, inside = true
                    var scale = 1
                    for d in stride(from: spatial - 1, through: 0, by: -1) {
                        let od = r % output[d]
                        r /= output[d]
                        let id = od * strides[d] - pads[d] + tap[d] * dilations[d]
                        if id < 0 || id >= input[d] { inside = false; break }
                        offset += id * scale
                        scale *= input[d]
                    }
                    row[o] = inside ? x[c * inSize + offset] : 0
                }
            }
        }
    }

    /// Output columns [first, last) of a 2-D window whose taps all fall inside the input:
    /// ox * sx - px >= 0 and ox * sx - px + (kw - 1) * dx < iw.
    var interiorColumns: (first: Int, last: Int) {
        let (iw, kw, ow, sx, dx, px) = (input[1], kernel[1], output[1], strides[1], dilations[1], pads[1])
        let first = min(ow, max(0, (px + sx - 1) / sx))
        return (first, max(first, min(ow, (iw - 1 - (kw - 1) * dx + px) / sx + 1)))
    }
}
