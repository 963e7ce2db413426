import Foundation
import ONNXIR
import Testing
import TestSupport

@testable import Interpreter

/// The plan/executor core: binding inputs, freeing values, errors before anything runs.
@Suite struct SessionTests {
    static func addModel(opType: String = "Add", domain: String = "") -> Model {
        let graph = Graph(name: "add")
        let a = graph.addInput(named: "a", type: .tensor(.float, TensorShape([.symbol("n"), .value(3)])))
        let b = graph.addInitializer(.float32(dims: [3], values: [1, 2, 3]), named: "b")
        let node = graph.makeNode(opType: opType, domain: domain, name: "add", inputs: [a, b], outputNames: ["y"])
        graph.addOutput(node.outputs[0]!)
        return Model(graph: graph, irVersion: 8, opsetImports: [OperatorSetID(domain: "", version: 17)])
    }

    @Test func broadcastingAddRuns() throws {
        let session = try Session(model: Self.addModel())
        let out = try session.run(["a": .float32([2, 3], [0, 0, 0, 10, 10, 10])])
        #expect(out[0].shape == [2, 3])
        #expect(Array(out[0].floats) == [1, 2, 3, 11, 12, 13])
    }

    @Test func unsupportedOpFailsBeforeRunning() throws {
        #expect {
            _ = try Session(model: Self.addModel(opType: "Frobnicate", domain: "com.example"))
        } throws: { error in
            let text = "\(error)"
            return text.contains("Frobnicate") && text.contains("com.example") && text.contains("'add'")
        }
    }

    @Test func inputsAreCheckedBeforeRunning() throws {
        let session = try Session(model: Self.addModel())
        #expect(throws: InterpreterError.self) { _ = try session.run([:]) }
        #expect(throws: InterpreterError.self) { _ = try session.run(["x": .float32([1, 3], [0, 0, 0])]) }
        #expect(throws: InterpreterError.self) { _ = try session.run(["a": .float32([1, 4], [0, 0, 0, 0])]) }
        #expect(throws: InterpreterError.self) { _ = try session.run(["a": .float32([3], [0, 0, 0])]) }
        #expect(throws: InterpreterError.self) { _ = try session.run(["a": .int64([1, 3], [0, 0, 0])]) }
    }

    @Test func memoryCapStopsHugeAllocations() throws {
        let session = try Session(model: Self.addModel(), options: .init(memoryCapBytes: 64))
        #expect(throws: InterpreterError.self) { _ = try session.run(["a": .float32([100, 3], [Float](repeating: 0, count: 300))]) }
    }

    @Test func everyFamilyIsRegistered() {
        #expect(KernelRegistry.standard.lookup(domain: "", op: "Add", opset: 17) != nil)
        #expect(KernelRegistry.standard.lookup(domain: "", op: "Mod", opset: 9) == nil)
    }
}
