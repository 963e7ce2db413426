import ONNXIR

/// MatMul with numpy semantics (1-D promotion, batch broadcasting) through sgemm; when B is 2-D
/// the batch folds into one GEMM. Non-float types use a plain loop.
final class DenseMatMulKernel: Kernel {
    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let a = try Require.input(inputs, 0), b = try Require.input(inputs, 1)
        guard a.dataType == b.dataType else { throw KernelFailure("A is \(a.dataType.name) but B is \(b.dataType.name)") }
        if a.dataType == .float16 || a.dataType == .bfloat16 {
            // Accumulated in float32 and rounded once, as the reference's float16/bfloat16 dot does.
            let wide = try run([try HalfPrecision.widen(a, context), try HalfPrecision.widen(b, context)], context)
            guard let product = wide.first ?? nil else { throw KernelFailure("internal: no product") }
            return [try HalfPrecision.narrow(product, to: a.dataType, context)]
        }
        var aShape = a.shape, bShape = b.shape
        guard !aShape.isEmpty, !bShape.isEmpty else { throw KernelFailure("MatMul needs inputs of rank 1 or more") }
        let aVector = aShape.count == 1, bVector = bShape.count == 1
        if aVector { aShape = [1] + aShape }
        if bVector { bShape = bShape + [1] }
        let (m, k) = (aShape[aShape.count - 2], aShape[aShape.count - 1])
        let (k2, n) = (bShape[bShape.count - 2], bShape[bShape.count - 1])
        guard k == k2 else { throw KernelFailure("inner dimensions differ: \(a.shape) @ \(b.shape)") }
        let aBatch = Array(aShape.dropLast(2)), bBatch = Array(bShape.dropLast(2))
        guard let batchShape = Broadcasting.shape([aBatch, bBatch]) else {
            throw KernelFailure("batch dims of \(a.shape) and \(b.shape) do not broadcast")
        }
        var outShape = batchShape + [m, n]
        if aVector { outShape.remove(at: outShape.count - 2) }
        if bVector { outShape.removeLast() }
        let out = try context.allocate(a.dataType, outShape)
        let batches = batchShape.reduce(1, *)
        guard a.dataType == .float else {
            try GenericMatMul.run(a, b, out, m: m, k: k, n: n, batchShape: batchShape, aBatch: aBatch, bBatch: bBatch)
            return [out]
        }
        let pa = a.floats.baseAddress!, pb = b.floats.baseAddress!, po = out.floats.baseAddress!
        if bBatch.reduce(1, *) == 1 && aBatch == batchShape {
            // B shared by every batch: one GEMM over [batch*M, K], its rows split over the threads.
            if PanelGEMM.pays(rows: batches * m, n: n, k: k),
                PanelGEMM.product(
                    m: batches * m, n: n, k: k, a: pa, lda: k, b: pb, ldb: n, rowBias: nil, c: po, ldc: n, threads: context.threads,
                    context: context)
            {
                return [out]
            }
            context.sgemm(m: batches * m, n: n, k: k, a: pa, lda: k, b: pb, ldb: n, c: po, ldc: n)
            return [out]
        }
        let sa = Broadcasting.strides(of: aBatch, in: batchShape), sb = Broadcasting.strides(of: bBatch, in: batchShape)
        if batches < context.threads {
            // Too few products to go round: each one splits over the threads instead.
            for i in 0..<batches {
                let (oa, ob) = Broadcasting.batchOffsets(i, batchShape: batchShape, sa, sb)
                context.sgemm(m: m, n: n, k: k, a: pa + oa * m * k, lda: k, b: pb + ob * k * n, ldb: n, c: po + i * m * n, ldc: n)
            }
            return [out]
        }
        context.parallelFor(batches, grain: 1) { range in
            for i in range {
                let (oa, ob) = Broadcasting.batchOffsets(i, batchShape: batchShape, sa, sb)
                BLAS.sgemm(
                    transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: pa + oa * m * k, lda: k, b: pb + ob * k * n, ldb: n,
                    beta: 0, c: po + i * m * n, ldc: n)
            }
        }
        return [out]
    }
}

/// Integer and double MatMul by loops (shape handling as for float).
enum GenericMatMul {
    static func run(
        _ a: RuntimeTensor, _ b: RuntimeTensor, _ out: RuntimeTensor, m: Int, k: Int, n: Int, batchShape: [Int], aBatch: [Int],
        bBatch: [Int]
    ) throws {
        func loop<T: Numeric>(_: T.Type) {
            let pa = a.elements(T.self), pb = b.elements(T.self), po = out.elements(T.self)
            let sa = Broadcasting.strides(of: aBatch, in: batchShape), sb = Broadcasting.strides(of: bBatch, in: batchShape)
            for i in 0..<batchShape.reduce(1, *) {
                let (oa, ob) = Broadcasting.batchOffsets(i, batchShape: batchShape, sa, sb)
                for r in 0..<m {
                    for c in 0..<n {
                        var sum: T = 0
                        for p in 0..<k { sum += pa[(oa * m + r) * k + p] * pb[(ob * k + p) * n + c] }
                        po[(i * m + r) * n + c] = sum
                    }
                }
            }
        }
        switch a.dataType {
        case .double: loop(Double.self)
        case .int64: loop(Int64.self)
        case .int32: loop(Int32.self)
        case .uint64: loop(UInt64.self)
        case .uint32: loop(UInt32.self)
        default: throw KernelFailure("MatMul on \(a.dataType.name) is not supported")
        }
    }
}

/// Gemm: Y = alpha * op(A) @ op(B) + beta * C, C broadcast to [M, N].
final class DenseGemmKernel: Kernel {
    let alpha: Float, beta: Float
    let transA: Bool, transB: Bool

    init(_ ctx: KernelBuildContext) throws {
        alpha = try ctx.float("alpha", default: 1)
        beta = try ctx.float("beta", default: 1)
        transA = try ctx.int("transA", default: 0) == 1
        transB = try ctx.int("transB", default: 0) == 1
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let a = try Require.input(inputs, 0), b = try Require.input(inputs, 1)
        let c = inputs.count > 2 ? inputs[2] : nil
        try Require.type(a, [.float], "A")
        try Require.type(b, [.float], "B")
        guard a.rank == 2, b.rank == 2 else { throw KernelFailure("A \(a.shape) and B \(b.shape) must be 2-D") }
        let (m, k) = transA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (k2, n) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard k == k2 else {
            throw KernelFailure("inner dimensions differ: \(a.shape) and \(b.shape) (transA \(transA), transB \(transB))")
        }
        let out = try context.allocate(.float, [m, n])
        var betaUsed: Float = 0
        if let c, beta != 0 {
            guard let shape = Broadcasting.shape([c.shape, [m, n]]), shape == [m, n] else {
                throw KernelFailure("C \(c.shape) does not broadcast to [\(m), \(n)]")
            }
            let pc = try c.dataType == .float ? Array(c.floats) : c.floatValues()
            let po = out.floats
            let strides = Broadcasting.strides(of: c.shape, in: [m, n])
            for i in 0..<m { for j in 0..<n { po[i * n + j] = pc[i * strides[0] + j * strides[1]] } }
            betaUsed = beta
        }
        context.sgemm(
            transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a.floats.baseAddress!, lda: a.shape[1],
            b: b.floats.baseAddress!, ldb: b.shape[1], beta: betaUsed, c: out.floats.baseAddress!, ldc: n)
        return [out]
    }
}
