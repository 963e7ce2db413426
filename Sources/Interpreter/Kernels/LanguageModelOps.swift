import Foundation
import ONNXIR

/// LinearAttention (opset 27): a recurrent state S [B, H_kv, d_k, d_v] per kv head, updated per
/// time step t by the `update_rule`: linear S += k v^T; gated S = S * exp(g) + k v^T; delta
/// v' = beta (v - S^T k), S += k v'^T; gated_delta both. The output is scale * q^T S, query head
/// h reading kv head h / (H_q / H_kv). Inputs are 3-D [B, T, H * D]; `chunk_size` only tunes
/// speed and is ignored. Computed in float64.
final class LinearAttentionKernel: Kernel {
    let qHeads: Int, kvHeads: Int
    let scale: Double
    let isGated: Bool, isDelta: Bool

    init(_ ctx: KernelBuildContext) throws {
        guard let q = try ctx.int("q_num_heads"), let kv = try ctx.int("kv_num_heads"), q > 0, kv > 0, q % kv == 0 else {
            throw ctx.fail("q_num_heads and kv_num_heads are required, q_num_heads a multiple of kv_num_heads")
        }
        (qHeads, kvHeads) = (q, kv)
        scale = Double(try ctx.float("scale", default: 0))
        let rule = try ctx.string("update_rule", default: "gated_delta")
        guard ["linear", "gated", "delta", "gated_delta"].contains(rule) else { throw ctx.fail("unknown update_rule '\(rule)'") }
        isGated = rule.hasPrefix("gated")
        isDelta = rule.hasSuffix("delta")
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let q = try Require.input(inputs, 0, "query"), k = try Require.input(inputs, 1, "key"), v = try Require.input(inputs, 2, "value")
        let input = { (i: Int) in inputs.count > i ? inputs[i] : nil }
        guard q.rank == 3, k.rank == 3, v.rank == 3 else { throw KernelFailure("query, key and value must be 3-D") }
        let (b, t) = (q.shape[0], q.shape[1])
        guard q.shape[2] % qHeads == 0, k.shape[2] % kvHeads == 0, v.shape[2] % kvHeads == 0 else {
            throw KernelFailure("hidden sizes do not split into the given heads")
        }
        let dk = q.shape[2] / qHeads, dv = v.shape[2] / kvHeads
        guard k.shape == [b, t, kvHeads * dk], v.shape[0] == b, v.shape[1] == t else {
            throw KernelFailure("key \(k.shape) or value \(v.shape) do not match query \(q.shape)")
        }
        let qv = try FloatIO.doubles(q), kv = try FloatIO.doubles(k), vv = try FloatIO.doubles(v)
        let decay = input(4), beta = input(5)
        guard (decay != nil) == isGated else {
            throw KernelFailure(isGated ? "this update_rule requires decay" : "this update_rule forbids decay")
        }
        guard (beta != nil) == isDelta else {
            throw KernelFailure(isDelta ? "this update_rule requires beta" : "this update_rule forbids beta")
        }
        let g = try decay.map { try FloatIO.doubles($0) }, bt = try beta.map { try FloatIO.doubles($0) }
        let decayWidth = decay?.shape.last ?? 0, betaWidth = beta?.shape.last ?? 0
        if let decay, decay.shape != [b, t, kvHeads] && decay.shape != [b, t, kvHeads * dk] {
            throw KernelFailure("decay \(decay.shape) must be [\(b), \(t), \(kvHeads)] or [\(b), \(t), \(kvHeads * dk)]")
        }
        if let beta, beta.shape != [b, t, kvHeads] && beta.shape != [b, t, 1] {
            throw KernelFailure("beta \(beta.shape) must end in \(kvHeads) or 1")
        }
        let stateShape = [b, kvHeads, dk, dv]
        var state = [Double](repeating: 0, count: stateShape.reduce(1, *))
        let past = input(3)
        if let past {
            guard past.shape == stateShape else { throw KernelFailure("past_state \(past.shape) must be \(stateShape)") }
            state = try FloatIO.doubles(past)
        }
        let s = scale == 0 ? 1 / Double(dk).squareRoot() : scale
        let group = qHeads / kvHeads
        var out = [Double](repeating: 0, count: b * t * qHeads * dv)
        var update = [Double](repeating: 0, count: dv)
        for bi in 0..<b {
            for ti in 0..<t {
                let row = bi * t + ti
                for h in 0..<kvHeads {
                    let sBase = (bi * kvHeads + h) * dk * dv
                    let kBase = row * kvHeads * dk + h * dk, vBase = row * kvHeads * dv + h * dv
                    if let g {
                        for i in 0..<dk {
                            let factor = exp(decayWidth == kvHeads ? g[row * kvHeads + h] : g[row * kvHeads * dk + h * dk + i])
                            for j in 0..<dv { state[sBase + i * dv + j] *= factor }
                        }
                    }
                    for j in 0..<dv { update[j] = vv[vBase + j] }
                    if let bt {
                        let beta = bt[row * betaWidth + (betaWidth == 1 ? 0 : h)]
                        for j in 0..<dv {
                            var retrieved = 0.0
                            for i in 0..<dk { retrieved += state[sBase + i * dv + j] * kv[kBase + i] }
                            update[j] = beta * (update[j] - retrieved)
                        }
                    }
                    for i in 0..<dk { for j in 0..<dv { state[sBase + i * dv + j] += kv[kBase + i] * update[j] } }
                }
                for h in 0..<qHeads {
                    let sBase = (bi * kvHeads + h / group) * dk * dv, qBase = row * qHeads * dk + h * dk
                    for j in 0..<dv {
                        var acc = 0.0
                        for i in 0..<dk { acc += qv[qBase + i] * state[sBase + i * dv + j] }
                        out[row * qHeads * dv + h * dv + j] = s * acc
                    }
                }
            }
        }
        return [
            try FloatIO.make(q.dataType, [b, t, qHeads * dv], out, context),
            try FloatIO.make(past?.dataType ?? q.dataType, stateShape, state, context),
        ]
    }
}

