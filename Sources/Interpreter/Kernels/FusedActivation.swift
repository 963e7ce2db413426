import CVectorMath

/// A kernel that can apply the activation node after it to its own output (Conv, and the
/// residual Add); the planner sets `activation` when it fuses the pair.
protocol ActivationAbsorbing: AnyObject {
    var activation: FusedActivation? { get set }
}

/// An activation a Conv applies to its own output while it is still in cache, instead of a
/// separate node reading and writing the whole tensor again. Each case computes exactly what the
/// standalone kernel computes (the same loops), so fused and unfused results are bit-identical.
enum FusedActivation {
    case unary(UnaryKernel.Op)
    /// min(max(x, lo), hi), Clip's rule.
    case clip(lo: Float, hi: Float)
    /// The exported Erf-based GELU (after a bias Add).
    case gelu(GeluChain)

    /// In place over elements `range` of `p`.
    func apply(_ p: UnsafeMutablePointer<Float>, _ range: Range<Int>) {
        switch self {
        case .unary(.relu):
            if whittle_relu_f32(p + range.lowerBound, range.count) == 0 { UnaryKernel.applyFloat(.relu, p, p, range) }
        case .unary(let op): UnaryKernel.applyFloat(op, p, p, range)
        case .clip(let lo, let hi):
            if whittle_clip_f32(p + range.lowerBound, range.count, lo, hi) == 0 {
                for i in range { p[i] = Swift.min(Swift.max(p[i], lo), hi) }
            }
        case .gelu(let chain): chain.apply(p, range)
        }
    }

    /// The ops a standalone node can hand over: elementwise, one input, no state.
    static func of(_ op: UnaryKernel.Op) -> FusedActivation? {
        switch op {
        case .relu, .sigmoid, .tanh, .hardSwish, .leakyRelu, .hardSigmoid, .swish: .unary(op)
        default: nil
        }
    }
}

extension FusedActivation {
    /// How the C conv kernels apply `activation` before they store (a WHITTLE_ACTIVATION_ mode
    /// with its lo and hi, alpha in lo for Sigmoid and Swish), and what must still run afterwards
    /// over the output (the activations they do not have).
    static func vectorKernelForm(of activation: FusedActivation?) -> (mode: Int32, lo: Float, hi: Float, rest: FusedActivation?) {
        switch activation {
        case .unary(.relu): (Int32(WHITTLE_ACTIVATION_RELU), 0, 0, nil)
        case .clip(let lo, let hi): (Int32(WHITTLE_ACTIVATION_CLIP), lo, hi, nil)
        case .unary(.sigmoid): (Int32(WHITTLE_ACTIVATION_SIGMOID), 1, 0, nil)
        case .unary(.swish(let alpha)): (Int32(WHITTLE_ACTIVATION_SWISH), alpha, 0, nil)
        default: (Int32(WHITTLE_ACTIVATION_NONE), 0, 0, activation)
        }
    }
}
