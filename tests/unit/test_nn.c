/*
 * The two inference engines (src/nn/engine/reference.c, xnnpack.c), each
 * through the engine interface (src/nn/engine.h).
 *
 * Operator tests build small graphs by hand (random weights from a fixed
 * seed, odd sizes, both paddings, strides 1 and 2) and check
 *  - the reference against a formula written here independently of it
 *    (a different loop structure: padded copies, scatter instead of
 *    gather, clipped window bounds instead of per-tap tests), and
 *  - XNNPACK against the reference, run on the caller's thread and on a
 *    2-thread pool.
 * Errors between executors are measured relative to the largest magnitude
 * of the expected tensor: max|got - want| / max|want| (element-wise
 * relative error is meaningless near zero crossings).
 *
 * Model tests (need the models, and for the goldens the shared golden
 * directory; otherwise they skip) run both executors on the MediaPipe
 * selfie models against the goldens (logits per element: relative, or
 * absolute below 1), and compare XNNPACK with the reference one operator
 * at a time, feeding the reference the very inputs XNNPACK's op saw.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pthreadpool.h>

#include "backdrop/backdrop.h"
#include "nn/engine.h"
#include "nn/engine/reference.h"
#include "nn/format/tflite.h"
#include "segment/neural.h"
#include "suites.h"
#include "util.h"

/* XNNPACK vs the reference on one operator (float32 sums against double
 * sums of at most a few hundred terms). */
#define XNN_TOLERANCE 1e-5
/* The reference vs the formulas here (both exact up to float rounding). */
#define NAIVE_TOLERANCE 1e-6

/* ---- random numbers ------------------------------------------------------ */

static uint32_t lcg_next(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state;
}

/* Uniform in [lo, hi). */
static float lcg_float(uint32_t *state, float lo, float hi)
{
    return lo + (hi - lo) * (float)(lcg_next(state) >> 8) / 16777216.0f;
}

static float *random_floats(size_t n, uint32_t *state, float lo, float hi)
{
    float *p = unit_alloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        p[i] = lcg_float(state, lo, hi);
    return p;
}

/* ---- hand-built graphs ---------------------------------------------------- */

#define MAX_TENSORS 32
#define MAX_OPS 16
#define MAX_PORTS 4

/* A graph in test memory with one input "input" and one output "output",
 * whose tensors the caller sets (IN_T, OUT_T); more ports with add_port. */
static NnGraph *graph_new(void)
{
    NnGraph *g = unit_alloc(sizeof(*g));
    g->tensors = unit_alloc(MAX_TENSORS * sizeof(NnTensor));
    g->ops = unit_alloc(MAX_OPS * sizeof(NnOp));
    g->inputs = unit_alloc(MAX_PORTS * sizeof(NnPort));
    g->outputs = unit_alloc(MAX_PORTS * sizeof(NnPort));
    g->num_inputs = g->num_outputs = 1;
    g->inputs[0] = (NnPort){ (char *)"input", -1 };
    g->outputs[0] = (NnPort){ (char *)"output", -1 };
    return g;
}

#define IN_T(g) ((g)->inputs[0].tensor)
#define OUT_T(g) ((g)->outputs[0].tensor)

/* Appends a port named name for tensor t to the inputs (output = 0) or the
 * outputs; returns its index. */
static int add_port(NnGraph *g, int output, const char *name, int t)
{
    NnPort *ports = output ? g->outputs : g->inputs;
    int *n = output ? &g->num_outputs : &g->num_inputs;
    if (*n >= MAX_PORTS)
        abort();
    ports[*n] = (NnPort){ (char *)name, t };
    return (*n)++;
}

/* The tensor of the output named "logits", or -1. */
static int logits_of(const NnGraph *g)
{
    int port = nn_graph_find_output(g, "logits");
    return port < 0 ? -1 : g->outputs[port].tensor;
}

/* Adds a tensor of the given rank and shape; data != NULL makes it a
 * constant. Returns its index. */
static int add_tensor(NnGraph *g, int rank, const int *shape, float *data)
{
    if (g->num_tensors >= MAX_TENSORS)
        abort();
    NnTensor *t = &g->tensors[g->num_tensors];
    t->rank = rank;
    t->count = 1;
    for (int i = 0; i < rank; i++) {
        t->shape[i] = shape[i];
        t->count *= (size_t)shape[i];
    }
    t->dtype = NN_DTYPE_FLOAT32;
    t->data = data;
    t->name = (char *)"";
    return g->num_tensors++;
}

static int add_act(NnGraph *g, int n, int h, int w, int c)
{
    const int shape[4] = { n, h, w, c };
    return add_tensor(g, 4, shape, NULL);
}

static int add_const(NnGraph *g, int rank, const int *shape, uint32_t *seed, float lo, float hi)
{
    size_t count = 1;
    for (int i = 0; i < rank; i++)
        count *= (size_t)shape[i];
    return add_tensor(g, rank, shape, random_floats(count, seed, lo, hi));
}

/* Appends an op reading in0 (and in1, in2 when >= 0) and writing out, with
 * neutral options (stride and dilation 1, VALID, no activation). */
static NnOp *add_op(NnGraph *g, NnOpType type, int in0, int in1, int in2, int out)
{
    if (g->num_ops >= MAX_OPS)
        abort();
    NnOp *op = &g->ops[g->num_ops++];
    memset(op, 0, sizeof(*op));
    op->type = type;
    op->inputs[op->num_inputs++] = in0;
    if (in1 >= 0)
        op->inputs[op->num_inputs++] = in1;
    if (in2 >= 0)
        op->inputs[op->num_inputs++] = in2;
    op->output = out;
    op->padding = NN_PAD_VALID;
    op->stride_h = op->stride_w = 1;
    op->dilation_h = op->dilation_w = 1;
    op->activation = NN_ACT_NONE;
    return op;
}

/* ---- comparisons ---------------------------------------------------------- */

static double max_abs(const float *v, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs((double)v[i]) > m)
            m = fabs((double)v[i]);
    return m;
}

static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (d > m || d != d)
            m = d != d ? INFINITY : d;
    }
    return m;
}

/* max|got - want| / max|want|; 0 when both are all zero. */
static double rel_error(const float *got, const float *want, size_t n)
{
    double diff = max_abs_diff(got, want, n), scale = max_abs(want, n);
    if (diff == 0.0)
        return 0.0;
    return scale > 0.0 ? diff / scale : INFINITY;
}

/* max over elements of |got - want| / max(|want|, 1): relative where the
 * value is large, absolute near 0. */
static double elementwise_error(const float *got, const float *want, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - (double)want[i]) / fmax(fabs((double)want[i]), 1.0);
        if (d > m || d != d)
            m = d != d ? INFINITY : d;
    }
    return m;
}

/* ---- executors, released after the test ----------------------------------- */

static pthreadpool_t pool_new(size_t threads)
{
    pthreadpool_t pool = pthreadpool_create(threads);
    if (!pool)
        abort();
    unit_defer(release_pool, pool);
    return pool;
}

/* The engine called name for g, destroyed after the test; NULL (with a
 * report) when it refuses the graph. */
static NnEngine *engine_new(const char *name, const NnGraph *g, pthreadpool_t pool, unsigned flags)
{
    NnEngine *e = NULL;
    const NnEngineClass *cls = nn_engine_find(name);
    int err = nn_engine_create(&e, cls, g, pool, flags);
    if (err) {
        unit_report(__FILE__, __LINE__, "nn_engine_create(%s): %d", name, err);
        return NULL;
    }
    unit_defer(release_engine, e);
    return e;
}

static NnEngine *reference_new(const NnGraph *g)
{
    return engine_new("reference", g, NULL, 0);
}

static NnEngine *xnn_new(const NnGraph *g, pthreadpool_t pool, int expose_all)
{
    return engine_new("xnnpack", g, pool, expose_all ? NN_ENGINE_EXPOSE_ALL : 0);
}

/* Runs g on the reference with a random input (values in [lo, hi)), then on
 * XNNPACK without and with a 2-thread pool, checks both against the
 * reference within XNN_TOLERANCE. On success *input and *ref_out (when not
 * NULL) point at the input and the reference output, valid until the end
 * of the test. 'what' names the case in messages. */
static int run_both(const NnGraph *g, uint32_t seed, float lo, float hi, const char *what,
                    const float **input, const float **ref_out)
{
    NnEngine *r = reference_new(g);
    CHECK(r, "%s: reference rejected the graph", what);
    const NnTensor *in = &g->tensors[IN_T(g)];
    const NnTensor *out = &g->tensors[OUT_T(g)];
    float *data = random_floats(in->count, &seed, lo, hi);
    memcpy(nn_engine_input(r, 0), data, in->count * sizeof(float));
    CHECK_INT(nn_engine_run(r), 0);
    const float *want = nn_engine_output(r, 0);

    pthreadpool_t pools[2] = { NULL, pool_new(2) };
    for (int p = 0; p < 2; p++) {
        NnEngine *x = xnn_new(g, pools[p], 0);
        CHECK(x, "%s: XNNPACK rejected the graph", what);
        memcpy(nn_engine_input(x, 0), data, in->count * sizeof(float));
        CHECK_INT(nn_engine_run(x), 0);
        double err = rel_error(nn_engine_output(x, 0), want, out->count);
        CHECK(err <= XNN_TOLERANCE, "%s: XNNPACK (%s) differs from the reference by %.3g (relative)",
              what, p ? "2 threads" : "caller thread", err);
    }
    if (input)
        *input = data;
    if (ref_out)
        *ref_out = want;
    return UNIT_PASS;
}

/* ---- independent formulas --------------------------------------------------- */

static int out_size(NnPadding padding, int in, int eff_k, int stride)
{
    return padding == NN_PAD_SAME ? (in + stride - 1) / stride : (in - eff_k) / stride + 1;
}

static int pad_before(NnPadding padding, int in, int out, int eff_k, int stride)
{
    int total = (out - 1) * stride + eff_k - in;
    return padding == NN_PAD_SAME && total > 0 ? total / 2 : 0;
}

static float apply_act(NnActivation act, double v)
{
    if (act == NN_ACT_RELU)
        return (float)fmax(v, 0.0);
    if (act == NN_ACT_RELU6)
        return (float)fmin(fmax(v, 0.0), 6.0);
    if (act == NN_ACT_RELU_N1_TO_1)
        return (float)fmin(fmax(v, -1.0), 1.0);
    return (float)v;
}

/* Copies an [h, w, c] image into the middle of a zeroed
 * [h + pt + pb, w + pl + pr, c] one. */
static float *zero_padded(const float *in, int h, int w, int c, int pt, int pb, int pl, int pr)
{
    int ph = h + pt + pb, pw = w + pl + pr;
    float *p = unit_alloc((size_t)ph * pw * c * sizeof(float));
    for (int y = 0; y < h; y++)
        memcpy(p + ((size_t)(y + pt) * pw + pl) * c, in + (size_t)y * w * c, (size_t)w * c * sizeof(float));
    return p;
}

/* ---- CONV_2D / DEPTHWISE_CONV_2D ------------------------------------------- */

typedef struct ConvCase {
    int h, w, in_c, out_c; /* out_c: output channels (depthwise: the multiplier) */
    int kh, kw, stride_h, stride_w, dilation;
    NnPadding padding;
    NnActivation act;
    int bias;
} ConvCase;

/* A case with EXPLICIT padding: its pads top, bottom, left, right. */
typedef struct ExplicitCase {
    ConvCase cc;
    int pad[4];
} ExplicitCase;

/* Builds input -> op -> output for a conv case, with pad (top, bottom,
 * left, right) when it is EXPLICIT (pad != NULL); returns the graph. */
