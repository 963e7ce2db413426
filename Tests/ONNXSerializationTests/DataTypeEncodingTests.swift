import Foundation
import ONNXIR
import Testing

@testable import ONNXSerialization

/// Every element type survives both encodings (raw_data and the typed fields) bit for bit.
@Suite struct DataTypeEncodingTests {
    static let types: [DataType] = (1...28).map { DataType(rawValue: Int32($0)) }.filter { $0 != .string }

    @Test(arguments: types, [TensorEncoding.raw, .typedFields])
    func tensorRoundTrips(type: DataType, encoding: TensorEncoding) throws {
        let count = 6
        let byteCount = Int(type.packedByteCount(elements: Int64(count))!)
        var state: UInt64 = UInt64(type.rawValue) &* 0x9E37_79B9_7F4A_7C15
        func nextByte() -> UInt8 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        var bytes = (0..<byteCount).map { _ in nextByte() }
        if type.bitWidth == 6 {
            // Canonical float6 packing leaves the padding bits zero.
            let elements = (0..<count).map { _ in nextByte() & 0x3F }
            bytes.withUnsafeMutableBytes { SixBitPacking.pack(count: count, into: $0) { elements[$0] } }
        }
        let tensor = Tensor(name: "t", dataType: type, dims: [2, 3], storage: .bytes(TensorBuffer(bytes)), encoding: encoding)
        let graph = Graph(name: "g")
        let value = graph.addInitializer(tensor, named: "t")
        graph.addOutput(value)
        let model = Model(graph: graph, irVersion: 10, opsetImports: [OperatorSetID(domain: "", version: 21)])
        let reloaded = try ModelLoader.load(bytes: try ModelWriter.serialize(model))
        let back = try #require(reloaded.graph.initializers.first?.initializer)
        #expect(back.dataType == type)
        #expect(back.encoding == encoding)
        #expect(Array(try back.buffer().bytes) == bytes)
    }

    @Test func stringTensorsRoundTrip() throws {
        let tensor = Tensor(
            name: "s", dataType: .string, dims: [3], storage: .strings([Array("a".utf8), [], Array("ünï".utf8)]), encoding: .typedFields)
        let graph = Graph(name: "g")
        graph.addOutput(graph.addInitializer(tensor, named: "s"))
        let reloaded = try ModelLoader.load(bytes: try ModelWriter.serialize(Model(graph: graph)))
        guard case .strings(let s)? = reloaded.graph.initializers.first?.initializer?.storage else {
            Issue.record("not a string tensor")
            return
        }
        #expect(s == [Array("a".utf8), [], Array("ünï".utf8)])
    }
}
