/// The shape rule of every op Whittle reasons about, keyed by op type (default domain and
/// com.microsoft); ops without a rule leave their outputs unknown.
enum OpShapeRules {
    static func infer(_ c: NodeContext) -> RuleResult {
        let domain = c.node.normalizedDomain
        guard domain.isEmpty || domain == "com.microsoft" else { return .unknown }
        if let rule = rules[c.node.opType] { return rule(c) }
        return .unknown
    }

    /// Ops whose single output has the type and shape of input 0.
    static let sameAsInput: Set<String> = [
        "Relu", "LeakyRelu", "PRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Exp", "Log", "Sqrt", "Reciprocal", "Neg", "Abs",
        "Sign", "Floor", "Ceil", "Round", "Erf", "Gelu", "Elu", "Selu", "Celu", "Softplus", "Softsign", "Mish", "ThresholdedRelu", "Sin",
        "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Identity", "Clip", "Softmax", "LogSoftmax",
        "Hardmax", "LRN", "InstanceNormalization", "MeanVarianceNormalization", "GroupNormalization", "CumSum", "Trilu", "FastGelu",
        "QuickGelu", "BiasGelu", "ScatterND", "ScatterElements", "Scatter", "Shrink", "LpNormalization", "BitwiseNot", "BiasAdd",
    ]
    static let broadcasting: Set<String> = [
        "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Mod", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor",
    ]
    static let comparisons: Set<String> = ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor"]

    static let rules: [String: ShapeRule] = {
        var table: [String: ShapeRule] = [:]
        for op in sameAsInput { table[op] = ElementwiseRules.sameAsInput }
        for op in broadcasting { table[op] = ElementwiseRules.broadcast }
        for op in comparisons { table[op] = ElementwiseRules.compare }
        for op in ["Not", "IsNaN", "IsInf"] { table[op] = ElementwiseRules.predicate }
        table["Where"] = ElementwiseRules.whereRule
        table["Cast"] = ElementwiseRules.cast
        table["CastLike"] = ElementwiseRules.castLike
        table["Dropout"] = ElementwiseRules.dropout
        table["BatchNormalization"] = NormalizationRules.batchNorm
        table["LayerNormalization"] = NormalizationRules.layerNorm
        table["SkipLayerNormalization"] = NormalizationRules.skipLayerNorm
        for op in ["Conv", "ConvInteger", "QLinearConv"] { table[op] = ConvRules.conv }
        table["ConvTranspose"] = ConvRules.convTranspose
        for op in ["MaxPool", "AveragePool", "LpPool"] { table[op] = PoolingRules.pool }
        for op in ["GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"] { table[op] = PoolingRules.globalPool }
        for op in ["MatMul", "MatMulInteger", "QLinearMatMul", "FusedMatMul"] { table[op] = MatMulRules.matmul }
        table["Gemm"] = MatMulRules.gemm
        table["MatMulNBits"] = MatMulRules.matmulNBits
        table["Einsum"] = EinsumRule.einsum
        table["Reshape"] = ReshapeRules.reshape
        table["Flatten"] = ReshapeRules.flatten
        table["Transpose"] = ReshapeRules.transpose
        table["Squeeze"] = ReshapeRules.squeeze
        table["Unsqueeze"] = ReshapeRules.unsqueeze
        table["Expand"] = ReshapeRules.expand
        table["Tile"] = ReshapeRules.tile
        table["DepthToSpace"] = ReshapeRules.depthToSpace
        table["SpaceToDepth"] = ReshapeRules.spaceToDepth
        table["Slice"] = SliceRules.slice
        table["Concat"] = ConcatSplitRules.concat
        table["Split"] = ConcatSplitRules.split
        table["Pad"] = ConcatSplitRules.pad
        table["Gather"] = GatherRules.gather
        table["GatherElements"] = GatherRules.gatherElements
        table["GatherND"] = GatherRules.gatherND
        table["Compress"] = GatherRules.compress
        table["NonZero"] = GatherRules.nonZero
        table["OneHot"] = GatherRules.oneHot
        table["TopK"] = GatherRules.topK
        for op in ["ArgMax", "ArgMin"] { table[op] = GatherRules.argReduce }
        table["Shape"] = ShapeValueRules.shape
        table["Size"] = ShapeValueRules.size
        table["Constant"] = ShapeValueRules.constant
        table["ConstantOfShape"] = ShapeValueRules.constantOfShape
        table["Range"] = ShapeValueRules.range
        table["EyeLike"] = ShapeValueRules.eyeLike
        for op in ["Resize", "Upsample"] { table[op] = ResizeRules.resize }
        for op in ReductionRules.ops { table[op] = ReductionRules.reduce }
        table["QuantizeLinear"] = QuantizationRules.quantize
        table["DequantizeLinear"] = QuantizationRules.dequantize
        table["DynamicQuantizeLinear"] = QuantizationRules.dynamicQuantize
        for op in ["LSTM", "GRU", "RNN"] { table[op] = RecurrentRules.recurrent }
        table["If"] = ControlFlowRules.ifRule
        table["Loop"] = ControlFlowRules.loop
        table["Scan"] = ControlFlowRules.scan
        return table
    }()
}
