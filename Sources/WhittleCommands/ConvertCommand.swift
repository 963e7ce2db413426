import ArgumentParser
import Foundation
import ONNXIR
import ONNXSerialization

/// `whittle convert`: a lossless re-save, or a conversion to or from external data.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Re-save a model: a lossless round trip, or a conversion to or from external data.",
        discussion: """
            Without options, every field is kept (including fields newer than Whittle's onnx.proto), \
            and tensors that were stored externally stay external, in OUT.data beside OUT. \
            --external-data moves every initializer of at least --size-threshold bytes to OUT.data; \
            --inline-data brings all tensors back into OUT (up to protobuf's 2 GiB limit). \
            The output is written to a temporary file and renamed into place; MODEL (and the \
            external data it reads) is never overwritten.
            """)

    @Argument(help: "The ONNX model to read.")
    var model: String

    @Option(name: .shortAndLong, help: "Where to write the converted model.")
    var output: String

    @Flag(help: "Store initializers of at least --size-threshold bytes in OUT.data.")
    var externalData = false

    @Flag(help: "Store every tensor inside OUT (no external data file).")
    var inlineData = false

    @Option(help: "With --external-data: the smallest tensor, in bytes, moved to OUT.data.")
    var sizeThreshold: Int64 = 1024

    @Flag(help: "Also record inferred shapes of intermediate values in value_info.")
    var annotateShapes = false

    func validate() throws {
        if externalData && inlineData { throw ValidationError("--external-data and --inline-data exclude each other") }
        if sizeThreshold < 0 { throw ValidationError("--size-threshold must be at least 0") }
    }

    func run() throws {
        let loaded = try CommandSupport.loadModel(model)
        var options = SaveOptions()
        if externalData { options.externalData = .external(threshold: sizeThreshold) }
        if inlineData { options.externalData = .inline }
        options.annotateInferredTypes = annotateShapes
        if annotateShapes { ShapeInference().run(on: loaded) }
        do {
            try ModelWriter.save(loaded, to: URL(fileURLWithPath: output), options: options)
        } catch let error as SerializationError {
            throw CommandFailure(error.description)
        }
        CommandSupport.printError("wrote \(output) (\(CommandSupport.fileSize(output)) bytes)")
    }
}
