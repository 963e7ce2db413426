import Foundation
import ONNXIR

/// Attention (opset 23-25): scaled dot-product attention over 4-D [batch, heads, seq, head_size]
/// or 3-D [batch, seq, heads * head_size] inputs, with an optional past key/value cache (the
/// present outputs are the concatenations), boolean or additive masks broadcast to
/// [batch, q_heads, q_seq, kv_seq] (padded with -inf up to the total kv length), bottom-right
/// causal masking, sliding windows, per-batch valid kv lengths, grouped-query heads, softcap and
/// the qk_matmul_output modes. Rows whose combined bias masks every key give zeros.
///
/// Everything is computed in float64 (the two products per head by dgemm), rounding to the input
/// type after each step where the reference does (Q and K scaled by sqrt(scale), the QK product,
/// the biased scores, the softmax in `softmax_precision`, the probabilities, the output), so
/// float16 and bfloat16 results match the reference to the last bit in all but rare
/// double-rounding cases.
final class AttentionKernel: Kernel {
    let isCausal: Bool
    let qHeads: Int?, kvHeads: Int?
    let outputMode: Int
    let scale: Double?
    let softcap: Double
    let softmaxType: DataType?
    let leftWindow: Int, rightWindow: Int

    init(_ ctx: KernelBuildContext) throws {
        isCausal = try ctx.int("is_causal", default: 0) != 0
        qHeads = try ctx.int("q_num_heads")
        kvHeads = try ctx.int("kv_num_heads")
        outputMode = try ctx.int("qk_matmul_output_mode", default: 0)
        guard (0...3).contains(outputMode) else { throw ctx.fail("qk_matmul_output_mode must be 0...3, got \(outputMode)") }
        scale = ctx.node.attribute("scale") == nil ? nil : Double(try ctx.float("scale", default: 1))
        softcap = Double(try ctx.float("softcap", default: 0))
        if let code = try ctx.int("softmax_precision") {
            let t = DataType(rawValue: Int32(code))
            guard t.isFloatingPoint else { throw ctx.fail("softmax_precision \(code) is not a float type") }
            softmaxType = t
        } else {
            softmaxType = nil
        }
        leftWindow = try ctx.int("left_window_size", default: -1)
        rightWindow = try ctx.int("right_window_size", default: -1)
    }

    /// A [batch, heads, seq, size] copy of a 3-D [batch, seq, heads * size] or 4-D input.
    private static func heads(_ t: RuntimeTensor, _ count: Int?, _ what: String) throws -> (values: [Double], shape: [Int]) {
        let v = try FloatIO.doubles(t)
        if t.rank == 4 { return (v, t.shape) }
        guard t.rank == 3 else { throw KernelFailure("\(what) must have rank 3 or 4, got \(t.shape)") }
        guard let h = count, h > 0, t.shape[2] % h == 0 else {
            throw KernelFailure("3-D \(what) \(t.shape) needs q_num_heads/kv_num_heads dividing its hidden size")
        }
        let (b, s, d) = (t.shape[0], t.shape[1], t.shape[2] / h)
        var out = [Double](repeating: 0, count: v.count)
        for bi in 0..<b {
            for si in 0..<s {
                for hi in 0..<h {
                    for di in 0..<d { out[((bi * h + hi) * s + si) * d + di] = v[((bi * s + si) * h + hi) * d + di] }
                }
            }
        }
        return (out, [b, h, s, d])
    }

