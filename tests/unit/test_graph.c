/*
 * The network IR (src/nn/graph.c) and the engine interface (src/nn/engine.c)
 * on small graphs built here: lookup of ports by name, nn_graph_validate()
 * refusing each kind of malformed graph with a one-line reason, the
 * builders and nn_graph_free, engines found by name, and state pairs
 * carried from run to run on every engine.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backdrop/backdrop.h"
#include "nn/engine.h"
#include "nn/graph.h"
#include "suites.h"
#include "util.h"

/* ---- graphs in test memory ------------------------------------------------ */

#define MAX_TENSORS 8
#define MAX_OPS 4
#define MAX_PORTS 4

static NnGraph *graph_new(void)
{
    NnGraph *g = unit_alloc(sizeof(*g));
    g->tensors = unit_alloc(MAX_TENSORS * sizeof(NnTensor));
    g->ops = unit_alloc(MAX_OPS * sizeof(NnOp));
    g->inputs = unit_alloc(MAX_PORTS * sizeof(NnPort));
    g->outputs = unit_alloc(MAX_PORTS * sizeof(NnPort));
    g->states = unit_alloc(MAX_PORTS * sizeof(NnStatePair));
    return g;
}

/* A FLOAT32 activation [1,h,w,c], or a constant when data != NULL. */
static int add_tensor(NnGraph *g, int h, int w, int c, float *data)
{
    if (g->num_tensors >= MAX_TENSORS)
        abort();
    NnTensor *t = &g->tensors[g->num_tensors];
    t->dtype = NN_DTYPE_FLOAT32;
    t->rank = 4;
    t->shape[0] = 1;
    t->shape[1] = h;
    t->shape[2] = w;
    t->shape[3] = c;
    t->count = (size_t)h * w * c;
    t->data = data;
    t->name = (char *)"";
    return g->num_tensors++;
}

static int add_input(NnGraph *g, const char *name, int t)
{
    g->inputs[g->num_inputs] = (NnPort){ (char *)name, t };
    return g->num_inputs++;
}

static int add_output(NnGraph *g, const char *name, int t)
{
    g->outputs[g->num_outputs] = (NnPort){ (char *)name, t };
    return g->num_outputs++;
}

static NnOp *add_op(NnGraph *g, NnOpType type, int a, int b, int out)
{
    NnOp *op = &g->ops[g->num_ops++];
    memset(op, 0, sizeof(*op));
    op->type = type;
    op->inputs[op->num_inputs++] = a;
    if (b >= 0)
        op->inputs[op->num_inputs++] = b;
    op->output = out;
    return op;
}

#define H 2
#define W 3
#define C 2
#define N (H * W * C)

/* The recurrent toy: inputs "x" and "state", outputs "y" = x + state and
 * "z" = y * k (k a constant [1,1,1,C]), and the pair y -> state. Frame by
 * frame: y_0 = x_0, y_n = x_n + y_(n-1). */
static NnGraph *recurrent_graph(float *k)
{
    NnGraph *g = graph_new();
    int x = add_tensor(g, H, W, C, NULL);
    int state = add_tensor(g, H, W, C, NULL);
    int y = add_tensor(g, H, W, C, NULL);
    int kc = add_tensor(g, 1, 1, C, k);
    int z = add_tensor(g, H, W, C, NULL);
    add_input(g, "x", x);
    add_input(g, "state", state);
    add_op(g, NN_OP_ADD, x, state, y);
    add_op(g, NN_OP_MUL, y, kc, z);
    add_output(g, "y", y);
    add_output(g, "z", z);
    g->states[g->num_states++] = (NnStatePair){ 0, 1 };
    return g;
}

/* ---- lookup ----------------------------------------------------------------- */

