import ONNXIR

// Helpers shared by the cleanup passes and patterns: reading constants, wiring a node's readers
// past it, writing weights without touching other readers (clone on write), and small typed
// attribute readers. Nothing here decides whether a rewrite is valid; patterns do.

/// Runs `patterns` to a fixed point with the greedy driver and returns the report of `pass`.
func runPatterns(_ patterns: [any RewritePattern], pass: String, in context: PassContext) throws -> PassReport {
    var report = PassReport(pass: pass)
    try GreedyRewriteDriver(patterns: patterns).run(on: context.model, report: &report)
    return report
}

/// `"Conv 'conv1'"`: how reports name a node.
func label(_ node: Node) -> String { "\(node.qualifiedOp) '\(node.name)'" }

/// Op types whose results differ from run to run: never folded, never merged.
let nondeterministicOps: Set<String> = [
    "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli",
]

// MARK: Constants

/// Reads constant tensors behind values.
enum ConstantValues {
    /// The constant behind `value`: an initializer that is not also a graph input (inputs can be
    /// overridden at run time), or the output of a Constant node in any of its value forms.
    static func tensor(_ value: Value?) -> Tensor? {
        guard let value else { return nil }
        if let t = value.initializer, !value.isGraphInput { return t }
        if let p = value.producer, p.opType == "Constant", p.normalizedDomain.isEmpty {
            return ConstantsToInitializers.tensor(of: p)
        }
        return nil
    }

    static func isConstant(_ value: Value?) -> Bool { tensor(value) != nil }

    /// Integer elements of a constant integer tensor (shapes, axes, pads).
    static func ints(_ value: Value?) -> [Int64]? {
        guard let t = tensor(value), t.dataType.isInteger else { return nil }
        return try? t.int64Values()
    }

    /// A constant float32 tensor and its elements.
    static func float32(_ value: Value?) -> (tensor: Tensor, values: [Float])? {
        guard let t = tensor(value), t.dataType == .float, let values = try? t.floatValues() else { return nil }
        return (t, values)
    }

    /// Elements of a constant float-typed tensor as Float (for scalars such as Pad's value).
    static func floats(_ value: Value?) -> [Float]? {
        guard let t = tensor(value), t.dataType.isFloatingPoint else { return nil }
        return try? t.floatValues()
    }
}

// MARK: Attributes

extension Node {
    func intAttribute(_ name: String, default value: Int64) -> Int64 { attribute(name)?.int ?? value }
    func floatAttribute(_ name: String, default value: Float) -> Float { attribute(name)?.float ?? value }
    func stringAttribute(_ name: String, default value: String) -> String { attribute(name)?.string ?? value }
    var isDefaultDomain: Bool { normalizedDomain.isEmpty }
    var firstInput: Value? { inputs.first ?? nil }
    var firstOutput: Value? { outputs.first ?? nil }
    /// Input `index`, nil when absent or out of range.
    func input(_ index: Int) -> Value? { index < inputs.count ? inputs[index] : nil }
}

// MARK: Values

extension MatchContext {
    /// The node producing `value` when it is `op` (default domain) in the graph being rewritten.
    func producer(of value: Value?, op: Set<String>) -> Node? {
        guard let p = value?.producer, p.graph === graph, p.isDefaultDomain, op.contains(p.opType) else { return nil }
        return p
    }

    /// Why `value` (the output of a node about to be absorbed into its reader) cannot vanish:
    /// nil when `reader` is its only reader and it is not a graph output.
    func absorptionProblem(_ value: Value, into reader: Node) -> String? {
        if value.isGraphOutput { return "the intermediate value '\(value.name)' is a graph output" }
        let others = value.userNodes.filter { $0 !== reader }
        if !others.isEmpty {
            return "the intermediate value '\(value.name)' is also read by \(others.count) other node(s)"
        }
        return nil
    }

    /// Why readers of `output` cannot be wired to `input` instead: nil when they can. A graph
    /// output keeps its public name, so `input` must be renameable (a node output of this graph
    /// that is not itself a graph output).
    func bypassProblem(replacing output: Value, with input: Value) -> String? {
        guard output.isGraphOutput else { return nil }
        if input.producer != nil && input.graph === graph && !input.isGraphOutput { return nil }
        return "its output '\(output.name)' is a graph output and its input '\(input.name)' cannot take that name"
    }

    /// New initializers need IR version 4 (before that every initializer is also a graph input).
    var canAddInitializers: Bool { model.irVersion >= 4 }

