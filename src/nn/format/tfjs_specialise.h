/*
 * From a TF.js graph model (format/tfjs.h) to a static NnGraph (graph.h)
 * for one set of input shapes and fixed scalar inputs.
 *
 * A TensorFlow graph computes its shapes at run time (Shape, StridedSlice,
 * Pack, Cast, FloorMod, BroadcastTo...) and may branch on an input with v1
 * control flow (Switch / Merge). Once the shape of every run-time input and
 * the value of every scalar input (Robust Video Matting's
 * downsample_ratio) are fixed, all of that is constant: the specialiser
 * evaluates the graph symbolically, in topological order, once. Each node
 * output becomes one of
 *
 *   dead      on an untaken Switch branch: everything it feeds, and every
 *             node with a control input from it (a v1 cond's constants
 *             hang on its pivots), until a Merge;
 *   constant  a value known now (weights, shape arithmetic, the ratio);
 *   a tensor  of the NnGraph, written by a real operator emitted for it.
 *
 * Lowerings beyond one-to-one (each tested in tests/unit/test_tfjs_spec.c):
 *  - _FusedConv2D / FusedDepthwiseConv2dNative: bias and Relu / Relu6
 *    fused; filters turned from HWIO to the IR's OHWI (depthwise: HWCM is
 *    already the IR's [1,H,W,C*M] in memory);
 *  - SpaceToBatchND -> DepthwiseConv2dNative (VALID) -> BatchToSpaceND,
 *    TensorFlow's way of writing a dilated convolution, becomes one
 *    depthwise convolution with dilation = block size;
 *  - a symmetric or asymmetric zero Pad followed by a VALID convolution
 *    becomes the convolution's explicit padding, as far as its window
 *    reaches (each side at most the effective window less one); a wider
 *    Pad stays a PAD before it;
 *  - Relu6 is fused into the op producing its input when that op takes an
 *    activation, else written as MAXIMUM and MINIMUM;
 *  - x * (1/6) * relu6(x + 3) (MobileNetV3's hard-swish) is HARD_SWISH;
 *  - Mean over H and W (keep_dims) is a whole-input average pool; Mean
 *    over the channels a 1x1 convolution with taps 1/C;
 *  - Split / SplitV along the channels are SLICEs, ConcatV2 of more than
 *    three inputs a chain of CONCATs;
 *  - BroadcastTo of a run-time input whose shape was left open (rank -1 in
 *    its feed) gives that input its shape: RVM's recurrent states r1i..r4i.
 * Ops not needed by any output are pruned. Anything else is refused with
 * BACKDROP_ENOTSUP naming the node and op.
 */
#ifndef BACKDROP_NN_FORMAT_TFJS_SPECIALISE_H
#define BACKDROP_NN_FORMAT_TFJS_SPECIALISE_H

#include <stddef.h>
#include <stdint.h>

#include "tfjs.h"
#include "../graph.h"

/* What one signature input is for this specialisation. */
typedef struct TfjsFeed {
    const char *name; /* the signature key; a ":0" at the end of key or name is ignored */
    int constant;     /* 1: a float32 scalar fixed now (value); 0: a run-time input */
    float value;
    int rank;         /* run-time input: rank 1..4 and shape; -1: shaped by its BroadcastTo */
    int32_t shape[NN_MAX_RANK];
} TfjsFeed;

/* Builds g (overwritten, not freed) from m for these feeds: one entry per
 * signature input, no more, no less. Run-time inputs become g's input
 * ports, in feed order, named by their key without ":0"; every signature
 * output becomes an output port named by its key, in signature order.
 * State pairs are the caller's (nn_graph_add_state): which output feeds
 * which input is a property of the model family, not of the file.
 * Returns 0 and a graph nn_graph_validate() accepts; or BACKDROP_EINVAL
 * (feeds that do not fit the model, a malformed graph), BACKDROP_ENOTSUP
 * (an op or attribute outside what is lowered) or BACKDROP_ENOMEM, with a
 * one-line reason naming the node in err (may be NULL) and g left empty. */
int tfjs_specialise(const TfjsModel *m, const TfjsFeed *feeds, int num_feeds, NnGraph *g, char *err,
                    size_t errlen);

#endif
