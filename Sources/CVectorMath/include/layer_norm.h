// LayerNormalization rows in AVX-512: the Swift loop sums serially (one dependent add per
// element), which cannot vectorize; here each row's sums run in float64 lanes, folded at the end.
#ifndef WHITTLE_LAYER_NORM_H
#define WHITTLE_LAYER_NORM_H

/// Rows [r0, r1) of x (`size` elements each): mean m, invStd = 1 / sqrt(mean((x - m)^2) + epsilon),
/// out = (x - m) * invStd * scale + bias. scale and bias hold `size` values or one (bias may be
/// NULL); mean and invStd (one per row, either may be NULL) receive the statistics. Returns 0,
/// writing nothing, without AVX-512F.
int whittle_layer_norm_rows_f32(
    const float *x, long r0, long r1, long size, const float *scale, int scalarScale, const float *bias, int scalarBias, float epsilon,
    float *out, float *mean, float *invStd);

#endif
