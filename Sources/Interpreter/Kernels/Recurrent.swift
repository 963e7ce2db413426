import Foundation
import ONNXIR

/// LSTM, GRU and RNN (opsets 7 and 14: layout, directions, sequence_lens, initial states,
/// peepholes, clip, custom activations, linear_before_reset). The input projection of every step
/// is one GEMM up front; each step then does one GEMM with the recurrence weights.
final class RecurrentKernel: Kernel {
    enum Cell { case lstm, gru, rnn }
    let cell: Cell
    let hidden: Int
    let directions: Int
    let reverseOnly: Bool
    let layout: Int
    let clip: Float?
    let inputForget: Bool
    let linearBeforeReset: Bool
    let activations: [[RecurrentActivation]]

    var gates: Int { cell == .lstm ? 4 : cell == .gru ? 3 : 1 }

    init(_ ctx: KernelBuildContext, cell: Cell) throws {
        self.cell = cell
        guard let h = try ctx.int("hidden_size"), h > 0 else { throw ctx.fail("attribute hidden_size is required") }
        hidden = h
        let direction = try ctx.string("direction", default: "forward")
        guard ["forward", "reverse", "bidirectional"].contains(direction) else { throw ctx.fail("unknown direction '\(direction)'") }
        directions = direction == "bidirectional" ? 2 : 1
        reverseOnly = direction == "reverse"
        layout = try ctx.int("layout", default: 0)
        clip = try ctx.node.attribute("clip").map { a -> Float in
            guard let f = a.float else { throw ctx.fail("attribute 'clip' must be a float") }
            return f
        }
        inputForget = try ctx.int("input_forget", default: 0) == 1
        linearBeforeReset = try ctx.int("linear_before_reset", default: 0) == 1
        let defaults: [String] =
            switch cell {
            case .lstm: ["Sigmoid", "Tanh", "Tanh"]
            case .gru: ["Sigmoid", "Tanh"]
            case .rnn: ["Tanh"]
            }
        activations = try RecurrentActivation.list(ctx, defaults: defaults, directions: directions)
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0, "X"), w = try Require.input(inputs, 1, "W"), r = try Require.input(inputs, 2, "R")
        for t in [x, w, r] { try Require.type(t, [.float], "input") }
        guard x.rank == 3 else { throw KernelFailure("X must have rank 3, got \(x.shape)") }
        let (seq, batch, inputSize) = layout == 0 ? (x.shape[0], x.shape[1], x.shape[2]) : (x.shape[1], x.shape[0], x.shape[2])
        let gh = gates * hidden
        guard w.shape == [directions, gh, inputSize] else {
            throw KernelFailure("W has shape \(w.shape), expected \([directions, gh, inputSize])")
        }
        guard r.shape == [directions, gh, hidden] else {
            throw KernelFailure("R has shape \(r.shape), expected \([directions, gh, hidden])")
        }
        let bias = input(inputs, 3), lens = input(inputs, 4), h0 = input(inputs, 5)
        let c0 = cell == .lstm ? input(inputs, 6) : nil
        let peep = cell == .lstm ? input(inputs, 7) : nil
        let lengths = try lens.map { try $0.int64Values().map { Int($0) } } ?? [Int](repeating: seq, count: batch)

