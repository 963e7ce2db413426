import ArgumentParser
import Foundation
import ModelDiff
import ONNXIR

/// `whittle diff A B`: what changed between two models.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what changed between two models: nodes, attributes, weights, interface and metadata.",
        discussion: """
            Nodes are matched by structure first (op, attributes and what feeds them), then by name, \
            then by aligning the op sequences, so a renamed copy shows no structural change. For \
            matched nodes it lists attribute and input changes and weight changes (shape, dtype, \
            max abs and relative L2 deltas); it also lists nodes and initializers added or removed, \
            input/output and metadata changes, and parameter and byte totals. Exit 0 whether or not \
            the models differ.
            """)

    @Argument(help: "The model before.")
    var first: String

    @Argument(help: "The model after.")
    var second: String

    @Flag(help: "Print the diff as JSON on stdout.")
    var json = false

    func run() throws {
        let a = try CommandSupport.loadModel(first)
        let b = try CommandSupport.loadModel(second)
        let report = StructuralDiff(a, b).run()
        if json {
            try CommandSupport.printJSON(report)
            return
        }
        print(DiffText.render(report, first: first, second: second))
    }
}

/// The readable form of a diff.
enum DiffText {
    static func render(_ r: DiffReport, first: String, second: String) -> String {
        var lines = ["--- \(first)", "+++ \(second)"]
        let t = r.totals
        lines.append(
            "nodes \(t.nodesBefore) -> \(t.nodesAfter), parameters \(t.parametersBefore) -> \(t.parametersAfter) (\(signed(t.parametersAfter - t.parametersBefore))), initializer bytes \(t.bytesBefore) -> \(t.bytesAfter)"
        )
        if !r.hasStructuralChanges {
            lines.append("no structural change (\(r.nodesUnchanged) nodes match\(r.nodesRenamed > 0 ? ", \(r.nodesRenamed) renamed" : ""))")
        }
        for n in r.nodesRemoved { lines.append("- node \(n.op) '\(n.name)'") }
        for n in r.nodesAdded { lines.append("+ node \(n.op) '\(n.name)'") }
        for c in r.nodesChanged {
            let names = c.before.name == c.after.name ? "'\(c.before.name)'" : "'\(c.before.name)' -> '\(c.after.name)'"
            lines.append("~ node \(c.before.op) \(names)\(c.parameterDelta != 0 ? " (parameters \(signed(c.parameterDelta)))" : "")")
            for a in c.attributes { lines.append("    attribute \(a.name): \(a.before ?? "(none)") -> \(a.after ?? "(none)")") }
            for i in c.inputs { lines.append("    input \(i.index): \(i.before ?? "(none)") -> \(i.after ?? "(none)")") }
            for w in c.weights { lines.append("    " + weight(w)) }
        }
        for t in r.initializersRemoved { lines.append("- initializer '\(t.name)' \(t.dtype)\(t.shape)") }
        for t in r.initializersAdded { lines.append("+ initializer '\(t.name)' \(t.dtype)\(t.shape)") }
        for w in r.initializersChanged { lines.append("~ " + weight(w)) }
        for i in r.interface { lines.append("~ \(i.kind) '\(i.name)': \(i.before ?? "(none)") -> \(i.after ?? "(none)")") }
        for m in r.metadata { lines.append("~ \(m.name): \(m.before ?? "") -> \(m.after ?? "")") }
        return lines.joined(separator: "\n")
    }

    static func weight(_ w: DiffReport.InitializerChange) -> String {
        var s = "weight '\(w.before)'\(w.before == w.after ? "" : " -> '\(w.after)'")"
        if w.shapeBefore != w.shapeAfter || w.dtypeBefore != w.dtypeAfter {
            s += ": \(w.dtypeBefore)\(w.shapeBefore) -> \(w.dtypeAfter)\(w.shapeAfter)"
        }
        if let m = w.maxAbs, let r = w.relativeL2 { s += String(format: ": max abs %.4g, relative L2 %.4g", m, r) }
        return s
    }

    static func signed(_ v: Int64) -> String { v > 0 ? "+\(v)" : "\(v)" }
}
