// Row-major single-precision GEMM for AVX-512 for a Linear layer's shapes (a few hundred rows
// of A against a large B of weights): B is copied 256 rows at a time into 32-column panels
// (512 columns, 512 KB, held in L2), and each 12-row tile of A, read in place from L1, passes
// over every panel. On BERT-base's products this ran at 0.7-0.8x of OpenBLAS's sgemm time.
#ifndef WHITTLE_PANEL_GEMM_H
#define WHITTLE_PANEL_GEMM_H

/// 1 when this CPU runs whittle_panel_gemm_f32 (AVX-512F).
int whittle_panel_gemm_supported(void);

/// Columns [n0, n1) of C[m, n] = A[m, k] B[k, n] + bias[n] (a Linear layer's) or + rowBias[m] (a
/// Conv's, one per output channel), rows of A, B and C lda, ldb and ldc apart; both biases may
/// be NULL, and only bias is used when both are given. Each output sums its bias (or 0), then k in order (FMA),
/// whatever the column range, so splitting columns over threads does not change the bits.
/// `activation` (a WHITTLE_ACTIVATION_ value of depthwise_conv.h, with its lo and hi) runs on
/// each output vector before its final store.
/// Returns 0, writing nothing, without AVX-512F or without memory for the 512 KB panel buffer.
int whittle_panel_gemm_f32(
    long m, long n0, long n1, long k, const float *a, long lda, const float *b, long ldb, const float *bias, const float *rowBias,
    float *c, long ldc, int activation, float lo, float hi);

#endif
