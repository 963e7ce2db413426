import ONNXIR

/// Identity, and Dropout at inference: the input itself (no copy); Dropout's optional mask is all
/// true (bool from opset 10, the input's type before). Training-mode Dropout (opset 12) keeps
/// each element where a uniform draw is >= ratio and scales kept ones by 1 / (1 - ratio); the
/// draws come from MT19937 seeded by the `seed` attribute (0 without it, so runs repeat), as
/// NumPy's RandomState draws them.
final class IdentityKernel: Kernel {
    /// Dropout's mask, when the node asks for it: bool from opset 10, the input's type before.
    let maskIsBool: Bool?
    let seed: UInt32

    init() {
        maskIsBool = nil
        seed = 0
    }

    init(dropout ctx: KernelBuildContext) throws {
        let wantsMask = ctx.node.outputs.count > 1 && ctx.node.outputs[1] != nil
        maskIsBool = wantsMask ? ctx.opset >= 10 : nil
        seed = UInt32(truncatingIfNeeded: try ctx.int("seed", default: 0))
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        // Identity also forwards sequences and optionals unchanged.
        if maskIsBool == nil, let value = inputs.first ?? nil, value.isContainer { return [value] }
        let x = try Require.input(inputs, 0)
        if inputs.count > 2, let training = inputs[2], try training.int64Values().first == 1 {
            let ratio = Double(try (inputs.count > 1 ? inputs[1] : nil)?.floatValues().first ?? 0.5)
            if ratio != 0 { return try train(x, ratio: ratio, context) }
        }
        guard let maskIsBool else { return [x] }
        let type = maskIsBool ? DataType.bool : x.dataType
        let ones = try context.allocate(type, x.shape)
        if type == .bool {
            ones.raw.initializeMemory(as: UInt8.self, repeating: 1, count: x.count)
        } else {
            let one = try CastKernel.convert(RuntimeTensor.float32([], [1]), to: type, saturate: true, context)
            let width = try Axis.elementBytes(type)
            for i in 0..<x.count { (ones.raw + i * width).copyMemory(from: one.raw, byteCount: width) }
        }
        return [x, ones]
    }

    private func train(_ x: RuntimeTensor, ratio: Double, _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        guard ratio >= 0 && ratio < 1 else { throw KernelFailure("ratio must be in [0, 1), got \(ratio)") }
        var random = MersenneTwister(seed: seed)
        let keep = (0..<x.count).map { _ in random.nextDouble() >= ratio }
        let v = try FloatIO.doubles(x), scale = 1 / (1 - ratio)
        let y = try FloatIO.make(x.dataType, x.shape, (0..<x.count).map { keep[$0] ? v[$0] * scale : 0 }, context)
        guard maskIsBool != nil else { return [y] }
        let mask = try context.allocate(.bool, x.shape)
        for i in 0..<x.count { mask.raw.storeBytes(of: keep[i] ? 1 : 0, toByteOffset: i, as: UInt8.self) }
        return [y, mask]
    }
}

/// Reshape: shape from the attribute (opset < 5) or input; 0 copies the input's dimension unless
/// `allowzero` (opset 14), -1 is inferred. Shares the input's storage.
final class ReshapeKernel: Kernel {
    let attributeShape: [Int]?
    let allowsZero: Bool

    init(_ ctx: KernelBuildContext) throws {
        attributeShape = ctx.opset < 5 ? try ctx.ints("shape") ?? [] : nil
        allowsZero = try ctx.int("allowzero", default: 0) != 0
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        let requested = try attributeShape ?? Require.input(inputs, 1, "shape").intValues()
        return [x.reshaped(try Self.resolve(requested, from: x.shape, allowsZero: allowsZero))]
    }

