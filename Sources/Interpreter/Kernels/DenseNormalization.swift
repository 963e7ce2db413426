import CVectorMath
import Foundation
import ONNXIR

/// BatchNormalization in inference mode: y = (x - mean) / sqrt(var + eps) * scale + bias per
/// channel (axis 1). With training_mode=1 (opset 14) the batch's own mean and population
/// variance normalize, and the outputs add running_mean = mean * momentum + batch_mean *
/// (1 - momentum) and likewise running_var.
final class DenseBatchNormKernel: Kernel {
    let epsilon: Float
    let isTraining: Bool
    let momentum: Double
    init(_ ctx: KernelBuildContext) throws {
        epsilon = try ctx.float("epsilon", default: 1e-5)
        let mode = try ctx.int("training_mode", default: 0)
        isTraining = ctx.opset >= 14 && mode == 1
        momentum = Double(try ctx.float("momentum", default: 0.9))
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        if isTraining { return try runTraining(inputs, x, context) }
        let params = try (1...4).map { try Require.input(inputs, $0).floatValues() }
        try Require.type(x, [.float], "X")
        let channels = x.rank > 1 ? x.shape[1] : 1
        guard params.allSatisfy({ $0.count == channels }) else { throw KernelFailure("scale, B, mean and var need \(channels) values") }
        let out = try context.allocate(.float, x.shape)
        let inner = x.rank > 2 ? x.shape.dropFirst(2).reduce(1, *) : 1
        let px = x.floats, po = out.floats
        for c in 0..<channels {
            let f = params[0][c] / (params[3][c] + epsilon).squareRoot()
            let shift = params[1][c] - params[2][c] * f
            var n = 0
            while n < x.shape[0] {
                let base = (n * channels + c) * inner
                for i in 0..<inner { po[base + i] = px[base + i] * f + shift }
                n += 1
            }
        }
        return [out]
    }
}

extension DenseBatchNormKernel {
    fileprivate func runTraining(_ inputs: [RuntimeTensor?], _ x: RuntimeTensor, _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let params = try (1...4).map { try FloatIO.doubles(try Require.input(inputs, $0)) }
        let channels = x.rank > 1 ? x.shape[1] : 1
        guard params.allSatisfy({ $0.count == channels }) else { throw KernelFailure("scale, B, mean and var need \(channels) values") }
        let inner = x.rank > 2 ? x.shape.dropFirst(2).reduce(1, *) : 1
        let v = try FloatIO.doubles(x)
        var y = v
        var runningMean = [Double](repeating: 0, count: channels), runningVar = runningMean
        let count = Double(x.shape[0] * inner)
        for c in 0..<channels {
            var mean = 0.0, variance = 0.0
            for n in 0..<x.shape[0] { for i in 0..<inner { mean += v[(n * channels + c) * inner + i] } }
            mean /= count
            for n in 0..<x.shape[0] {
                for i in 0..<inner { variance += (v[(n * channels + c) * inner + i] - mean) * (v[(n * channels + c) * inner + i] - mean) }
            }
            variance /= count
            let inv = 1 / (variance + Double(epsilon)).squareRoot()
            for n in 0..<x.shape[0] {
                for i in 0..<inner {
                    let k = (n * channels + c) * inner + i
                    y[k] = (v[k] - mean) * inv * params[0][c] + params[1][c]
                }
            }
            runningMean[c] = params[2][c] * momentum + mean * (1 - momentum)
            runningVar[c] = params[3][c] * momentum + variance * (1 - momentum)
        }
        return [
            try FloatIO.make(x.dataType, x.shape, y, context), try FloatIO.make(x.dataType, [channels], runningMean, context),
            try FloatIO.make(x.dataType, [channels], runningVar, context),
        ]
    }
}