static NnGraph *conv_graph_padded(const ConvCase *cc, const int *pad, NnOpType type, uint32_t *seed)
{
    NnGraph *g = graph_new();
    int eff_h = (cc->kh - 1) * cc->dilation + 1, eff_w = (cc->kw - 1) * cc->dilation + 1;
    /* EXPLICIT: VALID on the input with its pads. */
    int oh = pad ? out_size(NN_PAD_VALID, cc->h + pad[0] + pad[1], eff_h, cc->stride_h)
                 : out_size(cc->padding, cc->h, eff_h, cc->stride_h);
    int ow = pad ? out_size(NN_PAD_VALID, cc->w + pad[2] + pad[3], eff_w, cc->stride_w)
                 : out_size(cc->padding, cc->w, eff_w, cc->stride_w);
    int oc = type == NN_OP_DEPTHWISE_CONV_2D ? cc->in_c * cc->out_c : cc->out_c;
    IN_T(g) = add_act(g, 1, cc->h, cc->w, cc->in_c);
    int wshape[4] = { oc, cc->kh, cc->kw, cc->in_c };
    if (type == NN_OP_DEPTHWISE_CONV_2D) {
        wshape[0] = 1;
        wshape[3] = oc;
    }
    int w = add_const(g, 4, wshape, seed, -1.0f, 1.0f);
    int b = cc->bias ? add_const(g, 1, &oc, seed, -1.0f, 1.0f) : -1;
    OUT_T(g) = add_act(g, 1, oh, ow, oc);
    NnOp *op = add_op(g, type, IN_T(g), w, b, OUT_T(g));
    op->padding = cc->padding;
    op->stride_h = cc->stride_h;
    op->stride_w = cc->stride_w;
    op->dilation_h = op->dilation_w = cc->dilation;
    op->depth_multiplier = type == NN_OP_DEPTHWISE_CONV_2D ? cc->out_c : 0;
    op->activation = cc->act;
    if (pad) {
        op->pad_top = pad[0];
        op->pad_bottom = pad[1];
        op->pad_left = pad[2];
        op->pad_right = pad[3];
    }
    return g;
}

static NnGraph *conv_graph(const ConvCase *cc, NnOpType type, uint32_t *seed)
{
    return conv_graph_padded(cc, NULL, type, seed);
}

/* The naive convolution: pad the input explicitly, then slide the window
 * with no bounds tests. Depthwise when 'depthwise' (filter [1,KH,KW,C*M]).
 * EXPLICIT pads by exactly the op's pads (a window reaching past them
 * would read outside the padded copy, which AddressSanitizer reports). */
static void naive_conv(const NnGraph *g, const float *input, int depthwise, float *out)
{
    const NnOp *op = &g->ops[0];
    const NnTensor *ti = &g->tensors[IN_T(g)], *to = &g->tensors[OUT_T(g)];
    const NnTensor *tw = &g->tensors[op->inputs[1]];
    const float *bias = op->num_inputs > 2 ? g->tensors[op->inputs[2]].data : NULL;
    int h = ti->shape[1], w = ti->shape[2], c = ti->shape[3];
    int oh = to->shape[1], ow = to->shape[2], oc = to->shape[3];
    int kh = tw->shape[1], kw = tw->shape[2], d = op->dilation_h;
    int eff_h = (kh - 1) * d + 1, eff_w = (kw - 1) * d + 1;
    int pt, pb, pl, pr;
    if (op->padding == NN_PAD_EXPLICIT) {
        pt = op->pad_top;
        pb = op->pad_bottom;
        pl = op->pad_left;
        pr = op->pad_right;
    } else {
        pt = pad_before(op->padding, h, oh, eff_h, op->stride_h);
        pl = pad_before(op->padding, w, ow, eff_w, op->stride_w);
        /* Enough padding after for every window to fit. */
        pb = (oh - 1) * op->stride_h + eff_h - h - pt;
        pr = (ow - 1) * op->stride_w + eff_w - w - pl;
        if (pb < 0)
            pb = 0;
        if (pr < 0)
            pr = 0;
    }
    int pw = w + pl + pr;
    const float *p = zero_padded(input, h, w, c, pt, pb, pl, pr);
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++)
            for (int o = 0; o < oc; o++) {
                double acc = bias ? bias[o] : 0.0;
                for (int ky = 0; ky < kh; ky++)
                    for (int kx = 0; kx < kw; kx++) {
                        const float *px = p + ((size_t)(y * op->stride_h + ky * d) * pw + x * op->stride_w + kx * d) * c;
                        if (depthwise)
                            acc += (double)px[o / (oc / c)] * ((const float *)tw->data)[(ky * kw + kx) * oc + o];
                        else
                            for (int i = 0; i < c; i++)
                                acc += (double)px[i] * ((const float *)tw->data)[((o * kh + ky) * kw + kx) * c + i];
                    }
                out[((size_t)y * ow + x) * oc + o] = apply_act(op->activation, acc);
            }
}

/* "case 3 (7x9x3, 3x3/2,2 d1 SAME)" into what; EXPLICIT with its pads. */
static void conv_case_name(char *what, size_t n, int i, const ConvCase *cc, const int *pad)
{
    char padding[48];
    if (pad)
        snprintf(padding, sizeof(padding), "EXPLICIT %d,%d,%d,%d", pad[0], pad[1], pad[2], pad[3]);
    else
        snprintf(padding, sizeof(padding), "%s", cc->padding == NN_PAD_SAME ? "SAME" : "VALID");
    snprintf(what, n, "case %d (%dx%dx%d, %dx%d/%d,%d d%d %s)", i, cc->h, cc->w, cc->in_c, cc->kh, cc->kw,
             cc->stride_h, cc->stride_w, cc->dilation, padding);
}

/* One case: XNNPACK against the reference, the reference against the
 * naive formula. pad: EXPLICIT's pads, or NULL. */
static int check_conv_case(NnOpType type, int i, const ConvCase *cc, const int *pad, uint32_t *seed)
{
    char what[128];
    conv_case_name(what, sizeof(what), i, cc, pad);
    NnGraph *g = conv_graph_padded(cc, pad, type, seed);
    char why[256] = "";
    CHECK(nn_graph_validate(g, why, sizeof(why)) == 0, "%s: refused: %s", what, why);
    const float *input, *ref;
    TRY(run_both(g, *seed, -1.0f, 1.0f, what, &input, &ref));
    size_t count = g->tensors[OUT_T(g)].count;
    float *naive = unit_alloc(count * sizeof(float));
    naive_conv(g, input, type == NN_OP_DEPTHWISE_CONV_2D, naive);
    double err = rel_error(ref, naive, count);
    CHECK(err <= NAIVE_TOLERANCE, "%s: reference differs from the naive formula by %.3g", what, err);
    return UNIT_PASS;
}

static int check_conv_cases(NnOpType type, const ConvCase *cases, int n)
{
    uint32_t seed = 1234;
    for (int i = 0; i < n; i++)
        TRY(check_conv_case(type, i, &cases[i], NULL, &seed));
    return UNIT_PASS;
}

static int test_nn_conv2d(void)
{
    static const ConvCase cases[] = {
        /* h  w  ic oc kh kw sh sw d  padding       activation          bias */
        { 7, 9, 3, 5, 3, 3, 1, 1, 1, NN_PAD_SAME, NN_ACT_NONE, 1 },
        { 7, 9, 3, 5, 3, 3, 2, 2, 1, NN_PAD_SAME, NN_ACT_RELU, 1 },
        /* even input, stride 2: the odd padding element goes after */
        { 8, 6, 4, 6, 3, 3, 2, 2, 1, NN_PAD_SAME, NN_ACT_RELU6, 1 },
        { 7, 9, 3, 4, 3, 3, 2, 2, 1, NN_PAD_VALID, NN_ACT_NONE, 1 },
        { 9, 7, 2, 3, 5, 5, 1, 1, 1, NN_PAD_SAME, NN_ACT_RELU_N1_TO_1, 1 },
        { 11, 10, 3, 2, 3, 3, 1, 1, 2, NN_PAD_SAME, NN_ACT_NONE, 1 },
        { 6, 7, 3, 4, 2, 2, 2, 2, 1, NN_PAD_SAME, NN_ACT_NONE, 1 },
        { 5, 5, 16, 8, 1, 1, 1, 1, 1, NN_PAD_SAME, NN_ACT_NONE, 1 },
        { 9, 5, 8, 8, 1, 1, 2, 1, 1, NN_PAD_VALID, NN_ACT_RELU, 1 },
        /* squeeze-and-excitation shape: 1x1 spatial */
        { 1, 1, 24, 8, 1, 1, 1, 1, 1, NN_PAD_VALID, NN_ACT_RELU, 1 },
        { 7, 5, 3, 4, 3, 3, 1, 2, 1, NN_PAD_SAME, NN_ACT_NONE, 0 },
    };
    return check_conv_cases(NN_OP_CONV_2D, cases, (int)(sizeof(cases) / sizeof(cases[0])));
}

static int test_nn_depthwise_conv2d(void)
{
    static const ConvCase cases[] = {
        /* h  w  c  M  kh kw sh sw d  padding       activation    bias */
        { 7, 9, 5, 1, 3, 3, 1, 1, 1, NN_PAD_SAME, NN_ACT_NONE, 1 },
        { 7, 9, 5, 1, 3, 3, 2, 2, 1, NN_PAD_SAME, NN_ACT_RELU, 1 },
        { 8, 10, 16, 1, 3, 3, 2, 2, 1, NN_PAD_SAME, NN_ACT_RELU6, 1 },
        { 9, 9, 6, 1, 5, 5, 1, 1, 1, NN_PAD_SAME, NN_ACT_NONE, 1 },
        { 10, 11, 6, 1, 5, 5, 2, 2, 1, NN_PAD_SAME, NN_ACT_NONE, 1 },
        { 7, 9, 3, 2, 3, 3, 1, 1, 1, NN_PAD_VALID, NN_ACT_NONE, 1 },
        { 11, 9, 4, 3, 3, 3, 2, 1, 1, NN_PAD_SAME, NN_ACT_RELU_N1_TO_1, 1 },
        { 11, 12, 4, 1, 3, 3, 1, 1, 2, NN_PAD_SAME, NN_ACT_NONE, 1 },
        { 6, 5, 7, 1, 3, 3, 1, 1, 1, NN_PAD_SAME, NN_ACT_NONE, 0 },
    };
    return check_conv_cases(NN_OP_DEPTHWISE_CONV_2D, cases, (int)(sizeof(cases) / sizeof(cases[0])));
}

/* ---- EXPLICIT padding ------------------------------------------------------------ */

/* Robust Video Matting's TF.js graph pads symmetrically before its 3x3
 * and 5x5 windows ([1,1], [2,2], [4,4] around dilation 2), at strides 1
 * and 2; asymmetric pads, up to the effective window less one, odd sizes,
 * a padded input exactly one window high, and a 1x1 input whose only
 * output sees the centre tap alone, around them. */
