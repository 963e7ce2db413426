// One channel of a 2-D depthwise convolution with AVX-512 or AVX2 + FMA, chosen at run time:
// the Swift kernels are compiled for baseline x86-64 (4-lane SSE) and, through raw pointers,
// cannot prove the output row does not alias the input, so they ran at a quarter of the speed.
#ifndef WHITTLE_DEPTHWISE_CONV_H
#define WHITTLE_DEPTHWISE_CONV_H

#include <stddef.h>

/// out[oy, ox] = bias + sum over taps (ky, kx) inside the input of
/// x[oy*sy - py + ky*dy, ox*sx - px + kx*dx] * w[ky, kx] (zero padding), for an [ih, iw] input
/// plane and an [oh, ow] output plane, taps summed in row-major order. Returns 0 (and writes
/// nothing) when the CPU has neither AVX-512F nor AVX2 + FMA, or a kernel side exceeds 16 taps,
/// so the caller runs its own loop.
int whittle_depthwise2d_f32(
    const float *x, long ih, long iw, const float *w, long kh, long kw, long sy, long sx, long dy, long dx,
    long py, long px, float *out, long oh, long ow, float bias);

/// The same with a chosen instruction set (1: AVX2 + FMA, 2: AVX-512F), for tests; returns 0
/// when this CPU lacks it or a kernel side exceeds 16 taps.
int whittle_depthwise2d_f32_at(
    int level, const float *x, long ih, long iw, const float *w, long kh, long kw, long sy, long sx, long dy, long dx,
    long py, long px, float *out, long oh, long ow, float bias);

#endif
