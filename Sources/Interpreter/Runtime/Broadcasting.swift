/// NumPy-style broadcasting for elementwise kernels: the output shape, and iteration over rows of
/// the innermost dimension so inner loops run over contiguous (or constant) memory.
public enum Broadcasting {
    /// The broadcast shape of several inputs, or nil when they are incompatible.
    public static func shape(_ shapes: [[Int]]) -> [Int]? {
        let rank = shapes.map(\.count).max() ?? 0
        var out = [Int](repeating: 1, count: rank)
        for s in shapes {
            let offset = rank - s.count
            for (i, d) in s.enumerated() {
                let j = i + offset
                if out[j] == 1 { out[j] = d } else if d != 1 && d != out[j] { return nil }
            }
        }
        return out
    }

    /// Element strides of `shape` aligned to `outShape`, 0 along broadcast dimensions.
    public static func strides(of shape: [Int], in outShape: [Int]) -> [Int] {
        let offset = outShape.count - shape.count
        var strides = [Int](repeating: 0, count: outShape.count)
        var running = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i + offset] = shape[i] == 1 ? 0 : running
            running *= shape[i]
        }
        return strides
    }

    /// Calls `body(outOffset, inputOffsets, inputInnerStrides, length)` once per innermost row of
    /// the output, for any number of inputs.
    public static func forEachRow(
        outShape: [Int], inputShapes: [[Int]], _ body: (Int, [Int], [Int], Int) -> Void
    ) {
        let rank = outShape.count
        let total = outShape.reduce(1, *)
        if total == 0 { return }
        if rank == 0 {
            body(0, inputShapes.map { _ in 0 }, inputShapes.map { _ in 0 }, 1)
            return
        }
        let allStrides = inputShapes.map { strides(of: $0, in: outShape) }
        let inner = outShape[rank - 1]
        let innerStrides = allStrides.map { $0[rank - 1] }
        var index = [Int](repeating: 0, count: rank)
        var offsets = [Int](repeating: 0, count: inputShapes.count)
        var out = 0
        let rows = total / max(inner, 1)
        for _ in 0..<rows {
            body(out, offsets, innerStrides, inner)
            out += inner
            // Advance the multi-index over all but the innermost dimension.
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                for k in 0..<offsets.count { offsets[k] += allStrides[k][d] }
                if index[d] < outShape[d] { break }
                for k in 0..<offsets.count { offsets[k] -= allStrides[k][d] * outShape[d] }
                index[d] = 0
                d -= 1
            }
        }
    }

    /// Element offsets (in units of one matrix) of batch `index` in two operands whose batch
    /// dims broadcast to `batchShape` with per-operand `strides` (from `strides(of:in:)`).
    public static func batchOffsets(_ index: Int, batchShape: [Int], _ sa: [Int], _ sb: [Int]) -> (Int, Int) {
        var rest = index, oa = 0, ob = 0
        for d in stride(from: batchShape.count - 1, through: 0, by: -1) {
            let c = rest % batchShape[d]
            rest /= batchShape[d]
            oa += c * sa[d]
            ob += c * sb[d]
        }
        return (oa, ob)
    }
}

extension Broadcasting {
    /// `values` of `shape` repeated out to `outShape` (which it must broadcast to), row-major.
    static func expand<T>(_ values: [T], _ shape: [Int], to outShape: [Int]) throws -> [T] {
        guard let s = Broadcasting.shape([shape, outShape]), s == outShape else {
            throw KernelFailure("shape \(shape) does not broadcast to \(outShape)")
        }
        if shape == outShape { return values }
        var out: [T] = []
        out.reserveCapacity(outShape.reduce(1, *))
        forEachRow(outShape: outShape, inputShapes: [shape]) { _, offsets, strides, n in
            for i in 0..<n { out.append(values[offsets[0] + i * strides[0]]) }
        }
        return out
    }
}

/// Row-major iteration over the multi-indices of a shape.
enum MultiIndex {
    /// Increments `index` within `shape`, the last dimension fastest (wrapping to all zeros).
    static func advance(_ index: inout [Int], _ shape: [Int]) {
        var d = shape.count - 1
        while d >= 0 {
            index[d] += 1
            if index[d] < shape[d] { return }
            index[d] = 0
            d -= 1
        }
    }
}
