import CVectorMath

/// One group of one sample of a dense Conv as a GEMM: Y[m, positions] = W[m, k] * X'[k, positions]
/// (+ bias), where X' is the column matrix (im2col), or X itself for 1x1 stride-1 windows.
///
/// With several threads the work splits along the dimension that duplicates less packing:
/// OpenBLAS packs all of the other operand in each call, so output positions split when the
/// weights (m x k) are the smaller operand, and each thread then builds and multiplies just its
/// own columns; otherwise output channels split and the column matrix is built once, its
/// channels spread over the threads.
struct ConvLowering {
    let geometry: ConvGeometry
    /// Output channels, input channels of the group, and the GEMM's inner size.
    let m: Int
    let channels: Int
    let k: Int
    let positions: Int
    let pointwise: Bool
    /// Applied after the bias, on each block while it is in cache.
    let activation: FusedActivation?

    init(geometry: ConvGeometry, outputChannels: Int, inputChannels: Int, pointwise: Bool, activation: FusedActivation? = nil) {
        self.geometry = geometry
        self.m = outputChannels
        self.channels = inputChannels
        self.k = inputChannels * geometry.kernel.reduce(1, *)
        self.positions = geometry.output.reduce(1, *)
        self.pointwise = pointwise
        self.activation = activation
    }

    /// How output positions are cut: `chunks` column blocks of `step` positions, dealt to
    /// `workers` threads in turn. Blocks keep each thread's column matrix and output block within
    /// L2 (im2col writes the columns and the bias the output, then the GEMM reads both back, and
    /// the activation runs while they are still there), and are cut no narrower than four times
    /// the channel count, since each block's GEMM packs the weights again.
    struct ColumnSplit {
        let chunks: Int
        let step: Int
        let workers: Int
    }

    static let columnBlockFloats = 192 * 1024

    func columnSplit(threads: Int) -> ColumnSplit? {
        guard geometry.input.count == 2 || pointwise, m < positions else { return nil }
        let perThread = threads > 1 && positions >= 64 * threads ? (positions + threads - 1) / threads : positions
        // A block's column matrix (k rows) and output (m rows) together fit the budget.
        let cached = max(4 * m, 128, Self.columnBlockFloats / (k + m))
        let step = (min(perThread, cached) + 15) / 16 * 16
        let chunks = (positions + step - 1) / step
        guard chunks > 1 else { return nil }
        return ColumnSplit(chunks: chunks, step: step, workers: min(threads, chunks))
    }

    /// Floats of column scratch one call with `threads` needs.
    func scratchCount(threads: Int) -> Int {
        if pointwise { return 0 }
        guard let split = columnSplit(threads: threads) else { return k * positions }
        return split.workers * k * split.step
    }

    func run(
        x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, threads: Int, context: ExecutionContext
    ) {
        if usesDirectPointwise {
            return runDirectPointwise(x: x, w: w, bias: bias, out: out, threads: threads, context: context)
        }
        if let split = columnSplit(threads: threads) {
            let blocks = { (worker: Int) in
                for chunk in stride(from: worker, to: split.chunks, by: split.workers) {
                    let first = chunk * split.step, last = min(positions, first + split.step)
                    columnsRange(first, last, x: x, w: w, bias: bias, out: out, scratch: scratch + worker * k * split.step)
                }
            }
            if split.workers == 1 { return blocks(0) }
            context.parallelFor(split.workers, grain: 1) { range in range.forEach(blocks) }
            return
        }
        if usesDirectColumns { return columnsRange(0, positions, x: x, w: w, bias: bias, out: out, scratch: scratch) }
        let b: UnsafePointer<Float>
        if pointwise {
            b = x
        } else {
            buildColumns(x: x, scratch: scratch, threads: threads, context: context)
            b = UnsafePointer(scratch)
        }
        if PanelGEMM.product(
            m: m, n: positions, k: k, a: w, lda: k, b: b, ldb: positions, rowBias: bias, activation: activation, c: out, ldc: positions,
            threads: threads, context: context)
        {
            return
        }
        if let bias { fillBias(bias, out: out, first: 0, last: positions) }
        let beta: Float = bias == nil ? 0 : 1
        // With one thread for this call (samples already spread over the threads), nothing here
        // splits again.
        guard threads > 1 else {
            BLAS.sgemm(
                transA: false, transB: false, m: m, n: positions, k: k, alpha: 1, a: w, lda: k, b: b, ldb: positions, beta: beta,
                c: out, ldc: positions)
            // The output is m whole rows, one contiguous run: one call, not one per row (a
            // squeeze-excite conv on one position has 1152 rows of one element).
            activation?.apply(out, 0..<(m * positions))
            return
        }
        context.sgemm(m: m, n: positions, k: k, a: w, lda: k, b: b, ldb: positions, beta: beta, c: out, ldc: positions)
        if let activation {
            context.parallelFor(m, grain: max(1, 65536 / max(1, positions))) { rows in
                activation.apply(out, (rows.lowerBound * positions)..<(rows.upperBound * positions))
            }
        }
    }

