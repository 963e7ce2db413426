import Foundation
import ONNXIR

/// Resize (opsets 10, 11, 13, 18, 19) and Upsample (7, 9). Output sizes come from `scales`
/// (floor(in * scale)) or `sizes` (scale = out / in, optionally keeping the aspect ratio), over
/// all axes or the `axes` attribute (18). Nearest mode gathers elements of any type through one
/// index map per axis; linear and cubic resample one axis at a time with precomputed taps.
final class ResizeKernel: Kernel {
    enum AspectPolicy: String { case stretch, notLarger = "not_larger", notSmaller = "not_smaller" }

    let sampling: ResizeSampling
    let axes: [Int]?
    let aspectPolicy: AspectPolicy
    /// Input positions of roi, scales and sizes (nil when the op has no such input).
    let roiInput: Int?
    let scalesInput: Int?
    let sizesInput: Int?
    /// Upsample-7 takes its scales from an attribute.
    let attributeScales: [Float]?

    init(_ ctx: KernelBuildContext, upsample: Bool) throws {
        let isLegacy = upsample || ctx.opset < 11
        let modeName = try ctx.string("mode", default: "nearest")
        let mode: ResizeSampling.Mode
        switch modeName {
        case "nearest": mode = .nearest
        case "linear", "bilinear", "trilinear": mode = .linear
        case "cubic" where !isLegacy: mode = .cubic
        default: throw ctx.fail("unknown mode '\(modeName)'")
        }
        let transformName = try ctx.string("coordinate_transformation_mode", default: isLegacy ? "asymmetric" : "half_pixel")
        guard let transform = ResizeSampling.Transform(rawValue: transformName), transform != .halfPixelSymmetric || ctx.opset >= 19 else {
            throw ctx.fail("unknown coordinate_transformation_mode '\(transformName)'")
        }
        let roundingName = isLegacy ? "legacy" : try ctx.string("nearest_mode", default: "round_prefer_floor")
        guard let rounding = ResizeSampling.NearestRounding(rawValue: roundingName) else {
            throw ctx.fail("unknown nearest_mode '\(roundingName)'")
        }
        sampling = ResizeSampling(
            mode: mode, transform: transform, rounding: rounding, cubicA: Double(try ctx.float("cubic_coeff_a", default: -0.75)),
            excludesOutside: try ctx.int("exclude_outside", default: 0) != 0,
            extrapolationValue: try ctx.float("extrapolation_value", default: 0), antialias: try ctx.int("antialias", default: 0) != 0)
        axes = ctx.opset >= 18 && !upsample ? try ctx.ints("axes") : nil
        let policyName = try ctx.string("keep_aspect_ratio_policy", default: "stretch")
        guard let policy = AspectPolicy(rawValue: policyName) else { throw ctx.fail("unknown keep_aspect_ratio_policy '\(policyName)'") }
        aspectPolicy = policy
        if upsample && ctx.opset < 9 {
            guard let scales = try ctx.floats("scales") else { throw ctx.fail("missing attribute 'scales'") }
            (attributeScales, roiInput, scalesInput, sizesInput) = (scales, nil, nil, nil)
        } else if isLegacy {
            (attributeScales, roiInput, scalesInput, sizesInput) = (nil, nil, 1, nil)
        } else {
            (attributeScales, roiInput, scalesInput, sizesInput) = (nil, 1, 2, 3)
        }
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        func optional(_ i: Int?) -> RuntimeTensor? {
            i.flatMap { $0 < inputs.count ? inputs[$0] : nil }.flatMap { $0.count > 0 ? $0 : nil }
        }
        let rank = x.rank
        let axes = try (self.axes ?? Array(0..<rank)).map { try Axis.normalize($0, rank: rank) }
        var scales = [Double](repeating: 1, count: rank)
        var outShape = x.shape
        if let given = try attributeScales ?? optional(scalesInput)?.floatValues() {
            guard given.count == axes.count else { throw KernelFailure("scales has \(given.count) values for \(axes.count) axes") }
            for (k, a) in axes.enumerated() {
                guard given[k] > 0 else { throw KernelFailure("scale \(given[k]) must be positive") }
                scales[a] = Double(given[k])
                outShape[a] = Int((Double(x.shape[a]) * scales[a]).rounded(.down))
            }
        } else if let sizes = try optional(sizesInput)?.intValues() {
            guard sizes.count == axes.count else { throw KernelFailure("sizes has \(sizes.count) values for \(axes.count) axes") }
            for (k, a) in axes.enumerated() {
                outShape[a] = sizes[k]
                scales[a] = Double(sizes[k]) / Double(x.shape[a])
            }
            if aspectPolicy != .stretch {
                let chosen = axes.map { scales[$0] }
                let scale = (aspectPolicy == .notLarger ? chosen.min() : chosen.max()) ?? 1
                for a in axes {
                    scales[a] = scale
                    outShape[a] = Int((scale * Double(x.shape[a]) + 0.5).rounded(.down))
                }
            }
        } else {
            throw KernelFailure("needs either scales or sizes")
        }
        var roi = [(Double, Double)](repeating: (0, 1), count: rank)
        if sampling.transform == .tfCropAndResize, let r = try optional(roiInput)?.floatValues() {
            guard r.count == 2 * axes.count else { throw KernelFailure("roi has \(r.count) values for \(axes.count) axes") }
            for (k, a) in axes.enumerated() { roi[a] = (Double(r[k]), Double(r[k + axes.count])) }
        }
        if sampling.mode == .nearest { return [try nearest(x, outShape, scales, roi, context)] }
        switch x.dataType {
        case .float: return [try interpolate(x, outShape, scales, roi, context)]
        case .float16, .bfloat16, .double:
            let wide = try interpolate(try CastKernel.convert(x, to: .float, saturate: true, context), outShape, scales, roi, context)
            return [try CastKernel.convert(wide, to: x.dataType, saturate: true, context)]
        default: throw KernelFailure("\(x.dataType.name) is not supported in linear or cubic mode")
        }
    }

