import Foundation
import Interpreter
import ONNXIR

/// Static QDQ quantization: calibrates activation ranges on the float model, then places Q/DQ
/// pairs on every activation that a quantizable op reads or writes, and quantizes its weights.
struct StaticQuantization {
    let options: PassOptions
    let selection: NodeSelection

    static let computeOps: Set<String> = ["Conv", "Gemm", "MatMul"]
    static let arithmeticOps: Set<String> = ["Add", "Mul", "Concat", "AveragePool", "GlobalAveragePool"]
    /// Ops that move data without changing values: they keep their input's parameters.
    static let passthroughOps: Set<String> = [
        "Reshape", "Transpose", "Flatten", "Squeeze", "Unsqueeze", "Slice", "Gather", "MaxPool", "Split", "Resize",
    ]
    /// Activations a compute op's output may pass through before its Q (onnxruntime folds them).
    static let foldedActivations: Set<String> = ["Relu", "Clip"]

    func run(_ model: Model, samples: CalibrationData, log: (String) -> Void, _ report: inout PassReport) throws {
        let graph = model.graph
        let opset = Int(model.opsetVersion(for: "") ?? 1)
        guard opset >= 10 else {
            throw PassError.invalidOptions(
                pass: QuantizationPass.name, reason: "QuantizeLinear needs opset 10 or later; the model imports opset \(opset)")
        }
        var perChannel = options.bool("per-channel")
        if perChannel && opset < 13 {
            perChannel = false
            report.skip(
                "per-channel weights", "opset \(opset) has no per-axis DequantizeLinear (needs 13); weights are quantized per tensor")
        }
        // int4 weights need an int4 DequantizeLinear: opset 21 and IR version 10.
        var weightBits = options.string("weights") == "int4" ? 4 : 8
        if weightBits == 4 && (opset < 21 || model.irVersion < 10) {
            if let obstacle = OpsetRaise.obstacle(model, to: 21) {
                weightBits = 8
                report.skip(
                    "int4 weights",
                    "opset \(opset) has no int4 DequantizeLinear (needs 21) and cannot be raised: \(obstacle); weights are int8")
            } else {
                let rewritten = OpsetRaise.raise(model, to: 21, irVersion: 10)
                report.changed(
                    "raised the opset \(opset) -> 21 (IR version \(model.irVersion)) for int4 weights"
                        + (rewritten.isEmpty ? "" : "; rewrote \(rewritten.joined(separator: ", "))"))
            }
        }
        let weightType: DataType = weightBits == 4 ? .int4 : .int8
        let activationType: DataType = options.string("activations") == "int8" ? .int8 : .uint8
        let symmetric = activationType == .int8 || options.bool("symmetric")
        let reduceRange = options.bool("reduce-range")
        let smoothing = try SmoothQuant.parse(options.string("smooth-quant"))
        let correctBiases = options.bool("bias-correction")
        let policy = QuantizationPolicy(graph: graph, enabled: options.bool("auto-float"))

        // 1. Which nodes are quantized, and which float activations get calibrated parameters.
        var quantizedNodes: [Node] = []
        for node in graph.nodes where node.normalizedDomain.isEmpty {
            guard Self.computeOps.contains(node.opType) || Self.arithmeticOps.contains(node.opType) else { continue }
            if let reason = selection.floatReason(node) {
                report.skip("\(node.opType) '\(node.name)'", reason)
            } else if let reason = policy.reason(node) {
                report.skip("\(node.opType) '\(node.name)'", "kept in float (auto-float): \(reason)")
            } else {
                quantizedNodes.append(node)
            }
        }
        guard !quantizedNodes.isEmpty else {
            report.skip("model", "no Conv, Gemm, MatMul, Add, Mul, Concat or pooling node to quantize")
            return
        }
        let quantizedIDs = Set(quantizedNodes.map(ObjectIdentifier.init))
        var calibrated: [Value] = []
        var seen = Set<ObjectIdentifier>()
        func want(_ v: Value?) {
            guard let v, v.initializer == nil, isFloat(v), seen.insert(ObjectIdentifier(v)).inserted else { return }
            calibrated.append(v)
        }
        let method = ActivationStatistics.Method(rawValue: options.string("calibration")) ?? .minmax
        let stats = ActivationStatistics(method: method, percentile: Float(options.double("percentile")))
        for node in quantizedNodes {
            let isCompute = Self.computeOps.contains(node.opType)
            let dataInputs =
                isCompute ? (node.opType == "MatMul" && constant(node.inputs[1]) == nil ? [0, 1] : [0]) : Array(node.inputs.indices)
            for i in dataInputs where i < node.inputs.count { want(node.inputs[i]) }
            if isCompute, let x = node.inputs[0] {
                if smoothing.isEnabled, SmoothQuant.weightKAxis(node) != nil { stats.trackChannels(of: x, axis: -1) }
                if correctBiases, let axis = BiasCorrection.inputChannelAxis(node) { stats.trackChannels(of: x, axis: axis) }
            }
            guard let out = node.outputs.first ?? nil else { continue }
            // In a transformer-style graph a MatMul's output is quantized only for a quantized
            // reader; otherwise onnxruntime runs it as MatMulIntegerToFloat with a float output.
            if policy.isTransformer && !out.uses.contains(where: { quantizedIDs.contains(ObjectIdentifier($0.node)) }) { continue }
            // Conv -> Relu: quantize after the activation; onnxruntime drops the Relu into QLinearConv.
            if out.uses.count == 1, let next = out.uses.first?.node, Self.foldedActivations.contains(next.opType), !out.isGraphOutput,
                let after = next.outputs.first ?? nil
            {
                want(after)
            } else {
                want(out)
            }
        }

        // 2. Calibrate on the float model, streaming statistics.
        // One single-threaded session per core, each running its own samples (OpenBLAS's threads
        // gain little at batch 1); one core keeps one session.
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let workers = max(1, min(cores, ActivationStatistics.partitions, samples.count))
        let sessions = try (0..<workers).map { _ in try Session(model: model, options: .init(threads: workers == 1 ? cores : 1)) }
        try stats.collect(
            sessions, samples: samples, watch: calibrated, graphInputs: graph.inputs, batch: options.int("calibration-batch")
        ) { done, total in
            if done == total || done % max(1, total / 10) == 0 { log("calibration \(done)/\(total)") }
        }
        var params: [ObjectIdentifier: QuantParams] = [:]
        for v in calibrated {
            guard let (low, high) = stats.range(of: v) else {
                report.skip("tensor '\(v.name)'", "no calibration statistics (not reached by the calibration data, or not float)")
                continue
            }
            params[ObjectIdentifier(v)] = .activation(
                low: low, high: high, type: activationType, symmetric: symmetric, reduceRange: reduceRange)
        }
        // 3. SmoothQuant: migrate outlier channels of MatMul/Gemm inputs into the weights.
        var smoothingMuls = Set<ObjectIdentifier>()
        if smoothing.isEnabled {
            var groups: [(Value, [Node])] = []
            for node in quantizedNodes where SmoothQuant.weightKAxis(node) != nil {
                guard let x = node.inputs[0], params[ObjectIdentifier(x)] != nil else { continue }
                if let i = groups.firstIndex(where: { $0.0 === x }) { groups[i].1.append(node) } else { groups.append((x, [node])) }
            }
            for (x, readers) in groups {
                guard let channels = stats.channelStatistics(of: x), channels.axis == -1 else { continue }
                guard let result = try smoothing.apply(graph: graph, x: x, readers: readers, channels: channels, &report) else { continue }
                smoothingMuls.insert(ObjectIdentifier(result.mul))
                params[ObjectIdentifier(result.smoothed)] = .activation(
                    low: result.low, high: result.high, type: activationType, symmetric: symmetric, reduceRange: reduceRange)
                calibrated.append(result.smoothed)
            }
        }
        // 4. Data movement keeps its input's parameters.
        var shared: [Value] = []
        var passthroughIDs = Set<ObjectIdentifier>()
        for node in graph.nodes
        where Self.passthroughOps.contains(node.opType) && node.normalizedDomain.isEmpty && selection.floatReason(node) == nil {
            guard let input = node.inputs.first ?? nil, let p = params[ObjectIdentifier(input)] else { continue }
            // In a transformer-style graph data movement is quantized only on the way to a quantized node.
            if policy.isTransformer && !readsIntoQuantized(node, quantizedIDs) { continue }
            passthroughIDs.insert(ObjectIdentifier(node))
            for case let out? in node.outputs where params[ObjectIdentifier(out)] == nil && isFloat(out) {
                params[ObjectIdentifier(out)] = p
                shared.append(out)
            }
        }
        // 5. Weights and biases of compute ops, then the activation QDQ pairs.
        let builder = QDQBuilder(graph: graph)
        var weightCache: [ObjectIdentifier: (Value, QuantParams)] = [:]
        var corrected = 0
        for node in quantizedNodes where Self.computeOps.contains(node.opType) {
            guard let x = node.inputs[0], let xp = params[ObjectIdentifier(x)] else {
                report.skip("\(node.opType) '\(node.name)'", "its input has no activation parameters; weights left in float")
                continue
            }
            guard node.inputs.count > 1, let w = node.inputs[1], let wt = constant(w) else {
                if node.opType == "MatMul" { report.changed("quantized activations of MatMul '\(node.name)'") }
                continue
            }
            let axis = perChannel ? weightAxis(node, rank: wt.dims.count) : nil
            let key = ObjectIdentifier(w)
            let (dqWeight, wp): (Value, QuantParams)
            let values = try wt.floatValues()
            var dequantized: [Float] = []
            if let cached = weightCache[key], cached.1.axis == axis {
                (dqWeight, wp) = cached
            } else {
                let (q, scales) = WeightQuantizer.quantize(values, shape: wt.dims.map { Int($0) }, axis: axis, bits: weightBits)
                let p = QuantParams(scales: scales, zeroPoints: [Int32](repeating: 0, count: scales.count), type: weightType, axis: axis)
                let anchor = graph.nodes.first { $0.inputs.contains { $0 === w } } ?? node
                let tensor: Tensor = weightBits == 4 ? .int4(dims: wt.dims, values: q) : .int8(dims: wt.dims, values: q)
                dqWeight = builder.dequantized(tensor, p, name: w.name, before: anchor)
                wp = p
                weightCache[key] = (dqWeight, p)
                if correctBiases { dequantized = WeightQuantizer.dequantize(q, scales: scales, shape: wt.dims.map { Int($0) }, axis: axis) }
            }
            if correctBiases && dequantized.isEmpty {
                let (q, scales) = WeightQuantizer.quantize(values, shape: wt.dims.map { Int($0) }, axis: axis, bits: weightBits)
                dequantized = WeightQuantizer.dequantize(q, scales: scales, shape: wt.dims.map { Int($0) }, axis: axis)
            }
            // Every reader of a tied weight reads the same dequantized tensor.
            for use in w.uses where Self.computeOps.contains(use.node.opType) { use.node.setInput(use.index, dqWeight) }
            if w.uses.isEmpty && !w.isGraphOutput { graph.removeInitializer(w) }
            var detail = "weights int\(weightBits) \(axis == nil ? "per tensor" : "per channel")"
            // Bias correction: b' = b + (W - Wq) E[x], from the float input's channel means.
            var correction: [Float]? = nil
            if correctBiases, node.opType == "Conv" || node.opType == "Gemm" {
                if let axis = BiasCorrection.inputChannelAxis(node), let channels = stats.channelStatistics(of: x), channels.axis == axis,
                    let d = BiasCorrection.delta(
                        node, weight: values, dequantized: dequantized, dims: wt.dims.map { Int($0) }, inputMean: channels.mean)
                {
                    correction = d
                } else {
                    report.skip("bias correction of \(node.opType) '\(node.name)'", "no per-channel input means or shapes that line up")
                }
            }
            var bias: [Float]? = nil, biasDims: [Int64] = []
            var oldBias: Value? = nil
            if node.inputs.count > 2, let b = node.inputs[2], let bt = constant(b), bt.dims.count == 1, let values = try? bt.floatValues() {
                bias = values
                biasDims = bt.dims
                oldBias = b
            } else if let correction, node.inputs.count < 3 || node.inputs[2] == nil {
                bias = [Float](repeating: 0, count: correction.count)
                biasDims = [Int64(correction.count)]
            }
            if let c = correction, var b = bias, b.count == c.count {
                for i in b.indices { b[i] += c[i] }
                bias = b
                corrected += 1
                let worst = c.map(abs).max() ?? 0
                detail += ", bias corrected (largest shift \(worst))"
            }
            if let bias, bias.count == wp.scales.count || wp.scales.count == 1 {
                let scales = bias.indices.map { xp.scales[0] * wp.scales[wp.scales.count == 1 ? 0 : $0] }
                let q = bias.enumerated().map { i, v in Int32(clamping: Int64((v / scales[i]).rounded(.toNearestOrEven))) }
                let bp = QuantParams(scales: scales, zeroPoints: [Int32](repeating: 0, count: scales.count), type: .int32, axis: 0)
                let dq = builder.dequantized(
                    .int32(dims: biasDims, values: q), bp, name: oldBias?.name ?? (node.name + "_bias"), before: node)
                if node.inputs.count > 2 { node.setInput(2, dq) } else { node.appendInput(dq) }
                if let b = oldBias, b.uses.isEmpty && !b.isGraphOutput { graph.removeInitializer(b) }
                detail += ", bias int32"
            }
            report.changed("quantized \(node.opType) '\(node.name)' (\(detail))")
        }
        if correctBiases { report.changed("bias correction: \(corrected) Conv/Gemm biases re-estimated from float input means") }
        for node in quantizedNodes where Self.arithmeticOps.contains(node.opType) {
            // Constant operands of Add/Mul/Concat are quantized from their own values.
            for (i, input) in node.inputs.enumerated() {
                guard let input, let t = constant(input), isFloat(input), let values = try? t.floatValues(), !values.isEmpty else {
                    continue
                }
                let p = QuantParams.activation(
                    low: values.min()!, high: values.max()!, type: activationType, symmetric: symmetric, reduceRange: false)
                let q = values.map {
                    Int32((($0 / p.scales[0]).rounded(.toNearestOrEven) + Float(p.zeroPoints[0])).clamped(activationType))
                }
                let tensor: Tensor =
                    activationType == .uint8
                    ? .uint8(dims: t.dims, values: q.map { UInt8(clamping: $0) })
                    : .int8(dims: t.dims, values: q.map { Int8(clamping: $0) })
                node.setInput(
                    i,
                    builder.dequantized(
                        tensor, QuantParams(scales: p.scales, zeroPoints: p.zeroPoints, type: activationType, axis: nil), name: input.name,
                        before: node))
                if input.uses.isEmpty && !input.isGraphOutput { graph.removeInitializer(input) }
            }
            report.changed("quantized \(node.opType) '\(node.name)'")
        }
        // Which readers read the dequantized tensor: in a transformer-style graph only quantized
        // nodes (the residual Add next to a quantized MatMul keeps the float tensor); elsewhere
        // every reader, so onnxruntime sees Q after each producer and fuses QLinear kernels. A
        // SmoothQuant Mul always reads the float tensor: it is quantized after smoothing.
        let reads: (Node) -> Bool = { reader in
            if smoothingMuls.contains(ObjectIdentifier(reader)) { return false }
            guard policy.isTransformer else { return true }
            return quantizedIDs.contains(ObjectIdentifier(reader)) || passthroughIDs.contains(ObjectIdentifier(reader))
        }
        var inserted = 0
        for v in calibrated + shared {
            guard let p = params[ObjectIdentifier(v)], v.uses.contains(where: { reads($0.node) }) else { continue }
            let anchor: Node? =
                v.producer.flatMap { producer in
                    graph.nodes.firstIndex { $0 === producer }.flatMap { $0 + 1 < graph.nodes.count ? graph.nodes[$0 + 1] : nil }
                } ?? graph.nodes.first
            builder.insertPair(on: v, p, before: anchor, readers: reads)
            inserted += 1
        }
        report.changed(
            "inserted \(inserted) QuantizeLinear/DequantizeLinear pairs (\(activationType.name) \(symmetric ? "symmetric" : "asymmetric") activations, \(method.rawValue) calibration on \(samples.count) samples)"
        )
        if policy.isTransformer {
            report.changed(
                "auto-float: transformer-style graph (LayerNormalization/Softmax): quantized the MatMul/Gemm weights and their inputs; kept residual, bias and GELU arithmetic and activation x activation MatMuls in float (each listed under skipped)"
            )
        }
        Self.restoreOrder(graph)
    }

