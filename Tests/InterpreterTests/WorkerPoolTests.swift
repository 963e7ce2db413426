import Foundation
import Testing

@testable import Interpreter

/// The session's worker threads run every chunk of a loop exactly once, also when loops nest or
/// two callers share the pool (the second runs its loop itself), and across many short loops.
@Suite struct WorkerPoolTests {
    static func context(threads: Int) -> ExecutionContext {
        ExecutionContext(
            threads: threads, accountant: MemoryAccountant(capBytes: 1 << 30), workers: WorkerPool(threads: threads))
    }

    @Test(arguments: [2, 3, 8])
    func everyChunkRunsOnce(threads: Int) {
        let context = Self.context(threads: threads)
        #expect(context.workers != nil)
        for count in [1, 2, 5, 1000] {
            let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: count)
            defer { hits.deallocate() }
            for _ in 0..<200 {
                hits.initialize(repeating: 0)
                context.parallelFor(count, grain: 1) { range in for i in range { hits[i] += 1 } }
                #expect(hits.allSatisfy { $0 == 1 }, "count \(count)")
            }
        }
    }

    @Test func nestedLoopsRunInline() {
        let context = Self.context(threads: 2)
        let cells = UnsafeMutableBufferPointer<Int>.allocate(capacity: 64)
        defer { cells.deallocate() }
        cells.initialize(repeating: 0)
        context.parallelFor(8, grain: 1) { outer in
            for i in outer {
                context.parallelFor(8, grain: 1) { inner in for j in inner { cells[i * 8 + j] += 1 } }
            }
        }
        #expect(cells.allSatisfy { $0 == 1 })
    }

    final class Totals: @unchecked Sendable {
        let lock = NSLock()
        var sums = [0, 0]
        func add(_ value: Int, to caller: Int) {
            lock.lock()
            sums[caller] += value
            lock.unlock()
        }
    }

    @Test func twoCallersShareOnePool() {
        nonisolated(unsafe) let context = Self.context(threads: 2)
        let totals = Totals()
        DispatchQueue.concurrentPerform(iterations: 2) { caller in
            for _ in 0..<500 {
                context.parallelFor(100, grain: 1) { range in totals.add(range.reduce(0, +), to: caller) }
            }
        }
        #expect(totals.sums == [500 * 4950, 500 * 4950])
    }

    @Test func oneThreadHasNoPool() {
        #expect(WorkerPool(threads: 1) == nil)
    }
}
