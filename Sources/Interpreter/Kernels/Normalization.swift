import Foundation
import ONNXIR

/// RMSNormalization (opset 23): Y = X / sqrt(mean(X^2 over the axes from `axis` on) + epsilon)
/// * Scale, Scale broadcast against X. Computed in float64 (at least the float32 `stash_type`
/// asks for), written back in X's type.
final class RMSNormalizationKernel: Kernel {
    let axis: Int
    let epsilon: Double

    init(_ ctx: KernelBuildContext) throws {
        axis = try ctx.int("axis", default: -1)
        epsilon = Double(try ctx.float("epsilon", default: 1e-5))
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0), scale = try Require.input(inputs, 1, "scale")
        let a = try Axis.normalize(axis, rank: x.rank)
        let rows = x.shape[..<a].reduce(1, *), size = x.shape[a...].reduce(1, *)
        if x.dataType == .float, scale.dataType == .float, scale.count == size, Array(x.shape[a...]).suffix(scale.rank) == scale.shape[...]
        {
            return [try float32(x, scale, rows: rows, size: size, context)]
        }
        let v = try FloatIO.doubles(x)
        let s = try Broadcasting.expand(try FloatIO.doubles(scale), scale.shape, to: x.shape)
        var y = [Double](repeating: 0, count: v.count)
        for r in 0..<rows {
            let base = r * size
            var sum = 0.0
            for i in 0..<size { sum += v[base + i] * v[base + i] }
            let inv = 1 / (sum / Double(size) + epsilon).squareRoot()
            for i in 0..<size { y[base + i] = v[base + i] * inv * s[base + i] }
        }
        return [try FloatIO.make(x.dataType, x.shape, y, context)]
    }

    /// The common float32 case (one scale per normalized element) without widening copies: the
    /// sum of squares accumulates in float64, rows run in parallel.
    private func float32(_ x: RuntimeTensor, _ scale: RuntimeTensor, rows: Int, size: Int, _ context: ExecutionContext) throws
        -> RuntimeTensor
    {
        let out = try context.allocate(.float, x.shape)
        let px = x.floats, ps = scale.floats, po = out.floats
        let epsilon = self.epsilon
        context.parallelFor(rows, grain: 16) { range in
            for r in range {
                let base = r * size
                var sum = 0.0
                for i in 0..<size { sum += Double(px[base + i]) * Double(px[base + i]) }
                let inv = Float(1 / (sum / Double(size) + epsilon).squareRoot())
                for i in 0..<size { po[base + i] = px[base + i] * inv * ps[i] }
            }
        }
        return out
    }
}

/// LpNormalization: x / ||x||_p along `axis` (p is 1 or 2); a zero norm gives 0.
final class LpNormalizationKernel: Kernel {
    let axis: Int
    let p: Int

    init(_ ctx: KernelBuildContext) throws {
        axis = try ctx.int("axis", default: -1)
        p = try ctx.int("p", default: 2)
        guard p == 1 || p == 2 else { throw ctx.fail("p must be 1 or 2, got \(p)") }
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        let a = try Axis.normalize(axis, rank: x.rank)
        let (outer, n, inner) = (x.shape[..<a].reduce(1, *), x.shape[a], x.shape[(a + 1)...].reduce(1, *))
        let v = try FloatIO.doubles(x)
        var y = v
        for o in 0..<outer {
            for i in 0..<inner {
                var norm = 0.0
                for j in 0..<n {
                    let e = v[(o * n + j) * inner + i]
                    norm += p == 1 ? abs(e) : e * e
                }
                if p == 2 { norm = norm.squareRoot() }
                for j in 0..<n {
                    let k = (o * n + j) * inner + i
                    y[k] = norm == 0 ? 0 : v[k] / norm
                }
            }
        }
        return [try FloatIO.make(x.dataType, x.shape, y, context)]
    }
}

/// GroupNormalization (opset 18 per-group scale, opset 21 per-channel): channels split into
/// `num_groups` groups, each normalized over its channels and spatial positions of one sample.
final class GroupNormalizationKernel: Kernel {
    let groups: Int
    let epsilon: Double
    let isPerChannel: Bool

