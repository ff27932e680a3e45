/*
 * Channel moves folded into convolutions: nn_graph_fold_channel_moves()
 * (graph.h).
 *
 * XNNPACK as Debian ships it has no concatenation or slice, so the engine
 * runs those ops in C between XNNPACK runtimes: a copy of the tensor, and
 * a break in the graph that XNNPACK cannot plan or parallelise across.
 * Networks written in TensorFlow use them around convolutions all the
 * time (RVM's decoder and its ConvGRUs: split a convolution's output into
 * halves or gates, concatenate the input and the state before the next
 * convolution). Most of them are not needed:
 *
 *   SLICE(CONV(x))           = CONV'(x), the filter's and bias's rows of
 *                              the slice's channels (no extra work);
 *   SLICE(unary(CONV(x)))    = unary(CONV'(x)) for the element-wise unary
 *                              ops (sigmoid, tanh, relu, hard-swish);
 *   CONV(CONCAT(a, b, ...))  = CONV_a(a) + CONV_b(b) + ..., the filter split
 *                              along its input channels, the bias and the
 *                              activation on the last sum (one ADD per
 *                              extra part, instead of a copy of every
 *                              part);
 *   SLICE(CONCAT(.., p, ..)) = p, when the slice is exactly a part;
 *   CONCAT of slices that    = the tensor itself
 *   put a tensor back
 *   together in order
 *
 * Each rewrite applies only when the op it replaces then has no other
 * reader (nothing is computed twice). Ops are rewritten in order into a
 * new list; the replaced ones are left for nn_graph_prune(). Float sums
 * come in another order, so results differ in rounding only.
 */
#include <stdlib.h>
#include <string.h>

#include "backdrop/backdrop.h"
#include "graph.h"

#define MAX_PARTS 8

typedef struct Folder {
    NnGraph *g;
    NnOp *ops;        /* the new op list */
    int num_ops, ops_cap;
    /* Per tensor (grown with the graph's tensors): */
    int *alias;       /* read this tensor instead */
    int *producer;    /* index in ops of its writer, -1 for none */
    int *slice_of;    /* the tensor it is a channel range of, or -1 */
    int *slice_at;    /* ... starting at this channel */
    int *readers;     /* ops of the original graph reading it (+1 for an output port) */
    int *reader;      /* the last of them (an op index of the original graph) */
    unsigned char *slices_only, *convs_only; /* every reader a channel SLICE / a CONV_2D */
    int cap;
} Folder;

static int ensure(Folder *F, int n)
{
    if (n <= F->cap)
        return 0;
    int cap = F->cap ? F->cap : 64;
    while (cap < n)
        cap *= 2;
    int **ints[] = { &F->alias, &F->producer, &F->slice_of, &F->slice_at, &F->readers, &F->reader };
    for (size_t k = 0; k < sizeof(ints) / sizeof(ints[0]); k++) {
        int *p = realloc(*ints[k], (size_t)cap * sizeof(int));
        if (!p)
            return BACKDROP_ENOMEM;
        *ints[k] = p;
    }
    unsigned char **bytes[] = { &F->slices_only, &F->convs_only };
    for (size_t k = 0; k < 2; k++) {
        unsigned char *p = realloc(*bytes[k], (size_t)cap);
        if (!p)
            return BACKDROP_ENOMEM;
        *bytes[k] = p;
    }
    for (int t = F->cap; t < cap; t++) {
        F->alias[t] = t;
        F->producer[t] = F->slice_of[t] = -1;
        F->slice_at[t] = F->readers[t] = 0;
        F->reader[t] = -1;
        F->slices_only[t] = F->convs_only[t] = 0;
    }
    F->cap = cap;
    return 0;
}

static int push(Folder *F, const NnOp *op)
{
    if (F->num_ops == F->ops_cap) {
        int cap = F->ops_cap ? 2 * F->ops_cap : 64;
        NnOp *p = realloc(F->ops, (size_t)cap * sizeof(*p));
        if (!p)
            return BACKDROP_ENOMEM;
        F->ops = p;
        F->ops_cap = cap;
    }
    F->ops[F->num_ops] = *op;
    F->producer[op->output] = F->num_ops++;
    return 0;
}

