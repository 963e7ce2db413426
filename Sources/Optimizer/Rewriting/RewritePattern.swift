import ONNXIR

/// A local rewrite: `match` inspects a node (and its neighbourhood) without mutating anything and
/// either binds what the rewrite needs or says why it does not apply; `rewrite` then performs the
/// change through the rewriter and cannot fail halfway.
public protocol RewritePattern {
    /// Verb phrase naming the rewrite (`FuseBatchNormIntoConv`); tags the nodes it creates.
    var name: String { get }
    /// The op types whose nodes may anchor a match (empty: every node).
    var anchorOps: Set<String> { get }
    func match(_ node: Node, in context: MatchContext) -> PatternMatch
    func rewrite(_ bound: Bindings, with rewriter: Rewriter) throws
}

/// What a pattern binds on success: nodes, values and any precomputed data the rewrite needs.
public struct Bindings {
    public var nodes: [String: Node] = [:]
    public var values: [String: Value] = [:]
    public var tensors: [String: Tensor] = [:]
    public var ints: [String: [Int64]] = [:]
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The outcome of `match`: bound, or not applicable with a reason (nil reason: the node is not a
/// candidate at all, which is not worth reporting).
public enum PatternMatch {
    case matched(Bindings)
    case skipped(candidate: String, reason: String)
    case notApplicable
}

/// Read-only facts a pattern may consult.
public struct MatchContext {
    public let model: Model
    public let graph: Graph
    public var opset: Int { Int(model.opsetVersion(for: "") ?? 1) }

    /// The constant tensor behind `value`: an initializer that is not a graph input (inputs can be
    /// overridden at run time) or a Constant node's `value`.
    public func constant(_ value: Value?) -> Tensor? {
        guard let value else { return nil }
        if let t = value.initializer, !value.isGraphInput { return t }
        if let p = value.producer, p.opType == "Constant", p.normalizedDomain.isEmpty, case .tensor(let t)? = p.attribute("value")?.value {
            return t
        }
        return nil
    }

    /// True when only `node` reads `value` and it is not a graph output: editing it affects no one else.
    public func isOnlyUse(_ value: Value, by node: Node) -> Bool {
        !value.isGraphOutput && value.uses.allSatisfy { $0.node === node }
    }
}

/// The only way patterns mutate: wraps the graph's mutation API and tags created nodes.
public final class Rewriter {
    public let graph: Graph
    public let patternName: String
    public private(set) var created: [Node] = []

    init(graph: Graph, patternName: String) {
        self.graph = graph
        self.patternName = patternName
    }

    @discardableResult
    public func addNode(
        opType: String, domain: String = "", baseName: String, attributes: [Attribute] = [], inputs: [Value?], outputCount: Int = 1,
        before anchor: Node
    ) -> Node {
        let node = graph.addNode(
            opType: opType, domain: domain, baseName: baseName, attributes: attributes, inputs: inputs, outputCount: outputCount,
            before: anchor)
        node.origin = patternName
        created.append(node)
        return node
    }

    public func addInitializer(_ tensor: Tensor, baseName: String) -> Value {
        graph.addInitializer(tensor, named: graph.freshName(baseName))
    }

    /// Replaces `old` by `new` everywhere; when `old` is a graph output, `new` takes its name so
    /// the model's interface is unchanged (the caller ensures `new` can be renamed).
    public func replace(_ old: Value, with new: Value) {
        if old.isGraphOutput {
            let name = old.name
            graph.replaceAllUses(of: old, with: new, includingGraphOutputs: true)
            graph.rename(old, to: graph.freshName(name + "_replaced"))
            graph.rename(new, to: name)
        } else {
            graph.replaceAllUses(of: old, with: new)
        }
    }

    public func setInput(_ node: Node, _ index: Int, _ value: Value?) { node.setInput(index, value) }
    public func setAttribute(_ node: Node, _ attribute: Attribute) { node.setAttribute(attribute) }
    public func setInitializer(_ value: Value, _ tensor: Tensor) { graph.setInitializerTensor(value, tensor) }
    public func erase(_ node: Node) { graph.erase(node) }
    /// Drops what is declared and inferred about `value`'s type after a rewrite changed its shape
    /// (shape inference finds it again); a graph output keeps its declared type.
    public func forgetType(of value: Value) {
        if !value.isGraphOutput { value.type = nil }
        value.inferredType = nil
    }

    /// Erases `node` and then any producers left without readers, walking upwards.
    public func eraseWithDeadProducers(_ node: Node) {
        let inputs = node.inputs.compactMap { $0 }
        graph.erase(node)
        for v in inputs where v.uses.isEmpty && !v.isGraphOutput {
            if let p = v.producer, p.graph === graph, p.outputs.allSatisfy({ $0.map { $0.uses.isEmpty && !$0.isGraphOutput } ?? true }) {
                eraseWithDeadProducers(p)
            } else if v.initializer != nil, v.graph === graph, !v.isGraphInput {
                graph.removeInitializer(v)
            }
        }
    }
}
