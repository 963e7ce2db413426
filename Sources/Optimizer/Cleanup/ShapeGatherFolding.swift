import ONNXIR

/// Folds `Gather(Shape(x), i)` when the selected dims of x are static even though others (the
/// batch) are symbolic, so size arithmetic on them (`x.chunk(2, dim=1)`, head counts) becomes
/// constant and folds away.
///
///     c = Gather(Shape(x), 1)   x: [N, 116, 28, 28]   ->   c, an int64 initializer 116
///
/// Does not fire when: a selected dim is symbolic or unknown; the indices are not constant; the
/// output is a graph output; the IR version is below 4.
public struct ShapeGatherFolding: GraphPass {
    public static let name = "shape-gather-folding"
    public static let summary = "Fold Gather of a Shape when the selected dims are static."

    public init(options: PassOptions) throws {}

    public func run(in context: PassContext) throws -> PassReport {
        var report = PassReport(pass: Self.name)
        guard context.model.irVersion >= 4 else { return report }
        ShapeInference().run(on: context.model)
        for graph in context.graph.allGraphs {
            for node in graph.nodes where node.normalizedDomain.isEmpty && node.opType == "Gather" {
                guard let data = node.inputs.first ?? nil, let shapeNode = data.producer, shapeNode.opType == "Shape",
                    shapeNode.normalizedDomain.isEmpty, let source = shapeNode.inputs.first ?? nil, node.inputs.count > 1,
                    let indicesValue = node.inputs[1], let indices = indicesValue.initializer, !indicesValue.isGraphInput,
                    let output = node.outputs.first ?? nil, !output.isGraphOutput
                else { continue }
                let label = "Gather '\(node.name)'"
                guard (node.attribute("axis")?.int ?? 0) == 0, let dims = source.knownType?.shape?.dimensions,
                    let picks = try? indices.int64Values()
                else { continue }
                // Shape's start/end (opset 15) select a window of dims.
                let rank = Int64(dims.count)
                func clamp(_ v: Int64) -> Int { Int(min(max(v < 0 ? v + rank : v, 0), rank)) }
                let start = clamp(shapeNode.attribute("start")?.int ?? 0), end = clamp(shapeNode.attribute("end")?.int ?? rank)
                let window = start < end ? Array(dims[start..<end]) : []
                var values: [Int64] = []
                for p in picks {
                    let i = Int(p < 0 ? p + Int64(window.count) : p)
                    guard i >= 0, i < window.count, let v = window[i].value else { break }
                    values.append(v)
                }
                guard values.count == picks.count else {
                    report.skip(label, "a selected dim of '\(source.name)' is not static")
                    continue
                }
                let constant = graph.addInitializer(
                    .int64(dims: indices.dims, values: values), named: graph.freshName(output.name + "_value"))
                graph.replaceAllUses(of: output, with: constant)
                graph.erase(node)
                graph.rename(constant, to: output.name)
                report.changed("\(label): dims \(values) of '\(source.name)' are static")
            }
        }
        return report
    }
}
