#include "winograd.h"

#include <stdlib.h>

void whittle_winograd_weights_f32(const float *g, long m, long c, float *u) {
    long planes = m * c;
    for (long i = 0; i < planes; i++) {
        const float *k = g + i * 9;
        float t[4][3];
        // G g: rows g0, (g0+g1+g2)/2, (g0-g1+g2)/2, g2, per column.
        for (int j = 0; j < 3; j++) {
            float a = k[j], b = k[3 + j], d = k[6 + j];
            t[0][j] = a;
            t[1][j] = 0.5f * (a + b + d);
            t[2][j] = 0.5f * (a - b + d);
            t[3][j] = d;
        }
        for (int r = 0; r < 4; r++) {
            float a = t[r][0], b = t[r][1], d = t[r][2];
            float row[4] = {a, 0.5f * (a + b + d), 0.5f * (a - b + d), d};
            for (int s = 0; s < 4; s++) u[(r * 4 + s) * planes + i] = row[s];
        }
    }
}

// One tile row: the 16 transformed values of tiles [0, n), from the even and odd columns of four
// padded input rows (ev[k][t] = row k at column 2t, od[k][t] at 2t + 1), so every load and store
// walks memory in order and the loop vectorizes.
static void input_tile_row(const float *const ev[4], const float *const od[4], long n, float *const out[16]) {
    float *restrict o[16];
    for (int k = 0; k < 16; k++) o[k] = out[k];
    for (long t = 0; t < n; t++) {
        float d[4][4];
        for (int r = 0; r < 4; r++) {
            d[r][0] = ev[r][t];
            d[r][1] = od[r][t];
            d[r][2] = ev[r][t + 1];
            d[r][3] = od[r][t + 1];
        }
        // B^T d B with B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]: rows first, then columns.
        float u[4][4];
        for (int s = 0; s < 4; s++) {
            u[0][s] = d[0][s] - d[2][s];
            u[1][s] = d[1][s] + d[2][s];
            u[2][s] = d[2][s] - d[1][s];
            u[3][s] = d[1][s] - d[3][s];
        }
        for (int r = 0; r < 4; r++) {
            o[r * 4 + 0][t] = u[r][0] - u[r][2];
            o[r * 4 + 1][t] = u[r][1] + u[r][2];
            o[r * 4 + 2][t] = u[r][2] - u[r][1];
            o[r * 4 + 3][t] = u[r][1] - u[r][3];
        }
    }
}

// dst[j] = src[2j + offset] where that lies in [0, w), else 0 (all zeros when src is NULL).
static void split_columns(const float *src, long w, long offset, long n, float *dst) {
    long lo = offset >= 0 ? 0 : (1 - offset) / 2;
    long hi = w - 1 - offset < 0 ? 0 : (w - 1 - offset) / 2 + 1;
    if (!src || lo > n) lo = n;
    if (hi > n) hi = n;
    if (hi < lo) hi = lo;
    for (long j = 0; j < lo; j++) dst[j] = 0.0f;
    for (long j = lo; j < hi; j++) dst[j] = src[2 * j + offset];
    for (long j = hi; j < n; j++) dst[j] = 0.0f;
}

static void input_scalar(
    const float *x, long c0, long c1, long channels, long h, long w, long padTop, long padLeft, long tilesH, long tilesW, float *v) {
    long tiles = tilesH * tilesW;
    long planeStride = channels * tiles;
    // Four zero-padded input rows per tile row, split into even and odd columns.
    long half = tilesW + 1;
    float *buffer = malloc(sizeof(float) * 8 * half);
    if (!buffer) return;
    const float *ev[4], *od[4];
    for (int r = 0; r < 4; r++) {
        ev[r] = buffer + (2 * r) * half;
        od[r] = buffer + (2 * r + 1) * half;
    }
    for (long c = c0; c < c1; c++) {
        const float *plane = x + c * h * w;
        for (long ty = 0; ty < tilesH; ty++) {
            for (int r = 0; r < 4; r++) {
                float *e = buffer + (2 * r) * half, *o = buffer + (2 * r + 1) * half;
                long iy = 2 * ty - padTop + r;
                const float *src = iy >= 0 && iy < h ? plane + iy * w : 0;
                split_columns(src, w, -padLeft, half, e);
                split_columns(src, w, 1 - padLeft, half, o);
            }
            float *out[16];
            for (int k = 0; k < 16; k++) out[k] = v + k * planeStride + c * tiles + ty * tilesW;
            input_tile_row(ev, od, tilesW, out);
        }
    }
    free(buffer);
}

