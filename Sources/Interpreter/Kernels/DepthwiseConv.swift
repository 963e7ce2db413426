import CVectorMath

/// A 2-D depthwise Conv (one input and one output channel per group) over NCHW floats.
///
/// Planes at most 7 wide (the 7x7 tail of MobileNet and EfficientNet) go to the C kernel that
/// puts 16 channels in each vector; wider ones to the one that vectorizes along
/// output rows; without AVX2 the Swift loop below runs. Relu, Clip, Sigmoid and Swish are
/// applied by the C kernels before they store; other fused activations run over each plane
/// afterwards.
struct DepthwiseConv {
    let geometry: ConvGeometry
    let channels: Int
    let activation: FusedActivation?
    /// How the C kernels apply `activation`, worked out once rather than per plane.
    private let vectorForm: (mode: Int32, lo: Float, hi: Float, rest: FusedActivation?)

    init(geometry: ConvGeometry, channels: Int, activation: FusedActivation?) {
        self.geometry = geometry
        self.channels = channels
        self.activation = activation
        self.vectorForm = FusedActivation.vectorKernelForm(of: activation)
    }

    /// Channels per parallel chunk: whole 16-channel vector blocks.
    static let channelBlock = 16
    /// The widest output plane that takes the 16-channel kernel. 7x7 planes run in 0.55x of the
    /// plane kernel's time; on 14x14 planes the plane kernel already fills 14 of 16 lanes and
    /// sending them here too made MobileNetV2 1.5-3.7 % slower.
    static let narrowPlane = 7

    func run(
        batch: Int, x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>,
        context: ExecutionContext
    ) {
        let inSize = geometry.input.reduce(1, *), outSize = geometry.output.reduce(1, *)
        let taps = geometry.kernel.reduce(1, *)
        let (mode, lo, hi, rest) = vectorForm
        if geometry.output[1] <= Self.narrowPlane {
            // Channels are independent: blocks of them spread over the threads (batch 1 is the
            // common case).
            let blocks = (channels + Self.channelBlock - 1) / Self.channelBlock
            // Chunks only ever clear it (all of them on a CPU without AVX-512); then the plane
            // kernel below rewrites every plane.
            var ran = true
            context.parallelFor(batch * blocks, grain: 1) { range in
                for item in range {
                    let n = item / blocks, c = (item % blocks) * Self.channelBlock
                    let count = min(Self.channelBlock, channels - c), plane = n * channels + c
                    let done = channelKernel(
                        x + plane * inSize, count, w + c * taps, bias.map { $0 + c }, out + plane * outSize, mode, lo, hi)
                    if !done {
                        ran = false
                        return
                    }
                    if let rest { rest.apply(out + plane * outSize, 0..<(count * outSize)) }
                }
            }
            if ran { return }
        }
        let g = geometry
        let (ih, iw, kh, kw, oh, ow) = (g.input[0], g.input[1], g.kernel[0], g.kernel[1], g.output[0], g.output[1])
        let (sy, sx, dy, dx, py, px) = (g.strides[0], g.strides[1], g.dilations[0], g.dilations[1], g.pads[0], g.pads[1])
        context.parallelFor(batch * channels, grain: 8) { range in
            var plane = range.lowerBound
            while plane < range.upperBound {
                // The run of channels left in this sample, in one C call.
                let c = plane % channels, count = min(range.upperBound - plane, channels - c)
                let (xs, os) = (x + plane * inSize, out + plane * outSize)
                if whittle_depthwise2d_planes_f32(
                    xs, count, ih, iw, w + c * taps, kh, kw, sy, sx, dy, dx, py, px, bias.map { $0 + c }, os, oh, ow, mode, lo, hi) != 0
                {
                    rest?.apply(os, 0..<(count * outSize))
                } else {
                    for k in 0..<count {
                        planeKernel(input: xs + k * inSize, weights: w + (c + k) * taps, output: os + k * outSize, bias: bias?[c + k] ?? 0)
                    }
                }
                plane += count
            }
        }
    }

    /// `count` channels through the 16-channel C kernel; false (nothing written) without AVX-512.
    private func channelKernel(
        _ x: UnsafePointer<Float>, _ count: Int, _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
        _ out: UnsafeMutablePointer<Float>, _ mode: Int32, _ lo: Float, _ hi: Float
    ) -> Bool {
        let g = geometry
        return whittle_depthwise2d_channels_f32(
            x, count, g.input[0], g.input[1], w, g.kernel[0], g.kernel[1], g.strides[0], g.strides[1], g.dilations[0], g.dilations[1],
            g.pads[0], g.pads[1], bias, out, g.output[0], g.output[1], mode, lo, hi) != 0
    }

    /// One channel, with the activation, where the C kernels cannot run (no AVX2, or a kernel
    /// side over 16 taps). Columns whose whole window lies inside the input skip the bounds checks.
    private func planeKernel(
        input x: UnsafePointer<Float>, weights w: UnsafePointer<Float>, output o: UnsafeMutablePointer<Float>, bias: Float
    ) {
        let g = geometry
        let (ih, iw, kh, kw, oh, ow) = (g.input[0], g.input[1], g.kernel[0], g.kernel[1], g.output[0], g.output[1])
        let (sy, sx, dy, dx, py, px) = (g.strides[0], g.strides[1], g.dilations[0], g.dilations[1], g.pads[0], g.pads[1])
        let (first, last) = g.interiorColumns
        for oy in 0..<oh {
            let row = o + oy * ow
            for ox in 0..<ow { row[ox] = bias }
            for ky in 0..<kh {
                let iy = oy * sy - py + ky * dy
                if iy < 0 || iy >= ih { continue }
                let src = x + iy * iw
                let wrow = w + ky * kw
                for kx in 0..<kw {
                    let weight = wrow[kx]
                    let offset = kx * dx - px
                    // Edges, with checks.
                    for ox in 0..<first {
                        let ix = ox * sx + offset
                        if ix >= 0 && ix < iw { row[ox] += src[ix] * weight }
                    }
                    for ox in last..<ow {
                        let ix = ox * sx + offset
                        if ix >= 0 && ix < iw { row[ox] += src[ix] * weight }
                    }
                    // Interior, unchecked and contiguous when the stride is 1.
                    if sx == 1 {
                        let base = src + offset
                        for ox in first..<last { row[ox] += base[ox] * weight }
                    } else {
                        for ox in first..<last { row[ox] += src[ox * sx + offset] * weight }
                    }
                }
            }
        }
        activation?.apply(o, 0..<(oh * ow))
    }
}
