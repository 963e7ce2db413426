// One channel of a 2-D depthwise convolution with AVX-512 or AVX2 + FMA, chosen at run time:
// the Swift kernels are compiled for baseline x86-64 (4-lane SSE) and, through raw pointers,
// cannot prove the output row does not alias the input, so they ran at a quarter of the speed.
#ifndef WHITTLE_DEPTHWISE_CONV_H
#define WHITTLE_DEPTHWISE_CONV_H

#include <stddef.h>

/// What the conv kernels apply to each output before storing it: nothing, Relu (x < 0 ? 0 : x),
/// Clip (Swift's min(max(x, lo), hi)), or whittle_sigmoid_f32 with alpha `lo`, without (Sigmoid)
/// or with (Swish, x * sigmoid(alpha x)) its multiply.
enum {
    WHITTLE_ACTIVATION_NONE = 0,
    WHITTLE_ACTIVATION_RELU = 1,
    WHITTLE_ACTIVATION_CLIP = 2,
    WHITTLE_ACTIVATION_SIGMOID = 3,
    WHITTLE_ACTIVATION_SWISH = 4,
};

/// For each of `planes` consecutive channels (planes of ih*iw in x, oh*ow in out; w holds kh*kw
/// weights per channel; bias, one per channel, may be NULL):
/// out[oy, ox] = bias + sum over taps (ky, kx) inside the input of
/// x[oy*sy - py + ky*dy, ox*sx - px + kx*dx] * w[ky, kx] (zero padding), taps summed in
/// row-major order. One call for the whole run, so the kernel is chosen once, not per plane (a
/// 14x14 plane is only a few hundred multiply-adds). Returns 0 (and writes nothing) when the CPU
/// has neither AVX-512F nor AVX2 + FMA, or a kernel side exceeds 16 taps, so the caller runs its
/// own loop. `activation` (a WHITTLE_ACTIVATION_ value) is applied before the plane is done.
int whittle_depthwise2d_planes_f32(
    const float *x, long planes, long ih, long iw, const float *w, long kh, long kw, long sy, long sx, long dy, long dx,
    long py, long px, const float *bias, float *out, long oh, long ow, int activation, float lo, float hi);

/// One plane with a chosen instruction set (1: AVX2 + FMA, 2: AVX-512F), for tests; returns 0
/// when this CPU lacks it or a kernel side exceeds 16 taps.
int whittle_depthwise2d_f32_at(
    int level, const float *x, long ih, long iw, const float *w, long kh, long kw, long sy, long sx, long dy, long dx,
    long py, long px, float *out, long oh, long ow, float bias, int activation, float lo, float hi);

/// `channels` consecutive channels at once (planes of ih*iw in x, oh*ow in out; w holds kh*kw
/// weights per channel; bias may be NULL), 16 channels per AVX-512 vector: for planes narrower
/// than a vector, where the plane kernel leaves lanes idle. Sums in the plane kernel's order,
/// with its activation rules. Returns 0 (writing nothing) without AVX-512F, for planes over
/// 16384 elements, or without memory for the interleaved copy (16 * (ih*iw + oh*ow + kh*kw) floats).
int whittle_depthwise2d_channels_f32(
    const float *x, long channels, long ih, long iw, const float *w, long kh, long kw, long sy, long sx, long dy, long dx,
    long py, long px, const float *bias, float *out, long oh, long ow, int activation, float lo, float hi);

#endif
