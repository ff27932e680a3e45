/*
 * The TF.js specialiser (src/nn/format/tfjs_specialise.c) on small
 * hand-written graph models (tests/fuzz/tfjs_builder.h), one lowering
 * each. Every specialised graph is run on the reference engine and its
 * outputs compared with values computed here by plain loops written from
 * TensorFlow's definitions of the original ops (tf.nn.depthwise_conv2d,
 * tf.nn.conv2d, tf.image.resize_bilinear...), on the same inputs; the
 * graph's ops are checked for the lowering itself (one op, its padding,
 * dilation, activation, the filter's layout).
 *
 * Error cases expect the code, a one-line message naming the node and its
 * op (or the feed), and the graph left empty.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backdrop/backdrop.h"
#include "nn/engine.h"
#include "nn/format/tfjs.h"
#include "nn/format/tfjs_specialise.h"
#include "suites.h"
#include "tfjs_builder.h"
#include "util.h"

/* ---- helpers ----------------------------------------------------------- */

/* The builder's model through the reader (freed after the test). */
static int read_model(const TjModel *tm, TfjsModel **out)
{
    size_t cap = TJ_MAX_NODES + 3 * TJ_MAX_TEXT + 1024;
    char *json = unit_alloc(cap);
    long n = tj_json(tm, json, cap);
    CHECK(n > 0, "the builder's model does not fit its buffers");
    TfjsModel *m = unit_alloc(sizeof(*m));
    const uint8_t *shards[1] = { tm->bin };
    size_t sizes[1] = { tm->bin_len };
    char err[256] = "";
    int rc = tfjs_model_read(m, (const uint8_t *)json, (size_t)n, shards, sizes, 1, err, sizeof(err));
    CHECK(rc == 0, "reading the model: %s (%d)", err, rc);
    unit_defer(release_tfjs_model, m);
    *out = m;
    return UNIT_PASS;
}

static TfjsFeed feed_x(int h, int w, int c)
{
    return (TfjsFeed){ .name = "x", .rank = 4, .shape = { 1, h, w, c } };
}

static TfjsFeed feed_r(float value)
{
    return (TfjsFeed){ .name = "r", .constant = 1, .value = value };
}

/* The model specialised for these feeds; must succeed and validate. */
static int specialise(const TjModel *tm, const TfjsFeed *feeds, int n, NnGraph **out)
{
    TfjsModel *m;
    TRY(read_model(tm, &m));
    NnGraph *g = unit_alloc(sizeof(*g));
    char err[256] = "";
    int rc = tfjs_specialise(m, feeds, n, g, err, sizeof(err));
    CHECK(rc == 0, "tfjs_specialise: %s (%d)", err, rc);
    unit_defer(release_graph, g);
    CHECK(!err[0], "message '%s' on success", err);
    rc = nn_graph_validate(g, err, sizeof(err));
    CHECK(rc == 0, "the graph does not validate: %s", err);
    *out = g;
    return UNIT_PASS;
}

/* h x w x c floats, multiples of 1/16 in [-8, 8): both sides of every
 * clip (Relu6, hard-swish's -3 and 3). */
static float *input(int h, int w, int c, uint32_t seed)
{
    size_t n = (size_t)h * w * c;
    float *x = unit_alloc(n * sizeof(float));
    for (size_t k = 0; k < n; k++)
        x[k] = ((float)lcg_byte(&seed) - 128.0f) / 16.0f;
    return x;
}

/* tj_value(seed, k) for the n elements of a weight. */
static float *weights(int seed, size_t n)
{
    float *v = unit_alloc(n * sizeof(float));
    for (size_t k = 0; k < n; k++)
        v[k] = tj_value(seed, (long)k);
    return v;
}

/* Runs g on the reference engine with its one input port "x" = x. */
static int run_reference(const NnGraph *g, const float *x, NnEngine **out)
{
    NnEngine *e = NULL;
    int rc = nn_engine_create(&e, nn_engine_find("reference"), g, NULL, 0);
    CHECK(rc == 0, "nn_engine_create(reference): %d", rc);
    unit_defer(release_engine, e);
    int port = nn_graph_find_input(g, "x");
    CHECK(port >= 0 && g->num_inputs == 1, "%d inputs, expected only x", g->num_inputs);
    memcpy(nn_engine_input(e, port), x, g->tensors[g->inputs[port].tensor].count * sizeof(float));
    CHECK_INT(nn_engine_run(e), 0);
    *out = e;
    return UNIT_PASS;
}

/* The model specialised for feeds (as specialise()) and run on the
 * reference engine with input x = input(its feed's h, w, c, seed). */
static int spec_run(const TjModel *tm, const TfjsFeed *feeds, int n, uint32_t seed, NnGraph **g, NnEngine **e,
                    const float **x)
{
    const TfjsFeed *fx = NULL;
    for (int k = 0; k < n; k++)
        fx = strcmp(feeds[k].name, "x") ? fx : &feeds[k];
    CHECK(fx && fx->rank == 4, "no feed x of rank 4");
    TRY(specialise(tm, feeds, n, g));
    *x = input(fx->shape[1], fx->shape[2], fx->shape[3], seed);
    TRY(run_reference(*g, *x, e));
    return UNIT_PASS;
}

/* Output port name after the run, which must be [1, h, w, c]. */
static int output(const NnGraph *g, const NnEngine *e, const char *name, int h, int w, int c, const float **out)
{
    int port = nn_graph_find_output(g, name);
    CHECK(port >= 0, "no output %s", name);
    const NnTensor *t = &g->tensors[g->outputs[port].tensor];
    CHECK(t->rank == 4 && t->shape[0] == 1 && t->shape[1] == h && t->shape[2] == w && t->shape[3] == c,
          "output %s is [%d,%d,%d,%d] (rank %d), expected [1,%d,%d,%d]", name, t->shape[0], t->shape[1], t->shape[2],
          t->shape[3], t->rank, h, w, c);
    *out = nn_engine_output(e, port);
    return UNIT_PASS;
}

