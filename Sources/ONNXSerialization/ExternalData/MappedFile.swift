import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A read-only memory mapping of a file region; unmapped when the last reference goes away.
final class MappedRegion: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
    /// The page-aligned mapping that holds `bytes`.
    let mapping: UnsafeMutableRawPointer?
    let mappingLength: Int

    /// Maps `length` bytes at `offset` of the open file `fd` (offset need not be page aligned).
    init(fd: Int32, offset: Int64, length: Int, path: String) throws {
        guard length > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            mapping = nil
            mappingLength = 0
            return
        }
        let page = Int64(sysconf(Int32(_SC_PAGESIZE)))
        let alignedOffset = offset - offset % page
        let slack = Int(offset - alignedOffset)
        let total = length + slack
        let pointer = mmap(nil, total, PROT_READ, MAP_PRIVATE, fd, off_t(alignedOffset))
        guard let pointer, pointer != MAP_FAILED else {
            throw SerializationError.io(
                file: path, reason: "cannot map \(length) bytes at offset \(offset): \(String(cString: strerror(errno)))")
        }
        mapping = pointer
        mappingLength = total
        bytes = UnsafeRawBufferPointer(start: pointer + slack, count: length)
    }

    deinit {
        if let mapping { munmap(mapping, mappingLength) }
    }
}

/// An open file descriptor closed on deinit.
final class OpenFile: @unchecked Sendable {
    let fd: Int32
    let path: String
    let size: Int64

    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw SerializationError.io(file: path, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw SerializationError.io(file: path, reason: "cannot stat: \(String(cString: strerror(errno)))")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw SerializationError.io(file: path, reason: "is a folder, not a file")
        }
        self.fd = fd
        self.path = path
        self.size = Int64(info.st_size)
    }

    deinit { close(fd) }

    func map(offset: Int64, length: Int) throws -> MappedRegion {
        try MappedRegion(fd: fd, offset: offset, length: length, path: path)
    }

    /// Reads `[offset, offset+length)` in chunks through `pread`, so nothing stays resident.
    func forEachChunk(offset: Int64, length: Int64, maxChunk: Int, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, min(Int(length), maxChunk)), alignment: 64)
        defer { chunk.deallocate() }
        var done: Int64 = 0
        while done < length {
            let want = Int(min(Int64(chunk.count), length - done))
            let got = pread(fd, chunk.baseAddress, want, off_t(offset + done))
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else {
                throw SerializationError.io(file: path, reason: "short read at offset \(offset + done)")
            }
            try body(UnsafeRawBufferPointer(rebasing: chunk[0..<got]))
            done += Int64(got)
        }
    }
}
