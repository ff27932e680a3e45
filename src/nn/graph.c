/*
 * The network IR's own code: names, lookup, building ports, validation and
 * freeing. See graph.h for the invariants; nn_graph_validate() is where
 * they are written down as code, once, for every reader and every engine.
 */
#include "graph.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backdrop/backdrop.h"

const char *nn_op_name(NnOpType type)
{
    static const char *const names[NN_OP_COUNT] = {
        [NN_OP_CONV_2D] = "CONV_2D",
        [NN_OP_DEPTHWISE_CONV_2D] = "DEPTHWISE_CONV_2D",
        [NN_OP_TRANSPOSE_CONV_BIAS] = "TRANSPOSE_CONV_BIAS",
        [NN_OP_AVERAGE_POOL_2D] = "AVERAGE_POOL_2D",
        [NN_OP_ADD] = "ADD",
        [NN_OP_MUL] = "MUL",
        [NN_OP_HARD_SWISH] = "HARD_SWISH",
        [NN_OP_RELU] = "RELU",
        [NN_OP_LOGISTIC] = "LOGISTIC",
        [NN_OP_SUB] = "SUB",
        [NN_OP_DIV] = "DIV",
        [NN_OP_MINIMUM] = "MINIMUM",
        [NN_OP_MAXIMUM] = "MAXIMUM",
        [NN_OP_SQUARE] = "SQUARE",
        [NN_OP_TANH] = "TANH",
        [NN_OP_PAD] = "PAD",
        [NN_OP_CONCAT] = "CONCAT",
        [NN_OP_SLICE] = "SLICE",
        [NN_OP_RESIZE_BILINEAR] = "RESIZE_BILINEAR",
    };
    return (unsigned)type < NN_OP_COUNT && names[type] ? names[type] : "UNKNOWN";
}

const char *nn_dtype_name(NnDType dtype)
{
    static const char *const names[NN_DTYPE_COUNT] = {
        [NN_DTYPE_FLOAT32] = "FLOAT32",
        [NN_DTYPE_FLOAT16] = "FLOAT16",
        [NN_DTYPE_INT32] = "INT32",
    };
    return (unsigned)dtype < NN_DTYPE_COUNT ? names[dtype] : "UNKNOWN";
}

size_t nn_dtype_size(NnDType dtype)
{
    switch (dtype) {
    case NN_DTYPE_FLOAT32:
    case NN_DTYPE_INT32:
        return 4;
    case NN_DTYPE_FLOAT16:
        return 2;
    default:
        return 0;
    }
}

/* ---- ports ---------------------------------------------------------------- */

static int find_port(const NnPort *ports, int n, const char *name)
{
    if (!ports || !name)
        return -1;
    for (int i = 0; i < n; i++)
        if (ports[i].name && !strcmp(ports[i].name, name))
            return i;
    return -1;
}

int nn_graph_find_input(const NnGraph *g, const char *name)
{
    return g ? find_port(g->inputs, g->num_inputs, name) : -1;
}

int nn_graph_find_output(const NnGraph *g, const char *name)
{
    return g ? find_port(g->outputs, g->num_outputs, name) : -1;
}

/* Grows *ports by one; the new entry owns a copy of name. */
static int add_port(NnPort **ports, int *n, const char *name, int tensor)
{
    char *copy = malloc(strlen(name) + 1);
    NnPort *grown = copy ? realloc(*ports, (size_t)(*n + 1) * sizeof(**ports)) : NULL;
    if (!grown) {
        free(copy);
        return BACKDROP_ENOMEM;
    }
    strcpy(copy, name);
    *ports = grown;
    grown[*n] = (NnPort){ copy, tensor };
    (*n)++;
    return 0;
}

int nn_graph_add_input(NnGraph *g, const char *name, int tensor)
{
    return add_port(&g->inputs, &g->num_inputs, name, tensor);
}

int nn_graph_add_output(NnGraph *g, const char *name, int tensor)
{
    return add_port(&g->outputs, &g->num_outputs, name, tensor);
}

int nn_graph_add_state(NnGraph *g, int output, int input)
{
    NnStatePair *grown = realloc(g->states, (size_t)(g->num_states + 1) * sizeof(*grown));
    if (!grown)
        return BACKDROP_ENOMEM;
    g->states = grown;
    grown[g->num_states++] = (NnStatePair){ output, input };
    return 0;
}

/* Grows an array of *cap elements (at least n used) to hold one more:
 * doubling, from 16. */
static int grow(void **array, int *cap, int n, size_t elem)
{
    if (*cap > n)
        return 0;
    int want = n < 16 ? 16 : n;
    if (want > INT32_MAX / 2)
        return BACKDROP_ENOMEM;
    want *= 2;
    void *grown = realloc(*array, (size_t)want * elem);
    if (!grown)
        return BACKDROP_ENOMEM;
    *array = grown;
    *cap = want;
    return 0;
}

