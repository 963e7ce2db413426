#include "pointwise_conv.h"

#include "depthwise_conv.h"

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>

#include "activation16.h"
#include "avx512_support.h"

// Output channels per register tile (12 x 2 vectors = 24 accumulators of the 32 registers),
// and positions per chunk: a chunk's inputs stay in L1/L2 while every output channel passes.
#define ROWS 12
#define CHUNK 256

// RowS output channels (a constant in each instantiation, so the loops unroll and the
// accumulators live in registers) by 32 positions starting at p, the last ones masked. A nonzero
// `ahead` requests the same positions `ahead` further on into L2: inside a model the input was
// written by the layer before and is no longer cached, and its channel rows are too many streams
// for the hardware prefetcher.
#define TILE(NAME, RowS) \
__attribute__((target("avx512f"))) static void NAME( const float *x, long channels, long ldx, const float *w, const float *bias, float *y, long ldy, long m, long p, \
    __mmask16 mask0, __mmask16 mask1, long ahead, int activation, __m512 lo, __m512 hi) { \
    __m512 acc[RowS][2]; \
    _Pragma("clang loop unroll(full)") for (int r = 0; r < RowS; r++) acc[r][0] = acc[r][1] = _mm512_set1_ps(bias ? bias[m + r] : 0.0f); \
    const float *row = x + p; \
    for (long c = 0; c < channels; c++, row += ldx) { \
        __m512 x0 = _mm512_maskz_loadu_ps(mask0, row), x1 = _mm512_maskz_loadu_ps(mask1, row + 16); \
        if (ahead) { \
            _mm_prefetch((const char *)(row + ahead), _MM_HINT_T1); \
            _mm_prefetch((const char *)(row + ahead + 16), _MM_HINT_T1); \
        } \
        _Pragma("clang loop unroll(full)") for (int r = 0; r < RowS; r++) { \
            __m512 weight = _mm512_set1_ps(w[(m + r) * channels + c]); \
            acc[r][0] = _mm512_fmadd_ps(weight, x0, acc[r][0]); \
            acc[r][1] = _mm512_fmadd_ps(weight, x1, acc[r][1]); \
        } \
    } \
    const __m512 zero = _mm512_setzero_ps(); \
    _Pragma("clang loop unroll(full)") for (int r = 0; r < RowS; r++) { \
        float *out = y + (m + r) * ldy + p; \
        _mm512_mask_storeu_ps(out, mask0, whittle_activate16(acc[r][0], activation, lo, hi, zero)); \
        _mm512_mask_storeu_ps(out + 16, mask1, whittle_activate16(acc[r][1], activation, lo, hi, zero)); \
    } \
}

TILE(tile12, 12)
TILE(tile4, 4)
TILE(tile1, 1)

__attribute__((target("avx512f"))) static void pointwise(
    const float *x, long channels, long ldx, const float *w, const float *bias, float *y, long ldy, long m0, long m1, long p0, long p1,
    int activation, float lo, float hi) {
    const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    for (long chunk = p0; chunk < p1; chunk += CHUNK) {
        long end = chunk + CHUNK < p1 ? chunk + CHUNK : p1;
        // The first pass over a chunk requests the next chunk's inputs.
        long next = end < p1 ? CHUNK : 0;
        long m = m0;
        for (; m + ROWS <= m1; m += ROWS, next = 0)
            for (long p = chunk; p < end; p += 32)
                tile12(x, channels, ldx, w, bias, y, ldy, m, p, whittle_first_lanes(end - p), whittle_first_lanes(end - p - 16), next, activation, vlo, vhi);
        for (; m + 4 <= m1; m += 4, next = 0)
            for (long p = chunk; p < end; p += 32)
                tile4(x, channels, ldx, w, bias, y, ldy, m, p, whittle_first_lanes(end - p), whittle_first_lanes(end - p - 16), next, activation, vlo, vhi);
        for (; m < m1; m++, next = 0)
            for (long p = chunk; p < end; p += 32)
                tile1(x, channels, ldx, w, bias, y, ldy, m, p, whittle_first_lanes(end - p), whittle_first_lanes(end - p - 16), next, activation, vlo, vhi);
    }
}

int whittle_pointwise_conv_supported(void) {
    static int known = -1;
    if (known < 0) known = __builtin_cpu_supports("avx512f");
    return known;
}

int whittle_pointwise_conv_f32(
    const float *x, long channels, long ldx, const float *w, const float *bias, float *y, long ldy, long m0, long m1, long p0, long p1,
    int activation, float lo, float hi) {
    if (!whittle_pointwise_conv_supported()) return 0;
    pointwise(x, channels, ldx, w, bias, y, ldy, m0, m1, p0, p1, activation, lo, hi);
    return 1;
}

#else

int whittle_pointwise_conv_supported(void) { return 0; }

int whittle_pointwise_conv_f32(
    const float *x, long channels, long ldx, const float *w, const float *bias, float *y, long ldy, long m0, long m1, long p0, long p1,
    int activation, float lo, float hi) {
    (void)x; (void)channels; (void)ldx; (void)w; (void)bias; (void)y; (void)ldy; (void)m0; (void)m1; (void)p0; (void)p1;
    (void)activation; (void)lo; (void)hi;
    return 0;
}

#endif
