import ONNXIR

/// Which nodes static quantization leaves in float on its own (option `auto-float`), and why.
///
///     transformer block:  x -> LayerNorm -> MatMul(Wq|Wk|Wv) -> MatMul(Q, K^T) -> Softmax -> MatMul(P, V) -> ... -> Add(x, .)
///     quantized:                            ^^^^^^^^^^^^^^^^                                                         (weights)
///     kept in float:      residual/bias/GELU Add and Mul, activation x activation MatMul, LayerNorm, Softmax
///
/// Why: in a transformer the error of 8-bit activations concentrates in a few places. The
/// residual stream carries a few channels far larger than the rest, so one per-tensor scale
/// crushes the others, and LayerNormalization then amplifies the crushed channels back to unit
/// size. Softmax probabilities near 1/sequence length fall on one or two uint8 steps, so the
/// attention MatMuls that read them (and the score MatMul whose output Softmax exponentiates)
/// lose most of their information. The MatMuls with weights hold almost all of the compute and
/// quantize well, so they stay quantized; onnxruntime runs them as MatMulIntegerToFloat.
/// Outside transformer-style graphs (no LayerNormalization, no Softmax read by a MatMul) nothing
/// is kept, so CNNs, even ones ending in a Softmax, keep their QLinearAdd/QLinearConcat paths.
struct QuantizationPolicy {
    /// Node -> why it stays float.
    private(set) var keptFloat: [ObjectIdentifier: String] = [:]
    let isTransformer: Bool

    static let normalizationOps: Set<String> = ["LayerNormalization", "Softmax", "ReduceMean", "SimplifiedLayerNormalization"]

    init(graph: Graph, enabled: Bool) {
        isTransformer = enabled && graph.nodes.contains { Self.marksTransformer($0) }
        guard isTransformer else { return }
        for node in graph.nodes where node.normalizedDomain.isEmpty {
            switch node.opType {
            case "Add", "Mul", "Concat":
                if let norm = Self.normalizationReader(of: node) {
                    keptFloat[ObjectIdentifier(node)] =
                        "feeds \(norm.opType) '\(norm.name)': a rounded residual stream is amplified by the normalization"
                } else {
                    keptFloat[ObjectIdentifier(node)] =
                        "elementwise arithmetic in a transformer-style graph (bias, GELU, mask): kept in float, only MatMul weights are quantized"
                }
            case "MatMul" where node.inputs.count == 2 && node.inputs.allSatisfy({ $0?.initializer == nil }):
                keptFloat[ObjectIdentifier(node)] =
                    "multiplies two activations (attention scores or context): Softmax inputs and probabilities need more than 8 bits"
            default: break
            }
        }
    }

    func reason(_ node: Node) -> String? { keptFloat[ObjectIdentifier(node)] }

    /// LayerNormalization, or an attention Softmax (one whose probabilities a MatMul reads); a
    /// classifier's final Softmax does not make a CNN transformer-style.
    static func marksTransformer(_ node: Node) -> Bool {
        guard node.normalizedDomain.isEmpty else { return false }
        if node.opType == "LayerNormalization" { return true }
        guard node.opType == "Softmax" else { return false }
        var frontier = node.outputs.compactMap { $0 }
        for _ in 0..<3 {
            var next: [Value] = []
            for v in frontier {
                for use in v.uses {
                    if use.node.opType == "MatMul" { return true }
                    if ["Cast", "Dropout", "Identity"].contains(use.node.opType)
                        || StaticQuantization.passthroughOps.contains(use.node.opType)
                    {
                        next += use.node.outputs.compactMap { $0 }
                    }
                }
            }
            frontier = next
        }
        return false
    }

    /// A normalization op reading `node`'s output, directly or through data movement.
    private static func normalizationReader(of node: Node) -> Node? {
        var frontier = node.outputs.compactMap { $0 }
        for _ in 0..<3 {
            var next: [Value] = []
            for v in frontier {
                for use in v.uses {
                    if normalizationOps.contains(use.node.opType) { return use.node }
                    if StaticQuantization.passthroughOps.contains(use.node.opType) { next += use.node.outputs.compactMap { $0 } }
                }
            }
            frontier = next
        }
        return nil
    }
}
