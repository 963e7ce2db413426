/// Indexing ops: Gather (also on tracked shape values: `Shape(x)[0]`), GatherElements,
/// GatherND, Compress and NonZero (data-dependent sizes stay unknown), OneHot, TopK and
/// ArgMax/ArgMin.
enum GatherRules {
    /// Gather(data, indices, axis): data.shape[..<axis] + indices.shape + data.shape[axis+1...].
    static func gather(_ c: NodeContext) -> RuleResult {
        let type = c.elementType(0)
        guard let data = c.dims(0), let indices = c.dims(1), let axis = c.axis("axis", default: 0, rank: data.count) else {
            return .tensor(type, nil)
        }
        var result = RuleResult.tensor(type, Array(data[..<axis]) + indices + Array(data[(axis + 1)...]))
        if data.count == 1, let v = c.values(0), let picked = c.ints(1) {
            result.values = [
                picked.map { i -> Dimension in
                    let j = i < 0 ? i + Int64(v.count) : i
                    return j >= 0 && j < Int64(v.count) ? v[Int(j)] : .unknown
                }
            ]
        }
        return result
    }

    /// GatherElements: the shape of the indices, the type of the data.
    static func gatherElements(_ c: NodeContext) -> RuleResult { .tensor(c.elementType(0), c.dims(1)) }

    /// GatherND: indices.shape[..<-1] + data.shape[batch_dims + indices.shape[-1]...].
    static func gatherND(_ c: NodeContext) -> RuleResult {
        let type = c.elementType(0)
        guard let data = c.dims(0), let indices = c.dims(1), let last = indices.last?.value, last >= 1 else { return .tensor(type, nil) }
        let batch = c.int("batch_dims") ?? 0
        guard batch >= 0, let end = DimensionMath.plus(batch, last), end <= Int64(data.count) else { return .tensor(type, nil) }
        return .tensor(type, Array(indices.dropLast()) + Array(data[Int(end)...]))
    }

    /// Compress: without an axis, a 1-D result; with one, that axis has a data-dependent size.
    static func compress(_ c: NodeContext) -> RuleResult {
        let type = c.elementType(0)
        guard let axisAttribute = c.int("axis") else { return .tensor(type, [.unknown]) }
        guard let data = c.dims(0), let axis = DimensionMath.axis(axisAttribute, rank: data.count) else { return .tensor(type, nil) }
        var out = data
        out[axis] = .unknown
        return .tensor(type, out)
    }

    /// NonZero: [rank, number of non-zeros (unknown)].
    static func nonZero(_ c: NodeContext) -> RuleResult { .tensor(.int64, c.dims(0).map { [.value(Int64($0.count)), .unknown] }) }

    /// OneHot(indices, depth, values): a new axis of size depth at `axis`, the values' type.
    static func oneHot(_ c: NodeContext) -> RuleResult {
        let type = c.elementType(2)
        guard let dims = c.dims(0), let axis = c.axis("axis", default: -1, rank: dims.count + 1) else { return .tensor(type, nil) }
        var depth = Dimension.unknown
        if let f = c.floats(1)?.first, f.isFinite, f >= 0, f < 1e15 { depth = .value(Int64(f)) }
        var out = dims
        out.insert(depth, at: axis)
        return .tensor(type, out)
    }

    /// TopK: Values and Indices with the axis cut to k (an input from opset 10, an attribute before).
    static func topK(_ c: NodeContext) -> RuleResult {
        guard let dims = c.dims(0), let axis = c.axis("axis", default: -1, rank: dims.count) else {
            return RuleResult(types: [c.elementType(0).map { .tensor($0, nil) }, .tensor(.int64, nil)])
        }
        var out = dims
        let k = c.opset >= 10 ? c.values(1)?.first : c.int("k").map { .value($0) }
        out[axis] = k ?? .unknown
        return RuleResult(types: [c.elementType(0).map { .tensor($0, TensorShape(out)) }, .tensor(.int64, TensorShape(out))])
    }

    /// ArgMax/ArgMin: int64, the axis kept as 1 or dropped (keepdims).
    static func argReduce(_ c: NodeContext) -> RuleResult {
        guard let dims = c.dims(0), let axis = c.axis("axis", default: 0, rank: dims.count) else { return .tensor(.int64, nil) }
        var out = dims
        if (c.int("keepdims") ?? 1) == 1 { out[axis] = .value(1) } else { out.remove(at: axis) }
        return .tensor(.int64, out)
    }
}
