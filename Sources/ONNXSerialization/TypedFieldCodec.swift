import CONNXProto
import ONNXIR

/// Converts between ONNX's typed data fields (`float_data`, `int32_data`, ...) and canonical
/// little-endian bytes. Which field holds which type follows onnx.proto: 16-bit and 8-bit types
/// (and float8) sit one per `int32_data` entry, 4-bit and 2-bit types as packed bytes,
/// uint32/uint64 in `uint64_data`, complex types as (re, im) pairs.
enum TypedFieldCodec {
    enum Field { case float, double, int32, int64, uint64 }

    static func field(for type: DataType) -> Field? {
        switch type {
        case .float, .complex64: return .float
        case .double, .complex128: return .double
        case .int64: return .int64
        case .uint32, .uint64: return .uint64
        case .string, .undefined: return nil
        default: return type.isKnown ? .int32 : nil
        }
    }

    /// How many entries of the typed field `count` elements take.
    static func entryCount(for type: DataType, elements count: Int, byteCount: Int) -> Int {
        if type.isComplex { return count * 2 }
        if type.bitWidth == 6 { return count }  // float6: one element per entry, packed in raw_data
        if type.isSubByte { return byteCount }
        return count
    }

    static func decode(_ p: Onnx__TensorProto, dataType: DataType, count: Int, byteCount: Int, label: String) throws -> TensorBuffer {
        guard let field = field(for: dataType) else {
            throw DecodeFailure(location: label, reason: "has no data field for \(dataType.name)")
        }
        let expected = entryCount(for: dataType, elements: count, byteCount: byteCount)
        let (present, name): (Int, String) =
            switch field {
            case .float: (p.n_float_data, "float_data")
            case .double: (p.n_double_data, "double_data")
            case .int32: (p.n_int32_data, "int32_data")
            case .int64: (p.n_int64_data, "int64_data")
            case .uint64: (p.n_uint64_data, "uint64_data")
            }
        guard present == expected else {
            throw DecodeFailure(
                location: label,
                reason: "\(name) holds \(present) entries but \(dataType.name)\(TensorShape([Int64(count)])) needs \(expected)")
        }
        return TensorBuffer(count: byteCount) { out in
            switch field {
            case .float: out.copyMemory(from: UnsafeRawBufferPointer(start: p.float_data, count: byteCount))
            case .double: out.copyMemory(from: UnsafeRawBufferPointer(start: p.double_data, count: byteCount))
            case .int64: out.copyMemory(from: UnsafeRawBufferPointer(start: p.int64_data, count: byteCount))
            case .uint64:
                if dataType == .uint64 {
                    out.copyMemory(from: UnsafeRawBufferPointer(start: p.uint64_data, count: byteCount))
                } else {
                    for i in 0..<count {
                        out.storeBytes(of: UInt32(truncatingIfNeeded: p.uint64_data[i]), toByteOffset: i * 4, as: UInt32.self)
                    }
                }
            case .int32:
                let width = dataType.bitWidth ?? 8
                if width == 6 {
                    SixBitPacking.pack(count: count, into: out) { UInt8(truncatingIfNeeded: p.int32_data[$0]) & 0x3F }
                } else if width == 32 {
                    out.copyMemory(from: UnsafeRawBufferPointer(start: p.int32_data, count: byteCount))
                } else if width == 16 {
                    for i in 0..<count {
                        out.storeBytes(of: UInt16(truncatingIfNeeded: p.int32_data[i]), toByteOffset: i * 2, as: UInt16.self)
                    }
                } else {
                    for i in 0..<expected {
                        out.storeBytes(of: UInt8(truncatingIfNeeded: p.int32_data[i]), toByteOffset: i, as: UInt8.self)
                    }
                }
            }
        }
    }

    /// Writes `bytes` into the typed field of `p`, allocating from `arena`.
    static func encode(_ bytes: UnsafeRawBufferPointer, dataType: DataType, count: Int, into p: inout Onnx__TensorProto, arena: EncodeArena)
    {
        guard let field = field(for: dataType) else { return }
        let entries = entryCount(for: dataType, elements: count, byteCount: bytes.count)
        guard entries > 0 else { return }
        switch field {
        case .float:
            let out = arena.allocate(Float.self, count: entries)
            UnsafeMutableRawPointer(out).copyMemory(from: bytes.baseAddress!, byteCount: entries * 4)
            p.n_float_data = entries
            p.float_data = out
        case .double:
            let out = arena.allocate(Double.self, count: entries)
            UnsafeMutableRawPointer(out).copyMemory(from: bytes.baseAddress!, byteCount: entries * 8)
            p.n_double_data = entries
            p.double_data = out
        case .int64:
            let out = arena.allocate(Int64.self, count: entries)
            UnsafeMutableRawPointer(out).copyMemory(from: bytes.baseAddress!, byteCount: entries * 8)
            p.n_int64_data = entries
            p.int64_data = out
        case .uint64:
            let out = arena.allocate(UInt64.self, count: entries)
            for i in 0..<entries {
                out[i] =
                    dataType == .uint64
                    ? bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
                    : UInt64(bytes.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
            }
            p.n_uint64_data = entries
            p.uint64_data = out
        case .int32:
            let out = arena.allocate(Int32.self, count: entries)
            for i in 0..<entries {
                switch dataType {
                case .int32: out[i] = bytes.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)
                case .int16: out[i] = Int32(bytes.loadUnaligned(fromByteOffset: i * 2, as: Int16.self))
                case .uint16, .float16, .bfloat16: out[i] = Int32(bytes.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
                case .int8: out[i] = Int32(Int8(bitPattern: bytes[i]))
                case .float6e2m3, .float6e3m2: out[i] = Int32(SixBitPacking.element(i, in: bytes))
                default: out[i] = Int32(bytes[i])
                }
            }
            p.n_int32_data = entries
            p.int32_data = out
        }
    }
}

/// float6 elements packed four to three bytes as an LSB-first bitstream (onnx.proto).
enum SixBitPacking {
    static func pack(count: Int, into out: UnsafeMutableRawBufferPointer, _ element: (Int) -> UInt8) {
        for i in 0..<out.count { out[i] = 0 }
        for i in 0..<count {
            let bit = i * 6
            let v = UInt16(element(i) & 0x3F) << UInt16(bit % 8)
            out[bit / 8] |= UInt8(truncatingIfNeeded: v)
            if bit % 8 > 2 { out[bit / 8 + 1] |= UInt8(truncatingIfNeeded: v >> 8) }
        }
    }

    static func element(_ i: Int, in bytes: UnsafeRawBufferPointer) -> UInt8 {
        let bit = i * 6
        var v = UInt16(bytes[bit / 8]) >> UInt16(bit % 8)
        if bit % 8 > 2 { v |= UInt16(bytes[bit / 8 + 1]) << UInt16(8 - bit % 8) }
        return UInt8(v & 0x3F)
    }
}