/// CausalConvWithState (opset 27): depthwise causal 1-D convolution of [B, C, L] with weight
/// [C, 1, k], the k - 1 previous positions taken from past_state (zeros without it); optional
/// bias and fused SiLU. present_state is the last k - 1 positions of past ++ input.
final class CausalConvWithStateKernel: Kernel {
    let isSiLU: Bool

    init(_ ctx: KernelBuildContext) throws {
        let a = try ctx.string("activation", default: "none")
        guard ["none", "silu", "swish"].contains(a) else { throw ctx.fail("unknown activation '\(a)'") }
        isSiLU = a != "none"
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0, "input"), w = try Require.input(inputs, 1, "weight")
        guard x.rank == 3, w.rank == 3, w.shape[0] == x.shape[1], w.shape[1] == 1 else {
            throw KernelFailure("input \(x.shape) must be [B, C, L] and weight \(w.shape) [C, 1, k]")
        }
        let (b, c, l, k) = (x.shape[0], x.shape[1], x.shape[2], w.shape[2])
        let bias = try (inputs.count > 2 ? inputs[2] : nil).map { try FloatIO.doubles($0) }
        let pastTensor = inputs.count > 3 ? inputs[3] : nil
        if let bias, bias.count != c { throw KernelFailure("bias needs \(c) values") }
        let past: [Double]
        if let pastTensor {
            guard pastTensor.shape == [b, c, k - 1] else {
                throw KernelFailure("past_state \(pastTensor.shape) must be [\(b), \(c), \(k - 1)]")
            }
            past = try FloatIO.doubles(pastTensor)
        } else {
            past = [Double](repeating: 0, count: b * c * (k - 1))
        }
        let xv = try FloatIO.doubles(x), wv = try FloatIO.doubles(w)
        let r = FloatIO.rounding(x.dataType)
        let total = k - 1 + l
        var y = [Double](repeating: 0, count: b * c * l), state = [Double](repeating: 0, count: b * c * (k - 1))
        var padded = [Double](repeating: 0, count: total)
        for plane in 0..<(b * c) {
            let ch = plane % c
            for i in 0..<(k - 1) { padded[i] = past[plane * (k - 1) + i] }
            for i in 0..<l { padded[k - 1 + i] = xv[plane * l + i] }
            for i in 0..<l {
                var acc = bias?[ch] ?? 0
                for j in 0..<k { acc += padded[i + j] * wv[ch * k + j] }
                // The reference rounds the convolution to the input type before the activation.
                acc = r(acc)
                y[plane * l + i] = isSiLU ? acc / (1 + exp(-acc)) : acc
            }
            for i in 0..<(k - 1) { state[plane * (k - 1) + i] = padded[total - (k - 1) + i] }
        }
        return [try FloatIO.make(x.dataType, x.shape, y, context), try FloatIO.make(x.dataType, [b, c, k - 1], state, context)]
    }
}

