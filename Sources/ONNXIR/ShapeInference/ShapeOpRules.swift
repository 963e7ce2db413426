/// Data-movement and shape-computation ops. Where outputs are small int64 tensors derived from
/// shapes, their values are tracked too.
enum ShapeOpRules {
    static let all: [(String, ShapeRule)] = [
        ("Reshape", reshape), ("Flatten", flatten), ("Transpose", transpose), ("Squeeze", squeeze), ("Unsqueeze", unsqueeze),
        ("Concat", concat), ("Split", split), ("Slice", slice), ("Gather", gather),
        ("GatherElements", { c in .tensor(c.elementType(0), c.dims(1)) }),
        ("GatherND", gatherND), ("Shape", shape),
        ("Size", { c in RuleResult(types: [.tensor(.int64, .scalar)], values: [c.dims(0).map { [DimensionMath.product($0)] }]) }),
        ("Expand", expand), ("Tile", tile), ("ConstantOfShape", constantOfShape), ("Constant", constant), ("Range", range), ("Pad", pad),
        ("Resize", resize), ("Upsample", resize), ("ArgMax", argReduce), ("ArgMin", argReduce), ("TopK", topK),
        ("NonZero", { c in .tensor(.int64, c.dims(0).map { [.value(Int64($0.count)), .unknown] }) }),
        ("OneHot", oneHot), ("DepthToSpace", depthToSpace), ("SpaceToDepth", spaceToDepth),
        ("EyeLike", { c in .tensor(c.int("dtype").map { DataType(rawValue: Int32($0)) } ?? c.elementType(0), c.dims(0)) }),
        (
            "Compress",
            { c in
                .tensor(
                    c.elementType(0),
                    c.int("axis") == nil
                        ? [.unknown]
                        : c.dims(0).map { d in d.enumerated().map { $0.offset == Int(c.int("axis") ?? 0) ? .unknown : $0.element } })
            }
        ),
    ]

    static func reshape(_ c: NodeContext) -> RuleResult {
        guard let target = c.values(1) else { return .tensor(c.elementType(0), nil) }
        let input = c.dims(0)
        let allowZero = c.int("allowzero") == 1
        var out = target.enumerated().map { i, d -> Dimension in
            if d.value == 0 && !allowZero { return input.flatMap { i < $0.count ? $0[i] : nil } ?? .unknown }
            return d
        }
        if let minus = out.firstIndex(where: { $0.value == -1 }) {
            out[minus] = .unknown
            if let input, let total = DimensionMath.product(input).value {
                let others = out.enumerated().filter { $0.offset != minus }.map(\.element)
                if let known = DimensionMath.product(others).value, known > 0 { out[minus] = .value(total / known) }
            } else if let input {
                // Symbolic: cancel equal factors on both sides; the -1 dim is what input is left over.
                var remaining = input
                var unmatched: [Dimension] = []
                for d in out.enumerated().filter({ $0.offset != minus }).map(\.element) {
                    if let j = remaining.firstIndex(of: d) { remaining.remove(at: j) } else { unmatched.append(d) }
                }
                let symbolic = remaining.filter { $0.value == nil }
                let known = DimensionMath.product(remaining.filter { $0.value != nil }).value ?? 1
                if let q = DimensionMath.product(unmatched).value, q > 0 {
                    if symbolic.isEmpty, known % q == 0 {
                        out[minus] = .value(known / q)
                    } else if symbolic.count == 1, known == q, case .symbol = symbolic[0] {
                        out[minus] = symbolic[0]
                    }
                } else if unmatched.isEmpty && remaining.count == 1 {
                    out[minus] = remaining[0]
                }
            }
        }
        var result = RuleResult.tensor(c.elementType(0), out)
        if let v = c.values(0), out.count <= 1 { result.values = [v] }
        return result
    }

    static func flatten(_ c: NodeContext) -> RuleResult {
        guard let dims = c.dims(0) else { return .tensor(c.elementType(0), nil) }
        let a = Int(c.int("axis") ?? 1)
        let axis = a < 0 ? a + dims.count : a
        guard axis >= 0 && axis <= dims.count else { return .tensor(c.elementType(0), nil) }
        return .tensor(c.elementType(0), [DimensionMath.product(Array(dims[..<axis])), DimensionMath.product(Array(dims[axis...]))])
    }

