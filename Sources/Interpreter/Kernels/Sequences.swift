import ONNXIR

/// The sequence ops (opset 11+): SequenceEmpty, SequenceConstruct, SequenceAt, SequenceInsert,
/// SequenceErase, SequenceLength, SplitToSequence, ConcatFromSequence and SequenceMap, plus
/// Optional. A sequence is a `RuntimeTensor` whose `sequence` lists its tensors; positions may
/// be negative (counted from the end).
final class SequenceKernel: Kernel {
    enum Op { case empty, construct, at, insert, erase, length }
    let op: Op
    let elementType: DataType

    init(_ ctx: KernelBuildContext, op: Op) throws {
        self.op = op
        elementType = DataType(rawValue: Int32(try ctx.int("dtype", default: 1)))
    }

    private static func position(_ inputs: [RuntimeTensor?], _ index: Int, count: Int, default value: Int, allowEnd: Bool) throws -> Int {
        guard index < inputs.count, let t = inputs[index] else { return value }
        guard let p = try t.intValues().first else { throw KernelFailure("position is empty") }
        let q = p < 0 ? p + count : p
        guard q >= 0 && (q < count || (allowEnd && q == count)) else {
            throw KernelFailure("position \(p) is out of range for \(count) tensors")
        }
        return q
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        switch op {
        case .empty: return [RuntimeTensor.makeSequence([], elementType: elementType)]
        case .construct:
            let items = try inputs.indices.map { try Require.input(inputs, $0) }
            guard let type = items.first?.dataType, items.allSatisfy({ $0.dataType == type }) else {
                throw KernelFailure("SequenceConstruct needs one or more tensors of one type")
            }
            return [RuntimeTensor.makeSequence(items, elementType: type)]
        default: break
        }
        let seq = try Require.sequence(inputs, 0)
        let items = seq.sequence ?? []
        switch op {
        case .at: return [items[try Self.position(inputs, 1, count: items.count, default: -1, allowEnd: false)]]
        case .insert:
            let t = try Require.input(inputs, 1, "tensor")
            guard items.isEmpty || t.dataType == seq.dataType else {
                throw KernelFailure("tensor is \(t.dataType.name), the sequence holds \(seq.dataType.name)")
            }
            var copy = items
            copy.insert(t, at: try Self.position(inputs, 2, count: items.count, default: items.count, allowEnd: true))
            return [RuntimeTensor.makeSequence(copy, elementType: t.dataType)]
        case .erase:
            var copy = items
            copy.remove(at: try Self.position(inputs, 1, count: items.count, default: items.count - 1, allowEnd: false))
            return [RuntimeTensor.makeSequence(copy, elementType: seq.dataType)]
        default: return [RuntimeTensor.int64([], [Int64(items.count)])]
        }
    }
}

/// SplitToSequence (opset 11): splits along `axis` into size-1 pieces (the axis dropped unless
/// keepdims), pieces of a scalar `split` size (the last may be shorter), or the listed sizes.
final class SplitToSequenceKernel: Kernel {
    let axis: Int
    let keepsDims: Bool

    init(_ ctx: KernelBuildContext) throws {
        axis = try ctx.int("axis", default: 0)
        keepsDims = try ctx.int("keepdims", default: 1) != 0
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        let a = try Axis.normalize(axis, rank: x.rank)
        let length = x.shape[a]
        let splitTensor = inputs.count > 1 ? inputs[1] : nil
        var sizes: [Int]
        if let splitTensor {
            let values = try splitTensor.intValues()
            if splitTensor.rank == 0 {
                guard let size = values.first, size > 0 else { throw KernelFailure("split must be positive") }
                sizes = Array(repeating: size, count: length / size)
                if length % size != 0 { sizes.append(length % size) }
            } else {
                sizes = values
            }
        } else {
            sizes = Array(repeating: 1, count: length)
        }
        guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == length else {
            throw KernelFailure("split sizes \(sizes) do not add up to \(length)")
        }
        let bytes = try Axis.elementBytes(x.dataType)
        let outer = x.shape[..<a].reduce(1, *), inner = x.shape[(a + 1)...].reduce(1, *) * bytes
        var pieces: [RuntimeTensor] = []
        var start = 0
        for size in sizes {
            var shape = x.shape
            shape[a] = size
            let piece = try context.allocate(x.dataType, shape)
            for o in 0..<outer {
                (piece.raw + o * size * inner).copyMemory(from: x.raw + (o * length + start) * inner, byteCount: size * inner)
            }
            if splitTensor == nil && !keepsDims { shape.remove(at: a) }
            pieces.append(piece.reshaped(shape))
            start += size
        }
        return [RuntimeTensor.makeSequence(pieces, elementType: x.dataType)]
    }
}

/// ConcatFromSequence (opset 11): concatenates the sequence's tensors along `axis`, or stacks
/// them along a new axis with new_axis = 1.
final class ConcatFromSequenceKernel: Kernel {
    let axis: Int
    let isNewAxis: Bool