    static func resolve(_ requested: [Int], from shape: [Int], allowsZero: Bool) throws -> [Int] {
        var out = requested
        var inferred: Int?
        for (i, d) in requested.enumerated() {
            if d == 0 && !allowsZero {
                guard i < shape.count else { throw KernelFailure("shape \(requested) copies dimension \(i) of \(shape), which has none") }
                out[i] = shape[i]
            } else if d == -1 {
                guard inferred == nil else { throw KernelFailure("shape \(requested) has more than one -1") }
                inferred = i
            } else if d < 0 {
                throw KernelFailure("shape \(requested) has a negative dimension")
            }
        }
        let total = shape.reduce(1, *)
        if let i = inferred {
            let known = out.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
            guard known != 0, total % known == 0 else { throw KernelFailure("cannot reshape \(shape) to \(requested)") }
            out[i] = total / known
        }
        guard out.reduce(1, *) == total else { throw KernelFailure("cannot reshape \(shape) (\(total) elements) to \(requested)") }
        return out
    }
}

/// Flatten: [d0 ... d(axis-1)] x [d(axis) ... ] as a 2-D view.
final class FlattenKernel: Kernel {
    let axis: Int
    init(_ ctx: KernelBuildContext) throws { axis = try ctx.int("axis", default: 1) }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        guard axis >= -x.rank && axis <= x.rank else { throw KernelFailure("axis \(axis) is out of range for rank \(x.rank)") }
        let a = axis < 0 ? axis + x.rank : axis
        return [x.reshaped([x.shape[..<a].reduce(1, *), x.shape[a...].reduce(1, *)])]
    }
}

/// Squeeze and Unsqueeze: axes from the attribute before opset 13, from an input after. Views.
final class SqueezeKernel: Kernel {
    let isUnsqueeze: Bool
    let attributeAxes: [Int]?

    init(_ ctx: KernelBuildContext, unsqueeze: Bool) throws {
        isUnsqueeze = unsqueeze
        attributeAxes = ctx.opset < 13 ? try ctx.ints("axes") ?? [] : nil
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        let axes = try attributeAxes ?? (inputs.count > 1 ? inputs[1] : nil)?.intValues() ?? []
        if isUnsqueeze {
            let rank = x.rank + axes.count
            let positions = Set(try axes.map { try Axis.normalize($0, rank: rank) })
            guard positions.count == axes.count else { throw KernelFailure("axes \(axes) repeat an axis") }
            var shape: [Int] = []
            var next = x.shape.makeIterator()
            for d in 0..<rank { shape.append(positions.contains(d) ? 1 : next.next()!) }
            return [x.reshaped(shape)]
        }
        let positions = Set(try axes.map { try Axis.normalize($0, rank: x.rank) })
        for p in positions where x.shape[p] != 1 {
            throw KernelFailure("cannot squeeze axis \(p) of shape \(x.shape): its size is not 1")
        }
        let shape = x.shape.enumerated().filter { positions.isEmpty ? $0.element != 1 : !positions.contains($0.offset) }.map(\.element)
        return [x.reshaped(shape)]
    }
}

/// Shape (with start/end from opset 15, clamped like slices) and Size, as int64.
final class ShapeKernel: Kernel {
    let start: Int
    let end: Int?
    let isSize: Bool

    init(_ ctx: KernelBuildContext, size: Bool) throws {
        isSize = size
        start = try ctx.int("start", default: 0)
        end = try ctx.int("end")
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        if isSize { return [RuntimeTensor.int64([], [Int64(x.count)])] }
        func clamp(_ v: Int) -> Int { Swift.min(Swift.max(v < 0 ? v + x.rank : v, 0), x.rank) }
        let (s, e) = (clamp(start), clamp(end ?? x.rank))
        let dims = s < e ? x.shape[s..<e].map { Int64($0) } : []
        return [RuntimeTensor.int64([dims.count], dims)]
    }
}

enum ShapeOpsKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("Identity") { _ in IdentityKernel() },
        KernelDescriptor("Dropout") { try IdentityKernel(dropout: $0) },
        KernelDescriptor("Reshape") { try ReshapeKernel($0) },
        KernelDescriptor("Flatten") { try FlattenKernel($0) },
        KernelDescriptor("Squeeze") { try SqueezeKernel($0, unsqueeze: false) },
        KernelDescriptor("Unsqueeze") { try SqueezeKernel($0, unsqueeze: true) },
        KernelDescriptor("Shape") { try ShapeKernel($0, size: false) },
        KernelDescriptor("Size") { try ShapeKernel($0, size: true) },
    ]
}
