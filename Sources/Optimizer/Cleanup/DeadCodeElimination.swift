import ONNXIR

/// Removes nodes whose outputs nothing reads, initializers nothing reads, and main-graph inputs
/// nothing reads.
///
///     y = Relu(x); z = Neg(x)   (z unused)   ->   y = Relu(x)
///
/// Does not fire on: graph outputs; subgraph inputs (If/Loop/Scan bind them by position); inputs
/// of the main graph when `keep-inputs` is set (they are part of the model's interface).
public struct DeadCodeElimination: GraphPass {
    public static let name = "dead-code"
    public static let summary = "Remove nodes, initializers and inputs that nothing reads."
    public static let optionSpecs = [
        PassOptionSpec("keep-inputs", .bool, default: "false", "Keep unused graph inputs (they are part of the model's interface).")
    ]
    let keepInputs: Bool

    public init(options: PassOptions) throws { keepInputs = options.bool("keep-inputs") }

    public func run(in context: PassContext) throws -> PassReport {
        var report = PassReport(pass: Self.name)
        for graph in context.graph.allGraphs.reversed() {
            for node in graph.nodes.reversed() where Self.isDead(node) {
                report.changed("removed unused \(node.opType) '\(node.name)'")
                graph.erase(node)
            }
            for value in graph.initializers where value.uses.isEmpty && !value.isGraphOutput && !value.isGraphInput {
                report.changed("removed unused initializer '\(value.name)'")
                graph.removeInitializer(value)
            }
            for value in graph.sparseInitializers where value.uses.isEmpty && !value.isGraphOutput {
                report.changed("removed unused sparse initializer '\(value.name)'")
                graph.removeInitializer(value)
            }
        }
        let main = context.graph
        for input in main.inputs where input.uses.isEmpty && !input.isGraphOutput {
            if keepInputs {
                report.skip("input '\(input.name)'", "unused, kept because keep-inputs is set")
                continue
            }
            report.changed("removed unused input '\(input.name)'")
            if input.isInitializer {
                main.removeInitializer(input)
            }
            main.removeInput(input)
        }
        return report
    }

    static func isDead(_ node: Node) -> Bool {
        node.outputs.allSatisfy { out in out.map { $0.uses.isEmpty && !$0.isGraphOutput } ?? true }
    }
}
