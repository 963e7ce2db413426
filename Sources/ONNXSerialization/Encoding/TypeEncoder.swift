import CONNXProto
import ONNXIR

/// Encodes `ValueType` into `TypeProto` and values into `ValueInfoProto`.
struct TypeEncoder {
    let arena: EncodeArena

    func encode(_ type: ValueType) -> UnsafeMutablePointer<Onnx__TypeProto> {
        let p = arena.message(onnx__type_proto__init)
        if let denotation = type.denotation { p.pointee.denotation = arena.string(denotation) }
        let inner = type.innerExtras
        func elem(_ t: DataType) -> protobuf_c_boolean { t.rawValue != 0 || inner.isPresentDefault(1) ? 1 : 0 }
        switch type.kind {
        case .tensor(let element, let shape):
            let t = arena.message(onnx__type_proto__tensor__init)
            t.pointee.has_elem_type = elem(element)
            t.pointee.elem_type = element.rawValue
            t.pointee.shape = shape.map(encode)
            arena.attachUnknownFields(inner, to: t)
            p.pointee.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE
            p.pointee.tensor_type = t
        case .sparseTensor(let element, let shape):
            let t = arena.message(onnx__type_proto__sparse_tensor__init)
            t.pointee.has_elem_type = elem(element)
            t.pointee.elem_type = element.rawValue
            t.pointee.shape = shape.map(encode)
            arena.attachUnknownFields(inner, to: t)
            p.pointee.value_case = ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE
            p.pointee.sparse_tensor_type = t
        case .sequence(let element):
            let t = arena.message(onnx__type_proto__sequence__init)
            t.pointee.elem_type = element.map(encode)
            arena.attachUnknownFields(inner, to: t)
            p.pointee.value_case = ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE
            p.pointee.sequence_type = t
        case .map(let key, let value):
            let t = arena.message(onnx__type_proto__map__init)
            t.pointee.has_key_type = elem(key)
            t.pointee.key_type = key.rawValue
            t.pointee.value_type = value.map(encode)
            arena.attachUnknownFields(inner, to: t)
            p.pointee.value_case = ONNX__TYPE_PROTO__VALUE_MAP_TYPE
            p.pointee.map_type = t
        case .optional(let element):
            let t = arena.message(onnx__type_proto__optional__init)
            t.pointee.elem_type = element.map(encode)
            arena.attachUnknownFields(inner, to: t)
            p.pointee.value_case = ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE
            p.pointee.optional_type = t
        case .unset:
            break
        }
        arena.attachUnknownFields(type.extras, to: p)
        return p
    }

    func encode(_ shape: TensorShape) -> UnsafeMutablePointer<Onnx__TensorShapeProto> {
        let p = arena.message(onnx__tensor_shape_proto__init)
        (p.pointee.n_dim, p.pointee.dim) = arena.messages(shape.dims) { d in
            let dp = arena.message(onnx__tensor_shape_proto__dimension__init)
            switch d.dimension {
            case .value(let v):
                dp.pointee.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                dp.pointee.dim_value = v
            case .symbol(let s):
                dp.pointee.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
                dp.pointee.dim_param = arena.string(s)
            case .unknown:
                break
            }
            if let denotation = d.denotation { dp.pointee.denotation = arena.string(denotation) }
            arena.attachUnknownFields(d.extras, to: dp)
            return dp
        }
        arena.attachUnknownFields(shape.extras, to: p)
        return p
    }

    /// A `ValueInfoProto` for `value`; `type` chooses declared or inferred type.
    func valueInfo(_ value: Value, type: ValueType?) -> UnsafeMutablePointer<Onnx__ValueInfoProto> {
        let p = arena.message(onnx__value_info_proto__init)
        let extras = value.valueInfoExtras
        p.pointee.name = arena.optionalString(value.name, field: 1, extras)
        p.pointee.type = type.map(encode)
        p.pointee.doc_string = arena.optionalString(value.docString, field: 3, extras)
        arena.attachUnknownFields(extras, to: p)
        return p
    }
}