static const ExplicitCase conv_explicit_cases[] = {
    /*  h  w  ic oc kh kw sh sw d  padding          activation     bias    top bot left right */
    { { 7, 9, 3, 5, 3, 3, 1, 1, 1, NN_PAD_EXPLICIT, NN_ACT_NONE, 1 }, { 1, 1, 1, 1 } },
    /* the stem: even input, stride 2 (SAME would pad 0 before, 1 after) */
    { { 8, 10, 3, 6, 3, 3, 2, 2, 1, NN_PAD_EXPLICIT, NN_ACT_RELU, 1 }, { 1, 1, 1, 1 } },
    { { 9, 7, 2, 3, 5, 5, 1, 1, 1, NN_PAD_EXPLICIT, NN_ACT_RELU6, 1 }, { 2, 2, 2, 2 } },
    { { 11, 10, 3, 2, 3, 3, 1, 1, 2, NN_PAD_EXPLICIT, NN_ACT_NONE, 1 }, { 2, 2, 2, 2 } },
    { { 7, 8, 3, 4, 3, 3, 2, 2, 1, NN_PAD_EXPLICIT, NN_ACT_NONE, 1 }, { 0, 1, 2, 0 } },
    { { 10, 9, 2, 3, 3, 3, 2, 2, 2, NN_PAD_EXPLICIT, NN_ACT_RELU_N1_TO_1, 1 }, { 4, 1, 3, 0 } },
    { { 6, 11, 4, 3, 3, 5, 1, 2, 1, NN_PAD_EXPLICIT, NN_ACT_NONE, 0 }, { 1, 2, 0, 4 } },
    { { 2, 5, 3, 2, 3, 3, 1, 1, 1, NN_PAD_EXPLICIT, NN_ACT_NONE, 1 }, { 1, 0, 1, 1 } }, /* padded height 3 */
    { { 1, 1, 5, 3, 3, 3, 1, 1, 1, NN_PAD_EXPLICIT, NN_ACT_NONE, 1 }, { 1, 1, 1, 1 } },
};

static const ExplicitCase depthwise_explicit_cases[] = {
    /*  h  w  c  M  kh kw sh sw d  padding          activation     bias    top bot left right */
    { { 7, 9, 5, 1, 3, 3, 1, 1, 1, NN_PAD_EXPLICIT, NN_ACT_NONE, 1 }, { 1, 1, 1, 1 } },
    { { 8, 10, 16, 1, 3, 3, 2, 2, 1, NN_PAD_EXPLICIT, NN_ACT_RELU6, 1 }, { 1, 1, 1, 1 } },
    { { 10, 11, 6, 1, 5, 5, 2, 2, 1, NN_PAD_EXPLICIT, NN_ACT_NONE, 1 }, { 2, 2, 2, 2 } },
    { { 9, 9, 6, 1, 5, 5, 1, 1, 1, NN_PAD_EXPLICIT, NN_ACT_NONE, 1 }, { 2, 2, 2, 2 } },
    { { 11, 12, 4, 1, 3, 3, 1, 1, 2, NN_PAD_EXPLICIT, NN_ACT_NONE, 1 }, { 2, 2, 2, 2 } },
    { { 13, 12, 4, 1, 5, 5, 1, 1, 2, NN_PAD_EXPLICIT, NN_ACT_RELU, 1 }, { 4, 4, 4, 4 } },
    { { 9, 8, 3, 2, 3, 3, 2, 2, 1, NN_PAD_EXPLICIT, NN_ACT_NONE, 1 }, { 0, 2, 1, 0 } },
    { { 7, 6, 7, 1, 3, 3, 2, 2, 2, NN_PAD_EXPLICIT, NN_ACT_RELU_N1_TO_1, 0 }, { 3, 1, 0, 4 } },
    { { 1, 1, 8, 1, 3, 3, 1, 1, 1, NN_PAD_EXPLICIT, NN_ACT_NONE, 1 }, { 1, 1, 1, 1 } },
};

#define COUNT_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int test_nn_conv2d_explicit(void)
{
    uint32_t seed = 4321;
    for (int i = 0; i < COUNT_OF(conv_explicit_cases); i++)
        TRY(check_conv_case(NN_OP_CONV_2D, i, &conv_explicit_cases[i].cc, conv_explicit_cases[i].pad, &seed));
    return UNIT_PASS;
}

static int test_nn_depthwise_explicit(void)
{
    uint32_t seed = 8765;
    for (int i = 0; i < COUNT_OF(depthwise_explicit_cases); i++)
        TRY(check_conv_case(NN_OP_DEPTHWISE_CONV_2D, i, &depthwise_explicit_cases[i].cc,
                            depthwise_explicit_cases[i].pad, &seed));
    return UNIT_PASS;
}

/* The unfolded form of an EXPLICIT convolution: input -> PAD (its pads)
 * -> the same convolution, VALID, with the same weights. */
static NnGraph *pad_then_valid(const NnGraph *folded)
{
    const NnOp *fop = &folded->ops[0];
    const NnTensor *ti = &folded->tensors[IN_T(folded)], *to = &folded->tensors[OUT_T(folded)];
    const NnTensor *tw = &folded->tensors[fop->inputs[1]];
    NnGraph *g = graph_new();
    IN_T(g) = add_act(g, 1, ti->shape[1], ti->shape[2], ti->shape[3]);
    int padded = add_act(g, 1, ti->shape[1] + fop->pad_top + fop->pad_bottom,
                         ti->shape[2] + fop->pad_left + fop->pad_right, ti->shape[3]);
    NnOp *pad = add_op(g, NN_OP_PAD, IN_T(g), -1, -1, padded);
    pad->pad_top = fop->pad_top;
    pad->pad_bottom = fop->pad_bottom;
    pad->pad_left = fop->pad_left;
    pad->pad_right = fop->pad_right;
    int w = add_tensor(g, tw->rank, tw->shape, tw->data);
    int b = -1;
    if (fop->num_inputs > 2) {
        const NnTensor *tb = &folded->tensors[fop->inputs[2]];
        b = add_tensor(g, tb->rank, tb->shape, tb->data);
    }
    OUT_T(g) = add_act(g, 1, to->shape[1], to->shape[2], to->shape[3]);
    NnOp *conv = add_op(g, fop->type, padded, w, b, OUT_T(g));
    conv->stride_h = fop->stride_h;
    conv->stride_w = fop->stride_w;
    conv->dilation_h = fop->dilation_h;
    conv->dilation_w = fop->dilation_w;
    conv->depth_multiplier = fop->depth_multiplier;
    conv->activation = fop->activation;
    return g;
}

/* An EXPLICIT convolution is a PAD followed by a VALID one: on the
 * reference bit for bit (the taps the PAD adds are zeros, which change no
 * double sum, and the other taps are added in the same order); the
 * unfolded graph on XNNPACK also within the tolerance. */
static int check_pad_fold(NnOpType type, int i, const ExplicitCase *ec, uint32_t *seed)
{
    char what[128];
    conv_case_name(what, sizeof(what), i, &ec->cc, ec->pad);
    NnGraph *folded = conv_graph_padded(&ec->cc, ec->pad, type, seed);
    NnGraph *g = pad_then_valid(folded);
    const float *input, *want;
    TRY(run_both(folded, *seed, -1.0f, 1.0f, what, &input, &want));
    NnEngine *r = reference_new(g);
    CHECK(r, "%s: the reference refused PAD + VALID", what);
    memcpy(nn_engine_input(r, 0), input, folded->tensors[IN_T(folded)].count * sizeof(float));
    CHECK_INT(nn_engine_run(r), 0);
    const float *got = nn_engine_output(r, 0);
    for (size_t k = 0; k < folded->tensors[OUT_T(folded)].count; k++)
        CHECK(got[k] == want[k], "%s: element %zu is %.9g after PAD + VALID, %.9g folded", what, k, got[k], want[k]);
    TRY(run_both(g, *seed, -1.0f, 1.0f, what, NULL, NULL));
    return UNIT_PASS;
}

static int test_nn_explicit_pad_fold(void)
{
    uint32_t seed = 2468;
    for (int i = 0; i < COUNT_OF(conv_explicit_cases); i++)
        TRY(check_pad_fold(NN_OP_CONV_2D, i, &conv_explicit_cases[i], &seed));
    for (int i = 0; i < COUNT_OF(depthwise_explicit_cases); i++)
        TRY(check_pad_fold(NN_OP_DEPTHWISE_CONV_2D, i, &depthwise_explicit_cases[i], &seed));
    return UNIT_PASS;
}

/* ---- TRANSPOSE_CONV_BIAS ------------------------------------------------------ */

typedef struct TransposeCase {
    int h, w, in_c, out_c, kh, kw, stride;
    NnPadding padding;
    int out_h, out_w;
} TransposeCase;

/* Scatter form: each input pixel adds its contribution to the output
 * window it covers, after which the padding is cropped off. */
static void naive_transpose_conv(const NnGraph *g, const float *input, float *out)
{
    const NnOp *op = &g->ops[0];
    const NnTensor *ti = &g->tensors[IN_T(g)], *to = &g->tensors[OUT_T(g)];
    const NnTensor *tw = &g->tensors[op->inputs[1]];
    const float *bias = g->tensors[op->inputs[2]].data;
    int h = ti->shape[1], w = ti->shape[2], c = ti->shape[3];
    int oh = to->shape[1], ow = to->shape[2], oc = to->shape[3];
    int kh = tw->shape[1], kw = tw->shape[2], s = op->stride_h;
    /* Full (uncropped) output, large enough for the larger of the two. */
    int fh = (h - 1) * s + kh, fw = (w - 1) * s + kw;
    if (fh < oh)
        fh = oh;
    if (fw < ow)
        fw = ow;
    double *full = unit_alloc((size_t)fh * fw * oc * sizeof(double));
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int ky = 0; ky < kh; ky++)
                for (int kx = 0; kx < kw; kx++)
                    for (int o = 0; o < oc; o++)
                        for (int i = 0; i < c; i++)
                            full[((size_t)(y * s + ky) * fw + x * s + kx) * oc + o] +=
                                (double)input[((size_t)y * w + x) * c + i] * ((const float *)tw->data)[((o * kh + ky) * kw + kx) * c + i];
    int total_h = (h - 1) * s + kh - oh, total_w = (w - 1) * s + kw - ow;
    int pt = op->padding == NN_PAD_SAME && total_h > 0 ? total_h / 2 : 0;
    int pl = op->padding == NN_PAD_SAME && total_w > 0 ? total_w / 2 : 0;
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++)
            for (int o = 0; o < oc; o++)
                out[((size_t)y * ow + x) * oc + o] = (float)(full[((size_t)(y + pt) * fw + x + pl) * oc + o] + bias[o]);
}

static int test_nn_transpose_conv(void)
{
    static const TransposeCase cases[] = {
        /* h  w  ic oc kh kw s  padding      out_h out_w */
        { 5, 7, 4, 1, 2, 2, 2, NN_PAD_SAME, 10, 14 },   /* the model's case */
        { 4, 4, 3, 2, 3, 3, 2, NN_PAD_SAME, 8, 8 },     /* total 1: crop 0 top, 1 bottom */
        { 3, 5, 2, 3, 4, 4, 2, NN_PAD_SAME, 6, 10 },    /* total 2: crop 1 and 1 */
        { 3, 4, 2, 2, 3, 3, 2, NN_PAD_VALID, 7, 9 },
        { 3, 3, 3, 2, 1, 1, 2, NN_PAD_SAME, 6, 6 },     /* k < stride: last row/column bias only */
        { 5, 6, 5, 3, 3, 3, 1, NN_PAD_SAME, 5, 6 },
    };
    uint32_t seed = 99;
    for (int i = 0; i < (int)(sizeof(cases) / sizeof(cases[0])); i++) {
        const TransposeCase *tc = &cases[i];
        char what[64];
        snprintf(what, sizeof(what), "case %d (%dx%d k%dx%d s%d)", i, tc->h, tc->w, tc->kh, tc->kw, tc->stride);
        NnGraph *g = graph_new();
        IN_T(g) = add_act(g, 1, tc->h, tc->w, tc->in_c);
        int wshape[4] = { tc->out_c, tc->kh, tc->kw, tc->in_c };
        int w = add_const(g, 4, wshape, &seed, -1.0f, 1.0f);
        int b = add_const(g, 1, &tc->out_c, &seed, -1.0f, 1.0f);
        OUT_T(g) = add_act(g, 1, tc->out_h, tc->out_w, tc->out_c);
        NnOp *op = add_op(g, NN_OP_TRANSPOSE_CONV_BIAS, IN_T(g), w, b, OUT_T(g));
        op->padding = tc->padding;
        op->stride_h = op->stride_w = tc->stride;
        const float *input, *ref;
        TRY(run_both(g, seed, -1.0f, 1.0f, what, &input, &ref));
        size_t count = g->tensors[OUT_T(g)].count;
        float *naive = unit_alloc(count * sizeof(float));
        naive_transpose_conv(g, input, naive);
        double err = rel_error(ref, naive, count);
        CHECK(err <= NAIVE_TOLERANCE, "%s: reference differs from the scatter formula by %.3g", what, err);

        if (i == 0) {
            /* 2x2 kernel, stride 2, no crop: output pixel (y, x) is input
             * pixel (y/2, x/2) through kernel tap (y%2, x%2) alone. */
            const float *wd = g->tensors[w].data, *bd = g->tensors[b].data;
            for (int y = 0; y < tc->out_h; y++)
                for (int x = 0; x < tc->out_w; x++) {
                    double v = bd[0];
                    for (int c = 0; c < tc->in_c; c++)
                        v += (double)input[((y / 2) * tc->w + x / 2) * tc->in_c + c] *
                             wd[((y % 2) * 2 + x % 2) * tc->in_c + c];
                    CHECK(fabs(ref[y * tc->out_w + x] - v) <= 1e-6 * (1.0 + fabs(v)),
                          "2x2/2 transpose: (%d,%d) is %g, expected %g", y, x, ref[y * tc->out_w + x], v);
                }
        }
    }
    return UNIT_PASS;
}

