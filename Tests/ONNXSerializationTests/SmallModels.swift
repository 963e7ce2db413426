import ONNXIR

/// Tiny models built through the IR API for serialization tests.
enum SmallModels {
    /// x[1,2,4,4] -> Conv(W[2,2,1,1], B[2]) -> Relu -> y
    static func convRelu() -> Model {
        let graph = Graph(name: "conv_relu")
        let x = graph.addInput(named: "x", type: .tensor(.float, TensorShape([.symbol("batch"), .value(2), .value(4), .value(4)])))
        let w = graph.addInitializer(.float32(dims: [2, 2, 1, 1], values: [1, 0, 0, 1]), named: "W")
        let b = graph.addInitializer(.float32(dims: [2], values: [0.5, -0.5]), named: "B")
        let conv = graph.makeNode(
            opType: "Conv", name: "conv", attributes: [Attribute(name: "kernel_shape", value: .ints([1, 1]))], inputs: [x, w, b],
            outputNames: ["c"])
        let relu = graph.makeNode(opType: "Relu", name: "relu", inputs: [conv.outputs[0]], outputNames: ["y"])
        let y = relu.outputs[0]!
        y.type = .tensor(.float, nil)
        graph.addOutput(y)
        return Model(graph: graph, irVersion: 8, opsetImports: [OperatorSetID(domain: "", version: 13)], producerName: "whittle-tests")
    }

    /// An If whose then-branch reads a value of the enclosing graph.
    static func ifWithOuterReference() -> Model {
        let graph = Graph(name: "main")
        let x = graph.addInput(named: "x", type: .tensor(.float, TensorShape([.value(3)])))
        let cond = graph.addInput(named: "cond", type: .tensor(.bool, TensorShape.scalar))
        let relu = graph.makeNode(opType: "Relu", name: "relu", inputs: [x], outputNames: ["r"])
        let r = relu.outputs[0]!
        let thenBranch = Graph(name: "then", enclosedBy: graph)
        let id = thenBranch.makeNode(opType: "Identity", name: "then_id", inputs: [r], outputNames: ["t"])
        id.outputs[0]!.type = .tensor(.float, TensorShape([.value(3)]))
        thenBranch.addOutput(id.outputs[0]!)
        let elseBranch = Graph(name: "else", enclosedBy: graph)
        let neg = elseBranch.makeNode(opType: "Neg", name: "else_neg", inputs: [x], outputNames: ["e"])
        neg.outputs[0]!.type = .tensor(.float, TensorShape([.value(3)]))
        elseBranch.addOutput(neg.outputs[0]!)
        let ifNode = graph.makeNode(
            opType: "If", name: "if",
            attributes: [
                Attribute(name: "then_branch", value: .graph(thenBranch)), Attribute(name: "else_branch", value: .graph(elseBranch)),
            ],
            inputs: [cond], outputNames: ["y"])
        ifNode.outputs[0]!.type = .tensor(.float, TensorShape([.value(3)]))
        graph.addOutput(ifNode.outputs[0]!)
        return Model(graph: graph, irVersion: 8, opsetImports: [OperatorSetID(domain: "", version: 13)])
    }
}
