import ONNXIR

/// `x + 0`, `0 + x`, `x - 0`, `x * 1`, `1 * x` and `x / 1` give x: the node goes, readers read x.
///
///     y = Add(MatMul(a, W), zeros[768])   ->   y = MatMul(a, W)
///     y = Mul(x, ones[1, C, 1, 1])        ->   x          (x: [N, C, H, W])
///
/// Exporters leave such nodes behind for biases that are all zero (untrained or freshly
/// initialized Linear layers, folded-away normalizations) and for unit scales.
/// Does not fire when the constant would broadcast x to a larger shape (its rank exceeds x's, or
/// a dim of it is neither 1 nor x's static dim there: then the result is not x), when x's shape
/// is unknown, when the element types differ, or when y is a graph output that x cannot stand
/// for (see `bypassProblem`). `-0` counts as zero for addition (x + -0 is x bit for bit; x + 0
/// turns -0 into +0, a difference no consumer can observe through arithmetic).
struct RemoveNeutralOperand: RewritePattern {
    let name = "RemoveNeutralOperand"
    let anchorOps: Set<String> = ["Add", "Sub", "Mul", "Div"]

    /// Constants larger than this are not scanned: real biases and scales are far smaller.
    static let largestScannedConstant: Int64 = 1 << 20

    func match(_ node: Node, in context: MatchContext) -> PatternMatch {
        guard node.isDefaultDomain, node.inputs.count == 2, let output = node.firstOutput else { return .notApplicable }
        // Which operand may be neutral, and which value is kept.
        let candidates: [(constant: Int, kept: Int)] =
            switch node.opType {
            case "Add", "Mul": [(1, 0), (0, 1)]
            default: [(1, 0)]
            }
        let neutral: Float = node.opType == "Add" || node.opType == "Sub" ? 0 : 1
        for (constantIndex, keptIndex) in candidates {
            guard let constant = ConstantValues.tensor(node.input(constantIndex)), let kept = node.input(keptIndex) else { continue }
            guard isAll(constant, neutral) else { continue }
            if let problem = shapeProblem(constant: constant, kept: kept, output: output, context) {
                return .skipped(candidate: label(node), reason: problem)
            }
            if let problem = context.bypassProblem(replacing: output, with: kept) {
                return .skipped(candidate: label(node), reason: problem)
            }
            var bound = Bindings("removed \(label(node)): its constant operand is all \(neutral == 0 ? "zeros" : "ones")")
            bound.nodes["node"] = node
            bound.values["kept"] = kept
            bound.values["output"] = output
            return .matched(bound)
        }
        return .notApplicable
    }

    func rewrite(_ bound: Bindings, with rewriter: Rewriter) throws {
        rewriter.bypass(bound.nodes["node"]!, output: bound.values["output"]!, with: bound.values["kept"]!)
    }

    private func isAll(_ tensor: Tensor, _ value: Float) -> Bool {
        guard tensor.dataType.isFloatingPoint || tensor.dataType.isInteger, let count = tensor.elementCount, count > 0,
            count <= Self.largestScannedConstant, let values = try? tensor.floatValues()
        else { return false }
        return values.allSatisfy { $0 == value }
    }

    /// Why dropping the node could change the result's shape or type; nil when it cannot.
    private func shapeProblem(constant: Tensor, kept: Value, output: Value, _ context: MatchContext) -> String? {
        guard let keptType = kept.knownType?.elementType, keptType == constant.dataType else {
            return "the element type of '\(kept.name)' is unknown or differs from the constant's"
        }
        guard let shape = context.shape(kept) else { return "the rank of '\(kept.name)' is unknown" }
        let dims = shape.dimensions
        guard constant.dims.count <= dims.count else { return "the constant has a higher rank than '\(kept.name)' (it broadcasts)" }
        for (offset, size) in constant.dims.reversed().enumerated() where size != 1 {
            let dim = dims[dims.count - 1 - offset]
            guard let known = dim.value else {
                return "dim \(dims.count - 1 - offset) of '\(kept.name)' is not static, so the constant may broadcast it"
            }
            if known != size { return "the constant broadcasts '\(kept.name)' to a larger shape" }
        }
        return nil
    }
}
