/// Concat (also of tracked shape values: `Concat(Shape(x)[0:1], [-1])`), Split and Pad.
enum ConcatSplitRules {
    /// Concat: the axis sums the inputs' sizes; the other dims agree (a known size wins).
    static func concat(_ c: NodeContext) -> RuleResult {
        let type = (0..<c.inputCount).lazy.compactMap { c.elementType($0) }.first
        let inputs = (0..<c.inputCount).compactMap { c.dims($0) }
        guard inputs.count == c.inputCount, let first = inputs.first, let axis = c.axis("axis", default: .min, rank: first.count),
            inputs.allSatisfy({ $0.count == first.count })
        else { return .tensor(type, nil) }
        var out = first
        var total: Int64? = 0
        for s in inputs {
            total = total.flatMap { sum in s[axis].value.flatMap { DimensionMath.plus(sum, $0) } }
            for i in s.indices where i != axis && out[i].value == nil && s[i].value != nil { out[i] = s[i] }
        }
        // A single input keeps even a symbolic size.
        out[axis] = inputs.count == 1 ? first[axis] : DimensionMath.size(total)
        var result = RuleResult.tensor(type, out)
        if first.count == 1 {
            let values = (0..<c.inputCount).map { c.values($0) }
            if values.allSatisfy({ $0 != nil }) { result.values = [values.flatMap { $0! }] }
        }
        return result
    }

    /// Split: sizes from the `split` attribute (before opset 13) or input, else equal parts
    /// (`num_outputs` in opset 18; the last part smaller when the size does not divide).
    static func split(_ c: NodeContext) -> RuleResult {
        let outputs = c.node.outputs.count
        guard let type = c.elementType(0) else { return .unknown }
        guard let dims = c.dims(0), let axis = c.axis("axis", default: 0, rank: dims.count) else {
            return RuleResult(types: Array(repeating: .tensor(type, nil), count: outputs))
        }
        var parts: [Dimension]
        let given: [Int64]?? = c.opset >= 13 ? (c.hasInput(1) ? .some(c.ints(1)) : nil) : c.ints("split").map { .some($0) }
        switch given {
        case .some(.some(let sizes)) where sizes.count == outputs && sizes.allSatisfy({ $0 >= 0 }):
            parts = sizes.map { .value($0) }
        case .some:
            parts = Array(repeating: .unknown, count: outputs)
        case .none:
            parts = equalParts(dims[axis], count: outputs)
            if let n = c.int("num_outputs"), n != Int64(outputs) { parts = Array(repeating: .unknown, count: outputs) }
        }
        return RuleResult(
            types: parts.map { part in
                var out = dims
                out[axis] = part
                return .tensor(type, TensorShape(out))
            })
    }

    static func equalParts(_ d: Dimension, count: Int) -> [Dimension] {
        guard count > 1 else { return count == 1 ? [d] : [] }
        guard let n = d.value else { return Array(repeating: .unknown, count: count) }
        let chunk = SliceRules.ceilDivide(n, Int64(count))
        return (0..<Int64(count)).map { i in .value(max(0, min(chunk, n - min(n, i * chunk)))) }
    }

    /// Pad: pads as an attribute before opset 11 (`paddings` in opset 1), an input from 11 on,
    /// optionally only on `axes` (opset 18); pads may be negative (crop).
    static func pad(_ c: NodeContext) -> RuleResult {
        let type = c.elementType(0)
        guard let dims = c.dims(0) else { return .tensor(type, nil) }
        let unknownSizes = dims.map { _ in Dimension.unknown }
        guard let pads = c.opset < 11 ? (c.ints("pads") ?? c.ints("paddings")) : c.ints(1) else { return .tensor(type, unknownSizes) }
        let axes: [Int]
        if c.opset >= 18, c.hasInput(3) {
            guard let given = c.ints(3), let normalized = SliceRules.normalizedAxes(given, rank: dims.count) else {
                return .tensor(type, unknownSizes)
            }
            axes = normalized
        } else {
            axes = Array(dims.indices)
        }
        guard pads.count == 2 * axes.count else { return .tensor(type, unknownSizes) }
        var out = dims
        for (k, axis) in axes.enumerated() {
            let (before, after) = (pads[k], pads[k + axes.count])
            if before == 0 && after == 0 { continue }
            out[axis] = DimensionMath.size(dims[axis].value.flatMap { DimensionMath.sum($0, before, after) })
        }
        return .tensor(type, out)
    }
}
