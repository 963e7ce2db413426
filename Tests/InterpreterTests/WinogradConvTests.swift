import CVectorMath
import ONNXIR
import TestSupport
import Testing

@testable import Interpreter

/// 3x3 stride-1 Convs large enough for Winograd F(2x2, 3x3) match a direct convolution: odd and
/// even planes (partial edge tiles), asymmetric pads, bias, two threads.
@Suite struct WinogradConvTests {
    @Test(arguments: [([1, 1, 1, 1], 1), ([0, 0, 0, 0], 1), ([2, 1, 0, 2], 2), ([1, 0, 1, 0], 2)])
    func matchesDirectConvolution(pads: [Int], threads: Int) throws {
        let (cin, cout, h, w) = (9, 10, 19, 18)
        let geometry = try ConvGeometry(
            input: [h, w], kernel: [3, 3], strides: nil, dilations: nil, pads: pads, autoPad: "NOTSET", spatial: 2)
        #expect(WinogradConv.applies(geometry, group: 1, inputs: cin, outputs: cout))
        var g = SeededGenerator(seed: UInt64(pads.reduce(0, +) * 10 + threads))
        let x = (0..<(cin * h * w)).map { _ in g.nextFloat(in: -1...1) }
        let wt = (0..<(cout * cin * 9)).map { _ in g.nextFloat(in: -1...1) }
        let bias = (0..<cout).map { Float($0) * 0.1 - 0.5 }
        let graph = Graph(name: "conv")
        let xv = graph.addInput(named: "x", type: .tensor(.float, TensorShape([2, Int64(cin), Int64(h), Int64(w)])))
        let wv = graph.addInitializer(.float32(dims: [Int64(cout), Int64(cin), 3, 3], values: wt), named: "w")
        let bv = graph.addInitializer(.float32(dims: [Int64(cout)], values: bias), named: "b")
        graph.addOutput(
            graph.makeNode(
                opType: "Conv", name: "conv", attributes: [Attribute(name: "pads", value: .ints(pads.map(Int64.init)))],
                inputs: [xv, wv, bv], outputNames: ["y"]
            ).outputs[0]!)
        let session = try Session(model: Model(graph: graph), options: .init(threads: threads))
        // Two samples, the second the first negated: each must come out right, and twice (the
        // transformed weights are cached after the first run).
        let feeds = ["x": RuntimeTensor.float32([2, cin, h, w], x + x.map { -$0 })]
        _ = try session.run(feeds)
        let y = try session.run(feeds)[0]
        let (oh, ow) = (geometry.output[0], geometry.output[1])
        #expect(y.shape == [2, cout, oh, ow])
        let values = try y.floatValues()
        for n in 0..<2 {
            let sign: Float = n == 0 ? 1 : -1
            for o in 0..<cout {
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        let sum = DirectConvolution.value3x3(
                            x: x, weights: wt, inputs: cin, h: h, w: w, output: o, oy: oy, ox: ox, padTop: pads[0], padLeft: pads[1])
                        let got = values[((n * cout + o) * oh + oy) * ow + ox]
                        #expect(abs(got - (bias[o] + sign * sum)) < 2e-5, "sample \(n) channel \(o) at \(oy),\(ox)")
                    }
                }
            }
        }
    }

    /// The AVX-512 transforms (16 tiles per vector, masked plane edges) give the plain C loops'
    /// bits, on planes up to 40 wide (two vector blocks of tiles, the second partial) with pads
    /// that put whole tile rows and columns in the padding.
    @Test func vectorTransformsMatchTheScalarLoops() {
        var g = SeededGenerator(seed: 5)
        for _ in 0..<40 {
            let (h, w) = (Int.random(in: 2...40, using: &g), Int.random(in: 2...40, using: &g))
            let (padTop, padLeft) = (Int.random(in: 0...2, using: &g), Int.random(in: 0...2, using: &g))
            let (oh, ow) = (h + 2 * padTop - 2, w + 2 * padLeft - 2)
            guard oh > 0, ow > 0 else { continue }
            let (th, tw, channels) = ((oh + 1) / 2, (ow + 1) / 2, 3)
            let x = (0..<(channels * h * w)).map { _ in g.nextFloat(in: -1...1) }
            var scalar = [Float](repeating: .nan, count: 16 * channels * th * tw), vector = scalar
            guard whittle_winograd_input_f32_at(2, x, 0, channels, channels, h, w, padTop, padLeft, th, tw, &vector) != 0 else { return }
            _ = whittle_winograd_input_f32_at(0, x, 0, channels, channels, h, w, padTop, padLeft, th, tw, &scalar)
            #expect(vector == scalar, "input transform of \(h)x\(w), pads \(padTop),\(padLeft)")
            let bias: [Float] = [0.25, -0.5, 0]
            var y0 = [Float](repeating: .nan, count: channels * oh * ow), y2 = y0
            _ = whittle_winograd_output_f32_at(0, scalar, 0, channels, channels, th, tw, oh, ow, bias, &y0)
            _ = whittle_winograd_output_f32_at(2, scalar, 0, channels, channels, th, tw, oh, ow, bias, &y2)
            #expect(y2 == y0, "output transform of \(oh)x\(ow)")
        }
    }

    @Test func smallPlanesStridesAndGroupsStayOnIm2col() throws {
        func geometry(_ size: Int, strides: [Int]? = nil) throws -> ConvGeometry {
            try ConvGeometry(
                input: [size, size], kernel: [3, 3], strides: strides, dilations: nil, pads: [1, 1, 1, 1], autoPad: "NOTSET", spatial: 2)
        }
        #expect(!WinogradConv.applies(try geometry(7), group: 1, inputs: 64, outputs: 64))
        #expect(WinogradConv.applies(try geometry(14), group: 1, inputs: 64, outputs: 64))
        #expect(!WinogradConv.applies(try geometry(56, strides: [2, 2]), group: 1, inputs: 64, outputs: 64))
        #expect(!WinogradConv.applies(try geometry(56), group: 2, inputs: 64, outputs: 64))
        #expect(WinogradConv.applies(try geometry(56), group: 1, inputs: 64, outputs: 64))
    }
}
