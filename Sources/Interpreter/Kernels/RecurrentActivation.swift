import Foundation

/// The activation functions recurrent ops accept by name (`activations` attribute), with their
/// optional alpha/beta parameters.
struct RecurrentActivation {
    let apply: (Float) -> Float

    init(name: String, alpha: Float?, beta: Float?) throws {
        switch name.lowercased() {
        case "sigmoid": apply = { 1 / (1 + exp(-$0)) }
        case "tanh": apply = { tanh($0) }
        case "relu": apply = { max($0, 0) }
        case "affine":
            let (a, b) = (alpha ?? 1, beta ?? 0)
            apply = { a * $0 + b }
        case "leakyrelu":
            let a = alpha ?? 0.01
            apply = { $0 >= 0 ? $0 : a * $0 }
        case "thresholdedrelu":
            let a = alpha ?? 1
            apply = { $0 > a ? $0 : 0 }
        case "scaledtanh":
            let (a, b) = (alpha ?? 1, beta ?? 1)
            apply = { a * tanh(b * $0) }
        case "hardsigmoid":
            let (a, b) = (alpha ?? 0.2, beta ?? 0.5)
            apply = { max(0, min(1, a * $0 + b)) }
        case "elu":
            let a = alpha ?? 1
            apply = { $0 >= 0 ? $0 : a * (exp($0) - 1) }
        case "softsign": apply = { $0 / (1 + abs($0)) }
        case "softplus": apply = { log(1 + exp($0)) }
        default: throw KernelFailure("unknown recurrent activation '\(name)'")
        }
    }

    /// The activations for each direction: `count` per direction from the attribute lists, or
    /// the op's defaults.
    static func list(_ ctx: KernelBuildContext, defaults: [String], directions: Int) throws -> [[RecurrentActivation]] {
        let names =
            try ctx.node.attribute("activations").map { a -> [String] in
                guard case .strings(let s) = a.value else { throw ctx.fail("attribute 'activations' must be strings") }
                return s.map { String(decoding: $0, as: UTF8.self) }
            } ?? []
        let alphas = try ctx.floats("activation_alpha") ?? []
        let betas = try ctx.floats("activation_beta") ?? []
        var result: [[RecurrentActivation]] = []
        var k = 0
        for d in 0..<directions {
            var perDirection: [RecurrentActivation] = []
            for i in 0..<defaults.count {
                let index = d * defaults.count + i
                let name = index < names.count ? names[index] : (names.count == defaults.count ? names[i] : defaults[i])
                let alpha = k < alphas.count ? alphas[k] : nil
                let beta = k < betas.count ? betas[k] : nil
                if index < names.count { k += 1 }
                perDirection.append(try RecurrentActivation(name: name, alpha: alpha, beta: beta))
            }
            result.append(perDirection)
        }
        return result
    }
}
