/* See graph_check.h. Every rule here restates graph.h and format/tflite.h
 * in its own terms. */
#include "graph_check.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Check {
    const NnGraph *g;
    char *why;
    size_t whylen;
} Check;

#ifdef __GNUC__
__attribute__((format(printf, 2, 3)))
#endif
static int bad(Check *c, const char *fmt, ...)
{
    if (c->why && c->whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->why, c->whylen, fmt, ap);
        va_end(ap);
    }
    return 1;
}

static const NnTensor *T(const Check *c, int i)
{
    return &c->g->tensors[i];
}

static int is_const(const Check *c, int i)
{
    return T(c, i)->data != NULL;
}

static int dims_are(const NnTensor *t, int32_t n, int32_t h, int32_t w, int32_t ch)
{
    return t->rank == 4 && t->shape[0] == n && t->shape[1] == h && t->shape[2] == w && t->shape[3] == ch;
}

static int same_shape(const NnTensor *a, const NnTensor *b)
{
    if (a->rank != b->rank)
        return 0;
    for (int d = 0; d < a->rank; d++)
        if (a->shape[d] != b->shape[d])
            return 0;
    return 1;
}

/* Forward window output size (TFLite ComputeOutSize), in 64 bits. */
static long long out_size(NnPadding p, long long in, long long eff, long long stride)
{
    if (p == NN_PAD_SAME)
        return (in + stride - 1) / stride;
    return in < eff ? 0 : (in - eff) / stride + 1;
}

static int check_window(Check *c, int k, const char *axis, NnPadding p, long long in, long long kdim,
                        long long stride, long long dilation, long long out)
{
    if (stride < 1 || dilation < 1)
        return bad(c, "op %d: %s stride %lld / dilation %lld not positive", k, axis, stride, dilation);
    long long eff = (kdim - 1) * dilation + 1;
    if (out_size(p, in, eff, stride) != out || out < 1)
        return bad(c, "op %d: %s output %lld, window rule gives %lld", k, axis, out, out_size(p, in, eff, stride));
    if ((out - 1) * stride + eff > INT_MAX)
        return bad(c, "op %d: %s span overflows int", k, axis);
    return 0;
}

static int check_tensors(Check *c)
{
    const NnGraph *g = c->g;
    if (g->num_tensors < 2 || !g->tensors)
        return bad(c, "%d tensors", g->num_tensors);
    for (int i = 0; i < g->num_tensors; i++) {
        const NnTensor *t = T(c, i);
        if (t->rank < 1 || t->rank > NN_MAX_RANK)
            return bad(c, "tensor %d: rank %d", i, t->rank);
        size_t count = 1;
        for (int d = 0; d < t->rank; d++) {
            if (t->shape[d] < 1)
                return bad(c, "tensor %d: dimension %d is %d", i, d, (int)t->shape[d]);
            if ((size_t)t->shape[d] > NN_MAX_ELEMENTS / count)
                return bad(c, "tensor %d: more than NN_MAX_ELEMENTS", i);
            count *= (size_t)t->shape[d];
        }
        if (count != t->count)
            return bad(c, "tensor %d: count %zu, shape gives %zu", i, t->count, count);
        if (!t->name)
            return bad(c, "tensor %d: NULL name", i);
        if (t->dtype != NN_DTYPE_FLOAT32)
            return bad(c, "tensor %d: dtype %d", i, (int)t->dtype);
        (void)strlen(t->name); /* must be terminated */
        if (t->data) {
            /* Touch every value (ASan checks the allocation size). */
            uint32_t acc = 0;
            for (size_t k = 0; k < t->count; k++) {
                uint32_t bits;
                memcpy(&bits, (const float *)t->data + k, sizeof(bits));
                acc ^= bits;
            }
            volatile uint32_t sink = acc;
            (void)sink;
        }
    }
    return 0;
}

static int inputs_expected(NnOpType type)
{
    switch (type) {
    case NN_OP_CONV_2D:
    case NN_OP_DEPTHWISE_CONV_2D:
    case NN_OP_TRANSPOSE_CONV_BIAS:
        return 3;
    case NN_OP_ADD:
    case NN_OP_MUL:
        return 2;
    default:
        return 1;
    }
}

