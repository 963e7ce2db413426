extension ExecutionContext {
    /// C[m, n] = alpha * op(A)[m, k] op(B)[k, n] + beta * C (row-major with leading dimensions),
    /// split over this context's threads, each running a single-threaded sgemm.
    ///
    /// OpenBLAS stays on one thread for the whole process (Session): its own workers spin and
    /// yield while they wait, which on a machine with as many cores as threads steals time from
    /// ours, and at batch 1 its threading gains little on inference shapes anyway. Each thread
    /// packs all of the operand it does not split, so the split goes along rows when m >= n (B,
    /// k x n, is duplicated) and along columns otherwise (A is). Small products run whole.
    func sgemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        // Matrix-vector products (a squeeze-excite block's 1x1 Convs, a batch-1 classifier) are
        // bound by reading the matrix, so they split from a smaller size.
        let worthSplitting = m * n * k >= (m == 1 || n == 1 ? 1 << 15 : 1 << 18)
        let parts = threads > 1 && worthSplitting ? min(threads, max(m, n) / 16) : 1
        guard parts > 1 else {
            BLAS.sgemm(
                transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        let rows = m >= n
        let total = rows ? m : n
        // Edges on multiples of 16 keep each part's stores on whole vectors.
        let step = ((total + parts - 1) / parts + 15) / 16 * 16
        parallelFor(parts, grain: 1) { range in
            for part in range {
                let first = min(total, part * step), count = min(total, first + step) - first
                guard count > 0 else { continue }
                if rows {
                    BLAS.sgemm(
                        transA: transA, transB: transB, m: count, n: n, k: k, alpha: alpha, a: transA ? a + first : a + first * lda,
                        lda: lda,
                        b: b, ldb: ldb, beta: beta, c: c + first * ldc, ldc: ldc)
                } else {
                    BLAS.sgemm(
                        transA: transA, transB: transB, m: m, n: count, k: k, alpha: alpha, a: a, lda: lda,
                        b: transB ? b + first * ldb : b + first, ldb: ldb, beta: beta, c: c + first, ldc: ldc)
                }
            }
        }
    }
}
