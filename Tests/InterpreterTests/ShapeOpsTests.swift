import Foundation
import ONNXIR
import TestSupport
import Testing

@testable import Interpreter

/// Views and reshapes: Identity, Dropout, Reshape, Flatten, Squeeze/Unsqueeze, Shape, Size.
@Suite struct ShapeViewTests {
    static let data = Tensor.float32(dims: [2, 3, 4], values: (0..<24).map(Float.init))

    @Test(
        arguments: [
            ([0, -1], [2, 12]), ([-1], [24]), ([4, 0, 2], [4, 3, 2]), ([2, 3, 2, 2], [2, 3, 2, 2]),
        ] as [([Int64], [Int])])
    func reshapeResolvesZeroAndMinusOne(shape: [Int64], expected: [Int]) throws {
        let out = try SingleNode.run("Reshape", opset: 14, inputs: [Self.data, .int64(dims: [Int64(shape.count)], values: shape)])[0]
        #expect(out.shape == expected)
        #expect(Array(out.floats) == (0..<24).map(Float.init))
    }

    @Test func reshapeSharesStorageAndHonoursAllowzero() throws {
        let b = GraphBuilder(opset: 14)
        let x = b.input("x", .float, [2, 0])
        b.output(b.node("Reshape", [x, b.ints("s", [0, 5])], ["allowzero": .int(1)]))
        let out = try Session(model: b.model()).run(["x": .float32([2, 0], [])])[0]
        #expect(out.shape == [0, 5])
        let legacy = try SingleNode.run("Reshape", opset: 4, inputs: [Self.data], attributes: ["shape": .ints([6, -1])])[0]
        #expect(legacy.shape == [6, 4])
        #expect(throws: InterpreterError.self) { _ = try SingleNode.run("Reshape", inputs: [Self.data, .int64(dims: [1], values: [5])]) }
    }

    @Test(arguments: [(0, [1, 24]), (1, [2, 12]), (2, [6, 4]), (3, [24, 1]), (-1, [6, 4])] as [(Int64, [Int])])
    func flattenSplitsAtTheAxis(axis: Int64, expected: [Int]) throws {
        let out = try SingleNode.run("Flatten", opset: 13, inputs: [Self.data], attributes: ["axis": .int(axis)])[0]
        #expect(out.shape == expected)
    }

    @Test(arguments: [Int64(11), 13])
    func squeezeAndUnsqueezeReadAxesByOpset(opset: Int64) throws {
        let x = Tensor.float32(dims: [1, 3, 1, 2], values: [1, 2, 3, 4, 5, 6])
        func run(_ op: String, _ input: Tensor, _ axes: [Int64]) throws -> RuntimeTensor {
            opset < 13
                ? try SingleNode.run(op, opset: opset, inputs: [input], attributes: ["axes": .ints(axes)])[0]
                : try SingleNode.run(op, opset: opset, inputs: [input, .int64(dims: [Int64(axes.count)], values: axes)])[0]
        }
        #expect(try run("Squeeze", x, [0, -2]).shape == [3, 2])
        #expect(try run("Unsqueeze", x, [0, 5]).shape == [1, 1, 3, 1, 2, 1])
        #expect(try run("Unsqueeze", .float32(dims: [3], values: [1, 2, 3]), [-1]).shape == [3, 1])
        #expect(try SingleNode.run("Squeeze", opset: opset, inputs: [x])[0].shape == [3, 2])
        #expect(throws: InterpreterError.self) { _ = try run("Squeeze", x, [1]) }
    }

    @Test func identityAndDropoutPassTheInputThrough() throws {
        let identity = try SingleNode.run("Identity", inputs: [Self.data])[0]
        #expect(identity.shape == [2, 3, 4])
        let dropout = try SingleNode.run("Dropout", opset: 13, inputs: [Self.data, .float32(dims: [], values: [0.3])], outputs: 2)
        #expect(Array(dropout[0].floats) == (0..<24).map(Float.init))
        #expect(dropout[1].dataType == .bool && dropout[1].elements(UInt8.self).allSatisfy { $0 == 1 })
    }

    @Test(
        arguments: [(nil, nil, [2, 3, 4]), (1, nil, [3, 4]), (-2, -1, [3]), (0, 100, [2, 3, 4]), (2, 1, [])] as [(Int64?, Int64?, [Int64])])
    func shapeSlicesWithStartAndEnd(start: Int64?, end: Int64?, expected: [Int64]) throws {
        var attributes: [String: AttributeValue] = [:]
        if let start { attributes["start"] = .int(start) }
        if let end { attributes["end"] = .int(end) }
        let out = try SingleNode.run("Shape", opset: 15, inputs: [Self.data], attributes: attributes)[0]
        #expect(out.dataType == .int64)
        #expect(try out.int64Values() == expected)
        let size = try SingleNode.run("Size", inputs: [Self.data])[0]
        #expect(size.shape == [])
        #expect(try size.int64Values() == [24])
    }
}

