import CONNXProto

/// Orders a graph's NodeProtos topologically by the names they read and write. Files are almost
/// always sorted already (kept as they are); unsorted ones are sorted stably; a cycle or a read of
/// a name nothing defines is an error naming the node and value.
struct NodeOrdering {
    typealias NodePointer = UnsafeMutablePointer<Onnx__NodeProto>

    /// `isVisible`: whether a name is defined before the nodes (inputs, initializers, outer scope).
    static func order(_ nodes: [NodePointer], isVisible: (String) -> Bool) throws -> [NodePointer] {
        let outputs = nodes.map { ProtoReading.strings($0.pointee.output, count: $0.pointee.n_output) }
        let deps = nodes.map(dependencies)
        var producer: [String: Int] = [:]
        for (i, names) in outputs.enumerated() {
            for name in names where !name.isEmpty {
                if let other = producer[name] {
                    throw DecodeFailure(
                        location: "node '\(nodeName(nodes[i]))' (\(opType(nodes[i])))",
                        reason: "output '\(name)' is already defined by node '\(nodeName(nodes[other]))': a value is defined more than once"
                    )
                }
                if isVisible(name) {
                    throw DecodeFailure(
                        location: "node '\(nodeName(nodes[i]))' (\(opType(nodes[i])))",
                        reason: "output '\(name)' is already defined as a graph input or initializer (or in an enclosing graph)")
                }
                producer[name] = i
            }
        }
        // Every read must be defined somewhere.
        for (i, names) in deps.enumerated() {
            for name in names where producer[name] == nil && !isVisible(name) {
                throw DecodeFailure(
                    location: "node '\(nodeName(nodes[i]))' (\(opType(nodes[i])))", reason: "reads '\(name)', which nothing defines")
            }
        }
        // Fast path: already in order.
        var sorted = true
        for (i, names) in deps.enumerated() where sorted {
            for name in names { if let p = producer[name], p >= i { sorted = false; break } }
        }
        if sorted { return nodes }

        var indegree = [Int](repeating: 0, count: nodes.count)
        var users = [[Int]](repeating: [], count: nodes.count)
        for (i, names) in deps.enumerated() {
            for p in Set(names.compactMap { producer[$0] }) {
                indegree[i] += 1
                users[p].append(i)
            }
        }
        var ready = (0..<nodes.count).filter { indegree[$0] == 0 }
        var result: [NodePointer] = []
        while !ready.isEmpty {
            let i = ready.min()!
            ready.removeAll { $0 == i }
            result.append(nodes[i])
            for u in users[i] {
                indegree[u] -= 1
                if indegree[u] == 0 { ready.append(u) }
            }
        }
        if result.count < nodes.count {
            let stuck = (0..<nodes.count).filter { indegree[$0] > 0 }.prefix(4).map { "'\(nodeName(nodes[$0]))'" }
            throw DecodeFailure(location: "graph", reason: "the nodes form a cycle (through nodes \(stuck.joined(separator: ", ")))")
        }
        return result
    }

    /// Names a node reads: its inputs plus the free names of its subgraphs.
    static func dependencies(_ node: NodePointer) -> [String] {
        var names = ProtoReading.strings(node.pointee.input, count: node.pointee.n_input).filter { !$0.isEmpty }
        for graph in subgraphs(of: node) { names += freeNames(graph) }
        return names
    }

    static func subgraphs(of node: NodePointer) -> [UnsafeMutablePointer<Onnx__GraphProto>] {
        var result: [UnsafeMutablePointer<Onnx__GraphProto>] = []
        for attribute in ProtoReading.array(node.pointee.attribute, count: node.pointee.n_attribute) {
            guard let a = attribute?.pointee else { continue }
            if let g = a.g { result.append(g) }
            result += ProtoReading.array(a.graphs, count: a.n_graphs).compactMap { $0 }
        }
        return result
    }

    /// Names a graph reads that it does not define (outer-scope references).
    static func freeNames(_ graph: UnsafeMutablePointer<Onnx__GraphProto>) -> [String] {
        let g = graph.pointee
        var defined = Set<String>()
        for vi in ProtoReading.array(g.input, count: g.n_input) { if let n = vi?.pointee.name { defined.insert(String(cString: n)) } }
        for t in ProtoReading.array(g.initializer, count: g.n_initializer) {
            if let n = t?.pointee.name { defined.insert(String(cString: n)) }
        }
        for s in ProtoReading.array(g.sparse_initializer, count: g.n_sparse_initializer) {
            if let n = s?.pointee.values?.pointee.name { defined.insert(String(cString: n)) }
        }
        var referenced: [String] = []
        for case let node? in ProtoReading.array(g.node, count: g.n_node) {
            referenced += dependencies(node)
            for name in ProtoReading.strings(node.pointee.output, count: node.pointee.n_output) { defined.insert(name) }
        }
        for vi in ProtoReading.array(g.output, count: g.n_output) { if let n = vi?.pointee.name { referenced.append(String(cString: n)) } }
        var seen = Set<String>()
        return referenced.filter { !$0.isEmpty && !defined.contains($0) && seen.insert($0).inserted }
    }

    static func nodeName(_ node: NodePointer) -> String { node.pointee.name.map { String(cString: $0) } ?? "" }
    static func opType(_ node: NodePointer) -> String { node.pointee.op_type.map { String(cString: $0) } ?? "" }
}
