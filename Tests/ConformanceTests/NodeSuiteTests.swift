import Foundation
import TestSupport
import Testing

/// The ONNX backend node suite through the interpreter. Cases come from
/// Tools/conformance/generate_node_tests.py (run by `make test`); every case listed in
/// Tests/Conformance/expected_passes.txt must still pass, so a regression fails the build.
/// Without the generated cases the test is reported as skipped, not passed; under CI (where
/// `make test` generates them first) their absence is a failure.
@Suite struct NodeSuiteTests {
    static let manifestURL = RepositoryFiles.url(".build/node-tests/manifest.json")
    static let runs = FileManager.default.fileExists(atPath: manifestURL.path) || ProcessInfo.processInfo.environment["CI"] != nil

    @Test(.enabled(if: runs, "`make conformance` generates the node tests into .build/node-tests"))
    func nodeSuiteHasNoRegressions() throws {
        let root = Self.manifestURL.deletingLastPathComponent()
        let manifest = try Data(contentsOf: Self.manifestURL)
        let cases = try JSONDecoder().decode([NodeSuiteRunner.Case].self, from: manifest)
        let runner = NodeSuiteRunner(root: root)
        var results: [[String: String]] = []
        var passed = Set<String>()
        for c in cases {
            let outcome = runner.run(c)
            if outcome == .passed { passed.insert(c.name) }
            var detail = ""
            if case .failed(let why) = outcome { detail = why }
            if case .unsupported(let why) = outcome { detail = why }
            results.append(["name": c.name, "op": c.op, "domain": c.domain, "outcome": outcome.label, "detail": String(detail.prefix(300))])
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(results).write(to: root.appendingPathComponent("results.json"))
        let expectedText = (try? String(contentsOf: RepositoryFiles.url("Tests/Conformance/expected_passes.txt"), encoding: .utf8)) ?? ""
        let expected = expectedText.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty && !$0.hasPrefix("#")
        }
        // Node tests generated before sequences were written cannot run those cases; they are
        // not regressions of the interpreter.
        let stale = Set(cases.filter(NodeSuiteRunner.lacksData).map(\.name))
        let regressions = expected.filter { !passed.contains($0) && !stale.contains($0) }
        if !stale.isEmpty { print("node suite: \(stale.count) cases lack sequence data; regenerate the node tests to run them") }
        print("node suite: \(passed.count) of \(cases.count) passed; \(regressions.count) regressions")
        #expect(regressions.isEmpty, "cases that passed before now fail: \(regressions.prefix(20).joined(separator: ", "))")
    }
}
