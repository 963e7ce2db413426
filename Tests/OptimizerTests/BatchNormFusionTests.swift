import Interpreter
import ONNXIR
import TestSupport
import Testing

@testable import Optimizer

/// BatchNormalization folding: W' = W * g / sqrt(v + eps), B' = (B - mean) * g / sqrt(v + eps) + beta.
/// Numerics within 1e-5 relative (plus 1e-5 absolute near zero).
@Suite struct BatchNormFusionTests {
    /// Appends BatchNormalization over `channels` with seeded parameters (variance positive).
    static func batchNorm(_ b: GraphBuilder, _ x: Value, channels: Int64, name: String = "bn") -> Value {
        b.node(
            "BatchNormalization",
            [
                x, b.weight("\(name)_scale", [channels], in: 0.5...2), b.weight("\(name)_bias", [channels]),
                b.weight("\(name)_mean", [channels]), b.weight("\(name)_var", [channels], in: 0.1...3),
            ], ["epsilon": .float(1e-3)], name: name)
    }

    @Test(arguments: [(group: Int64(1), bias: true), (group: 2, bias: false)])
    func foldsIntoConv(group: Int64, bias: Bool) throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 4, 7, 7])
        let w = b.weight("W", [6, 4 / group, 3, 3])
        let conv = b.node(
            "Conv", [x, w] + (bias ? [b.weight("B", [6])] : []),
            ["group": .int(group), "strides": .ints([2, 2]), "pads": .ints([1, 1, 0, 0]), "kernel_shape": .ints([3, 3])])
        b.output(b.node("Relu", [Self.batchNorm(b, conv, channels: 6)], name: "y"))
        let model = b.model()
        try checkPipeline("fuse-batchnorm", on: model, relative: 1e-5, absolute: 1e-5)
        #expect(opTypes(model) == ["Conv", "Relu"])
        #expect(model.graph.nodes[0].inputs.count == 3)
        // Scale, bias, mean and variance are gone; W (and B) were edited in place (single reader).
        #expect(model.graph.initializers.count == 2)
        #expect(model.graph.nodes[0].inputs[1]!.name == "W")
    }

    @Test func foldsIntoGroupedConvTranspose() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [1, 4, 5, 5])
        // W [Cin, Cout/g, k, k] with g = 2: output channels 2 * 3 = 6.
        let ct = b.node(
            "ConvTranspose", [x, b.weight("W", [4, 3, 3, 3]), b.weight("B", [6])],
            ["group": .int(2), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1]), "kernel_shape": .ints([3, 3])])
        b.output(b.node("Relu", [Self.batchNorm(b, ct, channels: 6)], name: "y"))
        let model = b.model()
        try checkPipeline("fuse-batchnorm", on: model, relative: 1e-5, absolute: 1e-5)
        #expect(opTypes(model) == ["ConvTranspose", "Relu"])
    }

    @Test(arguments: [false, true])
    func foldsIntoGemm(transB: Bool) throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [3, 8])
        let gemm = b.node(
            "Gemm", [x, b.weight("B", transB ? [5, 8] : [8, 5]), b.weight("C", [1, 5])],
            ["transB": .int(transB ? 1 : 0), "alpha": .float(0.5), "beta": .float(2)])
        b.output(b.node("Relu", [Self.batchNorm(b, gemm, channels: 5)], name: "y"))
        let model = b.model()
        try checkPipeline("fuse-batchnorm", on: model, relative: 1e-5, absolute: 1e-5)
        #expect(opTypes(model) == ["Gemm", "Relu"])
        #expect(model.graph.nodes[0].attribute("beta")?.float == 1)
    }

    @Test func foldsIntoMatMulWithAConstantWeight() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [3, 8])
        let mm = b.node("MatMul", [x, b.weight("W", [8, 5])])
        b.output(Self.batchNorm(b, mm, channels: 5))
        let model = b.model()
        try checkPipeline("fuse-batchnorm", on: model, relative: 1e-5, absolute: 1e-5)
        #expect(opTypes(model) == ["MatMul", "Add"])
        #expect(model.graph.outputs.map(\.name) == ["bn_out"])
        // Cleanup goes on to turn the pair into a Gemm.
        try checkPipeline("cleanup", on: model, relative: 1e-5, absolute: 1e-5)
        #expect(opTypes(model) == ["Gemm"])
    }

    /// A weight fed at run time cannot absorb the scale.
    @Test func convTransposeWithARuntimeWeightIsNotFolded() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [1, 4, 3, 3])
        let w = b.input("w", .float, [4, 3, 3, 3])
        b.output(Self.batchNorm(b, b.node("ConvTranspose", [x, w]), channels: 3))
        let model = b.model()
        let report = try runPass("fuse-batchnorm", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("has no constant float32 weight"))
    }

    /// C of shape [M, 1] differs per row: it is not a bias per output column.
    @Test func gemmWithARowBiasIsNotFolded() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [3, 8])
        let gemm = b.node("Gemm", [x, b.weight("B", [8, 5]), b.weight("C", [3, 1])])
        b.output(Self.batchNorm(b, gemm, channels: 5))
        let model = b.model()
        let report = try runPass("fuse-batchnorm", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("is not one value per column"))
    }

    /// A batched MatMul normalizes axis 1 of [B, T, N]: that is T, not the weight's columns.
    @Test func batchedMatMulIsNotFolded() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 5, 8])
        let mm = b.node("MatMul", [x, b.weight("W", [8, 5])])
        b.output(Self.batchNorm(b, mm, channels: 5))
        let model = b.model()
        let report = try runPass("fuse-batchnorm", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("not known to be 2"))
    }

    @Test func convOutputReadTwiceIsNotFolded() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [1, 2, 4, 4])
        let conv = b.node("Conv", [x, b.weight("W", [3, 2, 1, 1])])
        b.output(Self.batchNorm(b, conv, channels: 3))
        b.output(b.node("Relu", [conv], name: "z"))
        let model = b.model()
        let report = try runPass("fuse-batchnorm", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("also read by 1 other node"))
    }

    @Test func nonConstantScaleIsNotFolded() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [1, 2, 4, 4])
        let scale = b.input("scale", .float, [3])
        let conv = b.node("Conv", [x, b.weight("W", [3, 2, 1, 1])])
        b.output(b.node("BatchNormalization", [conv, scale, b.weight("bb", [3]), b.weight("m", [3]), b.weight("v", [3], in: 1...2)]))
        let model = b.model()
        let report = try runPass("fuse-batchnorm", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("must be constant float32 vectors"))
    }

    @Test func trainingModeIsNotFolded() throws {
        let b = GraphBuilder(opset: 15)
        let x = b.input("x", .float, [1, 2, 4, 4])
        let conv = b.node("Conv", [x, b.weight("W", [3, 2, 1, 1])])
        let bn = b.nodeOutputs(
            "BatchNormalization", [conv, b.weight("s", [3]), b.weight("bb", [3]), b.weight("m", [3]), b.weight("v", [3], in: 1...2)],
            ["training_mode": .int(1)], outputs: 3)
        b.output(bn[0])
        let model = b.model()
        let report = try runPass("fuse-batchnorm", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("training mode"))
    }

    /// Two Convs share W; folding BatchNormalization into one must not change the other's weight.
    @Test func sharedWeightIsClonedOnWrite() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [1, 2, 4, 4])
        let w = b.weight("W", [3, 2, 1, 1])
        let c1 = b.node("Conv", [x, w])
        let c2 = b.node("Conv", [x, w])
        b.output(b.node("Add", [Self.batchNorm(b, c1, channels: 3), c2], name: "y"))
        let model = b.model()
        let original = try w.initializer!.floatValues()
        try checkPipeline("fuse-batchnorm", on: model, relative: 1e-5, absolute: 1e-5)
        #expect(opTypes(model) == ["Conv", "Conv", "Add"])
        let (first, second) = (model.graph.nodes[0].inputs[1]!, model.graph.nodes[1].inputs[1]!)
        #expect(first !== second)
        #expect(second === w)
        #expect(try w.initializer!.floatValues() == original)
    }
}
