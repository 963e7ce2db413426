import ONNXIR

/// Merges chains of layout ops into one (or none).
///
///     Transpose(Transpose(x, p1), p2)          ->   Transpose(x, p),  p[i] = p1[p2[i]]  (identity: x)
///     Reshape(Reshape|Flatten|Squeeze|Unsqueeze(x), s)  ->   Reshape(x, s)
///     Flatten(Reshape(x, s), axis)             ->   Reshape(x, [prod(s[:axis]), prod(s[axis:])])
///     Flatten(Flatten(x, a), 1)                ->   Flatten(x, a);   Flatten(Flatten(x, a), 0) -> Flatten(x, 0)
///     Unsqueeze(Squeeze(x, a), a), Squeeze(Unsqueeze(x, a), a)  ->   x
///     Transpose(x: [197, 1, 768], [1, 0, 2])   ->   Reshape(x, [1, 197, 768])  (only 1s move)
///     Reshape(MatMul(Reshape(x, rows), W), s)  ->   Reshape(MatMul(x, W), s)   (K kept, W 2-D)
///
/// Merges need the first node's output read only by the second (otherwise the first stays and
/// nothing is saved) and not be a graph output; cancelling pairs only need the second node gone.
/// See each pattern for when it does not fire.
public struct ReshapeMerging: GraphPass {
    public static let name = "merge-reshapes"
    public static let summary =
        "Merge consecutive Transpose, Reshape, Flatten and Squeeze/Unsqueeze nodes; Transposes that only move 1s become Reshapes."

    public init(options: PassOptions) throws {}

    static var patterns: [any RewritePattern] {
        [
            MergeConsecutiveTransposes(), MergeReshapeIntoReshape(), MergeFlattenIntoReshape(), CancelSqueezeUnsqueeze(),
            ConvertUnitTransposeToReshape(), DropRowReshapeBeforeMatMul(),
        ]
    }

    public func run(in context: PassContext) throws -> PassReport {
        ShapeInference().run(on: context.model)
        return try runPatterns(Self.patterns, pass: Self.name, in: context)
    }
}

/// `Transpose(Transpose(x, p1), p2)` -> `Transpose(x, p1∘p2)`, or x when that is the identity.
///
/// The second reads d1[p2[i]] = x[p1[p2[i]]], so the composed perm is p[i] = p1[p2[i]]. An absent
/// perm reverses the axes. Does not fire when: the first Transpose's output has other readers or
/// is a graph output; the rank is unknown and a perm is absent; the result is x, the second's
/// output is a graph output and x cannot take its name.
struct MergeConsecutiveTransposes: RewritePattern {
    let name = "MergeConsecutiveTransposes"
    let anchorOps: Set<String> = ["Transpose"]

    func match(_ node: Node, in context: MatchContext) -> PatternMatch {
        guard node.isDefaultDomain, let mid = node.firstInput, let first = context.producer(of: mid, op: ["Transpose"]),
            let x = first.firstInput, let output = node.firstOutput
        else { return .notApplicable }
        if let problem = context.absorptionProblem(mid, into: node) { return .skipped(candidate: label(node), reason: problem) }
        let p1 = first.attribute("perm")?.ints
        let p2 = node.attribute("perm")?.ints
        guard let rank = p1?.count ?? p2?.count ?? context.shape(x)?.rank else {
            return .skipped(candidate: label(node), reason: "neither Transpose has a perm and the rank is unknown")
        }
        let reversed = (0..<Int64(rank)).reversed().map { $0 }
        let perm1 = p1 ?? reversed
        let perm2 = p2 ?? reversed
        guard perm1.count == rank, perm2.count == rank, perm2.allSatisfy({ (0..<Int64(rank)).contains($0) }) else {
            return .skipped(candidate: label(node), reason: "the perms do not have the same length")
        }
        let composed = perm2.map { perm1[Int($0)] }
        let identity = ShapeMath.isIdentity(composed)
        if identity, let problem = context.bypassProblem(replacing: output, with: x) {
            return .skipped(candidate: label(node), reason: problem)
        }
        var bound = Bindings(
            identity
                ? "removed \(label(first)) and \(label(node)), which cancel"
                : "merged \(label(first)) into \(label(node)) (perm \(composed))")
        bound.nodes["first"] = first
        bound.nodes["second"] = node
        bound.values["x"] = x
        bound.ints["perm"] = identity ? nil : composed
        return .matched(bound)
    }

