/*
 * Reference executor: each operator written as the loop its TFLite
 * definition describes. See reference.h for the numerics.
 *
 * Index conventions: activations are NHWC; a tensor of rank < 4 is viewed
 * as 4-D with leading 1s (numpy alignment), which is what broadcasting in
 * ADD/MUL needs and what the spatial operators (always rank 4) get anyway.
 */
#include <math.h>
#include <string.h>
#include <stdlib.h>

#include "reference.h"
#include "../engine.h"
#include "backdrop/backdrop.h"

typedef struct NnReference {
    const NnGraph *graph;
    float **buffers; /* per tensor: owned buffer for activations, NULL for constants */
} NnReference;

/* ---- shape helpers ------------------------------------------------------ */

/* The shape of t right-aligned into 4 dimensions. */
static void dims4(const NnTensor *t, int32_t d[4])
{
    for (int i = 0; i < 4; i++)
        d[i] = 1;
    for (int i = 0; i < t->rank; i++)
        d[4 - t->rank + i] = t->shape[i];
}

/* Padding before the first input row/column for a forward window (TFLite
 * SAME: half of the total, rounded down; the odd element goes after). */
static int window_pad_before(NnPadding padding, int in, int out, int eff_k, int stride)
{
    if (padding != NN_PAD_SAME)
        return 0;
    int total = (out - 1) * stride + eff_k - in;
    return total > 0 ? total / 2 : 0;
}

/* The same for a convolution, which may also be padded EXPLICIT (the op's
 * own pads; what falls after the input needs no number: taps past the
 * last row or column count as zero, and the output size says where the
 * windows stop). */
static void conv_pads_before(const NnOp *op, int ih, int iw, int oh, int ow, int kh, int kw, int *top, int *left)
{
    if (op->padding == NN_PAD_EXPLICIT) {
        *top = op->pad_top;
        *left = op->pad_left;
        return;
    }
    *top = window_pad_before(op->padding, ih, oh, (kh - 1) * op->dilation_h + 1, op->stride_h);
    *left = window_pad_before(op->padding, iw, ow, (kw - 1) * op->dilation_w + 1, op->stride_w);
}

/* Padding of a transposed convolution: the output is cropped by this many
 * rows/columns at the top/left. TFLite computes it as the SAME padding of
 * the forward convolution that maps the output back onto the input. */
static int transpose_pad_before(NnPadding padding, int in, int out, int k, int stride)
{
    if (padding != NN_PAD_SAME)
        return 0;
    int total = (in - 1) * stride + k - out;
    return total > 0 ? total / 2 : 0;
}

static float activate(NnActivation act, float v)
{
    switch (act) {
    case NN_ACT_RELU:
        return v > 0.0f ? v : 0.0f;
    case NN_ACT_RELU6:
        return v < 0.0f ? 0.0f : v > 6.0f ? 6.0f : v;
    case NN_ACT_RELU_N1_TO_1:
        return v < -1.0f ? -1.0f : v > 1.0f ? 1.0f : v;
    case NN_ACT_NONE:
    default:
        return v;
    }
}

/* ---- operators ---------------------------------------------------------- */

/* CONV_2D: out[n,y,x,o] = bias[o] + sum over (ky,kx,i) of
 * in[n, y*s - pad + ky*d, x*s - pad + kx*d, i] * w[o,ky,kx,i], taps outside
 * the input counting as zero; pad is the padding before (SAME's or
 * EXPLICIT's). */
static void eval_conv(const NnGraph *g, const NnOp *op, const float *in, const float *w,
                      const float *bias, float *out)
{
    const NnTensor *ti = &g->tensors[op->inputs[0]], *tw = &g->tensors[op->inputs[1]];
    const NnTensor *to = &g->tensors[op->output];
    int n_ = ti->shape[0], ih = ti->shape[1], iw = ti->shape[2], ic = ti->shape[3];
    int oh = to->shape[1], ow = to->shape[2], oc = to->shape[3];
    int kh = tw->shape[1], kw = tw->shape[2];
    int pad_t, pad_l;
    conv_pads_before(op, ih, iw, oh, ow, kh, kw, &pad_t, &pad_l);

    for (int n = 0; n < n_; n++)
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
                for (int o = 0; o < oc; o++) {
                    double acc = bias ? bias[o] : 0.0;
                    for (int ky = 0; ky < kh; ky++) {
                        int sy = y * op->stride_h - pad_t + ky * op->dilation_h;
                        if (sy < 0 || sy >= ih)
                            continue;
                        for (int kx = 0; kx < kw; kx++) {
                            int sx = x * op->stride_w - pad_l + kx * op->dilation_w;
                            if (sx < 0 || sx >= iw)
                                continue;
                            const float *src = in + (((size_t)n * ih + sy) * iw + sx) * ic;
                            const float *wt = w + (((size_t)o * kh + ky) * kw + kx) * ic;
                            for (int i = 0; i < ic; i++)
                                acc += (double)src[i] * wt[i];
                        }
                    }
                    out[(((size_t)n * oh + y) * ow + x) * oc + o] = activate(op->activation, (float)acc);
                }
}

