import Interpreter
import ONNXIR
import TestSupport
import Testing

@testable import Optimizer

/// Gather of a Shape folds when the picked dims are static, whatever the other dims are.
@Suite struct ShapeGatherFoldingTests {
    static func chunkModel(channels: Dimension) -> Model {
        // half = Gather(Shape(x), 1) / 2 -- the size arithmetic of x.chunk(2, dim=1).
        let g = Graph(name: "chunk")
        let x = g.addInput(named: "x", type: .tensor(.float, TensorShape([.symbol("N"), channels, .value(3)])))
        let shape = g.makeNode(opType: "Shape", name: "shape", inputs: [x], outputNames: ["s"]).outputs[0]!
        let one = g.addInitializer(.int64(dims: [], values: [1]), named: "one")
        let c = g.makeNode(opType: "Gather", name: "gather", inputs: [shape, one], outputNames: ["c"]).outputs[0]!
        let two = g.addInitializer(.int64(dims: [], values: [2]), named: "two")
        let half = g.makeNode(opType: "Div", name: "div", inputs: [c, two], outputNames: ["half"]).outputs[0]!
        half.type = .tensor(.int64, .scalar)
        g.addOutput(half)
        return Model(graph: g, opsetImports: [OperatorSetID(domain: "", version: 13)])
    }

    @Test func staticChannelFoldsDespiteSymbolicBatch() throws {
        let model = Self.chunkModel(channels: .value(116))
        try PassManager(pipeline: "shape-gather-folding,dead-code").run(on: model)
        // Only the Div is left, on constants (constant folding leaves graph outputs alone).
        #expect(model.graph.nodes.map(\.opType) == ["Div"])
        #expect(try model.graph.nodes[0].inputs[0]?.initializer?.int64Values() == [116])
        // dead-code also dropped the now unread input x.
        let out = try Session(model: model).run([:])[0]
        #expect(try out.int64Values() == [58])
    }

    @Test func symbolicChannelIsLeftAlone() throws {
        let model = Self.chunkModel(channels: .symbol("C"))
        let report = try PassManager(pipeline: "shape-gather-folding").run(on: model)[0]
        #expect(model.graph.nodes.contains { $0.opType == "Gather" })
        #expect(report.skipped.contains { $0.candidate == "Gather 'gather'" })
    }
}
