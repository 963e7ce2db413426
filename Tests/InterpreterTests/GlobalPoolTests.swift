import ONNXIR
import TestSupport
import Testing

@testable import Interpreter

/// GlobalAveragePool's vector sum and its planes spread over threads match a float64 mean.
@Suite struct GlobalPoolTests {
    @Test(arguments: [1, 2])
    func averageMatchesFloat64Mean(threads: Int) throws {
        let (n, c, h, w) = (2, 37, 13, 11)
        var g = SeededGenerator(seed: 7)
        let x = (0..<(n * c * h * w)).map { _ in g.nextFloat(in: -2...3) }
        let graph = Graph(name: "gap")
        let xv = graph.addInput(named: "x", type: .tensor(.float, TensorShape([Int64(n), Int64(c), Int64(h), Int64(w)])))
        graph.addOutput(graph.makeNode(opType: "GlobalAveragePool", name: "gap", inputs: [xv], outputNames: ["y"]).outputs[0]!)
        let session = try Session(model: Model(graph: graph), options: .init(threads: threads))
        let out = try session.run(["x": .float32([n, c, h, w], x)])[0]
        #expect(out.shape == [n, c, 1, 1])
        let got = try out.floatValues()
        for plane in 0..<(n * c) {
            let mean = x[(plane * h * w)..<((plane + 1) * h * w)].reduce(0.0) { $0 + Double($1) } / Double(h * w)
            #expect(abs(Double(got[plane]) - mean) < 1e-5, "plane \(plane)")
        }
    }
}
