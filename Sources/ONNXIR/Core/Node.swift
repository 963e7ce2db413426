/// An operator application (`NodeProto`). Inputs may be absent (`nil`, an empty name in ONNX) for
/// omitted optional inputs; so may outputs.
public final class Node: CustomStringConvertible {
    public var name: String
    public var opType: String
    public var domain: String
    public var docString: String = ""
    public var attributes: [Attribute]
    public internal(set) var inputs: [Value?] = []
    public internal(set) var outputs: [Value?] = []
    public internal(set) weak var graph: Graph?
    public var extras = ProtoExtras()
    /// Set by the rewriter: the pattern or pass that created this node.
    public var origin: String?

    init(name: String, opType: String, domain: String, attributes: [Attribute]) {
        self.name = name
        self.opType = opType
        self.domain = domain
        self.attributes = attributes
    }

    /// `ai.onnx` (the default domain) is spelled "" in files; both mean the same.
    public var normalizedDomain: String { domain == "ai.onnx" ? "" : domain }
    public var qualifiedOp: String { normalizedDomain.isEmpty ? opType : "\(normalizedDomain).\(opType)" }

    public func attribute(_ name: String) -> Attribute? { attributes.first { $0.name == name } }
    public func hasAttribute(_ name: String) -> Bool { attributes.contains { $0.name == name } }
    public func setAttribute(_ attribute: Attribute) {
        if let i = attributes.firstIndex(where: { $0.name == attribute.name }) {
            attributes[i] = attribute
        } else {
            attributes.append(attribute)
        }
    }
    public func removeAttribute(_ name: String) { attributes.removeAll { $0.name == name } }

    /// Subgraphs held in this node's attributes (If branches, Loop/Scan bodies).
    public var subgraphs: [Graph] { attributes.flatMap(\.value.subgraphs) }

    /// Rewires input `index` to `value` (nil: omit the optional input), keeping use-lists exact.
    public func setInput(_ index: Int, _ value: Value?) {
        precondition(index < inputs.count, "input \(index) out of range for node '\(name)'")
        inputs[index]?.removeUse(Use(node: self, index: index))
        inputs[index] = value
        value?.addUse(Use(node: self, index: index))
    }

    /// Appends an input.
    public func appendInput(_ value: Value?) {
        inputs.append(value)
        value?.addUse(Use(node: self, index: inputs.count - 1))
    }

    /// Drops trailing inputs from `count` on (for optional inputs made redundant).
    public func truncateInputs(to count: Int) {
        while inputs.count > count {
            let i = inputs.count - 1
            inputs[i]?.removeUse(Use(node: self, index: i))
            inputs.removeLast()
        }
    }

    public var description: String {
        let ins = inputs.map { $0?.name ?? "" }.joined(separator: ", ")
        let outs = outputs.map { $0?.name ?? "" }.joined(separator: ", ")
        return "\(outs) = \(qualifiedOp)[\(name)](\(ins))"
    }
}
