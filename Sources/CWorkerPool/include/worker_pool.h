// A fixed set of worker threads that run the chunks of one parallel loop at a time with the
// calling thread. Workers spin briefly between loops, then sleep: an inference runs hundreds of
// short parallel kernels back to back, and waking a sleeping thread for each (what
// DispatchQueue.concurrentPerform amounts to) costs as much as a small kernel.
#ifndef WHITTLE_WORKER_POOL_H
#define WHITTLE_WORKER_POOL_H

typedef struct whittle_worker_pool whittle_worker_pool;

/// Runs chunk `chunk` of a loop; `context` is the caller's.
typedef void (*whittle_chunk_fn)(void *context, long chunk);

/// A pool of `workers` threads (at least 1), or NULL when they cannot be started.
whittle_worker_pool *whittle_worker_pool_create(int workers);

/// Stops and joins the workers. No loop may be running.
void whittle_worker_pool_destroy(whittle_worker_pool *pool);

/// Runs fn(context, c) for every c in [0, count) on the caller and the workers, each chunk once,
/// and returns 1 when all have finished. Returns 0 without running anything when the pool is
/// already running a loop (a nested or concurrent call): the caller then runs the chunks itself.
int whittle_worker_pool_run(whittle_worker_pool *pool, long count, whittle_chunk_fn fn, void *context);

#endif
