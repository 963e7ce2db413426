/// Ops that make shapes and constants: Shape (whose dims become a tracked value), Size, Constant,
/// ConstantOfShape, Range and EyeLike.
enum ShapeValueRules {
    /// Shape(x, start, end): int64 [end - start]; its value is x's dims, symbols included.
    static func shape(_ c: NodeContext) -> RuleResult {
        guard let dims = c.dims(0) else { return .tensor(.int64, [.unknown]) }
        let n = Int64(dims.count)
        func clamp(_ v: Int64) -> Int { Int(min(max(v < 0 ? v + n : v, 0), n)) }
        let start = clamp(c.int("start") ?? 0), end = clamp(c.int("end") ?? n)
        let picked = start < end ? Array(dims[start..<end]) : []
        return RuleResult(types: [.tensor(.int64, TensorShape([Int64(picked.count)]))], values: [picked])
    }

    /// Size: an int64 scalar, the element count.
    static func size(_ c: NodeContext) -> RuleResult {
        RuleResult(types: [.tensor(.int64, .scalar)], values: [c.dims(0).map { [DimensionMath.product($0)] }])
    }

    /// Constant: from whichever value attribute it holds; small integer tensors are tracked.
    static func constant(_ c: NodeContext) -> RuleResult {
        let names = ["value", "value_float", "value_floats", "value_int", "value_ints", "value_string", "value_strings", "sparse_value"]
        guard let attribute = names.lazy.compactMap({ c.node.attribute($0) }).first ?? c.node.attributes.first else { return .unknown }
        switch attribute.value {
        case .tensor(let t):
            var result = RuleResult.tensor(t.dataType, t.dims.map { .value($0) })
            if t.dataType.isInteger, (t.elementCount ?? .max) <= 64, let v = try? t.int64Values() { result.values = [v.map { .value($0) }] }
            return result
        case .float: return .tensor(.float, [])
        case .floats(let f): return .tensor(.float, [.value(Int64(f.count))])
        case .int(let i): return RuleResult(types: [.tensor(.int64, .scalar)], values: [[.value(i)]])
        case .ints(let i): return RuleResult(types: [.tensor(.int64, TensorShape([Int64(i.count)]))], values: [i.map { .value($0) }])
        case .string: return .tensor(.string, [])
        case .strings(let s): return .tensor(.string, [.value(Int64(s.count))])
        case .sparseTensor(let s): return .tensor(s.values.dataType, s.dims.map { .value($0) })
        default: return .unknown
        }
    }

    /// ConstantOfShape(shape): the fill tensor's type (float by default), the given shape.
    static func constantOfShape(_ c: NodeContext) -> RuleResult {
        let fill = c.node.attribute("value")?.tensor
        let type = fill?.dataType ?? .float
        guard let target = c.values(0) else { return .tensor(type, DimensionMath.unknownDims(count: c.dims(0)?.first)) }
        var result = RuleResult.tensor(type, target)
        if target.count == 1, let n = target[0].value, n <= 64, let fill, fill.dataType.isInteger, let v = try? fill.int64Values().first {
            result.values = [Array(repeating: .value(v), count: Int(max(0, n)))]
        }
        return result
    }

    /// Range(start, limit, delta): max(0, ceil((limit - start) / delta)) elements; Range(0, n, 1)
    /// on a symbolic n has n.
    static func range(_ c: NodeContext) -> RuleResult {
        let type = c.elementType(0)
        if c.values(0)?.first?.value == 0, c.values(2)?.first?.value == 1, let limit = c.values(1)?.first, case .symbol = limit {
            return .tensor(type, [limit])
        }
        guard let start = c.floats(0)?.first, let limit = c.floats(1)?.first, let delta = c.floats(2)?.first, delta != 0 else {
            return .tensor(type, [.unknown])
        }
        let count = ((Double(limit) - Double(start)) / Double(delta)).rounded(.up)
        guard count.isFinite, count < 1e15 else { return .tensor(type, [.unknown]) }
        return .tensor(type, [.value(max(0, Int64(count)))])
    }

    /// EyeLike: the input's shape, `dtype` or the input's type.
    static func eyeLike(_ c: NodeContext) -> RuleResult { .tensor(c.dataType("dtype") ?? c.elementType(0), c.dims(0)) }
}
