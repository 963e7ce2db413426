import ONNXIR
import TestSupport
import Testing

/// The verifier names the node (and op) or value at fault for each broken invariant.
@Suite struct VerifierTests {
    @Test func undefinedInputNamesNodeAndValue() {
        let stray = Graph(name: "elsewhere").addInput(named: "stray", type: .tensor(.float, nil))
        let b = GraphBuilder()
        b.output(b.node("Relu", [stray], name: "act"))
        #expect(Verifier().problems(in: b.model()) == ["node 'act' (Relu) reads 'stray', which is not defined before it"])
    }

    @Test func duplicateDefinitionNamesTheValue() {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2])
        b.graph.makeNode(opType: "Relu", name: "dup", inputs: [x], outputNames: ["x"])
        let problems = Verifier().problems(in: b.model())
        #expect(problems.contains("output of node 'dup' (Relu) 'x' is defined more than once"))
    }

    @Test func outOfOrderNodeNamesTheReader() {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2])
        let a = b.node("Relu", [x], name: "first")
        let c = b.node("Neg", [a], name: "second")
        b.output(c)
        b.graph.move(c.producer!, before: a.producer!)
        #expect(Verifier().problems(in: b.model()) == ["node 'second' (Neg) reads 'first_out', which is not defined before it"])
        #expect(throws: IRError.self) { try Verifier().verify(b.model()) }
    }

    @Test func subgraphMayReadOuterValuesDefinedBeforeItsOwner() {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2])
        let cond = b.input("c", .bool, [])
        let early = b.node("Relu", [x], name: "early")
        let thenBranch = b.subgraph("then") { s in s.graph.addOutput(s.node("Neg", [early], name: "reads_early")) }
        let elseBranch = b.subgraph("else") { s in s.graph.addOutput(s.node("Neg", [x], name: "reads_x")) }
        let ifOut = b.node("If", [cond], ["then_branch": .graph(thenBranch), "else_branch": .graph(elseBranch)], name: "branch")
        let late = b.node("Abs", [x], name: "late")
        b.output(ifOut)
        b.output(late)
        #expect(Verifier().problems(in: b.model()).isEmpty)
        // Now let the else branch read a value defined after the If.
        let reader = elseBranch.nodes[0]
        reader.setInput(0, late)
        #expect(
            Verifier().problems(in: b.model()) == ["subgraph 'else': node 'reads_x' (Neg) reads 'late_out', which is not defined before it"]
        )
    }

    @Test func initializerWhoseDataContradictsItsDeclaredType() {
        let b = GraphBuilder()
        let w = b.initializer("w", .float32(dims: [2], values: [1, 2]))
        w.type = .tensor(.float, TensorShape([3] as [Int64]))
        b.output(b.node("Relu", [w]))
        #expect(Verifier().problems(in: b.model()) == ["initializer 'w' is declared [3] but holds [2]"])
    }

    @Test func aWellFormedModelVerifies() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, ["N", 3, 8, 8])
        b.output(b.node("Conv", [x, b.weight("w", [4, 3, 3, 3])]))
        try Verifier().verify(b.model())
    }
}
