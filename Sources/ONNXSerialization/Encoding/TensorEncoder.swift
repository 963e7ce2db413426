import CONNXProto
import ONNXIR

/// Decides, per initializer, whether its bytes go to an external file; returns the
/// `external_data` entries when they do (the bytes are then already written).
typealias ExternalPlacement = (Tensor) throws -> [StringEntry]?

/// Encodes `Tensor` into `TensorProto`, keeping the source encoding (raw or typed fields) unless
/// the placement moves it to or from external data.
struct TensorEncoder {
    let arena: EncodeArena

    func encode(_ tensor: Tensor, placement: ExternalPlacement?) throws -> UnsafeMutablePointer<Onnx__TensorProto> {
        let p = arena.message(onnx__tensor_proto__init)
        let extras = tensor.extras
        p.pointee.name = arena.optionalString(tensor.name, field: 8, extras)
        p.pointee.doc_string = arena.optionalString(tensor.docString, field: 12, extras)
        p.pointee.has_data_type = tensor.dataType.rawValue != 0 || extras.isPresentDefault(2) ? 1 : 0
        p.pointee.data_type = tensor.dataType.rawValue
        p.pointee.n_dims = tensor.dims.count
        p.pointee.dims = arena.array(tensor.dims)
        if extras.isPresentDefault(14) {
            p.pointee.has_data_location = 1
        }
        arena.attachUnknownFields(extras, to: p)

        if case .strings(let strings) = tensor.storage {
            p.pointee.n_string_data = strings.count
            p.pointee.string_data = arena.array(strings.map(arena.binary))
            return p
        }
        if let entries = try placement?(tensor) {
            p.pointee.has_data_location = 1
            p.pointee.data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL
            (p.pointee.n_external_data, p.pointee.external_data) = arena.messages(entries, entry)
            return p
        }
        let buffer = try tensor.buffer()
        if tensor.encoding == .typedFields {
            TypedFieldCodec.encode(
                buffer.bytes, dataType: tensor.dataType, count: Int(tensor.elementCount ?? 0), into: &p.pointee, arena: arena)
        } else {
            p.pointee.has_raw_data = 1
            p.pointee.raw_data = arena.borrow(buffer)
        }
        if tensor.encoding != .external {
            // Entries other than the external-data descriptor survive (rare, but lossless).
            (p.pointee.n_external_data, p.pointee.external_data) = arena.messages(tensor.externalDataEntries, entry)
        }
        return p
    }

    func entry(_ e: StringEntry) -> UnsafeMutablePointer<Onnx__StringStringEntryProto> {
        let p = arena.message(onnx__string_string_entry_proto__init)
        p.pointee.key = arena.optionalString(e.key, field: 1, e.extras)
        p.pointee.value = arena.optionalString(e.value, field: 2, e.extras)
        arena.attachUnknownFields(e.extras, to: p)
        return p
    }

    func encode(sparse: SparseTensor) throws -> UnsafeMutablePointer<Onnx__SparseTensorProto> {
        let p = arena.message(onnx__sparse_tensor_proto__init)
        p.pointee.values = try encode(sparse.values, placement: nil)
        p.pointee.indices = try encode(sparse.indices, placement: nil)
        p.pointee.n_dims = sparse.dims.count
        p.pointee.dims = arena.array(sparse.dims)
        arena.attachUnknownFields(sparse.extras, to: p)
        return p
    }
}
