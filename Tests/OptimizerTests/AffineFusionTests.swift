import Interpreter
import ONNXIR
import TestSupport
import Testing

@testable import Optimizer

/// Mul/Add/Sub/Div by per-channel constants folded into Conv and Gemm; numerics within 1e-5
/// relative (plus 1e-5 absolute near zero).
@Suite struct AffineFusionTests {
    @Test func perChannelMulAndAddFoldIntoConv() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [1, 3, 5, 5])
        let conv = b.node("Conv", [x, b.weight("W", [4, 3, 3, 3]), b.weight("B", [4])], ["pads": .ints([1, 1, 1, 1])])
        let scaled = b.node("Mul", [b.weight("s", [4, 1, 1]), conv])
        let shifted = b.node("Add", [scaled, b.weight("t", [1, 4, 1, 1])])
        b.output(b.node("Relu", [shifted], name: "y"))
        let model = b.model()
        let report = try checkPipeline("fuse-affine", on: model, relative: 1e-5, absolute: 1e-5)[0]
        #expect(opTypes(model) == ["Conv", "Relu"])
        #expect(report.changes.count == 2)
    }

    @Test func scalarDivAndSubFoldIntoABiasLessConv() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [1, 2, 4, 4])
        let conv = b.node("Conv", [x, b.weight("W", [3, 2, 1, 1])])
        let divided = b.node("Div", [conv, b.floats("d", [], [4])])
        b.output(b.node("Sub", [divided, b.floats("e", [1], [0.25])], name: "y"))
        let model = b.model()
        try checkPipeline("fuse-affine", on: model, relative: 1e-5, absolute: 1e-5)
        #expect(opTypes(model) == ["Conv"])
        #expect(model.graph.nodes[0].inputs.count == 3)
        #expect(model.graph.outputs.map(\.name) == ["y_out"])
    }

    @Test func perColumnMulAndAddFoldIntoGemm() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [3, 6])
        let gemm = b.node("Gemm", [x, b.weight("B", [4, 6]), b.weight("C", [4])], ["transB": .int(1), "beta": .float(0.5)])
        let scaled = b.node("Mul", [gemm, b.weight("s", [1, 4])])
        b.output(b.node("Add", [scaled, b.weight("t", [4])], name: "y"))
        let model = b.model()
        try checkPipeline("fuse-affine", on: model, relative: 1e-5, absolute: 1e-5)
        #expect(opTypes(model) == ["Gemm"])
    }

    /// [1,1,H,W] varies along the spatial axes: not a per-channel scale.
    @Test func spatiallyVaryingConstantIsNotFolded() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [1, 2, 4, 4])
        let conv = b.node("Conv", [x, b.weight("W", [3, 2, 1, 1])])
        b.output(b.node("Mul", [conv, b.weight("m", [1, 1, 4, 4])], name: "y"))
        let model = b.model()
        let report = try runPass("fuse-affine", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("does not broadcast along the channel axis only"))
    }

    /// [M, 1] scales rows of a Gemm's output, not its columns.
    @Test func perRowGemmScaleIsNotFolded() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [3, 6])
        let gemm = b.node("Gemm", [x, b.weight("B", [6, 4])])
        b.output(b.node("Mul", [gemm, b.weight("s", [3, 1])], name: "y"))
        let model = b.model()
        let report = try runPass("fuse-affine", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("does not broadcast along the channel axis only"))
    }

    /// [C] lines up with the last axis of a 4-D Conv output, not the channel axis.
    @Test func trailingVectorIsNotAChannelVector() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [1, 2, 4, 4])
        let conv = b.node("Conv", [x, b.weight("W", [4, 2, 1, 1])])
        b.output(b.node("Add", [conv, b.weight("t", [4])], name: "y"))
        let model = b.model()
        let report = try runPass("fuse-affine", on: model)
        #expect(!report.modified)
    }

    /// A residual Add (both operands computed at run time) is not a candidate at all.
    @Test func nonConstantOperandIsNotACandidate() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [1, 2, 4, 4])
        let s = b.input("s", .float, [1, 3, 1, 1])
        let conv = b.node("Conv", [x, b.weight("W", [3, 2, 1, 1])])
        b.output(b.node("Mul", [conv, s], name: "y"))
        let model = b.model()
        let report = try runPass("fuse-affine", on: model)
        #expect(!report.modified)
        #expect(report.skipped.isEmpty)
    }

    @Test func nonFloat32ConstantIsNotFolded() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [1, 2, 4, 4])
        let conv = b.node("Conv", [x, b.weight("W", [3, 2, 1, 1])])
        b.output(b.node("Mul", [conv, b.scalar("k", 2)], name: "y"))
        let model = b.model()
        let report = try runPass("fuse-affine", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("is not float32"))
    }

    /// c - y is not affine in the Conv's weights the same way: left alone, without a report.
    @Test func constantMinusConvIsNotACandidate() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [1, 2, 4, 4])
        let conv = b.node("Conv", [x, b.weight("W", [3, 2, 1, 1])])
        b.output(b.node("Sub", [b.floats("c", [], [1]), conv], name: "y"))
        let model = b.model()
        let report = try runPass("fuse-affine", on: model)
        #expect(!report.modified)
        #expect(report.skipped.isEmpty)
    }

    @Test func convOutputThatIsAGraphOutputIsNotFolded() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [1, 2, 4, 4])
        let conv = b.node("Conv", [x, b.weight("W", [3, 2, 1, 1])], name: "c")
        b.output(conv)
        b.output(b.node("Mul", [conv, b.floats("k", [], [2])], name: "y"))
        let model = b.model()
        let report = try runPass("fuse-affine", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("is a graph output"))
    }
}
