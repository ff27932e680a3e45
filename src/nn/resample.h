/*
 * Between frames and network tensors, on the library's resampler
 * (src/scale.h).
 *
 * Frame -> tensor: a rectangle of the frame (real-valued, in luma pixels) is
 * resampled into a rectangle of the float RGB tensor (values in [0, 1],
 * NHWC, 3 channels), in one pass, with the AREA kernel: area weighting when
 * shrinking, bilinear when enlarging. YUV 4:2:0 frames are resampled per
 * plane (chroma on its own half-size grid) and converted to RGB at tensor
 * size: averaging and the affine YUV->RGB map commute, so this equals
 * converting first, at a fraction of the cost. Tensor pixels outside the
 * destination rectangle keep what the caller put there (padding).
 *
 * Tensor -> alpha: the probability map's rectangle is upsampled to the
 * frame with the BILINEAR kernel (half-pixel centres) and mapped to alpha
 * 0..255 by a threshold with a soft ramp.
 *
 * All tables are built once per shape (init); running allocates nothing.
 */
#ifndef BACKDROP_NN_RESAMPLE_H
#define BACKDROP_NN_RESAMPLE_H

#include "../internal.h"
#include "../scale.h"

typedef struct NnRect {
    double x, y, w, h;
} NnRect;

typedef struct NnFrameToTensor {
    BackdropPixelFormat format;
    int tensor_w;                 /* tensor row pitch in pixels */
    int dst_x, dst_y, dst_w, dst_h;
    BdScaler luma;                /* or the packed RGB picture (3 channels) */
    BdScaler chroma[2];           /* YUV420P only: U, V */
    float *rows;                  /* one tensor row of each channel: 3 x dst_w floats (0..255) */
    /* Tensor value of a YUV sample: r = ky*(Y - y0) + krv*(V - 128), ... , already / 255. */
    float ky, y0, krv, kgu, kgv, kbu;
} NnFrameToTensor;

/* range and matrix matter for YUV420P only. src must lie inside the frame. */
int nn_frame_to_tensor_init(NnFrameToTensor *p, BackdropPixelFormat format, BackdropColorRange range,
                            BackdropColorMatrix matrix, int frame_w, int frame_h, NnRect src,
                            int tensor_w, int dst_x, int dst_y, int dst_w, int dst_h);
/* The same with room to move: nn_frame_to_tensor_move re-points it at any
 * rectangle of the frame up to max_w x max_h luma pixels without
 * allocating (a window that follows the subject, framing track); what it
 * then writes is bit-identical to a resampler built for that rectangle. */
int nn_frame_to_tensor_init_movable(NnFrameToTensor *p, BackdropPixelFormat format, BackdropColorRange range,
                                    BackdropColorMatrix matrix, int frame_w, int frame_h, NnRect src,
                                    int tensor_w, int dst_x, int dst_y, int dst_w, int dst_h, double max_w,
                                    double max_h);
/* 0, or BACKDROP_EINVAL (outside the frame, or larger than the room; the
 * resampler is unchanged). */
int nn_frame_to_tensor_move(NnFrameToTensor *p, NnRect src);
void nn_frame_to_tensor_run(NnFrameToTensor *p, const BackdropFrame *frame, float *tensor);
/* The affine map from the frame's channels (Y, U, V, or the packed bytes
 * in memory order; each / 255) to the tensor's R, G, B, before clamping:
 * rgb[c] = sum_k m[c][k] frame[k] + m[c][3]. */
void nn_frame_to_tensor_affine(const NnFrameToTensor *p, float m[3][4]);
void nn_frame_to_tensor_free(NnFrameToTensor *p);

typedef struct NnTensorToAlpha {
    int frame_w, frame_h;
    int map_w;                 /* probability map row pitch */
    BdScaler scaler;           /* the map rectangle -> frame_w x frame_h, bilinear */
    float *row;                /* one frame row of probabilities */
} NnTensorToAlpha;

/* The map rectangle (x, y, w, h) covers the whole frame. */
int nn_tensor_to_alpha_init(NnTensorToAlpha *p, int map_w, int map_h, int x, int y, int w, int h,
                            int frame_w, int frame_h);
/* alpha = 255 * clamp((p - (threshold - softness/2)) / softness, 0, 1), rounded;
 * softness 0 gives a hard step (p > threshold). */
void nn_tensor_to_alpha_run(NnTensorToAlpha *p, const float *map, float threshold, float softness,
                            uint8_t *alpha, ptrdiff_t alpha_stride);
void nn_tensor_to_alpha_free(NnTensorToAlpha *p);

/* One row of the same mapping: probabilities (each in [-1, 2]) to alpha. */
void nn_prob_to_alpha_row(uint8_t *alpha, const float *prob, int width, float threshold, float softness);

#endif
