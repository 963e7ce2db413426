import Foundation
import ONNXIR

/// Col2Im (opset 18): input [N, C * prod(block), L] columns scattered back (summed) into images
/// [N, C, image...] as the inverse of im2col with the given dilations, pads and strides.
final class Col2ImKernel: Kernel {
    let dilations: [Int]?, pads: [Int]?, strides: [Int]?

    init(_ ctx: KernelBuildContext) throws {
        dilations = try ctx.ints("dilations")
        pads = try ctx.ints("pads")
        strides = try ctx.ints("strides")
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        let image = try Require.input(inputs, 1, "image_shape").intValues(), block = try Require.input(inputs, 2, "block_shape").intValues()
        let n = image.count
        guard x.rank == 3, block.count == n, n > 0 else {
            throw KernelFailure("input must be [N, C*prod(block), L] with matching image and block shapes")
        }
        let dilation = dilations ?? Array(repeating: 1, count: n), stride = strides ?? Array(repeating: 1, count: n)
        let pad = pads ?? Array(repeating: 0, count: 2 * n)
        guard dilation.count == n, stride.count == n, pad.count == 2 * n else {
            throw KernelFailure("dilations, strides and pads do not match \(n) dims")
        }
        let blockSize = block.reduce(1, *)
        guard blockSize > 0, x.shape[1] % blockSize == 0 else {
            throw KernelFailure("\(x.shape[1]) is not a multiple of the block size \(blockSize)")
        }
        let channels = x.shape[1] / blockSize
        var blocks = [Int](repeating: 0, count: n)
        for d in 0..<n {
            let span: Int = dilation[d] * (block[d] - 1) + 1
            let padded: Int = image[d] + pad[d] + pad[d + n]
            blocks[d] = (padded - span) / stride[d] + 1
        }
        guard blocks.reduce(1, *) == x.shape[2] else {
            throw KernelFailure("L is \(x.shape[2]), the geometry gives \(blocks.reduce(1, *)) blocks")
        }
        let v = try FloatIO.doubles(x)
        let imageSize = image.reduce(1, *), count = x.shape[2]
        var y = [Double](repeating: 0, count: x.shape[0] * channels * imageSize)
        var t = [Int](repeating: 0, count: n)
        for k in 0..<blockSize {
            var l = [Int](repeating: 0, count: n)
            for li in 0..<count {
                var offset = 0, inside = true
                for d in 0..<n {
                    let p = l[d] * stride[d] + t[d] * dilation[d] - pad[d]
                    if p < 0 || p >= image[d] { inside = false; break }
                    offset = offset * image[d] + p
                }
                if inside {
                    for plane in 0..<(x.shape[0] * channels) {
                        let (b, c) = (plane / channels, plane % channels)
                        y[plane * imageSize + offset] += v[(b * x.shape[1] + c * blockSize + k) * count + li]
                    }
                }
                MultiIndex.advance(&l, blocks)
            }
            MultiIndex.advance(&t, block)
        }
        return [try FloatIO.make(x.dataType, [x.shape[0], channels] + image, y, context)]
    }
}

/// AffineGrid (opset 20): the sampling grid [N, (D,) H, W, 2|3] of theta [N, 2, 3] or [N, 3, 4]
/// applied to normalized coordinates (-1...1 at the pixel centers, or at the corners with
/// align_corners), x innermost.
final class AffineGridKernel: Kernel {
    let alignCorners: Bool