    func rewrite(_ bound: Bindings, with rewriter: Rewriter) throws {
        let second = bound.nodes["second"]!
        let x = bound.values["x"]!
        if let perm = bound.ints["perm"] {
            rewriter.setAttribute(second, Attribute(name: "perm", value: .ints(perm)))
            rewriter.setInput(second, 0, x)
            rewriter.eraseWithDeadProducers(bound.nodes["first"]!)
        } else {
            rewriter.bypass(second, output: second.firstOutput!, with: x)
        }
    }
}

/// `Reshape(P(x), s)` -> `Reshape(x, s)` where P is Reshape, Flatten, Squeeze or Unsqueeze: each
/// only reinterprets the shape, and a Reshape's result depends only on the element count and s.
///
/// Does not fire when: s is not constant, or holds 0 without allowzero (0 copies a dim of P's
/// output, which x may not have); P's output has other readers or is a graph output.
struct MergeReshapeIntoReshape: RewritePattern {
    let name = "MergeReshapeIntoReshape"
    let anchorOps: Set<String> = ["Reshape"]

    func match(_ node: Node, in context: MatchContext) -> PatternMatch {
        guard node.isDefaultDomain, let mid = node.firstInput,
            let first = context.producer(of: mid, op: ["Reshape", "Flatten", "Squeeze", "Unsqueeze"]), let x = first.firstInput
        else { return .notApplicable }
        if let problem = context.absorptionProblem(mid, into: node) { return .skipped(candidate: label(node), reason: problem) }
        let target: [Int64]? = context.opset < 5 ? node.attribute("shape")?.ints : ConstantValues.ints(node.input(1))
        guard let target else { return .skipped(candidate: label(node), reason: "its target shape is not constant") }
        if target.contains(0) && node.intAttribute("allowzero", default: 0) == 0 {
            return .skipped(candidate: label(node), reason: "its target shape copies dims (0) from \(label(first))'s output")
        }
        var bound = Bindings("merged \(label(first)) into \(label(node))")
        bound.nodes["first"] = first
        bound.nodes["second"] = node
        bound.values["x"] = x
        return .matched(bound)
    }

    func rewrite(_ bound: Bindings, with rewriter: Rewriter) throws {
        rewriter.setInput(bound.nodes["second"]!, 0, bound.values["x"]!)
        rewriter.eraseWithDeadProducers(bound.nodes["first"]!)
    }
}

/// `Flatten(Reshape(x, s), axis)` -> `Reshape(x, [outer, inner])` with outer = prod(s[:axis]) and
/// inner = prod(s[axis:]) (a -1 in s makes its side -1); `Flatten(Flatten(x, a), 1)` -> the first
/// Flatten (it is already 2-D); `Flatten(Flatten(x, a), 0)` -> `Flatten(x, 0)`.
///
/// Does not fire when: s is not constant or holds 0 without allowzero (dims copied from x);
/// the -1 side's product is 0 (ambiguous); the first node's output has other readers or is a
/// graph output; Flatten(axis=2) of a Flatten (rare; left alone); a new initializer is needed
/// and the IR version is below 4.
struct MergeFlattenIntoReshape: RewritePattern {
    let name = "MergeFlattenIntoReshape"
    let anchorOps: Set<String> = ["Flatten"]

