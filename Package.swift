// swift-tools-version: 6.1
import PackageDescription

// Layers point one way: whittle -> WhittleCommands -> (ModelDiff, Optimizer) -> Interpreter -> ONNXIR,
// and ONNXSerialization is the only target that touches the protoc-c output (CONNXProto).
let package = Package(
    name: "Whittle",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "whittle", targets: ["whittle"]),
        .library(name: "ONNXIR", targets: ["ONNXIR"]),
        .library(name: "ONNXSerialization", targets: ["ONNXSerialization"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        // System libraries (Debian: libprotobuf-c-dev, libopenblas-dev).
        .systemLibrary(
            name: "CProtobufC", path: "Sources/CProtobufC", pkgConfig: "libprotobuf-c",
            providers: [.apt(["libprotobuf-c-dev"])]),
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        // protoc-c output for the onnx.proto of libonnx-dev (Tools/generate-proto.sh) plus a small
        // streaming-pack helper.
        .target(
            name: "CONNXProto", dependencies: ["CProtobufC"], path: "Sources/CONNXProto",
            cSettings: [.unsafeFlags(["-Wno-unused-parameter"])],
            linkerSettings: [.linkedLibrary("protobuf-c")]),
        // libonnx's C++ checker and shape inference (IR <= 8), behind a C interface.
        .target(
            name: "CONNXChecker", path: "Sources/CONNXChecker",
            cxxSettings: [.define("ONNX_NAMESPACE", to: "onnx"), .define("ONNX_ML", to: "1")],
            linkerSettings: [
                .linkedLibrary("onnx"), .linkedLibrary("onnx_proto"), .linkedLibrary("protobuf"),
            ]),
        // AVX2/FMA activation loops picked at run time (the Swift code targets baseline x86-64).
        .target(name: "CVectorMath", path: "Sources/CVectorMath"),
        // The interpreter's spinning worker threads (pthreads and C11 atomics).
        .target(name: "CWorkerPool", path: "Sources/CWorkerPool", linkerSettings: [.linkedLibrary("pthread")]),
        .target(name: "ONNXIR"),
        .target(name: "ONNXSerialization", dependencies: ["ONNXIR", "CONNXProto"]),
        .target(
            name: "Interpreter", dependencies: ["ONNXIR", "COpenBLAS", "CVectorMath", "CWorkerPool"],
            swiftSettings: [
                // Kernels share raw buffers across threads by design; Swift 5 mode keeps that expressible.
                .swiftLanguageMode(.v5), .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
            ]),
        .target(name: "ModelDiff", dependencies: ["ONNXIR", "Interpreter"]),
        .target(name: "Optimizer", dependencies: ["ONNXIR", "Interpreter", "CVectorMath"]),
        .target(
            name: "WhittleCommands",
            dependencies: [
                "ONNXIR", "ONNXSerialization", "CONNXChecker", "Interpreter", "ModelDiff", "Optimizer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(name: "whittle", dependencies: ["WhittleCommands"]),
        .target(name: "TestSupport", dependencies: ["ONNXIR", "ONNXSerialization", "Interpreter"]),
        .testTarget(name: "ONNXIRTests", dependencies: ["ONNXIR", "TestSupport"]),
        .testTarget(
            name: "ONNXSerializationTests", dependencies: ["ONNXSerialization", "ONNXIR", "TestSupport"]),
        .testTarget(
            name: "ConformanceTests", dependencies: ["Interpreter", "ONNXSerialization", "ONNXIR", "TestSupport"]),
        .testTarget(name: "OptimizerTests", dependencies: ["Optimizer", "Interpreter", "ONNXSerialization", "TestSupport"]),
        .testTarget(name: "ModelDiffTests", dependencies: ["ModelDiff", "TestSupport"]),
        .testTarget(name: "InterpreterTests", dependencies: ["Interpreter", "ONNXSerialization", "TestSupport", "CVectorMath"]),
        .testTarget(
            name: "WhittleCommandsTests", dependencies: ["WhittleCommands", "TestSupport"]),
    ],
    cxxLanguageStandard: .cxx17
)