    init(_ ctx: KernelBuildContext) throws { alignCorners = try ctx.int("align_corners", default: 0) != 0 }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let theta = try Require.input(inputs, 0, "theta"), size = try Require.input(inputs, 1, "size").intValues()
        let n = size.count - 2
        guard n == 2 || n == 3, theta.shape == [size[0], n, n + 1] else {
            throw KernelFailure("theta \(theta.shape) does not match size \(size)")
        }
        let th = try FloatIO.doubles(theta)
        let dims = Array(size.dropFirst(2))
        let points = dims.reduce(1, *)
        func coordinate(_ i: Int, _ length: Int) -> Double {
            if alignCorners { return length == 1 ? 0 : -1 + 2 * Double(i) / Double(length - 1) }
            return -1 + (2 * Double(i) + 1) / Double(length)
        }
        var y = [Double](repeating: 0, count: size[0] * points * n)
        for b in 0..<size[0] {
            var index = [Int](repeating: 0, count: n)
            for p in 0..<points {
                // Homogeneous source point (x, y[, z], 1): x from the last dim.
                var h = [Double](repeating: 1, count: n + 1)
                for d in 0..<n { h[d] = coordinate(index[n - 1 - d], dims[n - 1 - d]) }
                for r in 0..<n {
                    var acc = 0.0
                    for c in 0...n { acc += th[(b * n + r) * (n + 1) + c] * h[c] }
                    y[(b * points + p) * n + r] = acc
                }
                MultiIndex.advance(&index, dims)
            }
        }
        return [try FloatIO.make(theta.dataType, [size[0]] + dims + [n], y, context)]
    }
}

/// MaxUnpool (opset 9, 11): zeros of the unpooled shape (from kernel, strides and pads, or the
/// output_shape input) with X's values written at the flat positions I gives.
final class MaxUnpoolKernel: Kernel {
    let kernel: [Int]
    let strides: [Int]?, pads: [Int]?

    init(_ ctx: KernelBuildContext) throws {
        guard let k = try ctx.ints("kernel_shape") else { throw ctx.fail("kernel_shape is required") }
        kernel = k
        strides = try ctx.ints("strides")
        pads = try ctx.ints("pads")
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0), indices = try Require.input(inputs, 1, "I").intValues()
        let n = x.rank - 2
        guard n == kernel.count, indices.count == x.count else { throw KernelFailure("X \(x.shape), I and kernel_shape do not match") }
        let stride = strides ?? Array(repeating: 1, count: n), pad = pads ?? Array(repeating: 0, count: 2 * n)
        var inferred = Array(x.shape.prefix(2))
        for d in 0..<n {
            let natural: Int = (x.shape[d + 2] - 1) * stride[d] + kernel[d]
            inferred.append(natural - pad[d] - pad[d + n])
        }
        // Indices address the inferred shape; a larger output_shape holds it at its origin.
        var shape = inferred
        if inputs.count > 2, let given = inputs[2] { shape = try given.intValues() }
        guard shape.count == inferred.count, zip(shape, inferred).allSatisfy({ $0 >= $1 }) else {
            throw KernelFailure("output_shape \(shape) is smaller than the unpooled shape \(inferred)")
        }
        let inferredCount = inferred.reduce(1, *)
        let inferredStrides = CenterCropPadKernel.strides(inferred), outStrides = CenterCropPadKernel.strides(shape)
        let bytes = try Axis.elementBytes(x.dataType)
        let out = try context.zeros(x.dataType, shape)
        for i in 0..<x.count {
            guard indices[i] >= 0 && indices[i] < inferredCount else { throw KernelFailure("index \(indices[i]) is outside the output") }
            var rest = indices[i], target = 0
            for d in 0..<inferred.count {
                target += rest / inferredStrides[d] * outStrides[d]
                rest %= inferredStrides[d]
            }
            (out.raw + target * bytes).copyMemory(from: x.raw + i * bytes, byteCount: bytes)
        }
        return [out]
    }
}

