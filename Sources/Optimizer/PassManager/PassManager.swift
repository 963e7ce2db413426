import Foundation
import Interpreter
import ONNXIR

/// Runs a pipeline: every pass is instantiated (options validated) before the first one runs;
/// each then runs with timing and before/after counts, "modified" computed from a fingerprint,
/// and, with `verifyEach`, the verifier after every pass. Failures say which pass, after which.
public struct PassManager {
    public struct Options {
        public var verifyEach: Bool
        public var log: (String) -> Void
        public var calibration: CalibrationData?
        public init(
            verifyEach: Bool = PassManager.verifyEachByDefault, calibration: CalibrationData? = nil,
            log: @escaping (String) -> Void = { _ in }
        ) {
            self.verifyEach = verifyEach
            self.calibration = calibration
            self.log = log
        }
        /// In-memory calibration samples.
        public init(
            verifyEach: Bool = PassManager.verifyEachByDefault, calibration samples: [[String: RuntimeTensor]],
            log: @escaping (String) -> Void = { _ in }
        ) {
            self.init(verifyEach: verifyEach, calibration: CalibrationData(samples), log: log)
        }
    }

    /// Debug builds (and so tests) verify after every pass; release builds when asked.
    public static var verifyEachByDefault: Bool {
        #if DEBUG
            return true
        #else
            return false
        #endif
    }

    let passes: [(step: PipelineStep, pass: any GraphPass)]
    let options: Options

    public init(steps: [PipelineStep], options: Options = Options()) throws {
        self.passes = try steps.map { step in (step, try PassRegistry.instantiate(step)) }
        self.options = options
    }

    public init(pipeline: String, options: Options = Options()) throws {
        try self.init(steps: PipelineParser.parse(pipeline), options: options)
    }

    public var passNames: [String] { passes.map { type(of: $0.pass).name } }

    @discardableResult
    public func run(on model: Model) throws -> [PassReport] {
        var reports: [PassReport] = []
        var history: [String] = []
        for (step, pass) in passes {
            let name = type(of: pass).name
            let report = try Self.runOne(
                pass, step: step, on: model, history: history, verifyEach: options.verifyEach, calibration: options.calibration,
                log: options.log)
            reports.append(report)
            history.append(name)
        }
        return reports
    }

    /// Runs one pass with the bookkeeping every pass gets.
    static func runOne(
        _ pass: any GraphPass, step: PipelineStep, on model: Model, history: [String], verifyEach: Bool,
        calibration: CalibrationData? = nil,
        log: @escaping (String) -> Void
    ) throws -> PassReport {
        let name = type(of: pass).name
        let before = ModelCounts(model: model)
        let fingerprint = ModelFingerprint.of(model)
        let start = DispatchTime.now().uptimeNanoseconds
        var report: PassReport
        do {
            report = try pass.run(in: PassContext(model: model, history: history, calibration: calibration, log: log))
        } catch let error as PassError {
            throw error
        } catch {
            throw PassError.failed(pass: name, after: history, reason: "\(error)")
        }
        report.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        report.pass = name
        report.options = step.options
        report.before = before
        report.after = ModelCounts(model: model)
        report.modified = ModelFingerprint.of(model) != fingerprint
        if verifyEach {
            let problems = Verifier().problems(in: model)
            if !problems.isEmpty { throw PassError.verificationFailed(pass: name, after: history, problems: problems) }
        }
        log("\(name): \(report.changes.count) change(s), \(report.skipped.count) skipped, \(String(format: "%.3f", report.seconds)) s")
        return report
    }
}
