/// float32 Add, Sub, Mul and Div with broadcasting, as plain loops per op (no closure per
/// element, so they vectorize) spread over the threads. Broadcast shapes are coalesced first, so
/// a per-channel scale over [N, C, H, W] is C rows of H*W elements against one value each.
enum FloatArithmetic {
    enum Op { case add, sub, mul, div }

    static func op(_ binary: BinaryKernel.Op) -> Op? {
        switch binary {
        case .add: .add
        case .sub: .sub
        case .mul: .mul
        case .div: .div
        default: nil
        }
    }

    /// `activation` (a Relu fused after a residual Add) runs on each row right after it is made.
    static func run(
        _ op: Op, _ a: RuntimeTensor, _ b: RuntimeTensor, _ out: RuntimeTensor, _ context: ExecutionContext,
        activation: FusedActivation? = nil
    ) {
        let pa = a.floats.baseAddress!, pb = b.floats.baseAddress!, po = out.floats.baseAddress!
        let (shape, shapes) = Broadcasting.coalesced(outShape: out.shape, inputShapes: [a.shape, b.shape])
        guard let inner = shape.last, out.count > 0 else {
            if out.count == 1 {
                row(op, pa, 0, pb, 0, po, 1)
                activation?.apply(po, 0..<1)
            }
            return
        }
        let sa = Broadcasting.strides(of: shapes[0], in: shape), sb = Broadcasting.strides(of: shapes[1], in: shape)
        let rows = out.count / inner
        let outer = Array(shape.dropLast()), outerA = Array(sa.dropLast()), outerB = Array(sb.dropLast())
        context.parallelFor(rows, grain: max(1, 32768 / inner)) { range in
            for r in range {
                // Offsets of row r in each input, from its multi-index over the outer dims.
                let (oa, ob) = Broadcasting.batchOffsets(r, batchShape: outer, outerA, outerB)
                row(op, pa + oa, sa[shape.count - 1], pb + ob, sb[shape.count - 1], po + r * inner, inner)
                activation?.apply(po + r * inner, 0..<inner)
            }
        }
    }

    /// z[i] = x[i * sx] op y[i * sy] for i < n, strides 0 or 1 (coalesced shapes have no others).
    @inline(__always)
    private static func row(
        _ op: Op, _ x: UnsafePointer<Float>, _ sx: Int, _ y: UnsafePointer<Float>, _ sy: Int, _ z: UnsafeMutablePointer<Float>, _ n: Int
    ) {
        switch (sx, sy) {
        case (0, 0):
            let v = apply(op, x[0], y[0])
            for i in 0..<n { z[i] = v }
        case (0, _):
            let v = x[0]
            switch op {
            case .add: for i in 0..<n { z[i] = v + y[i] }
            case .sub: for i in 0..<n { z[i] = v - y[i] }
            case .mul: for i in 0..<n { z[i] = v * y[i] }
            case .div: for i in 0..<n { z[i] = v / y[i] }
            }
        case (_, 0):
            let v = y[0]
            switch op {
            case .add: for i in 0..<n { z[i] = x[i] + v }
            case .sub: for i in 0..<n { z[i] = x[i] - v }
            case .mul: for i in 0..<n { z[i] = x[i] * v }
            case .div: for i in 0..<n { z[i] = x[i] / v }
            }
        default:
            switch op {
            case .add: for i in 0..<n { z[i] = x[i] + y[i] }
            case .sub: for i in 0..<n { z[i] = x[i] - y[i] }
            case .mul: for i in 0..<n { z[i] = x[i] * y[i] }
            case .div: for i in 0..<n { z[i] = x[i] / y[i] }
            }
        }
    }

    @inline(__always)
    private static func apply(_ op: Op, _ x: Float, _ y: Float) -> Float {
        switch op {
        case .add: x + y
        case .sub: x - y
        case .mul: x * y
        case .div: x / y
        }
    }
}