/// Det (opset 11): determinants of the trailing square matrices, by LU with partial pivoting.
final class DetKernel: Kernel {
    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        guard x.rank >= 2, x.shape[x.rank - 1] == x.shape[x.rank - 2] else {
            throw KernelFailure("input \(x.shape) must end in square matrices")
        }
        let m = x.shape[x.rank - 1], count = x.count / max(m * m, 1)
        let v = try FloatIO.doubles(x)
        var dets = [Double](repeating: 0, count: count)
        for b in 0..<count {
            var a = Array(v[(b * m * m)..<((b + 1) * m * m)])
            var det = 1.0
            for c in 0..<m {
                var pivot = c
                for r in (c + 1)..<max(m, c + 1) where abs(a[r * m + c]) > abs(a[pivot * m + c]) { pivot = r }
                if a[pivot * m + c] == 0 {
                    det = 0
                    break
                }
                if pivot != c {
                    for k in 0..<m { a.swapAt(c * m + k, pivot * m + k) }
                    det = -det
                }
                det *= a[c * m + c]
                for r in (c + 1)..<max(m, c + 1) {
                    let f = a[r * m + c] / a[c * m + c]
                    for k in c..<m { a[r * m + k] -= f * a[c * m + k] }
                }
            }
            dets[b] = det
        }
        return [try FloatIO.make(x.dataType, Array(x.shape.dropLast(2)), dets, context)]
    }
}

/// NonMaxSuppression (opset 11): per batch and class, boxes by descending score (ties by lower
/// index) above score_threshold are kept greedily unless their IoU with a kept box exceeds
/// iou_threshold, at most max_output_boxes_per_class (0 keeps none). Boxes are corner pairs in
/// either order, or [x_center, y_center, width, height] with center_point_box.
final class NonMaxSuppressionKernel: Kernel {
    let isCenter: Bool

    init(_ ctx: KernelBuildContext) throws { isCenter = try ctx.int("center_point_box", default: 0) != 0 }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let boxes = try Require.input(inputs, 0, "boxes"), scores = try Require.input(inputs, 1, "scores")
        let input = { (i: Int) in inputs.count > i ? inputs[i] : nil }
        guard boxes.rank == 3, boxes.shape[2] == 4, scores.rank == 3, scores.shape[0] == boxes.shape[0], scores.shape[2] == boxes.shape[1]
        else {
            throw KernelFailure("boxes \(boxes.shape) and scores \(scores.shape) do not match")
        }
        let maxOutput = try input(2)?.intValues().first ?? 0
        let iouThreshold = try input(3).map { try FloatIO.doubles($0) }?.first ?? 0
        let scoreThreshold = try input(4).map { try FloatIO.doubles($0) }?.first
        let b = try FloatIO.doubles(boxes), s = try FloatIO.doubles(scores)
        let (batches, classes, count) = (scores.shape[0], scores.shape[1], scores.shape[2])
        // (y1, x1, y2, x2) with y1 <= y2 and x1 <= x2.
        func corners(_ batch: Int, _ i: Int) -> (Double, Double, Double, Double) {
            let p = (batch * count + i) * 4
            if isCenter {
                let (xc, yc, w, h) = (b[p], b[p + 1], b[p + 2], b[p + 3])
                return (yc - h / 2, xc - w / 2, yc + h / 2, xc + w / 2)
            }
            return (min(b[p], b[p + 2]), min(b[p + 1], b[p + 3]), max(b[p], b[p + 2]), max(b[p + 1], b[p + 3]))
        }
        func suppresses(_ batch: Int, _ i: Int, _ j: Int) -> Bool {
            let p = corners(batch, i), q = corners(batch, j)
            let ih = min(p.2, q.2) - max(p.0, q.0), iw = min(p.3, q.3) - max(p.1, q.1)
            guard ih > 0, iw > 0 else { return false }
            let inter = ih * iw
            let areaP = (p.2 - p.0) * (p.3 - p.1), areaQ = (q.2 - q.0) * (q.3 - q.1)
            let union = areaP + areaQ - inter
            guard areaP > 0, areaQ > 0, union > 0 else { return false }
            return inter / union > iouThreshold
        }
        var selected: [Int64] = []
        for batch in 0..<batches {
            for c in 0..<classes {
                let base = (batch * classes + c) * count
                var candidates = Array(0..<count)
                if let scoreThreshold { candidates = candidates.filter { s[base + $0] > scoreThreshold } }
                candidates.sort { s[base + $0] > s[base + $1] || (s[base + $0] == s[base + $1] && $0 < $1) }
                var kept: [Int] = []
                for i in candidates where kept.count < maxOutput {
                    if kept.allSatisfy({ !suppresses(batch, i, $0) }) {
                        kept.append(i)
                        selected += [Int64(batch), Int64(c), Int64(i)]
                    }
                }
            }
        }
        return [RuntimeTensor.int64([selected.count / 3, 3], selected)]
    }
}

