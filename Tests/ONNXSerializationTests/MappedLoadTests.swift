import Foundation
import ONNXIR
import TestSupport
import Testing

@testable import ONNXSerialization

/// Loading drops the file mapping's pages while protobuf-c copies the weights out; pages read
/// again must come back from the file intact.
@Suite struct MappedLoadTests {
    @Test func weightsSurviveTheMappingBeingDroppedMidParse() throws {
        let folder = try RepositoryFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = SmallModels.convRelu()
        // Six 3 MB tensors: the 8 MB release interval falls inside the third and the sixth.
        let count = 3 << 18
        for index in 0..<6 {
            let values = (0..<count).map { Float(index * count + $0) }
            model.graph.addInitializer(.float32(dims: [Int64(count)], values: values), named: "w\(index)")
        }
        let path = folder.appendingPathComponent("big.onnx")
        try ModelWriter.save(model, to: path, options: SaveOptions(externalData: .inline))

        let loaded = try ModelLoader.load(contentsOf: path)
        for index in 0..<6 {
            let tensor = try #require(loaded.graph.initializers.first { $0.name == "w\(index)" }?.initializer)
            #expect(!tensor.isExternal)
            let values = try tensor.floatValues()
            #expect(values.count == count)
            #expect(values.enumerated().allSatisfy { $0.element == Float(index * count + $0.offset) })
        }
        // Load then save is still byte-for-byte the file that was read.
        let again = folder.appendingPathComponent("again.onnx")
        try ModelWriter.save(loaded, to: again, options: SaveOptions(externalData: .inline))
        #expect(try Data(contentsOf: again) == Data(contentsOf: path))
    }
}
