// A 1x1 stride-1 convolution computed directly, for AVX-512: Y[m, p] = act(bias[m] +
// sum_c W[m, c] X[c, p]). Rows of X are already contiguous along positions, so nothing is
// packed, and bias and activation are applied in registers, so Y is written once. BLAS packs
// both operands on every call and its epilogue would be two more passes over Y, which for the
// narrow-channel, wide-plane pointwise layers of MobileNet and EfficientNet cost as much as the
// arithmetic.
#ifndef WHITTLE_POINTWISE_CONV_H
#define WHITTLE_POINTWISE_CONV_H

/// 1 when this CPU runs whittle_pointwise_conv_f32 (AVX-512F).
int whittle_pointwise_conv_supported(void);

/// Rows [m0, m1) and positions [p0, p1) of Y (rows `ldy` apart) from X (`channels` rows, `ldx`
/// apart: an input plane, or an im2col column block) and W (rows of `channels`); bias may be NULL. Each output sums the bias, then the
/// channels in order (FMA). `activation` is a WHITTLE_ACTIVATION_ value (depthwise_conv.h) with
/// its lo/hi. Returns 0, writing nothing, without AVX-512F.
int whittle_pointwise_conv_f32(
    const float *x, long channels, long ldx, const float *w, const float *bias, float *y, long ldy, long m0, long m1, long p0, long p1,
    int activation, float lo, float hi);

#endif
