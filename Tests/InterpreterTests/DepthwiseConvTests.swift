import ONNXIR
import TestSupport
import Testing

@testable import Interpreter

/// The direct depthwise path agrees with a naive convolution for strides, pads and dilations.
@Suite struct DepthwiseConvTests {
    @Test(arguments: [(1, 1, 1), (2, 1, 1), (1, 0, 2), (2, 2, 1), (3, 1, 2)])
    func matchesNaiveConvolution(stride: Int, pad: Int, dilation: Int) throws {
        try checkAgainstNaive(
            batch: 1, channels: 3, stride: stride, pad: pad, dilation: dilation, withBias: true, threads: 1,
            seed: UInt64(stride * 100 + pad * 10 + dilation))
    }

    /// Planes go to C in runs of consecutive channels: a run must stop at the end of a sample
    /// (the weights start over), with or without a bias, however the threads cut the planes.
    @Test(arguments: [(1, 1, 1, true), (2, 1, 1, false), (1, 0, 2, false), (2, 1, 1, true)])
    func runsOfChannelsCrossSamplesCorrectly(stride: Int, pad: Int, dilation: Int, withBias: Bool) throws {
        for threads in [1, 2] {
            try checkAgainstNaive(
                batch: 3, channels: 13, stride: stride, pad: pad, dilation: dilation, withBias: withBias, threads: threads,
                seed: UInt64(stride * 100 + pad * 10 + dilation + (withBias ? 1000 : 0)))
        }
    }

    private func checkAgainstNaive(
        batch n: Int, channels c: Int, stride: Int, pad: Int, dilation: Int, withBias: Bool, threads: Int, seed: UInt64
    ) throws {
        let (h, w, k) = (9, 11, 3)
        var g = SeededGenerator(seed: seed)
        let x = (0..<(n * c * h * w)).map { _ in g.nextFloat(in: -1...1) }
        let wt = (0..<(c * k * k)).map { _ in g.nextFloat(in: -1...1) }
        let bias: [Float] = withBias ? (0..<c).map { Float($0) * 0.25 - 1 } : [Float](repeating: 0, count: c)
        let graph = Graph(name: "dw")
        let xv = graph.addInput(named: "x", type: .tensor(.float, TensorShape([Int64(n), Int64(c), Int64(h), Int64(w)])))
        let wv = graph.addInitializer(.float32(dims: [Int64(c), 1, Int64(k), Int64(k)], values: wt), named: "w")
        var inputs = [xv, wv]
        if withBias { inputs.append(graph.addInitializer(.float32(dims: [Int64(c)], values: bias), named: "b")) }
        let attributes = [
            Attribute(name: "group", value: .int(Int64(c))), Attribute(name: "strides", value: .ints([Int64(stride), Int64(stride)])),
            Attribute(name: "pads", value: .ints([Int64(pad), Int64(pad), Int64(pad), Int64(pad)])),
            Attribute(name: "dilations", value: .ints([Int64(dilation), Int64(dilation)])),
        ]
        graph.addOutput(
            graph.makeNode(opType: "Conv", name: "conv", attributes: attributes, inputs: inputs, outputNames: ["y"]).outputs[0]!)
        let out = try Session(model: Model(graph: graph), options: .init(threads: threads)).run(["x": .float32([n, c, h, w], x)])[0]
        let oh = (h + 2 * pad - dilation * (k - 1) - 1) / stride + 1, ow = (w + 2 * pad - dilation * (k - 1) - 1) / stride + 1
        #expect(out.shape == [n, c, oh, ow])
        let got = try out.floatValues()
        for plane in 0..<(n * c) {
            let ch = plane % c
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var sum = bias[ch]
                    for ky in 0..<k {
                        for kx in 0..<k {
                            let iy = oy * stride - pad + ky * dilation, ix = ox * stride - pad + kx * dilation
                            if iy >= 0 && iy < h && ix >= 0 && ix < w { sum += x[(plane * h + iy) * w + ix] * wt[(ch * k + ky) * k + kx] }
                        }
                    }
                    #expect(abs(got[(plane * oh + oy) * ow + ox] - sum) < 1e-5)
                }
            }
        }
    }
}

/// At batch 1 with two threads, a dense Conv splits its output channels over the threads; the
/// result must match one thread's (3x3 im2col and 1x1 pointwise paths, 40 channels: two uneven halves).
@Suite struct SplitConvTests {
    @Test(arguments: [3, 1])
    func twoThreadsMatchOne(kernel: Int) throws {
        let (cin, cout, h, w) = (5, 40, 7, 6)
        var g = SeededGenerator(seed: UInt64(kernel))
        let x = (0..<(cin * h * w)).map { _ in g.nextFloat(in: -1...1) }
        let wt = (0..<(cout * cin * kernel * kernel)).map { _ in g.nextFloat(in: -1...1) }
        let graph = Graph(name: "conv")
        let xv = graph.addInput(named: "x", type: .tensor(.float, TensorShape([1, Int64(cin), Int64(h), Int64(w)])))
        let wv = graph.addInitializer(
            .float32(dims: [Int64(cout), Int64(cin), Int64(kernel), Int64(kernel)], values: wt), named: "w")
        let pad = Int64(kernel / 2)
        graph.addOutput(
            graph.makeNode(
                opType: "Conv", name: "conv", attributes: [Attribute(name: "pads", value: .ints([pad, pad, pad, pad]))], inputs: [xv, wv],
                outputNames: ["y"]
            ).outputs[0]!)
        let model = Model(graph: graph)
        let feeds = ["x": RuntimeTensor.float32([1, cin, h, w], x)]
        let one = try Session(model: model, options: .init(threads: 1)).run(feeds)[0].floatValues()
        let two = try Session(model: model, options: .init(threads: 2)).run(feeds)[0].floatValues()
        #expect(one.count == cout * h * w)
        #expect(zip(one, two).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($0)) })
    }
}

/// MatMul by a shared weight splits its rows over the threads at batch 1 (BERT's projections).
@Suite struct SplitMatMulTests {
    @Test func twoThreadsMatchOne() throws {
        let (m, k, n) = (40, 6, 5)
        var g = SeededGenerator(seed: 9)
        let x = (0..<(m * k)).map { _ in g.nextFloat(in: -1...1) }
        let wt = (0..<(k * n)).map { _ in g.nextFloat(in: -1...1) }
        let graph = Graph(name: "mm")
        let xv = graph.addInput(named: "x", type: .tensor(.float, TensorShape([1, Int64(m), Int64(k)])))
        let wv = graph.addInitializer(.float32(dims: [Int64(k), Int64(n)], values: wt), named: "w")
        graph.addOutput(graph.makeNode(opType: "MatMul", name: "mm", inputs: [xv, wv], outputNames: ["y"]).outputs[0]!)
        let model = Model(graph: graph)
        let feeds = ["x": RuntimeTensor.float32([1, m, k], x)]
        let one = try Session(model: model, options: .init(threads: 1)).run(feeds)[0].floatValues()
        let two = try Session(model: model, options: .init(threads: 2)).run(feeds)[0].floatValues()
        var expected = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { for r in 0..<k { expected[i * n + j] += x[i * k + r] * wt[r * n + j] } } }
        #expect(zip(one, two).allSatisfy { abs($0 - $1) <= 1e-5 })
        #expect(zip(expected, two).allSatisfy { abs($0 - $1) <= 1e-5 })
    }
}
