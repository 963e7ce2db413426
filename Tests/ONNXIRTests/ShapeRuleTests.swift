import ONNXIR
import Testing

/// Shape inference on single ops and on the Shape -> Gather -> Concat -> Reshape chains exports
/// produce; unknown ops and malformed attributes leave outputs unknown.
@Suite struct ShapeRuleTests {
    /// One node on inputs of the given shapes (symbol names allowed), constants as initializers.
    static func infer(
        _ op: String, inputs: [[Dimension]?], constants: [Int: Tensor] = [:], attributes: [Attribute] = [], outputs: Int = 1,
        opset: Int64 = 17
    ) -> [String] {
        let g = Graph(name: "t")
        var values: [Value?] = []
        for (i, dims) in inputs.enumerated() {
            if let t = constants[i] {
                values.append(g.addInitializer(t, named: "c\(i)"))
            } else if let dims {
                values.append(g.addInput(named: "x\(i)", type: .tensor(.float, TensorShape(dims))))
            } else {
                values.append(nil)
            }
        }
        let node = g.makeNode(opType: op, name: "n", attributes: attributes, inputs: values, outputNames: (0..<outputs).map { "y\($0)" })
        for o in node.outputs { g.addOutput(o!) }
        let model = Model(graph: g, opsetImports: [OperatorSetID(domain: "", version: opset)])
        ShapeInference().run(on: model)
        return node.outputs.map { $0?.inferredType?.description ?? "unknown" }
    }

    static let n = Dimension.symbol("N")

    @Test func convWithPadsStridesAndGroups() {
        let w = Tensor.float32(dims: [16, 1, 3, 3], values: [Float](repeating: 0, count: 144))
        let out = Self.infer(
            "Conv", inputs: [[Self.n, .value(16), .value(32), .value(32)], nil], constants: [1: w],
            attributes: [
                Attribute(name: "strides", value: .ints([2, 2])), Attribute(name: "pads", value: .ints([1, 1, 1, 1])),
                Attribute(name: "group", value: .int(16)),
            ])
        #expect(out == ["float32[N,16,16,16]"])
    }

    @Test(arguments: [("SAME_UPPER", "float32[1,8,5,5]"), ("VALID", "float32[1,8,4,4]")])
    func poolingAutoPad(mode: String, expected: String) {
        let out = Self.infer(
            "MaxPool", inputs: [[.value(1), .value(8), .value(9), .value(9)]],
            attributes: [
                Attribute(name: "kernel_shape", value: .ints([3, 3])), Attribute(name: "strides", value: .ints([2, 2])),
                Attribute(name: "auto_pad", value: .string(Array(mode.utf8))),
            ], outputs: 1)
        #expect(out == [expected])
    }