    /// Concatenates past [b, h, sp, d] and new [b, h, s, d] along the sequence axis.
    private static func concatenate(_ past: [Double], _ pastShape: [Int], _ new: [Double], _ shape: [Int]) throws -> ([Double], [Int]) {
        guard pastShape.count == 4, pastShape[0] == shape[0], pastShape[1] == shape[1], pastShape[3] == shape[3] else {
            throw KernelFailure("past cache \(pastShape) does not match \(shape)")
        }
        let (b, h, sp, s, d) = (shape[0], shape[1], pastShape[2], shape[2], shape[3])
        var out: [Double] = []
        out.reserveCapacity(b * h * (sp + s) * d)
        for i in 0..<(b * h) {
            out += past[(i * sp * d)..<((i + 1) * sp * d)]
            out += new[(i * s * d)..<((i + 1) * s * d)]
        }
        return (out, [b, h, sp + s, d])
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let q = try Require.input(inputs, 0, "Q"), k = try Require.input(inputs, 1, "K"), v = try Require.input(inputs, 2, "V")
        let input = { (i: Int) in inputs.count > i ? inputs[i] : nil }
        let type = q.dataType
        guard type.isFloatingPoint, k.dataType == type, v.dataType == type else {
            throw KernelFailure("Q, K and V must share one float type (\(q.dataType.name), \(k.dataType.name), \(v.dataType.name))")
        }
        guard q.rank == k.rank, q.rank == v.rank else { throw KernelFailure("Q, K and V must have the same rank") }
        let r = FloatIO.rounding(type)
        let qh = try Self.heads(q, qHeads, "Q")
        var kh = try Self.heads(k, kvHeads, "K"), vh = try Self.heads(v, kvHeads, "V")
        let pastKey = input(4), pastValue = input(5), nonpad = try input(6).map { try $0.intValues() }
        guard (pastKey == nil) == (pastValue == nil) else { throw KernelFailure("past_key and past_value must be given together") }
        let pastLength = pastKey?.shape.count == 4 ? pastKey?.shape[2] ?? 0 : 0
        if let pastKey, let pastValue {
            kh = try Self.concatenate(try FloatIO.doubles(pastKey), pastKey.shape, kh.values, kh.shape)
            vh = try Self.concatenate(try FloatIO.doubles(pastValue), pastValue.shape, vh.values, vh.shape)
        }
        let (batch, hq, l, e) = (qh.shape[0], qh.shape[1], qh.shape[2], qh.shape[3])
        let (hkv, s, ev) = (kh.shape[1], kh.shape[2], vh.shape[3])
        guard kh.shape[0] == batch, vh.shape[0] == batch, kh.shape[3] == e, vh.shape[1] == hkv, vh.shape[2] == s else {
            throw KernelFailure("K \(kh.shape) and V \(vh.shape) do not match Q \(qh.shape)")
        }
        guard hkv > 0, hq % hkv == 0 else { throw KernelFailure("\(hq) query heads are not a multiple of \(hkv) kv heads") }
        if let nonpad, nonpad.count != batch { throw KernelFailure("nonpad_kv_seqlen needs \(batch) values") }

        let bias = try buildBias(
            input(3), type: type, r, batch: batch, heads: hq, l: l, s: s, pastLength: pastKey == nil ? nil : pastLength, nonpad: nonpad)
        let sqrtScale = r((scale ?? 1 / Double(e).squareRoot()).squareRoot())
        let qs = qh.values.map { r($0 * sqrtScale) }, ks = kh.values.map { r($0 * sqrtScale) }
        let softmaxType = self.softmaxType ?? type
        let rp = FloatIO.rounding(softmaxType)
        let sequentialSum = softmaxType == .bfloat16
        var y = [Double](repeating: 0, count: batch * hq * l * ev)
        var qkOut = [Double](repeating: 0, count: batch * hq * l * s)
        let group = hq / hkv
        var scores = [Double](repeating: 0, count: s)
        var dots = [Double](repeating: 0, count: l * s), probs = dots, block = [Double](repeating: 0, count: l * ev)
        // Empty dimensions leave Y and qk_matmul_output zero (and the buffers below empty).
        let heads = l > 0 && s > 0 && e > 0 && ev > 0 ? batch * hq : 0
        for head in 0..<heads {
            let (b, h) = (head / hq, head % hq)
            let kvh = h / group
            let qBase = (b * hq + h) * l * e, kBase = (b * hkv + kvh) * s * e, vBase = (b * hkv + kvh) * s * ev
            // dots = Qs Ks^T for this head, accumulated in float64 by dgemm.
            qs.withUnsafeBufferPointer { pq in
                ks.withUnsafeBufferPointer { pk in
                    dots.withUnsafeMutableBufferPointer { pd in
                        BLAS.dgemm(
                            transA: false, transB: true, m: l, n: s, k: e, alpha: 1, a: pq.baseAddress! + qBase, lda: e,
                            b: pk.baseAddress! + kBase, ldb: e, beta: 0, c: pd.baseAddress!, ldc: s)
                    }
                }
            }
            for i in 0..<l {
                let biasBase = ((b * hq + h) * l + i) * s
                let outBase = ((b * hq + h) * l + i) * s
                var biasMax = -Double.infinity
                for j in 0..<s {
                    var score = r(dots[i * s + j])
                    if softcap > 0 { score = r(r(tanh(r(score / softcap))) * softcap) }
                    if outputMode <= 1 { qkOut[outBase + j] = score }
                    score = r(score + bias[biasBase + j])
                    if outputMode == 2 { qkOut[outBase + j] = score }
                    scores[j] = rp(score)
                    biasMax = max(biasMax, bias[biasBase + j])
                }
                // Softmax as the reference writes it: a row of -inf gives zeros, NaN spreads.
                var m = -Double.infinity
                for j in 0..<s where scores[j].isNaN || scores[j] > m { m = scores[j] }
                let safeMax = m == -.infinity ? 0 : m
                var sum = 0.0
                for j in 0..<s {
                    scores[j] = rp(exp(rp(scores[j] - safeMax)))
                    sum = sequentialSum ? rp(sum + scores[j]) : sum + scores[j]
                }
                sum = rp(sum)
                if sum == 0 { sum = 1 }
                let isMasked = biasMax == -.infinity
                for j in 0..<s {
                    let p = isMasked ? 0 : rp(scores[j] / sum)
                    if outputMode == 3 { qkOut[outBase + j] = p }
                    probs[i * s + j] = r(p)
                }
            }
            // Y = P V for this head.
            probs.withUnsafeBufferPointer { pp in
                vh.values.withUnsafeBufferPointer { pv in
                    block.withUnsafeMutableBufferPointer { pb in
                        BLAS.dgemm(
                            transA: false, transB: false, m: l, n: ev, k: s, alpha: 1, a: pp.baseAddress!, lda: s,
                            b: pv.baseAddress! + vBase, ldb: ev, beta: 0, c: pb.baseAddress!, ldc: ev)
                    }
                }
            }
            let yBase = (b * hq + h) * l * ev
            for k in 0..<(l * ev) { y[yBase + k] = r(block[k]) }
        }
        var yShape = [batch, hq, l, ev]
        if q.rank == 3 {
            var t = y
            for b in 0..<batch {
                for h in 0..<hq {
                    for i in 0..<l { for d in 0..<ev { t[((b * l + i) * hq + h) * ev + d] = y[((b * hq + h) * l + i) * ev + d] } }
                }
            }
            y = t
            yShape = [batch, l, hq * ev]
        }
        return [
            try FloatIO.make(type, yShape, y, context), try FloatIO.make(type, kh.shape, kh.values, context),
            try FloatIO.make(type, vh.shape, vh.values, context), try FloatIO.make(type, [batch, hq, l, s], qkOut, context),
        ]
    }

