import Foundation
import ONNXIR

/// Clip: bounds from attributes before opset 11, from optional inputs after (integer types from
/// opset 12). A missing bound does not clip; when min > max every element becomes max.
final class ClipKernel: Kernel {
    let attributeBounds: (min: Float, max: Float)?

    init(_ ctx: KernelBuildContext) throws {
        if ctx.opset < 11 {
            attributeBounds = (
                try ctx.float("min", default: -Float.greatestFiniteMagnitude), try ctx.float("max", default: Float.greatestFiniteMagnitude)
            )
        } else {
            attributeBounds = nil
        }
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        let low = inputs.count > 1 ? inputs[1] : nil
        let high = inputs.count > 2 ? inputs[2] : nil
        for bound in [low, high].compactMap({ $0 }) where bound.dataType != x.dataType || bound.count != 1 {
            throw KernelFailure("min and max must be \(x.dataType.name) scalars, got \(bound)")
        }
        switch x.dataType {
        case .float:
            let lo = attributeBounds?.min ?? low?.floats[0] ?? -.infinity
            let hi = attributeBounds?.max ?? high?.floats[0] ?? .infinity
            return [try clip(x, lo, hi, context)]
        case .double: return [try clip(x, Double.self, low, high, -.infinity, .infinity, context)]
        case .float16, .bfloat16:
            let lo = try attributeBounds?.min ?? low?.floatValues()[0] ?? -.infinity
            let hi = try attributeBounds?.max ?? high?.floatValues()[0] ?? .infinity
            let result = try clip(try HalfPrecision.widen(x, context), lo, hi, context)
            return [try HalfPrecision.narrow(result, to: x.dataType, context)]
        case .int8: return [try clip(x, Int8.self, low, high, .min, .max, context)]
        case .int16: return [try clip(x, Int16.self, low, high, .min, .max, context)]
        case .int32: return [try clip(x, Int32.self, low, high, .min, .max, context)]
        case .int64: return [try clip(x, Int64.self, low, high, .min, .max, context)]
        case .uint8: return [try clip(x, UInt8.self, low, high, .min, .max, context)]
        case .uint16: return [try clip(x, UInt16.self, low, high, .min, .max, context)]
        case .uint32: return [try clip(x, UInt32.self, low, high, .min, .max, context)]
        case .uint64: return [try clip(x, UInt64.self, low, high, .min, .max, context)]
        default: throw KernelFailure("input type \(x.dataType.name) is not supported")
        }
    }

    private func clip<T: Comparable>(
        _ x: RuntimeTensor, _: T.Type, _ low: RuntimeTensor?, _ high: RuntimeTensor?, _ lowest: T, _ highest: T,
        _ context: ExecutionContext
    ) throws -> RuntimeTensor {
        let lo = low.map { $0.raw.load(as: T.self) } ?? lowest
        let hi = high.map { $0.raw.load(as: T.self) } ?? highest
        return try clip(x, lo, hi, context)
    }

    /// min(max(x, lo), hi), which keeps NaN and yields hi when lo > hi.
    private func clip<T: Comparable>(_ x: RuntimeTensor, _ lo: T, _ hi: T, _ context: ExecutionContext) throws -> RuntimeTensor {
        let out = try context.allocate(x.dataType, x.shape)
        let src = x.raw.assumingMemoryBound(to: T.self)
        let dst = out.raw.assumingMemoryBound(to: T.self)
        context.parallelFor(x.count, grain: 32768) { range in
            for i in range { dst[i] = Swift.min(Swift.max(src[i], lo), hi) }
        }
        return out
    }
}

