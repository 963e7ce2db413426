import Foundation

/// Freed tensor buffers kept for the next allocation of the same size, across runs of a session.
///
/// Runs of one plan allocate the same sizes in the same order; fresh large blocks come from the
/// kernel as untouched pages, and faulting them in cost more than the arithmetic of cheap ops
/// (a Relu over 32 MB ran 3x slower than onnxruntime's, which reuses an arena). Sizes are rounded
/// up (64 bytes, 4 KiB past 64 KiB) so near-equal requests share a class. At most `limitBytes`
/// stay pooled; past that, freed blocks go back to the system.
final class StoragePool: @unchecked Sendable {
    let limitBytes: Int
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private var pooledBytes = 0
    private let lock = NSLock()

    init(limitBytes: Int) { self.limitBytes = limitBytes }

    deinit {
        for blocks in free.values { for block in blocks { block.deallocate() } }
    }

    /// The size class holding `byteCount` bytes.
    static func sizeClass(_ byteCount: Int) -> Int {
        let unit = byteCount > 65_536 ? 4096 : 64
        return max(unit, (byteCount + unit - 1) / unit * unit)
    }

    /// A block of `size` bytes (a size class), reused when one is free.
    func take(_ size: Int) -> UnsafeMutableRawPointer {
        lock.lock()
        if var blocks = free[size], let block = blocks.popLast() {
            free[size] = blocks
            pooledBytes -= size
            lock.unlock()
            return block
        }
        lock.unlock()
        return UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    }

    /// Returns a block from `take(size)`.
    func give(_ block: UnsafeMutableRawPointer, _ size: Int) {
        lock.lock()
        if pooledBytes + size <= limitBytes {
            free[size, default: []].append(block)
            pooledBytes += size
            lock.unlock()
            return
        }
        lock.unlock()
        block.deallocate()
    }
}
