// Activation loops with AVX2 + FMA, chosen at run time: the Swift kernels are compiled for
// baseline x86-64 (4-lane SSE), which halves their throughput on the CPUs inference runs on.
#ifndef WHITTLE_VECTOR_MATH_H
#define WHITTLE_VECTOR_MATH_H

#include <stddef.h>

/// dst[i] = 1 / (1 + exp(-alpha * src[i])) * (multiply ? src[i] : 1) for i < count, with
/// AVX-512 (a refined reciprocal) or AVX2 + FMA (a divide); returns 0 (and writes nothing)
/// without either, so the caller runs its own loop.
int whittle_sigmoid_f32(const float *src, float *dst, size_t count, float alpha, int multiply);

/// The same at a chosen level (1: AVX2 + FMA, 2: AVX-512, falling back to 1), for tests.
int whittle_sigmoid_f32_at(int level, const float *src, float *dst, size_t count, float alpha, int multiply);

/// dst[i] = erf(src[i]) and tanh(src[i]) (the Swift VectorMath approximations, with FMA); 0
/// without AVX2 + FMA.
int whittle_erf_f32(const float *src, float *dst, size_t count);
int whittle_tanh_f32(const float *src, float *dst, size_t count);

/// One contiguous softmax row (log-softmax when `logarithm`): the row's maximum skipping NaNs,
/// exp(x - max) and its sum, then the scaling; 0 without AVX2 + FMA or for an empty row.
int whittle_softmax_row_f32(const float *src, float *dst, size_t count, int logarithm);

/// In place: p[i] < 0 ? 0 : p[i] (Relu), and min(max(p[i], lo), hi) with Swift's NaN rule
/// (Clip); 0 without AVX2 + FMA.
int whittle_relu_f32(float *p, size_t count);
int whittle_clip_f32(float *p, size_t count, float lo, float hi);

/// The min, max and sum of the finite elements of src (NaN and infinities skipped; +inf, -inf
/// and 0 when there are none), summed in a fixed order for the CPU's vector width (AVX-512 or
/// AVX2); 0 without either.
int whittle_finite_min_max_sum_f32(const float *src, size_t count, float *low, float *high, float *sum);

/// The sum of src, in a fixed order (AVX2 lanes, then the tail); 0 without AVX2 + FMA.
int whittle_sum_f32(const float *src, size_t count, float *sum);

#endif
