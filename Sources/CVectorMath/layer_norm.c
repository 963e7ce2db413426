#include "layer_norm.h"

#include <math.h>

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

static int avx512_supported(void) {
    static int known = -1;
    if (known < 0) known = __builtin_cpu_supports("avx512f");
    return known;
}

AVX512 static inline __mmask16 first_lanes(long count) { return count >= 16 ? 0xFFFF : (__mmask16)((1u << count) - 1u); }

AVX512 static void rows_avx512(
    const float *x, long r0, long r1, long size, const float *scale, int scalarScale, const float *bias, int scalarBias, float epsilon,
    float *out, float *mean, float *invStd) {
    for (long r = r0; r < r1; r++) {
        const float *row = x + r * size;
        float *dst = out + r * size;
        __m512 sum = _mm512_setzero_ps();
        for (long i = 0; i < size; i += 16) sum = _mm512_add_ps(sum, _mm512_maskz_loadu_ps(first_lanes(size - i), row + i));
        float m = _mm512_reduce_add_ps(sum) / (float)size;
        const __m512 vm = _mm512_set1_ps(m);
        __m512 squares = _mm512_setzero_ps();
        for (long i = 0; i < size; i += 16) {
            __mmask16 lanes = first_lanes(size - i);
            __m512 d = _mm512_maskz_sub_ps(lanes, _mm512_maskz_loadu_ps(lanes, row + i), vm);
            squares = _mm512_fmadd_ps(d, d, squares);
        }
        float inv = 1.0f / sqrtf(_mm512_reduce_add_ps(squares) / (float)size + epsilon);
        const __m512 vinv = _mm512_set1_ps(inv);
        const __m512 s1 = _mm512_set1_ps(scale[0]), b1 = _mm512_set1_ps(bias ? bias[0] : 0.0f);
        for (long i = 0; i < size; i += 16) {
            __mmask16 lanes = first_lanes(size - i);
            __m512 s = scalarScale ? s1 : _mm512_maskz_loadu_ps(lanes, scale + i);
            __m512 b = !bias || scalarBias ? b1 : _mm512_maskz_loadu_ps(lanes, bias + i);
            __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(lanes, row + i), vm);
            _mm512_mask_storeu_ps(dst + i, lanes, _mm512_fmadd_ps(_mm512_mul_ps(d, vinv), s, b));
        }
        if (mean) mean[r] = m;
        if (invStd) invStd[r] = inv;
    }
}

int whittle_layer_norm_rows_f32(
    const float *x, long r0, long r1, long size, const float *scale, int scalarScale, const float *bias, int scalarBias, float epsilon,
    float *out, float *mean, float *invStd) {
    if (!avx512_supported() || size <= 0) return 0;
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
