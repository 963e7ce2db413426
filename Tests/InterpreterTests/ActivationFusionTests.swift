import ONNXIR
import TestSupport
import Testing

@testable import Interpreter

/// A Conv absorbs the activation after it in plain runs; observed runs (calibration) use the
/// unfused plan. Both must give bit-identical outputs, and fusion must stop where the Conv's
/// output has another reader.
@Suite struct ActivationFusionTests {
    /// x -> Conv (3x3 dense or depthwise, or 1x1) -> activation built by `tail` -> y, on a
    /// [1, 4, 9, width] input (depthwise planes up to 7 wide take the 16-channel kernel, wider ones
    /// the plane kernel; 1x1 planes of 784 positions and more the direct pointwise kernel).
    static func model(depthwise: Bool, width: Int = 10, kernel: Int = 3, _ tail: (Graph, Value) -> Value) -> Model {
        let (c, h, w) = (4, 9, width)
        var g = SeededGenerator(seed: depthwise ? 3 : 4)
        let graph = Graph(name: "fusion")
        let x = graph.addInput(named: "x", type: .tensor(.float, TensorShape([1, Int64(c), Int64(h), Int64(w)])))
        let weights = (0..<(c * (depthwise ? 1 : c) * kernel * kernel)).map { _ in g.nextFloat(in: -1...1) }
        let wv = graph.addInitializer(
            .float32(dims: [Int64(c), depthwise ? 1 : Int64(c), Int64(kernel), Int64(kernel)], values: weights), named: "w")
        let bv = graph.addInitializer(.float32(dims: [Int64(c)], values: [0.5, -0.5, 0.25, 0]), named: "b")
        let pad = Int64(kernel / 2)
        var attributes = [Attribute(name: "pads", value: .ints([pad, pad, pad, pad]))]
        if depthwise { attributes.append(Attribute(name: "group", value: .int(Int64(c)))) }
        let conv = graph.makeNode(opType: "Conv", name: "conv", attributes: attributes, inputs: [x, wv, bv], outputNames: ["c"])
        graph.addOutput(tail(graph, conv.outputs[0]!))
        return Model(graph: graph)
    }

    static func unary(_ op: String, _ attributes: [Attribute] = []) -> (Graph, Value) -> Value {
        { graph, c in graph.makeNode(opType: op, name: "act", attributes: attributes, inputs: [c], outputNames: ["y"]).outputs[0]! }
    }

    static func clipByConstants(_ graph: Graph, _ c: Value) -> Value {
        let lo = graph.makeNode(
            opType: "Constant", name: "lo", attributes: [Attribute(name: "value", value: .tensor(.float32(dims: [], values: [0])))],
            inputs: [], outputNames: ["lo"])
        let hi = graph.makeNode(
            opType: "Constant", name: "hi", attributes: [Attribute(name: "value", value: .tensor(.float32(dims: [], values: [0.75])))],
            inputs: [], outputNames: ["hi"])
        return graph.makeNode(opType: "Clip", name: "clip", inputs: [c, lo.outputs[0], hi.outputs[0]], outputNames: ["y"]).outputs[0]!
    }

    static func swish(_ graph: Graph, _ c: Value) -> Value {
        let s = graph.makeNode(opType: "Sigmoid", name: "sig", inputs: [c], outputNames: ["s"])
        return graph.makeNode(opType: "Mul", name: "mul", inputs: [s.outputs[0], c], outputNames: ["y"]).outputs[0]!
    }

    static var tails: [(String, (Graph, Value) -> Value)] {
        [
            ("Relu", unary("Relu")), ("LeakyRelu", unary("LeakyRelu", [Attribute(name: "alpha", value: .float(0.2))])),
            ("Sigmoid", unary("Sigmoid")), ("HardSwish", unary("HardSwish")), ("Clip", clipByConstants), ("Swish", swish),
        ]
    }