    /// Nearest: per-axis index maps; an output row whose source row repeats the previous one is
    /// copied from the previous output row.
    private func nearest(_ x: RuntimeTensor, _ outShape: [Int], _ scales: [Double], _ roi: [(Double, Double)], _ context: ExecutionContext)
        throws
        -> RuntimeTensor
    {
        if x.strings != nil {
            return try StringMovement.run([x], stringInputs: [0], stringOutputs: [0], context) {
                [try self.nearest($0[0]!, outShape, scales, roi, context)]
            }[0]!
        }
        let out = try context.allocate(x.dataType, outShape)
        if out.count == 0 { return out }
        let width = try Axis.elementBytes(x.dataType)
        let rank = x.rank
        if rank == 0 {
            out.raw.copyMemory(from: x.raw, byteCount: width)
            return out
        }
        let maps = (0..<rank).map {
            sampling.nearestMap(inLength: x.shape[$0], outLength: outShape[$0], scale: scales[$0], roi: roi[$0])
        }
        let extrapolation = try ElementFill.scalar(sampling.extrapolationValue, as: x.dataType, context)
        let inStrides = StridedCopy.contiguousStrides(x.shape)
        let rowLength = outShape[rank - 1], rowBytes = rowLength * width
        var index = [Int](repeating: 0, count: rank - 1)
        var previous = Int.min
        for r in 0..<(out.count / rowLength) {
            let dst = out.raw + r * rowBytes
            var source = 0
            for d in 0..<(rank - 1) {
                let i = maps[d][index[d]]
                source = i < 0 || source < 0 ? -1 : source + i * inStrides[d]
            }
            if source == previous && r > 0 {
                dst.copyMemory(from: dst - rowBytes, byteCount: rowBytes)
            } else {
                try Self.gatherRow(x.raw, source, maps[rank - 1], dst, extrapolation.raw, width)
            }
            previous = source
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                if index[d] < outShape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return out
    }

    private static func gatherRow(
        _ src: UnsafeMutableRawPointer, _ row: Int, _ map: [Int], _ dst: UnsafeMutableRawPointer, _ fill: UnsafeMutableRawPointer,
        _ width: Int
    ) throws {
        func gather<T>(_: T.Type) {
            let s = src.assumingMemoryBound(to: T.self), d = dst.assumingMemoryBound(to: T.self)
            let value = fill.load(as: T.self)
            if row < 0 {
                for o in map.indices { d[o] = value }
                return
            }
            for o in map.indices { d[o] = map[o] < 0 ? value : s[row + map[o]] }
        }
        switch width {
        case 1: gather(UInt8.self)
        case 2: gather(UInt16.self)
        case 4: gather(UInt32.self)
        case 8: gather(UInt64.self)
        default: gather(SIMD2<UInt64>.self)
        }
    }

    /// Linear/cubic on float32: one pass per resized axis, shrinking axes first.
    private func interpolate(
        _ x: RuntimeTensor, _ outShape: [Int], _ scales: [Double], _ roi: [(Double, Double)], _ context: ExecutionContext
    )
        throws -> RuntimeTensor
    {
        var current = x
        let order = (0..<x.rank).sorted {
            Double(outShape[$0]) / Double(Swift.max(x.shape[$0], 1)) < Double(outShape[$1]) / Double(Swift.max(x.shape[$1], 1))
        }
        for a in order {
            let taps = sampling.taps(inLength: x.shape[a], outLength: outShape[a], scale: scales[a], roi: roi[a])
            if outShape[a] == x.shape[a] && taps.isIdentity { continue }
            guard x.shape[a] > 0 || outShape[a] == 0 else { throw KernelFailure("cannot resize an empty axis \(a) to \(outShape[a])") }
            var shape = current.shape
            shape[a] = outShape[a]
            let next = try context.allocate(.float, shape)
            resampleAxis(current, into: next, axis: a, taps, context)
            current = next
        }
        return current === x ? try CastKernel.convert(x, to: .float, saturate: true, context) : current
    }

    private func resampleAxis(
        _ src: RuntimeTensor, into dst: RuntimeTensor, axis a: Int, _ taps: ResizeSampling.Taps, _ context: ExecutionContext
    ) {
        let outer = src.shape[..<a].reduce(1, *), inner = src.shape[(a + 1)...].reduce(1, *)
        let (inLength, outLength, n) = (src.shape[a], dst.shape[a], taps.count)
        let s = src.floats.baseAddress!, d = dst.floats.baseAddress!
        let fill = sampling.extrapolationValue
        taps.indices.withUnsafeBufferPointer { indices in
            taps.weights.withUnsafeBufferPointer { weights in
                let (idx, w) = (indices.baseAddress!, weights.baseAddress!)
                context.parallelFor(outer, grain: Swift.max(1, 16384 / Swift.max(1, outLength * inner * n))) { range in
                    for o in range {
                        let from = s + o * inLength * inner, to = d + o * outLength * inner
                        if inner == 1 {
                            for j in 0..<outLength {
                                if taps.extrapolated[j] {
                                    to[j] = fill
                                    continue
                                }
                                var acc: Float = 0
                                for t in 0..<n { acc += w[j * n + t] * from[idx[j * n + t]] }
                                to[j] = acc
                            }
                            continue
                        }
                        for j in 0..<outLength {
                            let row = to + j * inner
                            if taps.extrapolated[j] {
                                row.update(repeating: fill, count: inner)
                                continue
                            }
                            let w0 = w[j * n], first = from + idx[j * n] * inner
                            for i in 0..<inner { row[i] = w0 * first[i] }
                            for t in 1..<n {
                                let wt = w[j * n + t]
                                if wt == 0 { continue }
                                let tap = from + idx[j * n + t] * inner
                                for i in 0..<inner { row[i] += wt * tap[i] }
                            }
                        }
                    }
                }
            }
        }
    }
}

enum ResizeKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("Resize", since: 10) { try ResizeKernel($0, upsample: false) },
        KernelDescriptor("Upsample", since: 7) { try ResizeKernel($0, upsample: true) },
    ]
}
