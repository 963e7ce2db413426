import ONNXIR

/// Transpose (perm defaults to reversing the axes), and DepthToSpace/SpaceToDepth, which are
/// transposes of a 6-D view of the input. All go through `StridedCopy`, which tiles the
/// NCHW <-> NHWC and 2-D cases.
final class TransposeKernel: Kernel {
    let perm: [Int]?
    init(_ ctx: KernelBuildContext) throws { perm = try ctx.ints("perm") }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        let perm = self.perm ?? Array((0..<x.rank).reversed())
        guard perm.count == x.rank, Set(perm) == Set(0..<x.rank) else {
            throw KernelFailure("perm \(perm) is not a permutation of the \(x.rank) axes of \(x.shape)")
        }
        return [try Self.permute(x, viewShape: x.shape, perm: perm, context)]
    }

    /// Reads `x` as `viewShape` (same element count) and permutes that view's axes.
    static func permute(_ x: RuntimeTensor, viewShape: [Int], perm: [Int], _ context: ExecutionContext) throws -> RuntimeTensor {
        if x.strings != nil {
            return try StringMovement.run([x], stringInputs: [0], stringOutputs: [0], context) {
                [try permute($0[0]!, viewShape: viewShape, perm: perm, context)]
            }[0]!
        }
        if perm == Array(perm.indices) { return x.reshaped(viewShape) }
        let strides = StridedCopy.contiguousStrides(viewShape)
        let outShape = perm.map { viewShape[$0] }
        let out = try context.allocate(x.dataType, outShape)
        try StridedCopy(dims: outShape, strides: perm.map { strides[$0] }).copy(from: x, to: out, context)
        return out
    }
}

/// DepthToSpace (DCR or CRD) and SpaceToDepth on NCHW tensors.
final class DepthSpaceKernel: Kernel {
    let blockSize: Int
    let isDepthToSpace: Bool
    let isColumnRowDepth: Bool

    init(_ ctx: KernelBuildContext, depthToSpace: Bool) throws {
        guard let b = try ctx.int("blocksize"), b > 0 else { throw ctx.fail("attribute 'blocksize' must be a positive int") }
        blockSize = b
        isDepthToSpace = depthToSpace
        let mode = try ctx.string("mode", default: "DCR")
        guard mode == "DCR" || mode == "CRD" else { throw ctx.fail("unknown mode '\(mode)' (expected DCR or CRD)") }
        isColumnRowDepth = mode == "CRD"
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        guard x.rank == 4 else { throw KernelFailure("input must be 4-D (NCHW), got \(x.shape)") }
        let (n, c, h, w, b) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], blockSize)
        if isDepthToSpace {
            guard c % (b * b) == 0 else { throw KernelFailure("channels \(c) are not a multiple of blocksize² \(b * b)") }
            let out =
                isColumnRowDepth
                ? try TransposeKernel.permute(x, viewShape: [n, c / (b * b), b, b, h, w], perm: [0, 1, 4, 2, 5, 3], context)
                : try TransposeKernel.permute(x, viewShape: [n, b, b, c / (b * b), h, w], perm: [0, 3, 4, 1, 5, 2], context)
            return [out.reshaped([n, c / (b * b), h * b, w * b])]
        }
        guard h % b == 0, w % b == 0 else { throw KernelFailure("spatial size \(h)x\(w) is not a multiple of blocksize \(b)") }
        // DCR puts the block offset before the channel, CRD (mode added to SpaceToDepth later) after.
        let perm = isColumnRowDepth ? [0, 1, 3, 5, 2, 4] : [0, 3, 5, 1, 2, 4]
        let out = try TransposeKernel.permute(x, viewShape: [n, c, h / b, b, w / b, b], perm: perm, context)
        return [out.reshaped([n, c * b * b, h / b, w / b])]
    }
}

enum TransposeKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("Transpose") { try TransposeKernel($0) },
        KernelDescriptor("DepthToSpace") { try DepthSpaceKernel($0, depthToSpace: true) },
        KernelDescriptor("SpaceToDepth") { try DepthSpaceKernel($0, depthToSpace: false) },
    ]
}
