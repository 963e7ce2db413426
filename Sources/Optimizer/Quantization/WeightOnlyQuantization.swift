import ONNXIR

/// Weight-only quantization of MatMul weights [K, N] in blocks along K: blocked DequantizeLinear
/// (opset 21) or com.microsoft MatMulNBits (any opset; what onnxruntime runs fastest).
struct WeightOnlyQuantization {
    let options: PassOptions
    let selection: NodeSelection

    func run(_ model: Model, _ report: inout PassReport) throws {
        let graph = model.graph
        let bits = options.string("weights") == "int4" ? 4 : 8
        let blockSize = options.int("block-size")
        let opset = Int(model.opsetVersion(for: "") ?? 1)
        var useNBits = options.bool("matmul-nbits")
        // Blocked DequantizeLinear needs opset 21 (and IR 10 for int4): raise the opset when
        // that keeps every node's meaning, else fall back to MatMulNBits, which any opset runs.
        let hasCandidate = graph.nodes.contains { $0.opType == "MatMul" && $0.normalizedDomain.isEmpty }
        if !useNBits && hasCandidate && (opset < 21 || model.irVersion < 10) {
            if let obstacle = OpsetRaise.obstacle(model, to: 21) {
                useNBits = true
                report.skip(
                    "blocked DequantizeLinear",
                    "opset \(opset) has no blocked DequantizeLinear (needs 21) and cannot be raised: \(obstacle); emitting com.microsoft MatMulNBits instead"
                )
            } else {
                let rewritten = OpsetRaise.raise(model, to: 21, irVersion: 10)
                report.changed(
                    "raised the opset \(opset) -> 21 (IR version \(model.irVersion)) for blocked DequantizeLinear"
                        + (rewritten.isEmpty ? "" : "; rewrote \(rewritten.joined(separator: ", "))"))
            }
        }
        var done: [ObjectIdentifier: Value] = [:]
        for node in graph.nodes where node.opType == "MatMul" && node.normalizedDomain.isEmpty {
            let label = "MatMul '\(node.name)'"
            if let reason = selection.floatReason(node) { report.skip(label, reason); continue }
            guard let w = node.inputs[1], let t = w.initializer, !w.isGraphInput, t.dataType == .float, t.dims.count == 2 else {
                report.skip(label, "its weight is not a constant 2-D float32 initializer")
                continue
            }
            let (k, n) = (Int(t.dims[0]), Int(t.dims[1]))
            guard k >= blockSize || !useNBits else { report.skip(label, "K = \(k) is smaller than the block size \(blockSize)"); continue }
            let values = try t.floatValues()
            let (q, scales) = WeightQuantizer.blocked(values, k: k, n: n, blockSize: blockSize, bits: bits)
            if useNBits {
                let blocks = (k + blockSize - 1) / blockSize
                let bytesPerBlock = blockSize * bits / 8
                var packed = [UInt8](repeating: 0, count: n * blocks * bytesPerBlock)
                var nScales = [Float](repeating: 0, count: n * blocks)
                let offset = 1 << (bits - 1)
                for j in 0..<n {
                    for b in 0..<blocks {
                        nScales[j * blocks + b] = scales[b * n + j]
                        for r in 0..<blockSize where b * blockSize + r < k {
                            let u = UInt8(Int(q[(b * blockSize + r) * n + j]) + offset)
                            let index = (j * blocks + b) * bytesPerBlock + r * bits / 8
                            packed[index] |= bits == 4 ? (r % 2 == 0 ? u : u << 4) : u
                        }
                    }
                }
                let bValue = graph.addInitializer(
                    .uint8(dims: [Int64(n), Int64(blocks), Int64(bytesPerBlock)], values: packed), named: graph.freshName(w.name + "_nbits")
                )
                let sValue = graph.addInitializer(
                    .float32(dims: [Int64(n * blocks)], values: nScales), named: graph.freshName(w.name + "_scales"))
                let fused = graph.addNode(
                    opType: "MatMulNBits", domain: "com.microsoft", baseName: node.name + "_nbits",
                    attributes: [
                        Attribute(name: "K", value: .int(Int64(k))), Attribute(name: "N", value: .int(Int64(n))),
                        Attribute(name: "bits", value: .int(Int64(bits))), Attribute(name: "block_size", value: .int(Int64(blockSize))),
                    ], inputs: [node.inputs[0], bValue, sValue], before: node)
                fused.origin = QuantizationPass.name
                let rewriter = Rewriter(graph: graph, patternName: QuantizationPass.name)
                rewriter.replace(node.outputs[0]!, with: fused.outputs[0]!)
                graph.erase(node)
                if w.uses.isEmpty && !w.isGraphOutput { graph.removeInitializer(w) }
                if model.opsetVersion(for: "com.microsoft") == nil {
                    model.opsetImports.append(OperatorSetID(domain: "com.microsoft", version: 1))
                }
                report.changed("\(label) -> MatMulNBits (\(bits)-bit, block \(blockSize))")
            } else {
                let key = ObjectIdentifier(w)
                let dq: Value
                if let cached = done[key] {
                    dq = cached
                } else {
                    let quantized: Tensor = bits == 4 ? .int4(dims: t.dims, values: q) : .int8(dims: t.dims, values: q)
                    let params = QuantParams(scales: scales, zeroPoints: [], type: bits == 4 ? .int4 : .int8, axis: 0)
                    dq = QDQBuilder(graph: graph).dequantized(quantized, params, name: w.name, before: node, blockSize: blockSize)
                    done[key] = dq
                }
                node.setInput(1, dq)
                if w.uses.isEmpty && !w.isGraphOutput { graph.removeInitializer(w) }
                report.changed("\(label): weight int\(bits) in blocks of \(blockSize) (DequantizeLinear)")
            }
        }
        StaticQuantization.restoreOrder(graph)
    }
}

