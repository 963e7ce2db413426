#include "depthwise_conv.h"

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>
#include <string.h>

#include "activation16.h"
#include "avx512_support.h"
#include "vector_math.h"

typedef float v8 __attribute__((ext_vector_type(8)));

// The interior loop once per vector width: each output vector sums its taps in registers
// (bias first, then row-major taps, the order of the scalar edges), then is stored once.
// Stride 2 loads two vectors and keeps the even lanes; other strides gather lane by lane.
#define DEPTHWISE_BODY(V, LANES, EVEN)                                                                   \
    for (long oy = 0; oy < oh; oy++) {                                                                   \
        float *row = out + oy * ow;                                                                      \
        long rows[64], taps = 0;                                                                         \
        for (long ky = 0; ky < kh; ky++) {                                                               \
            long iy = oy * sy - py + ky * dy;                                                            \
            if (iy >= 0 && iy < ih) rows[taps++] = ky;                                                   \
        }                                                                                                \
        for (long ox = 0; ox < ow; ox++) {                                                               \
            if (ox == first) ox = vectorEnd;                                                             \
            if (ox >= ow) break;                                                                         \
            float acc = bias;                                                                            \
            for (long t = 0; t < taps; t++) {                                                            \
                long ky = rows[t];                                                                       \
                const float *src = x + (oy * sy - py + ky * dy) * iw;                                    \
                for (long kx = 0; kx < kw; kx++) {                                                       \
                    long ix = ox * sx - px + kx * dx;                                                    \
                    if (ix >= 0 && ix < iw) acc += src[ix] * w[ky * kw + kx];                            \
                }                                                                                        \
            }                                                                                            \
            row[ox] = acc;                                                                               \
        }                                                                                                \
        for (long ox = first; ox + LANES <= vectorEnd; ox += LANES) {                                    \
            V acc = (V)bias;                                                                             \
            for (long t = 0; t < taps; t++) {                                                            \
                long ky = rows[t];                                                                       \
                const float *src = x + (oy * sy - py + ky * dy) * iw + ox * sx - px;                     \
                for (long kx = 0; kx < kw; kx++) {                                                       \
                    const float *p = src + kx * dx;                                                      \
                    V v;                                                                                 \
                    if (sx == 1) {                                                                       \
                        memcpy(&v, p, sizeof v);                                                         \
                    } else if (sx == 2) {                                                                \
                        V a, b;                                                                          \
                        memcpy(&a, p, sizeof a);                                                         \
                        memcpy(&b, p + LANES, sizeof b);                                                 \
                        v = __builtin_shufflevector(a, b, EVEN);                                         \
                    } else {                                                                             \
                        for (int l = 0; l < LANES; l++) v[l] = p[l * sx];                                \
                    }                                                                                    \
                    acc = acc + v * (V)w[ky * kw + kx];                                                  \
                }                                                                                        \
            }                                                                                            \
            memcpy(row + ox, &acc, sizeof acc);                                                          \
        }                                                                                                \
    }

#define EVEN8 0, 2, 4, 6, 8, 10, 12, 14

// Output columns [first, end) whose taps all fall inside the row, and, for stride 2, also the
// one element past the last tap (the second load reads it); end is rounded down to whole vectors.
static void interior(long iw, long kw, long sx, long dx, long px, long ow, long lanes, long *first, long *end) {
    long f = (px + sx - 1) / sx;
    if (f > ow) f = ow;
    long reach = (kw - 1) * dx + (sx == 2 ? 1 : 0);
    long last = iw - 1 - reach + px < 0 ? 0 : (iw - 1 - reach + px) / sx + 1;
    if (last > ow) last = ow;
    if (last < f) last = f;
    *first = f;
    *end = f + (last - f) / lanes * lanes;
}

// AVX-512: every output vector, edges included, through masked loads (a masked-off lane reads
// nothing, so padding costs no branches); blocks whose taps all fall inside the row skip the masks.

// How a block's taps load: stride 1 or 2, all lanes inside the row or masked; any other
// stride gathers.
enum { DENSE1, MASKED1, DENSE2, MASKED2, GATHER };
#define MAX_TAPS 16
#define ROWS 4

