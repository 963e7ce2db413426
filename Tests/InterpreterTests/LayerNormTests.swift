import ONNXIR
import TestSupport
import Testing

@testable import Interpreter

/// LayerNormalization (vector rows, spread over threads) matches a float64 reference, with row
/// lengths that leave a partial vector, one-value and per-element scale and bias, and both
/// statistics outputs.
@Suite struct LayerNormTests {
    @Test(arguments: [(1, 768, false), (2, 37, true), (2, 5, false), (1, 16, true)])
    func matchesDoubleReference(threads: Int, size: Int, scalarParameters: Bool) throws {
        let rows = 9
        var g = SeededGenerator(seed: UInt64(size))
        let x = (0..<(rows * size)).map { _ in g.nextFloat(in: -3...5) }
        let count = scalarParameters ? 1 : size
        let scale = (0..<count).map { _ in g.nextFloat(in: 0.5...1.5) }, bias = (0..<count).map { _ in g.nextFloat(in: -1...1) }
        let graph = Graph(name: "ln")
        let xv = graph.addInput(named: "x", type: .tensor(.float, TensorShape([3, Int64(rows / 3), Int64(size)])))
        let sv = graph.addInitializer(.float32(dims: [Int64(count)], values: scale), named: "s")
        let bv = graph.addInitializer(.float32(dims: [Int64(count)], values: bias), named: "b")
        let node = graph.makeNode(
            opType: "LayerNormalization", name: "ln", attributes: [Attribute(name: "epsilon", value: .float(1e-3))],
            inputs: [xv, sv, bv], outputNames: ["y", "mean", "inv"])
        for output in node.outputs { graph.addOutput(output!) }
        let model = Model(graph: graph, irVersion: 8, opsetImports: [OperatorSetID(domain: "", version: 17)])
        let session = try Session(model: model, options: .init(threads: threads))
        let results = try session.run(["x": RuntimeTensor.float32([3, rows / 3, size], x)])
        let (y, mean, inv) = (try results[0].floatValues(), try results[1].floatValues(), try results[2].floatValues())
        #expect(results[1].shape == [3, rows / 3, 1])
        for r in 0..<rows {
            let row = x[(r * size)..<((r + 1) * size)].map(Double.init)
            let m = row.reduce(0, +) / Double(size)
            let variance = row.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(size)
            let invStd = 1 / (variance + 1e-3).squareRoot()
            #expect(abs(Double(mean[r]) - m) < 1e-5)
            #expect(abs(Double(inv[r]) - invStd) < 1e-5 * invStd)
            for i in 0..<size {
                let expected = (row[i] - m) * invStd * Double(scale[scalarParameters ? 0 : i]) + Double(bias[scalarParameters ? 0 : i])
                #expect(abs(Double(y[r * size + i]) - expected) < 2e-5, "row \(r) element \(i)")
            }
        }
    }
}