/* The outputs against the expected values: float32 against double. */
static int compare(const float *got, const double *want, size_t n, const char *what)
{
    for (size_t k = 0; k < n; k++)
        CHECK(fabs((double)got[k] - want[k]) <= 1e-5 * (1.0 + fabs(want[k])), "%s[%zu] = %.9g, expected %.9g",
              what, k, got[k], want[k]);
    return UNIT_PASS;
}

/* The one op of type in g (there must be exactly one). */
static int only_op(const NnGraph *g, NnOpType type, const NnOp **op)
{
    *op = NULL;
    CHECK(graph_count_ops(g, type) == 1, "%d %s ops, expected 1", graph_count_ops(g, type), nn_op_name(type));
    for (int k = 0; k < g->num_ops; k++)
        if (g->ops[k].type == type)
            *op = &g->ops[k];
    return UNIT_PASS;
}

/* No tensor of g is named after this node (its ops are absent). */
static int absent(const NnGraph *g, const char *node)
{
    size_t n = strlen(node);
    for (int t = 0; t < g->num_tensors; t++) {
        const char *name = g->tensors[t].name;
        CHECK(strncmp(name, node, n) || (name[n] && name[n] != '/' && name[n] != ':'), "tensor %d '%s' is there", t,
              name);
    }
    return UNIT_PASS;
}

/* ---- TensorFlow's definitions ------------------------------------------ */

/* Pixel (y, x), channel k of an h x w x c image; 0 outside (the zeros of
 * Pad and of a convolution's padding). */
static double px(const float *x, int h, int w, int c, int y, int xx, int k)
{
    return y < 0 || y >= h || xx < 0 || xx >= w ? 0.0 : (double)x[((size_t)y * w + xx) * c + k];
}

static double activate(double v, int act)
{
    if (act && v < 0)
        v = 0;
    return act == 6 && v > 6 ? 6 : v;
}

/* tf.nn.depthwise_conv2d, filter [kh, kw, c, mult]: output channel
 * k * mult + q at (i, j) is sum over (di, dj) of input (s i + r di - top,
 * s j + r dj - left, k) times filter (di, dj, k, q); then bias and
 * activation (0 none, 1 Relu, 6 Relu6). */
static void ref_depthwise(const float *x, int h, int w, int c, const float *f, int kh, int kw, int mult,
                          const float *bias, int top, int left, int s, int r, int oh, int ow, int act, double *out)
{
    for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
            for (int k = 0; k < c; k++)
                for (int q = 0; q < mult; q++) {
                    double sum = bias ? bias[k * mult + q] : 0.0;
                    for (int di = 0; di < kh; di++)
                        for (int dj = 0; dj < kw; dj++)
                            sum += px(x, h, w, c, s * i + r * di - top, s * j + r * dj - left, k) *
                                   f[((di * kw + dj) * c + k) * mult + q];
                    out[((size_t)i * ow + j) * c * mult + k * mult + q] = activate(sum, act);
                }
}

/* tf.nn.conv2d, filter HWIO [kh, kw, c, o]. */
static void ref_conv(const float *x, int h, int w, int c, const float *f, int kh, int kw, int o, const float *bias,
                     int top, int left, int s, int oh, int ow, int act, double *out)
{
    for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
            for (int q = 0; q < o; q++) {
                double sum = bias[q];
                for (int di = 0; di < kh; di++)
                    for (int dj = 0; dj < kw; dj++)
                        for (int k = 0; k < c; k++)
                            sum += px(x, h, w, c, s * i + di - top, s * j + dj - left, k) *
                                   f[((di * kw + dj) * c + k) * o + q];
                out[((size_t)i * ow + j) * o + q] = activate(sum, act);
            }
}

/* tf.image.resize_bilinear (resize_bilinear_op.cc, align_corners false):
 * scale = in / out in float; the source of output o is (o + 0.5) scale -
 * 0.5 with half-pixel centres, else o scale; lower = max(floor, 0),
 * upper = min(ceil, in - 1), lerp = source - floor(source). */
static void ref_resize(const float *x, int h, int w, int c, int oh, int ow, int half, double *out)
{
    float sy = (float)h / (float)oh, sx = (float)w / (float)ow;
    for (int i = 0; i < oh; i++) {
        float y = half ? ((float)i + 0.5f) * sy - 0.5f : (float)i * sy;
        int y0 = (int)floorf(y) < 0 ? 0 : (int)floorf(y), y1 = (int)ceilf(y) > h - 1 ? h - 1 : (int)ceilf(y);
        double ly = (double)y - floor((double)y);
        for (int j = 0; j < ow; j++) {
            float xx = half ? ((float)j + 0.5f) * sx - 0.5f : (float)j * sx;
            int x0 = (int)floorf(xx) < 0 ? 0 : (int)floorf(xx), x1 = (int)ceilf(xx) > w - 1 ? w - 1 : (int)ceilf(xx);
            double lx = (double)xx - floor((double)xx);
            for (int k = 0; k < c; k++) {
                double top = px(x, h, w, c, y0, x0, k) + (px(x, h, w, c, y0, x1, k) - px(x, h, w, c, y0, x0, k)) * lx;
                double bot = px(x, h, w, c, y1, x0, k) + (px(x, h, w, c, y1, x1, k) - px(x, h, w, c, y1, x0, k)) * lx;
                out[((size_t)i * ow + j) * c + k] = top + (bot - top) * ly;
            }
        }
    }
}

