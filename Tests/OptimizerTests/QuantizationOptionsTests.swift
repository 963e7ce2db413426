import Foundation
import Interpreter
import ONNXIR
import TestSupport
import Testing

@testable import Optimizer

/// The quantize pass's accuracy options: symmetric activations, keep-float, SmoothQuant, bias
/// correction and the automatic float policy for transformer-style graphs. Each test checks the
/// structure the option must produce and, through the interpreter, that it moves the numbers the
/// way it claims (against the same pass without the option).
@Suite struct QuantizationOptionsTests {
    static func maxError(_ model: Model, _ reference: Model, _ feeds: [[String: RuntimeTensor]]) throws -> Float {
        var worst: Float = 0
        for f in feeds {
            let a = try Session(model: reference).run(f)[0].floatValues(), b = try Session(model: model).run(f)[0].floatValues()
            worst = max(worst, zip(a, b).map { abs($0 - $1) }.max() ?? 0)
        }
        return worst
    }

    @Test func symmetricActivationsPutTheZeroPointInTheMiddle() throws {
        let model = QuantizationTests.model()
        try PassManager(pipeline: "quantize{symmetric=true}", options: .init(calibration: QuantizationTests.samples(4))).run(on: model)
        #expect(Verifier().problems(in: model).isEmpty)
        let activationQ = model.graph.nodes.filter { $0.opType == "QuantizeLinear" }
        #expect(!activationQ.isEmpty)
        for q in activationQ {
            let zero = try #require(q.inputs[2]?.initializer)
            #expect(zero.dataType == .uint8)
            #expect(try zero.int64Values() == [128], "'\(q.name)' zero point")
        }
        let feeds = QuantizationTests.samples(2, seed: 3)
        #expect(try Self.maxError(model, QuantizationTests.model(), feeds) < 0.1 * 8)
    }

    @Test func keepFloatLeavesTheLayerInFloatAndNamesIt() throws {
        let model = QuantizationTests.model()
        let report = try PassManager(
            pipeline: "quantize{keep-float=mm1;nothing-matches}", options: .init(calibration: QuantizationTests.samples(4))
        ).run(on: model)[0]
        let mm1 = try #require(model.graph.nodes.first { $0.name == "mm1" })
        #expect(mm1.inputs[1]?.initializer?.dataType == .float, "mm1 keeps its float weight")
        #expect(report.skipped.contains { $0.candidate == "MatMul 'mm1'" && $0.reason.contains("keep-float mm1") })
        #expect(report.skipped.contains { $0.candidate == "keep-float 'nothing-matches'" })
        let mm2 = try #require(model.graph.nodes.first { $0.name == "mm2" })
        #expect(mm2.inputs[1]?.producer?.opType == "DequantizeLinear")
    }

    /// x[4,16] with channel 3 sixty times larger than the rest -> MatMul(W 16x8) -> y.
    static func outlierModel() -> Model {
        let b = GraphBuilder(opset: 17, seed: 11)
        let x = b.input("x", .float, [.symbol("N"), .value(16)])
        let y = b.node("MatMul", [x, b.weight("w", [16, 8], scale: 0.5)], name: "mm")
        b.output(y, type: .tensor(.float, nil))
        return b.model()
    }

