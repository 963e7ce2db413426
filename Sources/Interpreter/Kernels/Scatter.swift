import ONNXIR

/// How scattered updates combine with what is there (opset 16: add, mul; 18: max, min).
enum ScatterReduction: String {
    case none, add, mul, max, min

    init(_ ctx: KernelBuildContext) throws {
        let name = try ctx.string("reduction", default: "none")
        guard let r = ScatterReduction(rawValue: name) else { throw ctx.fail("unknown reduction '\(name)'") }
        self = r
    }

    /// Writes `count` updates at `offsets` (element offsets in `out`, one per update block of
    /// `block` elements), combining per the reduction.
    func apply(_ out: RuntimeTensor, _ updates: RuntimeTensor, offsets: [Int], block: Int) throws {
        if self == .none {
            let width = try Axis.elementBytes(out.dataType)
            for (k, o) in offsets.enumerated() {
                (out.raw + o * width).copyMemory(from: updates.raw + k * block * width, byteCount: block * width)
            }
            return
        }
        switch out.dataType {
        case .float: combine(out, updates, offsets, block, Float.self)
        case .double: combine(out, updates, offsets, block, Double.self)
        case .int64: combine(out, updates, offsets, block, Int64.self)
        case .int32: combine(out, updates, offsets, block, Int32.self)
        case .int16: combine(out, updates, offsets, block, Int16.self)
        case .int8: combine(out, updates, offsets, block, Int8.self)
        case .uint8: combine(out, updates, offsets, block, UInt8.self)
        case .uint16: combine(out, updates, offsets, block, UInt16.self)
        case .uint32: combine(out, updates, offsets, block, UInt32.self)
        case .uint64: combine(out, updates, offsets, block, UInt64.self)
        default: throw KernelFailure("reduction \(rawValue) is not supported for \(out.dataType.name)")
        }
    }

    private func combine<T: Numeric & Comparable>(_ out: RuntimeTensor, _ updates: RuntimeTensor, _ offsets: [Int], _ block: Int, _: T.Type)
    {
        let dst = out.raw.assumingMemoryBound(to: T.self), src = updates.raw.assumingMemoryBound(to: T.self)
        for (k, o) in offsets.enumerated() {
            let target = dst + o, from = src + k * block
            switch self {
            case .add: for i in 0..<block { target[i] += from[i] }
            case .mul: for i in 0..<block { target[i] *= from[i] }
            case .max: for i in 0..<block { target[i] = Swift.max(target[i], from[i]) }
            case .min: for i in 0..<block { target[i] = Swift.min(target[i], from[i]) }
            case .none: for i in 0..<block { target[i] = from[i] }
            }
        }
    }
}

/// ScatterElements (and the deprecated Scatter): out = data with updates[p] written at p with
/// its `axis` coordinate replaced by indices[p].
final class ScatterElementsKernel: Kernel {
    let axis: Int
    let reduction: ScatterReduction

    init(_ ctx: KernelBuildContext) throws {
        axis = try ctx.int("axis", default: 0)
        reduction = try ScatterReduction(ctx)
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let data = try Require.input(inputs, 0), indices = try Require.input(inputs, 1, "indices")
        let updates = try Require.input(inputs, 2, "updates")
        if data.strings != nil {
            return try StringMovement.run(inputs, stringInputs: [0, 2], stringOutputs: [0], context) { try self.run($0, context) }
        }
        guard updates.shape == indices.shape, data.rank == indices.rank, updates.dataType == data.dataType else {
            throw KernelFailure("indices \(indices.shape), updates \(updates) and data \(data) do not match")
        }
        let a = try Axis.normalize(axis, rank: data.rank)
        let index = try IndexValues.read(indices, size: data.shape[a])
        let offsets = try ElementOffsets.along(a, indices: index, indexShape: indices.shape, dataShape: data.shape)
        let out = try context.allocate(data.dataType, data.shape)
        out.raw.copyMemory(from: data.raw, byteCount: data.byteCount)
        try reduction.apply(out, updates, offsets: offsets, block: 1)
        return [out]
    }
}

/// ScatterND: out = data with slices of updates written at the index tuples.
final class ScatterNDKernel: Kernel {
    let reduction: ScatterReduction
    init(_ ctx: KernelBuildContext) throws { reduction = try ScatterReduction(ctx) }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let data = try Require.input(inputs, 0), indices = try Require.input(inputs, 1, "indices")
        let updates = try Require.input(inputs, 2, "updates")
        if data.strings != nil {
            return try StringMovement.run(inputs, stringInputs: [0, 2], stringOutputs: [0], context) { try self.run($0, context) }
        }
        let slices = try NDIndexing(data: data.shape, indices: indices, batchDims: 0)
        let expected = Array(indices.shape.dropLast()) + Array(data.shape[slices.depth...])
        guard updates.shape == expected, updates.dataType == data.dataType else {
            throw KernelFailure("updates must be \(data.dataType.name)\(expected), got \(updates)")
        }
        let out = try context.allocate(data.dataType, data.shape)
        out.raw.copyMemory(from: data.raw, byteCount: data.byteCount)
        try reduction.apply(out, updates, offsets: slices.offsets, block: slices.sliceSize)
        return [out]
    }
}

enum ScatterKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("Scatter", since: 9) { try ScatterElementsKernel($0) },
        KernelDescriptor("ScatterElements", since: 11) { try ScatterElementsKernel($0) },
        KernelDescriptor("ScatterND", since: 11) { try ScatterNDKernel($0) },
    ]
}
