/// The value of a node attribute, typed as in `AttributeProto`.
public enum AttributeValue {
    case float(Float)
    case int(Int64)
    case string([UInt8])
    case tensor(Tensor)
    case graph(Graph)
    case sparseTensor(SparseTensor)
    case type(ValueType)
    case floats([Float])
    case ints([Int64])
    case strings([[UInt8]])
    case tensors([Tensor])
    case graphs([Graph])
    case sparseTensors([SparseTensor])
    case types([ValueType])
    /// A reference to an attribute of the enclosing function (`ref_attr_name`) with no value.
    case undefined

    /// `AttributeProto.AttributeType` number of this value.
    public var typeCode: Int32 {
        switch self {
        case .float: 1
        case .int: 2
        case .string: 3
        case .tensor: 4
        case .graph: 5
        case .floats: 6
        case .ints: 7
        case .strings: 8
        case .tensors: 9
        case .graphs: 10
        case .sparseTensor: 11
        case .sparseTensors: 12
        case .type: 13
        case .types: 14
        case .undefined: 0
        }
    }

    /// Subgraphs held by this value.
    public var subgraphs: [Graph] {
        switch self {
        case .graph(let g): [g]
        case .graphs(let gs): gs
        default: []
        }
    }
}

/// A node attribute (`AttributeProto`).
public struct Attribute {
    public var name: String
    public var value: AttributeValue
    public var docString: String
    /// Set when the attribute refers to an attribute of the enclosing function.
    public var referencedAttributeName: String
    public var extras: ProtoExtras

    public init(
        name: String, value: AttributeValue, docString: String = "",
        referencedAttributeName: String = "", extras: ProtoExtras = .init()
    ) {
        self.name = name
        self.value = value
        self.docString = docString
        self.referencedAttributeName = referencedAttributeName
        self.extras = extras
    }

    public var int: Int64? { if case .int(let v) = value { return v } else { return nil } }
    public var float: Float? { if case .float(let v) = value { return v } else { return nil } }
    public var ints: [Int64]? { if case .ints(let v) = value { return v } else { return nil } }
    public var floats: [Float]? { if case .floats(let v) = value { return v } else { return nil } }
    public var string: String? {
        if case .string(let v) = value { return String(decoding: v, as: UTF8.self) } else { return nil }
    }
    public var tensor: Tensor? { if case .tensor(let v) = value { return v } else { return nil } }
    public var graph: Graph? { if case .graph(let v) = value { return v } else { return nil } }
}
