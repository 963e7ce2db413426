import CVectorMath
import Foundation
import ONNXIR

/// MaxPool (with optional Indices), AveragePool (count_include_pad) and LpPool over NCHW windows
/// of any spatial rank, with strides, pads, dilations, auto_pad and ceil_mode.
final class DensePoolKernel: Kernel {
    enum Kind { case max, average, lp }
    let kind: Kind
    let kernelShape: [Int]
    let strides: [Int]?, dilations: [Int]?, pads: [Int]?
    let autoPad: String
    let ceilMode: Bool
    let countIncludePad: Bool
    let p: Float
    let storageOrder: Int

    init(_ ctx: KernelBuildContext, kind: Kind) throws {
        self.kind = kind
        guard let k = try ctx.ints("kernel_shape") else { throw ctx.fail("attribute kernel_shape is required") }
        kernelShape = k
        strides = try ctx.ints("strides")
        dilations = try ctx.ints("dilations")
        pads = try ctx.ints("pads")
        autoPad = try ctx.string("auto_pad", default: "NOTSET")
        ceilMode = try ctx.int("ceil_mode", default: 0) == 1
        countIncludePad = try ctx.int("count_include_pad", default: 0) == 1
        p = Float(try ctx.int("p", default: 2))
        storageOrder = try ctx.int("storage_order", default: 0)
        wantsIndices = ctx.node.outputs.count > 1 && ctx.node.outputs[1] != nil
    }

    /// MaxPool's optional second output is present in the node.
    let wantsIndices: Bool

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        if x.dataType != .float, kind == .max || x.dataType == .float16 || x.dataType == .bfloat16 || x.dataType == .double,
            x.dataType.isFloatingPoint || [.uint8, .int8, .uint16, .int16].contains(x.dataType)
        {
            // Max of 8/16-bit integers and 16-bit floats is exact in float32 (and float64 is
            // rare in pooling); the indices output needs no conversion.
            var results = try run([try HalfPrecision.convert(x, to: .float, context)] + inputs.dropFirst(), context)
            if let y = results.first ?? nil { results[0] = try CastKernel.convert(y, to: x.dataType, saturate: true, context) }
            return results
        }
        try Require.type(x, [.float], "X")
        guard x.rank >= 3 else { throw KernelFailure("X must have rank 3 or more, got \(x.shape)") }
        let spatial = x.rank - 2
        let g = try ConvGeometry(
            input: Array(x.shape.dropFirst(2)), kernel: kernelShape, strides: strides, dilations: dilations, pads: pads, autoPad: autoPad,
            spatial: spatial, ceilMode: ceilMode)
        let planes = x.shape[0] * x.shape[1]
        let out = try context.allocate(.float, Array(x.shape.prefix(2)) + g.output)
        if kind == .max && !wantsIndices && spatial == 2 {
            let px = x.floats.baseAddress!, po = out.floats.baseAddress!
            let inSize = g.input[0] * g.input[1], outSize = g.output[0] * g.output[1]
            let (ih, iw, kh, kw) = (g.input[0], g.input[1], g.kernel[0], g.kernel[1])
            let vector = g.dilations == [1, 1]
            context.parallelFor(planes, grain: 4) { range in
                for plane in range {
                    let (x, y) = (px + plane * inSize, po + plane * outSize)
                    if vector,
                        whittle_max_pool2d_f32(
                            x, ih, iw, kh, kw, g.strides[0], g.strides[1], g.pads[0], g.pads[1], y, g.output[0], g.output[1]) != 0
                    {
                        continue
                    }
                    g.maxPool2D(input: x, output: y)
                }
            }
            return [out, nil]
        }
        let indices = kind == .max ? try context.allocate(.int64, out.shape) : nil
        let inSize = g.input.reduce(1, *), outSize = g.output.reduce(1, *)
        let taps = kernelShape.reduce(1, *)
        let px = x.floats.baseAddress!, po = out.floats.baseAddress!
        let pi = indices?.elements(Int64.self).baseAddress
        // Offsets of each output position's window taps, -1 where the tap falls in padding.
        var tapOffsets = [Int](repeating: -1, count: outSize * taps)
        var inBounds = [Int](repeating: 0, count: outSize)
        var tap = [Int](repeating: 0, count: spatial)
        for o in 0..<outSize {
            var od = [Int](repeating: 0, count: spatial)
            var r = o
            for d in stride(from: spatial - 1, through: 0, by: -1) {
                od[d] = r % g.output[d]
                r /= g.output[d]
            }
            var inside = 0
            for t in 0..<taps {
                var rest = t
                for d in stride(from: spatial - 1, through: 0, by: -1) {
                    tap[d] = rest % kernelShape[d]
                    rest /= kernelShape[d]
                }
                var offset = 0, ok = true
                for d in 0..<spatial {
                    let id = od[d] * g.strides[d] - g.pads[d] + tap[d] * g.dilations[d]
                    if id < 0 || id >= g.input[d] { ok = false; break }
                    offset = offset * g.input[d] + id
                }
                if ok {
                    tapOffsets[o * taps + t] = offset
                    inside += 1
                }
            }
            inBounds[o] = inside
        }
        // Window size counted for count_include_pad: taps inside input plus explicit pads, not
        // the part beyond the padded input that ceil_mode adds.
        let padded = (0..<outSize).map { o -> Int in
            guard countIncludePad else { return inBounds[o] }
            var od = [Int](repeating: 0, count: spatial)
            var r = o
            for d in stride(from: spatial - 1, through: 0, by: -1) {
                od[d] = r % g.output[d]
                r /= g.output[d]
            }
            var count = 1
            for d in 0..<spatial {
                let start = od[d] * g.strides[d] - g.pads[d]
                let end = min(start + (kernelShape[d] - 1) * g.dilations[d] + 1, g.input[d] + g.pads[d + spatial])
                count *= (end - start + g.dilations[d] - 1) / g.dilations[d]
            }
            return count
        }
        let kind = self.kind, p = self.p
        context.parallelFor(planes, grain: 1) { range in
            for plane in range {
                let xp = px + plane * inSize, op = po + plane * outSize
                for o in 0..<outSize {
                    switch kind {
                    case .max:
                        var best = -Float.infinity, bestIndex = -1
                        for t in 0..<taps {
                            let off = tapOffsets[o * taps + t]
                            if off >= 0 && (xp[off] > best || bestIndex < 0) { best = xp[off]; bestIndex = off }
                        }
                        op[o] = best
                        pi?[plane * outSize + o] = Int64(plane * inSize + max(bestIndex, 0))
                    case .average:
                        var sum: Float = 0
                        for t in 0..<taps { let off = tapOffsets[o * taps + t]; if off >= 0 { sum += xp[off] } }
                        op[o] = padded[o] > 0 ? sum / Float(padded[o]) : 0
                    case .lp:
                        var sum: Float = 0
                        for t in 0..<taps { let off = tapOffsets[o * taps + t]; if off >= 0 { sum += pow(abs(xp[off]), p) } }
                        op[o] = pow(sum, 1 / p)
                    }
                }
            }
        }
        if let indices, storageOrder == 1, spatial == 2 {
            // Column-major indices: convert (h, w) within each plane.
            let (h, w) = (g.input[0], g.input[1])
            let pi = indices.elements(Int64.self)
            for i in 0..<indices.count {
                let flat = Int(pi[i]), plane = flat / inSize, rem = flat % inSize
                pi[i] = Int64(plane * inSize + (rem % w) * h + rem / w)
            }
        }
        return [out, indices]
    }
}

