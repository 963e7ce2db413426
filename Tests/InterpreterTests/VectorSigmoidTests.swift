import CVectorMath
import Foundation
import Testing

@testable import Interpreter

/// The AVX2 and AVX-512 sigmoid and swish agree with libm's exp within a few float32 ulps over
/// the whole range, including the saturated ends, NaN and the infinities, at lengths that leave
/// a tail at either vector width.
@Suite struct VectorSigmoidTests {
    @Test(arguments: [1, 7, 8, 13, 16, 17, 1000], [Int32(1), 2])
    func matchesLibm(count: Int, level: Int32) throws {
        var src = (0..<count).map { Float($0) / Float(max(count - 1, 1)) * 200 - 100 }
        if count > 3 {
            src[0] = .nan
            src[1] = .infinity
            src[2] = -.infinity
        }
        var dst = [Float](repeating: 7, count: count)
        for (alpha, multiply) in [(Float(1), Int32(0)), (1.702, 1)] {
            let used = whittle_sigmoid_f32_at(level, src, &dst, count, alpha, multiply)
            guard used == 1 else { return }  // no AVX2 here: the Swift path is tested elsewhere
            for (x, y) in zip(src, dst) {
                let s = 1 / (1 + Foundation.exp(-Double(alpha) * Double(x)))
                let expected = Float(multiply == 1 ? Double(x) * s : s)
                if x.isNaN {
                    #expect(y.isNaN)
                } else if expected.isNaN {
                    #expect(y.isNaN)  // inf * 0 for swish at -inf
                } else if expected.isInfinite {
                    #expect(y == expected)
                } else {
                    #expect(abs(y - expected) <= 4e-7 * max(1, abs(expected)), "x \(x): \(y) vs \(expected)")
                }
            }
        }
    }
}
