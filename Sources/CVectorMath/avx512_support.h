// Private to CVectorMath: what every AVX-512 kernel here needs. The library is compiled for
// baseline x86-64, so each kernel opts in with AVX512 and checks the CPU once at run time.
#ifndef WHITTLE_AVX512_SUPPORT_H
#define WHITTLE_AVX512_SUPPORT_H

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

/// 1 when this CPU has AVX-512F (asked once per file).
static inline int whittle_avx512_supported(void) {
    static int known = -1;
    if (known < 0) known = __builtin_cpu_supports("avx512f");
    return known;
}

/// Lanes [lo, hi) of 16 for a load starting `start` elements into a row of `width`: the lanes
/// that fall inside the row.
AVX512 static inline __mmask16 whittle_lanes_inside(long start, long width) {
    long lo = start < 0 ? -start : 0, hi = width - start < 16 ? width - start : 16;
    if (hi <= lo) return 0;
    return (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

/// The first `count` lanes of 16 (none when count <= 0).
AVX512 static inline __mmask16 whittle_first_lanes(long count) {
    return count >= 16 ? 0xFFFF : count <= 0 ? 0 : (__mmask16)((1u << count) - 1u);
}
#endif

#endif
