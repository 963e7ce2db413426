import ONNXIR

/// NonZero: the coordinates of non-zero elements, as int64 [rank, count] in row-major order.
final class NonZeroKernel: Kernel {
    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        let positions = try Self.nonZeroPositions(x)
        let rank = x.rank
        let out = try context.allocate(.int64, [rank, positions.count])
        let p = out.elements(Int64.self)
        let strides = StridedCopy.contiguousStrides(x.shape)
        for (k, linear) in positions.enumerated() {
            var rest = linear
            for d in 0..<rank {
                p[d * positions.count + k] = Int64(rest / strides[d])
                rest %= strides[d]
            }
        }
        return [out]
    }

    /// Linear positions of the non-zero elements (any byte set counts, except float -0).
    static func nonZeroPositions(_ x: RuntimeTensor) throws -> [Int] {
        if let strings = x.strings { return strings.indices.filter { !strings[$0].isEmpty } }
        var result: [Int] = []
        switch x.dataType {
        case .float: result = x.floats.indices.filter { x.floats[$0] != 0 }
        case .double:
            let v = x.elements(Double.self)
            result = v.indices.filter { v[$0] != 0 }
        case .float16, .bfloat16:
            let v = x.elements(UInt16.self)
            result = v.indices.filter { v[$0] & 0x7FFF != 0 }
        default:
            let width = try Axis.elementBytes(x.dataType)
            let bytes = x.raw.assumingMemoryBound(to: UInt8.self)
            for i in 0..<x.count where (0..<width).contains(where: { bytes[i * width + $0] != 0 }) { result.append(i) }
        }
        return result
    }
}

/// Compress: the slices along `axis` (or the flattened input) whose condition is true; a
/// condition shorter than the axis leaves the rest out.
final class CompressKernel: Kernel {
    let axis: Int?
    init(_ ctx: KernelBuildContext) throws { axis = try ctx.int("axis") }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0), condition = try Require.input(inputs, 1, "condition")
        if x.strings != nil {
            return try StringMovement.run(inputs, stringInputs: [0], stringOutputs: [0], context) { try self.run($0, context) }
        }
        let data = axis == nil ? x.reshaped([x.count]) : x
        let a = try Axis.normalize(axis ?? 0, rank: data.rank)
        let flags = try condition.int64Values()
        let dim = data.shape[a]
        guard flags.count <= dim else { throw KernelFailure("condition has \(flags.count) entries for an axis of size \(dim)") }
        let kept = flags.indices.filter { flags[$0] != 0 }
        var shape = data.shape
        shape[a] = kept.count
        let out = try context.allocate(x.dataType, shape)
        let width = try Axis.elementBytes(x.dataType)
        let block = data.shape[(a + 1)...].reduce(1, *) * width
        let outer = data.shape[..<a].reduce(1, *)
        if block > 0 {
            for o in 0..<outer {
                for (j, i) in kept.enumerated() {
                    (out.raw + (o * kept.count + j) * block).copyMemory(from: data.raw + (o * dim + i) * block, byteCount: block)
                }
            }
        }
        return [out]
    }
}

enum MaskingKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("NonZero", since: 9) { _ in NonZeroKernel() },
        KernelDescriptor("Compress", since: 9) { try CompressKernel($0) },
    ]
}