/* ---- lowerings --------------------------------------------------------- */

/* Pad + FusedDepthwiseConv2dNative (VALID): one depthwise convolution
 * with the Pad as its explicit padding, at odd sizes, strides 1 and 2,
 * asymmetric pads; a Pad wider than the window reaches still computes
 * what TensorFlow does. */
static int test_tfjs_spec_pad_depthwise(void)
{
    static const struct {
        int h, w, stride, pads[4];
    } cases[] = {
        { 7, 9, 1, { 1, 2, 2, 1 } }, { 7, 9, 2, { 1, 1, 1, 1 } }, { 8, 11, 2, { 0, 2, 1, 0 } },
        { 5, 6, 1, { 3, 0, 0, 4 } }, /* wider than the 3x3 window reaches (2) */
    };
    for (size_t n = 0; n < sizeof(cases) / sizeof(cases[0]); n++) {
        int h = cases[n].h, w = cases[n].w, s = cases[n].stride;
        const int *p = cases[n].pads;
        TjModel *tm = unit_alloc(sizeof(*tm));
        tj_model_pad_depthwise(tm, h, w, s, p);
        TfjsFeed feed = feed_x(h, w, 3);
        NnGraph *g;
        NnEngine *e;
        const float *x;
        TRY(spec_run(tm, &feed, 1, 11u + (uint32_t)n, &g, &e, &x));
        int fits = p[0] <= 2 && p[1] <= 2 && p[2] <= 2 && p[3] <= 2;
        if (fits) {
            const NnOp *op;
            TRY(only_op(g, NN_OP_DEPTHWISE_CONV_2D, &op));
            CHECK(g->num_ops == 1, "case %zu: %d ops, expected the convolution alone", n, g->num_ops);
            CHECK(op->padding == NN_PAD_EXPLICIT && op->pad_top == p[0] && op->pad_bottom == p[1] &&
                      op->pad_left == p[2] && op->pad_right == p[3],
                  "case %zu: padding %d (%d %d %d %d), expected explicit %d %d %d %d", n, (int)op->padding,
                  op->pad_top, op->pad_bottom, op->pad_left, op->pad_right, p[0], p[1], p[2], p[3]);
            CHECK(op->stride_h == s && op->stride_w == s && op->dilation_h == 1 && op->depth_multiplier == 2 &&
                      op->activation == NN_ACT_RELU6 && op->num_inputs == 3,
                  "case %zu: stride %d, dilation %d, multiplier %d, activation %d, %d inputs", n, op->stride_h,
                  op->dilation_h, op->depth_multiplier, (int)op->activation, op->num_inputs);
        } else {
            const NnOp *pad, *conv;
            TRY(only_op(g, NN_OP_PAD, &pad));
            TRY(only_op(g, NN_OP_DEPTHWISE_CONV_2D, &conv));
            CHECK(g->num_ops == 2 && conv->padding == NN_PAD_VALID && conv->inputs[0] == pad->output,
                  "case %zu: %d ops, padding %d", n, g->num_ops, (int)conv->padding);
        }
        int oh = (h + p[0] + p[1] - 3) / s + 1, ow = (w + p[2] + p[3] - 3) / s + 1;
        const float *y;
        TRY(output(g, e, "y", oh, ow, 6, &y));
        double *want = unit_alloc((size_t)oh * ow * 6 * sizeof(double));
        ref_depthwise(x, h, w, 3, weights(1, 54), 3, 3, 2, weights(2, 6), p[0], p[2], s, 1, oh, ow, 6, want);
        char what[32];
        snprintf(what, sizeof(what), "case %zu: y", n);
        TRY(compare(y, want, (size_t)oh * ow * 6, what));
    }
    return UNIT_PASS;
}

/* SpaceToBatchND -> DepthwiseConv2dNative -> BatchToSpaceND (block 2,
 * with the end padding and crops TensorFlow adds at odd sizes) is one
 * depthwise convolution dilated by 2, equal to the dilated convolution
 * computed directly; a Pad before it (RVM's) and the base padding of
 * padding='same' become its explicit padding. */
static int test_tfjs_spec_dilated(void)
{
    static const struct {
        int h, w, pre, base;
    } cases[] = {
        { 7, 9, 0, 0 }, { 8, 8, 0, 0 }, { 7, 10, 2, 0 }, { 9, 7, 0, 2 }, { 6, 7, 1, 2 },
    };
    for (size_t n = 0; n < sizeof(cases) / sizeof(cases[0]); n++) {
        int h = cases[n].h, w = cases[n].w, pad = cases[n].pre + cases[n].base;
        TjModel *tm = unit_alloc(sizeof(*tm));
        tj_model_dilated(tm, h, w, cases[n].pre, cases[n].base);
        TfjsFeed feed = feed_x(h, w, 2);
        NnGraph *g;
        NnEngine *e;
        const float *x;
        TRY(spec_run(tm, &feed, 1, 21u + (uint32_t)n, &g, &e, &x));
        const NnOp *op;
        TRY(only_op(g, NN_OP_DEPTHWISE_CONV_2D, &op));
        CHECK(g->num_ops == 1, "case %zu: %d ops", n, g->num_ops);
        CHECK(op->dilation_h == 2 && op->dilation_w == 2 && op->stride_h == 1 && op->stride_w == 1 &&
                  op->filter_h == 3 && op->filter_w == 3 && op->activation == NN_ACT_NONE,
              "case %zu: dilation %dx%d, stride %dx%d, filter %dx%d", n, op->dilation_h, op->dilation_w, op->stride_h,
              op->stride_w, op->filter_h, op->filter_w);
        if (pad)
            CHECK(op->padding == NN_PAD_EXPLICIT && op->pad_top == pad && op->pad_bottom == pad &&
                      op->pad_left == pad && op->pad_right == pad,
                  "case %zu: padding %d (%d %d %d %d), expected explicit %d", n, (int)op->padding, op->pad_top,
                  op->pad_bottom, op->pad_left, op->pad_right, pad);
        else
            CHECK(op->padding == NN_PAD_VALID, "case %zu: padding %d, expected VALID", n, (int)op->padding);
        int oh = h + 2 * pad - 4, ow = w + 2 * pad - 4;
        const float *y;
        TRY(output(g, e, "y", oh, ow, 2, &y));
        double *want = unit_alloc((size_t)oh * ow * 2 * sizeof(double));
        ref_depthwise(x, h, w, 2, weights(3, 18), 3, 3, 1, NULL, pad, pad, 1, 2, oh, ow, 0, want);
        char what[32];
        snprintf(what, sizeof(what), "case %zu: y", n);
        TRY(compare(y, want, (size_t)oh * ow * 2, what));
    }
    return UNIT_PASS;
}

