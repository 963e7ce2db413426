import ONNXIR
import TestSupport
import Testing

/// The mutation API keeps use-lists exact; the verifier names what is wrong.
@Suite struct MutationAPITests {
    static func chain() -> (GraphBuilder, Value, Value, Value) {
        let b = GraphBuilder()
        let x = b.input("x", .float, [.value(4)])
        let a = b.node("Relu", [x], name: "a")
        let c = b.node("Neg", [a], name: "c")
        b.output(c)
        return (b, x, a, c)
    }

    @Test func replaceAllUsesMovesEveryUse() {
        let (b, x, a, c) = Self.chain()
        let producer = c.producer!
        b.graph.replaceAllUses(of: a, with: x)
        #expect(a.uses.isEmpty)
        #expect(x.uses.count == 2)
        #expect(producer.inputs[0] === x)
        b.graph.erase(a.producer!)
        #expect(Verifier().problems(in: b.model()).isEmpty)
    }

    @Test func cloneOnWriteGivesOneUserItsOwnWeight() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [.value(1), .value(2)])
        let w = b.weight("w", [2, 2])
        let y1 = b.node("MatMul", [x, w], name: "m1")
        let y2 = b.node("MatMul", [x, w], name: "m2")
        b.output(y1)
        b.output(y2)
        #expect(w.uses.count == 2)
        let copy = b.graph.cloneInitializer(w, for: w.uses[1])
        #expect(w.uses.count == 1 && copy.uses.count == 1)
        #expect(copy.name != w.name)
        b.graph.setInitializerTensor(copy, .float32(dims: [2, 2], values: [0, 0, 0, 0]))
        #expect(try w.initializer!.floatValues() != [0, 0, 0, 0])
        #expect(Verifier().problems(in: b.model()).isEmpty)
    }

    @Test func verifierNamesTheCulprit() {
        let (b, _, a, _) = Self.chain()
        // Move the consumer before its producer: out of order.
        let consumer = a.uses[0].node
        b.graph.move(consumer, before: a.producer!)
        let problems = Verifier().problems(in: b.model())
        #expect(problems == ["node 'c' (Neg) reads 'a_out', which is not defined before it"])
    }

    @Test func freshNamesNeverCollide() {
        let b = GraphBuilder()
        let names = (0..<5).map { _ in b.graph.freshName("conv") }
        #expect(Set(names).count == 5)
        #expect(names[0] == "conv")
    }
}
