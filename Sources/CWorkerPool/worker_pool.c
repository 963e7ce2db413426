#define _GNU_SOURCE
#include "worker_pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

// How long an idle worker spins before it sleeps: longer than the serial gaps between the
// parallel kernels of one inference, short enough that an idle session costs no CPU.
#define SPIN_NANOSECONDS 2000000L

struct whittle_worker_pool {
    // The loop being run: its generation in the high 32 bits, the next unclaimed chunk in the low
    // 32. A chunk is claimed by a compare-and-swap on the whole word, so a worker that saw an
    // older generation can never claim a chunk of a newer loop.
    _Atomic uint64_t state;
    _Atomic long finished;
    _Atomic long count;
    _Atomic(whittle_chunk_fn) fn;
    _Atomic(void *) context;
    _Atomic int busy;
    _Atomic int stopping;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    // Workers waiting on `wake`; the caller takes the lock only when there are any.
    _Atomic int sleepers;
    int workers;
    pthread_t *threads;
};

static long now_nanoseconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000000000L + t.tv_nsec;
}

// Claims and runs chunks of loop `generation` until none is left or a newer loop started.
static void run_chunks(whittle_worker_pool *pool, uint32_t generation) {
    for (;;) {
        uint64_t s = atomic_load_explicit(&pool->state, memory_order_acquire);
        if ((uint32_t)(s >> 32) != generation) return;
        long chunk = (long)(s & 0xffffffffu);
        long count = atomic_load_explicit(&pool->count, memory_order_relaxed);
        whittle_chunk_fn fn = atomic_load_explicit(&pool->fn, memory_order_relaxed);
        void *context = atomic_load_explicit(&pool->context, memory_order_relaxed);
        if (chunk >= count) return;
        if (!atomic_compare_exchange_weak_explicit(&pool->state, &s, s + 1, memory_order_acq_rel, memory_order_acquire)) continue;
        fn(context, chunk);
        atomic_fetch_add_explicit(&pool->finished, 1, memory_order_release);
    }
}

static uint32_t generation_of(whittle_worker_pool *pool) {
    return (uint32_t)(atomic_load_explicit(&pool->state, memory_order_acquire) >> 32);
}

static void *worker_main(void *argument) {
    whittle_worker_pool *pool = argument;
    uint32_t seen = generation_of(pool);
    for (;;) {
        long spinUntil = now_nanoseconds() + SPIN_NANOSECONDS;
        int spins = 0;
        while (generation_of(pool) == seen && !atomic_load_explicit(&pool->stopping, memory_order_acquire)) {
            CPU_RELAX();
            if (++spins % 64 == 0 && now_nanoseconds() > spinUntil) {
                pthread_mutex_lock(&pool->lock);
                while (generation_of(pool) == seen && !atomic_load_explicit(&pool->stopping, memory_order_acquire)) {
                    atomic_fetch_add(&pool->sleepers, 1);
                    // Checked again after counting ourselves: a loop published before the caller
                    // read `sleepers` is seen here, one published after it wakes us.
                    if ((uint32_t)(atomic_load(&pool->state) >> 32) == seen && !atomic_load(&pool->stopping)) pthread_cond_wait(&pool->wake, &pool->lock);
                    atomic_fetch_sub(&pool->sleepers, 1);
                }
                pthread_mutex_unlock(&pool->lock);
            }
        }
        if (atomic_load_explicit(&pool->stopping, memory_order_acquire)) return NULL;
        seen = generation_of(pool);
        run_chunks(pool, seen);
    }
}

whittle_worker_pool *whittle_worker_pool_create(int workers) {
    if (workers < 1) return NULL;
    whittle_worker_pool *pool = calloc(1, sizeof *pool);
    if (!pool) return NULL;
    pool->threads = calloc((size_t)workers, sizeof(pthread_t));
    if (!pool->threads) {
        free(pool);
        return NULL;
    }
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    // Kernels run on these threads as on the caller's: give them a main-thread-sized stack.
    pthread_attr_setstacksize(&attributes, 8u << 20);
    for (int i = 0; i < workers; i++) {
        if (pthread_create(&pool->threads[i], &attributes, worker_main, pool) != 0) break;
        pool->workers++;
    }
    pthread_attr_destroy(&attributes);
    if (pool->workers == 0) {
        whittle_worker_pool_destroy(pool);
        return NULL;
    }
    return pool;
}

void whittle_worker_pool_destroy(whittle_worker_pool *pool) {
    if (!pool) return;
    atomic_store_explicit(&pool->stopping, 1, memory_order_release);
    pthread_mutex_lock(&pool->lock);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
    for (int i = 0; i < pool->workers; i++) pthread_join(pool->threads[i], NULL);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->lock);
    free(pool->threads);
    free(pool);
}

int whittle_worker_pool_run(whittle_worker_pool *pool, long count, whittle_chunk_fn fn, void *context) {
    int idle = 0;
    if (count <= 0) return 1;
    if (count > 0xffffffffL || !atomic_compare_exchange_strong(&pool->busy, &idle, 1)) return 0;
    atomic_store_explicit(&pool->fn, fn, memory_order_relaxed);
    atomic_store_explicit(&pool->context, context, memory_order_relaxed);
    atomic_store_explicit(&pool->count, count, memory_order_relaxed);
    atomic_store_explicit(&pool->finished, 0, memory_order_relaxed);
    uint32_t generation = generation_of(pool) + 1;
    // Publishes the loop: the release makes fn, context and count visible to whoever sees it.
    atomic_store(&pool->state, (uint64_t)generation << 32);
    if (atomic_load(&pool->sleepers) > 0) {
        pthread_mutex_lock(&pool->lock);
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->lock);
    }
    run_chunks(pool, generation);
    // The chunks still running are on workers; wait for them, yielding if one was descheduled.
    for (long spins = 0; atomic_load_explicit(&pool->finished, memory_order_acquire) < count; spins++) {
        if (spins < 100000) {
            CPU_RELAX();
        } else {
            sched_yield();
        }
    }
    atomic_store_explicit(&pool->busy, 0, memory_order_release);
    return 1;
}
