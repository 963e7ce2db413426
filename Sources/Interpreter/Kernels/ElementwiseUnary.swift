import CVectorMath
import Foundation
import ONNXIR

/// One-input elementwise math: activations (Relu, Sigmoid, Gelu, Elu, ...), exp/log/roots,
/// rounding and trigonometry. float32 and float64 compute natively, float16/bfloat16 through
/// float32; Relu, Abs, Neg and Sign also take the integer types.
final class UnaryKernel: Kernel {
    enum Op {
        case relu, sigmoid, tanh, exp, log, sqrt, reciprocal, neg, abs, sign, floor, ceil, round, erf
        case sin, cos, tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh
        case softplus, softsign, mish, hardSwish, geluErf, geluTanh
        case leakyRelu(alpha: Float)
        case hardSigmoid(alpha: Float, beta: Float)
        case elu(alpha: Float)
        case selu(alpha: Float, gamma: Float)
        case celu(alpha: Float)
        case thresholdedRelu(alpha: Float)
        /// x * sigmoid(alpha * x): Swish and com.microsoft QuickGelu.
        case swish(alpha: Float)
        case shrink(lambda: Float, bias: Float)

        /// Ops defined on the integer types too.
        var acceptsIntegers: Bool {
            switch self {
            case .relu, .abs, .neg, .sign: true
            default: false
            }
        }
    }

    let op: Op

