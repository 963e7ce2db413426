/// If, Loop and Scan: output types from the subgraphs, which the driver infers first.
///   If:   each output merges the two branches' outputs (the dims they agree on survive).
///   Loop: carried values merge the initial value with the body's output; scan outputs gain a
///         leading iteration axis (M when the trip count is a constant and there is no condition).
///   Scan: states likewise; scan outputs gain the sequence axis at `scan_output_axes`.
enum ControlFlowRules {
    static func ifRule(_ c: NodeContext) -> RuleResult {
        guard let thenBranch = c.node.attribute("then_branch")?.graph, let elseBranch = c.node.attribute("else_branch")?.graph,
            thenBranch.outputs.count == elseBranch.outputs.count
        else { return .unknown }
        return RuleResult(types: zip(thenBranch.outputs, elseBranch.outputs).map { merge($0.knownType, $1.knownType) })
    }

    static func loop(_ c: NodeContext) -> RuleResult {
        guard let body = c.node.attribute("body")?.graph else { return .unknown }
        let carried = max(0, c.inputCount - 2)
        var types: [ValueType?] = (0..<carried).map { i in
            merge(c.type(i + 2), 1 + i < body.outputs.count ? body.outputs[1 + i].knownType : nil)
        }
        let exactTrips = c.hasInput(1) ? nil : c.values(0)?.first
        let iterations = exactTrips ?? .unknown
        for out in body.outputs.dropFirst(1 + carried) { types.append(stacked(out.knownType, axis: 0, size: iterations)) }
        return RuleResult(types: types)
    }

    static func scan(_ c: NodeContext) -> RuleResult {
        // Opset 8's Scan has a batch axis and sequence_lens first: not modelled.
        guard c.opset >= 9, let body = c.node.attribute("body")?.graph, let scans = c.int("num_scan_inputs"), scans >= 1,
            scans <= Int64(c.inputCount)
        else { return .unknown }
        let states = c.inputCount - Int(scans)
        var types: [ValueType?] = (0..<states).map { i in merge(c.type(i), i < body.outputs.count ? body.outputs[i].knownType : nil) }
        var length = Dimension.unknown
        if let first = c.dims(states), let axis = DimensionMath.axis(c.ints("scan_input_axes")?.first ?? 0, rank: first.count) {
            length = first[axis]
        }
        let outputAxes = c.ints("scan_output_axes") ?? []
        for (k, out) in body.outputs.dropFirst(states).enumerated() {
            types.append(stacked(out.knownType, axis: k < outputAxes.count ? outputAxes[k] : 0, size: length))
        }
        return RuleResult(types: types)
    }

    /// What two types that must share an element type have in common: the dims they agree on.
    static func merge(_ a: ValueType?, _ b: ValueType?) -> ValueType? {
        guard let a, let b else { return (a ?? b)?.elementType.map { .tensor($0, nil) } }
        if a == b { return a }
        guard let element = a.elementType, element == b.elementType else { return nil }
        guard let sa = a.shape, let sb = b.shape, sa.rank == sb.rank else { return .tensor(element, nil) }
        return .tensor(element, TensorShape(zip(sa.dimensions, sb.dimensions).map { $0 == $1 ? $0 : .unknown }))
    }

    /// A per-iteration tensor type stacked along a new axis of `size`.
    static func stacked(_ type: ValueType?, axis: Int64, size: Dimension) -> ValueType? {
        guard let type, let element = type.elementType else { return nil }
        guard let dims = type.shape?.dimensions, let at = DimensionMath.axis(axis, rank: dims.count + 1) else {
            return .tensor(element, nil)
        }
        var out = dims
        out.insert(size, at: at)
        return .tensor(element, TensorShape(out))
    }

    /// Types the body's inputs from the node's inputs where the file declares no shape: Loop's
    /// iteration number, condition and carried values; Scan's states and one slice of each scan
    /// input.
    static func bindBodyInputs(of node: Node, opset: Int) {
        guard let body = node.attribute("body")?.graph else { return }
        let inputTypes = node.inputs.map { $0?.knownType }
        if node.opType == "Loop" {
            bind(body, 0, .tensor(.int64, .scalar))
            bind(body, 1, .tensor(.bool, .scalar))
            for i in inputTypes.indices.dropFirst(2) { bind(body, i, inputTypes[i]) }
        } else if node.opType == "Scan", opset >= 9, let scans = node.attribute("num_scan_inputs")?.int, scans >= 0,
            scans <= Int64(inputTypes.count)
        {
            let states = inputTypes.count - Int(scans)
            let axes = node.attribute("scan_input_axes")?.ints ?? []
            for (i, type) in inputTypes.enumerated() {
                guard i >= states else {
                    bind(body, i, type)
                    continue
                }
                let axis = i - states < axes.count ? axes[i - states] : 0
                bind(body, i, stacked(type, removing: axis))
            }
        }
    }

    /// After the body was inferred once: widens carried inputs whose body output came out
    /// different (a value that grows each iteration). True when the body must be inferred again.
    static func widenCarriedInputs(of node: Node) -> Bool {
        guard let body = node.attribute("body")?.graph else { return false }
        let first = node.opType == "Loop" ? 2 : 0
        // Loop carries inputs 2...; Scan carries the inputs before its num_scan_inputs scanned ones.
        let scanned = node.attribute("num_scan_inputs")?.int ?? 0
        guard node.opType == "Loop" || (0...Int64(node.inputs.count)).contains(scanned) else { return false }
        let count = node.opType == "Loop" ? max(0, node.inputs.count - 2) : node.inputs.count - Int(scanned)
        var changed = false
        for k in 0..<count {
            let input = first + k, output = node.opType == "Loop" ? 1 + k : k
            guard input < body.inputs.count, output < body.outputs.count else { break }
            let bound = body.inputs[input]
            guard bound.type?.shape == nil, let current = bound.inferredType else { continue }
            let widened = merge(current, body.outputs[output].knownType)
            if widened != current {
                bound.inferredType = widened
                changed = true
            }
        }
        return changed
    }

    private static func bind(_ body: Graph, _ index: Int, _ type: ValueType?) {
        guard index < body.inputs.count, body.inputs[index].type?.shape == nil else { return }
        body.inputs[index].inferredType = type
    }

    /// One slice of a scanned tensor: the type without the scan axis.
    static func stacked(_ type: ValueType?, removing axis: Int64) -> ValueType? {
        guard let type, let element = type.elementType else { return nil }
        guard var dims = type.shape?.dimensions, let at = DimensionMath.axis(axis, rank: dims.count) else { return .tensor(element, nil) }
        dims.remove(at: at)
        return .tensor(element, TensorShape(dims))
    }
}
