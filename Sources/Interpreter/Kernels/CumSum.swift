import ONNXIR

/// CumSum and CumProd (opset 26) along the axis given as a scalar input; `exclusive` leaves out
/// the element itself (starting from 0 or 1), `reverse` runs from the end. Rows of the inner
/// dimensions accumulate as contiguous vectors.
final class CumSumKernel: Kernel {
    let isExclusive: Bool
    let isReverse: Bool
    let isProduct: Bool

    init(_ ctx: KernelBuildContext, product: Bool = false) throws {
        isProduct = product
        isExclusive = try ctx.int("exclusive", default: 0) != 0
        isReverse = try ctx.int("reverse", default: 0) != 0
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        guard let axis = try Require.input(inputs, 1, "axis").intValues().first else { throw KernelFailure("axis is empty") }
        let a = try Axis.normalize(axis, rank: x.rank)
        switch x.dataType {
        case .float: return [try accumulate(x, Float.self, a, context)]
        case .double: return [try accumulate(x, Double.self, a, context)]
        case .float16, .bfloat16:
            let wide = try accumulate(try HalfPrecision.widen(x, context), Float.self, a, context)
            return [try HalfPrecision.narrow(wide, to: x.dataType, context)]
        case .int64: return [try accumulate(x, Int64.self, a, context)]
        case .int32: return [try accumulate(x, Int32.self, a, context)]
        case .uint64: return [try accumulate(x, UInt64.self, a, context)]
        case .uint32: return [try accumulate(x, UInt32.self, a, context)]
        case .int8: return [try accumulate(x, Int8.self, a, context)]
        case .uint8: return [try accumulate(x, UInt8.self, a, context)]
        case .int16: return [try accumulate(x, Int16.self, a, context)]
        case .uint16: return [try accumulate(x, UInt16.self, a, context)]
        default: throw KernelFailure("type \(x.dataType.name) is not supported")
        }
    }

    private func accumulate<T: FloatingPoint>(_ x: RuntimeTensor, _: T.Type, _ a: Int, _ context: ExecutionContext) throws -> RuntimeTensor
    {
        try accumulate(x, T.self, a, context, isProduct ? { $0 * $1 } : { $0 + $1 })
    }

    /// Integers wrap on overflow, as the two's-complement arithmetic of the spec's backends does.
    private func accumulate<T: FixedWidthInteger>(_ x: RuntimeTensor, _: T.Type, _ a: Int, _ context: ExecutionContext) throws
        -> RuntimeTensor
    {
        try accumulate(x, T.self, a, context, isProduct ? { $0 &* $1 } : { $0 &+ $1 })
    }

    private func accumulate<T: Numeric>(_ x: RuntimeTensor, _: T.Type, _ a: Int, _ context: ExecutionContext, _ combine: (T, T) -> T)
        throws -> RuntimeTensor
    {
        let out = try context.allocate(x.dataType, x.shape)
        let src = x.raw.assumingMemoryBound(to: T.self), dst = out.raw.assumingMemoryBound(to: T.self)
        let (outer, n, inner) = (x.shape[..<a].reduce(1, *), x.shape[a], x.shape[(a + 1)...].reduce(1, *))
        let identity: T = isProduct ? 1 : 0
        var running = [T](repeating: identity, count: inner)
        for o in 0..<outer {
            for i in 0..<inner { running[i] = identity }
            for step in 0..<n {
                let j = isReverse ? n - 1 - step : step
                let row = (o * n + j) * inner
                if isExclusive {
                    for i in 0..<inner {
                        dst[row + i] = running[i]
                        running[i] = combine(running[i], src[row + i])
                    }
                } else {
                    for i in 0..<inner {
                        running[i] = combine(running[i], src[row + i])
                        dst[row + i] = running[i]
                    }
                }
            }
        }
        return out
    }
}

enum CumSumKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("CumSum", since: 11) { try CumSumKernel($0) },
        KernelDescriptor("CumProd", since: 26) { try CumSumKernel($0, product: true) },
    ]
}
