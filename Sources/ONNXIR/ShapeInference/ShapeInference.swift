/// Shape and type inference with symbolic dims. Walks each graph in order and sets
/// `value.inferredType` for node outputs it can reason about (never the declared `type`). Small
/// int64 tensors computed from shapes (Shape -> Gather -> Concat -> Reshape chains) are tracked
/// as symbolic values so exported reshapes resolve. Unknown ops, malformed attributes and
/// missing facts leave outputs unknown: inference never throws and never traps.
public struct ShapeInference {
    public init() {}

    public func run(on model: Model) {
        var state = InferenceState(model: model)
        infer(model.graph, &state)
        for function in model.functions { infer(function.body, &state) }
    }

    func infer(_ graph: Graph, _ state: inout InferenceState) {
        for node in graph.nodes {
            for sub in node.subgraphs { infer(sub, &state) }
            let context = NodeContext(node: node, opset: state.opset(for: node.normalizedDomain), state: state)
            let results = state.model.function(for: node).map { functionCall(node, $0, &state) } ?? OpShapeRules.infer(context)
            for (i, output) in node.outputs.enumerated() {
                guard let output, i < results.types.count, let type = results.types[i] else { continue }
                output.inferredType = type
            }
            for (i, output) in node.outputs.enumerated() {
                guard let output, i < results.values.count, let value = results.values[i] else { continue }
                state.knownValues[ObjectIdentifier(output)] = value
            }
        }
    }
}

extension ShapeInference {
    /// A call to a model-local function: the body is inferred with the call's input types.
    func functionCall(_ node: Node, _ function: Function, _ state: inout InferenceState) -> RuleResult {
        for (formal, actual) in zip(function.body.inputs, node.inputs) { formal.inferredType = actual?.knownType }
        infer(function.body, &state)
        return RuleResult(types: function.body.outputs.map(\.knownType))
    }
}

/// What inference knows beyond types: small int64 tensors with symbolic entries.
struct InferenceState {
    let model: Model
    var knownValues: [ObjectIdentifier: [Dimension]] = [:]

    init(model: Model) { self.model = model }

    func opset(for domain: String) -> Int { Int(model.opsetVersion(for: domain) ?? 1) }
}

/// One node's view for the op rules: input types, constant inputs and attributes.
struct NodeContext {
    let node: Node
    let opset: Int
    let state: InferenceState

    func type(_ i: Int) -> ValueType? { i < node.inputs.count ? node.inputs[i]?.knownType : nil }
    func elementType(_ i: Int) -> DataType? { type(i)?.elementType }
    func shape(_ i: Int) -> TensorShape? { type(i)?.shape }
    func dims(_ i: Int) -> [Dimension]? { shape(i)?.dimensions }
    func hasInput(_ i: Int) -> Bool { i < node.inputs.count && node.inputs[i] != nil }
    var inputCount: Int { node.inputs.count }

    /// An input's value when it is a constant or a tracked shape value (int64 entries as dims).
    func values(_ i: Int) -> [Dimension]? {
        guard i < node.inputs.count, let v = node.inputs[i] else { return nil }
        if let known = state.knownValues[ObjectIdentifier(v)] { return known }
        if let t = constantTensor(v), t.dataType.isInteger, (t.elementCount ?? 0) <= 1 << 16, let ints = try? t.int64Values() {
            return ints.map { .value($0) }
        }
        return nil
    }

    /// Concrete integer values of an input (all entries known).
    func ints(_ i: Int) -> [Int64]? {
        guard let vs = values(i) else { return nil }
        var result: [Int64] = []
        for v in vs {
            guard let x = v.value else { return nil }
            result.append(x)
        }
        return result
    }

    func floats(_ i: Int) -> [Float]? {
        guard i < node.inputs.count, let v = node.inputs[i], let t = constantTensor(v) else { return nil }
        return try? t.floatValues()
    }

    func constantTensor(_ v: Value) -> Tensor? {
        if let t = v.initializer, !v.isGraphInput { return t }
        if let p = v.producer, p.opType == "Constant", let a = p.attributes.first {
            switch a.value {
            case .tensor(let t): return t
            case .ints(let i): return .int64(dims: [Int64(i.count)], values: i)
            case .int(let i): return .int64(dims: [], values: [i])
            default: return nil
            }
        }
        return nil
    }

    func int(_ name: String) -> Int64? { node.attribute(name)?.int }
    func ints(_ name: String) -> [Int64]? { node.attribute(name)?.ints }
    func string(_ name: String) -> String? { node.attribute(name)?.string }
}

/// Results of one rule: an output type (or nil) and optional tracked values per output.
struct RuleResult {
    var types: [ValueType?]
    var values: [[Dimension]?] = []

    static let unknown = RuleResult(types: [])
    static func tensor(_ type: DataType?, _ dims: [Dimension]?) -> RuleResult {
        guard let type else { return .unknown }
        return RuleResult(types: [.tensor(type, dims.map { TensorShape($0) })])
    }
}
