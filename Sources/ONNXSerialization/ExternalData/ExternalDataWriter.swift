import Foundation
import ONNXIR

/// Appends tensor bytes to a (temporary) external data file, aligned so runtimes can map them,
/// streaming external sources in chunks so weights are never all resident at once.
final class ExternalDataWriter {
    let location: String
    private let handle: FileHandle
    private(set) var offset: Int64 = 0
    private(set) var tensorCount = 0

    /// Chunk size for streaming copies.
    static let chunkSize = 8 << 20

    init(temporaryURL: URL, location: String) throws {
        guard FileManager.default.createFile(atPath: temporaryURL.path, contents: nil) else {
            throw SerializationError.io(file: temporaryURL.path, reason: "cannot create the external data file")
        }
        self.handle = try FileHandle(forWritingTo: temporaryURL)
        self.location = location
    }

    /// Writes `tensor`'s bytes and returns its `external_data` entries.
    func append(_ tensor: Tensor) throws -> [StringEntry] {
        let length = tensor.byteCount
        let alignment: Int64 = length >= 65_536 ? 4096 : 64
        let padding = (alignment - offset % alignment) % alignment
        if padding > 0 {
            try handle.write(contentsOf: Data(count: Int(padding)))
            offset += padding
        }
        let start = offset
        switch tensor.storage {
        case .external(let source):
            try source.forEachChunk(maxChunk: Self.chunkSize) { chunk in
                try handle.write(
                    contentsOf: Data(
                        bytesNoCopy: UnsafeMutableRawPointer(mutating: chunk.baseAddress!), count: chunk.count, deallocator: .none))
            }
        case .bytes(let buffer):
            if buffer.count > 0 {
                try handle.write(
                    contentsOf: Data(
                        bytesNoCopy: UnsafeMutableRawPointer(mutating: buffer.bytes.baseAddress!), count: buffer.count, deallocator: .none))
            }
        case .strings:
            throw SerializationError.unsupported(
                file: location, location: "tensor '\(tensor.name)'", reason: "string tensors cannot be stored as external data")
        }
        offset = start + length
        tensorCount += 1
        var entries = [
            StringEntry(key: "location", value: location), StringEntry(key: "offset", value: String(start)),
            StringEntry(key: "length", value: String(length)),
        ]
        // Keep descriptor entries Whittle does not interpret (for example a checksum of the bytes).
        entries += tensor.externalDataEntries.filter { !["location", "offset", "length"].contains($0.key) }
        return entries
    }

    func finish() throws {
        try handle.synchronize()
        try handle.close()
    }
}
