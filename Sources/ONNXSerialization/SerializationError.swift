import Foundation

/// Errors of the serialization layer: always one line that names the file and, where it applies,
/// the graph, node, op or tensor.
public enum SerializationError: Error, CustomStringConvertible {
    /// Reading or writing a file failed.
    case io(file: String, reason: String)
    /// The bytes are not a ModelProto (truncated, corrupted, not ONNX).
    case unparsable(file: String, reason: String)
    /// The model parses but breaks an ONNX rule; `location` names where.
    case invalid(file: String, location: String, reason: String)
    /// Valid ONNX that Whittle refuses (segmented tensors, ...).
    case unsupported(file: String, location: String, reason: String)

    public var description: String {
        switch self {
        case .io(let file, let reason): return "\(file): \(reason)"
        case .unparsable(let file, let reason): return "\(file): not a valid ONNX model: \(reason)"
        case .invalid(let file, let location, let reason): return "\(file): \(location): \(reason)"
        case .unsupported(let file, let location, let reason):
            return "\(file): \(location): unsupported: \(reason)"
        }
    }
}

/// Error raised deep in decoding, before the file name is known; `ModelLoader` adds the file.
struct DecodeFailure: Error {
    var location: String
    var reason: String
    var isUnsupported = false
}

extension URL {
    /// The path as the user would recognise it in a message.
    var displayPath: String { isFileURL ? path : absoluteString }
}
