/// Size and cost of a model: parameters (each initializer counted once, however many nodes share
/// it), initializer bytes, op histogram, and multiply-accumulates per node from inferred shapes.
/// Total MACs are nil when a Conv, Gemm, MatMul or recurrent node has an unknown shape; symbolic
/// dims (batch, sequence length) count as 1, so MACs are per sample. Layers and MACs cover the
/// main graph; the op histogram also counts nodes inside subgraphs, separately.
public struct ModelStatistics {
    public struct LayerCost: Sendable {
        public var name: String
        public var op: String
        public var outputShape: TensorShape?
        /// Elements of the initializers this node reads (each once).
        public var parameters: Int64
        /// nil when a needed shape is unknown; 0 for ops with no multiply-accumulates.
        public var macs: Int64?
    }

    /// One row of the op histogram: nodes of `op` in the main graph and inside subgraphs.
    public struct OpCount: Sendable, Hashable {
        public var op: String
        public var count: Int
        public var subgraphCount: Int
        public init(op: String, count: Int, subgraphCount: Int) {
            (self.op, self.count, self.subgraphCount) = (op, count, subgraphCount)
        }
    }

    /// Elements of every initializer (dense and sparse values), each counted once.
    public let parameterCount: Int64
    /// Packed bytes of the dense initializers.
    public let weightBytes: Int64
    /// Nodes per qualified op type, main graph and subgraphs together.
    public let opCounts: [String: Int]
    /// The op histogram sorted by op name, main graph and subgraph counts apart.
    public let opHistogram: [OpCount]
    /// Nodes in the main graph and every subgraph.
    public let nodeCount: Int
    /// Nodes inside subgraphs (If branches, Loop and Scan bodies), included in `nodeCount`.
    public let subgraphNodeCount: Int
    /// One entry per main-graph node, in graph order.
    public let layers: [LayerCost]
    public let totalMACs: Int64?

    /// Runs shape inference first (it only sets inferred types).
    public init(model: Model) {
        ShapeInference().run(on: model)
        var seen = Set<ObjectIdentifier>()
        var parameters: Int64 = 0, bytes: Int64 = 0
        var mainCounts: [String: Int] = [:], subgraphCounts: [String: Int] = [:]
        for graph in model.graph.allGraphs {
            for v in graph.initializers where seen.insert(ObjectIdentifier(v)).inserted {
                parameters = parameters.saturatingAdd(v.initializer?.elementCount ?? 0)
                bytes = bytes.saturatingAdd(v.initializer?.byteCount ?? 0)
            }
            for v in graph.sparseInitializers where seen.insert(ObjectIdentifier(v)).inserted {
                parameters = parameters.saturatingAdd(v.sparseInitializer?.values.elementCount ?? 0)
            }
            for n in graph.nodes {
                if graph === model.graph {
                    mainCounts[n.qualifiedOp, default: 0] += 1
                } else {
                    subgraphCounts[n.qualifiedOp, default: 0] += 1
                }
            }
        }
        var layers: [LayerCost] = []
        var total: Int64? = 0
        for n in model.graph.nodes {
            var read = Set<ObjectIdentifier>()
            let params = n.inputs.compactMap { v -> Int64? in
                guard let v, let t = v.initializer, read.insert(ObjectIdentifier(v)).inserted else { return nil }
                return t.elementCount
            }.reduce(Int64(0)) { $0.saturatingAdd($1) }
            let macs = MACCounter.macs(of: n)
            if let m = macs { total = total.map { $0.saturatingAdd(m) } } else if MACCounter.isCompute(n) { total = nil }
            layers.append(
                LayerCost(name: n.name, op: n.qualifiedOp, outputShape: n.outputs.first??.knownType?.shape, parameters: params, macs: macs))
        }
        parameterCount = parameters
        weightBytes = bytes
        opCounts = mainCounts.merging(subgraphCounts, uniquingKeysWith: +)
        opHistogram = Set(mainCounts.keys).union(subgraphCounts.keys).sorted().map {
            OpCount(op: $0, count: mainCounts[$0] ?? 0, subgraphCount: subgraphCounts[$0] ?? 0)
        }
        subgraphNodeCount = subgraphCounts.values.reduce(0, +)
        nodeCount = mainCounts.values.reduce(0, +) + subgraphNodeCount
        self.layers = layers
        totalMACs = total
    }
}

extension Int64 {
    /// Sum clamped to Int64.max: statistics of absurd models saturate instead of trapping.
    func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}
