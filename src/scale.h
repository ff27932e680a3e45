/*
 * The library's one resampler: separable, with a table of taps per axis
 * built once per shape (source size, source rectangle, destination size,
 * kernel) and kept in the caller's state; running it allocates nothing.
 *
 * Its users: the background fit (bd_resize_area, OpenCV's INTER_AREA for
 * seed-compat), the neural method's model input (frame -> tensor, area)
 * and its matte (probabilities -> alpha, bilinear); see src/nn/resample.c.
 *
 * A table maps each destination index d to source samples: tap k of d
 * reads source index source[k * length + d] with weight
 * weight[k * length + d] (tap-major, so that a pass over a row runs along
 * d with unit stride). Every index has 'taps' taps, the most any index
 * needs; an index with fewer (count[d]) repeats its last source with
 * weight 0, which adds exactly 0 to a sum of non-negative terms.
 *
 * Kernels. Each is defined by its taps and by the float arithmetic that
 * applies them, both fixed: the three users' results are bit-identical to
 * what they were before this module, which seed-compat (the tutorial's
 * OpenCV output) and the selfie goldens and quality figures rely on.
 *
 *  BD_KERNEL_OPENCV_AREA  OpenCV's INTER_AREA on a whole-pixel rectangle,
 *      which it treats as an image of its own (nothing outside is read).
 *      Shrinking an axis (ratio s = source / destination >= 1):
 *      destination d covers [d s, (d + 1) s); each source pixel weighs its
 *      overlap with it divided by the interval's length (shortened at the
 *      rectangle's end); overlaps under 1e-3 pixel are ignored, as OpenCV
 *      does. Enlarging (s < 1): src = floor(d s) and src + 1, with
 *      f = (d + 1) - (src + 1) / s wrapped into [0, 1); crisp pixels
 *      except at the seams between source pixels. (OpenCV takes the
 *      enlarging rule for both axes as soon as one axis enlarges; here each
 *      axis follows its own rule. They agree whenever both axes shrink or
 *      both enlarge, which is every case seed-compat has.)
 *      Applied columns first, then rows, each as sum_k w_k x_k in tap
 *      order, in float (as bd_resize_area has always computed it).
 *  BD_KERNEL_AREA  a real-valued source rectangle (a crop at fractional
 *      pixels). Shrinking (s > 1): every source pixel the interval
 *      [start + d s, start + (d + 1) s) overlaps, weighted by the overlap
 *      / s. Otherwise bilinear between the two nearest source centres
 *      (half-pixel centres), weights 1 - f and f. Indices are clamped to
 *      the source line, so pixels just outside a fractional rectangle
 *      count with their overlap. Applied rows first (each source row is
 *      read once when the destination has fewer rows), then columns, each
 *      as sum_k w_k x_k in tap order.
 *  BD_KERNEL_BILINEAR  bilinear with half-pixel centres on a whole-pixel
 *      rectangle whose edge values hold beyond its outer centres (nothing
 *      outside it is read: around the matte's map rectangle lie the
 *      network's answers for padding). Two taps, i0 and i0 + 1 (i0 again
 *      when the rectangle is one pixel wide), weight[1] = f; applied
 *      columns first, then rows, each as a + f (b - a).
 *
 * Rows and columns: a picture is 'channels' interleaved samples per pixel
 * (3 for packed RGB/BGR, 1 for a plane of Y, U or V, or probabilities);
 * sample (x, y, c) is at plane[y * stride + x * channels + c], stride in
 * elements and possibly negative. A destination row comes out as floats,
 * planar: out[c * dst_w + x], before any rounding; the caller converts.
 */
#ifndef BACKDROP_SCALE_H
#define BACKDROP_SCALE_H

#include "internal.h"

typedef enum BdKernel {
    BD_KERNEL_OPENCV_AREA,
    BD_KERNEL_AREA,
    BD_KERNEL_BILINEAR,
} BdKernel;

