import CVectorMath
import TestSupport
import Testing

@testable import Interpreter

/// The panel GEMM matches a float64 product over row counts that leave 4-row and 1-row tiles,
/// column ranges that start inside the matrix and end mid-panel, inner sizes across several
/// 256-row blocks, wider leading dimensions and a column or row bias; MatMul and the Conv
/// product through it match BLAS.
@Suite struct PanelGEMMTests {
    @Test func matchesDoubleProduct() {
        var g = SeededGenerator(seed: 31)
        for _ in 0..<40 {
            let m = Int.random(in: 1...30, using: &g), n = Int.random(in: 1...600, using: &g), k = Int.random(in: 1...700, using: &g)
            let (lda, ldb, ldc) = (k + Int.random(in: 0...3, using: &g), n + Int.random(in: 0...3, using: &g), n + 2)
            let n0 = Int.random(in: 0...(n - 1), using: &g), n1 = Int.random(in: (n0 + 1)...n, using: &g)
            let a = (0..<(m * lda)).map { _ in g.nextFloat(in: -1...1) }, b = (0..<(k * ldb)).map { _ in g.nextFloat(in: -1...1) }
            let bias: [Float]? = Bool.random(using: &g) ? (0..<n).map { _ in g.nextFloat(in: -1...1) } : nil
            let rowBias: [Float]? = bias == nil && Bool.random(using: &g) ? (0..<m).map { _ in g.nextFloat(in: -1...1) } : nil
            var c = [Float](repeating: .nan, count: m * ldc)
            let ran = bias.withOptionalPointer { pb in
                rowBias.withOptionalPointer { pr in
                    whittle_panel_gemm_f32(m, n0, n1, k, a, lda, b, ldb, pb, pr, &c, ldc, Int32(WHITTLE_ACTIVATION_NONE), 0, 0)
                }
            }
            guard ran != 0 else { return }  // no AVX-512 here
            for i in 0..<m {
                for j in 0..<n {
                    let got = c[i * ldc + j]
                    guard j >= n0 && j < n1 else {
                        #expect(got.isNaN, "column \(j) outside [\(n0), \(n1)) was written")
                        continue
                    }
                    var sum = Double(bias?[j] ?? rowBias?[i] ?? 0)
                    for p in 0..<k { sum += Double(a[i * lda + p]) * Double(b[p * ldb + j]) }
                    #expect(abs(Double(got) - sum) < 1e-4, "\(m)x\(n)x\(k) at \(i),\(j)")
                }
            }
        }
    }

    @Test(arguments: [1, 2])
    func matMulThroughPanelsMatchesBLAS(threads: Int) throws {
        let (rows, k, n) = (50, 300, 200)
        #expect(PanelGEMM.pays(rows: rows, n: n, k: k) == (whittle_panel_gemm_supported() != 0))
        var g = SeededGenerator(seed: 32)
        let a = (0..<(rows * k)).map { _ in g.nextFloat(in: -1...1) }, b = (0..<(k * n)).map { _ in g.nextFloat(in: -1...1) }
        var viaPanels = [Float](repeating: 0, count: rows * n), viaBLAS = viaPanels
        let context = ExecutionContext(
            threads: threads, accountant: MemoryAccountant(capBytes: 1 << 30), workers: WorkerPool(threads: threads))
        _ = PanelGEMM.product(
            m: rows, n: n, k: k, a: a, lda: k, b: b, ldb: n, rowBias: nil, c: &viaPanels, ldc: n, threads: threads, context: context)
        BLAS.sgemm(transA: false, transB: false, m: rows, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: n, beta: 0, c: &viaBLAS, ldc: n)
        for i in 0..<viaBLAS.count { #expect(abs(viaPanels[i] - viaBLAS[i]) < 1e-4) }
    }

    /// The Conv form (a bias per row), split by column panels (wide) or 12-row blocks (narrow).
    @Test(arguments: [(1, 300), (2, 300), (2, 49)])
    func convProductMatchesBLAS(threads: Int, positions: Int) throws {
        let (m, k) = (40, 288)
        var g = SeededGenerator(seed: UInt64(33 + positions))
        let w = (0..<(m * k)).map { _ in g.nextFloat(in: -1...1) }, x = (0..<(k * positions)).map { _ in g.nextFloat(in: -1...1) }
        let bias = (0..<m).map { _ in g.nextFloat(in: -1...1) }
        var viaPanels = [Float](repeating: 0, count: m * positions)
        var viaBLAS = (0..<(m * positions)).map { bias[$0 / positions] }
        let context = ExecutionContext(
            threads: threads, accountant: MemoryAccountant(capBytes: 1 << 30), workers: WorkerPool(threads: threads))
        let ran = PanelGEMM.product(
            m: m, n: positions, k: k, a: w, lda: k, b: x, ldb: positions, rowBias: bias, c: &viaPanels, ldc: positions, threads: threads,
            context: context)
        guard ran else { return }
        BLAS.sgemm(
            transA: false, transB: false, m: m, n: positions, k: k, alpha: 1, a: w, lda: k, b: x, ldb: positions, beta: 1, c: &viaBLAS,
            ldc: positions)
        for i in 0..<viaBLAS.count { #expect(abs(viaPanels[i] - viaBLAS[i]) < 1e-4) }
    }
}

extension Optional where Wrapped == [Float] {
    fileprivate func withOptionalPointer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let self else { return body(nil) }
        return self.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
