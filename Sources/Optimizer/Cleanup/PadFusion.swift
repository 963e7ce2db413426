import ONNXIR

/// Folds a zero Pad of the spatial axes into the pads of the following Conv or AveragePool.
///
///     Conv(Pad(x, pads=[0,0,t,l, 0,0,b,r], constant 0), W, pads=p)   ->   Conv(x, W, pads=p + [t,l,b,r])
///     AveragePool(Pad(x, ...), pads=0)   ->   AveragePool(x, pads=[t,l,b,r], count_include_pad=1)
///
/// Conv pads with zeros, exactly what the Pad wrote. AveragePool must then count the padded
/// zeros in each window's divisor, as it did when they were real elements: count_include_pad=1.
///
/// Does not fire when: Pad's mode is not constant or its value is not 0; a pad is negative (a
/// crop) or touches the batch or channel axis; pads, value or axes are not constant; the Pad's
/// output has another reader or is a graph output, or feeds the consumer's weight rather than
/// its data; the consumer uses auto_pad; AveragePool already has pads with count_include_pad=0
/// (the two kinds of padding would be counted differently), uses ceil_mode=1 (windows past the
/// end are divided differently), or the opset is below 7 (no count_include_pad); MaxPool (it pads
/// with -inf, not with the Pad's zeros).
public struct PadFusion: GraphPass {
    public static let name = "fuse-pad"
    public static let summary = "Fold zero Pad nodes into the pads of the following Conv or AveragePool."

    public init(options: PassOptions) throws {}

    static var patterns: [any RewritePattern] { [FusePadIntoConv(), FusePadIntoAveragePool(), FusePadIntoMaxPool()] }

    public func run(in context: PassContext) throws -> PassReport {
        ShapeInference().run(on: context.model)
        return try runPatterns(Self.patterns, pass: Self.name, in: context)
    }
}

/// What the patterns share: reading the Pad before `consumer` as spatial begin/end pads.
enum SpatialPads {
    /// The Pad producing `consumer`'s data input, nil when there is none.
    static func pad(before consumer: Node, _ context: MatchContext) -> Node? {
        context.producer(of: consumer.firstInput, op: ["Pad"])
    }

    /// The pads `pad` adds on the spatial axes of a rank-`rank` tensor as [begin..., end...], or
    /// why they cannot move into a consumer's pads.
    static func read(_ pad: Node, consumer: Node, rank: Int, _ context: MatchContext) -> Result<[Int64], ConstantFolding.Refusal> {
        if let problem = context.absorptionProblem(pad.firstOutput!, into: consumer) { return .failure(.init(problem)) }
        if consumer.inputs.dropFirst().contains(where: { $0 === pad.firstOutput }) {
            return .failure(.init("the Pad feeds \(label(consumer))'s weight"))
        }
        guard pad.stringAttribute("mode", default: "constant") == "constant" else {
            return .failure(.init("\(label(pad)) is not in constant mode"))
        }
        var pads: [Int64]
        var value: Float = 0
        if context.opset < 11 {
            guard let p = (pad.attribute("pads") ?? pad.attribute("paddings"))?.ints else {
                return .failure(.init("\(label(pad)) has no pads"))
            }
            pads = p
            value = pad.floatAttribute("value", default: 0)
        } else {
            guard let p = ConstantValues.ints(pad.input(1)) else { return .failure(.init("\(label(pad))'s pads are not constant")) }
            pads = p
            if let v = pad.input(2) {
                guard let values = ConstantValues.floats(v), values.count <= 1 else {
                    return .failure(.init("\(label(pad))'s value is not a constant float scalar"))
                }
                value = values.first ?? 0
            }
            if let axesValue = pad.input(3) {
                guard let axes = ConstantValues.ints(axesValue), axes.count * 2 == pads.count else {
                    return .failure(.init("\(label(pad))'s axes are not constant"))
                }
                var full = [Int64](repeating: 0, count: 2 * rank)
                for (i, a) in axes.enumerated() {
                    guard let axis = ShapeMath.normalize(a, rank: rank) else {
                        return .failure(.init("\(label(pad))'s axes are out of range"))
                    }
                    full[axis] = pads[i]
                    full[rank + axis] = pads[axes.count + i]
                }
                pads = full
            }
        }
        guard value == 0 else { return .failure(.init("\(label(pad)) pads with \(value), not 0")) }
        guard pads.count == 2 * rank else {
            return .failure(.init("\(label(pad)) pads \(pads.count / 2) axes, \(label(consumer)) expects \(rank)"))
        }
        guard pads.allSatisfy({ $0 >= 0 }) else { return .failure(.init("\(label(pad)) crops (a negative pad)")) }
        guard pads[0] == 0, pads[1] == 0, pads[rank] == 0, pads[rank + 1] == 0 else {
            return .failure(.init("\(label(pad)) pads the batch or channel axis"))
        }
        return .success(Array(pads[2..<rank]) + Array(pads[(rank + 2)..<(2 * rank)]))
    }

    /// `existing` (consumer pads, default zeros) plus `added`; nil when their lengths differ.
    static func sum(_ existing: [Int64]?, _ added: [Int64]) -> [Int64]? {
        let base = existing ?? [Int64](repeating: 0, count: added.count)
        guard base.count == added.count else { return nil }
        return zip(base, added).map { $0 + $1 }
    }

