import ONNXIR
import TestSupport
import Testing

/// Parameters, weight bytes, MACs and the op histogram, checked against hand-computed numbers.
@Suite struct ModelStatisticsTests {
    /// conv1 3->16 3x3 pad 1, Relu, MaxPool 2, conv2 16->32 3x3 stride 2 pad 1 (no bias),
    /// GlobalAveragePool, Flatten, Gemm 32->10, on a [batch, 3, 32, 32] input.
    static func smallConvNet() -> Model {
        let b = GraphBuilder()
        let x = b.input("x", .float, ["batch", 3, 32, 32])
        let c1 = b.node("Conv", [x, b.weight("w1", [16, 3, 3, 3]), b.weight("b1", [16])], ["pads": .ints([1, 1, 1, 1])], name: "conv1")
        let p1 = b.node("MaxPool", [b.node("Relu", [c1])], ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])])
        let c2 = b.node(
            "Conv", [p1, b.weight("w2", [32, 16, 3, 3])], ["pads": .ints([1, 1, 1, 1]), "strides": .ints([2, 2])], name: "conv2")
        let flat = b.node("Flatten", [b.node("GlobalAveragePool", [c2])])
        let y = b.node("Gemm", [flat, b.weight("w3", [10, 32]), b.weight("b3", [10])], ["transB": .int(1)], name: "fc")
        b.output(y)
        return b.model()
    }

    @Test func smallConvNetByHand() {
        let stats = ModelStatistics(model: Self.smallConvNet())
        // conv1: 16*32*32 outputs x 3*3*3 taps; conv2: 32*8*8 x 16*3*3; fc: 10 x 32.
        let conv1 = Int64(16 * 32 * 32 * 27), conv2 = Int64(32 * 8 * 8 * 144), fc = Int64(320)
        #expect(stats.totalMACs == conv1 + conv2 + fc)
        #expect(stats.parameterCount == 432 + 16 + 4608 + 320 + 10)
        #expect(stats.weightBytes == 4 * (432 + 16 + 4608 + 320 + 10))
        let byName = Dictionary(uniqueKeysWithValues: stats.layers.map { ($0.name, $0) })
        #expect(byName["conv1"]?.macs == conv1)
        #expect(byName["conv1"]?.parameters == 448)
        #expect(byName["conv2"]?.outputShape == TensorShape([.symbol("batch"), .value(32), .value(8), .value(8)]))
        #expect(byName["fc"]?.parameters == 330)
        #expect(stats.layers.filter { $0.op == "Relu" }.map(\.macs) == [0])
        #expect(stats.nodeCount == 7)
        #expect(stats.opHistogram.map(\.op) == ["Conv", "Flatten", "Gemm", "GlobalAveragePool", "MaxPool", "Relu"])
        #expect(stats.opCounts["Conv"] == 2)
    }

    @Test func sharedInitializerCountsOnce() {
        let b = GraphBuilder()
        let x = b.input("x", .float, [1, 8])
        let w = b.weight("w", [8, 8])
        let y = b.node("MatMul", [b.node("MatMul", [x, w]), w])
        let z = b.node("Mul", [y, y])
        b.output(z)
        let stats = ModelStatistics(model: b.model())
        #expect(stats.parameterCount == 64)
        #expect(stats.totalMACs == 128)
        #expect(stats.layers.map(\.parameters) == [64, 64, 0])
    }

    /// One compute node's MACs from its shapes.
    static let perOp: [(OpShapeCase, Int64?)] = [
        (
            OpShapeCase(
                "Conv", [.tensor(.float, [1, 8, 10, 10]), .weight([8, 1, 3, 3])], [("group", .int(8)), ("pads", .ints([1, 1, 1, 1]))]),
            8 * 100 * 9
        ),
        (OpShapeCase("ConvTranspose", [.tensor(.float, [1, 4, 5, 5]), .weight([4, 2, 3, 3])]), 100 * 18),
        (OpShapeCase("MatMul", [.tensor(.float, [2, 3, 4, 5]), .weight([5, 6])]), 2 * 3 * 4 * 6 * 5),
        (OpShapeCase("MatMul", [.tensor(.float, ["B", "S", 64]), .tensor(.float, ["B", 64, "S"])]), 64),
        (OpShapeCase("Gemm", [.tensor(.float, [8, 4]), .weight([8, 10])], [("transA", .int(1))]), 4 * 10 * 8),
        (
            OpShapeCase(
                "LSTM", [.tensor(.float, [5, 2, 10]), .weight([1, 40, 10]), .weight([1, 40, 10])], [("hidden_size", .int(10))], outputs: 3),
            5 * 2 * 800
        ),
        (OpShapeCase("MatMul", [.tensor(.float, nil), .weight([5, 6])]), nil),
        (OpShapeCase("Relu", [.tensor(.float, nil)]), 0),
    ]

    @Test(arguments: perOp) func macsOfOneNode(_ c: OpShapeCase, _ expected: Int64?) {
        let (model, node) = c.build()
        let stats = ModelStatistics(model: model)
        #expect(stats.layers.first?.name == node.name)
        #expect(stats.layers.first?.macs == expected)
        #expect(stats.totalMACs == expected)
    }

    @Test func subgraphNodesAreCountedApart() {
        let b = GraphBuilder()
        let x = b.input("x", .float, [4])
        let cond = b.input("c", .bool, [])
        let thenBranch = b.subgraph("then") { s in s.graph.addOutput(s.node("Relu", [x])) }
        let elseBranch = b.subgraph("else") { s in s.graph.addOutput(s.node("Neg", [s.node("Relu", [x])])) }
        b.output(b.node("Relu", [b.node("If", [cond], ["then_branch": .graph(thenBranch), "else_branch": .graph(elseBranch)])]))
        let stats = ModelStatistics(model: b.model())
        #expect(stats.nodeCount == 5)
        #expect(stats.subgraphNodeCount == 3)
        #expect(
            stats.opHistogram == [
                .init(op: "If", count: 1, subgraphCount: 0), .init(op: "Neg", count: 0, subgraphCount: 1),
                .init(op: "Relu", count: 1, subgraphCount: 2),
            ])
        #expect(stats.layers.count == 2)
        #expect(stats.totalMACs == 0)
    }
}