static int test_graph_lookup_by_name(void)
{
    float k[C] = { 2.0f, -1.0f };
    NnGraph *g = recurrent_graph(k);
    CHECK_INT(nn_graph_find_input(g, "x"), 0);
    CHECK_INT(nn_graph_find_input(g, "state"), 1);
    CHECK_INT(nn_graph_find_output(g, "y"), 0);
    CHECK_INT(nn_graph_find_output(g, "z"), 1);
    /* Inputs and outputs are separate name spaces; names are exact. */
    CHECK_INT(nn_graph_find_input(g, "y"), -1);
    CHECK_INT(nn_graph_find_output(g, "x"), -1);
    CHECK_INT(nn_graph_find_input(g, "X"), -1);
    CHECK_INT(nn_graph_find_input(g, ""), -1);
    CHECK_INT(nn_graph_find_input(g, NULL), -1);
    CHECK_INT(nn_graph_find_output(NULL, "y"), -1);
    CHECK_INT(g->inputs[nn_graph_find_input(g, "state")].tensor, 1);
    CHECK_INT(nn_graph_validate(g, NULL, 0), 0);
    return UNIT_PASS;
}

/* The builders readers use, on a heap graph released by nn_graph_free
 * (AddressSanitizer reports a leak or a double free). */
static int test_graph_build_and_free(void)
{
    NnGraph g;
    memset(&g, 0, sizeof(g));
    g.tensors = calloc(3, sizeof(NnTensor));
    g.ops = calloc(1, sizeof(NnOp));
    CHECK(g.tensors && g.ops, "allocation");
    g.num_tensors = 3;
    g.num_ops = 1;
    for (int t = 0; t < 3; t++) {
        NnTensor *tensor = &g.tensors[t];
        tensor->dtype = NN_DTYPE_FLOAT32;
        tensor->rank = 1;
        tensor->shape[0] = 4;
        tensor->count = 4;
        tensor->name = malloc(8);
        CHECK(tensor->name, "allocation");
        snprintf(tensor->name, 8, "t%d", t);
    }
    g.ops[0].type = NN_OP_RELU;
    g.ops[0].num_inputs = 1;
    g.ops[0].inputs[0] = 0;
    g.ops[0].output = 1;
    g.ops[0].activation = NN_ACT_NONE;
    char name[16];
    snprintf(name, sizeof(name), "in");
    CHECK_INT(nn_graph_add_input(&g, name, 0), 0);
    name[0] = 'X'; /* the graph keeps its own copy */
    CHECK_INT(nn_graph_add_input(&g, "carried", 2), 0);
    CHECK_INT(nn_graph_add_output(&g, "out", 1), 0);
    CHECK_INT(nn_graph_add_state(&g, 0, 1), 0);
    CHECK_INT(g.num_inputs, 2);
    CHECK_INT(g.num_outputs, 1);
    CHECK_INT(g.num_states, 1);
    CHECK_INT(nn_graph_find_input(&g, "in"), 0);
    CHECK_INT(nn_graph_find_input(&g, "carried"), 1);
    char err[200];
    CHECK(nn_graph_validate(&g, err, sizeof(err)) == 0, "valid graph refused: %s", err);
    nn_graph_free(&g);
    CHECK(!g.tensors && !g.ops && !g.inputs && !g.outputs && !g.states && !g.num_tensors && !g.num_ops &&
          !g.num_inputs && !g.num_outputs && !g.num_states, "not empty after nn_graph_free");
    nn_graph_free(&g); /* an empty graph again: nothing to free */
    nn_graph_free(NULL);
    return UNIT_PASS;
}

/* ---- validation ---------------------------------------------------------------- */