/// LayerNormalization (opset 17): normalizes over the axes from `axis` on, with optional Mean and
/// InvStdDev outputs.
final class DenseLayerNormKernel: Kernel {
    let axis: Int
    let epsilon: Float
    init(_ ctx: KernelBuildContext) throws {
        axis = try ctx.int("axis", default: -1)
        epsilon = try ctx.float("epsilon", default: 1e-5)
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0), scale = try Require.input(inputs, 1)
        let bias = inputs.count > 2 ? inputs[2] : nil
        try Require.type(x, [.float], "X")
        let a = axis < 0 ? axis + x.rank : axis
        guard a >= 0 && a < x.rank else { throw KernelFailure("axis \(axis) is out of range for rank \(x.rank)") }
        let rows = x.shape[..<a].reduce(1, *), size = x.shape[a...].reduce(1, *)
        let s = try scale.floatValues(), b = try bias?.floatValues()
        guard s.count == size || s.count == 1 else { throw KernelFailure("Scale has \(s.count) values, expected \(size)") }
        if let b, b.count != size && b.count != 1 { throw KernelFailure("B has \(b.count) values, expected \(size)") }
        let out = try context.allocate(.float, x.shape)
        let statShape = Array(x.shape[..<a]) + Array(repeating: 1, count: x.rank - a)
        let mean = try context.allocate(.float, statShape), inv = try context.allocate(.float, statShape)
        let px = x.floats, po = out.floats
        let vectorized = s.withUnsafeBufferPointer { ps in
            (b ?? []).withUnsafeBufferPointer { pb in
                let (pm, pi) = (mean.floats.baseAddress, inv.floats.baseAddress)
                let (scalarScale, scalarBias) = (Int32(s.count == 1 ? 1 : 0), Int32(b?.count == 1 ? 1 : 0))
                guard
                    whittle_layer_norm_rows_f32(
                        px.baseAddress, 0, min(1, rows), size, ps.baseAddress, scalarScale, pb.baseAddress, scalarBias, epsilon,
                        po.baseAddress, pm, pi) != 0
                else { return false }
                // Rows are independent: spread them over the threads (BERT's 128 x 768 norms).
                context.parallelFor(rows, grain: max(1, 16384 / max(size, 1))) { range in
                    let first = max(range.lowerBound, 1)
                    guard first < range.upperBound else { return }
                    _ = whittle_layer_norm_rows_f32(
                        px.baseAddress, first, range.upperBound, size, ps.baseAddress, scalarScale, pb.baseAddress, scalarBias, epsilon,
                        po.baseAddress, pm, pi)
                }
                return true
            }
        }
        if vectorized { return [out, mean, inv] }
        for r in 0..<rows {
            let base = r * size
            var m: Float = 0
            for i in 0..<size { m += px[base + i] }
            m /= Float(size)
            var v: Float = 0
            for i in 0..<size { let d = px[base + i] - m; v += d * d }
            let invStd = 1 / (v / Float(size) + epsilon).squareRoot()
            for i in 0..<size {
                po[base + i] = (px[base + i] - m) * invStd * s[s.count == 1 ? 0 : i] + (b.map { $0[$0.count == 1 ? 0 : i] } ?? 0)
            }
            mean.floats[r] = m
            inv.floats[r] = invStd
        }
        return [out, mean, inv]
    }
}

/// InstanceNormalization: per (n, c) plane.
final class DenseInstanceNormKernel: Kernel {
    let epsilon: Float
    init(_ ctx: KernelBuildContext) throws { epsilon = try ctx.float("epsilon", default: 1e-5) }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        let s = try Require.input(inputs, 1).floatValues(), b = try Require.input(inputs, 2).floatValues()
        try Require.type(x, [.float], "X")
        let channels = x.shape[1], size = x.shape.dropFirst(2).reduce(1, *)
        let out = try context.allocate(.float, x.shape)
        let px = x.floats, po = out.floats
        for plane in 0..<(x.shape[0] * channels) {
            let c = plane % channels, base = plane * size
            var m: Float = 0
            for i in 0..<size { m += px[base + i] }
            m /= Float(size)
            var v: Float = 0
            for i in 0..<size { let d = px[base + i] - m; v += d * d }
            let invStd = 1 / (v / Float(size) + epsilon).squareRoot()
            for i in 0..<size { po[base + i] = (px[base + i] - m) * invStd * s[c] + b[c] }
        }
        return [out]
    }
}

/// Softmax / LogSoftmax / Hardmax: along `axis` from opset 13, over the flattened trailing axes
/// (coerced to 2-D at `axis`, default 1) before; numerically stable.
final class DenseSoftmaxKernel: Kernel {
    enum Kind { case softmax, logSoftmax, hardmax }
    let kind: Kind
    let axis: Int
    let coerced: Bool

    init(_ ctx: KernelBuildContext, kind: Kind) throws {
        self.kind = kind
        coerced = ctx.opset < 13
        axis = try ctx.int("axis", default: ctx.opset < 13 ? 1 : -1)
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        if x.dataType == .float16 || x.dataType == .bfloat16 {
            let wide = try run([try HalfPrecision.widen(x, context)], context)
            guard let result = wide.first ?? nil else { throw KernelFailure("internal: no result") }
            return [try HalfPrecision.narrow(result, to: x.dataType, context)]
        }
        try Require.type(x, [.float, .double], "input")
        let a = axis < 0 ? axis + x.rank : axis
        guard a >= 0 && (a < x.rank || (coerced && a == x.rank)) else {
            throw KernelFailure("axis \(axis) is out of range for rank \(x.rank)")
        }
        let (outer, length, inner) =
            coerced
            ? (x.shape[..<a].reduce(1, *), x.shape[a...].reduce(1, *), 1)
            : (x.shape[..<a].reduce(1, *), x.shape[a], x.shape[(a + 1)...].reduce(1, *))
        if x.dataType == .double {
            let out = try context.allocate(.double, x.shape)
            Self.compute(kind, x.elements(Double.self), out.elements(Double.self), outer, length, inner, context)
            return [out]
        }
        let out = try context.allocate(.float, x.shape)
        if inner == 1 && kind != .hardmax && Self.contiguousRows(x.floats, out.floats, outer, length, log: kind == .logSoftmax, context) {
            return [out]
        }
        Self.compute(kind, x.floats, out.floats, outer, length, inner, context)
        return [out]
    }

