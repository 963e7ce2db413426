import ONNXIR

/// Replaces a computed Reshape target by a constant when shape inference knows the result up to
/// the dims it copies from the input: symbolic dims kept in place become 0 (copy), one other
/// symbolic dim becomes -1. The Shape -> Gather -> Concat subgraph that computed the target then
/// dies (dead-code removes it).
///
///     t = Concat(Unsqueeze(Gather(Shape(x), 0)), [2, 58, 28, 28]);  y = Reshape(x, t)
///       x: [N, 116, 28, 28], y inferred [N, 2, 58, 28, 28]   ->   y = Reshape(x, [0, 2, 58, 28, 28])
///
/// Does not fire when: the target is already constant; the output shape is not fully inferred
/// (unknown dims, or two symbolic dims that are not copies); `allowzero` is set and a 0 would be
/// needed; a kept symbol sits past the input's rank; the opset is below 5 (target attribute).
public struct ReshapeTargetFolding: GraphPass {
    public static let name = "reshape-targets"
    public static let summary = "Replace computed Reshape targets by constants when shapes are inferred."

    public init(options: PassOptions) throws {}

    public func run(in context: PassContext) throws -> PassReport {
        var report = PassReport(pass: Self.name)
        guard context.opset >= 5, context.model.irVersion >= 4 else { return report }
        ShapeInference().run(on: context.model)
        for graph in context.graph.allGraphs {
            for node in graph.nodes where node.normalizedDomain.isEmpty && node.opType == "Reshape" && node.inputs.count >= 2 {
                guard let x = node.inputs[0], let target = node.inputs[1], target.initializer == nil,
                    target.producer?.opType != "Constant", let y = node.outputs.first ?? nil
                else { continue }
                let label = "Reshape '\(node.name)'"
                guard let inShape = x.knownType?.shape?.dimensions, let outShape = y.knownType?.shape?.dimensions else {
                    report.skip(label, "the input or output shape is not inferred")
                    continue
                }
                let allowZero = node.attribute("allowzero")?.int == 1
                var entries: [Int64] = []
                var minusOne = false
                var failure: String?
                for (i, d) in outShape.enumerated() {
                    switch d {
                    case .value(let v):
                        entries.append(v)
                    case .symbol where i < inShape.count && inShape[i] == d && !allowZero:
                        entries.append(0)
                    case .symbol where !minusOne:
                        minusOne = true
                        entries.append(-1)
                    default:
                        failure = "dim \(i) of the result (\(d)) cannot be expressed as a constant target"
                    }
                    if failure != nil { break }
                }
                if let failure {
                    report.skip(label, failure)
                    continue
                }
                let constant = graph.addInitializer(
                    .int64(dims: [Int64(entries.count)], values: entries), named: graph.freshName(node.name + "_shape"))
                node.setInput(1, constant)
                report.changed("\(label): target \(entries) instead of a computed shape")
            }
        }
        return report
    }
}