/* g must be refused with code, a one-line reason containing want. */
static int expect_invalid(const NnGraph *g, int code, const char *want, const char *what)
{
    char err[256];
    memset(err, 'x', sizeof(err));
    int e = nn_graph_validate(g, err, sizeof(err));
    CHECK(e == code, "%s: nn_graph_validate gives %d, expected %d (%s)", what, e, code, e ? err : "");
    CHECK(err[0] && !strchr(err, '\n') && memchr(err, '\0', sizeof(err)), "%s: bad message", what);
    CHECK(strstr(err, want), "%s: message '%s' lacks '%s'", what, err, want);
    /* The engines validate through the same code. */
    for (int i = 0; nn_engine_at(i); i++) {
        NnEngine *e2 = (NnEngine *)1;
        CHECK_INT(nn_engine_create(&e2, nn_engine_at(i), g, NULL, 0), code);
        CHECK(!e2, "%s: %s left a handle after refusing", what, nn_engine_at(i)->name);
    }
    return UNIT_PASS;
}

/* input [1,size,size,1] (tensor 0) -> CONV_2D, a zero 3x3 filter and bias,
 * stride and dilation 1, the padding given -> output [1,out,out,1]
 * (tensor 3). */
static NnGraph *conv3x3_graph(int size, int out, NnPadding padding)
{
    static float filter[9], bias[1];
    NnGraph *g = graph_new();
    int in = add_tensor(g, size, size, 1, NULL);
    int w = add_tensor(g, 3, 3, 1, filter);
    int b = add_tensor(g, 1, 1, 1, bias);
    int o = add_tensor(g, out, out, 1, NULL);
    add_input(g, "input", in);
    add_output(g, "output", o);
    NnOp *op = add_op(g, NN_OP_CONV_2D, in, w, o);
    op->inputs[op->num_inputs++] = b;
    op->padding = padding;
    op->stride_h = op->stride_w = 1;
    op->dilation_h = op->dilation_w = 1;
    return g;
}