    @Test func matmulBroadcastsBatchAndPromotesVectors() {
        #expect(
            Self.infer("MatMul", inputs: [[Self.n, .value(1), .value(4), .value(8)], [.value(3), .value(8), .value(5)]]) == [
                "float32[N,3,4,5]"
            ])
        #expect(Self.infer("MatMul", inputs: [[.value(8)], [.value(8), .value(5)]]) == ["float32[5]"])
    }

    @Test func gemmHonoursTranspose() {
        #expect(
            Self.infer(
                "Gemm", inputs: [[.value(4), .value(8)], [.value(10), .value(8)]], attributes: [Attribute(name: "transB", value: .int(1))])
                == ["float32[4,10]"])
    }

    @Test func broadcastingWithSymbols() {
        #expect(Self.infer("Add", inputs: [[Self.n, .value(1), .value(4)], [.value(3), .value(1)]]) == ["float32[N,3,4]"])
        #expect(Self.infer("Less", inputs: [[.value(2)], [.value(2)]]) == ["bool[2]"])
    }

    @Test func reshapeWithZeroAndMinusOne() {
        let target = Tensor.int64(dims: [3], values: [0, -1, 64])
        #expect(Self.infer("Reshape", inputs: [[Self.n, .value(4), .value(128)], nil], constants: [1: target]) == ["float32[N,8,64]"])
    }

    @Test(arguments: [(Int64(11), true), (Int64(13), false)])
    func unsqueezeAxesFromAttributeOrInput(opset: Int64, attribute: Bool) {
        let axes = Tensor.int64(dims: [1], values: [1])
        let out =
            attribute
            ? Self.infer(
                "Unsqueeze", inputs: [[Self.n, .value(4)]], attributes: [Attribute(name: "axes", value: .ints([1]))], opset: opset)
            : Self.infer("Unsqueeze", inputs: [[Self.n, .value(4)], nil], constants: [1: axes], opset: opset)
        #expect(out == ["float32[N,1,4]"])
    }

    @Test func sliceClampsAndSteps() {
        let starts = Tensor.int64(dims: [1], values: [1]), ends = Tensor.int64(dims: [1], values: [Int64.max]),
            axes = Tensor.int64(dims: [1], values: [1]), steps = Tensor.int64(dims: [1], values: [2])
        #expect(
            Self.infer(
                "Slice", inputs: [[.value(2), .value(10)], nil, nil, nil, nil], constants: [1: starts, 2: ends, 3: axes, 4: steps]) == [
                    "float32[2,5]"
                ])
    }

    @Test func exportedReshapeChainResolvesSymbolically() {
        // y = Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])) as PyTorch's flatten exports.
        let g = Graph(name: "chain")
        let x = g.addInput(named: "x", type: .tensor(.float, TensorShape([Self.n, .value(4), .value(8)])))
        let shape = g.makeNode(opType: "Shape", name: "shape", inputs: [x], outputNames: ["s"]).outputs[0]!
        let zero = g.addInitializer(.int64(dims: [], values: [0]), named: "zero")
        let batch = g.makeNode(opType: "Gather", name: "gather", inputs: [shape, zero], outputNames: ["b"]).outputs[0]!
        let axes = g.addInitializer(.int64(dims: [1], values: [0]), named: "axes")
        let b1 = g.makeNode(opType: "Unsqueeze", name: "unsq", inputs: [batch, axes], outputNames: ["b1"]).outputs[0]!
        let minus = g.addInitializer(.int64(dims: [1], values: [-1]), named: "minus")
        let target = g.makeNode(
            opType: "Concat", name: "cat", attributes: [Attribute(name: "axis", value: .int(0))], inputs: [b1, minus], outputNames: ["t"]
        ).outputs[0]!
        let y = g.makeNode(opType: "Reshape", name: "reshape", inputs: [x, target], outputNames: ["y"]).outputs[0]!
        g.addOutput(y)
        ShapeInference().run(on: Model(graph: g, opsetImports: [OperatorSetID(domain: "", version: 13)]))
        #expect(y.inferredType?.description == "float32[N,32]")
    }

    @Test func unknownOpsAndBadAttributesStayUnknown() {
        #expect(Self.infer("Frobnicate", inputs: [[.value(2)]]) == ["unknown"])
        // A known element type with an unknown shape: the garbage attribute is not trusted.
        #expect(
            Self.infer("Transpose", inputs: [[.value(2), .value(3)]], attributes: [Attribute(name: "perm", value: .ints([5, 9]))]) == [
                "float32[?]"
            ])
        #expect(
            Self.infer(
                "Concat", inputs: [[.value(2)], [.value(3)]], attributes: [Attribute(name: "axis", value: .string(Array("x".utf8)))]) == [
                    "float32[?]"
                ])
    }

    @Test func statisticsCountSharedWeightsOnceAndMACsExactly() {
        let g = Graph(name: "s")
        let x = g.addInput(named: "x", type: .tensor(.float, TensorShape([1, 8] as [Int64])))
        let w = g.addInitializer(.float32(dims: [8, 8], values: [Float](repeating: 0, count: 64)), named: "w")
        let a = g.makeNode(opType: "MatMul", name: "a", inputs: [x, w], outputNames: ["a"]).outputs[0]!
        let b = g.makeNode(opType: "MatMul", name: "b", inputs: [a, w], outputNames: ["b"]).outputs[0]!
        g.addOutput(b)
        let stats = ModelStatistics(model: Model(graph: g))
        #expect(stats.parameterCount == 64)
        #expect(stats.totalMACs == 128)
        #expect(stats.layers.map(\.parameters) == [64, 64])
    }
}
