import Foundation
import ONNXIR
import TestSupport
import Testing

@testable import Interpreter

/// Attention and the losses against direct float64 formulas on seeded data.
@Suite struct AttentionTests {
    /// softmax(Q K^T * scale + bias) V for one head, rows masked to -inf by `allowed`.
    static func head(_ q: [Double], _ k: [Double], _ v: [Double], l: Int, s: Int, e: Int, allowed: (Int, Int) -> Bool) -> [Double] {
        var y = [Double](repeating: 0, count: l * e)
        for i in 0..<l {
            var scores = (0..<s).map { j in
                allowed(i, j) ? (0..<e).reduce(0.0) { $0 + q[i * e + $1] * k[j * e + $1] } / Double(e).squareRoot() : -Double.infinity
            }
            let m = scores.max() ?? 0
            scores = scores.map { exp($0 - m) }
            let sum = scores.reduce(0, +)
            for d in 0..<e { y[i * e + d] = (0..<s).reduce(0.0) { $0 + scores[$1] / sum * v[$1 * e + d] } }
        }
        return y
    }

    @Test(arguments: [false, true]) func groupedQueryAttentionMatchesPerHeadSoftmax(_ isCausal: Bool) throws {
        var random = SeededGenerator(seed: 5)
        let (b, hq, hkv, l, s, e) = (1, 4, 2, 3, 3, 4)
        let q = random.floats(b * hq * l * e, in: -1...1), k = random.floats(b * hkv * s * e, in: -1...1)
        let v = random.floats(b * hkv * s * e, in: -1...1)
        let outputs = try SingleNode.run(
            "Attention", opset: 23,
            inputs: [
                .float32(dims: [1, 4, 3, 4], values: q), .float32(dims: [1, 2, 3, 4], values: k), .float32(dims: [1, 2, 3, 4], values: v),
            ], attributes: ["is_causal": .int(isCausal ? 1 : 0)], outputs: 3)
        let y = Array(outputs[0].floats)
        #expect(outputs[0].shape == [1, 4, 3, 4])
        #expect(outputs[1].shape == [1, 2, 3, 4])
        for h in 0..<hq {
            let kv = h / (hq / hkv)
            let slice = { (a: [Float], base: Int, n: Int) in a[base..<(base + n)].map(Double.init) }
            let expected = Self.head(
                slice(q, h * l * e, l * e), slice(k, kv * s * e, s * e), slice(v, kv * s * e, s * e), l: l, s: s, e: e,
                allowed: { i, j in !isCausal || j <= i })
            for i in 0..<(l * e) { #expect(abs(Double(y[h * l * e + i]) - expected[i]) < 1e-5) }
        }
    }

    @Test func negativeLogLikelihoodMeanDividesByTheUsedWeights() throws {
        // input [N=2, C=3]; targets 2 and 1 (ignored); weights [1, 2, 3].
        let input: [Float] = [-1, -2, -3, -4, -5, -6]
        let loss = try SingleNode.run(
            "NegativeLogLikelihoodLoss", opset: 13,
            inputs: [
                .float32(dims: [2, 3], values: input), .int64(dims: [2], values: [2, 1]), .float32(dims: [3], values: [1, 2, 3]),
            ], attributes: ["ignore_index": .int(1)])[0]
        #expect(loss.shape == [])
        #expect(abs(loss.floats[0] - 3) < 1e-6)  // 3 * 3 / 3
    }

    @Test func softmaxCrossEntropyIsLogSoftmaxThenNLL() throws {
        let scores: [Float] = [1, 2, 3, 1, 1, 1]
        let outputs = try SingleNode.run(
            "SoftmaxCrossEntropyLoss", opset: 13, inputs: [.float32(dims: [2, 3], values: scores), .int64(dims: [2], values: [2, 0])],
            attributes: ["reduction": .string("none")], outputs: 2)
        let first = -(3 - log(exp(1.0) + exp(2.0) + exp(3.0))), second = log(3.0)
        #expect(abs(Double(outputs[0].floats[0]) - first) < 1e-5)
        #expect(abs(Double(outputs[0].floats[1]) - second) < 1e-5)
        #expect(outputs[1].shape == [2, 3])
    }
}
