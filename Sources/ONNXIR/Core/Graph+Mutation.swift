/// The mutation API. Every change to inputs, outputs, initializers and nodes goes through here,
/// which keeps use-lists exact and names unique. Misuse (erasing a node that still has users,
/// replacing a graph output without saying so) is a programmer error and traps.
extension Graph {
    // MARK: Inputs, initializers, outputs

    /// Adds a graph input named exactly `name` (the caller guarantees it is unused).
    @discardableResult
    public func addInput(named name: String, type: ValueType?) -> Value {
        let value = Value(name: name, type: type)
        value.graph = self
        names.reserve(name)
        inputs.append(value)
        return value
    }

    /// Adds an initializer. `name` nil takes the tensor's name made unique; the value's name and
    /// the stored tensor's name always agree.
    @discardableResult
    public func addInitializer(_ tensor: Tensor, named name: String? = nil) -> Value {
        let chosen = name ?? names.fresh(tensor.name.isEmpty ? "initializer" : tensor.name)
        names.reserve(chosen)
        var stored = tensor
        stored.name = chosen
        let value = Value(name: chosen, type: .tensor(tensor.dataType, TensorShape(tensor.dims)))
        value.type = nil  // initializers carry their type in the tensor; value_info is separate
        value.inferredType = .tensor(tensor.dataType, TensorShape(tensor.dims))
        value.initializer = stored
        value.graph = self
        initializers.append(value)
        return value
    }

    /// Makes an existing graph input also an initializer (IR < 4 models list weights as inputs).
    public func attachInitializer(_ tensor: Tensor, to input: Value) {
        precondition(input.graph === self && input.isGraphInput, "'\(input.name)' is not an input of this graph")
        var stored = tensor
        stored.name = input.name
        input.initializer = stored
        input.inferredType = .tensor(tensor.dataType, TensorShape(tensor.dims))
        initializers.append(input)
    }

    @discardableResult
    public func addSparseInitializer(_ sparse: SparseTensor, named name: String) -> Value {
        names.reserve(name)
        let value = Value(name: name)
        value.sparseInitializer = sparse
        value.inferredType = ValueType(.tensor(elementType: sparse.values.dataType, shape: TensorShape(sparse.dims)))
        value.graph = self
        sparseInitializers.append(value)
        return value
    }

    /// Replaces the tensor of an initializer in place. A weight read by several nodes is shared:
    /// callers editing it for one user must `cloneInitializer` first (clone on write).
    public func setInitializerTensor(_ value: Value, _ tensor: Tensor) {
        precondition(value.graph === self && value.initializer != nil, "'\(value.name)' is not an initializer here")
        var stored = tensor
        stored.name = value.name
        value.initializer = stored
        value.inferredType = .tensor(tensor.dataType, TensorShape(tensor.dims))
    }

    /// Gives `use` its own copy of a shared initializer (clone on write) and returns the copy.
    @discardableResult
    public func cloneInitializer(_ value: Value, for use: Use) -> Value {
        precondition(value.initializer != nil, "'\(value.name)' is not an initializer")
        var tensor = value.initializer!
        tensor.name = value.name
        let copy = addInitializer(tensor, named: names.fresh(value.name))
        use.node.setInput(use.index, copy)
        return copy
    }

    /// Removes an initializer that nothing reads any more.
    public func removeInitializer(_ value: Value) {
        precondition(value.uses.isEmpty && !value.isGraphOutput, "initializer '\(value.name)' still has users")
        initializers.removeAll { $0 === value }
        sparseInitializers.removeAll { $0 === value }
        value.initializer = nil
        value.sparseInitializer = nil
        if !inputs.contains(where: { $0 === value }) { detach(value) }
    }

    /// Removes a graph input that nothing reads.
    public func removeInput(_ value: Value) {
        precondition(value.uses.isEmpty && !value.isGraphOutput, "input '\(value.name)' still has users")
        inputs.removeAll { $0 === value }
        if !value.isInitializer { detach(value) }
    }

    public func addOutput(_ value: Value) { outputs.append(value) }

    /// Points graph output `index` at `value`.
    public func setOutput(_ index: Int, _ value: Value) { outputs[index] = value }

    public func removeOutput(at index: Int) { outputs.remove(at: index) }

    /// A value that belongs to no graph: a `value_info` entry naming nothing defined.
    public func detachedValue(named name: String, type: ValueType?) -> Value {
        Value(name: name, type: type)
    }

    // MARK: Nodes