// `rows` output rows of one 16-column block. src[j * kh + ky] points at the block's first tap in
// input row ky of output row j (NULL when that row is padding). Each output row keeps its own
// accumulator, so `rows` FMA chains run at once: one chain alone waits on FMA latency.
AVX512 __attribute__((always_inline)) static inline void block_rows(
    int mode, int rows, const float *const *src, const float *w, long kh, long kw, long dx, long sx, long iw,
    long start, const __mmask16 *ma, const __mmask16 *mb, __m512i even, float bias, float *const *dst, __mmask16 store,
    int activation, __m512 lo, __m512 hi) {
    __m512 acc[ROWS];
    for (int j = 0; j < rows; j++) acc[j] = _mm512_set1_ps(bias);
    for (long ky = 0; ky < kh; ky++) {
        for (long kx = 0; kx < kw; kx++) {
            __m512 weight = _mm512_set1_ps(w[ky * kw + kx]);
            for (int j = 0; j < rows; j++) {
                const float *p = src[j * kh + ky];
                if (!p) continue;
                p += kx * dx;
                __m512 v;
                switch (mode) {
                case DENSE1: v = _mm512_loadu_ps(p); break;
                case MASKED1: v = _mm512_maskz_loadu_ps(ma[kx], p); break;
                case DENSE2: v = _mm512_permutex2var_ps(_mm512_loadu_ps(p), even, _mm512_loadu_ps(p + 16)); break;
                case MASKED2:
                    v = _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(ma[kx], p), even, _mm512_maskz_loadu_ps(mb[kx], p + 16));
                    break;
                default: {
                    // p sits `start + kx * dx` elements into its row.
                    __m512i index = _mm512_add_epi32(
                        _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), _mm512_set1_epi32((int)sx)),
                        _mm512_set1_epi32((int)(start + kx * dx)));
                    __mmask16 valid = _mm512_cmpge_epi32_mask(index, _mm512_setzero_si512()) &
                                      _mm512_cmplt_epi32_mask(index, _mm512_set1_epi32((int)iw));
                    v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), valid, index, p - (start + kx * dx), 4);
                }
                }
                acc[j] = _mm512_fmadd_ps(v, weight, acc[j]);
            }
        }
    }
    const __m512 zero = _mm512_setzero_ps();
    for (int j = 0; j < rows; j++) _mm512_mask_storeu_ps(dst[j], store, whittle_activate16(acc[j], activation, lo, hi, zero));
}

#define BLOCK_ROWS(MODE)                                                                                  \
    (rows == ROWS ? block_rows(MODE, ROWS, src, w, kh, kw, dx, sx, iw, start, ma, mb, even, bias, dst, store, activation, vlo, vhi) \
                  : block_rows(MODE, 1, src, w, kh, kw, dx, sx, iw, start, ma, mb, even, bias, dst, store, activation, vlo, vhi))

// Square K x K taps (3 or 5), dilation 1, the same stride S (1 or 2) both ways: nearly every
// depthwise layer of MobileNet and EfficientNet. The weights are broadcast once per plane and
// each input row is loaded once for all the output rows that use it (stride 2 splits it into
// even and odd lanes), where the general block loads every tap of every row. Each accumulator
// still takes its taps in row-major order, so the sums are the general kernel's bits.
#define DWK_ROWS 4
AVX512 __attribute__((always_inline)) static inline void dwk_rows(
    int K, int S, int rows, const float *x, long ih, long iw, long iy0, long start, const __m512 *wv, const __mmask16 *ma,
    const __mmask16 *mb, __m512i even, __m512i odd, float bias, float *dst, long ow, __mmask16 store, int activation, __m512 lo,
    __m512 hi) {
    __m512 acc[DWK_ROWS];
    _Pragma("clang loop unroll(full)") for (int j = 0; j < rows; j++) acc[j] = _mm512_set1_ps(bias);
    _Pragma("clang loop unroll(full)") for (int r = 0; r < (rows - 1) * S + K; r++) {
        long iy = iy0 + r;
        if (iy < 0 || iy >= ih) continue;
        const float *p = x + iy * iw + start;
        __m512 v[5];
        if (S == 1) {
            _Pragma("clang loop unroll(full)") for (int kx = 0; kx < K; kx++) v[kx] = _mm512_maskz_loadu_ps(ma[kx], p + kx);
        } else {
            // Taps 2m and 2m + 1 are the even and odd lanes of the 32 elements at 2m.
            _Pragma("clang loop unroll(full)") for (int kx = 0; kx < K; kx += 2) {
                __m512 a = _mm512_maskz_loadu_ps(ma[kx], p + kx), b = _mm512_maskz_loadu_ps(mb[kx], p + kx + 16);
                v[kx] = _mm512_permutex2var_ps(a, even, b);
                if (kx + 1 < K) v[kx + 1] = _mm512_permutex2var_ps(a, odd, b);
            }
        }
        _Pragma("clang loop unroll(full)") for (int j = 0; j < rows; j++) {
            int ky = r - j * S;
            if (ky < 0 || ky >= K) continue;
            _Pragma("clang loop unroll(full)") for (int kx = 0; kx < K; kx++) acc[j] = _mm512_fmadd_ps(v[kx], wv[ky * K + kx], acc[j]);
        }
    }
    const __m512 zero = _mm512_setzero_ps();
    _Pragma("clang loop unroll(full)") for (int j = 0; j < rows; j++)
        _mm512_mask_storeu_ps(dst + j * ow, store, whittle_activate16(acc[j], activation, lo, hi, zero));
}

