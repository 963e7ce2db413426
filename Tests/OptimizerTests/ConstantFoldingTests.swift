import Interpreter
import ONNXIR
import TestSupport
import Testing

@testable import Optimizer

@Suite struct ConstantFoldingTests {
    /// y = x + ((a + b) * c): the constant half folds into one initializer.
    @Test func foldsAConstantChain() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 3])
        let sum = b.node("Add", [b.weight("a", [2, 3]), b.weight("b", [3])])
        let scaled = b.node("Mul", [sum, b.weight("c", [1])])
        b.output(b.node("Add", [x, scaled], name: "y"))
        let model = b.model()
        let report = try checkPipeline("constant-folding", on: model, relative: 0)[0]
        #expect(opTypes(model) == ["Add"])
        #expect(report.changes.count == 2)
        // The folded value keeps its name; the inputs it came from are gone.
        #expect(model.graph.initializers.map(\.name) == ["mul_out"])
    }

    /// Constant nodes count as constants too, in every value form.
    @Test func foldsConstantNodeInputs() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [3])
        let c = b.node("Constant", [], ["value_floats": .floats([1, 2, 3])])
        let n = b.node("Neg", [c])
        b.output(b.node("Mul", [x, n], name: "y"))
        let model = b.model()
        try checkPipeline("constant-folding", on: model, relative: 0)
        #expect(opTypes(model) == ["Mul"])
        #expect(try model.graph.initializers[0].initializer!.floatValues() == [-1, -2, -3])
    }

    /// Shape -> Gather -> Unsqueeze -> Concat -> Reshape, as PyTorch exports `x.view(x.size(0), -1)`.
    static func pytorchFlatten(batch: ONNXIR.Dimension) -> Model {
        let b = GraphBuilder()
        let x = b.input("x", .float, [batch, .value(3), .value(4), .value(5)])
        let shape = b.node("Shape", [x])
        let first = b.node("Gather", [shape, b.graph.addInitializer(.int64(dims: [], values: [0]), named: "zero")], ["axis": .int(0)])
        let unsqueezed = b.node("Unsqueeze", [first, b.ints("axes", [0])])
        let target = b.node("Concat", [unsqueezed, b.ints("minus_one", [-1])], ["axis": .int(0)])
        let flat = b.node("Reshape", [x, target])
        b.output(b.node("Relu", [flat], name: "y"))
        return b.model()
    }

    @Test func shapeChainsOfStaticShapesFoldToAConstantReshape() throws {
        let model = Self.pytorchFlatten(batch: .value(2))
        let reports = try checkPipeline("shape-folding,constant-folding", on: model, relative: 0)
        #expect(opTypes(model) == ["Reshape", "Relu"])
        #expect(reports[0].changes.count == 1)
        let target = model.graph.nodes[0].inputs[1]!
        #expect(try target.initializer?.int64Values() == [2, -1])
    }

    @Test func symbolicBatchLeavesTheShapeChain() throws {
        let model = Self.pytorchFlatten(batch: .symbol("N"))
        let report = try runPass("shape-folding", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("is not static"))
        #expect(opTypes(model).first == "Shape")
    }

    /// Shape's start/end (opset 15) need only the selected dims to be known.
    @Test func shapeWithStartFoldsWhenTheSelectedDimsAreKnown() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [.symbol("N"), .value(6)])
        let tail = b.node("Shape", [x], ["start": .int(1)])
        let n = b.node("Size", [b.node("Relu", [x])])
        b.output(b.node("Reshape", [x, b.node("Concat", [b.ints("minus_one", [-1]), tail], ["axis": .int(0)])], name: "y"))
        b.output(b.node("Identity", [n], name: "count"), type: .tensor(.int64, nil))
        let model = b.model()
        let report = try runPass("shape-folding", on: model)
        #expect(report.changes.count == 1)
        #expect(report.skipText.contains("Size"))
        #expect(!opTypes(model).contains("Shape"))
        let feeds = ["x": RuntimeTensor.float32([2, 6], seededValues(12, seed: 3))]
        #expect(try runModel(model, feeds)[0].shape == [2, 6])
    }

    @Test func shapeOfAGraphOutputStays() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 3])
        b.output(b.node("Shape", [x], name: "s"), type: .tensor(.int64, nil))
        let model = b.model()
        let report = try runPass("shape-folding", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("graph output"))
    }

    /// ConstantOfShape and Tile must not blow up the file: refused past max-bytes, folded under it.
    @Test func largeResultsAreRefusedUnlessAllowed() throws {
        func build() -> Model {
            let b = GraphBuilder()
            let x = b.input("x", .float, [512, 1024])
            let zeros = b.node("ConstantOfShape", [b.ints("shape", [512, 1024])], ["value": .tensor(.float32(dims: [1], values: [1]))])
            let tiled = b.node("Tile", [b.weight("row", [1, 1024]), b.ints("reps", [512, 1])])
            b.output(b.node("Add", [b.node("Mul", [x, zeros]), tiled], name: "y"))
            return b.model()
        }
        let model = build()
        let report = try runPass("constant-folding", on: model)
        #expect(!report.modified)
        #expect(report.skipped.count == 2)
        #expect(report.skipText.contains("more than max-bytes (1048576)"))

        let allowed = build()
        try checkPipeline("constant-folding{max-bytes=4194304}", on: allowed, relative: 0)
        #expect(opTypes(allowed) == ["Mul", "Add"])
    }

    /// A result no larger than its inputs folds whatever its size (a transposed weight).
    @Test func sameSizeResultsFoldPastMaxBytes() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [4, 64])
        let w = b.node("Transpose", [b.weight("w", [64, 64])], ["perm": .ints([1, 0])])
        b.output(b.node("MatMul", [x, w], name: "y"))
        let model = b.model()
        try checkPipeline("constant-folding{max-bytes=16}", on: model, relative: 0)
        #expect(opTypes(model) == ["MatMul"])
    }

    @Test func randomOpsNeverFold() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2])
        let noise = b.node("RandomUniformLike", [b.weight("shape_like", [2])], ["seed": .float(1)])
        b.output(b.node("Add", [x, noise], name: "y"))
        let model = b.model()
        let report = try runPass("constant-folding", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("non-deterministic"))
    }

    @Test func opsWithoutAKernelAreSkippedWithTheReason() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2])
        let custom = b.node("Frobnicate", [b.weight("c", [2])], domain: "com.example")
        b.output(b.node("Add", [x, custom], name: "y"))
        let model = b.model()
        model.opsetImports.append(OperatorSetID(domain: "com.example", version: 1))
        let report = try runPass("constant-folding", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("no interpreter kernel for com.example.Frobnicate"))
    }

    /// An initializer that is also a graph input can be overridden at run time: not a constant.
    @Test func overridableInitializersAreNotConstants() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2])
        let w = b.input("w", .float, [2])
        b.graph.attachInitializer(.float32(dims: [2], values: [1, 2]), to: w)
        b.output(b.node("Add", [x, b.node("Neg", [w])], name: "y"))
        let model = b.model()
        let report = try runPass("constant-folding", on: model)
        #expect(!report.modified)
        #expect(report.skipped.isEmpty)
    }

    /// Dequantizing a constant weight would undo a QDQ model's quantization.
    @Test func dequantizeLinearOfAWeightStays() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2])
        let q = b.graph.addInitializer(
            Tensor(dataType: .int8, dims: [2], storage: .bytes(TensorBuffer([3, 250]))), named: "wq")
        let dq = b.node("DequantizeLinear", [q, b.floats("scale", [], [0.5])])
        b.output(b.node("Mul", [x, dq], name: "y"))
        let model = b.model()
        let report = try runPass("constant-folding", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("QDQ"))
    }

    /// A constant graph output becomes an initializer under the output's name and declared type
    /// (ONNX allows an initializer as a graph output), and survives a save-load round trip.
    @Test func constantGraphOutputsBecomeInitializers() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2])
        b.output(b.node("Neg", [b.weight("w", [2])], name: "y"))
        b.output(b.node("Relu", [x], name: "z"))
        let model = b.model()
        let declared = model.graph.outputs[0].type
        let names = model.graph.outputs.map(\.name)
        try checkPipeline("constant-folding", on: model, relative: 0, absolute: 0)
        #expect(opTypes(model) == ["Relu"])
        #expect(model.graph.outputs.map(\.name) == names)
        #expect(model.graph.outputs[0].isInitializer)
        #expect(model.graph.outputs[0].type == declared)
    }
}