    static func transpose(_ c: NodeContext) -> RuleResult {
        guard let dims = c.dims(0) else { return .tensor(c.elementType(0), nil) }
        let perm = c.ints("perm")?.map { Int($0) } ?? Array((0..<dims.count).reversed())
        guard perm.count == dims.count, perm.allSatisfy({ $0 >= 0 && $0 < dims.count }) else { return .tensor(c.elementType(0), nil) }
        return .tensor(c.elementType(0), perm.map { dims[$0] })
    }

    static func axes(_ c: NodeContext, sinceInput opset: Int) -> [Int64]? {
        c.opset >= opset ? (c.hasInput(1) ? c.ints(1) : nil) : c.ints("axes")
    }

    static func squeeze(_ c: NodeContext) -> RuleResult {
        guard let dims = c.dims(0) else { return .tensor(c.elementType(0), nil) }
        let given = axes(c, sinceInput: 13)
        if c.opset >= 13 && c.hasInput(1) && given == nil { return .tensor(c.elementType(0), nil) }
        let drop: Set<Int>
        if let given {
            let normalized = given.compactMap { DimensionMath.axis($0, rank: dims.count) }
            guard normalized.count == given.count else { return .tensor(c.elementType(0), nil) }
            drop = Set(normalized)
        } else {
            guard !dims.contains(where: { $0.value == nil }) else { return .tensor(c.elementType(0), nil) }
            drop = Set(dims.indices.filter { dims[$0].value == 1 })
        }
        let out = dims.enumerated().filter { !drop.contains($0.offset) }.map(\.element)
        var result = RuleResult.tensor(c.elementType(0), out)
        if let v = c.values(0), v.count == 1, out.isEmpty { result.values = [v] }
        return result
    }

    static func unsqueeze(_ c: NodeContext) -> RuleResult {
        guard let dims = c.dims(0), let given = axes(c, sinceInput: 13) else { return .tensor(c.elementType(0), nil) }
        let rank = dims.count + given.count
        let positions = Set(given.compactMap { DimensionMath.axis($0, rank: rank) })
        guard positions.count == given.count else { return .tensor(c.elementType(0), nil) }
        var out: [Dimension] = []
        var source = dims.makeIterator()
        for i in 0..<rank { out.append(positions.contains(i) ? .value(1) : (source.next() ?? .unknown)) }
        var result = RuleResult.tensor(c.elementType(0), out)
        if let v = c.values(0), dims.count <= 1 { result.values = [v] }
        return result
    }

    static func concat(_ c: NodeContext) -> RuleResult {
        let inputs = (0..<c.inputCount).compactMap { c.dims($0) }
        guard inputs.count == c.inputCount, let first = inputs.first, let a = c.int("axis"),
            let axis = DimensionMath.axis(a, rank: first.count)
        else {
            return .tensor(c.elementType(0), nil)
        }
        var out = first
        var sizes: [Dimension] = []
        for s in inputs {
            guard s.count == first.count else { return .tensor(c.elementType(0), nil) }
            sizes.append(s[axis])
            for i in 0..<s.count where i != axis && out[i].value == nil && s[i].value != nil { out[i] = s[i] }
        }
        out[axis] = sizes.allSatisfy { $0.value != nil } ? .value(sizes.reduce(0) { $0 + $1.value! }) : .unknown
        var result = RuleResult.tensor(c.elementType(0), out)
        if first.count == 1 {
            let values = (0..<c.inputCount).map { c.values($0) }
            if values.allSatisfy({ $0 != nil }) { result.values = [values.flatMap { $0! }] }
        }
        return result
    }

    static func split(_ c: NodeContext) -> RuleResult {
        guard let dims = c.dims(0), let axis = DimensionMath.axis(c.int("axis") ?? 0, rank: dims.count) else { return .unknown }
        let outputs = c.node.outputs.count
        var sizes: [Int64]? = c.opset >= 13 ? (c.hasInput(1) ? c.ints(1) : nil) : c.ints("split")
        if sizes == nil, let n = dims[axis].value {
            let parts = Int64(c.int("num_outputs") ?? Int64(outputs))
            guard parts > 0 else { return .unknown }
            let chunk = (n + parts - 1) / parts
            sizes = (0..<parts).map { min(chunk, max(0, n - $0 * chunk)) }
        }
        let types = (0..<outputs).map { i -> ValueType? in
            var out = dims
            out[axis] = sizes.flatMap { i < $0.count ? .value($0[i]) : nil } ?? .unknown
            return c.elementType(0).map { .tensor($0, TensorShape(out)) }
        }
        return RuleResult(types: types)
    }

