import ArgumentParser
import Foundation
import Interpreter
import ModelDiff
import ONNXIR

/// `whittle compare A B`: numeric agreement of two models on the same inputs.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run two models on the same inputs and compare their outputs.",
        discussion: """
            Per output: max abs error, mean abs error, cosine similarity, and for classifier outputs \
            ([N, C]) top-1 agreement. Inputs come from --inputs DIR (ONNX test-data layout) or \
            --random N seeded random samples of the declared input shapes. --layerwise also compares \
            intermediate tensors both graphs name the same way, in execution order, to show where \
            the error enters.
            """)

    @Argument(help: "The reference model.")
    var first: String

    @Argument(help: "The model compared against it.")
    var second: String

    @Option(name: .customLong("inputs"), help: "A data folder (DIR/test_data_set_N/input_K.pb).")
    var inputsFolder: String?

    @Option(help: "Compare on N seeded random samples instead of a data folder.")
    var random: Int?

    @Option(help: "Seed for --random.")
    var seed: UInt64 = 0

    @Flag(help: "Also compare intermediate tensors with matching names.")
    var layerwise = false

    @Option(help: "Threads for the interpreter.")
    var threads = 1

    @Flag(help: "Print the result as JSON on stdout.")
    var json = false

    func validate() throws {
        if (inputsFolder == nil) == (random == nil) { throw ValidationError("give either --inputs DIR or --random N") }
        if let random, random < 1 { throw ValidationError("--random must be at least 1") }
    }

    func run() throws {
        let a = try CommandSupport.loadModel(first)
        let b = try CommandSupport.loadModel(second)
        let sa = try CommandSupport.session(for: a, threads: threads)
        let sb = try CommandSupport.session(for: b, threads: threads)
        var samples: [[String: RuntimeTensor]] = []
        if let inputsFolder {
            samples = try CommandSupport.dataFolder(inputsFolder).samples.map { try InputFeeds.fromSample($0, model: a) }
        } else {
            samples = try (0..<(random ?? 1)).map { try InputFeeds.random(for: a, seed: seed &+ UInt64($0)) }
        }
        let result: ModelComparison.Result
        do {
            result = try ModelComparison(reference: sa, candidate: sb, layerwise: layerwise).compare(samples: samples)
        } catch let error as InterpreterError {
            throw CommandFailure(error.description)
        } catch let error as ComparisonError {
            throw CommandFailure(error.description)
        }
        if json {
            try CommandSupport.printJSON(result)
            return
        }
        print("\(result.samples) sample(s)")
        for o in result.outputs {
            var line = String(format: "%@: max abs %.4g, mean abs %.4g, cosine %.6f", o.name, o.maxAbs, o.meanAbs, o.cosine)
            if let t = o.top1Agreement { line += String(format: ", top-1 agreement %.2f%%", t * 100) }
            print(line)
        }
        if let layers = result.layers {
            print("layer-wise (shared tensor names, execution order):")
            for l in layers { print(String(format: "  %@: max abs %.4g, cosine %.6f", l.name, l.maxAbs, l.cosine)) }
        }
    }
}