/* x * (1/6) * Relu6(x + 3) is one HARD_SWISH; with another tensor in
 * the first factor it is not, and stays right; Relu6 after ConcatV2
 * (which takes no activation) is MAXIMUM and MINIMUM. */
static int test_tfjs_spec_hard_swish(void)
{
    const int h = 5, w = 3, c = 4;
    for (int same = 1; same >= 0; same--) {
        TjModel *tm = unit_alloc(sizeof(*tm));
        tj_model_hard_swish(tm, h, w, same);
        TfjsFeed feed = feed_x(h, w, c);
        NnGraph *g;
        NnEngine *e;
        const float *x;
        TRY(spec_run(tm, &feed, 1, 31u, &g, &e, &x));
        if (same) {
            const NnOp *op;
            TRY(only_op(g, NN_OP_HARD_SWISH, &op));
            CHECK(graph_count_ops(g, NN_OP_MUL) == 0 && graph_count_ops(g, NN_OP_ADD) == 0, "%d MUL, %d ADD left",
                  graph_count_ops(g, NN_OP_MUL), graph_count_ops(g, NN_OP_ADD));
            CHECK_INT(g->num_ops, 4); /* HARD_SWISH; CONCAT, MAXIMUM, MINIMUM */
        } else {
            CHECK_INT(graph_count_ops(g, NN_OP_HARD_SWISH), 0);
        }
        CHECK(graph_count_ops(g, NN_OP_CONCAT) == 1 && graph_count_ops(g, NN_OP_MAXIMUM) == 1 && graph_count_ops(g, NN_OP_MINIMUM) == 1,
              "Relu6 after the concatenation: %d CONCAT, %d MAXIMUM, %d MINIMUM", graph_count_ops(g, NN_OP_CONCAT),
              graph_count_ops(g, NN_OP_MAXIMUM), graph_count_ops(g, NN_OP_MINIMUM));
        size_t n = (size_t)h * w * c;
        double *want = unit_alloc(n * 2 * sizeof(double));
        int below = 0, above = 0;
        for (size_t k = 0; k < n; k++) {
            double v = x[k], first = same ? v : 1.0 / (1.0 + exp(-v));
            want[k] = first / 6.0 * activate(v + 3.0, 6);
            below += v < -3, above += v > 3;
        }
        CHECK(below && above, "the input does not reach both clips");
        const float *y, *z;
        TRY(output(g, e, "y", h, w, c, &y));
        TRY(compare(y, want, n, same ? "hard-swish" : "x/6 relu6(sigmoid(x) + 3)"));
        for (int i = 0; i < h * w; i++)
            for (int k = 0; k < 2 * c; k++)
                want[(size_t)i * 2 * c + k] = activate(x[(size_t)i * c + k % c], 6);
        TRY(output(g, e, "z", h, w, 2 * c, &z));
        TRY(compare(z, want, n * 2, "relu6(concat(x, x))"));
    }
    return UNIT_PASS;
}

/* Mean over H and W is a whole-input average pool; over the channels a
 * 1x1 convolution with taps 1/C. keep_dims in both. */
