import Foundation

/// Immutable element bytes in canonical little-endian `raw_data` layout. Either owned (allocated
/// here) or borrowed from an owner that keeps the memory alive (a decoded protobuf message, a
/// mapped file), so loading a model does not copy its weights twice.
public final class TensorBuffer: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
    private let owner: AnyObject?
    private let ownsMemory: Bool

    /// Copies `source` into a new owned buffer.
    public init(copying source: UnsafeRawBufferPointer) {
        let memory = UnsafeMutableRawBufferPointer.allocate(
            byteCount: max(source.count, 1), alignment: 64)
        if let base = source.baseAddress, source.count > 0 {
            memory.baseAddress!.copyMemory(from: base, byteCount: source.count)
        }
        self.bytes = UnsafeRawBufferPointer(rebasing: memory[0..<source.count])
        self.owner = nil
        self.ownsMemory = true
    }

    public convenience init(_ array: [UInt8]) {
        self.init(copying: array.withUnsafeBytes { $0 })
    }

    /// Creates an owned buffer of `count` bytes filled by `fill`.
    public init(count: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 64)
        let region = UnsafeMutableRawBufferPointer(rebasing: memory[0..<count])
        do { try fill(region) } catch {
            memory.deallocate()
            throw error
        }
        self.bytes = UnsafeRawBufferPointer(region)
        self.owner = nil
        self.ownsMemory = true
    }

    /// Wraps memory that `owner` keeps alive.
    public init(borrowing bytes: UnsafeRawBufferPointer, owner: AnyObject) {
        self.bytes = bytes
        self.owner = owner
        self.ownsMemory = false
    }

    deinit {
        if ownsMemory, let base = bytes.baseAddress { UnsafeMutableRawPointer(mutating: base).deallocate() }
    }

    public var count: Int { bytes.count }
}

/// Tensor data that lives in an external file and is read on first use (`data_location: EXTERNAL`).
/// The serialization layer implements it over a memory-mapped, bounds-checked file region.
public protocol ExternalTensorData: AnyObject, Sendable {
    /// The resolved file the bytes live in (absolute).
    var fileURL: URL { get }
    var offset: Int64 { get }
    var length: Int64 { get }
    /// The bytes, mapped on first use. Throws when the file is missing or shorter than promised.
    func buffer() throws -> TensorBuffer
    /// Streams the bytes in chunks without keeping them resident (for copying to a new file).
    func forEachChunk(maxChunk: Int, _ body: (UnsafeRawBufferPointer) throws -> Void) throws
}

/// How a tensor's elements are stored.
public enum TensorStorage: Sendable {
    /// Packed little-endian bytes, as in `raw_data`.
    case bytes(TensorBuffer)
    /// Bytes in an external file, read lazily.
    case external(any ExternalTensorData)
    /// String elements (`string_data`).
    case strings([[UInt8]])
}

/// Which proto fields carried the data in the source, so a round trip writes them the same way.
public enum TensorEncoding: Sendable, Hashable {
    case raw
    /// `float_data`, `int32_data`, `int64_data`, `double_data`, `uint64_data` or `string_data`.
    case typedFields
    case external
}

/// A `key: value` pair as in `StringStringEntryProto` (metadata, external-data descriptors).
public struct StringEntry: Hashable, Sendable {
    public var key: String
    public var value: String
    public var extras: ProtoExtras
    public init(key: String, value: String, extras: ProtoExtras = .init()) {
        self.key = key
        self.value = value
        self.extras = extras
    }
}

/// A constant tensor: an initializer, a Constant node's value, or a tensor attribute.
public struct Tensor: Sendable {
    public var name: String
    public var dataType: DataType
    public var dims: [Int64]
    public var storage: TensorStorage
    public var encoding: TensorEncoding
    public var docString: String
    /// `external_data` entries as read (location, offset, length, checksum, and any others).
    public var externalDataEntries: [StringEntry]
    public var extras: ProtoExtras

    public init(
        name: String = "", dataType: DataType, dims: [Int64], storage: TensorStorage,
        encoding: TensorEncoding = .raw, docString: String = "",
        externalDataEntries: [StringEntry] = [], extras: ProtoExtras = .init()
    ) {
        self.name = name
        self.dataType = dataType
        self.dims = dims
        self.storage = storage
        self.encoding = encoding
        self.docString = docString
        self.externalDataEntries = externalDataEntries
        self.extras = extras
    }

    /// Number of elements (product of dims); nil on overflow or a negative dim.
    public var elementCount: Int64? { TensorShape.elementCount(of: dims) }

    /// Bytes the elements take packed as in `raw_data` (0 for strings).
    public var byteCount: Int64 {
        if case .strings = storage { return 0 }
        guard let n = elementCount else { return 0 }
        return dataType.packedByteCount(elements: n) ?? 0
    }

    public var isExternal: Bool { if case .external = storage { return true } else { return false } }

    /// The packed bytes, reading external data on first use. Strings have none.
    public func buffer() throws -> TensorBuffer {
        switch storage {
        case .bytes(let b): return b
        case .external(let e): return try e.buffer()
        case .strings: throw IRError.unsupported("tensor '\(name)' holds strings, not packed bytes")
        }
    }

    /// Creates a float32 tensor (tests, new weights).
    public static func float32(name: String = "", dims: [Int64], values: [Float]) -> Tensor {
        let buffer = values.withUnsafeBytes { TensorBuffer(copying: $0) }
        return Tensor(name: name, dataType: .float, dims: dims, storage: .bytes(buffer))
    }

    /// Creates an int64 tensor (shapes, axes).
    public static func int64(name: String = "", dims: [Int64], values: [Int64]) -> Tensor {
        let buffer = values.withUnsafeBytes { TensorBuffer(copying: $0) }
        return Tensor(name: name, dataType: .int64, dims: dims, storage: .bytes(buffer))
    }

    /// Elements converted to Float for float/integer types (analysis, statistics, printing).
    public func floatValues() throws -> [Float] {
        let buffer = try self.buffer()
        return try ElementConversion.floats(from: buffer.bytes, dataType: dataType, count: Int(elementCount ?? 0))
    }

    /// Elements converted to Int64 for integer types (shapes, axes, indices).
    public func int64Values() throws -> [Int64] {
        let buffer = try self.buffer()
        return try ElementConversion.int64s(from: buffer.bytes, dataType: dataType, count: Int(elementCount ?? 0))
    }
}

/// A `SparseTensorProto`: `values` at `indices` in a tensor of shape `dims`.
public struct SparseTensor: Sendable {
    public var values: Tensor
    public var indices: Tensor
    public var dims: [Int64]
    public var extras: ProtoExtras
    public init(values: Tensor, indices: Tensor, dims: [Int64], extras: ProtoExtras = .init()) {
        self.values = values
        self.indices = indices
        self.dims = dims
        self.extras = extras
    }
}
