import ONNXIR

/// Folds multiplication and addition by per-channel (or scalar) constants after Conv,
/// ConvTranspose or Gemm into the weights and bias.
///
///     Mul(Conv(x, W, B), c)   ->   Conv(x, W * c, B * c)        Div(y, c) as Mul(y, 1/c)
///     Add(Conv(x, W, B), c)   ->   Conv(x, W, B + c)             Sub(y, c) as Add(y, -c)
///     Mul(Gemm(a, B, C), c)   ->   Gemm(a, B * c (per column), beta*C * c, beta=1)
///     Add(Add(x, c1), c2)     ->   Add(x, c1 + c2)               with reassociate=true (FoldConstantChain)
///     Mul(MatMul(a, W), c), MatMul(Mul(a, c), W)  ->  MatMul(a, W')  (MatMulScaleFusion.swift)
///     Mul(MatMul(Transpose(Reshape(MatMul(x, Wq))), k), s)  ->  ... MatMul(x, Wq * s) ...
///
/// c must broadcast only along the channel axis (axis 1 of the output): a scalar, or a shape
/// such as [C,1,1] or [1,C,1,1] for a 2-D Conv, [C] or [1,C] for Gemm. Weights are written
/// clone-on-write.
///
/// Not a candidate when c is computed at run time (a residual Add). Does not fire when: c is not
/// float32; c varies along another axis or has more dims than the output (it would broadcast the
/// output to a new shape); Div by a constant holding 0; c is the dividend or subtrahend (c / y,
/// c - y); the producer's output has another reader or is a graph output; the producer's weight or
/// bias is not a constant float32 tensor; Gemm's C varies along rows.
public struct AffineFusion: GraphPass {
    public static let name = "fuse-affine"
    public static let summary =
        "Fold per-channel Mul/Add/Sub/Div by constants after Conv or Gemm into weights and bias; fold scales into MatMul weights."

    public static let optionSpecs = [
        PassOptionSpec(
            "reassociate", .bool, default: "false",
            "Also merge chains of constant Adds/Muls: (x + a) + b -> x + (a + b) rounds once, so results may move by an ulp.")
    ]
    let reassociate: Bool

    public init(options: PassOptions) throws { reassociate = options.bool("reassociate") }

    var patterns: [any RewritePattern] {
        [
            FuseChannelAffine(scaling: true, into: ["Conv", "ConvTranspose"], name: "FuseMulIntoConv"),
            FuseChannelAffine(scaling: false, into: ["Conv", "ConvTranspose"], name: "FuseAddIntoConv"),
            FuseChannelAffine(scaling: true, into: ["Gemm"], name: "FuseMulIntoGemm"),
            FuseChannelAffine(scaling: false, into: ["Gemm"], name: "FuseAddIntoGemm"),
            FoldOutputScaleIntoMatMul(), FoldInputScaleIntoMatMul(), FoldScalarIntoUpstreamWeight(),
        ] + (reassociate ? [FoldConstantChain()] : [])
    }

    public func run(in context: PassContext) throws -> PassReport {
        // The MatMul scale patterns need ranks and dims.
        ShapeInference().run(on: context.model)
        return try runPatterns(patterns, pass: Self.name, in: context)
    }
}

/// `Mul|Div(P(x), c)` (scaling) or `Add|Sub(P(x), c)` -> P with folded weights (see `AffineFusion`).
struct FuseChannelAffine: RewritePattern {
    let scaling: Bool
    let producerOps: Set<String>
    let name: String
    let anchorOps: Set<String>

    init(scaling: Bool, into producerOps: Set<String>, name: String) {
        self.scaling = scaling
        self.producerOps = producerOps
        self.name = name
        self.anchorOps = scaling ? ["Mul", "Div"] : ["Add", "Sub"]
    }

    /// The producer, the constant operand and what to fold, or why not (nil: not a candidate).
    struct Plan {
        let producer: Node
        let mid: Value
        let scale: [Double]?
        let shift: [Double]?
    }

    func plan(_ node: Node) -> Result<Plan, ConstantFolding.Refusal>? {
        guard node.isDefaultDomain, node.inputs.count == 2, let a = node.inputs[0], let b = node.inputs[1] else { return nil }
        let commutative = node.opType == "Mul" || node.opType == "Add"
        func producer(_ v: Value) -> Node? {
            guard let p = v.producer, p.graph === node.graph, p.isDefaultDomain, producerOps.contains(p.opType) else { return nil }
            return p
        }
        let mid: Value
        let constant: Value
        if producer(a) != nil {
            (mid, constant) = (a, b)
        } else if commutative, producer(b) != nil {
            (mid, constant) = (b, a)
        } else {
            return nil
        }
        // y * z or y + z with z computed at run time (a residual Add) is not a candidate.
        guard ConstantValues.isConstant(constant) else { return nil }
        let p = producer(mid)!
        if mid.isGraphOutput { return .failure(.init("the intermediate value '\(mid.name)' is a graph output")) }
        if mid.userNodes.contains(where: { $0 !== node }) {
            return .failure(.init("the intermediate value '\(mid.name)' is also read by other nodes"))
        }
        let target: ChannelAffineTarget
        switch ChannelAffineTarget.inspect(p) {
        case .failure(let r): return .failure(r)
        case .success(let t): target = t
        }
        guard let (c, values) = ConstantValues.float32(constant) else {
            return .failure(.init("its constant operand '\(constant.name)' is not float32"))
        }
        guard let rank = target.outputRank,
            let perChannel = ShapeMath.perChannel(values, dims: c.dims, rank: rank, axis: 1, channels: target.channels)
        else {
            return .failure(.init("the constant \(TensorShape(c.dims)) does not broadcast along the channel axis only"))
        }
        let v = perChannel.map(Double.init)
        switch node.opType {
        case "Mul": return .success(Plan(producer: p, mid: mid, scale: v, shift: nil))
        case "Div":
            if v.contains(0) { return .failure(.init("it divides by a constant holding 0")) }
            return .success(Plan(producer: p, mid: mid, scale: v.map { 1 / $0 }, shift: nil))
        case "Add": return .success(Plan(producer: p, mid: mid, scale: nil, shift: v))
        default: return .success(Plan(producer: p, mid: mid, scale: nil, shift: v.map { -$0 }))
        }
    }

    func match(_ node: Node, in context: MatchContext) -> PatternMatch {
        switch plan(node) {
        case nil: return .notApplicable
        case .failure(let r)?: return .skipped(candidate: label(node), reason: r.text)
        case .success(let plan)?:
            var bound = Bindings("folded \(label(node)) into \(label(plan.producer))")
            bound.nodes["node"] = node
            return .matched(bound)
        }
    }

    func rewrite(_ bound: Bindings, with rewriter: Rewriter) throws {
        let node = bound.nodes["node"]!
        // Match checked the plan; it is a pure function of nodes and constants nothing changed since.
        guard case .success(let plan)? = plan(node), case .success(let target) = ChannelAffineTarget.inspect(plan.producer) else {
            preconditionFailure("\(name): facts checked by match no longer hold")
        }
        _ = target.fold(scale: plan.scale, shift: plan.shift, with: rewriter)
        rewriter.bypass(node, output: node.firstOutput!, with: plan.mid)
    }
}