/* ---- AVERAGE_POOL_2D ------------------------------------------------------------ */

typedef struct PoolCase {
    int h, w, c, fh, fw, sh, sw;
    NnPadding padding;
    NnActivation act;
} PoolCase;

static int test_nn_average_pool(void)
{
    static const PoolCase cases[] = {
        /* h  w  c  fh fw sh sw padding      activation */
        { 7, 9, 3, 3, 3, 2, 2, NN_PAD_SAME, NN_ACT_NONE },   /* edge windows count fewer elements */
        { 8, 8, 4, 2, 2, 2, 2, NN_PAD_VALID, NN_ACT_NONE },
        { 7, 9, 5, 3, 3, 1, 1, NN_PAD_SAME, NN_ACT_RELU6 },
        { 6, 7, 2, 3, 2, 2, 1, NN_PAD_SAME, NN_ACT_NONE },
        { 9, 16, 6, 9, 16, 9, 16, NN_PAD_VALID, NN_ACT_NONE }, /* global, as the models use it */
        { 16, 16, 8, 16, 16, 16, 16, NN_PAD_VALID, NN_ACT_RELU }, /* global with activation */
        { 5, 5, 3, 1, 1, 1, 1, NN_PAD_VALID, NN_ACT_RELU },   /* 1x1: identity + activation */
    };
    uint32_t seed = 7;
    for (int i = 0; i < (int)(sizeof(cases) / sizeof(cases[0])); i++) {
        const PoolCase *pc = &cases[i];
        char what[48];
        snprintf(what, sizeof(what), "case %d (%dx%d f%dx%d s%dx%d)", i, pc->h, pc->w, pc->fh, pc->fw, pc->sh, pc->sw);
        int oh = out_size(pc->padding, pc->h, pc->fh, pc->sh), ow = out_size(pc->padding, pc->w, pc->fw, pc->sw);
        NnGraph *g = graph_new();
        IN_T(g) = add_act(g, 1, pc->h, pc->w, pc->c);
        OUT_T(g) = add_act(g, 1, oh, ow, pc->c);
        NnOp *op = add_op(g, NN_OP_AVERAGE_POOL_2D, IN_T(g), -1, -1, OUT_T(g));
        op->padding = pc->padding;
        op->filter_h = pc->fh;
        op->filter_w = pc->fw;
        op->stride_h = pc->sh;
        op->stride_w = pc->sw;
        op->activation = pc->act;
        const float *input, *ref;
        TRY(run_both(g, seed++, -2.0f, 8.0f, what, &input, &ref));
        /* Window bounds clipped to the input; the divisor is the clipped area. */
        int pt = pad_before(pc->padding, pc->h, oh, pc->fh, pc->sh);
        int pl = pad_before(pc->padding, pc->w, ow, pc->fw, pc->sw);
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                int y0 = y * pc->sh - pt, x0 = x * pc->sw - pl;
                int y1 = y0 + pc->fh, x1 = x0 + pc->fw;
                y0 = y0 < 0 ? 0 : y0;
                x0 = x0 < 0 ? 0 : x0;
                y1 = y1 > pc->h ? pc->h : y1;
                x1 = x1 > pc->w ? pc->w : x1;
                for (int c = 0; c < pc->c; c++) {
                    double sum = 0.0;
                    for (int yy = y0; yy < y1; yy++)
                        for (int xx = x0; xx < x1; xx++)
                            sum += input[((size_t)yy * pc->w + xx) * pc->c + c];
                    float want = apply_act(pc->act, sum / ((y1 - y0) * (x1 - x0)));
                    float got = ref[((size_t)y * ow + x) * pc->c + c];
                    CHECK(fabs(got - want) <= 1e-6 * (1.0 + fabs(want)), "%s: (%d,%d,%d) is %g, expected %g",
                          what, y, x, c, got, want);
                }
            }
    }
    return UNIT_PASS;
}

/* ---- ADD / MUL ------------------------------------------------------------------ */

typedef struct BinaryCase {
    int a_rank, a[4], b_rank, b[4];
    NnActivation act;
} BinaryCase;

/* What the binary op gives for one pair, in float as the executors
 * compute it. */
static float binary_value(NnOpType type, float a, float b)
{
    switch (type) {
    case NN_OP_ADD: return a + b;
    case NN_OP_MUL: return a * b;
    case NN_OP_SUB: return a - b;
    case NN_OP_DIV: return a / b;
    case NN_OP_MINIMUM: return a < b ? a : b;
    default: return a > b ? a : b;
    }
}

static int check_binary(NnOpType type)
{
    static const BinaryCase cases[] = {
        { 4, { 1, 5, 7, 3 }, 4, { 1, 5, 7, 3 }, NN_ACT_NONE },
        { 4, { 1, 5, 7, 3 }, 4, { 1, 1, 1, 3 }, NN_ACT_NONE }, /* squeeze-and-excitation scaling */
        { 4, { 1, 1, 1, 3 }, 4, { 1, 5, 7, 3 }, NN_ACT_NONE }, /* broadcast on the first operand */
        { 4, { 1, 5, 7, 3 }, 1, { 3 }, NN_ACT_RELU },          /* lower rank, numpy-aligned */
        { 4, { 1, 5, 1, 4 }, 4, { 1, 1, 6, 4 }, NN_ACT_RELU6 }, /* both broadcast */
        { 4, { 1, 3, 4, 2 }, 4, { 1, 3, 4, 2 }, NN_ACT_RELU_N1_TO_1 },
    };
    uint32_t seed = 11 + (uint32_t)type;
    /* DIV: divisors away from 0, where float division is well conditioned
     * and both executors must agree closely. */
    float b_lo = type == NN_OP_DIV ? 0.5f : -2.0f, b_hi = 2.0f;
    for (int i = 0; i < (int)(sizeof(cases) / sizeof(cases[0])); i++) {
        const BinaryCase *bc = &cases[i];
        /* MINIMUM and MAXIMUM take no fused activation. */
        int no_act = type == NN_OP_MINIMUM || type == NN_OP_MAXIMUM;
        if (no_act && bc->act != NN_ACT_NONE)
            continue;
        char what[32];
        snprintf(what, sizeof(what), "case %d", i);
        int out[4];
        for (int k = 0; k < 4; k++) {
            int da = k >= 4 - bc->a_rank ? bc->a[k - (4 - bc->a_rank)] : 1;
            int db = k >= 4 - bc->b_rank ? bc->b[k - (4 - bc->b_rank)] : 1;
            out[k] = da > db ? da : db;
        }
        /* The first operand is the graph input, the second a constant (the
         * case of two activations follows below). */
        NnGraph *g = graph_new();
        IN_T(g) = add_tensor(g, bc->a_rank, bc->a, NULL);
        int b = add_const(g, bc->b_rank, bc->b, &seed, b_lo, b_hi);
        OUT_T(g) = add_tensor(g, 4, out, NULL);
        NnOp *op = add_op(g, type, IN_T(g), b, -1, OUT_T(g));
        op->activation = bc->act;
        const float *input, *ref;
        TRY(run_both(g, seed, -2.0f, 2.0f, what, &input, &ref));
        const float *bd = g->tensors[b].data;
        /* Strides of each operand in the output's index space: 0 along a
         * broadcast dimension. */
        size_t sa[4], sb[4], acc_a = 1, acc_b = 1;
        for (int k = 3; k >= 0; k--) {
            int da = k >= 4 - bc->a_rank ? bc->a[k - (4 - bc->a_rank)] : 1;
            int db = k >= 4 - bc->b_rank ? bc->b[k - (4 - bc->b_rank)] : 1;
            sa[k] = da == 1 ? 0 : acc_a;
            sb[k] = db == 1 ? 0 : acc_b;
            acc_a *= (size_t)da;
            acc_b *= (size_t)db;
        }
        size_t i_out = 0;
        for (int i0 = 0; i0 < out[0]; i0++)
            for (int i1 = 0; i1 < out[1]; i1++)
                for (int i2 = 0; i2 < out[2]; i2++)
                    for (int i3 = 0; i3 < out[3]; i3++, i_out++) {
                        float va = input[i0 * sa[0] + i1 * sa[1] + i2 * sa[2] + i3 * sa[3]];
                        float vb = bd[i0 * sb[0] + i1 * sb[1] + i2 * sb[2] + i3 * sb[3]];
                        float want = apply_act(bc->act, binary_value(type, va, vb));
                        CHECK(ref[i_out] == want, "%s: element %zu is %g, expected %g", what, i_out, ref[i_out], want);
                    }
    }
    /* Both operands activations, the broadcast one computed by an op: the
     * case the models have (x * sigmoid(se(x))). */
    NnGraph *g = graph_new();
    IN_T(g) = add_act(g, 1, 6, 5, 4);
    int pooled = add_act(g, 1, 1, 1, 4);
    NnOp *pool = add_op(g, NN_OP_AVERAGE_POOL_2D, IN_T(g), -1, -1, pooled);
    pool->filter_h = 6;
    pool->filter_w = 5;
    pool->stride_h = 6;
    pool->stride_w = 5;
    OUT_T(g) = add_act(g, 1, 6, 5, 4);
    add_op(g, type, pooled, IN_T(g), -1, OUT_T(g));
    TRY(run_both(g, seed, -2.0f, 2.0f, "activation operands", NULL, NULL));
    return UNIT_PASS;
}

static int test_nn_add(void)
{
    return check_binary(NN_OP_ADD);
}

static int test_nn_mul(void)
{
    return check_binary(NN_OP_MUL);
}

static int test_nn_sub(void)
{
    return check_binary(NN_OP_SUB);
}

static int test_nn_div(void)
{
    return check_binary(NN_OP_DIV);
}

static int test_nn_minimum(void)
{
    TRY(check_binary(NN_OP_MINIMUM));
    /* A fused activation is refused, with the reason. */
    NnGraph *g = graph_new();
    IN_T(g) = add_act(g, 1, 2, 2, 3);
    int b = add_act(g, 1, 2, 2, 3);
    OUT_T(g) = add_act(g, 1, 2, 2, 3);
    add_op(g, NN_OP_MINIMUM, IN_T(g), b, -1, OUT_T(g))->activation = NN_ACT_RELU;
    char why[256] = "";
    CHECK_INT(nn_graph_validate(g, why, sizeof(why)), BACKDROP_EINVAL);
    CHECK(strstr(why, "MINIMUM") && strstr(why, "no fused activation"), "why '%s'", why);
    return UNIT_PASS;
}