/// RoiAlign (opset 10, 16): for each roi [x1, y1, x2, y2] (scaled by spatial_scale, shifted by
/// half a pixel in "half_pixel" mode) of image batch_indices[r], an output_height x
/// output_width grid of bins, each the average (or max) of bilinear samples on a
/// sampling_ratio^2 grid (adaptive: ceil(bin size) when 0). Samples beyond one pixel outside the
/// image count as 0; "max" takes the largest weighted corner, as the reference does.
final class RoiAlignKernel: Kernel {
    let isMax: Bool, isHalfPixel: Bool
    let height: Int, width: Int
    let samplingRatio: Int
    let spatialScale: Double

    init(_ ctx: KernelBuildContext) throws {
        let mode = try ctx.string("mode", default: "avg")
        guard mode == "avg" || mode == "max" else { throw ctx.fail("unknown mode '\(mode)'") }
        isMax = mode == "max"
        let transform = try ctx.string("coordinate_transformation_mode", default: ctx.opset >= 16 ? "half_pixel" : "output_half_pixel")
        isHalfPixel = transform == "half_pixel"
        height = try ctx.int("output_height", default: 1)
        width = try ctx.int("output_width", default: 1)
        samplingRatio = try ctx.int("sampling_ratio", default: 0)
        spatialScale = Double(try ctx.float("spatial_scale", default: 1))
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0), roisT = try Require.input(inputs, 1, "rois")
        let batchIndices = try Require.input(inputs, 2, "batch_indices").intValues()
        guard x.rank == 4, roisT.rank == 2, roisT.shape[1] == 4, roisT.shape[0] == batchIndices.count else {
            throw KernelFailure("X \(x.shape), rois \(roisT.shape) and batch_indices do not match")
        }
        let (channels, h, w) = (x.shape[1], x.shape[2], x.shape[3])
        let v = try FloatIO.doubles(x), rois = try FloatIO.doubles(roisT)
        var y = [Double](repeating: 0, count: batchIndices.count * channels * height * width)
        let offset = isHalfPixel ? 0.5 : 0
        for r in 0..<batchIndices.count {
            guard batchIndices[r] >= 0 && batchIndices[r] < x.shape[0] else {
                throw KernelFailure("batch index \(batchIndices[r]) is out of range")
            }
            let startW = rois[r * 4] * spatialScale - offset, startH = rois[r * 4 + 1] * spatialScale - offset
            var roiW = rois[r * 4 + 2] * spatialScale - offset - startW, roiH = rois[r * 4 + 3] * spatialScale - offset - startH
            if !isHalfPixel {
                roiW = max(roiW, 1)
                roiH = max(roiH, 1)
            }
            let binH = roiH / Double(height), binW = roiW / Double(width)
            let gridH = samplingRatio > 0 ? samplingRatio : Int((roiH / Double(height)).rounded(.up))
            let gridW = samplingRatio > 0 ? samplingRatio : Int((roiW / Double(width)).rounded(.up))
            let count = Double(max(gridH * gridW, 1))
            for ph in 0..<height {
                for pw in 0..<width {
                    // The bilinear corners and weights of every sample in this bin.
                    var samples: [(Int, Int, Int, Int, Double, Double, Double, Double)] = []
                    for iy in 0..<gridH {
                        let yy = startH + Double(ph) * binH + (Double(iy) + 0.5) * binH / Double(gridH)
                        for ix in 0..<gridW {
                            let xx = startW + Double(pw) * binW + (Double(ix) + 0.5) * binW / Double(gridW)
                            if yy < -1 || yy > Double(h) || xx < -1 || xx > Double(w) {
                                samples.append((0, 0, 0, 0, 0, 0, 0, 0))
                                continue
                            }
                            var sy = max(yy, 0), sx = max(xx, 0)
                            var yLow = Int(sy), xLow = Int(sx), yHigh = yLow + 1, xHigh = xLow + 1
                            if yLow >= h - 1 { (yLow, yHigh, sy) = (h - 1, h - 1, Double(h - 1)) }
                            if xLow >= w - 1 { (xLow, xHigh, sx) = (w - 1, w - 1, Double(w - 1)) }
                            let ly = sy - Double(yLow), lx = sx - Double(xLow)
                            samples.append(
                                (
                                    yLow * w + xLow, yLow * w + xHigh, yHigh * w + xLow, yHigh * w + xHigh, (1 - ly) * (1 - lx),
                                    (1 - ly) * lx, ly * (1 - lx), ly * lx
                                ))
                        }
                    }
                    for c in 0..<channels {
                        let base = (batchIndices[r] * channels + c) * h * w
                        var value = 0.0, isFirst = true
                        for p in samples {
                            let terms = [p.4 * v[base + p.0], p.5 * v[base + p.1], p.6 * v[base + p.2], p.7 * v[base + p.3]]
                            if isMax {
                                let m = terms.max() ?? 0
                                value = isFirst ? m : max(value, m)
                                isFirst = false
                            } else {
                                value += terms.reduce(0, +)
                            }
                        }
                        y[((r * channels + c) * height + ph) * width + pw] = isMax ? value : value / count
                    }
                }
            }
        }
        return [try FloatIO.make(x.dataType, [batchIndices.count, channels, height, width], y, context)]
    }
}

