/// Elementwise ops: NumPy broadcasting over symbolic dims (`DimensionMath.broadcast`), bool
/// results for comparisons and logic, and the arithmetic exporters do on tracked shape values
/// (`Shape(x)[0] * Shape(x)[1]`, `Where(Equal(shape, -1), ...)`).
enum ElementwiseRules {
    /// Add, Sub, Mul, Div, Pow, Mod, BitShift, Max, Min, Sum, Mean: type of the first input.
    static func broadcast(_ c: NodeContext) -> RuleResult {
        let shapes = (0..<c.inputCount).map { c.dims($0) }
        let type = c.elementType(0)
        guard !shapes.isEmpty, shapes.allSatisfy({ $0 != nil }) else { return .tensor(type, nil) }
        var result = RuleResult.tensor(type, DimensionMath.broadcast(shapes.map { $0! }))
        if c.inputCount == 2, let a = c.values(0), let b = c.values(1), let values = arithmetic(c.node.opType, a, b) {
            result.values = [values]
        }
        return result
    }

    /// Elementwise arithmetic on two tracked shape values of equal length (or one of length 1).
    static func arithmetic(_ op: String, _ a: [Dimension], _ b: [Dimension]) -> [Dimension]? {
        guard !a.isEmpty, !b.isEmpty, a.count == b.count || a.count == 1 || b.count == 1 else { return nil }
        return (0..<max(a.count, b.count)).map { i -> Dimension in
            let x = a[a.count == 1 ? 0 : i], y = b[b.count == 1 ? 0 : i]
            guard let u = x.value, let v = y.value else {
                // Identities keep a symbol: n * 1, 1 * n, n + 0, n - 0, n / 1.
                switch (op, x.value, y.value) {
                case ("Mul", _, 1?), ("Add", _, 0?), ("Sub", _, 0?), ("Div", _, 1?): return x
                case ("Mul", 1?, _), ("Add", 0?, _): return y
                default: return .unknown
                }
            }
            switch op {
            case "Add": return DimensionMath.plus(u, v).map { .value($0) } ?? .unknown
            case "Sub": return DimensionMath.plus(u, -v).map { .value($0) } ?? .unknown
            case "Mul": return DimensionMath.times(u, v).map { .value($0) } ?? .unknown
            // Integer Div truncates toward zero in ONNX as in Swift; Int64.min / -1 overflows.
            case "Div": return v != 0 && !(u == .min && v == -1) ? .value(u / v) : .unknown
            case "Max": return .value(max(u, v))
            case "Min": return .value(min(u, v))
            default: return .unknown
            }
        }
    }

    /// Equal, Less, Greater, LessOrEqual, GreaterOrEqual, And, Or, Xor: bool, broadcast.
    static func compare(_ c: NodeContext) -> RuleResult {
        guard let a = c.dims(0), let b = c.dims(1) else { return .tensor(.bool, nil) }
        var result = RuleResult.tensor(.bool, DimensionMath.broadcast([a, b]))
        // Equal on tracked shape values (the "-1 means keep" idiom in exported Expand shapes).
        if c.node.opType == "Equal", let x = c.values(0), let y = c.values(1), !y.isEmpty, x.count == y.count || y.count == 1 {
            result.values = [
                x.enumerated().map { i, d -> Dimension in
                    let e = y[y.count == 1 ? 0 : i]
                    if let u = d.value, let v = e.value { return .value(u == v ? 1 : 0) }
                    // A symbolic size is never negative.
                    if case .symbol = d, let v = e.value, v < 0 { return .value(0) }
                    return .unknown
                }
            ]
        }
        return result
    }

    /// Where(condition, X, Y): type of X, all three broadcast.
    static func whereRule(_ c: NodeContext) -> RuleResult {
        let shapes = (0..<3).map { c.dims($0) }
        guard shapes.allSatisfy({ $0 != nil }) else { return .tensor(c.elementType(1), nil) }
        var result = RuleResult.tensor(c.elementType(1), DimensionMath.broadcast(shapes.map { $0! }))
        if let cond = c.values(0), let a = c.values(1), let b = c.values(2), !cond.isEmpty, !a.isEmpty, !b.isEmpty {
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

    /// Output like input 0 (activations, Identity, Softmax, ...).
    static func sameAsInput(_ c: NodeContext) -> RuleResult {
        var result = RuleResult.tensor(c.elementType(0), c.dims(0))
        if c.node.opType == "Identity", let v = c.values(0) { result.values = [v] }
        return result
    }

    /// IsNaN, IsInf, Not: bool of the input's shape.
    static func predicate(_ c: NodeContext) -> RuleResult { .tensor(.bool, c.dims(0)) }

    /// Cast to `to`; integer shape values survive the cast (exporters cast shapes to int64).
    static func cast(_ c: NodeContext) -> RuleResult {
        let to = c.dataType("to")
        var result = RuleResult.tensor(to, c.dims(0))
        if let to, to.isInteger, let v = c.values(0) { result.values = [v] }
        return result
    }

    /// CastLike(x, like): the type of `like`, the shape of `x`.
    static func castLike(_ c: NodeContext) -> RuleResult { .tensor(c.elementType(1), c.dims(0)) }

    /// Dropout: output like input and a bool mask of the same shape.
    static func dropout(_ c: NodeContext) -> RuleResult {
        RuleResult(types: [c.type(0).flatMap { $0.isTensor ? $0 : nil }, .tensor(.bool, c.shape(0))])
    }
}
