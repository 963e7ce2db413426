/// float32 <-> IEEE float16 eight lanes at a time with integer SIMD (no F16C needed): the
/// branch-free conversions of Fabian Giesen's "half_to_float_fast" and "float_to_half_fast3",
/// rounding to nearest even, NaN kept as a quiet NaN, overflow to infinity.
enum VectorHalf {
    typealias Words = SIMD8<UInt32>

    static func halves(_ x: SIMD8<Float>) -> SIMD8<UInt16> {
        var f = unsafeBitCast(x, to: Words.self)
        let sign = f & 0x8000_0000
        f ^= sign
        let infinity: UInt32 = 255 << 23
        let halfOverflow: UInt32 = (127 + 16) << 23
        let denormalMagic: UInt32 = ((127 - 15) + (23 - 10) + 1) << 23
        // Values that become half subnormals: let the float adder do the rounding.
        let tiny =
            unsafeBitCast(
                unsafeBitCast(f, to: SIMD8<Float>.self) + unsafeBitCast(Words(repeating: denormalMagic), to: SIMD8<Float>.self),
                to: Words.self)
            &- denormalMagic
        // Normal values: rebias the exponent and round the mantissa to nearest even.
        let odd = (f &>> 13) & 1
        let normal = (f &+ (UInt32(bitPattern: (15 - 127) << 23) &+ 0xFFF) &+ odd) &>> 13
        var o = normal.replacing(with: tiny, where: f .< (113 << 23))
        o.replace(with: 0x7C00, where: f .>= halfOverflow)
        o.replace(with: 0x7E00, where: f .> infinity)
        return SIMD8<UInt16>(truncatingIfNeeded: o | (sign &>> 16))
    }

    static func floats(_ h: SIMD8<UInt16>) -> SIMD8<Float> {
        let w = Words(truncatingIfNeeded: h)
        let shiftedExponent: UInt32 = 0x7C00 << 13
        var o = (w & 0x7FFF) &<< 13
        let exponent = o & shiftedExponent
        o &+= (127 - 15) << 23
        // Infinity and NaN: push the exponent to the top.
        let special = o &+ ((128 - 16) << 23)
        // Zero and subnormals: renormalize through the float unit.
        let magic: UInt32 = 113 << 23
        let small = unsafeBitCast(
            unsafeBitCast(o &+ (1 << 23), to: SIMD8<Float>.self) - unsafeBitCast(Words(repeating: magic), to: SIMD8<Float>.self),
            to: Words.self)
        o.replace(with: special, where: exponent .== shiftedExponent)
        o.replace(with: small, where: exponent .== 0)
        return unsafeBitCast(o | ((w & 0x8000) &<< 16), to: SIMD8<Float>.self)
    }

    /// Converts `count` elements eight at a time, the tail through a zero-padded vector.
    static func narrow(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<UInt16>, _ count: Int) {
        var i = 0
        while i + 8 <= count {
            let v = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: halves(v), as: SIMD8<UInt16>.self)
            i += 8
        }
        if i < count {
            var v = SIMD8<Float>.zero
            for k in 0..<(count - i) { v[k] = src[i + k] }
            let h = halves(v)
            for k in 0..<(count - i) { dst[i + k] = h[k] }
        }
    }

    static func widen(_ src: UnsafePointer<UInt16>, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        var i = 0
        while i + 8 <= count {
            let h = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<UInt16>.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: floats(h), as: SIMD8<Float>.self)
            i += 8
        }
        if i < count {
            var h = SIMD8<UInt16>.zero
            for k in 0..<(count - i) { h[k] = src[i + k] }
            let v = floats(h)
            for k in 0..<(count - i) { dst[i + k] = v[k] }
        }
    }
}
