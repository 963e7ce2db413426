/// Ops that rearrange elements without computing on them: Reshape, Flatten, Squeeze, Unsqueeze,
/// Transpose, Expand, Tile, DepthToSpace, SpaceToDepth. Reshapes keep the flat order, so a
/// tracked shape value passes through them unchanged.
enum ReshapeRules {
    /// Reshape(x, target): 0 copies the input dim (unless allowzero), one -1 takes what is left.
    /// With symbolic inputs, equal factors cancel: [N,4,8] to [0,-1] gives [N,32], and
    /// [N,S,64] to [-1,64] gives [N*S -> unknown] unless one symbol is left over.
    static func reshape(_ c: NodeContext) -> RuleResult {
        let type = c.elementType(0)
        // An unreadable target of known length still fixes the rank.
        guard let target = c.values(1) else { return .tensor(type, DimensionMath.unknownDims(count: c.dims(1)?.first)) }
        let input = c.dims(0)
        let allowZero = c.int("allowzero") == 1
        var out = target.enumerated().map { i, d -> Dimension in
            guard d.value == 0, !allowZero else { return d }
            return input.flatMap { i < $0.count ? $0[i] : nil } ?? .unknown
        }
        let minusOnes = out.indices.filter { out[$0].value == -1 }
        if minusOnes.count > 1 { return .tensor(type, out.map { $0.value == -1 ? .unknown : $0 }) }
        if let minus = minusOnes.first {
            out[minus] =
                input.map { inferredMinusOne(input: $0, others: out.enumerated().filter { $0.offset != minus }.map(\.element)) } ?? .unknown
        }
        var result = RuleResult.tensor(type, out)
        if let v = c.values(0) { result.values = [v] }
        return result
    }

    /// The size a -1 entry stands for: input elements over the product of the other entries.
    static func inferredMinusOne(input: [Dimension], others: [Dimension]) -> Dimension {
        if let total = DimensionMath.product(input).value, let known = DimensionMath.product(others).value {
            return known > 0 && total % known == 0 ? .value(total / known) : .unknown
        }
        // Symbolic: cancel equal factors on both sides; the -1 dim is what the input has left.
        var remaining = input
        var unmatched: [Dimension] = []
        for d in others {
            if d != .unknown, let j = remaining.firstIndex(of: d) { remaining.remove(at: j) } else { unmatched.append(d) }
        }
        let symbolic = remaining.filter { $0.value == nil }
        guard let known = DimensionMath.product(remaining.filter { $0.value != nil }).value,
            let q = DimensionMath.product(unmatched).value, q > 0
        else { return .unknown }
        if symbolic.isEmpty { return known % q == 0 ? .value(known / q) : .unknown }
        if symbolic.count == 1, known == q, case .symbol = symbolic[0] { return symbolic[0] }
        return .unknown
    }

    /// Flatten: [prod(dims[..<axis]), prod(dims[axis...])].
    static func flatten(_ c: NodeContext) -> RuleResult {
        guard let dims = c.dims(0) else { return .tensor(c.elementType(0), c.type(0) == nil ? nil : [.unknown, .unknown]) }
        let a = c.int("axis") ?? 1
        let axis = a < 0 ? Int(a) + dims.count : Int(a)
        guard axis >= 0 && axis <= dims.count else { return .tensor(c.elementType(0), nil) }
        var result = RuleResult.tensor(
            c.elementType(0), [DimensionMath.product(Array(dims[..<axis])), DimensionMath.product(Array(dims[axis...]))])
        if let v = c.values(0) { result.values = [v] }
        return result
    }

    /// Transpose: perm (a permutation of the axes) or the axes reversed.
    static func transpose(_ c: NodeContext) -> RuleResult {
        guard let dims = c.dims(0) else { return .tensor(c.elementType(0), nil) }
        let perm = c.ints("perm")?.map { Int(clamping: $0) } ?? Array((0..<dims.count).reversed())
        guard perm.sorted() == Array(0..<dims.count) else { return .tensor(c.elementType(0), nil) }
        return .tensor(c.elementType(0), perm.map { dims[$0] })
    }

