/*
 * Between frames and network tensors.
 *
 * Frame -> tensor: a rectangle of the frame (real-valued, in luma pixels) is
 * resampled into a rectangle of the float RGB tensor (values in [0, 1],
 * NHWC, 3 channels), in one pass, with area weighting when shrinking
 * (bilinear when enlarging). YUV 4:2:0 frames are resampled per plane
 * (chroma on its own half-size grid) and converted to RGB at tensor size:
 * averaging and the affine YUV->RGB map commute, so this equals converting
 * first, at a fraction of the cost. Tensor pixels outside the destination
 * rectangle keep what the caller put there (padding).
 *
 * Tensor -> alpha: the probability map's rectangle is upsampled to the
 * frame bilinearly (half-pixel centres) and mapped to alpha 0..255 by a
 * threshold with a soft ramp.
 *
 * All tables are built once per shape (init); running allocates nothing.
 */
#ifndef BACKDROP_NN_RESAMPLE_H
#define BACKDROP_NN_RESAMPLE_H

#include "../internal.h"

typedef struct AxisTaps {
    int *first;     /* per destination index: first tap */
    int *count;     /* per destination index: number of taps */
    int *source;    /* per tap: source index */
    float *weight;  /* per tap: weight; the taps of one index sum to 1 */
    int length;     /* destination indices */
} AxisTaps;

typedef struct NnRect {
    double x, y, w, h;
} NnRect;

typedef struct NnFrameToTensor {
    BackdropPixelFormat format;
    int frame_w, frame_h;
    int tensor_w;                 /* tensor row pitch in pixels */
    int dst_x, dst_y, dst_w, dst_h;
    AxisTaps luma_x, luma_y;      /* or the packed RGB grid */
    AxisTaps chroma_x, chroma_y;  /* YUV420P only */
    float *rows;                  /* scratch: one source row of floats (3 x frame_w) */
    float *planes;                /* scratch: 3 x dst_w x dst_h floats */
    /* Tensor value of a YUV sample: r = ky*(Y - y0) + krv*(V - 128), ... , already / 255. */
    float ky, y0, krv, kgu, kgv, kbu;
} NnFrameToTensor;

/* range and matrix matter for YUV420P only. src must lie inside the frame. */
int nn_frame_to_tensor_init(NnFrameToTensor *p, BackdropPixelFormat format, BackdropColorRange range,
                            BackdropColorMatrix matrix, int frame_w, int frame_h, NnRect src,
                            int tensor_w, int dst_x, int dst_y, int dst_w, int dst_h);
void nn_frame_to_tensor_run(NnFrameToTensor *p, const BackdropFrame *frame, float *tensor);
void nn_frame_to_tensor_free(NnFrameToTensor *p);

typedef struct NnTensorToAlpha {
    int frame_w, frame_h;
    int map_w;                 /* probability map row pitch */
    int src_x, src_w;          /* columns of the map covered */
    int *x0;                   /* per frame column: left map column (relative to src_x) */
    float *wx;                 /* per frame column: weight of x0 + 1 */
    int *y0;                   /* per frame row: upper map row (absolute) */
    float *wy;                 /* per frame row: weight of y0 + 1 */
    /* Scratch: two map rows upsampled to frame width, and which map rows
     * they hold (-1: none). Frame rows walk the map rows in order, so each
     * map row is upsampled horizontally once per frame. */
    float *up[2];
    int up_row[2];
} NnTensorToAlpha;

/* The map rectangle (x, y, w, h) covers the whole frame. */
int nn_tensor_to_alpha_init(NnTensorToAlpha *p, int map_w, int map_h, int x, int y, int w, int h,
                            int frame_w, int frame_h);
/* alpha = 255 * clamp((p - (threshold - softness/2)) / softness, 0, 1), rounded;
 * softness 0 gives a hard step (p > threshold). */
void nn_tensor_to_alpha_run(NnTensorToAlpha *p, const float *map, float threshold, float softness,
                            uint8_t *alpha, ptrdiff_t alpha_stride);
void nn_tensor_to_alpha_free(NnTensorToAlpha *p);

#endif
