import Foundation

/// The libm functions float kernels need, for Float and Double alike, so one generic loop body
/// serves both precisions (specialized per type, no dynamic dispatch in the loop). The eight-lane
/// forms are requirements because Swift picks SIMD operator overloads when it type-checks:
/// generic code gets the lane-by-lane comparison, concrete Float/Double code the vector one.
protocol FloatMath: BinaryFloatingPoint, SIMDScalar {
    static func exponential(_ v: SIMD8<Self>) -> SIMD8<Self>
    /// Lane-wise max and min that let NaN through.
    static func maximum(_ a: SIMD8<Self>, _ b: SIMD8<Self>) -> SIMD8<Self>
    static func minimum(_ a: SIMD8<Self>, _ b: SIMD8<Self>) -> SIMD8<Self>
    static func magnitude(_ v: SIMD8<Self>) -> SIMD8<Self>

    static func exponential(_ x: Self) -> Self
    static func exponentialMinusOne(_ x: Self) -> Self
    static func logarithm(_ x: Self) -> Self
    static func logarithmOnePlus(_ x: Self) -> Self
    static func hyperbolicTangent(_ x: Self) -> Self
    static func errorFunction(_ x: Self) -> Self
    static func sine(_ x: Self) -> Self
    static func cosine(_ x: Self) -> Self
    static func tangent(_ x: Self) -> Self
    static func arcSine(_ x: Self) -> Self
    static func arcCosine(_ x: Self) -> Self
    static func arcTangent(_ x: Self) -> Self
    static func hyperbolicSine(_ x: Self) -> Self
    static func hyperbolicCosine(_ x: Self) -> Self
    static func hyperbolicArcSine(_ x: Self) -> Self
    static func hyperbolicArcCosine(_ x: Self) -> Self
    static func hyperbolicArcTangent(_ x: Self) -> Self
    static func power(_ x: Self, _ y: Self) -> Self
}

extension Float: FloatMath {
    @inline(__always) static func exponential(_ v: SIMD8<Float>) -> SIMD8<Float> { VectorMath.exp(v) }
    @inline(__always) static func maximum(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        a.replacing(with: b, where: b .> a).replacing(with: b, where: b .!= b)
    }
    @inline(__always) static func minimum(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        a.replacing(with: b, where: b .< a).replacing(with: b, where: b .!= b)
    }
    @inline(__always) static func magnitude(_ v: SIMD8<Float>) -> SIMD8<Float> { VectorMath.magnitude(v) }
    @inline(__always) static func exponential(_ x: Float) -> Float { expf(x) }
    @inline(__always) static func exponentialMinusOne(_ x: Float) -> Float { expm1f(x) }
    @inline(__always) static func logarithm(_ x: Float) -> Float { logf(x) }
    @inline(__always) static func logarithmOnePlus(_ x: Float) -> Float { log1pf(x) }
    @inline(__always) static func hyperbolicTangent(_ x: Float) -> Float { tanhf(x) }
    @inline(__always) static func errorFunction(_ x: Float) -> Float { erff(x) }
    @inline(__always) static func sine(_ x: Float) -> Float { sinf(x) }
    @inline(__always) static func cosine(_ x: Float) -> Float { cosf(x) }
    @inline(__always) static func tangent(_ x: Float) -> Float { tanf(x) }
    @inline(__always) static func arcSine(_ x: Float) -> Float { asinf(x) }
    @inline(__always) static func arcCosine(_ x: Float) -> Float { acosf(x) }
    @inline(__always) static func arcTangent(_ x: Float) -> Float { atanf(x) }
    @inline(__always) static func hyperbolicSine(_ x: Float) -> Float { sinhf(x) }
    @inline(__always) static func hyperbolicCosine(_ x: Float) -> Float { coshf(x) }
    @inline(__always) static func hyperbolicArcSine(_ x: Float) -> Float { asinhf(x) }
    @inline(__always) static func hyperbolicArcCosine(_ x: Float) -> Float { acoshf(x) }
    @inline(__always) static func hyperbolicArcTangent(_ x: Float) -> Float { atanhf(x) }
    @inline(__always) static func power(_ x: Float, _ y: Float) -> Float { powf(x, y) }
}

extension Double: FloatMath {
    @inline(__always) static func exponential(_ v: SIMD8<Double>) -> SIMD8<Double> {
        var out = v
        for k in 0..<8 { out[k] = Foundation.exp(v[k]) }
        return out
    }
    @inline(__always) static func maximum(_ a: SIMD8<Double>, _ b: SIMD8<Double>) -> SIMD8<Double> {
        a.replacing(with: b, where: b .> a).replacing(with: b, where: b .!= b)
    }
    @inline(__always) static func minimum(_ a: SIMD8<Double>, _ b: SIMD8<Double>) -> SIMD8<Double> {
        a.replacing(with: b, where: b .< a).replacing(with: b, where: b .!= b)
    }
    @inline(__always) static func magnitude(_ v: SIMD8<Double>) -> SIMD8<Double> { v.replacing(with: -v, where: v .< 0) }
    @inline(__always) static func exponential(_ x: Double) -> Double { Foundation.exp(x) }
    @inline(__always) static func exponentialMinusOne(_ x: Double) -> Double { Foundation.expm1(x) }
    @inline(__always) static func logarithm(_ x: Double) -> Double { Foundation.log(x) }
    @inline(__always) static func logarithmOnePlus(_ x: Double) -> Double { Foundation.log1p(x) }
    @inline(__always) static func hyperbolicTangent(_ x: Double) -> Double { Foundation.tanh(x) }
    @inline(__always) static func errorFunction(_ x: Double) -> Double { Foundation.erf(x) }
    @inline(__always) static func sine(_ x: Double) -> Double { Foundation.sin(x) }
    @inline(__always) static func cosine(_ x: Double) -> Double { Foundation.cos(x) }
    @inline(__always) static func tangent(_ x: Double) -> Double { Foundation.tan(x) }
    @inline(__always) static func arcSine(_ x: Double) -> Double { Foundation.asin(x) }
    @inline(__always) static func arcCosine(_ x: Double) -> Double { Foundation.acos(x) }
    @inline(__always) static func arcTangent(_ x: Double) -> Double { Foundation.atan(x) }
    @inline(__always) static func hyperbolicSine(_ x: Double) -> Double { Foundation.sinh(x) }
    @inline(__always) static func hyperbolicCosine(_ x: Double) -> Double { Foundation.cosh(x) }
    @inline(__always) static func hyperbolicArcSine(_ x: Double) -> Double { Foundation.asinh(x) }
    @inline(__always) static func hyperbolicArcCosine(_ x: Double) -> Double { Foundation.acosh(x) }
    @inline(__always) static func hyperbolicArcTangent(_ x: Double) -> Double { Foundation.atanh(x) }
    @inline(__always) static func power(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
}
