import Interpreter
import ONNXIR
import TestSupport
import Testing

@testable import Optimizer

/// MatMul + Add -> Gemm; numerics within 1e-5 relative (summation order may differ).
@Suite struct MatMulAddFusionTests {
    @Test(arguments: [false, true])
    func matMulPlusBiasBecomesGemm(biasFirst: Bool) throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [4, 8])
        let mm = b.node("MatMul", [x, b.weight("W", [8, 5])])
        let bias = b.weight("b", [5])
        b.output(b.node("Add", biasFirst ? [bias, mm] : [mm, bias], name: "y"))
        let model = b.model()
        try checkPipeline("fuse-matmul-add", on: model, relative: 1e-5, absolute: 1e-5)
        #expect(opTypes(model) == ["Gemm"])
        #expect(model.graph.outputs.map(\.name) == ["y_out"])
        #expect(model.graph.nodes[0].inputs.map { $0?.name } == ["x", "W", "b"])
    }

    /// Gemm takes matrices only: a batched MatMul stays.
    @Test func batchedMatMulStays() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 4, 8])
        let mm = b.node("MatMul", [x, b.weight("W", [8, 5])])
        b.output(b.node("Add", [mm, b.weight("b", [5])], name: "y"))
        let model = b.model()
        let report = try runPass("fuse-matmul-add", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("first input has rank 3; Gemm takes matrices"))
    }

    @Test func matrixBiasStays() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [4, 8])
        let mm = b.node("MatMul", [x, b.weight("W", [8, 5])])
        b.output(b.node("Add", [mm, b.weight("b", [4, 5])], name: "y"))
        let model = b.model()
        let report = try runPass("fuse-matmul-add", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("not a 1-D tensor"))
    }

    @Test func matMulReadTwiceStays() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [4, 8])
        let mm = b.node("MatMul", [x, b.weight("W", [8, 5])])
        b.output(b.node("Add", [mm, b.weight("b", [5])], name: "y"))
        b.output(b.node("Relu", [mm], name: "z"))
        let model = b.model()
        let report = try runPass("fuse-matmul-add", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("also read by"))
    }
}
