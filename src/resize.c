/*
 * Area resampling with OpenCV's INTER_AREA rules, so that seed-compat mode
 * prepares the background exactly as the tutorial's cv2.resize(...,
 * INTER_AREA) does (to rounding):
 *
 *  - shrinking an axis (source/destination ratio s >= 1): destination pixel
 *    d covers the source interval [d*s, (d+1)*s); each source pixel weighs
 *    by its overlap with it, divided by the interval's length (shortened at
 *    the image edge). Overlaps under 1e-3 pixel are ignored, as OpenCV does.
 *  - enlarging an axis (s < 1): two taps, src = floor(d*s) and src + 1, with
 *    the fraction f = (d+1) - (src+1)/s wrapped into [0, 1); this keeps
 *    pixels crisp except at the seams between source pixels.
 *
 * OpenCV uses those enlarging rules for both axes as soon as one axis
 * enlarges; here each axis follows its own rule. The two agree whenever both
 * axes shrink or both enlarge, which is every case the tutorial has.
 *
 * The filter is separable: each destination row is a weighted sum of
 * horizontally resampled source rows, accumulated in float and rounded once.
 * This runs when a background is prepared, not per frame.
 */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

typedef struct Taps {
    int *first;   /* per destination index: index of its first tap */
    int *count;   /* per destination index: number of taps */
    int *source;  /* per tap: source index (relative to the rectangle) */
    float *weight;
} Taps;

static void taps_free(Taps *t)
{
    free(t->first);
    free(t->count);
    free(t->source);
    free(t->weight);
}

/* Builds the taps for one axis: dst_len destination pixels from src_len
 * source pixels. Returns 0 or BACKDROP_ENOMEM. */
static int taps_build(Taps *t, int dst_len, int src_len)
{
    double scale = (double)src_len / dst_len;
    /* A box of width s touches at most ceil(s) + 1 pixels. */
    size_t max_taps = scale >= 1.0 ? (size_t)ceil(scale) + 1 : 2;
    t->first = malloc(sizeof(int) * (size_t)dst_len);
    t->count = malloc(sizeof(int) * (size_t)dst_len);
    t->source = malloc(sizeof(int) * (size_t)dst_len * max_taps);
    t->weight = malloc(sizeof(float) * (size_t)dst_len * max_taps);
    if (!t->first || !t->count || !t->source || !t->weight) {
        taps_free(t);
        return BACKDROP_ENOMEM;
    }
    int n = 0;
    for (int d = 0; d < dst_len; d++) {
        t->first[d] = n;
        if (scale >= 1.0) {
            double start = d * scale, end = start + scale;
            int inner_start = (int)ceil(start), inner_end = (int)floor(end);
            if (inner_end > src_len - 1)
                inner_end = src_len - 1;
            if (inner_start > inner_end)
                inner_start = inner_end;
            double cell = scale < src_len - start ? scale : src_len - start;
            if (inner_start - start > 1e-3) {
                t->source[n] = inner_start - 1;
                t->weight[n++] = (float)((inner_start - start) / cell);
            }
            for (int s = inner_start; s < inner_end; s++) {
                t->source[n] = s;
                t->weight[n++] = (float)(1.0 / cell);
            }
            if (end - inner_end > 1e-3) {
                double part = end - inner_end < 1.0 ? end - inner_end : 1.0;
                if (part > cell)
                    part = cell;
                t->source[n] = inner_end;
                t->weight[n++] = (float)(part / cell);
            }
        } else {
            int s = (int)floor(d * scale);
            double f = (d + 1) - (s + 1) / scale;
            f = f <= 0 ? 0 : f - floor(f);
            if (s >= src_len - 1) {
                s = src_len - 1;
                f = 0;
            }
            t->source[n] = s;
            t->weight[n++] = (float)(1.0 - f);
            if (f > 0) {
                t->source[n] = s + 1;
                t->weight[n++] = (float)f;
            }
        }
        t->count[d] = n - t->first[d];
    }
    return 0;
}

int bd_resize_area(const BackdropFrame *dst, int dx, int dy, int dw, int dh,
                   const BackdropFrame *src, int sx, int sy, int sw, int sh)
{
    int channels = bd_pixel_size(src->format);
    Taps tx = { 0 }, ty = { 0 };
    int err = taps_build(&tx, dw, sw);
    if (err < 0)
        return err;
    if ((err = taps_build(&ty, dh, sh)) < 0) {
        taps_free(&tx);
        return err;
    }
    float *row = malloc(sizeof(float) * (size_t)dw * channels);
    float *acc = malloc(sizeof(float) * (size_t)dw * channels);
    if (!row || !acc) {
        err = BACKDROP_ENOMEM;
        goto done;
    }
    for (int y = 0; y < dh; y++) {
        for (int i = 0; i < dw * channels; i++)
            acc[i] = 0.0f;
        for (int k = ty.first[y]; k < ty.first[y] + ty.count[y]; k++) {
            const uint8_t *in = src->data[0] + (sy + ty.source[k]) * src->stride[0] + (ptrdiff_t)sx * channels;
            for (int x = 0; x < dw; x++) {
                for (int c = 0; c < channels; c++) {
                    float sum = 0.0f;
                    for (int j = tx.first[x]; j < tx.first[x] + tx.count[x]; j++)
                        sum += tx.weight[j] * in[tx.source[j] * channels + c];
                    row[x * channels + c] = sum;
                }
            }
            for (int i = 0; i < dw * channels; i++)
                acc[i] += ty.weight[k] * row[i];
        }
        uint8_t *out = dst->data[0] + (dy + y) * dst->stride[0] + (ptrdiff_t)dx * channels;
        for (int i = 0; i < dw * channels; i++) {
            /* lrintf rounds half to even, like OpenCV's saturate_cast. */
            long v = lrintf(acc[i]);
            out[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
done:
    free(row);
    free(acc);
    taps_free(&tx);
    taps_free(&ty);
    return err;
}
