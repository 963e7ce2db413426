import ONNXIR

/// Concat: joins inputs along `axis` with one memcpy per input per outer index.
final class ConcatKernel: Kernel {
    let axis: Int
    init(_ ctx: KernelBuildContext) throws {
        guard let axis = try ctx.int("axis") ?? (ctx.opset < 4 ? 1 : nil) else { throw ctx.fail("missing attribute 'axis'") }
        self.axis = axis
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let parts = inputs.compactMap { $0 }
        guard let first = parts.first else { throw KernelFailure("needs at least one input") }
        if first.strings != nil {
            return try StringMovement.run(inputs, stringInputs: Array(inputs.indices), stringOutputs: [0], context) {
                try self.run($0, context)
            }
        }
        let a = try Axis.normalize(axis, rank: first.rank)
        var shape = first.shape
        shape[a] = 0
        for p in parts {
            guard p.dataType == first.dataType else {
                throw KernelFailure("inputs differ in type (\(first.dataType.name), \(p.dataType.name))")
            }
            guard p.rank == first.rank, p.shape.enumerated().allSatisfy({ $0.offset == a || $0.element == first.shape[$0.offset] }) else {
                throw KernelFailure("input shapes \(first.shape) and \(p.shape) differ outside axis \(a)")
            }
            shape[a] += p.shape[a]
        }
        let out = try context.allocate(first.dataType, shape)
        let width = try Axis.elementBytes(first.dataType)
        let outer = shape[..<a].reduce(1, *)
        let rowBytes = shape[a...].reduce(1, *) * width
        var column = 0
        for p in parts {
            let bytes = p.shape[a...].reduce(1, *) * width
            if bytes > 0 {
                for o in 0..<outer { (out.raw + o * rowBytes + column).copyMemory(from: p.raw + o * bytes, byteCount: bytes) }
            }
            column += bytes
        }
        return [out]
    }
}

/// Split: sizes from the `split` attribute (opset < 13) or input (13+), else `num_outputs`
/// (opset 18, the last part smaller) or equal parts, one per output.
final class SplitKernel: Kernel {
    let axis: Int
    let attributeSplit: [Int]?
    let splitIsInput: Bool
    let outputCount: Int
    let numOutputs: Int?

    init(_ ctx: KernelBuildContext) throws {
        axis = try ctx.int("axis", default: 0)
        splitIsInput = ctx.opset >= 13 || ctx.opset == 1
        attributeSplit = ctx.opset >= 13 ? nil : try ctx.ints("split")
        outputCount = ctx.node.outputs.count
        numOutputs = ctx.opset >= 18 ? try ctx.int("num_outputs") : nil
        if let numOutputs, numOutputs != outputCount {
            throw ctx.fail("num_outputs is \(numOutputs) but the node has \(outputCount) outputs")
        }
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        if x.strings != nil {
            return try StringMovement.run(inputs, stringInputs: [0], stringOutputs: Array(0..<outputCount), context) {
                try self.run($0, context)
            }
        }
        let a = try Axis.normalize(axis, rank: x.rank)
        let dim = x.shape[a]
        var sizes = try attributeSplit ?? (splitIsInput && inputs.count > 1 ? inputs[1]?.intValues() : nil) ?? []
        if sizes.isEmpty {
            if numOutputs != nil {
                let chunk = (dim + outputCount - 1) / outputCount
                sizes = (0..<outputCount).map { Swift.max(0, Swift.min(chunk, dim - $0 * chunk)) }
            } else {
                guard dim % outputCount == 0 else {
                    throw KernelFailure("axis \(a) of size \(dim) does not split into \(outputCount) equal parts")
                }
                sizes = [Int](repeating: dim / outputCount, count: outputCount)
            }
        }
        guard sizes.count == outputCount, sizes.reduce(0, +) == dim, sizes.allSatisfy({ $0 >= 0 }) else {
            throw KernelFailure("split \(sizes) does not cover axis \(a) of size \(dim) with \(outputCount) outputs")
        }
        let width = try Axis.elementBytes(x.dataType)
        let outer = x.shape[..<a].reduce(1, *)
        let inner = x.shape[(a + 1)...].reduce(1, *)
        let rowBytes = dim * inner * width
        var column = 0
        var outputs: [RuntimeTensor?] = []
        for size in sizes {
            var shape = x.shape
            shape[a] = size
            let out = try context.allocate(x.dataType, shape)
            let bytes = size * inner * width
            if bytes > 0 {
                for o in 0..<outer { (out.raw + o * bytes).copyMemory(from: x.raw + o * rowBytes + column, byteCount: bytes) }
            }
            column += bytes
            outputs.append(out)
        }
        return outputs
    }
}

enum ConcatKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("Concat") { try ConcatKernel($0) },
        KernelDescriptor("Split") { try SplitKernel($0) },
    ]
}
