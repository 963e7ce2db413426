/// Checks the invariants every pass must leave intact: SSA names, topological order, every input
/// defined, exact use-lists, initializer data consistent with declared types. Each problem names
/// the node (and op) or value at fault.
public struct Verifier {
    public init() {}

    /// All problems found; empty when the model verifies.
    public func problems(in model: Model) -> [String] {
        var problems: [String] = []
        check(model.graph, visible: [:], into: &problems)
        for function in model.functions {
            var fnProblems: [String] = []
            check(function.body, visible: [:], into: &fnProblems)
            problems += fnProblems.map { "function '\(function.name)': \($0)" }
        }
        return problems
    }

    /// Throws `IRError.verificationFailed` listing every problem.
    public func verify(_ model: Model) throws {
        let found = problems(in: model)
        if !found.isEmpty { throw IRError.verificationFailed(found) }
    }

    /// `visible`: names defined in enclosing scopes (before the owner node), mapped to their value.
    private func check(_ graph: Graph, visible outer: [String: Value], into problems: inout [String]) {
        let scope = graph.isSubgraph ? "subgraph '\(graph.name)': " : ""
        var defined = outer
        var localNames = Set<String>()

        func define(_ value: Value, what: String) {
            if localNames.contains(value.name) {
                problems.append("\(scope)\(what) '\(value.name)' is defined more than once")
            } else if outer[value.name] != nil && outer[value.name] !== value {
                problems.append("\(scope)\(what) '\(value.name)' shadows a value of an enclosing graph")
            }
            localNames.insert(value.name)
            defined[value.name] = value
            if value.graph !== graph {
                problems.append("\(scope)\(what) '\(value.name)' does not belong to this graph")
            }
        }

        for input in graph.inputs { define(input, what: "input") }
        for value in graph.initializers where !graph.inputs.contains(where: { $0 === value }) {
            define(value, what: "initializer")
        }
        for value in graph.sparseInitializers { define(value, what: "sparse initializer") }
        for value in graph.initializers { checkInitializer(value, scope: scope, into: &problems) }

        for node in graph.nodes {
            let label = "node '\(node.name)' (\(node.qualifiedOp))"
            if node.opType.isEmpty { problems.append("\(scope)node '\(node.name)' has no op_type") }
            if node.graph !== graph { problems.append("\(scope)\(label) does not belong to this graph") }
            for (i, input) in node.inputs.enumerated() {
                guard let input else { continue }
                if defined[input.name] !== input {
                    problems.append("\(scope)\(label) reads '\(input.name)', which is not defined before it")
                }
                if !input.uses.contains(Use(node: node, index: i)) {
                    problems.append("\(scope)\(label): use-list of '\(input.name)' misses input \(i)")
                }
            }
            for sub in node.subgraphs {
                if sub.ownerNode !== node { problems.append("\(scope)\(label): subgraph '\(sub.name)' is not owned by it") }
                check(sub, visible: defined, into: &problems)
            }
            for case let output? in node.outputs {
                if output.producer !== node {
                    problems.append("\(scope)\(label): output '\(output.name)' does not name it as producer")
                }
                define(output, what: "output of \(label)")
            }
        }

        for value in defined.values where value.graph === graph {
            for use in value.uses {
                let node = use.node
                if node.graph == nil || use.index >= node.inputs.count || node.inputs[use.index] !== value {
                    problems.append("\(scope)use-list of '\(value.name)' names a stale use by node '\(node.name)'")
                }
            }
        }
        for output in graph.outputs where defined[output.name] !== output {
            problems.append("\(scope)graph output '\(output.name)' is not defined")
        }
    }

    private func checkInitializer(_ value: Value, scope: String, into problems: inout [String]) {
        guard let tensor = value.initializer else { return }
        if tensor.name != value.name {
            problems.append("\(scope)initializer '\(value.name)' holds a tensor named '\(tensor.name)'")
        }
        if let declared = value.type, case .tensor(let elementType, let shape) = declared.kind {
            if elementType != tensor.dataType {
                problems.append(
                    "\(scope)initializer '\(value.name)' is declared \(elementType.name) but holds \(tensor.dataType.name)")
            }
            if let shape, let sizes = shape.concreteSizes, sizes != tensor.dims {
                problems.append(
                    "\(scope)initializer '\(value.name)' is declared \(shape) but holds \(TensorShape(tensor.dims))")
            }
        }
        if case .bytes(let buffer) = tensor.storage, Int64(buffer.count) != tensor.byteCount {
            problems.append(
                "\(scope)initializer '\(value.name)' holds \(buffer.count) bytes, expected \(tensor.byteCount) for \(tensor.dataType.name)\(TensorShape(tensor.dims))"
            )
        }
    }
}
