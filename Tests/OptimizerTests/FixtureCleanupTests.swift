import Foundation
import Interpreter
import ONNXIR
import ONNXSerialization
import TestSupport
import Testing

@testable import Optimizer

/// Cleanup over the real exports in Fixtures/: outputs on the recorded inputs stay within 1e-4
/// relative (folded BatchNormalization and reordered sums round differently), the verifier
/// passes, and the result survives a save-load round trip.
@Suite struct FixtureCleanupTests {
    /// `Fixtures/X/model.onnx` reads `Fixtures/X/test_data`; `Fixtures/X/name.onnx` reads
    /// `Fixtures/X/test_data_name` when there is one.
    static func dataFolder(for model: URL) -> URL? {
        let folder = model.deletingLastPathComponent()
        let stem = model.deletingPathExtension().lastPathComponent
        for candidate in ["test_data_\(stem)", "test_data"] {
            let url = folder.appendingPathComponent(candidate)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        return nil
    }

    @Test(arguments: RepositoryFiles.fixtureModels().map(\.path))
    func cleanupKeepsFixtureOutputs(path: String) throws {
        let url = URL(fileURLWithPath: path)
        guard let data = Self.dataFolder(for: url), let sample = (try? DataFolder(data))?.samples.first else { return }
        let model = try ModelLoader.load(contentsOf: url)
        let required = model.graph.inputs.filter { !$0.isInitializer }
        guard required.count == sample.inputs.count else { return }
        var feeds: [String: RuntimeTensor] = [:]
        for (input, file) in zip(required, sample.inputs) { feeds[input.name] = try RuntimeTensor(try TensorFile.read(file)) }
        // Models the interpreter cannot run yet (missing kernels) say nothing about cleanup.
        guard let before = try? Session(model: model, registry: cleanupRegistry).run(feeds) else { return }
        let nodesBefore = ModelCounts(model: model).nodes

        let report = try PassManager(pipeline: "cleanup").run(on: model)[0]
        #expect(Verifier().problems(in: model).isEmpty, "\(Verifier().problems(in: model).prefix(3))")
        #expect(ModelCounts(model: model).nodes <= nodesBefore)
        let after = try Session(model: model, registry: cleanupRegistry).run(feeds)
        try expectClose(before, after, relative: 1e-4, absolute: 1e-5)
        #expect(model.graph.outputs.count == before.count)

        let loaded = try ModelLoader.load(bytes: try ModelWriter.serialize(model))
        #expect(Verifier().problems(in: loaded).isEmpty)
        try expectClose(after, try Session(model: loaded, registry: cleanupRegistry).run(feeds), relative: 0, absolute: 0)
        // A second cleanup finds nothing left to do.
        #expect(try !PassManager(pipeline: "cleanup").run(on: model)[0].modified, "\(report.changes.prefix(5))")
    }
}
