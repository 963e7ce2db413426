/// Size and cost of a model: parameters (each initializer counted once, however many nodes share
/// it), initializer bytes, op histogram, and multiply-accumulates per node from inferred shapes.
/// Total MACs are nil when a Conv, Gemm, MatMul or recurrent node has an unknown shape; symbolic
/// dims (batch, sequence length) count as 1, so MACs are per sample.
public struct ModelStatistics {
    public struct LayerCost: Sendable {
        public var name: String
        public var op: String
        public var outputShape: TensorShape?
        /// Elements of the initializers this node reads.
        public var parameters: Int64
        /// nil when a needed shape is unknown; 0 for ops with no multiply-accumulates.
        public var macs: Int64?
    }

    public let parameterCount: Int64
    public let weightBytes: Int64
    public let opCounts: [String: Int]
    public let nodeCount: Int
    public let layers: [LayerCost]
    public let totalMACs: Int64?

    /// Runs shape inference first (it only sets inferred types).
    public init(model: Model) {
        ShapeInference().run(on: model)
        var seen = Set<ObjectIdentifier>()
        var parameters: Int64 = 0, bytes: Int64 = 0
        var counts: [String: Int] = [:]
        var nodes = 0
        for graph in model.graph.allGraphs {
            for v in graph.initializers where seen.insert(ObjectIdentifier(v)).inserted {
                parameters += v.initializer?.elementCount ?? 0
                bytes += v.initializer?.byteCount ?? 0
            }
            for v in graph.sparseInitializers where seen.insert(ObjectIdentifier(v)).inserted {
                parameters += v.sparseInitializer?.values.elementCount ?? 0
            }
            for n in graph.nodes {
                counts[n.qualifiedOp, default: 0] += 1
                nodes += 1
            }
        }
        var layers: [LayerCost] = []
        var total: Int64? = 0
        for n in model.graph.nodes {
            let params = n.inputs.compactMap { $0?.initializer?.elementCount }.reduce(0, +)
            let macs = MACCounter.macs(of: n)
            if let m = macs { total = total.map { $0 + m } } else if MACCounter.isCompute(n) { total = nil }
            layers.append(
                LayerCost(name: n.name, op: n.qualifiedOp, outputShape: n.outputs.first??.knownType?.shape, parameters: params, macs: macs))
        }
        parameterCount = parameters
        weightBytes = bytes
        opCounts = counts
        nodeCount = nodes
        self.layers = layers
        totalMACs = total
    }
}

/// Multiply-accumulate counts of the ops that do dense math.
enum MACCounter {
    static let computeOps: Set<String> = [
        "Conv", "ConvTranspose", "Gemm", "MatMul", "QLinearConv", "QLinearMatMul", "MatMulInteger", "ConvInteger", "FusedMatMul",
        "MatMulNBits", "LSTM", "GRU", "RNN",
    ]

    static func isCompute(_ n: Node) -> Bool { computeOps.contains(n.opType) }

    static func macs(of n: Node) -> Int64? {
        guard isCompute(n) else { return 0 }
        // Symbolic dims (batch, sequence) count as 1: MACs are per sample; unknown dims give nil.
        func sizes(_ v: Value??) -> [Int64]? {
            guard let dims = (v ?? nil)?.knownType?.shape?.dimensions else { return nil }
            var result: [Int64] = []
            for d in dims {
                switch d {
                case .value(let x): result.append(x)
                case .symbol: result.append(1)
                case .unknown: return nil
                }
            }
            return result
        }
        let out = sizes(n.outputs.first)
        switch n.opType {
        case "Conv", "ConvInteger", "QLinearConv":
            let w = sizes(n.inputs.count > (n.opType == "QLinearConv" ? 3 : 1) ? n.inputs[n.opType == "QLinearConv" ? 3 : 1] : nil)
            guard let out, let w, w.count >= 2 else { return nil }
            // Every output element sums Cin/group x kernel taps: exactly W's per-filter size.
            return out.reduce(1, *) * w.dropFirst().reduce(1, *)
        case "ConvTranspose":
            guard let x = sizes(n.inputs.first), let w = sizes(n.inputs.count > 1 ? n.inputs[1] : nil), w.count >= 2 else { return nil }
            return x.reduce(1, *) * w.dropFirst().reduce(1, *)
        case "Gemm", "MatMul", "MatMulInteger", "FusedMatMul", "QLinearMatMul", "MatMulNBits":
            guard let out, let a = sizes(n.inputs.first) else { return nil }
            let k = n.opType == "Gemm" && n.attribute("transA")?.int == 1 ? a.first : a.last
            guard let k else { return nil }
            return out.reduce(1, *) * k
        default:  // LSTM / GRU / RNN
            guard let x = sizes(n.inputs.first), x.count == 3, let w = sizes(n.inputs.count > 1 ? n.inputs[1] : nil),
                let r = sizes(n.inputs.count > 2 ? n.inputs[2] : nil)
            else { return nil }
            let steps = x[0] * x[1]
            return steps * (w.reduce(1, *) + r.reduce(1, *))
        }
    }
}