    /// Softmax over contiguous rows (the last axis) with the vector loops of CVectorMath; false
    /// when the CPU lacks them.
    private static func contiguousRows(
        _ px: UnsafeMutableBufferPointer<Float>, _ po: UnsafeMutableBufferPointer<Float>, _ rows: Int, _ length: Int, log: Bool,
        _ context: ExecutionContext
    ) -> Bool {
        guard length > 0, let src = px.baseAddress, let dst = po.baseAddress,
            whittle_softmax_row_f32(src, dst, length, log ? 1 : 0) != 0
        else { return false }
        context.parallelFor(rows, grain: max(1, 16384 / length)) { range in
            for row in range where row > 0 { _ = whittle_softmax_row_f32(src + row * length, dst + row * length, length, log ? 1 : 0) }
        }
        return true
    }

    private static func compute<T: SoftmaxElement>(
        _ kind: Kind, _ px: UnsafeMutableBufferPointer<T>, _ po: UnsafeMutableBufferPointer<T>, _ outer: Int, _ length: Int, _ inner: Int,
        _ context: ExecutionContext
    ) {
        context.parallelFor(outer * inner, grain: 64) { range in
            for row in range {
                let o = row / inner, i = row % inner
                let base = o * length * inner + i
                var m = -T.infinity, arg = 0
                for j in 0..<length where px[base + j * inner] > m { m = px[base + j * inner]; arg = j }
                switch kind {
                case .hardmax:
                    for j in 0..<length { po[base + j * inner] = j == arg ? 1 : 0 }
                case .softmax, .logSoftmax:
                    var sum: T = 0
                    for j in 0..<length {
                        let e = T.exp(px[base + j * inner] - m)
                        po[base + j * inner] = e
                        sum += e
                    }
                    if kind == .softmax {
                        let invSum = 1 / sum
                        for j in 0..<length { po[base + j * inner] *= invSum }
                    } else {
                        let logSum = T.log(sum)
                        for j in 0..<length { po[base + j * inner] = px[base + j * inner] - m - logSum }
                    }
                }
            }
        }
    }
}

/// The element types Softmax computes in directly (16-bit floats widen to float32 first).
protocol SoftmaxElement: BinaryFloatingPoint {
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
}
extension Float: SoftmaxElement {
    static func exp(_ x: Float) -> Float { Foundation.exp(x) }
    static func log(_ x: Float) -> Float { Foundation.log(x) }
}
extension Double: SoftmaxElement {
    static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    static func log(_ x: Double) -> Double { Foundation.log(x) }
}

enum DenseKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("Conv") { try DenseConvKernel($0) },
        KernelDescriptor("MatMul") { _ in DenseMatMulKernel() },
        KernelDescriptor("Gemm") { try DenseGemmKernel($0) },
        KernelDescriptor("MaxPool") { try DensePoolKernel($0, kind: .max) },
        KernelDescriptor("AveragePool") { try DensePoolKernel($0, kind: .average) },
        KernelDescriptor("LpPool", since: 2) { try DensePoolKernel($0, kind: .lp) },
        KernelDescriptor("GlobalAveragePool") { try GlobalPoolKernel($0, kind: .average) },
        KernelDescriptor("GlobalMaxPool") { try GlobalPoolKernel($0, kind: .max) },
        KernelDescriptor("GlobalLpPool", since: 2) { try GlobalPoolKernel($0, kind: .lp) },
        KernelDescriptor("BatchNormalization") { try DenseBatchNormKernel($0) },
        KernelDescriptor("LayerNormalization", since: 17) { try DenseLayerNormKernel($0) },
        KernelDescriptor("InstanceNormalization") { try DenseInstanceNormKernel($0) },
        KernelDescriptor("Softmax") { try DenseSoftmaxKernel($0, kind: .softmax) },
        KernelDescriptor("LogSoftmax") { try DenseSoftmaxKernel($0, kind: .logSoftmax) },
        KernelDescriptor("Hardmax") { try DenseSoftmaxKernel($0, kind: .hardmax) },
    ]
}