typedef struct BdTaps {
    BdKernel kernel;
    int length;      /* destination indices */
    int taps;        /* taps per destination index */
    int *count;      /* per destination index: taps that carry weight */
    int *source;     /* taps x length, tap-major: tap k of d at [k * length + d] */
    float *weight;   /* taps x length, same layout */
    int first, last; /* smallest and largest source index read */
    /* Room for re-pointing the table (bd_taps_move) without allocating:
     * the line's length, the longest interval, taps per index the arrays
     * hold (>= taps), and one index's taps before they are laid out. */
    int limit;
    double max_span;
    int room;
    int *scratch_source;
    float *scratch_weight;
} BdTaps;

/* The taps of 'length' destination indices covering the source interval
 * [start, start + span) of a line of 'limit' samples. OPENCV_AREA and
 * BILINEAR need whole-pixel intervals. Returns 0, BACKDROP_EINVAL (empty
 * line or interval, or an interval outside the line) or BACKDROP_ENOMEM. */
int bd_taps_init(BdTaps *t, BdKernel kernel, int length, double start, double span, int limit);
/* The same table for another interval of the same line, no longer than the
 * one it was built for; allocates nothing. The taps are exactly those
 * bd_taps_init would give. 0 or BACKDROP_EINVAL (table unchanged). */
int bd_taps_move(BdTaps *t, double start, double span);
void bd_taps_free(BdTaps *t);

/* Source rectangle in source pixels. */
typedef struct BdScaleRect {
    double x, y, w, h;
} BdScaleRect;

/* A rectangle of a source picture to a destination of dst_w x dst_h: the
 * two tables and the scratch that applying them needs. */
typedef struct BdScaler {
    BdTaps x, y;
    int channels;
    /* The source columns x reads, as floats: rows first, the weighted sum
     * of the source rows; columns first, a uint8 source row converted. */
    float *line;
    /* Columns first: source rows already resampled along x (each
     * channels x dst_w floats), in a ring of one slot per tap of y, with
     * the source row each slot holds (-1: none). Destination rows read
     * source rows in increasing order, a run of at most y.taps consecutive
     * ones, so each source row is resampled once per picture. */
    float *cache;
    int *cached_row;
    const void **tap_rows; /* the source rows of one destination row's taps */
    float *row;      /* bd_scaler_run_u8: one destination row */
} BdScaler;

int bd_scaler_init(BdScaler *s, BdKernel kernel, int channels, int src_w, int src_h, BdScaleRect src, int dst_w,
                   int dst_h);
void bd_scaler_free(BdScaler *s);
/* A scaler whose source rectangle may move (and shrink) while running:
 * bd_scaler_move re-points it at any rectangle up to max_w x max_h source
 * pixels without allocating (for a window that follows a subject). Its
 * output for a rectangle is bit-identical to a scaler built for it. */
int bd_scaler_init_movable(BdScaler *s, BdKernel kernel, int channels, int src_w, int src_h, BdScaleRect src,
                           int dst_w, int dst_h, double max_w, double max_h);
/* 0, or BACKDROP_EINVAL (rectangle outside the picture or larger than the
 * room; the scaler is unchanged). Not within a picture: between row 0s. */
int bd_scaler_move(BdScaler *s, BdScaleRect src);

/* Destination row d into out (channels x dst_w floats, planar). Rows of a
 * picture are asked for in increasing order, starting at 0 (which starts
 * a new picture); a scaler serves one picture at a time. */
void bd_scaler_row_u8(BdScaler *s, int d, const uint8_t *plane, ptrdiff_t stride, float *out);
void bd_scaler_row_f32(BdScaler *s, int d, const float *plane, ptrdiff_t stride, float *out);

/* The whole destination, each value rounded to nearest (halves to even,
 * as OpenCV's saturate_cast) and clamped to 0..255, interleaved like the
 * source: sample (x, y, c) at out[y * out_stride + x * channels + c]. */
void bd_scaler_run_u8(BdScaler *s, const uint8_t *plane, ptrdiff_t stride, uint8_t *out, ptrdiff_t out_stride);

#endif
