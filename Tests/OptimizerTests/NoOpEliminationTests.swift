import Interpreter
import ONNXIR
import TestSupport
import Testing

@testable import Optimizer

@Suite struct NoOpEliminationTests {
    /// x -> Cast(float) -> Reshape(same) -> Transpose(identity) -> Pad(0) -> Slice(all) ->
    /// Expand(same) -> Concat(one) -> Split(one) -> Relu -> y: only Relu stays.
    @Test func everyNoOpIsRemoved() throws {
        let b = GraphBuilder()
        var v = b.input("x", .float, [2, 3, 4])
        v = b.node("Cast", [v], ["to": .int(Int64(DataType.float.rawValue))])
        v = b.node("Reshape", [v, b.ints("same", [2, 3, 4])])
        v = b.node("Transpose", [v], ["perm": .ints([0, 1, 2])])
        v = b.node("Pad", [v, b.ints("pads", [0, 0, 0, 0, 0, 0])])
        v = b.node("Slice", [v, b.ints("starts", [0, 0]), b.ints("ends", [Int64.max, 9]), b.ints("axes", [0, -1])])
        v = b.node("Expand", [v, b.ints("to", [1, 4])])
        v = b.node("Concat", [v], ["axis": .int(0)])
        v = b.node("Split", [v], ["axis": .int(1)])
        b.output(b.node("Relu", [v], name: "y"))
        let model = b.model()
        let report = try checkPipeline("noop-elimination", on: model, relative: 0)[0]
        #expect(opTypes(model) == ["Relu"])
        #expect(report.changes.count == 8)
        #expect(model.graph.initializers.isEmpty)
    }

    /// Reshape(x: [N,4], [0,-1]) keeps every dim even with a symbolic batch.
    @Test func reshapeKeepingDimsWithASymbolicBatchIsRemoved() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [.symbol("N"), .value(4)])
        b.output(b.node("Relu", [b.node("Reshape", [x, b.ints("keep", [0, -1])])], name: "y"))
        let model = b.model()
        try checkPipeline("noop-elimination", on: model, relative: 0, feeds: ["x": .float32([3, 4], seededValues(12, seed: 5))])
        #expect(opTypes(model) == ["Relu"])
    }

    /// Each op changes its data here, so nothing is removed (and nothing is reported).
    @Test func opsThatChangeDataStay() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 3, 4])
        let ops: [Value] = [
            b.node("Cast", [x], ["to": .int(Int64(DataType.double.rawValue))]),
            b.node("Reshape", [x, b.ints("other", [6, 4])]),
            b.node("Transpose", [x], ["perm": .ints([0, 2, 1])]),
            b.node("Pad", [x, b.ints("pads", [0, 0, 1, 0, 0, 0])]),
            b.node("Slice", [x, b.ints("starts", [0]), b.ints("ends", [3]), b.ints("axes", [2])]),
            b.node("Expand", [x, b.ints("to", [2, 2, 3, 4])]),
            b.node("Concat", [x, x], ["axis": .int(0)]),
            b.nodeOutputs("Split", [x], ["axis": .int(0)], outputs: 2)[1],
        ]
        for (i, v) in ops.enumerated() { b.output(b.node("Identity", [v], name: "y\(i)")) }
        let model = b.model()
        let report = try runPass("noop-elimination", on: model)
        #expect(!report.modified)
        #expect(report.skipped.isEmpty)
    }

    /// Without known dims or constant targets the pass cannot tell: it says so.
    @Test func missingFactsAreReported() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [.symbol("N"), .value(4)])
        let dynamicShape = b.input("shape", .int64, [2])
        let r = b.node("Reshape", [x, dynamicShape])
        let s = b.node("Slice", [r, b.ints("starts", [0]), b.ints("ends", [8]), b.ints("axes", [0])])
        b.output(b.node("Relu", [s], name: "y"))
        let model = b.model()
        let report = try runPass("noop-elimination", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("the target shape is not constant"))
        #expect(report.skipText.contains("axis of unknown size"))
    }

    /// y = Cast(x) with x a graph input and y a graph output: removing it would rename the interface.
    @Test func noOpBetweenGraphInputAndOutputStays() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2])
        b.output(b.node("Cast", [x], ["to": .int(Int64(DataType.float.rawValue))], name: "y"))
        let model = b.model()
        let report = try runPass("noop-elimination", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("is a graph output and its input 'x' cannot take that name"))
    }

    /// When the no-op's input is a node output, it takes over the graph output's name.
    @Test func noOpFeedingAGraphOutputKeepsTheOutputName() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 2])
        let r = b.node("Relu", [x])
        b.output(b.node("Transpose", [r], ["perm": .ints([0, 1])], name: "y"))
        let model = b.model()
        try checkPipeline("noop-elimination", on: model, relative: 0)
        #expect(opTypes(model) == ["Relu"])
        #expect(model.graph.outputs.map(\.name) == ["y_out"])
    }
}
