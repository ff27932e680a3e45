/*
 * The engine "xnnpack" (engine.h): an NnGraph compiled once into XNNPACK
 * subgraphs and runtimes (Debian's libxnnpack 0.0~git20220216, float32
 * throughout). That XNNPACK has no concatenation or slicing: the ops are
 * cut into steps, each a runtime for a run of consecutive ops it has, or
 * one such op done in C (the reference kernel, which only moves memory);
 * tensors that cross steps live in executor-owned buffers bound to both
 * sides. A graph without those ops is one step, one runtime.
 *
 * Everything is prepared at create: the weights are copied into the
 * executor (XNNPACK packs most of them again into its own layout), graph
 * inputs and outputs and exposed tensors get executor-owned buffers bound
 * to the runtime once, and XNNPACK plans its internal activation memory. A
 * run is then a single xnn_invoke_runtime() and allocates nothing. After
 * create the executor no longer refers to the graph; the thread pool (NULL:
 * the caller's thread) must outlive it.
 *
 * Value IDs: the subgraph reserves one external ID per graph tensor and
 * every tensor the ops use is defined under its own index, so tensor i is
 * XNNPACK value i; only constants this file synthesises (zero biases) get
 * IDs from XNNPACK. Whether a value is bound to caller memory is decided by
 * its EXTERNAL_INPUT / EXTERNAL_OUTPUT flags, not by its ID.
 *
 * Memory handed to XNNPACK (constants and external buffers) is padded by
 * XNN_EXTRA_BYTES: its kernels may read (never write) that far past the end
 * of an operand.
 *
 * Profiling (NN_ENGINE_PROFILE): this XNNPACK has no profiling of its own
 * (no xnn_get_runtime_profiling_info), so every op becomes a step of its
 * own and each step is timed with the monotonic clock around its
 * xnn_invoke_runtime() (or C op). What crosses steps lives in executor
 * buffers, so such a run loses XNNPACK's fusions (a clamp into the op
 * before it) and its shared activation workspace: it is slower than a
 * plain run, which bench_rvm --profile reports beside the op times.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xnnpack.h>

#include "../engine.h"
#include "reference.h"
#include "backdrop/backdrop.h"

/* One step of a run: an XNNPACK runtime for a run of consecutive ops it
 * supports, or one op it lacks (CONCAT, SLICE: they only move memory),
 * done in C by the reference kernel on a graph of its own (the op, its
 * tensors' shapes), so that the executor needs no graph after create. */
typedef struct XnnStep {
    xnn_runtime_t runtime;    /* NULL: the C op */
    NnGraph c_graph;          /* the C op: its inputs are tensors 0..n-1, its output tensor n */
    int c_tensors[NN_MAX_INPUTS + 1]; /* their tensors in the engine's graph */
    int first_op;             /* the graph's op the step starts with */
} XnnStep;

typedef struct NnXnn {
    XnnStep *steps;
    int num_steps;
    int num_tensors;
    float **external;  /* per tensor: executor-owned buffer bound to the runtime, or NULL */
    float **constants; /* per tensor: executor-owned copy of a constant the runtime uses, or NULL */
    float **synthetic; /* per op: a constant made up for it (zero bias), or NULL */
    int num_ops;
    double *op_ms;     /* NN_ENGINE_PROFILE (one op a step): per op, ms in the last run; else NULL */
} NnXnn;

/* ---- XNNPACK initialisation ----------------------------------------------
 * xnn_initialize() guards its hardware set-up with pthread_once, but some
 * versions also (re)write the global allocator on every call, unguarded; a
 * once of our own makes concurrent first uses of the library safe whatever
 * the version does. */
static pthread_once_t xnn_init_once = PTHREAD_ONCE_INIT;
static enum xnn_status xnn_init_status = xnn_status_uninitialized;

static void init_xnnpack(void)
{
    xnn_init_status = xnn_initialize(NULL);
}

static int map_status(enum xnn_status s)
{
    switch (s) {
    case xnn_status_success:
        return 0;
    case xnn_status_out_of_memory:
        return BACKDROP_ENOMEM;
    case xnn_status_invalid_parameter:
    case xnn_status_invalid_state:
        return BACKDROP_EINVAL;
    case xnn_status_uninitialized:
    case xnn_status_unsupported_parameter:
    case xnn_status_unsupported_hardware:
    default:
        return BACKDROP_ENOTSUP;
    }
}