    init(_ op: Op) { self.op = op }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        switch x.dataType {
        case .float: return [try compute(x, Float.self, context)]
        case .double: return [try compute(x, Double.self, context)]
        case .float16, .bfloat16:
            let result = try compute(try CastKernel.convert(x, to: .float, saturate: true, context), Float.self, context)
            return [try CastKernel.convert(result, to: x.dataType, saturate: true, context)]
        case .int8 where op.acceptsIntegers: return [try integer(x, Int8.self, context)]
        case .int16 where op.acceptsIntegers: return [try integer(x, Int16.self, context)]
        case .int32 where op.acceptsIntegers: return [try integer(x, Int32.self, context)]
        case .int64 where op.acceptsIntegers: return [try integer(x, Int64.self, context)]
        case .uint8 where op.acceptsIntegers: return [try integer(x, UInt8.self, context)]
        case .uint16 where op.acceptsIntegers: return [try integer(x, UInt16.self, context)]
        case .uint32 where op.acceptsIntegers: return [try integer(x, UInt32.self, context)]
        case .uint64 where op.acceptsIntegers: return [try integer(x, UInt64.self, context)]
        default: throw KernelFailure("input type \(x.dataType.name) is not supported")
        }
    }

    /// Applies `f` to `range` of `src` into `dst`; inlined into each case so every op gets its own
    /// tight loop.
    @inline(__always)
    private static func map<T>(
        _ src: UnsafeMutablePointer<T>, _ dst: UnsafeMutablePointer<T>, _ range: Range<Int>, _ f: (T) -> T
    ) {
        for i in range { dst[i] = f(src[i]) }
    }

    private func compute<T: FloatMath>(_ x: RuntimeTensor, _: T.Type, _ context: ExecutionContext) throws -> RuntimeTensor {
        let out = try context.allocate(x.dataType, x.shape)
        let src = x.raw.assumingMemoryBound(to: T.self)
        let dst = out.raw.assumingMemoryBound(to: T.self)
        let op = self.op
        if T.self == Float.self {
            let (s, d) = (x.floats.baseAddress!, out.floats.baseAddress!)
            context.parallelFor(x.count, grain: 16384) { range in Self.applyFloat(op, s, d, range) }
        } else {
            context.parallelFor(x.count, grain: 16384) { range in Self.apply(op, src, dst, range) }
        }
        return out
    }

    /// float32: the SIMD forms of the transcendental activations, the scalar loop otherwise.
    static func applyFloat(_ op: Op, _ src: UnsafeMutablePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ r: Range<Int>) {
        switch op {
        case .exp: VectorMath.map(src, dst, r) { VectorMath.exp($0) }
        case .sigmoid:
            if whittle_sigmoid_f32(src + r.lowerBound, dst + r.lowerBound, r.count, 1, 0) == 0 {
                VectorMath.map(src, dst, r) { VectorMath.sigmoid($0) }
            }
        case .tanh:
            if whittle_tanh_f32(src + r.lowerBound, dst + r.lowerBound, r.count) == 0 {
                VectorMath.map(src, dst, r) { VectorMath.tanh($0) }
            }
        case .erf:
            if whittle_erf_f32(src + r.lowerBound, dst + r.lowerBound, r.count) == 0 {
                VectorMath.map(src, dst, r) { VectorMath.erf($0) }
            }
        case .geluErf: VectorMath.map(src, dst, r) { v in 0.5 * v * (1 + VectorMath.erf(v * 0.707_106_78)) }
        case .geluTanh:
            VectorMath.map(src, dst, r) { v in 0.5 * v * (1 + VectorMath.tanh(0.797_884_56 * (v + 0.044_715 * v * v * v))) }
        case .swish(let alpha):
            if whittle_sigmoid_f32(src + r.lowerBound, dst + r.lowerBound, r.count, alpha, 1) == 0 {
                VectorMath.map(src, dst, r) { v in v * VectorMath.sigmoid(alpha * v) }
            }
        default: apply(op, src, dst, r)
        }
    }

    // One switch per chunk, one loop per op.
    static func apply<T: FloatMath>(_ op: Op, _ src: UnsafeMutablePointer<T>, _ dst: UnsafeMutablePointer<T>, _ r: Range<Int>) {
        switch op {
        case .relu: map(src, dst, r) { $0 < 0 ? 0 : $0 }
        case .sigmoid: map(src, dst, r) { sigmoid($0) }
        case .tanh: map(src, dst, r) { T.hyperbolicTangent($0) }
        case .exp: map(src, dst, r) { T.exponential($0) }
        case .log: map(src, dst, r) { T.logarithm($0) }
        case .sqrt: map(src, dst, r) { $0.squareRoot() }
        case .reciprocal: map(src, dst, r) { 1 / $0 }
        case .neg: map(src, dst, r) { -$0 }
        case .abs: map(src, dst, r) { Swift.abs($0) }
        case .sign: map(src, dst, r) { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) }
        case .floor: map(src, dst, r) { $0.rounded(.down) }
        case .ceil: map(src, dst, r) { $0.rounded(.up) }
        case .round: map(src, dst, r) { $0.rounded(.toNearestOrEven) }
        case .erf: map(src, dst, r) { T.errorFunction($0) }
        case .sin: map(src, dst, r) { T.sine($0) }
        case .cos: map(src, dst, r) { T.cosine($0) }
        case .tan: map(src, dst, r) { T.tangent($0) }
        case .asin: map(src, dst, r) { T.arcSine($0) }
        case .acos: map(src, dst, r) { T.arcCosine($0) }
        case .atan: map(src, dst, r) { T.arcTangent($0) }
        case .sinh: map(src, dst, r) { T.hyperbolicSine($0) }
        case .cosh: map(src, dst, r) { T.hyperbolicCosine($0) }
        case .asinh: map(src, dst, r) { T.hyperbolicArcSine($0) }
        case .acosh: map(src, dst, r) { T.hyperbolicArcCosine($0) }
        case .atanh: map(src, dst, r) { T.hyperbolicArcTangent($0) }
        case .softplus: map(src, dst, r) { softplus($0) }
        case .softsign: map(src, dst, r) { $0 / (1 + Swift.abs($0)) }
        case .mish: map(src, dst, r) { $0 * T.hyperbolicTangent(softplus($0)) }
        case .hardSwish: map(src, dst, r) { $0 * Swift.max(0, Swift.min(1, $0 / 6 + 0.5)) }
        case .geluErf:
            let invSqrt2 = T(0.70710678118654752440)
            map(src, dst, r) { 0.5 * $0 * (1 + T.errorFunction($0 * invSqrt2)) }
        case .geluTanh:
            let sqrt2OverPi = T(0.79788456080286535588)
            map(src, dst, r) { x in 0.5 * x * (1 + T.hyperbolicTangent(sqrt2OverPi * (x + T(0.044715) * x * x * x))) }
        case .leakyRelu(let alpha):
            let a = T(alpha)
            map(src, dst, r) { $0 < 0 ? a * $0 : $0 }
        case .hardSigmoid(let alpha, let beta):
            let (a, b) = (T(alpha), T(beta))
            map(src, dst, r) { Swift.max(0, Swift.min(1, a * $0 + b)) }
        case .elu(let alpha):
            let a = T(alpha)
            map(src, dst, r) { $0 < 0 ? a * T.exponentialMinusOne($0) : $0 }
        case .selu(let alpha, let gamma):
            let (a, g) = (T(alpha), T(gamma))
            map(src, dst, r) { $0 > 0 ? g * $0 : g * a * T.exponentialMinusOne($0) }
        case .celu(let alpha):
            let a = T(alpha)
            map(src, dst, r) { Swift.max(0, $0) + Swift.min(0, a * T.exponentialMinusOne($0 / a)) }
        case .thresholdedRelu(let alpha):
            let a = T(alpha)
            map(src, dst, r) { $0 > a ? $0 : 0 }
        case .swish(let alpha):
            let a = T(alpha)
            map(src, dst, r) { $0 * sigmoid(a * $0) }
        case .shrink(let lambda, let bias):
            let (l, b) = (T(lambda), T(bias))
            map(src, dst, r) { $0 < -l ? $0 + b : ($0 > l ? $0 - b : 0) }
        }
    }

    /// 1 / (1 + e^-x) without overflow for large |x|.
    @inline(__always)
    static func sigmoid<T: FloatMath>(_ x: T) -> T {
        if x >= 0 { return 1 / (1 + T.exponential(-x)) }
        let e = T.exponential(x)
        return e / (1 + e)
    }

    /// log(1 + e^x) without overflow for large x.
    @inline(__always)
    static func softplus<T: FloatMath>(_ x: T) -> T {
        Swift.max(x, 0) + T.logarithmOnePlus(T.exponential(-Swift.abs(x)))
    }

    private func integer<T: FixedWidthInteger>(_ x: RuntimeTensor, _: T.Type, _ context: ExecutionContext) throws -> RuntimeTensor {
        let out = try context.allocate(x.dataType, x.shape)
        let src = x.raw.assumingMemoryBound(to: T.self)
        let dst = out.raw.assumingMemoryBound(to: T.self)
        let r = 0..<x.count
        switch op {
        case .relu: Self.map(src, dst, r) { $0 < 0 ? 0 : $0 }
        case .abs: Self.map(src, dst, r) { $0 < 0 ? 0 &- $0 : $0 }
        case .neg: Self.map(src, dst, r) { 0 &- $0 }
        case .sign: Self.map(src, dst, r) { $0 > 0 ? 1 : ($0 == 0 ? 0 : 0 &- 1) }
        default: throw KernelFailure("input type \(x.dataType.name) is not supported")
        }
        return out
    }
}

