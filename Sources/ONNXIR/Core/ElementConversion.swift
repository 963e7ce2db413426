/// Converts packed little-endian element bytes to Float or Int64, for every numeric ONNX type
/// (including float16, bfloat16, the float8 variants and the 4-bit types).
public enum ElementConversion {
    public static func floats(from bytes: UnsafeRawBufferPointer, dataType: DataType, count: Int) throws -> [Float] {
        try checkSize(bytes, dataType, count)
        var out = [Float](repeating: 0, count: count)
        switch dataType {
        case .float:
            _ = out.withUnsafeMutableBytes { bytes.copyBytes(to: $0, count: count * 4) }
        case .double: for i in 0..<count { out[i] = Float(bytes.loadUnaligned(fromByteOffset: i * 8, as: Double.self)) }
        case .float16: for i in 0..<count { out[i] = halfToFloat(bytes.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)) }
        case .bfloat16:
            for i in 0..<count {
                out[i] = Float(bitPattern: UInt32(bytes.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)) << 16)
            }
        case .float8e4m3fn, .float8e4m3fnuz, .float8e5m2, .float8e5m2fnuz, .float8e8m0:
            for i in 0..<count { out[i] = float8ToFloat(bytes[i], dataType) }
        case .int4, .uint4:
            for i in 0..<count { out[i] = Float(nibble(bytes, i, signed: dataType == .int4)) }
        default:
            let ints = try int64s(from: bytes, dataType: dataType, count: count)
            for i in 0..<count { out[i] = Float(ints[i]) }
        }
        return out
    }

    public static func int64s(from bytes: UnsafeRawBufferPointer, dataType: DataType, count: Int) throws -> [Int64] {
        try checkSize(bytes, dataType, count)
        var out = [Int64](repeating: 0, count: count)
        func load<T: FixedWidthInteger>(_: T.Type) {
            for i in 0..<count {
                out[i] = Int64(truncatingIfNeeded: bytes.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self))
            }
        }
        switch dataType {
        case .int64: load(Int64.self)
        case .int32: load(Int32.self)
        case .int16: load(Int16.self)
        case .int8: load(Int8.self)
        case .uint8, .bool: load(UInt8.self)
        case .uint16: load(UInt16.self)
        case .uint32: load(UInt32.self)
        case .uint64: load(UInt64.self)
        case .int4, .uint4: for i in 0..<count { out[i] = nibble(bytes, i, signed: dataType == .int4) }
        case .float, .double, .float16, .bfloat16:
            let fs = try floats(from: bytes, dataType: dataType, count: count)
            for i in 0..<count { out[i] = fs[i].isFinite ? Int64(fs[i]) : 0 }
        default:
            throw IRError.unsupported("cannot read \(dataType.name) elements as integers")
        }
        return out
    }

    private static func checkSize(_ bytes: UnsafeRawBufferPointer, _ dataType: DataType, _ count: Int) throws {
        guard let need = dataType.packedByteCount(elements: Int64(count)), Int64(bytes.count) >= need else {
            throw IRError.malformed("tensor data holds \(bytes.count) bytes, too few for \(count) \(dataType.name) elements")
        }
    }

    private static func nibble(_ bytes: UnsafeRawBufferPointer, _ i: Int, signed: Bool) -> Int64 {
        let byte = bytes[i / 2]
        let v = i % 2 == 0 ? byte & 0x0F : byte >> 4
        return signed && v >= 8 ? Int64(v) - 16 : Int64(v)
    }

    /// Single to IEEE half precision, rounding to nearest even (overflow to infinity).
    public static func floatToHalf(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        var mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF { return sign | 0x7C00 | (mantissa != 0 ? 0x200 : 0) }
        let e = exponent - 127 + 15
        if e >= 31 { return sign | 0x7C00 }
        if e <= 0 {
            if e < -10 { return sign }
            mantissa |= 0x80_0000
            let shift = UInt32(14 - e)
            var half = mantissa >> shift
            let rest = mantissa & ((1 << shift) - 1)
            let halfway = UInt32(1) << (shift - 1)
            if rest > halfway || (rest == halfway && half & 1 == 1) { half += 1 }
            return sign | UInt16(half)
        }
        var half = UInt32(e) << 10 | (mantissa >> 13)
        let rest = mantissa & 0x1FFF
        if rest > 0x1000 || (rest == 0x1000 && half & 1 == 1) { half += 1 }
        return sign | UInt16(half)
    }

    /// Single to bfloat16, rounding to nearest even.
    public static func floatToBFloat16(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        if f.isNaN { return UInt16(bits >> 16) | 0x40 }
        let rounding = UInt32(0x7FFF) + ((bits >> 16) & 1)
        return UInt16((bits &+ rounding) >> 16)
    }

    /// IEEE half to single precision.
    public static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exponent = UInt32((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            let magnitude = Float(mantissa) * (1.0 / 16_777_216.0)  // 2^-24
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// Decodes the float8 formats of ONNX (E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ, E8M0).
    public static func float8ToFloat(_ b: UInt8, _ type: DataType) -> Float {
        if type == .float8e8m0 { return b == 0xFF ? .nan : Float(bitPattern: UInt32(b) << 23) }
        let (exponentBits, bias): (Int, Int) =
            switch type {
            case .float8e4m3fn: (4, 7)
            case .float8e4m3fnuz: (4, 8)
            case .float8e5m2: (5, 15)
            default: (5, 16)
            }
        let mantissaBits = 7 - exponentBits
        let negative = b & 0x80 != 0
        let e = Int((b >> mantissaBits) & UInt8((1 << exponentBits) - 1))
        let m = Int(b & UInt8((1 << mantissaBits) - 1))
        switch type {
        case .float8e4m3fn where b & 0x7F == 0x7F: return .nan
        case .float8e4m3fnuz, .float8e5m2fnuz: if b == 0x80 { return .nan }
        case .float8e5m2 where e == 31: return m == 0 ? (negative ? -.infinity : .infinity) : .nan
        default: break
        }
        let magnitude: Float =
            e == 0
            ? Float(m) * Float(sign: .plus, exponent: 1 - bias - mantissaBits, significand: 1)
            : (1 + Float(m) / Float(1 << mantissaBits)) * Float(sign: .plus, exponent: e - bias, significand: 1)
        return negative ? -magnitude : magnitude
    }
}
