import ONNXIR

/// Pairs the nodes of two graphs so that renaming does not break the pairing: first nodes whose
/// whole upstream structure is identical (a Merkle signature over op, attributes and inputs,
/// names ignored), then nodes with the same name and op, then the rest by aligning the two
/// topological op sequences (longest common subsequence), which keeps order and tolerates nodes
/// added or removed by a pass (a folded BatchNormalization, a fused Add).
struct NodeMatcher {
    let a: Graph
    let b: Graph

    /// Pairs (node of a, node of b).
    func match() -> [(Node, Node)] {
        var pairs: [ObjectIdentifier: Node] = [:]
        var taken = Set<ObjectIdentifier>()
        func pair(_ x: Node, _ y: Node) {
            pairs[ObjectIdentifier(x)] = y
            taken.insert(ObjectIdentifier(y))
        }
        // 1. Identical upstream structure.
        let sa = Signatures(graph: a), sb = Signatures(graph: b)
        var bySignature: [Int: [Node]] = [:]
        for n in b.nodes { bySignature[sb.signature(of: n), default: []].append(n) }
        for n in a.nodes {
            let s = sa.signature(of: n)
            if var candidates = bySignature[s], !candidates.isEmpty {
                pair(n, candidates.removeFirst())
                bySignature[s] = candidates
            }
        }
        // 2. Same name and op.
        var byName: [String: Node] = [:]
        for n in b.nodes where !n.name.isEmpty && !taken.contains(ObjectIdentifier(n)) { byName[n.name] = n }
        for n in a.nodes where pairs[ObjectIdentifier(n)] == nil && !n.name.isEmpty {
            if let m = byName[n.name], m.opType == n.opType, !taken.contains(ObjectIdentifier(m)) { pair(n, m) }
        }
        // 3. Align the remaining nodes by op sequence, between consecutive anchors.
        let restA = a.nodes.filter { pairs[ObjectIdentifier($0)] == nil }
        let restB = b.nodes.filter { !taken.contains(ObjectIdentifier($0)) }
        for (x, y) in Self.align(restA, restB) { pair(x, y) }
        return a.nodes.compactMap { n in pairs[ObjectIdentifier(n)].map { (n, $0) } }
    }

    /// Longest common subsequence of op types (domain included).
    static func align(_ xs: [Node], _ ys: [Node]) -> [(Node, Node)] {
        let n = xs.count, m = ys.count
        guard n > 0, m > 0 else { return [] }
        guard n * m <= 25_000_000 else {
            // Too large to align fully: pair greedily by op in order.
            var result: [(Node, Node)] = []
            var j = 0
            for x in xs {
                while j < m && ys[j].qualifiedOp != x.qualifiedOp { j += 1 }
                if j < m { result.append((x, ys[j])); j += 1 }
            }
            return result
        }
        var table = [[Int32]](repeating: [Int32](repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                table[i][j] = xs[i].qualifiedOp == ys[j].qualifiedOp ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        var result: [(Node, Node)] = []
        var i = 0, j = 0
        while i < n && j < m {
            if xs[i].qualifiedOp == ys[j].qualifiedOp {
                result.append((xs[i], ys[j]))
                i += 1
                j += 1
            } else if table[i + 1][j] >= table[i][j + 1] {
                i += 1
            } else {
                j += 1
            }
        }
        return result
    }
}

/// Name-free structural signatures: a node's signature hashes its op, attributes and the
/// signatures of what feeds it (graph input position, initializer dtype/shape/bytes, or the
/// producing node's signature and output index).
struct Signatures {
    private var memo: [ObjectIdentifier: Int] = [:]
    private let graph: Graph

    init(graph: Graph) {
        self.graph = graph
        for n in graph.nodes { memo[ObjectIdentifier(n)] = compute(n) }
    }

    func signature(of node: Node) -> Int { memo[ObjectIdentifier(node)] ?? 0 }

    private func compute(_ node: Node) -> Int {
        var h = Hasher()
        h.combine(node.qualifiedOp)
        h.combine(attributeText(node.attributes))
        for input in node.inputs { h.combine(origin(input)) }
        h.combine(node.outputs.count)
        return h.finalize()
    }

    func origin(_ value: Value?) -> Int {
        var h = Hasher()
        guard let value else { h.combine("absent"); return h.finalize() }
        if let i = graph.inputs.firstIndex(where: { $0 === value }) {
            h.combine("input")
            h.combine(i)
        } else if let t = value.initializer {
            h.combine("initializer")
            h.combine(t.dataType.rawValue)
            h.combine(t.dims)
            if let bytes = try? t.buffer().bytes, bytes.count <= 1 << 16 { h.combine(Array(bytes)) } else { h.combine(t.byteCount) }
        } else if let p = value.producer, let s = memo[ObjectIdentifier(p)] {
            h.combine(s)
            h.combine(p.outputs.firstIndex { $0 === value } ?? 0)
        } else {
            h.combine("outer")
            h.combine(value.name)
        }
        return h.finalize()
    }

    private func attributeText(_ attributes: [Attribute]) -> String {
        attributes.sorted { $0.name < $1.name }.map { "\($0.name)=\(AttributeDescription.text($0.value))" }.joined(separator: ";")
    }
}

/// Compact, name-free text of an attribute value for comparisons and reports.
enum AttributeDescription {
    static func text(_ value: AttributeValue) -> String {
        switch value {
        case .float(let f): return "\(f)"
        case .int(let i): return "\(i)"
        case .string(let s): return "\"\(String(decoding: s, as: UTF8.self))\""
        case .floats(let f): return "\(f)"
        case .ints(let i): return "\(i)"
        case .strings(let s): return "\(s.map { String(decoding: $0, as: UTF8.self) })"
        case .tensor(let t):
            let values = (try? t.floatValues()).map { $0.count <= 16 ? "\($0)" : "\($0.count) values" } ?? ""
            return "tensor<\(t.dataType.name)\(t.dims)>\(values)"
        case .graph(let g): return "graph<\(g.nodes.map(\.opType).joined(separator: ","))>"
        case .graphs(let gs): return "graphs<\(gs.count)>"
        case .sparseTensor, .sparseTensors: return "sparse"
        case .tensors(let ts): return "tensors<\(ts.count)>"
        case .type(let t): return "type<\(t)>"
        case .types(let ts): return "types<\(ts.count)>"
        case .undefined: return "undefined"
        }
    }
}
