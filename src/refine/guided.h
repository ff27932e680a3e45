/*
 * The kernels of the guided refine stage (guided.c), visible to the unit
 * tests, each with the plain C reference it is tested against (the
 * coefficient and row kernels are their own reference: plain loops; the
 * whole filter is tested against a direct double-precision one).
 */
#ifndef BACKDROP_REFINE_GUIDED_H
#define BACKDROP_REFINE_GUIDED_H

#include "../internal.h"

/* Box means of 'channels' interleaved planes (value (x, y, c) at
 * [(y * w + x) * channels + c]): dst = the mean over the (2r+1)^2 window
 * around each pixel, cut to the picture. dst must not overlap src.
 * scratch: bd_box_mean_scratch(w, channels) bytes. Running sums: O(1) per
 * value whatever r; the channels run side by side, so that several planes
 * cost little more than one. */
#define BD_BOX_MAX_CHANNELS 16
size_t bd_box_mean_scratch(int w, int channels);
void bd_box_mean(const float *src, float *dst, int w, int h, int channels, int r, float *scratch);
/* The same by direct summation, in double. */
void bd_box_mean_ref(const float *src, float *dst, int w, int h, int channels, int r);

/* The box means of one grid pixel, luma guide I (4 values). */
enum { GL_I, GL_P, GL_IP, GL_II };
/* The same for a three-channel guide I0..I2 (GUIDED_TERMS values, the last
 * three unused, so that a pixel is a whole number of vectors). */
enum {
    GC_I0, GC_I1, GC_I2, GC_P, GC_I0P, GC_I1P, GC_I2P, GC_I00, GC_I01, GC_I02, GC_I11, GC_I12, GC_I22,
    GUIDED_TERMS = 16
};

/* The linear coefficients from the means of n grid pixels:
 *   luma:   a = cov(I, p) / (var(I) + eps),          b = mean_p - a mean_I
 *   colour: a = (cov(I) + eps 1)^-1 cov(I, p) (3x3),  b = mean_p - a . mean_I
 * coef: per pixel a then b (2 values, or 4). */
void bd_guided_coefficients1(const float *mean, float *coef, size_t n, float eps);
void bd_guided_coefficients3(const float *mean, float *coef, size_t n, float eps);

/* One output row, q clamped to [-1, 2]; coef holds planar rows (a, b) or
 * (a0, a1, a2, b) of width values each.
 *   luma:   q = a guide / 255 + b
 *   colour: q = (a0 g0 + a1 g1 + a2 g2) / 255 + b, pixel x reading
 *           g0..g2 at [x * step] (packed bytes: step 3). */
void bd_guided_apply_row(float *q, const float *coef, const uint8_t *guide, int width);
void bd_guided_apply_row3(float *q, const float *coef, int width, const uint8_t *g0, const uint8_t *g1,
                          const uint8_t *g2, int step);

/* Luma of packed RGB (BGR when bgr) bytes by the BT.601 weights in 1/256:
 * (77 R + 150 G + 29 B + 128) >> 8. Also the bilateral stage's guide. */
void bd_packed_luma_row(uint8_t *out, const uint8_t *px, int width, int bgr);

#endif
