import ONNXIR
import TestSupport
import Testing

/// Elementwise ops: NumPy broadcasting over symbolic dims (1 vs d -> d, equal symbols stay,
/// known vs symbol -> known, two different symbols -> unknown), element types of comparisons,
/// casts and quantization, and the normalizations.
@Suite struct ElementwiseShapeTests {
    static let broadcasting: [OpShapeCase] = [
        OpShapeCase("Add", [.tensor(.float, ["N", 1, 4]), .tensor(.float, [3, 1])], expect: "float32[N,3,4]"),
        OpShapeCase("Mul", [.tensor(.float, [2, 3]), .tensor(.float, [])], expect: "float32[2,3]"),
        OpShapeCase("Sub", [.tensor(.float, ["A", 3]), .tensor(.float, ["B", 3])], expect: "float32[?,3]"),
        OpShapeCase("Div", [.tensor(.float, ["A", 1]), .tensor(.float, [1, "A"])], expect: "float32[A,A]"),
        OpShapeCase("Pow", [.tensor(.float, [5]), .tensor(.float, [4, 1])], expect: "float32[4,5]"),
        OpShapeCase("Add", [.tensor(.float, ["N", 4]), .tensor(.float, [7, 4])], expect: "float32[7,4]"),
        OpShapeCase("Max", [.tensor(.float, [1, 5]), .tensor(.float, [4, 1]), .tensor(.float, [1])], expect: "float32[4,5]"),
        OpShapeCase("Min", [.tensor(.float, [2, 1]), .tensor(.float, [2, 6])], expect: "float32[2,6]"),
        OpShapeCase("Sum", [.tensor(.float, [3]), .tensor(.float, [2, 3]), .tensor(.float, [2, 1])], expect: "float32[2,3]"),
        OpShapeCase("Mean", [.tensor(.float, ["S", 8])], expect: "float32[S,8]"),
        OpShapeCase("Mod", [.tensor(.int32, [4]), .tensor(.int32, [])], expect: "int32[4]"),
        OpShapeCase("BitShift", [.tensor(.uint8, [3, 1]), .tensor(.uint8, [3])], [("direction", .string("LEFT"))], expect: "uint8[3,3]"),
        OpShapeCase("PRelu", [.tensor(.float, ["N", 3, 8, 8]), .weight([3, 1, 1])], expect: "float32[N,3,8,8]"),
        OpShapeCase("Equal", [.tensor(.int64, ["N", 1]), .tensor(.int64, [5])], expect: "bool[N,5]"),
        OpShapeCase("Less", [.tensor(.float, [2]), .tensor(.float, [2])], expect: "bool[2]"),
        OpShapeCase("Greater", [.tensor(.float, [2, 2]), .tensor(.float, [])], expect: "bool[2,2]"),
        OpShapeCase("LessOrEqual", [.tensor(.float, [3]), .tensor(.float, [1])], expect: "bool[3]"),
        OpShapeCase("GreaterOrEqual", [.tensor(.float, [3]), .tensor(.float, [3])], expect: "bool[3]"),
        OpShapeCase("And", [.tensor(.bool, [4, 1]), .tensor(.bool, [1, 4])], expect: "bool[4,4]"),
        OpShapeCase("Or", [.tensor(.bool, [4]), .tensor(.bool, [4])], expect: "bool[4]"),
        OpShapeCase("Xor", [.tensor(.bool, ["N"]), .tensor(.bool, ["N"])], expect: "bool[N]"),
        OpShapeCase("Where", [.tensor(.bool, ["N", 1]), .tensor(.float, [1, 4]), .tensor(.float, [])], expect: "float32[N,4]"),
        OpShapeCase("Add", [.tensor(.float, nil), .tensor(.float, [3])], expect: "float32[...]"),
    ]

    static let unaryOps = [
        "Relu", "Sigmoid", "Tanh", "Erf", "Gelu", "HardSigmoid", "HardSwish", "LeakyRelu", "Clip", "Exp", "Log", "Sqrt", "Neg", "Abs",
        "Identity", "Softplus", "Elu", "Selu", "Softsign", "Round", "Floor", "Ceil", "Sign", "Reciprocal", "Sin", "Cos", "Tan", "Asin",
        "Acos", "Atan", "Sinh", "Cosh", "Mish", "Celu", "ThresholdedRelu", "Softmax", "LogSoftmax", "Hardmax", "CumSum", "Trilu",
        "InstanceNormalization", "GroupNormalization", "LRN", "MeanVarianceNormalization", "ScatterND", "ScatterElements",
    ]

    @Test(arguments: unaryOps) func unaryKeepsShapeAndType(_ op: String) {
        let c = OpShapeCase(op, [.tensor(.float16, ["N", 3, 7])], expect: "float16[N,3,7]")
        #expect(c.inferredOutputs() == c.expected)
    }

