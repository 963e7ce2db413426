import CVectorMath
import Foundation

/// Dense 3x3 stride-1 Convs by Winograd's F(2x2, 3x3): every 2x2 output tile takes 16 products
/// per input channel instead of im2col's 36, as 16 GEMMs of [outputs x channels] by [channels x
/// tiles]. It pays where there are enough tiles to keep those GEMMs efficient (planes of 12x12
/// outputs and more: ResNet's 14x14 stage gains too); smaller planes, strides, dilations and
/// groups stay on im2col.
/// Rounding differs from the direct sum by a few ulps of the largest partial products, well
/// within the parity tolerance (rtol 1e-4) even for deep networks.
struct WinogradConv {
    let geometry: ConvGeometry
    let inputs: Int
    let outputs: Int

    static func applies(_ geometry: ConvGeometry, group: Int, inputs: Int, outputs: Int) -> Bool {
        guard group == 1, geometry.input.count == 2, geometry.kernel == [3, 3], geometry.strides == [1, 1], geometry.dilations == [1, 1]
        else { return false }
        let tiles = ((geometry.output[0] + 1) / 2) * ((geometry.output[1] + 1) / 2)
        return tiles >= 36 && inputs >= 8 && outputs >= 8
    }

    var tilesH: Int { (geometry.output[0] + 1) / 2 }
    var tilesW: Int { (geometry.output[1] + 1) / 2 }

    /// Floats of scratch for one sample: the transformed input and the 16 products.
    var scratchCount: Int { 16 * (inputs + outputs) * tilesH * tilesW }

    /// The transformed weights U[16][outputs][inputs].
    static func transform(weights: UnsafePointer<Float>, outputs: Int, inputs: Int) -> [Float] {
        var u = [Float](repeating: 0, count: 16 * outputs * inputs)
        u.withUnsafeMutableBufferPointer { whittle_winograd_weights_f32(weights, outputs, inputs, $0.baseAddress!) }
        return u
    }

    func run(
        x: UnsafePointer<Float>, u: UnsafePointer<Float>, bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, activation: FusedActivation?, context: ExecutionContext
    ) {
        let (h, w, oh, ow) = (geometry.input[0], geometry.input[1], geometry.output[0], geometry.output[1])
        let (th, tw) = (tilesH, tilesW)
        let tiles = th * tw
        let v = scratch, products = scratch + 16 * inputs * tiles
        let (padTop, padLeft) = (geometry.pads[0], geometry.pads[1])
        context.parallelFor(inputs, grain: max(1, inputs / context.threads)) { range in
            whittle_winograd_input_f32(x, range.lowerBound, range.upperBound, inputs, h, w, padTop, padLeft, th, tw, v)
        }
        // 16 independent products: spread over the threads, each GEMM single-threaded.
        context.parallelFor(16, grain: 1) { range in
            for xi in range {
                let (a, b, c) = (u + xi * outputs * inputs, v + xi * inputs * tiles, products + xi * outputs * tiles)
                let none = Int32(WHITTLE_ACTIVATION_NONE)
                if whittle_panel_gemm_f32(outputs, 0, tiles, inputs, a, inputs, b, tiles, nil, nil, c, tiles, none, 0, 0) != 0 { continue }
                BLAS.sgemm(
                    transA: false, transB: false, m: outputs, n: tiles, k: inputs, alpha: 1, a: a, lda: inputs, b: b, ldb: tiles, beta: 0,
                    c: c, ldc: tiles)
            }
        }
        let plane = oh * ow
        context.parallelFor(outputs, grain: max(1, outputs / context.threads)) { range in
            whittle_winograd_output_f32(products, range.lowerBound, range.upperBound, outputs, th, tw, oh, ow, bias, out)
            if let activation { for o in range { activation.apply(out + o * plane, 0..<plane) } }
        }
    }
}

/// Transformed weights kept across runs for a Conv whose weights are an initializer.
final class WinogradWeightCache: @unchecked Sendable {
    private var cached: (key: UnsafeMutableRawPointer, weights: [Float])?
    private let lock = NSLock()

    func weights(for w: RuntimeTensor, outputs: Int, inputs: Int) -> [Float] {
        lock.lock()
        defer { lock.unlock() }
        if let cached, cached.key == w.raw { return cached.weights }
        let u = WinogradConv.transform(weights: w.floats.baseAddress!, outputs: outputs, inputs: inputs)
        cached = (w.raw, u)
        return u
    }
}