int nn_graph_add_tensor(NnGraph *g, NnDType dtype, int rank, const int32_t *shape, void *data, const char *name)
{
    if (rank < 0 || rank > NN_MAX_RANK || grow((void **)&g->tensors, &g->tensor_capacity, g->num_tensors,
                                               sizeof(*g->tensors))) {
        free(data);
        return BACKDROP_ENOMEM;
    }
    char *copy = malloc(strlen(name) + 1);
    if (!copy) {
        free(data);
        return BACKDROP_ENOMEM;
    }
    strcpy(copy, name);
    NnTensor *t = &g->tensors[g->num_tensors];
    memset(t, 0, sizeof(*t));
    t->dtype = dtype;
    t->rank = rank;
    t->count = 1;
    for (int d = 0; d < rank; d++) {
        t->shape[d] = shape[d];
        t->count *= shape[d] > 0 ? (size_t)shape[d] : 0;
    }
    t->data = data;
    t->name = copy;
    return g->num_tensors++;
}

int nn_graph_add_op(NnGraph *g, const NnOp *op)
{
    if (grow((void **)&g->ops, &g->op_capacity, g->num_ops, sizeof(*g->ops)))
        return BACKDROP_ENOMEM;
    g->ops[g->num_ops] = *op;
    return g->num_ops++;
}

int nn_graph_prune(NnGraph *g)
{
    int nt = g->num_tensors;
    char *needed = calloc((size_t)nt + 1, 1);
    int *renumber = malloc(((size_t)nt + 1) * sizeof(*renumber));
    if (!needed || !renumber) {
        free(needed);
        free(renumber);
        return BACKDROP_ENOMEM;
    }
    for (int i = 0; i < g->num_outputs; i++)
        needed[g->outputs[i].tensor] = 1;
    /* Ops are in execution order: walking back, an op is kept when its
     * output is needed, and then so are its inputs. */
    for (int k = g->num_ops - 1; k >= 0; k--) {
        NnOp *op = &g->ops[k];
        if (!needed[op->output]) {
            op->output = -1; /* marks the op as dropped */
            continue;
        }
        for (int j = 0; j < op->num_inputs; j++)
            needed[op->inputs[j]] = 1;
    }
    for (int i = 0; i < g->num_inputs; i++)
        needed[g->inputs[i].tensor] = 1;
    int n = 0;
    for (int t = 0; t < nt; t++) {
        if (needed[t]) {
            renumber[t] = n;
            g->tensors[n++] = g->tensors[t];
        } else {
            renumber[t] = -1;
            free(g->tensors[t].data);
            free(g->tensors[t].name);
        }
    }
    g->num_tensors = n;
    int m = 0;
    for (int k = 0; k < g->num_ops; k++) {
        NnOp op = g->ops[k];
        if (op.output < 0)
            continue;
        op.output = renumber[op.output];
        for (int j = 0; j < op.num_inputs; j++)
            op.inputs[j] = renumber[op.inputs[j]];
        g->ops[m++] = op;
    }
    g->num_ops = m;
    for (int i = 0; i < g->num_inputs; i++)
        g->inputs[i].tensor = renumber[g->inputs[i].tensor];
    for (int i = 0; i < g->num_outputs; i++)
        g->outputs[i].tensor = renumber[g->outputs[i].tensor];
    free(needed);
    free(renumber);
    return 0;
}

void nn_graph_free(NnGraph *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->num_tensors && g->tensors; i++) {
        free(g->tensors[i].data);
        free(g->tensors[i].name);
    }
    for (int i = 0; i < g->num_inputs && g->inputs; i++)
        free(g->inputs[i].name);
    for (int i = 0; i < g->num_outputs && g->outputs; i++)
        free(g->outputs[i].name);
    free(g->tensors);
    free(g->ops);
    free(g->inputs);
    free(g->outputs);
    free(g->states);
    memset(g, 0, sizeof(*g));
}

/* ======================================================================
 * Validation
 * ====================================================================== */

typedef struct Validator {
    const NnGraph *g;
    char *err;
    size_t errlen;
} Validator;

#ifdef __GNUC__
__attribute__((format(printf, 3, 4)))
#endif
static int bad(Validator *v, int code, const char *fmt, ...)
{
    if (v->err && v->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v->err, v->errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* ---- shape helpers -------------------------------------------------------- */

/* The shape of t right-aligned into 4 dimensions (numpy alignment). */
static void dims4(const NnTensor *t, int32_t d[4])
{
    for (int i = 0; i < 4; i++)
        d[i] = 1;
    for (int i = 0; i < t->rank; i++)
        d[4 - t->rank + i] = t->shape[i];
}

static int same_shape(const NnTensor *a, const NnTensor *b)
{
    if (a->rank != b->rank)
        return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->shape[i] != b->shape[i])
            return 0;
    return 1;
}

/* "[1,16,16,3]" into buf. */
static const char *shape_str(const NnTensor *t, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int d = 0; d < t->rank && used < n; d++) {
        int k = snprintf(buf + used, n - used, "%s%ld", d ? "," : "[", (long)t->shape[d]);
        used += k > 0 ? (size_t)k : 0;
    }
    if (used < n)
        snprintf(buf + used, n - used, t->rank ? "]" : "[]");
    return buf;
}

