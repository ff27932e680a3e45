/*
 * Robust Video Matting (MobileNetV3, Lin et al. 2022) as a static NnGraph:
 * what the model family adds to the TF.js file (format/tfjs.h) and its
 * specialisation (format/tfjs_specialise.h).
 *
 * The graph, for one frame size W x H and downsample ratio r:
 *   inputs   src [1,H,W,3] RGB in [0,1]; r1i..r4i, the recurrent state
 *            (state inputs: the engine zeroes them and feeds them back);
 *   outputs  fgr [1,H,W,3] foreground colour, pha [1,H,W,1] alpha, both
 *            in [0,1]; r1o..r4o, paired with r1i..r4i.
 * The encoder works at h x w = int(float32(H) * r) x int(float32(W) * r)
 * (ratio exactly 1: H x W, and no refiner); states are at h/2, /4, /8,
 * /16, rounded up. See shared/golden/rvm/README.md for the contract the
 * goldens pin down.
 */
#ifndef BACKDROP_NN_RVM_H
#define BACKDROP_NN_RVM_H

#include <stddef.h>
#include <stdint.h>

#include "format/tfjs.h"
#include "graph.h"

#define NN_RVM_STATES 4

/* The encoder's working size for a frame and ratio, as the graph computes
 * it. Returns 0, or BACKDROP_EINVAL when the ratio is not finite and
 * positive or the size comes out below 1 x 1 (or above the frame's
 * size times 4: the graph allows ratio > 1, we do not go past 4). */
int nn_rvm_internal_size(int width, int height, float ratio, int *w, int *h);

/* nn_rvm_build flag: below ratio 1, stop the graph before the refiner's
 * full-resolution part and output its coefficients instead of fgr and
 * pha (see NnRvmRefiner): "fgf_A" and "fgf_b", [1, h-2, w-2, 4]. */
#define NN_RVM_COEFFICIENTS 1u

/* Specialises the RVM model m for frames of width x height at ratio into
 * g (overwritten) and pairs each state output with its input. Returns 0
 * or a BACKDROP_E* code with a one-line reason in err (may be NULL); g is
 * empty on failure. */
int nn_rvm_build(NnGraph *g, const TfjsModel *m, int width, int height, float ratio, unsigned flags, char *err,
                 size_t errlen);

/* The last step of RVM's fast guided filter, done here instead of in the
 * graph: per channel k of the guide x = (R, G, B, (R+G+B)/3) at full
 * resolution, out_k = A_k(x, y) x_k + b_k(x, y), where A and b are the
 * low-resolution coefficients upsampled bilinearly (half-pixel centres,
 * as TF's ResizeBilinear); then pha = clamp(out_3, 0, 1) and fgr_c =
 * clamp(out_c + R/G/B, 0, 1). In the graph this is two full-size resizes
 * of 4 channels, a product, a sum, a split and four clamps, each a pass
 * over frame-sized tensors; here it is one pass that computes fgr only
 * where it is asked for (soft alpha). The graph (without
 * NN_RVM_COEFFICIENTS) is its oracle: tests/unit/test_rvm.c. */
typedef struct NnRvmRefiner {
    int width, height;       /* the frame (upright) */
    int coef_w, coef_h;      /* A and b: (w-2) x (h-2) */
    int *x0;                 /* per frame column: left tap (right: x0 + step[x]) */
    unsigned char *xstep;    /* 0 at the right edge, else 1 */
    float *fx;               /* weight of the right tap */
} NnRvmRefiner;

int nn_rvm_refiner_init(NnRvmRefiner *r, int width, int height, int coef_w, int coef_h);
void nn_rvm_refiner_free(NnRvmRefiner *r);
/* The vertical taps of frame row y: rows y0 and y0 + ystep, weight fy. */
void nn_rvm_refiner_row(const NnRvmRefiner *r, int y, int *y0, int *ystep, float *fy);
/* pha of a frame row from its src row (RGB floats) into alpha bytes
 * (round(255 pha)); A, b: the coefficient tensors. */
void nn_rvm_refine_alpha_row(const NnRvmRefiner *r, const float *A, const float *b, int y, const float *src,
                             uint8_t *alpha);
/* fgr (3 floats) of pixel (x, y) whose src colour is rgb. */
void nn_rvm_refine_fgr(const NnRvmRefiner *r, const float *A, const float *b, int x, int y, const float *rgb,
                       float *fgr);

#endif
