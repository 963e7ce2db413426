import ONNXIR
import TestSupport
import Testing

/// Shape inference of the ops that carry most compute: Conv and ConvTranspose (pads, strides,
/// dilations, groups, auto_pad, output_padding, output_shape), pooling, Gemm and MatMul.
@Suite struct ConvPoolMatMulShapeTests {
    static let conv: [OpShapeCase] = [
        OpShapeCase(
            "Conv", [.tensor(.float, ["N", 3, 32, 32]), .weight([16, 3, 3, 3])], [("pads", .ints([1, 1, 1, 1]))],
            expect: "float32[N,16,32,32]"),
        OpShapeCase(
            "Conv", [.tensor(.float, [1, 3, 32, 32]), .weight([8, 3, 3, 3])], [("strides", .ints([2, 2]))], expect: "float32[1,8,15,15]"),
        OpShapeCase(
            "Conv", [.tensor(.float, [1, 3, 32, 32]), .weight([8, 3, 3, 3])], [("dilations", .ints([2, 2]))], expect: "float32[1,8,28,28]"),
        OpShapeCase(
            "Conv", [.tensor(.float, [1, 16, 10, 10]), .weight([16, 1, 3, 3])], [("group", .int(16)), ("pads", .ints([1, 1, 1, 1]))],
            expect: "float32[1,16,10,10]"),
        OpShapeCase(
            "Conv", [.tensor(.float, [1, 3, 11, 11]), .weight([4, 3, 3, 3])],
            [("auto_pad", .string("SAME_UPPER")), ("strides", .ints([2, 2]))],
            expect: "float32[1,4,6,6]"),
        OpShapeCase(
            "Conv", [.tensor(.float, [1, 3, 11, 11]), .weight([4, 3, 3, 3])],
            [("auto_pad", .string("VALID")), ("strides", .ints([2, 2]))],
            expect: "float32[1,4,5,5]"),
        OpShapeCase("Conv", [.tensor(.float, [2, 4, 100]), .weight([8, 4, 5])], expect: "float32[2,8,96]"),
        OpShapeCase("Conv", [.tensor(.float, [1, 3, "H", "W"]), .weight([8, 3, 3, 3])], expect: "float32[1,8,?,?]"),
        OpShapeCase("Conv", [.tensor(.float, [1, 3, "H", "W"]), .weight([8, 3, 1, 1])], expect: "float32[1,8,H,W]"),
        OpShapeCase(
            "Conv", [.tensor(.float, [1, 3, 8, 8]), .weight([8, 3, 3, 3]), .weight([8])], [("kernel_shape", .ints([3, 3]))],
            expect: "float32[1,8,6,6]"),
        OpShapeCase(
            "ConvTranspose", [.tensor(.float, [1, 16, 8, 8]), .weight([16, 8, 4, 4])],
            [("strides", .ints([2, 2])), ("pads", .ints([1, 1, 1, 1]))],
            expect: "float32[1,8,16,16]"),
        OpShapeCase(
            "ConvTranspose", [.tensor(.float, [1, 16, 8, 8]), .weight([16, 8, 3, 3])],
            [("strides", .ints([2, 2])), ("pads", .ints([1, 1, 1, 1])), ("output_padding", .ints([1, 1]))], expect: "float32[1,8,16,16]"),
        OpShapeCase(
            "ConvTranspose", [.tensor(.float, [1, 16, 5, 5]), .weight([16, 4, 3, 3])], [("group", .int(2))], expect: "float32[1,8,7,7]"),
        OpShapeCase(
            "ConvTranspose", [.tensor(.float, [1, 16, 8, 8]), .weight([16, 8, 3, 3])],
            [("strides", .ints([2, 2])), ("output_shape", .ints([20, 20]))],
            expect: "float32[1,8,20,20]"),
        OpShapeCase(
            "ConvTranspose", [.tensor(.float, [1, 16, 8, 8]), .weight([16, 8, 3, 3])],
            [("strides", .ints([2, 2])), ("auto_pad", .string("SAME_UPPER"))], expect: "float32[1,8,16,16]"),
        OpShapeCase(
            "ConvTranspose", [.tensor(.float, [1, 4, 5, 5]), .weight([4, 2, 3, 3])], [("dilations", .ints([2, 2]))],
            expect: "float32[1,2,9,9]"),
        OpShapeCase("ConvTranspose", [.tensor(.float, ["N", 4, "H", 5]), .weight([4, 2, 3, 3])], expect: "float32[N,2,?,7]"),
        OpShapeCase(
            "QLinearConv",
            [
                .tensor(.uint8, [1, 3, 8, 8]), .tensor(.float, []), .tensor(.uint8, []), .tensor(.int8, [4, 3, 1, 1]), .tensor(.float, []),
                .tensor(.int8, []), .tensor(.float, []), .tensor(.int8, []),
            ], expect: "int8[1,4,8,8]"),
        OpShapeCase("ConvInteger", [.tensor(.uint8, [1, 3, 8, 8]), .tensor(.uint8, [4, 3, 3, 3])], expect: "int32[1,4,6,6]"),
    ]