// Row bands of DWK_ROWS outer, so a band's input rows stay in L1 across its column blocks.
AVX512 __attribute__((always_inline)) static inline void depthwise_square(
    int K, int S, const float *x, long ih, long iw, const float *w, long py, long px, float *out, long oh, long ow, float bias,
    int activation, float lo, float hi) {
    const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    __m512 wv[25];
    for (int t = 0; t < K * K; t++) wv[t] = _mm512_set1_ps(w[t]);
    // Inside a model the input was written by the layer before and is out of L2, and the hardware
    // prefetcher misses it, so rows are requested ahead: the next plane's first band here (planes
    // of one tensor are consecutive; a request past its end is harmless), the next band's rows in
    // the loop below.
    {
        long inRows = (DWK_ROWS - 1) * S + K - py, outRows = DWK_ROWS;
        const float *nextIn = x + ih * iw, *nextOut = out + oh * ow;
        for (long i = 0, end = (inRows < ih ? inRows : ih) * iw; i < end; i += 16)
            _mm_prefetch((const char *)(nextIn + i), _MM_HINT_T0);
        for (long i = 0, end = (outRows < oh ? outRows : oh) * ow; i < end; i += 16)
            _mm_prefetch((const char *)(nextOut + i), _MM_HINT_ET0);
    }
    for (long oy = 0; oy < oh;) {
        int band = oh - oy >= DWK_ROWS ? DWK_ROWS : 1;
        for (long iy = (oy + band) * S - py + K - S, end = iy + DWK_ROWS * S; iy < end; iy++) {
            if (iy < 0 || iy >= ih) continue;
            for (long i = 0; i < iw; i += 16) _mm_prefetch((const char *)(x + iy * iw + i), _MM_HINT_T0);
        }
        for (long j = band; j < band + DWK_ROWS && oy + j < oh; j++) {
            for (long i = 0; i < ow; i += 16) _mm_prefetch((const char *)(out + (oy + j) * ow + i), _MM_HINT_ET0);
        }
        for (long ox = 0; ox < ow; ox += 16) {
            long count = ow - ox < 16 ? ow - ox : 16;
            __mmask16 store = (__mmask16)((1u << count) - 1u);
            long start = ox * S - px;
            __mmask16 ma[5], mb[5];
            for (int kx = 0; kx < K; kx++) {
                ma[kx] = whittle_lanes_inside(start + kx, iw);
                mb[kx] = whittle_lanes_inside(start + kx + 16, iw);
            }
            float *dst = out + oy * ow + ox;
            if (band == DWK_ROWS) {
                dwk_rows(K, S, DWK_ROWS, x, ih, iw, oy * S - py, start, wv, ma, mb, even, odd, bias, dst, ow, store, activation, vlo, vhi);
            } else {
                dwk_rows(K, S, 1, x, ih, iw, oy * S - py, start, wv, ma, mb, even, odd, bias, dst, ow, store, activation, vlo, vhi);
            }
        }
        oy += band;
    }
}

typedef void (*square_kernel)(const float *, long, long, const float *, long, long, float *, long, long, float, int, float, float);

