import COpenBLAS

/// Thin wrappers over OpenBLAS (row-major single precision GEMM).
public enum BLAS {
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }

    /// C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C, row-major with leading dimensions.
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        // A single row or column is a matrix-vector product: sgemv reads the matrix once where
        // sgemm would first copy it into its packed layout (a batch-1 classifier's Gemm).
        if k > 0, m == 1 || n == 1 {
            if m == 1 {
                // c[1, n] = op(B)^T applied to the row of A.
                sgemv(
                    transB ? CblasNoTrans : CblasTrans, rows: transB ? n : k, columns: transB ? k : n, alpha, b, ldb,
                    x: a, incX: transA ? lda : 1, beta, c, incY: 1)
            } else {
                sgemv(
                    transA ? CblasTrans : CblasNoTrans, rows: transA ? k : m, columns: transA ? m : k, alpha, a, lda,
                    x: b, incX: transB ? 1 : ldb, beta, c, incY: ldc)
            }
            return
        }
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    private static func sgemv(
        _ trans: CBLAS_TRANSPOSE, rows: Int, columns: Int, _ alpha: Float, _ matrix: UnsafePointer<Float>, _ ld: Int,
        x: UnsafePointer<Float>, incX: Int, _ beta: Float, _ y: UnsafeMutablePointer<Float>, incY: Int
    ) {
        cblas_sgemv(CblasRowMajor, trans, Int32(rows), Int32(columns), alpha, matrix, Int32(ld), x, Int32(incX), beta, y, Int32(incY))
    }
}

extension BLAS {
    /// The double-precision GEMM, for kernels that compute in float64.
    public static func dgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int, beta: Double,
        c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        cblas_dgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
