import Foundation
import ONNXIR

/// QuantizeLinear: y = saturate(round_half_even(x / scale) + zero_point), per tensor, per axis
/// (opset 13) or per block (opset 21); the output type follows the zero point, `output_dtype`, or
/// uint8.
final class QuantizeLinearKernel: Kernel {
    let axis: Int
    let blockSize: Int
    let outputType: DataType?
    /// Float8 targets saturate (opset 19 `saturate`, default 1).
    let saturates: Bool

    init(_ ctx: KernelBuildContext) throws {
        saturates = try ctx.int("saturate", default: 1) != 0
        axis = try ctx.int("axis", default: 1)
        blockSize = try ctx.int("block_size", default: 0)
        let dtype = try ctx.int("output_dtype", default: 0)
        outputType = dtype == 0 ? nil : DataType(rawValue: Int32(dtype))
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        let scale = try Require.input(inputs, 1, "scale")
        let zeroPoint = inputs.count > 2 ? inputs[2] : nil
        let type = zeroPoint?.dataType ?? outputType ?? .uint8
        if Self.isExotic(type) { return [try quantizeExotic(x, scale, zeroPoint, type, context)] }
        let (low, high) = try QuantizedElements.range(type)
        let layout = try QuantizationLayout(shape: x.shape, scaleShape: scale.shape, axis: axis, blockSize: blockSize)
        let xs = try x.dataType == .float ? Array(x.floats) : x.floatValues()
        let scales = try scale.floatValues()
        let out = try context.zeros(type, x.shape)
        layout.forEach { i, p in
            let zp = zeroPoint.map { Float(QuantizedElements.load($0, p)) } ?? 0
            let q = (xs[i] / scales[p]).roundedHalfEven + zp
            QuantizedElements.store(out, i, Int32(Swift.min(Swift.max(q.isNaN ? 0 : q, low), high)))
        }
        return [out]
    }

    /// Types QuantizedElements does not store: float8 and float4e2m1 (x / scale + zero point,
    /// rounded to nearest even and saturated by Cast's rules) and int2/uint2 (rounded half to
    /// even, clamped to [-2, 1] or [0, 3]).
    static func isExotic(_ type: DataType) -> Bool {
        [.float8e4m3fn, .float8e4m3fnuz, .float8e5m2, .float8e5m2fnuz, .float4e2m1, .int2, .uint2].contains(type)
    }

    private func quantizeExotic(
        _ x: RuntimeTensor, _ scale: RuntimeTensor, _ zeroPoint: RuntimeTensor?, _ type: DataType, _ context: ExecutionContext
    )
        throws -> RuntimeTensor
    {
        let layout = try QuantizationLayout(shape: x.shape, scaleShape: scale.shape, axis: axis, blockSize: blockSize)
        let xs = try x.floatValues(), scales = try scale.floatValues()
        let zps = try zeroPoint.map { try CastKernel.convert($0, to: .float, saturate: true, context).floatValues() }
        var q = [Float](repeating: 0, count: x.count)
        let isInteger = type == .int2 || type == .uint2
        let (low, high): (Float, Float) = type == .int2 ? (-2, 1) : (0, 3)
        layout.forEach { i, p in
            let zp = zps?[p] ?? 0
            if isInteger {
                let v = (xs[i] / scales[p]).roundedHalfEven + zp
                q[i] = Swift.min(Swift.max(v.isNaN ? 0 : v, low), high)
            } else {
                q[i] = xs[i] / scales[p] + zp
            }
        }
        return try CastKernel.convert(RuntimeTensor.float32(x.shape, q), to: type, saturate: saturates, context)
    }
}

/// DequantizeLinear: y = (x - zero_point) * scale, output in the scale's type.
final class DequantizeLinearKernel: Kernel {
    let axis: Int
    let blockSize: Int