    /// Axes of Squeeze/Unsqueeze: an attribute before opset 13, the second input from 13 on.
    /// `.missing` when absent, `.unreadable` when given but not constant.
    enum Axes {
        case given([Int64]), missing, unreadable
    }
    static func axes(_ c: NodeContext, inputSince opset: Int) -> Axes {
        if c.opset >= opset {
            guard c.hasInput(1) else { return .missing }
            return c.ints(1).map { .given($0) } ?? .unreadable
        }
        return c.ints("axes").map { .given($0) } ?? .missing
    }

    /// Squeeze: drops the listed axes, or every dim known to be 1.
    static func squeeze(_ c: NodeContext) -> RuleResult {
        let type = c.elementType(0)
        guard let dims = c.dims(0) else { return .tensor(type, nil) }
        let drop: Set<Int>
        switch axes(c, inputSince: 13) {
        case .given(let given):
            let normalized = given.compactMap { DimensionMath.axis($0, rank: dims.count) }
            guard normalized.count == given.count, normalized.allSatisfy({ dims[$0].value ?? 1 == 1 }) else { return .tensor(type, nil) }
            drop = Set(normalized)
        case .missing:
            // A symbolic dim may or may not be 1: the rank is unknown then.
            guard dims.allSatisfy({ $0.value != nil }) else { return .tensor(type, nil) }
            drop = Set(dims.indices.filter { dims[$0].value == 1 })
        case .unreadable:
            return .tensor(type, nil)
        }
        var result = RuleResult.tensor(type, dims.enumerated().filter { !drop.contains($0.offset) }.map(\.element))
        if let v = c.values(0) { result.values = [v] }
        return result
    }

    /// Unsqueeze: inserts 1s at the listed axes of the output.
    static func unsqueeze(_ c: NodeContext) -> RuleResult {
        let type = c.elementType(0)
        guard let dims = c.dims(0), case .given(let given) = axes(c, inputSince: 13) else { return .tensor(type, nil) }
        let rank = dims.count + given.count
        let positions = Set(given.compactMap { DimensionMath.axis($0, rank: rank) })
        guard positions.count == given.count else { return .tensor(type, nil) }
        var source = dims.makeIterator()
        var result = RuleResult.tensor(type, (0..<rank).map { positions.contains($0) ? .value(1) : (source.next() ?? .unknown) })
        if let v = c.values(0) { result.values = [v] }
        return result
    }

    /// Expand(x, shape): bidirectional broadcast of x's shape with the target.
    static func expand(_ c: NodeContext) -> RuleResult {
        guard let dims = c.dims(0), let target = c.values(1) else { return .tensor(c.elementType(0), nil) }
        return .tensor(c.elementType(0), DimensionMath.broadcast([dims, target]))
    }

    /// Tile(x, repeats): each dim times its repeat count.
    static func tile(_ c: NodeContext) -> RuleResult {
        guard let dims = c.dims(0), let repeats = c.ints(1), repeats.count == dims.count, repeats.allSatisfy({ $0 >= 0 }) else {
            return .tensor(c.elementType(0), c.dims(0).map { $0.map { _ in .unknown } })
        }
        return .tensor(
            c.elementType(0),
            zip(dims, repeats).map { d, r in r == 1 ? d : DimensionMath.size(d.value.flatMap { DimensionMath.times($0, r) }) })
    }

    /// DepthToSpace: [N, C, H, W] -> [N, C/b^2, H*b, W*b]; SpaceToDepth the reverse.
    static func depthToSpace(_ c: NodeContext) -> RuleResult { blockRearrange(c, toSpace: true) }
    static func spaceToDepth(_ c: NodeContext) -> RuleResult { blockRearrange(c, toSpace: false) }

    static func blockRearrange(_ c: NodeContext, toSpace: Bool) -> RuleResult {
        guard let d = c.dims(0), d.count == 4, let b = c.int("blocksize"), b > 0, let area = DimensionMath.times(b, b) else {
            return .tensor(c.elementType(0), nil)
        }
        func times(_ x: Dimension, _ k: Int64) -> Dimension { DimensionMath.size(x.value.flatMap { DimensionMath.times($0, k) }) }
        func over(_ x: Dimension, _ k: Int64) -> Dimension { x.value.map { $0 % k == 0 ? .value($0 / k) : .unknown } ?? .unknown }
        let out =
            toSpace ? [d[0], over(d[1], area), times(d[2], b), times(d[3], b)] : [d[0], times(d[1], area), over(d[2], b), over(d[3], b)]
        return .tensor(c.elementType(0), out)
    }
}