static void output_scalar(
    const float *mp, long o0, long o1, long outputs, long tilesH, long tilesW, long oh, long ow, const float *bias, float *y) {
    long tiles = tilesH * tilesW;
    long planeStride = outputs * tiles;
    for (long o = o0; o < o1; o++) {
        const float *in = mp + o * tiles;
        float *plane = y + o * oh * ow;
        float b = bias ? bias[o] : 0.0f;
        for (long ty = 0; ty < tilesH; ty++) {
            for (long tx = 0; tx < tilesW; tx++) {
                long tile = ty * tilesW + tx;
                float m[4][4];
                for (int k = 0; k < 16; k++) m[k / 4][k % 4] = in[k * planeStride + tile];
                // A^T m A with A^T = [1 1 1 0; 0 1 -1 -1].
                float t[2][4];
                for (int s = 0; s < 4; s++) {
                    t[0][s] = m[0][s] + m[1][s] + m[2][s];
                    t[1][s] = m[1][s] - m[2][s] - m[3][s];
                }
                long oy = 2 * ty, ox = 2 * tx;
                for (int r = 0; r < 2 && oy + r < oh; r++) {
                    float *row = plane + (oy + r) * ow + ox;
                    row[0] = b + (t[r][0] + t[r][1] + t[r][2]);
                    if (ox + 1 < ow) row[1] = b + (t[r][1] - t[r][2] - t[r][3]);
                }
            }
        }
    }
}

#if defined(__x86_64__) && defined(__clang__)
#include "avx512_support.h"

// 16 tiles of one tile row at once: each input row gives the tiles' four columns as the even and
// odd lanes of the 32 elements at 2 tx and at 2 tx + 2 (masked loads read zeros outside the
// plane), and the 16 transformed values are stored as vectors. Same adds in the same order as
// the scalar loop, so the same bits.
AVX512 static void input_avx512(
    const float *x, long c0, long c1, long channels, long h, long w, long padTop, long padLeft, long tilesH, long tilesW, float *v) {
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    long tiles = tilesH * tilesW, planeStride = channels * tiles;
    for (long c = c0; c < c1; c++) {
        const float *plane = x + c * h * w;
        for (long ty = 0; ty < tilesH; ty++) {
            for (long tx = 0; tx < tilesW; tx += 16) {
                long start = 2 * tx - padLeft;
                __mmask16 m0 = whittle_lanes_inside(start, w), m1 = whittle_lanes_inside(start + 16, w);
                __mmask16 m2 = whittle_lanes_inside(start + 2, w), m3 = whittle_lanes_inside(start + 18, w);
                __m512 d[4][4];
                for (int r = 0; r < 4; r++) {
                    long iy = 2 * ty - padTop + r;
                    if (iy < 0 || iy >= h) {
                        d[r][0] = d[r][1] = d[r][2] = d[r][3] = _mm512_setzero_ps();
                        continue;
                    }
                    const float *p = plane + iy * w + start;
                    __m512 a = _mm512_maskz_loadu_ps(m0, p), b = _mm512_maskz_loadu_ps(m1, p + 16);
                    __m512 a2 = _mm512_maskz_loadu_ps(m2, p + 2), b2 = _mm512_maskz_loadu_ps(m3, p + 18);
                    d[r][0] = _mm512_permutex2var_ps(a, even, b);
                    d[r][1] = _mm512_permutex2var_ps(a, odd, b);
                    d[r][2] = _mm512_permutex2var_ps(a2, even, b2);
                    d[r][3] = _mm512_permutex2var_ps(a2, odd, b2);
                }
                __m512 u[4][4];
                for (int q = 0; q < 4; q++) {
                    u[0][q] = _mm512_sub_ps(d[0][q], d[2][q]);
                    u[1][q] = _mm512_add_ps(d[1][q], d[2][q]);
                    u[2][q] = _mm512_sub_ps(d[2][q], d[1][q]);
                    u[3][q] = _mm512_sub_ps(d[1][q], d[3][q]);
                }
                long count = tilesW - tx < 16 ? tilesW - tx : 16;
                __mmask16 store = (__mmask16)((1u << count) - 1u);
                float *o = v + c * tiles + ty * tilesW + tx;
                for (int r = 0; r < 4; r++) {
                    _mm512_mask_storeu_ps(o + (r * 4 + 0) * planeStride, store, _mm512_sub_ps(u[r][0], u[r][2]));
                    _mm512_mask_storeu_ps(o + (r * 4 + 1) * planeStride, store, _mm512_add_ps(u[r][1], u[r][2]));
                    _mm512_mask_storeu_ps(o + (r * 4 + 2) * planeStride, store, _mm512_sub_ps(u[r][2], u[r][1]));
                    _mm512_mask_storeu_ps(o + (r * 4 + 3) * planeStride, store, _mm512_sub_ps(u[r][1], u[r][3]));
                }
            }
        }
    }
}