/// Dynamic quantization of MatMul with constant weights: activations quantized at run time by
/// DynamicQuantizeLinear, an exact MatMulInteger, then rescaling (onnxruntime fuses this into its
/// DynamicQuantizeMatMul integer kernel).
struct DynamicQuantization {
    let options: PassOptions
    let selection: NodeSelection

    func run(_ model: Model, _ report: inout PassReport) throws {
        let graph = model.graph
        guard (model.opsetVersion(for: "") ?? 1) >= 11 else {
            throw PassError.invalidOptions(
                pass: QuantizationPass.name, reason: "dynamic quantization needs opset 11 or later (DynamicQuantizeLinear)")
        }
        var quantized: [ObjectIdentifier: (Value, Value, Value)] = [:]
        for node in graph.nodes where node.opType == "MatMul" && node.normalizedDomain.isEmpty {
            let label = "MatMul '\(node.name)'"
            if let reason = selection.floatReason(node) { report.skip(label, reason); continue }
            guard let x = node.inputs[0], let w = node.inputs[1], let t = w.initializer, !w.isGraphInput, t.dataType == .float,
                t.dims.count == 2
            else {
                report.skip(label, "its weight is not a constant 2-D float32 initializer")
                continue
            }
            let perChannel = options.bool("per-channel")
            // A tied weight is quantized once; every MatMul reading it reads the same int8 tensor.
            let (wq, wzp, ws): (Value, Value, Value)
            if let cached = quantized[ObjectIdentifier(w)] {
                (wq, wzp, ws) = cached
            } else {
                let values = try t.floatValues()
                let (q, scales) = WeightQuantizer.quantize(values, shape: t.dims.map { Int($0) }, axis: perChannel ? 1 : nil, bits: 8)
                wq = graph.addInitializer(.int8(dims: t.dims, values: q), named: graph.freshName(w.name + "_quantized"))
                wzp = graph.addInitializer(
                    .int8(dims: perChannel ? [t.dims[1]] : [], values: [Int8](repeating: 0, count: scales.count)),
                    named: graph.freshName(w.name + "_zero_point"))
                ws = graph.addInitializer(
                    .float32(dims: perChannel ? [t.dims[1]] : [], values: scales), named: graph.freshName(w.name + "_scale"))
                quantized[ObjectIdentifier(w)] = (wq, wzp, ws)
            }
            let dql = graph.addNode(
                opType: "DynamicQuantizeLinear", baseName: node.name + "_quant", inputs: [x], outputCount: 3, before: node)
            let mmi = graph.addNode(
                opType: "MatMulInteger", baseName: node.name + "_int", inputs: [dql.outputs[0], wq, dql.outputs[2], wzp], before: node)
            let cast = graph.addNode(
                opType: "Cast", baseName: node.name + "_cast", attributes: [Attribute(name: "to", value: .int(1))],
                inputs: [mmi.outputs[0]], before: node)
            let scale = graph.addNode(opType: "Mul", baseName: node.name + "_scale", inputs: [dql.outputs[1], ws], before: node)
            let y = graph.addNode(
                opType: "Mul", baseName: node.name + "_rescale", inputs: [cast.outputs[0], scale.outputs[0]], before: node)
            for n in [dql, mmi, cast, scale, y] { n.origin = QuantizationPass.name }
            Rewriter(graph: graph, patternName: QuantizationPass.name).replace(node.outputs[0]!, with: y.outputs[0]!)
            graph.erase(node)
            if w.uses.isEmpty && !w.isGraphOutput { graph.removeInitializer(w) }
            report.changed("\(label): dynamic uint8 activations, int8 weights \(perChannel ? "per column" : "per tensor")")
        }
    }
}