static int test_tfjs_spec_mean(void)
{
    const int h = 5, w = 7, c = 3;
    TjModel *tm = unit_alloc(sizeof(*tm));
    tj_model_mean(tm, h, w);
    TfjsFeed feed = feed_x(h, w, c);
    NnGraph *g;
    NnEngine *e;
    const float *x;
    TRY(spec_run(tm, &feed, 1, 41u, &g, &e, &x));
    const NnOp *pool, *conv;
    TRY(only_op(g, NN_OP_AVERAGE_POOL_2D, &pool));
    TRY(only_op(g, NN_OP_CONV_2D, &conv));
    CHECK_INT(g->num_ops, 2);
    CHECK(pool->filter_h == h && pool->filter_w == w && pool->padding == NN_PAD_VALID, "pool window %dx%d",
          pool->filter_h, pool->filter_w);
    CHECK(conv->filter_h == 1 && conv->filter_w == 1, "channel mean filter %dx%d", conv->filter_h, conv->filter_w);
    double want_a[3] = { 0 }, *want_b = unit_alloc((size_t)h * w * sizeof(double));
    for (int i = 0; i < h * w; i++)
        for (int k = 0; k < c; k++) {
            want_a[k] += x[(size_t)i * c + k] / (double)(h * w);
            want_b[i] += x[(size_t)i * c + k] / (double)c;
        }
    const float *a, *b;
    TRY(output(g, e, "a", 1, 1, c, &a));
    TRY(compare(a, want_a, (size_t)c, "mean over H, W"));
    TRY(output(g, e, "b", h, w, 1, &b));
    TRY(compare(b, want_b, (size_t)h * w, "mean over C"));

    /* After a Pad: a 1x1 window reaches no padding, so the PAD stays. */
    tj_init(tm);
    tj_placeholder(tm, "x", 4, (int[]){ 1, h, w, c });
    tj_const_i(tm, "pads", 2, (int[]){ 4, 2 }, (int32_t[]){ 0, 0, 1, 0, 0, 2, 0, 0 });
    tj_const_i(tm, "c", 1, (int[]){ 1 }, (int32_t[]){ -1 });
    tj_node(tm, "pad", "Pad", "x,pads");
    tj_node(tm, "b", "Mean", "pad,c");
    tj_attr_b(tm, "keep_dims", 1);
    tj_output(tm, "b", "b");
    TRY(specialise(tm, &feed, 1, &g));
    CHECK(g->num_ops == 2 && graph_count_ops(g, NN_OP_PAD) == 1 && graph_count_ops(g, NN_OP_CONV_2D) == 1, "%d ops", g->num_ops);
    TRY(run_reference(g, x, &e));
    double *want_p = unit_alloc((size_t)(h + 1) * (w + 2) * sizeof(double));
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
            want_p[(size_t)(i + 1) * (w + 2) + j] = want_b[(size_t)i * w + j];
    TRY(output(g, e, "b", h + 1, w + 2, 1, &b));
    TRY(compare(b, want_p, (size_t)(h + 1) * (w + 2), "mean over C of a padded input"));
    return UNIT_PASS;
}

/* Split and SplitV (a -1 size) along the channels are SLICEs reaching the
 * outputs as :0, :1; ConcatV2 of four inputs is a chain of CONCATs (three,
 * then two). Values are copies: compared exactly. */
static int test_tfjs_spec_split_concat(void)
{
    const int h = 3, w = 4, c = 6;
    TjModel *tm = unit_alloc(sizeof(*tm));
    tj_model_split_concat(tm, h, w);
    TfjsFeed feed = feed_x(h, w, c);
    NnGraph *g;
    NnEngine *e;
    const float *x;
    TRY(spec_run(tm, &feed, 1, 51u, &g, &e, &x));
    CHECK_INT(graph_count_ops(g, NN_OP_CONCAT), 2);
    CHECK_INT(graph_count_ops(g, NN_OP_SLICE), 5); /* sp:0, sp:1; sv:0, sv:1, sv:2 */
    CHECK_INT(g->num_ops, 7);
    static const struct {
        const char *port;
        int n, from[4], len[4]; /* pieces of x's channels, in order */
    } outs[] = {
        { "s0", 1, { 0 }, { 3 } },
        { "s1", 1, { 3 }, { 3 } },
        { "v1", 1, { 2 }, { 3 } },
        { "cat", 4, { 5, 3, 0, 0 }, { 1, 3, 2, 3 } }, /* sv:2, sp:1, sv:0, sp:0 */
    };
    for (size_t o = 0; o < sizeof(outs) / sizeof(outs[0]); o++) {
        int oc = 0;
        for (int p = 0; p < outs[o].n; p++)
            oc += outs[o].len[p];
        const float *y;
        TRY(output(g, e, outs[o].port, h, w, oc, &y));
        for (int i = 0; i < h * w; i++)
            for (int p = 0, at = 0; p < outs[o].n; at += outs[o].len[p], p++)
                for (int k = 0; k < outs[o].len[p]; k++)
                    CHECK(y[(size_t)i * oc + at + k] == x[(size_t)i * c + outs[o].from[p] + k],
                          "%s pixel %d channel %d", outs[o].port, i, at + k);
    }
    return UNIT_PASS;
}

/* Switch / Merge on a ratio fed as a constant: either branch is the graph
 * and the other's ops are absent; the ratio is no input. A branch of
 * constants (live through a control input from its pivot) is taken only
 * when its predicate says so. */
static int test_tfjs_spec_switch_merge(void)
{
    const int h = 4, w = 5, c = 2;
    static const float ratios[] = { 1.0f, 0.5f, 2.0f };
    for (size_t n = 0; n < sizeof(ratios) / sizeof(ratios[0]); n++) {
        float r = ratios[n];
        int taken = r == 1.0f;
        TjModel *tm = unit_alloc(sizeof(*tm));
        tj_model_switch(tm, h, w);
        TfjsFeed feeds[2] = { feed_x(h, w, c), feed_r(r) };
        NnGraph *g;
        NnEngine *e;
        const float *x;
        TRY(spec_run(tm, feeds, 2, 61u, &g, &e, &x));
        CHECK_INT(g->num_inputs, 1);
        const NnOp *op;
        if (taken) {
            TRY(only_op(g, NN_OP_LOGISTIC, &op));
            CHECK_INT(g->num_ops, 2); /* and k's MUL */
            TRY(absent(g, "scaled"));
            TRY(absent(g, "tanh"));
        } else {
            TRY(only_op(g, NN_OP_TANH, &op));
            CHECK_INT(graph_count_ops(g, NN_OP_MUL), 2); /* x r, and k's */
            CHECK_INT(g->num_ops, 3);
            TRY(absent(g, "sig"));
        }
        size_t count = (size_t)h * w * c;
        double *want = unit_alloc(count * sizeof(double));
        for (size_t k = 0; k < count; k++)
            want[k] = taken ? 1.0 / (1.0 + exp(-(double)x[k])) : tanh((double)r * x[k]);
        const float *y, *k;
        TRY(output(g, e, "y", h, w, c, &y));
        TRY(compare(y, want, count, taken ? "sigmoid branch" : "tanh branch"));
        for (size_t i = 0; i < count; i++)
            want[i] = x[i] * (taken ? 2.0 : 3.0);
        TRY(output(g, e, "k", h, w, c, &k));
        TRY(compare(k, want, count, taken ? "x * cond(2, 3), true" : "x * cond(2, 3), false"));
    }
    return UNIT_PASS;
}

