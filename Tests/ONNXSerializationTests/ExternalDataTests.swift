import Foundation
import ONNXIR
import TestSupport
import Testing

@testable import ONNXSerialization

/// External data: written with a threshold, read lazily, and never read from outside the model's
/// folder; outputs are atomic and never overwrite the input.
@Suite struct ExternalDataTests {
    @Test func thresholdMovesLargeTensorsOutAndBack() throws {
        let folder = try RepositoryFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = SmallModels.convRelu()
        let big = Tensor.float32(dims: [64, 64], values: (0..<4096).map { Float($0) })
        model.graph.addInitializer(big, named: "big")
        let out = folder.appendingPathComponent("m.onnx")
        try ModelWriter.save(model, to: out, options: SaveOptions(externalData: .external(threshold: 1024)))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("m.onnx.data").path))

        let reloaded = try ModelLoader.load(contentsOf: out)
        let bigValue = try #require(reloaded.graph.initializers.first { $0.name == "big" })
        #expect(bigValue.initializer!.isExternal)
        #expect(!reloaded.graph.initializers[0].initializer!.isExternal)  // 16 bytes stay inline
        #expect(try bigValue.initializer!.floatValues() == (0..<4096).map { Float($0) })

        let inline = folder.appendingPathComponent("inline.onnx")
        try ModelWriter.save(reloaded, to: inline, options: SaveOptions(externalData: .inline))
        let back = try ModelLoader.load(contentsOf: inline)
        #expect(!back.graph.initializers.contains { $0.initializer!.isExternal })
        #expect(try back.graph.initializers.first { $0.name == "big" }!.initializer!.floatValues()[4095] == 4095)
    }

    @Test func refusesToOverwriteTheInputOrItsData() throws {
        let folder = try RepositoryFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = SmallModels.convRelu()
        model.graph.addInitializer(.float32(dims: [512], values: [Float](repeating: 1, count: 512)), named: "big")
        let path = folder.appendingPathComponent("m.onnx")
        try ModelWriter.save(model, to: path, options: SaveOptions(externalData: .external(threshold: 1024)))
        let before = try Data(contentsOf: path)
        let loaded = try ModelLoader.load(contentsOf: path)
        #expect(throws: SerializationError.self) { try ModelWriter.save(loaded, to: path) }
        #expect(try Data(contentsOf: path) == before)
        // A different model file whose data file would be the input's own data is refused too.
        let sneaky = folder.appendingPathComponent("m.onnx.data")
        #expect(throws: SerializationError.self) { try ModelWriter.save(loaded, to: sneaky) }
    }

    @Test func failedWriteLeavesNoFilesBehind() throws {
        let folder = try RepositoryFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = SmallModels.convRelu()
        model.graph.addInitializer(.float32(dims: [4096], values: [Float](repeating: 1, count: 4096)), named: "big")
        let source = folder.appendingPathComponent("src.onnx")
        try ModelWriter.save(model, to: source, options: SaveOptions(externalData: .external(threshold: 1024)))
        let loaded = try ModelLoader.load(contentsOf: source)
        // The data file shrinks after loading: streaming the tensor fails in the middle of the write.
        try FileHandle(forWritingTo: folder.appendingPathComponent("src.onnx.data")).truncate(atOffset: 100)
        let out = folder.appendingPathComponent("out.onnx")
        #expect(throws: SerializationError.self) {
            try ModelWriter.save(loaded, to: out, options: SaveOptions(externalData: .external(threshold: 1024)))
        }
        let contents = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(contents == ["src.onnx", "src.onnx.data"])
    }

    @Test(arguments: ["../outside.bin", "/etc/hostname", "a/../../x.bin", "C:\\\\weights.bin"])
    func escapingLocationsAreRefused(location: String) throws {
        let folder = try RepositoryFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: DecodeFailure.self) {
            _ = try ExternalDataLocation.resolve(location, modelFolder: folder, tensor: "W")
        }
    }

    @Test func symlinkLeavingTheFolderIsRefused() throws {
        let folder = try RepositoryFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createSymbolicLink(
            atPath: folder.appendingPathComponent("w.bin").path, withDestinationPath: "/etc/hostname")
        #expect(throws: DecodeFailure.self) {
            _ = try ExternalDataLocation.resolve("w.bin", modelFolder: folder, tensor: "W")
        }
        try Data([1, 2, 3, 4]).write(to: folder.appendingPathComponent("inside.bin"))
        #expect(try ExternalDataLocation.resolve("inside.bin", modelFolder: folder, tensor: "W").lastPathComponent == "inside.bin")
    }
}
