/// Conv (and its quantized forms) and ConvTranspose: spatial sizes from kernel, strides,
/// dilations, pads and auto_pad.
///   Conv:          out = floor((n + padBegin + padEnd - ((k - 1) * d + 1)) / s) + 1
///   ConvTranspose: out = s * (n - 1) + outputPadding + ((k - 1) * d + 1) - padBegin - padEnd
/// SAME_UPPER/SAME_LOWER give ceil(n / s) (Conv) and n * s (ConvTranspose); VALID means no pads.
enum ConvRules {
    /// A sliding window's attributes, checked against the number of spatial axes.
    struct Window {
        var kernel: [Int64], strides: [Int64], dilations: [Int64], pads: [Int64], autoPad: String, ceilMode: Bool

        init?(_ c: NodeContext, spatial: Int, kernel fallback: [Int64]?) {
            guard let kernel = c.ints("kernel_shape") ?? fallback, kernel.count == spatial, kernel.allSatisfy({ $0 > 0 }) else {
                return nil
            }
            let strides = c.ints("strides") ?? Array(repeating: 1, count: spatial)
            let dilations = c.ints("dilations") ?? Array(repeating: 1, count: spatial)
            let pads = c.ints("pads") ?? Array(repeating: 0, count: 2 * spatial)
            guard strides.count == spatial, strides.allSatisfy({ $0 > 0 }), dilations.count == spatial,
                dilations.allSatisfy({ $0 > 0 }), pads.count == 2 * spatial
            else { return nil }
            (self.kernel, self.strides, self.dilations, self.pads) = (kernel, strides, dilations, pads)
            autoPad = c.string("auto_pad") ?? "NOTSET"
            ceilMode = c.int("ceil_mode") == 1
        }

        /// Output sizes of the spatial axes `input` for Conv and pooling.
        func output(_ input: [Dimension]) -> [Dimension] {
            input.enumerated().map { i, d in
                switch autoPad {
                case "SAME_UPPER", "SAME_LOWER":
                    if strides[i] == 1 { return d }
                    guard let n = d.value else { return .unknown }
                    return .value(n / strides[i] + (n % strides[i] == 0 ? 0 : 1))
                case "VALID":
                    return DimensionMath.window(
                        d, kernel: kernel[i], stride: strides[i], dilation: dilations[i], padBegin: 0, padEnd: 0)
                default:
                    // A 1x1 window with stride 1 and no pads keeps even a symbolic size.
                    if kernel[i] == 1, strides[i] == 1, pads[i] == 0, pads[i + input.count] == 0 { return d }
                    return DimensionMath.window(
                        d, kernel: kernel[i], stride: strides[i], dilation: dilations[i], padBegin: pads[i],
                        padEnd: pads[i + input.count], ceilMode: ceilMode)
                }
            }
        }
    }

    /// Conv, ConvInteger (int32 out) and QLinearConv (type of y_zero_point).
    static func conv(_ c: NodeContext) -> RuleResult {
        let isQLinear = c.node.opType == "QLinearConv"
        let weightIndex = isQLinear ? 3 : 1
        let outType: DataType? =
            c.node.opType == "ConvInteger" ? .int32 : isQLinear ? (c.elementType(7) ?? c.elementType(0)) : c.elementType(0)
        guard let x = c.dims(0), x.count >= 3 else { return .tensor(outType, nil) }
        let spatial = x.count - 2
        let w = c.dims(weightIndex)
        if let w, w.count != x.count { return .tensor(outType, nil) }
        let kernel = w.flatMap { w in DimensionMath.concrete(Array(w.dropFirst(2))) }
        guard let window = Window(c, spatial: spatial, kernel: kernel) else { return .tensor(outType, nil) }
        return .tensor(outType, [x[0], w?[0] ?? .unknown] + window.output(Array(x.dropFirst(2))))
    }

    static func convTranspose(_ c: NodeContext) -> RuleResult {
        let type = c.elementType(0)
        guard let x = c.dims(0), x.count >= 3, let w = c.dims(1), w.count == x.count else { return .tensor(type, nil) }
        let spatial = x.count - 2
        let group = c.int("group") ?? 1
        let channels = DimensionMath.size(w[1].value.flatMap { DimensionMath.times($0, group) })
        if let shape = c.ints("output_shape"), shape.count >= spatial {
            return .tensor(type, [x[0], channels] + shape.suffix(spatial).map { .value($0) })
        }
        guard let window = Window(c, spatial: spatial, kernel: DimensionMath.concrete(Array(w.dropFirst(2)))) else {
            return .tensor(type, nil)
        }
        let outputPadding = c.ints("output_padding") ?? Array(repeating: 0, count: spatial)
        guard outputPadding.count == spatial else { return .tensor(type, nil) }
        let sizes = (0..<spatial).map { i -> Dimension in
            guard let n = x[i + 2].value else { return .unknown }
            let s = window.strides[i]
            switch window.autoPad {
            case "SAME_UPPER", "SAME_LOWER": return DimensionMath.size(DimensionMath.times(n, s))
            default:
                let pads = window.autoPad == "VALID" ? (Int64(0), Int64(0)) : (window.pads[i], window.pads[i + spatial])
                guard let span = DimensionMath.times(s, n - 1),
                    let extent = DimensionMath.times(window.kernel[i] - 1, window.dilations[i])
                else { return .unknown }
                return DimensionMath.size(DimensionMath.sum(span, outputPadding[i], extent, 1, -pads.0, -pads.1))
            }
        }
        return .tensor(type, [x[0], channels] + sizes)
    }
}
