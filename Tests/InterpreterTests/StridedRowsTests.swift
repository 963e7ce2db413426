import CVectorMath
import TestSupport
import Testing

@testable import Interpreter

/// The AVX-512 stride-2 row loops give the Swift loops' results: max pooling over random
/// geometries (with NaN and infinities in the input), and im2col's every-other-element copy.
@Suite struct StridedRowsTests {
    @Test func maxPoolMatchesTheSwiftLoop() throws {
        var g = SeededGenerator(seed: 8)
        var checked = 0
        for _ in 0..<200 {
            let (ih, iw) = (Int.random(in: 1...20, using: &g), Int.random(in: 1...60, using: &g))
            let (kh, kw) = (Int.random(in: 1...4, using: &g), Int.random(in: 1...4, using: &g))
            let (sy, sx) = (Int.random(in: 1...3, using: &g), Int.random(in: 1...2, using: &g))
            let pads = [Int.random(in: 0...(kh - 1), using: &g), Int.random(in: 0...(kw - 1), using: &g)]
            guard
                let geometry = try? ConvGeometry(
                    input: [ih, iw], kernel: [kh, kw], strides: [sy, sx], dilations: nil, pads: pads + pads, autoPad: "NOTSET", spatial: 2),
                geometry.output.allSatisfy({ $0 > 0 })
            else { continue }
            let specials: [Float] = [.nan, .infinity, -.infinity, -0.0]
            let x = (0..<(ih * iw)).map { _ in
                Int.random(in: 0..<20, using: &g) == 0 ? specials.randomElement(using: &g)! : g.nextFloat(in: -1...1)
            }
            let (oh, ow) = (geometry.output[0], geometry.output[1])
            var expected = [Float](repeating: 7, count: oh * ow), got = expected
            x.withUnsafeBufferPointer { geometry.maxPool2D(input: $0.baseAddress!, output: &expected) }
            guard whittle_max_pool2d_f32(x, ih, iw, kh, kw, sy, sx, pads[0], pads[1], &got, oh, ow) != 0 else { return }
            // Bit patterns, so NaN placement and -0 count too.
            #expect(got.map(\.bitPattern) == expected.map(\.bitPattern), "\(ih)x\(iw) k\(kh)x\(kw) s\(sy),\(sx) pads \(pads)")
            checked += 1
        }
        #expect(checked > 100)
    }

    @Test func copyEvenReadsEveryOtherElementAndNoFurther() {
        for n in [0, 1, 5, 15, 16, 17, 31, 32, 40] {
            // The source ends at its last element read, so a read past it would be caught by a
            // sanitizer; the destination's tail must stay untouched.
            let source = (0..<max(1, 2 * n - 1)).map { Float($0) }
            var destination = [Float](repeating: -1, count: n + 3)
            guard whittle_copy_even_f32(source, n, &destination) != 0 else { return }
            #expect(Array(destination.prefix(n)) == (0..<n).map { Float(2 * $0) }, "n = \(n)")
            #expect(destination.suffix(3).allSatisfy { $0 == -1 })
        }
    }
}
