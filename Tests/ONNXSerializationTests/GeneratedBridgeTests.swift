import Foundation
import TestSupport
import Testing

/// The committed protoc-c output must equal a fresh generation from the system onnx.proto.
@Suite struct GeneratedBridgeTests {
    @Test func committedBridgeMatchesFreshGeneration() throws {
        let protoc = ["/usr/bin/protoc-c", "/usr/local/bin/protoc-c"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard protoc != nil, FileManager.default.fileExists(atPath: "/usr/include/onnx/onnx.proto") else {
            print("skipped: protoc-c or /usr/include/onnx/onnx.proto is absent (apt-get install protobuf-c-compiler libonnx-dev)")
            return
        }
        let out = try RepositoryFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let process = Process()
        process.executableURL = RepositoryFiles.url("Tools/generate-proto.sh")
        process.arguments = [out.path]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        for name in ["onnx.pb-c.c", "onnx.pb-c.h"] {
            let fresh = try Data(contentsOf: out.appendingPathComponent(name))
            let committed = try Data(contentsOf: RepositoryFiles.url("Sources/CONNXProto/generated/\(name)"))
            #expect(
                fresh == committed,
                "Sources/CONNXProto/generated/\(name) differs from Tools/generate-proto.sh output: regenerate with `make proto`")
        }
    }
}
