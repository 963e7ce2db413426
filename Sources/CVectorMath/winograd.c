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

void whittle_winograd_input_f32(
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

void whittle_winograd_output_f32(
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
