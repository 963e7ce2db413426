/// Eight-lane float32 exp, tanh, erf and sigmoid for the activation kernels: libm's scalar
/// versions cost 5-15 ns an element, these a fraction of that. Accuracy stays within a few ulps:
/// exp is Cephes' range reduction and polynomial (about 1 ulp, with gradual underflow), tanh and
/// erf use an odd polynomial near zero and exp-based forms beyond (max relative error below 7e-7).
enum VectorMath {
    typealias Vector = SIMD8<Float>
    typealias Bits = SIMD8<Int32>

    @inline(__always) static func bits(_ v: Vector) -> Bits { unsafeBitCast(v, to: Bits.self) }
    @inline(__always) static func float(_ b: Bits) -> Vector { unsafeBitCast(b, to: Vector.self) }
    @inline(__always) static func magnitude(_ v: Vector) -> Vector { float(bits(v) & Bits(repeating: 0x7FFF_FFFF)) }
    /// `magnitude` with the sign of `sign`.
    @inline(__always) static func withSign(_ magnitude: Vector, of sign: Vector) -> Vector {
        float(bits(magnitude) | (bits(sign) & Bits(repeating: Int32(bitPattern: 0x8000_0000))))
    }

    static func exp(_ x: Vector) -> Vector {
        let overflow = x .> 88.72283, underflow = x .< -103.97208, isNaN = x .!= x
        var v = x.replacing(with: 88.72283, where: overflow)
        v.replace(with: -103.97208, where: underflow)
        v.replace(with: 0, where: isNaN)
        // n = round(x / ln 2) by the 1.5 * 2^23 trick, which leaves n in the low mantissa bits.
        let magic: Float = 12_582_912
        let shifted = v * 1.442_695_04 + magic
        let n = shifted - magic
        let r = v - n * 0.693_359_375 - n * -2.121_944_4e-4
        var p = Vector(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        p = p * (r * r) + r + 1
        // 2^n as two factors so results down to the subnormals stay exact.
        let k = bits(shifted) &- bits(Vector(repeating: magic))
        let k1 = k &>> 1, k2 = k &- k1
        var result = p * float((k1 &+ 127) &<< 23) * float((k2 &+ 127) &<< 23)
        result.replace(with: .infinity, where: overflow)
        result.replace(with: 0, where: underflow)
        result.replace(with: x, where: isNaN)
        return result
    }

    static func tanh(_ x: Vector) -> Vector {
        let a = magnitude(x)
        let z = x * x
        var p = Vector(repeating: -5.704_988_72e-3)
        p = p * z + 2.063_908_88e-2
        p = p * z - 5.373_971_55e-2
        p = p * z + 1.333_144_22e-1
        p = p * z - 3.333_328_19e-1
        let near = p * z * x + x
        let far = withSign(1 - 2 / (exp(a + a) + 1), of: x)
        return far.replacing(with: near, where: a .< 0.625)
    }

    static func erf(_ x: Vector) -> Vector {
        let a = magnitude(x)
        let z = x * x
        // x + x * P(x^2), P fitted by Tools/numerics/fit_erf.py (about 1 ulp; x * P(x^2) with
        // P's constant 2/sqrt(pi), used before, 2.3).
        var p = Vector(repeating: 7.868_820_830e-5)
        p = p * z - 8.015_011_554e-4
        p = p * z + 5.188_921_932e-3
        p = p * z - 2.685_416_117e-2
        p = p * z + 1.128_359_511e-1
        p = p * z - 3.761_262_596e-1
        p = p * z + 1.283_791_661e-1
        let near = x * p + x
        // 1 - erfc(|x|), erfc(a) = exp(-(a^2 + Q(a))) with Q fitted on [1, 4] by
        // Tools/numerics/fit_erf.py: under 0.9 ulp of erf in exact arithmetic (Abramowitz and
        // Stegun 7.1.26, used before, 2.9 ulp). Past 4 erf rounds to 1; the clamp keeps NaN.
        let c = a.replacing(with: 4, where: a .> 4)
        var q = Vector(repeating: 2.176_086_127e-5)
        q = q * c - 4.422_510_392e-4
        q = q * c + 4.209_304_694e-3
        q = q * c - 2.522_163_652e-2
        q = q * c + 1.084_407_642e-1
        q = q * c - 3.668_017_387e-1
        q = q * c + 1.129_589_915
        q = q * c - 1.906_072_139e-4
        let far = withSign(1 - exp(-(c * c + q)), of: x)
        return far.replacing(with: near, where: a .< 1)
    }

    @inline(__always) static func sigmoid(_ x: Vector) -> Vector { 1 / (1 + exp(-x)) }

    /// dst[i] = f(src[i]) eight at a time; the tail goes through a zero-padded vector so every
    /// element sees the same approximation.
    @inline(__always)
    static func map(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ range: Range<Int>, _ f: (Vector) -> Vector) {
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            let v = UnsafeRawPointer(src + i).loadUnaligned(as: Vector.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: f(v), as: Vector.self)
            i += 8
        }
        let rest = range.upperBound - i
        if rest > 0 {
            var v = Vector.zero
            for k in 0..<rest { v[k] = src[i + k] }
            let y = f(v)
            for k in 0..<rest { dst[i + k] = y[k] }
        }
    }
}