/// Transpose, DepthToSpace, SpaceToDepth, Concat, Split, Slice, Tile, Expand, Pad.
@Suite struct DataMovementTests {
    /// out[i] = x[perm-mapped index], computed index by index.
    static func naiveTranspose(_ values: [Float], _ shape: [Int], _ perm: [Int]) -> [Float] {
        let outShape = perm.map { shape[$0] }
        let inStrides = StridedCopy.contiguousStrides(shape), outStrides = StridedCopy.contiguousStrides(outShape)
        return (0..<values.count).map { o in
            var rest = o, source = 0
            for d in 0..<outShape.count {
                source += (rest / outStrides[d]) * inStrides[perm[d]]
                rest %= outStrides[d]
            }
            return values[source]
        }
    }

    @Test(
        arguments: [
            ([5, 7], nil), ([2, 3, 4], [1, 0, 2]), ([2, 3, 4], nil), ([2, 16, 9, 10], [0, 2, 3, 1]), ([2, 9, 10, 16], [0, 3, 1, 2]),
            ([40, 33], [1, 0]), ([3, 1, 4, 1, 5], [4, 2, 0, 3, 1]),
        ] as [([Int], [Int]?)])
    func transposeMatchesNaiveIndexing(shape: [Int], perm: [Int]?) throws {
        var random = SeededGenerator(seed: 5)
        let values = random.floats(shape.reduce(1, *))
        let attributes: [String: AttributeValue] = perm.map { ["perm": .ints($0.map(Int64.init))] } ?? [:]
        let out = try SingleNode.run("Transpose", inputs: [.float32(dims: shape.map(Int64.init), values: values)], attributes: attributes)[
            0]
        let p = perm ?? Array((0..<shape.count).reversed())
        #expect(out.shape == p.map { shape[$0] })
        #expect(Array(out.floats) == Self.naiveTranspose(values, shape, p))
    }

    @Test func transposeMovesAnyElementType() throws {
        let ints = try SingleNode.run("Transpose", inputs: [TestTensor.make(.int8, [2, 3], [Int8(1), 2, 3, 4, 5, 6])])[0]
        #expect(Array(ints.elements(Int8.self)) == [1, 4, 2, 5, 3, 6])
        let strings = try SingleNode.run("Transpose", inputs: [TestTensor.strings([2, 2], ["a", "b", "c", "d"])])[0]
        #expect(strings.strings?.map { String(decoding: $0, as: UTF8.self) } == ["a", "c", "b", "d"])
    }

    @Test(arguments: ["DCR", "CRD"])
    func depthToSpaceInvertsSpaceToDepth(mode: String) throws {
        let values = (0..<32).map(Float.init)
        let x = Tensor.float32(dims: [1, 8, 2, 2], values: values)
        let up = try SingleNode.run("DepthToSpace", opset: 13, inputs: [x], attributes: ["blocksize": .int(2), "mode": .string(mode)])[0]
        #expect(up.shape == [1, 2, 4, 4])
        // DCR: channel = (bh * b + bw) * C' + c; CRD: channel = c * b * b + bh * b + bw.
        let (c, h, w) = (1, 3, 2)
        let (bh, bw, inner) = (h % 2, w % 2, (h / 2) * 2 + w / 2)
        let channel = mode == "DCR" ? (bh * 2 + bw) * 2 + c : c * 4 + bh * 2 + bw
        #expect(up.floats[(c * 4 + h) * 4 + w] == Float(channel * 4 + inner))
        let down = try SingleNode.run(
            "SpaceToDepth", opset: 28, inputs: [.float32(dims: [1, 2, 4, 4], values: Array(up.floats))],
            attributes: ["blocksize": .int(2), "mode": .string(mode)])[0]
        #expect(Array(down.floats) == values)
    }

    @Test func concatJoinsAlongAnyAxis() throws {
        let a = Tensor.float32(dims: [2, 2], values: [1, 2, 3, 4]), b = Tensor.float32(dims: [2, 1], values: [5, 6])
        let joined = try SingleNode.run("Concat", inputs: [a, b], attributes: ["axis": .int(-1)])[0]
        #expect(joined.shape == [2, 3] && Array(joined.floats) == [1, 2, 5, 3, 4, 6])
        let rows = try SingleNode.run("Concat", inputs: [a, .float32(dims: [0, 2], values: []), a], attributes: ["axis": .int(0)])[0]
        #expect(rows.shape == [4, 2])
        let strings = try SingleNode.run(
            "Concat", inputs: [TestTensor.strings([1], ["x"]), TestTensor.strings([2], ["y", "z"])], attributes: ["axis": .int(0)])[0]
        #expect(strings.strings?.map { String(decoding: $0, as: UTF8.self) } == ["x", "y", "z"])
        #expect(throws: InterpreterError.self) { _ = try SingleNode.run("Concat", inputs: [a, b], attributes: ["axis": .int(0)]) }
    }

