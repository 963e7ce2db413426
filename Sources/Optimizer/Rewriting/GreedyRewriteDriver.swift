import ONNXIR

/// Applies patterns to a fixed point: repeatedly walks every graph (subgraphs included) in
/// order, tries each pattern on nodes of its anchor ops, and rewrites on the first match;
/// stops when a full sweep changes nothing or the iteration cap is reached.
public struct GreedyRewriteDriver {
    public let patterns: [any RewritePattern]
    public let maxSweeps: Int

    public init(patterns: [any RewritePattern], maxSweeps: Int = 20) {
        self.patterns = patterns
        self.maxSweeps = maxSweeps
    }

    public func run(on model: Model, report: inout PassReport) throws {
        var skips: [String: PassReport.Skip] = [:]
        var skipOrder: [String] = []
        for _ in 0..<maxSweeps {
            // Skips of the last sweep describe the final graph: earlier ones may have been resolved.
            skips = [:]
            skipOrder = []
            var changed = false
            for graph in model.graph.allGraphs {
                let context = MatchContext(model: model, graph: graph)
                var index = 0
                while index < graph.nodes.count {
                    let node = graph.nodes[index]
                    index += 1
                    for pattern in patterns where pattern.anchorOps.isEmpty || pattern.anchorOps.contains(node.opType) {
                        guard node.graph === graph else { break }
                        switch pattern.match(node, in: context) {
                        case .matched(let bindings):
                            try pattern.rewrite(bindings, with: Rewriter(graph: graph, patternName: pattern.name))
                            report.changed("\(pattern.name): \(bindings.description)")
                            changed = true
                            // Node positions moved; restart this graph's walk from the top.
                            index = 0
                        case .skipped(let candidate, let reason):
                            let key = "\(pattern.name)|\(candidate)"
                            if skips[key] == nil { skipOrder.append(key) }
                            skips[key] = PassReport.Skip(candidate: candidate, reason: "\(pattern.name): \(reason)")
                        case .notApplicable:
                            break
                        }
                        if index == 0 { break }
                    }
                }
            }
            if !changed { break }
        }
        for key in skipOrder { if let s = skips[key] { report.skipped.append(s) } }
    }
}
