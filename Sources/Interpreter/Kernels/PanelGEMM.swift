import CVectorMath

/// Products through the panel GEMM of CVectorMath (panel_gemm.h): a Linear layer's
/// [rows, K] x [K, N] with a shared B (MatMul), and a Conv's weights times its columns. The sums
/// do not depend on how the work splits over the threads.
enum PanelGEMM {
    /// Whether a MatMul of these sizes goes here rather than to BLAS.
    static func pays(rows: Int, n: Int, k: Int) -> Bool {
        rows >= 24 && n >= 64 && k >= 64 && whittle_panel_gemm_supported() != 0
    }
}

extension PanelGEMM {
    /// C[m, n] = activation(A[m, k] B[k, n] + one bias per row, a Conv's) with leading
    /// dimensions, over the threads: by column panels when there are
    /// enough of them, else by 12-row blocks of A. Activations the kernel has run before it
    /// stores; others run on each part's block after it. False, having written nothing, without
    /// AVX-512 or for fewer than 32 columns (the caller runs BLAS).
    static func product(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, rowBias bias: UnsafePointer<Float>?,
        activation: FusedActivation? = nil, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int, context: ExecutionContext
    ) -> Bool {
        // Narrower products would leave most of a 32-lane panel idle: a squeeze-excite block's
        // 1x1 Convs on one position are matrix-vector products, which BLAS runs as sgemv.
        guard whittle_panel_gemm_supported() != 0, m > 0, n >= 32 else { return false }
        let panels = (n + 31) / 32
        let (mode, lo, hi, rest) = FusedActivation.vectorKernelForm(of: activation)
        func part(_ r0: Int, _ r1: Int, _ j0: Int, _ j1: Int) {
            let rowBias = bias.map { $0 + r0 }
            var after = rest
            if whittle_panel_gemm_f32(r1 - r0, j0, j1, k, a + r0 * lda, lda, b, ldb, nil, rowBias, c + r0 * ldc, ldc, mode, lo, hi) == 0 {
                // No memory for the panel buffer: this part through BLAS, its activation after.
                if let bias { for r in r0..<r1 { (c + r * ldc + j0).update(repeating: bias[r], count: j1 - j0) } }
                BLAS.sgemm(
                    transA: false, transB: false, m: r1 - r0, n: j1 - j0, k: k, alpha: 1, a: a + r0 * lda, lda: lda, b: b + j0, ldb: ldb,
                    beta: bias == nil ? 0 : 1, c: c + r0 * ldc + j0, ldc: ldc)
                after = activation
            }
            if let after { for r in r0..<r1 { after.apply(c + r * ldc, j0..<j1) } }
        }
        if threads <= 1 {
            part(0, m, 0, n)
        } else if panels >= 4 * threads {
            context.parallelFor(panels, grain: 1) { range in part(0, m, range.lowerBound * 32, min(n, range.upperBound * 32)) }
        } else {
            // One part per thread: each part packs all of B again.
            let blocks = (m + 11) / 12, parts = min(threads, blocks), step = (blocks + parts - 1) / parts
            context.parallelFor(parts, grain: 1) { range in
                for p in range { part(min(m, p * step * 12), min(m, (p + 1) * step * 12), 0, n) }
            }
        }
        return true
    }
}