    @Test(arguments: ["Gelu", "FastGelu", "QuickGelu", "BiasGelu"]) func microsoftActivations(_ op: String) {
        let c = OpShapeCase(op, [.tensor(.float, ["B", "S", 768])], domain: "com.microsoft", expect: "float32[B,S,768]")
        #expect(c.inferredOutputs() == c.expected)
    }

    static let types: [OpShapeCase] = [
        OpShapeCase("Not", [.tensor(.bool, [2, 3])], expect: "bool[2,3]"),
        OpShapeCase("IsNaN", [.tensor(.float, [2, 3])], expect: "bool[2,3]"),
        OpShapeCase("IsInf", [.tensor(.double, ["N"])], expect: "bool[N]"),
        OpShapeCase("Dropout", [.tensor(.float, ["N", 10])], outputs: 2, expect: "float32[N,10]", "bool[N,10]"),
        OpShapeCase("Cast", [.tensor(.float, ["N", 3])], [("to", .int(7))], expect: "int64[N,3]"),
        OpShapeCase("Cast", [.tensor(.float, ["N", 3])], [("to", .int(999))], expect: "unknown"),
        OpShapeCase("Cast", [.tensor(.float, ["N", 3])], [("to", .int(1 << 40))], expect: "unknown"),
        OpShapeCase("CastLike", [.tensor(.float, [2]), .tensor(.float16, [])], expect: "float16[2]"),
        OpShapeCase("Shape", [.tensor(.float, ["N", 3, 224])], expect: "int64[3]"),
        OpShapeCase("Size", [.tensor(.float, ["N", 3])], expect: "int64[]"),
        OpShapeCase("QuantizeLinear", [.tensor(.float, ["N", 4]), .tensor(.float, []), .tensor(.int8, [])], expect: "int8[N,4]"),
        OpShapeCase("QuantizeLinear", [.tensor(.float, ["N", 4]), .tensor(.float, [])], expect: "uint8[N,4]"),
        OpShapeCase(
            "QuantizeLinear", [.tensor(.float, [4]), .tensor(.float, [])], [("output_dtype", .int(3))], opset: 21, expect: "int8[4]"),
        OpShapeCase("DequantizeLinear", [.tensor(.int8, ["N", 4]), .tensor(.float16, [])], expect: "float16[N,4]"),
        OpShapeCase("DequantizeLinear", [.tensor(.int8, [4]), .tensor(.float, []), .tensor(.int8, [])], expect: "float32[4]"),
        OpShapeCase(
            "DynamicQuantizeLinear", [.tensor(.float, ["N", 16])], outputs: 3, expect: "uint8[N,16]", "float32[]", "uint8[]"),
    ]

    static let normalization: [OpShapeCase] = [
        OpShapeCase(
            "BatchNormalization", [.tensor(.float, ["N", 16, 8, 8]), .weight([16]), .weight([16]), .weight([16]), .weight([16])],
            expect: "float32[N,16,8,8]"),
        OpShapeCase(
            "BatchNormalization", [.tensor(.float, ["N", 16, 8, 8]), .weight([16]), .weight([16]), .weight([16]), .weight([16])],
            [("training_mode", .int(1))], outputs: 3, opset: 15, expect: "float32[N,16,8,8]", "float32[16]", "float32[16]"),
        OpShapeCase(
            "BatchNormalization", [.tensor(.float, [2, 4, 5]), .weight([4]), .weight([4]), .weight([4]), .weight([4])], outputs: 5,
            opset: 9,
            expect: "float32[2,4,5]", "float32[4]", "float32[4]", "float32[4]", "float32[4]"),
        OpShapeCase(
            "LayerNormalization", [.tensor(.float, ["N", "S", 64]), .weight([64]), .weight([64])], outputs: 3,
            expect: "float32[N,S,64]", "float32[N,S,1]", "float32[N,S,1]"),
        OpShapeCase(
            "LayerNormalization", [.tensor(.float16, ["N", "S", 64]), .weight([64])], [("axis", .int(1))], outputs: 3,
            expect: "float16[N,S,64]", "float32[N,1,1]", "float32[N,1,1]"),
        OpShapeCase(
            "SkipLayerNormalization", [.tensor(.float, ["B", "S", 64]), .tensor(.float, ["B", "S", 64]), .weight([64])], outputs: 4,
            domain: "com.microsoft", expect: "float32[B,S,64]", "unknown", "unknown", "float32[B,S,64]"),
    ]

    @Test(arguments: broadcasting) func broadcast(_ c: OpShapeCase) { #expect(c.inferredOutputs() == c.expected) }
    @Test(arguments: types) func elementTypes(_ c: OpShapeCase) { #expect(c.inferredOutputs() == c.expected) }
    @Test(arguments: normalization) func normalize(_ c: OpShapeCase) { #expect(c.inferredOutputs() == c.expected) }
}
