import Interpreter
import ONNXIR
import TestSupport
import Testing

@testable import Optimizer

@Suite struct NeutralOperandTests {
    /// MatMul + zero bias, * ones, - zeros, / ones, zeros + x: every neutral node goes; only
    /// MatMul and Relu stay, and outputs are bit for bit the same.
    @Test func neutralOperandsAreRemoved() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 3, 4])
        var v = b.node("MatMul", [x, b.weight("W", [4, 5], in: -1...1)])
        v = b.node("Add", [b.floats("zero_bias", [5], [Float](repeating: 0, count: 5)), v])
        v = b.node("Mul", [v, b.floats("ones", [1, 1, 5], [Float](repeating: 1, count: 5))])
        v = b.node("Sub", [v, b.floats("zero", [], [0])])
        v = b.node("Div", [v, b.floats("one", [1], [1])])
        v = b.node("Add", [b.floats("neg_zero", [3, 1], [-0.0, -0.0, -0.0]), v])
        b.output(b.node("Relu", [v], name: "y"))
        let model = b.model()
        let report = try checkPipeline("noop-elimination", on: model, relative: 0, absolute: 0)[0]
        #expect(opTypes(model) == ["MatMul", "Relu"])
        #expect(report.changes.count == 5)
    }

    /// A constant that broadcasts x, a non-neutral value, a zero divisor side and 0 - x all change
    /// the result: nothing goes. A symbolic dim the constant would broadcast is reported.
    @Test func operandsThatChangeTheResultStay() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [3, 1])
        let n = b.input("n", .float, [.symbol("N")])
        let outputs: [Value] = [
            b.node("Add", [x, b.floats("wide_zeros", [1, 4], [0, 0, 0, 0])]),
            b.node("Mul", [x, b.floats("twos", [1], [2])]),
            b.node("Sub", [b.floats("zero_minus", [1], [0]), x]),
            b.node("Div", [b.floats("one_over", [1], [1]), x]),
            b.node("Add", [x, b.floats("higher_rank", [1, 1, 1], [0])]),
            b.node("Add", [n, b.floats("zeros3", [3], [0, 0, 0])]),
        ]
        for (i, v) in outputs.enumerated() { b.output(b.node("Identity", [v], name: "y\(i)")) }
        let model = b.model()
        let report = try runPass("noop-elimination", on: model)
        #expect(!report.modified)
        #expect(opTypes(model).filter { $0 != "Identity" } == ["Add", "Mul", "Sub", "Div", "Add", "Add"])
        #expect(report.skipText.contains("broadcasts 'x' to a larger shape"))
        #expect(report.skipText.contains("higher rank than 'x'"))
        #expect(report.skipText.contains("dim 0 of 'n' is not static"))
    }

    /// Add(x, 0) with x a graph input and the sum a graph output: the interface keeps its names.
    @Test func neutralNodeBetweenInterfaceValuesStays() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2])
        b.output(b.node("Add", [x, b.floats("z", [2], [0, 0])], name: "y"))
        let model = b.model()
        let report = try runPass("noop-elimination", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("graph output"))
    }

    /// Transpose(x: [5, 1, 4], perm [1, 0, 2]) after a Reshape becomes one Reshape; a symbolic
    /// batch that stays in place is copied with 0.
    @Test func transposeOfUnitDimsBecomesAMergedReshape() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [20])
        let r = b.node("Reshape", [x, b.ints("s", [5, 1, 4])])
        let t = b.node("Transpose", [r], ["perm": .ints([1, 0, 2])])
        b.output(b.node("Relu", [t], name: "y"))
        let n = b.input("n", .float, [.symbol("N"), .value(3), .value(1)])
        b.output(b.node("Relu", [b.node("Transpose", [n], ["perm": .ints([0, 2, 1])])], name: "z"))
        let model = b.model()
        let feeds: [String: RuntimeTensor] = [
            "x": .float32([20], seededValues(20, seed: 1)), "n": .float32([2, 3, 1], seededValues(6, seed: 2)),
        ]
        try checkPipeline("merge-reshapes", on: model, relative: 0, absolute: 0, feeds: feeds)
        #expect(opTypes(model) == ["Reshape", "Relu", "Reshape", "Relu"])
        let targets = model.graph.nodes.filter { $0.opType == "Reshape" }.compactMap { ConstantValues.ints($0.input(1)) }
        #expect(targets == [[1, 5, 4], [0, 1, 3]])
    }

    /// Transposes that move data (two dims larger than 1 swap), or feed another Transpose, stay
    /// Transposes.
    @Test func transposeMovingDataStays() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 1, 3])
        b.output(b.node("Relu", [b.node("Transpose", [x], ["perm": .ints([2, 1, 0])])], name: "y"))
        let n = b.input("n", .float, [.symbol("N"), .symbol("M"), .value(1)])
        b.output(b.node("Relu", [b.node("Transpose", [n], ["perm": .ints([2, 1, 0])])], name: "z"))
        let model = b.model()
        let report = try runPass("merge-reshapes", on: model)
        #expect(!report.modified)
        #expect(opTypes(model) == ["Transpose", "Relu", "Transpose", "Relu"])
    }
}

