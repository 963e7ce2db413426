/// One use of a value: input `index` of `node`.
public struct Use: Hashable {
    public unowned let node: Node
    public let index: Int
    public init(node: Node, index: Int) {
        self.node = node
        self.index = index
    }
    public static func == (a: Use, b: Use) -> Bool { a.node === b.node && a.index == b.index }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(ObjectIdentifier(node))
        hasher.combine(index)
    }
}

/// A named SSA value: a graph input, an initializer, or a node output. Passes hold values as
/// handles; names exist for files and messages. Use-lists are exact because every mutation goes
/// through `Graph`/`Node` API.
public final class Value: CustomStringConvertible {
    public internal(set) var name: String
    /// Type as declared in the file (graph input/output or `value_info`); what save writes.
    public var type: ValueType?
    /// Type found by shape inference; never written unless asked.
    public var inferredType: ValueType?
    /// `ValueInfoProto.doc_string` and extras, for the graph input/output/value_info entry.
    public var docString: String = ""
    public var valueInfoExtras = ProtoExtras()
    /// Set when this value is an initializer (possibly also a graph input, as in IR < 4).
    public internal(set) var initializer: Tensor?
    public internal(set) var sparseInitializer: SparseTensor?
    /// The node that produces this value, if it is a node output.
    public internal(set) weak var producer: Node?
    /// The graph that defines this value (nil for a detached `value_info` entry).
    public internal(set) weak var graph: Graph?
    public internal(set) var uses: [Use] = []

    init(name: String, type: ValueType? = nil) {
        self.name = name
        self.type = type
    }

    /// Declared type refined by inference: the best knowledge of this value's type.
    public var knownType: ValueType? {
        guard let type else { return inferredType }
        return type.refined(by: inferredType)
    }
    public var isInitializer: Bool { initializer != nil || sparseInitializer != nil }
    public var isGraphInput: Bool { graph?.inputs.contains { $0 === self } ?? false }
    public var isGraphOutput: Bool { graph?.outputs.contains { $0 === self } ?? false }
    /// Nodes that read this value (each once, in use order).
    public var userNodes: [Node] {
        var seen = Set<ObjectIdentifier>()
        return uses.compactMap { seen.insert(ObjectIdentifier($0.node)).inserted ? $0.node : nil }
    }

    public var description: String { "%\(name)" }

    func addUse(_ use: Use) { uses.append(use) }
    func removeUse(_ use: Use) {
        if let i = uses.firstIndex(of: use) { uses.remove(at: i) }
    }
}