    /// The additive bias [batch, heads, l, s]: the mask (bool -> 0 / -inf, float as given), padded
    /// with -inf to `s` keys, plus causal, window and valid-length terms. `pastLength` is nil
    /// without an internal cache; the causal frontier is then nonpad[b] - l with an external
    /// cache, else 0.
    private func buildBias(
        _ mask: RuntimeTensor?, type: DataType, _ r: (Double) -> Double, batch: Int, heads: Int, l: Int, s: Int, pastLength: Int?,
        nonpad: [Int]?
    ) throws -> [Double] {
        let full = [batch, heads, l, s]
        var bias = [Double](repeating: 0, count: full.reduce(1, *))
        if let mask {
            guard mask.rank >= 1, mask.rank <= 4 else { throw KernelFailure("attn_mask must have rank 1 to 4, got \(mask.shape)") }
            let isBool = mask.dataType == .bool
            var values = isBool ? try mask.int64Values().map { $0 != 0 ? 0.0 : -Double.infinity } : try FloatIO.doubles(mask).map(r)
            var shape = mask.shape
            let last = shape[shape.count - 1]
            if last < s {
                // A mask shorter than the total kv length covers its first keys; the rest are masked.
                var padded: [Double] = []
                for row in 0..<(values.count / max(last, 1)) {
                    padded += values[(row * last)..<((row + 1) * last)]
                    padded += [Double](repeating: -.infinity, count: s - last)
                }
                values = padded
                shape[shape.count - 1] = s
            }
            bias = try Broadcasting.expand(values, shape, to: full)
        }
        let offsets: [Int] = (0..<batch).map { b in
            if let pastLength { return pastLength }
            if let nonpad { return nonpad[b] - l }
            return 0
        }
        let hasWindow = leftWindow >= 0 || rightWindow >= 0
        for b in 0..<batch {
            for h in 0..<heads {
                for i in 0..<l {
                    for j in 0..<s {
                        let diff = i + offsets[b] - j
                        var allowed = !isCausal || diff >= 0
                        if hasWindow {
                            if leftWindow >= 0 && diff > leftWindow { allowed = false }
                            if rightWindow >= 0 && -diff > rightWindow { allowed = false }
                        }
                        if let nonpad, j >= nonpad[b] { allowed = false }
                        if !allowed { bias[((b * heads + h) * l + i) * s + j] = -.infinity }
                    }
                }
            }
        }
        return bias
    }
}

