/// Slice: starts, ends, axes and steps as attributes before opset 10, as inputs from 10 on.
/// Negative starts/ends count from the end; out-of-range values clamp (to [0, n] for positive
/// steps, to [0, n-1] and [-1, n-1] for negative ones); the length is ceil((end - start) / step).
/// A 1-D tracked shape value is sliced too (`Shape(x)[2:]` in exports).
enum SliceRules {
    struct Arguments {
        var starts: [Dimension], ends: [Dimension], axes: [Int64], steps: [Int64]
    }

    static func slice(_ c: NodeContext) -> RuleResult {
        let type = c.elementType(0)
        guard let dims = c.dims(0) else { return .tensor(type, nil) }
        // Slicing never changes the rank, so unreadable arguments still leave the rank known.
        let unknownSizes = dims.map { _ in Dimension.unknown }
        guard let args = arguments(c), let axes = normalizedAxes(args.axes, rank: dims.count) else { return .tensor(type, unknownSizes) }
        var out = dims
        for (k, axis) in axes.enumerated() {
            out[axis] = length(of: dims[axis], start: args.starts[k], end: args.ends[k], step: args.steps[k])
        }
        var result = RuleResult.tensor(type, out)
        if dims.count == 1, axes == [0], let v = c.values(0), let picked = pick(v, args.starts[0], args.ends[0], args.steps[0]) {
            result.values = [picked]
        }
        return result
    }

    /// The arguments in one form; nil when any is missing, unreadable or of mismatched length.
    static func arguments(_ c: NodeContext) -> Arguments? {
        let starts: [Dimension], ends: [Dimension], axes: [Int64]?, steps: [Int64]?
        if c.opset < 10 {
            guard let s = c.ints("starts"), let e = c.ints("ends") else { return nil }
            (starts, ends, axes, steps) = (s.map { .value($0) }, e.map { .value($0) }, c.ints("axes"), nil)
        } else {
            guard let s = c.values(1), let e = c.values(2) else { return nil }
            (starts, ends) = (s, e)
            axes = c.hasInput(3) ? c.ints(3) : (0..<Int64(starts.count)).map { $0 }
            steps = c.hasInput(4) ? c.ints(4) : Array(repeating: 1, count: starts.count)
            guard axes != nil, steps != nil else { return nil }
        }
        let resolvedAxes = axes ?? (0..<Int64(starts.count)).map { $0 }
        let resolvedSteps = steps ?? Array(repeating: 1, count: starts.count)
        guard ends.count == starts.count, resolvedAxes.count == starts.count, resolvedSteps.count == starts.count,
            !resolvedSteps.contains(0)
        else { return nil }
        return Arguments(starts: starts, ends: ends, axes: resolvedAxes, steps: resolvedSteps)
    }

    static func normalizedAxes(_ axes: [Int64], rank: Int) -> [Int]? {
        let normalized = axes.compactMap { DimensionMath.axis($0, rank: rank) }
        return normalized.count == axes.count && Set(normalized).count == normalized.count ? normalized : nil
    }

    /// The sliced length of one axis; symbolic sizes survive the full range (`0:INT_MAX:1`) and
    /// a slice from 0 to a symbolic end (`x[:, :seq]`, end taken from another shape).
    static func length(of d: Dimension, start: Dimension, end: Dimension, step: Int64) -> Dimension {
        if let n = d.value, let s = start.value, let e = end.value { return .value(clampedRange(n: n, s, e, step).count) }
        guard start.value == 0, step == 1 else { return .unknown }
        switch end {
        case .symbol: return end
        case .value(let e) where e >= Int64(Int32.max): return d
        default: return .unknown
        }
    }

    /// Clamped start and element count of `start:end:step` over `n` elements (ONNX semantics).
    static func clampedRange(n: Int64, _ start: Int64, _ end: Int64, _ step: Int64) -> (start: Int64, count: Int64) {
        var s = start < 0 ? start + n : start
        var e = end < 0 ? end + n : end
        if step > 0 {
            s = min(max(s, 0), n)
            e = min(max(e, 0), n)
            return (s, e > s ? ceilDivide(e - s, step) : 0)
        }
        s = min(max(s, 0), n - 1)
        e = min(max(e, -1), n - 1)
        // -step overflows for Int64.min; any step that large takes one element.
        return (s, s > e ? ceilDivide(s - e, step == .min ? .max : -step) : 0)
    }

    /// ceil(a / b) for a >= 0, b > 0, without overflow.
    static func ceilDivide(_ a: Int64, _ b: Int64) -> Int64 { a / b + (a % b == 0 ? 0 : 1) }

    /// The elements a slice picks from a tracked 1-D value.
    static func pick(_ v: [Dimension], _ start: Dimension, _ end: Dimension, _ step: Int64) -> [Dimension]? {
        guard let s = start.value, let e = end.value else { return nil }
        let range = clampedRange(n: Int64(v.count), s, e, step)
        guard range.count <= Int64(v.count) else { return nil }
        return (0..<range.count).map { v[Int(range.start + $0 * step)] }
    }
}
