/*
 * The network IR: the in-memory form of a neural network graph, independent
 * of the file format it came from and of the engine that runs it.
 *
 *   format/tflite.c  (later format/tfjs.c)   file -> NnGraph, then nn_graph_validate()
 *   graph.c                                  validation, lookup, free: the one owner of the rules
 *   engine.c + engine/{xnnpack,reference}.c  NnGraph -> something that runs it (engine.h)
 *
 * A graph has tensors, ops in execution order, named graph inputs and
 * outputs (ports), and state pairs: an output whose value at the end of one
 * run becomes an input of the next (recurrent networks such as Robust
 * Video Matting carry their hidden state this way). Engines zero a state
 * input before the first run and copy the paired output into it after
 * every run; callers feed only the other inputs.
 *
 * Invariants of a valid graph (nn_graph_validate() checks every one; every
 * reader calls it before returning a graph, every engine before building):
 *  - tensors have a dtype of NnDType, rank 0..4 (0: a scalar), shape[]
 *    entries >= 1 for the first 'rank' dimensions, count = their product
 *    (1 for a scalar) and at most NN_MAX_ELEMENTS, and a name (owned, never
 *    NULL, may be "");
 *  - constant tensors are those with data != NULL: count elements of their
 *    dtype, owned by the graph. Readers convert what engines cannot read
 *    (the .tflite reader folds FLOAT16 weights and their DEQUANTIZE ops
 *    into FLOAT32 constants);
 *  - at least one input and one output. An input is a non-constant tensor
 *    that no op writes, and no two inputs share a tensor. An output is a
 *    tensor written by an op (two outputs may name the same tensor). Input
 *    names are distinct among inputs, output names among outputs;
 *  - state pairs join an output port to an input port of identical dtype
 *    and shape; an input is the destination of at most one pair;
 *  - ops are in execution order: every input of op i is a constant, a
 *    graph input, or the output of an op before i; every non-constant
 *    tensor is written by at most one op, and never a graph input;
 *  - each op's operand counts, dtypes (FLOAT32 for every op defined so
 *    far), shapes and options are consistent with its type (see NnOpType);
 *  - for convolutions and pooling, stride and dilation are >= 1 and the
 *    span of the windows, (out - 1) * stride + (k - 1) * dilation + 1,
 *    fits in int, so engines may compute positions and padding in int;
 *  - pad_top/bottom/left/right are 0 on every convolution and pool except
 *    a CONV_2D or DEPTHWISE_CONV_2D with EXPLICIT padding (see NnPadding),
 *    where each lies in [0, eff_k - 1] of its axis.
 * An empty graph (zero-initialised, after nn_graph_free or a failed load)
 * has no tensors, ops, ports or pairs and NULL arrays.
 *
 * The .tflite reader adds refinements of its own; see format/tflite.h.
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

typedef enum NnDType {
    NN_DTYPE_FLOAT32 = 0, /* every op and engine today */
    NN_DTYPE_FLOAT16,     /* TF.js weights may come so; readers convert them for now */
    NN_DTYPE_INT32,       /* TF.js shape and index tensors */
    NN_DTYPE_COUNT
} NnDType;

