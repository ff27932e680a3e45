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

#include "format/tfjs.h"
#include "graph.h"

#define NN_RVM_STATES 4

/* The encoder's working size for a frame and ratio, as the graph computes
 * it. Returns 0, or BACKDROP_EINVAL when the ratio is not finite and
 * positive or the size comes out below 1 x 1 (or above the frame's
 * size times 4: the graph allows ratio > 1, we do not go past 4). */
int nn_rvm_internal_size(int width, int height, float ratio, int *w, int *h);

/* Specialises the RVM model m for frames of width x height at ratio into
 * g (overwritten) and pairs each state output with its input. Returns 0
 * or a BACKDROP_E* code with a one-line reason in err (may be NULL); g is
 * empty on failure. */
int nn_rvm_build(NnGraph *g, const TfjsModel *m, int width, int height, float ratio, char *err, size_t errlen);

#endif