/* DEPTHWISE_CONV_2D: output channel c*M + m reads input channel c only,
 * with filter column c*M + m. */
static void eval_depthwise(const NnGraph *g, const NnOp *op, const float *in, const float *w,
                           const float *bias, float *out)
{
    const NnTensor *ti = &g->tensors[op->inputs[0]], *tw = &g->tensors[op->inputs[1]];
    const NnTensor *to = &g->tensors[op->output];
    int n_ = ti->shape[0], ih = ti->shape[1], iw = ti->shape[2], ic = ti->shape[3];
    int oh = to->shape[1], ow = to->shape[2], oc = to->shape[3];
    int kh = tw->shape[1], kw = tw->shape[2];
    int mult = oc / ic;
    int pad_t, pad_l;
    conv_pads_before(op, ih, iw, oh, ow, kh, kw, &pad_t, &pad_l);

    for (int n = 0; n < n_; n++)
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
                for (int o = 0; o < oc; o++) {
                    int c = o / mult;
                    double acc = bias ? bias[o] : 0.0;
                    for (int ky = 0; ky < kh; ky++) {
                        int sy = y * op->stride_h - pad_t + ky * op->dilation_h;
                        if (sy < 0 || sy >= ih)
                            continue;
                        for (int kx = 0; kx < kw; kx++) {
                            int sx = x * op->stride_w - pad_l + kx * op->dilation_w;
                            if (sx < 0 || sx >= iw)
                                continue;
                            acc += (double)in[(((size_t)n * ih + sy) * iw + sx) * ic + c] *
                                   w[((size_t)ky * kw + kx) * oc + o];
                        }
                    }
                    out[(((size_t)n * oh + y) * ow + x) * oc + o] = activate(op->activation, (float)acc);
                }
}

/* TRANSPOSE_CONV (and MediaPipe's Convolution2DTransposeBias, which is the
 * same with a bias): every input pixel (y, x) scatters in * w[o,ky,kx,i]
 * onto output (y*s - pad + ky, x*s - pad + kx); contributions falling
 * outside the output are dropped. Accumulated in a double per output
 * element, then bias added, then the fused activation. */
static void eval_transpose_conv(const NnGraph *g, const NnOp *op, const float *in, const float *w,
                                const float *bias, float *out)
{
    const NnTensor *ti = &g->tensors[op->inputs[0]], *tw = &g->tensors[op->inputs[1]];
    const NnTensor *to = &g->tensors[op->output];
    int n_ = ti->shape[0], ih = ti->shape[1], iw = ti->shape[2], ic = ti->shape[3];
    int oh = to->shape[1], ow = to->shape[2], oc = to->shape[3];
    int kh = tw->shape[1], kw = tw->shape[2];
    int pad_t = transpose_pad_before(op->padding, ih, oh, kh, op->stride_h);
    int pad_l = transpose_pad_before(op->padding, iw, ow, kw, op->stride_w);

    /* Gathered per output element so that the sum stays in double without
     * a double scratch tensor: output row y receives kernel row ky from
     * input row (y + pad - ky) / s when that division is exact. */
    for (int n = 0; n < n_; n++)
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
                for (int o = 0; o < oc; o++) {
                    double acc = 0.0;
                    for (int ky = 0; ky < kh; ky++) {
                        int ty = y + pad_t - ky;
                        if (ty < 0 || ty % op->stride_h != 0 || ty / op->stride_h >= ih)
                            continue;
                        int sy = ty / op->stride_h;
                        for (int kx = 0; kx < kw; kx++) {
                            int tx = x + pad_l - kx;
                            if (tx < 0 || tx % op->stride_w != 0 || tx / op->stride_w >= iw)
                                continue;
                            int sx = tx / op->stride_w;
                            const float *src = in + (((size_t)n * ih + sy) * iw + sx) * ic;
                            const float *wt = w + (((size_t)o * kh + ky) * kw + kx) * ic;
                            for (int i = 0; i < ic; i++)
                                acc += (double)src[i] * wt[i];
                        }
                    }
                    if (bias)
                        acc += bias[o];
                    out[(((size_t)n * oh + y) * ow + x) * oc + o] = activate(op->activation, (float)acc);
                }
}

