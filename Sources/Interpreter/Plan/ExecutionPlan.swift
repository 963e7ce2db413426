import ONNXIR

/// One node of a plan: its kernel and where its inputs and outputs live.
struct PlanStep {
    let node: Node
    let kernel: any Kernel
    let inputSlots: [Int?]
    let outputSlots: [Int?]
    /// Slots whose last reader is this step: freed right after it runs.
    let releaseAfter: [Int]
    /// Nodes this step's kernel computes besides its own (an activation fused into a Conv).
    var absorbed: [Node] = []

    /// The values the outputs hold, for observers (a fused step yields its last node's output).
    var outputValues: [Value?] { absorbed.last?.outputs ?? node.outputs }
}

/// A graph compiled for execution: node order, a kernel per node (attributes parsed once), value
/// slots and their lifetimes. Every kernel is found while planning, so an unsupported op fails
/// before anything runs.
public final class ExecutionPlan {
    public let graph: Graph
    let slotCount: Int
    let slotIndex: [ObjectIdentifier: Int]
    let inputSlots: [Int]
    let outputSlots: [Int]
    /// Initializers not listed as inputs: bound at every run.
    let constants: [(slot: Int, tensor: RuntimeTensor)]
    /// Initializers that are also graph inputs: used when the caller does not feed them.
    let inputDefaults: [Int: RuntimeTensor]
    /// Values of enclosing graphs read here, filled from the parent environment.
    let captured: [(slot: Int, value: Value)]
    let steps: [PlanStep]
    /// Each fused step's absorbed nodes, by the step's node.
    private let absorbedByNode: [ObjectIdentifier: [Node]]

    init(
        graph: Graph, slotCount: Int, slotIndex: [ObjectIdentifier: Int], inputSlots: [Int], outputSlots: [Int],
        constants: [(slot: Int, tensor: RuntimeTensor)], inputDefaults: [Int: RuntimeTensor],
        captured: [(slot: Int, value: Value)], steps: [PlanStep]
    ) {
        self.graph = graph
        self.slotCount = slotCount
        self.slotIndex = slotIndex
        self.inputSlots = inputSlots
        self.outputSlots = outputSlots
        self.constants = constants
        self.inputDefaults = inputDefaults
        self.captured = captured
        self.steps = steps
        self.absorbedByNode = Dictionary(
            uniqueKeysWithValues: steps.filter { !$0.absorbed.isEmpty }.map { (ObjectIdentifier($0.node), $0.absorbed) })
    }

    public var nodeCount: Int { steps.count }

    /// The nodes fused into `node`'s step, in graph order (empty when it runs alone).
    public func absorbedNodes(of node: Node) -> [Node] {
        absorbedByNode[ObjectIdentifier(node)] ?? []
    }
}

/// Compiles graphs of one model into plans.
struct PlanCompiler {
    let model: Model
    let registry: KernelRegistry
    /// Opset imports that take precedence (a function body's own imports).
    var opsetOverrides: [OperatorSetID] = []
    /// Whether Convs absorb the activation after them (see ActivationFusion). Off when a caller
    /// observes intermediate values, which fusion would never produce.
    var fuseActivations = false
    /// Values that must exist even when fusing (the ones an observer reads).
    var keepValues: Set<ObjectIdentifier> = []

    func opset(for domain: String) -> Int {
        if let o = opsetOverrides.first(where: { ($0.domain == "ai.onnx" ? "" : $0.domain) == domain }) { return Int(o.version) }
        return Int(model.opsetVersion(for: domain) ?? 1)
    }

