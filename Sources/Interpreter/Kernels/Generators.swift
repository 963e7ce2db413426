import Foundation
import ONNXIR

/// Constant: the value from whichever attribute is set (value, sparse_value, value_float(s),
/// value_int(s), value_string(s)), built once when the plan is compiled.
final class ConstantKernel: Kernel {
    let value: RuntimeTensor

    init(_ ctx: KernelBuildContext) throws {
        guard let attribute = ctx.node.attributes.first else { throw ctx.fail("Constant needs a value attribute") }
        switch (attribute.name, attribute.value) {
        case ("value", .tensor(let t)): value = try RuntimeTensor(t)
        case ("sparse_value", .sparseTensor(let s)): value = try SparseDensifier.dense(s, name: ctx.node.name)
        case ("value_float", .float(let f)): value = .float32([], [f])
        case ("value_floats", .floats(let fs)): value = .float32([fs.count], fs)
        case ("value_int", .int(let i)): value = .int64([], [i])
        case ("value_ints", .ints(let values)): value = .int64([values.count], values)
        case ("value_string", .string(let s)):
            value = RuntimeTensor(dataType: .string, shape: [], storage: RuntimeStorage(byteCount: 0), strings: [s])
        case ("value_strings", .strings(let s)):
            value = RuntimeTensor(dataType: .string, shape: [s.count], storage: RuntimeStorage(byteCount: 0), strings: s)
        default: throw ctx.fail("unsupported Constant attribute '\(attribute.name)'")
        }
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] { [value] }
}

/// Fills `out` with copies of the `width`-byte element at `element` (memset when all zero).
enum ElementFill {
    static func fill(_ out: RuntimeTensor, with element: UnsafeRawPointer, width: Int) {
        let bytes = UnsafeRawBufferPointer(start: element, count: width)
        if bytes.allSatisfy({ $0 == 0 }) {
            out.raw.initializeMemory(as: UInt8.self, repeating: 0, count: out.count * width)
            return
        }
        switch width {
        case 1: out.raw.initializeMemory(as: UInt8.self, repeating: element.load(as: UInt8.self), count: out.count)
        case 2: out.raw.initializeMemory(as: UInt16.self, repeating: element.loadUnaligned(as: UInt16.self), count: out.count)
        case 4: out.raw.initializeMemory(as: UInt32.self, repeating: element.loadUnaligned(as: UInt32.self), count: out.count)
        case 8: out.raw.initializeMemory(as: UInt64.self, repeating: element.loadUnaligned(as: UInt64.self), count: out.count)
        default: for i in 0..<out.count { (out.raw + i * width).copyMemory(from: element, byteCount: width) }
        }
    }

    /// The bytes of `value` (a float) in `type`.
    static func scalar(_ value: Float, as type: DataType, _ context: ExecutionContext) throws -> RuntimeTensor {
        try CastKernel.convert(.float32([], [value]), to: type, saturate: true, context)
    }
}

/// ConstantOfShape: a tensor of the given shape filled with `value` (default float32 0).
final class ConstantOfShapeKernel: Kernel {
    let value: RuntimeTensor

    init(_ ctx: KernelBuildContext) throws {
        value = try ctx.tensor("value").map { try RuntimeTensor($0) } ?? .float32([1], [0])
        guard value.count == 1, value.strings == nil else { throw ctx.fail("attribute 'value' must hold one number") }
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let shape = try Require.input(inputs, 0, "shape").intValues()
        let out = try context.allocate(value.dataType, shape)
        ElementFill.fill(out, with: value.raw, width: try Axis.elementBytes(value.dataType))
        return [out]
    }
}