static int test_graph_validate_rejects(void)
{
    float k[C] = { 1.0f, 1.0f };
    NnGraph *g;

    /* Use before write: the ops swapped, so MUL reads y before ADD writes
     * it. In a list of ops in execution order a cycle shows up the same
     * way: some op reads what only a later op writes. */
    g = recurrent_graph(k);
    NnOp tmp = g->ops[0];
    g->ops[0] = g->ops[1];
    g->ops[1] = tmp;
    TRY(expect_invalid(g, BACKDROP_EINVAL, "op 0 (MUL): input 0 (tensor 2) is used before any op writes it",
                       "use before write"));
    g = recurrent_graph(k);
    g->ops[0].inputs[1] = 2; /* ADD reads its own output: a one-op cycle */
    TRY(expect_invalid(g, BACKDROP_EINVAL, "used before any op writes it", "self loop"));

    /* Two writers. */
    g = recurrent_graph(k);
    g->ops[1].output = 2;
    TRY(expect_invalid(g, BACKDROP_EINVAL, "op 1 (MUL): tensor 2 is already written by an earlier op", "two writers"));
    g = recurrent_graph(k);
    g->ops[0].output = 1; /* writes the input "state" */
    TRY(expect_invalid(g, BACKDROP_EINVAL, "op 0 (ADD): writes graph input tensor 1", "writes an input"));

    /* Shapes per op type. */
    g = recurrent_graph(k);
    g->tensors[4].shape[1] = 3; /* z: [1,3,3,2] */
    g->tensors[4].count = 18;
    TRY(expect_invalid(g, BACKDROP_EINVAL, "op 1 (MUL): operands [1,2,3,2] and [1,1,1,2] do not broadcast to the output [1,3,3,2]",
                       "binary shape"));
    g = recurrent_graph(k);
    g->tensors[2].shape[3] = 3; /* y inconsistent with its count */
    TRY(expect_invalid(g, BACKDROP_EINVAL, "tensor 2 '': count 12, its shape gives 18", "count"));
    g = recurrent_graph(k);
    g->ops[1].type = NN_OP_RELU; /* RELU with two inputs */
    TRY(expect_invalid(g, BACKDROP_EINVAL, "op 1 (RELU): 2 inputs, expected 1", "operand count"));
    g = recurrent_graph(k);
    g->ops[1].type = NN_OP_COUNT;
    TRY(expect_invalid(g, BACKDROP_ENOTSUP, "op 1: unknown op type", "unknown op"));

    /* Window arithmetic that would overflow an engine's int: SAME padding
     * does not bound the dilated window by the input. */
    g = conv3x3_graph(4, 4, NN_PAD_SAME);
    NnOp *op = &g->ops[0];
    CHECK_INT(nn_graph_validate(g, NULL, 0), 0);
    op->dilation_h = 1 << 30;
    TRY(expect_invalid(g, BACKDROP_ENOTSUP, "op 0 (CONV_2D): window span exceeds 2147483647", "dilated span"));
    op->dilation_h = 1;
    op->type = NN_OP_AVERAGE_POOL_2D;
    op->num_inputs = 1;
    op->filter_h = op->filter_w = 3;
    CHECK_INT(nn_graph_validate(g, NULL, 0), 0);
    op->filter_w = INT32_MAX;
    TRY(expect_invalid(g, BACKDROP_ENOTSUP, "op 0 (AVERAGE_POOL_2D): window span exceeds", "pool span"));

    /* Dtypes: every op computes in FLOAT32 today. */
    g = recurrent_graph(k);
    g->tensors[3].dtype = NN_DTYPE_INT32;
    TRY(expect_invalid(g, BACKDROP_ENOTSUP, "op 1 (MUL): tensor 3 is INT32; the op takes FLOAT32", "dtype"));
    g = recurrent_graph(k);
    g->tensors[3].dtype = NN_DTYPE_COUNT;
    TRY(expect_invalid(g, BACKDROP_EINVAL, "tensor 3: dtype", "unknown dtype"));

    /* Ports. */
    g = recurrent_graph(k);
    g->outputs[1].name = (char *)"y";
    TRY(expect_invalid(g, BACKDROP_EINVAL, "outputs 0 and 1 are both named 'y'", "duplicate name"));
    g = recurrent_graph(k);
    g->inputs[1].tensor = 0;
    TRY(expect_invalid(g, BACKDROP_EINVAL, "input 1 'state': tensor 0 is already an input", "input twice"));
    g = recurrent_graph(k);
    g->inputs[1].tensor = 9;
    TRY(expect_invalid(g, BACKDROP_EINVAL, "input 1 'state': tensor 9 out of range", "input index"));
    g = recurrent_graph(k);
    g->outputs[1].tensor = 3;
    TRY(expect_invalid(g, BACKDROP_EINVAL, "output 1 'z': tensor 3 is a constant", "constant output"));
    g = recurrent_graph(k);
    g->outputs[1].tensor = 0;
    TRY(expect_invalid(g, BACKDROP_EINVAL, "output 1 'z': tensor 0 is not written by any op", "output not written"));
    g = recurrent_graph(k);
    g->num_outputs = 0;
    TRY(expect_invalid(g, BACKDROP_EINVAL, "the graph has no outputs", "no outputs"));

    /* State pairs. */
    g = recurrent_graph(k);
    g->states[0] = (NnStatePair){ 2, 1 };
    TRY(expect_invalid(g, BACKDROP_EINVAL, "state pair 0: output 2 -> input 1 out of range", "pair index"));
    g = recurrent_graph(k);
    g->states[g->num_states++] = (NnStatePair){ 1, 1 };
    TRY(expect_invalid(g, BACKDROP_EINVAL, "state pairs 0 and 1 both feed input 'state'", "two pairs into one input"));
    g = recurrent_graph(k);
    g->tensors[1].shape[2] = 1; /* state [1,2,1,2] cannot take y [1,2,3,2] */
    g->tensors[1].count = 4;
    g->ops[0].type = NN_OP_MUL; /* still broadcasts, so only the pair is wrong */
    TRY(expect_invalid(g, BACKDROP_EINVAL,
                       "state pair 0: output 'y' (FLOAT32 [1,2,3,2]) cannot feed input 'state' (FLOAT32 [1,2,1,2])",
                       "pair shape"));
    return UNIT_PASS;
}

