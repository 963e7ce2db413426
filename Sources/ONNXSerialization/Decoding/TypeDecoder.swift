import CONNXProto
import ONNXIR

/// Decodes `TypeProto` and `TensorShapeProto`.
enum TypeDecoder {
    static func decode(_ proto: UnsafePointer<Onnx__TypeProto>) -> ValueType {
        let p = proto.pointee
        var extras = ProtoReading.extras(proto)
        let denotation = p.denotation.map { _ in ProtoReading.string(p.denotation, field: 6, &extras) }
        var inner = ProtoExtras()
        let kind: TypeKind
        switch p.value_case {
        case ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE:
            let t = p.tensor_type!
            inner = ProtoReading.extras(t)
            let element = ProtoReading.scalar(t.pointee.elem_type, has: t.pointee.has_elem_type, field: 1, &inner)
            kind = .tensor(elementType: DataType(rawValue: element), shape: t.pointee.shape.map(shape))
        case ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE:
            let t = p.sparse_tensor_type!
            inner = ProtoReading.extras(t)
            let element = ProtoReading.scalar(t.pointee.elem_type, has: t.pointee.has_elem_type, field: 1, &inner)
            kind = .sparseTensor(elementType: DataType(rawValue: element), shape: t.pointee.shape.map(shape))
        case ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE:
            let t = p.sequence_type!
            inner = ProtoReading.extras(t)
            kind = .sequence(t.pointee.elem_type.map { decode($0) })
        case ONNX__TYPE_PROTO__VALUE_MAP_TYPE:
            let t = p.map_type!
            inner = ProtoReading.extras(t)
            let key = ProtoReading.scalar(t.pointee.key_type, has: t.pointee.has_key_type, field: 1, &inner)
            kind = .map(key: DataType(rawValue: key), value: t.pointee.value_type.map { decode($0) })
        case ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE:
            let t = p.optional_type!
            inner = ProtoReading.extras(t)
            kind = .optional(t.pointee.elem_type.map { decode($0) })
        default:
            kind = .unset
        }
        return ValueType(kind, denotation: denotation, extras: extras, innerExtras: inner)
    }

    static func shape(_ proto: UnsafeMutablePointer<Onnx__TensorShapeProto>) -> TensorShape {
        let dims = ProtoReading.array(proto.pointee.dim, count: proto.pointee.n_dim).map { d -> ShapeDimension in
            guard let d else { return ShapeDimension(.unknown) }
            var extras = ProtoReading.extras(d)
            let denotation = d.pointee.denotation.map { _ in ProtoReading.string(d.pointee.denotation, field: 3, &extras) }
            let dimension: Dimension
            switch d.pointee.value_case {
            case ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE: dimension = .value(d.pointee.dim_value)
            case ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM:
                dimension = .symbol(d.pointee.dim_param.map { String(cString: $0) } ?? "")
            default: dimension = .unknown
            }
            return ShapeDimension(dimension, denotation: denotation, extras: extras)
        }
        return TensorShape(dimensions: dims, extras: ProtoReading.extras(proto))
    }

    /// A `ValueInfoProto`'s name, type, doc string and extras.
    static func valueInfo(_ proto: UnsafePointer<Onnx__ValueInfoProto>) -> (
        name: String, type: ValueType?, doc: String, extras: ProtoExtras
    ) {
        var extras = ProtoReading.extras(proto)
        let name = ProtoReading.string(proto.pointee.name, field: 1, &extras)
        let doc = ProtoReading.string(proto.pointee.doc_string, field: 3, &extras)
        return (name, proto.pointee.type.map { decode($0) }, doc, extras)
    }
}
