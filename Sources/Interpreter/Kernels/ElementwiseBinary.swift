import Foundation
import ONNXIR

/// Broadcasting binary ops: arithmetic (Add Sub Mul Div Pow Max Min Mod Sum Mean), comparisons
/// (Equal Less Greater LessOrEqual GreaterOrEqual) and logic (And Or Xor), over float, double and
/// the integer types. Variadic Sum/Max/Min/Mean fold pairwise.
final class BinaryKernel: Kernel, ActivationAbsorbing {
    enum Op {
        case add, sub, mul, div, pow, max, min, mod, fmod, equal, less, greater, lessOrEqual, greaterOrEqual, and, or, xor, bitShiftLeft,
            bitShiftRight, bitAnd, bitOr, bitXor
    }
    let op: Op
    let isVariadicMean: Bool
    /// A Relu the planner fused after this node (two float inputs; see ActivationFusion).
    var activation: FusedActivation?

    init(_ op: Op, mean: Bool = false) {
        self.op = op
        self.isVariadicMean = mean
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let present = inputs.compactMap { $0 }
        guard var acc = present.first else { throw KernelFailure("needs at least one input") }
        if present.count == 1 && inputs.count == 1 && isVariadicMean == false && [.add, .max, .min].contains(op) {
            return [acc]
        }
        if let activation, present.count == 2, inputs.count == 2 {
            return [try apply(acc, present[1], context, then: activation)]
        }
        for next in present.dropFirst() { acc = try apply(acc, next, context) }
        if isVariadicMean && present.count > 1 {
            let n = Float(present.count)
            let out = try context.allocate(acc.dataType, acc.shape)
            guard acc.dataType == .float else { throw KernelFailure("Mean supports float32 only") }
            for i in 0..<acc.count { out.floats[i] = acc.floats[i] / n }
            return [out]
        }
        return [acc]
    }

    /// The op followed by a fused activation: inside float32's loop, else by the activation's
    /// own kernel.
    private func apply(
        _ a: RuntimeTensor, _ b: RuntimeTensor, _ context: ExecutionContext, then activation: FusedActivation
    ) throws -> RuntimeTensor {
        if a.dataType == .float, b.dataType == .float, let arithmetic = FloatArithmetic.op(op),
            let shape = Broadcasting.shape([a.shape, b.shape])
        {
            let out = try context.allocate(.float, shape)
            FloatArithmetic.run(arithmetic, a, b, out, context, activation: activation)
            return out
        }
        let result = try apply(a, b, context)
        guard case .unary(let unary) = activation, let activated = try UnaryKernel(unary).run([result], context).first ?? nil else {
            throw KernelFailure("internal: only unary activations fuse after \(op)")
        }
        return activated
    }