    static func outlierSamples(_ count: Int, seed: UInt64) -> [[String: RuntimeTensor]] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            ["x": .float32([4, 16], (0..<64).map { i in g.nextFloat(in: -1...1) * (i % 16 == 3 ? 60 : 1) })]
        }
    }

    @Test func smoothQuantMigratesOutlierChannelsIntoTheWeights() throws {
        let calibration = Self.outlierSamples(8, seed: 1), held = Self.outlierSamples(4, seed: 2)
        let smoothed = Self.outlierModel(), plain = Self.outlierModel()
        let report = try PassManager(pipeline: "quantize", options: .init(calibration: calibration)).run(on: smoothed)[0]
        try PassManager(pipeline: "quantize{smooth-quant=off}", options: .init(calibration: calibration)).run(on: plain)
        #expect(Verifier().problems(in: smoothed).isEmpty)
        // x -> Mul(1/s) -> Q -> DQ -> MatMul; the weight absorbed s.
        let mul = try #require(smoothed.graph.nodes.first { $0.opType == "Mul" })
        #expect(mul.outputs[0]?.uses.first?.node.opType == "QuantizeLinear")
        #expect(!plain.graph.nodes.contains { $0.opType == "Mul" })
        #expect(report.changes.contains { $0.contains("smoothed 'x'") && $0.contains("median channel") })
        let smoothError = try Self.maxError(smoothed, Self.outlierModel(), held)
        let plainError = try Self.maxError(plain, Self.outlierModel(), held)
        #expect(smoothError < 0.5 * plainError, "smoothed \(smoothError) vs plain \(plainError)")
    }

    @Test func smoothQuantAutoDoesNotFireWithoutOutliers() throws {
        let model = QuantizationTests.model()
        let report = try PassManager(pipeline: "quantize", options: .init(calibration: QuantizationTests.samples(4))).run(on: model)[0]
        #expect(!report.changes.contains { $0.contains("smoothed") })
        #expect(throws: PassError.self) { try PassManager(pipeline: "quantize{smooth-quant=1.5}") }
    }

    /// x[1,8,4,4] (mean 0.5 per channel) -> Conv 1x1 (4 out, no bias) -> y; weights per tensor,
    /// one large weight so the others round coarsely.
    static func convModel() -> Model {
        let b = GraphBuilder(opset: 17, seed: 5)
        let x = b.input("x", .float, [.value(1), .value(8), .value(4), .value(4)])
        var w = b.random(32, scale: 0.3)
        w[0] = 4
        let y = b.node("Conv", [x, b.initializer("w", .float32(dims: [4, 8, 1, 1], values: w))], name: "conv")
        b.output(y, type: .tensor(.float, nil))
        return b.model()
    }

    static func convSamples(_ count: Int, seed: UInt64) -> [[String: RuntimeTensor]] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in ["x": .float32([1, 8, 4, 4], (0..<128).map { _ in 0.5 + g.nextFloat(in: -0.5...0.5) })] }
    }

    /// Mean absolute difference of the per-output-channel means of `model` and float.
    static func channelMeanShift(_ model: Model, _ feeds: [[String: RuntimeTensor]]) throws -> Float {
        var sums = [Float](repeating: 0, count: 4)
        for f in feeds {
            let a = try Session(model: convModel()).run(f)[0].floatValues(), b = try Session(model: model).run(f)[0].floatValues()
            for i in a.indices { sums[i / 16] += (b[i] - a[i]) / Float(16 * feeds.count) }
        }
        return sums.map(abs).reduce(0, +) / 4
    }

    @Test func biasCorrectionMatchesTheFloatChannelMeans() throws {
        let calibration = Self.convSamples(16, seed: 1)
        let corrected = Self.convModel(), plain = Self.convModel()
        let pipeline = "quantize{per-channel=false,bias-correction=true}"
        let report = try PassManager(pipeline: pipeline, options: .init(calibration: calibration)).run(on: corrected)[0]
        try PassManager(pipeline: "quantize{per-channel=false,bias-correction=false}", options: .init(calibration: calibration)).run(
            on: plain)
        #expect(Verifier().problems(in: corrected).isEmpty)
        // The Conv had no bias: correction gives it an int32 one behind a DequantizeLinear.
        let conv = try #require(corrected.graph.nodes.first { $0.opType == "Conv" })
        #expect(conv.inputs.count == 3 && conv.inputs[2]?.producer?.inputs[0]?.initializer?.dataType == .int32)
        #expect(report.changes.contains { $0.contains("bias corrected") })
        let held = Self.convSamples(8, seed: 9)
        let after = try Self.channelMeanShift(corrected, held), before = try Self.channelMeanShift(plain, held)
        #expect(after < 0.5 * before, "mean shift corrected \(after) vs plain \(before)")
    }

    /// Pre-norm block: x -> LayerNorm -> MatMul(W) -> Add(b) -> Add(x, .) -> LayerNorm -> y.
    static func blockModel() -> Model {
        let b = GraphBuilder(opset: 17, seed: 3)
        let x = b.input("x", .float, [.value(2), .value(8)])
        let gamma = b.initializer("g", .float32(dims: [8], values: [Float](repeating: 1, count: 8)))
        let beta = b.initializer("beta", .float32(dims: [8], values: [Float](repeating: 0, count: 8)))
        let n = b.node("LayerNormalization", [x, gamma, beta], ["axis": .int(-1)], name: "ln1")
        let h = b.node(
            "Add", [b.node("MatMul", [n, b.weight("w", [8, 8], scale: 0.5)], name: "mm"), b.weight("bias", [8])], name: "bias_add")
        let r = b.node("Add", [x, h], name: "residual")
        b.output(b.node("LayerNormalization", [r, gamma, beta], ["axis": .int(-1)], name: "ln2"), type: .tensor(.float, nil))
        return b.model()
    }

    @Test(arguments: [true, false])
    func autoFloatKeepsTheResidualStreamInFloat(auto: Bool) throws {
        var g = SeededGenerator(seed: 4)
        let samples: [[String: RuntimeTensor]] = (0..<4).map { _ in ["x": .float32([2, 8], (0..<16).map { _ in g.nextFloat(in: -2...2) })] }
        let model = Self.blockModel()
        let report = try PassManager(pipeline: "quantize{auto-float=\(auto)}", options: .init(calibration: samples)).run(on: model)[0]
        #expect(Verifier().problems(in: model).isEmpty)
        let residual = try #require(model.graph.nodes.first { $0.name == "residual" })
        let readsDequantized = residual.inputs.contains { $0?.producer?.opType == "DequantizeLinear" }
        #expect(readsDequantized != auto)
        let mm = try #require(model.graph.nodes.first { $0.name == "mm" })
        #expect(mm.inputs[1]?.producer?.opType == "DequantizeLinear", "the MatMul weight is quantized either way")
        if auto {
            #expect(report.skipped.contains { $0.candidate == "Add 'residual'" && $0.reason.contains("LayerNormalization 'ln2'") })
            // MatMul output goes to a float Add: no Q after it (onnxruntime: MatMulIntegerToFloat).
            #expect(mm.outputs[0]?.uses.allSatisfy { $0.node.opType != "QuantizeLinear" } == true)
        }
        #expect(try Self.maxError(model, Self.blockModel(), samples) < 0.25)
    }

    /// A classifier's final Softmax does not make a graph transformer-style: its Add stays quantized.
    @Test func aFinalSoftmaxLeavesCNNArithmeticQuantized() throws {
        let b = GraphBuilder(opset: 17, seed: 6)
        let x = b.input("x", .float, [.value(1), .value(4), .value(3), .value(3)])
        let c = b.node("Conv", [x, b.weight("w", [4, 4, 1, 1])], name: "conv")
        let sum = b.node("Add", [c, x], name: "residual")
        b.output(b.node("Softmax", [b.node("Flatten", [sum], name: "flat")], name: "probs"), type: .tensor(.float, nil))
        let model = b.model()
        var g = SeededGenerator(seed: 1)
        let samples: [[String: RuntimeTensor]] = (0..<2).map { _ in
            ["x": .float32([1, 4, 3, 3], (0..<36).map { _ in g.nextFloat(in: -1...1) })]
        }
        let report = try PassManager(pipeline: "quantize", options: .init(calibration: samples)).run(on: model)[0]
        #expect(report.changes.contains("quantized Add 'residual'"))
        #expect(!report.changes.contains { $0.hasPrefix("auto-float") })
    }

    /// x[2,64] -> MatMul(W 64x16) -> ReduceMean {axes=[1]} -> y, at `opset`.
    static func reduceModel(opset: Int64) -> Model {
        let b = GraphBuilder(opset: opset, seed: 8)
        let x = b.input("x", .float, [.value(2), .value(64)])
        let h = b.node("MatMul", [x, b.weight("w", [64, 16], scale: 0.5)], name: "mm")
        b.output(b.node("ReduceMean", [h], ["axes": .ints([1]), "keepdims": .int(1)], name: "mean"), type: .tensor(.float, nil))
        return b.model()
    }

    @Test func blockedWeightsRaiseTheOpsetAndRewriteWhatChanged() throws {
        let model = Self.reduceModel(opset: 17)
        var g = SeededGenerator(seed: 2)
        let feeds: [String: RuntimeTensor] = ["x": .float32([2, 64], (0..<128).map { _ in g.nextFloat(in: -1...1) })]
        let reference = try Session(model: Self.reduceModel(opset: 17)).run(feeds)[0].floatValues()
        let report = try PassManager(pipeline: "quantize{mode=weight-only,weights=int4,block-size=32}").run(on: model)[0]
        #expect(model.opsetVersion(for: "") == 21 && model.irVersion >= 10)
        #expect(report.changes.contains { $0.contains("raised the opset 17 -> 21") && $0.contains("ReduceMean 'mean'") })
        let mean = try #require(model.graph.nodes.first { $0.opType == "ReduceMean" })
        #expect(mean.attribute("axes") == nil && mean.inputs.count == 2)
        let dq = try #require(model.graph.nodes.first { $0.opType == "DequantizeLinear" })
        #expect(dq.attribute("block_size")?.int == 32 && dq.inputs[0]?.initializer?.dataType == .int4)
        #expect(Verifier().problems(in: model).isEmpty)
        let out = try Session(model: model).run(feeds)[0].floatValues()
        #expect(zip(reference, out).map { abs($0 - $1) }.max()! < 0.1)
    }

    @Test func staticInt4WeightsRaiseTheOpset() throws {
        let model = Self.reduceModel(opset: 17)
        var g = SeededGenerator(seed: 3)
        let samples: [[String: RuntimeTensor]] = (0..<4).map { _ in
            ["x": .float32([2, 64], (0..<128).map { _ in g.nextFloat(in: -1...1) })]
        }
        let reference = try Session(model: Self.reduceModel(opset: 17)).run(samples[0])[0].floatValues()
        let report = try PassManager(pipeline: "quantize{weights=int4}", options: .init(calibration: samples)).run(on: model)[0]
        #expect(model.opsetVersion(for: "") == 21 && model.irVersion >= 10)
        #expect(report.changes.contains { $0.contains("raised the opset 17 -> 21") && $0.contains("int4 weights") })
        #expect(report.changes.contains("quantized MatMul 'mm' (weights int4 per channel)"))
        let mm = try #require(model.graph.nodes.first { $0.opType == "MatMul" })
        #expect(mm.inputs[1]?.producer?.inputs[0]?.initializer?.dataType == .int4)
        #expect(Verifier().problems(in: model).isEmpty)
        let out = try Session(model: model).run(samples[0])[0].floatValues()
        #expect(zip(reference, out).map { abs($0 - $1) }.max()! < 0.2)
    }

    @Test func anOpsetTooOldToRaiseFallsBackToMatMulNBits() throws {
        let model = Self.reduceModel(opset: 12)
        let report = try PassManager(pipeline: "quantize{mode=weight-only,weights=int4,block-size=32}").run(on: model)[0]
        #expect(model.opsetVersion(for: "") == 12)
        #expect(model.graph.nodes.contains { $0.opType == "MatMulNBits" })
        #expect(report.skipped.contains { $0.candidate == "blocked DequantizeLinear" && $0.reason.contains("older than 13") })
    }
}
