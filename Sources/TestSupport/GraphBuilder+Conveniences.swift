import ONNXIR

/// Shorthands for the values tests write most: literal shapes with symbols, int64 constants,
/// string attributes and subgraphs.
extension GraphBuilder {
    /// A graph input with a literal shape: `b.input("x", .float, ["batch", 3, 224, 224])`.
    /// Disfavored so `[.symbol("N")]`, which both overloads accept, keeps meaning `[Dimension]`.
    @_disfavoredOverload @discardableResult
    public func input(_ name: String, _ type: DataType, _ dims: [DimensionLiteral]) -> Value {
        graph.addInput(named: name, type: .tensor(type, TensorShape(dims.map(\.dimension))))
    }

    /// A graph input of unknown rank (nil shape) or of a non-tensor type.
    @discardableResult
    public func input(_ name: String, type: ValueType?) -> Value { graph.addInput(named: name, type: type) }

    /// A 1-D int64 initializer (shapes, axes, pads, starts and ends).
    @discardableResult
    public func ints(_ name: String, _ values: [Int64]) -> Value {
        initializer(name, .int64(dims: [Int64(values.count)], values: values))
    }

    /// A rank-0 int64 initializer (Gather indices, Range bounds).
    @discardableResult
    public func scalar(_ name: String, _ value: Int64) -> Value { initializer(name, .int64(dims: [], values: [value])) }

    /// A subgraph built by `body` on a child builder whose graph may read this graph's values;
    /// pass it as a `.graph(...)` attribute.
    public func subgraph(_ name: String, _ body: (GraphBuilder) -> Void) -> Graph {
        let child = GraphBuilder(name: name, opset: opset, enclosedBy: graph)
        body(child)
        return child.graph
    }
}

/// One dimension written in a test: `8`, `"batch"` (a symbol), `.symbol("batch")` or `.unknown`.
public struct DimensionLiteral: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, Sendable {
    public let dimension: Dimension
    public init(_ dimension: Dimension) { self.dimension = dimension }
    public init(integerLiteral value: Int64) { dimension = .value(value) }
    public init(stringLiteral value: String) { dimension = .symbol(value) }
    public static func symbol(_ name: String) -> DimensionLiteral { DimensionLiteral(.symbol(name)) }
    public static let unknown = DimensionLiteral(.unknown)
}

extension AttributeValue {
    /// A string attribute from Swift text (`auto_pad`, `direction`, `mode`, `equation`).
    public static func string(_ text: String) -> AttributeValue { .string(Array(text.utf8)) }
}

extension GraphBuilder {
    /// `node` with the attributes labelled: `b.node("Conv", [x, w], attributes: ["pads": ...])`.
    @discardableResult
    public func node(
        _ op: String, _ inputs: [Value?], attributes: [String: AttributeValue], domain: String = "", name: String? = nil
    ) -> Value {
        node(op, inputs, attributes, domain: domain, name: name)
    }
}