/* AVERAGE_POOL_2D: the mean of the window's elements that lie inside the
 * input (padding is not counted, as in TFLite). */
static void eval_average_pool(const NnGraph *g, const NnOp *op, const float *in, float *out)
{
    const NnTensor *ti = &g->tensors[op->inputs[0]], *to = &g->tensors[op->output];
    int n_ = ti->shape[0], ih = ti->shape[1], iw = ti->shape[2], c_ = ti->shape[3];
    int oh = to->shape[1], ow = to->shape[2];
    int pad_t = window_pad_before(op->padding, ih, oh, op->filter_h, op->stride_h);
    int pad_l = window_pad_before(op->padding, iw, ow, op->filter_w, op->stride_w);

    for (int n = 0; n < n_; n++)
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
                for (int c = 0; c < c_; c++) {
                    double sum = 0.0;
                    int count = 0;
                    for (int ky = 0; ky < op->filter_h; ky++) {
                        int sy = y * op->stride_h - pad_t + ky;
                        if (sy < 0 || sy >= ih)
                            continue;
                        for (int kx = 0; kx < op->filter_w; kx++) {
                            int sx = x * op->stride_w - pad_l + kx;
                            if (sx < 0 || sx >= iw)
                                continue;
                            sum += in[(((size_t)n * ih + sy) * iw + sx) * c_ + c];
                            count++;
                        }
                    }
                    /* count >= 1: with TFLite padding every window overlaps the input. */
                    float mean = count ? (float)(sum / count) : 0.0f;
                    out[(((size_t)n * oh + y) * ow + x) * c_ + c] = activate(op->activation, mean);
                }
}

static float binary(NnOpType type, float a, float b)
{
    switch (type) {
    case NN_OP_ADD: return a + b;
    case NN_OP_MUL: return a * b;
    case NN_OP_SUB: return a - b;
    case NN_OP_DIV: return a / b;
    case NN_OP_MINIMUM: return a < b ? a : b;
    default: return a > b ? a : b; /* MAXIMUM */
    }
}

/* The binary element-wise ops with numpy broadcasting over the 4-D
 * aligned shapes. */
static void eval_binary(const NnGraph *g, const NnOp *op, const float *a, const float *b, float *out)
{
    int32_t da[4], db[4], d[4];
    dims4(&g->tensors[op->inputs[0]], da);
    dims4(&g->tensors[op->inputs[1]], db);
    dims4(&g->tensors[op->output], d);
    size_t i = 0;
    for (int i0 = 0; i0 < d[0]; i0++)
        for (int i1 = 0; i1 < d[1]; i1++)
            for (int i2 = 0; i2 < d[2]; i2++)
                for (int i3 = 0; i3 < d[3]; i3++, i++) {
                    /* A dimension of size 1 repeats its only element. */
                    size_t ia = (((size_t)(da[0] > 1 ? i0 : 0) * da[1] + (da[1] > 1 ? i1 : 0)) * da[2] +
                                 (da[2] > 1 ? i2 : 0)) * da[3] + (da[3] > 1 ? i3 : 0);
                    size_t ib = (((size_t)(db[0] > 1 ? i0 : 0) * db[1] + (db[1] > 1 ? i1 : 0)) * db[2] +
                                 (db[2] > 1 ? i2 : 0)) * db[3] + (db[3] > 1 ? i3 : 0);
                    float v = binary(op->type, a[ia], b[ib]);
                    out[i] = activate(op->activation, v);
                }
}

/* Source coordinate of output index o along one axis, and its two taps. */
typedef struct Taps {
    int lo, hi;   /* input indices, lo <= hi <= in - 1 */
    double frac;  /* weight of hi; lo gets 1 - frac */
} Taps;

