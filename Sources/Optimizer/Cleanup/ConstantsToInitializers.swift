import ONNXIR

/// Turns Constant nodes into initializers of the same graph.
///
///     c = Constant(value=T); y = Add(x, c)   ->   y = Add(x, c)  with c an initializer holding T
///
/// Handles `value` and the scalar/list forms (value_float(s), value_int(s)). Does not fire when:
/// the model's IR version is below 4 (initializers must then also be graph inputs); the constant
/// is a graph output; it holds a sparse tensor or strings (value_string(s)).
public struct ConstantsToInitializers: GraphPass {
    public static let name = "constants-to-initializers"
    public static let summary = "Turn Constant nodes into initializers."

    public init(options: PassOptions) throws {}

    public func run(in context: PassContext) throws -> PassReport {
        var report = PassReport(pass: Self.name)
        for graph in context.graph.allGraphs {
            for node in graph.nodes where node.normalizedDomain.isEmpty && node.opType == "Constant" {
                guard let output = node.outputs.first ?? nil else { continue }
                let label = "Constant '\(node.name)'"
                if context.model.irVersion < 4 {
                    report.skip(label, "IR version \(context.model.irVersion) requires initializers to be graph inputs")
                    continue
                }
                if output.isGraphOutput {
                    report.skip(label, "its output '\(output.name)' is a graph output")
                    continue
                }
                guard let tensor = Self.tensor(of: node) else {
                    report.skip(label, "holds a sparse or string value")
                    continue
                }
                let name = output.name
                let value = graph.addInitializer(tensor, named: graph.freshName(name + "_init"))
                graph.replaceAllUses(of: output, with: value)
                graph.erase(node)
                graph.rename(value, to: name)
                report.changed("made \(label) an initializer")
            }
        }
        return report
    }

    static func tensor(of node: Node) -> Tensor? {
        guard let a = node.attributes.first else { return nil }
        switch (a.name, a.value) {
        case ("value", .tensor(let t)): return t
        case ("value_float", .float(let f)): return .float32(dims: [], values: [f])
        case ("value_floats", .floats(let f)): return .float32(dims: [Int64(f.count)], values: f)
        case ("value_int", .int(let i)): return .int64(dims: [], values: [i])
        case ("value_ints", .ints(let i)): return .int64(dims: [Int64(i.count)], values: i)
        default: return nil
        }
    }
}
