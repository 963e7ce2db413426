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

    func run(_ model: Model, samples: [[String: RuntimeTensor]], log: (String) -> Void, _ report: inout PassReport) throws {
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
        let activationType: DataType = options.string("activations") == "int8" ? .int8 : .uint8
        let reduceRange = options.bool("reduce-range")

        // 1. Which float activations get their own calibrated parameters.
        var calibrated: [Value] = []
        var seen = Set<ObjectIdentifier>()
        func want(_ v: Value?) {
            guard let v, v.initializer == nil, isFloat(v), seen.insert(ObjectIdentifier(v)).inserted else { return }
            calibrated.append(v)
        }
        var quantizedNodes: [Node] = []
        for node in graph.nodes where node.normalizedDomain.isEmpty {
            let isCompute = Self.computeOps.contains(node.opType), isArithmetic = Self.arithmeticOps.contains(node.opType)
            guard isCompute || isArithmetic else { continue }
            if selection.isExcluded(node) {
                report.skip("\(node.opType) '\(node.name)'", "excluded by the user")
                continue
            }
            quantizedNodes.append(node)
            let dataInputs =
                isCompute ? (node.opType == "MatMul" && constant(node.inputs[1]) == nil ? [0, 1] : [0]) : Array(node.inputs.indices)
            for i in dataInputs where i < node.inputs.count { want(node.inputs[i]) }
            guard let out = node.outputs.first ?? nil else { continue }
            // Conv -> Relu: quantize after the activation; onnxruntime drops the Relu into QLinearConv.
            if out.uses.count == 1, let next = out.uses.first?.node, Self.foldedActivations.contains(next.opType), !out.isGraphOutput,
                let after = next.outputs.first ?? nil
            {
                want(after)
            } else {
                want(out)
            }
        }
        guard !quantizedNodes.isEmpty else {
            report.skip("model", "no Conv, Gemm, MatMul, Add, Mul, Concat or pooling node to quantize")
            return
        }

        // 2. Calibrate on the float model, streaming statistics.
        let method = ActivationStatistics.Method(rawValue: options.string("calibration")) ?? .minmax
        let stats = ActivationStatistics(method: method, percentile: Float(options.double("percentile")))
        let session = try Session(model: model)
        try stats.collect(session, samples: samples, watch: calibrated) { done, total in
            if done == total || done % max(1, total / 10) == 0 { log("calibration \(done)/\(total)") }
        }
        var params: [ObjectIdentifier: QuantParams] = [:]
        for v in calibrated {
            guard let (low, high) = stats.range(of: v) else {
                report.skip("tensor '\(v.name)'", "no calibration statistics (not reached by the calibration data, or not float)")
                continue
            }
            params[ObjectIdentifier(v)] = .activation(
                low: low, high: high, type: activationType, symmetric: activationType == .int8, reduceRange: reduceRange)
        }
        // 3. Data movement keeps its input's parameters.
        var shared: [Value] = []
        for node in graph.nodes
        where Self.passthroughOps.contains(node.opType) && node.normalizedDomain.isEmpty && !selection.isExcluded(node) {
            guard let input = node.inputs.first ?? nil, let p = params[ObjectIdentifier(input)] else { continue }
            for case let out? in node.outputs where params[ObjectIdentifier(out)] == nil && isFloat(out) {
                params[ObjectIdentifier(out)] = p
                shared.append(out)
            }
        }
        // 4. Weights and biases of compute ops, then the activation QDQ pairs.
        let builder = QDQBuilder(graph: graph)
        var weightCache: [ObjectIdentifier: (Value, QuantParams)] = [:]
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
            if let cached = weightCache[key], cached.1.axis == axis {
                (dqWeight, wp) = cached
            } else {
                let values = try wt.floatValues()
                let (q, scales) = WeightQuantizer.quantize(values, shape: wt.dims.map { Int($0) }, axis: axis, bits: 8)
                let p = QuantParams(scales: scales, zeroPoints: [Int32](repeating: 0, count: scales.count), type: .int8, axis: axis)
                let anchor = graph.nodes.first { $0.inputs.contains { $0 === w } } ?? node
                dqWeight = builder.dequantized(.int8(dims: wt.dims, values: q), p, name: w.name, before: anchor)
                wp = p
                weightCache[key] = (dqWeight, p)
            }
            // Every reader of a tied weight reads the same dequantized tensor.
            for use in w.uses where Self.computeOps.contains(use.node.opType) { use.node.setInput(use.index, dqWeight) }
            if w.uses.isEmpty && !w.isGraphOutput { graph.removeInitializer(w) }
            var detail = "weights int8 \(axis == nil ? "per tensor" : "per channel")"
            if node.inputs.count > 2, let b = node.inputs[2], let bt = constant(b), bt.dims.count == 1, let bias = try? bt.floatValues() {
                let scales = bias.indices.map { xp.scales[0] * wp.scales[wp.scales.count == 1 ? 0 : $0] }
                let q = bias.enumerated().map { i, v in Int32(clamping: Int64((v / scales[i]).rounded(.toNearestOrEven))) }
                let bp = QuantParams(scales: scales, zeroPoints: [Int32](repeating: 0, count: scales.count), type: .int32, axis: 0)
                node.setInput(2, builder.dequantized(.int32(dims: bt.dims, values: q), bp, name: b.name, before: node))
                if b.uses.isEmpty && !b.isGraphOutput { graph.removeInitializer(b) }
                detail += ", bias int32"
            }
            report.changed("quantized \(node.opType) '\(node.name)' (\(detail))")
        }
        for node in quantizedNodes where Self.arithmeticOps.contains(node.opType) {
            // Constant operands of Add/Mul/Concat are quantized from their own values.
            for (i, input) in node.inputs.enumerated() {
                guard let input, let t = constant(input), isFloat(input), let values = try? t.floatValues(), !values.isEmpty else {
                    continue
                }
                let p = QuantParams.activation(
                    low: values.min()!, high: values.max()!, type: activationType, symmetric: activationType == .int8, reduceRange: false)
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
        var inserted = 0
        for v in calibrated + shared {
            guard let p = params[ObjectIdentifier(v)], !v.uses.isEmpty else { continue }
            let anchor: Node? =
                v.producer.flatMap { producer in
                    graph.nodes.firstIndex { $0 === producer }.flatMap { $0 + 1 < graph.nodes.count ? graph.nodes[$0 + 1] : nil }
                } ?? graph.nodes.first
            builder.insertPair(on: v, p, before: anchor)
            inserted += 1
        }
        report.changed(
            "inserted \(inserted) QuantizeLinear/DequantizeLinear pairs (\(activationType.name) activations, \(method.rawValue) calibration on \(samples.count) samples)"
        )
        Self.restoreOrder(graph)
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