// 16 tiles of one tile row at once; each output row's two columns interleave into 32
// consecutive outputs, stored masked to the plane's width. Same adds as the scalar loop.
AVX512 static void output_avx512(
    const float *mp, long o0, long o1, long outputs, long tilesH, long tilesW, long oh, long ow, const float *bias, float *y) {
    const __m512i low = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i high = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
    long tiles = tilesH * tilesW, planeStride = outputs * tiles;
    for (long o = o0; o < o1; o++) {
        const float *in = mp + o * tiles;
        float *plane = y + o * oh * ow;
        __m512 b = _mm512_set1_ps(bias ? bias[o] : 0.0f);
        for (long ty = 0; ty < tilesH; ty++) {
            for (long tx = 0; tx < tilesW; tx += 16) {
                long count = tilesW - tx < 16 ? tilesW - tx : 16;
                __mmask16 load = (__mmask16)((1u << count) - 1u);
                const float *src = in + ty * tilesW + tx;
                __m512 m[4][4];
                for (int k = 0; k < 16; k++) m[k / 4][k % 4] = _mm512_maskz_loadu_ps(load, src + k * planeStride);
                __m512 t[2][4];
                for (int q = 0; q < 4; q++) {
                    t[0][q] = _mm512_add_ps(_mm512_add_ps(m[0][q], m[1][q]), m[2][q]);
                    t[1][q] = _mm512_sub_ps(_mm512_sub_ps(m[1][q], m[2][q]), m[3][q]);
                }
                long ox = 2 * tx;
                __mmask16 s0 = whittle_lanes_inside(ox, ow), s1 = whittle_lanes_inside(ox + 16, ow);
                for (int r = 0; r < 2; r++) {
                    long oy = 2 * ty + r;
                    if (oy >= oh) break;
                    __m512 left = _mm512_add_ps(b, _mm512_add_ps(_mm512_add_ps(t[r][0], t[r][1]), t[r][2]));
                    __m512 right = _mm512_add_ps(b, _mm512_sub_ps(_mm512_sub_ps(t[r][1], t[r][2]), t[r][3]));
                    float *row = plane + oy * ow + ox;
                    _mm512_mask_storeu_ps(row, s0, _mm512_permutex2var_ps(left, low, right));
                    _mm512_mask_storeu_ps(row + 16, s1, _mm512_permutex2var_ps(left, high, right));
                }
            }
        }
    }
}

static int avx512_supported(void) { return whittle_avx512_supported(); }
#else
static int avx512_supported(void) { return 0; }
#define input_avx512 input_scalar
#define output_avx512 output_scalar
#endif

int whittle_winograd_input_f32_at(
    int level, const float *x, long c0, long c1, long channels, long h, long w, long padTop, long padLeft, long tilesH, long tilesW,
    float *v) {
    if (level == 2 && !avx512_supported()) return 0;
    (level == 2 ? input_avx512 : input_scalar)(x, c0, c1, channels, h, w, padTop, padLeft, tilesH, tilesW, v);
    return 1;
}

void whittle_winograd_input_f32(
    const float *x, long c0, long c1, long channels, long h, long w, long padTop, long padLeft, long tilesH, long tilesW, float *v) {
    whittle_winograd_input_f32_at(avx512_supported() ? 2 : 0, x, c0, c1, channels, h, w, padTop, padLeft, tilesH, tilesW, v);
}

int whittle_winograd_output_f32_at(
    int level, const float *mp, long o0, long o1, long outputs, long tilesH, long tilesW, long oh, long ow, const float *bias, float *y) {
    if (level == 2 && !avx512_supported()) return 0;
    (level == 2 ? output_avx512 : output_scalar)(mp, o0, o1, outputs, tilesH, tilesW, oh, ow, bias, y);
    return 1;
}

void whittle_winograd_output_f32(
    const float *mp, long o0, long o1, long outputs, long tilesH, long tilesW, long oh, long ow, const float *bias, float *y) {
    whittle_winograd_output_f32_at(avx512_supported() ? 2 : 0, mp, o0, o1, outputs, tilesH, tilesW, oh, ow, bias, y);
}
