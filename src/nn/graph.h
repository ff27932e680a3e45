/*
 * The in-memory form of a neural network graph, independent of the file
 * format it came from and of the engine that runs it. Produced by the
 * .tflite reader (tflite.c), run by the plain-C reference executor
 * (reference.c, the oracle) and by the XNNPACK executor (xnn.c).
 *
 * Invariants (established by the reader, relied on by the executors):
 *  - tensors are float32, NHWC, rank 1..4; shape[] entries are >= 1 and the
 *    element count of every tensor is at most NN_MAX_ELEMENTS;
 *  - constant tensors (weights, biases) have data != NULL, already converted
 *    to float32 (FLOAT16 weights and their DEQUANTIZE ops are folded away);
 *  - ops are in execution order: every input of op i is a constant, the
 *    graph input, or the output of an op before i; every non-constant tensor
 *    is written by exactly one op;
 *  - each op's operand shapes are consistent with its type and options (the
 *    reader checks this, so executors need not).
 * Refinements the .tflite reader guarantees on top of these:
 *  - the graph input and every op output are [1,H,W,C] (rank 4, batch 1);
 *    the data input (inputs[0]) of every op is not a constant, except that
 *    one operand of ADD/MUL may be;
 *  - tensor indices are the graph's own, not the file's: only tensors that
 *    ops use (plus input and output) are kept, in file order;
 *  - for convolutions and pooling, stride and dilation are >= 1 and
 *    (out - 1) * stride + (k - 1) * dilation + 1 fits in int (for the
 *    transposed convolution, (in - 1) * stride + K), so padding arithmetic
 *    in int cannot overflow;
 *  - fields an op type does not use are 0.
 * An empty graph (after nn_graph_free or a failed load) has no tensors or
 * ops, NULL arrays and input = output = logits = -1.
 */
#ifndef BACKDROP_NN_GRAPH_H
#define BACKDROP_NN_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#define NN_MAX_RANK 4
#define NN_MAX_INPUTS 3
/* 64 Mi elements (256 MiB of float32) per tensor: far above the selfie
 * models (largest 1x128x128x16 = 256 Ki), far below anything absurd. */
#define NN_MAX_ELEMENTS ((size_t)64 << 20)

typedef enum NnOpType {
    /* Convolutions always have 3 inputs: a file without bias gets a zero
     * bias constant. filter_h/filter_w are copied from the filter shape. */
    NN_OP_CONV_2D = 0,        /* in: input, filter [O,KH,KW,I], bias [O] */
    NN_OP_DEPTHWISE_CONV_2D,  /* in: input, filter [1,KH,KW,C*M], bias [C*M]; depth_multiplier = M */
    /* MediaPipe Convolution2DTransposeBias, also builtin TRANSPOSE_CONV: in:
     * input, filter [O,KH,KW,I], bias [O]; dilation 1. Output size is the
     * output tensor's; the output is cropped by
     * total = max((in - 1) * stride + K - out, 0), total / 2 at the top/left
     * (0 for VALID, where out = (in - 1) * stride + K). */
    NN_OP_TRANSPOSE_CONV_BIAS,
    /* in: input. filter_h <= H, filter_w <= W. A file's MEAN over H and W
     * (keep_dims) becomes a VALID pool whose window is the whole input. */
    NN_OP_AVERAGE_POOL_2D,
    /* ADD, MUL: a has the output shape; b has it too or is [1,1,1,C]
     * (broadcast over H, W). The reader swaps the file's operands when the
     * first is the broadcast one. */
    NN_OP_ADD,                /* in: a, b */
    NN_OP_MUL,                /* in: a, b */
    NN_OP_HARD_SWISH,         /* in: input */
    NN_OP_RELU,               /* in: input */
    NN_OP_LOGISTIC,           /* in: input */
    NN_OP_RESIZE_BILINEAR,    /* in: input (the size tensor is folded into out_h/out_w) */
    NN_OP_COUNT
} NnOpType;

typedef enum NnActivation {
    NN_ACT_NONE = 0,
    NN_ACT_RELU,     /* max(x, 0) */
    NN_ACT_RELU6,    /* min(max(x, 0), 6) */
    NN_ACT_RELU_N1_TO_1,
} NnActivation;

typedef enum NnPadding {
    NN_PAD_SAME = 0, /* TFLite SAME: total = max((out-1)*stride + eff_k - in, 0), total/2 before */
    NN_PAD_VALID,
} NnPadding;

typedef struct NnTensor {
    int rank;
    int32_t shape[NN_MAX_RANK];
    size_t count;      /* product of shape */
    float *data;       /* constants only (owned by the graph); NULL for activations */
    char *name;        /* owned, never NULL (may be "") */
} NnTensor;

typedef struct NnOp {
    NnOpType type;
    int num_inputs;
    int inputs[NN_MAX_INPUTS]; /* tensor indices */
    int output;                /* tensor index */
    NnPadding padding;
    int stride_h, stride_w;
    int filter_h, filter_w;    /* pooling window; for convolutions, the filter's KH, KW */
    int dilation_h, dilation_w; /* convolutions (1 if none); 0 for other ops */
    int depth_multiplier;
    NnActivation activation;   /* fused activation of conv/pool/add/mul */
    int align_corners, half_pixel_centers; /* resize only */
    int out_h, out_w;          /* resize only */
} NnOp;

typedef struct NnGraph {
    NnTensor *tensors;
    int num_tensors;
    NnOp *ops;
    int num_ops;
    int input;   /* tensor index of the single graph input [1,H,W,3] */
    int output;  /* tensor index of the single graph output [1,H,W,1] */
    int logits;  /* tensor feeding the final LOGISTIC that makes the output, or -1 */
} NnGraph;

const char *nn_op_name(NnOpType type);

/* Parses a .tflite (FlatBuffers) model held in memory. Everything is
 * validated against size before use; nothing of data is referenced after
 * return (weights are converted and copied). On failure returns
 * BACKDROP_EINVAL (malformed) or BACKDROP_ENOTSUP (valid but unsupported:
 * operator, type, option), with a one-line reason naming the operator or
 * field in err, and leaves *g empty. *g is overwritten, not freed: free a
 * graph before loading another into it. err may be NULL. Files over
 * 256 MiB are refused (ENOTSUP); BACKDROP_ENOMEM when allocation fails. */
int nn_graph_load_tflite(NnGraph *g, const uint8_t *data, size_t size, char *err, size_t errlen);
void nn_graph_free(NnGraph *g);

#endif
