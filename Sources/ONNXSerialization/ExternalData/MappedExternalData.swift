import Foundation
import ONNXIR

/// Tensor bytes in an external file: mapped on first use, then kept while the tensor lives.
final class MappedExternalData: ExternalTensorData, @unchecked Sendable {
    let fileURL: URL
    let offset: Int64
    let length: Int64
    private let file: OpenFile
    private let lock = NSLock()
    private var cached: TensorBuffer?

    init(file: OpenFile, fileURL: URL, offset: Int64, length: Int64) {
        self.file = file
        self.fileURL = fileURL
        self.offset = offset
        self.length = length
    }

    func buffer() throws -> TensorBuffer {
        lock.lock()
        defer { lock.unlock() }
        if let cached { return cached }
        let region = try file.map(offset: offset, length: Int(length))
        let buffer = TensorBuffer(borrowing: region.bytes, owner: region)
        cached = buffer
        return buffer
    }

    func forEachChunk(maxChunk: Int, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try file.forEachChunk(offset: offset, length: length, maxChunk: maxChunk, body)
    }
}

/// Opens each external data file once per load.
final class ExternalFileCache {
    private var files: [String: OpenFile] = [:]
    func open(_ url: URL) throws -> OpenFile {
        if let f = files[url.path] { return f }
        let f = try OpenFile(path: url.path)
        files[url.path] = f
        return f
    }
    var openedPaths: [String] { Array(files.keys) }
}