    func match(_ node: Node, in context: MatchContext) -> PatternMatch {
        guard node.isDefaultDomain, let mid = node.firstInput, let first = context.producer(of: mid, op: ["Reshape", "Flatten"]),
            let x = first.firstInput, let output = node.firstOutput
        else { return .notApplicable }
        if let problem = context.absorptionProblem(mid, into: node) { return .skipped(candidate: label(node), reason: problem) }
        let axis = node.intAttribute("axis", default: 1)
        var bound = Bindings("merged \(label(first)) and \(label(node))")
        bound.nodes["first"] = first
        bound.nodes["second"] = node
        bound.values["x"] = x
        if first.opType == "Flatten" {
            switch axis {
            case 1, -1:
                if let problem = context.bypassProblem(replacing: output, with: mid) {
                    return .skipped(candidate: label(node), reason: problem)
                }
                bound.ints["bypass"] = [1]
            case 0, -2: bound.ints["flattenAxis"] = [0]
            default: return .skipped(candidate: label(node), reason: "Flatten(axis=\(axis)) of a 2-D value is left alone")
            }
            return .matched(bound)
        }
        guard context.canAddInitializers else {
            return .skipped(
                candidate: label(node), reason: "IR version \(context.model.irVersion) requires initializers to be graph inputs")
        }
        let shape: [Int64]? = context.opset < 5 ? first.attribute("shape")?.ints : ConstantValues.ints(first.input(1))
        guard let shape else { return .skipped(candidate: label(node), reason: "\(label(first))'s target shape is not constant") }
        if shape.contains(0) && first.intAttribute("allowzero", default: 0) == 0 {
            return .skipped(candidate: label(node), reason: "\(label(first))'s target shape copies dims (0) from its input")
        }
        let a = Int(axis < 0 ? axis + Int64(shape.count) : axis)
        guard (0...shape.count).contains(a), shape.filter({ $0 == -1 }).count <= 1 else {
            return .skipped(candidate: label(node), reason: "axis \(axis) does not fit the rank \(shape.count)")
        }
        func side(_ part: ArraySlice<Int64>) -> Int64? {
            if part.contains(-1) {
                return part.contains(0) ? nil : -1
            }
            return TensorShape.elementCount(of: Array(part))
        }
        guard let outer = side(shape[..<a]), let inner = side(shape[a...]) else {
            return .skipped(candidate: label(node), reason: "the -1 of \(label(first)) shares its side with a zero-sized dim")
        }
        bound.ints["shape"] = [outer, inner]
        return .matched(bound)
    }

    func rewrite(_ bound: Bindings, with rewriter: Rewriter) throws {
        let first = bound.nodes["first"]!
        let second = bound.nodes["second"]!
        let x = bound.values["x"]!
        if bound.ints["bypass"] != nil {
            rewriter.bypass(second, output: second.firstOutput!, with: first.firstOutput!)
        } else if let axis = bound.ints["flattenAxis"] {
            rewriter.setAttribute(second, Attribute(name: "axis", value: .int(axis[0])))
            rewriter.setInput(second, 0, x)
            rewriter.eraseWithDeadProducers(first)
        } else {
            let target = rewriter.addInitializer(.int64(dims: [2], values: bound.ints["shape"]!), baseName: second.name + "_shape")
            let reshape = rewriter.addNode(opType: "Reshape", baseName: second.name, inputs: [x, target], before: second)
            rewriter.replace(second.firstOutput!, with: reshape.firstOutput!)
            rewriter.eraseWithDeadProducers(second)
        }
    }
}

/// `Unsqueeze(Squeeze(x, a), a)` and `Squeeze(Unsqueeze(x, a), a)` -> x.
///
/// Squeeze's axes index x (rank r) and, when the pair cancels, so do the Unsqueeze's (its output
/// has rank r again); in the other order both index the Unsqueeze's output (rank r + |a|).
/// Negative axes are normalized with those ranks. Does not fire when: the axis sets differ; a
/// negative axis meets an unknown rank; Squeeze has no axes and x's dims are not all known (it
/// removes every size-1 dim); the axes are not constant; the second's output is a graph output
/// and x cannot take its name.
struct CancelSqueezeUnsqueeze: RewritePattern {
    let name = "CancelSqueezeUnsqueeze"
    let anchorOps: Set<String> = ["Squeeze", "Unsqueeze"]