#define SQUARE(K, S)                                                                                                            \
    AVX512 static void depthwise##K##x##K##_s##S(                                                                             \
        const float *x, long ih, long iw, const float *w, long py, long px, float *out, long oh, long ow, float bias, int activation, \
        float lo, float hi) {                                                                                                     \
        depthwise_square(K, S, x, ih, iw, w, py, px, out, oh, ow, bias, activation, lo, hi);                                      \
    }
SQUARE(3, 1)
SQUARE(3, 2)
SQUARE(5, 1)
SQUARE(5, 2)

// The square kernel for these taps, or NULL for the general one.
static square_kernel square_kernel_for(long kh, long kw, long sy, long sx, long dy, long dx) {
    if (kh != kw || sy != sx || dy != 1 || dx != 1 || (sx != 1 && sx != 2)) return 0;
    if (kh == 3) return sx == 1 ? depthwise3x3_s1 : depthwise3x3_s2;
    if (kh == 5) return sx == 1 ? depthwise5x5_s1 : depthwise5x5_s2;
    return 0;
}

// Blocks of 16 output columns, outermost; the lane masks of a block's taps are the same in every
// row, so they are computed once per block; rows go ROWS at a time.
AVX512 static void depthwise16(
    const float *x, long ih, long iw, const float *w, long kh, long kw, long sy, long sx, long dy, long dx,
    long py, long px, float *out, long oh, long ow, float bias, int activation, float lo, float hi) {
    const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    for (long ox = 0; ox < ow; ox += 16) {
        long count = ow - ox < 16 ? ow - ox : 16;
        __mmask16 store = (__mmask16)((1u << count) - 1u);
        long start = ox * sx - px;
        __mmask16 ma[MAX_TAPS], mb[MAX_TAPS];
        int dense = 1;
        for (long kx = 0; kx < kw; kx++) {
            ma[kx] = whittle_lanes_inside(start + kx * dx, iw);
            mb[kx] = whittle_lanes_inside(start + kx * dx + 16, iw);
            if (ma[kx] != 0xFFFF || (sx == 2 && mb[kx] != 0xFFFF)) dense = 0;
        }
        int mode = sx == 1 ? (dense ? DENSE1 : MASKED1) : sx == 2 ? (dense ? DENSE2 : MASKED2) : GATHER;
        for (long oy = 0; oy < oh; oy += ROWS) {
            int rows = oh - oy >= ROWS ? ROWS : 1;
            const float *src[ROWS * MAX_TAPS];
            float *dst[ROWS];
            for (int j = 0; j < rows; j++) {
                dst[j] = out + (oy + j) * ow + ox;
                for (long ky = 0; ky < kh; ky++) {
                    long iy = (oy + j) * sy - py + ky * dy;
                    src[j * kh + ky] = iy >= 0 && iy < ih ? x + iy * iw + start : 0;
                }
            }
            switch (mode) {
            case DENSE1: BLOCK_ROWS(DENSE1); break;
            case MASKED1: BLOCK_ROWS(MASKED1); break;
            case DENSE2: BLOCK_ROWS(DENSE2); break;
            case MASKED2: BLOCK_ROWS(MASKED2); break;
            default: BLOCK_ROWS(GATHER);
            }
            if (rows == 1 && oh - oy > 1) oy -= ROWS - 1;
        }
    }
}

__attribute__((target("avx2,fma"))) static void depthwise8(
    const float *x, long ih, long iw, const float *w, long kh, long kw, long sy, long sx, long dy, long dx,
    long py, long px, float *out, long oh, long ow, float bias, int activation, float lo, float hi) {
    long first, vectorEnd;
    interior(iw, kw, sx, dx, px, ow, 8, &first, &vectorEnd);
    DEPTHWISE_BODY(v8, 8, EVEN8)
    // The fallback applies its activation in a second pass over the plane (still in L1).
    if (activation == WHITTLE_ACTIVATION_NONE) return;
    if (activation == WHITTLE_ACTIVATION_SIGMOID || activation == WHITTLE_ACTIVATION_SWISH) {
        whittle_sigmoid_f32_at(1, out, out, (size_t)(oh * ow), lo, activation == WHITTLE_ACTIVATION_SWISH);
        return;
    }
    for (long i = 0; i < oh * ow; i++) {
        float v = out[i];
        if (activation == WHITTLE_ACTIVATION_RELU) {
            out[i] = v < 0 ? 0 : v;
        } else {
            v = lo >= v ? lo : v;
            out[i] = hi < v ? hi : v;
        }
    }
}