typedef enum NnOpType {
    /* Convolutions have 2 or 3 inputs (the .tflite reader always gives 3:
     * a file without bias gets a zero bias constant). filter_h/filter_w
     * are copied from the filter shape by readers. */
    NN_OP_CONV_2D = 0,        /* in: input, filter [O,KH,KW,I], bias [O] */
    NN_OP_DEPTHWISE_CONV_2D,  /* in: input, filter [1,KH,KW,C*M], bias [C*M]; depth_multiplier = M (or 0) */
    /* MediaPipe Convolution2DTransposeBias, also builtin TRANSPOSE_CONV: in:
     * input, filter [O,KH,KW,I], bias [O]; dilation 1. Output size is the
     * output tensor's; the output is cropped by
     * total = max((in - 1) * stride + K - out, 0), total / 2 at the top/left
     * (0 for VALID, where out = (in - 1) * stride + K). */
    NN_OP_TRANSPOSE_CONV_BIAS,
    /* in: input. A file's MEAN over H and W (keep_dims) becomes a VALID
     * pool whose window is the whole input. */
    NN_OP_AVERAGE_POOL_2D,
    /* ADD, MUL: numpy broadcasting of the two operands' shapes (aligned
     * right, each dimension equal or 1) gives the output shape. */
    NN_OP_ADD,                /* in: a, b */
    NN_OP_MUL,                /* in: a, b */
    NN_OP_HARD_SWISH,         /* in: input */
    NN_OP_RELU,               /* in: input */
    NN_OP_LOGISTIC,           /* in: input */
    NN_OP_RESIZE_BILINEAR,    /* in: input (the size is out_h/out_w) */
    /* More element-wise ops, broadcasting as ADD and MUL (one operand may
     * be a constant); MINIMUM and MAXIMUM take no fused activation. */
    NN_OP_SUB,                /* in: a, b: a - b */
    NN_OP_DIV,                /* in: a, b: a / b */
    NN_OP_MINIMUM,            /* in: a, b */
    NN_OP_MAXIMUM,            /* in: a, b */
    NN_OP_SQUARE,             /* in: input: x * x */
    NN_OP_TANH,               /* in: input */
    /* Data movement (4-D, NHWC). */
    NN_OP_PAD,                /* in: input; zeros: pad_top/bottom rows, pad_left/right columns */
    NN_OP_CONCAT,             /* in: 2 or 3 inputs joined along channels (other dims equal) */
    NN_OP_SLICE,              /* in: input; the output's shape from begin[] (a crop, a channel split) */
    NN_OP_COUNT
} NnOpType;

typedef enum NnActivation {
    NN_ACT_NONE = 0,
    NN_ACT_RELU,     /* max(x, 0) */
    NN_ACT_RELU6,    /* min(max(x, 0), 6) */
    NN_ACT_RELU_N1_TO_1,
} NnActivation;

/* Padding of a forward window along each axis, eff_k = (k - 1) * dilation
 * + 1 being the window's effective size (the pooling window: k).
 * Padding is zeros; each window is then placed without further padding. */
typedef enum NnPadding {
    NN_PAD_SAME = 0, /* TFLite SAME: total = max((out-1)*stride + eff_k - in, 0), total/2 before;
                      * out = ceil(in / stride) */
    NN_PAD_VALID,    /* none: out = (in - eff_k) / stride + 1, in >= eff_k */
    /* CONV_2D and DEPTHWISE_CONV_2D only (other ops refuse it): the op's
     * pad_top/pad_bottom rows and pad_left/pad_right columns, then VALID:
     * out = (in + before + after - eff_k) / stride + 1, in + before + after
     * >= eff_k. Each pad is in [0, eff_k - 1], so every window covers some
     * of the input's rows or columns. This is a TensorFlow Pad folded into
     * the VALID convolution that reads it: a graph converted from PyTorch
     * (Robust Video Matting's TF.js model) pads symmetrically, [1,1] before
     * a 3x3 window, which SAME cannot say (for stride 2 on an even input
     * SAME pads 0 before and 1 after). */
    NN_PAD_EXPLICIT,
} NnPadding;

typedef struct NnTensor {
    NnDType dtype;
    int rank;
    int32_t shape[NN_MAX_RANK];
    size_t count;      /* product of shape */
    void *data;        /* constants only: count elements of dtype (owned by the graph); NULL otherwise */
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
    /* PAD; also CONV_2D / DEPTHWISE_CONV_2D with EXPLICIT padding (zero
     * on other convolutions and pools). */
    int pad_top, pad_bottom, pad_left, pad_right;
    int begin[NN_MAX_RANK];    /* SLICE only: first index along each dimension */
} NnOp;

/* A graph input or output: the name a model family's glue asks for ("src",
 * "pha", "r1o"; the .tflite reader's names are in format/tflite.h) and the
 * tensor it is. */
typedef struct NnPort {
    char *name;  /* owned, never NULL */
    int tensor;
} NnPort;

