import Foundation
import ModelDiff
import ONNXIR
import Optimizer

/// The report of `whittle optimize` (`Schemas/report.schema.json`): what each pass changed and
/// skipped, size figures before and after, time, and the verification result.
struct OptimizationReport: Codable {
    var whittleVersion = WhittleVersion.string
    var input: String
    var output: String?
    var pipeline: [PipelineStep]
    var passes: [PassReport]
    var before: ModelCounts
    var after: ModelCounts
    var totalSeconds: Double
    var verification: Verification?
    /// True when OUT was written (false when a budget was exceeded).
    var written: Bool

    struct Verification: Codable {
        var inputs: String
        var comparison: ModelComparison.Result
        var budget: [String: Double]
        var violations: [String]
    }
}

/// Renders the report as a standalone HTML page with an SVG chart of nodes, parameters and
/// bytes after each pass.
enum ReportHTML {
    static func render(_ r: OptimizationReport) -> String {
        var rows = ""
        for p in r.passes {
            let a = p.after, b = p.before
            rows +=
                "<tr><td>\(escape(p.pass))</td><td>\(p.modified ? "yes" : "no")</td><td>\(b?.nodes ?? 0) → \(a?.nodes ?? 0)</td><td>\(b?.parameters ?? 0) → \(a?.parameters ?? 0)</td><td>\(b?.initializerBytes ?? 0) → \(a?.initializerBytes ?? 0)</td><td>\(String(format: "%.3f", p.seconds))</td></tr>\n"
        }
        var details = ""
        for p in r.passes {
            details += "<h3>\(escape(p.pass))</h3><ul>"
            for c in p.changes.prefix(500) { details += "<li>\(escape(c))</li>" }
            if p.changes.count > 500 { details += "<li>… \(p.changes.count - 500) more</li>" }
            details += "</ul>"
            if !p.skipped.isEmpty {
                details += "<p>Skipped:</p><ul>"
                for s in p.skipped.prefix(500) { details += "<li><b>\(escape(s.candidate))</b>: \(escape(s.reason))</li>" }
                details += "</ul>"
            }
        }
        var verification = ""
        if let v = r.verification {
            verification =
                "<h2>Verification (\(v.comparison.samples) samples from \(escape(v.inputs)))</h2><table><tr><th>output</th><th>max abs</th><th>mean abs</th><th>cosine</th><th>top-1 agreement</th></tr>"
            for o in v.comparison.outputs {
                verification +=
                    "<tr><td>\(escape(o.name))</td><td>\(o.maxAbs)</td><td>\(o.meanAbs)</td><td>\(o.cosine)</td><td>\(o.top1Agreement.map { String(format: "%.2f%%", $0 * 100) } ?? "")</td></tr>"
            }
            verification += "</table>"
            if let ra = v.comparison.referenceAccuracy, let ca = v.comparison.candidateAccuracy {
                verification += String(format: "<p>Top-1 accuracy: %.2f%% → %.2f%%</p>", ra * 100, ca * 100)
            }
            verification +=
                v.violations.isEmpty
                ? "<p>Within budget.</p>" : "<p><b>Budget exceeded:</b> \(v.violations.map(escape).joined(separator: "; "))</p>"
        }
        return """
            <!doctype html><html><head><meta charset="utf-8"><title>Whittle report: \(escape(r.input))</title>
            <style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style>
            </head><body><h1>Whittle optimization report</h1>
            <p>\(escape(r.input)) → \(escape(r.output ?? "(not written)")); pipeline: \(escape(r.pipeline.map(\.pass).joined(separator: ", "))); \(String(format: "%.3f", r.totalSeconds)) s</p>
            \(chart(r))
            <h2>Passes</h2><table><tr><th>pass</th><th>modified</th><th>nodes</th><th>parameters</th><th>initializer bytes</th><th>seconds</th></tr>
            \(rows)</table>\(verification)<h2>Details</h2>\(details)</body></html>
            """
    }

    /// Bars of nodes, parameters and bytes after each pass, relative to the input model.
    private static func chart(_ r: OptimizationReport) -> String {
        let series: [(String, (ModelCounts) -> Double)] = [
            ("nodes", { Double($0.nodes) }), ("parameters", { Double($0.parameters) }), ("bytes", { Double($0.initializerBytes) }),
        ]
        let steps = [("input", r.before)] + r.passes.compactMap { p in p.after.map { (p.pass, $0) } }
        let width = 120 * steps.count + 60
        var svg =
            "<svg width=\"\(width)\" height=\"240\" xmlns=\"http://www.w3.org/2000/svg\"><text x=\"0\" y=\"14\" font-size=\"12\">size relative to the input (nodes, parameters, bytes)</text>"
        let colors = ["#4e79a7", "#f28e2b", "#59a14f"]
        for (i, step) in steps.enumerated() {
            for (k, s) in series.enumerated() {
                let base = max(s.1(r.before), 1)
                let h = 180 * min(s.1(step.1) / base, 1.5) / 1.5
                let x = 40 + i * 120 + k * 28
                svg +=
                    "<rect x=\"\(x)\" y=\"\(210 - h)\" width=\"24\" height=\"\(h)\" fill=\"\(colors[k])\"><title>\(s.0): \(Int(s.1(step.1)))</title></rect>"
            }
            svg += "<text x=\"\(40 + i * 120)\" y=\"228\" font-size=\"11\">\(escape(String(step.0.prefix(16))))</text>"
        }
        return svg + "</svg>"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
            of: ">", with: "&gt;"
        ).replacingOccurrences(of: "\"", with: "&quot;")
    }
}
