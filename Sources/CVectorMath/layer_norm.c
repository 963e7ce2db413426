#include "layer_norm.h"

#include <math.h>

#if defined(__x86_64__) && defined(__clang__)
#include "avx512_support.h"

// Sums run in float64 (eight lanes per half vector), so the statistics carry no float32
// accumulation error; the output is ((x - mean) * invStd) * scale + bias with a rounding at
// each step, the scalar loop's arithmetic.
AVX512 static inline __m512d widen_low(__m512 v) { return _mm512_cvtps_pd(_mm512_castps512_ps256(v)); }
AVX512 static inline __m512d widen_high(__m512 v) {
    return _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}

AVX512 static void rows_avx512(
    const float *x, long r0, long r1, long size, const float *scale, int scalarScale, const float *bias, int scalarBias, float epsilon,
    float *out, float *mean, float *invStd) {
    for (long r = r0; r < r1; r++) {
        const float *row = x + r * size;
        float *dst = out + r * size;
        __m512d sum = _mm512_setzero_pd();
        for (long i = 0; i < size; i += 16) {
            __m512 v = _mm512_maskz_loadu_ps(whittle_first_lanes(size - i), row + i);
            sum = _mm512_add_pd(sum, _mm512_add_pd(widen_low(v), widen_high(v)));
        }
        double md = _mm512_reduce_add_pd(sum) / (double)size;
        const __m512d vmd = _mm512_set1_pd(md);
        __m512d squares = _mm512_setzero_pd();
        for (long i = 0; i < size; i += 16) {
            __mmask16 lanes = whittle_first_lanes(size - i);
            __m512 v = _mm512_maskz_loadu_ps(lanes, row + i);
            __m512d lo = _mm512_maskz_sub_pd((__mmask8)lanes, widen_low(v), vmd);
            __m512d hi = _mm512_maskz_sub_pd((__mmask8)(lanes >> 8), widen_high(v), vmd);
            squares = _mm512_fmadd_pd(lo, lo, _mm512_fmadd_pd(hi, hi, squares));
        }
        float m = (float)md;
        float inv = (float)(1.0 / sqrt(_mm512_reduce_add_pd(squares) / (double)size + (double)epsilon));
        const __m512 vm = _mm512_set1_ps(m), vinv = _mm512_set1_ps(inv);
        const __m512 s1 = _mm512_set1_ps(scale[0]), b1 = _mm512_set1_ps(bias ? bias[0] : 0.0f);
        for (long i = 0; i < size; i += 16) {
            __mmask16 lanes = whittle_first_lanes(size - i);
            __m512 s = scalarScale ? s1 : _mm512_maskz_loadu_ps(lanes, scale + i);
            __m512 b = !bias || scalarBias ? b1 : _mm512_maskz_loadu_ps(lanes, bias + i);
            __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(lanes, row + i), vm);
            _mm512_mask_storeu_ps(dst + i, lanes, _mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(d, vinv), s), b));
        }
        if (mean) mean[r] = m;
        if (invStd) invStd[r] = inv;
    }
}

int whittle_layer_norm_rows_f32(
    const float *x, long r0, long r1, long size, const float *scale, int scalarScale, const float *bias, int scalarBias, float epsilon,
    float *out, float *mean, float *invStd) {
    if (!whittle_avx512_supported() || size <= 0) return 0;
    rows_avx512(x, r0, r1, size, scale, scalarScale, bias, scalarBias, epsilon, out, mean, invStd);
    return 1;
}

#else

int whittle_layer_norm_rows_f32(
    const float *x, long r0, long r1, long size, const float *scale, int scalarScale, const float *bias, int scalarBias, float epsilon,
    float *out, float *mean, float *invStd) {
    (void)x; (void)r0; (void)r1; (void)size; (void)scale; (void)scalarScale; (void)bias; (void)scalarBias; (void)epsilon;
    (void)out; (void)mean; (void)invStd;
    return 0;
}

#endif