static int test_nn_maximum(void)
{
    return check_binary(NN_OP_MAXIMUM);
}

/* ---- HARD_SWISH / RELU / LOGISTIC ----------------------------------------------- */

static int check_unary(NnOpType type)
{
    NnGraph *g = graph_new();
    IN_T(g) = add_act(g, 1, 9, 7, 5);
    OUT_T(g) = add_act(g, 1, 9, 7, 5);
    add_op(g, type, IN_T(g), -1, -1, OUT_T(g));
    const float *input, *ref;
    /* [-8, 8) covers every piece: below -3, the quadratic part, above 3. */
    TRY(run_both(g, 5, -8.0f, 8.0f, "unary", &input, &ref));
    for (size_t i = 0; i < g->tensors[OUT_T(g)].count; i++) {
        double x = input[i], want;
        if (type == NN_OP_HARD_SWISH)
            want = x <= -3.0 ? 0.0 : x >= 3.0 ? x : x * (x + 3.0) / 6.0;
        else if (type == NN_OP_RELU)
            want = x > 0.0 ? x : 0.0;
        else if (type == NN_OP_SQUARE)
            want = (double)((float)x * (float)x);
        else if (type == NN_OP_TANH)
            want = tanh(x);
        else
            want = 1.0 / (1.0 + exp(-x));
        CHECK(fabs(ref[i] - want) <= 1e-6 * (1.0 + fabs(want)), "f(%g) is %g, expected %g", x, ref[i], want);
    }
    return UNIT_PASS;
}

static int test_nn_hard_swish(void)
{
    return check_unary(NN_OP_HARD_SWISH);
}

static int test_nn_relu(void)
{
    return check_unary(NN_OP_RELU);
}

static int test_nn_logistic(void)
{
    return check_unary(NN_OP_LOGISTIC);
}

static int test_nn_square(void)
{
    return check_unary(NN_OP_SQUARE);
}

/* XNNPACK's is composed (2 sigmoid(2x) - 1): held to the reference by
 * run_both's tolerance, the reference to tanh here. */
static int test_nn_tanh(void)
{
    return check_unary(NN_OP_TANH);
}

/* ---- PAD / CONCAT / SLICE --------------------------------------------------------- */

static int test_nn_pad(void)
{
    NnGraph *g = graph_new();
    IN_T(g) = add_act(g, 1, 3, 4, 2);
    OUT_T(g) = add_act(g, 1, 3 + 1 + 2, 4 + 0 + 3, 2);
    NnOp *op = add_op(g, NN_OP_PAD, IN_T(g), -1, -1, OUT_T(g));
    op->pad_top = 1;
    op->pad_bottom = 2;
    op->pad_right = 3;
    const float *input, *ref;
    TRY(run_both(g, 21, -2.0f, 2.0f, "pad", &input, &ref));
    for (int y = 0; y < 6; y++)
        for (int x = 0; x < 7; x++)
            for (int c = 0; c < 2; c++) {
                int sy = y - 1, sx = x;
                float want = sy >= 0 && sy < 3 && sx < 4 ? input[(sy * 4 + sx) * 2 + c] : 0.0f;
                CHECK(ref[(y * 7 + x) * 2 + c] == want, "(%d, %d, %d) is %g, expected %g", y, x, c,
                      ref[(y * 7 + x) * 2 + c], want);
            }
    /* Output not the padded input: refused. */
    g->tensors[OUT_T(g)].shape[1] = 5;
    g->tensors[OUT_T(g)].count = 5 * 7 * 2;
    char why[256] = "";
    CHECK_INT(nn_graph_validate(g, why, sizeof(why)), BACKDROP_EINVAL);
    CHECK(strstr(why, "PAD"), "why '%s'", why);
    return UNIT_PASS;
}


static int test_nn_concat(void)
{
    /* out = concat(x, x * x) along channels. */
    NnGraph *g = graph_new();
    IN_T(g) = add_act(g, 1, 3, 4, 2);
    int sq = add_act(g, 1, 3, 4, 2);
    add_op(g, NN_OP_SQUARE, IN_T(g), -1, -1, sq);
    OUT_T(g) = add_act(g, 1, 3, 4, 4);
    add_op(g, NN_OP_CONCAT, IN_T(g), sq, -1, OUT_T(g));
    const float *input, *ref;
    TRY(run_both(g, 22, -2.0f, 2.0f, "concat", &input, &ref));
    for (int i = 0; i < 12; i++)
        for (int c = 0; c < 4; c++) {
            float x = input[i * 2 + (c & 1)], want = c < 2 ? x : x * x;
            CHECK(ref[i * 4 + c] == want, "pixel %d channel %d is %g, expected %g", i, c, ref[i * 4 + c], want);
        }
    g->tensors[OUT_T(g)].shape[3] = 5;
    g->tensors[OUT_T(g)].count = 12 * 5;
    char why[256] = "";
    CHECK_INT(nn_graph_validate(g, why, sizeof(why)), BACKDROP_EINVAL);
    CHECK(strstr(why, "CONCAT") && strstr(why, "4 channels in, 5 out"), "why '%s'", why);
    return UNIT_PASS;
}

/* Ops XNNPACK has and ops it lacks (CONCAT, SLICE) in turn, with a tensor
 * read across two steps and a constant operand. */
static NnGraph *mixed_steps_graph(uint32_t *seed)
{
    NnGraph *g = graph_new();
    IN_T(g) = add_act(g, 1, 4, 5, 3);
    int sq = add_act(g, 1, 4, 5, 3);
    add_op(g, NN_OP_SQUARE, IN_T(g), -1, -1, sq);
    int cat = add_act(g, 1, 4, 5, 6);
    add_op(g, NN_OP_CONCAT, IN_T(g), sq, -1, cat);
    int shape[4] = { 1, 1, 1, 6 };
    int k = add_const(g, 4, shape, seed, -1.0f, 1.0f);
    int sum = add_act(g, 1, 4, 5, 6);
    add_op(g, NN_OP_ADD, cat, k, -1, sum);
    int part = add_act(g, 1, 3, 5, 4);
    NnOp *sl = add_op(g, NN_OP_SLICE, sum, -1, -1, part);
    sl->begin[1] = 1;
    sl->begin[3] = 2;
    int tail = add_act(g, 1, 3, 5, 4);
    add_op(g, NN_OP_TANH, part, -1, -1, tail);
    int x3 = add_act(g, 1, 3, 5, 3);
    NnOp *s2 = add_op(g, NN_OP_SLICE, IN_T(g), -1, -1, x3); /* the input, read again three steps later */
    s2->begin[1] = 1;
    OUT_T(g) = add_act(g, 1, 3, 5, 7);
    add_op(g, NN_OP_CONCAT, tail, x3, -1, OUT_T(g));
    return g;
}

/* XNNPACK runs the ops it has in runtimes and CONCAT/SLICE in C between
 * them: the alternating graph against the reference; and every
 * intermediate tensor exposed (each a buffer of its own) alike. */
static int test_nn_mixed_steps(void)
{
    uint32_t seed = 31;
    NnGraph *g = mixed_steps_graph(&seed);
    TRY(run_both(g, 32, -2.0f, 2.0f, "mixed steps", NULL, NULL));
    /* The same with every tensor exposed: each op's output in its buffer. */
    NnEngine *r = reference_new(g), *x = xnn_new(g, NULL, 1);
    CHECK(r && x, "engines");
    float *data = random_floats(g->tensors[IN_T(g)].count, &seed, -2.0f, 2.0f);
    memcpy(nn_engine_input(r, 0), data, g->tensors[IN_T(g)].count * sizeof(float));
    memcpy(nn_engine_input(x, 0), data, g->tensors[IN_T(g)].count * sizeof(float));
    CHECK_INT(nn_engine_run(r), 0);
    CHECK_INT(nn_engine_run(x), 0);
    CHECK(rel_error(nn_engine_output(x, 0), nn_engine_output(r, 0), g->tensors[OUT_T(g)].count) <= XNN_TOLERANCE,
          "exposed: output differs");
    return UNIT_PASS;
}

static int test_nn_slice(void)
{
    NnGraph *g = graph_new();
    IN_T(g) = add_act(g, 1, 5, 6, 4);
    OUT_T(g) = add_act(g, 1, 3, 3, 2);
    NnOp *op = add_op(g, NN_OP_SLICE, IN_T(g), -1, -1, OUT_T(g));
    op->begin[1] = 1;
    op->begin[2] = 2;
    op->begin[3] = 1;
    const float *input, *ref;
    TRY(run_both(g, 23, -2.0f, 2.0f, "slice", &input, &ref));
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 3; x++)
            for (int c = 0; c < 2; c++) {
                float want = input[((y + 1) * 6 + (x + 2)) * 4 + (c + 1)];
                CHECK(ref[(y * 3 + x) * 2 + c] == want, "(%d, %d, %d)", y, x, c);
            }
    op->begin[2] = 4; /* 4 + 3 > 6 */
    char why[256] = "";
    CHECK_INT(nn_graph_validate(g, why, sizeof(why)), BACKDROP_EINVAL);
    CHECK(strstr(why, "SLICE") && strstr(why, "does not fit"), "why '%s'", why);
    return UNIT_PASS;
}

/* ---- RESIZE_BILINEAR ------------------------------------------------------------ */

static NnGraph *resize_graph(int h, int w, int c, int oh, int ow, int align_corners, int half_pixel)
{
    NnGraph *g = graph_new();
    IN_T(g) = add_act(g, 1, h, w, c);
    OUT_T(g) = add_act(g, 1, oh, ow, c);
    NnOp *op = add_op(g, NN_OP_RESIZE_BILINEAR, IN_T(g), -1, -1, OUT_T(g));
    op->align_corners = align_corners;
    op->half_pixel_centers = half_pixel;
    op->out_h = oh;
    op->out_w = ow;
    return g;
}

