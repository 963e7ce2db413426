import CVectorMath

/// [rows, K] x [K, N] products with a shared B (a Linear layer's weights) through the panel GEMM
/// of CVectorMath (panel_gemm.h). Columns split over the threads in 32-wide panels, claimed as
/// threads free up; the sums do not depend on the split.
enum PanelGEMM {
    static func pays(rows: Int, n: Int, k: Int) -> Bool {
        rows >= 24 && n >= 64 && k >= 64 && whittle_panel_gemm_supported() != 0
    }

    static func run(
        rows: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        c: UnsafeMutablePointer<Float>, context: ExecutionContext
    ) {
        let panels = (n + 31) / 32
        context.parallelFor(panels, grain: 1) { range in
            let first = range.lowerBound * 32, last = min(n, range.upperBound * 32)
            guard whittle_panel_gemm_f32(rows, first, last, k, a, k, b, n, bias, c, n) == 0 else { return }
            // No memory for the panel buffer: this part through BLAS.
            if let bias { for r in 0..<rows { (c + r * n + first).update(from: bias + first, count: last - first) } }
            BLAS.sgemm(
                transA: false, transB: false, m: rows, n: last - first, k: k, alpha: 1, a: a, lda: k, b: b + first, ldb: n,
                beta: bias == nil ? 0 : 1, c: c + first, ldc: n)
        }
    }
}