/* Output size of a convolution or pooling window along one axis (TFLite's
 * ComputeOutSize); 0 when VALID and the window does not fit. Computed in
 * 64 bits: the operands are validated ints, their combination need not
 * fit in one. */
static int64_t window_out(NnPadding padding, int64_t in, int64_t eff_k, int64_t stride)
{
    if (padding == NN_PAD_SAME)
        return (in + stride - 1) / stride;
    return in >= eff_k ? (in - eff_k + stride) / stride : 0;
}

static int valid_activation(NnActivation act)
{
    return act == NN_ACT_NONE || act == NN_ACT_RELU || act == NN_ACT_RELU6 || act == NN_ACT_RELU_N1_TO_1;
}

/* ---- per op type ------------------------------------------------------------ */

/* Engines compute window positions and padding in int: the span of the
 * windows, (out - 1) * stride + effective window, must fit in one. SAME
 * padding leaves the window size free of the input's, so a huge dilation
 * or pooling window could otherwise overflow them. (A transposed
 * convolution's span is its output, or within one stride of it.) */
static int check_span(Validator *v, int k, const NnOp *op, int64_t oh, int64_t ow, int64_t eff_h, int64_t eff_w)
{
    if ((oh - 1) * op->stride_h + eff_h > INT_MAX || (ow - 1) * op->stride_w + eff_w > INT_MAX)
        return bad(v, BACKDROP_ENOTSUP, "op %d (%s): window span exceeds %d", k, nn_op_name(op->type), INT_MAX);
    return 0;
}

/* The shapes of a convolution-like op do not fit together. Formatted only
 * on failure: validation runs on every load. */
static int conv_mismatch(Validator *v, int k, const NnOp *op)
{
    const NnGraph *g = v->g;
    char si[48], sw[48], so[48], pad[96];
    shape_str(&g->tensors[op->inputs[0]], si, sizeof(si));
    shape_str(&g->tensors[op->inputs[1]], sw, sizeof(sw));
    shape_str(&g->tensors[op->output], so, sizeof(so));
    if (op->padding == NN_PAD_EXPLICIT)
        snprintf(pad, sizeof(pad), "EXPLICIT top %d bottom %d left %d right %d", op->pad_top, op->pad_bottom,
                 op->pad_left, op->pad_right);
    else
        snprintf(pad, sizeof(pad), "%s", op->padding == NN_PAD_SAME ? "SAME" : "VALID");
    return bad(v, BACKDROP_EINVAL, "op %d (%s): input %s, filter %s and output %s do not fit (stride %dx%d, %s)", k,
               nn_op_name(op->type), si, sw, so, op->stride_h, op->stride_w, pad);
}

/* The pad fields of a windowed op: only an explicitly padded convolution
 * reads them; anywhere else a nonzero one would be silently ignored, which
 * would hide a reader that meant EXPLICIT and forgot to say so. */
static int check_no_pads(Validator *v, int k, const NnOp *op)
{
    if (op->pad_top || op->pad_bottom || op->pad_left || op->pad_right)
        return bad(v, BACKDROP_EINVAL, "op %d (%s): pads top %d bottom %d left %d right %d, but only EXPLICIT "
                   "padding takes pads", k, nn_op_name(op->type), op->pad_top, op->pad_bottom, op->pad_left,
                   op->pad_right);
    return 0;
}

/* CONV_2D, DEPTHWISE_CONV_2D and TRANSPOSE_CONV_BIAS: input, constant
 * filter, optional constant bias; shapes as the op type defines them. */