@Suite struct ChainAndRowReshapeTests {
    /// x + c1 + c2 (embedding sums) and x * a * b become one Add and one Mul.
    @Test func constantChainsMerge() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 3])
        var v = b.node("Add", [x, b.weight("c1", [1, 3], in: -1...1)])
        v = b.node("Add", [b.weight("c2", [2, 3], in: -1...1), v])
        v = b.node("Mul", [v, b.weight("s1", [3], in: 0.5...2)])
        v = b.node("Mul", [v, b.weight("s2", [], in: 0.5...2)])
        b.output(b.node("Relu", [v], name: "y"))
        let model = b.model()
        try checkPipeline("fuse-affine{reassociate=true}", on: model)
        #expect(opTypes(model) == ["Add", "Mul", "Relu"])
    }

    /// Constants whose combination would be larger than either ([3, 1] and [1, 4]) stay apart,
    /// and so do chains whose middle value is read twice.
    @Test func growingOrSharedChainsStay() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [3, 4])
        let a = b.node("Add", [b.node("Add", [x, b.weight("col", [3, 1], in: -1...1)]), b.weight("row", [1, 4], in: -1...1)])
        let mid = b.node("Mul", [x, b.weight("s", [4], in: -1...1)])
        let m = b.node("Mul", [mid, b.weight("t", [4], in: -1...1)])
        b.output(b.node("Identity", [a], name: "y"))
        b.output(b.node("Identity", [m], name: "z"))
        b.output(b.node("Identity", [mid], name: "w"))
        let model = b.model()
        let report = try runPass("fuse-affine{reassociate=true}", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("would make a larger tensor"))
        #expect(report.skipText.contains("also read by 1 other node"))
    }

    /// Reshape(MatMul(Reshape(x: [1, 6, 4] -> [6, 1, 4]), W), [6, 1, 2, 1]) drops the inner Reshape;
    /// without an outer Reshape, or when the inner one changes K, nothing changes.
    @Test func rowReshapeBeforeMatMulGoes() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [1, 6, 4])
        let inner = b.node("Reshape", [x, b.ints("rows", [6, 1, 4])])
        let mm = b.node("MatMul", [inner, b.weight("W", [4, 2], in: -1...1)])
        b.output(b.node("Reshape", [mm, b.ints("out", [6, 1, 2, 1])], name: "y"))
        let changesK = b.node("MatMul", [b.node("Reshape", [x, b.ints("k", [1, 3, 8])]), b.weight("W8", [8, 2], in: -1...1)])
        b.output(b.node("Reshape", [changesK, b.ints("out2", [6])], name: "z"))
        let noOuter = b.node("MatMul", [b.node("Reshape", [x, b.ints("rows2", [6, 1, 4])]), b.weight("W2", [4, 2], in: -1...1)])
        b.output(b.node("Relu", [noOuter], name: "w"))
        let model = b.model()
        try checkPipeline("merge-reshapes", on: model)
        #expect(opTypes(model) == ["MatMul", "Reshape", "Reshape", "MatMul", "Reshape", "Reshape", "MatMul", "Relu"])
    }
}

