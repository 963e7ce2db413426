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
            guard let p = times(total, v) else { return .unknown }
            total = p
        }
        return .value(total)
    }

    // Checked arithmetic: garbage attributes (Int64.max pads, huge strides) must give unknown
    // dims, never an overflow trap.
    static func times(_ a: Int64, _ b: Int64) -> Int64? {
        let (r, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? nil : r
    }
    static func plus(_ a: Int64, _ b: Int64) -> Int64? {
        let (r, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : r
    }
    static func sum(_ terms: Int64...) -> Int64? { sum(terms) }
    static func sum(_ terms: [Int64]) -> Int64? {
        var total: Int64 = 0
        for t in terms {
            guard let s = plus(total, t) else { return nil }
            total = s
        }
        return total
    }
    /// A dimension from checked arithmetic: unknown when it overflowed or came out negative.
    static func size(_ v: Int64?) -> Dimension { v.map { $0 >= 0 ? .value($0) : .unknown } ?? .unknown }

    /// Output size of a sliding window along one axis (Conv, pooling).
    static func window(
        _ input: Dimension, kernel: Int64, stride: Int64, dilation: Int64, padBegin: Int64, padEnd: Int64, ceilMode: Bool = false
    ) -> Dimension {
        guard let n = input.value, stride > 0, dilation > 0, kernel > 0,
            let effective = times(dilation, kernel - 1).flatMap({ plus($0, 1) }),
            let span = sum(n, padBegin, padEnd, -effective), span >= 0
        else { return .unknown }
        let steps = ceilMode ? span / stride + (span % stride == 0 ? 0 : 1) : span / stride
        return .value(steps + 1)
    }

    /// Every dimension as a number, or nil when any is symbolic or unknown.
    static func concrete(_ dims: [Dimension]) -> [Int64]? {
        var sizes: [Int64] = []
        for d in dims {
            guard let v = d.value else { return nil }
            sizes.append(v)
        }
        return sizes
    }

    /// `count` unknown dims, for an output whose rank is known but not its sizes; nil for an
    /// unknown or implausible count (no tensor has more than `maximumRank` axes).
    static func unknownDims(count: Dimension?) -> [Dimension]? {
        guard let n = count?.value, n >= 0, n <= maximumRank else { return nil }
        return Array(repeating: .unknown, count: Int(n))
    }
    static let maximumRank: Int64 = 64

    /// Normalizes a possibly negative axis; nil when out of range.
    static func axis(_ a: Int64, rank: Int) -> Int? {
        let v = a < 0 ? Int(a) + rank : Int(a)
        return v >= 0 && v < rank ? v : nil
    }
}