/// TensorScatter (opset 24): present = past with `update` written along `axis` from each batch's
/// write index (0 without write_indices), modulo the cache length in "circular" mode.
final class TensorScatterKernel: Kernel {
    let axis: Int
    let isCircular: Bool

    init(_ ctx: KernelBuildContext) throws {
        axis = try ctx.int("axis", default: -2)
        let mode = try ctx.string("mode", default: "linear")
        guard mode == "linear" || mode == "circular" else { throw ctx.fail("unknown mode '\(mode)'") }
        isCircular = mode == "circular"
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let past = try Require.input(inputs, 0, "past_cache"), update = try Require.input(inputs, 1, "update")
        let a = try Axis.normalize(axis, rank: past.rank)
        guard a > 0, update.rank == past.rank, update.dataType == past.dataType,
            (0..<past.rank).allSatisfy({ $0 == a || update.shape[$0] == past.shape[$0] })
        else { throw KernelFailure("update \(update.shape) does not match past_cache \(past.shape) outside axis \(a)") }
        let indices = try (inputs.count > 2 ? inputs[2] : nil)?.intValues() ?? [Int](repeating: 0, count: past.shape[0])
        guard indices.count == past.shape[0] else { throw KernelFailure("write_indices needs \(past.shape[0]) values") }
        let width = try Axis.elementBytes(past.dataType)
        let out = try context.allocate(past.dataType, past.shape)
        out.raw.copyMemory(from: past.raw, byteCount: past.count * width)
        let outer = past.shape[..<a].reduce(1, *), perBatch = outer / max(past.shape[0], 1)
        let maxLength = past.shape[a], length = update.shape[a], inner = past.shape[(a + 1)...].reduce(1, *) * width
        for o in 0..<outer {
            let batch = o / max(perBatch, 1)
            for s in 0..<length {
                var target = indices[batch] + s
                if isCircular { target = ((target % maxLength) + maxLength) % maxLength }
                guard target >= 0 && target < maxLength else {
                    throw KernelFailure("write index \(target) is outside the cache length \(maxLength)")
                }
                (out.raw + (o * maxLength + target) * inner).copyMemory(from: update.raw + (o * length + s) * inner, byteCount: inner)
            }
        }
        return [out]
    }
}

/// SwiGLU (opset 28): Y = A * sigmoid(alpha * A) * B, A and B of one shape.
final class SwiGLUKernel: Kernel {
    let alpha: Double

    init(_ ctx: KernelBuildContext) throws { alpha = Double(try ctx.float("alpha", default: 1)) }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let a = try Require.input(inputs, 0, "A"), b = try Require.input(inputs, 1, "B")
        guard a.shape == b.shape, a.dataType == b.dataType else { throw KernelFailure("A \(a) and B \(b) must have one shape and type") }
        let av = try FloatIO.doubles(a), bv = try FloatIO.doubles(b)
        let y = (0..<av.count).map { i in av[i] / (1 + exp(-alpha * av[i])) * bv[i] }
        return [try FloatIO.make(a.dataType, a.shape, y, context)]
    }
}

enum LanguageModelKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("LinearAttention", since: 27) { try LinearAttentionKernel($0) },
        KernelDescriptor("CausalConvWithState", since: 27) { try CausalConvWithStateKernel($0) },
        KernelDescriptor("TensorScatter", since: 24) { try TensorScatterKernel($0) },
        KernelDescriptor("SwiGLU", since: 28) { try SwiGLUKernel($0) },
    ]
}