@Suite struct MatMulScaleFusionTests {
    /// Layer scale after a permute, GELU's 0.5 before a Linear, and a per-N scale right after a
    /// MatMul all fold into the weights: only MatMuls, the Transpose and Relu stay.
    @Test func scalesFoldIntoWeights() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [1, 2, 2, 3])
        var v = b.node("Mul", [x, b.floats("half", [], [0.5])])
        v = b.node("MatMul", [v, b.weight("W1", [3, 4], in: -1...1)])
        v = b.node("Mul", [v, b.weight("perN", [4], in: 0.5...2)])
        v = b.node("MatMul", [v, b.weight("W2", [4, 3], in: -1...1)])
        v = b.node("Transpose", [v], ["perm": .ints([0, 3, 1, 2])])
        v = b.node("Mul", [b.weight("gamma", [3, 1, 1], in: 0.5...2), v])
        b.output(b.node("Relu", [v], name: "y"))
        let model = b.model()
        try checkPipeline("fuse-affine", on: model)
        #expect(opTypes(model) == ["MatMul", "MatMul", "Transpose", "Relu"])
    }

    /// A shared weight is cloned, not edited in place: the other MatMul reading it keeps its values.
    /// A scale varying along rows (not N), or an input whose last dim may broadcast, stays.
    @Test func sharedWeightsAreClonedAndWrongAxesStay() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 3])
        let w = b.weight("W", [3, 3], in: -1...1)
        let scaled = b.node("Mul", [b.node("MatMul", [x, w]), b.weight("s", [3], in: 0.5...2)])
        b.output(b.node("Relu", [scaled], name: "y"))
        b.output(b.node("Relu", [b.node("MatMul", [x, w])], name: "z"))
        b.output(b.node("Relu", [b.node("Mul", [b.node("MatMul", [x, w]), b.weight("rows", [2, 1], in: 0.5...2)])], name: "r"))
        let narrow = b.input("n", .float, [2, 1])
        b.output(b.node("Relu", [b.node("MatMul", [b.node("Mul", [narrow, b.weight("k", [3], in: 0.5...2)]), w])], name: "q"))
        let model = b.model()
        let feeds: [String: RuntimeTensor] = [
            "x": .float32([2, 3], seededValues(6, seed: 3)), "n": .float32([2, 1], seededValues(2, seed: 4)),
        ]
        let report = try checkPipeline("fuse-affine", on: model, feeds: feeds)[0]
        #expect(opTypes(model).filter { $0 == "Mul" }.count == 2)
        #expect(report.skipText.contains("does not vary along N only"))
        #expect(report.skipText.contains("is not known to be K = 3"))
        #expect(model.graph.initializers.count >= 2)
    }
}

@Suite struct ScalarThroughAttentionTests {
    /// softmax(Q K^T * s) with Q = Transpose(Reshape(x Wq)): s moves into Wq; the Mul goes. The
    /// constant chain stays apart without reassociate.
    @Test func attentionScaleMovesIntoTheQueryWeight() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [1, 4, 6])
        let q = b.node(
            "Transpose",
            [b.node("Reshape", [b.node("MatMul", [x, b.weight("Wq", [6, 6], in: -1...1)]), b.ints("heads", [1, 4, 2, 3])])],
            ["perm": .ints([0, 2, 1, 3])])
        let k = b.node(
            "Transpose",
            [b.node("Reshape", [b.node("MatMul", [x, b.weight("Wk", [6, 6], in: -1...1)]), b.ints("heads_k", [1, 4, 2, 3])])],
            ["perm": .ints([0, 2, 3, 1])])
        let scores = b.node("Mul", [b.node("MatMul", [q, k]), b.floats("scale", [], [0.125])])
        let chained = b.node(
            "Add", [b.node("Add", [b.node("Softmax", [scores], ["axis": .int(-1)]), b.floats("a", [1], [1])]), b.floats("b", [1], [2])])
        b.output(b.node("Identity", [chained], name: "y"))
        let model = b.model()
        try checkPipeline("fuse-affine", on: model, relative: 0, absolute: 0)
        #expect(
            opTypes(model) == [
                "MatMul", "Reshape", "Transpose", "MatMul", "Reshape", "Transpose", "MatMul", "Softmax", "Add", "Add", "Identity",
            ])
    }

    /// A scale whose way up meets a nonlinear op (Softmax) or a value read twice stays.
    @Test func scaleBehindNonlinearOrSharedValuesStays() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 3])
        let h = b.node("MatMul", [x, b.weight("W", [3, 3], in: -1...1)])
        let s = b.node("Softmax", [h], ["axis": .int(-1)])
        b.output(b.node("Mul", [b.node("Reshape", [s, b.ints("flat", [6])]), b.floats("c", [], [3])], name: "y"))
        let t = b.node("Transpose", [b.node("MatMul", [x, b.weight("W2", [3, 3], in: -1...1)])], ["perm": .ints([1, 0])])
        b.output(b.node("Mul", [b.node("Reshape", [t, b.ints("flat2", [9])]), b.floats("c2", [], [3])], name: "z"))
        b.output(b.node("Identity", [t], name: "w"))
        let model = b.model()
        let report = try runPass("fuse-affine", on: model)
        #expect(!report.modified)
    }
}
