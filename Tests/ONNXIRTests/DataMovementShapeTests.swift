import ONNXIR
import TestSupport
import Testing

/// Shape inference of data movement and shape computation: Reshape, Transpose, Concat, Split,
/// Slice, Gather*, Squeeze/Unsqueeze, Flatten, Shape, Expand, Tile, Pad, Resize, and the
/// opset-dependent forms of their arguments (attribute before, input after).
@Suite struct DataMovementShapeTests {
    static let reshape: [OpShapeCase] = [
        OpShapeCase("Reshape", [.tensor(.float, ["N", 4, 128]), .ints([0, -1, 64])], expect: "float32[N,8,64]"),
        OpShapeCase("Reshape", [.tensor(.float, [2, 3, 4]), .ints([-1])], expect: "float32[24]"),
        OpShapeCase("Reshape", [.tensor(.float, [2, 3, 4]), .ints([4, -1])], expect: "float32[4,6]"),
        OpShapeCase("Reshape", [.tensor(.float, [2, 3, 4]), .ints([0, 0, -1])], expect: "float32[2,3,4]"),
        OpShapeCase("Reshape", [.tensor(.float, [0, 4]), .ints([0, 4])], [("allowzero", .int(1))], opset: 14, expect: "float32[0,4]"),
        OpShapeCase("Reshape", [.tensor(.float, ["N", "S", 64]), .ints([0, 0, 8, 8])], expect: "float32[N,S,8,8]"),
        OpShapeCase("Reshape", [.tensor(.float, ["N", "S", 64]), .ints([-1, 64])], expect: "float32[?,64]"),
        OpShapeCase("Reshape", [.tensor(.float, ["N", 6]), .ints([-1, -1])], expect: "float32[?,?]"),
        OpShapeCase("Reshape", [.tensor(.float, [2, 3]), .tensor(.int64, [3])], expect: "float32[?,?,?]"),
        OpShapeCase("Reshape", [.tensor(.float, [2, 3]), .ints([-5, 3])], expect: "float32[?,3]"),
        OpShapeCase("Flatten", [.tensor(.float, ["N", 3, 4, 5])], expect: "float32[N,60]"),
        OpShapeCase("Flatten", [.tensor(.float, [2, 3, 4, 5])], [("axis", .int(2))], expect: "float32[6,20]"),
        OpShapeCase("Flatten", [.tensor(.float, [2, 3, 4, 5])], [("axis", .int(-1))], expect: "float32[24,5]"),
        OpShapeCase("Flatten", [.tensor(.float, [2, 3])], [("axis", .int(0))], expect: "float32[1,6]"),
        OpShapeCase("Transpose", [.tensor(.float, [2, 3, 4])], expect: "float32[4,3,2]"),
        OpShapeCase("Transpose", [.tensor(.float, ["N", 3, 8, 9])], [("perm", .ints([0, 2, 3, 1]))], expect: "float32[N,8,9,3]"),
        OpShapeCase("Transpose", [.tensor(.float, [2, 3])], [("perm", .ints([0, 0]))], expect: "float32[...]"),
        OpShapeCase("Squeeze", [.tensor(.float, ["N", 1, 4])], [("axes", .ints([1]))], opset: 11, expect: "float32[N,4]"),
        OpShapeCase("Squeeze", [.tensor(.float, ["N", 1, 4]), .ints([-2])], opset: 13, expect: "float32[N,4]"),
        OpShapeCase("Squeeze", [.tensor(.float, [1, 3, 1])], expect: "float32[3]"),
        OpShapeCase("Squeeze", [.tensor(.float, ["N", 1])], expect: "float32[...]"),
        OpShapeCase("Squeeze", [.tensor(.float, [2, 3]), .ints([0])], expect: "float32[...]"),
        OpShapeCase("Unsqueeze", [.tensor(.float, [2, 3])], [("axes", .ints([0, 3]))], opset: 11, expect: "float32[1,2,3,1]"),
        OpShapeCase("Unsqueeze", [.tensor(.float, [2, 3]), .ints([-1])], opset: 13, expect: "float32[2,3,1]"),
        OpShapeCase("Unsqueeze", [.tensor(.float, [2, 3]), .ints([0, 0])], expect: "float32[...]"),
        OpShapeCase("Unsqueeze", [.tensor(.float, [2, 3])], [("axes", .ints([0]))], opset: 13, expect: "float32[...]"),
        OpShapeCase("Expand", [.tensor(.float, [3, 1]), .ints([2, 3, 4])], expect: "float32[2,3,4]"),
        OpShapeCase("Expand", [.tensor(.float, ["N", 1]), .ints([1, 5])], expect: "float32[N,5]"),
        OpShapeCase("Tile", [.tensor(.float, [2, 3]), .ints([2, 2])], expect: "float32[4,6]"),
        OpShapeCase("Tile", [.tensor(.float, ["N", 3]), .ints([1, 4])], expect: "float32[N,12]"),
        OpShapeCase("DepthToSpace", [.tensor(.float, [1, 16, 4, 4])], [("blocksize", .int(2))], expect: "float32[1,4,8,8]"),
        OpShapeCase("SpaceToDepth", [.tensor(.float, [1, 16, 4, 4])], [("blocksize", .int(2))], expect: "float32[1,64,2,2]"),
    ]

