/// The shape rule of every op Whittle reasons about, keyed by op type; ops without a rule leave
/// their outputs unknown.
enum OpShapeRules {
    static func infer(_ c: NodeContext) -> RuleResult {
        let domain = c.node.normalizedDomain
        guard domain.isEmpty || domain == "com.microsoft" else { return .unknown }
        if let rule = rules[c.node.opType] { return rule(c) }
        return .unknown
    }

    static let sameAsInput: Set<String> = [
        "Relu", "LeakyRelu", "PRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Exp", "Log", "Sqrt", "Reciprocal", "Neg", "Abs",
        "Sign", "Floor", "Ceil", "Round", "Erf", "Gelu", "Elu", "Selu", "Celu", "Softplus", "Softsign", "Mish", "ThresholdedRelu", "Sin",
        "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Identity", "Clip", "Softmax", "LogSoftmax",
        "Hardmax", "LRN", "InstanceNormalization", "MeanVarianceNormalization", "GroupNormalization", "CumSum", "Trilu", "FastGelu",
        "QuickGelu", "BiasGelu", "ScatterND", "ScatterElements", "Scatter", "Shrink", "LpNormalization",
    ]
    static let broadcasting: Set<String> = ["Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Mod", "BitShift"]
    static let comparisons: Set<String> = ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor"]

    static let rules: [String: ShapeRule] = {
        var table: [String: ShapeRule] = [:]
        for op in sameAsInput { table[op] = { c in .tensor(c.elementType(0), c.dims(0)) } }
        for op in broadcasting { table[op] = ElementwiseRules.broadcast }
        for op in comparisons { table[op] = ElementwiseRules.compare }
        table["Where"] = ElementwiseRules.whereRule
        table["Not"] = { c in .tensor(.bool, c.dims(0)) }
        table["IsNaN"] = { c in .tensor(.bool, c.dims(0)) }
        table["IsInf"] = { c in .tensor(.bool, c.dims(0)) }
        table["Cast"] = { c in
            let to = c.int("to").map { DataType(rawValue: Int32($0)) }
            var result = RuleResult.tensor(to, c.dims(0))
            if let to, to.isInteger, let v = c.values(0) { result.values = [v] }
            return result
        }
        table["CastLike"] = { c in .tensor(c.elementType(1), c.dims(0)) }
        table["Dropout"] = { c in RuleResult(types: [c.type(0), .tensor(.bool, c.shape(0))]) }
        table["BatchNormalization"] = { c in RuleResult(types: [c.type(0)]) }
        table["LayerNormalization"] = NormalizationRules.layerNorm
        for op in ["Conv", "ConvInteger", "QLinearConv"] { table[op] = ConvRules.conv }
        table["ConvTranspose"] = ConvRules.convTranspose
        for op in ["MaxPool", "AveragePool", "LpPool"] { table[op] = ConvRules.pool }
        for op in ["GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"] { table[op] = ConvRules.globalPool }
        for op in ["MatMul", "MatMulInteger", "QLinearMatMul", "FusedMatMul"] { table[op] = MatMulRules.matmul }
        table["Gemm"] = MatMulRules.gemm
        table["MatMulNBits"] = MatMulRules.matmulNBits
        for (op, rule) in ShapeOpRules.all { table[op] = rule }
        for (op, rule) in ReductionRules.all { table[op] = rule }
        for (op, rule) in QuantizationRules.all { table[op] = rule }
        for (op, rule) in ControlFlowRules.all { table[op] = rule }
        return table
    }()
}

enum ElementwiseRules {
    static func broadcast(_ c: NodeContext) -> RuleResult {
        let shapes = (0..<c.inputCount).map { c.dims($0) }
        let type = c.elementType(0)
        guard shapes.allSatisfy({ $0 != nil }) else { return .tensor(type, nil) }
        var result = RuleResult.tensor(type, DimensionMath.broadcast(shapes.map { $0! }))
        // Arithmetic on tracked shape values with matching lengths (shape computations).
        if c.inputCount == 2, let a = c.values(0), let b = c.values(1) {
            let op = c.node.opType
            let n = max(a.count, b.count)
            if a.count == b.count || a.count == 1 || b.count == 1 {
                let values = (0..<n).map { i -> Dimension in
                    let x = a[a.count == 1 ? 0 : i], y = b[b.count == 1 ? 0 : i]
                    guard let u = x.value, let v = y.value else {
                        if op == "Mul", y.value == 1 { return x }
                        if op == "Mul", x.value == 1 { return y }
                        return .unknown
                    }
                    switch op {
                    case "Add": return .value(u + v)
                    case "Sub": return .value(u - v)
                    case "Mul": return .value(u * v)
                    case "Div": return v != 0 ? .value(u / v) : .unknown
                    case "Max": return .value(max(u, v))
                    case "Min": return .value(min(u, v))
                    default: return .unknown
                    }
                }
                result.values = [values]
            }
        }
        return result
    }

    static func compare(_ c: NodeContext) -> RuleResult {
        guard let a = c.dims(0), let b = c.dims(1) else { return .tensor(.bool, nil) }
        var result = RuleResult.tensor(.bool, DimensionMath.broadcast([a, b]))
        // Equal on tracked shape values (the "-1 means keep" idiom in exported Expand shapes).
        if c.node.opType == "Equal", let x = c.values(0), let y = c.values(1), x.count == y.count || y.count == 1 {
            result.values = [
                x.enumerated().map { i, d -> Dimension in
                    let e = y[y.count == 1 ? 0 : i]
                    if let u = d.value, let v = e.value { return .value(u == v ? 1 : 0) }
                    if case .symbol = d, let v = e.value, v < 0 { return .value(0) }
                    return .unknown
                }
            ]
        }
        return result
    }

    static func whereRule(_ c: NodeContext) -> RuleResult {
        let shapes = (0..<3).map { c.dims($0) }
        guard shapes.allSatisfy({ $0 != nil }) else { return .tensor(c.elementType(1), nil) }
        var result = RuleResult.tensor(c.elementType(1), DimensionMath.broadcast(shapes.map { $0! }))
        if let cond = c.values(0), let a = c.values(1), let b = c.values(2) {
            let n = max(cond.count, a.count, b.count)
            if [cond.count, a.count, b.count].allSatisfy({ $0 == n || $0 == 1 }) {
                result.values = [
                    (0..<n).map { i -> Dimension in
                        switch cond[cond.count == 1 ? 0 : i].value {
                        case 1?: return a[a.count == 1 ? 0 : i]
                        case 0?: return b[b.count == 1 ? 0 : i]
                        default: return .unknown
                        }
                    }
                ]
            }
        }
        return result
    }
}

enum NormalizationRules {
    static func layerNorm(_ c: NodeContext) -> RuleResult {
        guard let dims = c.dims(0), let type = c.elementType(0) else { return .unknown }
        let axis = DimensionMath.axis(c.int("axis") ?? -1, rank: dims.count) ?? dims.count - 1
        let reduced = dims.enumerated().map { $0.offset < axis ? $0.element : .value(1) }
        let stash = c.int("stash_type").map { DataType(rawValue: Int32($0)) } ?? .float
        return RuleResult(types: [
            .tensor(type, TensorShape(dims)), .tensor(stash, TensorShape(reduced)), .tensor(stash, TensorShape(reduced)),
        ])
    }
}

/// A shape rule: pure, so the tables of rules can be shared.
typealias ShapeRule = @Sendable (NodeContext) -> RuleResult
