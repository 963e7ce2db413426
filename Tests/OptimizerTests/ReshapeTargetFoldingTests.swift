import Interpreter
import ONNXIR
import TestSupport
import Testing

@testable import Optimizer

/// Computed Reshape targets become constants when inference knows the result.
@Suite struct ReshapeTargetFoldingTests {
    /// y = Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])) with x: [N, 4, 8].
    static func exportedFlatten(symbolicTail: Bool = false) -> (Model, Value) {
        let g = Graph(name: "flatten")
        let x = g.addInput(
            named: "x", type: .tensor(.float, TensorShape([.symbol("N"), symbolicTail ? .symbol("T") : .value(4), .value(8)])))
        let shape = g.makeNode(opType: "Shape", name: "shape", inputs: [x], outputNames: ["s"]).outputs[0]!
        let zero = g.addInitializer(.int64(dims: [], values: [0]), named: "zero")
        let batch = g.makeNode(opType: "Gather", name: "gather", inputs: [shape, zero], outputNames: ["b"]).outputs[0]!
        let axes = g.addInitializer(.int64(dims: [1], values: [0]), named: "axes")
        let b1 = g.makeNode(opType: "Unsqueeze", name: "unsq", inputs: [batch, axes], outputNames: ["b1"]).outputs[0]!
        let minus = g.addInitializer(.int64(dims: [1], values: [-1]), named: "minus")
        let target = g.makeNode(
            opType: "Concat", name: "cat", attributes: [Attribute(name: "axis", value: .int(0))], inputs: [b1, minus], outputNames: ["t"]
        ).outputs[0]!
        let y = g.makeNode(opType: "Reshape", name: "reshape", inputs: [x, target], outputNames: ["y"]).outputs[0]!
        y.type = .tensor(.float, nil)
        g.addOutput(y)
        return (Model(graph: g, opsetImports: [OperatorSetID(domain: "", version: 13)]), x)
    }

    @Test func shapeSubgraphCollapsesToAConstantTarget() throws {
        let (model, _) = Self.exportedFlatten()
        let feeds = ["x": RuntimeTensor.float32([2, 4, 8], (0..<64).map(Float.init))]
        let before = try Session(model: model).run(feeds)[0]
        try PassManager(pipeline: "reshape-targets,dead-code").run(on: model)
        #expect(model.graph.nodes.map(\.opType) == ["Reshape"])
        #expect(try model.graph.nodes[0].inputs[1]?.initializer?.int64Values() == [0, 32])
        let after = try Session(model: model).run(feeds)[0]
        #expect(after.shape == [2, 32])
        #expect(try after.floatValues() == before.floatValues())
    }

    @Test func twoFreeSymbolsAreLeftAlone() throws {
        // [N, T, 8] -> [N, T*8]: the second dim is not a symbol of the input at its place.
        let (model, _) = Self.exportedFlatten(symbolicTail: true)
        let report = try PassManager(pipeline: "reshape-targets").run(on: model)[0]
        #expect(model.graph.nodes.count == 5)
        #expect(report.skipped.contains { $0.candidate == "Reshape 'reshape'" })
    }
}