/// RotaryEmbedding (opset 23): rotates the first `rotary_embedding_dim` features of each head by
/// position: (x1, x2) -> (cos x1 - sin x2, sin x1 + cos x2), pairs taken as halves or, when
/// `interleaved`, as even/odd features. Caches are [max_position, dim/2] indexed by
/// position_ids, or [batch, seq, dim/2] without them.
final class RotaryEmbeddingKernel: Kernel {
    let isInterleaved: Bool
    let rotaryDim: Int
    let numHeads: Int?

    init(_ ctx: KernelBuildContext) throws {
        isInterleaved = try ctx.int("interleaved", default: 0) != 0
        rotaryDim = try ctx.int("rotary_embedding_dim", default: 0)
        numHeads = try ctx.int("num_heads")
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0, "X")
        let cosT = try Require.input(inputs, 1, "cos_cache"), sinT = try Require.input(inputs, 2, "sin_cache")
        let positions = try (inputs.count > 3 ? inputs[3] : nil).map { try $0.intValues() }
        let r = FloatIO.rounding(x.dataType)
        let v = try FloatIO.doubles(x)
        // Index (b, s, h, d) of the input in its own layout.
        let (batch, seq, heads, headSize): (Int, Int, Int, Int)
        let index: (Int, Int, Int, Int) -> Int
        if x.rank == 4 {
            (batch, heads, seq, headSize) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            index = { b, s, h, d in ((b * heads + h) * seq + s) * headSize + d }
        } else {
            guard x.rank == 3, let n = numHeads, n > 0, x.shape[2] % n == 0 else {
                throw KernelFailure("X must be 4-D, or 3-D with num_heads dividing its hidden size; got \(x.shape)")
            }
            (batch, seq, heads, headSize) = (x.shape[0], x.shape[1], n, x.shape[2] / n)
            index = { b, s, h, d in ((b * seq + s) * heads + h) * headSize + d }
        }
        let dim = rotaryDim == 0 ? headSize : rotaryDim
        let half = dim / 2
        guard dim <= headSize, dim % 2 == 0 else { throw KernelFailure("rotary_embedding_dim \(dim) must be even and at most \(headSize)") }
        let cosV = try FloatIO.doubles(cosT), sinV = try FloatIO.doubles(sinT)
        guard cosT.shape.last == half, sinT.shape == cosT.shape else {
            throw KernelFailure("caches \(cosT.shape) and \(sinT.shape) must end in rotary_embedding_dim/2 = \(half)")
        }
        if let positions {
            guard positions.count == batch * seq else { throw KernelFailure("position_ids needs \(batch * seq) values") }
        } else {
            guard cosT.count == batch * seq * half else { throw KernelFailure("caches without position_ids must be [batch, seq, \(half)]") }
        }
        var y = v
        for b in 0..<batch {
            for s in 0..<seq {
                let row = positions?[b * seq + s] ?? (b * seq + s)
                guard row >= 0, (row + 1) * half <= cosV.count else { throw KernelFailure("position \(row) is outside the caches") }
                for h in 0..<heads {
                    for p in 0..<half {
                        let (i1, i2) = isInterleaved ? (2 * p, 2 * p + 1) : (p, p + half)
                        let x1 = v[index(b, s, h, i1)], x2 = v[index(b, s, h, i2)]
                        let c = cosV[row * half + p], sn = sinV[row * half + p]
                        y[index(b, s, h, i1)] = r(r(c * x1) - r(sn * x2))
                        y[index(b, s, h, i2)] = r(r(sn * x1) + r(c * x2))
                    }
                }
            }
        }
        return [try FloatIO.make(x.dataType, x.shape, y, context)]
    }
}

/// FlexAttention (ai.onnx.preview, opset 1): attention over rank-4 Q, K, V with optional
/// `score_mod` and `prob_mod` subgraphs applied to the [B, Hq, L, S] scores and probabilities.
/// Scores are (Q sqrt(scale)) (K sqrt(scale))^T in Q's type, then the softmax runs in
/// `softmax_precision` (float32 for 16-bit and float32 inputs, float64 for float64); query head h
/// reads kv head h / (Hq / Hkv).
final class FlexAttentionKernel: Kernel {
    let scale: Double?
    let softmaxType: DataType?
    let scoreMod: ExecutionPlan?, probMod: ExecutionPlan?

