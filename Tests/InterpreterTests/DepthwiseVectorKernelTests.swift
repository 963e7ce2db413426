import CVectorMath
import TestSupport
import Testing

/// The C depthwise loops (AVX-512 with masked edges, AVX2 with scalar edges, and 16 channels per
/// vector for narrow planes) agree with a naive convolution over random plane sizes, kernels,
/// strides (1, 2 and gathered 3), dilations and pads, and with each other.
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
            let ran = whittle_depthwise2d_f32_at(level, x, ih, iw, w, kh, kw, sy, sx, dy, dx, py, px, &out, oh, ow, 0.5, 0, 0, 0)
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

    /// The 16-channel kernel gives the plane kernel's bits (same taps, same order, both FMA) over
    /// channel counts that leave a partial block, strides, dilations and pads.
    @Test func channelKernelMatchesPlaneKernel() {
        var g = SeededGenerator(seed: 11)
        var checked = 0
        for _ in 0..<120 {
            let (ih, iw) = (Int.random(in: 1...16, using: &g), Int.random(in: 1...16, using: &g))
            let (kh, kw) = (Int.random(in: 1...5, using: &g), Int.random(in: 1...5, using: &g))
            let (sy, sx) = (Int.random(in: 1...2, using: &g), Int.random(in: 1...2, using: &g))
            let (dy, dx) = (Int.random(in: 1...2, using: &g), Int.random(in: 1...2, using: &g))
            let (py, px) = (Int.random(in: 0...2, using: &g), Int.random(in: 0...2, using: &g))
            let channels = Int.random(in: 1...40, using: &g)
            guard let same = Self.channelAndPlaneKernelsAgree(channels, ih, iw, kh, kw, sy, sx, dy, dx, py, px, using: &g) else { return }
            #expect(same)
            checked += 1
        }
        #expect(checked > 80)
    }

    /// 3x3 and 5x5 taps at stride 1 or 2 (the plane kernel's own path, which loads each input row
    /// once for several output rows) still give the general order's bits, on planes up to 40
    /// wide, so several column blocks, masked edges and row bands with a remainder all run.
    @Test(arguments: [(3, 1), (3, 2), (5, 1), (5, 2)])
    func squarePathKeepsTheTapOrder(kernel: Int, stride: Int) {
        var g = SeededGenerator(seed: UInt64(21 + 10 * kernel + stride))
        var checked = 0
        for _ in 0..<60 {
            let (ih, iw) = (Int.random(in: 1...40, using: &g), Int.random(in: 1...40, using: &g))
            let (py, px) = (Int.random(in: 0...2, using: &g), Int.random(in: 0...2, using: &g))
            let channels = Int.random(in: 1...20, using: &g)
            guard
                let same = Self.channelAndPlaneKernelsAgree(channels, ih, iw, kernel, kernel, stride, stride, 1, 1, py, px, using: &g)
            else { continue }
            #expect(same, "\(ih)x\(iw) pads \(py),\(px)")
            checked += 1
        }
        #expect(checked > 40)
    }

    /// Runs random data through the 16-channel kernel and, channel by channel, the AVX-512 plane
    /// kernel (with Clip). Nil when the window does not fit or this CPU lacks AVX-512.
    static func channelAndPlaneKernelsAgree(
        _ channels: Int, _ ih: Int, _ iw: Int, _ kh: Int, _ kw: Int, _ sy: Int, _ sx: Int, _ dy: Int, _ dx: Int, _ py: Int, _ px: Int,
        using g: inout SeededGenerator
    ) -> Bool? {
        let oh = (ih + 2 * py - dy * (kh - 1) - 1) / sy + 1, ow = (iw + 2 * px - dx * (kw - 1) - 1) / sx + 1
        guard oh > 0, ow > 0 else { return nil }
        let x = (0..<(channels * ih * iw)).map { _ in g.nextFloat(in: -1...1) }
        let w = (0..<(channels * kh * kw)).map { _ in g.nextFloat(in: -1...1) }
        let bias = (0..<channels).map { _ in g.nextFloat(in: -1...1) }
        var out = [Float](repeating: .nan, count: channels * oh * ow)
        let mode = Int32(WHITTLE_ACTIVATION_CLIP)
        guard
            whittle_depthwise2d_channels_f32(x, channels, ih, iw, w, kh, kw, sy, sx, dy, dx, py, px, bias, &out, oh, ow, mode, -0.5, 0.75)
                != 0
        else { return nil }
        for c in 0..<channels {
            var plane = [Float](repeating: .nan, count: oh * ow)
            let ran = x.withUnsafeBufferPointer { px0 in
                w.withUnsafeBufferPointer { pw0 in
                    whittle_depthwise2d_f32_at(
                        2, px0.baseAddress! + c * ih * iw, ih, iw, pw0.baseAddress! + c * kh * kw, kh, kw, sy, sx, dy, dx, py, px,
                        &plane, oh, ow, bias[c], mode, -0.5, 0.75)
                }
            }
            if ran != 1 || Array(out[(c * oh * ow)..<((c + 1) * oh * ow)]) != plane { return false }
        }
        return true
    }

    /// Relu keeps -0 and NaN; Clip is Swift's min(max(x, lo), hi): NaN passes, lo wins ties
    /// with -0, hi wins when lo > hi. Both kernels and both vector widths agree with it.
    @Test(arguments: [(Float(0), Float(6)), (0.25, 0.5), (1, -1)])
    func activationsFollowTheStandaloneRules(lo: Float, hi: Float) {
        // A 1x1 kernel of weight 1 and bias -0 passes x (-0 included) through to the activation.
        let x: [Float] = [-2, -0.0, 0, 0.3, 0.25, 0.5, 7, .nan, -.infinity, .infinity, 1, -1, 0.1, -0.1, 3, 4, 5]
        let relu = x.map { $0 < 0 ? 0 : $0 }, clip = x.map { Swift.min(Swift.max($0, lo), hi) }
        for (mode, expected) in [(Int32(WHITTLE_ACTIVATION_RELU), relu), (Int32(WHITTLE_ACTIVATION_CLIP), clip)] {
            for level in [Int32(1), 2] {
                var out = [Float](repeating: 9, count: x.count)
                guard
                    whittle_depthwise2d_f32_at(level, x, 1, x.count, [1], 1, 1, 1, 1, 1, 1, 0, 0, &out, 1, x.count, -0.0, mode, lo, hi) != 0
                else { continue }
                #expect(out.map(\.bitPattern) == expected.map(\.bitPattern), "level \(level) mode \(mode)")
            }
            var out = [Float](repeating: 9, count: x.count)
            if whittle_depthwise2d_channels_f32(
                x, x.count, 1, 1, [Float](repeating: 1, count: x.count), 1, 1, 1, 1, 1, 1, 0, 0, [Float](repeating: -0.0, count: x.count),
                &out, 1, 1, mode, lo, hi)
                != 0
            {
                #expect(out.map(\.bitPattern) == expected.map(\.bitPattern), "channels mode \(mode)")
            }
        }
    }

    /// Sigmoid and Swish (alpha in `lo`) in a kernel give the standalone vector Sigmoid's bits at
    /// the same level (the plane kernel at 1 and 2, the channel kernel at 2).
    @Test(arguments: [Float(1), 1.702])
    func sigmoidAndSwishMatchTheStandaloneKernel(alpha: Float) {
        let x: [Float] = (0..<37).map { Float($0) * 0.9 - 16 } + [.nan, .infinity, -.infinity, -0.0]
        for (mode, multiply) in [(Int32(WHITTLE_ACTIVATION_SIGMOID), Int32(0)), (Int32(WHITTLE_ACTIVATION_SWISH), 1)] {
            for level in [Int32(1), 2] {
                var expected = [Float](repeating: 0, count: x.count), out = [Float](repeating: 9, count: x.count)
                guard whittle_sigmoid_f32_at(level, x, &expected, x.count, alpha, multiply) != 0,
                    whittle_depthwise2d_f32_at(level, x, 1, x.count, [1], 1, 1, 1, 1, 1, 1, 0, 0, &out, 1, x.count, -0.0, mode, alpha, 0)
                        != 0
                else { continue }
                #expect(out.map(\.bitPattern) == expected.map(\.bitPattern), "level \(level) mode \(mode)")
                guard level == 2 else { continue }
                out = [Float](repeating: 9, count: x.count)
                if whittle_depthwise2d_channels_f32(
                    x, x.count, 1, 1, [Float](repeating: 1, count: x.count), 1, 1, 1, 1, 1, 1, 0, 0,
                    [Float](repeating: -0.0, count: x.count), &out, 1, 1, mode, alpha, 0) != 0
                {
                    #expect(out.map(\.bitPattern) == expected.map(\.bitPattern), "channels mode \(mode)")
                }
            }
        }
    }

    @Test func refusesKernelsWiderThanItsTapTable() {
        let x = [Float](repeating: 1, count: 20), w = [Float](repeating: 1, count: 17)
        var out = [Float](repeating: 0, count: 4)
        #expect(whittle_depthwise2d_planes_f32(x, 1, 1, 20, w, 1, 17, 1, 1, 1, 1, 0, 0, nil, &out, 1, 4, 0, 0, 0) == 0)
    }
}