/* A new activation tensor shaped like 'like' with c channels. */
static int new_tensor(Folder *F, int like, int c, const char *suffix, int *t)
{
    const NnTensor *l = &F->g->tensors[like];
    int32_t shape[4] = { l->shape[0], l->shape[1], l->shape[2], c };
    size_t n = strlen(l->name) + strlen(suffix) + 2;
    char *name = malloc(n);
    if (!name)
        return BACKDROP_ENOMEM;
    strcpy(name, l->name);
    strcat(name, "/");
    strcat(name, suffix);
    int r = nn_graph_add_tensor(F->g, NN_DTYPE_FLOAT32, 4, shape, NULL, name);
    free(name);
    if (r < 0)
        return r;
    *t = r;
    return ensure(F, r + 1);
}

/* A constant of this shape from data (taken over). */
static int new_const(Folder *F, float *data, int rank, const int32_t *shape, int like, const char *suffix, int *t)
{
    const char *base = F->g->tensors[like].name;
    size_t n = strlen(base) + strlen(suffix) + 2;
    char *name = malloc(n);
    if (!name) {
        free(data);
        return BACKDROP_ENOMEM;
    }
    strcpy(name, base);
    strcat(name, "/");
    strcat(name, suffix);
    int r = nn_graph_add_tensor(F->g, NN_DTYPE_FLOAT32, rank, shape, data, name);
    free(name);
    if (r < 0)
        return r;
    *t = r;
    return ensure(F, r + 1);
}

/* Filter [O, KH, KW, I] restricted to outputs [o0, o0 + on) and inputs
 * [i0, i0 + in). */
static int sub_filter(Folder *F, int w, int o0, int on, int i0, int in, int *t)
{
    const NnTensor *W = &F->g->tensors[w];
    int32_t O = W->shape[0], KH = W->shape[1], KW = W->shape[2], I = W->shape[3];
    (void)O;
    float *data = malloc((size_t)on * KH * KW * in * sizeof(float));
    if (!data)
        return BACKDROP_ENOMEM;
    const float *src = W->data;
    for (int32_t o = 0; o < on; o++)
        for (int32_t k = 0; k < KH * KW; k++)
            memcpy(data + ((size_t)o * KH * KW + k) * in, src + ((size_t)(o0 + o) * KH * KW + k) * I + i0,
                   (size_t)in * sizeof(float));
    int32_t shape[4] = { on, KH, KW, in };
    return new_const(F, data, 4, shape, w, "part", t);
}

static int sub_bias(Folder *F, int b, int o0, int on, int *t)
{
    float *data = malloc((size_t)on * sizeof(float));
    if (!data)
        return BACKDROP_ENOMEM;
    memcpy(data, (const float *)F->g->tensors[b].data + o0, (size_t)on * sizeof(float));
    int32_t shape[1] = { on };
    return new_const(F, data, 1, shape, b, "part", t);
}

/* The parts of a CONCAT output (nested ones flattened), when every one is
 * computed and the CONCAT has only convolutions as readers. 0: not so. */
static int concat_parts(const Folder *F, int t, int *parts, int *n)
{
    int p = F->producer[t];
    if (p < 0 || F->ops[p].type != NN_OP_CONCAT || !F->convs_only[t]) {
        if (*n == MAX_PARTS || F->g->tensors[t].data)
            return 0;
        parts[(*n)++] = t;
        return 1;
    }
    const NnOp *c = &F->ops[p];
    for (int k = 0; k < c->num_inputs; k++)
        if (!concat_parts(F, c->inputs[k], parts, n))
            return 0;
    return 1;
}

/* A CONV_2D into the new list, split over its input's concatenated parts
 * when it can be. */
