/// Resize and Upsample: out = floor(in * scale) per axis, or the given sizes.
///   Upsample 7-8: `scales` attribute; Upsample 9 and Resize 10: scales input 1;
///   Resize 11+: roi, scales (input 2) or sizes (input 3); 18+: `axes` and
///   `keep_aspect_ratio_policy` (not_larger / not_smaller scale all axes alike).
enum ResizeRules {
    static func resize(_ c: NodeContext) -> RuleResult {
        let type = c.elementType(0)
        guard let dims = c.dims(0) else { return .tensor(type, nil) }
        let unknownSizes = dims.map { _ in Dimension.unknown }
        if c.node.opType == "Upsample" || c.opset < 11 {
            let scales = c.opset >= 9 ? c.floats(1) : c.floats("scales")
            guard let scales, scales.count == dims.count else { return .tensor(type, unknownSizes) }
            return .tensor(type, zip(dims, scales).map(scaled))
        }
        let axes: [Int]
        if let given = c.ints("axes") {
            guard let normalized = SliceRules.normalizedAxes(given, rank: dims.count) else { return .tensor(type, unknownSizes) }
            axes = normalized
        } else {
            axes = Array(dims.indices)
        }
        var out = dims
        if c.hasInput(3), let sizes = c.ints(3), sizes.count == axes.count, sizes.allSatisfy({ $0 >= 0 }) {
            let policy = c.string("keep_aspect_ratio_policy") ?? "stretch"
            if policy == "stretch" {
                for (k, a) in axes.enumerated() { out[a] = .value(sizes[k]) }
                return .tensor(type, out)
            }
            // One scale for every axis: the smallest (not_larger) or largest (not_smaller) ratio.
            guard let inputs = DimensionMath.concrete(axes.map { dims[$0] }), !inputs.contains(0) else {
                return .tensor(type, unknownSizes)
            }
            let ratios = zip(sizes, inputs).map { Double($0) / Double($1) }
            guard let scale = policy == "not_larger" ? ratios.min() : ratios.max() else { return .tensor(type, unknownSizes) }
            for (k, a) in axes.enumerated() { out[a] = rounded(Double(inputs[k]) * scale) }
            return .tensor(type, out)
        }
        if c.hasInput(2), let scales = c.floats(2), scales.count == axes.count {
            for (k, a) in axes.enumerated() { out[a] = scaled(dims[a], scales[k]) }
            return .tensor(type, out)
        }
        return .tensor(type, unknownSizes)
    }

    /// floor(d * scale) in float32 as ONNX computes it; a scale of 1 keeps even a symbolic size.
    static func scaled(_ d: Dimension, _ scale: Float) -> Dimension {
        if scale == 1 { return d }
        guard let n = d.value, scale.isFinite, scale >= 0 else { return .unknown }
        let size = (Float(n) * scale).rounded(.down)
        return size < 1e15 ? .value(Int64(size)) : .unknown
    }

    static func rounded(_ size: Double) -> Dimension {
        size.isFinite && size >= 0 && size < 1e15 ? .value(Int64(size.rounded())) : .unknown
    }
}
