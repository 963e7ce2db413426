import ONNXIR
import TestSupport
import Testing

/// The shape computations exporters emit (PyTorch's `x.view(x.size(0), -1)`, `expand`, `arange`)
/// resolve because small int64 tensors derived from shapes are tracked, symbols included.
@Suite struct ShapeValueTrackingTests {
    static func inferred(_ v: Value) -> String { OpShapeCase.render(v.inferredType) }

    /// `x.size(0)` as exported: Gather(Shape(x), 0), then Unsqueeze to a 1-element list.
    static func batchSize(_ b: GraphBuilder, _ x: Value, opset: Int64) -> Value {
        let dim = b.node("Gather", [b.node("Shape", [x]), b.scalar("zero", 0)])
        return opset >= 13 ? b.node("Unsqueeze", [dim, b.ints("axes", [0])]) : b.node("Unsqueeze", [dim], ["axes": .ints([0])])
    }

    @Test(arguments: [Int64(11), 13, 17]) func flattenAfterBatchSize(opset: Int64) {
        let b = GraphBuilder(opset: opset)
        let x = b.input("x", .float, ["N", 4, 8])
        let target = b.node("Concat", [Self.batchSize(b, x, opset: opset), b.ints("minus_one", [-1])], ["axis": .int(0)])
        let y = b.node("Reshape", [x, target])
        ShapeInference().run(on: b.model())
        #expect(Self.inferred(target) == "int64[2]")
        #expect(Self.inferred(y) == "float32[N,32]")
    }

    @Test func splitHeadsKeepsBothSymbols() {
        // q.view(B, -1, 8, 64) on [B, S, 512]: the -1 is S.
        let b = GraphBuilder()
        let x = b.input("x", .float, ["B", "S", 512])
        let shape = b.node("Shape", [x])
        let batch = b.node("Slice", [shape, b.ints("start", [0]), b.ints("end", [1])])
        let target = b.node("Concat", [batch, b.ints("rest", [-1, 8, 64])], ["axis": .int(0)])
        let y = b.node("Reshape", [x, target])
        ShapeInference().run(on: b.model())
        #expect(Self.inferred(y) == "float32[B,S,8,64]")
    }

    @Test func mergeHeadsMultipliesKnownDims() {
        // x.reshape(B, S, H * D) with every factor taken from Shape(x).
        let b = GraphBuilder()
        let x = b.input("x", .float, ["B", "S", 8, 64])
        let shape = b.node("Shape", [x])
        func dim(_ i: Int64) -> Value { b.node("Gather", [shape, b.scalar("i\(i)", i)]) }
        let hd = b.node("Mul", [dim(2), dim(3)])
        let parts = [dim(0), dim(1), hd].enumerated().map { i, v in b.node("Unsqueeze", [v, b.ints("ax\(i)", [0])]) }
        let y = b.node("Reshape", [x, b.node("Concat", parts, ["axis": .int(0)])])
        ShapeInference().run(on: b.model())
        #expect(Self.inferred(y) == "float32[B,S,512]")
    }

    @Test func expandWithMinusOneIdiom() {
        // x.expand(-1, 4): Where(Equal(shape, -1), ones, shape) then Expand.
        let b = GraphBuilder()
        let x = b.input("x", .float, ["N", 1])
        let shape = b.ints("shape", [-1, 4])
        let isKeep = b.node("Equal", [shape, b.scalar("minus", -1)])
        let ones = b.node("ConstantOfShape", [b.ints("two", [2])], ["value": .tensor(.int64(dims: [1], values: [1]))])
        let target = b.node("Where", [isKeep, ones, shape])
        let y = b.node("Expand", [x, target])
        ShapeInference().run(on: b.model())
        #expect(Self.inferred(y) == "float32[N,4]")
    }

    @Test func rangeOverSequenceLength() {
        let b = GraphBuilder()
        let x = b.input("x", .float, ["B", "S", 16])
        let length = b.node("Gather", [b.node("Shape", [x]), b.scalar("one", 1)])
        let positions = b.node("Range", [b.scalar("start", 0), length, b.scalar("delta", 1)])
        let mask = b.node("ConstantOfShape", [b.node("Shape", [x])])
        ShapeInference().run(on: b.model())
        #expect(Self.inferred(positions) == "int64[S]")
        #expect(Self.inferred(mask) == "float32[B,S,16]")
    }

    @Test func castAndSqueezeKeepTrackedValues() {
        let b = GraphBuilder(opset: 13)
        let x = b.input("x", .float, ["N", 3, 8, 8])
        let shape = b.node("Cast", [b.node("Shape", [x])], ["to": .int(Int64(DataType.int32.rawValue))])
        let back = b.node("Cast", [shape], ["to": .int(Int64(DataType.int64.rawValue))])
        let spatial = b.node("Slice", [back, b.ints("s", [-2]), b.ints("e", [Int64.max])])
        let channels = b.node("Squeeze", [b.node("Slice", [back, b.ints("s1", [1]), b.ints("e1", [2])]), b.ints("a", [0])])
        let target = b.node(
            "Concat", [b.ints("lead", [-1]), b.node("Unsqueeze", [channels, b.ints("a2", [0])]), spatial], ["axis": .int(0)])
        let y = b.node("Reshape", [x, target])
        ShapeInference().run(on: b.model())
        #expect(Self.inferred(spatial) == "int64[2]")
        #expect(Self.inferred(channels) == "int64[]")
        #expect(Self.inferred(y) == "float32[N,3,8,8]")
    }

    @Test func constantNodesFeedShapeArguments() {
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 3, 4])
        let target = b.node("Constant", [], ["value": .tensor(.int64(dims: [2], values: [6, -1]))])
        let axes = b.node("Constant", [], ["value_ints": .ints([0])])
        let y = b.node("Reshape", [x, target])
        let z = b.node("Unsqueeze", [y, axes])
        ShapeInference().run(on: b.model())
        #expect(Self.inferred(z) == "float32[1,6,4]")
    }

    @Test func aGraphInputIsNeverTreatedAsConstant() {
        // An initializer that is also a graph input may be overridden by the caller.
        let b = GraphBuilder()
        let x = b.input("x", .float, [2, 3])
        let target = b.input("target", .int64, [2])
        b.graph.attachInitializer(.int64(dims: [2], values: [3, 2]), to: target)
        let y = b.node("Reshape", [x, target])
        ShapeInference().run(on: b.model())
        #expect(Self.inferred(y) == "float32[?,?]")
    }
}
