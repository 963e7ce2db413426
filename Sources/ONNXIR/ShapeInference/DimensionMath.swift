/// Arithmetic on possibly symbolic dimensions.
enum DimensionMath {
    /// NumPy broadcasting: 1 vs d -> d; equal -> itself; known vs symbol -> known; else unknown.
    static func broadcast(_ shapes: [[Dimension]]) -> [Dimension]? {
        let rank = shapes.map(\.count).max() ?? 0
        var out = [Dimension](repeating: .value(1), count: rank)
        for s in shapes {
            let offset = rank - s.count
            for (i, d) in s.enumerated() {
                let j = i + offset
                out[j] = merge(out[j], d)
            }
        }
        return out
    }

    private static func merge(_ a: Dimension, _ b: Dimension) -> Dimension {
        switch (a, b) {
        case (.value(1), _): return b
        case (_, .value(1)): return a
        case (.value(let x), .value(let y)): return x == y ? a : .unknown
        case (.value, _): return a
        case (_, .value): return b
        case (.symbol(let x), .symbol(let y)): return x == y ? a : .unknown
        default: return .unknown
        }
    }

    static func product(_ dims: [Dimension]) -> Dimension {
        var total: Int64 = 1
        for d in dims {
            guard let v = d.value else { return dims.count == 1 ? d : .unknown }
            total *= v
        }
        return .value(total)
    }

    /// Output size of a sliding window along one axis (Conv, pooling).
    static func window(
        _ input: Dimension, kernel: Int64, stride: Int64, dilation: Int64, padBegin: Int64, padEnd: Int64, ceilMode: Bool = false
    ) -> Dimension {
        guard let n = input.value, stride > 0 else { return .unknown }
        let effective = dilation * (kernel - 1) + 1
        let span = n + padBegin + padEnd - effective
        guard span >= 0 else { return .unknown }
        return .value((ceilMode ? (span + stride - 1) / stride : span / stride) + 1)
    }

    /// Normalizes a possibly negative axis; nil when out of range.
    static func axis(_ a: Int64, rank: Int) -> Int? {
        let v = a < 0 ? Int(a) + rank : Int(a)
        return v >= 0 && v < rank ? v : nil
    }
}