/* EXPLICIT padding: a convolution's own pads, each 0..eff_k - 1, then a
 * VALID window; the other windowed ops refuse it, and refuse pads under
 * SAME or VALID. */
static int test_graph_validate_explicit_pads(void)
{
    NnGraph *g = conv3x3_graph(5, 5, NN_PAD_EXPLICIT);
    NnOp *op = &g->ops[0];
    const int in = 0, out = 3;
    op->pad_top = op->pad_bottom = op->pad_left = op->pad_right = 1;
    char err[256] = "";
    CHECK(nn_graph_validate(g, err, sizeof(err)) == 0, "3x3 padded by 1: %s", err);
    op->type = NN_OP_DEPTHWISE_CONV_2D; /* [1,3,3,1] is a depthwise filter too */
    CHECK(nn_graph_validate(g, err, sizeof(err)) == 0, "depthwise 3x3 padded by 1: %s", err);
    op->type = NN_OP_CONV_2D;

    /* Pads out of range: negative, or a whole window (only zeros under it). */
    op->pad_left = -1;
    TRY(expect_invalid(g, BACKDROP_EINVAL, "op 0 (CONV_2D): explicit pads top 1 bottom 1 left -1 right 1 out of "
                       "range 0..2 rows, 0..2 columns", "negative pad"));
    op->pad_left = 1;
    op->pad_bottom = 3;
    g->tensors[out].shape[1] = 7;
    g->tensors[out].count = 35;
    TRY(expect_invalid(g, BACKDROP_EINVAL, "explicit pads top 1 bottom 3 left 1 right 1 out of range", "pad 3"));
    op->dilation_h = 2; /* a 5-row window: 3 below is in range, and 5 + 1 + 3 - 5 + 1 = 5 rows */
    g->tensors[out].shape[1] = 5;
    g->tensors[out].count = 25;
    CHECK(nn_graph_validate(g, err, sizeof(err)) == 0, "dilated, padded 1 and 3: %s", err);
    op->dilation_h = 1;
    op->pad_bottom = 1;

    /* The output is not what the padded input gives. */
    op->pad_bottom = 0;
    TRY(expect_invalid(g, BACKDROP_EINVAL, "op 0 (CONV_2D): input [1,5,5,1], filter [1,3,3,1] and output [1,5,5,1] "
                       "do not fit (stride 1x1, EXPLICIT top 1 bottom 0 left 1 right 1)", "output size"));
    op->pad_bottom = 1;
    op->stride_h = op->stride_w = 2; /* (5 + 2 - 3) / 2 + 1 = 3 */
    TRY(expect_invalid(g, BACKDROP_EINVAL, "do not fit (stride 2x2, EXPLICIT top 1 bottom 1 left 1 right 1)",
                       "strided output size"));
    g->tensors[out].shape[1] = g->tensors[out].shape[2] = 3;
    g->tensors[out].count = 9;
    CHECK(nn_graph_validate(g, err, sizeof(err)) == 0, "stride 2: %s", err);
    op->stride_h = op->stride_w = 1;
    g->tensors[out].shape[1] = g->tensors[out].shape[2] = 5;
    g->tensors[out].count = 25;
    /* Padded, the input is still smaller than the window. */
    g->tensors[in].shape[1] = 1;
    g->tensors[in].count = 5;
    op->pad_bottom = 0;
    g->tensors[out].shape[1] = 1;
    g->tensors[out].count = 5;
    TRY(expect_invalid(g, BACKDROP_EINVAL, "input [1,1,5,1], filter [1,3,3,1] and output [1,1,5,1] do not fit",
                       "padded input below the window"));
    g->tensors[in].shape[1] = 5;
    g->tensors[in].count = 25;
    op->pad_bottom = 1;
    g->tensors[out].shape[1] = 5;
    g->tensors[out].count = 25;
    CHECK_INT(nn_graph_validate(g, NULL, 0), 0);

    /* The span check works in 64 bits on the padded input: pads of
     * INT_MAX rows around a window of 2^31 + 1 rows (dilation 2^30) at
     * stride INT_MAX give 2 rows, a span past INT_MAX. */
    op->dilation_h = 1 << 30;
    op->pad_top = op->pad_bottom = INT32_MAX;
    op->stride_h = INT32_MAX;
    g->tensors[out].shape[1] = 2;
    g->tensors[out].count = 10;
    TRY(expect_invalid(g, BACKDROP_ENOTSUP, "op 0 (CONV_2D): window span exceeds 2147483647", "padded span"));
    op->dilation_h = op->stride_h = 1;
    op->pad_top = op->pad_bottom = 1;
    g->tensors[out].shape[1] = 5;
    g->tensors[out].count = 25;

    /* Pads on a convolution that does not take them. */
    op->padding = NN_PAD_SAME;
    TRY(expect_invalid(g, BACKDROP_EINVAL, "op 0 (CONV_2D): pads top 1 bottom 1 left 1 right 1, but only EXPLICIT "
                       "padding takes pads", "pads with SAME"));
    op->pad_top = op->pad_bottom = op->pad_left = op->pad_right = 0;
    CHECK(nn_graph_validate(g, err, sizeof(err)) == 0, "SAME: %s", err);
    op->padding = (NnPadding)(NN_PAD_EXPLICIT + 1);
    TRY(expect_invalid(g, BACKDROP_EINVAL, "op 0 (CONV_2D): activation 0 or padding 3 unknown", "padding 3"));

    /* EXPLICIT on the other windowed ops. */
    op->padding = NN_PAD_EXPLICIT;
    op->pad_top = op->pad_bottom = op->pad_left = op->pad_right = 1;
    op->type = NN_OP_TRANSPOSE_CONV_BIAS;
    TRY(expect_invalid(g, BACKDROP_ENOTSUP, "op 0 (TRANSPOSE_CONV_BIAS): EXPLICIT padding is for CONV_2D and "
                       "DEPTHWISE_CONV_2D only", "transpose"));
    op->type = NN_OP_AVERAGE_POOL_2D;
    op->num_inputs = 1;
    op->filter_h = op->filter_w = 3;
    TRY(expect_invalid(g, BACKDROP_ENOTSUP, "op 0 (AVERAGE_POOL_2D): EXPLICIT padding is for CONV_2D and "
                       "DEPTHWISE_CONV_2D only", "pool"));
    op->padding = NN_PAD_SAME;
    TRY(expect_invalid(g, BACKDROP_EINVAL, "op 0 (AVERAGE_POOL_2D): pads top 1 bottom 1 left 1 right 1, but only "
                       "EXPLICIT padding takes pads", "pool pads with SAME"));
    op->pad_top = op->pad_bottom = op->pad_left = op->pad_right = 0;
    CHECK(nn_graph_validate(g, err, sizeof(err)) == 0, "SAME pool: %s", err);
    return UNIT_PASS;
}

