/// QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear: the input's shape; the element
/// type from the zero point, `output_dtype`, or the scale.
enum QuantizationRules {
    /// QuantizeLinear(x, scale, zero_point): the zero point's type, else output_dtype, else uint8.
    static func quantize(_ c: NodeContext) -> RuleResult {
        .tensor(c.elementType(2) ?? c.dataType("output_dtype") ?? .uint8, c.dims(0))
    }

    /// DequantizeLinear(x, scale, zero_point): output_dtype, else the scale's type, else float.
    static func dequantize(_ c: NodeContext) -> RuleResult {
        .tensor(c.dataType("output_dtype") ?? c.elementType(1) ?? .float, c.dims(0))
    }

    /// DynamicQuantizeLinear: y (uint8, x's shape), y_scale (float scalar), y_zero_point (uint8 scalar).
    static func dynamicQuantize(_ c: NodeContext) -> RuleResult {
        RuleResult(types: [.tensor(.uint8, c.shape(0)), .tensor(.float, .scalar), .tensor(.uint8, .scalar)])
    }
}
