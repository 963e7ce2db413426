import Foundation
import ONNXIR
import TestSupport
import Testing

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
        #expect(try out[0].floatValues() == [1, 2, 3, 11, 12, 13])
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

/// If/Loop/Scan with subgraphs reading outer-scope values.
@Suite struct ControlFlowTests {
    @Test(arguments: [true, false])
    func ifRunsTheChosenBranchWithOuterValues(condition: Bool) throws {
        let graph = Graph(name: "main")
        let x = graph.addInput(named: "x", type: .tensor(.float, TensorShape([.value(2)])))
        let c = graph.addInput(named: "c", type: .tensor(.bool, TensorShape.scalar))
        let doubled = graph.makeNode(opType: "Add", name: "double", inputs: [x, x], outputNames: ["d"]).outputs[0]!
        let thenBranch = Graph(name: "then", enclosedBy: graph)
        let t = thenBranch.makeNode(opType: "Add", name: "t", inputs: [doubled, x], outputNames: ["t_out"]).outputs[0]!
        thenBranch.addOutput(t)
        let elseBranch = Graph(name: "else", enclosedBy: graph)
        let e = elseBranch.makeNode(opType: "Sub", name: "e", inputs: [doubled, x], outputNames: ["e_out"]).outputs[0]!
        elseBranch.addOutput(e)
        let node = graph.makeNode(
            opType: "If", name: "if",
            attributes: [
                Attribute(name: "then_branch", value: .graph(thenBranch)), Attribute(name: "else_branch", value: .graph(elseBranch)),
            ],
            inputs: [c], outputNames: ["y"])
        graph.addOutput(node.outputs[0]!)
        let model = Model(graph: graph, irVersion: 8, opsetImports: [OperatorSetID(domain: "", version: 13)])
        let out = try Session(model: model).run(["x": .float32([2], [1, 2]), "c": .bool(condition)])
        #expect(try out[0].floatValues() == (condition ? [3, 6] : [1, 2]))
    }

    @Test func loopCarriesStateAndStacksScanOutputs() throws {
        let graph = Graph(name: "main")
        let x = graph.addInput(named: "x", type: .tensor(.float, TensorShape([.value(2)])))
        let trips = graph.addInitializer(.int64(dims: [], values: [3]), named: "trips")
        let body = Graph(name: "body", enclosedBy: graph)
        _ = body.addInput(named: "i", type: .tensor(.int64, TensorShape.scalar))
        let condIn = body.addInput(named: "cond_in", type: .tensor(.bool, TensorShape.scalar))
        let acc = body.addInput(named: "acc", type: .tensor(.float, TensorShape([.value(2)])))
        let condOut = body.makeNode(opType: "Identity", name: "keep", inputs: [condIn], outputNames: ["cond_out"]).outputs[0]!
        let next = body.makeNode(opType: "Add", name: "accumulate", inputs: [acc, x], outputNames: ["acc_out"]).outputs[0]!
        let scan = body.makeNode(opType: "Mul", name: "scan", inputs: [next, x], outputNames: ["scan_out"]).outputs[0]!
        body.addOutput(condOut)
        body.addOutput(next)
        body.addOutput(scan)
        let loop = graph.makeNode(
            opType: "Loop", name: "loop", attributes: [Attribute(name: "body", value: .graph(body))],
            inputs: [trips, nil, x], outputNames: ["final", "stacked"])
        graph.addOutput(loop.outputs[0]!)
        graph.addOutput(loop.outputs[1]!)
        let model = Model(graph: graph, irVersion: 8, opsetImports: [OperatorSetID(domain: "", version: 13)])
        let identity = KernelDescriptor("Identity") { _ in PassThrough() }
        let session = try Session(model: model, registry: KernelRegistry(allFamilies.flatMap { $0 } + [identity]))
        let out = try session.run(["x": .float32([2], [1, 2])])
        #expect(try out[0].floatValues() == [4, 8])
        #expect(out[1].shape == [3, 2])
        #expect(try out[1].floatValues() == [2, 8, 3, 12, 4, 16])
    }
}

/// Identity stand-in so this test does not depend on the shape-ops family.
final class PassThrough: Kernel {
    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] { [inputs[0]] }
}
