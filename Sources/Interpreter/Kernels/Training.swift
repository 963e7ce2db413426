import Foundation
import ONNXIR

/// The optimizer ops of ai.onnx.preview.training (opset 1): Adagrad, Momentum (standard or
/// nesterov) and Adam. Inputs are R (learning rate), T (update count) and then n tensors of
/// each group (X..., G..., state...); outputs are the new X... then the new states. With g' =
/// norm_coefficient * x + g:
/// - Adagrad: h' = h + g'^2, x' = x - R / (1 + T * decay_factor) * g' / (sqrt(h') + epsilon);
/// - Momentum: v' = alpha v + (T > 0 ? beta : 1) g', x' = x - R v' (nesterov: R (g' + alpha v'));
/// - Adam: v' = alpha v + (1 - alpha) g', h' = beta h + (1 - beta) g'^2, x' = (1 -
///   norm_coefficient_post) (x - R_t v' / (sqrt(h') + epsilon)), R_t = R sqrt(1 - beta^T) /
///   (1 - alpha^T) once T > 0.
final class OptimizerKernel: Kernel {
    enum Kind { case adagrad, momentum, adam }
    let kind: Kind
    let alpha: Double, beta: Double, epsilon: Double, decay: Double
    let norm: Double, normPost: Double
    let isNesterov: Bool

    init(_ ctx: KernelBuildContext, kind: Kind) throws {
        self.kind = kind
        alpha = Double(try ctx.float("alpha", default: 0.9))
        beta = Double(try ctx.float("beta", default: kind == .adam ? 0.999 : 0.9))
        epsilon = Double(try ctx.float("epsilon", default: 1e-6))
        decay = Double(try ctx.float("decay_factor", default: 0))
        norm = Double(try ctx.float("norm_coefficient", default: 0))
        normPost = Double(try ctx.float("norm_coefficient_post", default: 0))
        let mode = try ctx.string("mode", default: "standard")
        guard mode == "standard" || mode == "nesterov" else { throw ctx.fail("unknown mode '\(mode)'") }
        isNesterov = mode == "nesterov"
        if kind == .momentum && (ctx.node.attribute("alpha") == nil || ctx.node.attribute("beta") == nil) {
            throw ctx.fail("Momentum needs attributes alpha and beta")
        }
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let groups = kind == .adam ? 4 : 3
        let tensors = try inputs.indices.map { try Require.input(inputs, $0) }
        guard tensors.count >= 2 + groups, (tensors.count - 2) % groups == 0 else {
            throw KernelFailure("expected R, T and \(groups) groups of tensors, got \(tensors.count) inputs")
        }
        guard let r = try FloatIO.doubles(tensors[0]).first, let t = try tensors[1].int64Values().first else {
            throw KernelFailure("R and T must be scalars")
        }
        let n = (tensors.count - 2) / groups
        var outX: [RuntimeTensor] = [], outV: [RuntimeTensor] = [], outH: [RuntimeTensor] = []
        for i in 0..<n {
            let x = tensors[2 + i]
            let xs = try FloatIO.doubles(x), g = try FloatIO.doubles(tensors[2 + n + i])
            let s1 = try FloatIO.doubles(tensors[2 + 2 * n + i])
            guard g.count == xs.count, s1.count == xs.count else { throw KernelFailure("tensor group \(i) has mismatched sizes") }
            var newX = xs, newS1 = s1, newS2: [Double] = []
            switch kind {
            case .adagrad:
                let rate = r / (1 + Double(t) * decay)
                for j in 0..<xs.count {
                    let gr = norm * xs[j] + g[j]
                    newS1[j] = s1[j] + gr * gr
                    newX[j] = xs[j] - rate * gr / (newS1[j].squareRoot() + epsilon)
                }
            case .momentum:
                let b = t > 0 ? beta : 1
                for j in 0..<xs.count {
                    let gr = norm * xs[j] + g[j]
                    newS1[j] = alpha * s1[j] + b * gr
                    newX[j] = xs[j] - r * (isNesterov ? gr + alpha * newS1[j] : newS1[j])
                }
            case .adam:
                let h = try FloatIO.doubles(tensors[2 + 3 * n + i])
                guard h.count == xs.count else { throw KernelFailure("tensor group \(i) has mismatched sizes") }
                newS2 = h
                let rate = t > 0 ? r * (1 - pow(beta, Double(t))).squareRoot() / (1 - pow(alpha, Double(t))) : r
                for j in 0..<xs.count {
                    let gr = norm * xs[j] + g[j]
                    newS1[j] = alpha * s1[j] + (1 - alpha) * gr
                    newS2[j] = beta * h[j] + (1 - beta) * gr * gr
                    newX[j] = (1 - normPost) * (xs[j] - rate * newS1[j] / (newS2[j].squareRoot() + epsilon))
                }
            }
            outX.append(try FloatIO.make(x.dataType, x.shape, newX, context))
            outV.append(try FloatIO.make(tensors[2 + 2 * n + i].dataType, x.shape, newS1, context))
            if kind == .adam { outH.append(try FloatIO.make(tensors[2 + 3 * n + i].dataType, x.shape, newS2, context)) }
        }
        return outX + outV + outH
    }
}

enum TrainingKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("Adagrad", domain: "ai.onnx.preview.training") { try OptimizerKernel($0, kind: .adagrad) },
        KernelDescriptor("Momentum", domain: "ai.onnx.preview.training") { try OptimizerKernel($0, kind: .momentum) },
        KernelDescriptor("Adam", domain: "ai.onnx.preview.training") { try OptimizerKernel($0, kind: .adam) },
    ]
}