/* TFLite RESIZE_BILINEAR coordinate mapping:
 *  - scale = in/out, or (in-1)/(out-1) with align_corners (and out > 1);
 *  - half_pixel_centers: src = (o + 0.5) * scale - 0.5, clamped at 0 (the
 *    first output samples would otherwise extrapolate);
 *  - otherwise src = o * scale;
 * lo = floor(src), hi = min(ceil(src), in - 1). The scale and the source
 * coordinate are computed in float, as TFLite does. */
static Taps resize_taps(int o, int in, int out, int align_corners, int half_pixel)
{
    float scale = align_corners && out > 1 ? (float)(in - 1) / (float)(out - 1) : (float)in / (float)out;
    float src = half_pixel ? ((float)o + 0.5f) * scale - 0.5f : (float)o * scale;
    if (src < 0.0f)
        src = 0.0f;
    Taps t;
    float lo = floorf(src);
    t.lo = (int)lo;
    if (t.lo > in - 1)
        t.lo = in - 1;
    t.hi = (int)ceilf(src);
    if (t.hi > in - 1)
        t.hi = in - 1;
    t.frac = (double)src - lo;
    return t;
}

static void eval_resize(const NnGraph *g, const NnOp *op, const float *in, float *out)
{
    const NnTensor *ti = &g->tensors[op->inputs[0]], *to = &g->tensors[op->output];
    int n_ = ti->shape[0], ih = ti->shape[1], iw = ti->shape[2], c_ = ti->shape[3];
    int oh = to->shape[1], ow = to->shape[2];
    for (int n = 0; n < n_; n++)
        for (int y = 0; y < oh; y++) {
            Taps ty = resize_taps(y, ih, oh, op->align_corners, op->half_pixel_centers);
            for (int x = 0; x < ow; x++) {
                Taps tx = resize_taps(x, iw, ow, op->align_corners, op->half_pixel_centers);
                const float *r0 = in + ((size_t)n * ih + ty.lo) * iw * c_;
                const float *r1 = in + ((size_t)n * ih + ty.hi) * iw * c_;
                for (int c = 0; c < c_; c++) {
                    double v = r0[(size_t)tx.lo * c_ + c] * (1.0 - ty.frac) * (1.0 - tx.frac) +
                               r0[(size_t)tx.hi * c_ + c] * (1.0 - ty.frac) * tx.frac +
                               r1[(size_t)tx.lo * c_ + c] * ty.frac * (1.0 - tx.frac) +
                               r1[(size_t)tx.hi * c_ + c] * ty.frac * tx.frac;
                    out[(((size_t)n * oh + y) * ow + x) * c_ + c] = (float)v;
                }
            }
        }
}

static void eval_unary(const NnOp *op, const float *in, float *out, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        float x = in[i];
        switch (op->type) {
        case NN_OP_HARD_SWISH: {
            float r = x + 3.0f;
            r = r < 0.0f ? 0.0f : r > 6.0f ? 6.0f : r;
            out[i] = x * r / 6.0f;
            break;
        }
        case NN_OP_RELU:
            out[i] = x > 0.0f ? x : 0.0f;
            break;
        case NN_OP_LOGISTIC:
            out[i] = (float)(1.0 / (1.0 + exp(-(double)x)));
            break;
        case NN_OP_SQUARE:
            out[i] = x * x;
            break;
        case NN_OP_TANH:
            out[i] = (float)tanh((double)x);
            break;
        default:
            break;
        }
    }
}

/* PAD, CONCAT, SLICE: copies of rows of channels (NHWC). */
static void eval_movement(const NnGraph *g, const NnOp *op, const float *const *in, float *out)
{
    const NnTensor *o = &g->tensors[op->output], *t0 = &g->tensors[op->inputs[0]];
    int n = o->shape[0], h = o->shape[1], w = o->shape[2], c = o->shape[3];
    for (int b = 0; b < n; b++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                float *dst = out + (((size_t)b * h + y) * w + x) * c;
                if (op->type == NN_OP_PAD) {
                    int sy = y - op->pad_top, sx = x - op->pad_left;
                    if (sy < 0 || sx < 0 || sy >= t0->shape[1] || sx >= t0->shape[2])
                        memset(dst, 0, sizeof(float) * (size_t)c);
                    else
                        memcpy(dst, in[0] + (((size_t)b * t0->shape[1] + sy) * t0->shape[2] + sx) * c,
                               sizeof(float) * (size_t)c);
                } else if (op->type == NN_OP_SLICE) {
                    const int *bg = op->begin;
                    memcpy(dst, in[0] + ((((size_t)b + bg[0]) * t0->shape[1] + (y + bg[1])) * t0->shape[2] + (x + bg[2])) *
                                               t0->shape[3] + bg[3],
                           sizeof(float) * (size_t)c);
                } else { /* CONCAT */
                    for (int i = 0; i < op->num_inputs; i++) {
                        int ci = g->tensors[op->inputs[i]].shape[3];
                        memcpy(dst, in[i] + (((size_t)b * h + y) * w + x) * ci, sizeof(float) * (size_t)ci);
                        dst += ci;
                    }
                }
            }
}

