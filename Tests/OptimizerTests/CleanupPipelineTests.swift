import Interpreter
import ONNXIR
import ONNXSerialization
import TestSupport
import Testing

@testable import Optimizer

/// The cleanup passes together, and on subgraphs.
@Suite struct CleanupPipelineTests {
    /// A small CNN as exporters write it: Conv+BN, explicit Pad, per-channel Mul, a
    /// Shape->Gather->Unsqueeze->Concat->Reshape flatten, MatMul+Add and a trailing Identity.
    static func exportedCNN() -> Model {
        let b = GraphBuilder()
        let x = b.input("x", .float, [1, 3, 8, 8])
        let conv1 = b.node("Conv", [x, b.weight("W1", [4, 3, 3, 3]), b.weight("B1", [4])], ["pads": .ints([1, 1, 1, 1])])
        let relu = b.node("Relu", [BatchNormFusionTests.batchNorm(b, conv1, channels: 4)])
        let padded = b.node("Pad", [relu, b.ints("pads", [0, 0, 1, 1, 0, 0, 1, 1])])
        let conv2 = b.node("Conv", [padded, b.weight("W2", [6, 4, 3, 3])])
        let scaled = b.node("Mul", [conv2, b.weight("s", [6, 1, 1], in: 0.5...1.5)])
        let shape = b.node("Shape", [scaled])
        let batch = b.node("Gather", [shape, b.graph.addInitializer(.int64(dims: [], values: [0]), named: "zero")], ["axis": .int(0)])
        let target = b.node("Concat", [b.node("Unsqueeze", [batch, b.ints("axes", [0])]), b.ints("rest", [-1])], ["axis": .int(0)])
        let flat = b.node("Reshape", [scaled, target])
        let logits = b.node("Add", [b.node("MatMul", [flat, b.weight("Wfc", [384, 10])]), b.weight("bfc", [10])])
        b.output(b.node("Identity", [logits], name: "y"))
        return b.model()
    }

    @Test func cleanupReducesAnExportedCNNAndReachesAFixedPoint() throws {
        let model = Self.exportedCNN()
        let reports = try checkPipeline("cleanup", on: model, relative: 1e-4, absolute: 1e-5)
        #expect(opTypes(model) == ["Conv", "Relu", "Conv", "Reshape", "Gemm"])
        #expect(model.graph.outputs.map(\.name) == ["y_out"])
        #expect(reports[0].subReports?.contains { $0.pass == "fuse-batchnorm" && $0.modified } == true)
        let again = try PassManager(pipeline: "cleanup").run(on: model)
        #expect(!again[0].modified)
    }

    /// Cleaning the model twice from scratch gives identical bytes.
    @Test func cleanupIsDeterministic() throws {
        let first = Self.exportedCNN()
        let second = Self.exportedCNN()
        try PassManager(pipeline: "cleanup").run(on: first)
        try PassManager(pipeline: "cleanup").run(on: second)
        #expect(try ModelWriter.serialize(first) == ModelWriter.serialize(second))
    }

    /// If branches are cleaned like the main graph: constants fold into the branch, no-ops go.
    @Test(arguments: [true, false])
    func subgraphsAreCleanedToo(condition: Bool) throws {
        let b = GraphBuilder()
        let cond = b.input("cond", .bool, [])
        let x = b.input("x", .float, [2, 3])
        let then = Graph(name: "then", enclosedBy: b.graph)
        let c1 = then.addInitializer(.float32(dims: [3], values: [1, 2, 3]), named: "c1")
        let c2 = then.addInitializer(.float32(dims: [3], values: [0.5, 0.5, 0.5]), named: "c2")
        let sum = then.addNode(opType: "Add", inputs: [c1, c2]).outputs[0]!
        let t = then.addNode(opType: "Transpose", attributes: [Attribute(name: "perm", value: .ints([0, 1]))], inputs: [x]).outputs[0]!
        let thenOut = then.addNode(opType: "Mul", inputs: [t, sum]).outputs[0]!
        thenOut.type = .tensor(.float, TensorShape([2, 3]))
        then.addOutput(thenOut)
        let otherwise = Graph(name: "else", enclosedBy: b.graph)
        let elseOut = otherwise.addNode(opType: "Neg", inputs: [x]).outputs[0]!
        elseOut.type = .tensor(.float, TensorShape([2, 3]))
        otherwise.addOutput(elseOut)
        b.output(b.node("If", [cond], ["then_branch": .graph(then), "else_branch": .graph(otherwise)], name: "y"))
        let model = b.model()
        let feeds: [String: RuntimeTensor] = [
            "cond": try RuntimeTensor(Tensor(dataType: .bool, dims: [], storage: .bytes(TensorBuffer([condition ? 1 : 0])))),
            "x": .float32([2, 3], seededValues(6, seed: 9)),
        ]
        try checkPipeline("cleanup", on: model, relative: 0, feeds: feeds)
        let cleanedThen = model.graph.nodes[0].attribute("then_branch")!.graph!
        #expect(cleanedThen.nodes.map(\.opType) == ["Mul"])
        #expect(try cleanedThen.initializers.map { try $0.initializer!.floatValues() } == [[1.5, 2.5, 3.5]])
    }

    @Test func everyCleanupPassIsRegisteredAndRunsAlone() throws {
        let names = [
            "shape-folding", "constant-folding", "noop-elimination", "merge-reshapes", "fuse-batchnorm", "fuse-affine", "fuse-pad",
            "fuse-matmul-add", "cse", "dedup-initializers",
        ]
        let members = CleanupPass.members.map(\.name)
        for name in names {
            #expect(PassRegistry.lookup(name) != nil, "\(name) is not registered")
            #expect(members.contains(name), "cleanup does not run \(name)")
            let model = Self.exportedCNN()
            try checkPipeline(name, on: model, relative: 1e-4, absolute: 1e-5)
        }
    }
}