/* Shape arithmetic folded into ResizeBilinear's size: Shape ->
 * StridedSlice (shrink_axis_mask) -> Pack -> Cast -> Mul (the ratio) ->
 * Cast, and StridedSlice of two -> Cast -> Mul 1.5 -> Cast; sizes as
 * int32(float32(n) * r), values as TensorFlow resizes. */
static int test_tfjs_spec_shape_resize(void)
{
    const int h = 7, w = 9, c = 2;
    static const float ratios[] = { 0.5f, 1.0f, 0.3f, 1.7f };
    for (size_t n = 0; n < sizeof(ratios) / sizeof(ratios[0]); n++) {
        float r = ratios[n];
        TjModel *tm = unit_alloc(sizeof(*tm));
        tj_model_shape_resize(tm, h, w);
        TfjsFeed feeds[2] = { feed_r(r), feed_x(h, w, c) };
        NnGraph *g;
        NnEngine *e;
        const float *x;
        TRY(spec_run(tm, feeds, 2, 71u, &g, &e, &x));
        CHECK_INT(graph_count_ops(g, NN_OP_RESIZE_BILINEAR), 2);
        CHECK_INT(g->num_ops, 2);
        int yh = (int)((float)h * r), yw = (int)((float)w * r), zh = (int)((float)h * 1.5f), zw = (int)((float)w * 1.5f);
        const float *y, *z;
        TRY(output(g, e, "y", yh, yw, c, &y));
        double *want = unit_alloc((size_t)yh * yw * c * sizeof(double));
        ref_resize(x, h, w, c, yh, yw, 1, want);
        TRY(compare(y, want, (size_t)yh * yw * c, "y (half-pixel centres)"));
        TRY(output(g, e, "z", zh, zw, c, &z));
        want = unit_alloc((size_t)zh * zw * c * sizeof(double));
        ref_resize(x, h, w, c, zh, zw, 0, want);
        TRY(compare(z, want, (size_t)zh * zw * c, "z (legacy centres)"));
    }
    return UNIT_PASS;
}

/* _FusedConv2D [BiasAdd, Relu], SAME, stride 2: one CONV_2D whose filter
 * is the HWIO weight turned to OHWI (a 3x2 filter, no symmetry to hide a
 * wrong axis); values against tf.nn.conv2d with TensorFlow's SAME pads. */
static int test_tfjs_spec_fused_conv(void)
{
    static const int sizes[][2] = { { 7, 9 }, { 8, 8 }, { 1, 2 } };
    const int kh = 3, kw = 2, c = 2, o = 3;
    const float *f = weights(4, (size_t)kh * kw * c * o), *bias = weights(5, 3);
    for (size_t n = 0; n < sizeof(sizes) / sizeof(sizes[0]); n++) {
        int h = sizes[n][0], w = sizes[n][1];
        TjModel *tm = unit_alloc(sizeof(*tm));
        tj_model_fused_conv(tm, h, w);
        TfjsFeed feed = feed_x(h, w, c);
        NnGraph *g;
        NnEngine *e;
        const float *x;
        TRY(spec_run(tm, &feed, 1, 81u + (uint32_t)n, &g, &e, &x));
        const NnOp *op;
        TRY(only_op(g, NN_OP_CONV_2D, &op));
        CHECK_INT(g->num_ops, 1);
        CHECK(op->padding == NN_PAD_SAME && op->stride_h == 2 && op->stride_w == 2 && op->activation == NN_ACT_RELU &&
                  op->num_inputs == 3 && op->filter_h == kh && op->filter_w == kw,
              "padding %d, stride %dx%d, activation %d, %d inputs, filter %dx%d", (int)op->padding, op->stride_h,
              op->stride_w, (int)op->activation, op->num_inputs, op->filter_h, op->filter_w);
        const NnTensor *ft = &g->tensors[op->inputs[1]], *bt = &g->tensors[op->inputs[2]];
        CHECK(ft->rank == 4 && ft->shape[0] == o && ft->shape[1] == kh && ft->shape[2] == kw && ft->shape[3] == c &&
                  ft->data,
              "filter [%d,%d,%d,%d], expected OHWI [%d,%d,%d,%d]", ft->shape[0], ft->shape[1], ft->shape[2],
              ft->shape[3], o, kh, kw, c);
        const float *fd = ft->data;
        for (int q = 0; q < o; q++)
            for (int y = 0; y < kh; y++)
                for (int u = 0; u < kw; u++)
                    for (int k = 0; k < c; k++)
                        CHECK(fd[((q * kh + y) * kw + u) * c + k] == f[((y * kw + u) * c + k) * o + q],
                              "filter[o %d][y %d][x %d][i %d]", q, y, u, k);
        CHECK(bt->count == 3 && bt->data && !memcmp(bt->data, bias, 3 * sizeof(float)), "bias");
        /* TensorFlow's SAME: out = ceil(in / 2), pad total (out - 1) 2 + k - in, half of it before */
        int oh = (h + 1) / 2, ow = (w + 1) / 2;
        int top = ((oh - 1) * 2 + kh - h) / 2, left = ((ow - 1) * 2 + kw - w) / 2;
        top = top < 0 ? 0 : top, left = left < 0 ? 0 : left;
        const float *y;
        TRY(output(g, e, "y", oh, ow, o, &y));
        double *want = unit_alloc((size_t)oh * ow * o * sizeof(double));
        ref_conv(x, h, w, c, f, kh, kw, o, bias, top, left, 2, oh, ow, 1, want);
        TRY(compare(y, want, (size_t)oh * ow * o, "y"));
    }
    return UNIT_PASS;
}

