import Foundation
import ONNXIR
import TestSupport
import Testing

@testable import Interpreter

/// The Reduce* family against a naive Double oracle over every axis combination.
@Suite struct ReductionTests {
    static let ops = [
        "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
        "ReduceSumSquare",
    ]
    static let axisSets: [[Int64]] = [[], [0], [1], [2], [-1], [0, 2], [1, 2], [0, 1], [0, 1, 2]]
    static let shape = [2, 3, 4]
    static let values: [Float] = {
        var random = SeededGenerator(seed: 3)
        return random.floats(24, in: 0.2...2)
    }()

    /// Folds `values` over `axes` in Double: (accumulate, finish) per op.
    static func oracle(_ op: String, axes: Set<Int>, keepDims: Bool) -> (shape: [Int], values: [Double]) {
        let outShape = shape.indices.compactMap { axes.contains($0) ? (keepDims ? 1 : nil) : shape[$0] }
        let keptStrides = StridedCopy.contiguousStrides(shape.indices.map { axes.contains($0) ? 1 : shape[$0] })
        var groups = [[Double]](repeating: [], count: outShape.reduce(1, *))
        for i in 0..<values.count {
            var rest = i, o = 0
            for d in stride(from: 2, through: 0, by: -1) {
                let c = rest % shape[d]
                rest /= shape[d]
                if !axes.contains(d) { o += c * keptStrides[d] }
            }
            groups[o].append(Double(values[i]))
        }
        let result = groups.map { g -> Double in
            switch op {
            case "ReduceSum": g.reduce(0, +)
            case "ReduceMean": g.reduce(0, +) / Double(g.count)
            case "ReduceMax": g.max()!
            case "ReduceMin": g.min()!
            case "ReduceProd": g.reduce(1, *)
            case "ReduceL1": g.map(abs).reduce(0, +)
            case "ReduceL2": g.map { $0 * $0 }.reduce(0, +).squareRoot()
            case "ReduceLogSum": log(g.reduce(0, +))
            case "ReduceLogSumExp": log(g.map(exp).reduce(0, +))
            default: g.map { $0 * $0 }.reduce(0, +)
            }
        }
        return (outShape, result)
    }

    @Test(arguments: ops, [false, true])
    func matchesOracleOverEveryAxisSet(op: String, keepDims: Bool) throws {
        for axes in Self.axisSets {
            let data = Tensor.float32(dims: Self.shape.map(Int64.init), values: Self.values)
            let axesInput: Tensor? = axes.isEmpty ? nil : .int64(dims: [Int64(axes.count)], values: axes)
            let out = try SingleNode.run(op, opset: 18, inputs: [data, axesInput], attributes: ["keepdims": .int(keepDims ? 1 : 0)])[0]
            let normalized = Set(axes.isEmpty ? [0, 1, 2] : axes.map { Int($0 < 0 ? $0 + 3 : $0) })
            let expected = Self.oracle(op, axes: normalized, keepDims: keepDims)
            #expect(out.shape == expected.shape, "\(op) axes \(axes)")
            for (y, e) in zip(out.floats, expected.values) {
                #expect(abs(Double(y) - e) <= 1e-5 * max(1, abs(e)), "\(op) axes \(axes): \(y) vs \(e)")
            }
        }
    }