    init(_ ctx: KernelBuildContext) throws {
        axis = try ctx.int("axis", default: 1)
        blockSize = try ctx.int("block_size", default: 0)
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        let scale = try Require.input(inputs, 1, "scale")
        let zeroPoint = inputs.count > 2 ? inputs[2] : nil
        let isFloat8 = [DataType.float8e4m3fn, .float8e4m3fnuz, .float8e5m2, .float8e5m2fnuz].contains(x.dataType)
        let isPacked = [DataType.float4e2m1, .int2, .uint2].contains(x.dataType)
        if !isFloat8 && !isPacked { _ = try QuantizedElements.range(x.dataType) }
        let layout = try QuantizationLayout(shape: x.shape, scaleShape: scale.shape, axis: axis, blockSize: blockSize)
        let scales = try scale.floatValues()
        let out = try context.allocate(.float, x.shape)
        let y = out.floats
        if isPacked {
            // Decoded through Cast (2-bit integers and float4e2m1 two or four to a byte).
            let xs = try CastKernel.convert(x, to: .float, saturate: true, context).floatValues()
            let zps = try zeroPoint.map { try CastKernel.convert($0, to: .float, saturate: true, context).floatValues() }
            layout.forEach { i, p in y[i] = (xs[i] - (zps?[p] ?? 0)) * scales[p] }
        } else if isFloat8 {
            // Float8 values are decoded, not offset: their zero point is a float8 zero.
            let bytes = x.raw.assumingMemoryBound(to: UInt8.self)
            layout.forEach { i, p in y[i] = ElementConversion.float8ToFloat(bytes[i], x.dataType) * scales[p] }
        } else {
            layout.forEach { i, p in
                let zp = zeroPoint.map { QuantizedElements.load($0, p) } ?? 0
                y[i] = Float(QuantizedElements.load(x, i) - zp) * scales[p]
            }
        }
        if scale.dataType == .float16 || scale.dataType == .bfloat16 {
            return [try HalfPrecision.narrow(out, to: scale.dataType, context)]
        }
        return [out]
    }
}

/// DynamicQuantizeLinear: uint8 asymmetric quantization with the range computed from x (always
/// including 0), returning y, scale and zero point.
final class DynamicQuantizeLinearKernel: Kernel {
    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        try Require.type(x, [.float], "input")
        let xs = x.floats
        var low: Float = 0
        var high: Float = 0
        for v in xs {
            low = Swift.min(low, v)
            high = Swift.max(high, v)
        }
        let scale = (high - low) / 255
        let zp = scale == 0 ? 0 : Swift.min(Swift.max((0 - low / scale).roundedHalfEven, 0), 255)
        let y = try context.allocate(.uint8, x.shape)
        let py = y.elements(UInt8.self)
        for i in 0..<x.count {
            let q = scale == 0 ? zp : (xs[i] / scale).roundedHalfEven + zp
            py[i] = UInt8(Swift.min(Swift.max(q, 0), 255))
        }
        let s = RuntimeTensor.float32([], [scale])
        let z = try context.allocate(.uint8, [])
        z.raw.storeBytes(of: UInt8(zp), as: UInt8.self)
        return [y, s, z]
    }
}

/// MatMulInteger: int32 (A - a_zero_point) @ (B - b_zero_point), exact, with numpy batching.
final class MatMulIntegerKernel: Kernel {
    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let a = try Require.input(inputs, 0)
        let b = try Require.input(inputs, 1)
        let azp = inputs.count > 2 ? inputs[2] : nil
        let bzp = inputs.count > 3 ? inputs[3] : nil
        let shapes = try IntegerMatMul.shapes(a.shape, b.shape)
        let out = try context.allocate(.int32, shapes.output)
        let (m, k, n) = (shapes.m, shapes.k, shapes.n)
        let po = out.elements(Int32.self)
        var av = [Int32](repeating: 0, count: m * k)
        var bv = [Int32](repeating: 0, count: k * n)
        for batch in 0..<shapes.batch {
            let aBase = shapes.aOffset(batch) * m * k
            let bBase = shapes.bOffset(batch) * k * n
            for i in 0..<m {
                let z = azp.map { QuantizedElements.load($0, $0.count == 1 ? 0 : i) } ?? 0
                for p in 0..<k { av[i * k + p] = QuantizedElements.load(a, aBase + i * k + p) - z }
            }
            for p in 0..<k {
                for j in 0..<n {
                    let z = bzp.map { QuantizedElements.load($0, $0.count == 1 ? 0 : j) } ?? 0
                    bv[p * n + j] = QuantizedElements.load(b, bBase + p * n + j) - z
                }
            }
            let oBase = batch * m * n
            for i in 0..<m {
                for j in 0..<n { po[oBase + i * n + j] = 0 }
                for p in 0..<k {
                    let x = av[i * k + p]
                    if x == 0 { continue }
                    for j in 0..<n { po[oBase + i * n + j] &+= x &* bv[p * n + j] }
                }
            }
        }
        return [out]
    }
}