static int check_conv(Check *c, int k, const NnOp *op)
{
    const NnTensor *in = T(c, op->inputs[0]), *w = T(c, op->inputs[1]), *b = T(c, op->inputs[2]);
    const NnTensor *out = T(c, op->output);
    if (!is_const(c, op->inputs[1]) || !is_const(c, op->inputs[2]))
        return bad(c, "op %d: filter or bias is not constant", k);
    if (w->rank != 4 || b->rank != 1 || in->rank != 4)
        return bad(c, "op %d: filter rank %d, bias rank %d, input rank %d", k, w->rank, b->rank, in->rank);
    if (op->filter_h != w->shape[1] || op->filter_w != w->shape[2])
        return bad(c, "op %d: filter_h/w %dx%d, filter has %dx%d", k, op->filter_h, op->filter_w, (int)w->shape[1],
                   (int)w->shape[2]);
    int32_t in_c = in->shape[3], out_c = out->shape[3];
    if (b->shape[0] != out_c)
        return bad(c, "op %d: bias of %d for %d output channels", k, (int)b->shape[0], (int)out_c);
    if (op->type == NN_OP_DEPTHWISE_CONV_2D) {
        if (w->shape[0] != 1 || w->shape[3] != out_c || out_c % in_c != 0 || op->depth_multiplier != out_c / in_c)
            return bad(c, "op %d: depthwise filter/multiplier mismatch", k);
    } else {
        if (w->shape[0] != out_c || w->shape[3] != in_c)
            return bad(c, "op %d: filter [%d,..,%d] for %d -> %d channels", k, (int)w->shape[0], (int)w->shape[3],
                       (int)in_c, (int)out_c);
        if (op->depth_multiplier != 0)
            return bad(c, "op %d: depth_multiplier set on a non-depthwise op", k);
    }
    if (op->type == NN_OP_TRANSPOSE_CONV_BIAS) {
        if (op->dilation_h != 1 || op->dilation_w != 1 || op->stride_h < 1 || op->stride_w < 1)
            return bad(c, "op %d: transpose conv stride %dx%d dilation %dx%d", k, op->stride_h, op->stride_w,
                       op->dilation_h, op->dilation_w);
        const long long ins[2] = { in->shape[1], in->shape[2] }, ks[2] = { w->shape[1], w->shape[2] },
                        ss[2] = { op->stride_h, op->stride_w }, outs[2] = { out->shape[1], out->shape[2] };
        for (int a = 0; a < 2; a++) {
            long long span = (ins[a] - 1) * ss[a] + ks[a];
            if (span > INT_MAX)
                return bad(c, "op %d: transpose span overflows int", k);
            if (op->padding == NN_PAD_VALID ? outs[a] != span : out_size(NN_PAD_SAME, outs[a], ks[a], ss[a]) != ins[a])
                return bad(c, "op %d: transpose output %lld for input %lld, kernel %lld, stride %lld", k, outs[a],
                           ins[a], ks[a], ss[a]);
        }
        return 0;
    }
    int e;
    if ((e = check_window(c, k, "height", op->padding, in->shape[1], w->shape[1], op->stride_h, op->dilation_h,
                          out->shape[1])) ||
        (e = check_window(c, k, "width", op->padding, in->shape[2], w->shape[2], op->stride_w, op->dilation_w,
                          out->shape[2])))
        return e;
    return 0;
}

