import Foundation
import ONNXIR

/// SmoothQuant-style scale migration for MatMul/Gemm inputs with outlier channels.
///
///     MatMul(x, W)  ->  MatMul(Mul(x, 1/s), diag(s) W),   s_k = max|x_k|^a / max_n|W_kn|^(1-a)
///
/// Exact in float (x/s times s W is x W); what changes is the quantization: the per-tensor
/// activation scale no longer has to cover a few channels tens of times larger than the rest,
/// and the weights, quantized per output channel, absorb the difficulty. Every reader of x that
/// can take it (a quantized MatMul or Gemm with a constant weight on x's last axis) shares one
/// Mul and one s, so a LayerNorm output feeding Q, K and V is smoothed once. With `alpha` nil
/// (the `auto` default) it fires only where the largest channel's range is more than
/// `outlierRatio` times the median channel's; with an alpha it fires on every candidate.
/// Does not fire: a weight shared with a reader outside the group (smoothing would change that
/// reader), channel statistics not seen, or no channel above the threshold in auto mode.
struct SmoothQuant {
    let alpha: Float?
    static let autoAlpha: Float = 0.5
    static let outlierRatio: Float = 8
    let isEnabled: Bool

    /// `smooth-quant`: "auto", "off", or an alpha in [0, 1] applied to every candidate.
    static func parse(_ text: String) throws -> SmoothQuant {
        switch text {
        case "auto": return SmoothQuant(alpha: nil, isEnabled: true)
        case "off": return SmoothQuant(alpha: nil, isEnabled: false)
        default:
            guard let a = Float(text), (0...1).contains(a) else {
                throw PassError.invalidOptions(
                    pass: QuantizationPass.name, reason: "option 'smooth-quant' must be auto, off or an alpha in 0...1, got '\(text)'")
            }
            return SmoothQuant(alpha: a, isEnabled: true)
        }
    }

    /// The K axis of `node`'s constant weight when `node` reads x on its last axis, else nil.
    static func weightKAxis(_ node: Node) -> Int? {
        guard node.inputs.count > 1, let w = node.inputs[1], let t = w.initializer, !w.isGraphInput, t.dims.count == 2 else { return nil }
        switch node.opType {
        case "MatMul": return 0
        case "Gemm":
            guard node.attribute("transA")?.int ?? 0 == 0 else { return nil }
            return node.attribute("transB")?.int == 1 ? 1 : 0
        default: return nil
        }
    }

    struct Result {
        let smoothed: Value
        let low: Float
        let high: Float
        let mul: Node
    }

    /// Smooths `x` for `readers` (all reading x at input 0); nil, with a skip in the report, when
    /// it must not fire.
    func apply(
        graph: Graph, x: Value, readers: [Node], channels: ActivationStatistics.Channels, _ report: inout PassReport
    ) throws -> Result? {
        let label = "SmoothQuant on '\(x.name)'"
        let absMax = channels.absMax
        let sorted = absMax.sorted()
        let median = sorted[sorted.count / 2], peak = sorted.last ?? 0
        let ratio = median > 0 ? peak / median : .infinity
        guard peak > 0 else { return nil }
        if alpha == nil && ratio <= Self.outlierRatio { return nil }
        let a = alpha ?? Self.autoAlpha
        let readerIDs = Set(readers.map(ObjectIdentifier.init))
        var weightMax = [Float](repeating: 0, count: absMax.count)
        for node in readers {
            guard let w = node.inputs[1], let t = w.initializer, let kAxis = Self.weightKAxis(node), Int(t.dims[kAxis]) == absMax.count
            else {
                report.skip(label, "'\(node.name)' has no constant weight matching \(absMax.count) input channels")
                return nil
            }
            if let other = w.uses.first(where: { !readerIDs.contains(ObjectIdentifier($0.node)) }) {
                report.skip(label, "weight '\(w.name)' is also read by '\(other.node.name)', which smoothing would change")
                return nil
            }
            let values = try t.floatValues(), n = Int(t.dims[1 - kAxis])
            for k in 0..<absMax.count {
                for j in 0..<n { weightMax[k] = max(weightMax[k], abs(values[kAxis == 0 ? k * n + j : j * absMax.count + k])) }
            }
        }
        let s = zip(absMax, weightMax).map { xm, wm -> Float in
            guard xm > 0, wm > 0 else { return 1 }
            return min(max(pow(xm, a) / pow(wm, 1 - a), 1e-4), 1e4)
        }
        // Scale the weights (each weight belongs to this group only, checked above).
        var rescaled = Set<ObjectIdentifier>()
        for node in readers {
            guard let w = node.inputs[1], let t = w.initializer, let kAxis = Self.weightKAxis(node) else { continue }
            guard rescaled.insert(ObjectIdentifier(w)).inserted else { continue }
            var values = try t.floatValues()
            let n = Int(t.dims[1 - kAxis])
            for k in 0..<s.count { for j in 0..<n { values[kAxis == 0 ? k * n + j : j * s.count + k] *= s[k] } }
            let scaled = graph.addInitializer(.float32(dims: t.dims, values: values), named: graph.freshName(w.name + "_smoothed"))
            for use in w.uses { use.node.setInput(use.index, scaled) }
            if w.uses.isEmpty && !w.isGraphOutput { graph.removeInitializer(w) }
        }
        let inverse = graph.addInitializer(
            .float32(dims: [Int64(s.count)], values: s.map { 1 / $0 }), named: graph.freshName(x.name + "_smooth_scale"))
        let mul = graph.addNode(opType: "Mul", baseName: x.name + "_smooth", inputs: [x, inverse], before: readers.first)
        mul.origin = QuantizationPass.name
        for node in readers { node.setInput(0, mul.outputs[0]) }
        var low = Float.infinity, high = -Float.infinity
        for k in 0..<s.count {
            low = min(low, channels.low[k] / s[k])
            high = max(high, channels.high[k] / s[k])
        }
        let names = readers.map { "'\($0.name)'" }.joined(separator: ", ")
        let why =
            alpha == nil
            ? "largest input channel range \(peak) is \(Int(ratio.rounded()))x the median channel's (threshold \(Int(Self.outlierRatio))x)"
            : "requested"
        report.changed(
            "smoothed '\(x.name)' for \(names) (SmoothQuant alpha \(a)): \(why); activation range \(max(abs(channels.low.min() ?? 0), peak)) -> \(max(abs(low), abs(high)))"
        )
        return Result(smoothed: mul.outputs[0]!, low: low, high: high, mul: mul)
    }
}