    private func apply(_ a: RuntimeTensor, _ b: RuntimeTensor, _ context: ExecutionContext) throws -> RuntimeTensor {
        if op == .pow && a.dataType != b.dataType {
            // Pow allows an exponent of another numeric type: bring it to the base's type.
            return try apply(a, try HalfPrecision.convert(b, to: a.dataType, context), context)
        }
        if a.dataType == .float16 || a.dataType == .bfloat16, a.dataType == b.dataType {
            // Computed in float32, stored back in the input's precision.
            let result = try apply(try HalfPrecision.widen(a, context), try HalfPrecision.widen(b, context), context)
            return result.dataType == .float ? try HalfPrecision.narrow(result, to: a.dataType, context) : result
        }
        if a.dataType == .string && b.dataType == .string && op == .equal {
            return try stringEquality(a, b, context)
        }
        guard a.dataType == b.dataType else {
            throw KernelFailure("inputs have different types (\(a.dataType.name) and \(b.dataType.name))")
        }
        guard let shape = Broadcasting.shape([a.shape, b.shape]) else {
            throw KernelFailure("shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        if [.bitShiftLeft, .bitShiftRight, .bitAnd, .bitOr, .bitXor].contains(op) && !a.dataType.isInteger {
            throw KernelFailure("bitwise ops need integer inputs, got \(a.dataType.name)")
        }
        let isComparison = [.equal, .less, .greater, .lessOrEqual, .greaterOrEqual].contains(op)
        let isLogic = [.and, .or, .xor].contains(op)
        let out = try context.allocate(isComparison || isLogic ? .bool : a.dataType, shape)
        if isLogic {
            try Require.type(a, [.bool], "input")
            let f: (UInt8, UInt8) -> UInt8 =
                switch op {
                case .and: { $0 & $1 }
                case .or: { $0 | $1 }
                default: { $0 ^ $1 }
                }
            Self.map(a, b, out, UInt8.self, UInt8.self, f)
            return out
        }
        if a.dataType == .float, let arithmetic = FloatArithmetic.op(op) {
            FloatArithmetic.run(arithmetic, a, b, out, context)
            return out
        }
        switch a.dataType {
        case .float: try dispatch(a, b, out, Float.self, float: true)
        case .double: try dispatch(a, b, out, Double.self, float: true)
        case .int64: try dispatch(a, b, out, Int64.self)
        case .int32: try dispatch(a, b, out, Int32.self)
        case .int16: try dispatch(a, b, out, Int16.self)
        case .int8: try dispatch(a, b, out, Int8.self)
        case .uint8, .bool: try dispatch(a, b, out, UInt8.self)
        case .uint16: try dispatch(a, b, out, UInt16.self)
        case .uint32: try dispatch(a, b, out, UInt32.self)
        case .uint64: try dispatch(a, b, out, UInt64.self)
        default: throw KernelFailure("type \(a.dataType.name) is not supported")
        }
        return out
    }

    private func dispatch<T: Numeric & Comparable>(
        _ a: RuntimeTensor, _ b: RuntimeTensor, _ out: RuntimeTensor, _: T.Type, float: Bool = false
    ) throws {
        switch op {
        case .equal: Self.map(a, b, out, T.self, UInt8.self) { $0 == $1 ? 1 : 0 }
        case .less: Self.map(a, b, out, T.self, UInt8.self) { $0 < $1 ? 1 : 0 }
        case .greater: Self.map(a, b, out, T.self, UInt8.self) { $0 > $1 ? 1 : 0 }
        case .lessOrEqual: Self.map(a, b, out, T.self, UInt8.self) { $0 <= $1 ? 1 : 0 }
        case .greaterOrEqual: Self.map(a, b, out, T.self, UInt8.self) { $0 >= $1 ? 1 : 0 }
        case .add: Self.map(a, b, out, T.self, T.self) { $0 + $1 }
        case .sub: Self.map(a, b, out, T.self, T.self) { $0 - $1 }
        case .mul: Self.map(a, b, out, T.self, T.self) { $0 * $1 }
        case .max: Self.map(a, b, out, T.self, T.self) { Swift.max($0, $1) }
        case .min: Self.map(a, b, out, T.self, T.self) { Swift.min($0, $1) }
        case .div, .pow, .mod, .fmod, .bitShiftLeft, .bitShiftRight, .bitAnd, .bitOr, .bitXor:
            try divisionLike(a, b, out, T.self)
        default: throw KernelFailure("unsupported op")
        }
    }

    private func divisionLike<T>(_ a: RuntimeTensor, _ b: RuntimeTensor, _ out: RuntimeTensor, _: T.Type) throws {
        switch a.dataType {
        case .float:
            switch op {
            case .div: Self.map(a, b, out, Float.self, Float.self) { $0 / $1 }
            case .pow: Self.map(a, b, out, Float.self, Float.self) { Foundation.pow($0, $1) }
            case .mod, .fmod:
                let isFmod = op == .fmod
                Self.map(a, b, out, Float.self, Float.self) { x, y in
                    let r = fmodf(x, y)
                    return isFmod || r == 0 || (r < 0) == (y < 0) ? r : r + y
                }
            default: throw KernelFailure("bit shifts need unsigned integers")
            }
        case .double:
            switch op {
            case .div: Self.map(a, b, out, Double.self, Double.self) { $0 / $1 }
            case .pow: Self.map(a, b, out, Double.self, Double.self) { Foundation.pow($0, $1) }
            default:
                let isFmod = op == .fmod
                Self.map(a, b, out, Double.self, Double.self) { x, y in
                    let r = Foundation.fmod(x, y)
                    return isFmod || r == 0 || (r < 0) == (y < 0) ? r : r + y
                }
            }
        case .int64: try integerDivision(a, b, out, Int64.self)
        case .int32: try integerDivision(a, b, out, Int32.self)
        case .int16: try integerDivision(a, b, out, Int16.self)
        case .int8: try integerDivision(a, b, out, Int8.self)
        case .uint8: try integerDivision(a, b, out, UInt8.self)
        case .uint16: try integerDivision(a, b, out, UInt16.self)
        case .uint32: try integerDivision(a, b, out, UInt32.self)
        case .uint64: try integerDivision(a, b, out, UInt64.self)
        default: throw KernelFailure("type \(a.dataType.name) is not supported")
        }
    }

    private func integerDivision<T: FixedWidthInteger>(_ a: RuntimeTensor, _ b: RuntimeTensor, _ out: RuntimeTensor, _: T.Type) throws {
        var divideByZero = false
        switch op {
        case .div:
            Self.map(a, b, out, T.self, T.self) { x, y in
                if y == 0 { divideByZero = true; return 0 }
                return x.dividedReportingOverflow(by: y).partialValue
            }
        case .mod:
            Self.map(a, b, out, T.self, T.self) { x, y in
                if y == 0 { divideByZero = true; return 0 }
                let r = x.remainderReportingOverflow(dividingBy: y).partialValue
                return r != 0 && (r < 0) != (y < 0) ? r &+ y : r
            }
        case .fmod:
            Self.map(a, b, out, T.self, T.self) { x, y in
                if y == 0 { divideByZero = true; return 0 }
                return x.remainderReportingOverflow(dividingBy: y).partialValue
            }
        case .pow:
            Self.map(a, b, out, T.self, T.self) { x, y in T(truncatingIfNeeded: Int64(Foundation.pow(Double(x), Double(y)))) }
        // Shift amounts outside [0, bit width) shift every bit out (the reference's rule; C leaves
        // them undefined): 0, or -1 for a right shift of a negative value. Swift's `<<` and `>>`
        // would reverse direction on negative amounts, hence the explicit checks.
        case .bitShiftLeft:
            Self.map(a, b, out, T.self, T.self) { x, y in y < 0 || y >= T.bitWidth ? 0 : x &<< y }
        case .bitShiftRight:
            Self.map(a, b, out, T.self, T.self) { x, y in y < 0 ? (x < 0 ? ~0 : 0) : x >> y }
        case .bitAnd: Self.map(a, b, out, T.self, T.self) { $0 & $1 }
        case .bitOr: Self.map(a, b, out, T.self, T.self) { $0 | $1 }
        case .bitXor: Self.map(a, b, out, T.self, T.self) { $0 ^ $1 }
        default: throw KernelFailure("unsupported op")
        }
        if divideByZero { throw KernelFailure("integer division by zero") }
    }

    private func stringEquality(_ a: RuntimeTensor, _ b: RuntimeTensor, _ context: ExecutionContext) throws -> RuntimeTensor {
        guard let shape = Broadcasting.shape([a.shape, b.shape]), let sa = a.strings, let sb = b.strings else {
            throw KernelFailure("shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        let out = try context.allocate(.bool, shape)
        let po = out.raw.assumingMemoryBound(to: UInt8.self)
        Broadcasting.forEachRow(outShape: shape, inputShapes: [a.shape, b.shape]) { o, offsets, strides, n in
            for i in 0..<n { po[o + i] = sa[offsets[0] + i * strides[0]] == sb[offsets[1] + i * strides[1]] ? 1 : 0 }
        }
        return out
    }

    /// out[i] = f(a[ia], b[ib]) with broadcasting; a flat loop when shapes agree.
    @inline(__always)
    static func map<T, R>(_ a: RuntimeTensor, _ b: RuntimeTensor, _ out: RuntimeTensor, _: T.Type, _: R.Type, _ f: (T, T) -> R) {
        let pa = a.raw.assumingMemoryBound(to: T.self)
        let pb = b.raw.assumingMemoryBound(to: T.self)
        let po = out.raw.assumingMemoryBound(to: R.self)
        if a.shape == b.shape {
            for i in 0..<out.count { po[i] = f(pa[i], pb[i]) }
            return
        }
        if b.count == 1 {
            let s = pb[0]
            for i in 0..<out.count { po[i] = f(pa[i], s) }
            return
        }
        if a.count == 1 {
            let s = pa[0]
            for i in 0..<out.count { po[i] = f(s, pb[i]) }
            return
        }
        // Merged dims give long rows; rows with unit or zero strides get loops the compiler
        // vectorizes (a per-channel scale over [N, C, H, W] is C rows of H*W against one value).
        let (shape, shapes) = Broadcasting.coalesced(outShape: out.shape, inputShapes: [a.shape, b.shape])
        Broadcasting.forEachRow(outShape: shape, inputShapes: shapes) { o, offsets, strides, n in
            let x = pa + offsets[0], y = pb + offsets[1], z = po + o
            switch (strides[0], strides[1]) {
            case (1, 1):
                for i in 0..<n { z[i] = f(x[i], y[i]) }
            case (1, 0):
                let v = y[0]
                for i in 0..<n { z[i] = f(x[i], v) }
            case (0, 1):
                let v = x[0]
                for i in 0..<n { z[i] = f(v, y[i]) }
            case let (sa, sb):
                for i in 0..<n { z[i] = f(x[i * sa], y[i * sb]) }
            }
        }
    }
}

enum ElementwiseBinaryKernels {
    static func binary(_ op: String, _ kind: BinaryKernel.Op, since: Int = 1) -> KernelDescriptor {
        KernelDescriptor(op, since: since) { _ in BinaryKernel(kind) }
    }

    static let kernels: [KernelDescriptor] = [
        binary("Add", .add), binary("Sub", .sub), binary("Mul", .mul), binary("Div", .div), binary("Pow", .pow),
        binary("Max", .max), binary("Min", .min), binary("Sum", .add),
        KernelDescriptor("Mean") { _ in BinaryKernel(.add, mean: true) },
        KernelDescriptor("Mod", since: 10) { ctx in BinaryKernel(try ctx.int("fmod", default: 0) == 1 ? .fmod : .mod) },
        binary("Equal", .equal), binary("Less", .less), binary("Greater", .greater),
        binary("LessOrEqual", .lessOrEqual, since: 12), binary("GreaterOrEqual", .greaterOrEqual, since: 12),
        binary("And", .and), binary("Or", .or), binary("Xor", .xor),
        binary("BitwiseAnd", .bitAnd, since: 18), binary("BitwiseOr", .bitOr, since: 18), binary("BitwiseXor", .bitXor, since: 18),
        KernelDescriptor("BitShift", since: 11) { ctx in
            BinaryKernel(try ctx.string("direction", default: "LEFT") == "LEFT" ? .bitShiftLeft : .bitShiftRight)
        },
    ]
}
