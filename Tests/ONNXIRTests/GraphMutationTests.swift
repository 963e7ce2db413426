import ONNXIR
import TestSupport
import Testing

/// The mutation API keeps use-lists exact, in subgraphs too, and guards graph outputs and shared
/// initializers.
@Suite struct GraphMutationTests {
    /// Every (node, input) pair of every graph, compared with the use-lists of the values read.
    static func useListsAreExact(_ graph: Graph) -> Bool {
        var expected: [ObjectIdentifier: [Use]] = [:]
        var values: [ObjectIdentifier: Value] = [:]
        for g in graph.allGraphs {
            for node in g.nodes {
                for (i, input) in node.inputs.enumerated() {
                    guard let input else { continue }
                    expected[ObjectIdentifier(input), default: []].append(Use(node: node, index: i))
                    values[ObjectIdentifier(input)] = input
                }
            }
            for v in g.definedValues { values[ObjectIdentifier(v)] = v }
        }
        return values.allSatisfy { id, v in Set(v.uses) == Set(expected[id] ?? []) && v.uses.count == (expected[id] ?? []).count }
    }

    /// x -> Relu -> a -> Neg -> c (output); an If whose then-branch also reads `a`.
    static func graphWithSubgraphUser() -> (GraphBuilder, x: Value, a: Value, c: Value, inner: Node) {
        let b = GraphBuilder()
        let x = b.input("x", .float, [4])
        let a = b.node("Relu", [x], name: "a")
        var inner: Node!
        let thenBranch = b.subgraph("then") { s in
            let y = s.node("Sigmoid", [a])
            inner = y.producer
            s.graph.addOutput(y)
        }
        let elseBranch = b.subgraph("else") { s in s.graph.addOutput(s.node("Identity", [x])) }
        let cond = b.input("cond", .bool, [])
        let c = b.node("Neg", [a], name: "c")
        b.output(c)
        b.output(b.node("If", [cond], ["then_branch": .graph(thenBranch), "else_branch": .graph(elseBranch)]))
        return (b, x, a, c, inner)
    }

    @Test func replaceAllUsesReachesSubgraphUsers() {
        let (b, x, a, _, inner) = Self.graphWithSubgraphUser()
        #expect(a.uses.count == 2)
        b.graph.replaceAllUses(of: a, with: x)
        #expect(a.uses.isEmpty)
        #expect(inner.inputs[0] === x)
        #expect(Self.useListsAreExact(b.graph))
        b.graph.erase(a.producer!)
        #expect(Verifier().problems(in: b.model()).isEmpty)
    }

    @Test func replacingAGraphOutputNeedsTheFlag() {
        let (b, x, _, c, _) = Self.graphWithSubgraphUser()
        let replacement = b.node("Abs", [x])
        b.graph.replaceAllUses(of: c, with: replacement, includingGraphOutputs: true)
        #expect(b.graph.outputs[0] === replacement)
        #expect(!c.isGraphOutput)
        b.graph.erase(c.producer!)
        #expect(Self.useListsAreExact(b.graph))
        #expect(Verifier().problems(in: b.model()).isEmpty)
    }

    @Test func erasingANodeWithASubgraphDropsItsInnerUses() {
        let (b, _, a, _, _) = Self.graphWithSubgraphUser()
        let ifNode = b.graph.nodes.first { $0.opType == "If" }!
        b.graph.removeOutput(at: 1)
        b.graph.erase(ifNode)
        #expect(a.uses.count == 1)
        #expect(Self.useListsAreExact(b.graph))
        #expect(Verifier().problems(in: b.model()).isEmpty)
    }

    @Test func setInputAppendAndTruncateKeepUsesExact() {
        let b = GraphBuilder()
        let x = b.input("x", .float, [4])
        let y = b.input("y", .float, [4])
        let sum = b.node("Sum", [x, x, y])
        let node = sum.producer!
        node.setInput(1, y)
        #expect(x.uses == [Use(node: node, index: 0)])
        node.appendInput(x)
        node.setInput(0, nil)
        node.truncateInputs(to: 2)
        #expect(x.uses.isEmpty && y.uses == [Use(node: node, index: 1)])
        #expect(Self.useListsAreExact(b.graph))
    }

    @Test func nodesInsertBeforeTheirAnchor() {
        let b = GraphBuilder()
        let x = b.input("x", .float, [4])
        let y = b.node("Relu", [x])
        b.output(y)
        let relu = y.producer!
        let pre = b.graph.addNode(opType: "Abs", inputs: [x], before: relu)
        relu.setInput(0, pre.outputs[0])
        #expect(b.graph.nodes.map(\.opType) == ["Abs", "Relu"])
        #expect(Verifier().problems(in: b.model()).isEmpty)
    }

    @Test func cloneOnWriteLeavesTheSharedWeightAlone() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [1, 2])
        let w = b.initializer("w", .float32(dims: [2, 2], values: [1, 2, 3, 4]))
        b.output(b.node("MatMul", [x, w]))
        b.output(b.node("MatMul", [x, w]))
        let use = w.uses[1]
        let copy = b.graph.cloneInitializer(w, for: use)
        b.graph.setInitializerTensor(copy, .float32(dims: [2, 2], values: [0, 0, 0, 0]))
        #expect(try w.initializer!.floatValues() == [1, 2, 3, 4])
        #expect(use.node.inputs[1] === copy)
        #expect(copy.initializer?.name == copy.name)
        #expect(Self.useListsAreExact(b.graph))
        #expect(Verifier().problems(in: b.model()).isEmpty)
        // The last user gone, the original can be removed.
        w.uses[0].node.setInput(1, copy)
        b.graph.removeInitializer(w)
        #expect(!b.graph.initializers.contains { $0 === w })
        #expect(Verifier().problems(in: b.model()).isEmpty)
    }
}
