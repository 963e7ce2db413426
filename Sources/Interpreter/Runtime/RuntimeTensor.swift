import ONNXIR

/// Memory behind a runtime tensor: owned (aligned allocation) or borrowed from an initializer.
public final class RuntimeStorage: @unchecked Sendable {
    public let pointer: UnsafeMutableRawPointer
    public let byteCount: Int
    private let owner: AnyObject?
    private let owns: Bool
    private let onFree: (() -> Void)?

    init(byteCount: Int, onFree: (() -> Void)? = nil) {
        self.pointer = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
        self.byteCount = byteCount
        self.owner = nil
        self.owns = true
        self.onFree = onFree
    }

    /// A block of `pool` (whose `onFree` gives it back): owned by the pool, not by this storage.
    init(pooled pointer: UnsafeMutableRawPointer, byteCount: Int, onFree: @escaping () -> Void) {
        self.pointer = pointer
        self.byteCount = byteCount
        self.owner = nil
        self.owns = false
        self.onFree = onFree
    }

    init(borrowing buffer: TensorBuffer) {
        self.pointer = UnsafeMutableRawPointer(mutating: buffer.bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 64)!)
        self.byteCount = buffer.count
        self.owner = buffer
        self.owns = false
        self.onFree = nil
    }

    deinit {
        if owns { pointer.deallocate() }
        onFree?()
    }
}

/// A tensor during execution: element type, concrete shape and storage. Immutable once a kernel
/// has produced it (initializers are borrowed, never written).
public final class RuntimeTensor: @unchecked Sendable, CustomStringConvertible {
    public let dataType: DataType
    public let shape: [Int]
    public let count: Int
    public let storage: RuntimeStorage
    /// String elements, for string tensors only.
    public let strings: [[UInt8]]?
    /// The elements of a sequence value (ONNX `seq(tensor)`); such a value holds no data of its
    /// own (shape [0]) and `dataType` is its element type.
    public let sequence: [RuntimeTensor]?
    /// An optional value holding nothing (an `optional(...)` without element); shape [0].
    public let isEmptyOptional: Bool

    init(
        dataType: DataType, shape: [Int], storage: RuntimeStorage, strings: [[UInt8]]? = nil, sequence: [RuntimeTensor]? = nil,
        isEmptyOptional: Bool = false
    ) {
        self.dataType = dataType
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.storage = storage
        self.strings = strings
        self.sequence = sequence
        self.isEmptyOptional = isEmptyOptional
    }

    /// A sequence of tensors of `elementType`.
    public static func makeSequence(_ elements: [RuntimeTensor], elementType: DataType) -> RuntimeTensor {
        RuntimeTensor(dataType: elementType, shape: [0], storage: RuntimeStorage(byteCount: 0), sequence: elements)
    }

    /// An empty optional whose element would have `elementType`.
    public static func emptyOptional(elementType: DataType) -> RuntimeTensor {
        RuntimeTensor(dataType: elementType, shape: [0], storage: RuntimeStorage(byteCount: 0), isEmptyOptional: true)
    }

    /// A sequence or an empty optional rather than a tensor.
    public var isContainer: Bool { sequence != nil || isEmptyOptional }

    public var rank: Int { shape.count }
    public var raw: UnsafeMutableRawPointer { storage.pointer }
    public var byteCount: Int { dataType.packedByteCount(elements: Int64(count)).map(Int.init) ?? 0 }

    /// Typed view of the elements (the caller picks the Swift type matching `dataType`). The view
    /// is valid only while the tensor is alive: copy with `floatValues()` when in doubt.
    public func elements<T>(_: T.Type) -> UnsafeMutableBufferPointer<T> {
        UnsafeMutableBufferPointer(start: raw.assumingMemoryBound(to: T.self), count: count)
    }
    public var floats: UnsafeMutableBufferPointer<Float> { elements(Float.self) }

    /// A tensor sharing this one's storage with another shape (Reshape, Flatten, Squeeze...).
    public func reshaped(_ newShape: [Int]) -> RuntimeTensor {
        RuntimeTensor(dataType: dataType, shape: newShape, storage: storage, strings: strings)
    }

    public var description: String {
        if let sequence { return "seq(\(dataType.name)) of \(sequence.count)" }
        return isEmptyOptional ? "optional(\(dataType.name)), empty" : "\(dataType.name)\(shape)"
    }

    /// Elements read as Int64 whatever the integer type (shapes, axes, indices).
    public func int64Values() throws -> [Int64] {
        if dataType == .int64 { return Array(elements(Int64.self)) }
        return try ElementConversion.int64s(from: UnsafeRawBufferPointer(start: raw, count: byteCount), dataType: dataType, count: count)
    }

    /// Elements read as Float whatever the numeric type.
    public func floatValues() throws -> [Float] {
        if dataType == .float { return Array(floats) }
        return try ElementConversion.floats(from: UnsafeRawBufferPointer(start: raw, count: byteCount), dataType: dataType, count: count)
    }
}

extension RuntimeTensor {
    /// Wraps an IR tensor without copying its bytes.
    public convenience init(_ tensor: Tensor) throws {
        let shape = tensor.dims.map { Int($0) }
        if case .strings(let s) = tensor.storage {
            self.init(dataType: .string, shape: shape, storage: RuntimeStorage(byteCount: 0), strings: s)
            return
        }
        self.init(dataType: tensor.dataType, shape: shape, storage: RuntimeStorage(borrowing: try tensor.buffer()))
    }

    /// A new float32 tensor with the given values (tests, tools).
    public static func float32(_ shape: [Int], _ values: [Float]) -> RuntimeTensor {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        let storage = RuntimeStorage(byteCount: values.count * 4)
        values.withUnsafeBytes { storage.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        return RuntimeTensor(dataType: .float, shape: shape, storage: storage)
    }

    public static func int64(_ shape: [Int], _ values: [Int64]) -> RuntimeTensor {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        let storage = RuntimeStorage(byteCount: values.count * 8)
        values.withUnsafeBytes { if $0.count > 0 { storage.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        return RuntimeTensor(dataType: .int64, shape: shape, storage: storage)
    }

    /// Converts back to an IR tensor (copies the bytes).
    public func toTensor(name: String = "") -> Tensor {
        if let strings {
            return Tensor(name: name, dataType: .string, dims: shape.map(Int64.init), storage: .strings(strings))
        }
        let buffer = TensorBuffer(copying: UnsafeRawBufferPointer(start: raw, count: byteCount))
        return Tensor(name: name, dataType: dataType, dims: shape.map(Int64.init), storage: .bytes(buffer))
    }
}
