import CONNXProto
import Foundation
import ONNXIR

/// Tensor files, by extension: `.pb` (a serialized ONNX TensorProto, as the ONNX test suites use)
/// or `.npy` (NumPy).
public enum TensorFile {
    public static func read(_ url: URL) throws -> Tensor {
        let path = url.displayPath
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw SerializationError.io(file: path, reason: "cannot read: \(error.localizedDescription)")
        }
        switch url.pathExtension.lowercased() {
        case "npy": return try NumpyFormat.read(data, file: path)
        case "pb": return try readTensorProto(data, file: path, folder: url.deletingLastPathComponent())
        default: throw SerializationError.io(file: path, reason: "unknown tensor file type '.\(url.pathExtension)': use .pb or .npy")
        }
    }

    public static func write(_ tensor: Tensor, to url: URL) throws {
        let data: Data
        switch url.pathExtension.lowercased() {
        case "npy": data = try NumpyFormat.write(tensor)
        case "pb": data = try serializeTensorProto(tensor)
        default:
            throw SerializationError.io(file: url.displayPath, reason: "unknown tensor file type '.\(url.pathExtension)': use .pb or .npy")
        }
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        do {
            try data.write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else {
                throw SerializationError.io(file: url.displayPath, reason: "cannot move into place")
            }
        } catch let error as SerializationError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw SerializationError.io(file: url.displayPath, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    private static func readTensorProto(_ data: Data, file: String, folder: URL) throws -> Tensor {
        try data.withUnsafeBytes { raw -> Tensor in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self), raw.count > 0,
                let proto = onnx__tensor_proto__unpack(nil, raw.count, base)
            else {
                throw SerializationError.unparsable(file: file, reason: "not a serialized TensorProto")
            }
            let owner = UnpackedTensor(proto)
            let decoder = TensorDecoder(modelFolder: folder, owner: owner, externalFiles: ExternalFileCache())
            do {
                var tensor = try decoder.decode(proto, what: "tensor")
                // Own the bytes: the unpacked message is freed when this returns.
                if case .bytes(let b) = tensor.storage { tensor.storage = .bytes(TensorBuffer(copying: b.bytes)) }
                return tensor
            } catch let failure as DecodeFailure {
                throw SerializationError.invalid(file: file, location: failure.location, reason: failure.reason)
            }
        }
    }

    private static func serializeTensorProto(_ tensor: Tensor) throws -> Data {
        let arena = EncodeArena()
        var plain = tensor
        if plain.encoding == .external { plain.encoding = .raw }
        let proto = try TensorEncoder(arena: arena).encode(plain, placement: nil)
        let size = onnx__tensor_proto__get_packed_size(proto)
        var data = Data(count: size)
        _ = data.withUnsafeMutableBytes { onnx__tensor_proto__pack(proto, $0.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
        return data
    }
}

/// Keeps an unpacked TensorProto alive while its bytes are borrowed.
final class UnpackedTensor {
    let proto: UnsafeMutablePointer<Onnx__TensorProto>
    init(_ proto: UnsafeMutablePointer<Onnx__TensorProto>) { self.proto = proto }
    deinit { onnx__tensor_proto__free_unpacked(proto, nil) }
}

/// A data folder in the ONNX test layout: `DIR/test_data_set_N/input_K.pb` (or `.npy`), with
/// optional `output_K.pb` beside them. Each set is one sample (or batch).
public struct DataFolder {
    public struct Sample {
        public let folder: URL
        public let inputs: [URL]
        public let expectedOutputs: [URL]
    }
    public let samples: [Sample]

    /// Reads `url` as a data folder, or as a single `test_data_set_N` folder.
    public init(_ url: URL) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SerializationError.io(file: url.displayPath, reason: "not a folder")
        }
        let children = try fm.contentsOfDirectory(atPath: url.path)
        let sets = children.filter { $0.hasPrefix("test_data_set_") }.sorted { Self.index($0) < Self.index($1) }
        let folders = sets.isEmpty ? [url] : sets.map { url.appendingPathComponent($0) }
        samples = try folders.map { folder in
            let files = try fm.contentsOfDirectory(atPath: folder.path)
            func numbered(_ prefix: String) -> [URL] {
                files.filter { $0.hasPrefix(prefix) && ($0.hasSuffix(".pb") || $0.hasSuffix(".npy")) }
                    .sorted { Self.index($0) < Self.index($1) }.map { folder.appendingPathComponent($0) }
            }
            return Sample(folder: folder, inputs: numbered("input_"), expectedOutputs: numbered("output_"))
        }
        // A model without inputs has samples of expected outputs only.
        if samples.allSatisfy({ $0.inputs.isEmpty && $0.expectedOutputs.isEmpty }) {
            throw SerializationError.io(
                file: url.displayPath, reason: "holds no input_K.pb or input_K.npy files (expected DIR/test_data_set_N/input_K.pb)")
        }
    }

    private static func index(_ name: String) -> Int {
        Int(name.split(whereSeparator: { !$0.isNumber }).last ?? "") ?? 0
    }
}
