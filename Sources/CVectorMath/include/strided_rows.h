// Row loops that step through their input two elements at a time (stride-2 windows), which the
// Swift loops cannot vectorize: 2-D max pooling and im2col's strided row copy. AVX-512 splits
// each 32-element load into its even and odd lanes.
#ifndef WHITTLE_STRIDED_ROWS_H
#define WHITTLE_STRIDED_ROWS_H

/// One [ih, iw] plane of a 2-D max pool into [oh, ow]: out[oy, ox] is the largest of the taps
/// x[oy*sy - py + ky, ox*sx - px + kx] inside the plane, compared as `v > best ? v : best` from
/// -infinity (so NaN never wins and an all-padding window gives -infinity). Returns 0, writing
/// nothing, without AVX-512F, for strides other than 1 and 2, or kernels wider than 16.
int whittle_max_pool2d_f32(
    const float *x, long ih, long iw, long kh, long kw, long sy, long sx, long py, long px, float *out, long oh, long ow);

/// dst[j] = src[2 j] for j in [0, n). Returns 0, writing nothing, without AVX-512F.
int whittle_copy_even_f32(const float *src, long n, float *dst);

#endif