    @Test(
        arguments: [
            (Int64(11), [Int64]?.some([1, 3]), Int64?.none, 2, [[1], [2, 3, 4]]),
            (13, [2, 2], nil, 2, [[1, 2], [3, 4]]),
            (13, nil, nil, 2, [[1, 2], [3, 4]]),
            (18, nil, 3, 3, [[1, 2], [3, 4], []]),
        ] as [(Int64, [Int64]?, Int64?, Int, [[Float]])])
    func splitTakesSizesByOpset(opset: Int64, split: [Int64]?, numOutputs: Int64?, outputs: Int, expected: [[Float]]) throws {
        let x = Tensor.float32(dims: [4], values: [1, 2, 3, 4])
        var attributes: [String: AttributeValue] = [:]
        var inputs: [Tensor?] = [x]
        if let split {
            if opset < 13 { attributes["split"] = .ints(split) } else { inputs.append(.int64(dims: [Int64(split.count)], values: split)) }
        }
        if let numOutputs { attributes["num_outputs"] = .int(numOutputs) }
        let out = try SingleNode.run("Split", opset: opset, inputs: inputs, attributes: attributes, outputs: outputs)
        #expect(out.map { Array($0.floats) } == expected)
    }

    @Test(
        arguments: [
            ([0], [2], nil, nil, [2, 4], [0, 1, 2, 3, 4, 5, 6, 7]),
            ([1], [-1], [1], nil, [3, 2], [1, 2, 5, 6, 9, 10]),
            ([-1], [-1000], [1], [-1], [3, 4], [3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8]),
            ([0, 3], [100, 0], [0, 1], [2, -2], [2, 2], [3, 1, 11, 9]),
            ([5], [10], [0], nil, [0, 4], []),
        ] as [([Int64], [Int64], [Int64]?, [Int64]?, [Int], [Float])])
    func sliceClampsAndSteps(starts: [Int64], ends: [Int64], axes: [Int64]?, steps: [Int64]?, shape: [Int], expected: [Float]) throws {
        let x = Tensor.float32(dims: [3, 4], values: (0..<12).map(Float.init))
        func ints(_ v: [Int64]?) -> Tensor? { v.map { .int64(dims: [Int64($0.count)], values: $0) } }
        let out = try SingleNode.run("Slice", opset: 13, inputs: [x, ints(starts), ints(ends), ints(axes), ints(steps)])[0]
        #expect(out.shape == shape)
        #expect(Array(out.floats) == expected)
    }

    @Test func sliceBeforeOpset10ReadsAttributes() throws {
        let x = Tensor.float32(dims: [3, 4], values: (0..<12).map(Float.init))
        let out = try SingleNode.run(
            "Slice", opset: 9, inputs: [x], attributes: ["starts": .ints([1]), "ends": .ints([3]), "axes": .ints([1])])[0]
        #expect(out.shape == [3, 2] && Array(out.floats) == [1, 2, 5, 6, 9, 10])
    }

    @Test func tileAndExpandRepeat() throws {
        let x = Tensor.float32(dims: [2, 1], values: [1, 2])
        let tiled = try SingleNode.run("Tile", inputs: [x, .int64(dims: [2], values: [2, 3])])[0]
        #expect(tiled.shape == [4, 3] && Array(tiled.floats) == [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2])
        let expanded = try SingleNode.run("Expand", inputs: [x, .int64(dims: [3], values: [2, 1, 3])])[0]
        #expect(expanded.shape == [2, 2, 3] && Array(expanded.floats) == [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2])
        let same = try SingleNode.run("Expand", inputs: [x, .int64(dims: [1], values: [1])])[0]
        #expect(same.shape == [2, 1])
    }

    /// np.pad semantics, one coordinate at a time.
    static func naivePad(_ x: [Float], _ shape: [Int], _ pads: [Int], mode: String, value: Float) -> ([Int], [Float]) {
        let rank = shape.count
        let outShape = (0..<rank).map { shape[$0] + pads[$0] + pads[$0 + rank] }
        let outStrides = StridedCopy.contiguousStrides(outShape), inStrides = StridedCopy.contiguousStrides(shape)
        let values = (0..<outShape.reduce(1, *)).map { o -> Float in
            var rest = o, source = 0
            for d in 0..<rank {
                var i = rest / outStrides[d] - pads[d]
                rest %= outStrides[d]
                let n = shape[d]
                if i < 0 || i >= n {
                    switch mode {
                    case "constant": return value
                    case "edge": i = min(max(i, 0), n - 1)
                    case "wrap": i = ((i % n) + n) % n
                    default:
                        while i < 0 || i >= n { i = i < 0 ? -i : 2 * (n - 1) - i }
                    }
                }
                source += i * inStrides[d]
            }
            return x[source]
        }
        return (outShape, values)
    }

