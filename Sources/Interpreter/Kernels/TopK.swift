import ONNXIR

/// TopK: the k largest (or smallest, opset 11) elements along `axis` with their int64 indices,
/// sorted, equal values in index order. k is an attribute before opset 10, an input after.
final class TopKKernel: Kernel {
    let axis: Int
    let attributeK: Int?
    let isLargest: Bool

    init(_ ctx: KernelBuildContext) throws {
        axis = try ctx.int("axis", default: -1)
        attributeK = ctx.opset < 10 ? try ctx.int("k") : nil
        if ctx.opset < 10 && attributeK == nil { throw ctx.fail("missing attribute 'k'") }
        isLargest = try ctx.int("largest", default: 1) != 0
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        let k = try attributeK ?? Require.input(inputs, 1, "K").intValues().first ?? -1
        let a = try Axis.normalize(axis, rank: x.rank)
        guard k >= 0 && k <= x.shape[a] else { throw KernelFailure("k = \(k) is outside [0, \(x.shape[a])] for axis \(a) of \(x.shape)") }
        let order: [Int32]
        switch x.dataType {
        case .float: order = selectTop(x, Float.self, axis: a, k: k)
        case .double: order = selectTop(x, Double.self, axis: a, k: k)
        case .float16, .bfloat16: order = selectTop(try HalfPrecision.widen(x, context), Float.self, axis: a, k: k)
        case .int64: order = selectTop(x, Int64.self, axis: a, k: k)
        case .int32: order = selectTop(x, Int32.self, axis: a, k: k)
        case .int16: order = selectTop(x, Int16.self, axis: a, k: k)
        case .int8: order = selectTop(x, Int8.self, axis: a, k: k)
        case .uint8: order = selectTop(x, UInt8.self, axis: a, k: k)
        case .uint16: order = selectTop(x, UInt16.self, axis: a, k: k)
        case .uint32: order = selectTop(x, UInt32.self, axis: a, k: k)
        case .uint64: order = selectTop(x, UInt64.self, axis: a, k: k)
        default: throw KernelFailure("type \(x.dataType.name) is not supported")
        }
        var shape = x.shape
        shape[a] = k
        let values = try context.allocate(x.dataType, shape)
        let indices = try context.allocate(.int64, shape)
        let width = try Axis.elementBytes(x.dataType)
        let (n, inner) = (x.shape[a], x.shape[(a + 1)...].reduce(1, *))
        let idx = indices.elements(Int64.self)
        // order[(o * inner + i) * k + j] is the j-th pick of slice (o, i).
        for o in 0..<x.shape[..<a].reduce(1, *) {
            for i in 0..<inner {
                for j in 0..<k {
                    let pick = Int(order[(o * inner + i) * k + j])
                    let target = (o * k + j) * inner + i
                    idx[target] = Int64(pick)
                    (values.raw + target * width).copyMemory(from: x.raw + ((o * n + pick) * inner + i) * width, byteCount: width)
                }
            }
        }
        return [values, indices]
    }

    private func selectTop<T: Comparable>(_ x: RuntimeTensor, _: T.Type, axis a: Int, k: Int) -> [Int32] {
        let p = x.raw.assumingMemoryBound(to: T.self)
        let (outer, n, inner) = (x.shape[..<a].reduce(1, *), x.shape[a], x.shape[(a + 1)...].reduce(1, *))
        var result = [Int32](repeating: 0, count: outer * inner * k)
        var slice = [T]()
        slice.reserveCapacity(n)
        var order = [Int32](repeating: 0, count: n)
        let largest = isLargest
        for o in 0..<outer {
            for i in 0..<inner {
                slice.removeAll(keepingCapacity: true)
                for j in 0..<n { slice.append(p[(o * n + j) * inner + i]) }
                for j in 0..<n { order[j] = Int32(j) }
                slice.withUnsafeBufferPointer { v in
                    if largest {
                        order.sort { v[Int($0)] > v[Int($1)] || (v[Int($0)] == v[Int($1)] && $0 < $1) }
                    } else {
                        order.sort { v[Int($0)] < v[Int($1)] || (v[Int($0)] == v[Int($1)] && $0 < $1) }
                    }
                }
                let base = (o * inner + i) * k
                for j in 0..<k { result[base + j] = order[j] }
            }
        }
        return result
    }
}

/// ArgMax and ArgMin along `axis` as int64 (keepdims; select_last_index from opset 12).
final class ArgExtremumKernel: Kernel {
    let isMax: Bool
    let axis: Int
    let keepsDims: Bool
    let selectsLast: Bool

    init(_ ctx: KernelBuildContext, max: Bool) throws {
        isMax = max
        axis = try ctx.int("axis", default: 0)
        keepsDims = try ctx.int("keepdims", default: 1) != 0
        selectsLast = try ctx.int("select_last_index", default: 0) != 0
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        let a = try Axis.normalize(axis, rank: x.rank)
        var shape = x.shape
        if keepsDims { shape[a] = 1 } else { shape.remove(at: a) }
        let out = try context.allocate(.int64, shape)
        guard x.shape[a] > 0 else { throw KernelFailure("axis \(a) of \(x.shape) is empty") }
        if x.count == 0 { return [out] }
        switch x.dataType {
        case .float: search(x, Float.self, a, out)
        case .double: search(x, Double.self, a, out)
        case .float16, .bfloat16: search(try HalfPrecision.widen(x, context), Float.self, a, out)
        case .int64: search(x, Int64.self, a, out)
        case .int32: search(x, Int32.self, a, out)
        case .int16: search(x, Int16.self, a, out)
        case .int8: search(x, Int8.self, a, out)
        case .uint8, .bool: search(x, UInt8.self, a, out)
        case .uint16: search(x, UInt16.self, a, out)
        case .uint32: search(x, UInt32.self, a, out)
        case .uint64: search(x, UInt64.self, a, out)
        default: throw KernelFailure("type \(x.dataType.name) is not supported")
        }
        return [out]
    }

    /// Walks the axis one contiguous row at a time, keeping the best value per inner position.
    private func search<T: Comparable>(_ x: RuntimeTensor, _: T.Type, _ a: Int, _ out: RuntimeTensor) {
        let p = x.raw.assumingMemoryBound(to: T.self)
        let dst = out.elements(Int64.self)
        let (outer, n, inner) = (x.shape[..<a].reduce(1, *), x.shape[a], x.shape[(a + 1)...].reduce(1, *))
        var best = [T](repeating: p[0], count: inner)
        for o in 0..<outer {
            let base = p + o * n * inner
            let result = dst.baseAddress! + o * inner
            for i in 0..<inner {
                best[i] = base[i]
                result[i] = 0
            }
            for j in 1..<Swift.max(n, 1) {
                let row = base + j * inner
                let index = Int64(j)
                switch (isMax, selectsLast) {
                case (true, false): for i in 0..<inner where row[i] > best[i] { (best[i], result[i]) = (row[i], index) }
                case (true, true): for i in 0..<inner where row[i] >= best[i] { (best[i], result[i]) = (row[i], index) }
                case (false, false): for i in 0..<inner where row[i] < best[i] { (best[i], result[i]) = (row[i], index) }
                case (false, true): for i in 0..<inner where row[i] <= best[i] { (best[i], result[i]) = (row[i], index) }
                }
            }
        }
    }
}

enum TopKKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("TopK") { try TopKKernel($0) },
        KernelDescriptor("ArgMax") { try ArgExtremumKernel($0, max: true) },
        KernelDescriptor("ArgMin") { try ArgExtremumKernel($0, max: false) },
    ]
}