    static let joinAndCut: [OpShapeCase] = [
        OpShapeCase(
            "Concat", [.tensor(.float, ["N", 3, 8]), .tensor(.float, ["N", 5, 8])], [("axis", .int(1))], expect: "float32[N,8,8]"),
        OpShapeCase("Concat", [.tensor(.float, [2, 3]), .tensor(.float, [2, 4])], [("axis", .int(-1))], expect: "float32[2,7]"),
        OpShapeCase("Concat", [.tensor(.float, ["N", 3]), .tensor(.float, ["M", 3])], [("axis", .int(0))], expect: "float32[?,3]"),
        OpShapeCase(
            "Split", [.tensor(.float, ["N", 6]), .ints([2, 4])], [("axis", .int(1))], outputs: 2, opset: 13, expect: "float32[N,2]",
            "float32[N,4]"),
        OpShapeCase(
            "Split", [.tensor(.float, ["N", 6])], [("axis", .int(1)), ("split", .ints([1, 5]))], outputs: 2, opset: 11,
            expect: "float32[N,1]", "float32[N,5]"),
        OpShapeCase(
            "Split", [.tensor(.float, [6, 9])], [("axis", .int(1))], outputs: 3, expect: "float32[6,3]", "float32[6,3]", "float32[6,3]"),
        OpShapeCase(
            "Split", [.tensor(.float, [10])], [("num_outputs", .int(3))], outputs: 3, opset: 18, expect: "float32[4]", "float32[4]",
            "float32[2]"),
        OpShapeCase("Split", [.tensor(.float, ["N", 4])], outputs: 2, expect: "float32[?,4]", "float32[?,4]"),
        OpShapeCase(
            "Slice", [.tensor(.float, [10, 20, 30]), .ints([0, 1]), .ints([5, -1]), .ints([0, 2])], opset: 13, expect: "float32[5,20,28]"),
        OpShapeCase("Slice", [.tensor(.float, [10]), .ints([-1]), .ints([Int64.min]), .ints([0]), .ints([-1])], expect: "float32[10]"),
        OpShapeCase("Slice", [.tensor(.float, [10]), .ints([2]), .ints([1000])], expect: "float32[8]"),
        OpShapeCase("Slice", [.tensor(.float, [10]), .ints([0]), .ints([10]), .absent, .ints([3])], expect: "float32[4]"),
        OpShapeCase("Slice", [.tensor(.float, [10]), .ints([8]), .ints([1]), .ints([0]), .ints([-2])], expect: "float32[4]"),
        OpShapeCase("Slice", [.tensor(.float, [10]), .ints([-100]), .ints([Int64.min]), .ints([0]), .ints([-1])], expect: "float32[1]"),
        OpShapeCase("Slice", [.tensor(.float, ["N", 20]), .ints([0]), .ints([Int64.max]), .ints([0])], expect: "float32[N,20]"),
        OpShapeCase("Slice", [.tensor(.float, ["N", 20]), .ints([1]), .ints([3]), .ints([0])], expect: "float32[?,20]"),
        OpShapeCase(
            "Slice", [.tensor(.float, [4, 5])], [("starts", .ints([1])), ("ends", .ints([3])), ("axes", .ints([1]))], opset: 9,
            expect: "float32[4,2]"),
        OpShapeCase("Slice", [.tensor(.float, [4, 5]), .tensor(.int64, [1]), .ints([3])], expect: "float32[?,?]"),
        OpShapeCase("Pad", [.tensor(.float, [1, 3, 4, 4]), .ints([0, 0, 1, 1, 0, 0, 1, 1])], opset: 11, expect: "float32[1,3,6,6]"),
        OpShapeCase(
            "Pad", [.tensor(.float, [1, 3, 4, 4])], [("pads", .ints([0, 0, 2, 0, 0, 0, 2, 0]))], opset: 2, expect: "float32[1,3,8,4]"),
        OpShapeCase("Pad", [.tensor(.float, ["N", 3, 4, 4]), .ints([1, 2]), .absent, .ints([2])], opset: 18, expect: "float32[N,3,7,4]"),
        OpShapeCase("Pad", [.tensor(.float, [1, 3, 4, 4]), .ints([0, 0, -1, -1, 0, 0, -1, -1])], expect: "float32[1,3,2,2]"),
        OpShapeCase("Pad", [.tensor(.float, [1, 3]), .tensor(.int64, [4])], expect: "float32[?,?]"),
    ]