/// Not (bool) and BitwiseNot (integers).
final class NotKernel: Kernel {
    let isBitwise: Bool
    init(bitwise: Bool) { isBitwise = bitwise }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        if !isBitwise { try Require.type(x, [.bool], "input") }
        guard x.dataType == .bool || (x.dataType.isInteger && !x.dataType.isSubByte), let bits = x.dataType.bitWidth else {
            throw KernelFailure("input type \(x.dataType.name) is not supported")
        }
        let out = try context.allocate(x.dataType, x.shape)
        let bytes = x.count * bits / 8
        let src = x.raw.assumingMemoryBound(to: UInt8.self)
        let dst = out.raw.assumingMemoryBound(to: UInt8.self)
        if isBitwise {
            for i in 0..<bytes { dst[i] = ~src[i] }
        } else {
            for i in 0..<bytes { dst[i] = src[i] == 0 ? 1 : 0 }
        }
        return [out]
    }
}

/// IsNaN and IsInf: a boolean mask of float elements.
final class FloatClassKernel: Kernel {
    enum Test { case nan, infinite(negative: Bool, positive: Bool) }
    let test: Test
    init(_ test: Test) { self.test = test }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        var x = try Require.input(inputs, 0)
        guard x.dataType.isFloatingPoint else { throw KernelFailure("input type \(x.dataType.name) is not supported") }
        let out = try context.allocate(.bool, x.shape)
        let dst = out.raw.assumingMemoryBound(to: UInt8.self)
        if x.dataType == .double {
            let src = x.raw.assumingMemoryBound(to: Double.self)
            classify(src, dst, x.count)
            return [out]
        }
        // Every other float type (float16, bfloat16, the float8 family) widens exactly to float32.
        if x.dataType != .float { x = try HalfPrecision.widen(x, context) }
        classify(x.raw.assumingMemoryBound(to: Float.self), dst, x.count)
        return [out]
    }

    private func classify<T: BinaryFloatingPoint>(_ src: UnsafeMutablePointer<T>, _ dst: UnsafeMutablePointer<UInt8>, _ n: Int) {
        switch test {
        case .nan: for i in 0..<n { dst[i] = src[i].isNaN ? 1 : 0 }
        case .infinite(let negative, let positive):
            for i in 0..<n {
                let v = src[i]
                dst[i] = v.isInfinite && ((v < 0 && negative) || (v > 0 && positive)) ? 1 : 0
            }
        }
    }
}