    func compile(_ graph: Graph) throws -> ExecutionPlan {
        var slotIndex: [ObjectIdentifier: Int] = [:]
        func slot(_ v: Value) -> Int {
            if let s = slotIndex[ObjectIdentifier(v)] { return s }
            let s = slotIndex.count
            slotIndex[ObjectIdentifier(v)] = s
            return s
        }
        let inputSlots = graph.inputs.map(slot)
        var constants: [(slot: Int, tensor: RuntimeTensor)] = []
        var defaults: [Int: RuntimeTensor] = [:]
        for v in graph.initializers {
            guard let t = v.initializer else { continue }
            let runtime = try RuntimeTensor(t)
            if v.isGraphInput { defaults[slot(v)] = runtime } else { constants.append((slot(v), runtime)) }
        }
        for v in graph.sparseInitializers {
            guard let sparse = v.sparseInitializer else { continue }
            constants.append((slot(v), try SparseDensifier.dense(sparse, name: v.name)))
        }
        var captured: [(slot: Int, value: Value)] = []
        var steps: [(node: Node, kernel: any Kernel, inputs: [Int?], outputs: [Int?])] = []
        var absorbedBy: [ObjectIdentifier: [Node]] = [:]
        let fused = fuseActivations ? try ActivationFusion(compiler: self, keep: keepValues).pairs(in: graph) : [:]
        let absorbed = Set(fused.values.flatMap { $0.absorbed.map(ObjectIdentifier.init) })
        for node in graph.nodes where !absorbed.contains(ObjectIdentifier(node)) {
            let inputs = node.inputs.map { input -> Int? in
                guard let input else { return nil }
                if slotIndex[ObjectIdentifier(input)] == nil && input.graph !== graph {
                    captured.append((slot(input), input))
                }
                return slot(input)
            }
            // Outer values read only inside this node's subgraphs are captured here too, so nested
            // plans find them in this plan's environment.
            for sub in node.subgraphs {
                for outer in Self.freeValues(of: sub) where outer.graph !== graph && slotIndex[ObjectIdentifier(outer)] == nil {
                    captured.append((slot(outer), outer))
                }
            }
            let kernel = try makeKernel(for: node)
            if let pair = fused[ObjectIdentifier(node)], let absorbing = kernel as? ActivationAbsorbing {
                absorbing.activation = pair.activation
                absorbedBy[ObjectIdentifier(node)] = pair.absorbed
                steps.append((node, kernel, inputs, [slot(pair.output)]))
                continue
            }
            steps.append((node, kernel, inputs, node.outputs.map { $0.map(slot) }))
        }
        let outputSlots = graph.outputs.map { v -> Int in
            if slotIndex[ObjectIdentifier(v)] == nil && v.graph !== graph { captured.append((slot(v), v)) }
            return slot(v)
        }
        // Lifetimes: a slot dies after the last step that reads it (reads inside subgraphs count
        // for the step that owns them); graph outputs live to the end.
        var lastUse: [Int: Int] = [:]
        for (i, step) in steps.enumerated() {
            for case let s? in step.inputs { lastUse[s] = i }
            for sub in step.node.subgraphs {
                for v in Self.freeValues(of: sub) { if let s = slotIndex[ObjectIdentifier(v)] { lastUse[s] = i } }
            }
            for case let s? in step.outputs where lastUse[s] == nil { lastUse[s] = i }
        }
        let keep = Set(outputSlots)
        var releases = [[Int]](repeating: [], count: steps.count)
        for (s, i) in lastUse where !keep.contains(s) { releases[i].append(s) }
        let planSteps = steps.enumerated().map { i, s in
            PlanStep(
                node: s.node, kernel: s.kernel, inputSlots: s.inputs, outputSlots: s.outputs, releaseAfter: releases[i],
                absorbed: absorbedBy[ObjectIdentifier(s.node)] ?? [])
        }
        return ExecutionPlan(
            graph: graph, slotCount: slotIndex.count, slotIndex: slotIndex, inputSlots: inputSlots, outputSlots: outputSlots,
            constants: constants, inputDefaults: defaults, captured: captured, steps: planSteps)
    }

    func makeKernel(for node: Node) throws -> any Kernel {
        let domain = node.normalizedDomain
        let opset = opset(for: domain)
        let context = KernelBuildContext(node: node, opset: opset, compileSubgraph: { try self.compile($0) })
        if let function = model.function(for: node) {
            return try FunctionKernel(function: function, node: node, compiler: self)
        }
        guard let descriptor = registry.lookup(domain: domain, op: node.opType, opset: opset) else {
            throw InterpreterError.unsupportedOp(op: node.opType, domain: domain, opset: opset, node: node.name)
        }
        do {
            return try descriptor.make(context)
        } catch let failure as KernelFailure {
            throw InterpreterError.invalidNode(node: node.name, op: node.opType, reason: failure.reason)
        }
    }

    /// Values a subgraph (and its nested subgraphs) reads but does not define.
    static func freeValues(of graph: Graph) -> [Value] {
        var result: [Value] = []
        var seen = Set<ObjectIdentifier>()
        func visit(_ g: Graph) {
            for node in g.nodes {
                for case let v? in node.inputs where v.graph !== g && !isDefined(v, within: graph) {
                    if seen.insert(ObjectIdentifier(v)).inserted { result.append(v) }
                }
                for sub in node.subgraphs { visit(sub) }
            }
            for v in g.outputs where v.graph !== g && !isDefined(v, within: graph) {
                if seen.insert(ObjectIdentifier(v)).inserted { result.append(v) }
            }
        }
        visit(graph)
        return result
    }

    /// Whether `value` is defined in `graph` or one of its nested subgraphs.
    private static func isDefined(_ value: Value, within graph: Graph) -> Bool {
        var g = value.graph
        while let current = g {
            if current === graph { return true }
            g = current.parentGraph
        }
        return false
    }
}