static int check_conv_like(Validator *v, int k, const NnOp *op)
{
    const NnGraph *g = v->g;
    const char *name = nn_op_name(op->type);
    if (op->num_inputs != 2 && op->num_inputs != 3)
        return bad(v, BACKDROP_EINVAL, "op %d (%s): %d inputs, expected 2 or 3", k, name, op->num_inputs);
    const NnTensor *in = &g->tensors[op->inputs[0]];
    const NnTensor *w = &g->tensors[op->inputs[1]];
    const NnTensor *out = &g->tensors[op->output];
    if (in->rank != 4 || w->rank != 4 || out->rank != 4 || in->shape[0] != out->shape[0])
        return bad(v, BACKDROP_EINVAL, "op %d (%s): input, filter and output must be rank 4 with one batch size", k,
                   name);
    if (!w->data)
        return bad(v, BACKDROP_ENOTSUP, "op %d (%s): the filter is computed at run time, not a constant", k, name);
    if (op->stride_h < 1 || op->stride_w < 1)
        return bad(v, BACKDROP_EINVAL, "op %d (%s): stride %dx%d", k, name, op->stride_h, op->stride_w);
    if (!valid_activation(op->activation) || (unsigned)op->padding > NN_PAD_EXPLICIT)
        return bad(v, BACKDROP_EINVAL, "op %d (%s): activation %d or padding %d unknown", k, name,
                   (int)op->activation, (int)op->padding);
    int e;
    if (op->padding != NN_PAD_EXPLICIT && (e = check_no_pads(v, k, op)))
        return e;
    int out_c = out->shape[3];
    if (op->num_inputs == 3) {
        const NnTensor *bias = &g->tensors[op->inputs[2]];
        if (!bias->data)
            return bad(v, BACKDROP_ENOTSUP, "op %d (%s): the bias is computed at run time, not a constant", k, name);
        if (bias->count != (size_t)out_c)
            return bad(v, BACKDROP_EINVAL, "op %d (%s): %zu biases for %d output channels", k, name, bias->count,
                       out_c);
    }
    int kh = w->shape[1], kw = w->shape[2];
    int ih = in->shape[1], iw = in->shape[2];
    int oh = out->shape[1], ow = out->shape[2];

    if (op->type == NN_OP_TRANSPOSE_CONV_BIAS) {
        /* Explicit padding would crop the output; nothing produces that
         * and the engines do not implement it. */
        if (op->padding == NN_PAD_EXPLICIT)
            return bad(v, BACKDROP_ENOTSUP, "op %d (%s): EXPLICIT padding is for CONV_2D and DEPTHWISE_CONV_2D only",
                       k, name);
        /* No dilation here: MediaPipe's op has none, its dilation fields
         * are ignored. */
        if (w->shape[0] != out_c || w->shape[3] != in->shape[3])
            return conv_mismatch(v, k, op);
        int fits;
        if (op->padding == NN_PAD_VALID)
            fits = (int64_t)oh == (int64_t)(ih - 1) * op->stride_h + kh &&
                   (int64_t)ow == (int64_t)(iw - 1) * op->stride_w + kw;
        else /* SAME: the input is what a SAME forward convolution of the
              * output gives; the uncovered part of the output is then below
              * one stride. */
            fits = window_out(NN_PAD_SAME, oh, kh, op->stride_h) == ih &&
                   window_out(NN_PAD_SAME, ow, kw, op->stride_w) == iw;
        return fits ? 0 : conv_mismatch(v, k, op);
    }

    if (op->dilation_h < 1 || op->dilation_w < 1)
        return bad(v, BACKDROP_EINVAL, "op %d (%s): dilation %dx%d", k, name, op->dilation_h, op->dilation_w);
    if (op->type == NN_OP_CONV_2D) {
        if (w->shape[0] != out_c || w->shape[3] != in->shape[3])
            return conv_mismatch(v, k, op);
    } else {
        int in_c = in->shape[3];
        if (w->shape[0] != 1 || w->shape[3] != out_c || out_c % in_c != 0)
            return conv_mismatch(v, k, op);
        if (op->depth_multiplier != 0 && op->depth_multiplier != out_c / in_c)
            return bad(v, BACKDROP_EINVAL, "op %d (%s): depth multiplier %d, the shapes give %d", k, name,
                       op->depth_multiplier, out_c / in_c);
    }
    int64_t eff_kh = (int64_t)(kh - 1) * op->dilation_h + 1, eff_kw = (int64_t)(kw - 1) * op->dilation_w + 1;
    /* EXPLICIT: the zero-padded input, then VALID. */
    NnPadding rule = op->padding;
    int64_t padded_h = ih, padded_w = iw;
    if (op->padding == NN_PAD_EXPLICIT) {
        /* At most eff_k - 1 on a side: every window then overlaps the
         * input (a folded TensorFlow Pad has half that, as SAME would).
         * The span check below still applies: an engine's source position
         * y * stride + ky * dilation - pad then lies in [-pad, span - pad). */
        if (op->pad_top < 0 || op->pad_bottom < 0 || op->pad_left < 0 || op->pad_right < 0 ||
            op->pad_top >= eff_kh || op->pad_bottom >= eff_kh || op->pad_left >= eff_kw || op->pad_right >= eff_kw)
            return bad(v, BACKDROP_EINVAL, "op %d (%s): explicit pads top %d bottom %d left %d right %d out of "
                       "range 0..%lld rows, 0..%lld columns (the effective window less one)", k, name, op->pad_top,
                       op->pad_bottom, op->pad_left, op->pad_right, (long long)(eff_kh - 1), (long long)(eff_kw - 1));
        padded_h += (int64_t)op->pad_top + op->pad_bottom;
        padded_w += (int64_t)op->pad_left + op->pad_right;
        rule = NN_PAD_VALID;
    }
    if (oh != window_out(rule, padded_h, eff_kh, op->stride_h) ||
        ow != window_out(rule, padded_w, eff_kw, op->stride_w))
        return conv_mismatch(v, k, op);
    return check_span(v, k, op, oh, ow, eff_kh, eff_kw);
}