/* outputs[output]'s value after a run is inputs[input]'s value in the
 * next; before the first run that input is zero. */
typedef struct NnStatePair {
    int output;  /* index into outputs[] */
    int input;   /* index into inputs[] */
} NnStatePair;

typedef struct NnGraph {
    NnTensor *tensors;
    int num_tensors;
    NnOp *ops;
    int num_ops;
    NnPort *inputs;
    int num_inputs;
    NnPort *outputs;
    int num_outputs;
    NnStatePair *states;
    int num_states;
    /* Room in tensors[] / ops[] for nn_graph_add_tensor / nn_graph_add_op
     * (0: exactly num_tensors / num_ops, as readers allocate them). */
    int tensor_capacity, op_capacity;
} NnGraph;

/* The element-wise ops of two operands (numpy broadcasting). */
static inline int nn_op_is_binary(NnOpType t)
{
    return t == NN_OP_ADD || t == NN_OP_MUL || t == NN_OP_SUB || t == NN_OP_DIV || t == NN_OP_MINIMUM ||
           t == NN_OP_MAXIMUM;
}

const char *nn_op_name(NnOpType type);
const char *nn_dtype_name(NnDType dtype);
/* Bytes per element; 0 for a value outside the enum. */
size_t nn_dtype_size(NnDType dtype);

/* The index in g->inputs (outputs) of the port with that name, or -1. */
int nn_graph_find_input(const NnGraph *g, const char *name);
int nn_graph_find_output(const NnGraph *g, const char *name);

/* For readers: append a port (the name is copied) or a state pair (port
 * indices). Return 0 or BACKDROP_ENOMEM; nothing is checked here, that is
 * nn_graph_validate()'s job. The arrays must have come from these
 * functions (or be NULL). */
int nn_graph_add_input(NnGraph *g, const char *name, int tensor);
int nn_graph_add_output(NnGraph *g, const char *name, int tensor);
int nn_graph_add_state(NnGraph *g, int output, int input);

/* For builders (format/tfjs_specialise.c): append a tensor (rank 0..4,
 * shape copied, name copied; data, if not NULL, is taken over by the
 * graph and must hold the shape's count of dtype, allocated with malloc)
 * or an op (copied). Return the new index, or BACKDROP_ENOMEM (data is
 * then freed). Nothing else is checked: nn_graph_validate() does that.
 * The arrays grow as needed (tensor_capacity, op_capacity). */
int nn_graph_add_tensor(NnGraph *g, NnDType dtype, int rank, const int32_t *shape, void *data, const char *name);
int nn_graph_add_op(NnGraph *g, const NnOp *op);

/* Removes every op whose output reaches no graph output, and every tensor
 * then unused (not a port, not an input or output of a kept op), keeping
 * the order of what stays and renumbering references. Ports and state
 * pairs are unchanged (their tensors are renumbered). Returns 0 or
 * BACKDROP_ENOMEM (the graph is then unchanged). */
int nn_graph_prune(NnGraph *g);

/* Rewrites channel slices and concatenations around CONV_2D into the
 * convolutions themselves (src/nn/optimise.c says which and why), then
 * prunes. The graph computes the same up to float rounding. Returns 0 or
 * BACKDROP_ENOMEM (the graph may then hold extra unused tensors). */
int nn_graph_fold_channel_moves(NnGraph *g);

/* Checks every invariant listed above. Returns 0, BACKDROP_EINVAL
 * (malformed), BACKDROP_ENOTSUP (well formed but beyond what the ops
 * define: an unknown op type, a dtype an op does not take, weights that
 * are not constants, EXPLICIT padding on a transposed convolution or a
 * pool, a window span past int) or BACKDROP_ENOMEM, with a one-line
 * reason in err (which may be NULL) naming the op, port or tensor by its
 * graph index. Allocates one byte per tensor, freed before returning. */
int nn_graph_validate(const NnGraph *g, char *err, size_t errlen);

/* Frees everything the graph owns and leaves it empty; accepts NULL. Only
 * for graphs whose arrays and strings are heap-owned (readers' graphs). */
void nn_graph_free(NnGraph *g);

#endif
