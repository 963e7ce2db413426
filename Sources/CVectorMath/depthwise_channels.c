#include "depthwise_conv.h"

#include <stdlib.h>

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>

#include "activation16.h"

#define AVX512 __attribute__((target("avx512f")))
#define PLANE_LIMIT 16384
#define SPAN 8

// The plane kernel vectorizes along output rows, so a 7- or 14-wide plane leaves half its lanes
// idle and pays its per-row setup for a handful of outputs. Here 16 channels share one vector
// instead: their planes are interleaved into scratch (position-major, 16 floats per position),
// every output position is 16 channels' sums of its in-bounds taps (bias first, then the taps
// in row-major order, as the plane kernel sums them), and the result is written back plane by
// plane. Channels past `count` in the last block are zeros that are never stored.
AVX512 static void block16(
    const float *x, long count, long ih, long iw, const float *w, long kh, long kw, long sy, long sx, long dy, long dx,
    long py, long px, const float *bias, float *out, long oh, long ow, int activation, float lo, float hi, float *scratch) {
    long inSize = ih * iw, outSize = oh * ow, taps = kh * kw;
    float *xt = scratch, *yt = scratch + 16 * inSize, *wt = yt + 16 * outSize;
    // Interleave with plain copies: gathers (which the vectorizer would pick) are slower than
    // these on CPUs with the gather data sampling fix.
    for (long c = 0; c < 16; c++) {
        if (c < count) {
#pragma clang loop vectorize(disable)
            for (long p = 0; p < inSize; p++) xt[p * 16 + c] = x[c * inSize + p];
        } else {
            for (long p = 0; p < inSize; p++) xt[p * 16 + c] = 0;
        }
    }
    for (long t = 0; t < taps; t++)
        for (long c = 0; c < 16; c++) wt[t * 16 + c] = c < count ? w[c * taps + t] : 0;
    float b[16];
    for (long c = 0; c < 16; c++) b[c] = bias && c < count ? bias[c] : 0;
    const __m512 vb = _mm512_loadu_ps(b), vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi), zero = _mm512_setzero_ps();
    // SPAN positions of a row at once: one FMA chain alone would wait on FMA latency.
    for (long oy = 0; oy < oh; oy++) {
        for (long ox0 = 0; ox0 < ow; ox0 += SPAN) {
            long span = ow - ox0 < SPAN ? ow - ox0 : SPAN;
            __m512 acc[SPAN];
            for (long j = 0; j < SPAN; j++) acc[j] = vb;
            for (long ky = 0; ky < kh; ky++) {
                long iy = oy * sy - py + ky * dy;
                if (iy < 0 || iy >= ih) continue;
                const float *row = xt + iy * iw * 16;
                for (long kx = 0; kx < kw; kx++) {
                    __m512 weight = _mm512_loadu_ps(wt + (ky * kw + kx) * 16);
                    for (long j = 0; j < SPAN; j++) {
                        long ix = (ox0 + j) * sx - px + kx * dx;
                        if (j < span && ix >= 0 && ix < iw) acc[j] = _mm512_fmadd_ps(_mm512_loadu_ps(row + ix * 16), weight, acc[j]);
                    }
                }
            }
            for (long j = 0; j < span; j++)
                _mm512_storeu_ps(yt + (oy * ow + ox0 + j) * 16, whittle_activate16(acc[j], activation, vlo, vhi, zero));
        }
    }
    for (long c = 0; c < count; c++)
#pragma clang loop vectorize(disable)
        for (long p = 0; p < outSize; p++) out[c * outSize + p] = yt[p * 16 + c];
}

int whittle_depthwise2d_channels_f32(
    const float *x, long channels, long ih, long iw, const float *w, long kh, long kw, long sy, long sx, long dy, long dx,
    long py, long px, const float *bias, float *out, long oh, long ow, int activation, float lo, float hi) {
    long inSize = ih * iw, outSize = oh * ow, taps = kh * kw;
    // The interleaved copy should stay in L2 (and its gather offsets in 32 bits).
    if (!__builtin_cpu_supports("avx512f") || inSize > PLANE_LIMIT || outSize > PLANE_LIMIT) return 0;
    float *scratch = malloc(sizeof(float) * 16 * (size_t)(inSize + outSize + taps));
    if (!scratch) return 0;
    for (long c = 0; c < channels; c += 16) {
        long count = channels - c < 16 ? channels - c : 16;
        block16(x + c * inSize, count, ih, iw, w + c * taps, kh, kw, sy, sx, dy, dx, py, px, bias ? bias + c : NULL, out + c * outSize,
                oh, ow, activation, lo, hi, scratch);
    }
    free(scratch);
    return 1;
}

#else

int whittle_depthwise2d_channels_f32(
    const float *x, long channels, long ih, long iw, const float *w, long kh, long kw, long sy, long sx, long dy, long dx,
    long py, long px, const float *bias, float *out, long oh, long ow, int activation, float lo, float hi) {
    (void)x; (void)channels; (void)ih; (void)iw; (void)w; (void)kh; (void)kw; (void)sy; (void)sx; (void)dy; (void)dx;
    (void)py; (void)px; (void)bias; (void)out; (void)oh; (void)ow; (void)activation; (void)lo; (void)hi;
    return 0;
}

#endif