enum ElementwiseUnaryKernels {
    private static func unary(_ name: String, _ op: UnaryKernel.Op, domain: String = "", since: Int = 1) -> KernelDescriptor {
        KernelDescriptor(name, domain: domain, since: since) { _ in UnaryKernel(op) }
    }

    static let kernels: [KernelDescriptor] = [
        unary("Relu", .relu), unary("Sigmoid", .sigmoid), unary("Tanh", .tanh), unary("Exp", .exp), unary("Log", .log),
        unary("Sqrt", .sqrt), unary("Reciprocal", .reciprocal), unary("Neg", .neg), unary("Abs", .abs),
        unary("Sign", .sign, since: 9), unary("Floor", .floor), unary("Ceil", .ceil), unary("Round", .round, since: 11),
        unary("Erf", .erf, since: 9), unary("Sin", .sin, since: 7), unary("Cos", .cos, since: 7), unary("Tan", .tan, since: 7),
        unary("Asin", .asin, since: 7), unary("Acos", .acos, since: 7), unary("Atan", .atan, since: 7),
        unary("Sinh", .sinh, since: 9), unary("Cosh", .cosh, since: 9), unary("Asinh", .asinh, since: 9),
        unary("Acosh", .acosh, since: 9), unary("Atanh", .atanh, since: 9),
        unary("Softplus", .softplus), unary("Softsign", .softsign), unary("Mish", .mish, since: 18),
        unary("HardSwish", .hardSwish, since: 14),
        KernelDescriptor("Gelu", since: 20) { ctx in
            switch try ctx.string("approximate", default: "none") {
            case "none": return UnaryKernel(.geluErf)
            case "tanh": return UnaryKernel(.geluTanh)
            case let other: throw ctx.fail("unknown approximate '\(other)' (expected none or tanh)")
            }
        },
        KernelDescriptor("LeakyRelu") { UnaryKernel(.leakyRelu(alpha: try $0.float("alpha", default: 0.01))) },
        KernelDescriptor("HardSigmoid") {
            UnaryKernel(.hardSigmoid(alpha: try $0.float("alpha", default: 0.2), beta: try $0.float("beta", default: 0.5)))
        },
        KernelDescriptor("Elu") { UnaryKernel(.elu(alpha: try $0.float("alpha", default: 1))) },
        KernelDescriptor("Selu") {
            UnaryKernel(
                .selu(
                    alpha: try $0.float("alpha", default: 1.67326319217681884765625),
                    gamma: try $0.float("gamma", default: 1.05070102214813232421875)))
        },
        KernelDescriptor("Celu", since: 12) { UnaryKernel(.celu(alpha: try $0.float("alpha", default: 1))) },
        KernelDescriptor("ThresholdedRelu", since: 10) { UnaryKernel(.thresholdedRelu(alpha: try $0.float("alpha", default: 1))) },
        KernelDescriptor("Shrink", since: 9) {
            UnaryKernel(.shrink(lambda: try $0.float("lambd", default: 0.5), bias: try $0.float("bias", default: 0)))
        },
        KernelDescriptor("Swish", since: 24) { UnaryKernel(.swish(alpha: try $0.float("alpha", default: 1))) },
        KernelDescriptor("Not") { _ in NotKernel(bitwise: false) },
        KernelDescriptor("BitwiseNot", since: 18) { _ in NotKernel(bitwise: true) },
        KernelDescriptor("IsNaN", since: 9) { _ in FloatClassKernel(.nan) },
        KernelDescriptor("IsInf", since: 10) {
            FloatClassKernel(
                .infinite(
                    negative: try $0.int("detect_negative", default: 1) != 0, positive: try $0.int("detect_positive", default: 1) != 0))
        },
        KernelDescriptor("Clip") { try ClipKernel($0) },
        KernelDescriptor("Where", since: 9) { _ in WhereKernel() },
        KernelDescriptor("PRelu") { _ in PReluKernel() },
        // com.microsoft activations (onnxruntime contrib ops).
        unary("Gelu", .geluErf, domain: "com.microsoft"),
        KernelDescriptor("QuickGelu", domain: "com.microsoft") { UnaryKernel(.swish(alpha: try $0.float("alpha", default: 1.702))) },
        KernelDescriptor("FastGelu", domain: "com.microsoft") { _ in BiasGeluKernel(.geluTanh) },
        KernelDescriptor("BiasGelu", domain: "com.microsoft") { _ in BiasGeluKernel(.geluErf) },
    ]
}