static int emit_conv(Folder *F, const NnOp *conv)
{
    int in = conv->inputs[0];
    int p = F->producer[in];
    int parts[MAX_PARTS], n = 0;
    if (conv->type != NN_OP_CONV_2D || p < 0 || F->ops[p].type != NN_OP_CONCAT || !F->convs_only[in] ||
        !concat_parts(F, in, parts, &n) || n < 2)
        return push(F, conv);
    int out = conv->output, oc = F->g->tensors[out].shape[3];
    int acc = -1, at = 0, e;
    for (int k = 0; k < n; k++) {
        int c = F->g->tensors[parts[k]].shape[3], w;
        if ((e = sub_filter(F, conv->inputs[1], 0, oc, at, c, &w)))
            return e;
        at += c;
        NnOp part = *conv;
        part.inputs[0] = parts[k];
        part.inputs[1] = w;
        part.num_inputs = k == 0 ? conv->num_inputs : 2; /* the bias once */
        part.activation = NN_ACT_NONE;
        if ((e = new_tensor(F, out, oc, "conv-part", &part.output)) || (e = push(F, &part)))
            return e;
        if (acc < 0) {
            acc = part.output;
            continue;
        }
        NnOp add = { .type = NN_OP_ADD, .num_inputs = 2, .inputs = { acc, part.output } };
        if (k == n - 1) {
            add.output = out;
            add.activation = conv->activation;
        } else if ((e = new_tensor(F, out, oc, "conv-sum", &add.output))) {
            return e;
        }
        if ((e = push(F, &add)))
            return e;
        acc = add.output;
    }
    return 0;
}

static int is_unary(NnOpType t)
{
    return t == NN_OP_LOGISTIC || t == NN_OP_TANH || t == NN_OP_RELU || t == NN_OP_HARD_SWISH;
}

/* A SLICE that takes channels only (whole batch, height and width). */
static int channel_slice(const NnGraph *g, const NnOp *op)
{
    const NnTensor *in = &g->tensors[op->inputs[0]], *out = &g->tensors[op->output];
    return op->type == NN_OP_SLICE && in->rank == 4 && !op->begin[0] && !op->begin[1] && !op->begin[2] &&
           out->shape[0] == in->shape[0] && out->shape[1] == in->shape[1] && out->shape[2] == in->shape[2];
}

/* SLICE op (inputs aliased): 1 when it was folded, 0 to keep it. */
static int fold_slice(Folder *F, const NnOp *op, int *err)
{
    NnGraph *g = F->g;
    int x = op->inputs[0], out = op->output;
    int c0 = op->begin[3], n = g->tensors[out].shape[3];
    int p = F->producer[x];
    *err = 0;
    if (p < 0)
        return 0;
    const NnOp *src = &F->ops[p];
    if (src->type == NN_OP_CONCAT) {
        /* exactly one part */
        int at = 0;
        for (int k = 0; k < src->num_inputs; k++) {
            int part = src->inputs[k], c = g->tensors[part].shape[3];
            if (at == c0 && c == n && F->producer[part] >= 0) {
                F->alias[out] = part;
                return 1;
            }
            at += c;
        }
        return 0;
    }
    if (!F->slices_only[x])
        return 0;
    int conv_at = p, unary = -1;
    if (is_unary(src->type) && src->activation == NN_ACT_NONE) {
        int y = src->inputs[0];
        if (F->producer[y] < 0 || F->readers[y] != 1)
            return 0;
        unary = p;
        conv_at = F->producer[y];
    }
    const NnOp conv = F->ops[conv_at];
    if (conv.type != NN_OP_CONV_2D)
        return 0;
    /* The convolution's rows of these channels. */
    NnOp part = conv;
    if ((*err = sub_filter(F, conv.inputs[1], c0, n, 0, g->tensors[conv.inputs[1]].shape[3], &part.inputs[1])))
        return 0;
    if (conv.num_inputs == 3 && (*err = sub_bias(F, conv.inputs[2], c0, n, &part.inputs[2])))
        return 0;
    if (unary < 0) {
        part.output = out;
    } else if ((*err = new_tensor(F, out, n, "conv-rows", &part.output))) {
        return 0;
    }
    if ((*err = emit_conv(F, &part)))
        return 0;
    if (unary >= 0) {
        NnOp u = F->ops[unary];
        u.inputs[0] = part.output;
        u.output = out;
        if ((*err = push(F, &u)))
            return 0;
    }
    F->slice_of[out] = x;
    F->slice_at[out] = c0;
    return 1;
}

