#include "panel_gemm.h"

#include <stdlib.h>

#if defined(__x86_64__) && defined(__clang__)
#include "activation16.h"
#include "avx512_support.h"
#include "depthwise_conv.h"

// Rows of B per block (a 256 x 32 block is 32 KB, within L1), columns per panel, rows of A per
// register tile (12 x 2 accumulators of the 32 vector registers).
#define KB 256
#define NR 32
#define MR 12

int whittle_panel_gemm_supported(void) { return whittle_avx512_supported(); }

// bp[kk][0, 32) = B[k0 + kk][j0, j0 + 32), zero past column j0 + width.
AVX512 static void pack_block(const float *b, long ldb, long k0, long kc, long j0, long width, float *bp) {
    __mmask16 m0 = whittle_first_lanes(width), m1 = whittle_first_lanes(width - 16);
    for (long kk = 0; kk < kc; kk++) {
        const float *row = b + (k0 + kk) * ldb + j0;
        // The next panel's part of this row: 256 rows are more streams than the hardware
        // prefetcher follows, and B (a layer's input, or a MatMul's weights) is rarely cached.
        _mm_prefetch((const char *)(row + NR), _MM_HINT_T0);
        _mm_prefetch((const char *)(row + NR + 16), _MM_HINT_T0);
        _mm512_store_ps(bp + kk * NR, _mm512_maskz_loadu_ps(m0, row));
        _mm512_store_ps(bp + kk * NR + 16, _mm512_maskz_loadu_ps(m1, row + 16));
    }
}

// Rows [i, i + R) of one panel over one block of k: starts from the bias (or 0) on the first
// block and from C after it, so every output sums its products in k order.
#define TILE(NAME, R)                                                                                                           \
    AVX512 static void NAME(const float *a, long lda, long i, long k0, long kc, const float *bp, const float *bias,               \
        const float *rowBias, long j0, int first, int last, float *c, long ldc, __mmask16 m0, __mmask16 m1, int activation,      \
        __m512 lo, __m512 hi) {                                                                                                 \
        __m512 acc[R][2];                                                                                                       \
        _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) {                                                        \
            float *row = c + (i + r) * ldc + j0;                                                                                \
            if (!first) {                                                                                                       \
                acc[r][0] = _mm512_maskz_loadu_ps(m0, row);                                                                     \
                acc[r][1] = _mm512_maskz_loadu_ps(m1, row + 16);                                                                \
            } else if (bias) {                                                                                                  \
                acc[r][0] = _mm512_maskz_loadu_ps(m0, bias + j0);                                                               \
                acc[r][1] = _mm512_maskz_loadu_ps(m1, bias + j0 + 16);                                                          \
            } else if (rowBias) {                                                                                               \
                acc[r][0] = acc[r][1] = _mm512_set1_ps(rowBias[i + r]);                                                         \
            } else {                                                                                                            \
                acc[r][0] = acc[r][1] = _mm512_setzero_ps();                                                                    \
            }                                                                                                                   \
        }                                                                                                                       \
        const float *ap = a + i * lda + k0;                                                                                     \
        for (long kk = 0; kk < kc; kk++) {                                                                                      \
            __m512 b0 = _mm512_load_ps(bp + kk * NR), b1 = _mm512_load_ps(bp + kk * NR + 16);                                   \
            _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) {                                                    \
                __m512 av = _mm512_set1_ps(ap[r * lda + kk]);                                                                   \
                acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);                                                                 \
                acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);                                                                 \
            }                                                                                                                   \
        }                                                                                                                       \
        if (last && activation != WHITTLE_ACTIVATION_NONE) {                                                                    \
            const __m512 zero = _mm512_setzero_ps();                                                                            \
            _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) {                                                    \
                acc[r][0] = whittle_activate16(acc[r][0], activation, lo, hi, zero);                                            \
                acc[r][1] = whittle_activate16(acc[r][1], activation, lo, hi, zero);                                            \
            }                                                                                                                   \
        }                                                                                                                       \
        _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) {                                                        \
            float *row = c + (i + r) * ldc + j0;                                                                                \
            _mm512_mask_storeu_ps(row, m0, acc[r][0]);                                                                          \
            _mm512_mask_storeu_ps(row + 16, m1, acc[r][1]);                                                                     \
        }                                                                                                                       \
    }

