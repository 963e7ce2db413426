import ONNXIR

/// Removes nodes that return their data input unchanged, wiring readers straight to it.
///
///     y = Cast(x: float, to=float)           ->   x
///     y = Reshape(x: [2,3], [2,3])           ->   x
///     y = Transpose(x, perm=[0,1,2])         ->   x
///     y = Pad(x, pads=0...)                  ->   x
///     y = Slice(x, 0, INT64_MAX) (all axes)  ->   x
///     y = Expand(x: [2,3], [1,3])            ->   x
///     y = Concat(x);  y = Split(x) (one out) ->   x
///     y = Add(x, 0); Mul(x, 1); Sub; Div     ->   x   (RemoveNeutralOperand)
///
/// Shape inference runs first, so shapes known only through inference count. Identity and
/// Dropout are IdentityElimination's. Every pattern refuses when its output is a graph output
/// and its input cannot take that name (a graph input, an initializer, another graph output or a
/// value of an enclosing graph): the model's interface keeps its names.
public struct NoOpElimination: GraphPass {
    public static let name = "noop-elimination"
    public static let summary =
        "Remove Cast, Reshape, Transpose, Pad, Slice, Expand, Concat and Split nodes that change nothing, and x+0, x*1, x-0, x/1."

    public init(options: PassOptions) throws {}

    static var patterns: [any RewritePattern] {
        [
            RemoveSameTypeCast(), RemoveSameShapeReshape(), RemoveIdentityTranspose(), RemoveZeroPad(), RemoveFullSlice(),
            RemoveSameShapeExpand(), RemoveSingleInputConcat(), RemoveSingleOutputSplit(), RemoveNeutralOperand(),
        ]
    }

    public func run(in context: PassContext) throws -> PassReport {
        ShapeInference().run(on: context.model)
        return try runPatterns(Self.patterns, pass: Self.name, in: context)
    }
}

/// What a no-op pattern decides about a node.
enum NoOpVerdict {
    case noOp
    /// Not a no-op: not worth reporting.
    case changesData
    /// Might be a no-op, but the facts to tell are missing.
    case unknown(String)
}

/// The part every no-op pattern shares: decide, then bypass the node.
protocol NoOpPattern: RewritePattern {
    func verdict(_ node: Node, _ context: MatchContext) -> NoOpVerdict
}

extension NoOpPattern {
    func match(_ node: Node, in context: MatchContext) -> PatternMatch {
        guard node.isDefaultDomain, let input = node.firstInput, let output = node.firstOutput else { return .notApplicable }
        switch verdict(node, context) {
        case .changesData: return .notApplicable
        case .unknown(let reason): return .skipped(candidate: label(node), reason: reason)
        case .noOp:
            if let problem = context.bypassProblem(replacing: output, with: input) {
                return .skipped(candidate: label(node), reason: problem)
            }
            var bound = Bindings("removed no-op \(label(node))")
            bound.nodes["node"] = node
            bound.values["input"] = input
            bound.values["output"] = output
            return .matched(bound)
        }
    }

    func rewrite(_ bound: Bindings, with rewriter: Rewriter) throws {
        rewriter.bypass(bound.nodes["node"]!, output: bound.values["output"]!, with: bound.values["input"]!)
    }
}

/// `Cast(x, to=T)` or `CastLike(x, like)` where x already has element type T.
struct RemoveSameTypeCast: NoOpPattern {
    let name = "RemoveSameTypeCast"
    let anchorOps: Set<String> = ["Cast", "CastLike"]

    func verdict(_ node: Node, _ context: MatchContext) -> NoOpVerdict {
        // Spelled as an if/else: the release optimizer of Swift 6.3.1 crashes on the ternary form.
        var target: DataType?
        if node.opType == "Cast" {
            if let to = node.attribute("to")?.int { target = DataType(rawValue: Int32(truncatingIfNeeded: to)) }
        } else {
            target = node.input(1)?.knownType?.elementType
        }
        guard let source = node.firstInput?.knownType?.elementType, source != .undefined, let target, target != .undefined else {
            return .unknown("the element types of input and target are not both known")
        }
        return source == target ? .noOp : .changesData
    }
}

/// `Reshape(x, shape)` whose result has x's shape: static shapes agree, or each target entry
/// keeps its dim (0 without allowzero, or the same number) except at most one -1, which then
/// stands for the only dim left.
struct RemoveSameShapeReshape: NoOpPattern {
    let name = "RemoveSameShapeReshape"
    let anchorOps: Set<String> = ["Reshape"]

    func verdict(_ node: Node, _ context: MatchContext) -> NoOpVerdict {
        guard let inShape = context.shape(node.firstInput) else { return .unknown("the rank of the input is unknown") }
        if let a = inShape.concreteSizes, let b = context.shape(node.firstOutput)?.concreteSizes {
            return a == b ? .noOp : .changesData
        }
        let target: [Int64]? = context.opset < 5 ? node.attribute("shape")?.ints : ConstantValues.ints(node.input(1))
        guard let target else { return .unknown("the target shape is not constant") }
        guard target.count == inShape.rank else { return .changesData }
        let allowZero = node.intAttribute("allowzero", default: 0) == 1
        var inferred = 0
        for (entry, dim) in zip(target, inShape.dimensions) {
            if entry == 0 && !allowZero { continue }
            if entry == -1 {
                inferred += 1
                continue
            }
            guard let d = dim.value else { return .unknown("dims of the input are not static: \(inShape)") }
            if d != entry { return .changesData }
        }
        // A -1 is the only dim not kept, so it resolves to the input's dim (a zero-sized dim
        // elsewhere would make it ambiguous).
        if inferred > 1 { return .changesData }
        if inferred == 1 && inShape.dimensions.contains(where: { $0.value == 0 }) { return .unknown("the input has a zero-sized dim") }
        return .noOp
    }
}