    /// Whether `node`'s outputs reach a quantized node, directly or through more data movement.
    private func readsIntoQuantized(_ node: Node, _ quantized: Set<ObjectIdentifier>) -> Bool {
        var frontier = node.outputs.compactMap { $0 }
        for _ in 0..<4 {
            var next: [Value] = []
            for v in frontier {
                for use in v.uses {
                    if quantized.contains(ObjectIdentifier(use.node)) { return true }
                    if Self.passthroughOps.contains(use.node.opType) { next += use.node.outputs.compactMap { $0 } }
                }
            }
            frontier = next
        }
        return false
    }

    private func isFloat(_ v: Value) -> Bool {
        (v.knownType?.elementType ?? v.initializer?.dataType) == .float || v.knownType == nil && v.initializer == nil
    }

    private func constant(_ v: Value?) -> Tensor? {
        guard let v else { return nil }
        if let t = v.initializer, !v.isGraphInput { return t }
        return nil
    }

    /// The weight axis of output channels: 0 for Conv, the N axis for Gemm and MatMul.
    private func weightAxis(_ node: Node, rank: Int) -> Int? {
        switch node.opType {
        case "Conv": return 0
        case "Gemm": return node.attribute("transB")?.int == 1 ? 0 : 1
        default: return rank == 2 ? 1 : nil
        }
    }

    /// New nodes went in before their first reader; a stable topological sort fixes any order
    /// a shared weight's DequantizeLinear broke.
    static func restoreOrder(_ graph: Graph) {
        var placed = Set<ObjectIdentifier>()
        var defined = Set(graph.inputs.map(ObjectIdentifier.init) + graph.initializers.map(ObjectIdentifier.init))
        var remaining = graph.nodes
        var ordered: [Node] = []
        while !remaining.isEmpty {
            guard
                let i = remaining.firstIndex(where: { n in
                    n.inputs.allSatisfy { $0 == nil || defined.contains(ObjectIdentifier($0!)) || $0!.graph !== graph }
                })
            else {
                ordered += remaining
                break
            }
            let n = remaining.remove(at: i)
            ordered.append(n)
            placed.insert(ObjectIdentifier(n))
            for case let o? in n.outputs { defined.insert(ObjectIdentifier(o)) }
        }
        graph.reorderNodes(ordered)
    }
}

extension Float {
    func clamped(_ type: DataType) -> Float { type == .uint8 ? Swift.min(Swift.max(self, 0), 255) : Swift.min(Swift.max(self, -128), 127) }
}
