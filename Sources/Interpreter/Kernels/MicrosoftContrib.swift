import Foundation
import ONNXIR

/// com.microsoft FusedMatMul: Y = alpha * op(A) @ op(B) with optional transposes of the last two
/// axes and numpy batch broadcasting.
final class FusedMatMulKernel: Kernel {
    let alpha: Float
    let transA: Bool
    let transB: Bool

    init(_ ctx: KernelBuildContext) throws {
        alpha = try ctx.float("alpha", default: 1)
        transA = try ctx.int("transA", default: 0) == 1
        transB = try ctx.int("transB", default: 0) == 1
        if try ctx.int("transBatchA", default: 0) != 0 || ctx.int("transBatchB", default: 0) != 0 {
            throw ctx.fail("transBatchA/transBatchB are not supported")
        }
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let a = try Require.input(inputs, 0), b = try Require.input(inputs, 1)
        try Require.type(a, [.float], "A")
        try Require.type(b, [.float], "B")
        guard a.rank >= 2, b.rank >= 2 else { throw KernelFailure("inputs must have rank 2 or more, got \(a.shape) and \(b.shape)") }
        let (m, k) = transA ? (a.shape[a.rank - 1], a.shape[a.rank - 2]) : (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (k2, n) = transB ? (b.shape[b.rank - 1], b.shape[b.rank - 2]) : (b.shape[b.rank - 2], b.shape[b.rank - 1])
        guard k == k2 else { throw KernelFailure("inner dimensions differ: \(a.shape) and \(b.shape)") }
        let aBatch = Array(a.shape.dropLast(2)), bBatch = Array(b.shape.dropLast(2))
        guard let batchShape = Broadcasting.shape([aBatch, bBatch]) else { throw KernelFailure("batch dimensions do not broadcast") }
        let out = try context.allocate(.float, batchShape + [m, n])
        let batches = batchShape.reduce(1, *)
        let sa = Broadcasting.strides(of: aBatch, in: batchShape), sb = Broadcasting.strides(of: bBatch, in: batchShape)
        for i in 0..<batches {
            let (oa, ob) = Broadcasting.batchOffsets(i, batchShape: batchShape, sa, sb)
            context.sgemm(
                transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a.floats.baseAddress! + oa * m * k, lda: transA ? m : k,
                b: b.floats.baseAddress! + ob * k * n, ldb: transB ? k : n, beta: 0, c: out.floats.baseAddress! + i * m * n, ldc: n)
        }
        return [out]
    }
}

/// com.microsoft MatMulNBits: Y = A @ dequantize(B)^T (+ bias), where B holds N rows of K
/// weights quantized to `bits` in blocks of `block_size`, each block with a float scale and an
/// optional zero point (default 2^(bits-1)). The dequantized weight is cached per weight buffer.
final class MatMulNBitsKernel: Kernel {
    let k: Int, n: Int, bits: Int, blockSize: Int
    private var cache: (key: ObjectIdentifier, weights: [Float])?
    private let lock = NSLock()

    init(_ ctx: KernelBuildContext) throws {
        guard let k = try ctx.int("K"), let n = try ctx.int("N"), let blockSize = try ctx.int("block_size"), k > 0, n > 0, blockSize >= 16
        else {
            throw ctx.fail("attributes K, N and block_size (>= 16) are required")
        }
        self.k = k
        self.n = n
        self.blockSize = blockSize
        bits = try ctx.int("bits", default: 4)
        guard [2, 4, 8].contains(bits) else { throw ctx.fail("bits must be 2, 4 or 8, got \(bits)") }
        if ctx.node.inputs.count > 4, ctx.node.inputs[4] != nil { throw ctx.fail("g_idx (act-order) is not supported") }
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let a = try Require.input(inputs, 0), b = try Require.input(inputs, 1), scales = try Require.input(inputs, 2)
        let zeroPoints = inputs.count > 3 ? inputs[3] : nil
        let bias = inputs.count > 5 ? inputs[5] : nil
        try Require.type(a, [.float], "A")
        guard a.shape.last == k else { throw KernelFailure("A's last dimension is \(a.shape.last ?? 0), expected K = \(k)") }
        let weights = try dequantized(b, scales, zeroPoints)
        let rows = a.count / k
        let out = try context.allocate(.float, Array(a.shape.dropLast()) + [n])
        weights.withUnsafeBufferPointer { w in
            context.sgemm(
                transA: false, transB: true, m: rows, n: n, k: k, alpha: 1, a: a.floats.baseAddress!, lda: k, b: w.baseAddress!, ldb: k,
                beta: 0, c: out.floats.baseAddress!, ldc: n)
        }
        if let bias {
            let pb = try bias.floatValues()
            for r in 0..<rows { for j in 0..<n { out.floats[r * n + j] += pb[j] } }
        }
        return [out]
    }

    /// B as float [N, K].
    private func dequantized(_ b: RuntimeTensor, _ scales: RuntimeTensor, _ zeroPoints: RuntimeTensor?) throws -> [Float] {
        lock.lock()
        defer { lock.unlock() }
        let key = ObjectIdentifier(b.storage)
        if let cache, cache.key == key { return cache.weights }
        let blocks = (k + blockSize - 1) / blockSize
        let blobSize = blockSize * bits / 8
        guard b.dataType == .uint8, b.count == n * blocks * blobSize else {
            throw KernelFailure("B must be uint8 [\(n), \(blocks), \(blobSize)], got \(b.dataType.name)\(b.shape)")
        }
        let s = try scales.floatValues()
        guard s.count == n * blocks else { throw KernelFailure("scales hold \(s.count) values, expected \(n * blocks)") }
        let packed = b.elements(UInt8.self)
        let perByte = 8 / bits
        let mask = UInt8((1 << bits) - 1)
        let zeroBytesPerRow = (blocks * bits + 7) / 8
        let floatZeros = try zeroPoints.flatMap { $0.dataType == .uint8 ? nil : try $0.floatValues() }
        var w = [Float](repeating: 0, count: n * k)
        for row in 0..<n {
            for block in 0..<blocks {
                let scale = s[row * blocks + block]
                var zero = Float(1 << (bits - 1))
                if let floatZeros {
                    zero = floatZeros[row * blocks + block]
                } else if let zp = zeroPoints {
                    let byte = zp.elements(UInt8.self)[row * zeroBytesPerRow + block / perByte]
                    zero = Float((byte >> UInt8((block % perByte) * bits)) & mask)
                }
                for j in 0..<blockSize {
                    let col = block * blockSize + j
                    guard col < k else { break }
                    let byte = packed[(row * blocks + block) * blobSize + j / perByte]
                    let q = (byte >> UInt8((j % perByte) * bits)) & mask
                    w[row * k + col] = (Float(q) - zero) * scale
                }
            }
        }
        cache = (key, w)
        return w
    }
}

enum MicrosoftContribKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("FusedMatMul", domain: "com.microsoft") { try FusedMatMulKernel($0) },
        KernelDescriptor("MatMulNBits", domain: "com.microsoft") { try MatMulNBitsKernel($0) },
    ]
}