static int check_op(Check *c, int k, const NnOp *op)
{
    const NnTensor *out = T(c, op->output);
    const NnTensor *in = T(c, op->inputs[0]);
    int is_conv = op->type == NN_OP_CONV_2D || op->type == NN_OP_DEPTHWISE_CONV_2D ||
                  op->type == NN_OP_TRANSPOSE_CONV_BIAS;
    int windowed = is_conv || op->type == NN_OP_AVERAGE_POOL_2D;
    /* Fields an op does not use are 0. */
    if (op->type != NN_OP_RESIZE_BILINEAR && (op->out_h || op->out_w || op->align_corners || op->half_pixel_centers))
        return bad(c, "op %d: resize fields set on %s", k, nn_op_name(op->type));
    if (!is_conv && (op->dilation_h || op->dilation_w))
        return bad(c, "op %d: dilation set on %s", k, nn_op_name(op->type));
    if (!windowed && (op->stride_h || op->stride_w || op->filter_h || op->filter_w || op->padding))
        return bad(c, "op %d: window fields set on %s", k, nn_op_name(op->type));
    if (op->type != NN_OP_DEPTHWISE_CONV_2D && op->depth_multiplier)
        return bad(c, "op %d: depth_multiplier set on %s", k, nn_op_name(op->type));
    /* .tflite has no PAD here and no explicit padding (SAME or VALID). */
    if (op->pad_top || op->pad_bottom || op->pad_left || op->pad_right)
        return bad(c, "op %d: pad fields set on %s", k, nn_op_name(op->type));
    if (!is_conv && op->type != NN_OP_AVERAGE_POOL_2D && op->type != NN_OP_ADD && op->type != NN_OP_MUL &&
        op->activation != NN_ACT_NONE)
        return bad(c, "op %d: fused activation on %s", k, nn_op_name(op->type));

    switch (op->type) {
    case NN_OP_CONV_2D:
    case NN_OP_DEPTHWISE_CONV_2D:
    case NN_OP_TRANSPOSE_CONV_BIAS:
        return check_conv(c, k, op);
    case NN_OP_AVERAGE_POOL_2D: {
        if (in->rank != 4 || out->shape[3] != in->shape[3])
            return bad(c, "op %d: pool channels", k);
        if (op->filter_h < 1 || op->filter_w < 1 || op->filter_h > in->shape[1] || op->filter_w > in->shape[2])
            return bad(c, "op %d: pool filter %dx%d on %dx%d", k, op->filter_h, op->filter_w, (int)in->shape[1],
                       (int)in->shape[2]);
        int e;
        if ((e = check_window(c, k, "height", op->padding, in->shape[1], op->filter_h, op->stride_h, 1, out->shape[1])) ||
            (e = check_window(c, k, "width", op->padding, in->shape[2], op->filter_w, op->stride_w, 1, out->shape[2])))
            return e;
        return 0;
    }
    case NN_OP_ADD:
    case NN_OP_MUL: {
        const NnTensor *b = T(c, op->inputs[1]);
        if (!same_shape(in, out))
            return bad(c, "op %d: first operand does not have the output shape", k);
        if (!same_shape(b, out) && !dims_are(b, 1, 1, 1, out->shape[3]))
            return bad(c, "op %d: second operand neither output shape nor [1,1,1,C]", k);
        if (is_const(c, op->inputs[0]) && is_const(c, op->inputs[1]))
            return bad(c, "op %d: both operands constant", k);
        return 0;
    }
    case NN_OP_HARD_SWISH:
    case NN_OP_RELU:
    case NN_OP_LOGISTIC:
        return same_shape(in, out) ? 0 : bad(c, "op %d: %s changes the shape", k, nn_op_name(op->type));
    case NN_OP_RESIZE_BILINEAR:
        if (in->rank != 4 || !dims_are(out, 1, op->out_h, op->out_w, in->shape[3]) || op->out_h < 1 || op->out_w < 1)
            return bad(c, "op %d: resize to %dx%d, output mismatch", k, op->out_h, op->out_w);
        if (op->align_corners && op->half_pixel_centers)
            return bad(c, "op %d: align_corners with half_pixel_centers", k);
        return 0;
    default:
        return bad(c, "op %d: unknown type %d", k, (int)op->type);
    }
}

