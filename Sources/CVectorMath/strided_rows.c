#include "strided_rows.h"

#if defined(__x86_64__) && defined(__clang__)
#include "avx512_support.h"

// S is 1 or 2 (a constant in each instance). Lanes outside the plane load -infinity, which
// never beats the running maximum, so edges need no branches. Column blocks are outermost, so
// their lane masks are worked out once; at stride 2, taps 2m and 2m + 1 are the even and odd
// lanes of the same two loads. Taps are compared in row-major order, as in the Swift loop
// (which of -0 and +0 survives depends on it).
AVX512 __attribute__((always_inline)) static inline void max_pool(
    int S, const float *x, long ih, long iw, long kh, long kw, long sy, long py, long px, float *out, long oh, long ow) {
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    const __m512 lowest = _mm512_set1_ps(-__builtin_inff());
    for (long ox = 0; ox < ow; ox += 16) {
        long count = ow - ox < 16 ? ow - ox : 16;
        __mmask16 store = (__mmask16)((1u << count) - 1u);
        long start = ox * S - px;
        __mmask16 ma[16], mb[16];
        for (long kx = 0; kx < kw; kx++) {
            ma[kx] = whittle_lanes_inside(start + kx, iw);
            mb[kx] = whittle_lanes_inside(start + kx + 16, iw);
        }
        for (long oy = 0; oy < oh; oy++) {
            __m512 best = lowest;
            for (long ky = 0; ky < kh; ky++) {
                long iy = oy * sy - py + ky;
                if (iy < 0 || iy >= ih) continue;
                const float *p = x + iy * iw + start;
                if (S == 1) {
                    for (long kx = 0; kx < kw; kx++) best = _mm512_max_ps(_mm512_mask_loadu_ps(lowest, ma[kx], p + kx), best);
                    continue;
                }
                for (long kx = 0; kx < kw; kx += 2) {
                    __m512 a = _mm512_mask_loadu_ps(lowest, ma[kx], p + kx), b = _mm512_mask_loadu_ps(lowest, mb[kx], p + kx + 16);
                    // v > best ? v : best, the Swift loop's comparison.
                    best = _mm512_max_ps(_mm512_permutex2var_ps(a, even, b), best);
                    if (kx + 1 < kw) best = _mm512_max_ps(_mm512_permutex2var_ps(a, odd, b), best);
                }
            }
            _mm512_mask_storeu_ps(out + oy * ow + ox, store, best);
        }
    }
}

AVX512 static void max_pool_s1(const float *x, long ih, long iw, long kh, long kw, long sy, long py, long px, float *out, long oh, long ow) {
    max_pool(1, x, ih, iw, kh, kw, sy, py, px, out, oh, ow);
}

AVX512 static void max_pool_s2(const float *x, long ih, long iw, long kh, long kw, long sy, long py, long px, float *out, long oh, long ow) {
    max_pool(2, x, ih, iw, kh, kw, sy, py, px, out, oh, ow);
}

int whittle_max_pool2d_f32(
    const float *x, long ih, long iw, long kh, long kw, long sy, long sx, long py, long px, float *out, long oh, long ow) {
    if (!whittle_avx512_supported() || (sx != 1 && sx != 2) || kw > 16) return 0;
    (sx == 1 ? max_pool_s1 : max_pool_s2)(x, ih, iw, kh, kw, sy, py, px, out, oh, ow);
    return 1;
}

AVX512 static void copy_even(const float *src, long n, float *dst) {
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    long j = 0;
    for (; j + 16 <= n; j += 16) {
        // The second load stops at src[2j + 30], the last element read.
        __m512 a = _mm512_loadu_ps(src + 2 * j), b = _mm512_maskz_loadu_ps(0x7FFF, src + 2 * j + 16);
        _mm512_storeu_ps(dst + j, _mm512_permutex2var_ps(a, even, b));
    }
    if (j < n) {
        long rest = 2 * (n - j) - 1;  // elements read: up to src[2 (n - 1)]
        __m512 a = _mm512_maskz_loadu_ps(whittle_lanes_inside(0, rest), src + 2 * j);
        __m512 b = _mm512_maskz_loadu_ps(whittle_lanes_inside(16, rest), src + 2 * j + 16);
        _mm512_mask_storeu_ps(dst + j, (__mmask16)((1u << (n - j)) - 1u), _mm512_permutex2var_ps(a, even, b));
    }
}

int whittle_copy_even_f32(const float *src, long n, float *dst) {
    if (!whittle_avx512_supported()) return 0;
    if (n > 0) copy_even(src, n, dst);
    return 1;
}

#else

int whittle_max_pool2d_f32(
    const float *x, long ih, long iw, long kh, long kw, long sy, long sx, long py, long px, float *out, long oh, long ow) {
    (void)x; (void)ih; (void)iw; (void)kh; (void)kw; (void)sy; (void)sx; (void)py; (void)px; (void)out; (void)oh; (void)ow;
    return 0;
}

int whittle_copy_even_f32(const float *src, long n, float *dst) {
    (void)src; (void)n; (void)dst;
    return 0;
}

#endif
