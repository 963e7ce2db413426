/// Reductions: axes from the attribute (before opset 13 for ReduceSum, 18 for the others) or the
/// second input; keepdims; noop_with_empty_axes.
enum ReductionRules {
    static let ops = [
        "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
        "ReduceSumSquare",
    ]
    static let all: [(String, ShapeRule)] = ops.map { ($0, reduce) }

    static func reduce(_ c: NodeContext) -> RuleResult {
        guard let dims = c.dims(0) else { return .tensor(c.elementType(0), nil) }
        let inputSince = c.node.opType == "ReduceSum" ? 13 : 18
        let keep = (c.int("keepdims") ?? 1) == 1
        var axes: [Int64]?
        if c.opset >= inputSince {
            if c.hasInput(1) {
                guard let given = c.ints(1) else { return .tensor(c.elementType(0), keep ? dims.map { _ in .unknown } : nil) }
                axes = given
            }
        } else {
            axes = c.ints("axes")
        }
        if axes == nil || axes!.isEmpty {
            if c.int("noop_with_empty_axes") == 1 { return .tensor(c.elementType(0), dims) }
            axes = (0..<Int64(dims.count)).map { $0 }
        }
        let set = Set(axes!.compactMap { DimensionMath.axis($0, rank: dims.count) })
        let out = dims.enumerated().compactMap { i, d -> Dimension? in set.contains(i) ? (keep ? .value(1) : nil) : d }
        return .tensor(c.elementType(0), out)
    }
}

/// QuantizeLinear/DequantizeLinear and friends: same shape, element type from the zero point,
/// `output_dtype`, or the scale.
enum QuantizationRules {
    static let all: [(String, ShapeRule)] = [
        (
            "QuantizeLinear",
            { c in
                let type = c.elementType(2) ?? c.int("output_dtype").flatMap { $0 == 0 ? nil : DataType(rawValue: Int32($0)) } ?? .uint8
                return .tensor(type, c.dims(0))
            }
        ),
        (
            "DequantizeLinear",
            { c in
                .tensor(
                    c.int("output_dtype").flatMap { $0 == 0 ? nil : DataType(rawValue: Int32($0)) } ?? c.elementType(1) ?? .float, c.dims(0)
                )
            }
        ),
        (
            "DynamicQuantizeLinear",
            { c in RuleResult(types: [.tensor(.uint8, c.shape(0)), .tensor(.float, .scalar), .tensor(.uint8, .scalar)]) }
        ),
    ]
}

/// Recurrent ops and control flow.
enum ControlFlowRules {
    static let all: [(String, ShapeRule)] = [
        ("LSTM", recurrent), ("GRU", recurrent), ("RNN", recurrent), ("If", ifRule),
        ("Loop", loop), ("Scan", scan),
    ]

    static func recurrent(_ c: NodeContext) -> RuleResult {
        guard let x = c.dims(0), x.count == 3, let hidden = c.int("hidden_size") else { return .unknown }
        let type = c.elementType(0) ?? .float
        let directions: Dimension = .value(c.string("direction") == "bidirectional" ? 2 : 1)
        let layout = c.int("layout") ?? 0
        let (seq, batch) = layout == 0 ? (x[0], x[1]) : (x[1], x[0])
        let h: Dimension = .value(hidden)
        let y = layout == 0 ? [seq, directions, batch, h] : [batch, seq, directions, h]
        let state = layout == 0 ? [directions, batch, h] : [batch, directions, h]
        return RuleResult(types: [.tensor(type, TensorShape(y)), .tensor(type, TensorShape(state)), .tensor(type, TensorShape(state))])
    }

    static func ifRule(_ c: NodeContext) -> RuleResult {
        guard let thenBranch = c.node.attribute("then_branch")?.graph, let elseBranch = c.node.attribute("else_branch")?.graph else {
            return .unknown
        }
        let types = zip(thenBranch.outputs, elseBranch.outputs).map { a, b -> ValueType? in
            guard let ta = a.knownType, let tb = b.knownType else { return a.knownType ?? b.knownType }
            if ta == tb { return ta }
            guard let ea = ta.elementType, ea == tb.elementType else { return nil }
            guard let sa = ta.shape, let sb = tb.shape, sa.rank == sb.rank else { return .tensor(ea, nil) }
            return .tensor(ea, TensorShape(zip(sa.dimensions, sb.dimensions).map { $0 == $1 ? $0 : .unknown }))
        }
        return RuleResult(types: types)
    }

    static func loop(_ c: NodeContext) -> RuleResult {
        guard let body = c.node.attribute("body")?.graph else { return .unknown }
        let carried = max(0, c.inputCount - 2)
        var types: [ValueType?] = (0..<carried).map { c.type($0 + 2) }
        for out in body.outputs.dropFirst(1 + carried) {
            guard let t = out.knownType, let e = t.elementType else { types.append(nil); continue }
            types.append(.tensor(e, t.shape.map { TensorShape([.unknown] + $0.dimensions) }))
        }
        return RuleResult(types: types)
    }

    static func scan(_ c: NodeContext) -> RuleResult {
        guard let body = c.node.attribute("body")?.graph, let scans = c.int("num_scan_inputs") else { return .unknown }
        let states = c.inputCount - Int(scans)
        guard states >= 0 else { return .unknown }
        var types: [ValueType?] = (0..<states).map { c.type($0) }
        for out in body.outputs.dropFirst(states) {
            guard let t = out.knownType, let e = t.elementType else { types.append(nil); continue }
            types.append(.tensor(e, t.shape.map { TensorShape([.unknown] + $0.dimensions) }))
        }
        return RuleResult(types: types)
    }
}
