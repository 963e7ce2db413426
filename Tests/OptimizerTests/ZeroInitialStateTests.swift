import Interpreter
import ONNXIR
import TestSupport
import Testing

@testable import Optimizer

/// All-zero initial states of recurrent ops are dropped; anything else stays.
@Suite struct ZeroInitialStateTests {
    static func gru(zeroState: Bool) -> Model {
        let b = GraphBuilder(opset: 14, seed: 3)
        let x = b.input("x", .float, [.value(5), .value(1), .value(4)])
        let w = b.weight("w", [1, 9, 4], scale: 0.5)
        let r = b.weight("r", [1, 9, 3], scale: 0.5)
        let shape = b.initializer("state_shape", .int64(dims: [3], values: [1, 1, 3]))
        let fill: AttributeValue = .tensor(.float32(dims: [1], values: [zeroState ? 0 : 0.5]))
        let h0 = b.node("ConstantOfShape", [shape], ["value": fill], name: "h0")
        let outputs = b.nodeOutputs("GRU", [x, w, r, nil, nil, h0], ["hidden_size": .int(3)], outputs: 2, name: "gru")
        b.output(outputs[0], type: .tensor(.float, nil))
        return b.model()
    }

    @Test func zeroStateIsDroppedAndOutputsAgree() throws {
        let model = Self.gru(zeroState: true)
        var g = SeededGenerator(seed: 9)
        let feeds = ["x": RuntimeTensor.float32([5, 1, 4], (0..<20).map { _ in g.nextFloat(in: -1...1) })]
        let before = try Session(model: model).run(feeds)[0].floatValues()
        try PassManager(pipeline: "zero-initial-states,dead-code").run(on: model)
        #expect(model.graph.nodes.map(\.opType) == ["GRU"])
        #expect(try Session(model: model).run(feeds)[0].floatValues() == before)
    }

    @Test func nonZeroStateStays() throws {
        let model = Self.gru(zeroState: false)
        let report = try PassManager(pipeline: "zero-initial-states").run(on: model)[0]
        #expect(!report.modified)
        #expect(model.graph.nodes.contains { $0.opType == "ConstantOfShape" })
    }
}
