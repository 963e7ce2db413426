import ONNXIR
import TestSupport
import Testing

/// Inference inside and through subgraphs (If branches, Loop and Scan bodies), model-local
/// functions, and what a rerun does after the graph changed.
@Suite struct SubgraphInferenceTests {
    static func inferred(_ v: Value?) -> String { OpShapeCase.render(v?.inferredType) }

    /// If whose branches return Relu(x) reshaped to `thenTarget` and `elseTarget`.
    static func ifModel(then thenTarget: [Int64], else elseTarget: [Int64]?) -> (Model, Value, Value) {
        let b = GraphBuilder()
        let x = b.input("x", .float, ["N", 4])
        let cond = b.input("cond", .bool, [])
        func branch(_ name: String, _ target: [Int64]?) -> (Graph, Value) {
            var inner: Value!
            let g = b.subgraph(name) { s in
                let relu = s.node("Relu", [x])
                inner = target.map { s.node("Reshape", [relu, s.ints("\(name)_shape", $0)]) } ?? s.node("Frobnicate", [relu], domain: "x")
                s.graph.addOutput(inner)
            }
            return (g, inner)
        }
        let (thenGraph, thenOut) = branch("then", thenTarget)
        let (elseGraph, _) = branch("else", elseTarget)
        let y = b.node("If", [cond], ["then_branch": .graph(thenGraph), "else_branch": .graph(elseGraph)])
        return (b.model(), y, thenOut)
    }

    @Test func ifOutputWhenBranchesAgree() {
        let (model, y, inner) = Self.ifModel(then: [0, 2, 2], else: [0, 2, 2])
        ShapeInference().run(on: model)
        #expect(Self.inferred(inner) == "float32[N,2,2]")
        #expect(Self.inferred(y) == "float32[N,2,2]")
    }

    @Test(arguments: [([Int64(0), 2, 1], "float32[N,2,?]"), ([0, 4, 1], "float32[N,?,?]"), ([0, 4], "float32[...]")])
    func ifOutputKeepsOnlyWhatBranchesShare(elseTarget: [Int64], expected: String) {
        let (model, y, _) = Self.ifModel(then: [0, 2, 2], else: elseTarget)
        ShapeInference().run(on: model)
        #expect(Self.inferred(y) == expected)
    }

    @Test func ifWithAnUnknownBranchKnowsOnlyTheElementType() {
        let (model, y, _) = Self.ifModel(then: [0, 2, 2], else: nil)
        ShapeInference().run(on: model)
        #expect(Self.inferred(y) == "float32[...]")
    }

