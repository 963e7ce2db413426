import ONNXIR
import TestSupport
import Testing

/// Shape inference of reductions (axes as attribute or input by opset, keepdims,
/// noop_with_empty_axes), constant generators, Einsum, recurrent ops, and ops with no rule.
@Suite struct GeneratorAndReductionShapeTests {
    static let reductions: [OpShapeCase] = [
        OpShapeCase(
            "ReduceMean", [.tensor(.float, [2, 3, 4])], [("axes", .ints([1])), ("keepdims", .int(0))], opset: 13, expect: "float32[2,4]"),
        OpShapeCase("ReduceMean", [.tensor(.float, [2, 3, 4]), .ints([-1])], opset: 18, expect: "float32[2,3,1]"),
        OpShapeCase(
            "ReduceSum", [.tensor(.float, ["N", 3, 4]), .ints([0, 2])], [("keepdims", .int(0))], opset: 13, expect: "float32[3]"),
        OpShapeCase("ReduceSum", [.tensor(.float, [2, 3])], [("axes", .ints([0]))], opset: 11, expect: "float32[1,3]"),
        OpShapeCase("ReduceSum", [.tensor(.float, [2, 3])], [("noop_with_empty_axes", .int(1))], opset: 13, expect: "float32[2,3]"),
        OpShapeCase("ReduceMax", [.tensor(.float, [2, 3, 4])], opset: 18, expect: "float32[1,1,1]"),
        OpShapeCase("ReduceMin", [.tensor(.float, [2, 3, 4])], [("keepdims", .int(0))], opset: 18, expect: "float32[]"),
        OpShapeCase("ReduceL2", [.tensor(.float, [2, 3])], [("axes", .ints([1]))], opset: 11, expect: "float32[2,1]"),
        OpShapeCase("ReduceLogSumExp", [.tensor(.float, [2, 3]), .ints([0])], opset: 18, expect: "float32[1,3]"),
        OpShapeCase(
            "ReduceProd", [.tensor(.float, [2, 3]), .tensor(.int64, [1])], [("keepdims", .int(1))], opset: 18, expect: "float32[?,?]"),
        OpShapeCase("ReduceSum", [.tensor(.float, [2, 3]), .ints([5])], opset: 13, expect: "float32[...]"),
    ]

    static let generators: [OpShapeCase] = [
        OpShapeCase("Shape", [.tensor(.float, ["N", 3, 224, 224])], [("start", .int(1))], opset: 15, expect: "int64[3]"),
        OpShapeCase(
            "Shape", [.tensor(.float, ["N", 3, 224, 224])], [("start", .int(-3)), ("end", .int(-1))], opset: 15, expect: "int64[2]"),
        OpShapeCase("Range", [.scalar(0), .scalar(10), .scalar(3)], expect: "int64[4]"),
        OpShapeCase("Range", [.floatScalar(0), .floatScalar(1), .floatScalar(0.25)], expect: "float32[4]"),
        OpShapeCase("Range", [.tensor(.int64, []), .scalar(10), .scalar(1)], expect: "int64[?]"),
        OpShapeCase("ConstantOfShape", [.ints([2, 3])], expect: "float32[2,3]"),
        OpShapeCase("ConstantOfShape", [.ints([4])], [("value", .tensor(.int64(dims: [1], values: [1])))], expect: "int64[4]"),
        OpShapeCase("ConstantOfShape", [.tensor(.int64, [3])], expect: "float32[?,?,?]"),
        OpShapeCase("Constant", [], [("value_floats", .floats([1, 2, 3]))], expect: "float32[3]"),
        OpShapeCase("Constant", [], [("value_float", .float(1))], expect: "float32[]"),
        OpShapeCase("Constant", [], [("value_int", .int(7))], expect: "int64[]"),
        OpShapeCase("Constant", [], [("value_ints", .ints([1, 2]))], expect: "int64[2]"),
        OpShapeCase("Constant", [], [("value_strings", .strings(["a", "b"]))], expect: "string[2]"),
        OpShapeCase("Constant", [], [("value", .tensor(.float32(dims: [2, 2], values: [1, 2, 3, 4])))], expect: "float32[2,2]"),
        OpShapeCase("EyeLike", [.tensor(.float, [4, 4])], [("dtype", .int(7))], expect: "int64[4,4]"),
        OpShapeCase("EyeLike", [.tensor(.float, [3, 5])], expect: "float32[3,5]"),
    ]

