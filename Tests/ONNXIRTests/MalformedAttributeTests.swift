import TestSupport
import Testing

@testable import ONNXIR

/// Garbage in, unknown out: inference never throws and never traps, whatever attributes and
/// constant arguments a malformed model carries.
@Suite struct MalformedAttributeTests {
    static let ops: [String] = OpShapeRules.rules.keys.sorted()
    static let attributeNames = [
        "axis", "axes", "perm", "kernel_shape", "strides", "pads", "dilations", "group", "auto_pad", "ceil_mode", "output_padding",
        "output_shape", "to", "dtype", "blocksize", "keepdims", "split", "num_outputs", "starts", "ends", "k", "hidden_size", "layout",
        "start", "end", "scales", "transA", "batch_dims", "num_scan_inputs", "value", "N", "output_dtype", "stash_type", "equation",
        "scan_input_axes", "scan_output_axes", "keep_aspect_ratio_policy",
    ]
    static let garbage: [OpShapeCase.Attr] = [
        .int(0), .int(-1), .int(.max), .int(.min), .ints([]), .ints([.max, .max, .max, .max]), .ints([.min, -1, 0, 5, 0, 0, 0, 0]),
        .floats([.nan, .infinity]), .string("...->,..."), .tensor(.float32(dims: [], values: [1])),
    ]
    static let shapes: [[DimensionLiteral]?] = [[2, 3, 4, 5], ["N", 0, 9_223_372_036_854_775_807], [], nil]
    static let constants: [OpShapeCase.Input] = [
        .ints([0, -1, .max, .min]), .scalar(.max), .floats([.infinity, .nan]), .floatScalar(1e30), .ints([]),
    ]

    @Test(arguments: ops) func garbageNeverTraps(op: String) {
        var round = 0
        for name in Self.attributeNames {
            for shape in Self.shapes {
                // Rotate through the garbage values and constants instead of taking every combination.
                round += 1
                let attr = Self.garbage[round % Self.garbage.count]
                let constant = Self.constants[round % Self.constants.count]
                for opset in [Int64(7), 11, 18] {
                    let c = OpShapeCase(
                        op, [.tensor(.float, shape), constant, constant, constant, .tensor(.float, shape)], [(name, attr)], outputs: 3,
                        opset: opset)
                    _ = c.inferredOutputs()
                }
            }
        }
    }

    static let expectations: [OpShapeCase] = [
        OpShapeCase(
            "Conv", [.tensor(.float, [1, 3, 8, 8]), .weight([4, 3, 3, 3])], [("strides", .ints([0, 0]))], expect: "float32[...]"),
        OpShapeCase(
            "Conv", [.tensor(.float, [1, 3, 8, 8]), .weight([4, 3, 3, 3])], [("pads", .ints([.max, 0, 0, 0]))], expect: "float32[1,4,?,6]"),
        OpShapeCase("MaxPool", [.tensor(.float, [1, 3, 8, 8])], [("kernel_shape", .ints([3]))], expect: "float32[...]"),
        OpShapeCase("DepthToSpace", [.tensor(.float, [1, 16, 4, 4])], [("blocksize", .int(0))], expect: "float32[...]"),
        OpShapeCase("Tile", [.tensor(.float, [2, 3]), .ints([-1, 2])], expect: "float32[?,?]"),
        OpShapeCase("Tile", [.tensor(.float, [9_223_372_036_854_775_807, 3]), .ints([4, 2])], expect: "float32[?,6]"),
        OpShapeCase("Range", [.floatScalar(0), .floatScalar(1e30), .floatScalar(1e-30)], expect: "float32[?]"),
        OpShapeCase("Slice", [.tensor(.float, [10]), .ints([0]), .ints([5]), .ints([0]), .ints([0])], expect: "float32[?]"),
        OpShapeCase("Slice", [.tensor(.float, [10]), .ints([0]), .ints([10]), .ints([0]), .ints([.max])], expect: "float32[1]"),
        OpShapeCase("Split", [.tensor(.float, [10]), .ints([3, 3])], outputs: 3, expect: "float32[?]", "float32[?]", "float32[?]"),
        OpShapeCase("Gather", [.tensor(.float, [3, 4]), .tensor(.int64, [2])], [("axis", .int(7))], expect: "float32[...]"),
        OpShapeCase("Concat", [.tensor(.float, [2]), .tensor(.float, [3])], [("axis", .string("x"))], expect: "float32[...]"),
        OpShapeCase("Resize", [.tensor(.float, [1, 1, 4, 4]), .absent, .floats([1, 1, .infinity, .nan])], expect: "float32[1,1,?,?]"),
        OpShapeCase("EyeLike", [.tensor(.float, [2, 2])], [("dtype", .int(-7))], expect: "float32[2,2]"),
        OpShapeCase(
            "LayerNormalization", [.tensor(.float, [2, 3]), .weight([3])], [("axis", .int(9))], outputs: 3, expect: "float32[2,3]",
            "unknown", "unknown"),
        OpShapeCase("Einsum", [.tensor(.float, [2, 3])], [("equation", .string("i1->i"))], expect: "float32[...]"),
        OpShapeCase("Reshape", [.tensor(.float, [2, 3]), .ints([0, 0, 0])], expect: "float32[2,3,?]"),
    ]

    @Test(arguments: expectations) func garbageGivesUnknown(_ c: OpShapeCase) { #expect(c.inferredOutputs() == c.expected) }
}
