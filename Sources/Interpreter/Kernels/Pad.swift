import ONNXIR

/// Pad in modes constant, reflect, edge and wrap (opset 19). Pads come from the `paddings`
/// (opset 1) or `pads` attribute (2-10) or an input (11+, with `axes` from 18); negative pads
/// crop. Each axis gets a map from output to input index (-1 for the constant), and the innermost
/// axis is copied as runs of consecutive indices.
final class PadKernel: Kernel {
    enum Mode: String { case constant, reflect, edge, wrap }

    let mode: Mode
    let attributePads: [Int]?
    let attributeValue: Float

    init(_ ctx: KernelBuildContext) throws {
        let name = try ctx.string("mode", default: "constant")
        guard let mode = Mode(rawValue: name), mode != .wrap || ctx.opset >= 19 else { throw ctx.fail("unknown mode '\(name)'") }
        self.mode = mode
        attributePads = ctx.opset < 11 ? try ctx.ints(ctx.opset == 1 ? "paddings" : "pads") ?? [] : nil
        attributeValue = try ctx.float("value", default: 0)
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        if x.strings != nil {
            return try StringMovement.run(inputs, stringInputs: [0, 2], stringOutputs: [0], context) { try self.run($0, context) }
        }
        let rank = x.rank
        var pads = [Int](repeating: 0, count: 2 * rank)
        let given = try attributePads ?? Require.input(inputs, 1, "pads").intValues()
        let axes = try (inputs.count > 3 ? inputs[3] : nil)?.intValues() ?? Array(0..<rank)
        guard given.count == 2 * axes.count else { throw KernelFailure("pads has \(given.count) values for \(axes.count) axes") }
        for (k, axis) in axes.enumerated() {
            let a = try Axis.normalize(axis, rank: rank)
            pads[a] = given[k]
            pads[a + rank] = given[k + axes.count]
        }
        let width = try Axis.elementBytes(x.dataType)
        let constant = try constantValue(inputs, x.dataType, context)
        let outShape = x.shape.indices.map { x.shape[$0] + pads[$0] + pads[$0 + rank] }
        guard outShape.allSatisfy({ $0 >= 0 }) else { throw KernelFailure("pads \(given) crop more than the input's shape \(x.shape)") }
        let out = try context.allocate(x.dataType, outShape)
        if out.count == 0 { return [out] }
        if rank == 0 {
            out.raw.copyMemory(from: x.raw, byteCount: width)
            return [out]
        }
        let maps = try x.shape.indices.map { try indexMap(size: x.shape[$0], begin: pads[$0], outSize: outShape[$0]) }
        let inStrides = StridedCopy.contiguousStrides(x.shape)
        let runs = Self.runs(maps[rank - 1])
        let rowLength = outShape[rank - 1]
        let rowBytes = rowLength * width
        // One output row of the constant, to copy constant stretches from.
        let constantRow = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(rowBytes, 1), alignment: 16)
        defer { constantRow.deallocate() }
        for i in 0..<rowLength { (constantRow + i * width).copyMemory(from: constant.raw, byteCount: width) }
        let rows = out.count / rowLength
        var index = [Int](repeating: 0, count: rank - 1)
        for r in 0..<rows {
            let dst = out.raw + r * rowBytes
            var source = 0
            var isConstant = false
            for d in 0..<(rank - 1) {
                let i = maps[d][index[d]]
                if i < 0 { isConstant = true } else { source += i * inStrides[d] }
            }
            if isConstant {
                dst.copyMemory(from: constantRow, byteCount: rowBytes)
            } else {
                let src = x.raw + source * width
                for run in runs {
                    let target = dst + run.start * width
                    if run.source < 0 {
                        target.copyMemory(from: constantRow, byteCount: run.length * width)
                    } else if run.length == 1 {
                        target.copyMemory(from: src + run.source * width, byteCount: width)
                    } else {
                        target.copyMemory(from: src + run.source * width, byteCount: run.length * width)
                    }
                }
            }
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                if index[d] < outShape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return [out]
    }

    /// The fill value: the `value` attribute (before opset 11, converted to the data
    /// type) or the optional `constant_value` input, default zero.
    private func constantValue(_ inputs: [RuntimeTensor?], _ type: DataType, _ context: ExecutionContext) throws -> RuntimeTensor {
        if attributePads == nil, inputs.count > 2, let value = inputs[2], value.count > 0 {
            guard value.dataType == type else { throw KernelFailure("constant_value is \(value.dataType.name), data is \(type.name)") }
            return value
        }
        if attributePads != nil && attributeValue != 0 {
            return try CastKernel.convert(RuntimeTensor.float32([], [attributeValue]), to: type, saturate: true, context)
        }
        return try context.zeros(type, [1])
    }

    /// Input index feeding each output index of one axis (-1: the constant).
    private func indexMap(size n: Int, begin: Int, outSize: Int) throws -> [Int] {
        if n == 0 && mode != .constant && outSize > 0 { throw KernelFailure("\(mode.rawValue) padding of an empty axis") }
        return (0..<outSize).map { o in
            let i = o - begin
            if i >= 0 && i < n { return i }
            switch mode {
            case .constant: return -1
            case .edge: return Swift.min(Swift.max(i, 0), n - 1)
            case .wrap: return ((i % n) + n) % n
            case .reflect:
                if n == 1 { return 0 }
                let period = 2 * (n - 1)
                let m = ((i % period) + period) % period
                return m < n ? m : period - m
            }
        }
    }

    /// Splits a map into stretches of consecutive input indices (or of the constant).
    private static func runs(_ map: [Int]) -> [(start: Int, source: Int, length: Int)] {
        var runs: [(start: Int, source: Int, length: Int)] = []
        for (o, i) in map.enumerated() {
            if let last = runs.last,
                (i < 0 && last.source < 0) || (i >= 0 && last.source >= 0 && last.source + last.length == i)
            {
                runs[runs.count - 1].length += 1
            } else {
                runs.append((o, i, 1))
            }
        }
        return runs
    }
}

enum PadKernels {
    static let kernels: [KernelDescriptor] = [KernelDescriptor("Pad") { try PadKernel($0) }]
}