/// GlobalAveragePool / GlobalMaxPool / GlobalLpPool: one value per (n, c) plane.
final class GlobalPoolKernel: Kernel {
    let kind: DensePoolKernel.Kind
    let p: Float
    init(_ ctx: KernelBuildContext, kind: DensePoolKernel.Kind) throws {
        self.kind = kind
        p = Float(try ctx.int("p", default: 2))
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        try Require.type(x, [.float], "X")
        guard x.rank >= 3 else { throw KernelFailure("X must have rank 3 or more, got \(x.shape)") }
        let planes = x.shape[0] * x.shape[1], size = x.count / max(planes, 1)
        let out = try context.allocate(.float, Array(x.shape.prefix(2)) + Array(repeating: 1, count: x.rank - 2))
        let px = x.floats.baseAddress!, po = out.floats.baseAddress!
        let kind = kind, p = p
        // Planes are independent: spread them over the threads (the squeeze of every SE block).
        context.parallelFor(planes, grain: max(1, 8192 / max(size, 1))) { range in
            for plane in range {
                let row = px + plane * size
                switch kind {
                case .average:
                    var s: Float = 0
                    if whittle_sum_f32(row, size, &s) == 0 { for i in 0..<size { s += row[i] } }
                    po[plane] = s / Float(size)
                case .max:
                    var m = -Float.infinity
                    for i in 0..<size { m = max(m, row[i]) }
                    po[plane] = m
                case .lp:
                    var s: Float = 0
                    for i in 0..<size { s += pow(abs(row[i]), p) }
                    po[plane] = pow(s, 1 / p)
                }
            }
        }
        return [out]
    }
}

extension ConvGeometry {
    /// One plane of a 2-D max pool, window rows accumulated directly (no index table). Columns
    /// whose whole window lies inside the input skip the bounds checks; padding never wins.
    func maxPool2D(input x: UnsafePointer<Float>, output o: UnsafeMutablePointer<Float>) {
        let (ih, iw, kh, kw, oh, ow) = (input[0], input[1], kernel[0], kernel[1], output[0], output[1])
        let (sy, sx, dy, dx, py, px) = (strides[0], strides[1], dilations[0], dilations[1], pads[0], pads[1])
        let (first, last) = interiorColumns
        for oy in 0..<oh {
            let row = o + oy * ow
            for ox in 0..<ow { row[ox] = -Float.infinity }
            for ky in 0..<kh {
                let iy = oy * sy - py + ky * dy
                if iy < 0 || iy >= ih { continue }
                let src = x + iy * iw
                for kx in 0..<kw {
                    let offset = kx * dx - px
                    for ox in 0..<first {
                        let ix = ox * sx + offset
                        if ix >= 0 && ix < iw && src[ix] > row[ox] { row[ox] = src[ix] }
                    }
                    for ox in last..<ow {
                        let ix = ox * sx + offset
                        if ix >= 0 && ix < iw && src[ix] > row[ox] { row[ox] = src[ix] }
                    }
                    for ox in first..<last {
                        let v = src[ox * sx + offset]
                        row[ox] = v > row[ox] ? v : row[ox]
                    }
                }
            }
        }
    }
}
