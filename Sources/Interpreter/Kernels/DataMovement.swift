import ONNXIR

/// Copies a strided view of one tensor into a new contiguous one: output element `i` (a
/// multi-index over `dims`) comes from `offset + sum(i[d] * strides[d])` of the source. Slice,
/// Transpose, Expand, Tile, DepthToSpace and SpaceToDepth are all such views. Dimensions that
/// stay contiguous are merged first, so rows become memcpy, broadcast rows become fills, and a
/// transpose of the two innermost source axes is copied in cache-sized tiles.
struct StridedCopy {
    let dims: [Int]
    let strides: [Int]
    let offset: Int

    init(dims: [Int], strides: [Int], offset: Int = 0) {
        precondition(dims.count == strides.count)
        var mergedDims: [Int] = []
        var mergedStrides: [Int] = []
        for d in dims.indices where dims[d] != 1 {
            if let last = mergedDims.indices.last, mergedStrides[last] == strides[d] * dims[d] {
                mergedDims[last] *= dims[d]
                mergedStrides[last] = strides[d]
            } else {
                mergedDims.append(dims[d])
                mergedStrides.append(strides[d])
            }
        }
        self.dims = mergedDims
        self.strides = mergedStrides
        self.offset = offset
    }

    /// Row-major element strides of a contiguous tensor.
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[d] = running
            running *= shape[d]
        }
        return strides
    }

    var count: Int { dims.reduce(1, *) }

    func copy(from src: RuntimeTensor, to dst: RuntimeTensor, _ context: ExecutionContext) throws {
        if count == 0 { return }
        switch try ElementWidth(src.dataType) {
        case .one: copy(src.raw, dst.raw, UInt8.self, context)
        case .two: copy(src.raw, dst.raw, UInt16.self, context)
        case .four: copy(src.raw, dst.raw, UInt32.self, context)
        case .eight: copy(src.raw, dst.raw, UInt64.self, context)
        case .sixteen: copy(src.raw, dst.raw, SIMD2<UInt64>.self, context)
        }
    }

    private func copy<T>(_ srcRaw: UnsafeMutableRawPointer, _ dstRaw: UnsafeMutableRawPointer, _: T.Type, _ context: ExecutionContext) {
        let src = srcRaw.assumingMemoryBound(to: T.self) + offset
        let dst = dstRaw.assumingMemoryBound(to: T.self)
        let rank = dims.count
        if rank == 0 {
            dst[0] = src[0]
            return
        }
        let inner = dims[rank - 1], innerStride = strides[rank - 1]
        if innerStride != 1, let k = strides.firstIndex(of: 1), dims[k] >= 8, inner >= 8 {
            tiledTranspose(src, dst, plane: k, context)
            return
        }
        let rows = count / inner
        context.parallelFor(rows, grain: max(1, 65536 / inner)) { range in
            forEachRow(range, outer: rank - 1) { row, s in
                let out = dst + row * inner
                let from = src + s
                switch innerStride {
                case 1: out.update(from: from, count: inner)
                case 0: out.update(repeating: from[0], count: inner)
                default: for i in 0..<inner { out[i] = from[i * innerStride] }
                }
            }
        }
    }

    /// Visits rows (all dimensions before `outer`) with their source offsets.
    @inline(__always)
    private func forEachRow(_ rows: Range<Int>, outer: Int, _ body: (Int, Int) -> Void) {
        var index = [Int](repeating: 0, count: outer)
        var rest = rows.lowerBound, s = 0
        for d in stride(from: outer - 1, through: 0, by: -1) {
            index[d] = rest % dims[d]
            rest /= dims[d]
            s += index[d] * strides[d]
        }
        for row in rows {
            body(row, s)
            var d = outer - 1
            while d >= 0 {
                index[d] += 1
                s += strides[d]
                if index[d] < dims[d] { break }
                s -= strides[d] * dims[d]
                index[d] = 0
                d -= 1
            }
        }
    }

    /// Output dimension `plane` reads the source's contiguous axis while the output's innermost
    /// dimension jumps: copy 32x32 tiles of that plane so both sides stay in cache.
    private func tiledTranspose<T>(
        _ src: UnsafeMutablePointer<T>, _ dst: UnsafeMutablePointer<T>, plane k: Int, _ context: ExecutionContext
    ) {
        let rank = dims.count
        let outStrides = Self.contiguousStrides(dims)
        let (rowsK, cols) = (dims[k], dims[rank - 1])
        let colStride = strides[rank - 1]
        let outRowStride = outStrides[k]
        let others = (0..<(rank - 1)).filter { $0 != k }
        let otherDims = others.map { dims[$0] }
        let otherSrc = others.map { strides[$0] }, otherDst = others.map { outStrides[$0] }
        let planes = otherDims.reduce(1, *)
        let tile = 32
        context.parallelFor(planes, grain: max(1, 65536 / (rowsK * cols))) { range in
            for p in range {
                var rest = p, s = 0, o = 0
                for j in stride(from: others.count - 1, through: 0, by: -1) {
                    let i = rest % otherDims[j]
                    rest /= otherDims[j]
                    s += i * otherSrc[j]
                    o += i * otherDst[j]
                }
                for r0 in stride(from: 0, to: rowsK, by: tile) {
                    let r1 = Swift.min(r0 + tile, rowsK)
                    for c0 in stride(from: 0, to: cols, by: tile) {
                        let c1 = Swift.min(c0 + tile, cols)
                        var r = r0
                        if MemoryLayout<T>.size == 4 {
                            // 4x4 blocks through vector registers, the rest element by element.
                            while r + 4 <= r1 {
                                var c = c0
                                while c + 4 <= c1 {
                                    Self.transpose4x4(
                                        UnsafeRawPointer(src + s + r + c * colStride), colStride * 4,
                                        UnsafeMutableRawPointer(dst + o + r * outRowStride + c), outRowStride * 4)
                                    c += 4
                                }
                                for rr in r..<(r + 4) {
                                    let out = dst + o + rr * outRowStride
                                    let from = src + s + rr
                                    for cc in c..<c1 { out[cc] = from[cc * colStride] }
                                }
                                r += 4
                            }
                        }
                        while r < r1 {
                            let out = dst + o + r * outRowStride
                            let from = src + s + r
                            for c in c0..<c1 { out[c] = from[c * colStride] }
                            r += 1
                        }
                    }
                }
            }
        }
    }
}