    func match(_ node: Node, in context: MatchContext) -> PatternMatch {
        let partner = node.opType == "Squeeze" ? "Unsqueeze" : "Squeeze"
        guard node.isDefaultDomain, let mid = node.firstInput, let first = context.producer(of: mid, op: [partner]),
            let x = first.firstInput, let output = node.firstOutput
        else { return .notApplicable }
        let candidate = label(node)
        guard let firstAxes = axes(of: first, context), let secondAxes = axes(of: node, context) else {
            return .skipped(candidate: candidate, reason: "the axes are not constant")
        }
        let xShape = context.shape(x)
        let squeezeFirst = first.opType == "Squeeze"
        let squeezeAxes = squeezeFirst ? firstAxes : secondAxes
        guard let unsqueezeAxes = squeezeFirst ? secondAxes : firstAxes else {
            return .skipped(candidate: candidate, reason: "Unsqueeze has no axes")
        }
        // The rank both axis lists index: x's, or the Unsqueeze's output's.
        let frame: Int? = squeezeFirst ? xShape?.rank : xShape.map { $0.rank + unsqueezeAxes.count }
        func normalized(_ axes: [Int64]) -> Set<Int64>? {
            var result = Set<Int64>()
            for a in axes {
                if a >= 0 {
                    result.insert(a)
                } else if let frame {
                    result.insert(a + Int64(frame))
                } else {
                    return nil
                }
            }
            return result.count == axes.count ? result : nil
        }
        guard let u = normalized(unsqueezeAxes) else {
            return .skipped(candidate: candidate, reason: "Unsqueeze's axes are repeated, or negative with an unknown rank")
        }
        let s: Set<Int64>
        if let squeezeAxes {
            guard let n = normalized(squeezeAxes) else {
                return .skipped(candidate: candidate, reason: "Squeeze's axes are repeated, or negative with an unknown rank")
            }
            s = n
        } else if squeezeFirst {
            // Squeeze without axes removes every size-1 dim of x.
            guard let dims = xShape?.concreteSizes else {
                return .skipped(candidate: candidate, reason: "Squeeze has no axes and the dims of its input are not all known")
            }
            s = Set(dims.enumerated().filter { $0.element == 1 }.map { Int64($0.offset) })
        } else {
            // It removes the inserted dims, and x's own size-1 dims unless there are none.
            guard let dims = xShape?.concreteSizes, !dims.contains(1) else {
                return .skipped(candidate: candidate, reason: "Squeeze has no axes and may also remove size-1 dims of x")
            }
            s = u
        }
        guard s == u else { return .notApplicable }
        if let problem = context.bypassProblem(replacing: output, with: x) { return .skipped(candidate: candidate, reason: problem) }
        var bound = Bindings("removed \(label(first)) and \(label(node)), which cancel")
        bound.nodes["second"] = node
        bound.values["x"] = x
        return .matched(bound)
    }

    /// The axes of a Squeeze/Unsqueeze: `.some(nil)` when a Squeeze has none, nil when not constant.
    private func axes(of node: Node, _ context: MatchContext) -> [Int64]?? {
        if context.opset < 13 { return .some(node.attribute("axes")?.ints) }
        guard let v = node.input(1) else { return .some(nil) }
        guard let values = ConstantValues.ints(v) else { return nil }
        return .some(values)
    }

    func rewrite(_ bound: Bindings, with rewriter: Rewriter) throws {
        let second = bound.nodes["second"]!
        rewriter.bypass(second, output: second.firstOutput!, with: bound.values["x"]!)
    }
}
