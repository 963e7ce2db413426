extension ExecutionContext {
    /// C[m, n] = A[m, k] B[k, n] (row-major, no transposes), with A's and C's rows divided over
    /// this context's threads, each running a single-threaded sgemm. At batch 1 OpenBLAS's own
    /// threading gains little on inference shapes (convolutions' n from 49 to 12544 positions,
    /// BERT's 128 rows), while halving m is even work. One thread, or few rows: one plain sgemm.
    func sgemmSplittingRows(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>
    ) {
        guard threads > 1 && m >= 32 else {
            BLAS.sgemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: n, beta: 0, c: c, ldc: n)
            return
        }
        BLAS.withSingleThread {
            parallelFor(m, grain: 16) { rows in
                BLAS.sgemm(
                    transA: false, transB: false, m: rows.count, n: n, k: k, alpha: 1, a: a + rows.lowerBound * k, lda: k, b: b, ldb: n,
                    beta: 0, c: c + rows.lowerBound * n, ldc: n)
            }
        }
    }
}