void nn_reference_eval_op(const NnGraph *g, int index, const float *const *in, float *out)
{
    const NnOp *op = &g->ops[index];
    const float *bias = op->num_inputs > 2 ? in[2] : NULL;
    switch (op->type) {
    case NN_OP_CONV_2D:
        eval_conv(g, op, in[0], in[1], bias, out);
        break;
    case NN_OP_DEPTHWISE_CONV_2D:
        eval_depthwise(g, op, in[0], in[1], bias, out);
        break;
    case NN_OP_TRANSPOSE_CONV_BIAS:
        eval_transpose_conv(g, op, in[0], in[1], bias, out);
        break;
    case NN_OP_AVERAGE_POOL_2D:
        eval_average_pool(g, op, in[0], out);
        break;
    case NN_OP_ADD:
    case NN_OP_MUL:
    case NN_OP_SUB:
    case NN_OP_DIV:
    case NN_OP_MINIMUM:
    case NN_OP_MAXIMUM:
        eval_binary(g, op, in[0], in[1], out);
        break;
    case NN_OP_HARD_SWISH:
    case NN_OP_RELU:
    case NN_OP_LOGISTIC:
    case NN_OP_SQUARE:
    case NN_OP_TANH:
        eval_unary(op, in[0], out, g->tensors[op->output].count);
        break;
    case NN_OP_RESIZE_BILINEAR:
        eval_resize(g, op, in[0], out);
        break;
    case NN_OP_PAD:
    case NN_OP_CONCAT:
    case NN_OP_SLICE:
        eval_movement(g, op, in, out);
        break;
    default:
        break;
    }
}

/* ---- the engine ---------------------------------------------------------- */

static void reference_destroy(void *exec)
{
    NnReference *r = exec;
    if (!r)
        return;
    if (r->buffers) {
        for (int t = 0; t < r->graph->num_tensors; t++)
            free(r->buffers[t]);
        free(r->buffers);
    }
    free(r);
}

/* One zeroed buffer per activation, whatever the flags: every tensor is
 * readable after a run. The pool is not used (one thread, by design). */
static int reference_create(void **exec, const NnGraph *g, pthreadpool_t pool, unsigned flags)
{
    *exec = NULL;
    NnReference *r = calloc(1, sizeof(*r));
    if (!r)
        return BACKDROP_ENOMEM;
    r->graph = g;
    r->buffers = calloc((size_t)g->num_tensors, sizeof(*r->buffers));
    if (!r->buffers) {
        reference_destroy(r);
        return BACKDROP_ENOMEM;
    }
    for (int t = 0; t < g->num_tensors; t++) {
        if (g->tensors[t].data)
            continue;
        /* Zeroed, so a tensor no op writes (unused) reads as zeros. */
        r->buffers[t] = calloc(g->tensors[t].count, sizeof(float));
        if (!r->buffers[t]) {
            reference_destroy(r);
            return BACKDROP_ENOMEM;
        }
    }
    *exec = r;
    return 0;
}

static float *reference_buffer(void *exec, int t)
{
    NnReference *r = exec;
    return r->buffers[t];
}

static int reference_run(void *exec)
{
    NnReference *r = exec;
    const NnGraph *g = r->graph;
    for (int i = 0; i < g->num_ops; i++) {
        const NnOp *op = &g->ops[i];
        const float *in[NN_MAX_INPUTS];
        for (int k = 0; k < op->num_inputs; k++) {
            const NnTensor *t = &g->tensors[op->inputs[k]];
            in[k] = t->data ? t->data : r->buffers[op->inputs[k]];
        }
        nn_reference_eval_op(g, i, in, r->buffers[op->output]);
    }
    return 0;
}

const NnEngineClass nn_engine_reference = {
    .name = "reference",
    .create = reference_create,
    .buffer = reference_buffer,
    .run = reference_run,
    .destroy = reference_destroy,
};
