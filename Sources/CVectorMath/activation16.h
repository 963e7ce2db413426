// AVX-512 activations shared by the vector kernels, with exactly the standalone kernels' rules
// so fused and unfused results are bit-identical: Relu is x < 0 ? 0 : x (-0 and NaN pass), Clip
// is Swift's min(max(x, lo), hi), i.e. hi < (lo >= x ? lo : x) ? hi : ..., and Sigmoid/Swish are
// the standalone AVX-512 Sigmoid (whittle_sigmoid_f32) with and without its multiply.
#ifndef WHITTLE_ACTIVATION16_H
#define WHITTLE_ACTIVATION16_H

#include <immintrin.h>

#include "depthwise_conv.h"

#define WHITTLE_AVX512 __attribute__((target("avx512f"), always_inline))

// exp with AVX-512's own tools: n = round(x / ln 2) by roundscale and 2^n applied by scalef,
// which also overflows to inf and underflows through the subnormals to 0, so only the input
// clamp is needed (inf - inf would be NaN); the clamp keeps NaN (max/min return their second
// operand then). Same reduction and polynomial as exp8.
WHITTLE_AVX512 static inline __m512 whittle_exp16(__m512 x) {
    __m512 v = _mm512_min_ps(_mm512_set1_ps(89.0f), _mm512_max_ps(_mm512_set1_ps(-104.0f), x));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(v, _mm512_set1_ps(1.44269504f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), v);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.1219444e-4f), r);
    __m512 p = _mm512_set1_ps(1.98756915e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.39819995e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.16665796e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.66666655e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.00000012e-1f));
    p = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

// 1 / (1 + e) by the 14-bit reciprocal and one Newton step (within an ulp or so; a divide is
// the slowest instruction here and Swish runs over every activation of EfficientNet-style nets).
// 1 + e = inf gives 0, which the Newton step (inf * 0) would turn into NaN.
WHITTLE_AVX512 static inline __m512 whittle_sigmoid16(__m512 x, __m512 alpha, int multiply) {
    const __m512 one = _mm512_set1_ps(1.0f);
    __m512 d = _mm512_add_ps(one, whittle_exp16(_mm512_mul_ps(_mm512_sub_ps(_mm512_setzero_ps(), alpha), x)));
    __m512 r = _mm512_rcp14_ps(d);
    __m512 s = _mm512_fmadd_ps(r, _mm512_fnmadd_ps(d, r, one), r);
    s = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(d, _mm512_set1_ps(__builtin_inff()), _CMP_EQ_OQ), s, _mm512_setzero_ps());
    return multiply ? _mm512_mul_ps(x, s) : s;
}

/// `activation` (a WHITTLE_ACTIVATION_ value) of v; `lo` is Sigmoid's and Swish's alpha.
WHITTLE_AVX512 static inline __m512 whittle_activate16(__m512 v, int activation, __m512 lo, __m512 hi, __m512 zero) {
    switch (activation) {
    case WHITTLE_ACTIVATION_RELU: return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), v, zero);
    case WHITTLE_ACTIVATION_CLIP:
        v = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(lo, v, _CMP_GE_OQ), v, lo);
        return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(hi, v, _CMP_LT_OQ), v, hi);
    case WHITTLE_ACTIVATION_SIGMOID: return whittle_sigmoid16(v, lo, 0);
    case WHITTLE_ACTIVATION_SWISH: return whittle_sigmoid16(v, lo, 1);
    default: return v;
    }
}

#endif