static int best_level(void) {
    static int level = -1;
    if (level < 0) {
        level = __builtin_cpu_supports("avx512f") ? 2 : (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? 1 : 0;
    }
    return level;
}

// Sigmoid and Swish after a square kernel run as a pass over each finished plane (still in L1)
// rather than on each band's few accumulators: the exp's long dependent chain then overlaps
// across many vectors. The same function on the same floats, so the bits do not change.
static int planes_at(
    int level, const float *x, long planes, long ih, long iw, const float *w, long kh, long kw, long sy, long sx, long dy, long dx,
    long py, long px, const float *bias, float *out, long oh, long ow, int activation, float lo, float hi) {
    if (kh > MAX_TAPS || kw > MAX_TAPS || level < 1 || level > best_level()) return 0;
    square_kernel square = level == 2 ? square_kernel_for(kh, kw, sy, sx, dy, dx) : 0;
    int separate = square && (activation == WHITTLE_ACTIVATION_SIGMOID || activation == WHITTLE_ACTIVATION_SWISH);
    long inSize = ih * iw, outSize = oh * ow, taps = kh * kw;
    for (long c = 0; c < planes; c++) {
        const float *xc = x + c * inSize, *wc = w + c * taps;
        float *oc = out + c * outSize, b = bias ? bias[c] : 0.0f;
        if (separate) {
            square(xc, ih, iw, wc, py, px, oc, oh, ow, b, WHITTLE_ACTIVATION_NONE, lo, hi);
            whittle_sigmoid_f32(oc, oc, (size_t)outSize, lo, activation == WHITTLE_ACTIVATION_SWISH);
        } else if (square) {
            square(xc, ih, iw, wc, py, px, oc, oh, ow, b, activation, lo, hi);
        } else if (level == 2) {
            depthwise16(xc, ih, iw, wc, kh, kw, sy, sx, dy, dx, py, px, oc, oh, ow, b, activation, lo, hi);
        } else {
            depthwise8(xc, ih, iw, wc, kh, kw, sy, sx, dy, dx, py, px, oc, oh, ow, b, activation, lo, hi);
        }
    }
    return 1;
}

int whittle_depthwise2d_f32_at(
    int level, const float *x, long ih, long iw, const float *w, long kh, long kw, long sy, long sx, long dy, long dx,
    long py, long px, float *out, long oh, long ow, float bias, int activation, float lo, float hi) {
    return planes_at(level, x, 1, ih, iw, w, kh, kw, sy, sx, dy, dx, py, px, &bias, out, oh, ow, activation, lo, hi);
}

int whittle_depthwise2d_planes_f32(
    const float *x, long planes, long ih, long iw, const float *w, long kh, long kw, long sy, long sx, long dy, long dx,
    long py, long px, const float *bias, float *out, long oh, long ow, int activation, float lo, float hi) {
    return planes_at(best_level(), x, planes, ih, iw, w, kh, kw, sy, sx, dy, dx, py, px, bias, out, oh, ow, activation, lo, hi);
}

#else

int whittle_depthwise2d_f32_at(
    int level, const float *x, long ih, long iw, const float *w, long kh, long kw, long sy, long sx, long dy, long dx,
    long py, long px, float *out, long oh, long ow, float bias, int activation, float lo, float hi) {
    (void)level; (void)x; (void)ih; (void)iw; (void)w; (void)kh; (void)kw; (void)sy; (void)sx; (void)dy; (void)dx;
    (void)py; (void)px; (void)out; (void)oh; (void)ow; (void)bias; (void)activation; (void)lo; (void)hi;
    return 0;
}

int whittle_depthwise2d_planes_f32(
    const float *x, long planes, long ih, long iw, const float *w, long kh, long kw, long sy, long sx, long dy, long dx,
    long py, long px, const float *bias, float *out, long oh, long ow, int activation, float lo, float hi) {
    (void)x; (void)planes; (void)ih; (void)iw; (void)w; (void)kh; (void)kw; (void)sy; (void)sx; (void)dy; (void)dx;
    (void)py; (void)px; (void)bias; (void)out; (void)oh; (void)ow; (void)activation; (void)lo; (void)hi;
    return 0;
}

#endif
