/// A protobuf field that the system `onnx.proto` does not define (a field from a newer ONNX), kept
/// as raw wire bytes so load-then-save is lossless.
public struct UnknownField: Hashable, Sendable {
    public var fieldNumber: UInt32
    /// Protobuf wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32).
    public var wireType: UInt8
    public var payload: [UInt8]
    public init(fieldNumber: UInt32, wireType: UInt8, payload: [UInt8]) {
        self.fieldNumber = fieldNumber
        self.wireType = wireType
        self.payload = payload
    }
}

/// What a message carried that the IR's typed fields cannot show: unknown fields, and which
/// optional fields were present although they held their default value (proto2 keeps presence,
/// so an explicit `doc_string: ""` differs from an absent one). Serialization fills and honours it.
public struct ProtoExtras: Hashable, Sendable {
    public var unknownFields: [UnknownField]
    /// Field numbers present in the source with their default value.
    public var presentDefaults: [Int32]
    /// Field numbers absent in the source that a writer would otherwise fill in (an attribute
    /// without `type`, as some old exporters wrote).
    public var absentFields: [Int32]

    public init(unknownFields: [UnknownField] = [], presentDefaults: [Int32] = [], absentFields: [Int32] = []) {
        self.unknownFields = unknownFields
        self.presentDefaults = presentDefaults
        self.absentFields = absentFields
    }
    public var isEmpty: Bool { unknownFields.isEmpty && presentDefaults.isEmpty && absentFields.isEmpty }
    public func isPresentDefault(_ field: Int32) -> Bool { presentDefaults.contains(field) }
    public mutating func notePresentDefault(_ field: Int32) {
        if !presentDefaults.contains(field) { presentDefaults.append(field) }
    }
}