    @Test(arguments: ["constant", "reflect", "edge", "wrap"], [[1, 2, 0, 3], [0, -1, 2, 1], [2, 0, 2, 0]])
    func padMatchesNumPy(mode: String, pads: [Int]) throws {
        let values = (0..<12).map(Float.init)
        let x = Tensor.float32(dims: [3, 4], values: values)
        let out = try SingleNode.run(
            "Pad", opset: 19, inputs: [x, .int64(dims: [4], values: pads.map(Int64.init)), .float32(dims: [], values: [-7])],
            attributes: ["mode": .string(mode)])[0]
        let expected = Self.naivePad(values, [3, 4], pads, mode: mode, value: -7)
        #expect(out.shape == expected.0)
        #expect(Array(out.floats) == expected.1)
    }

    @Test func padReadsAttributesBeforeOpset11AndAxesFrom18() throws {
        let x = Tensor.float32(dims: [2, 2], values: [1, 2, 3, 4])
        let legacy = try SingleNode.run("Pad", opset: 2, inputs: [x], attributes: ["pads": .ints([0, 1, 0, 0]), "value": .float(9)])[0]
        #expect(legacy.shape == [2, 3] && Array(legacy.floats) == [9, 1, 2, 9, 3, 4])
        let axes = try SingleNode.run(
            "Pad", opset: 18, inputs: [x, .int64(dims: [2], values: [1, 1]), nil, .int64(dims: [1], values: [-1])])[0]
        #expect(axes.shape == [2, 4] && Array(axes.floats) == [0, 1, 2, 0, 0, 3, 4, 0])
        let ints = try SingleNode.run("Pad", opset: 13, inputs: [.int64(dims: [2], values: [5, 6]), .int64(dims: [2], values: [1, 0])])[0]
        #expect(try ints.int64Values() == [0, 5, 6])
    }
}

/// Gather/Scatter, indexing and selection ops.
@Suite struct IndexingTests {
    @Test func gatherTakesSlicesAndWrapsNegativeIndices() throws {
        let x = Tensor.float32(dims: [3, 2], values: [1, 2, 3, 4, 5, 6])
        let rows = try SingleNode.run("Gather", inputs: [x, .int64(dims: [2, 2], values: [0, -1, 1, 1])])[0]
        #expect(rows.shape == [2, 2, 2] && Array(rows.floats) == [1, 2, 5, 6, 3, 4, 3, 4])
        let columns = try SingleNode.run("Gather", inputs: [x, .int64(dims: [], values: [1])], attributes: ["axis": .int(1)])[0]
        #expect(columns.shape == [3] && Array(columns.floats) == [2, 4, 6])
        let int32Indices = try SingleNode.run("Gather", inputs: [x, TestTensor.make(.int32, [1], [Int32(2)])])[0]
        #expect(Array(int32Indices.floats) == [5, 6])
        #expect(throws: InterpreterError.self) { _ = try SingleNode.run("Gather", inputs: [x, .int64(dims: [1], values: [3])]) }
    }

