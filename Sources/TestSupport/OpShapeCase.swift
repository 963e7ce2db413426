import ONNXIR

/// One row of a shape-inference test grid: an op on a few inputs, its attributes and opset, and
/// the output types expected, each rendered as `float32[N,3,8,8]`, `float32[...]` (unknown
/// rank) or `unknown`. Sendable, so grids can be `@Test(arguments:)`.
public struct OpShapeCase: Sendable, CustomStringConvertible {
    /// An input: a graph input of a type, or a constant initializer (read by shape rules).
    public enum Input: Sendable {
        case tensor(DataType, [DimensionLiteral]?)
        case ints([Int64])
        case scalar(Int64)
        case floats([Float])
        case floatScalar(Float)
        /// A float32 initializer of these dims (a weight whose values do not matter).
        case weight([Int64])
        /// An omitted optional input (empty name in ONNX).
        case absent
    }

    /// An attribute value in Sendable form.
    public enum Attr: Sendable {
        case int(Int64), ints([Int64]), float(Float), floats([Float]), string(String), strings([String]), tensor(Tensor)

        public var value: AttributeValue {
            switch self {
            case .int(let v): .int(v)
            case .ints(let v): .ints(v)
            case .float(let v): .float(v)
            case .floats(let v): .floats(v)
            case .string(let v): .string(Array(v.utf8))
            case .strings(let v): .strings(v.map { Array($0.utf8) })
            case .tensor(let v): .tensor(v)
            }
        }
    }

    public var op: String
    public var domain: String
    public var inputs: [Input]
    public var attributes: [(String, Attr)]
    public var outputs: Int
    public var opset: Int64
    public var expected: [String]

    public init(
        _ op: String, _ inputs: [Input], _ attributes: [(String, Attr)] = [], outputs: Int = 1, opset: Int64 = 17,
        domain: String = "", expect expected: String...
    ) {
        (self.op, self.domain, self.inputs, self.attributes) = (op, domain, inputs, attributes)
        (self.outputs, self.opset, self.expected) = (outputs, opset, expected)
    }

    public var description: String {
        let attrs = attributes.map(\.0).joined(separator: ",")
        return "\(op)\(attrs.isEmpty ? "" : "[\(attrs)]")@\(opset) -> \(expected.joined(separator: ", "))"
    }

    /// Builds the one-node model, runs shape inference and renders the outputs' inferred types.
    public func inferredOutputs() -> [String] {
        let (model, node) = build()
        ShapeInference().run(on: model)
        return node.outputs.map { Self.render($0?.inferredType) }
    }

    /// The one-node model: typed inputs as graph inputs, constants as initializers.
    public func build() -> (model: Model, node: Node) {
        let b = GraphBuilder(opset: opset)
        let values: [Value?] = inputs.enumerated().map { i, input in
            switch input {
            case .tensor(let type, let dims): b.input("x\(i)", type: .tensor(type, dims.map { TensorShape($0.map(\.dimension)) }))
            case .ints(let v): b.ints("c\(i)", v)
            case .scalar(let v): b.scalar("c\(i)", v)
            case .floats(let v): b.initializer("c\(i)", .float32(dims: [Int64(v.count)], values: v))
            case .floatScalar(let v): b.initializer("c\(i)", .float32(dims: [], values: [v]))
            case .weight(let dims):
                b.initializer(
                    "c\(i)", .float32(dims: dims, values: [Float](repeating: 0, count: Int(TensorShape.elementCount(of: dims) ?? 0))))
            case .absent: nil
            }
        }
        let node = b.graph.addNode(
            opType: op, domain: domain, attributes: attributes.map { Attribute(name: $0.0, value: $0.1.value) }, inputs: values,
            outputCount: outputs)
        var imports = [OperatorSetID(domain: "", version: opset)]
        if !domain.isEmpty { imports.append(OperatorSetID(domain: domain, version: 1)) }
        return (Model(graph: b.graph, opsetImports: imports), node)
    }

    /// `float32[N,3,8,8]`; `float32[...]` when the rank is unknown; `unknown` when nothing is.
    public static func render(_ type: ValueType?) -> String {
        guard let type else { return "unknown" }
        guard let element = type.elementType else { return type.description }
        return element.name + (type.shape?.description ?? "[...]")
    }
}
