/// Reductions: axes from the attribute (before opset 13 for ReduceSum, 18 for the others) or the
/// second input; keepdims; noop_with_empty_axes. ReduceProd/ReduceSum over a whole tracked shape
/// value is tracked too (exports compute element counts that way).
enum ReductionRules {
    static let ops = [
        "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
        "ReduceSumSquare",
    ]

    static func reduce(_ c: NodeContext) -> RuleResult {
        let type = c.elementType(0)
        guard let dims = c.dims(0) else { return .tensor(type, nil) }
        let keep = (c.int("keepdims") ?? 1) == 1
        var axes: [Int64]?
        if c.opset >= (c.node.opType == "ReduceSum" ? 13 : 18) {
            if c.hasInput(1) {
                // Unreadable axes: with keepdims the rank survives.
                guard let given = c.ints(1) else { return .tensor(type, keep ? dims.map { _ in .unknown } : nil) }
                axes = given
            }
        } else {
            axes = c.ints("axes")
        }
        if axes?.isEmpty ?? true {
            // noop_with_empty_axes only exists where axes are an input.
            if c.int("noop_with_empty_axes") == 1 { return .tensor(type, dims) }
            axes = (0..<Int64(dims.count)).map { $0 }
        }
        guard let reduced = SliceRules.normalizedAxes(axes ?? [], rank: dims.count) else { return .tensor(type, nil) }
        let out = dims.enumerated().compactMap { i, d -> Dimension? in reduced.contains(i) ? (keep ? .value(1) : nil) : d }
        var result = RuleResult.tensor(type, out)
        if dims.count == 1, let v = c.values(0) {
            switch c.node.opType {
            case "ReduceProd": result.values = [[DimensionMath.product(v)]]
            case "ReduceSum": result.values = [[DimensionMath.concrete(v).flatMap { DimensionMath.sum($0) }.map { .value($0) } ?? .unknown]]
            default: break
            }
        }
        return result
    }
}
