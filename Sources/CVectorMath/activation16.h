// The activations the depthwise kernels apply before storing, with exactly the standalone
// kernels' rules so fused and unfused results are bit-identical: Relu is x < 0 ? 0 : x (-0 and
// NaN pass), Clip is Swift's min(max(x, lo), hi), i.e. hi < (lo >= x ? lo : x) ? hi : ....
#ifndef WHITTLE_ACTIVATION16_H
#define WHITTLE_ACTIVATION16_H

#include <immintrin.h>

__attribute__((target("avx512f"), always_inline)) static inline __m512 whittle_activate16(
    __m512 v, int activation, __m512 lo, __m512 hi, __m512 zero) {
    if (activation == WHITTLE_ACTIVATION_RELU) return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), v, zero);
    if (activation == WHITTLE_ACTIVATION_CLIP) {
        v = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(lo, v, _CMP_GE_OQ), v, lo);
        return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(hi, v, _CMP_LT_OQ), v, hi);
    }
    return v;
}

#endif