    @Test(arguments: [(false, 10, 3), (true, 7, 3), (true, 20, 3), (false, 90, 1), (false, 10, 1), (false, 1, 1)])
    func fusedRunsMatchUnfusedBitForBit(depthwise: Bool, width: Int, kernel: Int) throws {
        var g = SeededGenerator(seed: 11)
        let feeds = ["x": RuntimeTensor.float32([1, 4, 9, width], (0..<(36 * width)).map { _ in g.nextFloat(in: -2...2) })]
        for (name, tail) in Self.tails {
            let session = try Session(model: Self.model(depthwise: depthwise, width: width, kernel: kernel, tail))
            #expect(session.plan.nodeCount < session.model.graph.nodes.count, "\(name) was not fused")
            let fused = try session.run(feeds)[0].floatValues()
            var seen = 0
            let unfused = try session.run(feeds, observe: { _, _ in seen += 1 })[0].floatValues()
            #expect(seen == session.model.graph.nodes.count, "\(name): the observed run skipped nodes")
            #expect(fused.map(\.bitPattern) == unfused.map(\.bitPattern), "\(name)")
            #expect(fused.contains { $0 != 0 })
        }
    }

    @Test func observingNamedValuesKeepsFusionWhereNoneIsHidden() throws {
        let model = Self.model(depthwise: false, Self.unary("Relu"))
        let session = try Session(model: model)
        let conv = model.graph.nodes.first { $0.opType == "Conv" }!.outputs[0]!
        let relu = model.graph.outputs[0]
        var g = SeededGenerator(seed: 13)
        let feeds = ["x": RuntimeTensor.float32([1, 4, 9, 10], (0..<360).map { _ in g.nextFloat(in: -2...2) })]
        let plain = try session.run(feeds)[0].floatValues()
        // Only the Relu's output is wanted: the pair stays fused and the observer still sees it.
        var seen: [String: [Float]] = [:]
        let fused = try session.run(feeds, observing: [ObjectIdentifier(relu)]) { v, t in seen[v.name] = try? t.floatValues() }
        #expect(seen.keys.sorted() == ["y"])
        #expect(seen["y"]?.map(\.bitPattern) == plain.map(\.bitPattern))
        #expect(try fused[0].floatValues().map(\.bitPattern) == plain.map(\.bitPattern))
        // Wanting the Conv's output too unfuses it.
        seen = [:]
        _ = try session.run(feeds, observing: [ObjectIdentifier(relu), ObjectIdentifier(conv)]) { v, t in
            seen[v.name] = try? t.floatValues()
        }
        #expect(seen.keys.sorted() == ["c", "y"])
        #expect(seen["c"]?.contains { $0 < 0 } == true)
    }

    @Test(arguments: [DataType.float, .int64])
    func residualAddAbsorbsTheReluAfterIt(type: DataType) throws {
        // y = Relu(a + b) with b broadcast over rows: one step, the same values as the two nodes
        // (int64 takes the Relu kernel after the Add).
        let graph = Graph(name: "residual")
        let a = graph.addInput(named: "a", type: .tensor(type, TensorShape([2, 3, 5])))
        let b = graph.addInput(named: "b", type: .tensor(type, TensorShape([3, 5])))
        let sum = graph.makeNode(opType: "Add", name: "add", inputs: [a, b], outputNames: ["s"])
        graph.addOutput(graph.makeNode(opType: "Relu", name: "relu", inputs: [sum.outputs[0]], outputNames: ["y"]).outputs[0]!)
        let session = try Session(model: Model(graph: graph))
        #expect(session.plan.nodeCount == 1)
        var g = SeededGenerator(seed: 14)
        let av = (0..<30).map { _ in g.nextFloat(in: -2...2) }, bv = (0..<15).map { _ in g.nextFloat(in: -2...2) }
        let feeds: [String: RuntimeTensor] =
            type == .float
            ? ["a": .float32([2, 3, 5], av), "b": .float32([3, 5], bv)]
            : ["a": .int64([2, 3, 5], av.map { Int64($0 * 10) }), "b": .int64([3, 5], bv.map { Int64($0 * 10) })]
        let fused = try session.run(feeds)[0].floatValues()
        let unfused = try session.run(feeds, observe: { _, _ in })[0].floatValues()
        #expect(fused.map { $0.bitPattern } == unfused.map { $0.bitPattern })
        #expect(fused.contains(0) && fused.contains { $0 > 0 })
    }