/* ---- errors ------------------------------------------------------------ */

/* Specialising must fail with code, a one-line message containing want,
 * and the graph left empty. */
static int expect_error(const TjModel *tm, const TfjsFeed *feeds, int n, int code, const char *want)
{
    TfjsModel *m;
    TRY(read_model(tm, &m));
    NnGraph g;
    memset(&g, 0xa5, sizeof(g)); /* overwritten, whatever was there */
    char err[256] = "";
    int rc = tfjs_specialise(m, feeds, n, &g, err, sizeof(err));
    if (rc == 0)
        nn_graph_free(&g);
    CHECK(rc == code, "returned %d, expected %d (message: %s)", rc, code, err);
    CHECK(err[0] && !strchr(err, '\n'), "message '%s' is empty or not one line", err);
    CHECK(strstr(err, want), "message '%s' lacks '%s'", err, want);
    CHECK(!g.tensors && !g.num_tensors && !g.ops && !g.num_ops && !g.inputs && !g.num_inputs && !g.outputs &&
              !g.num_outputs && !g.states && !g.num_states,
          "graph not left empty after '%s'", err);
    return UNIT_PASS;
}

/* x [1,6,6,2] (and r when ratio) and nothing else yet. */
static TjModel *error_model(int ratio)
{
    TjModel *tm = unit_alloc(sizeof(*tm));
    tj_init(tm);
    tj_placeholder(tm, "x", 4, (int[]){ 1, 6, 6, 2 });
    if (ratio)
        tj_placeholder(tm, "r", 0, NULL);
    tj_const_i(tm, "i1", 1, (int[]){ 1 }, (int32_t[]){ 1 });
    tj_const_i(tm, "i3", 1, (int[]){ 1 }, (int32_t[]){ 3 });
    tj_const_i(tm, "block", 1, (int[]){ 2 }, (int32_t[]){ 2, 2 });
    tj_const_i(tm, "zeros", 2, (int[]){ 2, 2 }, (int32_t[]){ 0, 0, 0, 0 });
    tj_const_f(tm, "dwf", 4, (int[]){ 3, 3, 2, 1 }, weights(3, 18));
    return tm;
}

static void depthwise(TjModel *tm, const char *name, const char *inputs)
{
    tj_node(tm, name, "DepthwiseConv2dNative", inputs);
    tj_attr_s(tm, "padding", "VALID");
    tj_attr_ints(tm, "strides", 4, (long long[]){ 1, 1, 1, 1 });
}

