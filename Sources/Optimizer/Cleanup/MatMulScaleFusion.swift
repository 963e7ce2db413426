import ONNXIR

/// Constant scales next to a MatMul by a constant 2-D weight W [K, N] fold into W.
///
///     Mul(MatMul(a, W), c)                ->   MatMul(a, W * c[None, :])    c: scalar or per N
///     Mul(Transpose(MatMul(a, W), p), c)  ->   Transpose(MatMul(a, W * c[None, :]), p)
///                                              (ConvNeXt's layer scale after its permute)
///     MatMul(Mul(a, c), W)                ->   MatMul(a, W * c[:, None])    c: scalar or per K
///                                              (GELU's 0.5 before the next Linear)
///
/// (a W) diag(c) = a (W diag(c)) and (a diag(c)) W = a (diag(c) W), so the result is unchanged up
/// to rounding. W is written clone-on-write. Does not fire when: W is not a constant float32 2-D
/// tensor; c is not float32 or varies along another axis (or has a higher rank, so it would
/// broadcast); the ranks are unknown; an intermediate value has other readers or is a graph
/// output; for the input side, a's last dim is not known to be K (c could broadcast it).
struct FoldOutputScaleIntoMatMul: RewritePattern {
    let name = "FoldOutputScaleIntoMatMul"
    let anchorOps: Set<String> = ["Mul"]

    func match(_ node: Node, in context: MatchContext) -> PatternMatch {
        guard node.isDefaultDomain, node.inputs.count == 2 else { return .notApplicable }
        for (computed, constant) in [(0, 1), (1, 0)] {
            guard let mid = node.input(computed), let c = ConstantValues.float32(node.input(constant)),
                !ConstantValues.isConstant(mid)
            else { continue }
            var transpose: Node?
            var product = mid
            if let t = context.producer(of: mid, op: ["Transpose"]), let inner = t.firstInput {
                transpose = t
                product = inner
            }
            guard let matmul = context.producer(of: product, op: ["MatMul"]), let w = MatMulWeight(matmul) else { continue }
            // Every value between W and the Mul is read only on this path: the scale reaches no one else.
            if let problem = context.absorptionProblem(mid, into: node) { return .skipped(candidate: label(node), reason: problem) }
            if let transpose, let problem = context.absorptionProblem(product, into: transpose) {
                return .skipped(candidate: label(node), reason: problem)
            }
            guard let rank = context.shape(mid)?.rank else {
                return .skipped(candidate: label(node), reason: "the rank of '\(mid.name)' is unknown")
            }
            // The axis of `mid` holding MatMul's N dim.
            var axis = rank - 1
            if let transpose {
                guard let perm = transpose.attribute("perm")?.ints, perm.count == rank, let j = perm.firstIndex(of: Int64(rank - 1)) else {
                    return .skipped(candidate: label(node), reason: "\(label(transpose)) has no perm")
                }
                axis = j
            }
            guard let perN = ShapeMath.perChannel(c.values, dims: c.tensor.dims, rank: rank, axis: axis, channels: w.n) else {
                return .skipped(candidate: label(node), reason: "the constant \(TensorShape(c.tensor.dims)) does not vary along N only")
            }
            if let problem = context.bypassProblem(replacing: node.firstOutput!, with: mid) {
                return .skipped(candidate: label(node), reason: problem)
            }
            return .matched(MulIntoWeight.bindings(mul: node, matmul: matmul, kept: mid, weight: w.scaled(columns: perN)))
        }
        return .notApplicable
    }

    func rewrite(_ bound: Bindings, with rewriter: Rewriter) throws { MulIntoWeight.apply(bound, with: rewriter) }
}

/// `MatMul(Mul(a, c), W)` -> `MatMul(a, W * c[:, None])`; see FoldOutputScaleIntoMatMul.
struct FoldInputScaleIntoMatMul: RewritePattern {
    let name = "FoldInputScaleIntoMatMul"
    let anchorOps: Set<String> = ["MatMul"]

    func match(_ node: Node, in context: MatchContext) -> PatternMatch {
        guard node.isDefaultDomain, let mid = node.firstInput, let mul = context.producer(of: mid, op: ["Mul"]), mul.inputs.count == 2,
            let w = MatMulWeight(node)
        else { return .notApplicable }
        for (computed, constant) in [(0, 1), (1, 0)] {
            guard let a = mul.input(computed), let c = ConstantValues.float32(mul.input(constant)), !ConstantValues.isConstant(a) else {
                continue
            }
            if let problem = context.absorptionProblem(mid, into: node) { return .skipped(candidate: label(mul), reason: problem) }
            guard let shape = context.shape(a), shape.rank >= 1, shape.dimensions.last?.value == Int64(w.k) else {
                return .skipped(candidate: label(mul), reason: "the last dim of '\(a.name)' is not known to be K = \(w.k)")
            }
            guard let perK = ShapeMath.perChannel(c.values, dims: c.tensor.dims, rank: shape.rank, axis: shape.rank - 1, channels: w.k)
            else {
                return .skipped(candidate: label(mul), reason: "the constant \(TensorShape(c.tensor.dims)) does not vary along K only")
            }
            var bound = Bindings("folded \(label(mul)) into the weight of \(label(node))")
            bound.nodes["mul"] = mul
            bound.nodes["matmul"] = node
            bound.values["a"] = a
            bound.tensors["weight"] = w.scaled(rows: perK)
            return .matched(bound)
        }
        return .notApplicable
    }