/// Shapes for integer matmuls with numpy batch broadcasting (A [..., M, K] @ B [..., K, N]).
struct IntegerMatMul {
    let m: Int, k: Int, n: Int
    let batch: Int
    let output: [Int]
    let aBatchShape: [Int], bBatchShape: [Int], batchShape: [Int]

    static func shapes(_ a: [Int], _ b: [Int]) throws -> IntegerMatMul {
        guard a.count >= 2, b.count >= 2 else { throw KernelFailure("MatMulInteger needs inputs of rank 2 or more, got \(a) and \(b)") }
        let (m, k) = (a[a.count - 2], a[a.count - 1])
        let (k2, n) = (b[b.count - 2], b[b.count - 1])
        guard k == k2 else { throw KernelFailure("inner dimensions differ: \(a) @ \(b)") }
        let ab = Array(a.dropLast(2))
        let bb = Array(b.dropLast(2))
        guard let batchShape = Broadcasting.shape([ab, bb]) else { throw KernelFailure("batch dimensions do not broadcast: \(a) @ \(b)") }
        return IntegerMatMul(
            m: m, k: k, n: n, batch: batchShape.reduce(1, *), output: batchShape + [m, n], aBatchShape: ab, bBatchShape: bb,
            batchShape: batchShape)
    }

    func aOffset(_ batch: Int) -> Int { Self.offset(batch, batchShape, aBatchShape) }
    func bOffset(_ batch: Int) -> Int { Self.offset(batch, batchShape, bBatchShape) }

    private static func offset(_ index: Int, _ full: [Int], _ own: [Int]) -> Int {
        let strides = Broadcasting.strides(of: own, in: full)
        var rest = index
        var result = 0
        for d in stride(from: full.count - 1, through: 0, by: -1) {
            result += (rest % full[d]) * strides[d]
            rest /= full[d]
        }
        return result
    }
}

enum QuantizationKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("QuantizeLinear", since: 10) { try QuantizeLinearKernel($0) },
        KernelDescriptor("DequantizeLinear", since: 10) { try DequantizeLinearKernel($0) },
        KernelDescriptor("DynamicQuantizeLinear", since: 11) { _ in DynamicQuantizeLinearKernel() },
        KernelDescriptor("MatMulInteger", since: 10) { _ in MatMulIntegerKernel() },
    ]
}

/// QLinearMatMul: the exact int32 product of the zero-point-shifted operands, rescaled by
/// a_scale * b_scale / y_scale (per row of A / per column of B when given per axis) and
/// re-quantized to y's type.
final class QLinearMatMulKernel: Kernel {
    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let a = try Require.input(inputs, 0), aScale = try Require.input(inputs, 1), aZero = inputs[2]
        let b = try Require.input(inputs, 3), bScale = try Require.input(inputs, 4), bZero = inputs[5]
        let yScale = try Require.input(inputs, 6), yZero = inputs.count > 7 ? inputs[7] : nil
        let acc = try MatMulIntegerKernel().run([a, b, aZero, bZero], context)[0]!
        let shapes = try IntegerMatMul.shapes(a.shape, b.shape)
        let type = yZero?.dataType ?? a.dataType
        let (low, high) = try QuantizedElements.range(type)
        let sa = try aScale.floatValues(), sb = try bScale.floatValues(), sy = try yScale.floatValues()[0]
        let zy = yZero.map { Float(QuantizedElements.load($0, 0)) } ?? 0
        let out = try context.allocate(type, acc.shape)
        let values = acc.elements(Int32.self)
        let (m, n) = (shapes.m, shapes.n)
        for i in 0..<acc.count {
            let row = (i / n) % m
            let column = i % n
            let scale = sa[sa.count == 1 ? 0 : row] * sb[sb.count == 1 ? 0 : column] / sy
            let q = (Float(values[i]) * scale).roundedHalfEven + zy
            QuantizedElements.store(out, i, Int32(Swift.min(Swift.max(q, low), high)))
        }
        return [out]
    }
}

extension QuantizationKernels {
    static let matmulKernels: [KernelDescriptor] = [
        KernelDescriptor("QLinearMatMul", since: 10) { _ in QLinearMatMulKernel() }
    ]
}