    static func slice(_ c: NodeContext) -> RuleResult {
        guard let dims = c.dims(0) else { return .tensor(c.elementType(0), nil) }
        let starts: [Int64]?, ends: [Int64]?, axesList: [Int64]?, steps: [Int64]?
        if c.opset < 10 {
            (starts, ends, axesList, steps) = (c.ints("starts"), c.ints("ends"), c.ints("axes"), nil)
        } else {
            (starts, ends) = (c.ints(1), c.ints(2))
            axesList = c.hasInput(3) ? c.ints(3) : nil
            steps = c.hasInput(4) ? c.ints(4) : nil
            if (c.hasInput(3) && axesList == nil) || (c.hasInput(4) && steps == nil) {
                return .tensor(c.elementType(0), dims.map { _ in .unknown })
            }
        }
        guard let starts, let ends, starts.count == ends.count else {
            return symbolicSlice(c, dims) ?? .tensor(c.elementType(0), dims.map { _ in .unknown })
        }
        let axes = axesList ?? (0..<Int64(starts.count)).map { $0 }
        var out = dims
        for (k, a) in axes.enumerated() {
            guard let axis = DimensionMath.axis(a, rank: dims.count) else { return .tensor(c.elementType(0), nil) }
            let step = steps.map { k < $0.count ? $0[k] : 1 } ?? 1
            guard step != 0, let n = dims[axis].value else {
                out[axis] = .unknown
                continue
            }
            func clamp(_ v: Int64, _ low: Int64, _ high: Int64) -> Int64 { min(max(v, low), high) }
            var s = starts[k] < 0 ? starts[k] + n : starts[k]
            var e = ends[k] < 0 ? ends[k] + n : ends[k]
            if step > 0 {
                s = clamp(s, 0, n)
                e = clamp(e, 0, n)
                out[axis] = .value(max(0, (e - s + step - 1) / step))
            } else {
                s = clamp(s, -1, n - 1)
                e = clamp(e, -1, n - 1)
                out[axis] = .value(max(0, (s - e + (-step) - 1) / (-step)))
            }
        }
        var result = RuleResult.tensor(c.elementType(0), out)
        if dims.count == 1, let v = c.values(0), let count = out[0].value, axes == [0] || axes == [-1] {
            let step = Int(steps?.first ?? 1)
            let n = Int64(v.count)
            var s = starts[0] < 0 ? starts[0] + n : starts[0]
            s = min(max(s, 0), max(n - 1, 0))
            if step == 1, Int(s) + Int(count) <= v.count { result.values = [Array(v[Int(s)..<(Int(s) + Int(count))])] }
        }
        return result
    }

    /// Slice from 0 with unit steps to a symbolic end (`x[:, :seq]` in exports): the sliced dim
    /// becomes that symbol.
    static func symbolicSlice(_ c: NodeContext, _ dims: [Dimension]) -> RuleResult? {
        guard c.opset >= 10, let starts = c.ints(1), let ends = c.values(2), starts.count == ends.count, starts.allSatisfy({ $0 == 0 })
        else { return nil }
        if c.hasInput(4) { guard let steps = c.ints(4), steps.allSatisfy({ $0 == 1 }) else { return nil } }
        let axes = c.hasInput(3) ? c.ints(3) : (0..<Int64(starts.count)).map { $0 }
        guard let axes, axes.count == ends.count else { return nil }
        var out = dims
        for (k, a) in axes.enumerated() {
            guard let axis = DimensionMath.axis(a, rank: dims.count) else { return nil }
            switch ends[k] {
            case .symbol: out[axis] = ends[k]
            case .value(let e):
                if let n = dims[axis].value {
                    out[axis] = .value(min(max(e < 0 ? e + n : e, 0), n))
                } else {
                    out[axis] = e >= Int64(Int32.max) ? dims[axis] : .unknown
                }
            case .unknown: out[axis] = .unknown
            }
        }
        return .tensor(c.elementType(0), out)
    }

