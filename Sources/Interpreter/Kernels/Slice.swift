import ONNXIR

/// Slice: starts/ends/axes from attributes before opset 10, from inputs (plus steps) after.
/// Bounds clamp as in NumPy; negative steps walk backwards. The result is a strided copy.
final class SliceKernel: Kernel {
    let attributes: (starts: [Int], ends: [Int], axes: [Int]?)?

    init(_ ctx: KernelBuildContext) throws {
        if ctx.opset < 10 {
            guard let starts = try ctx.ints("starts"), let ends = try ctx.ints("ends") else {
                throw ctx.fail("attributes 'starts' and 'ends' are required")
            }
            attributes = (starts, ends, try ctx.ints("axes"))
        } else {
            attributes = nil
        }
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        if x.strings != nil {
            return try StringMovement.run(inputs, stringInputs: [0], stringOutputs: [0], context) { try self.run($0, context) }
        }
        let starts: [Int64], ends: [Int64], axes: [Int]?, steps: [Int64]?
        if let attributes {
            (starts, ends, axes, steps) = (attributes.starts.map(Int64.init), attributes.ends.map(Int64.init), attributes.axes, nil)
        } else {
            starts = try Require.input(inputs, 1, "starts").int64Values()
            ends = try Require.input(inputs, 2, "ends").int64Values()
            axes = try (inputs.count > 3 ? inputs[3] : nil)?.intValues()
            steps = try (inputs.count > 4 ? inputs[4] : nil)?.int64Values()
        }
        let axisList = axes ?? Array(0..<starts.count)
        guard starts.count == ends.count, axisList.count == starts.count, steps.map({ $0.count == starts.count }) ?? true else {
            throw KernelFailure("starts, ends, axes and steps differ in length")
        }
        var shape = x.shape
        let inStrides = StridedCopy.contiguousStrides(x.shape)
        var strides = inStrides
        var offset = 0
        var seen = Set<Int>()
        for (k, rawAxis) in axisList.enumerated() {
            let a = try Axis.normalize(rawAxis, rank: x.rank)
            guard seen.insert(a).inserted else { throw KernelFailure("axis \(a) is sliced twice") }
            let step = steps?[k] ?? 1
            guard step != 0 else { throw KernelFailure("step 0 on axis \(a)") }
            let (first, count) = Self.range(start: starts[k], end: ends[k], step: step, dim: Int64(x.shape[a]))
            shape[a] = count
            offset += count > 0 ? first * inStrides[a] : 0
            // A step longer than the axis takes at most one element; its stride then never matters.
            strides[a] = count > 1 ? Int(step) * inStrides[a] : inStrides[a]
        }
        let out = try context.allocate(x.dataType, shape)
        try StridedCopy(dims: shape, strides: strides, offset: offset).copy(from: x, to: out, context)
        return [out]
    }

    /// First index and element count of start:end:step on a dimension of size `dim`, clamped as
    /// the spec says (to [0, dim] going forward, [-1, dim-1] going backward).
    static func range(start: Int64, end: Int64, step rawStep: Int64, dim: Int64) -> (first: Int, count: Int) {
        let step = Swift.max(Swift.min(rawStep, dim + 1), -(dim + 1))
        var s = start < 0 ? start + dim : start
        var e = end < 0 ? end + dim : end
        if step > 0 {
            s = Swift.min(Swift.max(s, 0), dim)
            e = Swift.min(Swift.max(e, 0), dim)
            return (Int(s), e > s ? Int((e - s + step - 1) / step) : 0)
        }
        s = Swift.min(Swift.max(s, 0), dim - 1)
        e = Swift.min(Swift.max(e, -1), dim - 1)
        return (Int(s), s > e ? Int((s - e + (-step) - 1) / (-step)) : 0)
    }
}

enum SliceKernels {
    static let kernels: [KernelDescriptor] = [KernelDescriptor("Slice") { try SliceKernel($0) }]
}
