import TestSupport
import Testing

@testable import Interpreter

/// A GEMM with one row or one column goes to sgemv: every transpose combination, leading
/// dimensions wider than the matrix, alpha and beta, split over threads or not, agrees with a
/// naive product.
@Suite struct MatrixVectorGEMMTests {
    // 5003 x 53 is past the size where two threads split the product.
    @Test(arguments: [(1, 37), (29, 1), (1, 1), (1, 5003), (5003, 1)])
    func matchesNaiveProduct(m: Int, n: Int) {
        let k = 53
        var g = SeededGenerator(seed: UInt64(m * 100 + n))
        for transA in [false, true] {
            for transB in [false, true] {
                // Stored shapes, padded by 3 columns so leading dimensions differ from the widths.
                let (aRows, aCols) = transA ? (k, m) : (m, k), (bRows, bCols) = transB ? (n, k) : (k, n)
                let lda = aCols + 3, ldb = bCols + 3, ldc = n + 3
                let a = (0..<(aRows * lda)).map { _ in g.nextFloat(in: -1...1) }
                let b = (0..<(bRows * ldb)).map { _ in g.nextFloat(in: -1...1) }
                let c0 = (0..<(m * ldc)).map { _ in g.nextFloat(in: -1...1) }
                for threads in [1, 2] {
                    var c = c0
                    let context = ExecutionContext(
                        threads: threads, accountant: MemoryAccountant(capBytes: 1 << 30), workers: WorkerPool(threads: threads))
                    context.sgemm(
                        transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb, beta: 2, c: &c,
                        ldc: ldc)
                    for i in 0..<m {
                        for j in 0..<n {
                            var sum: Float = 0
                            for p in 0..<k {
                                let av = transA ? a[p * lda + i] : a[i * lda + p], bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                                sum += av * bv
                            }
                            let expected = 0.5 * sum + 2 * c0[i * ldc + j]
                            #expect(abs(c[i * ldc + j] - expected) < 1e-4, "m \(m) n \(n) transA \(transA) transB \(transB) at \(i),\(j)")
                        }
                    }
                }
            }
        }
    }
}