    static func rewrite(_ bound: Bindings, with rewriter: Rewriter, extra: [Attribute]) {
        let consumer = bound.nodes["consumer"]!
        let pad = bound.nodes["pad"]!
        rewriter.setAttribute(consumer, Attribute(name: "pads", value: .ints(bound.ints["pads"]!)))
        for a in extra { rewriter.setAttribute(consumer, a) }
        rewriter.setInput(consumer, 0, pad.firstInput!)
        rewriter.eraseWithDeadProducers(pad)
    }

    static func bind(_ pad: Node, _ consumer: Node, pads: [Int64]) -> Bindings {
        var bound = Bindings("folded \(label(pad)) into \(label(consumer))")
        bound.nodes["pad"] = pad
        bound.nodes["consumer"] = consumer
        bound.ints["pads"] = pads
        return bound
    }
}

/// `Conv(Pad(x))` -> `Conv(x)` with the Pad's spatial pads added to its own (see `PadFusion`).
struct FusePadIntoConv: RewritePattern {
    let name = "FusePadIntoConv"
    let anchorOps: Set<String> = ["Conv"]

    func match(_ node: Node, in context: MatchContext) -> PatternMatch {
        guard node.isDefaultDomain, let pad = SpatialPads.pad(before: node, context) else { return .notApplicable }
        let candidate = label(node)
        guard let rank = ConstantValues.tensor(node.input(1))?.dims.count ?? context.shape(node.input(1))?.rank, rank >= 3 else {
            return .skipped(candidate: candidate, reason: "the rank of its weight is unknown")
        }
        let autoPad = node.stringAttribute("auto_pad", default: "NOTSET")
        guard autoPad == "NOTSET" else { return .skipped(candidate: candidate, reason: "it uses auto_pad=\(autoPad)") }
        switch SpatialPads.read(pad, consumer: node, rank: rank, context) {
        case .failure(let r): return .skipped(candidate: candidate, reason: r.text)
        case .success(let added):
            guard let pads = SpatialPads.sum(node.attribute("pads")?.ints, added) else {
                return .skipped(candidate: candidate, reason: "its pads do not have two entries per spatial axis")
            }
            return .matched(SpatialPads.bind(pad, node, pads: pads))
        }
    }

    func rewrite(_ bound: Bindings, with rewriter: Rewriter) throws { SpatialPads.rewrite(bound, with: rewriter, extra: []) }
}

/// `AveragePool(Pad(x))` -> `AveragePool(x)` with the pads and count_include_pad=1 (see `PadFusion`).
struct FusePadIntoAveragePool: RewritePattern {
    let name = "FusePadIntoAveragePool"
    let anchorOps: Set<String> = ["AveragePool"]

    func match(_ node: Node, in context: MatchContext) -> PatternMatch {
        guard node.isDefaultDomain, let pad = SpatialPads.pad(before: node, context) else { return .notApplicable }
        let candidate = label(node)
        func skip(_ reason: String) -> PatternMatch { .skipped(candidate: candidate, reason: reason) }
        guard context.opset >= 7 else { return skip("AveragePool before opset 7 cannot count padding") }
        guard let kernel = node.attribute("kernel_shape")?.ints else { return skip("it has no kernel_shape") }
        let autoPad = node.stringAttribute("auto_pad", default: "NOTSET")
        guard autoPad == "NOTSET" else { return skip("it uses auto_pad=\(autoPad)") }
        guard node.intAttribute("ceil_mode", default: 0) == 0 else {
            return skip("ceil_mode=1: windows running past the end are divided differently")
        }
        let existing = node.attribute("pads")?.ints
        if node.intAttribute("count_include_pad", default: 0) == 0, let existing, existing.contains(where: { $0 != 0 }) {
            return skip("its own pads are excluded from the average (count_include_pad=0) while the Pad's zeros are counted")
        }
        switch SpatialPads.read(pad, consumer: node, rank: kernel.count + 2, context) {
        case .failure(let r): return skip(r.text)
        case .success(let added):
            guard let pads = SpatialPads.sum(existing, added) else { return skip("its pads do not have two entries per spatial axis") }
            return .matched(SpatialPads.bind(pad, node, pads: pads))
        }
    }

    func rewrite(_ bound: Bindings, with rewriter: Rewriter) throws {
        SpatialPads.rewrite(bound, with: rewriter, extra: [Attribute(name: "count_include_pad", value: .int(1))])
    }
}

/// Never fires: reports why a zero Pad before MaxPool stays (MaxPool pads with -inf, so a zero
/// pad changes the maximum of windows whose elements are all negative).
struct FusePadIntoMaxPool: RewritePattern {
    let name = "FusePadIntoMaxPool"
    let anchorOps: Set<String> = ["MaxPool"]

    func match(_ node: Node, in context: MatchContext) -> PatternMatch {
        guard node.isDefaultDomain, SpatialPads.pad(before: node, context) != nil else { return .notApplicable }
        return .skipped(candidate: label(node), reason: "MaxPool pads with -inf, not with the Pad's zeros")
    }

    func rewrite(_ bound: Bindings, with rewriter: Rewriter) throws {}
}
