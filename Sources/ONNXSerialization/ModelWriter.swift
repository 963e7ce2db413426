import CONNXProto
import Foundation
import ONNXIR

/// Options for writing a model.
public struct SaveOptions: Sendable {
    public enum ExternalData: Sendable, Equatable {
        /// Tensors that were external stay external (in `OUT.data`); the rest stay inline.
        case preserve
        /// Every initializer inline (fails past protobuf's 2 GiB limit).
        case inline
        /// Initializers of at least `threshold` bytes go to `OUT.data`.
        case external(threshold: Int64)
    }
    public var externalData: ExternalData
    /// Also write inferred types of intermediate values into `value_info`.
    public var annotateInferredTypes: Bool

    public init(externalData: ExternalData = .preserve, annotateInferredTypes: Bool = false) {
        self.externalData = externalData
        self.annotateInferredTypes = annotateInferredTypes
    }
}

/// Writes models atomically: the model (and its external data file) go to temporary files in the
/// destination folder and are renamed into place only when complete. Never writes over the file
/// the model was read from, or over an external data file it still reads.
public enum ModelWriter {
    /// Protobuf messages cannot exceed 2 GiB.
    public static let protobufLimit: Int = Int(Int32.max)

    public static func save(_ model: Model, to url: URL, options: SaveOptions = SaveOptions()) throws {
        let destination = url.standardizedFileURL
        let folder = destination.deletingLastPathComponent()
        let dataName = destination.lastPathComponent + ".data"
        let dataURL = folder.appendingPathComponent(dataName)
        try refuseOverwritingSources(of: model, destination: destination, dataURL: dataURL)

        let token = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let temporaryModel = folder.appendingPathComponent(".\(destination.lastPathComponent).\(token).tmp")
        let temporaryData = folder.appendingPathComponent(".\(dataName).\(token).tmp")
        var writer: ExternalDataWriter?
        defer {
            try? FileManager.default.removeItem(at: temporaryModel)
            try? FileManager.default.removeItem(at: temporaryData)
        }
        let placement: ExternalPlacement? = { tensor in
            guard shouldExternalize(tensor, options.externalData) else { return nil }
            if writer == nil { writer = try ExternalDataWriter(temporaryURL: temporaryData, location: dataName) }
            return try writer!.append(tensor)
        }
        let arena = EncodeArena()
        let proto = try ModelEncoder(arena: arena, placement: placement, annotateInferredTypes: options.annotateInferredTypes).encode(model)
        let size = onnx__model_proto__get_packed_size(proto)
        guard size <= protobufLimit else {
            throw SerializationError.io(
                file: destination.displayPath,
                reason:
                    "the model would be \(size) bytes, over protobuf's 2 GiB limit: store weights as external data (whittle convert --external-data)"
            )
        }
        try writer?.finish()
        try pack(proto, to: temporaryModel)
        if writer != nil { try replace(dataURL, with: temporaryData) }
        try replace(destination, with: temporaryModel)
    }

    /// Serializes a model whose tensors are all inline into memory.
    public static func serialize(_ model: Model, annotateInferredTypes: Bool = false) throws -> [UInt8] {
        let arena = EncodeArena()
        let proto = try ModelEncoder(arena: arena, placement: nil, annotateInferredTypes: annotateInferredTypes).encode(model)
        let size = onnx__model_proto__get_packed_size(proto)
        guard size <= protobufLimit else {
            throw SerializationError.io(file: "<memory>", reason: "the model would be \(size) bytes, over protobuf's 2 GiB limit")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        _ = bytes.withUnsafeMutableBufferPointer { onnx__model_proto__pack(proto, $0.baseAddress) }
        return bytes
    }

    static func shouldExternalize(_ tensor: Tensor, _ mode: SaveOptions.ExternalData) -> Bool {
        if case .strings = tensor.storage { return false }
        switch mode {
        case .preserve: return tensor.isExternal
        case .inline: return false
        case .external(let threshold): return tensor.byteCount >= threshold
        }
    }

    private static func refuseOverwritingSources(of model: Model, destination: URL, dataURL: URL) throws {
        let resolvedDestination = destination.resolvingSymlinksInPath().path
        let resolvedData = dataURL.resolvingSymlinksInPath().path
        if let source = model.sourceURL?.standardizedFileURL.resolvingSymlinksInPath().path, source == resolvedDestination {
            throw SerializationError.io(
                file: destination.displayPath, reason: "refusing to write over the input model; choose another output path")
        }
        for graph in model.graph.allGraphs {
            for value in graph.initializers {
                if case .external(let e) = value.initializer?.storage {
                    let path = e.fileURL.resolvingSymlinksInPath().path
                    if path == resolvedData || path == resolvedDestination {
                        throw SerializationError.io(
                            file: dataURL.displayPath,
                            reason:
                                "refusing to write over external data the model still reads ('\(e.fileURL.lastPathComponent)'); choose another output path"
                        )
                    }
                }
            }
        }
    }

    private static func pack(_ proto: UnsafeMutablePointer<Onnx__ModelProto>, to url: URL) throws {
        guard let file = fopen(url.path, "wb") else {
            throw SerializationError.io(file: url.displayPath, reason: "cannot create: \(String(cString: strerror(errno)))")
        }
        let status = whittle_pack_model_to_file(proto, file)
        let flushed = fflush(file) == 0 && fsync(fileno(file)) == 0
        fclose(file)
        guard status == 0, flushed else {
            throw SerializationError.io(
                file: url.displayPath, reason: "write failed: \(String(cString: strerror(status != 0 ? status : errno)))")
        }
    }

    private static func replace(_ destination: URL, with temporary: URL) throws {
        guard rename(temporary.path, destination.path) == 0 else {
            throw SerializationError.io(
                file: destination.displayPath, reason: "cannot move the finished file into place: \(String(cString: strerror(errno)))")
        }
    }
}
