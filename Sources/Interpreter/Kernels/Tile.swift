import ONNXIR

/// Tile (repeats per axis) and Expand (bidirectional broadcast to a shape): strided copies with
/// zero strides along repeated axes.
final class TileKernel: Kernel {
    let isExpand: Bool
    init(expand: Bool) { isExpand = expand }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        if x.strings != nil {
            return try StringMovement.run(inputs, stringInputs: [0], stringOutputs: [0], context) { try self.run($0, context) }
        }
        let values = try Require.input(inputs, 1, isExpand ? "shape" : "repeats").intValues()
        let strides = StridedCopy.contiguousStrides(x.shape)
        if isExpand {
            guard let shape = Broadcasting.shape([x.shape, values]), shape.allSatisfy({ $0 >= 0 }) else {
                throw KernelFailure("shape \(x.shape) does not broadcast to \(values)")
            }
            if shape == x.shape { return [x] }
            let offset = shape.count - x.rank
            let viewStrides = shape.indices.map { d in d < offset || x.shape[d - offset] == 1 ? 0 : strides[d - offset] }
            let out = try context.allocate(x.dataType, shape)
            try StridedCopy(dims: shape, strides: viewStrides).copy(from: x, to: out, context)
            return [out]
        }
        guard values.count == x.rank, values.allSatisfy({ $0 >= 0 }) else {
            throw KernelFailure("repeats \(values) must hold one non-negative count per axis of \(x.shape)")
        }
        // View [r0, d0, r1, d1, ...] with zero strides along the repeats.
        var dims: [Int] = [], viewStrides: [Int] = []
        for d in 0..<x.rank {
            dims += [values[d], x.shape[d]]
            viewStrides += [0, strides[d]]
        }
        let out = try context.allocate(x.dataType, x.shape.indices.map { x.shape[$0] * values[$0] })
        try StridedCopy(dims: dims, strides: viewStrides).copy(from: x, to: out, context)
        return [out]
    }
}

enum TileKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("Tile", since: 6) { _ in TileKernel(expand: false) },
        KernelDescriptor("Expand", since: 8) { _ in TileKernel(expand: true) },
    ]
}