/// Range: start + i * delta for i < max(ceil((limit - start) / delta), 0).
final class RangeKernel: Kernel {
    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let start = try Require.input(inputs, 0, "start"), limit = try Require.input(inputs, 1, "limit")
        let delta = try Require.input(inputs, 2, "delta")
        guard start.dataType == limit.dataType && start.dataType == delta.dataType else { throw KernelFailure("inputs differ in type") }
        switch start.dataType {
        case .float: return [try floats(start, limit, delta, Float.self, context)]
        case .double: return [try floats(start, limit, delta, Double.self, context)]
        case .int64: return [try integers(start, limit, delta, Int64.self, context)]
        case .int32: return [try integers(start, limit, delta, Int32.self, context)]
        case .int16: return [try integers(start, limit, delta, Int16.self, context)]
        case .float16, .bfloat16:
            let wide = try run([start, limit, delta].map { try HalfPrecision.widen($0, context) }, context)
            return [try HalfPrecision.narrow(wide[0]!, to: start.dataType, context)]
        default: throw KernelFailure("type \(start.dataType.name) is not supported")
        }
    }

    private func floats<T: BinaryFloatingPoint>(
        _ s: RuntimeTensor, _ l: RuntimeTensor, _ d: RuntimeTensor, _: T.Type, _ context: ExecutionContext
    )
        throws -> RuntimeTensor
    {
        let (start, limit, delta) = (s.raw.load(as: T.self), l.raw.load(as: T.self), d.raw.load(as: T.self))
        guard delta != 0 else { throw KernelFailure("delta is 0") }
        let steps = ((limit - start) / delta).rounded(.up)
        guard steps.isFinite || steps < 0 else { throw KernelFailure("range of \(steps) elements") }
        let n = Swift.max(Int(Swift.max(steps, 0)), 0)
        let out = try context.allocate(s.dataType, [n])
        let p = out.raw.assumingMemoryBound(to: T.self)
        for i in 0..<n { p[i] = start + T(i) * delta }
        return out
    }

    private func integers<T: FixedWidthInteger>(
        _ s: RuntimeTensor, _ l: RuntimeTensor, _ d: RuntimeTensor, _: T.Type, _ context: ExecutionContext
    )
        throws -> RuntimeTensor
    {
        let (start, limit, delta) = (Int64(s.raw.load(as: T.self)), Int64(l.raw.load(as: T.self)), Int64(d.raw.load(as: T.self)))
        guard delta != 0 else { throw KernelFailure("delta is 0") }
        let span = limit - start
        // Ceiling division that works for either sign of delta.
        let n = Swift.max(0, Int((span / delta) + (span % delta != 0 && (span < 0) == (delta < 0) ? 1 : 0)))
        let out = try context.allocate(s.dataType, [n])
        let p = out.raw.assumingMemoryBound(to: T.self)
        for i in 0..<n { p[i] = T(truncatingIfNeeded: start + Int64(i) * delta) }
        return out
    }
}

/// EyeLike: a 2-D tensor of the input's shape with ones on diagonal `k`, in `dtype` (default
/// the input's type).
final class EyeLikeKernel: Kernel {
    let dataType: DataType?
    let k: Int

    init(_ ctx: KernelBuildContext) throws {
        dataType = try ctx.int("dtype").map { DataType(rawValue: Int32($0)) }
        k = try ctx.int("k", default: 0)
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        guard x.rank == 2 else { throw KernelFailure("input must be 2-D, got \(x.shape)") }
        let type = dataType ?? x.dataType
        let out = try context.zeros(type, x.shape)
        let one = try ElementFill.scalar(1, as: type, context)
        let width = try Axis.elementBytes(type)
        let (rows, cols) = (x.shape[0], x.shape[1])
        for r in 0..<rows where r + k >= 0 && r + k < cols {
            (out.raw + (r * cols + r + k) * width).copyMemory(from: one.raw, byteCount: width)
        }
        return [out]
    }
}

/// OneHot: a new axis of size `depth` holding values[1] where the index points and values[0]
/// elsewhere; negative indices count from the end (opset 11), others out of range stay off.
final class OneHotKernel: Kernel {
    let axis: Int
    init(_ ctx: KernelBuildContext) throws { axis = try ctx.int("axis", default: -1) }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let indices = try Require.input(inputs, 0, "indices"), depthTensor = try Require.input(inputs, 1, "depth")
        let values = try Require.input(inputs, 2, "values")
        guard values.count == 2 else { throw KernelFailure("values must hold [off, on], got \(values.shape)") }
        guard let depthValue = try depthTensor.floatValues().first, depthValue >= 1 else {
            throw KernelFailure("depth must be a positive scalar")
        }
        let depth = Int(depthValue)
        let a = try Axis.normalize(axis, rank: indices.rank + 1)
        var shape = indices.shape
        shape.insert(depth, at: a)
        if values.strings != nil {
            return try StringMovement.run(inputs, stringInputs: [2], stringOutputs: [0], context) { try self.run($0, context) }
        }
        let out = try context.allocate(values.dataType, shape)
        let width = try Axis.elementBytes(values.dataType)
        ElementFill.fill(out, with: values.raw, width: width)
        let index = try indices.dataType.isFloatingPoint ? indices.floatValues().map { Int($0) } : indices.intValues()
        let inner = indices.shape[a...].reduce(1, *)
        for (p, raw) in index.enumerated() {
            let i = raw < 0 ? raw + depth : raw
            guard i >= 0 && i < depth else { continue }
            let (o, r) = p.quotientAndRemainder(dividingBy: inner)
            (out.raw + ((o * depth + i) * inner + r) * width).copyMemory(from: values.raw + width, byteCount: width)
        }
        return [out]
    }
}

enum GeneratorKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("Constant") { try ConstantKernel($0) },
        KernelDescriptor("ConstantOfShape", since: 9) { try ConstantOfShapeKernel($0) },
        KernelDescriptor("Range", since: 11) { _ in RangeKernel() },
        KernelDescriptor("EyeLike", since: 9) { try EyeLikeKernel($0) },
        KernelDescriptor("OneHot", since: 9) { try OneHotKernel($0) },
    ]
}
