import Foundation
import ONNXIR

/// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (opset 12/13): input [N, C, d1...],
/// target [N, d1...] of class indices. loss[n, d] = -w[t] * input[n, t, d] with t = target[n, d],
/// 0 where t == ignore_index. Reduction "none" keeps [N, d1...], "sum" adds, "mean" divides by
/// the sum of the weights used (the count of non-ignored targets without weights). Computed in
/// float64 and written back in the input's type.
final class LossKernel: Kernel {
    enum Reduction: String { case none, sum, mean }
    let reduction: Reduction
    let ignoreIndex: Int?
    /// SoftmaxCrossEntropyLoss: log-softmax over axis 1 first, optionally returned as output 1.
    let isSoftmax: Bool

    init(_ ctx: KernelBuildContext, softmax: Bool) throws {
        isSoftmax = softmax
        let name = try ctx.string("reduction", default: "mean")
        guard let r = Reduction(rawValue: name) else { throw ctx.fail("unknown reduction '\(name)'") }
        reduction = r
        ignoreIndex = try ctx.int("ignore_index")
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0), target = try Require.input(inputs, 1, "target")
        let weight = inputs.count > 2 ? inputs[2] : nil
        guard x.dataType.isFloatingPoint else { throw KernelFailure("input has type \(x.dataType.name); expected a float type") }
        guard x.rank >= 2 else { throw KernelFailure("input must have rank 2 or more, got \(x.shape)") }
        let n = x.shape[0], c = x.shape[1], d = x.shape.dropFirst(2).reduce(1, *)
        guard target.shape == [n] + Array(x.shape.dropFirst(2)) else {
            throw KernelFailure("target shape \(target.shape) does not match input \(x.shape)")
        }
        var values = try FloatIO.doubles(x)
        if isSoftmax {
            for b in 0..<n {
                for j in 0..<d {
                    var m = -Double.infinity
                    for k in 0..<c { m = max(m, values[(b * c + k) * d + j]) }
                    var s = 0.0
                    for k in 0..<c { s += exp(values[(b * c + k) * d + j] - m) }
                    let logSum = log(s) + m
                    for k in 0..<c { values[(b * c + k) * d + j] -= logSum }
                }
            }
        }
        let labels = try target.int64Values()
        let w = try weight.map { try FloatIO.doubles($0) }
        if let w, w.count != c { throw KernelFailure("weight has \(w.count) values, expected \(c)") }
        var loss = [Double](repeating: 0, count: n * d)
        var weightSum = 0.0
        for b in 0..<n {
            for j in 0..<d {
                let t = Int(labels[b * d + j])
                if let ignoreIndex, t == ignoreIndex { continue }
                guard t >= 0 && t < c else { throw KernelFailure("target \(t) is out of range [0, \(c))") }
                let wt = w?[t] ?? 1
                loss[b * d + j] = -values[(b * c + t) * d + j] * wt
                weightSum += wt
            }
        }
        let out: RuntimeTensor
        switch reduction {
        case .none: out = try FloatIO.make(x.dataType, target.shape, loss, context)
        case .sum: out = try FloatIO.make(x.dataType, [], [loss.reduce(0, +)], context)
        case .mean:
            // Every target counts with weight 1 when no weights are given; all targets ignored
            // gives 0/0 = NaN, as the reference does.
            out = try FloatIO.make(x.dataType, [], [loss.reduce(0, +) / weightSum], context)
        }
        guard isSoftmax else { return [out] }
        return [out, try FloatIO.make(x.dataType, x.shape, values, context)]
    }
}

enum LossKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("NegativeLogLikelihoodLoss", since: 12) { try LossKernel($0, softmax: false) },
        KernelDescriptor("SoftmaxCrossEntropyLoss", since: 12) { try LossKernel($0, softmax: true) },
    ]
}
