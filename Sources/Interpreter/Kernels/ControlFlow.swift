import ONNXIR

/// If: runs the branch chosen by a boolean scalar. Branches read outer-scope values through the
/// executor's environment.
final class IfKernel: Kernel {
    let thenPlan: ExecutionPlan
    let elsePlan: ExecutionPlan

    init(_ ctx: KernelBuildContext) throws {
        thenPlan = try ctx.graph("then_branch")
        elsePlan = try ctx.graph("else_branch")
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let cond = try Require.input(inputs, 0, "condition")
        guard cond.count == 1 else { throw KernelFailure("condition must hold one element, got shape \(cond.shape)") }
        let taken = try cond.int64Values()[0] != 0
        return try context.run(taken ? thenPlan : elsePlan, inputs: []).map { $0 }
    }
}

/// Loop: `for i in 0..<M while cond`, carrying state; per-iteration scan outputs are stacked on a
/// new leading axis.
final class LoopKernel: Kernel {
    let body: ExecutionPlan

    init(_ ctx: KernelBuildContext) throws { body = try ctx.graph("body") }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let maxTrips = try inputs.first.flatMap { $0 }.map { try $0.int64Values()[0] } ?? Int64.max
        var cond = try (inputs.count > 1 ? inputs[1] : nil).map { try $0.int64Values()[0] != 0 } ?? true
        var state = Array(inputs.dropFirst(2))
        let carried = state.count
        let bodyOutputs = body.graph.outputs.count
        guard bodyOutputs >= 1 + carried else {
            throw KernelFailure("body has \(bodyOutputs) outputs, needs at least \(1 + carried) (condition and loop-carried values)")
        }
        var scans = [[RuntimeTensor]](repeating: [], count: bodyOutputs - 1 - carried)
        var i: Int64 = 0
        while i < maxTrips && cond {
            let outs = try context.run(body, inputs: [RuntimeTensor.int64([], [i]), RuntimeTensor.bool(cond)] + state)
            cond = try outs[0].int64Values()[0] != 0
            state = outs[1..<(1 + carried)].map { $0 }
            for k in scans.indices { scans[k].append(outs[1 + carried + k]) }
            i += 1
        }
        var results: [RuntimeTensor?] = state
        for (k, parts) in scans.enumerated() {
            if parts.isEmpty {
                // No iteration ran: an empty tensor whose element shape is taken from the body's
                // declared output when known.
                let type = body.graph.outputs[1 + carried + k].knownType
                let elementShape = type?.shape?.concreteSizes?.map { Int($0) } ?? []
                results.append(try context.allocate(type?.elementType ?? .float, [0] + elementShape))
            } else {
                results.append(try TensorStacking.stack(parts, axis: 0, context))
            }
        }
        return results
    }
}

/// Scan: iterates over slices of the scan inputs along their scan axes, carrying state. Opset 8's
/// batched form (a leading sequence_lens input, batch axis 0 on every state and scan input, scan
/// axis 1) runs each batch entry as an opset 9 scan and stacks the results; sequence lengths
/// shorter than the scan inputs are not supported.
final class ScanKernel: Kernel {
    let body: ExecutionPlan
    let scanInputCount: Int
    let inputAxes: [Int]?
    let inputDirections: [Int]?
    let outputAxes: [Int]?
    let outputDirections: [Int]?
    let isBatched: Bool

    init(_ ctx: KernelBuildContext) throws {
        isBatched = ctx.opset < 9
        body = try ctx.graph("body")
        guard let n = try ctx.int("num_scan_inputs") else { throw ctx.fail("missing attribute num_scan_inputs") }
        scanInputCount = n
        inputAxes = isBatched ? nil : try ctx.ints("scan_input_axes")
        inputDirections = try ctx.ints(isBatched ? "directions" : "scan_input_directions")
        outputAxes = isBatched ? nil : try ctx.ints("scan_output_axes")
        outputDirections = isBatched ? nil : try ctx.ints("scan_output_directions")
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        if isBatched { return try runBatched(inputs, context) }
        let all = try inputs.enumerated().map { try Require.input(inputs, $0.offset) }
        return try scan(all, context)
    }

    private func runBatched(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let lengths = try (inputs.first ?? nil)?.intValues()
        let all = try (1..<inputs.count).map { try Require.input(inputs, $0) }
        guard let batch = all.first?.shape.first, all.allSatisfy({ $0.rank >= 1 && $0.shape[0] == batch }) else {
            throw KernelFailure("every state and scan input needs the batch axis 0 of one size")
        }
        var perBatch: [[RuntimeTensor?]] = []
        for b in 0..<batch {
            let slices = try all.map { try TensorStacking.slice($0, axis: 0, index: b, context) }
            if let lengths, let scanned = slices.last, b < lengths.count, lengths[b] != scanned.shape.first {
                throw KernelFailure("sequence_lens shorter than the scan inputs is not supported")
            }
            perBatch.append(try scan(slices, context))
        }
        return try (0..<(perBatch.first?.count ?? 0)).map { k in
            try TensorStacking.stack(try perBatch.map { try Require.input($0, k, "scan result") }, axis: 0, context)
        }
    }