    /// Output positions [first, last): their columns, GEMM and bias, on this thread.
    private func columnsRange(
        _ first: Int, _ last: Int, x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) {
        let width = last - first
        if usesDirectColumns {
            // A small column matrix (a stem conv's 27 rows) through the direct kernel: no packing,
            // bias and activation applied as it stores.
            geometry.im2col2D(input: x, channels: channels, columns: scratch, first: first, last: last)
            let (mode, lo, hi, rest) = FusedActivation.vectorKernelForm(of: activation)
            _ = whittle_pointwise_conv_f32(scratch, k, width, w, bias, out + first, positions, 0, m, 0, width, mode, lo, hi)
            if let rest { for o in 0..<m { rest.apply(out + o * positions, first..<last) } }
            return
        }
        if !pointwise { geometry.im2col2D(input: x, channels: channels, columns: scratch, first: first, last: last) }
        let (columns, ldb) = pointwise ? (x + first, positions) : (UnsafePointer(scratch), width)
        let (mode, lo, hi, rest) = FusedActivation.vectorKernelForm(of: activation)
        if whittle_panel_gemm_f32(m, 0, width, k, w, k, columns, ldb, nil, bias, out + first, positions, mode, lo, hi) != 0 {
            if let rest { for o in 0..<m { rest.apply(out + o * positions, first..<last) } }
            return
        }
        if let bias { fillBias(bias, out: out, first: first, last: last) }
        let beta: Float = bias == nil ? 0 : 1
        if pointwise {
            BLAS.sgemm(
                transA: false, transB: false, m: m, n: width, k: k, alpha: 1, a: w, lda: k, b: x + first, ldb: positions, beta: beta,
                c: out + first, ldc: positions)
        } else {
            BLAS.sgemm(
                transA: false, transB: false, m: m, n: width, k: k, alpha: 1, a: w, lda: k, b: scratch, ldb: width, beta: beta,
                c: out + first, ldc: positions)
        }
        if let activation { for o in 0..<m { activation.apply(out + o * positions, first..<last) } }
    }

    /// The whole column matrix, its input channels spread over the threads (2-D), or the
    /// generic N-d loop.
    private func buildColumns(x: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, threads: Int, context: ExecutionContext) {
        guard geometry.input.count == 2 else {
            geometry.im2col(input: x, channels: channels, columns: scratch)
            return
        }
        let inSize = geometry.input.reduce(1, *), taps = geometry.kernel.reduce(1, *)
        let parts = threads > 1 ? min(threads, channels) : 1
        context.parallelFor(channels, grain: max(1, channels / parts)) { range in
            geometry.im2col2D(
                input: x + range.lowerBound * inSize, channels: range.count, columns: scratch + range.lowerBound * taps * positions,
                first: 0, last: positions)
        }
    }

    /// Output rows start as their bias over positions [first, last); the GEMM then adds into
    /// them (beta 1), which saves the pass that would add the bias afterwards.
    private func fillBias(_ bias: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, first: Int, last: Int) {
        for o in 0..<m { (out + o * positions + first).update(repeating: bias[o], count: last - first) }
    }

    /// Where the direct 1x1 kernel beats BLAS, measured on the pointwise layers of MobileNetV2 and
    /// EfficientNet-B0 (0.6-0.9x of BLAS's time from 28x28 planes up, and on 14x14 planes with
    /// up to 96 input channels). On smaller planes with more channels BLAS's packing pays off.
    var directPointwisePays: Bool { positions >= 784 || (positions >= 196 && k <= 96) }
    /// The same for im2col blocks: only short column matrices (stems: 3 channels x 3x3 or 7x7
    /// taps), where BLAS packs more than it multiplies (ResNet's 7x7 stem, 147 rows: 0.6-0.9x of
    /// BLAS's time; 288 rows on a 28x28 plane: even).
    var directColumnsPay: Bool { (positions >= 784 && k <= 64) || (positions >= 3136 && k <= 160) }
    private var usesDirectPointwise: Bool { pointwise && directPointwisePays && whittle_pointwise_conv_supported() != 0 }
    private var usesDirectColumns: Bool { !pointwise && directColumnsPay && whittle_pointwise_conv_supported() != 0 }

    /// The 1x1 kernel in C, bias and activation applied before it stores. Wide planes split their
    /// positions over the threads (in multiples of the kernel's 32-position tiles), narrow ones
    /// their output channels.
    private func runDirectPointwise(
        x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>, threads: Int,
        context: ExecutionContext
    ) {
        let (mode, lo, hi, rest) = FusedActivation.vectorKernelForm(of: activation)
        let byPositions = positions >= 256 * threads
        let total = byPositions ? positions : m
        let unit = byPositions ? 32 : 12
        // Four parts per thread when there is enough work, so a thread that runs slower takes fewer.
        let parts = threads > 1 ? max(1, min(4 * threads, total / (2 * unit))) : 1
        let step = ((total + parts - 1) / parts + unit - 1) / unit * unit
        let positions = positions, m = m, k = k
        let body = { (part: Int) in
            let first = min(total, part * step), last = min(total, first + step)
            guard first < last else { return }
            let (m0, m1, p0, p1) = byPositions ? (0, m, first, last) : (first, last, 0, positions)
            _ = whittle_pointwise_conv_f32(x, k, positions, w, bias, out, positions, m0, m1, p0, p1, mode, lo, hi)
            if let rest { for o in m0..<m1 { rest.apply(out + o * positions, p0..<p1) } }
        }
        if parts == 1 { return body(0) }
        context.parallelFor(parts, grain: 1) { range in range.forEach(body) }
    }
}
