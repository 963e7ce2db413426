/// Conv, ConvTranspose and pooling: spatial sizes from kernel, strides, dilations, pads and
/// auto_pad (SAME_UPPER/SAME_LOWER keep ceil(n / stride)).
enum ConvRules {
    struct Window {
        var kernel: [Int64], strides: [Int64], dilations: [Int64], pads: [Int64], autoPad: String, ceilMode: Bool
    }

    static func window(_ c: NodeContext, spatial: Int, kernel: [Int64]?) -> Window? {
        guard let kernel = c.ints("kernel_shape") ?? kernel, kernel.count == spatial else { return nil }
        let strides = c.ints("strides") ?? Array(repeating: 1, count: spatial)
        let dilations = c.ints("dilations") ?? Array(repeating: 1, count: spatial)
        let pads = c.ints("pads") ?? Array(repeating: 0, count: 2 * spatial)
        guard strides.count == spatial, dilations.count == spatial, pads.count == 2 * spatial else { return nil }
        return Window(
            kernel: kernel, strides: strides, dilations: dilations, pads: pads, autoPad: c.string("auto_pad") ?? "NOTSET",
            ceilMode: c.int("ceil_mode") == 1)
    }

    static func spatialOutput(_ input: [Dimension], _ w: Window) -> [Dimension] {
        input.enumerated().map { i, d in
            switch w.autoPad {
            case "SAME_UPPER", "SAME_LOWER":
                guard let n = d.value else { return .unknown }
                return .value((n + w.strides[i] - 1) / w.strides[i])
            case "VALID":
                return DimensionMath.window(d, kernel: w.kernel[i], stride: w.strides[i], dilation: w.dilations[i], padBegin: 0, padEnd: 0)
            default:
                return DimensionMath.window(
                    d, kernel: w.kernel[i], stride: w.strides[i], dilation: w.dilations[i], padBegin: w.pads[i],
                    padEnd: w.pads[i + input.count], ceilMode: w.ceilMode)
            }
        }
    }

    static func conv(_ c: NodeContext) -> RuleResult {
        let isQLinear = c.node.opType == "QLinearConv"
        let weightIndex = isQLinear ? 3 : 1
        let outType: DataType? =
            c.node.opType == "ConvInteger" ? .int32 : isQLinear ? (c.elementType(7) ?? c.elementType(0)) : c.elementType(0)
        guard let x = c.dims(0), x.count >= 3, let w = c.dims(weightIndex), w.count == x.count else { return .tensor(outType, nil) }
        let spatial = x.count - 2
        let kernel = w.dropFirst(2).map { $0.value ?? -1 }
        guard let win = window(c, spatial: spatial, kernel: kernel.contains(-1) ? nil : kernel) else { return .tensor(outType, nil) }
        return .tensor(outType, [x[0], w[0]] + spatialOutput(Array(x.dropFirst(2)), win))
    }

    static func convTranspose(_ c: NodeContext) -> RuleResult {
        guard let x = c.dims(0), x.count >= 3, let w = c.dims(1), w.count == x.count else { return .tensor(c.elementType(0), nil) }
        let spatial = x.count - 2
        let group = c.int("group") ?? 1
        let channels: Dimension = w[1].value.map { .value($0 * group) } ?? .unknown
        if let shape = c.ints("output_shape"), shape.count >= spatial {
            return .tensor(c.elementType(0), [x[0], channels] + shape.suffix(spatial).map { .value($0) })
        }
        let kernel = c.ints("kernel_shape") ?? w.dropFirst(2).map { $0.value ?? -1 }
        let strides = c.ints("strides") ?? Array(repeating: 1, count: spatial)
        let dilations = c.ints("dilations") ?? Array(repeating: 1, count: spatial)
        let pads = c.ints("pads") ?? Array(repeating: 0, count: 2 * spatial)
        let outputPadding = c.ints("output_padding") ?? Array(repeating: 0, count: spatial)
        guard kernel.count == spatial, !kernel.contains(-1), strides.count == spatial, pads.count == 2 * spatial,
            outputPadding.count == spatial
        else {
            return .tensor(c.elementType(0), nil)
        }
        let autoPad = c.string("auto_pad") ?? "NOTSET"
        let sizes = (0..<spatial).map { i -> Dimension in
            guard let n = x[i + 2].value else { return .unknown }
            if autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER" { return .value(n * strides[i]) }
            let total = strides[i] * (n - 1) + outputPadding[i] + ((kernel[i] - 1) * dilations[i] + 1) - pads[i] - pads[i + spatial]
            return .value(total)
        }
        return .tensor(c.elementType(0), [x[0], channels] + sizes)
    }

    static func pool(_ c: NodeContext) -> RuleResult {
        guard let x = c.dims(0), x.count >= 3, let win = window(c, spatial: x.count - 2, kernel: nil) else {
            return .tensor(c.elementType(0), nil)
        }
        let dims = [x[0], x[1]] + spatialOutput(Array(x.dropFirst(2)), win)
        return RuleResult(types: [.tensor(c.elementType(0) ?? .float, TensorShape(dims)), .tensor(.int64, TensorShape(dims))])
    }

    static func globalPool(_ c: NodeContext) -> RuleResult {
        guard let x = c.dims(0), x.count >= 3 else { return .tensor(c.elementType(0), nil) }
        return .tensor(c.elementType(0), [x[0], x[1]] + Array(repeating: .value(1), count: x.count - 2))
    }
}

/// MatMul (numpy semantics), Gemm and their quantized and contrib forms.
enum MatMulRules {
    static func matmul(_ c: NodeContext) -> RuleResult {
        let op = c.node.opType
        let bIndex = op == "QLinearMatMul" ? 3 : 1
        let type: DataType? =
            op == "MatMulInteger" ? .int32 : op == "QLinearMatMul" ? (c.elementType(7) ?? c.elementType(0)) : c.elementType(0)
        guard var a = c.dims(0), var b = c.dims(bIndex), !a.isEmpty, !b.isEmpty else { return .tensor(type, nil) }
        if op == "FusedMatMul" {
            if c.int("transA") == 1, a.count >= 2 { a.swapAt(a.count - 1, a.count - 2) }
            if c.int("transB") == 1, b.count >= 2 { b.swapAt(b.count - 1, b.count - 2) }
        }
        let aVector = a.count == 1, bVector = b.count == 1
        if aVector { a = [.value(1)] + a }
        if bVector { b = b + [.value(1)] }
        guard let batch = DimensionMath.broadcast([Array(a.dropLast(2)), Array(b.dropLast(2))]) else { return .tensor(type, nil) }
        var out = batch + [a[a.count - 2], b[b.count - 1]]
        if aVector { out.remove(at: out.count - 2) }
        if bVector { out.removeLast() }
        return .tensor(type, out)
    }

    static func gemm(_ c: NodeContext) -> RuleResult {
        guard let a = c.dims(0), let b = c.dims(1), a.count == 2, b.count == 2 else { return .tensor(c.elementType(0), nil) }
        let m = c.int("transA") == 1 ? a[1] : a[0]
        let n = c.int("transB") == 1 ? b[0] : b[1]
        return .tensor(c.elementType(0), [m, n])
    }

    static func matmulNBits(_ c: NodeContext) -> RuleResult {
        guard let a = c.dims(0), let n = c.int("N") else { return .tensor(c.elementType(0), nil) }
        return .tensor(c.elementType(0), Array(a.dropLast()) + [.value(n)])
    }
}