static int check_pool(Validator *v, int k, const NnOp *op)
{
    const NnGraph *g = v->g;
    if (op->num_inputs != 1)
        return bad(v, BACKDROP_EINVAL, "op %d (AVERAGE_POOL_2D): %d inputs, expected 1", k, op->num_inputs);
    const NnTensor *in = &g->tensors[op->inputs[0]];
    const NnTensor *out = &g->tensors[op->output];
    char si[48], so[48];
    if (in->rank != 4 || out->rank != 4 || in->shape[0] != out->shape[0] || in->shape[3] != out->shape[3])
        return bad(v, BACKDROP_EINVAL, "op %d (AVERAGE_POOL_2D): input %s and output %s", k,
                   shape_str(in, si, sizeof(si)), shape_str(out, so, sizeof(so)));
    if (op->stride_h < 1 || op->stride_w < 1 || op->filter_h < 1 || op->filter_w < 1)
        return bad(v, BACKDROP_EINVAL, "op %d (AVERAGE_POOL_2D): window %dx%d, stride %dx%d", k, op->filter_h,
                   op->filter_w, op->stride_h, op->stride_w);
    /* An explicitly padded average would need a rule for whether the
     * padding counts in the divisor (TFLite's SAME leaves it out); no
     * reader needs one. */
    if (op->padding == NN_PAD_EXPLICIT)
        return bad(v, BACKDROP_ENOTSUP, "op %d (AVERAGE_POOL_2D): EXPLICIT padding is for CONV_2D and "
                   "DEPTHWISE_CONV_2D only", k);
    if (!valid_activation(op->activation) || (op->padding != NN_PAD_SAME && op->padding != NN_PAD_VALID))
        return bad(v, BACKDROP_EINVAL, "op %d (AVERAGE_POOL_2D): activation %d or padding %d unknown", k,
                   (int)op->activation, (int)op->padding);
    int e = check_no_pads(v, k, op);
    if (e)
        return e;
    if (out->shape[1] != window_out(op->padding, in->shape[1], op->filter_h, op->stride_h) ||
        out->shape[2] != window_out(op->padding, in->shape[2], op->filter_w, op->stride_w))
        return bad(v, BACKDROP_EINVAL, "op %d (AVERAGE_POOL_2D): output %s does not match input %s, window %dx%d", k,
                   shape_str(out, so, sizeof(so)), shape_str(in, si, sizeof(si)), op->filter_h, op->filter_w);
    return check_span(v, k, op, out->shape[1], out->shape[2], op->filter_h, op->filter_w);
}

/* ADD / MUL: numpy broadcasting, each aligned dimension equal or 1. */
static int check_binary(Validator *v, int k, const NnOp *op)
{
    const NnGraph *g = v->g;
    const char *name = nn_op_name(op->type);
    if (op->num_inputs != 2)
        return bad(v, BACKDROP_EINVAL, "op %d (%s): %d inputs, expected 2", k, name, op->num_inputs);
    if (!valid_activation(op->activation))
        return bad(v, BACKDROP_EINVAL, "op %d (%s): activation %d unknown", k, name, (int)op->activation);
    if ((op->type == NN_OP_MINIMUM || op->type == NN_OP_MAXIMUM) && op->activation != NN_ACT_NONE)
        return bad(v, BACKDROP_EINVAL, "op %d (%s): takes no fused activation", k, name);
    const NnTensor *ta = &g->tensors[op->inputs[0]], *tb = &g->tensors[op->inputs[1]];
    const NnTensor *out = &g->tensors[op->output];
    int32_t a[4], b[4], o[4];
    dims4(ta, a);
    dims4(tb, b);
    dims4(out, o);
    int rank = ta->rank > tb->rank ? ta->rank : tb->rank;
    int ok = out->rank == rank;
    for (int i = 0; i < 4 && ok; i++)
        ok = (a[i] == b[i] || a[i] == 1 || b[i] == 1) && o[i] == (a[i] > b[i] ? a[i] : b[i]);
    if (!ok) {
        char sa[48], sb[48], so[48];
        return bad(v, BACKDROP_EINVAL, "op %d (%s): operands %s and %s do not broadcast to the output %s", k, name,
                   shape_str(ta, sa, sizeof(sa)), shape_str(tb, sb, sizeof(sb)), shape_str(out, so, sizeof(so)));
    }
    return 0;
}

static int check_resize(Validator *v, int k, const NnOp *op)
{
    const NnGraph *g = v->g;
    if (op->num_inputs != 1)
        return bad(v, BACKDROP_EINVAL, "op %d (RESIZE_BILINEAR): %d inputs, expected 1", k, op->num_inputs);
    const NnTensor *in = &g->tensors[op->inputs[0]];
    const NnTensor *out = &g->tensors[op->output];
    if (in->rank != 4 || out->rank != 4 || in->shape[0] != out->shape[0] || in->shape[3] != out->shape[3] ||
        out->shape[1] != op->out_h || out->shape[2] != op->out_w) {
        char si[48], so[48];
        return bad(v, BACKDROP_EINVAL, "op %d (RESIZE_BILINEAR): input %s, output %s, size %dx%d", k,
                   shape_str(in, si, sizeof(si)), shape_str(out, so, sizeof(so)), op->out_h, op->out_w);
    }
    /* TFLite refuses this combination (half-pixel centres with aligned
     * corners has no defined meaning there). */
    if (op->align_corners && op->half_pixel_centers)
        return bad(v, BACKDROP_EINVAL, "op %d (RESIZE_BILINEAR): align_corners with half_pixel_centers", k);
    return 0;
}