static int test_nn_resize_bilinear(void)
{
    /* The three TFLite modes on [[0, 1], [2, 3]] -> 4x4. The value at
     * source coordinates (sy, sx) is 2*sy + sx, so each output is 2*c[y] +
     * c[x] with c the source coordinate of each output index:
     *   half_pixel_centers: (i + 0.5) / 2 - 0.5, clamped to [0, 1];
     *   neither flag:       i / 2, clamped to 1;
     *   align_corners:      i / 3. */
    static const struct {
        int align, half;
        double c[4];
    } modes[] = {
        { 0, 1, { 0.0, 0.25, 0.75, 1.0 } },
        { 0, 0, { 0.0, 0.5, 1.0, 1.0 } },
        { 1, 0, { 0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0 } },
    };
    for (int m = 0; m < 3; m++) {
        NnGraph *g = resize_graph(2, 2, 1, 4, 4, modes[m].align, modes[m].half);
        NnEngine *r = reference_new(g);
        CHECK(r, "mode %d rejected", m);
        NnEngine *x = xnn_new(g, NULL, 0);
        CHECK(x, "mode %d rejected by XNNPACK", m);
        for (int i = 0; i < 4; i++)
            nn_engine_input(r, 0)[i] = nn_engine_input(x, 0)[i] = (float)i;
        CHECK_INT(nn_engine_run(r), 0);
        CHECK_INT(nn_engine_run(x), 0);
        for (int y = 0; y < 4; y++)
            for (int xx = 0; xx < 4; xx++) {
                double want = 2.0 * modes[m].c[y] + modes[m].c[xx];
                float got_r = nn_engine_output(r, 0)[y * 4 + xx], got_x = nn_engine_output(x, 0)[y * 4 + xx];
                CHECK(fabs(got_r - want) <= 1e-6, "mode %d (%d,%d): reference %g, expected %g", m, y, xx, got_r, want);
                CHECK(fabs(got_x - want) <= 1e-6, "mode %d (%d,%d): XNNPACK %g, expected %g", m, y, xx, got_x, want);
            }
    }

    /* Odd sizes, up and down, each mode: XNNPACK against the reference. */
    static const int sizes[][4] = {
        { 5, 7, 9, 4 }, { 3, 3, 8, 8 }, { 6, 5, 3, 2 }, { 1, 4, 3, 9 }, { 16, 16, 32, 32 }, { 4, 6, 1, 1 },
    };
    for (int s = 0; s < (int)(sizeof(sizes) / sizeof(sizes[0])); s++)
        for (int m = 0; m < 3; m++) {
            char what[64];
            snprintf(what, sizeof(what), "%dx%d -> %dx%d mode %d", sizes[s][0], sizes[s][1], sizes[s][2],
                     sizes[s][3], m);
            NnGraph *g = resize_graph(sizes[s][0], sizes[s][1], 3, sizes[s][2], sizes[s][3], modes[m].align,
                                      modes[m].half);
            TRY(run_both(g, (uint32_t)(s * 3 + m), -1.0f, 1.0f, what, NULL, NULL));
        }

    /* align_corners with half_pixel_centers: refused, as TFLite does. */
    NnGraph *g = resize_graph(4, 4, 1, 8, 8, 1, 1);
    NnEngine *r = NULL;
    NnEngine *x = NULL;
    CHECK_INT(nn_engine_create(&r, &nn_engine_reference, g, NULL, 0), BACKDROP_EINVAL);
    CHECK(!r, "reference not NULL after failure");
    CHECK_INT(nn_engine_create(&x, &nn_engine_xnnpack, g, NULL, 0), BACKDROP_EINVAL);
    CHECK(!x, "executor not NULL after failure");
    return UNIT_PASS;
}

/* ---- a whole small network ------------------------------------------------------- */

/* A miniature of the selfie models: stem conv, hard-swish, depthwise,
 * squeeze-and-excitation (global pool, two 1x1 convs, sigmoid, multiply),
 * residual add, bilinear upsampling, transposed convolution to logits,
 * sigmoid. Returns the graph; the op outputs are tensors 'first_act' on. */
static NnGraph *mini_network(uint32_t *seed)
{
    NnGraph *g = graph_new();
    IN_T(g) = add_act(g, 1, 13, 11, 3);
    int w0[4] = { 8, 3, 3, 3 }, b8 = 8;
    int stem = add_act(g, 1, 7, 6, 8);
    NnOp *op = add_op(g, NN_OP_CONV_2D, IN_T(g), add_const(g, 4, w0, seed, -0.5f, 0.5f),
                      add_const(g, 1, &b8, seed, -0.5f, 0.5f), stem);
    op->padding = NN_PAD_SAME;
    op->stride_h = op->stride_w = 2;
    int hs = add_act(g, 1, 7, 6, 8);
    add_op(g, NN_OP_HARD_SWISH, stem, -1, -1, hs);
    int wd[4] = { 1, 3, 3, 8 };
    int dw = add_act(g, 1, 7, 6, 8);
    op = add_op(g, NN_OP_DEPTHWISE_CONV_2D, hs, add_const(g, 4, wd, seed, -0.5f, 0.5f),
                add_const(g, 1, &b8, seed, -0.5f, 0.5f), dw);
    op->padding = NN_PAD_SAME;
    op->depth_multiplier = 1;
    op->activation = NN_ACT_RELU;
    int pooled = add_act(g, 1, 1, 1, 8);
    op = add_op(g, NN_OP_AVERAGE_POOL_2D, dw, -1, -1, pooled);
    op->filter_h = op->stride_h = 7;
    op->filter_w = op->stride_w = 6;
    int w1[4] = { 4, 1, 1, 8 }, b4 = 4, w2[4] = { 8, 1, 1, 4 };
    int squeeze = add_act(g, 1, 1, 1, 4);
    op = add_op(g, NN_OP_CONV_2D, pooled, add_const(g, 4, w1, seed, -0.5f, 0.5f),
                add_const(g, 1, &b4, seed, -0.5f, 0.5f), squeeze);
    op->activation = NN_ACT_RELU;
    int excite = add_act(g, 1, 1, 1, 8);
    add_op(g, NN_OP_CONV_2D, squeeze, add_const(g, 4, w2, seed, -0.5f, 0.5f),
           add_const(g, 1, &b8, seed, -0.5f, 0.5f), excite);
    int gate = add_act(g, 1, 1, 1, 8);
    add_op(g, NN_OP_LOGISTIC, excite, -1, -1, gate);
    int scaled = add_act(g, 1, 7, 6, 8);
    add_op(g, NN_OP_MUL, dw, gate, -1, scaled);
    int sum = add_act(g, 1, 7, 6, 8);
    add_op(g, NN_OP_ADD, scaled, hs, -1, sum);
    int up = add_act(g, 1, 14, 12, 8);
    op = add_op(g, NN_OP_RESIZE_BILINEAR, sum, -1, -1, up);
    op->half_pixel_centers = 1;
    op->out_h = 14;
    op->out_w = 12;
    int relu = add_act(g, 1, 14, 12, 8);
    add_op(g, NN_OP_RELU, up, -1, -1, relu);
    int wt[4] = { 1, 2, 2, 8 }, b1 = 1;
    int logits = add_act(g, 1, 28, 24, 1);
    add_port(g, 1, "logits", logits);
    op = add_op(g, NN_OP_TRANSPOSE_CONV_BIAS, relu, add_const(g, 4, wt, seed, -0.5f, 0.5f),
                add_const(g, 1, &b1, seed, -0.5f, 0.5f), logits);
    op->padding = NN_PAD_SAME;
    op->stride_h = op->stride_w = 2;
    OUT_T(g) = add_act(g, 1, 28, 24, 1);
    add_op(g, NN_OP_LOGISTIC, logits, -1, -1, OUT_T(g));
    return g;
}

/* The whole network, fused (XNNPACK merges clamps into convolutions) and
 * with every tensor exposed, on 1 and 2 threads, against the reference;
 * then each exposed op output against the reference's. */
static int test_nn_small_network(void)
{
    uint32_t seed = 2024;
    NnGraph *g = mini_network(&seed);
    const float *input;
    TRY(run_both(g, 3, 0.0f, 1.0f, "mini network", &input, NULL));

    NnEngine *r = reference_new(g);
    CHECK(r, "reference");
    memcpy(nn_engine_input(r, 0), input, g->tensors[IN_T(g)].count * sizeof(float));
    CHECK_INT(nn_engine_run(r), 0);

    NnEngine *fused = xnn_new(g, NULL, 0);
    NnEngine *all = xnn_new(g, pool_new(2), 1);
    CHECK(fused && all, "XNNPACK rejected the network");
    memcpy(nn_engine_input(fused, 0), input, g->tensors[IN_T(g)].count * sizeof(float));
    memcpy(nn_engine_input(all, 0), input, g->tensors[IN_T(g)].count * sizeof(float));
    CHECK_INT(nn_engine_run(fused), 0);
    CHECK_INT(nn_engine_run(all), 0);

    /* Without expose_all only the input, output and logits are visible. */
    for (int t = 0; t < g->num_tensors; t++) {
        int visible = t == IN_T(g) || t == OUT_T(g) || t == logits_of(g);
        CHECK((nn_engine_tensor(fused, t) != NULL) == visible, "tensor %d visibility", t);
    }
    CHECK(nn_engine_tensor(fused, -1) == NULL && nn_engine_tensor(fused, g->num_tensors) == NULL, "range");
    size_t n_logits = g->tensors[logits_of(g)].count;
    double err = rel_error(nn_engine_tensor(fused, logits_of(g)), nn_engine_tensor(r, logits_of(g)), n_logits);
    CHECK(err <= XNN_TOLERANCE, "logits differ by %.3g", err);

    for (int i = 0; i < g->num_ops; i++) {
        int t = g->ops[i].output;
        const float *got = nn_engine_tensor(all, t);
        CHECK(got, "op %d output not exposed", i);
        err = rel_error(got, nn_engine_tensor(r, t), g->tensors[t].count);
        CHECK(err <= XNN_TOLERANCE, "op %d output differs by %.3g", i, err);
    }

    /* Runs are repeatable: a second run of the same input gives the same bits. */
    float *first = unit_alloc(g->tensors[OUT_T(g)].count * sizeof(float));
    memcpy(first, nn_engine_output(fused, 0), g->tensors[OUT_T(g)].count * sizeof(float));
    CHECK_INT(nn_engine_run(fused), 0);
    CHECK(!memcmp(first, nn_engine_output(fused, 0), g->tensors[OUT_T(g)].count * sizeof(float)), "rerun differs");
    return UNIT_PASS;
}

/* ---- profiling ------------------------------------------------------------ */