    /// Creates a node whose outputs are named exactly `outputNames` ("" for an absent output),
    /// inserted before `anchor` or appended. Used when decoding files.
    @discardableResult
    public func makeNode(
        opType: String, domain: String = "", name: String, attributes: [Attribute] = [],
        inputs: [Value?], outputNames: [String], before anchor: Node? = nil
    ) -> Node {
        let node = Node(name: name, opType: opType, domain: domain, attributes: attributes)
        names.reserve(name)
        node.graph = self
        for input in inputs { node.appendInput(input) }
        node.outputs = outputNames.map { outputName -> Value? in
            guard !outputName.isEmpty else { return nil }
            names.reserve(outputName)
            let value = Value(name: outputName)
            value.producer = node
            value.graph = self
            return value
        }
        adoptSubgraphs(of: node)
        insert(node, before: anchor)
        return node
    }

    /// Creates a node with fresh node and output names derived from `baseName`.
    @discardableResult
    public func addNode(
        opType: String, domain: String = "", baseName: String? = nil, attributes: [Attribute] = [],
        inputs: [Value?], outputCount: Int = 1, before anchor: Node? = nil
    ) -> Node {
        let base = baseName ?? opType
        let nodeName = names.fresh(base)
        let outputNames = (0..<outputCount).map { i in names.fresh(outputCount == 1 ? "\(nodeName)_out" : "\(nodeName)_out\(i)") }
        return makeNode(
            opType: opType, domain: domain, name: nodeName, attributes: attributes, inputs: inputs,
            outputNames: outputNames, before: anchor)
    }

    /// Sets `ownerNode` of subgraphs held by `node`'s attributes; call after editing attributes.
    public func adoptSubgraphs(of node: Node) {
        for sub in node.subgraphs { sub.ownerNode = node }
    }

    /// Erases a node whose outputs have no users and are not graph outputs.
    public func erase(_ node: Node) {
        precondition(node.graph === self, "node '\(node.name)' is not in this graph")
        for case let out? in node.outputs {
            precondition(out.uses.isEmpty, "erasing node '\(node.name)' whose output '\(out.name)' still has users")
            precondition(!out.isGraphOutput, "erasing node '\(node.name)' whose output '\(out.name)' is a graph output")
        }
        Self.dropUses(of: node)
        nodes.removeAll { $0 === node }
        for case let out? in node.outputs { detach(out) }
        node.graph = nil
    }

    /// Replaces every use of `old` by `new`, in this graph and in subgraphs that read it. Graph
    /// outputs pointing at `old` move too only when `includingGraphOutputs` is set.
    public func replaceAllUses(of old: Value, with new: Value, includingGraphOutputs: Bool = false) {
        precondition(old !== new, "replacing '\(old.name)' with itself")
        for use in old.uses { use.node.setInput(use.index, new) }
        if includingGraphOutputs {
            for (i, out) in outputs.enumerated() where out === old { outputs[i] = new }
        } else {
            precondition(!old.isGraphOutput, "'\(old.name)' is a graph output: pass includingGraphOutputs")
        }
    }

    /// Renames a value (for example to keep a graph output's public name after a rewrite).
    public func rename(_ value: Value, to newName: String) {
        precondition(
            !names.isUsed(newName) || newName == value.name || !definedValues.contains { $0.name == newName },
            "name '\(newName)' is taken")
        names.reserve(newName)
        value.name = newName
        if value.initializer != nil { value.initializer!.name = newName }
    }

    /// Moves `node` to just before `anchor` (both in this graph).
    public func move(_ node: Node, before anchor: Node) {
        nodes.removeAll { $0 === node }
        insert(node, before: anchor)
    }

    /// Reorders nodes (decoders sort unsorted files; passes may re-sort after large rewrites).
    public func reorderNodes(_ ordered: [Node]) {
        precondition(ordered.count == nodes.count, "reorder must keep every node")
        nodes = ordered
    }

    private func insert(_ node: Node, before anchor: Node?) {
        if let anchor, let i = nodes.firstIndex(where: { $0 === anchor }) {
            nodes.insert(node, at: i)
        } else {
            nodes.append(node)
        }
    }

    private func detach(_ value: Value) {
        value.graph = nil
        value.producer = nil
        valueInfo.removeAll { $0 === value }
    }

    /// Removes the uses `node` (and the nodes of its subgraphs) make of any value.
    static func dropUses(of node: Node) {
        for (i, input) in node.inputs.enumerated() { input?.removeUse(Use(node: node, index: i)) }
        for sub in node.subgraphs { for inner in sub.nodes { dropUses(of: inner) } }
    }
}
