import ONNXIR
import TestSupport
import Testing

@testable import Interpreter

/// A bias Add followed by the GELU chain as TorchScript ((x * (erf(x / c) + 1)) * 0.5) and
/// dynamo (x * (0.5 * (erf(x / c) + 1))) export it, or with Mul by 1/sqrt(2), runs as one step
/// with the unfused nodes' bits; a chain whose intermediate is read elsewhere stays unfused.
@Suite struct GeluFusionTests {
    enum Spelling: CaseIterable { case torchScript, dynamo, multiplied }

    /// x [rows, 300] + bias [300] -> GELU -> y (rows of 300 cross the chain's 256-element chunks).
    static func model(_ spelling: Spelling, extraReader: Bool = false) -> Model {
        let graph = Graph(name: "gelu")
        let x = graph.addInput(named: "x", type: .tensor(.float, TensorShape([3, 300])))
        var g = SeededGenerator(seed: 2)
        let bias = graph.addInitializer(.float32(dims: [300], values: (0..<300).map { _ in g.nextFloat(in: -1...1) }), named: "bias")
        func constant(_ name: String, _ v: Float) -> Value { graph.addInitializer(.float32(dims: [], values: [v]), named: name) }
        let h = graph.makeNode(opType: "Add", name: "add_bias", inputs: [x, bias], outputNames: ["h"]).outputs[0]!
        let scaled =
            spelling == .multiplied
            ? graph.makeNode(opType: "Mul", name: "scale", inputs: [constant("c", 0.707_106_78), h], outputNames: ["t"]).outputs[0]!
            : graph.makeNode(opType: "Div", name: "scale", inputs: [h, constant("c", 1.414_213_5)], outputNames: ["t"]).outputs[0]!
        let e = graph.makeNode(opType: "Erf", name: "erf", inputs: [scaled], outputNames: ["e"]).outputs[0]!
        let a = graph.makeNode(opType: "Add", name: "plus_one", inputs: [e, constant("one", 1)], outputNames: ["a"]).outputs[0]!
        let y: Value
        if spelling == .dynamo {
            let k = graph.makeNode(opType: "Mul", name: "half", inputs: [constant("k", 0.5), a], outputNames: ["ka"]).outputs[0]!
            y = graph.makeNode(opType: "Mul", name: "gate", inputs: [h, k], outputNames: ["y"]).outputs[0]!
        } else {
            let m = graph.makeNode(opType: "Mul", name: "gate", inputs: [h, a], outputNames: ["m"]).outputs[0]!
            y = graph.makeNode(opType: "Mul", name: "half", inputs: [m, constant("k", 0.5)], outputNames: ["y"]).outputs[0]!
        }
        graph.addOutput(y)
        if extraReader { graph.addOutput(graph.makeNode(opType: "Neg", name: "neg", inputs: [e], outputNames: ["z"]).outputs[0]!) }
        return Model(graph: graph, irVersion: 8, opsetImports: [OperatorSetID(domain: "", version: 17)])
    }

    @Test(arguments: Spelling.allCases, [1, 2])
    func fusedChainMatchesTheNodesBitForBit(spelling: Spelling, threads: Int) throws {
        let session = try Session(model: Self.model(spelling), options: .init(threads: threads))
        #expect(session.plan.nodeCount == 1)
        var g = SeededGenerator(seed: 3)
        let feeds = ["x": RuntimeTensor.float32([3, 300], (0..<900).map { _ in g.nextFloat(in: -4...4) })]
        let fused = try session.run(feeds)[0].floatValues()
        let unfused = try session.run(feeds, observe: { _, _ in })[0].floatValues()
        #expect(fused.map(\.bitPattern) == unfused.map(\.bitPattern))
        // GELU of a spread of inputs: negative ones near zero, positive ones near themselves.
        #expect(fused.contains { $0 < 0 && $0 > -0.2 } && fused.contains { $0 > 3 })
    }

    @Test func chainWithAnotherReaderStaysUnfused() throws {
        let model = Self.model(.torchScript, extraReader: true)
        let session = try Session(model: model)
        #expect(session.plan.nodeCount == model.graph.nodes.count)
    }
}
