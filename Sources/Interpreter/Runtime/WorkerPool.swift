import CWorkerPool

/// A session's worker threads (threads - 1 of them; the caller is the last), which run the
/// chunks of `ExecutionContext.parallelFor`. They spin briefly between loops, so the hundreds of
/// short parallel kernels of one inference do not each pay a thread wake-up; a loop started while
/// another runs (nested, or a second caller) runs on its caller alone.
final class WorkerPool: @unchecked Sendable {
    private let pool: OpaquePointer

    /// Nil when `threads` is 1 or the threads cannot be started (loops then use Dispatch).
    init?(threads: Int) {
        guard threads > 1, let pool = whittle_worker_pool_create(Int32(threads - 1)) else { return nil }
        self.pool = pool
    }

    deinit { whittle_worker_pool_destroy(pool) }

    /// Runs body(c) for every c in 0..<count, each once, across the pool and the caller. Returns
    /// false, having run nothing, when the pool is busy.
    func run(_ count: Int, _ body: (Int) -> Void) -> Bool {
        withoutActuallyEscaping(body) { body in
            var job = body
            return withUnsafeMutablePointer(to: &job) { job in
                whittle_worker_pool_run(
                    pool, count,
                    { context, chunk in context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(chunk) },
                    job) != 0
            }
        }
    }
}