/// Where: condition ? X : Y with three-way broadcasting, for every element type.
final class WhereKernel: Kernel {
    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let c = try Require.input(inputs, 0, "condition"), x = try Require.input(inputs, 1), y = try Require.input(inputs, 2)
        try Require.type(c, [.bool], "condition")
        guard x.dataType == y.dataType else { throw KernelFailure("X and Y differ in type (\(x.dataType.name), \(y.dataType.name))") }
        guard let shape = Broadcasting.shape([c.shape, x.shape, y.shape]) else {
            throw KernelFailure("shapes \(c.shape), \(x.shape) and \(y.shape) do not broadcast")
        }
        if let sx = x.strings, let sy = y.strings {
            var values = [[UInt8]](repeating: [], count: shape.reduce(1, *))
            let pc = c.raw.assumingMemoryBound(to: UInt8.self)
            Broadcasting.forEachRow(outShape: shape, inputShapes: [c.shape, x.shape, y.shape]) { o, offsets, strides, n in
                for i in 0..<n {
                    values[o + i] =
                        pc[offsets[0] + i * strides[0]] != 0 ? sx[offsets[1] + i * strides[1]] : sy[offsets[2] + i * strides[2]]
                }
            }
            return [context.strings(shape, values)]
        }
        let out = try context.allocate(x.dataType, shape)
        switch try ElementWidth(x.dataType) {
        case .one: select(c, x, y, out, UInt8.self)
        case .two: select(c, x, y, out, UInt16.self)
        case .four: select(c, x, y, out, UInt32.self)
        case .eight: select(c, x, y, out, UInt64.self)
        case .sixteen: select(c, x, y, out, SIMD2<UInt64>.self)
        }
        return [out]
    }

    private func select<T>(_ c: RuntimeTensor, _ x: RuntimeTensor, _ y: RuntimeTensor, _ out: RuntimeTensor, _: T.Type) {
        let pc = c.raw.assumingMemoryBound(to: UInt8.self)
        let px = x.raw.assumingMemoryBound(to: T.self), py = y.raw.assumingMemoryBound(to: T.self)
        let po = out.raw.assumingMemoryBound(to: T.self)
        if c.shape == out.shape && x.shape == out.shape && y.shape == out.shape {
            for i in 0..<out.count { po[i] = pc[i] != 0 ? px[i] : py[i] }
            return
        }
        let (shape, shapes) = Broadcasting.coalesced(outShape: out.shape, inputShapes: [c.shape, x.shape, y.shape])
        Broadcasting.forEachRow(outShape: shape, inputShapes: shapes) { o, offsets, strides, n in
            let (oc, ox, oy, sc, sx, sy) = (offsets[0], offsets[1], offsets[2], strides[0], strides[1], strides[2])
            for i in 0..<n { po[o + i] = pc[oc + i * sc] != 0 ? px[ox + i * sx] : py[oy + i * sy] }
        }
    }
}

/// PRelu: x < 0 ? slope * x : x, with slope broadcast to X's shape (per channel in practice).
final class PReluKernel: Kernel {
    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0), slope = try Require.input(inputs, 1, "slope")
        guard x.dataType == slope.dataType else { throw KernelFailure("X and slope differ in type") }
        guard Broadcasting.shape([x.shape, slope.shape]) == x.shape else {
            throw KernelFailure("slope of shape \(slope.shape) does not broadcast to X's shape \(x.shape)")
        }
        switch x.dataType {
        case .float: return [try prelu(x, slope, Float.self, context)]
        case .double: return [try prelu(x, slope, Double.self, context)]
        case .float16, .bfloat16:
            let wide = try prelu(try HalfPrecision.widen(x, context), try HalfPrecision.widen(slope, context), Float.self, context)
            return [try HalfPrecision.narrow(wide, to: x.dataType, context)]
        case .int32: return [try prelu(x, slope, Int32.self, context)]
        case .int64: return [try prelu(x, slope, Int64.self, context)]
        case .uint32, .uint64: return [x]  // never negative
        default: throw KernelFailure("input type \(x.dataType.name) is not supported")
        }
    }

    private func prelu<T: Numeric & Comparable>(_ x: RuntimeTensor, _ slope: RuntimeTensor, _: T.Type, _ context: ExecutionContext) throws
        -> RuntimeTensor
    {
        let out = try context.allocate(x.dataType, x.shape)
        let px = x.raw.assumingMemoryBound(to: T.self), ps = slope.raw.assumingMemoryBound(to: T.self)
        let po = out.raw.assumingMemoryBound(to: T.self)
        let (shape, shapes) = Broadcasting.coalesced(outShape: x.shape, inputShapes: [x.shape, slope.shape])
        Broadcasting.forEachRow(outShape: shape, inputShapes: shapes) { o, offsets, strides, n in
            let (x, y, s) = (px + o, po + o, ps + offsets[1])
            // Coalesced rows see either one slope (per channel) or a contiguous run of them.
            if strides[1] == 0 {
                let slope = s[0]
                for i in 0..<n {
                    let v = x[i]
                    y[i] = v < 0 ? v * slope : v
                }
            } else {
                for i in 0..<n {
                    let v = x[i]
                    y[i] = v < 0 ? v * s[i] : v
                }
            }
        }
        return out
    }
}

/// com.microsoft BiasGelu and FastGelu: gelu(X + bias), bias (optional for FastGelu) running
/// along the last axis.
final class BiasGeluKernel: Kernel {
    let op: UnaryKernel.Op
    init(_ op: UnaryKernel.Op) { self.op = op }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        try Require.type(x, [.float], "input")
        let bias = inputs.count > 1 ? inputs[1] : nil
        let out = try context.allocate(.float, x.shape)
        let src = x.floats.baseAddress!, dst = out.floats.baseAddress!
        if let bias {
            try Require.type(bias, [.float], "bias")
            let n = bias.count
            guard n > 0, x.shape.last == n else {
                throw KernelFailure("bias of shape \(bias.shape) does not match the last axis of \(x.shape)")
            }
            let b = bias.floats.baseAddress!
            for row in 0..<(x.count / n) {
                let base = row * n
                for i in 0..<n { dst[base + i] = src[base + i] + b[i] }
            }
        } else {
            dst.update(from: src, count: x.count)
        }
        let op = self.op
        context.parallelFor(x.count, grain: 16384) { range in UnaryKernel.applyFloat(op, dst, dst, range) }
        return [out]
    }
}
