import CONNXProto
import ONNXIR

/// Decodes `AttributeProto`. The value is read by the `type` field; when an old exporter left
/// `type` out, it is taken from whichever value field is set.
struct AttributeDecoder {
    let tensors: TensorDecoder
    /// Decodes a subgraph attribute in the scope of the node that holds it.
    let decodeSubgraph: (UnsafePointer<Onnx__GraphProto>, String) throws -> Graph

    func decode(_ proto: UnsafePointer<Onnx__AttributeProto>, node: String) throws -> Attribute {
        let a = proto.pointee
        var extras = ProtoReading.extras(proto)
        let name = ProtoReading.string(a.name, field: 1, &extras)
        let doc = ProtoReading.string(a.doc_string, field: 13, &extras)
        let ref = ProtoReading.string(a.ref_attr_name, field: 21, &extras)
        let where_ = "attribute '\(name)' of node '\(node)'"
        if a.has_f != 0 && a.f == 0 && a.f.sign == .plus { extras.notePresentDefault(2) }
        if a.has_i != 0 && a.i == 0 { extras.notePresentDefault(3) }
        if a.has_s != 0 && a.s.len == 0 { extras.notePresentDefault(4) }

        var type = Int32(bitPattern: a.type.rawValue)
        if a.has_type == 0 {
            extras.absentFields.append(20)
            type = inferType(a)
        } else if type == 0 {
            extras.notePresentDefault(20)
        }
        func sparse(_ p: UnsafeMutablePointer<Onnx__SparseTensorProto>?) throws -> SparseTensor {
            guard let p else { throw DecodeFailure(location: where_, reason: "sparse tensor is null") }
            return try SparseTensorDecoder(tensors: tensors).decode(p, what: where_)
        }
        let value: AttributeValue
        switch type {
        case 1: value = .float(a.f)
        case 2: value = .int(a.i)
        case 3: value = .string(ProtoReading.bytes(a.s))
        case 4:
            guard let t = a.t else { throw DecodeFailure(location: where_, reason: "is of type TENSOR but holds no tensor") }
            value = .tensor(try tensors.decode(t, what: where_))
        case 5:
            guard let g = a.g else { throw DecodeFailure(location: where_, reason: "is of type GRAPH but holds no graph") }
            value = .graph(try decodeSubgraph(g, name))
        case 11: value = .sparseTensor(try sparse(a.sparse_tensor))
        case 13:
            guard let tp = a.tp else { throw DecodeFailure(location: where_, reason: "is of type TYPE_PROTO but holds no type") }
            value = .type(TypeDecoder.decode(tp))
        case 6: value = .floats(ProtoReading.array(a.floats, count: a.n_floats))
        case 7: value = .ints(ProtoReading.array(a.ints, count: a.n_ints))
        case 8: value = .strings(ProtoReading.array(a.strings, count: a.n_strings).map(ProtoReading.bytes))
        case 9:
            value = .tensors(
                try ProtoReading.array(a.tensors, count: a.n_tensors).compactMap { $0 }.map { try tensors.decode($0, what: where_) })
        case 10: value = .graphs(try ProtoReading.array(a.graphs, count: a.n_graphs).compactMap { $0 }.map { try decodeSubgraph($0, name) })
        case 12: value = .sparseTensors(try ProtoReading.array(a.sparse_tensors, count: a.n_sparse_tensors).map { try sparse($0) })
        case 14: value = .types(ProtoReading.array(a.type_protos, count: a.n_type_protos).compactMap { $0 }.map { TypeDecoder.decode($0) })
        case 0: value = .undefined
        default:
            throw DecodeFailure(location: where_, reason: "has unknown attribute type \(type)")
        }
        return Attribute(name: name, value: value, docString: doc, referencedAttributeName: ref, extras: extras)
    }

    private func inferType(_ a: Onnx__AttributeProto) -> Int32 {
        if a.has_f != 0 { return 1 }
        if a.has_i != 0 { return 2 }
        if a.has_s != 0 { return 3 }
        if a.t != nil { return 4 }
        if a.g != nil { return 5 }
        if a.sparse_tensor != nil { return 11 }
        if a.tp != nil { return 13 }
        if a.n_floats > 0 { return 6 }
        if a.n_ints > 0 { return 7 }
        if a.n_strings > 0 { return 8 }
        if a.n_tensors > 0 { return 9 }
        if a.n_graphs > 0 { return 10 }
        if a.n_sparse_tensors > 0 { return 12 }
        if a.n_type_protos > 0 { return 14 }
        return 0
    }
}

/// Decodes `SparseTensorProto`, checking that indices fit the dims.
struct SparseTensorDecoder {
    let tensors: TensorDecoder

    func decode(_ proto: UnsafePointer<Onnx__SparseTensorProto>, what: String) throws -> SparseTensor {
        let p = proto.pointee
        guard let valuesProto = p.values, let indicesProto = p.indices else {
            throw DecodeFailure(location: what, reason: "sparse tensor lacks values or indices")
        }
        let values = try tensors.decode(valuesProto, what: "values of sparse \(what)")
        let indices = try tensors.decode(indicesProto, what: "indices of sparse \(what)")
        let dims = ProtoReading.array(p.dims, count: p.n_dims)
        guard TensorShape.elementCount(of: dims) != nil else {
            throw DecodeFailure(location: what, reason: "sparse dims \(TensorShape(dims)) are invalid")
        }
        return SparseTensor(values: values, indices: indices, dims: dims, extras: ProtoReading.extras(proto))
    }
}