static double monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* NN_ENGINE_PROFILE on XNNPACK (2-thread pool): one time per op, zero
 * before the first run, each > 0 after a run (every op timed on its own,
 * not a step's time put on its first op), adding up to no more than the
 * run around them (the last run's times, not a running total), and the
 * same output as a plain engine. Without the flag, and on the reference,
 * there are no times. */
static int check_profile(const NnGraph *g, uint32_t seed, const char *what)
{
    NnEngine *plain = xnn_new(g, NULL, 0);
    NnEngine *prof = engine_new("xnnpack", g, pool_new(2), NN_ENGINE_PROFILE);
    NnEngine *ref = engine_new("reference", g, NULL, NN_ENGINE_PROFILE);
    CHECK(plain && prof && ref, "%s: engines", what);
    CHECK(!nn_engine_op_ms(plain), "%s: times without NN_ENGINE_PROFILE", what);
    CHECK(!nn_engine_op_ms(ref), "%s: the reference does not profile", what);
    const double *ms = nn_engine_op_ms(prof);
    CHECK(ms, "%s: no times with NN_ENGINE_PROFILE", what);
    for (int i = 0; i < g->num_ops; i++)
        CHECK(ms[i] == 0.0, "%s: op %d: %g ms before any run", what, i, ms[i]);

    const NnTensor *in = &g->tensors[IN_T(g)];
    float *data = random_floats(in->count, &seed, -2.0f, 2.0f);
    memcpy(nn_engine_input(plain, 0), data, in->count * sizeof(float));
    memcpy(nn_engine_input(prof, 0), data, in->count * sizeof(float));
    CHECK_INT(nn_engine_run(plain), 0);
    for (int run = 0; run < 3; run++) {
        double t0 = monotonic_ms();
        CHECK_INT(nn_engine_run(prof), 0);
        double wall = monotonic_ms() - t0, sum = 0.0;
        for (int i = 0; i < g->num_ops; i++) {
            CHECK(ms[i] > 0.0 && isfinite(ms[i]), "%s: run %d: op %d (%s) has %g ms", what, run, i,
                  nn_op_name(g->ops[i].type), ms[i]);
            sum += ms[i];
        }
        CHECK(sum <= wall + 1e-6, "%s: run %d: the ops add up to %.6f ms, more than the run's %.6f ms", what, run,
              sum, wall);
    }
    CHECK(nn_engine_op_ms(prof) == ms, "%s: the times moved", what);
    double err = rel_error(nn_engine_output(prof, 0), nn_engine_output(plain, 0), g->tensors[OUT_T(g)].count);
    CHECK(err <= XNN_TOLERANCE, "%s: profiled output differs from the plain engine's by %.3g", what, err);
    return UNIT_PASS;
}

/* A network XNNPACK would fuse (clamps into convolutions), and the graph
 * of runtimes and C steps in turn. */
static int test_nn_profile(void)
{
    uint32_t seed = 2024;
    TRY(check_profile(mini_network(&seed), 5, "mini network"));
    TRY(check_profile(mixed_steps_graph(&seed), 6, "mixed steps"));
    return UNIT_PASS;
}

/* ---- malformed graphs --------------------------------------------------------------- */

/* Both executors must give 'want' for g and leave their handle NULL. */
static int expect_rejected(const NnGraph *g, int want, const char *what)
{
    NnEngine *r = (NnEngine *)1;
    NnEngine *x = (NnEngine *)1;
    int err = nn_engine_create(&r, &nn_engine_reference, g, NULL, 0);
    CHECK(err == want && !r, "%s: reference gives %d, expected %d", what, err, want);
    err = nn_engine_create(&x, &nn_engine_xnnpack, g, NULL, 0);
    CHECK(err == want && !x, "%s: XNNPACK gives %d, expected %d", what, err, want);
    return UNIT_PASS;
}

static NnGraph *relu_pair(void)
{
    NnGraph *g = graph_new();
    IN_T(g) = add_act(g, 1, 4, 4, 2);
    int mid = add_act(g, 1, 4, 4, 2);
    OUT_T(g) = add_act(g, 1, 4, 4, 2);
    add_op(g, NN_OP_RELU, IN_T(g), -1, -1, mid);
    add_op(g, NN_OP_RELU, mid, -1, -1, OUT_T(g));
    return g;
}

static int test_nn_malformed_graphs(void)
{
    NnGraph *g = relu_pair();
    TRY(run_both(g, 1, -1.0f, 1.0f, "valid pair", NULL, NULL));

    g = relu_pair();
    g->ops[0].inputs[0] = 17; /* no such tensor */
    TRY(expect_rejected(g, BACKDROP_EINVAL, "bad index"));

    g = relu_pair();
    NnOp tmp = g->ops[0]; /* reads 'mid' before it is written */
    g->ops[0] = g->ops[1];
    g->ops[1] = tmp;
    TRY(expect_rejected(g, BACKDROP_EINVAL, "wrong order"));

    g = relu_pair();
    g->ops[1].output = 1; /* 'mid' written twice */
    TRY(expect_rejected(g, BACKDROP_EINVAL, "two writers"));

    g = relu_pair();
    g->tensors[2].shape[1] = 5; /* count no longer matches the shape */
    TRY(expect_rejected(g, BACKDROP_EINVAL, "count"));

    g = relu_pair();
    g->tensors[2].shape[1] = 5;
    g->tensors[2].count = 40; /* consistent tensor, wrong shape for RELU */
    TRY(expect_rejected(g, BACKDROP_EINVAL, "unary shape"));

    g = relu_pair();
    g->ops[1].type = NN_OP_COUNT;
    TRY(expect_rejected(g, BACKDROP_ENOTSUP, "unknown op"));

    /* A convolution whose output shape disagrees with its padding. */
    uint32_t seed = 5;
    static const ConvCase cc = { 7, 9, 3, 5, 3, 3, 2, 2, 1, NN_PAD_SAME, NN_ACT_NONE, 1 };
    g = conv_graph(&cc, NN_OP_CONV_2D, &seed);
    g->ops[0].padding = NN_PAD_VALID;
    TRY(expect_rejected(g, BACKDROP_EINVAL, "conv output shape"));
    g = conv_graph(&cc, NN_OP_CONV_2D, &seed);
    g->ops[0].stride_h = 0;
    TRY(expect_rejected(g, BACKDROP_EINVAL, "conv stride 0"));
    g = conv_graph(&cc, NN_OP_CONV_2D, &seed);
    g->tensors[g->ops[0].inputs[1]].data = NULL; /* weights computed at run time */
    TRY(expect_rejected(g, BACKDROP_ENOTSUP, "non-constant weights"));

    /* A strided 1x1 pool: valid TFLite, but XNNPACK has no node for it. */
    g = graph_new();
    IN_T(g) = add_act(g, 1, 5, 5, 2);
    OUT_T(g) = add_act(g, 1, 3, 3, 2);
    NnOp *op = add_op(g, NN_OP_AVERAGE_POOL_2D, IN_T(g), -1, -1, OUT_T(g));
    op->filter_h = op->filter_w = 1;
    op->stride_h = op->stride_w = 2;
    NnEngine *r = reference_new(g);
    CHECK(r, "the reference runs any valid pool");
    NnEngine *x = NULL;
    CHECK_INT(nn_engine_create(&x, &nn_engine_xnnpack, g, NULL, 0), BACKDROP_ENOTSUP);

    nn_engine_destroy(NULL);
    nn_engine_destroy(NULL);
    r = NULL;
    nn_engine_destroy(&r);
    x = NULL;
    nn_engine_destroy(&x);
    CHECK_INT(nn_engine_create(NULL, &nn_engine_reference, g, NULL, 0), BACKDROP_EINVAL);
    CHECK_INT(nn_engine_create(NULL, &nn_engine_xnnpack, g, NULL, 0), BACKDROP_EINVAL);
    CHECK_INT(nn_engine_create(&r, &nn_engine_reference, NULL, NULL, 0), BACKDROP_EINVAL);
    CHECK_INT(nn_engine_create(&x, &nn_engine_xnnpack, NULL, NULL, 0), BACKDROP_EINVAL);
    return UNIT_PASS;
}

/* ---- the selfie models ----------------------------------------------------------------- */

#ifndef BACKDROP_SOURCE_ROOT
#define BACKDROP_SOURCE_ROOT "."
#endif

/* The whole file in memory released after the test, or NULL. */
static void *read_whole(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    void *data = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && fseek(f, 0, SEEK_SET) == 0) {
            data = unit_alloc((size_t)n);
            if (fread(data, 1, (size_t)n, f) != (size_t)n)
                data = NULL;
            else
                *size = (size_t)n;
        }
    }
    fclose(f);
    return data;
}

/* Loads a model into g (freed after the test). UNIT_SKIP when the model
 * file is absent. */
static int load_model(const char *file, NnGraph **out)
{
    char path[4096], err[256] = "";
    model_file_path(path, sizeof(path), file);
    size_t size = 0;
    void *data = read_whole(path, &size);
    if (!data)
        SKIP("%s: cannot read the model (run scripts/fetch-models.sh)", path);
    NnGraph *g = unit_alloc(sizeof(*g));
    int rc = nn_graph_load_tflite(g, data, size, err, sizeof(err));
    CHECK(rc == 0, "%s: %s (%d)", path, err, rc);
    unit_defer(release_graph, g);
    CHECK(logits_of(g) >= 0, "%s: no logits tensor", path);
    *out = g;
    return UNIT_PASS;
}

/* Runs both executors on each golden case of a model; prints the errors. */
static int check_goldens(const char *model_file, const char *model)
{
    char probe[4096];
    golden_path(probe, sizeof(probe), "selfie", "README.md");
    FILE *f = fopen(probe, "r");
    if (!f)
        SKIP("%s: no golden directory (set BACKDROP_SHARED_DIR)", probe);
    fclose(f);
    NnGraph *g;
    TRY(load_model(model_file, &g));

    NnEngine *r = reference_new(g);
    NnEngine *x1 = xnn_new(g, NULL, 0);
    NnEngine *x2 = xnn_new(g, pool_new(2), 0);
    CHECK(r && x1 && x2, "executors");
    size_t n_in = g->tensors[IN_T(g)].count, n_out = g->tensors[OUT_T(g)].count;
    CHECK_INT(g->tensors[logits_of(g)].count, n_out);

    static const char *const cases[] = { "astronaut", "camera", "rocket", "random" };
    for (int c = 0; c < 4; c++) {
        char name[128];
        snprintf(name, sizeof(name), "%s_%s.in.f32", model, cases[c]);
        const float *in = read_golden("selfie", name, n_in);
        snprintf(name, sizeof(name), "%s_%s.logits.f32", model, cases[c]);
        const float *logits = read_golden("selfie", name, n_out);
        snprintf(name, sizeof(name), "%s_%s.out.f32", model, cases[c]);
        const float *prob = read_golden("selfie", name, n_out);
        CHECK(in && logits && prob, "golden files of %s_%s", model, cases[c]);

        memcpy(nn_engine_input(r, 0), in, n_in * sizeof(float));
        memcpy(nn_engine_input(x1, 0), in, n_in * sizeof(float));
        memcpy(nn_engine_input(x2, 0), in, n_in * sizeof(float));
        CHECK_INT(nn_engine_run(r), 0);
        CHECK_INT(nn_engine_run(x1), 0);
        CHECK_INT(nn_engine_run(x2), 0);
        const char *names[3] = { "reference", "xnnpack-1t", "xnnpack-2t" };
        const float *got_logits[3] = { nn_engine_tensor(r, logits_of(g)), nn_engine_tensor(x1, logits_of(g)),
                                       nn_engine_tensor(x2, logits_of(g)) };
        const float *got_prob[3] = { nn_engine_output(r, 0), nn_engine_output(x1, 0), nn_engine_output(x2, 0) };
        for (int e = 0; e < 3; e++) {
            double lrel = rel_error(got_logits[e], logits, n_out);
            double lelem = elementwise_error(got_logits[e], logits, n_out);
            double labs = max_abs_diff(got_logits[e], logits, n_out);
            double pabs = max_abs_diff(got_prob[e], prob, n_out);
            size_t flips = 0;
            for (size_t i = 0; i < n_out; i++)
                flips += (got_prob[e][i] > 0.5f) != (prob[i] > 0.5f);
            printf("%s_%s %-10s logits: max|d| %.3g, /max|l| %.3g, elementwise %.3g  prob: max|d| %.3g, "
                   "0.5 flips %zu\n", model, cases[c], names[e], labs, lrel, lelem, pabs, flips);
            /* The README's 1e-3 relative, read strictly: per element
             * (absolute where |logit| < 1), not just against the largest
             * logit (several hundred in these models). */
            CHECK(lelem <= 1e-3, "%s_%s %s: logits relative error %.3g", model, cases[c], names[e], lelem);
            CHECK(pabs <= 1e-4, "%s_%s %s: probability error %.3g", model, cases[c], names[e], pabs);
            CHECK(flips == 0, "%s_%s %s: %zu pixels change side of 0.5", model, cases[c], names[e], flips);
        }
    }
    return UNIT_PASS;
}

/* XNNPACK with every op output exposed; each op recomputed by the
 * reference from the inputs XNNPACK's own op read. Also the end-to-end
 * drift between the two (each running on its own results). */