    @Test func gatherElementsAndScatterElementsFollowTheAxis() throws {
        let x = Tensor.float32(dims: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let indices = Tensor.int64(dims: [2, 2], values: [2, 0, -1, 1])
        let gathered = try SingleNode.run("GatherElements", opset: 13, inputs: [x, indices], attributes: ["axis": .int(1)])[0]
        #expect(gathered.shape == [2, 2] && Array(gathered.floats) == [3, 1, 6, 5])
        let updates = Tensor.float32(dims: [2, 2], values: [10, 20, 30, 40])
        let scattered = try SingleNode.run("ScatterElements", opset: 18, inputs: [x, indices, updates], attributes: ["axis": .int(1)])[0]
        #expect(Array(scattered.floats) == [20, 2, 10, 4, 40, 30])
        let added = try SingleNode.run(
            "ScatterElements", opset: 18, inputs: [x, .int64(dims: [1, 2], values: [0, 0]), .float32(dims: [1, 2], values: [1, 2])],
            attributes: ["axis": .int(0), "reduction": .string("add")])[0]
        #expect(Array(added.floats) == [2, 4, 3, 4, 5, 6])
    }

    @Test func gatherNDAndScatterNDWithBatchDims() throws {
        let x = Tensor.float32(dims: [2, 2, 2], values: (0..<8).map(Float.init))
        let pairs = try SingleNode.run("GatherND", opset: 13, inputs: [x, .int64(dims: [2, 2], values: [0, 1, 1, 0])])[0]
        #expect(pairs.shape == [2, 2] && Array(pairs.floats) == [2, 3, 4, 5])
        let batched = try SingleNode.run(
            "GatherND", opset: 13, inputs: [x, .int64(dims: [2, 1], values: [1, 0])], attributes: ["batch_dims": .int(1)])[0]
        #expect(batched.shape == [2, 2] && Array(batched.floats) == [2, 3, 4, 5])
        let scattered = try SingleNode.run(
            "ScatterND", opset: 18, inputs: [x, .int64(dims: [1, 2], values: [1, 1]), .float32(dims: [1, 2], values: [10, 10])],
            attributes: ["reduction": .string("mul")])[0]
        #expect(Array(scattered.floats) == [0, 1, 2, 3, 4, 5, 60, 70])
    }

    @Test func topKOrdersTiesByIndex() throws {
        let x = Tensor.float32(dims: [2, 4], values: [1, 3, 3, 2, 0, -1, 5, 5])
        let largest = try SingleNode.run("TopK", opset: 11, inputs: [x, .int64(dims: [1], values: [3])], outputs: 2)
        #expect(largest[0].shape == [2, 3] && Array(largest[0].floats) == [3, 3, 2, 5, 5, 0])
        #expect(try largest[1].int64Values() == [1, 2, 3, 2, 3, 0])
        let smallest = try SingleNode.run(
            "TopK", opset: 11, inputs: [x, .int64(dims: [1], values: [1])], attributes: ["largest": .int(0), "axis": .int(0)], outputs: 2)
        #expect(Array(smallest[0].floats) == [0, -1, 3, 2])
        #expect(try smallest[1].int64Values() == [1, 1, 0, 0])
        let legacy = try SingleNode.run("TopK", opset: 9, inputs: [x], attributes: ["k": .int(1)], outputs: 2)
        #expect(Array(legacy[0].floats) == [3, 5])
    }

    @Test(arguments: ["ArgMax", "ArgMin"], [false, true])
    func argExtremaPickFirstOrLastTie(op: String, last: Bool) throws {
        let x = Tensor.float32(dims: [2, 3], values: [1, 4, 4, 0, 0, 2])
        let out = try SingleNode.run(
            op, opset: 13, inputs: [x], attributes: ["axis": .int(1), "keepdims": .int(0), "select_last_index": .int(last ? 1 : 0)])[0]
        #expect(out.shape == [2])
        let expected: [Int64] = op == "ArgMax" ? (last ? [2, 2] : [1, 2]) : (last ? [0, 1] : [0, 0])
        #expect(try out.int64Values() == expected)
    }

    @Test func nonZeroCompressAndOneHot() throws {
        let x = Tensor.float32(dims: [2, 2], values: [0, 1, 2, 0])
        let nonZero = try SingleNode.run("NonZero", inputs: [x])[0]
        #expect(nonZero.shape == [2, 2])
        #expect(try nonZero.int64Values() == [0, 1, 1, 0])
        let compressed = try SingleNode.run("Compress", inputs: [x, TestTensor.bools([2], [false, true])], attributes: ["axis": .int(1)])[0]
        #expect(compressed.shape == [2, 1] && Array(compressed.floats) == [1, 0])
        let flat = try SingleNode.run("Compress", inputs: [x, TestTensor.bools([3], [true, false, true])])[0]
        #expect(Array(flat.floats) == [0, 2])
        let oneHot = try SingleNode.run(
            "OneHot", opset: 11,
            inputs: [.int64(dims: [3], values: [0, -1, 5]), .int64(dims: [], values: [3]), .float32(dims: [2], values: [0, 1])])[0]
        #expect(oneHot.shape == [3, 3] && Array(oneHot.floats) == [1, 0, 0, 0, 0, 1, 0, 0, 0])
        let axis0 = try SingleNode.run(
            "OneHot", opset: 11,
            inputs: [.int64(dims: [2], values: [1, 0]), .float32(dims: [], values: [2]), .int64(dims: [2], values: [5, 9])],
            attributes: ["axis": .int(0)])[0]
        #expect(axis0.shape == [2, 2])
        #expect(try axis0.int64Values() == [5, 9, 9, 5])
    }
}

/// Generators, Cast, Trilu, CumSum, Einsum.
@Suite struct GeneratorAndMathTests {
    @Test func constantReadsEveryValueAttribute() throws {
        let scalar = try SingleNode.run("Constant", inputs: [], attributes: ["value_float": .float(2.5)])[0]
        #expect(scalar.shape == [] && scalar.floats[0] == 2.5)
        #expect(try SingleNode.run("Constant", inputs: [], attributes: ["value_ints": .ints([1, 2])])[0].int64Values() == [1, 2])
        let tensor = try SingleNode.run("Constant", inputs: [], attributes: ["value": .tensor(.float32(dims: [2], values: [3, 4]))])[0]
        #expect(Array(tensor.floats) == [3, 4])
        let text = try SingleNode.run("Constant", inputs: [], attributes: ["value_strings": .strings([Array("hi".utf8)])])[0]
        #expect(text.strings == [Array("hi".utf8)])
    }

