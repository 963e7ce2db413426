import CONNXProto
import Foundation
import ONNXIR

/// Owns every allocation of one encode (protobuf-c structs, arrays, strings) and keeps borrowed
/// tensor buffers alive until the message has been packed; frees it all at once.
final class EncodeArena {
    private var allocations: [UnsafeMutableRawPointer] = []
    private var retained: [AnyObject] = []

    deinit { for p in allocations { free(p) } }

    /// Zero-filled memory for `count` values of `T`.
    func allocate<T>(_: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let raw = calloc(max(count, 1), MemoryLayout<T>.stride)!
        allocations.append(raw)
        return raw.bindMemory(to: T.self, capacity: max(count, 1))
    }

    /// A protobuf-c message initialised by its generated `init` function.
    func message<T>(_ initialise: (UnsafeMutablePointer<T>) -> Void) -> UnsafeMutablePointer<T> {
        let p = allocate(T.self, count: 1)
        initialise(p)
        return p
    }

    func string(_ s: String) -> UnsafeMutablePointer<CChar> {
        let p = strdup(s)!
        allocations.append(p)
        return p
    }

    /// A proto2 optional string: omitted when empty unless the source had it present.
    func optionalString(_ s: String, field: Int32, _ extras: ProtoExtras) -> UnsafeMutablePointer<CChar>? {
        s.isEmpty && !extras.isPresentDefault(field) ? nil : string(s)
    }

    func strings(_ values: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        guard !values.isEmpty else { return nil }
        let p = allocate(UnsafeMutablePointer<CChar>?.self, count: values.count)
        for (i, v) in values.enumerated() { p[i] = string(v) }
        return p
    }

    func array<T>(_ values: [T]) -> UnsafeMutablePointer<T>? {
        guard !values.isEmpty else { return nil }
        let p = allocate(T.self, count: values.count)
        for (i, v) in values.enumerated() { (p + i).initialize(to: v) }
        return p
    }

    func binary(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        guard !bytes.isEmpty else { return ProtobufCBinaryData(len: 0, data: nil) }
        let p = allocate(UInt8.self, count: bytes.count)
        p.initialize(from: bytes, count: bytes.count)
        return ProtobufCBinaryData(len: bytes.count, data: p)
    }

    /// Borrows `buffer`'s bytes for the lifetime of this arena.
    func borrow(_ buffer: TensorBuffer) -> ProtobufCBinaryData {
        retained.append(buffer)
        return ProtobufCBinaryData(
            len: buffer.count, data: UnsafeMutablePointer(mutating: buffer.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)))
    }

    /// Attaches the unknown fields of `extras` to a protobuf-c message.
    func attachUnknownFields<T>(_ extras: ProtoExtras, to message: UnsafeMutablePointer<T>) {
        guard !extras.unknownFields.isEmpty else { return }
        let fields = allocate(ProtobufCMessageUnknownField.self, count: extras.unknownFields.count)
        for (i, f) in extras.unknownFields.enumerated() {
            let data = binary(f.payload)
            fields[i] = ProtobufCMessageUnknownField(
                tag: f.fieldNumber, wire_type: ProtobufCWireType(rawValue: UInt32(f.wireType)), len: data.len, data: data.data)
        }
        whittle_set_unknown_fields(message, extras.unknownFields.count, fields)
    }

    /// An array of message pointers built by `make`.
    func messages<S, T>(_ items: [S], _ make: (S) throws -> UnsafeMutablePointer<T>) rethrows -> (
        Int, UnsafeMutablePointer<UnsafeMutablePointer<T>?>?
    ) {
        guard !items.isEmpty else { return (0, nil) }
        let p = allocate(UnsafeMutablePointer<T>?.self, count: items.count)
        for (i, item) in items.enumerated() { p[i] = try make(item) }
        return (items.count, p)
    }
}
