import ArgumentParser
import Foundation
import Interpreter
import ModelDiff
import ONNXIR
import ONNXSerialization
import Optimizer

/// `whittle optimize`: run a pass pipeline, optionally verify against the original, write OUT.
struct OptimizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "optimize",
        abstract: "Run a pass pipeline on a model and write the result.",
        discussion: """
            SPEC is a comma-separated list of passes with options in braces, for example \
            'cleanup,dead-code{keep-inputs=true}'; `whittle passes` lists them. --recipe takes the \
            same pipeline as JSON (Schemas/recipe.schema.json). Every pass's options are validated \
            before anything runs. OUT is written atomically and never over MODEL.

            --verify runs the original and the optimized model through the interpreter on --inputs \
            DIR (else the calibration data, else --random N seeded samples) and reports per-output \
            max/mean abs error, cosine similarity, top-1 agreement, and accuracy when label.npy files \
            sit beside the inputs. --max-delta METRIC=VALUE sets budgets (max-abs, mean-abs, cosine, \
            top1, accuracy); when one is exceeded the command fails with exit 1 and writes no OUT.
            """)

    @Argument(help: "The ONNX model to optimize.")
    var model: String

    @Option(name: .shortAndLong, help: "Where to write the optimized model.")
    var output: String

    @Option(help: "The pass pipeline (default: cleanup).")
    var pipeline: String?

    @Option(help: "A JSON recipe holding the pipeline (and optional budgets).")
    var recipe: String?

    @Option(help: "Calibration data folder (DIR/test_data_set_N/input_K.pb or .npy).")
    var calibration: String?

    @Flag(help: "Compare the optimized model with the original on inputs and report the deltas.")
    var verify = false

    @Option(name: .customLong("inputs"), help: "Data folder for --verify.")
    var inputsFolder: String?

    @Option(help: "With --verify and no data: the number of seeded random samples.")
    var random = 4

    @Option(
        name: .customLong("max-delta"),
        help: "A budget METRIC=VALUE (max-abs, mean-abs, cosine, top1, accuracy). Repeatable; implies --verify.")
    var maxDelta: [String] = []

    @Option(name: .customLong("input-shape"), help: "Fix an input's dims: NAME=1,3,224,224. Repeatable.")
    var inputShapes: [String] = []

    @Flag(help: "Run the verifier after every pass (always on in debug builds).")
    var verifyEach = false

    @Option(help: "Write the JSON report (Schemas/report.schema.json) here.")
    var report: String?

    @Option(help: "Write an HTML report with plots here.")
    var html: String?

    @Option(help: "Threads for the interpreter during verification.")
    var threads = 1

    @Flag(help: "Store initializers of 1 KiB or more in OUT.data.")
    var externalData = false

    @Flag(name: .shortAndLong, help: "Log each pass as it runs (on stderr).")
    var verbose = false

    func validate() throws {
        if pipeline != nil && recipe != nil { throw ValidationError("give --pipeline or --recipe, not both") }
        if random < 1 { throw ValidationError("--random must be at least 1") }
        _ = try VerificationBudget(parsing: maxDelta)
        for s in inputShapes where !s.contains("=") { throw ValidationError("--input-shape '\(s)' must be NAME=D1,D2,...") }
    }

    func run() throws {
        let start = DispatchTime.now().uptimeNanoseconds
        let loaded = try CommandSupport.loadModel(model)
        var steps: [PipelineStep]
        var limits = try VerificationBudget(parsing: maxDelta).limits
        do {
            if let recipe {
                let r = try Recipe.load(URL(fileURLWithPath: recipe))
                steps = r.pipeline
                limits = r.maxDelta.merging(limits) { _, cli in cli }
            } else {
                steps = try PipelineParser.parse(pipeline ?? "cleanup")
            }
        } catch let error as PassError { throw CommandFailure(error.description) }
        try InputShapes.apply(inputShapes, to: loaded)
        // Read sample by sample while the pass calibrates: memory does not grow with their number.
        let calibrationSamples = try calibration.map { path in
            let sets = try CommandSupport.dataFolder(path).samples
            return CalibrationData(count: sets.count) { try InputFeeds.fromSample(sets[$0], model: loaded) }
        }

        let manager: PassManager
        do {
            manager = try PassManager(
                steps: steps,
                options: .init(
                    verifyEach: verifyEach || PassManager.verifyEachByDefault, calibration: calibrationSamples,
                    log: verbose ? CommandSupport.printError : { _ in }))
        } catch let error as PassError { throw CommandFailure(error.description) }
        let before = ModelCounts(model: loaded)
        let reports: [PassReport]
        do { reports = try manager.run(on: loaded) } catch let error as PassError { throw CommandFailure("\(model): \(error.description)") }

        var result = OptimizationReport(
            input: model, output: nil, pipeline: steps, passes: reports, before: before, after: ModelCounts(model: loaded),
            totalSeconds: 0, verification: nil, written: false)
        if verify || !limits.isEmpty {
            result.verification = try verifyAgainstOriginal(loaded, limits: limits)
        }
        let violations = result.verification?.violations ?? []
        if violations.isEmpty {
            do {
                try ModelWriter.save(
                    loaded, to: URL(fileURLWithPath: output),
                    options: SaveOptions(externalData: externalData ? .external(threshold: 1024) : .preserve))
            } catch let error as SerializationError { throw CommandFailure(error.description) }
            result.output = output
            result.written = true
        }
        result.totalSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        try writeReports(result)
        if violations.isEmpty { printSummary(result) }
        if !violations.isEmpty {
            throw CommandFailure("\(model): verification budget exceeded (\(violations.joined(separator: "; "))); \(output) not written")
        }
    }

    private func verifyAgainstOriginal(_ optimized: Model, limits: [String: Double]) throws -> OptimizationReport.Verification {
        let original = try CommandSupport.loadModel(model)
        try InputShapes.apply(inputShapes, to: original)
        let reference = try CommandSupport.session(for: original, threads: threads)
        let candidate = try CommandSupport.session(for: optimized, threads: threads)
        var samples: [[String: RuntimeTensor]] = []
        var labels: [[Int]]? = nil
        var source = "\(random) seeded random samples"
        if let folder = inputsFolder ?? calibration {
            let data = try CommandSupport.dataFolder(folder)
            samples = try data.samples.map { try InputFeeds.fromSample($0, model: original) }
            labels = try InputFeeds.labels(data)
            source = folder
        } else {
            let fixed = try InputShapes.symbolValues(inputShapes, model: original)
            samples = try (0..<random).map { try InputFeeds.random(for: original, seed: UInt64($0), fixedDims: fixed) }
        }
        let comparison: ModelComparison.Result
        do {
            comparison = try ModelComparison(reference: reference, candidate: candidate).compare(samples: samples, labels: labels)
        } catch let error as InterpreterError { throw CommandFailure("verification: \(error.description)") } catch let error
            as ComparisonError
        {
            throw CommandFailure("verification: \(error.description)")
        }
        let budget = VerificationBudget(limits: limits)
        return .init(inputs: source, comparison: comparison, budget: limits, violations: budget.violations(of: comparison))
    }

    private func writeReports(_ result: OptimizationReport) throws {
        if let report {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(result).write(to: URL(fileURLWithPath: report), options: .atomic)
        }
        if let html { try Data(ReportHTML.render(result).utf8).write(to: URL(fileURLWithPath: html), options: .atomic) }
    }

    private func printSummary(_ r: OptimizationReport) {
        let log = CommandSupport.printError
        log(
            "nodes \(r.before.nodes) -> \(r.after.nodes), parameters \(r.before.parameters) -> \(r.after.parameters), initializer bytes \(r.before.initializerBytes) -> \(r.after.initializerBytes)"
        )
        if let v = r.verification {
            for o in v.comparison.outputs {
                log(
                    String(
                        format: "verify %@: max abs %.3g, mean abs %.3g, cosine %.6f%@", o.name, o.maxAbs, o.meanAbs, o.cosine,
                        o.top1Agreement.map { String(format: ", top-1 agreement %.2f%%", $0 * 100) } ?? ""))
            }
            if let ra = v.comparison.referenceAccuracy, let ca = v.comparison.candidateAccuracy {
                log(String(format: "verify accuracy: %.2f%% -> %.2f%%", ra * 100, ca * 100))
            }
        }
        if r.written { log("wrote \(output)") }
    }
}

