/// One dimension of a tensor shape: a known size, a named symbol (`batch`), or unknown.
public enum Dimension: Hashable, Sendable, CustomStringConvertible {
    case value(Int64)
    case symbol(String)
    case unknown

    public var value: Int64? { if case .value(let v) = self { return v } else { return nil } }
    public var description: String {
        switch self {
        case .value(let v): return String(v)
        case .symbol(let s): return s
        case .unknown: return "?"
        }
    }
}

/// A dimension as stored in a `TensorShapeProto`: the dimension plus its optional denotation.
public struct ShapeDimension: Hashable, Sendable {
    public var dimension: Dimension
    public var denotation: String?
    public var extras: ProtoExtras
    public init(_ dimension: Dimension, denotation: String? = nil, extras: ProtoExtras = .init()) {
        self.dimension = dimension
        self.denotation = denotation
        self.extras = extras
    }
}

/// A tensor shape of known rank whose dimensions may be symbolic or unknown.
public struct TensorShape: Hashable, Sendable, CustomStringConvertible, ExpressibleByArrayLiteral {
    public var dims: [ShapeDimension]
    public var extras: ProtoExtras

    public init(_ dims: [Dimension], extras: ProtoExtras = .init()) {
        self.dims = dims.map { ShapeDimension($0) }
        self.extras = extras
    }
    public init(dimensions: [ShapeDimension], extras: ProtoExtras = .init()) {
        self.dims = dimensions
        self.extras = extras
    }
    public init(_ sizes: [Int64]) { self.init(sizes.map { .value($0) }) }
    public init(arrayLiteral elements: Dimension...) { self.init(elements) }

    /// The shape of a scalar (rank 0).
    public static let scalar = TensorShape(dimensions: [])

    public var rank: Int { dims.count }
    public var dimensions: [Dimension] { dims.map(\.dimension) }
    /// Every dimension as a number, or nil when any is symbolic or unknown.
    public var concreteSizes: [Int64]? {
        var sizes: [Int64] = []
        sizes.reserveCapacity(dims.count)
        for d in dims {
            guard let v = d.dimension.value else { return nil }
            sizes.append(v)
        }
        return sizes
    }
    /// Element count when every dimension is known and the product does not overflow.
    public var elementCount: Int64? { concreteSizes.flatMap(Self.elementCount(of:)) }

    public static func elementCount(of sizes: [Int64]) -> Int64? {
        var total: Int64 = 1
        for s in sizes {
            guard s >= 0 else { return nil }
            let (p, overflow) = total.multipliedReportingOverflow(by: s)
            if overflow { return nil }
            total = p
        }
        return total
    }

    public var description: String { "[" + dims.map(\.dimension.description).joined(separator: ",") + "]" }

    /// Shapes equal as dimensions (denotations and unknown proto fields ignored).
    public func sameDimensions(as other: TensorShape) -> Bool { dimensions == other.dimensions }
}
