/// The type of a value (`TypeProto`): a tensor with element type and optional shape, or one of
/// ONNX's container types.
public indirect enum TypeKind: Hashable, Sendable {
    case tensor(elementType: DataType, shape: TensorShape?)
    case sparseTensor(elementType: DataType, shape: TensorShape?)
    case sequence(ValueType?)
    case map(key: DataType, value: ValueType?)
    case optional(ValueType?)
    /// A `TypeProto` with no value set (or one only a newer ONNX understands: see `extras`).
    case unset
}

public struct ValueType: Hashable, Sendable, CustomStringConvertible {
    public var kind: TypeKind
    public var denotation: String?
    /// Extras of the `TypeProto` itself.
    public var extras: ProtoExtras
    /// Extras of the inner message (`TypeProto.Tensor`, `.Sequence`, ...).
    public var innerExtras: ProtoExtras

    public init(
        _ kind: TypeKind, denotation: String? = nil, extras: ProtoExtras = .init(),
        innerExtras: ProtoExtras = .init()
    ) {
        self.kind = kind
        self.denotation = denotation
        self.extras = extras
        self.innerExtras = innerExtras
    }

    public static func tensor(_ elementType: DataType, _ shape: TensorShape?) -> ValueType {
        ValueType(.tensor(elementType: elementType, shape: shape))
    }

    /// Element type when this is a dense tensor type.
    public var elementType: DataType? {
        if case .tensor(let t, _) = kind { return t }
        return nil
    }
    /// Shape when this is a dense tensor type with a known rank.
    public var shape: TensorShape? {
        if case .tensor(_, let s) = kind { return s }
        return nil
    }
    public var isTensor: Bool { if case .tensor = kind { return true } else { return false } }

    public var description: String {
        switch kind {
        case .tensor(let t, let s): return "\(t.name)\(s.map(\.description) ?? "[?]")"
        case .sparseTensor(let t, let s): return "sparse \(t.name)\(s.map(\.description) ?? "[?]")"
        case .sequence(let e): return "seq(\(e.map(\.description) ?? "?"))"
        case .map(let k, let v): return "map(\(k.name),\(v.map(\.description) ?? "?"))"
        case .optional(let e): return "optional(\(e.map(\.description) ?? "?"))"
        case .unset: return "?"
        }
    }

    /// Merges a declared type with an inferred one, preferring known facts from either side
    /// (an inferred `4` fills a declared `?`; a declared symbol stays when inference knows nothing).
    public func refined(by other: ValueType?) -> ValueType {
        guard let other else { return self }
        switch (kind, other.kind) {
        case (.tensor(let a, let sa), .tensor(let b, let sb)):
            let element = a == .undefined ? b : a
            var shape = sa ?? sb
            if let s1 = sa, let s2 = sb, s1.rank == s2.rank {
                var dims = s1.dims
                for i in dims.indices {
                    let inferred = s2.dims[i].dimension
                    switch dims[i].dimension {
                    case .unknown: dims[i].dimension = inferred
                    case .symbol where inferred.value != nil: dims[i].dimension = inferred
                    default: break
                    }
                }
                shape = TensorShape(dimensions: dims, extras: s1.extras)
            }
            var merged = self
            merged.kind = .tensor(elementType: element, shape: shape)
            return merged
        case (.unset, _): return other
        default: return self
        }
    }
}