static int test_tfjs_spec_errors(void)
{
    TfjsFeed x = feed_x(6, 6, 2), xr[2] = { feed_x(6, 6, 2), feed_r(0.5f) };
    TjModel *tm;

    /* an op the specialiser only folds, on a run-time tensor */
    tm = error_model(0);
    tj_node(tm, "c", "Cast", "x");
    tj_attr_type(tm, "DstT", "DT_INT32");
    tj_output(tm, "y", "c");
    TRY(expect_error(tm, &x, 1, BACKDROP_ENOTSUP, "node c (Cast): not lowered for run-time tensors"));

    /* a signature without outputs */
    tm = error_model(0);
    tj_node(tm, "sig", "Sigmoid", "x");
    TRY(expect_error(tm, &x, 1, BACKDROP_EINVAL, "the model's signature has no outputs"));

    /* a Placeholder outside the signature */
    tm = error_model(0);
    tj_node(tm, "p", "Placeholder", NULL);
    tj_node(tm, "sum", "AddV2", "x,p");
    tj_output(tm, "y", "sum");
    TRY(expect_error(tm, &x, 1, BACKDROP_EINVAL, "node p (Placeholder): a Placeholder without a value (not fed)"));

    /* a signature input not fed; a feed the signature lacks */
    tm = error_model(1);
    tj_node(tm, "m", "Mul", "x,r");
    tj_output(tm, "y", "m");
    TRY(expect_error(tm, &x, 1, BACKDROP_EINVAL, "input 'r' of the model is not fed"));
    TfjsFeed extra[3] = { feed_x(6, 6, 2), feed_r(0.5f), { .name = "q", .constant = 1, .value = 1.0f } };
    TRY(expect_error(tm, extra, 3, BACKDROP_EINVAL, "feed 'q' is not an input of the model"));

    /* StridedSlice with an ellipsis in shape arithmetic */
    tm = error_model(0);
    tj_node(tm, "shape", "Shape", "x");
    tj_node(tm, "ss", "StridedSlice", "shape,i1,i3,i1");
    tj_attr_i(tm, "ellipsis_mask", 1);
    tj_node(tm, "rs", "ResizeBilinear", "x,ss");
    tj_output(tm, "y", "rs");
    TRY(expect_error(tm, &x, 1, BACKDROP_ENOTSUP, "node ss (StridedSlice): ellipsis_mask or new_axis_mask"));

    /* SpaceToBatchND before a plain convolution, and before no convolution */
    tm = error_model(0);
    tj_const_f(tm, "cf", 4, (int[]){ 3, 3, 2, 2 }, weights(4, 36));
    tj_node(tm, "s2b", "SpaceToBatchND", "x,block,zeros");
    tj_node(tm, "conv", "Conv2D", "s2b,cf");
    tj_attr_s(tm, "padding", "VALID");
    tj_node(tm, "b2s", "BatchToSpaceND", "conv,block,zeros");
    tj_output(tm, "y", "b2s");
    TRY(expect_error(tm, &x, 1, BACKDROP_ENOTSUP,
                     "node conv (Conv2D): SpaceToBatchND before anything but a plain VALID depthwise convolution"));
    tm = error_model(0);
    tj_node(tm, "s2b", "SpaceToBatchND", "x,block,zeros");
    tj_node(tm, "act", "Relu6", "s2b");
    tj_output(tm, "y", "act");
    TRY(expect_error(tm, &x, 1, BACKDROP_ENOTSUP, "node act (Relu6): the input is a SpaceToBatchND output"));
    tm = error_model(0);
    tj_node(tm, "s2b", "SpaceToBatchND", "x,block,zeros");
    depthwise(tm, "dw", "s2b,dwf");
    tj_node(tm, "act", "Relu6", "dw");
    tj_output(tm, "y", "act");
    TRY(expect_error(tm, &x, 1, BACKDROP_ENOTSUP, "node act (Relu6): the input is a SpaceToBatchND convolution"));

    /* crops out of any sensible range (the end pads less the crops overflowed) */
    tm = error_model(0);
    tj_const_i(tm, "crops", 2, (int[]){ 2, 2 }, (int32_t[]){ 0, INT32_MIN, 0, 0 });
    tj_node(tm, "s2b", "SpaceToBatchND", "x,block,zeros");
    depthwise(tm, "dw", "s2b,dwf");
    tj_node(tm, "b2s", "BatchToSpaceND", "dw,block,crops");
    tj_output(tm, "y", "b2s");
    TRY(expect_error(tm, &x, 1, BACKDROP_ENOTSUP, "node b2s (BatchToSpaceND): crop -2147483648"));

    /* an output index past num_split, read by a node and by the signature */
    tm = error_model(0);
    tj_node(tm, "sp", "Split", "i3,x");
    tj_attr_i(tm, "num_split", 2);
    tj_node(tm, "o", "Identity", "sp:2");
    tj_output(tm, "y", "o");
    TRY(expect_error(tm, &x, 1, BACKDROP_EINVAL, "node o (Identity): input 0 is output 2 of a node with 2"));
    tm = error_model(0);
    tj_node(tm, "sp", "Split", "i3,x");
    tj_attr_i(tm, "num_split", 2);
    tj_output(tm, "y", "sp:2");
    TRY(expect_error(tm, &x, 1, BACKDROP_EINVAL, "output 'y' names output 2 of a node with 2"));

    /* Relu6 of a constant: nothing folds it */
    tm = error_model(0);
    tj_const_f(tm, "k", 0, NULL, (float[]){ 7.0f });
    tj_node(tm, "clip", "Relu6", "k");
    tj_node(tm, "sum", "AddV2", "x,clip");
    tj_output(tm, "y", "sum");
    TRY(expect_error(tm, &x, 1, BACKDROP_ENOTSUP, "node clip (Relu6): an operator on constants only that is not folded"));

    /* a predicate known only at run time */
    tm = error_model(1);
    tj_node(tm, "sw", "Switch", "x,x");
    tj_node(tm, "merge", "Merge", "sw,sw:1");
    tj_output(tm, "y", "merge");
    TRY(expect_error(tm, xr, 2, BACKDROP_ENOTSUP, "node sw (Switch): the predicate is not known at specialisation"));

    /* a depthwise filter for other channels than the input's (4, not 2) */
    tm = error_model(0);
    tj_const_f(tm, "f4", 4, (int[]){ 3, 3, 4, 1 }, weights(3, 36));
    depthwise(tm, "dw", "x,f4");
    tj_output(tm, "y", "dw");
    TRY(expect_error(tm, &x, 1, BACKDROP_EINVAL, "node dw (DepthwiseConv2dNative): a filter of 4 input channels for an input of 2"));

    /* a bias of another length than the output channels (3, filter HWIO [.., 2, 2]) */
    tm = error_model(0);
    tj_const_f(tm, "cf", 4, (int[]){ 3, 3, 2, 2 }, weights(4, 36));
    tj_const_f(tm, "b3", 1, (int[]){ 3 }, weights(5, 3));
    tj_node(tm, "conv", "_FusedConv2D", "x,cf,b3");
    tj_attr_s(tm, "padding", "SAME");
    tj_attr_strs(tm, "fused_ops", 1, (const char *[]){ "BiasAdd" });
    tj_output(tm, "y", "conv");
    TRY(expect_error(tm, &x, 1, BACKDROP_EINVAL, "node conv (_FusedConv2D): a bias of 3 for 2 output channels"));

    /* Mean without keep_dims */
    tm = error_model(0);
    tj_const_i(tm, "hw", 1, (int[]){ 2 }, (int32_t[]){ 1, 2 });
    tj_node(tm, "mean", "Mean", "x,hw");
    tj_output(tm, "y", "mean");
    TRY(expect_error(tm, &x, 1, BACKDROP_ENOTSUP, "node mean (Mean): Mean without keep_dims"));
    return UNIT_PASS;
}

const UnitTest tfjs_spec_tests[] = {
    UNIT_TEST(tfjs_spec_pad_depthwise),
    UNIT_TEST(tfjs_spec_dilated),
    UNIT_TEST(tfjs_spec_hard_swish),
    UNIT_TEST(tfjs_spec_mean),
    UNIT_TEST(tfjs_spec_split_concat),
    UNIT_TEST(tfjs_spec_switch_merge),
    UNIT_TEST(tfjs_spec_shape_resize),
    UNIT_TEST(tfjs_spec_fused_conv),
    UNIT_TEST(tfjs_spec_errors),
    UNIT_TESTS_END
};
