/// One node's view for the op rules: input types, constant inputs and attributes. Every reader
/// returns nil for anything missing or malformed, so rules can `guard` instead of trapping.
struct NodeContext {
    let node: Node
    let opset: Int
    let state: InferenceState

    /// Constants larger than this are not read for shape arguments (they are weights, not shapes).
    static let constantElementLimit: Int64 = 1 << 16

    func type(_ i: Int) -> ValueType? { i >= 0 && i < node.inputs.count ? node.inputs[i]?.knownType : nil }
    func elementType(_ i: Int) -> DataType? { type(i)?.elementType }
    func shape(_ i: Int) -> TensorShape? { type(i)?.shape }
    func dims(_ i: Int) -> [Dimension]? { shape(i)?.dimensions }
    func hasInput(_ i: Int) -> Bool { i >= 0 && i < node.inputs.count && node.inputs[i] != nil }
    var inputCount: Int { node.inputs.count }

    /// An input's value when it is a constant or a tracked shape value (int64 entries as dims).
    func values(_ i: Int) -> [Dimension]? {
        guard hasInput(i), let v = node.inputs[i] else { return nil }
        if let known = state.knownValues[ObjectIdentifier(v)] { return known }
        if let t = constantTensor(v), t.dataType.isInteger, (t.elementCount ?? .max) <= Self.constantElementLimit,
            let ints = try? t.int64Values()
        {
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

    /// Values of a small constant input as Float (Resize scales, Range bounds, OneHot depth).
    func floats(_ i: Int) -> [Float]? {
        guard hasInput(i), let v = node.inputs[i], let t = constantTensor(v), (t.elementCount ?? .max) <= Self.constantElementLimit
        else { return nil }
        return try? t.floatValues()
    }

    /// The tensor behind an initializer (not one a caller may override as a graph input) or a
    /// Constant node.
    func constantTensor(_ v: Value) -> Tensor? {
        if let t = v.initializer, !v.isGraphInput { return t }
        guard let p = v.producer, p.opType == "Constant", p.normalizedDomain.isEmpty, let a = p.attributes.first else { return nil }
        switch a.value {
        case .tensor(let t): return t
        case .ints(let i): return .int64(dims: [Int64(i.count)], values: i)
        case .int(let i): return .int64(dims: [], values: [i])
        case .floats(let f): return .float32(dims: [Int64(f.count)], values: f)
        case .float(let f): return .float32(dims: [], values: [f])
        default: return nil
        }
    }

    func int(_ name: String) -> Int64? { node.attribute(name)?.int }
    func ints(_ name: String) -> [Int64]? { node.attribute(name)?.ints }
    func floats(_ name: String) -> [Float]? { node.attribute(name)?.floats }
    func string(_ name: String) -> String? { node.attribute(name)?.string }

    /// An element-type attribute (`to`, `dtype`, `output_dtype`); nil when absent, 0 or not a
    /// type this ONNX knows.
    func dataType(_ name: String) -> DataType? {
        guard let code = int(name), let raw = Int32(exactly: code) else { return nil }
        let type = DataType(rawValue: raw)
        return type.isKnown ? type : nil
    }

    /// A possibly negative axis attribute normalized against `rank`; nil when out of range.
    func axis(_ name: String, default fallback: Int64, rank: Int) -> Int? {
        DimensionMath.axis(int(name) ?? fallback, rank: rank)
    }
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

/// A shape rule: pure, so the tables of rules can be shared.
typealias ShapeRule = @Sendable (NodeContext) -> RuleResult