    init(_ ctx: KernelBuildContext) throws {
        scale = ctx.node.attribute("scale") == nil ? nil : Double(try ctx.float("scale", default: 1))
        if let code = try ctx.int("softmax_precision") {
            let t = DataType(rawValue: Int32(code))
            guard [.float, .float16, .bfloat16, .double].contains(t) else { throw ctx.fail("unsupported softmax_precision \(code)") }
            softmaxType = t
        } else {
            softmaxType = nil
        }
        scoreMod = ctx.node.attribute("score_mod") == nil ? nil : try ctx.graph("score_mod")
        probMod = ctx.node.attribute("prob_mod") == nil ? nil : try ctx.graph("prob_mod")
    }

    private func apply(_ plan: ExecutionPlan?, _ values: [Double], _ shape: [Int], _ type: DataType, _ context: ExecutionContext) throws
        -> [Double]
    {
        guard let plan else { return values }
        let outputs = try context.run(plan, inputs: [try FloatIO.make(type, shape, values, context)])
        guard outputs.count == 1, outputs[0].shape == shape else {
            throw KernelFailure("a modifier subgraph must return one \(shape) tensor")
        }
        return try FloatIO.doubles(outputs[0])
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let q = try Require.input(inputs, 0, "Q"), k = try Require.input(inputs, 1, "K"), v = try Require.input(inputs, 2, "V")
        guard q.rank == 4, k.rank == 4, v.rank == 4 else { throw KernelFailure("FlexAttention needs rank-4 Q, K and V") }
        let (b, hq, l, e) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let (hkv, s, ev) = (k.shape[1], k.shape[2], v.shape[3])
        guard k.shape[0] == b, v.shape[0] == b, k.shape[3] == e, v.shape[1] == hkv, v.shape[2] == s, hkv > 0, hq % hkv == 0 else {
            throw KernelFailure("K \(k.shape) and V \(v.shape) do not match Q \(q.shape)")
        }
        let type = q.dataType
        let computeType = softmaxType ?? (type == .double ? .double : .float)
        let r = FloatIO.rounding(type), rc = FloatIO.rounding(computeType)
        let sqrtScale = r(Double(Float(scale ?? 1 / Double(e).squareRoot()).squareRoot()))
        let qs = try FloatIO.doubles(q).map { r($0 * sqrtScale) }, ks = try FloatIO.doubles(k).map { r($0 * sqrtScale) }
        let vs = try FloatIO.doubles(v).map(rc)
        let group = hq / hkv
        var scores = [Double](repeating: 0, count: b * hq * l * s)
        for bi in 0..<b {
            for h in 0..<hq {
                let qBase = (bi * hq + h) * l * e, kBase = (bi * hkv + h / group) * s * e
                for i in 0..<l {
                    for j in 0..<s {
                        var dot = 0.0
                        for d in 0..<e { dot += qs[qBase + i * e + d] * ks[kBase + j * e + d] }
                        scores[((bi * hq + h) * l + i) * s + j] = rc(r(dot))
                    }
                }
            }
        }
        let shape = [b, hq, l, s]
        scores = try apply(scoreMod, scores, shape, computeType, context).map(rc)
        for row in 0..<(b * hq * l) {
            var m = -Double.infinity
            for j in 0..<s { m = max(m, scores[row * s + j]) }
            var sum = 0.0
            for j in 0..<s {
                scores[row * s + j] = rc(exp(rc(scores[row * s + j] - m)))
                sum += scores[row * s + j]
            }
            sum = rc(sum)
            for j in 0..<s { scores[row * s + j] = rc(scores[row * s + j] / sum) }
        }
        scores = try apply(probMod, scores, shape, computeType, context).map(rc)
        var y = [Double](repeating: 0, count: b * hq * l * ev)
        for bi in 0..<b {
            for h in 0..<hq {
                let vBase = (bi * hkv + h / group) * s * ev
                for i in 0..<l {
                    let row = ((bi * hq + h) * l + i) * s
                    for d in 0..<ev {
                        var acc = 0.0
                        for j in 0..<s { acc += scores[row + j] * vs[vBase + j * ev + d] }
                        y[((bi * hq + h) * l + i) * ev + d] = acc
                    }
                }
            }
        }
        return [try FloatIO.make(v.dataType, [b, hq, l, ev], y, context)]
    }
}

enum AttentionKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("FlexAttention", domain: "ai.onnx.preview") { try FlexAttentionKernel($0) },
        KernelDescriptor("Attention", since: 23) { try AttentionKernel($0) },
        KernelDescriptor("RotaryEmbedding", since: 23) { try RotaryEmbeddingKernel($0) },
    ]
}