    static func gather(_ c: NodeContext) -> RuleResult {
        guard let data = c.dims(0), let indices = c.dims(1), let axis = DimensionMath.axis(c.int("axis") ?? 0, rank: data.count) else {
            return .tensor(c.elementType(0), nil)
        }
        var result = RuleResult.tensor(c.elementType(0), Array(data[..<axis]) + indices + Array(data[(axis + 1)...]))
        if data.count == 1, let v = c.values(0), let idx = c.ints(1) {
            let picked = idx.map { i -> Dimension in
                let j = Int(i < 0 ? i + Int64(v.count) : i)
                return j >= 0 && j < v.count ? v[j] : .unknown
            }
            result.values = [picked]
        }
        return result
    }

    static func gatherND(_ c: NodeContext) -> RuleResult {
        guard let data = c.dims(0), let indices = c.dims(1), let last = indices.last?.value else { return .tensor(c.elementType(0), nil) }
        let batch = Int(c.int("batch_dims") ?? 0)
        guard batch + Int(last) <= data.count else { return .tensor(c.elementType(0), nil) }
        return .tensor(c.elementType(0), Array(indices.dropLast()) + Array(data[(batch + Int(last))...]))
    }

    static func shape(_ c: NodeContext) -> RuleResult {
        guard let dims = c.dims(0) else { return .tensor(.int64, [.unknown]) }
        let n = Int64(dims.count)
        func clamp(_ v: Int64) -> Int { Int(min(max(v < 0 ? v + n : v, 0), n)) }
        let start = clamp(c.int("start") ?? 0), end = clamp(c.int("end") ?? n)
        let picked = start < end ? Array(dims[start..<end]) : []
        return RuleResult(types: [.tensor(.int64, TensorShape([Int64(picked.count)]))], values: [picked])
    }

    static func expand(_ c: NodeContext) -> RuleResult {
        guard let dims = c.dims(0), let target = c.values(1) else { return .tensor(c.elementType(0), nil) }
        return .tensor(c.elementType(0), DimensionMath.broadcast([dims, target]))
    }

    static func tile(_ c: NodeContext) -> RuleResult {
        guard let dims = c.dims(0), let repeats = c.ints(1), repeats.count == dims.count else { return .tensor(c.elementType(0), nil) }
        return .tensor(c.elementType(0), zip(dims, repeats).map { d, r in d.value.map { .value($0 * r) } ?? (r == 1 ? d : .unknown) })
    }

    static func constantOfShape(_ c: NodeContext) -> RuleResult {
        let fill = c.node.attribute("value")?.tensor
        let type = fill?.dataType ?? .float
        guard let target = c.values(0) else { return .tensor(type, nil) }
        var result = RuleResult.tensor(type, target)
        if target.count == 1, let n = target[0].value, n <= 64, let f = fill, f.dataType.isInteger, let v = try? f.int64Values().first {
            result.values = [Array(repeating: .value(v), count: Int(n))]
        }
        return result
    }

