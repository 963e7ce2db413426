import CONNXProto
import ONNXIR

/// Small readers for protobuf-c fields that also record presence (see `ProtoExtras`).
enum ProtoReading {
    /// A proto2 optional string: NULL is absent; a present empty string is recorded by field number.
    static func string(_ pointer: UnsafeMutablePointer<CChar>?, field: Int32, _ extras: inout ProtoExtras) -> String {
        guard let pointer else { return "" }
        if pointer.pointee == 0 {
            extras.notePresentDefault(field)
            return ""
        }
        return String(cString: pointer)
    }

    static func strings(_ pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, count: Int) -> [String] {
        guard let pointer else { return [] }
        return (0..<count).map { pointer[$0].map { String(cString: $0) } ?? "" }
    }

    /// A proto2 optional scalar with a `has_` flag: records a present default.
    static func scalar<T: Equatable & ExpressibleByIntegerLiteral>(
        _ value: T, has: protobuf_c_boolean, field: Int32, _ extras: inout ProtoExtras
    ) -> T {
        if has != 0 && value == 0 { extras.notePresentDefault(field) }
        return has != 0 ? value : 0
    }

    static func bytes(_ data: ProtobufCBinaryData) -> [UInt8] {
        guard let base = data.data, data.len > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: base, count: data.len))
    }

    static func array<T>(_ pointer: UnsafeMutablePointer<T>?, count: Int) -> [T] {
        guard let pointer, count > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: pointer, count: count))
    }

    /// The unknown fields protobuf-c kept for `message` (fields newer than the system proto).
    static func unknownFields(_ message: UnsafeRawPointer) -> [UnknownField] {
        let count = whittle_unknown_count(message)
        guard count > 0, let fields = whittle_unknown_fields(message) else { return [] }
        return (0..<count).map { i in
            let f = fields[i]
            return UnknownField(
                fieldNumber: f.tag, wireType: UInt8(f.wire_type.rawValue), payload: bytes(ProtobufCBinaryData(len: f.len, data: f.data)))
        }
    }

    static func extras(_ message: UnsafeRawPointer) -> ProtoExtras {
        ProtoExtras(unknownFields: unknownFields(message))
    }

    static func entries(_ pointer: UnsafeMutablePointer<UnsafeMutablePointer<Onnx__StringStringEntryProto>?>?, count: Int) -> [StringEntry]
    {
        array(pointer, count: count).compactMap { entry in
            guard let entry else { return nil }
            var extras = extras(entry)
            let key = string(entry.pointee.key, field: 1, &extras)
            let value = string(entry.pointee.value, field: 2, &extras)
            return StringEntry(key: key, value: value, extras: extras)
        }
    }
}