int nn_graph_check(const NnGraph *g, char *why, size_t whylen)
{
    Check c = { g, why, whylen };
    if (!g)
        return bad(&c, "NULL graph");
    int e;
    if ((e = check_tensors(&c)))
        return e;
    if (g->num_ops < 1 || !g->ops)
        return bad(&c, "%d ops", g->num_ops);
    int n = g->num_tensors;
    /* The reader's ports: "input"; "output" and, after a final LOGISTIC
     * whose input an op computes, "logits"; no state. */
    if (g->num_inputs != 1 || !g->inputs || !g->inputs[0].name || strcmp(g->inputs[0].name, "input"))
        return bad(&c, "%d inputs, the first not named 'input'", g->num_inputs);
    if (g->num_outputs < 1 || g->num_outputs > 2 || !g->outputs || !g->outputs[0].name ||
        strcmp(g->outputs[0].name, "output"))
        return bad(&c, "%d outputs, the first not named 'output'", g->num_outputs);
    if (g->num_outputs == 2 && (!g->outputs[1].name || strcmp(g->outputs[1].name, "logits")))
        return bad(&c, "second output not named 'logits'");
    if (g->num_states != 0 || g->states)
        return bad(&c, "%d state pairs", g->num_states);
    const int input = g->inputs[0].tensor, output = g->outputs[0].tensor;
    const int logits = g->num_outputs == 2 ? g->outputs[1].tensor : -1;
    if (input < 0 || input >= n || output < 0 || output >= n || logits < -1 || logits >= n)
        return bad(&c, "input %d / output %d / logits %d out of range", input, output, logits);
    if (is_const(&c, input) || !dims_are(T(&c, input), 1, T(&c, input)->shape[1], T(&c, input)->shape[2], 3))
        return bad(&c, "graph input is not a [1,H,W,3] activation");
    if (is_const(&c, output) || !dims_are(T(&c, output), 1, T(&c, output)->shape[1], T(&c, output)->shape[2], 1))
        return bad(&c, "graph output is not a [1,H,W,1] activation");

    /* defined[i]: readable at this point of execution. writer[i]: op. */
    char *defined = calloc((size_t)n, 1);
    char *referenced = calloc((size_t)n, 1);
    int *writer = malloc((size_t)n * sizeof(int));
    if (!defined || !referenced || !writer) {
        free(defined);
        free(referenced);
        free(writer);
        return bad(&c, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        defined[i] = (char)is_const(&c, i);
        writer[i] = -1;
    }
    defined[input] = 1;
    referenced[input] = referenced[output] = 1;
    e = 0;
    for (int k = 0; k < g->num_ops && !e; k++) {
        const NnOp *op = &g->ops[k];
        if ((unsigned)op->type >= NN_OP_COUNT) {
            e = bad(&c, "op %d: type %d", k, (int)op->type);
            break;
        }
        if (op->num_inputs != inputs_expected(op->type)) {
            e = bad(&c, "op %d (%s): %d inputs", k, nn_op_name(op->type), op->num_inputs);
            break;
        }
        if ((unsigned)op->activation > NN_ACT_RELU_N1_TO_1 || (unsigned)op->padding > NN_PAD_VALID) {
            e = bad(&c, "op %d: activation %d / padding %d", k, (int)op->activation, (int)op->padding);
            break;
        }
        for (int j = 0; j < op->num_inputs && !e; j++) {
            int i = op->inputs[j];
            if (i < 0 || i >= n)
                e = bad(&c, "op %d: input %d is %d", k, j, i);
            else if (!defined[i])
                e = bad(&c, "op %d: input %d (tensor %d) used before it is written", k, j, i);
            else
                referenced[i] = 1;
        }
        if (e)
            break;
        int o = op->output;
        if (o < 0 || o >= n) {
            e = bad(&c, "op %d: output %d", k, o);
            break;
        }
        if (is_const(&c, o) || o == input || writer[o] >= 0) {
            e = bad(&c, "op %d: output tensor %d is a constant, the input, or written twice", k, o);
            break;
        }
        if (!dims_are(T(&c, o), 1, T(&c, o)->shape[1], T(&c, o)->shape[2], T(&c, o)->shape[3]))
            e = bad(&c, "op %d: output is not [1,H,W,C]", k);
        else if (is_const(&c, op->inputs[0]) && op->type != NN_OP_ADD && op->type != NN_OP_MUL)
            e = bad(&c, "op %d: data input is a constant", k);
        else
            e = check_op(&c, k, op);
        writer[o] = k;
        defined[o] = 1;
        referenced[o] = 1;
    }
    if (!e && writer[output] < 0)
        e = bad(&c, "graph output is written by no op");
    if (!e) {
        const NnOp *last = &g->ops[writer[output]];
        int want = last->type == NN_OP_LOGISTIC && writer[last->inputs[0]] >= 0 ? last->inputs[0] : -1;
        if (logits != want)
            e = bad(&c, "logits is %d, expected %d", logits, want);
    }
    for (int i = 0; i < n && !e; i++)
        if (!referenced[i])
            e = bad(&c, "tensor %d is not used by the graph", i);
    free(defined);
    free(referenced);
    free(writer);
    /* The IR's own rules (graph.c) must agree with these. */
    char reason[200];
    if (!e && nn_graph_validate(g, reason, sizeof(reason)))
        e = bad(&c, "nn_graph_validate refuses it: %s", reason);
    return e;
}
