import ONNXIR

/// Removes Identity nodes and inference-time Dropout (its mask unused), wiring readers straight
/// to the input.
///
///     y = Identity(x); z = Relu(y)   ->   z = Relu(x)
///
/// When y is a graph output, x takes y's name instead (so the model's interface keeps its names).
/// Does not fire when: y is a graph output and x is a graph input, an initializer, another graph
/// output or a value of an enclosing graph (renaming those would change the interface);
/// Dropout's mask output is read; Dropout is in training mode (`training_mode` input true).
public struct IdentityElimination: GraphPass {
    public static let name = "identity"
    public static let summary = "Remove Identity nodes and inference-time Dropout."

    public init(options: PassOptions) throws {}

    public func run(in context: PassContext) throws -> PassReport {
        var report = PassReport(pass: Self.name)
        for graph in context.graph.allGraphs {
            for node in graph.nodes where node.normalizedDomain.isEmpty && (node.opType == "Identity" || node.opType == "Dropout") {
                guard let input = node.inputs.first ?? nil, let output = node.outputs.first ?? nil else { continue }
                let label = "\(node.opType) '\(node.name)'"
                if node.opType == "Dropout" {
                    if node.outputs.count > 1, let mask = node.outputs[1], !mask.uses.isEmpty || mask.isGraphOutput {
                        report.skip(label, "its mask output is read")
                        continue
                    }
                    if node.inputs.count > 2, node.inputs[2] != nil {
                        guard let training = node.inputs[2]?.initializer, (try? training.int64Values()) == [0] else {
                            report.skip(label, "training_mode is not a constant false")
                            continue
                        }
                    }
                }
                if output.isGraphOutput {
                    let renameable = input.producer != nil && input.graph === graph && !input.isGraphOutput
                    guard renameable else {
                        report.skip(
                            label, "its output '\(output.name)' is a graph output and its input '\(input.name)' cannot take that name")
                        continue
                    }
                    let publicName = output.name
                    graph.replaceAllUses(of: output, with: input, includingGraphOutputs: true)
                    graph.erase(node)
                    graph.rename(input, to: publicName)
                } else {
                    graph.replaceAllUses(of: output, with: input)
                    graph.erase(node)
                }
                report.changed("removed \(label)")
            }
        }
        return report
    }
}