/// GridSample (opset 16, 20, 22): samples X [N, C, D...] at the normalized grid [N, out..., n]
/// (the last axis lists coordinates innermost dimension first). Modes nearest (round half to
/// even), linear and cubic (Keys, a = -0.75) as separable tensor products; padding zeros, border
/// (clamp) or reflection (about the borders the align_corners convention defines).
final class GridSampleKernel: Kernel {
    enum Mode { case nearest, linear, cubic }
    enum Padding: String { case zeros, border, reflection }
    let mode: Mode
    let padding: Padding
    let alignCorners: Bool

    init(_ ctx: KernelBuildContext) throws {
        let m = try ctx.string("mode", default: ctx.opset >= 20 ? "linear" : "bilinear")
        switch m {
        case "nearest": mode = .nearest
        case "linear", "bilinear": mode = .linear
        case "cubic", "bicubic": mode = .cubic
        default: throw ctx.fail("unknown mode '\(m)'")
        }
        let p = try ctx.string("padding_mode", default: "zeros")
        guard let padding = Padding(rawValue: p) else { throw ctx.fail("unknown padding_mode '\(p)'") }
        self.padding = padding
        alignCorners = try ctx.int("align_corners", default: 0) != 0
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0), grid = try Require.input(inputs, 1, "grid")
        let n = x.rank - 2
        guard n >= 1, grid.rank == x.rank, grid.shape[0] == x.shape[0], grid.shape.last == n else {
            throw KernelFailure("grid \(grid.shape) does not match X \(x.shape)")
        }
        let dims = Array(x.shape.dropFirst(2)), outDims = Array(grid.shape.dropFirst().dropLast())
        let (batch, channels) = (x.shape[0], x.shape[1])
        let inSize = dims.reduce(1, *), outSize = outDims.reduce(1, *)
        let v = try FloatIO.doubles(x), g = try FloatIO.doubles(grid)
        let low = dims.map { _ in alignCorners ? 0.0 : -0.5 }, high = dims.map { alignCorners ? Double($0 - 1) : Double($0) - 0.5 }
        var y = [Double](repeating: 0, count: batch * channels * outSize)
        let taps = mode == .cubic ? 4 : (mode == .linear ? 2 : 1)
        var indices = [[Int]](repeating: [], count: n), weights = [[Double]](repeating: [], count: n)
        for b in 0..<batch {
            for p in 0..<outSize {
                // Per dimension: the source positions and weights of this output point.
                var inRange = [[Bool]](repeating: [], count: n)
                for d in 0..<n {
                    let normalized = g[(b * outSize + p) * n + (n - 1 - d)]
                    let size = Double(dims[d])
                    var c = alignCorners ? (normalized + 1) / 2 * (size - 1) : ((normalized + 1) * size - 1) / 2
                    if mode == .nearest { c = c.rounded(.toNearestOrEven) }
                    if c < low[d] || c > high[d] {
                        if padding == .border { c = min(max(c, 0), size - 1) }
                        if padding == .reflection { c = Self.reflect(c, low[d], high[d]) }
                    }
                    let base = mode == .nearest ? Int(c) : Int(c.rounded(.down)) - (mode == .cubic ? 1 : 0)
                    let t = c - c.rounded(.down)
                    weights[d] = mode == .nearest ? [1] : (mode == .linear ? [1 - t, t] : Self.cubic(t))
                    indices[d] = []
                    inRange[d] = []
                    for k in 0..<taps {
                        var i = base + k
                        var valid = true
                        switch padding {
                        case .zeros: valid = i >= 0 && i < dims[d]
                        case .border: i = min(max(i, 0), dims[d] - 1)
                        case .reflection: i = Int(Self.reflect(Double(i), low[d], high[d]))
                        }
                        indices[d].append(min(max(i, 0), dims[d] - 1))
                        inRange[d].append(valid)
                    }
                }
                for ch in 0..<channels {
                    let plane = (b * channels + ch) * inSize
                    var sum = 0.0
                    var tap = [Int](repeating: 0, count: n)
                    for _ in 0..<Int(pow(Double(taps), Double(n))) {
                        var offset = 0, weight = 1.0, valid = true
                        for d in 0..<n {
                            offset = offset * dims[d] + indices[d][tap[d]]
                            weight *= weights[d][tap[d]]
                            valid = valid && inRange[d][tap[d]]
                        }
                        if valid { sum += weight * v[plane + offset] }
                        MultiIndex.advance(&tap, [Int](repeating: taps, count: n))
                    }
                    y[(b * channels + ch) * outSize + p] = sum
                }
            }
        }
        return [try FloatIO.make(x.dataType, [batch, channels] + outDims, y, context)]
    }

    /// Reflects `x` about the borders until it lies within them.
    static func reflect(_ x: Double, _ low: Double, _ high: Double) -> Double {
        let range = high - low
        guard range > 0 else { return low }
        if x < low {
            let dx = low - x, k = (dx / range).rounded(.towardZero), r = dx - k * range
            return Int(k) % 2 == 0 ? low + r : high - r
        }
        if x > high {
            let dx = x - high, k = (dx / range).rounded(.towardZero), r = dx - k * range
            return Int(k) % 2 == 0 ? high - r : low + r
        }
        return x
    }

    /// Keys cubic convolution weights (a = -0.75) of the taps at -1, 0, 1, 2 for fraction t.
    static func cubic(_ t: Double) -> [Double] {
        let a = -0.75
        let w0 = ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a
        let w1 = ((a + 2) * t - (a + 3)) * t * t + 1
        let w2 = ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1
        let w3 = ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a
        return [w0, w1, w2, w3]
    }
}

enum ImageOpsKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("GridSample", since: 16) { try GridSampleKernel($0) },
        KernelDescriptor("RoiAlign", since: 10) { try RoiAlignKernel($0) },
        KernelDescriptor("Col2Im", since: 18) { try Col2ImKernel($0) },
        KernelDescriptor("AffineGrid", since: 20) { try AffineGridKernel($0) },
        KernelDescriptor("MaxUnpool", since: 9) { try MaxUnpoolKernel($0) },
        KernelDescriptor("Det", since: 11) { _ in DetKernel() },
        KernelDescriptor("NonMaxSuppression", since: 10) { try NonMaxSuppressionKernel($0) },
    ]
}
