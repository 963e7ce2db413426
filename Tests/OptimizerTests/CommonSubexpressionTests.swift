import Interpreter
import ONNXIR
import TestSupport
import Testing

@testable import Optimizer

@Suite struct CommonSubexpressionTests {
    /// Two identical branches collapse, including the nodes that read the first duplicates.
    @Test func duplicateChainsCollapse() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 3])
        let a1 = b.node("Sigmoid", [b.node("Relu", [x])])
        let a2 = b.node("Sigmoid", [b.node("Relu", [x])])
        let t1 = b.node("Transpose", [x], ["perm": .ints([1, 0])])
        let t2 = b.node("Transpose", [x], ["perm": .ints([1, 0])])
        b.output(b.node("Add", [a1, a2], name: "y"))
        b.output(b.node("Sub", [t1, t2], name: "z"))
        let model = b.model()
        let report = try checkPipeline("cse", on: model, relative: 0)[0]
        #expect(opTypes(model) == ["Relu", "Sigmoid", "Transpose", "Add", "Sub"])
        #expect(report.changes.count == 3)
        #expect(model.graph.nodes[3].inputs[0] === model.graph.nodes[3].inputs[1])
    }

    @Test func identicalConstantNodesMergeAndDifferentOnesStay() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2])
        let value = AttributeValue.tensor(.float32(dims: [2], values: [1, 2]))
        let c1 = b.node("Constant", [], ["value": value])
        let c2 = b.node("Constant", [], ["value": value])
        let c3 = b.node("Constant", [], ["value": .tensor(.float32(dims: [2], values: [1, 3]))])
        b.output(b.node("Add", [b.node("Mul", [x, c1]), b.node("Mul", [c2, c3])], name: "y"))
        let model = b.model()
        try checkPipeline("cse", on: model, relative: 0)
        #expect(opTypes(model) == ["Constant", "Constant", "Mul", "Mul", "Add"])
    }

    @Test func differentAttributesOrInputOrderStayApart() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 2])
        let w = b.input("w", .float, [2, 2])
        let t1 = b.node("Transpose", [x], ["perm": .ints([1, 0])])
        let t2 = b.node("Transpose", [x], ["perm": .ints([0, 1])])
        let s1 = b.node("Sub", [x, w])
        let s2 = b.node("Sub", [w, x])
        b.output(b.node("Concat", [t1, t2, s1, s2], ["axis": .int(0)], name: "y"))
        let model = b.model()
        let report = try runPass("cse", on: model)
        #expect(!report.modified)
    }

    @Test func randomOpsAreNeverMerged() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2])
        let r1 = b.node("RandomNormalLike", [x])
        let r2 = b.node("RandomNormalLike", [x])
        b.output(b.node("Sub", [r1, r2], name: "y"))
        let model = b.model()
        let report = try runPass("cse", on: model)
        #expect(!report.modified)
    }

    /// Nodes holding subgraphs are never compared (their bodies may differ in ways names hide).
    @Test func nodesWithSubgraphsAreNotMerged() throws {
        let b = GraphBuilder()
        let cond = b.input("cond", .bool, [])
        let x = b.input("x", .float, [2])
        func branchIf() -> Value {
            let then = Graph(name: "then", enclosedBy: b.graph)
            then.addOutput(then.addNode(opType: "Relu", inputs: [x]).outputs[0]!)
            let otherwise = Graph(name: "else", enclosedBy: b.graph)
            otherwise.addOutput(otherwise.addNode(opType: "Neg", inputs: [x]).outputs[0]!)
            return b.node("If", [cond], ["then_branch": .graph(then), "else_branch": .graph(otherwise)])
        }
        b.output(b.node("Add", [branchIf(), branchIf()], name: "y"))
        let model = b.model()
        let report = try runPass("cse", on: model)
        #expect(!report.modified)
    }

    @Test func twinsThatAreBothGraphOutputsStay() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2])
        b.output(b.node("Relu", [x], name: "y"))
        b.output(b.node("Relu", [x], name: "z"))
        let model = b.model()
        let report = try runPass("cse", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("graph outputs"))
    }

    /// When only the later twin is a graph output, the kept node's output takes its name.
    @Test func graphOutputTwinKeepsItsName() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2])
        let r1 = b.node("Relu", [x])
        b.output(b.node("Neg", [r1], name: "y"))
        b.output(b.node("Relu", [x], name: "z"))
        let model = b.model()
        try checkPipeline("cse", on: model, relative: 0)
        #expect(opTypes(model) == ["Relu", "Neg"])
        #expect(model.graph.outputs.map(\.name) == ["y_out", "z_out"])
    }
}

@Suite struct InitializerDeduplicationTests {
    @Test func identicalInitializersMerge() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [3])
        let a = b.floats("a", [3], [1, 2, 3])
        let c = b.floats("c", [3], [1, 2, 3])
        let d = b.floats("d", [3], [1, 2, 4])
        let e = b.graph.addInitializer(.int64(dims: [3], values: [1, 2, 3]), named: "e")
        let cast = b.node("Cast", [e], ["to": .int(Int64(DataType.float.rawValue))])
        let left = b.node("Add", [b.node("Mul", [x, a]), b.node("Mul", [x, c])])
        b.output(b.node("Add", [left, b.node("Add", [b.node("Mul", [x, d]), cast])], name: "y"))
        let model = b.model()
        let report = try checkPipeline("dedup-initializers", on: model, relative: 0)[0]
        #expect(report.changes == ["merged initializer 'c' into 'a'"])
        #expect(model.graph.initializers.map(\.name) == ["a", "d", "e"])
    }

    /// An initializer that is also a graph input may be overridden by the caller: never merged.
    @Test func overridableInitializersStay() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2])
        let a = b.floats("a", [2], [1, 2])
        let w = b.input("w", .float, [2])
        b.graph.attachInitializer(.float32(dims: [2], values: [1, 2]), to: w)
        b.output(b.node("Add", [b.node("Mul", [x, a]), w], name: "y"))
        let model = b.model()
        let report = try runPass("dedup-initializers", on: model)
        #expect(!report.modified)
    }

    /// Deduplication makes two Convs share W; folding BatchNormalization into one of them must
    /// then clone W (clone on write) rather than change the other Conv.
    @Test func laterPassesCloneADeduplicatedWeightOnWrite() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [1, 2, 4, 4])
        let w1 = b.floats("W1", [3, 2, 1, 1], seededValues(6, seed: 11))
        let w2 = b.floats("W2", [3, 2, 1, 1], seededValues(6, seed: 11))
        let c1 = b.node("Conv", [x, w1])
        let c2 = b.node("Conv", [x, w2])
        b.output(b.node("Add", [BatchNormFusionTests.batchNorm(b, c1, channels: 3), c2], name: "y"))
        let model = b.model()
        let original = try w1.initializer!.floatValues()
        let reports = try checkPipeline("dedup-initializers,fuse-batchnorm", on: model, relative: 1e-5, absolute: 1e-5)
        #expect(reports[0].changes == ["merged initializer 'W2' into 'W1'"])
        #expect(opTypes(model) == ["Conv", "Conv", "Add"])
        let (first, second) = (model.graph.nodes[0].inputs[1]!, model.graph.nodes[1].inputs[1]!)
        #expect(first !== second)
        #expect(second === w1)
        #expect(try w1.initializer!.floatValues() == original)
    }
}
