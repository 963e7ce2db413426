/// The reference a dense 3x3 Conv kernel is checked against: a plain sum over taps inside the
/// input, for one sample of `inputs` [h, w] planes and weights [outputs][inputs][3][3].
public enum DirectConvolution {
    /// Output (o, oy, ox) of an [oh, ow] plane; top and left pads shift the window (stride 1).
    public static func value3x3(
        x: [Float], weights: [Float], inputs: Int, h: Int, w: Int, output o: Int, oy: Int, ox: Int, padTop: Int, padLeft: Int
    ) -> Float {
        var sum: Float = 0
        for c in 0..<inputs {
            for ky in 0..<3 {
                for kx in 0..<3 {
                    let iy = oy - padTop + ky, ix = ox - padLeft + kx
                    if iy >= 0 && iy < h && ix >= 0 && ix < w {
                        sum += x[(c * h + iy) * w + ix] * weights[((o * inputs + c) * 3 + ky) * 3 + kx]
                    }
                }
            }
        }
        return sum
    }
}
