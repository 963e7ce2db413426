import ArgumentParser
import CONNXChecker
import Foundation
import ONNXIR
import ONNXSerialization

/// The result of `whittle check`, as printed with --json.
struct CheckReport: Codable {
    var file: String
    var valid: Bool
    var problems: [String]
    /// What libonnx's checker said: "passed", "failed", or why it was skipped.
    var onnxChecker: String
}

/// `whittle check`: our verifier, plus libonnx's checker where the IR version allows.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a model's structure, types and shapes.",
        discussion: """
            Runs Whittle's verifier (SSA names, topological order, every input defined, initializer \
            data consistent with its type and shape, subgraphs and functions included) and, for IR \
            versions up to 8 and default-domain opsets up to 17, libonnx's checker as well. Exit 0 \
            when valid, 1 with the list of problems otherwise.
            """)

    @Argument(help: "The ONNX model to check.")
    var model: String

    @Flag(help: "Print the report as JSON on stdout.")
    var json = false

    func run() throws {
        let report: CheckReport
        do {
            // Our model is released before libonnx parses the file again, so the two copies of the
            // weights are never held at once.
            let (found, versions) = try Self.verify(model)
            var problems = found
            let checker = Self.runLibONNXChecker(versions, path: model)
            if let failure = checker.failure { problems.append("onnx checker: \(failure)") }
            report = CheckReport(file: model, valid: problems.isEmpty, problems: problems, onnxChecker: checker.status)
        } catch let failure as CommandFailure {
            report = CheckReport(file: model, valid: false, problems: [failure.message], onnxChecker: "skipped (the model did not load)")
        }
        if json {
            try CommandSupport.printJSON(report)
        } else if report.valid {
            print("\(model): valid (onnx checker: \(report.onnxChecker))")
        } else {
            for problem in report.problems { CommandSupport.printError(problem) }
        }
        if !report.valid {
            if !json && report.problems.count > 1 {
                CommandSupport.printError("\(model): \(report.problems.count) problems")
            }
            throw ExitCode.failure
        }
    }

    /// What libonnx's checker needs to know before it runs.
    struct Versions {
        let irVersion: Int64
        let defaultOpset: Int64?
    }

    /// Our verifier's problems, and the versions that decide whether libonnx's checker can run.
    static func verify(_ path: String) throws -> ([String], Versions) {
        let loaded = try CommandSupport.loadModel(path)
        return (Verifier().problems(in: loaded), Versions(irVersion: loaded.irVersion, defaultOpset: loaded.opsetVersion(for: "")))
    }

    /// libonnx 1.12 knows IR <= 8 and default-domain opsets <= 17; outside that it is skipped.
    static func runLibONNXChecker(_ model: Versions, path: String) -> (status: String, failure: String?) {
        let maxIR = whittle_onnx_checker_max_ir_version()
        if model.irVersion > maxIR {
            return ("skipped (IR version \(model.irVersion) is newer than libonnx's \(maxIR))", nil)
        }
        if let opset = model.defaultOpset, opset > 17 {
            return ("skipped (opset \(opset) is newer than libonnx's 17)", nil)
        }
        var buffer = [CChar](repeating: 0, count: 4096)
        let status = whittle_onnx_check_model(path, &buffer, buffer.count)
        let message = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: "\n")
            .joined(separator: " ")
        switch status {
        case 0: return ("passed", nil)
        case 1: return ("failed", message)
        default: return ("skipped (checker error: \(message))", nil)
        }
    }
}
