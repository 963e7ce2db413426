import ArgumentParser
import Foundation
import Interpreter
import ONNXIR
import ONNXSerialization

/// Per-output result of `whittle run`.
struct OutputSummary: Codable {
    var name: String
    var dtype: String
    var shape: [Int]
    var min: Double?
    var max: Double?
    var mean: Double?
    /// Against `output_K` of the data folder, when it has them.
    var maxAbsError: Double?
    var maxRelError: Double?
}

struct SampleResult: Codable {
    var sample: String
    var outputs: [OutputSummary]
}

/// `whittle run`: the reference interpreter on given inputs.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a model with Whittle's reference interpreter.",
        discussion: """
            Inputs come from --input NAME=FILE (repeatable; .pb TensorProto or .npy) or from --inputs \
            DIR, an ONNX test-data folder (DIR/test_data_set_N/input_K.pb) or one test_data_set_N \
            folder. With --output-dir, outputs are written as output_K.pb in graph-output order (for a \
            data folder, into OUTDIR/test_data_set_N/); otherwise a summary is printed. When the data \
            folder holds expected outputs (output_K.pb), the max abs/rel error against them is reported.
            """)

    @Argument(help: "The ONNX model to run.")
    var model: String

    @Option(name: .customLong("input"), help: "An input as NAME=FILE (.pb or .npy). Repeatable.")
    var inputPairs: [String] = []

    @Option(name: .customLong("inputs"), help: "A data folder (DIR/test_data_set_N/input_K.pb) or one test_data_set_N folder.")
    var inputsFolder: String?

    @Option(help: "Where to write output_K.pb files.")
    var outputDir: String?

    @Option(help: "Threads for the interpreter.")
    var threads = 1

    @Option(
        name: .customLong("memory-cap"),
        help:
            "Most bytes the run's tensors may hold at once (e.g. 512M, 4G); a larger allocation fails before it happens. Default: physical memory."
    )
    var memoryCap: ByteCount?

    @Flag(help: "Print results as JSON on stdout.")
    var json = false

    func validate() throws {
        if inputPairs.isEmpty == (inputsFolder == nil) { throw ValidationError("give either --input NAME=FILE ... or --inputs DIR") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let loaded = try CommandSupport.loadModel(model)
        let session = try CommandSupport.session(for: loaded, threads: threads, memoryCap: memoryCap?.bytes)
        var results: [SampleResult] = []
        if let inputsFolder {
            let folder = try CommandSupport.dataFolder(inputsFolder)
            for sample in folder.samples {
                let feeds = try InputFeeds.fromSample(sample, model: loaded)
                let outputs = try CommandSupport.run(session, feeds)
                let expected = try sample.expectedOutputs.map(InputFeeds.readTensor)
                let outDir = outputDir.map {
                    folder.samples.count > 1 || sample.folder.lastPathComponent.hasPrefix("test_data_set_")
                        ? URL(fileURLWithPath: $0).appendingPathComponent(sample.folder.lastPathComponent) : URL(fileURLWithPath: $0)
                }
                try write(outputs, names: session.outputNames, to: outDir)
                results.append(
                    SampleResult(
                        sample: sample.folder.lastPathComponent, outputs: summarize(outputs, names: session.outputNames, expected: expected)
                    ))
            }
        } else {
            let feeds = try InputFeeds.fromPairs(inputPairs, model: loaded)
            let outputs = try CommandSupport.run(session, feeds)
            try write(outputs, names: session.outputNames, to: outputDir.map { URL(fileURLWithPath: $0) })
            results.append(SampleResult(sample: "inputs", outputs: summarize(outputs, names: session.outputNames, expected: [])))
        }
        if json {
            try CommandSupport.printJSON(results)
        } else {
            for result in results {
                if results.count > 1 { print("\(result.sample):") }
                for o in result.outputs {
                    var line = "  \(o.name): \(o.dtype)\(o.shape)"
                    if let min = o.min, let max = o.max, let mean = o.mean {
                        line += String(format: " min %.6g max %.6g mean %.6g", min, max, mean)
                    }
                    if let e = o.maxAbsError { line += String(format: " | max abs err %.3g", e) }
                    print(line)
                }
            }
        }
    }

    private func write(_ outputs: [RuntimeTensor], names: [String], to folder: URL?) throws {
        guard let folder else { return }
        // Checked before any file is written, so a refused run leaves no partial output set.
        if let k = outputs.firstIndex(where: \.isContainer) {
            throw CommandFailure(
                "output '\(names[k])' is \(outputs[k].sequence != nil ? "a sequence" : "an empty optional"); "
                    + "--output-dir writes tensors only (SequenceProto and OptionalProto files are not supported yet)")
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (k, t) in outputs.enumerated() {
            do {
                try TensorFile.write(t.toTensor(name: names[k]), to: folder.appendingPathComponent("output_\(k).pb"))
            } catch let error as SerializationError { throw CommandFailure(error.description) }
        }
    }

    private func summarize(_ outputs: [RuntimeTensor], names: [String], expected: [Tensor]) -> [OutputSummary] {
        outputs.enumerated().map { k, t in
            if let elements = t.sequence {
                return OutputSummary(name: names[k], dtype: "seq(\(t.dataType.name))", shape: [elements.count])
            }
            var s = OutputSummary(name: names[k], dtype: t.dataType.name, shape: t.shape)
            if let values = try? t.floatValues(), !values.isEmpty {
                s.min = Double(values.min()!)
                s.max = Double(values.max()!)
                s.mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
                if k < expected.count, let reference = try? expected[k].floatValues(), reference.count == values.count {
                    var maxAbs = 0.0
                    var maxRel = 0.0
                    for (a, b) in zip(values, reference) {
                        let d = Double(abs(a - b))
                        maxAbs = Swift.max(maxAbs, d)
                        maxRel = Swift.max(maxRel, d / Swift.max(Double(abs(b)), 1e-12))
                    }
                    s.maxAbsError = maxAbs
                    s.maxRelError = maxRel
                }
            }
            return s
        }
    }
}