/* ---- engines -------------------------------------------------------------------- */

static int test_engine_find_by_name(void)
{
#if BD_HAVE_XNNPACK
    CHECK(nn_engine_find("xnnpack") == &nn_engine_xnnpack, "xnnpack");
#endif
    CHECK(nn_engine_find("reference") == &nn_engine_reference, "reference");
    CHECK(!nn_engine_find("gpu") && !nn_engine_find("") && !nn_engine_find(NULL) && !nn_engine_find("XNNPACK"),
          "unknown names");
    int count = 0;
    for (int i = 0; nn_engine_at(i); i++, count++)
        CHECK(nn_engine_find(nn_engine_at(i)->name) == nn_engine_at(i), "engine %d is not found by its name", i);
    CHECK_INT(count, BD_HAVE_XNNPACK ? 2 : 1); /* xnnpack needs the meson option */
    CHECK(!nn_engine_at(-1), "index -1");

    float k[C] = { 1.0f, 1.0f };
    NnGraph *g = recurrent_graph(k);
    NnEngine *e = (NnEngine *)1;
    CHECK_INT(nn_engine_create(&e, NULL, g, NULL, 0), BACKDROP_EINVAL);
    CHECK(!e, "handle after refusing");
    CHECK_INT(nn_engine_create(NULL, &nn_engine_reference, g, NULL, 0), BACKDROP_EINVAL);
    CHECK_INT(nn_engine_create(&e, &nn_engine_reference, NULL, NULL, 0), BACKDROP_EINVAL);
    CHECK_INT(nn_engine_create(&e, &nn_engine_reference, g, NULL, 0), 0);
    CHECK(!strcmp(nn_engine_name(e), "reference"), "name");
    nn_engine_destroy(&e);
    CHECK(!e, "destroy leaves NULL");
    nn_engine_destroy(&e);
    nn_engine_destroy(NULL);
    return UNIT_PASS;
}