TILE(tile12, 12)
TILE(tile4, 4)
TILE(tile1, 1)

// Column chunks of NC are packed a block of KB rows at a time (512 KB, within L2); each register
// tile of MR rows of A (MR x KB, within L1) then passes over every panel of the chunk, so the
// broadcasts come from L1 and the panels stream from L2 in order.
#define NC 512

AVX512 static void panel_gemm(
    long m, long n0, long n1, long k, const float *a, long lda, const float *b, long ldb, const float *bias, const float *rowBias,
    float *c, long ldc, int activation, float lo, float hi, float *bp) {
    const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    for (long jc = n0; jc < n1; jc += NC) {
        long chunk = n1 - jc < NC ? n1 - jc : NC, panels = (chunk + NR - 1) / NR;
        for (long k0 = 0; k0 < k || (k == 0 && k0 == 0); k0 += KB) {
            long kc = k - k0 < KB ? k - k0 : KB;
            for (long p = 0; p < panels; p++) {
                long width = chunk - p * NR < NR ? chunk - p * NR : NR;
                if (kc > 0) pack_block(b, ldb, k0, kc, jc + p * NR, width, bp + p * KB * NR);
            }
            int first = k0 == 0, last = k0 + KB >= k;
            long i = 0;
            for (; i < m; i += i + MR <= m ? MR : i + 4 <= m ? 4 : 1) {
                long rows = i + MR <= m ? MR : i + 4 <= m ? 4 : 1;
                for (long p = 0; p < panels; p++) {
                    long j0 = jc + p * NR, width = chunk - p * NR < NR ? chunk - p * NR : NR;
                    __mmask16 m0 = whittle_first_lanes(width), m1 = whittle_first_lanes(width - 16);
                    const float *block = bp + p * KB * NR;
                    if (rows == MR) {
                        tile12(a, lda, i, k0, kc, block, bias, rowBias, j0, first, last, c, ldc, m0, m1, activation, vlo, vhi);
                    } else if (rows == 4) {
                        tile4(a, lda, i, k0, kc, block, bias, rowBias, j0, first, last, c, ldc, m0, m1, activation, vlo, vhi);
                    } else {
                        tile1(a, lda, i, k0, kc, block, bias, rowBias, j0, first, last, c, ldc, m0, m1, activation, vlo, vhi);
                    }
                }
            }
            if (k == 0) break;
        }
    }
}

int whittle_panel_gemm_f32(
    long m, long n0, long n1, long k, const float *a, long lda, const float *b, long ldb, const float *bias, const float *rowBias,
    float *c, long ldc, int activation, float lo, float hi) {
    if (!whittle_avx512_supported()) return 0;
    if (m <= 0 || n1 <= n0) return 1;
    // Panels for at most NC columns: a narrow product (a 7x7 plane's 49) needs only its own.
    long columns = n1 - n0 < NC ? (n1 - n0 + NR - 1) / NR * NR : NC;
    float *bp = aligned_alloc(64, sizeof(float) * KB * (size_t)columns);
    if (!bp) return 0;
    panel_gemm(m, n0, n1, k, a, lda, b, ldb, bias, rowBias, c, ldc, activation, lo, hi, bp);
    free(bp);
    return 1;
}

#else

int whittle_panel_gemm_supported(void) { return 0; }

int whittle_panel_gemm_f32(
    long m, long n0, long n1, long k, const float *a, long lda, const float *b, long ldb, const float *bias, const float *rowBias,
    float *c, long ldc, int activation, float lo, float hi) {
    (void)m; (void)n0; (void)n1; (void)k; (void)a; (void)lda; (void)b; (void)ldb; (void)bias; (void)rowBias; (void)c; (void)ldc;
    (void)activation; (void)lo; (void)hi;
    return 0;
}

#endif
