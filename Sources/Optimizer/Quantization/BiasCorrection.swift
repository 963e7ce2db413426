import ONNXIR

/// Bias correction for quantized Conv and Gemm weights (empirical, from the float inputs' means).
///
///     y = W x + b  ->  y = Wq x + b',   b' = b + (W - Wq) E[x]
///
/// Weight rounding is not zero-mean per output channel: summed over a channel's inputs it shifts
/// that channel's mean output by (W - Wq) E[x], which the next layers see as a systematic error.
/// E[x] is the per-channel mean of the layer's float input over the calibration data (streamed
/// with the other statistics), so the corrected layer's mean output per channel matches float on
/// that data, apart from the padded border of a Conv, where some taps read zeros instead of E[x].
/// Gemm's alpha and beta are honoured: b' = b + alpha/beta (W - Wq) E[x].
enum BiasCorrection {
    /// The axis of the input channels of `node`'s data input: 1 for Conv (NCHW), K for Gemm
    /// (-1, the last axis, as SmoothQuant asks for it too, so both share one statistic).
    static func inputChannelAxis(_ node: Node) -> Int? {
        switch node.opType {
        case "Conv": return 1
        case "Gemm": return node.attribute("transA")?.int == 1 ? 0 : -1
        default: return nil
        }
    }

    /// The change of each output channel's bias, or nil when the shapes do not line up.
    static func delta(_ node: Node, weight: [Float], dequantized: [Float], dims: [Int], inputMean: [Float]) -> [Float]? {
        switch node.opType {
        case "Conv":
            guard dims.count >= 3 else { return nil }
            let outChannels = dims[0], perGroup = dims[1], taps = dims[2...].reduce(1, *)
            let groups = Int(node.attribute("group")?.int ?? 1)
            guard groups > 0, outChannels % groups == 0, perGroup * groups == inputMean.count else { return nil }
            let outPerGroup = outChannels / groups
            return (0..<outChannels).map { o in
                let firstInput = (o / outPerGroup) * perGroup
                var d: Float = 0
                for i in 0..<perGroup {
                    var s: Float = 0
                    let base = (o * perGroup + i) * taps
                    for t in 0..<taps { s += weight[base + t] - dequantized[base + t] }
                    d += s * inputMean[firstInput + i]
                }
                return d
            }
        case "Gemm":
            guard dims.count == 2 else { return nil }
            let transB = node.attribute("transB")?.int == 1
            let (k, n) = transB ? (dims[1], dims[0]) : (dims[0], dims[1])
            guard k == inputMean.count else { return nil }
            let alpha = Float(node.attribute("alpha")?.float ?? 1), beta = Float(node.attribute("beta")?.float ?? 1)
            guard beta != 0 else { return nil }
            return (0..<n).map { j in
                var d: Float = 0
                for r in 0..<k {
                    let i = transB ? j * k + r : r * n + j
                    d += (weight[i] - dequantized[i]) * inputMean[r]
                }
                return d * alpha / beta
            }
        default: return nil
        }
    }
}