    init(_ ctx: KernelBuildContext) throws {
        guard let g = try ctx.int("num_groups"), g > 0 else { throw ctx.fail("num_groups must be a positive int") }
        groups = g
        epsilon = Double(try ctx.float("epsilon", default: 1e-5))
        isPerChannel = ctx.opset >= 21
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        let s = try FloatIO.doubles(try Require.input(inputs, 1, "scale"))
        let b = try FloatIO.doubles(try Require.input(inputs, 2, "bias"))
        guard x.rank >= 2 else { throw KernelFailure("X must have rank 2 or more, got \(x.shape)") }
        let n = x.shape[0], c = x.shape[1], spatial = x.shape.dropFirst(2).reduce(1, *)
        guard c % groups == 0 else { throw KernelFailure("\(c) channels do not split into \(groups) groups") }
        let expected = isPerChannel ? c : groups
        guard s.count == expected, b.count == expected else { throw KernelFailure("scale and bias need \(expected) values") }
        let perGroup = c / groups, size = perGroup * spatial
        let v = try FloatIO.doubles(x)
        var y = v
        for g in 0..<(n * groups) {
            let base = g * size
            var mean = 0.0
            for i in 0..<size { mean += v[base + i] }
            mean /= Double(size)
            var variance = 0.0
            for i in 0..<size { variance += (v[base + i] - mean) * (v[base + i] - mean) }
            let inv = 1 / (variance / Double(size) + epsilon).squareRoot()
            for i in 0..<size {
                let channel = (g % groups) * perGroup + i / spatial
                let k = isPerChannel ? channel : g % groups
                y[base + i] = (v[base + i] - mean) * inv * s[k] + b[k]
            }
        }
        return [try FloatIO.make(x.dataType, x.shape, y, context)]
    }
}

/// MeanVarianceNormalization: (X - E[X]) / (sqrt(E[X^2] - E[X]^2) + 1e-9) over `axes`, as the
/// spec's function body computes it.
final class MeanVarianceNormalizationKernel: Kernel {
    let axes: [Int]

    init(_ ctx: KernelBuildContext) throws { axes = try ctx.ints("axes") ?? [0, 2, 3] }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        let reduced = Set(try axes.map { try Axis.normalize($0, rank: x.rank) })
        let v = try FloatIO.doubles(x)
        // Statistics live in the shape with reduced axes set to 1, broadcast back over X.
        let statShape = x.shape.enumerated().map { reduced.contains($0.offset) ? 1 : $0.element }
        let statStrides = Broadcasting.strides(of: statShape, in: x.shape)
        var index = [Int](repeating: 0, count: x.count)
        var counter = [Int](repeating: 0, count: x.rank)
        for i in 0..<x.count {
            var k = 0
            for d in 0..<x.rank { k += counter[d] * statStrides[d] }
            index[i] = k
            var d = x.rank - 1
            while d >= 0 {
                counter[d] += 1
                if counter[d] < x.shape[d] { break }
                counter[d] = 0
                d -= 1
            }
        }
        let statCount = statShape.reduce(1, *), per = Double(x.count / max(statCount, 1))
        var mean = [Double](repeating: 0, count: statCount), square = mean
        for i in 0..<x.count {
            mean[index[i]] += v[i]
            square[index[i]] += v[i] * v[i]
        }
        var y = v
        for i in 0..<x.count {
            let m = mean[index[i]] / per
            let std = max(square[index[i]] / per - m * m, 0).squareRoot()
            y[i] = (v[i] - m) / (std + 1e-9)
        }
        return [try FloatIO.make(x.dataType, x.shape, y, context)]
    }
}

/// LRN: y = x / (bias + alpha / size * sum of x^2 over the `size` neighbouring channels)^beta,
/// the window running from c - floor((size-1)/2) to c + ceil((size-1)/2).
final class LRNKernel: Kernel {
    let alpha: Double, beta: Double, bias: Double
    let size: Int

    init(_ ctx: KernelBuildContext) throws {
        alpha = Double(try ctx.float("alpha", default: 1e-4))
        beta = Double(try ctx.float("beta", default: 0.75))
        bias = Double(try ctx.float("bias", default: 1))
        guard let s = try ctx.int("size"), s > 0 else { throw ctx.fail("size must be a positive int") }
        size = s
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        guard x.rank >= 2 else { throw KernelFailure("X must have rank 2 or more, got \(x.shape)") }
        let n = x.shape[0], c = x.shape[1], spatial = x.shape.dropFirst(2).reduce(1, *)
        let v = try FloatIO.doubles(x)
        var y = v
        let below = (size - 1) / 2, above = size / 2
        for b in 0..<n {
            for ch in 0..<c {
                for s in 0..<spatial {
                    var sum = 0.0
                    for k in max(0, ch - below)...min(c - 1, ch + above) {
                        let e = v[(b * c + k) * spatial + s]
                        sum += e * e
                    }
                    let i = (b * c + ch) * spatial + s
                    y[i] = v[i] / pow(bias + alpha / Double(size) * sum, beta)
                }
            }
        }
        return [try FloatIO.make(x.dataType, x.shape, y, context)]
    }
}

enum NormalizationKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("RMSNormalization", since: 23) { try RMSNormalizationKernel($0) },
        KernelDescriptor("LpNormalization") { try LpNormalizationKernel($0) },
        KernelDescriptor("GroupNormalization", since: 18) { try GroupNormalizationKernel($0) },
        KernelDescriptor("MeanVarianceNormalization", since: 9) { try MeanVarianceNormalizationKernel($0) },
        KernelDescriptor("LRN") { try LRNKernel($0) },
    ]
}
