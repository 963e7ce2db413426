import Foundation
import ONNXIR

/// Cast to and from the packed types: int4/uint4 and float4e2m1 (two to a byte) and int2/uint2
/// (four to a byte), low bits first, and the exponent-only float8e8m0. Integers wrap as C casts
/// do (-9 as int4 is 7), floats out of range become 0 as in the reference; float4e2m1 rounds to nearest even and saturates at ±6 (NaN becomes -0,
/// as the ONNX reference writes it); e8m0 rounds by `round_mode`.
enum SubByteCast {
    enum RoundMode: String { case up, down, nearest }

    static func isHandled(_ type: DataType) -> Bool { type.isSubByte || type == .float8e8m0 }

    /// The elements as int64 (integer types) or float32 (float4e2m1, e8m0).
    static func widen(_ x: RuntimeTensor, _ context: ExecutionContext) throws -> RuntimeTensor {
        let bytes = x.raw.assumingMemoryBound(to: UInt8.self)
        switch x.dataType {
        case .int4, .uint4, .int2, .uint2:
            let bits = x.dataType.bitWidth!
            let isSigned = x.dataType == .int4 || x.dataType == .int2
            let out = try context.allocate(.int64, x.shape)
            let values = out.elements(Int64.self)
            for i in 0..<x.count {
                let code = Int64(field(bytes, i, bits))
                values[i] = isSigned && code >= 1 << (bits - 1) ? code - (1 << bits) : code
            }
            return out
        case .float4e2m1:
            let out = try context.allocate(.float, x.shape)
            for i in 0..<x.count {
                let code = field(bytes, i, 4)
                let magnitude = float4Values[Int(code & 7)]
                out.floats[i] = code & 8 != 0 ? -magnitude : magnitude
            }
            return out
        case .float8e8m0:
            let out = try context.allocate(.float, x.shape)
            // 2^(code - 127); code 0 is 2^-127 (a float32 subnormal), 255 is NaN.
            for i in 0..<x.count {
                out.floats[i] = bytes[i] == 0xFF ? .nan : Float(sign: .plus, exponent: Int(bytes[i]) - 127, significand: 1)
            }
            return out
        default: throw KernelFailure("\(x.dataType.name) is not a packed type")
        }
    }

    static func narrow(_ x: RuntimeTensor, to type: DataType, roundMode: RoundMode, saturate: Bool, _ context: ExecutionContext) throws
        -> RuntimeTensor
    {
        let out = try context.zeros(type, x.shape)
        let bytes = out.raw.assumingMemoryBound(to: UInt8.self)
        switch type {
        case .int4, .uint4, .int2, .uint2:
            let bits = type.bitWidth!
            let mask = Int64((1 << bits) - 1)
            if x.dataType.isFloatingPoint {
                // Floats out of the target's range are undefined in the spec; the reference
                // (ml_dtypes) writes 0 for them and for NaN, so do we. In range, truncate.
                let isSigned = type == .int4 || type == .int2
                let low = isSigned ? -Double(1 << (bits - 1)) : 0, high = isSigned ? Double((1 << (bits - 1)) - 1) : Double(mask)
                let values = try FloatIO.doubles(x)
                for i in 0..<x.count {
                    let t = values[i].rounded(.towardZero)
                    store(bytes, i, bits, t >= low && t <= high ? UInt8(Int64(t) & mask) : 0)
                }
                return out
            }
            // Keep the converted tensor alive while reading through its pointer.
            let wide = try CastKernel.convert(x, to: .int64, saturate: saturate, context)
            let values = wide.elements(Int64.self)
            for i in 0..<x.count { store(bytes, i, bits, UInt8(values[i] & mask)) }
        case .float4e2m1:
            let values = try CastKernel.convert(x, to: .float, saturate: saturate, context)
            for i in 0..<x.count { store(bytes, i, 4, float4Code(values.floats[i])) }
        case .float8e8m0:
            let values = try CastKernel.convert(x, to: .float, saturate: saturate, context)
            for i in 0..<x.count { bytes[i] = e8m0Code(values.floats[i], roundMode, saturate: saturate) }
        default: throw KernelFailure("\(type.name) is not a packed type")
        }
        return out
    }

    /// Magnitudes of float4e2m1 codes 0...7.
    private static let float4Values: [Float] = [0, 0.5, 1, 1.5, 2, 3, 4, 6]

    private static func field(_ bytes: UnsafeMutablePointer<UInt8>, _ i: Int, _ bits: Int) -> UInt8 {
        let perByte = 8 / bits
        return (bytes[i / perByte] >> UInt8((i % perByte) * bits)) & UInt8((1 << bits) - 1)
    }

    private static func store(_ bytes: UnsafeMutablePointer<UInt8>, _ i: Int, _ bits: Int, _ code: UInt8) {
        let perByte = 8 / bits
        bytes[i / perByte] |= code << UInt8((i % perByte) * bits)
    }

    /// Nearest float4e2m1 code, ties to the even code, saturating at 6.
    private static func float4Code(_ x: Float) -> UInt8 {
        if x.isNaN { return 0x8 }
        let sign: UInt8 = x.sign == .minus ? 0x8 : 0
        let a = x.magnitude
        var best = 7
        for k in 0..<7 {
            let midpoint = (float4Values[k] + float4Values[k + 1]) / 2
            if a < midpoint || (a == midpoint && k % 2 == 0) {
                best = k
                break
            }
        }
        return sign | UInt8(best)
    }

    /// The power of two e8m0 holds for `x` (its sign ignored), rounded per `mode`; out of range
    /// saturates to the extreme codes or, without `saturate`, becomes NaN.
    private static func e8m0Code(_ x: Float, _ mode: RoundMode, saturate: Bool) -> UInt8 {
        let a = x.magnitude
        if a.isNaN { return 0xFF }
        if a.isInfinite { return saturate ? 0xFE : 0xFF }
        if a == 0 { return saturate ? 0 : 0xFF }
        let exponent = Int(a.exponent)
        let fraction = a.significand - 1  // in [0, 1)
        var e = exponent
        switch mode {
        case .up: if fraction > 0 { e += 1 }
        case .down: break
        case .nearest: if fraction > 0.5 || (fraction == 0.5 && (e + 127) % 2 != 0) { e += 1 }
        }
        let code = e + 127
        if code < 0 { return saturate ? 0 : 0xFF }
        if code > 254 { return saturate ? 0xFE : 0xFF }
        return UInt8(code)
    }
}
