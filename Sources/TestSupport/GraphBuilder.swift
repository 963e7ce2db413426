import ONNXIR

/// Builds small graphs for tests in a few lines:
///
///     let b = GraphBuilder(opset: 17)
///     let x = b.input("x", .float, [.symbol("N"), 3, 8, 8])
///     let w = b.initializer("w", .float32(dims: [4, 3, 3, 3], values: b.random(108)))
///     let y = b.node("Conv", [x, w], ["pads": .ints([1, 1, 1, 1])])
///     b.output(y)
///     let model = b.model()
public final class GraphBuilder {
    public let graph: Graph
    public let opset: Int64
    public var random: SeededGenerator

    /// `enclosedBy` makes the graph a subgraph (If branch, Loop/Scan body) of that graph, whose
    /// values it may read; see `subgraph(_:_:)`.
    public init(name: String = "test", opset: Int64 = 17, seed: UInt64 = 0, enclosedBy parent: Graph? = nil) {
        self.graph = parent.map { Graph(name: name, enclosedBy: $0) } ?? Graph(name: name)
        self.opset = opset
        self.random = SeededGenerator(seed: seed)
    }

    @discardableResult
    public func input(_ name: String, _ type: DataType, _ dims: [Dimension]) -> Value {
        graph.addInput(named: name, type: .tensor(type, TensorShape(dims)))
    }

    @discardableResult
    public func initializer(_ name: String, _ tensor: Tensor) -> Value {
        graph.addInitializer(tensor, named: name)
    }

    /// A float32 initializer of seeded values in [-scale, scale].
    @discardableResult
    public func weight(_ name: String, _ dims: [Int64], scale: Float = 1) -> Value {
        let count = Int(dims.reduce(1, *))
        return initializer(name, .float32(dims: dims, values: (0..<count).map { _ in random.nextFloat(in: -scale...scale) }))
    }

    /// Adds a node and returns its first output (see `nodeOutputs` for several).
    @discardableResult
    public func node(
        _ op: String, _ inputs: [Value?], _ attributes: [String: AttributeValue] = [:], domain: String = "", name: String? = nil
    ) -> Value {
        nodeOutputs(op, inputs, attributes, outputs: 1, domain: domain, name: name)[0]
    }

    public func nodeOutputs(
        _ op: String, _ inputs: [Value?], _ attributes: [String: AttributeValue] = [:], outputs: Int, domain: String = "",
        name: String? = nil
    ) -> [Value] {
        let attrs = attributes.keys.sorted().map { Attribute(name: $0, value: attributes[$0]!) }
        let node = graph.addNode(
            opType: op, domain: domain, baseName: name ?? op.lowercased(), attributes: attrs, inputs: inputs, outputCount: outputs)
        return node.outputs.map { $0! }
    }

    /// Marks `value` as a graph output (with its inferred type declared when known).
    public func output(_ value: Value, type: ValueType? = nil) {
        if value.type == nil { value.type = type ?? value.inferredType ?? .tensor(.float, nil) }
        graph.addOutput(value)
    }

    public func model(irVersion: Int64 = 8, extraOpsets: [OperatorSetID] = []) -> Model {
        Model(
            graph: graph, irVersion: irVersion, opsetImports: [OperatorSetID(domain: "", version: opset)] + extraOpsets,
            producerName: "whittle-tests")
    }

    public func random(_ count: Int, scale: Float = 1) -> [Float] { (0..<count).map { _ in random.nextFloat(in: -scale...scale) } }
}
