/// Normalizations: the output keeps the input's shape; BatchNormalization's extra outputs are
/// per-channel vectors, LayerNormalization's Mean and InvStdDev keep the leading axes.
enum NormalizationRules {
    /// BatchNormalization(X, scale, B, mean, var): Y like X; the optional outputs (running or
    /// saved mean and variance, depending on the opset) are [C] vectors of the mean's type.
    static func batchNorm(_ c: NodeContext) -> RuleResult {
        guard let x = c.type(0), x.isTensor else { return .unknown }
        let channels: Dimension = x.shape.flatMap { $0.rank >= 2 ? $0.dimensions[1] : nil } ?? c.dims(1)?.first ?? .unknown
        let statistics = (c.elementType(3) ?? x.elementType).map { ValueType.tensor($0, TensorShape([channels])) }
        return RuleResult(types: [x] + Array(repeating: statistics, count: 4))
    }

    /// LayerNormalization: Y like X; Mean and InvStdDev (stash_type, float by default) have the
    /// axes from `axis` on reduced to 1.
    static func layerNorm(_ c: NodeContext) -> RuleResult {
        guard let type = c.elementType(0) else { return .unknown }
        guard let dims = c.dims(0) else { return .tensor(type, nil) }
        let y = ValueType.tensor(type, TensorShape(dims))
        guard let axis = c.axis("axis", default: -1, rank: dims.count) else { return RuleResult(types: [y]) }
        let reduced = dims.enumerated().map { $0.offset < axis ? $0.element : .value(1) }
        let stash = c.dataType("stash_type") ?? .float
        return RuleResult(types: [y, .tensor(stash, TensorShape(reduced)), .tensor(stash, TensorShape(reduced))])
    }

    /// com.microsoft SkipLayerNormalization: output and input_skip_bias_sum like the input.
    static func skipLayerNorm(_ c: NodeContext) -> RuleResult {
        let y = c.type(0)
        return RuleResult(types: [y, nil, nil, y])
    }
}
