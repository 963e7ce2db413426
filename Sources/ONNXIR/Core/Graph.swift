/// A `GraphProto`: inputs, outputs, initializers and nodes in topological order. The main graph
/// of a model, a subgraph held by a node attribute (If/Loop/Scan), or a function body.
///
/// Inputs, outputs and initializers are explicit ordered sets; `nodes` is kept in topological
/// order by the mutation API (`Graph+Mutation.swift`), which also keeps use-lists exact.
public final class Graph {
    public var name: String
    public var docString: String = ""
    public internal(set) var inputs: [Value] = []
    public internal(set) var outputs: [Value] = []
    public internal(set) var initializers: [Value] = []
    public internal(set) var sparseInitializers: [Value] = []
    public internal(set) var nodes: [Node] = []
    /// Values annotated in `value_info`, in file order (what save writes back).
    public var valueInfo: [Value] = []
    public var quantizationAnnotations: [TensorAnnotation] = []
    public var extras = ProtoExtras()
    /// The node whose attribute holds this graph (nil for a model's main graph or function body).
    public internal(set) weak var ownerNode: Node?
    let names: NameAuthority

    /// A new, empty main graph with its own name authority.
    public init(name: String) {
        self.name = name
        self.names = NameAuthority()
    }

    /// A new, empty subgraph whose names are unique with its enclosing graph's.
    public init(name: String, enclosedBy parent: Graph) {
        self.name = name
        self.names = parent.names
    }

    /// The graph enclosing this subgraph.
    public var parentGraph: Graph? { ownerNode?.graph }
    public var isSubgraph: Bool { ownerNode != nil }

    /// This graph and every subgraph below it, depth first.
    public var allGraphs: [Graph] {
        var result: [Graph] = [self]
        for node in nodes { for sub in node.subgraphs { result.append(contentsOf: sub.allGraphs) } }
        return result
    }

    /// Looks a value up by name in this graph's scope, then in enclosing scopes. For boundaries
    /// (CLI arguments, file decoding, reports); passes hold handles instead.
    public func findValue(named name: String) -> Value? {
        if let v = inputs.first(where: { $0.name == name }) { return v }
        if let v = initializers.first(where: { $0.name == name }) { return v }
        if let v = sparseInitializers.first(where: { $0.name == name }) { return v }
        for node in nodes {
            for case let out? in node.outputs where out.name == name { return out }
        }
        return parentGraph?.findValue(named: name)
    }

    /// Fresh name derived from `base`, unique across this model's graphs.
    public func freshName(_ base: String) -> String { names.fresh(base) }

    /// Every value defined in this graph (inputs, initializers, node outputs), in order.
    public var definedValues: [Value] {
        var values = inputs
        for v in initializers + sparseInitializers where !values.contains(where: { $0 === v }) { values.append(v) }
        for node in nodes { values.append(contentsOf: node.outputs.compactMap { $0 }) }
        return values
    }
}

/// `TensorAnnotation`: quantization parameters attached to a tensor by name.
public struct TensorAnnotation {
    public var tensorName: String
    public var parameters: [StringEntry]
    public var extras: ProtoExtras
    public init(tensorName: String, parameters: [StringEntry], extras: ProtoExtras = .init()) {
        self.tensorName = tensorName
        self.parameters = parameters
        self.extras = extras
    }
}

/// Hands out names unique across a model's main graph and its subgraphs, so new values and nodes
/// never collide and never come from ad-hoc string concatenation in passes.
public final class NameAuthority {
    private var used: Set<String> = []
    private var counters: [String: Int] = [:]

    public init() {}

    public func reserve(_ name: String) { if !name.isEmpty { used.insert(name) } }
    public func isUsed(_ name: String) -> Bool { used.contains(name) }

    /// `base` itself when free, else `base_1`, `base_2`, ... (first free).
    public func fresh(_ base: String) -> String {
        let stem = base.isEmpty ? "v" : base
        if !used.contains(stem) {
            used.insert(stem)
            return stem
        }
        var n = counters[stem, default: 0]
        var candidate: String
        repeat {
            n += 1
            candidate = "\(stem)_\(n)"
        } while used.contains(candidate)
        counters[stem] = n
        used.insert(candidate)
        return candidate
    }
}
