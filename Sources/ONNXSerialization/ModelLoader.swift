import CONNXProto
import Foundation
import ONNXIR

/// Reads ONNX files into the IR.
///
/// The file is memory-mapped and unpacked by protobuf-c, whose copies of the weights replace the
/// mapped pages as it goes (the file is never resident twice); tensors borrow their `raw_data` from the
/// unpacked message, and external data is mapped only when first read. Every size and shape is
/// checked before anything is allocated from it.
public enum ModelLoader {
    /// Loads the model at `url`. External data resolves against the model's folder.
    /// `displayName` is how messages name the file (default: its path).
    public static func load(contentsOf url: URL, displayName: String? = nil) throws -> Model {
        let path = displayName ?? url.displayPath
        let file = try OpenFile(path: url.path)
        guard file.size > 0 else { throw SerializationError.unparsable(file: path, reason: "the file is empty") }
        let region = try file.map(offset: 0, length: Int(file.size))
        let proto = region.bytes.baseAddress.flatMap {
            whittle_unpack_model_from_mapping(
                $0.assumingMemoryBound(to: UInt8.self), region.bytes.count, region.mapping, region.mappingLength)
        }
        let model = try decode(proto, modelFolder: url.deletingLastPathComponent(), file: path)
        model.sourceURL = url
        return model
    }

    /// Decodes a serialized ModelProto held in memory; external data resolves against `modelFolder`.
    public static func load(bytes: [UInt8], modelFolder: URL? = nil, name: String = "<memory>") throws -> Model {
        let proto = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress.flatMap { onnx__model_proto__unpack(nil, buffer.count, $0) }
        }
        return try decode(proto, modelFolder: modelFolder, file: name)
    }

    /// Decodes an unpacked ModelProto (nil: the bytes did not parse), taking ownership of it.
    static func decode(_ proto: UnsafeMutablePointer<Onnx__ModelProto>?, modelFolder: URL?, file: String) throws -> Model {
        guard let proto else {
            throw SerializationError.unparsable(
                file: file, reason: "cannot parse it as an ONNX ModelProto (the file is truncated, corrupted, or not ONNX)")
        }
        let unpacked = UnpackedModel(proto)
        do {
            return try ModelDecoder(modelFolder: modelFolder).decode(unpacked)
        } catch let failure as DecodeFailure {
            if failure.isUnsupported {
                throw SerializationError.unsupported(file: file, location: failure.location, reason: failure.reason)
            }
            throw SerializationError.invalid(file: file, location: failure.location, reason: failure.reason)
        }
    }
}