/// `Transpose(x, perm)` with perm = [0, 1, ..., r-1] (or no perm on rank <= 1, where reversing
/// changes nothing).
struct RemoveIdentityTranspose: NoOpPattern {
    let name = "RemoveIdentityTranspose"
    let anchorOps: Set<String> = ["Transpose"]

    func verdict(_ node: Node, _ context: MatchContext) -> NoOpVerdict {
        if let perm = node.attribute("perm")?.ints { return ShapeMath.isIdentity(perm) ? .noOp : .changesData }
        guard let rank = context.shape(node.firstInput)?.rank else { return .unknown("no perm and the rank of the input is unknown") }
        return rank <= 1 ? .noOp : .changesData
    }
}

/// `Pad(x, pads)` with every pad zero (whatever the mode).
struct RemoveZeroPad: NoOpPattern {
    let name = "RemoveZeroPad"
    let anchorOps: Set<String> = ["Pad"]

    func verdict(_ node: Node, _ context: MatchContext) -> NoOpVerdict {
        let pads: [Int64]? =
            context.opset < 11
            ? (node.attribute("pads") ?? node.attribute("paddings"))?.ints : ConstantValues.ints(node.input(1))
        guard let pads else { return .unknown("the pads are not constant") }
        return pads.allSatisfy { $0 == 0 } ? .noOp : .changesData
    }
}

/// `Slice` taking every element: on each sliced axis step 1, a start that clamps to 0 and an end
/// that clamps to the dim (INT64_MAX, or at least the dim when it is known).
struct RemoveFullSlice: NoOpPattern {
    let name = "RemoveFullSlice"
    let anchorOps: Set<String> = ["Slice"]

    func verdict(_ node: Node, _ context: MatchContext) -> NoOpVerdict {
        let starts: [Int64]?
        let ends: [Int64]?
        var axes: [Int64]?
        var steps: [Int64]?
        if context.opset < 10 {
            starts = node.attribute("starts")?.ints
            ends = node.attribute("ends")?.ints
            axes = node.attribute("axes")?.ints
        } else {
            starts = ConstantValues.ints(node.input(1))
            ends = ConstantValues.ints(node.input(2))
            if let a = node.input(3) {
                guard let values = ConstantValues.ints(a) else { return .unknown("the axes are not constant") }
                axes = values
            }
            if let s = node.input(4) {
                guard let values = ConstantValues.ints(s) else { return .unknown("the steps are not constant") }
                steps = values
            }
        }
        guard let starts, let ends, starts.count == ends.count else { return .unknown("starts and ends are not constant") }
        let shape = context.shape(node.firstInput)
        let axisList = axes ?? (0..<Int64(starts.count)).map { $0 }
        for i in starts.indices {
            if let steps, i < steps.count, steps[i] != 1 { return .changesData }
            var dim: Int64?
            var axis = axisList.count > i ? axisList[i] : Int64(i)
            if axis < 0 {
                guard let rank = shape?.rank else { return .unknown("negative axes and the rank of the input is unknown") }
                axis += Int64(rank)
            }
            if let shape, axis >= 0, Int(axis) < shape.rank { dim = shape.dimensions[Int(axis)].value }
            let start = starts[i]
            let end = ends[i]
            if start > 0 { return .changesData }
            if start < 0 {
                guard let dim else { return .unknown("a negative start on an axis of unknown size") }
                if start + dim > 0 { return .changesData }
            }
            if end == Int64.max { continue }
            guard let dim else { return .unknown("an end below INT64_MAX on an axis of unknown size") }
            if end < dim { return .changesData }
        }
        return .noOp
    }
}

/// `Expand(x, shape)` whose broadcast result is x's shape: the target has no more dims than x and
/// each of its entries is 1 or x's (known) dim.
struct RemoveSameShapeExpand: NoOpPattern {
    let name = "RemoveSameShapeExpand"
    let anchorOps: Set<String> = ["Expand"]

    func verdict(_ node: Node, _ context: MatchContext) -> NoOpVerdict {
        guard let target = ConstantValues.ints(node.input(1)) else { return .unknown("the target shape is not constant") }
        guard let shape = context.shape(node.firstInput) else { return .unknown("the rank of the input is unknown") }
        guard target.count <= shape.rank else { return .changesData }
        let offset = shape.rank - target.count
        for (i, entry) in target.enumerated() where entry != 1 {
            guard let d = shape.dimensions[i + offset].value else {
                return .unknown("dims of the input are not static: \(shape)")
            }
            if d != entry { return .changesData }
        }
        return .noOp
    }
}

/// `Concat(x)`: one input.
struct RemoveSingleInputConcat: NoOpPattern {
    let name = "RemoveSingleInputConcat"
    let anchorOps: Set<String> = ["Concat"]

    func verdict(_ node: Node, _ context: MatchContext) -> NoOpVerdict {
        node.inputs.count == 1 ? .noOp : .changesData
    }
}

/// `Split(x)` with one output (which, in a valid model, is all of x).
struct RemoveSingleOutputSplit: NoOpPattern {
    let name = "RemoveSingleOutputSplit"
    let anchorOps: Set<String> = ["Split"]

    func verdict(_ node: Node, _ context: MatchContext) -> NoOpVerdict {
        node.outputs.count == 1 ? .noOp : .changesData
    }
}