/* count floats, zeroed, 64-byte aligned, plus XNNPACK's read-over slack. */
static float *alloc_padded(size_t count)
{
    size_t bytes = count * sizeof(float) + XNN_EXTRA_BYTES;
    bytes = (bytes + 63) & ~(size_t)63;
    float *p = aligned_alloc(64, bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

/* ---- padding ------------------------------------------------------------ */

typedef struct Pads {
    uint32_t top, bottom, left, right;
} Pads;

/* TFLite SAME padding of a forward window along one axis: the total
 * (out-1)*stride + eff_k - in, clipped at 0, split with the odd element
 * after. VALID: none. The caller has checked that out matches. */
static void window_pads(NnPadding padding, int in, int out, int eff_k, int stride,
                        uint32_t *before, uint32_t *after)
{
    int total = padding == NN_PAD_SAME ? (out - 1) * stride + eff_k - in : 0;
    if (total < 0)
        total = 0;
    *before = (uint32_t)(total / 2);
    *after = (uint32_t)(total - total / 2);
}

/* A transposed convolution produces (in-1)*stride + k rows before cropping.
 * XNNPACK crops padding_top/bottom from that and then appends 'adjustment'
 * rows (< stride) at the bottom; TFLite SAME crops total/2 at the top and
 * the rest at the bottom, where total = (in-1)*stride + k - out. When total
 * is negative (the output is larger than the full product, possible when
 * k < stride) nothing is cropped and the missing rows are the adjustment:
 * they receive no input, only the bias, in both definitions. */
static void transpose_pads(NnPadding padding, int in, int out, int k, int stride,
                           uint32_t *before, uint32_t *after, uint32_t *adjustment)
{
    int total = (in - 1) * stride + k - out; /* 0 for VALID (checked) */
    if (padding != NN_PAD_SAME || total <= 0) {
        *before = *after = 0;
        *adjustment = total < 0 ? (uint32_t)-total : 0;
        return;
    }
    *before = (uint32_t)(total / 2);
    *after = (uint32_t)(total - total / 2);
    *adjustment = 0;
}

static void activation_bounds(NnActivation act, float *lo, float *hi)
{
    switch (act) {
    case NN_ACT_RELU:
        *lo = 0.0f;
        *hi = INFINITY;
        break;
    case NN_ACT_RELU6:
        *lo = 0.0f;
        *hi = 6.0f;
        break;
    case NN_ACT_RELU_N1_TO_1:
        *lo = -1.0f;
        *hi = 1.0f;
        break;
    case NN_ACT_NONE:
    default:
        *lo = -INFINITY;
        *hi = INFINITY;
        break;
    }
}

/* ---- building ----------------------------------------------------------- */

typedef struct Builder {
    NnXnn *x;
    const NnGraph *g;
    xnn_subgraph_t subgraph;
} Builder;

/* A private copy of constant t, made once (several steps may use it): the
 * runtime may read static data at run time (it does for the operands of
 * element-wise ops), and the graph is allowed to go away after create. */
static int constant_copy(NnXnn *x, const NnTensor *tensor, int t)
{
    if (x->constants[t])
        return 0;
    float *copy = alloc_padded(tensor->count);
    if (!copy)
        return BACKDROP_ENOMEM;
    memcpy(copy, tensor->data, tensor->count * sizeof(float));
    x->constants[t] = copy;
    return 0;
}

static int define_tensor(Builder *b, int t, uint32_t flags)
{
    const NnTensor *tensor = &b->g->tensors[t];
    size_t dims[NN_MAX_RANK];
    for (int i = 0; i < tensor->rank; i++)
        dims[i] = (size_t)tensor->shape[i];
    const void *data = NULL;
    if (tensor->data) {
        int err = constant_copy(b->x, tensor, t);
        if (err)
            return err;
        data = b->x->constants[t];
    }
    uint32_t id;
    return map_status(xnn_define_tensor_value(b->subgraph, xnn_datatype_fp32, (size_t)tensor->rank, dims,
                                              data, (uint32_t)t, flags, &id));
}

/* The bias operand of a convolution-like op: its tensor, or a zero vector
 * made for it when the graph has none. */
static int bias_value(Builder *b, int op_index, uint32_t *id)
{
    const NnOp *op = &b->g->ops[op_index];
    if (op->num_inputs > 2) {
        *id = (uint32_t)op->inputs[2];
        return 0;
    }
    size_t channels = (size_t)b->g->tensors[op->output].shape[3];
    float *zeros = alloc_padded(channels);
    if (!zeros)
        return BACKDROP_ENOMEM;
    b->x->synthetic[op_index] = zeros;
    return map_status(xnn_define_tensor_value(b->subgraph, xnn_datatype_fp32, 1, &channels, zeros,
                                              XNN_INVALID_VALUE_ID, 0, id));
}

/* This XNNPACK has no tanh: tanh(x) = 2 sigmoid(2x) - 1, four nodes with
 * three values of the subgraph's own between them and two scalar
 * constants (kept with the op's synthetic data). */
static int define_tanh(Builder *b, int index)
{
    const NnOp *op = &b->g->ops[index];
    const NnTensor *out = &b->g->tensors[op->output];
    float *k = alloc_padded(2);
    if (!k)
        return BACKDROP_ENOMEM;
    b->x->synthetic[index] = k;
    k[0] = 2.0f;
    k[1] = -1.0f;
    size_t one = 1, dims[NN_MAX_RANK];
    for (int i = 0; i < out->rank; i++)
        dims[i] = (size_t)out->shape[i];
    uint32_t two_id, minus_one_id, doubled, sig, scaled;
    enum xnn_status s = xnn_define_tensor_value(b->subgraph, xnn_datatype_fp32, 1, &one, &k[0], XNN_INVALID_VALUE_ID,
                                                0, &two_id);
    if (s == xnn_status_success)
        s = xnn_define_tensor_value(b->subgraph, xnn_datatype_fp32, 1, &one, &k[1], XNN_INVALID_VALUE_ID, 0,
                                    &minus_one_id);
    uint32_t *internal[3] = { &doubled, &sig, &scaled };
    for (int i = 0; i < 3 && s == xnn_status_success; i++)
        s = xnn_define_tensor_value(b->subgraph, xnn_datatype_fp32, (size_t)out->rank, dims, NULL,
                                    XNN_INVALID_VALUE_ID, 0, internal[i]);
    if (s == xnn_status_success)
        s = xnn_define_multiply2(b->subgraph, -INFINITY, INFINITY, (uint32_t)op->inputs[0], two_id, doubled, 0);
    if (s == xnn_status_success)
        s = xnn_define_sigmoid(b->subgraph, doubled, sig, 0);
    if (s == xnn_status_success)
        s = xnn_define_multiply2(b->subgraph, -INFINITY, INFINITY, sig, two_id, scaled, 0);
    if (s == xnn_status_success)
        s = xnn_define_add2(b->subgraph, -INFINITY, INFINITY, scaled, minus_one_id, (uint32_t)op->output, 0);
    return map_status(s);
}

static int define_op(Builder *b, int index)
{
    const NnGraph *g = b->g;
    const NnOp *op = &g->ops[index];
    const NnTensor *in = &g->tensors[op->inputs[0]];
    const NnTensor *out = &g->tensors[op->output];
    uint32_t in_id = (uint32_t)op->inputs[0], out_id = (uint32_t)op->output;
    float lo, hi;
    activation_bounds(op->activation, &lo, &hi);
    enum xnn_status s;

    switch (op->type) {
    case NN_OP_CONV_2D:
    case NN_OP_DEPTHWISE_CONV_2D: {
        const NnTensor *w = &g->tensors[op->inputs[1]];
        int kh = w->shape[1], kw = w->shape[2];
        Pads p;
        if (op->padding == NN_PAD_EXPLICIT) {
            /* As given (validated >= 0): XNNPACK pads with zeros and then
             * slides a VALID window, which is what EXPLICIT means. */
            p = (Pads){ (uint32_t)op->pad_top, (uint32_t)op->pad_bottom, (uint32_t)op->pad_left,
                        (uint32_t)op->pad_right };
        } else {
            window_pads(op->padding, in->shape[1], out->shape[1], (kh - 1) * op->dilation_h + 1, op->stride_h,
                        &p.top, &p.bottom);
            window_pads(op->padding, in->shape[2], out->shape[2], (kw - 1) * op->dilation_w + 1, op->stride_w,
                        &p.left, &p.right);
        }
        uint32_t bias_id;
        int err = bias_value(b, index, &bias_id);
        if (err)
            return err;
        if (op->type == NN_OP_CONV_2D)
            s = xnn_define_convolution_2d(b->subgraph, p.top, p.right, p.bottom, p.left, (uint32_t)kh, (uint32_t)kw,
                                          (uint32_t)op->stride_h, (uint32_t)op->stride_w,
                                          (uint32_t)op->dilation_h, (uint32_t)op->dilation_w,
                                          1, (size_t)in->shape[3], (size_t)out->shape[3], lo, hi,
                                          in_id, (uint32_t)op->inputs[1], bias_id, out_id, 0);
        else
            s = xnn_define_depthwise_convolution_2d(b->subgraph, p.top, p.right, p.bottom, p.left,
                                                    (uint32_t)kh, (uint32_t)kw,
                                                    (uint32_t)op->stride_h, (uint32_t)op->stride_w,
                                                    (uint32_t)op->dilation_h, (uint32_t)op->dilation_w,
                                                    (uint32_t)(out->shape[3] / in->shape[3]),
                                                    (size_t)in->shape[3], lo, hi,
                                                    in_id, (uint32_t)op->inputs[1], bias_id, out_id, 0);
        break;
    }
    case NN_OP_TRANSPOSE_CONV_BIAS: {
        /* Filter layout [O,KH,KW,I] is XNNPACK's deconvolution layout with
         * one group. */
        const NnTensor *w = &g->tensors[op->inputs[1]];
        int kh = w->shape[1], kw = w->shape[2];
        Pads p;
        uint32_t adj_h, adj_w;
        transpose_pads(op->padding, in->shape[1], out->shape[1], kh, op->stride_h, &p.top, &p.bottom, &adj_h);
        transpose_pads(op->padding, in->shape[2], out->shape[2], kw, op->stride_w, &p.left, &p.right, &adj_w);
        uint32_t bias_id;
        int err = bias_value(b, index, &bias_id);
        if (err)
            return err;
        s = xnn_define_deconvolution_2d(b->subgraph, p.top, p.right, p.bottom, p.left, adj_h, adj_w,
                                        (uint32_t)kh, (uint32_t)kw, (uint32_t)op->stride_h, (uint32_t)op->stride_w,
                                        1, 1, 1, (size_t)in->shape[3], (size_t)out->shape[3], lo, hi,
                                        in_id, (uint32_t)op->inputs[1], bias_id, out_id, 0);
        break;
    }
    case NN_OP_AVERAGE_POOL_2D: {
        int ih = in->shape[1], iw = in->shape[2];
        if (out->shape[1] == 1 && out->shape[2] == 1 && op->filter_h == ih && op->filter_w == iw) {
            /* One window covering exactly the whole input (squeeze-and-
             * excitation blocks): XNNPACK's reduction kernel. */
            s = xnn_define_global_average_pooling_2d(b->subgraph, lo, hi, in_id, out_id, 0);
        } else if (op->filter_h == 1 && op->filter_w == 1) {
            /* XNNPACK refuses 1x1 pooling; with stride 1 it is the identity
             * (plus the fused activation). A strided 1x1 pool subsamples,
             * which XNNPACK has no node for. */
            if (op->stride_h != 1 || op->stride_w != 1)
                return BACKDROP_ENOTSUP;
            s = xnn_define_clamp(b->subgraph, lo, hi, in_id, out_id, 0);
        } else {
            /* XNNPACK requires windows that overlap or touch. */
            if (op->stride_h > op->filter_h || op->stride_w > op->filter_w)
                return BACKDROP_ENOTSUP;
            Pads p;
            window_pads(op->padding, ih, out->shape[1], op->filter_h, op->stride_h, &p.top, &p.bottom);
            window_pads(op->padding, iw, out->shape[2], op->filter_w, op->stride_w, &p.left, &p.right);
            /* With padding, XNNPACK divides each window by the number of
             * input elements it covers, as TFLite does (the unit tests
             * check this). */
            s = xnn_define_average_pooling_2d(b->subgraph, p.top, p.right, p.bottom, p.left,
                                              (uint32_t)op->filter_h, (uint32_t)op->filter_w,
                                              (uint32_t)op->stride_h, (uint32_t)op->stride_w, lo, hi,
                                              in_id, out_id, 0);
        }
        break;
    }
    case NN_OP_ADD:
        s = xnn_define_add2(b->subgraph, lo, hi, in_id, (uint32_t)op->inputs[1], out_id, 0);
        break;
    case NN_OP_MUL:
        s = xnn_define_multiply2(b->subgraph, lo, hi, in_id, (uint32_t)op->inputs[1], out_id, 0);
        break;
    case NN_OP_HARD_SWISH:
        s = xnn_define_hardswish(b->subgraph, in_id, out_id, 0);
        break;
    case NN_OP_RELU:
        s = xnn_define_clamp(b->subgraph, 0.0f, INFINITY, in_id, out_id, 0);
        break;
    case NN_OP_LOGISTIC:
        s = xnn_define_sigmoid(b->subgraph, in_id, out_id, 0);
        break;
    case NN_OP_SUB:
        s = xnn_define_subtract(b->subgraph, lo, hi, in_id, (uint32_t)op->inputs[1], out_id, 0);
        break;
    case NN_OP_DIV:
        s = xnn_define_divide(b->subgraph, lo, hi, in_id, (uint32_t)op->inputs[1], out_id, 0);
        break;
    case NN_OP_MINIMUM:
        s = xnn_define_minimum2(b->subgraph, in_id, (uint32_t)op->inputs[1], out_id, 0);
        break;
    case NN_OP_MAXIMUM:
        s = xnn_define_maximum2(b->subgraph, in_id, (uint32_t)op->inputs[1], out_id, 0);
        break;
    case NN_OP_SQUARE:
        s = xnn_define_square(b->subgraph, in_id, out_id, 0);
        break;
    case NN_OP_TANH:
        return define_tanh(b, index);
    case NN_OP_PAD: {
        size_t before[4] = { 0, (size_t)op->pad_top, (size_t)op->pad_left, 0 };
        size_t after[4] = { 0, (size_t)op->pad_bottom, (size_t)op->pad_right, 0 };
        s = xnn_define_static_constant_pad(b->subgraph, before, after, 0.0f, in_id, out_id, 0);
        break;
    }
    case NN_OP_RESIZE_BILINEAR: {
        /* This XNNPACK's three coordinate modes (src/indirection.c):
         *   no flag                          half_pixel_centers (TF2 default)
         *   XNN_FLAG_TENSORFLOW_LEGACY_MODE  neither: src = dst * in/out
         *   XNN_FLAG_ALIGN_CORNERS           align_corners
         * Both TFLite flags together is rejected by the graph check. */
        uint32_t flags = op->align_corners ? XNN_FLAG_ALIGN_CORNERS
                       : op->half_pixel_centers ? 0 : XNN_FLAG_TENSORFLOW_LEGACY_MODE;
        s = xnn_define_static_resize_bilinear_2d(b->subgraph, (size_t)op->out_h, (size_t)op->out_w,
                                                 in_id, out_id, flags);
        break;
    }
    default:
        return BACKDROP_ENOTSUP;
    }
    return map_status(s);
}

/* The ops this XNNPACK does not have; they run in C between runtimes. */
static int runs_in_c(NnOpType type)
{
    return type == NN_OP_CONCAT || type == NN_OP_SLICE;
}

/* Ops [first, last) as one XNNPACK subgraph and runtime, set up on the
 * executor's external buffers. step_of[t]: the step that writes tensor t
 * (-1: a graph input or a constant); external[t] is allocated for every
 * tensor another step, the caller or the tests read. */
static int build_runtime(Builder *b, int first, int last, int step, const int *step_of, pthreadpool_t pool,
                         xnn_runtime_t *runtime)
{
    const NnGraph *g = b->g;
    NnXnn *x = b->x;
    int err = map_status(xnn_create_subgraph((uint32_t)g->num_tensors, 0, &b->subgraph));
    /* Each tensor the ops use, once: written here (external when others
     * read it), or read from elsewhere (external input), or a constant. */
    unsigned char *seen = calloc((size_t)g->num_tensors, 1);
    if (!seen)
        err = BACKDROP_ENOMEM;
    size_t count = 0;
    for (int i = first; i < last && !err; i++) {
        const NnOp *op = &g->ops[i];
        for (int k = 0; k <= op->num_inputs && !err; k++) {
            int t = k < op->num_inputs ? op->inputs[k] : op->output;
            if (seen[t])
                continue;
            seen[t] = 1;
            uint32_t flags = 0;
            if (step_of[t] == step)
                flags = x->external[t] ? XNN_VALUE_FLAG_EXTERNAL_OUTPUT : 0;
            else if (!g->tensors[t].data)
                flags = XNN_VALUE_FLAG_EXTERNAL_INPUT;
            count += flags != 0;
            err = define_tensor(b, t, flags);
        }
    }
    for (int i = first; i < last && !err; i++)
        err = define_op(b, i);
    if (!err)
        err = map_status(xnn_create_runtime_v2(b->subgraph, pool, 0, runtime));
    /* The runtime is independent of the subgraph once created. */
    if (b->subgraph)
        xnn_delete_subgraph(b->subgraph);
    b->subgraph = NULL;
    struct xnn_external_value *values = err ? NULL : calloc(count ? count : 1, sizeof(*values));
    if (!err && !values)
        err = BACKDROP_ENOMEM;
    if (!err) {
        size_t n = 0;
        for (int t = 0; t < g->num_tensors; t++)
            if (seen[t] && x->external[t] && !g->tensors[t].data)
                values[n++] = (struct xnn_external_value){ .id = (uint32_t)t, .data = x->external[t] };
        err = map_status(xnn_setup_runtime(*runtime, n, values));
    }
    free(values);
    free(seen);
    return err;
}

/* Op i as a C step: a graph of its own with copies of its tensors'
 * shapes; constant inputs read from the executor's copies. */
static int build_c_step(NnXnn *x, const NnGraph *g, int i, XnnStep *st)
{
    const NnOp *op = &g->ops[i];
    int n = op->num_inputs;
    NnTensor *tensors = calloc((size_t)n + 1, sizeof(*tensors));
    NnOp *mini = calloc(1, sizeof(*mini));
    if (!tensors || !mini) {
        free(tensors);
        free(mini);
        return BACKDROP_ENOMEM;
    }
    *mini = *op;
    for (int k = 0; k <= n; k++) {
        int t = k < n ? op->inputs[k] : op->output;
        tensors[k] = g->tensors[t];
        tensors[k].data = NULL;
        tensors[k].name = (char *)"";
        st->c_tensors[k] = t;
        if (k < n)
            mini->inputs[k] = k;
        if (g->tensors[t].data) {
            int err = constant_copy(x, &g->tensors[t], t);
            if (err) {
                free(tensors);
                free(mini);
                return err;
            }
        }
    }
    mini->output = n;
    st->c_graph = (NnGraph){ .tensors = tensors, .num_tensors = n + 1, .ops = mini, .num_ops = 1 };
    return 0;
}

/* The steps: runs of XNNPACK ops between the ops done in C; with
 * one_op_each (profiling), every op a step. */
static int build_steps(Builder *b, int expose_all, int one_op_each, pthreadpool_t pool)
{
    const NnGraph *g = b->g;
    NnXnn *x = b->x;
    int *step_of = malloc(sizeof(int) * (size_t)g->num_tensors);
    int *first_of = malloc(sizeof(int) * ((size_t)g->num_ops + 1));
    x->steps = calloc((size_t)g->num_ops + 1, sizeof(*x->steps));
    if (!step_of || !first_of || !x->steps) {
        free(step_of);
        free(first_of);
        return BACKDROP_ENOMEM;
    }
    for (int t = 0; t < g->num_tensors; t++)
        step_of[t] = -1;
    int steps = 0;
    for (int i = 0; i < g->num_ops; i++) {
        if (i == 0 || one_op_each || runs_in_c(g->ops[i].type) || runs_in_c(g->ops[i - 1].type))
            first_of[steps++] = i;
        step_of[g->ops[i].output] = steps - 1;
    }
    first_of[steps] = g->num_ops;
    /* Buffers of our own for what crosses a step, and what callers see. */
    int err = 0;
    for (int i = 0; i < g->num_ops && !err; i++) {
        const NnOp *op = &g->ops[i];
        for (int k = 0; k <= op->num_inputs && !err; k++) {
            int t = k < op->num_inputs ? op->inputs[k] : op->output;
            int crosses = k < op->num_inputs ? step_of[t] != step_of[op->output] && !g->tensors[t].data
                                             : expose_all || runs_in_c(op->type);
            if (crosses && !x->external[t] && !(x->external[t] = alloc_padded(g->tensors[t].count)))
                err = BACKDROP_ENOMEM;
        }
    }
    for (int p = 0; p < g->num_inputs + g->num_outputs && !err; p++) {
        int t = p < g->num_inputs ? g->inputs[p].tensor : g->outputs[p - g->num_inputs].tensor;
        if (!x->external[t] && !(x->external[t] = alloc_padded(g->tensors[t].count)))
            err = BACKDROP_ENOMEM;
    }
    for (int s = 0; s < steps && !err; s++) {
        x->num_steps = s + 1;
        x->steps[s].first_op = first_of[s];
        if (runs_in_c(g->ops[first_of[s]].type))
            err = build_c_step(x, g, first_of[s], &x->steps[s]);
        else
            err = build_runtime(b, first_of[s], first_of[s + 1], s, step_of, pool, &x->steps[s].runtime);
    }
    free(step_of);
    free(first_of);
    return err;
}

static void xnnpack_destroy(void *exec)
{
    NnXnn *x = exec;
    if (!x)
        return;
    /* The runtimes first: they may refer to the constants and buffers. */
    for (int i = 0; x->steps && i < x->num_steps; i++) {
        if (x->steps[i].runtime)
            xnn_delete_runtime(x->steps[i].runtime);
        free(x->steps[i].c_graph.tensors);
        free(x->steps[i].c_graph.ops);
    }
    free(x->steps);
    for (int t = 0; t < x->num_tensors; t++) {
        if (x->external)
            free(x->external[t]);
        if (x->constants)
            free(x->constants[t]);
    }
    for (int i = 0; x->synthetic && i < x->num_ops; i++)
        free(x->synthetic[i]);
    free(x->external);
    free(x->constants);
    free(x->synthetic);
    free(x->op_ms);
    free(x);
}

static int xnnpack_create(void **exec, const NnGraph *g, pthreadpool_t pool, unsigned flags)
{
    *exec = NULL;
    pthread_once(&xnn_init_once, init_xnnpack);
    if (xnn_init_status != xnn_status_success)
        return map_status(xnn_init_status);

    NnXnn *x = calloc(1, sizeof(*x));
    if (!x)
        return BACKDROP_ENOMEM;
    x->num_tensors = g->num_tensors;
    x->num_ops = g->num_ops;
    x->external = calloc((size_t)g->num_tensors, sizeof(*x->external));
    x->constants = calloc((size_t)g->num_tensors, sizeof(*x->constants));
    x->synthetic = calloc((size_t)g->num_ops, sizeof(*x->synthetic));
    int profile = (flags & NN_ENGINE_PROFILE) != 0;
    if (profile)
        x->op_ms = calloc((size_t)(g->num_ops ? g->num_ops : 1), sizeof(*x->op_ms));
    if (!x->external || !x->constants || !x->synthetic || (profile && !x->op_ms)) {
        xnnpack_destroy(x);
        return BACKDROP_ENOMEM;
    }

    Builder b = { x, g, NULL };
    int err = build_steps(&b, (flags & NN_ENGINE_EXPOSE_ALL) != 0, profile, pool);
    if (err) {
        xnnpack_destroy(x);
        return err;
    }
    *exec = x;
    return 0;
}

static float *xnnpack_buffer(void *exec, int t)
{
    NnXnn *x = exec;
    return x->external[t];
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int run_step(NnXnn *x, XnnStep *st)
{
    if (st->runtime)
        return map_status(xnn_invoke_runtime(st->runtime));
    const float *in[NN_MAX_INPUTS];
    int n = st->c_graph.ops[0].num_inputs;
    for (int k = 0; k < n; k++) {
        int t = st->c_tensors[k];
        in[k] = x->external[t] ? x->external[t] : x->constants[t];
    }
    nn_reference_eval_op(&st->c_graph, 0, in, x->external[st->c_tensors[n]]);
    return 0;
}

static int xnnpack_run(void *exec)
{
    NnXnn *x = exec;
    for (int i = 0; i < x->num_steps; i++) {
        double t0 = x->op_ms ? now_ms() : 0.0;
        int err = run_step(x, &x->steps[i]);
        if (err)
            return err;
        if (x->op_ms)
            x->op_ms[x->steps[i].first_op] = now_ms() - t0;
    }
    return 0;
}

static const double *xnnpack_op_ms(void *exec)
{
    NnXnn *x = exec;
    return x->op_ms;
}

const NnEngineClass nn_engine_xnnpack = {
    .name = "xnnpack",
    .create = xnnpack_create,
    .buffer = xnnpack_buffer,
    .run = xnnpack_run,
    .destroy = xnnpack_destroy,
    .op_ms = xnnpack_op_ms,
};
