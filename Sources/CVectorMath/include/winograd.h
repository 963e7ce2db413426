// Winograd F(2x2, 3x3) transforms for 3x3 stride-1 convolutions: each 2x2 output tile costs 16
// multiplies per input channel instead of 36, the products running as 16 GEMMs (in BLAS). The
// input and output transforms take 16 tiles per AVX-512 vector where the CPU has it, else plain
// C loops; both give the same bits (only adds, in the same order).
#ifndef WHITTLE_WINOGRAD_H
#define WHITTLE_WINOGRAD_H

/// U[xi][m][c] = (G g G^T)[xi] for `m` filters of `c` channels of 3x3 weights g[m][c][3][3].
void whittle_winograd_weights_f32(const float *g, long m, long c, float *u);

/// V[xi][c][t] = (B^T d B)[xi] for channels [c0, c1) of x[c][h][w], where d is the 4x4 input
/// patch of tile t = ty * tilesW + tx starting at (2 ty - padTop, 2 tx - padLeft), zero outside.
/// `channels` is V's channel count (its stride).
void whittle_winograd_input_f32(
    const float *x, long c0, long c1, long channels, long h, long w, long padTop, long padLeft, long tilesH, long tilesW, float *v);

/// y[o][oy][ox] = bias[o] + (A^T M A) for output channels [o0, o1), from M[xi][o][t]
/// (`outputs` channels), clipped to the [oh, ow] plane; bias may be NULL.
void whittle_winograd_output_f32(
    const float *mp, long o0, long o1, long outputs, long tilesH, long tilesW, long oh, long ow, const float *bias, float *y);

/// The transforms with a chosen implementation, for tests: 0 plain C, 2 AVX-512F. Return 0,
/// writing nothing, when this CPU lacks it.
int whittle_winograd_input_f32_at(
    int level, const float *x, long c0, long c1, long channels, long h, long w, long padTop, long padLeft, long tilesH, long tilesW,
    float *v);
int whittle_winograd_output_f32_at(
    int level, const float *mp, long o0, long o1, long outputs, long tilesH, long tilesW, long oh, long ow, const float *bias, float *y);

#endif
