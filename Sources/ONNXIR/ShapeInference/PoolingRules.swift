/// MaxPool (with its int64 Indices output), AveragePool, LpPool and the global pools. Windows
/// follow Conv's arithmetic (`ConvRules.Window`), with ceil_mode rounding up.
enum PoolingRules {
    static func pool(_ c: NodeContext) -> RuleResult {
        let type = c.elementType(0)
        guard let x = c.dims(0), x.count >= 3, let window = ConvRules.Window(c, spatial: x.count - 2, kernel: nil) else {
            return .tensor(type, nil)
        }
        let dims = [x[0], x[1]] + window.output(Array(x.dropFirst(2)))
        return RuleResult(types: [type.map { .tensor($0, TensorShape(dims)) }, .tensor(.int64, TensorShape(dims))])
    }

    static func globalPool(_ c: NodeContext) -> RuleResult {
        guard let x = c.dims(0), x.count >= 3 else { return .tensor(c.elementType(0), nil) }
        return .tensor(c.elementType(0), [x[0], x[1]] + Array(repeating: .value(1), count: x.count - 2))
    }
}
