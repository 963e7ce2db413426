import CVectorMath

/// Min, max and sum of the finite elements of a float buffer, eight lanes at a time: calibration
/// runs them over every watched activation of every sample, and the scalar loop with its
/// `isFinite` branch did not vectorize (it took a quarter of ResNet-50's quantization time).
/// NaN and infinities are skipped, as by the scalar rule; the sum adds lanes in a fixed order, so
/// results are the same run after run.
enum FiniteReductions {
    struct Result {
        var low: Float = .infinity
        var high: Float = -.infinity
        var sum: Float = 0
    }

    static func minMaxSum(_ p: UnsafePointer<Float>, count: Int) -> Result {
        // The AVX2 loop when the CPU has it: Swift's SIMD8 min/max compile to calls here.
        var c = Result()
        if whittle_finite_min_max_sum_f32(p, count, &c.low, &c.high, &c.sum) != 0 { return c }
        typealias V = SIMD8<Float>
        var lo = V(repeating: .infinity), hi = V(repeating: -.infinity), sum = V(repeating: 0)
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i + 8 <= count {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: V.self)
            // v - v is 0 for finite v and NaN for NaN and the infinities.
            let finite = (v - v) .== V(repeating: 0)
            lo = pointwiseMin(lo, v.replacing(with: .infinity, where: .!finite))
            hi = pointwiseMax(hi, v.replacing(with: -.infinity, where: .!finite))
            sum += v.replacing(with: 0, where: .!finite)
            i += 8
        }
        var r = Result(low: lo.min(), high: hi.max(), sum: sum.sum())
        while i < count {
            let x = p[i]
            if x.isFinite {
                r.low = min(r.low, x)
                r.high = max(r.high, x)
                r.sum += x
            }
            i += 1
        }
        return r
    }
}
