import ONNXIR

/// A Transpose that only moves dims of size 1 moves no data: it becomes a Reshape, which costs
/// nothing at run time and merges with neighbouring Reshapes (MergeReshapeIntoReshape).
///
///     Transpose(x: [197, 1, 768], perm=[1, 0, 2])   ->   Reshape(x, [1, 197, 768])
///
/// Row-major order is kept when the dims other than the known 1s appear in the output in their
/// input order: each element then sits at the same flat offset. The target uses static sizes, 0
/// for a symbolic dim that stays where it is, and -1 for at most one symbolic dim that moves.
/// Does not fire when: the perm is the identity (RemoveIdentityTranspose's); the input's rank is
/// unknown; two dims that may be larger than 1 swap order; more than one symbolic dim moves; a
/// dim is 0 and -1 would be ambiguous; the input comes from or the output feeds a Transpose
/// (MergeConsecutiveTransposes merges those into one instead); opset < 5 or IR < 4 (Reshape's
/// shape must be an input held by a new initializer).
struct ConvertUnitTransposeToReshape: RewritePattern {
    let name = "ConvertUnitTransposeToReshape"
    let anchorOps: Set<String> = ["Transpose"]

    func match(_ node: Node, in context: MatchContext) -> PatternMatch {
        guard node.isDefaultDomain, let x = node.firstInput, let output = node.firstOutput, let shape = context.shape(x),
            shape.rank > 1
        else { return .notApplicable }
        let rank = shape.rank
        let perm = node.attribute("perm")?.ints.map { $0.map(Int.init) } ?? Array((0..<rank).reversed())
        guard perm.count == rank, Set(perm) == Set(0..<rank), !ShapeMath.isIdentity(perm.map(Int64.init)) else { return .notApplicable }
        let dims = shape.dimensions
        // Input indices of the dims that may be larger than 1, in output order: must be increasing.
        let moving = perm.filter { dims[$0].value != 1 }
        guard zip(moving, moving.dropFirst()).allSatisfy({ $0 < $1 }) else { return .notApplicable }
        if context.producer(of: x, op: ["Transpose"]) != nil || output.userNodes.contains(where: { $0.opType == "Transpose" }) {
            return .notApplicable
        }
        guard context.opset >= 5, context.canAddInitializers else {
            return .skipped(candidate: label(node), reason: "a Reshape with a shape input needs opset 5 and IR version 4")
        }
        var target: [Int64] = []
        var inferred = 0
        for (position, source) in perm.enumerated() {
            if let size = dims[source].value {
                target.append(size)
            } else if source == position {
                target.append(0)
            } else {
                inferred += 1
                target.append(-1)
            }
        }
        if inferred > 1 { return .skipped(candidate: label(node), reason: "more than one symbolic dim moves: \(shape)") }
        if inferred == 1 && target.contains(0) && dims.contains(where: { $0.value == 0 }) {
            return .skipped(candidate: label(node), reason: "a zero-sized dim makes -1 ambiguous: \(shape)")
        }
        var bound = Bindings("turned \(label(node)) into a Reshape to \(target): it only moves dims of size 1")
        bound.nodes["transpose"] = node
        bound.values["x"] = x
        bound.ints["target"] = target
        return .matched(bound)
    }

    func rewrite(_ bound: Bindings, with rewriter: Rewriter) throws {
        let transpose = bound.nodes["transpose"]!
        let target = bound.ints["target"]!
        let shape = rewriter.addInitializer(.int64(dims: [Int64(target.count)], values: target), baseName: transpose.name + "_shape")
        let reshape = rewriter.addNode(
            opType: "Reshape", baseName: transpose.name + "_reshape", inputs: [bound.values["x"]!, shape], before: transpose)
        rewriter.replace(transpose.firstOutput!, with: reshape.outputs[0]!)
        rewriter.erase(transpose)
    }
}