/* CONCAT whose inputs are, in order, all the channels of one tensor. */
static int fold_concat(Folder *F, const NnOp *op)
{
    int whole = F->slice_of[op->inputs[0]], at = 0;
    if (whole < 0 || F->producer[whole] < 0)
        return 0;
    for (int k = 0; k < op->num_inputs; k++) {
        int t = op->inputs[k];
        if (F->slice_of[t] != whole || F->slice_at[t] != at)
            return 0;
        at += F->g->tensors[t].shape[3];
    }
    if (at != F->g->tensors[whole].shape[3])
        return 0;
    F->alias[op->output] = whole;
    return 1;
}

/* A convolution's output that only slices read (directly, or through one
 * element-wise unary op): the slices will each get rows of it, so it is
 * kept whole (and then pruned) rather than split over its input. */
static int to_be_sliced(const Folder *F, int t)
{
    if (F->slices_only[t])
        return 1;
    if (F->readers[t] != 1 || F->reader[t] < 0)
        return 0;
    const NnOp *u = &F->g->ops[F->reader[t]];
    return is_unary(u->type) && u->activation == NN_ACT_NONE && F->slices_only[u->output];
}

int nn_graph_fold_channel_moves(NnGraph *g)
{
    Folder F = { .g = g };
    int e = ensure(&F, g->num_tensors + 1);
    /* Who reads what, in the graph as it is. */
    for (int t = 0; !e && t < g->num_tensors; t++)
        F.slices_only[t] = F.convs_only[t] = 1;
    for (int k = 0; !e && k < g->num_ops; k++) {
        const NnOp *op = &g->ops[k];
        for (int j = 0; j < op->num_inputs; j++) {
            int t = op->inputs[j];
            F.readers[t]++;
            F.reader[t] = k;
            F.slices_only[t] &= j == 0 && channel_slice(g, op);
            F.convs_only[t] &= j == 0 && op->type == NN_OP_CONV_2D;
        }
    }
    for (int k = 0; !e && k < g->num_outputs; k++) {
        int t = g->outputs[k].tensor;
        F.readers[t]++;
        F.slices_only[t] = F.convs_only[t] = 0;
    }
    int original = g->num_ops;
    for (int k = 0; !e && k < original; k++) {
        NnOp op = g->ops[k];
        for (int j = 0; j < op.num_inputs; j++)
            op.inputs[j] = F.alias[op.inputs[j]];
        int folded = 0;
        if (channel_slice(g, &op))
            folded = fold_slice(&F, &op, &e);
        else if (op.type == NN_OP_CONCAT)
            folded = fold_concat(&F, &op);
        if (e || folded)
            continue;
        e = op.type == NN_OP_CONV_2D && !to_be_sliced(&F, op.output) ? emit_conv(&F, &op) : push(&F, &op);
    }
    if (!e) {
        free(g->ops);
        g->ops = F.ops;
        g->num_ops = F.num_ops;
        g->op_capacity = F.ops_cap;
        F.ops = NULL;
        for (int k = 0; k < g->num_outputs; k++)
            g->outputs[k].tensor = F.alias[g->outputs[k].tensor];
        e = nn_graph_prune(g);
    }
    free(F.ops);
    free(F.alias);
    free(F.producer);
    free(F.slice_of);
    free(F.slice_at);
    free(F.readers);
    free(F.reader);
    free(F.slices_only);
    free(F.convs_only);
    return e;
}