    private func scan(_ all: [RuntimeTensor], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let stateCount = all.count - scanInputCount
        guard stateCount >= 0 else { throw KernelFailure("needs \(scanInputCount) scan inputs, got \(all.count) inputs") }
        var state = Array(all[0..<stateCount])
        let scanned = Array(all[stateCount...])
        let axes = try scanned.enumerated().map { k, t -> Int in
            let a = inputAxes?[k] ?? 0
            let axis = a < 0 ? a + t.rank : a
            guard axis >= 0 && axis < t.rank else { throw KernelFailure("scan_input_axes[\(k)] = \(a) is out of range for rank \(t.rank)") }
            return axis
        }
        let length = scanned.first.map { $0.shape[axes[0]] } ?? 0
        for (k, t) in scanned.enumerated() where t.shape[axes[k]] != length {
            throw KernelFailure("scan input \(k) has length \(t.shape[axes[k]]) along its axis, expected \(length)")
        }
        let scanOutputCount = body.graph.outputs.count - stateCount
        var collected = [[RuntimeTensor]](repeating: [], count: scanOutputCount)
        for step in 0..<length {
            let slices = try scanned.enumerated().map { k, t in
                let reverse = (inputDirections?[k] ?? 0) == 1
                return try TensorStacking.slice(t, axis: axes[k], index: reverse ? length - 1 - step : step, context)
            }
            let outs = try context.run(body, inputs: state + slices)
            state = Array(outs[0..<stateCount])
            for k in 0..<scanOutputCount { collected[k].append(outs[stateCount + k]) }
        }
        var results: [RuntimeTensor?] = state
        for (k, parts) in collected.enumerated() {
            let ordered = (outputDirections?[k] ?? 0) == 1 ? parts.reversed() : parts
            guard !ordered.isEmpty else { throw KernelFailure("scan over zero iterations is not supported") }
            let rank = ordered[0].rank + 1
            let a = outputAxes?[k] ?? 0
            results.append(try TensorStacking.stack(Array(ordered), axis: a < 0 ? a + rank : a, context))
        }
        return results
    }
}

/// Slicing one index out along an axis and stacking along a new axis, for any element type.
enum TensorStacking {
    static func slice(_ t: RuntimeTensor, axis: Int, index: Int, _ context: ExecutionContext) throws -> RuntimeTensor {
        var shape = t.shape
        shape.remove(at: axis)
        let outer = t.shape[..<axis].reduce(1, *)
        let inner = t.shape[(axis + 1)...].reduce(1, *)
        if let strings = t.strings {
            var values: [[UInt8]] = []
            for o in 0..<outer { values += strings[(o * t.shape[axis] + index) * inner..<(o * t.shape[axis] + index + 1) * inner] }
            return context.strings(shape, values)
        }
        let out = try context.allocate(t.dataType, shape)
        let bytes = try elementBytes(t)
        for o in 0..<outer {
            (out.raw + o * inner * bytes).copyMemory(from: t.raw + ((o * t.shape[axis] + index) * inner) * bytes, byteCount: inner * bytes)
        }
        return out
    }

    static func stack(_ parts: [RuntimeTensor], axis: Int, _ context: ExecutionContext) throws -> RuntimeTensor {
        let first = parts[0]
        for p in parts where p.shape != first.shape || p.dataType != first.dataType {
            throw KernelFailure("iterations produced different shapes or types (\(first) and \(p))")
        }
        var shape = first.shape
        shape.insert(parts.count, at: axis)
        let outer = first.shape[..<axis].reduce(1, *)
        let inner = first.shape[axis...].reduce(1, *)
        if first.strings != nil {
            var values: [[UInt8]] = []
            for o in 0..<outer { for p in parts { values += p.strings![(o * inner)..<((o + 1) * inner)] } }
            return context.strings(shape, values)
        }
        let out = try context.allocate(first.dataType, shape)
        let bytes = try elementBytes(first)
        for o in 0..<outer {
            for (k, p) in parts.enumerated() {
                (out.raw + ((o * parts.count + k) * inner) * bytes).copyMemory(from: p.raw + o * inner * bytes, byteCount: inner * bytes)
            }
        }
        return out
    }

    static func elementBytes(_ t: RuntimeTensor) throws -> Int {
        guard let bits = t.dataType.bitWidth, bits >= 8 else { throw KernelFailure("\(t.dataType.name) cannot be sliced element-wise") }
        return bits / 8
    }
}

extension RuntimeTensor {
    static func bool(_ value: Bool) -> RuntimeTensor {
        let storage = RuntimeStorage(byteCount: 1)
        storage.pointer.storeBytes(of: value ? 1 : 0, as: UInt8.self)
        return RuntimeTensor(dataType: .bool, shape: [], storage: storage)
    }
}

enum ControlFlowKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("If") { try IfKernel($0) },
        KernelDescriptor("Loop") { try LoopKernel($0) },
        KernelDescriptor("Scan", since: 8) { try ScanKernel($0) },
    ]
}
