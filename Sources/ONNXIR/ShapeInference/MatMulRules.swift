/// MatMul (NumPy semantics: 1-D operands promoted then dropped, batch dims broadcast), Gemm and
/// their quantized and com.microsoft forms.
enum MatMulRules {
    static func matmul(_ c: NodeContext) -> RuleResult {
        let op = c.node.opType
        let bIndex = op == "QLinearMatMul" ? 3 : 1
        let type: DataType? =
            op == "MatMulInteger" ? .int32 : op == "QLinearMatMul" ? (c.elementType(7) ?? c.elementType(0)) : c.elementType(0)
        guard var a = c.dims(0), var b = c.dims(bIndex), !a.isEmpty, !b.isEmpty else { return .tensor(type, nil) }
        if op == "FusedMatMul" {
            if c.int("transA") == 1, a.count >= 2 { a.swapAt(a.count - 1, a.count - 2) }
            if c.int("transB") == 1, b.count >= 2 { b.swapAt(b.count - 1, b.count - 2) }
        }
        let aVector = a.count == 1, bVector = b.count == 1
        if aVector { a = [.value(1)] + a }
        if bVector { b = b + [.value(1)] }
        guard let batch = DimensionMath.broadcast([Array(a.dropLast(2)), Array(b.dropLast(2))]) else { return .tensor(type, nil) }
        var out = batch + [a[a.count - 2], b[b.count - 1]]
        if aVector { out.remove(at: out.count - 2) }
        if bVector { out.removeLast() }
        return .tensor(type, out)
    }

    /// Y = alpha * A' * B' + beta * C with A' = transA ? A^T : A (both rank 2).
    static func gemm(_ c: NodeContext) -> RuleResult {
        guard let a = c.dims(0), let b = c.dims(1), a.count == 2, b.count == 2 else { return .tensor(c.elementType(0), nil) }
        let m = c.int("transA") == 1 ? a[1] : a[0]
        let n = c.int("transB") == 1 ? b[0] : b[1]
        return .tensor(c.elementType(0), [m, n])
    }

    /// com.microsoft MatMulNBits: A[..., K] times packed B of N columns.
    static func matmulNBits(_ c: NodeContext) -> RuleResult {
        guard let a = c.dims(0), !a.isEmpty, let n = c.int("N"), n >= 0 else { return .tensor(c.elementType(0), nil) }
        return .tensor(c.elementType(0), Array(a.dropLast()) + [.value(n)])
    }
}
