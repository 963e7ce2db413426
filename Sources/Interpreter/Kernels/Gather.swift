import ONNXIR

/// Reads an index tensor (int32 or int64) as Int, wrapping negative indices once and rejecting
/// indices outside [-size, size).
enum IndexValues {
    static func read(_ t: RuntimeTensor, size: Int, what: String = "index") throws -> [Int] {
        guard t.dataType == .int64 || t.dataType == .int32 else {
            throw KernelFailure("indices must be int32 or int64, got \(t.dataType.name)")
        }
        var values = try t.intValues()
        for k in values.indices {
            let i = values[k]
            guard i >= -size && i < size else { throw KernelFailure("\(what) \(i) is out of range for a dimension of size \(size)") }
            if i < 0 { values[k] = i + size }
        }
        return values
    }
}

/// Gather: whole slices along `axis`, one memcpy per index per outer position.
final class GatherKernel: Kernel {
    let axis: Int
    init(_ ctx: KernelBuildContext) throws { axis = try ctx.int("axis", default: 0) }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let data = try Require.input(inputs, 0), indices = try Require.input(inputs, 1, "indices")
        if data.strings != nil {
            return try StringMovement.run(inputs, stringInputs: [0], stringOutputs: [0], context) { try self.run($0, context) }
        }
        let a = try Axis.normalize(axis, rank: data.rank)
        let dim = data.shape[a]
        let index = try IndexValues.read(indices, size: dim)
        let out = try context.allocate(data.dataType, Array(data.shape[..<a]) + indices.shape + Array(data.shape[(a + 1)...]))
        let width = try Axis.elementBytes(data.dataType)
        let outer = data.shape[..<a].reduce(1, *)
        let block = data.shape[(a + 1)...].reduce(1, *) * width
        if block == 0 || out.count == 0 { return [out] }
        let n = index.count
        if block == width {
            // Single elements (a gather along the last axis): a typed loop, not a memcpy each.
            switch try ElementWidth(data.dataType) {
            case .one: Self.gatherElements(data.raw, out.raw, index, outer: outer, dim: dim, UInt8.self)
            case .two: Self.gatherElements(data.raw, out.raw, index, outer: outer, dim: dim, UInt16.self)
            case .four: Self.gatherElements(data.raw, out.raw, index, outer: outer, dim: dim, UInt32.self)
            case .eight: Self.gatherElements(data.raw, out.raw, index, outer: outer, dim: dim, UInt64.self)
            case .sixteen: Self.gatherElements(data.raw, out.raw, index, outer: outer, dim: dim, SIMD2<UInt64>.self)
            }
            return [out]
        }
        index.withUnsafeBufferPointer { idx in
            context.parallelFor(outer * n, grain: Swift.max(1, 65536 / block)) { range in
                for k in range {
                    let (o, j) = k.quotientAndRemainder(dividingBy: n)
                    (out.raw + k * block).copyMemory(from: data.raw + (o * dim + idx[j]) * block, byteCount: block)
                }
            }
        }
        return [out]
    }
}

extension GatherKernel {
    fileprivate static func gatherElements<T>(
        _ src: UnsafeMutableRawPointer, _ dst: UnsafeMutableRawPointer, _ index: [Int], outer: Int, dim: Int, _: T.Type
    ) {
        let s = src.assumingMemoryBound(to: T.self), d = dst.assumingMemoryBound(to: T.self)
        let n = index.count
        for o in 0..<outer {
            let row = s + o * dim, target = d + o * n
            for j in 0..<n { target[j] = row[index[j]] }
        }
    }
}

/// GatherElements: out[p] = data[p with its `axis` coordinate replaced by indices[p]].
final class GatherElementsKernel: Kernel {
    let axis: Int
    init(_ ctx: KernelBuildContext) throws { axis = try ctx.int("axis", default: 0) }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let data = try Require.input(inputs, 0), indices = try Require.input(inputs, 1, "indices")
        if data.strings != nil {
            return try StringMovement.run(inputs, stringInputs: [0], stringOutputs: [0], context) { try self.run($0, context) }
        }
        guard data.rank == indices.rank else { throw KernelFailure("data \(data.shape) and indices \(indices.shape) differ in rank") }
        let a = try Axis.normalize(axis, rank: data.rank)
        let index = try IndexValues.read(indices, size: data.shape[a])
        let out = try context.allocate(data.dataType, indices.shape)
        let offsets = try ElementOffsets.along(a, indices: index, indexShape: indices.shape, dataShape: data.shape)
        switch try ElementWidth(data.dataType) {
        case .one: ElementOffsets.gather(data.raw, out.raw, offsets, UInt8.self)
        case .two: ElementOffsets.gather(data.raw, out.raw, offsets, UInt16.self)
        case .four: ElementOffsets.gather(data.raw, out.raw, offsets, UInt32.self)
        case .eight: ElementOffsets.gather(data.raw, out.raw, offsets, UInt64.self)
        case .sixteen: ElementOffsets.gather(data.raw, out.raw, offsets, SIMD2<UInt64>.self)
        }
        return [out]
    }
}

