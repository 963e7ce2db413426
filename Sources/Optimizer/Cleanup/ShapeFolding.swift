import ONNXIR

/// Replaces Shape and Size of values whose shape is statically known by constants.
///
///     s = Shape(x)   x: float[1,3,224,224]   ->   s, an int64 initializer [1,3,224,224]
///     n = Size(x)                            ->   n, an int64 scalar initializer 150528
///
/// Shape inference runs first, so shapes declared on graph inputs reach the Shape nodes of
/// PyTorch's Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains; constant folding then
/// folds the rest of the chain (cleanup runs both). Shape's `start`/`end` (opset 15) select a
/// range of dims: only those need to be known.
///
/// Does not fire when: a selected dim is symbolic or unknown, or the rank is unknown; the output
/// is a graph output; the model's IR version is below 4 (initializers must be graph inputs).
public struct ShapeFolding: GraphPass {
    public static let name = "shape-folding"
    public static let summary = "Replace Shape and Size of statically shaped values by constants."

    public init(options: PassOptions) throws {}

    public func run(in context: PassContext) throws -> PassReport {
        var report = PassReport(pass: Self.name)
        ShapeInference().run(on: context.model)
        for graph in context.graph.allGraphs {
            for node in graph.nodes where node.isDefaultDomain && (node.opType == "Shape" || node.opType == "Size") {
                guard let input = node.firstInput, let output = node.firstOutput else { continue }
                switch Self.value(of: node, input: input) {
                case .failure(let reason):
                    report.skip(label(node), reason.text)
                    continue
                case .success(let tensor):
                    if output.isGraphOutput {
                        report.skip(label(node), "its output '\(output.name)' is a graph output")
                        continue
                    }
                    if context.model.irVersion < 4 {
                        report.skip(label(node), "IR version \(context.model.irVersion) requires initializers to be graph inputs")
                        continue
                    }
                    let value = graph.initializerReplacing(output, with: tensor)
                    graph.erase(node)
                    graph.rename(value, to: output.name)
                    graph.removeIfUnread(input)
                    report.changed("replaced \(label(node)) by the constant \(TensorShape(try tensor.int64Values()))")
                }
            }
        }
        return report
    }

    /// The int64 tensor `node` (Shape or Size) computes, or why it is not statically known.
    static func value(of node: Node, input: Value) -> Result<Tensor, ConstantFolding.Refusal> {
        guard let shape = input.knownType?.shape else {
            return .failure(.init("the rank of '\(input.name)' is unknown"))
        }
        let rank = shape.rank
        if node.opType == "Size" {
            guard let count = shape.elementCount else {
                return .failure(.init("the shape of '\(input.name)' is not static: \(shape)"))
            }
            return .success(.int64(dims: [], values: [count]))
        }
        func clamp(_ v: Int64) -> Int { max(0, min(rank, Int(v < 0 ? v + Int64(rank) : v))) }
        let start = clamp(node.intAttribute("start", default: 0))
        let end = max(start, clamp(node.intAttribute("end", default: Int64(rank))))
        var dims: [Int64] = []
        for d in shape.dimensions[start..<end] {
            guard let v = d.value else {
                return .failure(.init("the shape of '\(input.name)' is not static: \(shape)"))
            }
            dims.append(v)
        }
        return .success(.int64(dims: [Int64(dims.count)], values: dims))
    }
}
