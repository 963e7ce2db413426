import ONNXIR

/// Raises a model's default-domain opset when a quantization feature needs a newer one (blocked
/// or int4 DequantizeLinear: opset 21, IR version 10).
///
///     opset 17: ReduceMean(x) {axes=[1]}  ->  opset 21: ReduceMean(x, axes=[1] initializer)
///
/// Between 13 and 21 most ops only gained types or optional attributes with the old default, so
/// their nodes mean the same under the new opset. The exceptions are rewritten or refused:
/// the Reduce ops other than ReduceSum took `axes` as an input at 18 (rewritten here);
/// GridSample renamed its modes at 20, GroupNormalization changed its scale shape at 21 and
/// RoiAlign its default coordinate mode at 16 (refused). Below opset 13 (Squeeze, Unsqueeze,
/// Split and ReduceSum moved attributes to inputs) and in graphs with subgraphs the raise is
/// refused; the caller then keeps the old opset and says why.
enum OpsetRaise {
    static let reduceOpsWithAxesInputAt18: Set<String> = [
        "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
        "ReduceSumSquare",
    ]
    /// Op -> the opset at which its meaning changed incompatibly.
    static let refused: [String: Int] = ["GridSample": 20, "GroupNormalization": 21, "RoiAlign": 16]

    /// Why `model` cannot be raised to `target`, or nil when it can.
    static func obstacle(_ model: Model, to target: Int) -> String? {
        let current = Int(model.opsetVersion(for: "") ?? 1)
        guard current < target else { return nil }
        guard current >= 13 else { return "opset \(current) is older than 13 (Squeeze/Unsqueeze/Split/ReduceSum changed at 13)" }
        for node in model.graph.nodes {
            if !node.subgraphs.isEmpty { return "node '\(node.name)' (\(node.opType)) holds subgraphs, which are not upgraded" }
            guard node.normalizedDomain.isEmpty, let changed = refused[node.opType], current < changed, changed <= target else { continue }
            return "node '\(node.name)' (\(node.opType)) changed meaning at opset \(changed)"
        }
        return nil
    }

    /// Raises `model` to `target` (and its IR version to at least `irVersion`); returns what it
    /// rewrote. Call only when `obstacle` is nil.
    static func raise(_ model: Model, to target: Int, irVersion: Int64) -> [String] {
        let current = Int(model.opsetVersion(for: "") ?? 1)
        guard current < target else { return [] }
        var rewritten: [String] = []
        let graph = model.graph
        if current < 18 {
            for node in graph.nodes where node.normalizedDomain.isEmpty && reduceOpsWithAxesInputAt18.contains(node.opType) {
                guard let axes = node.attribute("axes")?.ints else { continue }
                let value = graph.addInitializer(
                    .int64(dims: [Int64(axes.count)], values: axes), named: graph.freshName(node.name + "_axes"))
                node.removeAttribute("axes")
                node.appendInput(value)
                rewritten.append("\(node.opType) '\(node.name)': axes attribute -> input")
            }
        }
        if let i = model.opsetImports.firstIndex(where: { $0.domain.isEmpty || $0.domain == "ai.onnx" }) {
            model.opsetImports[i] = OperatorSetID(domain: model.opsetImports[i].domain, version: Int64(target))
        } else {
            model.opsetImports.append(OperatorSetID(domain: "", version: Int64(target)))
        }
        model.irVersion = max(model.irVersion, irVersion)
        return rewritten
    }
}
