import CVectorMath

extension ConvGeometry {
    /// Columns [first, last) of the 2-D column matrix: rows are (channel, ky, kx) taps, each
    /// `last - first` output positions wide (row-major, leading dimension last - first). Every
    /// element is written, so the buffer needs no clearing. Rows copy contiguous runs when the
    /// stride is 1 and fill padding with zeros in whole runs, not element by element.
    func im2col2D(
        input x: UnsafePointer<Float>, channels: Int, columns: UnsafeMutablePointer<Float>, first: Int, last: Int
    ) {
        let (ih, iw, kh, kw, ow) = (input[0], input[1], kernel[0], kernel[1], output[1])
        let (sy, sx, dy, dx, py, px) = (strides[0], strides[1], dilations[0], dilations[1], pads[0], pads[1])
        let width = last - first, inSize = ih * iw
        for c in 0..<channels {
            let xc = x + c * inSize
            for ky in 0..<kh {
                for kx in 0..<kw {
                    let row = columns + ((c * kh + ky) * kw + kx) * width
                    let base = kx * dx - px
                    // Output columns whose tap lands inside the row: lo..<hi.
                    let lo = base >= 0 ? 0 : min(ow, (-base + sx - 1) / sx)
                    let hi = iw - 1 - base < 0 ? 0 : min(ow, (iw - 1 - base) / sx + 1)
                    var position = first
                    while position < last {
                        let oy = position / ow, ox0 = position - oy * ow
                        let ox1 = min(ow, ox0 + (last - position))
                        // dst[ox] is output column ox of row oy.
                        let dst = row + (position - first) - ox0
                        let iy = oy * sy - py + ky * dy
                        if iy < 0 || iy >= ih || hi <= lo {
                            (dst + ox0).update(repeating: 0, count: ox1 - ox0)
                        } else {
                            let a = min(max(lo, ox0), ox1), b = min(max(hi, a), ox1)
                            if a > ox0 { (dst + ox0).update(repeating: 0, count: a - ox0) }
                            let src = xc + iy * iw + base
                            if sx == 1 {
                                if b > a { (dst + a).update(from: src + a, count: b - a) }
                            } else if b > a, sx != 2 || whittle_copy_even_f32(src + a * 2, b - a, dst + a) == 0 {
                                for ox in a..<b { dst[ox] = src[ox * sx] }
                            }
                            if ox1 > b { (dst + b).update(repeating: 0, count: ox1 - b) }
                        }
                        position += ox1 - ox0
                    }
                }
            }
        }
    }
}