/* Three frames on every engine (XNNPACK also on a 2-thread pool): the state
 * starts at zero, is carried from y to "state" after each run, is never
 * the caller's to write, and starts again at zero after a reset. */
static int test_engine_state_pairs(void)
{
    float k[C] = { 2.0f, -0.5f };
    NnGraph *g = recurrent_graph(k);
    pthreadpool_t pool = pthreadpool_create(2);
    CHECK(pool, "pool");
    unit_defer(release_pool, pool);
    for (int run = 0; nn_engine_at(run / 2); run++) {
        const NnEngineClass *cls = nn_engine_at(run / 2);
        NnEngine *e = NULL;
        CHECK_INT(nn_engine_create(&e, cls, g, run % 2 ? pool : NULL, 0), 0);
        unit_defer(release_engine, e);
        const char *name = cls->name;
        float *x = nn_engine_input(e, 0);
        CHECK(x, "%s: no buffer for input x", name);
        CHECK(!nn_engine_input(e, 1), "%s: the state input is handed to the caller", name);
        const float *state = nn_engine_tensor(e, g->inputs[1].tensor);
        CHECK(state, "%s: state buffer not visible", name);
        for (int i = 0; i < N; i++)
            CHECK(state[i] == 0.0f, "%s: state not zero before the first frame", name);

        float want[N] = { 0 };
        uint32_t seed = 77;
        for (int frame = 0; frame < 4; frame++) {
            if (frame == 3) {
                /* A new clip. */
                nn_engine_reset(e);
                memset(want, 0, sizeof(want));
                for (int i = 0; i < N; i++)
                    CHECK(state[i] == 0.0f, "%s: state not zero after reset", name);
            }
            for (int i = 0; i < N; i++) {
                seed = seed * 1664525u + 1013904223u;
                x[i] = (float)(int)(seed >> 24) / 16.0f - 8.0f;
                want[i] = x[i] + want[i];
            }
            CHECK_INT(nn_engine_run(e), 0);
            const float *y = nn_engine_output(e, 0), *z = nn_engine_output(e, 1);
            for (int i = 0; i < N; i++) {
                CHECK(y[i] == want[i], "%s frame %d: y[%d] is %g, expected %g", name, frame, i, y[i], want[i]);
                CHECK(z[i] == want[i] * k[i % C], "%s frame %d: z[%d] is %g, expected %g", name, frame, i, z[i],
                      want[i] * k[i % C]);
                CHECK(state[i] == y[i], "%s frame %d: state[%d] is %g after the run, y is %g", name, frame, i,
                      state[i], y[i]);
            }
        }
    }
    return UNIT_PASS;
}

const UnitTest graph_tests[] = {
    UNIT_TEST(graph_lookup_by_name),
    UNIT_TEST(graph_build_and_free),
    UNIT_TEST(graph_validate_rejects),
    UNIT_TEST(graph_validate_explicit_pads),
    UNIT_TEST(engine_find_by_name),
    UNIT_TEST(engine_state_pairs),
    UNIT_TESTS_END
};
