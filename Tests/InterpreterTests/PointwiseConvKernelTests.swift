import CVectorMath
import TestSupport
import Testing

/// The direct 1x1 kernel agrees with a naive product over output-channel counts that leave
/// partial 12- and 4-row tiles, position counts that leave masked vectors, sub-ranges of rows and
/// positions (how threads split it), input rows wider than the output's (im2col blocks), with
/// and without bias, and applies its activation.
@Suite struct PointwiseConvKernelTests {
    @Test func matchesNaiveProduct() {
        guard whittle_pointwise_conv_supported() != 0 else { return }  // no AVX-512 here
        var g = SeededGenerator(seed: 5)
        for _ in 0..<60 {
            let (m, k, n) = (Int.random(in: 1...30, using: &g), Int.random(in: 1...40, using: &g), Int.random(in: 1...600, using: &g))
            let m0 = Int.random(in: 0..<m, using: &g), m1 = Int.random(in: (m0 + 1)...m, using: &g)
            let p0 = Int.random(in: 0..<n, using: &g), p1 = Int.random(in: (p0 + 1)...n, using: &g)
            let ldx = n + Int.random(in: 0...5, using: &g)
            let x = (0..<(k * ldx)).map { _ in g.nextFloat(in: -1...1) }
            let w = (0..<(m * k)).map { _ in g.nextFloat(in: -1...1) }
            let bias: [Float]? = Bool.random(using: &g) ? (0..<m).map { _ in g.nextFloat(in: -1...1) } : nil
            let relu = Bool.random(using: &g)
            var y = [Float](repeating: 42, count: m * n)
            let mode = Int32(relu ? WHITTLE_ACTIVATION_RELU : WHITTLE_ACTIVATION_NONE)
            #expect(whittle_pointwise_conv_f32(x, k, ldx, w, bias, &y, n, m0, m1, p0, p1, mode, 0, 0) == 1)
            for o in 0..<m {
                for p in 0..<n {
                    let got = y[o * n + p]
                    guard (m0..<m1).contains(o), (p0..<p1).contains(p) else {
                        #expect(got == 42, "wrote outside its range at \(o),\(p)")
                        continue
                    }
                    var sum = bias?[o] ?? 0
                    for c in 0..<k { sum += w[o * k + c] * x[c * ldx + p] }
                    let expected = relu && sum < 0 ? 0 : sum
                    #expect(abs(got - expected) < 1e-4, "m \(m) k \(k) n \(n) at \(o),\(p)")
                }
            }
        }
    }
}
