import Foundation
import ONNXIR

/// How Resize maps output coordinates to input coordinates along one axis and which input
/// elements (taps) with which weights feed each output element.
struct ResizeSampling {
    enum Mode { case nearest, linear, cubic }
    enum Transform: String {
        case halfPixel = "half_pixel", halfPixelSymmetric = "half_pixel_symmetric", pytorchHalfPixel = "pytorch_half_pixel"
        case alignCorners = "align_corners", asymmetric, tfCropAndResize = "tf_crop_and_resize"
    }
    enum NearestRounding: String {
        case roundPreferFloor = "round_prefer_floor", roundPreferCeil = "round_prefer_ceil", floor, ceil
        /// Resize-10 and Upsample as onnxruntime runs them: ceil when downsampling, else floor.
        case legacy
    }

    var mode: Mode
    var transform: Transform
    var rounding: NearestRounding
    var cubicA: Double
    var excludesOutside: Bool
    var extrapolationValue: Float
    var antialias: Bool

    /// The input coordinate of output index `x` on an axis of `inLength` resized to `outLength`
    /// by `scale`, with the axis's region of interest (tf_crop_and_resize only). align_corners and
    /// tf_crop_and_resize divide by the fractional target length scale * inLength, as the ONNX
    /// reference does (onnxruntime uses the integer length; they agree whenever sizes are given).
    func sourceCoordinate(_ x: Int, inLength: Int, outLength: Int, scale: Double, roi: (Double, Double)) -> Double {
        let x = Double(x), n = Double(inLength)
        // Snap to the integer length when they agree up to rounding (scales derived from sizes).
        let fractional = scale * n
        let target = Swift.abs(fractional - Double(outLength)) < 1e-9 * Swift.max(1, n) ? Double(outLength) : fractional
        switch transform {
        case .halfPixel: return (x + 0.5) / scale - 0.5
        case .halfPixelSymmetric:
            let adjustment = Double(outLength) / (scale * n)
            let offset = n / 2 * (1 - adjustment)
            return offset + (x + 0.5) / scale - 0.5
        case .pytorchHalfPixel: return outLength > 1 ? (x + 0.5) / scale - 0.5 : 0
        case .alignCorners: return target != 1 ? x * (n - 1) / (target - 1) : 0
        case .asymmetric: return x / scale
        case .tfCropAndResize:
            if target != 1 { return roi.0 * (n - 1) + x * (roi.1 - roi.0) * (n - 1) / (target - 1) }
            return 0.5 * (roi.0 + roi.1) * (n - 1)
        }
    }

    /// Whether a coordinate falls outside the input, where tf_crop_and_resize extrapolates.
    func extrapolates(_ x: Double, inLength: Int) -> Bool {
        transform == .tfCropAndResize && (x < 0 || x > Double(inLength - 1))
    }

    /// Nearest mode: the input index for each output index, -1 where the value is extrapolated.
    func nearestMap(inLength: Int, outLength: Int, scale: Double, roi: (Double, Double)) -> [Int] {
        (0..<outLength).map { o in
            let x = sourceCoordinate(o, inLength: inLength, outLength: outLength, scale: scale, roi: roi)
            if extrapolates(x, inLength: inLength) { return -1 }
            let picked: Double
            switch rounding {
            case .roundPreferFloor: picked = (x - 0.5).rounded(.up)
            case .roundPreferCeil: picked = (x + 0.5).rounded(.down)
            case .floor: picked = x.rounded(.down)
            case .ceil: picked = x.rounded(.up)
            case .legacy: picked = scale < 1 ? x.rounded(.up) : x.rounded(.towardZero)
            }
            return Int(Swift.min(Swift.max(picked, 0), Double(inLength - 1)))
        }
    }

    /// Linear/cubic mode: `count` taps per output index (indices clamped to the edge, weights
    /// summing to 1); `extrapolated[o]` marks outputs that take the extrapolation value.
    struct Taps {
        let count: Int
        var indices: [Int]
        var weights: [Float]
        var extrapolated: [Bool]

        /// True when every output just copies the input element at the same index.
        var isIdentity: Bool {
            let n = extrapolated.count
            for o in 0..<n {
                if extrapolated[o] { return false }
                for t in 0..<count {
                    let w = weights[o * count + t]
                    if w != 0 && (w != 1 || indices[o * count + t] != o) { return false }
                }
            }
            return true
        }
    }

    func taps(inLength: Int, outLength: Int, scale: Double, roi: (Double, Double)) -> Taps {
        // Antialiasing stretches the filter by 1/scale when downsampling.
        let stretch = antialias && scale < 1 ? scale : 1
        let first: Int, count: Int
        switch mode {
        case .linear:
            first = stretch < 1 ? Int((-1 / stretch).rounded(.down)) + 1 : 0
            count = 2 - 2 * first
        default:
            first = stretch < 1 ? Int((-2 / stretch).rounded(.down)) + 1 : -1
            count = 2 - 2 * first
        }
        var taps = Taps(
            count: count, indices: [Int](repeating: 0, count: outLength * count), weights: [Float](repeating: 0, count: outLength * count),
            extrapolated: [Bool](repeating: false, count: outLength))
        var weights = [Double](repeating: 0, count: count)
        for o in 0..<outLength {
            let x = sourceCoordinate(o, inLength: inLength, outLength: outLength, scale: scale, roi: roi)
            if extrapolates(x, inLength: inLength) {
                taps.extrapolated[o] = true
                continue
            }
            // The tap left of x (x itself counts as right), so the ratio lies in (0, 1].
            let base = Int(x.rounded(.up)) - 1
            let ratio = x - Double(base)
            for t in 0..<count { weights[t] = weight(offset: Double(first + t) - ratio, stretch: stretch) }
            var total = 0.0
            for t in 0..<count {
                let i = base + first + t
                if excludesOutside && (i < 0 || i >= inLength) { weights[t] = 0 }
                total += weights[t]
            }
            let normalize = (stretch < 1 || excludesOutside) && total != 0
            for t in 0..<count {
                taps.indices[o * count + t] = Swift.min(Swift.max(base + first + t, 0), inLength - 1)
                taps.weights[o * count + t] = Float(normalize ? weights[t] / total : weights[t])
            }
        }
        return taps
    }

    /// The filter at distance `d` from the sample, stretched by 1/`stretch`.
    private func weight(offset d: Double, stretch: Double) -> Double {
        let s = Swift.abs(d * stretch)
        if mode == .linear { return Swift.max(0, 1 - s) }
        let a = cubicA
        if s <= 1 { return ((a + 2) * s - (a + 3)) * s * s + 1 }
        if s < 2 { return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a }
        return 0
    }
}