    /// Shape of `value` as far as declared or inferred types tell.
    func shape(_ value: Value?) -> TensorShape? { value?.knownType?.shape }
}

// MARK: Rewriting

extension Rewriter {
    /// Wires every reader of `output` to `input`, then erases `node` and producers left unread.
    func bypass(_ node: Node, output: Value, with input: Value) {
        replace(output, with: input)
        eraseWithDeadProducers(node)
    }

    /// Puts `tensor` at input `index` of `node` without any other reader seeing the change: in
    /// place when this graph's initializer there has no other reader, as a clone of a shared
    /// initializer (clone on write), or as a new initializer otherwise (a Constant output, a value
    /// of an enclosing graph, or an absent optional input, which is appended).
    func writeConstant(_ tensor: Tensor, into node: Node, input index: Int, baseName: String) {
        let old = node.input(index)
        if let old, old.initializer != nil, old.graph === graph, !old.isGraphInput {
            if old.uses.count == 1 && !old.isGraphOutput {
                setInitializer(old, tensor)
            } else {
                let copy = graph.cloneInitializer(old, for: Use(node: node, index: index))
                setInitializer(copy, tensor)
            }
            return
        }
        let fresh = addInitializer(tensor, baseName: baseName)
        if index < node.inputs.count {
            setInput(node, index, fresh)
        } else {
            while node.inputs.count < index { node.appendInput(nil) }
            node.appendInput(fresh)
        }
        if let old { removeIfUnread(old) }
    }

    /// Removes `value` when nothing reads it any more: its producer (and producers left unread
    /// above it), or the initializer.
    func removeIfUnread(_ value: Value) {
        graph.removeIfUnread(value)
    }
}

extension Graph {
    /// Removes `value` when nothing reads it and it is not a graph output: a node of this graph
    /// producing only unread values (and, recursively, its own unread inputs), or an initializer of
    /// this graph that is not a graph input.
    func removeIfUnread(_ value: Value) {
        guard value.uses.isEmpty, !value.isGraphOutput, value.graph === self else { return }
        if let p = value.producer {
            guard p.graph === self, p.outputs.allSatisfy({ $0.map { $0.uses.isEmpty && !$0.isGraphOutput } ?? true }) else { return }
            let inputs = p.inputs.compactMap { $0 }
            erase(p)
            for v in inputs { removeIfUnread(v) }
        } else if value.initializer != nil, !value.isGraphInput {
            removeInitializer(value)
        }
    }

    /// Makes `tensor` the value of `old` (a node output about to disappear): a new initializer
    /// takes over its readers and, once the producer is erased, its name. Returns the initializer.
    /// A graph output keeps its declared type and doc string on the initializer.
    func initializerReplacing(_ old: Value, with tensor: Tensor) -> Value {
        let value = addInitializer(tensor, named: freshName(old.name))
        if old.isGraphOutput {
            value.type = old.type
            value.docString = old.docString
            value.valueInfoExtras = old.valueInfoExtras
        }
        replaceAllUses(of: old, with: value, includingGraphOutputs: true)
        return value
    }
}

// MARK: Shapes

enum ShapeMath {
    /// `axis` made non-negative for rank `rank`, nil when out of range.
    static func normalize(_ axis: Int64, rank: Int) -> Int? {
        let a = axis < 0 ? Int(axis) + rank : Int(axis)
        return (0..<rank).contains(a) ? a : nil
    }

    /// Identity permutation test.
    static func isIdentity(_ perm: [Int64]) -> Bool { perm.enumerated().allSatisfy { Int64($0.offset) == $0.element } }

    /// A constant of shape `dims` broadcast against a value of rank `rank` varies only along
    /// `axis`: returns its `channels` per-channel values (a size-1 constant repeats), or nil when
    /// it would vary along another axis, grow the rank, or its channel size does not match.
    static func perChannel(_ values: [Float], dims: [Int64], rank: Int, axis: Int, channels: Int) -> [Float]? {
        guard dims.count <= rank else { return nil }
        let offset = rank - dims.count
        var channelSize: Int64 = 1
        for (i, d) in dims.enumerated() {
            let aligned = i + offset
            if aligned == axis {
                channelSize = d
            } else if d != 1 {
                return nil
            }
        }
        if channelSize == 1 && values.count == 1 { return Array(repeating: values[0], count: channels) }
        guard channelSize == Int64(channels), values.count == channels else { return nil }
        return values
    }
}