/* PAD, CONCAT, SLICE: 4-D, batch and the untouched dimensions equal. */
static int check_movement(Validator *v, int k, const NnOp *op)
{
    const NnGraph *g = v->g;
    const char *name = nn_op_name(op->type);
    const NnTensor *in = &g->tensors[op->inputs[0]], *out = &g->tensors[op->output];
    char si[48], so[48];
    if (in->rank != 4 || out->rank != 4)
        return bad(v, BACKDROP_EINVAL, "op %d (%s): input %s, output %s: 4-D only", k, name,
                   shape_str(in, si, sizeof(si)), shape_str(out, so, sizeof(so)));
    if (op->type == NN_OP_PAD) {
        int pads[4] = { op->pad_top, op->pad_bottom, op->pad_left, op->pad_right };
        for (int i = 0; i < 4; i++)
            if (pads[i] < 0 || pads[i] > 4096)
                return bad(v, BACKDROP_EINVAL, "op %d (PAD): padding %d out of range", k, pads[i]);
        if (op->num_inputs != 1 || out->shape[0] != in->shape[0] ||
            out->shape[1] != in->shape[1] + op->pad_top + op->pad_bottom ||
            out->shape[2] != in->shape[2] + op->pad_left + op->pad_right || out->shape[3] != in->shape[3])
            return bad(v, BACKDROP_EINVAL, "op %d (PAD): input %s padded by %d,%d,%d,%d is not the output %s", k,
                       shape_str(in, si, sizeof(si)), op->pad_top, op->pad_bottom, op->pad_left, op->pad_right,
                       shape_str(out, so, sizeof(so)));
        return 0;
    }
    if (op->type == NN_OP_SLICE) {
        for (int d = 0; d < 4; d++)
            if (op->begin[d] < 0 || (int64_t)op->begin[d] + out->shape[d] > in->shape[d])
                return bad(v, BACKDROP_EINVAL, "op %d (SLICE): output %s from %d along dimension %d does not fit "
                           "the input %s", k, shape_str(out, so, sizeof(so)), op->begin[d], d,
                           shape_str(in, si, sizeof(si)));
        return op->num_inputs == 1 ? 0 : bad(v, BACKDROP_EINVAL, "op %d (SLICE): %d inputs", k, op->num_inputs);
    }
    /* CONCAT */
    if (op->num_inputs < 2)
        return bad(v, BACKDROP_EINVAL, "op %d (CONCAT): %d input", k, op->num_inputs);
    int64_t channels = 0;
    for (int i = 0; i < op->num_inputs; i++) {
        const NnTensor *t = &g->tensors[op->inputs[i]];
        if (t->rank != 4 || t->shape[0] != out->shape[0] || t->shape[1] != out->shape[1] ||
            t->shape[2] != out->shape[2])
            return bad(v, BACKDROP_EINVAL, "op %d (CONCAT): input %d is %s, the output %s", k, i,
                       shape_str(t, si, sizeof(si)), shape_str(out, so, sizeof(so)));
        channels += t->shape[3];
    }
    if (channels != out->shape[3])
        return bad(v, BACKDROP_EINVAL, "op %d (CONCAT): %lld channels in, %d out", k, (long long)channels,
                   out->shape[3]);
    return 0;
}

/* One op on its own: indices, what it may read and write, its type's
 * rules. Execution order is the caller's business. */
