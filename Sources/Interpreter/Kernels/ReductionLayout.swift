/// How a reduction walks its input: the dimensions with neighbours of the same kind (reduced or
/// kept) merged and size-1 dimensions dropped, so the innermost loop always runs over one
/// contiguous row, either folding it into one output (last dimension reduced) or accumulating it
/// elementwise into an output row (last dimension kept).
struct ReductionLayout {
    /// Merged dimensions, outermost first.
    let dims: [Int]
    let isReduced: [Bool]
    /// Output element stride of each merged dimension (0 along reduced ones).
    let outStrides: [Int]
    /// Input elements folded into each output element.
    let reduceCount: Int
    let outputCount: Int

    init(shape: [Int], axes: Set<Int>) {
        var dims: [Int] = []
        var isReduced: [Bool] = []
        for (d, size) in shape.enumerated() where size != 1 {
            let reduced = axes.contains(d)
            if let last = isReduced.last, last == reduced {
                dims[dims.count - 1] *= size
            } else {
                dims.append(size)
                isReduced.append(reduced)
            }
        }
        var strides = [Int](repeating: 0, count: dims.count)
        var running = 1
        for d in stride(from: dims.count - 1, through: 0, by: -1) where !isReduced[d] {
            strides[d] = running
            running *= dims[d]
        }
        self.dims = dims
        self.isReduced = isReduced
        self.outStrides = strides
        self.outputCount = running
        // A zero-size reduced axis folds nothing (reduceCount 0): outputs keep the op's identity.
        self.reduceCount = zip(dims, isReduced).filter(\.1).map(\.0).reduce(1, *)
    }

    var rowLength: Int { dims.last ?? 1 }
    var rowCount: Int { dims.isEmpty ? 0 : dims.dropLast().reduce(1, *) }
    var lastIsReduced: Bool { isReduced.last ?? true }

    /// Visits rows `rows` of the input: `body(rowIndex, outputOffset)`. The input row starts at
    /// `rowIndex * rowLength`.
    @inline(__always)
    func forEachRow(_ rows: Range<Int>, _ body: (Int, Int) -> Void) {
        let outer = dims.count - 1
        if rows.isEmpty { return }
        if outer <= 0 {
            for r in rows { body(r, 0) }
            return
        }
        // Multi-index of the first row, then an odometer.
        var index = [Int](repeating: 0, count: outer)
        var rest = rows.lowerBound
        var offset = 0
        for d in stride(from: outer - 1, through: 0, by: -1) {
            index[d] = rest % dims[d]
            rest /= dims[d]
            offset += index[d] * outStrides[d]
        }
        for r in rows {
            body(r, offset)
            var d = outer - 1
            while d >= 0 {
                index[d] += 1
                offset += outStrides[d]
                if index[d] < dims[d] { break }
                offset -= outStrides[d] * dims[d]
                index[d] = 0
                d -= 1
            }
        }
    }
}