/// Element offsets into `data` for GatherElements/ScatterElements: position p of the index
/// tensor addresses data at p with its `axis` coordinate replaced by the index.
enum ElementOffsets {
    static func along(_ axis: Int, indices: [Int], indexShape: [Int], dataShape: [Int]) throws -> [Int] {
        for d in indexShape.indices where d != axis && indexShape[d] > dataShape[d] {
            throw KernelFailure("indices of shape \(indexShape) exceed data of shape \(dataShape) on axis \(d)")
        }
        let strides = StridedCopy.contiguousStrides(dataShape)
        var offsets = [Int](repeating: 0, count: indices.count)
        var position = [Int](repeating: 0, count: indexShape.count)
        var base = 0
        for k in 0..<indices.count {
            offsets[k] = base + indices[k] * strides[axis]
            var d = indexShape.count - 1
            while d >= 0 {
                position[d] += 1
                if d != axis { base += strides[d] }
                if position[d] < indexShape[d] { break }
                if d != axis { base -= strides[d] * indexShape[d] }
                position[d] = 0
                d -= 1
            }
        }
        return offsets
    }

    static func gather<T>(_ src: UnsafeMutableRawPointer, _ dst: UnsafeMutableRawPointer, _ offsets: [Int], _: T.Type) {
        let s = src.assumingMemoryBound(to: T.self), d = dst.assumingMemoryBound(to: T.self)
        for k in offsets.indices { d[k] = s[offsets[k]] }
    }
}

/// GatherND with `batch_dims` (opset 12): each innermost index tuple selects a slice of data.
final class GatherNDKernel: Kernel {
    let batchDims: Int
    init(_ ctx: KernelBuildContext) throws { batchDims = try ctx.int("batch_dims", default: 0) }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let data = try Require.input(inputs, 0), indices = try Require.input(inputs, 1, "indices")
        if data.strings != nil {
            return try StringMovement.run(inputs, stringInputs: [0], stringOutputs: [0], context) { try self.run($0, context) }
        }
        let slices = try NDIndexing(data: data.shape, indices: indices, batchDims: batchDims)
        let out = try context.allocate(data.dataType, Array(indices.shape.dropLast()) + Array(data.shape[(batchDims + slices.depth)...]))
        let width = try Axis.elementBytes(data.dataType)
        let block = slices.sliceSize * width
        if block > 0 {
            for (k, offset) in slices.offsets.enumerated() {
                (out.raw + k * block).copyMemory(from: data.raw + offset * width, byteCount: block)
            }
        }
        return [out]
    }
}

/// The element offsets of the slices an ND index tensor addresses (GatherND, ScatterND).
struct NDIndexing {
    /// Index tuple length.
    let depth: Int
    /// Elements per addressed slice.
    let sliceSize: Int
    /// Element offset of each tuple's slice in data.
    let offsets: [Int]

    init(data: [Int], indices: RuntimeTensor, batchDims: Int) throws {
        guard indices.rank >= 1, let depth = indices.shape.last, batchDims >= 0, batchDims < indices.rank, batchDims + depth <= data.count
        else {
            throw KernelFailure("indices of shape \(indices.shape) cannot index data of shape \(data) with batch_dims \(batchDims)")
        }
        guard Array(indices.shape.prefix(batchDims)) == Array(data.prefix(batchDims)) else {
            throw KernelFailure("batch dimensions of indices \(indices.shape) and data \(data) differ")
        }
        guard indices.dataType == .int64 || indices.dataType == .int32 else { throw KernelFailure("indices must be int64 or int32") }
        self.depth = depth
        let strides = StridedCopy.contiguousStrides(data)
        sliceSize = data[(batchDims + depth)...].reduce(1, *)
        let batchSize = data[batchDims...].reduce(1, *)
        let tuples = indices.shape.dropLast().reduce(1, *)
        let batches = data.prefix(batchDims).reduce(1, *)
        let perBatch = batches == 0 ? 0 : tuples / batches
        let raw = try indices.int64Values()
        var offsets = [Int](repeating: 0, count: tuples)
        for t in 0..<tuples {
            var offset = perBatch == 0 ? 0 : (t / perBatch) * batchSize
            for j in 0..<depth {
                let size = data[batchDims + j]
                var i = Int(raw[t * depth + j])
                guard i >= -size && i < size else {
                    throw KernelFailure("index \(i) is out of range for axis \(batchDims + j) of size \(size)")
                }
                if i < 0 { i += size }
                offset += i * strides[batchDims + j]
            }
            offsets[t] = offset
        }
        self.offsets = offsets
    }
}

enum GatherKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("Gather") { try GatherKernel($0) },
        KernelDescriptor("GatherElements", since: 11) { try GatherElementsKernel($0) },
        KernelDescriptor("GatherND", since: 11) { try GatherNDKernel($0) },
    ]
}