    @Test func loopCarriedValuesAndScanOutputs() {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 3])
        let body = b.subgraph("body") { s in
            s.input("i", type: nil)
            let cond = s.input("cond_in", type: nil)
            let carried = s.input("acc", type: nil)
            let next = s.node("Add", [carried, carried])
            s.graph.addOutput(s.node("Identity", [cond]))
            s.graph.addOutput(next)
            s.graph.addOutput(s.node("Relu", [carried]))
        }
        let outs = b.nodeOutputs("Loop", [b.scalar("trips", 5), nil, x], ["body": .graph(body)], outputs: 2)
        ShapeInference().run(on: b.model())
        #expect(Self.inferred(outs[0]) == "float32[2,3]")
        #expect(Self.inferred(outs[1]) == "float32[5,2,3]")
    }

    @Test func loopCarriedValueThatGrowsIsWidened() {
        let b = GraphBuilder()
        let x = b.input("x", .float, [1, 3])
        let cond = b.input("go", .bool, [])
        var grown: Value!
        let body = b.subgraph("body") { s in
            s.input("i", type: nil)
            let c = s.input("c", type: nil)
            let acc = s.input("acc", type: nil)
            grown = s.node("Concat", [acc, acc], ["axis": .int(0)])
            s.graph.addOutput(s.node("Identity", [c]))
            s.graph.addOutput(grown)
        }
        let out = b.node("Loop", [nil, cond, x], ["body": .graph(body)])
        ShapeInference().run(on: b.model())
        #expect(Self.inferred(grown) == "float32[?,3]")
        #expect(Self.inferred(out) == "float32[?,3]")
    }

    @Test func scanStatesAndStackedOutputs() {
        let b = GraphBuilder()
        let state = b.input("s", .float, [4])
        let sequence = b.input("xs", .float, ["T", 4])
        let body = b.subgraph("body") { g in
            let s = g.input("s_in", type: nil)
            let xt = g.input("x_t", type: nil)
            let sum = g.node("Add", [s, xt])
            g.graph.addOutput(sum)
            g.graph.addOutput(g.node("Neg", [xt]))
        }
        let outs = b.nodeOutputs("Scan", [state, sequence], ["body": .graph(body), "num_scan_inputs": .int(1)], outputs: 2)
        ShapeInference().run(on: b.model())
        #expect(Self.inferred(outs[0]) == "float32[4]")
        #expect(Self.inferred(outs[1]) == "float32[T,4]")
    }

    @Test(arguments: [Int64.min, -1, 0, 3, .max]) func scanWithAbsurdScanInputCount(_ count: Int64) {
        let b = GraphBuilder()
        let sequence = b.input("xs", .float, ["T", 4])
        let body = b.subgraph("body") { g in g.graph.addOutput(g.node("Neg", [g.input("x_t", type: nil)])) }
        let out = b.node("Scan", [sequence], ["body": .graph(body), "num_scan_inputs": .int(count)])
        ShapeInference().run(on: b.model())
        #expect(out.inferredType == nil)
    }

    @Test func functionCallsInferTheirBodies() {
        let b = GraphBuilder()
        let x = b.input("x", .float, ["N", 8])
        let y = b.node("Double", [x], domain: "local")
        let body = Graph(name: "Double")
        let formal = body.addInput(named: "a", type: nil)
        body.addOutput(body.addNode(opType: "Add", inputs: [formal, formal]).outputs[0]!)
        let model = b.model(extraOpsets: [OperatorSetID(domain: "local", version: 1)])
        model.functions = [Function(name: "Double", domain: "local", body: body, opsetImports: [OperatorSetID(domain: "", version: 17)])]
        ShapeInference().run(on: model)
        #expect(Self.inferred(y) == "float32[N,8]")
    }

    @Test func recursiveFunctionsStopInsteadOfLooping() {
        let b = GraphBuilder()
        let x = b.input("x", .float, [3])
        let y = b.node("Forever", [x], domain: "local")
        let body = Graph(name: "Forever")
        let formal = body.addInput(named: "a", type: nil)
        body.addOutput(body.addNode(opType: "Forever", domain: "local", inputs: [formal]).outputs[0]!)
        let model = b.model()
        model.functions = [Function(name: "Forever", domain: "local", body: body)]
        ShapeInference().run(on: model)
        #expect(Self.inferred(y) == "unknown")
    }

    @Test func rerunDropsFactsTheGraphNoLongerSupports() {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 3])
        let wide = b.input("wide", .float, [2, 9])
        let y = b.node("Relu", [x])
        ShapeInference().run(on: b.model())
        #expect(Self.inferred(y) == "float32[2,3]")
        y.producer!.setInput(0, wide)
        ShapeInference().run(on: b.model())
        #expect(Self.inferred(y) == "float32[2,9]")
        y.producer!.opType = "Frobnicate"
        ShapeInference().run(on: b.model())
        #expect(y.inferredType == nil)
    }

    @Test func declaredTypesAreNeverTouched() {
        let b = GraphBuilder()
        let x = b.input("x", .float, ["N", 3])
        let y = b.node("Relu", [x])
        y.type = .tensor(.float, TensorShape([.symbol("N"), .unknown]))
        ShapeInference().run(on: b.model())
        #expect(y.type == .tensor(.float, TensorShape([.symbol("N"), .unknown])))
        #expect(y.knownType == .tensor(.float, TensorShape([.symbol("N"), .value(3)])))
    }

    @Test func aSubgraphCanBeInferredOnItsOwn() {
        let g = Graph(name: "body")
        let a = g.addInput(named: "a", type: .tensor(.float, TensorShape([4, 5] as [Int64])))
        let t = g.addNode(opType: "Transpose", inputs: [a]).outputs[0]!
        ShapeInference().run(on: g, opsets: [OperatorSetID(domain: "", version: 13)])
        #expect(Self.inferred(t) == "float32[5,4]")
    }
}