    @Test func convOutputWithAnotherReaderIsNotFused() throws {
        // y = Relu(c) + c: c must exist, so the Relu stays a node of its own.
        let model = Self.model(depthwise: false) { graph, c in
            let r = graph.makeNode(opType: "Relu", name: "relu", inputs: [c], outputNames: ["r"])
            return graph.makeNode(opType: "Add", name: "add", inputs: [r.outputs[0], c], outputNames: ["y"]).outputs[0]!
        }
        let session = try Session(model: model)
        #expect(session.plan.nodeCount == model.graph.nodes.count)
        var g = SeededGenerator(seed: 12)
        let x = (0..<360).map { _ in g.nextFloat(in: -2...2) }
        let y = try session.run(["x": RuntimeTensor.float32([1, 4, 9, 10], x)])[0].floatValues()
        let observed = try session.run(["x": RuntimeTensor.float32([1, 4, 9, 10], x)], observe: { _, _ in })[0].floatValues()
        #expect(y.map(\.bitPattern) == observed.map(\.bitPattern))
    }
}

/// The column-blocked Conv (blocks that keep im2col in cache, and one block per thread) matches
/// a direct convolution with one and two threads: 3 input channels (27 column rows) take the
/// direct kernel, 32 take BLAS; 4 output channels keep both off Winograd.
@Suite struct ColumnBlockedConvTests {
    @Test(arguments: [1, 2], [3, 32])
    func matchesDirectConvolution(threads: Int, cin: Int) throws {
        let (cout, h, w) = (4, 32, 33)
        var g = SeededGenerator(seed: 21)
        let x = (0..<(cin * h * w)).map { _ in g.nextFloat(in: -1...1) }
        let wt = (0..<(cout * cin * 9)).map { _ in g.nextFloat(in: -1...1) }
        let lowering = ConvLowering(
            geometry: try ConvGeometry(
                input: [h, w], kernel: [3, 3], strides: nil, dilations: nil, pads: [1, 1, 1, 1], autoPad: "NOTSET", spatial: 2),
            outputChannels: cout, inputChannels: cin, pointwise: false)
        #expect(cin == 3 || (lowering.columnSplit(threads: threads)?.chunks ?? 1) > 1)
        #expect(lowering.directColumnsPay == (cin == 3))
        let graph = Graph(name: "conv")
        let xv = graph.addInput(named: "x", type: .tensor(.float, TensorShape([1, Int64(cin), Int64(h), Int64(w)])))
        let wv = graph.addInitializer(.float32(dims: [Int64(cout), Int64(cin), 3, 3], values: wt), named: "w")
        graph.addOutput(
            graph.makeNode(
                opType: "Conv", name: "conv", attributes: [Attribute(name: "pads", value: .ints([1, 1, 1, 1]))], inputs: [xv, wv],
                outputNames: ["y"]
            ).outputs[0]!)
        let y = try Session(model: Model(graph: graph), options: .init(threads: threads)).run([
            "x": RuntimeTensor.float32([1, cin, h, w], x)
        ])[0].floatValues()
        for o in 0..<cout {
            for oy in 0..<h {
                for ox in 0..<w {
                    let sum = DirectConvolution.value3x3(
                        x: x, weights: wt, inputs: cin, h: h, w: w, output: o, oy: oy, ox: ox, padTop: 1, padLeft: 1)
                    #expect(abs(y[(o * h + oy) * w + ox] - sum) < 1e-4)
                }
            }
        }
    }
}