    static let pooling: [OpShapeCase] = [
        OpShapeCase(
            "MaxPool", [.tensor(.float, [1, 8, 9, 9])], [("kernel_shape", .ints([3, 3])), ("strides", .ints([2, 2]))],
            expect: "float32[1,8,4,4]"),
        OpShapeCase(
            "MaxPool", [.tensor(.float, [1, 8, 10, 10])], [("kernel_shape", .ints([3, 3])), ("strides", .ints([2, 2]))],
            expect: "float32[1,8,4,4]"),
        OpShapeCase(
            "MaxPool", [.tensor(.float, [1, 8, 10, 10])],
            [("kernel_shape", .ints([3, 3])), ("strides", .ints([2, 2])), ("ceil_mode", .int(1))],
            expect: "float32[1,8,5,5]"),
        OpShapeCase(
            "MaxPool", [.tensor(.float, [1, 8, 9, 9])], [("kernel_shape", .ints([3, 3])), ("strides", .ints([2, 2]))], outputs: 2,
            expect: "float32[1,8,4,4]", "int64[1,8,4,4]"),
        OpShapeCase(
            "MaxPool", [.tensor(.float, [1, 8, 9, 9])],
            [("kernel_shape", .ints([3, 3])), ("strides", .ints([2, 2])), ("auto_pad", .string("SAME_LOWER"))], expect: "float32[1,8,5,5]"),
        OpShapeCase(
            "MaxPool", [.tensor(.float, [1, 8, 9, 9])],
            [("kernel_shape", .ints([3, 3])), ("strides", .ints([2, 2])), ("auto_pad", .string("VALID"))],
            expect: "float32[1,8,4,4]"),
        OpShapeCase(
            "MaxPool", [.tensor(.float, [1, 1, 10, 10])], [("kernel_shape", .ints([3, 3])), ("dilations", .ints([2, 2]))],
            expect: "float32[1,1,6,6]"),
        OpShapeCase(
            "MaxPool", [.tensor(.float, [1, 4, 9])], [("kernel_shape", .ints([2])), ("strides", .ints([2]))], expect: "float32[1,4,4]"),
        OpShapeCase(
            "AveragePool", [.tensor(.float, ["N", 3, 7, 7])], [("kernel_shape", .ints([3, 3])), ("pads", .ints([1, 1, 1, 1]))],
            expect: "float32[N,3,7,7]"),
        OpShapeCase(
            "LpPool", [.tensor(.float, [1, 2, 8, 8])], [("kernel_shape", .ints([2, 2])), ("strides", .ints([2, 2]))],
            expect: "float32[1,2,4,4]"),
        OpShapeCase("GlobalAveragePool", [.tensor(.float, ["N", 64, 7, 7])], expect: "float32[N,64,1,1]"),
        OpShapeCase("GlobalMaxPool", [.tensor(.float, [2, 3, 10])], expect: "float32[2,3,1]"),
        OpShapeCase("MaxPool", [.tensor(.float, [1, 8, 9, 9])], expect: "float32[...]"),
    ]

    static let matmul: [OpShapeCase] = [
        OpShapeCase("Gemm", [.tensor(.float, [4, 8]), .tensor(.float, [8, 10])], expect: "float32[4,10]"),
        OpShapeCase("Gemm", [.tensor(.float, [8, 4]), .tensor(.float, [8, 10])], [("transA", .int(1))], expect: "float32[4,10]"),
        OpShapeCase(
            "Gemm", [.tensor(.float, ["N", 8]), .weight([10, 8]), .weight([10])], [("transB", .int(1))], expect: "float32[N,10]"),
        OpShapeCase("MatMul", [.tensor(.float, ["N", 1, 4, 8]), .tensor(.float, [3, 8, 5])], expect: "float32[N,3,4,5]"),
        OpShapeCase("MatMul", [.tensor(.float, [8]), .tensor(.float, [8, 5])], expect: "float32[5]"),
        OpShapeCase("MatMul", [.tensor(.float, [4, 8]), .tensor(.float, [8])], expect: "float32[4]"),
        OpShapeCase("MatMul", [.tensor(.float, [8]), .tensor(.float, [8])], expect: "float32[]"),
        OpShapeCase("MatMul", [.tensor(.float, ["B", "S", 64]), .weight([64, 256])], expect: "float32[B,S,256]"),
        OpShapeCase("MatMul", [.tensor(.float, ["B", 12, "S", 64]), .tensor(.float, ["B", 12, 64, "S"])], expect: "float32[B,12,S,S]"),
        OpShapeCase("MatMulInteger", [.tensor(.uint8, [2, 4]), .tensor(.int8, [4, 3])], expect: "int32[2,3]"),
        OpShapeCase(
            "QLinearMatMul",
            [
                .tensor(.uint8, [2, 4]), .tensor(.float, []), .tensor(.uint8, []), .tensor(.uint8, [4, 3]), .tensor(.float, []),
                .tensor(.uint8, []), .tensor(.float, []), .tensor(.uint8, []),
            ], expect: "uint8[2,3]"),
        OpShapeCase(
            "FusedMatMul", [.tensor(.float, [2, 4]), .tensor(.float, [3, 4])], [("transB", .int(1))], domain: "com.microsoft",
            expect: "float32[2,3]"),
    ]

    @Test(arguments: conv) func convolution(_ c: OpShapeCase) { #expect(c.inferredOutputs() == c.expected) }
    @Test(arguments: pooling) func pool(_ c: OpShapeCase) { #expect(c.inferredOutputs() == c.expected) }
    @Test(arguments: matmul) func matrixProduct(_ c: OpShapeCase) { #expect(c.inferredOutputs() == c.expected) }
}
