#include "vector_math.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#include <string.h>

#define AVX2 __attribute__((target("avx2,fma")))

// Cephes' exp: n = round(x / ln 2), r = x - n ln 2 in two parts, a degree-6 polynomial, then
// 2^n as two factors so results down to the subnormals stay exact (the Swift VectorMath.exp).
AVX2 static inline __m256 exp8(__m256 x) {
    const __m256 hi = _mm256_set1_ps(88.72283f), lo = _mm256_set1_ps(-103.97208f);
    __m256 overflow = _mm256_cmp_ps(x, hi, _CMP_GT_OQ), underflow = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
    __m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
    __m256 v = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
    v = _mm256_andnot_ps(nan, v);
    const __m256 magic = _mm256_set1_ps(12582912.0f);
    __m256 shifted = _mm256_fmadd_ps(v, _mm256_set1_ps(1.44269504f), magic);
    __m256 n = _mm256_sub_ps(shifted, magic);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), v);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.1219444e-4f), r);
    __m256 p = _mm256_set1_ps(1.98756915e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.39819995e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.16665796e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.66666655e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.00000012e-1f));
    p = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
    __m256i k = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_castps_si256(magic));
    __m256i k1 = _mm256_srai_epi32(k, 1), k2 = _mm256_sub_epi32(k, k1);
    const __m256i bias = _mm256_set1_epi32(127);
    __m256 f1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k1, bias), 23));
    __m256 f2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k2, bias), 23));
    __m256 result = _mm256_mul_ps(_mm256_mul_ps(p, f1), f2);
    result = _mm256_blendv_ps(result, _mm256_set1_ps(__builtin_inff()), overflow);
    result = _mm256_blendv_ps(result, _mm256_setzero_ps(), underflow);
    return _mm256_blendv_ps(result, x, nan);
}

AVX2 static inline __m256 sigmoid8(__m256 x, __m256 alpha, int multiply) {
    const __m256 one = _mm256_set1_ps(1.0f);
    __m256 e = exp8(_mm256_mul_ps(_mm256_sub_ps(_mm256_setzero_ps(), alpha), x));
    __m256 s = _mm256_div_ps(one, _mm256_add_ps(one, e));
    return multiply ? _mm256_mul_ps(x, s) : s;
}

AVX2 static void sigmoid_avx2(const float *src, float *dst, size_t count, float alpha, int multiply) {
    __m256 a = _mm256_set1_ps(alpha);
    size_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(dst + i, sigmoid8(_mm256_loadu_ps(src + i), a, multiply));
    if (i < count) {
        // The tail through a zero-padded vector, so every element sees the same approximation.
        float in[8] = {0}, out[8];
        memcpy(in, src + i, (count - i) * sizeof(float));
        _mm256_storeu_ps(out, sigmoid8(_mm256_loadu_ps(in), a, multiply));
        memcpy(dst + i, out, (count - i) * sizeof(float));
    }
}

static int has_avx2_fma(void) {
    static int known = -1;
    if (known < 0) known = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return known;
}

int whittle_sigmoid_f32(const float *src, float *dst, size_t count, float alpha, int multiply) {
    if (!has_avx2_fma()) return 0;
    sigmoid_avx2(src, dst, count, alpha, multiply);
    return 1;
}

#else

int whittle_sigmoid_f32(const float *src, float *dst, size_t count, float alpha, int multiply) {
    (void)src; (void)dst; (void)count; (void)alpha; (void)multiply;
    return 0;
}

#endif