static int check_op_by_op(const char *model_file, const char *model)
{
    NnGraph *g;
    TRY(load_model(model_file, &g));
    NnEngine *x = xnn_new(g, NULL, 1);
    NnEngine *r = reference_new(g);
    CHECK(x && r, "executors");
    size_t n_in = g->tensors[IN_T(g)].count;

    /* The golden photo when there is one, else a fixed random image. */
    char name[128];
    snprintf(name, sizeof(name), "%s_astronaut.in.f32", model);
    char probe[4096];
    golden_path(probe, sizeof(probe), "selfie", name);
    size_t size = 0;
    const float *in = read_whole(probe, &size);
    if (!in || size != n_in * sizeof(float)) {
        uint32_t seed = 42;
        in = random_floats(n_in, &seed, 0.0f, 1.0f);
    }
    memcpy(nn_engine_input(x, 0), in, n_in * sizeof(float));
    memcpy(nn_engine_input(r, 0), in, n_in * sizeof(float));
    CHECK_INT(nn_engine_run(x), 0);
    CHECK_INT(nn_engine_run(r), 0);

    size_t largest = 0;
    for (int t = 0; t < g->num_tensors; t++)
        if (g->tensors[t].count > largest)
            largest = g->tensors[t].count;
    float *scratch = unit_alloc(largest * sizeof(float));
    double worst[NN_OP_COUNT] = { 0 }, worst_drift = 0.0;
    int worst_op[NN_OP_COUNT];
    for (int i = 0; i < NN_OP_COUNT; i++)
        worst_op[i] = -1;
    int failed = 0;
    for (int i = 0; i < g->num_ops; i++) {
        const NnOp *op = &g->ops[i];
        const float *inputs[NN_MAX_INPUTS];
        for (int k = 0; k < op->num_inputs; k++) {
            int t = op->inputs[k];
            inputs[k] = g->tensors[t].data ? g->tensors[t].data : nn_engine_tensor(x, t);
            CHECK(inputs[k], "op %d input %d (tensor %d) not exposed", i, k, t);
        }
        nn_reference_eval_op(g, i, inputs, scratch);
        const float *got = nn_engine_tensor(x, op->output);
        size_t count = g->tensors[op->output].count;
        double err = rel_error(got, scratch, count);
        if (err > worst[op->type] || worst_op[op->type] < 0) {
            worst[op->type] = err;
            worst_op[op->type] = i;
        }
        if (err > XNN_TOLERANCE) {
            unit_report(__FILE__, __LINE__, "%s op %d %s (%s): relative error %.3g", model, i,
                        nn_op_name(op->type), g->tensors[op->output].name, err);
            failed = 1;
        }
        double drift = rel_error(got, nn_engine_tensor(r, op->output), count);
        if (drift > worst_drift)
            worst_drift = drift;
    }
    for (int i = 0; i < NN_OP_COUNT; i++)
        if (worst_op[i] >= 0)
            printf("%s %-20s worst relative error %.3g (op %d)\n", model, nn_op_name((NnOpType)i), worst[i], worst_op[i]);
    printf("%s end-to-end drift XNNPACK vs reference, worst tensor: %.3g\n", model, worst_drift);
    CHECK(!failed, "some ops differ beyond %g", XNN_TOLERANCE);
    return UNIT_PASS;
}

static int test_nn_golden_general(void)
{
    return check_goldens("selfie_segmentation.tflite", "general");
}

static int test_nn_golden_landscape(void)
{
    return check_goldens("selfie_segmentation_landscape.tflite", "landscape");
}

static int test_nn_op_by_op_general(void)
{
    return check_op_by_op("selfie_segmentation.tflite", "general");
}

static int test_nn_op_by_op_landscape(void)
{
    return check_op_by_op("selfie_segmentation_landscape.tflite", "landscape");
}

/* ---- framing track: the window's geometry ------------------------------------------------ */

static int box_holds(const NeuralBox *w, double x0, double y0, double x1, double y1)
{
    const double e = 1e-9;
    return w->x0 <= x0 + e && w->y0 <= y0 + e && w->x1 >= x1 - e && w->y1 >= y1 - e;
}

#define CHECK_NEAR(a, b, tol) CHECK(fabs((a) - (b)) <= (tol), "%s = %.6g, expected %.6g", #a, (double)(a), (double)(b))

/* neural_track_window: margin, the model's aspect, minimum and maximum
 * size, clipping by shifting, refusal, and smoothing over time (centre half
 * way, grow at once, shrink by a quarter), always holding the box. */
static int test_nn_track_window(void)
{
    NeuralBox w, prev;
    /* A standing person 40 x 100 in 640x360, square model: a quarter of
     * 100 on each side gives 150 x 150 around the box's centre. */
    NeuralBox p = { 300, 100, 340, 200 };
    CHECK_INT(neural_track_window(&p, NULL, 640, 360, 256, 256, &w), 1);
    CHECK_NEAR(w.x1 - w.x0, 150, 1e-9);
    CHECK_NEAR(w.y1 - w.y0, 150, 1e-9);
    CHECK_NEAR(w.x0, 245, 1e-9);
    CHECK_NEAR(w.y0, 75, 1e-9);
    /* The landscape model's aspect: 256:144. */
    CHECK_INT(neural_track_window(&p, NULL, 640, 360, 256, 144, &w), 1);
    CHECK_NEAR((w.x1 - w.x0) * 144, (w.y1 - w.y0) * 256, 1e-6);
    CHECK(box_holds(&w, 275, 75, 365, 225), "landscape window (%g %g %g %g) misses the margin", w.x0, w.y0, w.x1,
          w.y1);
    /* A tiny person: at least NEURAL_TRACK_MIN_SIZE of the largest window. */
    p = (NeuralBox){ 400, 200, 410, 220 };
    CHECK_INT(neural_track_window(&p, NULL, 640, 360, 256, 256, &w), 1);
    CHECK_NEAR(w.x1 - w.x0, NEURAL_TRACK_MIN_SIZE * 360, 1e-9);
    CHECK(box_holds(&w, 400, 200, 410, 220), "small box not held");
    /* At the left edge: shifted into the frame, not shrunk. */
    p = (NeuralBox){ 0, 100, 40, 200 };
    CHECK_INT(neural_track_window(&p, NULL, 640, 360, 256, 256, &w), 1);
    CHECK_NEAR(w.x0, 0, 1e-9);
    CHECK_NEAR(w.x1 - w.x0, 150, 1e-9);
    /* Tall (to the bottom edge) and wide: the largest window, as tall as
     * the frame, still holding the box. */
    p = (NeuralBox){ 200, 40, 420, 360 };
    CHECK_INT(neural_track_window(&p, NULL, 640, 360, 256, 256, &w), 1);
    CHECK_NEAR(w.y0, 0, 1e-9);
    CHECK_NEAR(w.y1, 360, 1e-9);
    CHECK_NEAR(w.x1 - w.x0, 360, 1e-9);
    CHECK(box_holds(&w, 200, 40, 420, 360), "wide box not held");
    /* Wider than the frame is tall (with the minimum margin): refused. */
    p = (NeuralBox){ 100, 0, 460, 360 };
    CHECK_INT(neural_track_window(&p, NULL, 640, 360, 256, 256, &w), 0);
    /* Smoothing: the box moved right; the centre goes half way, then is
     * pushed just far enough to hold the box with the minimum margin. */
    prev = (NeuralBox){ 245, 75, 395, 225 };
    p = (NeuralBox){ 340, 100, 380, 200 };
    CHECK_INT(neural_track_window(&p, &prev, 640, 360, 256, 256, &w), 1);
    CHECK_NEAR(0.5 * (w.x0 + w.x1), 0.5 * (320 + 360), 1e-9);
    CHECK_NEAR(w.x1 - w.x0, 150, 1e-9);
    p = (NeuralBox){ 500, 100, 540, 200 };
    CHECK_INT(neural_track_window(&p, &prev, 640, 360, 256, 256, &w), 1);
    CHECK_NEAR(w.x1, 540 + NEURAL_TRACK_MIN_MARGIN * 360, 1e-9);
    /* Shrinks by a quarter of the difference per frame... */
    prev = (NeuralBox){ 170, 0, 470, 300 };
    p = (NeuralBox){ 300, 100, 340, 200 };
    CHECK_INT(neural_track_window(&p, &prev, 640, 360, 256, 256, &w), 1);
    CHECK_NEAR(w.x1 - w.x0, 300 - 0.25 * 150, 1e-9);
    CHECK(box_holds(&w, 300, 100, 340, 200), "shrinking window lost the box");
    /* ... and grows at once. */
    prev = (NeuralBox){ 245, 75, 395, 225 };
    p = (NeuralBox){ 280, 60, 360, 260 };
    CHECK_INT(neural_track_window(&p, &prev, 640, 360, 256, 256, &w), 1);
    CHECK_NEAR(w.x1 - w.x0, 300, 1e-9);
    CHECK(box_holds(&w, 280, 60, 360, 260), "growing window lost the box");
    /* Many random boxes and histories: inside the frame, of the model's
     * aspect, holding the box with the minimum margin (as far as the frame
     * goes), or refused only when that cannot fit. */
    uint32_t seed = 12345;
    prev = (NeuralBox){ 0, 0, 0, 0 };
    for (int i = 0; i < 2000; i++) {
        double v[4];
        for (int k = 0; k < 4; k++) {
            seed = seed * 1664525u + 1013904223u;
            v[k] = (seed >> 8) / 16777216.0;
        }
        int fw = i % 2 ? 640 : 360, fh = i % 2 ? 360 : 640;
        p.x0 = v[0] * fw * 0.9;
        p.x1 = p.x0 + 1 + v[1] * (fw - p.x0 - 1);
        p.y0 = v[2] * fh * 0.9;
        p.y1 = p.y0 + 1 + v[3] * (fh - p.y0 - 1);
        double m = NEURAL_TRACK_MIN_MARGIN * 360;
        double bx0 = fmax(p.x0 - m, 0), bx1 = fmin(p.x1 + m, fw), by0 = fmax(p.y0 - m, 0), by1 = fmin(p.y1 + m, fh);
        int fits = bx1 - bx0 <= 360 && by1 - by0 <= 360;
        int ok = neural_track_window(&p, i % 3 ? &prev : NULL, fw, fh, 256, 256, &w);
        CHECK(ok == fits, "box %d (%g %g %g %g) in %dx%d: %d, expected %d", i, p.x0, p.y0, p.x1, p.y1, fw, fh, ok,
              fits);
        if (!ok)
            continue;
        CHECK(w.x0 >= 0 && w.y0 >= 0 && w.x1 <= fw + 1e-9 && w.y1 <= fh + 1e-9, "window %d outside the frame", i);
        CHECK_NEAR(w.x1 - w.x0, w.y1 - w.y0, 1e-6);
        CHECK(box_holds(&w, bx0, by0, bx1, by1), "window %d (%g %g %g %g) misses (%g %g %g %g)", i, w.x0, w.y0, w.x1,
              w.y1, bx0, by0, bx1, by1);
        prev = w;
    }
    return UNIT_PASS;
}

const UnitTest nn_tests[] = {
    UNIT_TEST(nn_conv2d),
    UNIT_TEST(nn_depthwise_conv2d),
    UNIT_TEST(nn_conv2d_explicit),
    UNIT_TEST(nn_depthwise_explicit),
    UNIT_TEST(nn_explicit_pad_fold),
    UNIT_TEST(nn_transpose_conv),
    UNIT_TEST(nn_average_pool),
    UNIT_TEST(nn_add),
    UNIT_TEST(nn_mul),
    UNIT_TEST(nn_hard_swish),
    UNIT_TEST(nn_relu),
    UNIT_TEST(nn_logistic),
    UNIT_TEST(nn_sub),
    UNIT_TEST(nn_div),
    UNIT_TEST(nn_minimum),
    UNIT_TEST(nn_maximum),
    UNIT_TEST(nn_square),
    UNIT_TEST(nn_tanh),
    UNIT_TEST(nn_pad),
    UNIT_TEST(nn_concat),
    UNIT_TEST(nn_slice),
    UNIT_TEST(nn_mixed_steps),
    UNIT_TEST(nn_resize_bilinear),
    UNIT_TEST(nn_small_network),
    UNIT_TEST(nn_profile),
    UNIT_TEST(nn_malformed_graphs),
    UNIT_TEST(nn_golden_general),
    UNIT_TEST(nn_golden_landscape),
    UNIT_TEST(nn_op_by_op_general),
    UNIT_TEST(nn_op_by_op_landscape),
    UNIT_TEST(nn_track_window),
    UNIT_TESTS_END
};