static int check_op(Validator *v, int k)
{
    const NnGraph *g = v->g;
    const NnOp *op = &g->ops[k];
    if (op->num_inputs < 1 || op->num_inputs > NN_MAX_INPUTS)
        return bad(v, BACKDROP_EINVAL, "op %d: %d inputs", k, op->num_inputs);
    if (op->output < 0 || op->output >= g->num_tensors)
        return bad(v, BACKDROP_EINVAL, "op %d: output tensor %d out of range (%d tensors)", k, op->output,
                   g->num_tensors);
    for (int i = 0; i < op->num_inputs; i++)
        if (op->inputs[i] < 0 || op->inputs[i] >= g->num_tensors)
            return bad(v, BACKDROP_EINVAL, "op %d: input %d is tensor %d, out of range (%d tensors)", k, i,
                       op->inputs[i], g->num_tensors);
    if (g->tensors[op->output].data)
        return bad(v, BACKDROP_EINVAL, "op %d: writes constant tensor %d", k, op->output);
    /* Data inputs are activations (only filters and biases are constant),
     * except that one operand of a binary element-wise op may be a
     * constant. */
    if (g->tensors[op->inputs[0]].data &&
        !(nn_op_is_binary(op->type) && op->num_inputs == 2 && !g->tensors[op->inputs[1]].data))
        return bad(v, BACKDROP_ENOTSUP, "op %d (%s): the data input is a constant", k, nn_op_name(op->type));
    /* Every op defined so far computes in float32. */
    for (int i = 0; i <= op->num_inputs; i++) {
        int t = i < op->num_inputs ? op->inputs[i] : op->output;
        if (g->tensors[t].dtype != NN_DTYPE_FLOAT32)
            return bad(v, BACKDROP_ENOTSUP, "op %d (%s): tensor %d is %s; the op takes FLOAT32", k,
                       nn_op_name(op->type), t, nn_dtype_name(g->tensors[t].dtype));
    }

    switch (op->type) {
    case NN_OP_CONV_2D:
    case NN_OP_DEPTHWISE_CONV_2D:
    case NN_OP_TRANSPOSE_CONV_BIAS:
        return check_conv_like(v, k, op);
    case NN_OP_AVERAGE_POOL_2D:
        return check_pool(v, k, op);
    case NN_OP_ADD:
    case NN_OP_MUL:
    case NN_OP_SUB:
    case NN_OP_DIV:
    case NN_OP_MINIMUM:
    case NN_OP_MAXIMUM:
        return check_binary(v, k, op);
    case NN_OP_HARD_SWISH:
    case NN_OP_RELU:
    case NN_OP_LOGISTIC:
    case NN_OP_SQUARE:
    case NN_OP_TANH:
        if (op->num_inputs != 1)
            return bad(v, BACKDROP_EINVAL, "op %d (%s): %d inputs, expected 1", k, nn_op_name(op->type),
                       op->num_inputs);
        if (!same_shape(&g->tensors[op->inputs[0]], &g->tensors[op->output]))
            return bad(v, BACKDROP_EINVAL, "op %d (%s): output shape differs from the input's", k,
                       nn_op_name(op->type));
        return 0;
    case NN_OP_RESIZE_BILINEAR:
        return check_resize(v, k, op);
    case NN_OP_PAD:
    case NN_OP_CONCAT:
    case NN_OP_SLICE:
        return check_movement(v, k, op);
    default:
        return bad(v, BACKDROP_ENOTSUP, "op %d: unknown op type %d", k, (int)op->type);
    }
}

/* ---- the graph ---------------------------------------------------------------- */

static int check_tensors(Validator *v)
{
    const NnGraph *g = v->g;
    for (int t = 0; t < g->num_tensors; t++) {
        const NnTensor *tensor = &g->tensors[t];
        if ((unsigned)tensor->dtype >= NN_DTYPE_COUNT)
            return bad(v, BACKDROP_EINVAL, "tensor %d: dtype %d unknown", t, (int)tensor->dtype);
        if (!tensor->name)
            return bad(v, BACKDROP_EINVAL, "tensor %d: no name", t);
        if (tensor->rank < 0 || tensor->rank > NN_MAX_RANK)
            return bad(v, BACKDROP_EINVAL, "tensor %d '%.64s': rank %d", t, tensor->name, tensor->rank);
        size_t count = 1;
        for (int i = 0; i < tensor->rank; i++) {
            if (tensor->shape[i] < 1)
                return bad(v, BACKDROP_EINVAL, "tensor %d '%.64s': dimension %d is %ld", t, tensor->name, i,
                           (long)tensor->shape[i]);
            if ((size_t)tensor->shape[i] > NN_MAX_ELEMENTS / count)
                return bad(v, BACKDROP_EINVAL, "tensor %d '%.64s': more than %zu elements", t, tensor->name,
                           NN_MAX_ELEMENTS);
            count *= (size_t)tensor->shape[i];
        }
        if (count != tensor->count)
            return bad(v, BACKDROP_EINVAL, "tensor %d '%.64s': count %zu, its shape gives %zu", t, tensor->name,
                       tensor->count, count);
    }
    return 0;
}

/* Names present and distinct; tensors in range and not constant. */
static int check_ports(Validator *v, const NnPort *ports, int n, const char *what)
{
    const NnGraph *g = v->g;
    if (n < 1 || !ports)
        return bad(v, BACKDROP_EINVAL, "the graph has no %ss", what);
    for (int i = 0; i < n; i++) {
        int t = ports[i].tensor;
        if (!ports[i].name)
            return bad(v, BACKDROP_EINVAL, "%s %d: no name", what, i);
        if (t < 0 || t >= g->num_tensors)
            return bad(v, BACKDROP_EINVAL, "%s %d '%.64s': tensor %d out of range (%d tensors)", what, i,
                       ports[i].name, t, g->num_tensors);
        if (g->tensors[t].data)
            return bad(v, BACKDROP_EINVAL, "%s %d '%.64s': tensor %d is a constant", what, i, ports[i].name, t);
        /* Quadratic, but graphs have a handful of ports. */
        for (int j = 0; j < i; j++)
            if (!strcmp(ports[j].name, ports[i].name))
                return bad(v, BACKDROP_EINVAL, "%ss %d and %d are both named '%.64s'", what, j, i, ports[i].name);
    }
    return 0;
}

