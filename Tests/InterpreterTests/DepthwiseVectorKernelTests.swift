import CVectorMath
import TestSupport
import Testing

/// The C depthwise loops (AVX-512 with masked edges, AVX2 with scalar edges) agree with a naive
/// convolution over random plane sizes, kernels, strides (1, 2 and gathered 3), dilations and pads.
@Suite struct DepthwiseVectorKernelTests {
    @Test(arguments: [1, 2])
    func matchesNaiveConvolution(level: Int32) {
        var g = SeededGenerator(seed: UInt64(level))
        var checked = 0
        for _ in 0..<400 {
            let (ih, iw) = (Int.random(in: 1...24, using: &g), Int.random(in: 1...70, using: &g))
            let (kh, kw) = (Int.random(in: 1...5, using: &g), Int.random(in: 1...5, using: &g))
            let (sy, sx) = (Int.random(in: 1...3, using: &g), Int.random(in: 1...3, using: &g))
            let (dy, dx) = (Int.random(in: 1...2, using: &g), Int.random(in: 1...2, using: &g))
            let (py, px) = (Int.random(in: 0...2, using: &g), Int.random(in: 0...2, using: &g))
            let oh = (ih + 2 * py - dy * (kh - 1) - 1) / sy + 1, ow = (iw + 2 * px - dx * (kw - 1) - 1) / sx + 1
            guard oh > 0, ow > 0 else { continue }
            let x = (0..<(ih * iw)).map { _ in g.nextFloat(in: -1...1) }
            let w = (0..<(kh * kw)).map { _ in g.nextFloat(in: -1...1) }
            var out = [Float](repeating: .nan, count: oh * ow)
            let ran = whittle_depthwise2d_f32_at(level, x, ih, iw, w, kh, kw, sy, sx, dy, dx, py, px, &out, oh, ow, 0.5)
            guard ran != 0 else { return }  // this CPU lacks the instruction set
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var sum: Float = 0.5
                    for ky in 0..<kh {
                        for kx in 0..<kw {
                            let iy = oy * sy - py + ky * dy, ix = ox * sx - px + kx * dx
                            if iy >= 0 && iy < ih && ix >= 0 && ix < iw { sum += x[iy * iw + ix] * w[ky * kw + kx] }
                        }
                    }
                    #expect(abs(out[oy * ow + ox] - sum) < 1e-5, "\(ih)x\(iw) k\(kh)x\(kw) s\(sy),\(sx) at \(oy),\(ox)")
                }
            }
            checked += 1
        }
        #expect(checked > 300)
    }

    @Test func refusesKernelsWiderThanItsTapTable() {
        let x = [Float](repeating: 1, count: 20), w = [Float](repeating: 1, count: 17)
        var out = [Float](repeating: 0, count: 4)
        #expect(whittle_depthwise2d_f32(x, 1, 20, w, 1, 17, 1, 1, 1, 1, 0, 0, &out, 1, 4, 0) == 0)
    }
}