    static let indexing: [OpShapeCase] = [
        OpShapeCase("Gather", [.tensor(.float, [5, 6, 7]), .tensor(.int64, [2, 3])], [("axis", .int(1))], expect: "float32[5,2,3,7]"),
        OpShapeCase("Gather", [.tensor(.float, [5, 6, 7]), .scalar(0)], expect: "float32[6,7]"),
        OpShapeCase("Gather", [.tensor(.float, ["V", 512]), .tensor(.int64, ["B", "S"])], expect: "float32[B,S,512]"),
        OpShapeCase("Gather", [.tensor(.float, [5, 6]), .tensor(.int64, [])], [("axis", .int(-1))], expect: "float32[5]"),
        OpShapeCase("GatherElements", [.tensor(.float, [3, 4]), .tensor(.int64, [3, 2])], [("axis", .int(1))], expect: "float32[3,2]"),
        OpShapeCase("GatherND", [.tensor(.float, [2, 3, 4]), .tensor(.int64, [2, 1])], expect: "float32[2,3,4]"),
        OpShapeCase("GatherND", [.tensor(.float, [2, 3, 4]), .tensor(.int64, [5, 2])], expect: "float32[5,4]"),
        OpShapeCase(
            "GatherND", [.tensor(.float, [2, 3, 4]), .tensor(.int64, [2, 1])], [("batch_dims", .int(1))], expect: "float32[2,4]"),
        OpShapeCase("Compress", [.tensor(.float, [3, 4]), .tensor(.bool, [4])], [("axis", .int(1))], expect: "float32[3,?]"),
        OpShapeCase("Compress", [.tensor(.float, [3, 4]), .tensor(.bool, [12])], expect: "float32[?]"),
        OpShapeCase("NonZero", [.tensor(.float, [3, 4])], expect: "int64[2,?]"),
        OpShapeCase("OneHot", [.tensor(.int64, ["N", 3]), .scalar(10), .floats([0, 1])], expect: "float32[N,3,10]"),
        OpShapeCase(
            "OneHot", [.tensor(.int64, ["N", 3]), .floatScalar(5), .floats([0, 1])], [("axis", .int(0))], expect: "float32[5,N,3]"),
        OpShapeCase("TopK", [.tensor(.float, [3, 10]), .ints([4])], outputs: 2, opset: 11, expect: "float32[3,4]", "int64[3,4]"),
        OpShapeCase(
            "TopK", [.tensor(.float, [3, 10])], [("k", .int(2)), ("axis", .int(0))], outputs: 2, opset: 1, expect: "float32[2,10]",
            "int64[2,10]"),
        OpShapeCase("ArgMax", [.tensor(.float, [2, 3, 4])], [("axis", .int(1))], expect: "int64[2,1,4]"),
        OpShapeCase("ArgMin", [.tensor(.float, [2, 3, 4])], [("axis", .int(-1)), ("keepdims", .int(0))], expect: "int64[2,3]"),
    ]

    static let resize: [OpShapeCase] = [
        OpShapeCase(
            "Resize", [.tensor(.float, [1, 3, 10, 10]), .absent, .floats([1, 1, 2, 2])], opset: 13, expect: "float32[1,3,20,20]"),
        OpShapeCase(
            "Resize", [.tensor(.float, ["N", 3, 10, 10]), .floats([]), .floats([]), .ints([1, 3, 7, 9])], opset: 13,
            expect: "float32[1,3,7,9]"),
        OpShapeCase(
            "Resize", [.tensor(.float, ["N", 3, 10, 10]), .absent, .floats([1, 1, 0.5, 1.5])], opset: 13, expect: "float32[N,3,5,15]"),
        OpShapeCase(
            "Resize", [.tensor(.float, ["N", 3, 10, 10]), .absent, .absent, .ints([5, 6])], [("axes", .ints([2, 3]))], opset: 18,
            expect: "float32[N,3,5,6]"),
        OpShapeCase(
            "Resize", [.tensor(.float, [1, 3, 10, 10]), .absent, .absent, .ints([5, 8])],
            [("axes", .ints([2, 3])), ("keep_aspect_ratio_policy", .string("not_larger"))], opset: 18, expect: "float32[1,3,5,5]"),
        OpShapeCase("Resize", [.tensor(.float, [1, 3, 4, 4]), .floats([1, 1, 2, 2])], opset: 10, expect: "float32[1,3,8,8]"),
        OpShapeCase("Resize", [.tensor(.float, [1, 3, 4, 4]), .absent, .tensor(.float, [4])], opset: 13, expect: "float32[?,?,?,?]"),
        OpShapeCase("Upsample", [.tensor(.float, [1, 3, 4, 4]), .floats([1, 1, 2, 3])], opset: 9, expect: "float32[1,3,8,12]"),
        OpShapeCase(
            "Upsample", [.tensor(.float, [1, 3, 4, 4])], [("scales", .floats([1, 1, 2, 2]))], opset: 7, expect: "float32[1,3,8,8]"),
    ]

    @Test(arguments: reshape) func rearrange(_ c: OpShapeCase) { #expect(c.inferredOutputs() == c.expected) }
    @Test(arguments: joinAndCut) func concatSplitSlicePad(_ c: OpShapeCase) { #expect(c.inferredOutputs() == c.expected) }
    @Test(arguments: indexing) func gatherAndFriends(_ c: OpShapeCase) { #expect(c.inferredOutputs() == c.expected) }
    @Test(arguments: resize) func resizeAndUpsample(_ c: OpShapeCase) { #expect(c.inferredOutputs() == c.expected) }
}