static int check_states(Validator *v)
{
    const NnGraph *g = v->g;
    if (g->num_states < 0 || (g->num_states > 0 && !g->states))
        return bad(v, BACKDROP_EINVAL, "%d state pairs", g->num_states);
    for (int s = 0; s < g->num_states; s++) {
        const NnStatePair *p = &g->states[s];
        if (p->output < 0 || p->output >= g->num_outputs || p->input < 0 || p->input >= g->num_inputs)
            return bad(v, BACKDROP_EINVAL, "state pair %d: output %d -> input %d out of range", s, p->output, p->input);
        for (int r = 0; r < s; r++)
            if (g->states[r].input == p->input)
                return bad(v, BACKDROP_EINVAL, "state pairs %d and %d both feed input '%.64s'", r, s,
                           g->inputs[p->input].name);
        const NnTensor *out = &g->tensors[g->outputs[p->output].tensor];
        const NnTensor *in = &g->tensors[g->inputs[p->input].tensor];
        if (out->dtype != in->dtype || !same_shape(out, in)) {
            char so[48], si[48];
            return bad(v, BACKDROP_EINVAL, "state pair %d: output '%.64s' (%s %s) cannot feed input '%.64s' (%s %s)",
                       s, g->outputs[p->output].name, nn_dtype_name(out->dtype), shape_str(out, so, sizeof(so)),
                       g->inputs[p->input].name, nn_dtype_name(in->dtype), shape_str(in, si, sizeof(si)));
        }
    }
    return 0;
}

/* What a tensor holds at a point of execution. */
enum { AVAIL_NONE = 0, AVAIL_CONST, AVAIL_INPUT, AVAIL_WRITTEN };

static int check_graph(Validator *v, unsigned char *avail)
{
    const NnGraph *g = v->g;
    int e;
    if (!g->tensors || g->num_tensors < 1)
        return bad(v, BACKDROP_EINVAL, "the graph has no tensors");
    if (!g->ops || g->num_ops < 1)
        return bad(v, BACKDROP_EINVAL, "the graph has no ops");
    if ((e = check_tensors(v)) || (e = check_ports(v, g->inputs, g->num_inputs, "input")) ||
        (e = check_ports(v, g->outputs, g->num_outputs, "output")) || (e = check_states(v)))
        return e;
    for (int t = 0; t < g->num_tensors; t++)
        avail[t] = g->tensors[t].data ? AVAIL_CONST : AVAIL_NONE;
    for (int i = 0; i < g->num_inputs; i++) {
        if (avail[g->inputs[i].tensor] == AVAIL_INPUT)
            return bad(v, BACKDROP_EINVAL, "input %d '%.64s': tensor %d is already an input", i, g->inputs[i].name,
                       g->inputs[i].tensor);
        avail[g->inputs[i].tensor] = AVAIL_INPUT;
    }
    for (int k = 0; k < g->num_ops; k++) {
        if ((e = check_op(v, k)))
            return e;
        const NnOp *op = &g->ops[k];
        for (int i = 0; i < op->num_inputs; i++)
            if (avail[op->inputs[i]] == AVAIL_NONE)
                return bad(v, BACKDROP_EINVAL, "op %d (%s): input %d (tensor %d) is used before any op writes it", k,
                           nn_op_name(op->type), i, op->inputs[i]);
        if (avail[op->output] == AVAIL_INPUT)
            return bad(v, BACKDROP_EINVAL, "op %d (%s): writes graph input tensor %d", k, nn_op_name(op->type),
                       op->output);
        if (avail[op->output] == AVAIL_WRITTEN)
            return bad(v, BACKDROP_EINVAL, "op %d (%s): tensor %d is already written by an earlier op", k,
                       nn_op_name(op->type), op->output);
        avail[op->output] = AVAIL_WRITTEN;
    }
    for (int i = 0; i < g->num_outputs; i++)
        if (avail[g->outputs[i].tensor] != AVAIL_WRITTEN)
            return bad(v, BACKDROP_EINVAL, "output %d '%.64s': tensor %d is not written by any op", i,
                       g->outputs[i].name, g->outputs[i].tensor);
    return 0;
}

int nn_graph_validate(const NnGraph *g, char *err, size_t errlen)
{
    Validator v = { g, err, errlen };
    if (err && errlen)
        err[0] = '\0';
    if (!g)
        return bad(&v, BACKDROP_EINVAL, "no graph");
    if (g->num_tensors < 1)
        return bad(&v, BACKDROP_EINVAL, "the graph has no tensors");
    unsigned char *avail = malloc((size_t)g->num_tensors);
    if (!avail)
        return bad(&v, BACKDROP_ENOMEM, "out of memory for %d tensors", g->num_tensors);
    int e = check_graph(&v, avail);
    free(avail);
    return e;
}
