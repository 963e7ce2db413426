import Foundation
import ONNXIR
import TestSupport
import Testing

@testable import Interpreter

/// Sequence values through the sequence ops, and the seeded training-mode Dropout.
@Suite struct SequenceTests {
    @Test func splitThenConcatGivesTheTensorBack() throws {
        let b = GraphBuilder(opset: 18)
        let x = b.initializer("x", .float32(dims: [2, 3], values: [1, 2, 3, 4, 5, 6]))
        let pieces = b.nodeOutputs("SplitToSequence", [x], ["axis": .int(1)], outputs: 1)[0]
        let length = b.nodeOutputs("SequenceLength", [pieces], [:], outputs: 1)[0]
        let back = b.nodeOutputs("ConcatFromSequence", [pieces], ["axis": .int(1)], outputs: 1)[0]
        b.output(length, type: .tensor(.undefined, nil))
        b.output(back, type: .tensor(.undefined, nil))
        let outputs = try Session(model: b.model()).run([:])
        #expect(try outputs[0].int64Values() == [3])
        #expect(outputs[1].shape == [2, 3])
        #expect(Array(outputs[1].floats) == [1, 2, 3, 4, 5, 6])
    }

    @Test func sequenceValuesAreRejectedWhereATensorIsExpected() throws {
        let b = GraphBuilder(opset: 18)
        let x = b.initializer("x", .float32(dims: [2], values: [1, 2]))
        let seq = b.nodeOutputs("SequenceConstruct", [x, x], [:], outputs: 1)[0]
        let y = b.nodeOutputs("Relu", [seq], [:], outputs: 1)[0]
        b.output(y, type: .tensor(.undefined, nil))
        #expect(throws: InterpreterError.self) { try Session(model: b.model()).run([:]) }
    }

    @Test func trainingDropoutIsSeededAndScalesKeptValues() throws {
        let x = Tensor.float32(dims: [64], values: [Float](repeating: 1, count: 64))
        func run(seed: Int64) throws -> [RuntimeTensor] {
            try SingleNode.run(
                "Dropout", opset: 13,
                inputs: [x, .float32(dims: [], values: [0.25]), TestTensor.bools([], [true])], attributes: ["seed": .int(seed)],
                outputs: 2)
        }
        let first = try run(seed: 7), again = try run(seed: 7)
        #expect(Array(first[0].floats) == Array(again[0].floats))
        let kept = first[1].elements(UInt8.self)
        for i in 0..<64 { #expect(first[0].floats[i] == (kept[i] != 0 ? Float(1 / 0.75) : 0)) }
        #expect(kept.contains(0) && kept.contains(1))
    }
}