    /// Axes moved from an attribute to an input at opset 13 for ReduceSum and 18 for the rest.
    @Test(arguments: [("ReduceSum", Int64(11), false), ("ReduceSum", 13, true), ("ReduceMean", 17, false), ("ReduceMean", 18, true)])
    func readsAxesWhereTheOpsetPutsThem(op: String, opset: Int64, fromInput: Bool) throws {
        let data = Tensor.float32(dims: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let out =
            fromInput
            ? try SingleNode.run(op, opset: opset, inputs: [data, .int64(dims: [1], values: [1])], attributes: ["keepdims": .int(0)])[0]
            : try SingleNode.run(op, opset: opset, inputs: [data], attributes: ["axes": .ints([1]), "keepdims": .int(0)])[0]
        #expect(out.shape == [2])
        #expect(Array(out.floats) == (op == "ReduceSum" ? [6, 15] : [2, 5]))
    }

    @Test func emptyAxesReduceEverythingUnlessNoop() throws {
        let data = Tensor.float32(dims: [2, 2], values: [1, 2, 3, 4])
        let all = try SingleNode.run("ReduceSum", opset: 13, inputs: [data])[0]
        #expect(all.shape == [1, 1] && all.floats[0] == 10)
        let noop = try SingleNode.run("ReduceSum", opset: 13, inputs: [data], attributes: ["noop_with_empty_axes": .int(1)])[0]
        #expect(noop.shape == [2, 2] && Array(noop.floats) == [1, 2, 3, 4])
        let emptyInput = try SingleNode.run(
            "ReduceMax", opset: 18, inputs: [data, .int64(dims: [0], values: [])], attributes: ["noop_with_empty_axes": .int(1)])[0]
        #expect(emptyInput.shape == [2, 2])
    }

    @Test func integersReduceExactly() throws {
        let data = Tensor.int64(dims: [2, 3], values: [1, -2, 3, 4, 5, Int64(1) << 40])
        let sum = try SingleNode.run("ReduceSum", opset: 13, inputs: [data, .int64(dims: [1], values: [1])])[0]
        #expect(sum.dataType == .int64)
        #expect(try sum.int64Values() == [2, 9 + (Int64(1) << 40)])
        let max = try SingleNode.run(
            "ReduceMax", opset: 18, inputs: [data, .int64(dims: [1], values: [0])], attributes: ["keepdims": .int(0)])[0]
        #expect(try max.int64Values() == [4, 5, Int64(1) << 40])
        let mean = try SingleNode.run("ReduceMean", opset: 18, inputs: [TestTensor.make(.int32, [3], [Int32(1), 2, 4])])[0]
        #expect(Array(mean.elements(Int32.self)) == [2])
    }

    @Test func logSumExpStaysFiniteForLargeInputs() throws {
        let data = Tensor.float32(dims: [3], values: [1000, 1000, 999])
        let out = try SingleNode.run("ReduceLogSumExp", opset: 18, inputs: [data])[0]
        let expected = 1000 + log(2 + exp(-1.0))
        #expect(abs(Double(out.floats[0]) - expected) < 1e-3)
    }

    @Test func emptyReducedAxisGivesTheIdentity() throws {
        let data = Tensor.float32(dims: [2, 0], values: [])
        let sum = try SingleNode.run(
            "ReduceSum", opset: 13, inputs: [data, .int64(dims: [1], values: [1])], attributes: ["keepdims": .int(0)])[0]
        #expect(sum.shape == [2] && Array(sum.floats) == [0, 0])
        let prod = try SingleNode.run("ReduceProd", opset: 18, inputs: [data, .int64(dims: [1], values: [1])])[0]
        #expect(prod.shape == [2, 1] && Array(prod.floats) == [1, 1])
    }

    /// Threads split the outermost kept axis, or the kept row when the outermost is reduced.
    @Test(arguments: [[0], [1], [2], [0, 2], [1, 2]] as [[Int64]])
    func threadedReductionsMatchSingleThreaded(axes: [Int64]) throws {
        var random = SeededGenerator(seed: 11)
        let dims: [Int64] = [64, 48, 40]
        let values = random.floats(64 * 48 * 40)
        func run(threads: Int) throws -> [Float] {
            let b = GraphBuilder(opset: 18)
            let x = b.input("x", .float, [64, 48, 40])
            b.output(b.node("ReduceMean", [x, b.ints("axes", axes)]))
            let out = try Session(model: b.model(), options: .init(threads: threads)).run(["x": .float32(dims.map(Int.init), values)])
            return Array(out[0].floats)
        }
        let single = try run(threads: 1), threaded = try run(threads: 3)
        #expect(single.count == threaded.count)
        for (a, b) in zip(single, threaded) { #expect(abs(a - b) < 1e-6) }
    }
}