    func rewrite(_ bound: Bindings, with rewriter: Rewriter) throws {
        let matmul = bound.nodes["matmul"]!
        rewriter.writeConstant(bound.tensors["weight"]!, into: matmul, input: 1, baseName: matmul.name + "_weight")
        rewriter.setInput(matmul, 0, bound.values["a"]!)
        rewriter.eraseWithDeadProducers(bound.nodes["mul"]!)
    }
}

/// The constant float32 [K, N] weight of a MatMul whose first input is computed.
struct MatMulWeight {
    let values: [Float]
    let k: Int
    let n: Int

    init?(_ matmul: Node) {
        guard !ConstantValues.isConstant(matmul.firstInput), let (t, values) = ConstantValues.float32(matmul.input(1)), t.dims.count == 2
        else { return nil }
        self.values = values
        k = Int(t.dims[0])
        n = Int(t.dims[1])
    }

    func scaled(columns c: [Float]) -> Tensor {
        var out = values
        for row in 0..<k { for col in 0..<n { out[row * n + col] *= c[col] } }
        return .float32(dims: [Int64(k), Int64(n)], values: out)
    }

    func scaled(rows c: [Float]) -> Tensor {
        var out = values
        for row in 0..<k { for col in 0..<n { out[row * n + col] *= c[row] } }
        return .float32(dims: [Int64(k), Int64(n)], values: out)
    }
}

/// A scalar Mul reaches back through layout ops and MatMuls of two computed operands to the first
/// MatMul by a constant weight, and scales that weight instead: every op on the way is linear in
/// the operand followed.
///
///     Mul(MatMul(Transpose(Reshape(MatMul(x, Wq))), k), 0.125)
///         ->   MatMul(Transpose(Reshape(MatMul(x, Wq * 0.125))), k)      (attention's 1/sqrt(d))
///
/// Does not fire when: the constant is not a float32 scalar (or has a higher rank than the value
/// it scales); a value on the way has another reader or is a graph output; the way meets any op
/// other than Reshape, Transpose, Squeeze, Unsqueeze, Flatten or MatMul within 8 steps; the Mul
/// reads the weighted MatMul directly (FoldOutputScaleIntoMatMul's).
struct FoldScalarIntoUpstreamWeight: RewritePattern {
    let name = "FoldScalarIntoUpstreamWeight"
    let anchorOps: Set<String> = ["Mul"]
    static let layoutOps: Set<String> = ["Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten"]
    static let maxSteps = 8

    func match(_ node: Node, in context: MatchContext) -> PatternMatch {
        guard node.isDefaultDomain, node.inputs.count == 2 else { return .notApplicable }
        for (computed, constant) in [(0, 1), (1, 0)] {
            guard let v = node.input(computed), !ConstantValues.isConstant(v), let c = ConstantValues.float32(node.input(constant)),
                c.values.count == 1, let rank = context.shape(v)?.rank, c.tensor.dims.count <= rank
            else { continue }
            guard let p = v.producer, p.graph === node.graph, !(p.opType == "MatMul" && MatMulWeight(p) != nil) else {
                return .notApplicable
            }
            guard context.absorptionProblem(v, into: node) == nil, let target = weightedMatMul(above: v, steps: Self.maxSteps, context)
            else {
                return .notApplicable
            }
            guard let w = MatMulWeight(target) else { return .notApplicable }
            if let problem = context.bypassProblem(replacing: node.firstOutput!, with: v) {
                return .skipped(candidate: label(node), reason: problem)
            }
            let weight = w.scaled(columns: [Float](repeating: c.values[0], count: w.n))
            return .matched(MulIntoWeight.bindings(mul: node, matmul: target, kept: v, weight: weight))
        }
        return .notApplicable
    }

    /// The MatMul by a constant weight that `value` is linear in, following single-reader values.
    private func weightedMatMul(above value: Value, steps: Int, _ context: MatchContext) -> Node? {
        guard steps > 0, let p = context.producer(of: value, op: Self.layoutOps.union(["MatMul"])) else { return nil }
        if p.opType == "MatMul" && MatMulWeight(p) != nil { return p }
        let candidates = p.opType == "MatMul" ? [p.input(0), p.input(1)] : [p.firstInput]
        for case let input? in candidates {
            guard !ConstantValues.isConstant(input), context.absorptionProblem(input, into: p) == nil else { continue }
            if let found = weightedMatMul(above: input, steps: steps - 1, context) { return found }
        }
        return nil
    }

    func rewrite(_ bound: Bindings, with rewriter: Rewriter) throws { MulIntoWeight.apply(bound, with: rewriter) }
}

/// What FoldOutputScaleIntoMatMul and FoldScalarIntoUpstreamWeight share: the MatMul takes the
/// scaled weight (clone-on-write) and the Mul's readers read its other operand.
enum MulIntoWeight {
    static func bindings(mul: Node, matmul: Node, kept: Value, weight: Tensor) -> Bindings {
        var bound = Bindings("folded \(label(mul)) into the weight of \(label(matmul))")
        bound.nodes["mul"] = mul
        bound.nodes["matmul"] = matmul
        bound.values["kept"] = kept
        bound.tensors["weight"] = weight
        return bound
    }

    static func apply(_ bound: Bindings, with rewriter: Rewriter) {
        let matmul = bound.nodes["matmul"]!
        rewriter.writeConstant(bound.tensors["weight"]!, into: matmul, input: 1, baseName: matmul.name + "_weight")
        let mul = bound.nodes["mul"]!
        rewriter.bypass(mul, output: mul.firstOutput!, with: bound.values["kept"]!)
    }
}
