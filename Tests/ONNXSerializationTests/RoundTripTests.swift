import Foundation
import ONNXIR
import TestSupport
import Testing

@testable import ONNXSerialization

/// Load-then-save keeps every field: re-encoding is byte-stable and fields unknown to the system
/// proto survive.
@Suite struct RoundTripTests {
    @Test(arguments: RepositoryFiles.fixtureModels().map(\.path))
    func fixtureRoundTripIsStable(path: String) throws {
        let url = URL(fileURLWithPath: path)
        let model = try ModelLoader.load(contentsOf: url)
        #expect(Verifier().problems(in: model).isEmpty)
        let folder = try RepositoryFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // Same file name in two folders, so external data locations agree.
        for sub in ["first", "second"] {
            try FileManager.default.createDirectory(at: folder.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        let first = folder.appendingPathComponent("first/model.onnx")
        try ModelWriter.save(model, to: first)
        let reloaded = try ModelLoader.load(contentsOf: first)
        let second = folder.appendingPathComponent("second/model.onnx")
        try ModelWriter.save(reloaded, to: second)
        // Same layout twice gives identical bytes (determinism), external data included.
        #expect(try Data(contentsOf: first) == Data(contentsOf: second))
        let firstData = folder.appendingPathComponent("first/model.onnx.data")
        if FileManager.default.fileExists(atPath: firstData.path) {
            #expect(try Data(contentsOf: firstData) == Data(contentsOf: folder.appendingPathComponent("second/model.onnx.data")))
        }
        // Without external data, re-encoding the original bytes reproduces them exactly when the
        // writer used canonical field order (true for onnx's Python writer and PyTorch).
        if !model.graph.initializers.contains(where: { $0.initializer?.isExternal ?? false }) {
            let original = try Data(contentsOf: url)
            let reencoded = Data(try ModelWriter.serialize(try ModelLoader.load(bytes: Array(original))))
            #expect(reencoded.count == original.count)
        }
    }

    @Test func unknownTopLevelFieldSurvives() throws {
        let model = SmallModels.convRelu()
        var bytes = try ModelWriter.serialize(model)
        // Field 99, varint 42: a field no onnx.proto defines.
        bytes += [0x98, 0x06, 42]
        let reloaded = try ModelLoader.load(bytes: bytes)
        #expect(reloaded.extras.unknownFields == [UnknownField(fieldNumber: 99, wireType: 0, payload: [42])])
        let again = try ModelWriter.serialize(reloaded)
        #expect(again == bytes)
    }

    @Test func presenceOfEmptyStringsIsKept() throws {
        let model = SmallModels.convRelu()
        model.graph.nodes[0].extras.notePresentDefault(6)  // doc_string: "" present
        let bytes = try ModelWriter.serialize(model)
        let reloaded = try ModelLoader.load(bytes: bytes)
        #expect(reloaded.graph.nodes[0].extras.isPresentDefault(6))
        #expect(!reloaded.graph.nodes[1].extras.isPresentDefault(6))
        #expect(try ModelWriter.serialize(reloaded) == bytes)
    }

    @Test func typedFieldTensorsKeepTheirEncoding() throws {
        let model = SmallModels.convRelu()
        var bias = model.graph.initializers[1].initializer!
        bias.encoding = .typedFields
        model.graph.setInitializerTensor(model.graph.initializers[1], bias)
        let reloaded = try ModelLoader.load(bytes: try ModelWriter.serialize(model))
        let tensor = try #require(reloaded.graph.initializers[1].initializer)
        #expect(tensor.encoding == .typedFields)
        #expect(try tensor.floatValues() == [0.5, -0.5])
    }

    @Test func subgraphsResolveOuterScopeValues() throws {
        let model = SmallModels.ifWithOuterReference()
        let reloaded = try ModelLoader.load(bytes: try ModelWriter.serialize(model))
        #expect(Verifier().problems(in: reloaded).isEmpty)
        let outer = try #require(reloaded.graph.nodes.first { $0.opType == "Relu" }?.outputs[0])
        let ifNode = try #require(reloaded.graph.nodes.first { $0.opType == "If" })
        // The branch's Identity reads the outer Relu output through the same handle.
        let branch = try #require(ifNode.attribute("then_branch")?.graph)
        #expect(branch.nodes[0].inputs[0] === outer)
        #expect(outer.uses.contains { $0.node === branch.nodes[0] })
    }
}
