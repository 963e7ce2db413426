import Foundation
import ONNXIR

/// Folds inference-mode BatchNormalization into the Conv, ConvTranspose, Gemm or MatMul before it.
///
///     y = BatchNormalization(Conv(x, W, B), g, beta, mean, v)   ->   Conv(x, W', B')
///     y = BatchNormalization(MatMul(x, W), ...)                 ->   Add(MatMul(x, W'), B')
///
///     s = g / sqrt(v + eps),   W' = W * s (per output channel),   B' = (B - mean) * s + beta
///
/// Layouts per producer are in `ChannelAffineTarget`. Weights are written clone-on-write: a
/// weight shared with another node is copied first. Numerics: the products are computed in
/// double, so results agree with the unfused graph to float32 rounding (tests use 1e-5 relative).
///
/// Does not fire when: BatchNormalization is in training mode (training_mode=1, or its running
/// mean/variance outputs are read) or uses spatial=0 (opset < 9); its scale, bias, mean or
/// variance is not a constant float32 vector of one entry per output channel; the producer's
/// output has another reader or is a graph output; the producer's weight (or bias) is not a
/// constant float32 tensor; Gemm's C varies along rows; MatMul's input is not known to be 2-D
/// (BatchNormalization normalizes axis 1, which is MatMul's output column axis only then).
public struct BatchNormFusion: GraphPass {
    public static let name = "fuse-batchnorm"
    public static let summary = "Fold BatchNormalization into the preceding Conv, ConvTranspose, Gemm or MatMul."

    public init(options: PassOptions) throws {}

    static var patterns: [any RewritePattern] {
        [
            FuseBatchNorm(into: "Conv"), FuseBatchNorm(into: "ConvTranspose"), FuseBatchNorm(into: "Gemm"), FuseBatchNorm(into: "MatMul"),
        ]
    }

    public func run(in context: PassContext) throws -> PassReport {
        ShapeInference().run(on: context.model)
        return try runPatterns(Self.patterns, pass: Self.name, in: context)
    }
}

/// `BatchNormalization(P(x, W, B))` -> `P(x, W', B')` for one producer op P (see `BatchNormFusion`).
struct FuseBatchNorm: RewritePattern {
    let producerOp: String
    let name: String
    let anchorOps: Set<String> = ["BatchNormalization"]

    init(into producerOp: String) {
        self.producerOp = producerOp
        self.name = "FuseBatchNormInto\(producerOp)"
    }

    func match(_ node: Node, in context: MatchContext) -> PatternMatch {
        guard node.isDefaultDomain, let mid = node.firstInput, let producer = context.producer(of: mid, op: [producerOp]),
            node.firstOutput != nil
        else { return .notApplicable }
        let candidate = label(node)
        func skip(_ reason: String) -> PatternMatch { .skipped(candidate: candidate, reason: reason) }

        if node.intAttribute("training_mode", default: 0) != 0 { return skip("it is in training mode") }
        if node.outputs.dropFirst().contains(where: { $0.map { !$0.uses.isEmpty || $0.isGraphOutput } ?? false }) {
            return skip("its running mean/variance outputs are read (training mode)")
        }
        if context.opset < 9 && node.intAttribute("spatial", default: 1) == 0 { return skip("spatial=0 is not folded") }
        if let problem = context.absorptionProblem(mid, into: node) { return skip(problem) }

        let target: ChannelAffineTarget
        switch ChannelAffineTarget.inspect(producer) {
        case .failure(let refusal): return skip(refusal.text)
        case .success(let t): target = t
        }
        if producerOp == "MatMul" {
            guard context.shape(producer.firstInput)?.rank == 2 else {
                return skip("the rank of \(label(producer))'s input is not known to be 2 (axis 1 must be its output columns)")
            }
            guard context.canAddInitializers else {
                return skip("IR version \(context.model.irVersion) requires initializers to be graph inputs")
            }
        }
        if case .failure(let refusal) = Self.parameters(of: node, channels: target.channels) { return skip(refusal.text) }
        var bound = Bindings("folded \(candidate) into \(label(producer))")
        bound.nodes["bn"] = node
        bound.nodes["producer"] = producer
        return .matched(bound)
    }

    /// Per-channel scale s = g / sqrt(v + eps) and shift beta - mean * s, in double.
    static func parameters(of bn: Node, channels c: Int) -> Result<(scale: [Double], shift: [Double]), ConstantFolding.Refusal> {
        var params: [[Float]] = []
        for i in 1...4 {
            guard let (t, values) = ConstantValues.float32(bn.input(i)), t.dims == [Int64(c)] else {
                return .failure(.init("scale, bias, mean and variance must be constant float32 vectors of \(c) entries"))
            }
            params.append(values)
        }
        let eps = Double(bn.floatAttribute("epsilon", default: 1e-5))
        var scale = [Double](repeating: 0, count: c)
        var shift = [Double](repeating: 0, count: c)
        for o in 0..<c {
            let variance = Double(params[3][o]) + eps
            guard variance > 0 else { return .failure(.init("variance + epsilon is not positive for channel \(o)")) }
            scale[o] = Double(params[0][o]) / variance.squareRoot()
            shift[o] = Double(params[1][o]) - Double(params[2][o]) * scale[o]
        }
        return .success((scale, shift))
    }

    func rewrite(_ bound: Bindings, with rewriter: Rewriter) throws {
        let bn = bound.nodes["bn"]!
        let producer = bound.nodes["producer"]!
        // Match checked both; they are pure functions of nodes and constants nothing changed since.
        guard case .success(let target) = ChannelAffineTarget.inspect(producer),
            case .success(let p) = Self.parameters(of: bn, channels: target.channels)
        else { preconditionFailure("\(name): facts checked by match no longer hold") }
        let producerOut = producer.firstOutput!
        if let bias = target.fold(scale: p.scale, shift: p.shift, with: rewriter) {
            let b = rewriter.addInitializer(.float32(dims: [Int64(bias.count)], values: bias), baseName: bn.name + "_bias")
            let add = rewriter.addNode(opType: "Add", baseName: bn.name, inputs: [producerOut, b], before: bn)
            rewriter.replace(bn.firstOutput!, with: add.firstOutput!)
        } else {
            rewriter.replace(bn.firstOutput!, with: producerOut)
        }
        rewriter.eraseWithDeadProducers(bn)
    }
}
