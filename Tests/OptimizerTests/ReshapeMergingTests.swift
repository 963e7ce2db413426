import Interpreter
import ONNXIR
import TestSupport
import Testing

@testable import Optimizer

@Suite struct ReshapeMergingTests {
    @Test func transposesComposeIntoOne() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 3, 4, 5])
        let t1 = b.node("Transpose", [x], ["perm": .ints([0, 2, 3, 1])])
        b.output(b.node("Transpose", [t1], ["perm": .ints([1, 0, 3, 2])], name: "y"))
        let model = b.model()
        try checkPipeline("merge-reshapes", on: model, relative: 0)
        #expect(opTypes(model) == ["Transpose"])
        // p[i] = p1[p2[i]] = [2, 0, 1, 3]
        #expect(model.graph.nodes[0].attribute("perm")?.ints == [2, 0, 1, 3])
    }

    @Test func transposesThatCancelDisappear() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 3, 4])
        let t1 = b.node("Transpose", [b.node("Relu", [x])], ["perm": .ints([1, 2, 0])])
        b.output(b.node("Transpose", [t1], ["perm": .ints([2, 0, 1])], name: "y"))
        let model = b.model()
        try checkPipeline("merge-reshapes", on: model, relative: 0)
        #expect(opTypes(model) == ["Relu"])
    }

    @Test func reshapeAfterAnyViewReadsTheViewsInput() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 3, 4])
        let flat = b.node("Flatten", [x], ["axis": .int(1)])
        let r1 = b.node("Reshape", [flat, b.ints("s1", [4, 6])])
        let u = b.node("Unsqueeze", [r1, b.ints("axes", [0])])
        b.output(b.node("Reshape", [u, b.ints("s2", [3, -1])], name: "y"))
        let model = b.model()
        try checkPipeline("merge-reshapes", on: model, relative: 0)
        #expect(opTypes(model) == ["Reshape"])
        #expect(model.graph.nodes[0].inputs[0]!.name == "x")
    }

    @Test func flattenOfAReshapeBecomesOneReshape() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 12])
        let r = b.node("Reshape", [x, b.ints("s", [-1, 3, 2, 2])])
        b.output(b.node("Flatten", [r], ["axis": .int(2)], name: "y"))
        let model = b.model()
        try checkPipeline("merge-reshapes", on: model, relative: 0)
        #expect(opTypes(model) == ["Reshape"])
        #expect(try model.graph.nodes[0].inputs[1]!.initializer!.int64Values() == [-1, 4])
    }

    /// A 0 in the Reshape's target copies a dim of x, which the flattened product cannot name.
    @Test func flattenOfAReshapeCopyingDimsStays() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 12])
        let r = b.node("Reshape", [x, b.ints("s", [0, 3, 4])])
        b.output(b.node("Flatten", [r], ["axis": .int(2)], name: "y"))
        let model = b.model()
        let report = try runPass("merge-reshapes", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("copies dims (0) from its input"))
    }

    /// Before opset 13 Squeeze and Unsqueeze take their axes as attributes.
    @Test func attributeAxesCancelBeforeOpset13() throws {
        let b = GraphBuilder(opset: 11)
        let x = b.input("x", .float, [2, 1, 3])
        let s = b.node("Squeeze", [b.node("Relu", [x])], ["axes": .ints([-2])])
        b.output(b.node("Unsqueeze", [s], ["axes": .ints([1])], name: "y"))
        let model = b.model()
        try checkPipeline("merge-reshapes", on: model, relative: 0)
        #expect(opTypes(model) == ["Relu"])
    }

    @Test func flattenOfAFlattenIsRemoved() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 3, 4])
        let f = b.node("Flatten", [x], ["axis": .int(2)])
        b.output(b.node("Flatten", [f], name: "y"))
        let model = b.model()
        try checkPipeline("merge-reshapes", on: model, relative: 0)
        #expect(opTypes(model) == ["Flatten"])
    }

    @Test(arguments: [["Squeeze", "Unsqueeze"], ["Unsqueeze", "Squeeze"]])
    func squeezeAndUnsqueezeOnTheSameAxesCancel(order: [String]) throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, order[0] == "Squeeze" ? [2, 1, 3, 1] : [2, 3])
        let axes = b.ints("axes", order[0] == "Squeeze" ? [1, -1] : [1, 3])
        let first = b.node(order[0], [b.node("Relu", [x]), axes])
        b.output(b.node(order[1], [first, order[0] == "Squeeze" ? b.ints("axes2", [3, 1]) : b.ints("axes2", [-1, 1])], name: "y"))
        let model = b.model()
        try checkPipeline("merge-reshapes", on: model, relative: 0)
        #expect(opTypes(model) == ["Relu"])
    }

    @Test func squeezeAndUnsqueezeOnDifferentAxesStay() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 1, 3])
        let s = b.node("Squeeze", [x, b.ints("axes", [1])])
        b.output(b.node("Unsqueeze", [s, b.ints("axes2", [0])], name: "y"))
        let model = b.model()
        let report = try runPass("merge-reshapes", on: model)
        #expect(!report.modified)
    }

    /// The first Reshape is also read elsewhere: merging would keep it anyway.
    @Test func sharedFirstReshapeStays() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 6])
        let r1 = b.node("Reshape", [x, b.ints("s1", [3, 4])])
        b.output(b.node("Reshape", [r1, b.ints("s2", [12])], name: "y"))
        b.output(b.node("Relu", [r1], name: "z"))
        let model = b.model()
        let report = try runPass("merge-reshapes", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("also read by 1 other node"))
    }

    /// A 0 in the second target copies a dim of the first Reshape's output, which x lacks.
    @Test func copiedDimsBlockTheMerge() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 6])
        let r1 = b.node("Reshape", [x, b.ints("s1", [3, 4])])
        b.output(b.node("Reshape", [r1, b.ints("s2", [0, 2, 2])], name: "y"))
        let model = b.model()
        let report = try runPass("merge-reshapes", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("copies dims (0)"))
    }

    @Test func intermediateGraphOutputBlocksTheMerge() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 3])
        let t1 = b.node("Transpose", [x], ["perm": .ints([1, 0])], name: "t")
        b.output(t1)
        b.output(b.node("Transpose", [t1], ["perm": .ints([1, 0])], name: "y"))
        let model = b.model()
        let report = try runPass("merge-reshapes", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("is a graph output"))
    }
}