    init(_ ctx: KernelBuildContext) throws {
        guard let a = try ctx.int("axis") else { throw ctx.fail("attribute 'axis' is required") }
        axis = a
        isNewAxis = try ctx.int("new_axis", default: 0) != 0
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let items = try Require.sequence(inputs, 0).sequence ?? []
        guard let first = items.first else { throw KernelFailure("cannot concatenate an empty sequence") }
        if isNewAxis { return [try TensorStacking.stack(items, axis: try Axis.normalize(axis, rank: first.rank + 1), context)] }
        let a = try Axis.normalize(axis, rank: first.rank)
        for t in items
        where t.rank != first.rank || t.dataType != first.dataType
            || (0..<t.rank).contains(where: { $0 != a && t.shape[$0] != first.shape[$0] })
        {
            throw KernelFailure("sequence tensors \(first) and \(t) do not concatenate along axis \(a)")
        }
        var shape = first.shape
        shape[a] = items.map { $0.shape[a] }.reduce(0, +)
        let bytes = try Axis.elementBytes(first.dataType)
        let out = try context.allocate(first.dataType, shape)
        let outer = first.shape[..<a].reduce(1, *), inner = first.shape[(a + 1)...].reduce(1, *) * bytes
        var offset = 0
        for o in 0..<outer {
            for t in items {
                let chunk = t.shape[a] * inner
                (out.raw + offset).copyMemory(from: t.raw + o * chunk, byteCount: chunk)
                offset += chunk
            }
        }
        return [out]
    }
}

/// SequenceMap (opset 17): runs `body` once per position of the first sequence, with the
/// position's tensor of every sequence input and the tensor inputs whole; each body output
/// becomes a sequence.
final class SequenceMapKernel: Kernel {
    let body: ExecutionPlan

    init(_ ctx: KernelBuildContext) throws { body = try ctx.graph("body") }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let first = try Require.sequence(inputs, 0).sequence ?? []
        let all = try inputs.indices.map { i -> RuntimeTensor in
            guard let t = inputs[i] else { throw KernelFailure("missing input \(i)") }
            return t
        }
        for t in all where t.sequence != nil && t.sequence?.count != first.count {
            throw KernelFailure("sequences of \(first.count) and \(t.sequence?.count ?? 0) tensors")
        }
        var outputs = [[RuntimeTensor]](repeating: [], count: body.graph.outputs.count)
        for i in 0..<first.count {
            let args: [RuntimeTensor?] = all.map { $0.sequence?[i] ?? $0 }
            let results = try context.run(body, inputs: args)
            for (k, r) in results.enumerated() { outputs[k].append(r) }
        }
        return outputs.enumerated().map { k, items in
            let type = items.first?.dataType ?? body.graph.outputs[k].knownType?.elementType ?? .float
            return RuntimeTensor.makeSequence(items, elementType: type)
        }
    }
}

/// Optional (opset 15): wraps its input, or makes an empty optional of the `type` attribute.
final class OptionalConstructKernel: Kernel {
    let elementType: DataType

    init(_ ctx: KernelBuildContext) throws {
        var type = DataType.float
        if let a = ctx.node.attribute("type") {
            guard case .type(let t) = a.value else { throw ctx.fail("attribute 'type' must be a type") }
            type = Self.elementType(of: t) ?? .float
        }
        elementType = type
    }

    static func elementType(of type: ValueType) -> DataType? {
        switch type.kind {
        case .tensor(let e, _): e
        case .sequence(let inner), .optional(let inner): inner.flatMap { elementType(of: $0) }
        default: nil
        }
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        [(inputs.first ?? nil) ?? RuntimeTensor.emptyOptional(elementType: elementType)]
    }
}

enum SequenceKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("SequenceEmpty", since: 11) { try SequenceKernel($0, op: .empty) },
        KernelDescriptor("SequenceConstruct", since: 11) { try SequenceKernel($0, op: .construct) },
        KernelDescriptor("SequenceAt", since: 11) { try SequenceKernel($0, op: .at) },
        KernelDescriptor("SequenceInsert", since: 11) { try SequenceKernel($0, op: .insert) },
        KernelDescriptor("SequenceErase", since: 11) { try SequenceKernel($0, op: .erase) },
        KernelDescriptor("SequenceLength", since: 11) { try SequenceKernel($0, op: .length) },
        KernelDescriptor("SplitToSequence", since: 11) { try SplitToSequenceKernel($0) },
        KernelDescriptor("ConcatFromSequence", since: 11) { try ConcatFromSequenceKernel($0) },
        KernelDescriptor("SequenceMap", since: 17) { try SequenceMapKernel($0) },
        KernelDescriptor("Optional", since: 15) { try OptionalConstructKernel($0) },
    ]
}