/// `--input-shape NAME=1,3,224,224`: fixes the declared dims of graph inputs.
enum InputShapes {
    static func parse(_ items: [String]) throws -> [(String, [Int64])] {
        try items.map { item in
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            let dims = parts.count == 2 ? parts[1].split(separator: ",").map { Int64($0.trimmingCharacters(in: .whitespaces)) } : []
            guard parts.count == 2, !dims.isEmpty, dims.allSatisfy({ ($0 ?? -1) >= 0 }) else {
                throw CommandFailure("--input-shape '\(item)' must be NAME=D1,D2,... with non-negative integers")
            }
            return (parts[0], dims.map { $0! })
        }
    }

    static func apply(_ items: [String], to model: Model) throws {
        for (name, dims) in try parse(items) {
            guard let input = model.graph.inputs.first(where: { $0.name == name }) else {
                throw CommandFailure(
                    "--input-shape: the model has no input '\(name)' (inputs: \(model.graph.inputs.map(\.name).joined(separator: ", ")))")
            }
            let elementType = input.type?.elementType ?? .float
            if let shape = input.type?.shape {
                guard shape.rank == dims.count else {
                    throw CommandFailure("--input-shape: input '\(name)' has rank \(shape.rank), got \(dims.count) dims")
                }
                for (i, d) in shape.dimensions.enumerated() {
                    if let v = d.value, v != dims[i] {
                        throw CommandFailure("--input-shape: dim \(i) of input '\(name)' is fixed at \(v), got \(dims[i])")
                    }
                }
            }
            input.type = .tensor(elementType, TensorShape(dims))
        }
    }

    /// Values for symbolic dims implied by the fixed shapes (for random inputs).
    static func symbolValues(_ items: [String], model: Model) throws -> [String: Int64] {
        var result: [String: Int64] = [:]
        for (name, dims) in try parse(items) {
            guard let shape = model.graph.inputs.first(where: { $0.name == name })?.type?.shape else { continue }
            for (i, d) in shape.dimensions.enumerated() where i < dims.count { if case .symbol(let s) = d { result[s] = dims[i] } }
        }
        return result
    }
}
