import ONNXIR

/// A Reshape that only regroups the rows of a MatMul's input is not needed when the MatMul's
/// result is reshaped anyway: the rows, and so the result's elements in order, are the same.
///
///     Reshape(MatMul(Reshape(x: [1, 197, 768], [197, 1, 768]), W: [768, N]), s)
///         ->   Reshape(MatMul(x, W), s)
///
/// With W 2-D, each output row is one input row times W, so MatMul commutes with any Reshape
/// that keeps the last (K) dim. Does not fire when: W is not a constant 2-D tensor; the inner
/// Reshape changes the last dim or its shapes are unknown; its output has other readers or is a
/// graph output; the MatMul's result has a reader other than one Reshape whose target is
/// constant and copies no dim (0 without allowzero), or is a graph output.
struct DropRowReshapeBeforeMatMul: RewritePattern {
    let name = "DropRowReshapeBeforeMatMul"
    let anchorOps: Set<String> = ["MatMul"]

    func match(_ node: Node, in context: MatchContext) -> PatternMatch {
        guard node.isDefaultDomain, let mid = node.firstInput, let inner = context.producer(of: mid, op: ["Reshape"]),
            let x = inner.firstInput, let product = node.firstOutput
        else { return .notApplicable }
        guard let weight = ConstantValues.tensor(node.input(1)), weight.dims.count == 2 else { return .notApplicable }
        guard product.uses.count == 1, !product.isGraphOutput, let outer = product.userNodes.first, outer.opType == "Reshape",
            outer.isDefaultDomain, outer.firstInput === product
        else { return .notApplicable }
        if let problem = context.absorptionProblem(mid, into: node) { return .skipped(candidate: label(inner), reason: problem) }
        guard let inShape = context.shape(x), let midShape = context.shape(mid), inShape.rank >= 2, midShape.rank >= 2,
            let k = inShape.dimensions.last?.value, midShape.dimensions.last?.value == k, k == weight.dims[0]
        else {
            return .skipped(candidate: label(inner), reason: "it may change the last dim of the MatMul's input (shapes unknown)")
        }
        guard let target = ConstantValues.ints(outer.input(1)) else {
            return .skipped(candidate: label(inner), reason: "the Reshape after \(label(node)) has no constant target")
        }
        if target.contains(0) && outer.intAttribute("allowzero", default: 0) == 0 {
            return .skipped(candidate: label(inner), reason: "the Reshape after \(label(node)) copies dims (0) of its input")
        }
        var bound = Bindings("removed \(label(inner)): \(label(node)) keeps rows, and its result is reshaped by \(label(outer))")
        bound.nodes["inner"] = inner
        bound.nodes["matmul"] = node
        bound.values["x"] = x
        return .matched(bound)
    }

    func rewrite(_ bound: Bindings, with rewriter: Rewriter) throws {
        let matmul = bound.nodes["matmul"]!
        rewriter.setInput(matmul, 0, bound.values["x"]!)
        rewriter.forgetType(of: matmul.firstOutput!)
        rewriter.eraseWithDeadProducers(bound.nodes["inner"]!)
    }
}