    static func constant(_ c: NodeContext) -> RuleResult {
        guard let a = c.node.attributes.first else { return .unknown }
        switch a.value {
        case .tensor(let t):
            var r = RuleResult.tensor(t.dataType, t.dims.map { .value($0) })
            if t.dataType.isInteger, (t.elementCount ?? 0) <= 64, let v = try? t.int64Values() { r.values = [v.map { .value($0) }] }
            return r
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

    static func range(_ c: NodeContext) -> RuleResult {
        // range(0, n, 1) with a symbolic n has n elements.
        if let start = c.values(0)?.first?.value, start == 0, let delta = c.values(2)?.first?.value, delta == 1,
            let limit = c.values(1)?.first, case .symbol = limit
        {
            return .tensor(c.elementType(0), [limit])
        }
        guard let start = c.floats(0)?.first, let limit = c.floats(1)?.first, let delta = c.floats(2)?.first, delta != 0 else {
            return .tensor(c.elementType(0), [.unknown])
        }
        return .tensor(c.elementType(0), [.value(max(0, Int64(((limit - start) / delta).rounded(.up))))])
    }

    static func pad(_ c: NodeContext) -> RuleResult {
        guard let dims = c.dims(0) else { return .tensor(c.elementType(0), nil) }
        guard let pads = c.opset < 11 ? (c.ints("pads") ?? c.ints("paddings")) : c.ints(1) else {
            return .tensor(c.elementType(0), dims.map { _ in .unknown })
        }
        let axes =
            (c.opset >= 18 && c.hasInput(3) ? c.ints(3) : nil)?.compactMap { DimensionMath.axis($0, rank: dims.count) }
            ?? Array(dims.indices)
        guard pads.count == 2 * axes.count else { return .tensor(c.elementType(0), nil) }
        var out = dims
        for (k, axis) in axes.enumerated() {
            out[axis] = dims[axis].value.map { .value($0 + pads[k] + pads[k + axes.count]) } ?? .unknown
        }
        return .tensor(c.elementType(0), out)
    }

    static func resize(_ c: NodeContext) -> RuleResult {
        guard let dims = c.dims(0) else { return .tensor(c.elementType(0), nil) }
        if c.node.opType == "Upsample" || c.opset < 11 {
            guard let scales = c.opset >= 9 ? c.floats(1) : c.node.attribute("scales")?.floats, scales.count == dims.count else {
                return .tensor(c.elementType(0), dims.map { _ in .unknown })
            }
            return .tensor(
                c.elementType(0),
                zip(dims, scales).map { d, s in d.value.map { .value(Int64((Float($0) * s).rounded(.down))) } ?? (s == 1 ? d : .unknown) })
        }
        let axes = c.ints("axes")?.compactMap { DimensionMath.axis($0, rank: dims.count) } ?? Array(dims.indices)
        if c.hasInput(3), let sizes = c.ints(3), sizes.count == axes.count {
            var out = dims
            for (k, a) in axes.enumerated() { out[a] = .value(sizes[k]) }
            return .tensor(c.elementType(0), out)
        }
        if c.hasInput(2), let scales = c.floats(2), scales.count == axes.count {
            var out = dims
            for (k, a) in axes.enumerated() {
                out[a] =
                    dims[a].value.map { .value(Int64((Float($0) * scales[k]).rounded(.down))) } ?? (scales[k] == 1 ? dims[a] : .unknown)
            }
            return .tensor(c.elementType(0), out)
        }
        return .tensor(c.elementType(0), dims.map { _ in .unknown })
    }

    static func argReduce(_ c: NodeContext) -> RuleResult {
        guard let dims = c.dims(0), let axis = DimensionMath.axis(c.int("axis") ?? 0, rank: dims.count) else { return .tensor(.int64, nil) }
        var out = dims
        if c.int("keepdims") ?? 1 == 1 { out[axis] = .value(1) } else { out.remove(at: axis) }
        return .tensor(.int64, out)
    }

    static func topK(_ c: NodeContext) -> RuleResult {
        guard let dims = c.dims(0), let axis = DimensionMath.axis(c.int("axis") ?? -1, rank: dims.count) else { return .unknown }
        var out = dims
        out[axis] = (c.opset >= 10 ? c.ints(1)?.first : c.int("k")).map { .value($0) } ?? .unknown
        return RuleResult(types: [c.elementType(0).map { .tensor($0, TensorShape(out)) }, .tensor(.int64, TensorShape(out))])
    }

    static func oneHot(_ c: NodeContext) -> RuleResult {
        guard let dims = c.dims(0) else { return .tensor(c.elementType(2), nil) }
        let rank = dims.count + 1
        let axis = DimensionMath.axis(c.int("axis") ?? -1, rank: rank) ?? dims.count
        var out = dims
        out.insert(c.ints(1)?.first.map { .value($0) } ?? .unknown, at: axis)
        return .tensor(c.elementType(2), out)
    }

    static func depthToSpace(_ c: NodeContext) -> RuleResult {
        guard let d = c.dims(0), d.count == 4, let b = c.int("blocksize") else { return .tensor(c.elementType(0), nil) }
        return .tensor(
            c.elementType(0),
            [
                d[0], d[1].value.map { .value($0 / (b * b)) } ?? .unknown, d[2].value.map { .value($0 * b) } ?? .unknown,
                d[3].value.map { .value($0 * b) } ?? .unknown,
            ])
    }

    static func spaceToDepth(_ c: NodeContext) -> RuleResult {
        guard let d = c.dims(0), d.count == 4, let b = c.int("blocksize") else { return .tensor(c.elementType(0), nil) }
        return .tensor(
            c.elementType(0),
            [
                d[0], d[1].value.map { .value($0 * b * b) } ?? .unknown, d[2].value.map { .value($0 / b) } ?? .unknown,
                d[3].value.map { .value($0 / b) } ?? .unknown,
            ])
    }
}