    @Test func constantOfShapeRangeAndEyeLike() throws {
        let filled = try SingleNode.run(
            "ConstantOfShape", inputs: [.int64(dims: [2], values: [2, 3])], attributes: ["value": .tensor(.int64(dims: [1], values: [7]))])[
                0]
        #expect(filled.shape == [2, 3])
        #expect(try filled.int64Values() == [Int64](repeating: 7, count: 6))
        let zeros = try SingleNode.run("ConstantOfShape", inputs: [.int64(dims: [0], values: [])])[0]
        #expect(zeros.shape == [] && zeros.dataType == .float && zeros.floats[0] == 0)
        let range = try SingleNode.run(
            "Range", inputs: [.float32(dims: [], values: [1]), .float32(dims: [], values: [2]), .float32(dims: [], values: [0.25])])[0]
        #expect(Array(range.floats) == [1, 1.25, 1.5, 1.75])
        let down = try SingleNode.run(
            "Range", inputs: [.int64(dims: [], values: [10]), .int64(dims: [], values: [3]), .int64(dims: [], values: [-3])])[0]
        #expect(try down.int64Values() == [10, 7, 4])
        let eye = try SingleNode.run(
            "EyeLike", inputs: [.float32(dims: [2, 3], values: [Float](repeating: 5, count: 6))], attributes: ["k": .int(1)])[0]
        #expect(Array(eye.floats) == [0, 1, 0, 0, 0, 1])
    }

    @Test func castConvertsBetweenNumericTypes() throws {
        let x = Tensor.float32(dims: [5], values: [-2.7, -0.5, 0, 1.5, 300])
        let ints = try SingleNode.run("Cast", inputs: [x], attributes: ["to": .int(Int64(DataType.int32.rawValue))])[0]
        #expect(Array(ints.elements(Int32.self)) == [-2, 0, 0, 1, 300])
        let bytes = try SingleNode.run("Cast", inputs: [x], attributes: ["to": .int(Int64(DataType.uint8.rawValue))])[0]
        #expect(bytes.elements(UInt8.self)[4] == 44)  // 300 wraps as C does.
        let bools = try SingleNode.run("Cast", inputs: [x], attributes: ["to": .int(Int64(DataType.bool.rawValue))])[0]
        #expect(Array(bools.elements(UInt8.self)) == [1, 1, 0, 1, 1])
        let half = try SingleNode.run("Cast", inputs: [x], attributes: ["to": .int(Int64(DataType.float16.rawValue))])[0]
        #expect(try half.floatValues() == [-2.69921875, -0.5, 0, 1.5, 300])
        let big = try SingleNode.run("Cast", inputs: [.int64(dims: [1], values: [(1 << 40) + 1])], attributes: ["to": .int(1)])[0]
        #expect(big.floats[0] == Float((1 << 40) + 1))
        let like = try SingleNode.run("CastLike", inputs: [.int64(dims: [2], values: [1, -3]), .float32(dims: [0], values: [])])[0]
        #expect(like.dataType == .float && Array(like.floats) == [1, -3])
        let legacy = try SingleNode.run("Cast", opset: 1, inputs: [.int64(dims: [1], values: [4])], attributes: ["to": .string("FLOAT")])[0]
        #expect(legacy.floats[0] == 4)
    }

