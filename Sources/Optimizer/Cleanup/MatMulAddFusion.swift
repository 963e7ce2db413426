import ONNXIR

/// Turns a 2-D MatMul followed by the addition of a constant bias vector into one Gemm.
///
///     y = Add(MatMul(a: [M,K], b: [K,N]), c: [N])   ->   y = Gemm(a, b, c)   (alpha = beta = 1)
///
/// Gemm computes a * b + c with c broadcast over rows, which is exactly the pair when a and b are
/// 2-D and c is one value per column.
///
/// Not a candidate when c is computed at run time (an attention mask, a residual). Does not fire
/// when: a or b is not known to be 2-D (Gemm takes matrices only; a batched MatMul would need
/// reshapes); c is not a 1-D tensor of N entries; the element type is not float, float16 or
/// double; the MatMul's output has another reader or is a graph output; the opset is below 7
/// (older Gemm needs a broadcast attribute).
public struct MatMulAddFusion: GraphPass {
    public static let name = "fuse-matmul-add"
    public static let summary = "Turn a 2-D MatMul plus a constant bias vector into Gemm."

    public init(options: PassOptions) throws {}

    static var patterns: [any RewritePattern] { [FuseMatMulAddIntoGemm()] }

    public func run(in context: PassContext) throws -> PassReport {
        ShapeInference().run(on: context.model)
        return try runPatterns(Self.patterns, pass: Self.name, in: context)
    }
}

/// `Add(MatMul(a, b), c)` -> `Gemm(a, b, c)` (see `MatMulAddFusion`).
struct FuseMatMulAddIntoGemm: RewritePattern {
    let name = "FuseMatMulAddIntoGemm"
    let anchorOps: Set<String> = ["Add"]

    func match(_ node: Node, in context: MatchContext) -> PatternMatch {
        guard node.isDefaultDomain, node.inputs.count == 2, let x = node.inputs[0], let y = node.inputs[1] else { return .notApplicable }
        let (mid, bias): (Value, Value)
        if context.producer(of: x, op: ["MatMul"]) != nil {
            (mid, bias) = (x, y)
        } else if context.producer(of: y, op: ["MatMul"]) != nil {
            (mid, bias) = (y, x)
        } else {
            return .notApplicable
        }
        // A bias computed at run time (an attention mask, a residual) is not a candidate.
        guard ConstantValues.isConstant(bias) else { return .notApplicable }
        let matmul = mid.producer!
        let candidate = label(node)
        func skip(_ reason: String) -> PatternMatch { .skipped(candidate: candidate, reason: reason) }
        guard context.opset >= 7 else { return skip("Gemm before opset 7 needs a broadcast attribute") }
        if let problem = context.absorptionProblem(mid, into: node) { return skip(problem) }
        guard let a = matmul.input(0), let b = matmul.input(1) else { return .notApplicable }
        guard let rank = context.shape(a)?.rank else { return skip("the rank of \(label(matmul))'s first input is unknown") }
        guard rank == 2 else { return skip("\(label(matmul))'s first input has rank \(rank); Gemm takes matrices") }
        let bDims = ConstantValues.tensor(b)?.dims ?? context.shape(b)?.dimensions.map { $0.value ?? -1 }
        guard let bDims, bDims.count == 2 else { return skip("\(label(matmul))'s second input is not known to be 2-D") }
        guard let c = ConstantValues.tensor(bias), c.dims.count == 1 else { return skip("the bias is not a 1-D tensor") }
        guard bDims[1] >= 0, c.dims[0] == bDims[1] else {
            return skip("the bias \(TensorShape(c.dims)) does not have one entry per column (\(bDims[1]))")
        }
        guard [DataType.float, .float16, .double].contains(c.dataType), a.knownType?.elementType == c.dataType else {
            return skip("the element type is not float, float16 or double on both sides")
        }
        var bound = Bindings("merged \(label(matmul)) and \(candidate) into Gemm")
        bound.nodes["add"] = node
        bound.nodes["matmul"] = matmul
        bound.values["bias"] = bias
        return .matched(bound)
    }

    func rewrite(_ bound: Bindings, with rewriter: Rewriter) throws {
        let add = bound.nodes["add"]!
        let matmul = bound.nodes["matmul"]!
        let gemm = rewriter.addNode(
            opType: "Gemm", baseName: matmul.name, inputs: [matmul.input(0), matmul.input(1), bound.values["bias"]!], before: add)
        rewriter.replace(add.firstOutput!, with: gemm.firstOutput!)
        rewriter.eraseWithDeadProducers(add)
    }
}