extension StridedCopy {
    /// Writes the transpose of a 4x4 block of 4-byte elements: source columns are `sourceStride`
    /// bytes apart (rows contiguous), destination rows `destinationStride` bytes apart.
    @inline(__always)
    fileprivate static func transpose4x4(
        _ src: UnsafeRawPointer, _ sourceStride: Int, _ dst: UnsafeMutableRawPointer, _ destinationStride: Int
    ) {
        let v0 = src.loadUnaligned(as: SIMD4<UInt32>.self)
        let v1 = src.loadUnaligned(fromByteOffset: sourceStride, as: SIMD4<UInt32>.self)
        let v2 = src.loadUnaligned(fromByteOffset: 2 * sourceStride, as: SIMD4<UInt32>.self)
        let v3 = src.loadUnaligned(fromByteOffset: 3 * sourceStride, as: SIMD4<UInt32>.self)
        dst.storeBytes(of: SIMD4(v0[0], v1[0], v2[0], v3[0]), as: SIMD4<UInt32>.self)
        (dst + destinationStride).storeBytes(of: SIMD4(v0[1], v1[1], v2[1], v3[1]), as: SIMD4<UInt32>.self)
        (dst + 2 * destinationStride).storeBytes(of: SIMD4(v0[2], v1[2], v2[2], v3[2]), as: SIMD4<UInt32>.self)
        (dst + 3 * destinationStride).storeBytes(of: SIMD4(v0[3], v1[3], v2[3], v3[3]), as: SIMD4<UInt32>.self)
    }
}

/// Data-movement kernels run on string tensors by moving Int64 positions into the strings
/// instead: each string input becomes the positions of its elements in a shared pool, the
/// byte-moving body runs, and string outputs are read back through the moved positions.
enum StringMovement {
    static func run(
        _ inputs: [RuntimeTensor?], stringInputs: [Int], stringOutputs: [Int], _ context: ExecutionContext,
        _ body: ([RuntimeTensor?]) throws -> [RuntimeTensor?]
    ) throws -> [RuntimeTensor?] {
        var pool: [[UInt8]] = []
        var positions = inputs
        for i in stringInputs where i < inputs.count {
            guard let t = inputs[i], let strings = t.strings else { continue }
            let p = try context.allocate(.int64, t.shape)
            let values = p.elements(Int64.self)
            for k in 0..<t.count { values[k] = Int64(pool.count + k) }
            pool += strings
            positions[i] = p
        }
        var results = try body(positions)
        for o in stringOutputs where o < results.count {
            guard let moved = results[o] else { continue }
            let index = moved.elements(Int64.self)
            results[o] = context.strings(moved.shape, (0..<moved.count).map { pool[Int(index[$0])] })
        }
        return results
    }
}

/// Axis arithmetic shared by the shape kernels.
enum Axis {
    /// `axis` made non-negative for `rank`, or a failure naming the range.
    static func normalize(_ axis: Int, rank: Int) throws -> Int {
        guard axis >= -rank && axis < rank else { throw KernelFailure("axis \(axis) is out of range for rank \(rank)") }
        return axis < 0 ? axis + rank : axis
    }

    /// Element bytes of a tensor type that moves whole bytes.
    static func elementBytes(_ type: DataType) throws -> Int { try ElementWidth(type).bytes }
}

extension RuntimeTensor {
    /// The values of an optional integer input (axes, pads, repeats) as Int.
    func intValues() throws -> [Int] { try int64Values().map { Int($0) } }
}