        // X in [seq, batch, input] order.
        var xs = [Float](repeating: 0, count: seq * batch * inputSize)
        let px = x.floats
        for t in 0..<seq {
            for b in 0..<batch {
                let src = layout == 0 ? (t * batch + b) * inputSize : (b * seq + t) * inputSize
                for i in 0..<inputSize { xs[(t * batch + b) * inputSize + i] = px[src + i] }
            }
        }
        var y = [Float](repeating: 0, count: seq * directions * batch * hidden)
        var yh = [Float](repeating: 0, count: directions * batch * hidden)
        var yc = [Float](repeating: 0, count: directions * batch * hidden)
        for d in 0..<directions {
            let reverse = reverseOnly || d == 1
            try runDirection(
                d, reverse: reverse, xs: xs, seq: seq, batch: batch, inputSize: inputSize, w: w, r: r, bias: bias, lengths: lengths,
                h0: h0, c0: c0, peep: peep, y: &y, yh: &yh, yc: &yc)
        }
        let yShape = layout == 0 ? [seq, directions, batch, hidden] : [batch, seq, directions, hidden]
        let out = try context.allocate(.float, yShape)
        let po = out.floats
        for t in 0..<seq {
            for d in 0..<directions {
                for b in 0..<batch {
                    let dst = layout == 0 ? ((t * directions + d) * batch + b) * hidden : ((b * seq + t) * directions + d) * hidden
                    for k in 0..<hidden { po[dst + k] = y[((t * directions + d) * batch + b) * hidden + k] }
                }
            }
        }
        let stateShape = layout == 0 ? [directions, batch, hidden] : [batch, directions, hidden]
        func state(_ values: [Float]) throws -> RuntimeTensor {
            let t = try context.allocate(.float, stateShape)
            for d in 0..<directions {
                for b in 0..<batch {
                    let dst = layout == 0 ? (d * batch + b) * hidden : (b * directions + d) * hidden
                    for k in 0..<hidden { t.floats[dst + k] = values[(d * batch + b) * hidden + k] }
                }
            }
            return t
        }
        return [out, try state(yh)] + (cell == .lstm ? [try state(yc)] : [])
    }

    private func input(_ inputs: [RuntimeTensor?], _ i: Int) -> RuntimeTensor? { i < inputs.count ? inputs[i] : nil }

    private func runDirection(
        _ d: Int, reverse: Bool, xs: [Float], seq: Int, batch: Int, inputSize: Int, w: RuntimeTensor, r: RuntimeTensor,
        bias: RuntimeTensor?, lengths: [Int], h0: RuntimeTensor?, c0: RuntimeTensor?, peep: RuntimeTensor?,
        y: inout [Float], yh: inout [Float], yc: inout [Float]
    ) throws {
        let H = hidden, G = gates * H
        let f = activations[d]
        // Input projection for all steps: [seq*batch, input] x W_d^T -> [seq*batch, G].
        var xw = [Float](repeating: 0, count: seq * batch * G)
        let wd = w.floats.baseAddress! + d * G * inputSize
        xs.withUnsafeBufferPointer { px in
            xw.withUnsafeMutableBufferPointer { pxw in
                BLAS.sgemm(
                    transA: false, transB: true, m: seq * batch, n: G, k: inputSize, alpha: 1, a: px.baseAddress!, lda: inputSize, b: wd,
                    ldb: inputSize, beta: 0, c: pxw.baseAddress!, ldc: G)
            }
        }
        let wb = bias.map { Array($0.floats[(d * 2 * G)..<(d * 2 * G + G)]) } ?? [Float](repeating: 0, count: G)
        let rb = bias.map { Array($0.floats[(d * 2 * G + G)..<(d * 2 * G + 2 * G)]) } ?? [Float](repeating: 0, count: G)
        let rd = r.floats.baseAddress! + d * G * H
        var h = [Float](repeating: 0, count: batch * H)
        var c = [Float](repeating: 0, count: batch * H)
        if let h0 { for i in 0..<(batch * H) { h[i] = h0.floats[d * batch * H + i] } }
        if let c0 { for i in 0..<(batch * H) { c[i] = c0.floats[d * batch * H + i] } }
        let p = peep.map { Array($0.floats[(d * 3 * H)..<(d * 3 * H + 3 * H)]) }
        var hr = [Float](repeating: 0, count: batch * G)
        let clipValue = clip
        func clipped(_ v: Float) -> Float { clipValue.map { Swift.max(-$0, Swift.min($0, v)) } ?? v }
        for step in 0..<seq {
            // Recurrence projection: H_{t-1} x R_d^T.
            h.withUnsafeBufferPointer { ph in
                hr.withUnsafeMutableBufferPointer { phr in
                    BLAS.sgemm(
                        transA: false, transB: true, m: batch, n: G, k: H, alpha: 1, a: ph.baseAddress!, lda: H, b: rd, ldb: H, beta: 0,
                        c: phr.baseAddress!, ldc: G)
                }
            }
            for b in 0..<batch {
                let length = lengths[b]
                guard step < length else { continue }
                let t = reverse ? length - 1 - step : step
                let gx = (t * batch + b) * G
                let gr = b * G
                let hb = b * H
                for k in 0..<H {
                    switch cell {
                    case .lstm:
                        // Gate order i, o, f, c.
                        let cPrev = c[hb + k]
                        var i = xw[gx + k] + hr[gr + k] + wb[k] + rb[k] + (p?[k] ?? 0) * cPrev
                        var fg = xw[gx + 2 * H + k] + hr[gr + 2 * H + k] + wb[2 * H + k] + rb[2 * H + k] + (p?[2 * H + k] ?? 0) * cPrev
                        let g = f[1].apply(clipped(xw[gx + 3 * H + k] + hr[gr + 3 * H + k] + wb[3 * H + k] + rb[3 * H + k]))
                        i = f[0].apply(clipped(i))
                        fg = inputForget ? 1 - i : f[0].apply(clipped(fg))
                        let cNew = fg * cPrev + i * g
                        let o = f[0].apply(clipped(xw[gx + H + k] + hr[gr + H + k] + wb[H + k] + rb[H + k] + (p?[H + k] ?? 0) * cNew))
                        c[hb + k] = cNew
                        hr[gr + k] = o * f[2].apply(cNew)  // stash H_t until every k is done
                    case .gru:
                        // Gate order z, r, h.
                        let z = f[0].apply(clipped(xw[gx + k] + hr[gr + k] + wb[k] + rb[k]))
                        let rg = f[0].apply(clipped(xw[gx + H + k] + hr[gr + H + k] + wb[H + k] + rb[H + k]))
                        if linearBeforeReset {
                            let candidate = xw[gx + 2 * H + k] + rg * (hr[gr + 2 * H + k] + rb[2 * H + k]) + wb[2 * H + k]
                            hr[gr + k] = (1 - z) * f[1].apply(clipped(candidate)) + z * h[hb + k]
                        } else {
                            // The reset product needs r for every j first: keep r and z, finish below.
                            hr[gr + H + k] = rg
                            hr[gr + k] = z
                        }
                    case .rnn:
                        hr[gr + k] = f[0].apply(clipped(xw[gx + k] + hr[gr + k] + wb[k] + rb[k]))
                    }
                }
                if cell == .gru && !linearBeforeReset {
                    // ht = g(Xt Wh^T + (rt ⊙ Ht-1) Rh^T + Rbh + Wbh), with r kept in hr[H..2H).
                    var reset = [Float](repeating: 0, count: H)
                    for j in 0..<H { reset[j] = hr[gr + H + j] * h[hb + j] }
                    for k in 0..<H {
                        let row = rd + (2 * H + k) * H
                        var dot: Float = 0
                        for j in 0..<H { dot += row[j] * reset[j] }
                        let hNew = f[1].apply(clipped(xw[gx + 2 * H + k] + dot + rb[2 * H + k] + wb[2 * H + k]))
                        let z = hr[gr + k]
                        hr[gr + k] = (1 - z) * hNew + z * h[hb + k]
                    }
                }
                for k in 0..<H {
                    h[hb + k] = hr[gr + k]
                    y[((t * directions + d) * batch + b) * H + k] = h[hb + k]
                }
            }
        }
        for i in 0..<(batch * H) {
            yh[d * batch * H + i] = h[i]
            yc[d * batch * H + i] = c[i]
        }
    }
}

enum RecurrentKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("LSTM", since: 7) { try RecurrentKernel($0, cell: .lstm) },
        KernelDescriptor("GRU", since: 7) { try RecurrentKernel($0, cell: .gru) },
        KernelDescriptor("RNN", since: 7) { try RecurrentKernel($0, cell: .rnn) },
    ]
}
