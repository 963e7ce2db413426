/// Shape and type inference with symbolic dims. Walks each graph in order and sets
/// `value.inferredType` for node outputs it can reason about (never the declared `type`). Small
/// int64 tensors computed from shapes (Shape -> Gather -> Concat -> Reshape chains) are tracked
/// as symbolic values so exported reshapes resolve. Unknown ops, malformed attributes and
/// missing facts leave outputs unknown: inference never throws and never traps.
///
/// Every run recomputes node outputs from scratch, so running it again after a rewrite drops
/// facts the rewrite made stale.
public struct ShapeInference {
    public init() {}

    /// Infers the main graph (and its subgraphs) and the bodies of model-local functions.
    public func run(on model: Model) {
        var state = InferenceState(opsets: model.opsetImports, functions: model.functions)
        infer(model.graph, &state)
        for function in model.functions where !state.callStack.contains(function.qualifiedName) {
            state.withOpsets(function.opsetImports) { infer(function.body, &$0) }
        }
    }

    /// Infers one graph on its own (a subgraph, a function body) under the given opset imports.
    public func run(on graph: Graph, opsets: [OperatorSetID], functions: [Function] = []) {
        var state = InferenceState(opsets: opsets, functions: functions)
        infer(graph, &state)
    }

    func infer(_ graph: Graph, _ state: inout InferenceState) {
        for node in graph.nodes {
            inferSubgraphs(of: node, &state)
            let results: RuleResult
            if let function = state.function(for: node) {
                results = functionCall(node, function, &state)
            } else {
                results = OpShapeRules.infer(NodeContext(node: node, opset: state.opset(for: node.normalizedDomain), state: state))
            }
            for (i, output) in node.outputs.enumerated() {
                guard let output else { continue }
                output.inferredType = i < results.types.count ? results.types[i].map(Self.sanitized) : nil
                // Tracked values are data, not sizes: -1 in a Reshape target stays -1.
                state.knownValues[ObjectIdentifier(output)] = i < results.values.count ? results.values[i] : nil
            }
        }
    }

    /// Bodies first: If, Loop and Scan outputs come from their subgraphs' outputs. Loop and Scan
    /// bodies see their inputs typed from the node; a carried value that changes shape from one
    /// iteration to the next is widened and the body inferred again (a few rounds at most).
    func inferSubgraphs(of node: Node, _ state: inout InferenceState) {
        guard !node.subgraphs.isEmpty else { return }
        let isLoopLike = node.normalizedDomain.isEmpty && (node.opType == "Loop" || node.opType == "Scan")
        if isLoopLike { ControlFlowRules.bindBodyInputs(of: node, opset: state.opset(for: "")) }
        for sub in node.subgraphs { infer(sub, &state) }
        guard isLoopLike else { return }
        var rounds = 0
        while rounds < 3, ControlFlowRules.widenCarriedInputs(of: node) {
            rounds += 1
            for sub in node.subgraphs { infer(sub, &state) }
        }
    }

    /// A call to a model-local function: the body is inferred with the call's input types. A
    /// function that calls itself (directly or not) leaves the inner call unknown.
    func functionCall(_ node: Node, _ function: Function, _ state: inout InferenceState) -> RuleResult {
        guard state.callStack.insert(function.qualifiedName).inserted else { return .unknown }
        defer { state.callStack.remove(function.qualifiedName) }
        for (formal, actual) in zip(function.body.inputs, node.inputs) { formal.inferredType = actual?.knownType }
        state.withOpsets(function.opsetImports) { infer(function.body, &$0) }
        return RuleResult(types: function.body.outputs.map(\.knownType))
    }

    /// Negative sizes only come from garbage (a Reshape target of -5, pads past the input): unknown.
    static func sanitized(_ type: ValueType) -> ValueType {
        guard case .tensor(let element, let shape?) = type.kind else { return type }
        return .tensor(element, TensorShape(shape.dimensions.map(sanitized)))
    }
    static func sanitized(_ d: Dimension) -> Dimension {
        if let v = d.value, v < 0 { return .unknown }
        return d
    }
}

/// What inference knows beyond types: small int64 tensors with symbolic entries, the opsets in
/// scope, and the function calls being inferred (to stop recursion).
struct InferenceState {
    var opsets: [OperatorSetID]
    let functions: [Function]
    var knownValues: [ObjectIdentifier: [Dimension]] = [:]
    var callStack: Set<String> = []

    init(opsets: [OperatorSetID], functions: [Function]) {
        self.opsets = opsets
        self.functions = functions
    }

    /// The imported version of `domain`; 1 when nothing imports it (old files omit the import).
    func opset(for domain: String) -> Int {
        let wanted = domain == "ai.onnx" ? "" : domain
        let version = opsets.first { ($0.domain == "ai.onnx" ? "" : $0.domain) == wanted }?.version ?? 1
        return Int(clamping: version)
    }

    func function(for node: Node) -> Function? {
        functions.first { $0.name == node.opType && $0.domain == node.domain }
    }

    /// Runs `body` with a function's own opset imports in scope (when it declares any).
    mutating func withOpsets(_ imports: [OperatorSetID], _ body: (inout InferenceState) -> Void) {
        let saved = opsets
        if !imports.isEmpty { opsets = imports }
        body(&self)
        opsets = saved
    }
}

extension Function {
    var qualifiedName: String { domain.isEmpty ? name : "\(domain).\(name)" }
}