    /// The SIMD float16 conversions agree bit for bit with the scalar ones (every half, and
    /// floats around every rounding boundary).
    @Test func vectorHalfConversionsMatchScalar() {
        let halves = (0...UInt16.max).map { $0 }
        var widened = [Float](repeating: 0, count: halves.count)
        halves.withUnsafeBufferPointer { h in
            widened.withUnsafeMutableBufferPointer { VectorHalf.widen(h.baseAddress!, $0.baseAddress!, h.count) }
        }
        for (h, f) in zip(halves, widened) {
            let expected = ElementConversion.halfToFloat(h)
            #expect(expected.isNaN ? f.isNaN : f.bitPattern == expected.bitPattern, "half \(h)")
        }
        var random = SeededGenerator(seed: 4)
        var floats = widened.filter { !$0.isNaN }.flatMap { [$0, $0.nextUp, $0.nextDown, $0 * 1.000_244_1] }
        floats +=
            random.floats(10_000, in: -70_000...70_000) + [
                1e-9, -1e-9, 65_519, 65_520, 1e20, .infinity, -.infinity, .nan, 5.9604645e-8, 2.9802322e-8,
            ]
        var narrowed = [UInt16](repeating: 0, count: floats.count)
        floats.withUnsafeBufferPointer { f in
            narrowed.withUnsafeMutableBufferPointer { VectorHalf.narrow(f.baseAddress!, $0.baseAddress!, f.count) }
        }
        var mismatches = 0
        for (f, h) in zip(floats, narrowed) {
            let expected = ElementConversion.floatToHalf(f)
            if f.isNaN ? h & 0x7C00 != 0x7C00 || h & 0x3FF == 0 : h != expected { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    @Test func castRoundsToFloat8AndStrings() throws {
        let x = Tensor.float32(dims: [4], values: [1, 0.3, 1000, -.infinity])
        let e4m3 = try SingleNode.run("Cast", opset: 19, inputs: [x], attributes: ["to": .int(Int64(DataType.float8e4m3fn.rawValue))])[0]
        #expect(try e4m3.floatValues() == [1, 0.3125, 448, -448])
        let unsaturated = try SingleNode.run(
            "Cast", opset: 19, inputs: [x], attributes: ["to": .int(Int64(DataType.float8e5m2.rawValue)), "saturate": .int(0)])[0]
        #expect(try unsaturated.floatValues() == [1, 0.3125, 1024, -.infinity])
        let text = try SingleNode.run(
            "Cast", inputs: [.float32(dims: [2], values: [0.5, 3])], attributes: ["to": .int(Int64(DataType.string.rawValue))])[0]
        #expect(text.strings?.map { String(decoding: $0, as: UTF8.self) } == ["0.5", "3.0"])
        let parsed = try SingleNode.run("Cast", inputs: [TestTensor.strings([3], ["1e3", "-INF", "7"])], attributes: ["to": .int(1)])[0]
        #expect(Array(parsed.floats) == [1000, -.infinity, 7])
    }

    @Test func castPacksTwoAndFourBitTypes() throws {
        func cast(_ x: Tensor, _ type: DataType, opset: Int64 = 25, _ extra: [String: AttributeValue] = [:]) throws -> RuntimeTensor {
            try SingleNode.run("Cast", opset: opset, inputs: [x], attributes: extra.merging(["to": .int(Int64(type.rawValue))]) { $1 })[0]
        }
        let ints = try cast(.float32(dims: [5], values: [-9, -8, 7, 1.9, -1]), .int4)
        // Two per byte, low nibble first; a float out of range (-9) becomes 0, as the reference
        // (ml_dtypes) writes it, while integers wrap (-9 as int64 gives 7).
        #expect(ints.byteCount == 3)
        #expect((0..<3).map { ints.raw.load(fromByteOffset: $0, as: UInt8.self) } == [0x80, 0x17, 0x0F])
        #expect(try cast(.float32(dims: [5], values: [-9, -8, 7, 1.9, -1]), .int4).dataType == .int4)
        let back = try SingleNode.run("Cast", opset: 25, inputs: [ints.toTensor()], attributes: ["to": .int(7)])[0]
        #expect(try back.int64Values() == [0, -8, 7, 1, -1])
        let wrapped = try cast(.int64(dims: [2], values: [-9, 8]), .int4)
        #expect(wrapped.raw.load(as: UInt8.self) == 0x87)
        let twoBit = try cast(.int64(dims: [4], values: [1, 2, 3, 4]), .uint2)
        #expect(twoBit.raw.load(as: UInt8.self) == 0b00_11_10_01)
        let fp4 = try cast(.float32(dims: [6], values: [0.25, 0.75, -3.5, 9, 1.05, .nan]), .float4e2m1)
        let fp4Back = try SingleNode.run("Cast", opset: 25, inputs: [fp4.toTensor()], attributes: ["to": .int(1)])[0]
        #expect(Array(fp4Back.floats) == [0, 1, -4, 6, 1, 0])
        let e8m0 = try cast(.float32(dims: [4], values: [0.124, 1, 1.1, 0]), .float8e8m0)
        let e8m0Back = try SingleNode.run("Cast", opset: 25, inputs: [e8m0.toTensor()], attributes: ["to": .int(1)])[0]
        #expect(Array(e8m0Back.floats) == [0.125, 1, 2, Float(sign: .plus, exponent: -127, significand: 1)])
        let down = try cast(.float32(dims: [1], values: [1.9]), .float8e8m0, ["round_mode": .string("down")])
        #expect(down.raw.load(as: UInt8.self) == 127)
    }

    @Test(arguments: [true, false], [Int64(0), 1, -1])
    func triluKeepsOneTriangle(upper: Bool, k: Int64) throws {
        let x = Tensor.float32(dims: [3, 3], values: (1...9).map(Float.init))
        let out = try SingleNode.run(
            "Trilu", opset: 14, inputs: [x, .int64(dims: [], values: [k])], attributes: ["upper": .int(upper ? 1 : 0)])[0]
        let expected = (0..<9).map { i -> Float in
            let (r, c) = (i / 3, i % 3)
            let keep = upper ? c - r >= Int(k) : c - r <= Int(k)
            return keep ? Float(i + 1) : 0
        }
        #expect(Array(out.floats) == expected)
    }

    @Test(arguments: [
        (false, false, [1, 3, 6, 10]), (true, false, [0, 1, 3, 6]), (false, true, [10, 9, 7, 4]), (true, true, [9, 7, 4, 0]),
    ])
    func cumSumHonoursExclusiveAndReverse(exclusive: Bool, reverse: Bool, expected: [Float]) throws {
        let out = try SingleNode.run(
            "CumSum", inputs: [.float32(dims: [4], values: [1, 2, 3, 4]), .int64(dims: [], values: [0])],
            attributes: ["exclusive": .int(exclusive ? 1 : 0), "reverse": .int(reverse ? 1 : 0)])[0]
        #expect(Array(out.floats) == expected)
    }

    @Test(arguments: [
        "ij,jk->ik", "bij,bjk->bik", "ij,kj->ik", "ij->ji", "ii->i", "ij->", "i,i->", "...ij,...jk->...ik", "ij,jk", "bij,bkj->bki",
        "ji,jk->ik",
    ])
    func einsumMatchesDirectSums(equation: String) throws {
        var random = SeededGenerator(seed: 9)
        let shapes: [[Int64]] =
            switch equation {
            case "ij,jk->ik", "ij,jk": [[2, 3], [3, 4]]
            case "bij,bjk->bik", "...ij,...jk->...ik": [[2, 2, 3], [2, 3, 4]]
            case "bij,bkj->bki": [[2, 2, 3], [2, 4, 3]]
            case "ij,kj->ik": [[2, 3], [4, 3]]
            case "ji,jk->ik": [[3, 2], [3, 4]]
            case "ii->i": [[3, 3]]
            case "i,i->": [[4], [4]]
            default: [[2, 3]]
            }
        let operands = shapes.map { random.tensor(dims: $0) }
        let out = try SingleNode.run("Einsum", opset: 12, inputs: operands, attributes: ["equation": .string(equation)])[0]
        let values = try operands.map { try $0.floatValues() }
        func at(_ k: Int, _ index: [Int]) -> Float {
            let strides = StridedCopy.contiguousStrides(shapes[k].map(Int.init))
            return values[k][zip(index, strides).map(*).reduce(0, +)]
        }
        var expected: [Float] = []
        switch equation {
        case "ij,jk->ik", "ij,jk":
            for i in 0..<2 { for k in 0..<4 { expected.append((0..<3).map { at(0, [i, $0]) * at(1, [$0, k]) }.reduce(0, +)) } }
        case "bij,bjk->bik", "...ij,...jk->...ik":
            for b in 0..<2 {
                for i in 0..<2 { for k in 0..<4 { expected.append((0..<3).map { at(0, [b, i, $0]) * at(1, [b, $0, k]) }.reduce(0, +)) } }
            }
        case "bij,bkj->bki":
            for b in 0..<2 {
                for k in 0..<4 { for i in 0..<2 { expected.append((0..<3).map { at(0, [b, i, $0]) * at(1, [b, k, $0]) }.reduce(0, +)) } }
            }
        case "ij,kj->ik":
            for i in 0..<2 { for k in 0..<4 { expected.append((0..<3).map { at(0, [i, $0]) * at(1, [k, $0]) }.reduce(0, +)) } }
        case "ji,jk->ik":
            for i in 0..<2 { for k in 0..<4 { expected.append((0..<3).map { at(0, [$0, i]) * at(1, [$0, k]) }.reduce(0, +)) } }
        case "ii->i": expected = (0..<3).map { at(0, [$0, $0]) }
        case "i,i->": expected = [(0..<4).map { at(0, [$0]) * at(1, [$0]) }.reduce(0, +)]
        case "ij->": expected = [values[0].reduce(0, +)]
        default: for j in 0..<3 { for i in 0..<2 { expected.append(at(0, [i, j])) } }
        }
        #expect(out.count == expected.count)
        for (y, e) in zip(out.floats, expected) { #expect(abs(y - e) < 1e-5) }
    }
}