    static let einsum: [OpShapeCase] = [
        OpShapeCase(
            "Einsum", [.tensor(.float, ["B", 2, 3]), .tensor(.float, ["B", 3, 4])], [("equation", .string("bij,bjk->bik"))],
            expect: "float32[B,2,4]"),
        OpShapeCase("Einsum", [.tensor(.float, [2, 3])], [("equation", .string("ij->ji"))], expect: "float32[3,2]"),
        OpShapeCase(
            "Einsum", [.tensor(.float, [5, 2, 3]), .tensor(.float, [3, 4])], [("equation", .string("...ij,jk->...ik"))],
            expect: "float32[5,2,4]"),
        OpShapeCase(
            "Einsum", [.tensor(.float, [2, 3]), .tensor(.float, [3, 4])], [("equation", .string("ij,jk"))], expect: "float32[2,4]"),
        OpShapeCase("Einsum", [.tensor(.float, [3, 3])], [("equation", .string("ii->i"))], expect: "float32[3]"),
        OpShapeCase("Einsum", [.tensor(.float, [3])], [("equation", .string("i,i->"))], expect: "float32[...]"),
        OpShapeCase("Einsum", [.tensor(.float, [3]), .tensor(.float, [3])], [("equation", .string("i,i->"))], expect: "float32[]"),
    ]

    static let recurrent: [OpShapeCase] = [
        OpShapeCase(
            "LSTM", [.tensor(.float, [5, 2, 10]), .weight([1, 40, 10]), .weight([1, 40, 10])], [("hidden_size", .int(10))], outputs: 3,
            expect: "float32[5,1,2,10]", "float32[1,2,10]", "float32[1,2,10]"),
        OpShapeCase(
            "LSTM", [.tensor(.float, ["B", "S", 10]), .weight([2, 40, 10]), .weight([2, 40, 10])],
            [("hidden_size", .int(10)), ("direction", .string("bidirectional")), ("layout", .int(1))], outputs: 3,
            expect: "float32[B,S,2,10]", "float32[B,2,10]", "float32[B,2,10]"),
        OpShapeCase(
            "GRU", [.tensor(.float, ["S", "B", 8]), .weight([1, 48, 8]), .weight([1, 48, 16])], outputs: 2,
            expect: "float32[S,1,B,16]", "float32[1,B,16]"),
        OpShapeCase(
            "RNN", [.tensor(.float, [7, 1, 4]), .weight([1, 3, 4]), .weight([1, 3, 3])],
            [("direction", .string("reverse")), ("hidden_size", .int(3))],
            outputs: 2, expect: "float32[7,1,1,3]", "float32[1,1,3]"),
    ]

    static let unknown: [OpShapeCase] = [
        OpShapeCase("Frobnicate", [.tensor(.float, [2])], expect: "unknown"),
        OpShapeCase("Relu", [.tensor(.float, [2])], domain: "com.example", expect: "unknown"),
        OpShapeCase("Relu", [.tensor(.float, nil)], expect: "float32[...]"),
        OpShapeCase("Relu", [.absent], expect: "unknown"),
    ]

    @Test(arguments: reductions) func reduce(_ c: OpShapeCase) { #expect(c.inferredOutputs() == c.expected) }
    @Test(arguments: generators) func generate(_ c: OpShapeCase) { #expect(c.inferredOutputs() == c.expected) }
    @Test(arguments: einsum) func einsumEquations(_ c: OpShapeCase) { #expect(c.inferredOutputs() == c.expected) }
    @Test(arguments: recurrent) func recurrentLayers(_ c: OpShapeCase) { #expect(c.inferredOutputs() == c.expected) }
    @Test(arguments: unknown) func opsWithoutRulesStayUnknown(_ c: OpShapeCase) { #expect(c.inferredOutputs() == c.expected) }
}
