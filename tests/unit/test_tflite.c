/*
 * The .tflite reader (src/nn/format/tflite.c), called directly.
 *
 * Real models: the MediaPipe selfie segmentation models, found in
 * $BACKDROP_MODEL_DIR or ${XDG_CACHE_HOME:-$HOME/.cache}/backdrop/models
 * (scripts/fetch-models.sh puts them there, sha256-checked); tests that need
 * them are skipped when they are absent. Expected numbers come from
 * /usr/bin/python3 (python3-flatbuffers to find each tensor, numpy's
 * float16 -> float32 to decode it), not from the reader, and from the
 * operator lists in shared/golden/selfie/{general,landscape}.ops.txt.
 *
 * Synthetic models are written by tests/fuzz/tflite_builder.c; each error
 * test edits one thing in the mini model. Every successful load is judged
 * by the independent invariant checker tests/fuzz/graph_check.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backdrop/backdrop.h"
#include "graph_check.h"
#include "nn/format/tflite.h"
#include "suites.h"
#include "util.h"
#include "tflite_builder.h"

/* ---- helpers ----------------------------------------------------------- */

#define GENERAL "selfie_segmentation.tflite"
#define LANDSCAPE "selfie_segmentation_landscape.tflite"

#define NEED_MODEL(var, size, file)                                                            \
    char var##_path[1024];                                                                     \
    size_t size;                                                                               \
    const uint8_t *var = read_model_file(file, &size, var##_path, sizeof(var##_path));              \
    if (!var)                                                                                  \
        SKIP("model %s not found (set BACKDROP_MODEL_DIR or run scripts/fetch-models.sh)",     \
             var##_path)

/* A graph released after the test. */
static NnGraph *new_graph(void)
{
    NnGraph *g = unit_alloc(sizeof(*g));
    unit_defer(release_graph, g);
    return g;
}

static int graph_is_empty(const NnGraph *g)
{
    return g->num_tensors == 0 && g->num_ops == 0 && !g->tensors && !g->ops && g->num_inputs == 0 && !g->inputs &&
           g->num_outputs == 0 && !g->outputs && g->num_states == 0 && !g->states;
}

/* The reader's ports (tflite.h): "input", "output" and, after a final
 * LOGISTIC, "logits"; their tensors, or -1. */
static int port_tensor(const NnGraph *g, int output, const char *name)
{
    int i = output ? nn_graph_find_output(g, name) : nn_graph_find_input(g, name);
    return i < 0 ? -1 : output ? g->outputs[i].tensor : g->inputs[i].tensor;
}

#define IN_T(g) port_tensor(g, 0, "input")
#define OUT_T(g) port_tensor(g, 1, "output")
#define LOGITS_T(g) port_tensor(g, 1, "logits")

/* A constant's values (the reader makes every constant FLOAT32). */
static const float *values(const NnTensor *t)
{
    return t->data;
}

/* Loads and checks the invariants; fails the test on any error. */
static int load_ok(NnGraph *g, const uint8_t *data, size_t size)
{
    char err[256] = "", why[256] = "";
    int e = nn_graph_load_tflite(g, data, size, err, sizeof(err));
    CHECK(e == 0, "load failed (%d): %s", e, err);
    CHECK(nn_graph_check(g, why, sizeof(why)) == 0, "invariant violated: %s", why);
    return UNIT_PASS;
}

/* A load that must fail with code, leaving g empty, with a one-line
 * message containing want (if not NULL). */
static int load_fails(const uint8_t *data, size_t size, int code, const char *want)
{
    NnGraph *g = new_graph();
    char err[256] = "";
    int e = nn_graph_load_tflite(g, data, size, err, sizeof(err));
    CHECK(e == code, "load returned %d, expected %d (message: %s)", e, code, err);
    CHECK(graph_is_empty(g), "graph not left empty after an error");
    CHECK(err[0] && !strchr(err, '\n'), "message '%s' is empty or not one line", err);
    CHECK(!want || strstr(err, want), "message '%s' lacks '%s'", err, want);
    return UNIT_PASS;
}

/* Loads untrusted bytes: either an error (graph empty, message set) or a
 * graph that satisfies every invariant. Returns 1 when it loaded. */
static int load_any(const uint8_t *data, size_t size, int *status)
{
    NnGraph g;
    char err[256] = "", why[256] = "";
    int e = nn_graph_load_tflite(&g, data, size, err, sizeof(err));
    *status = UNIT_PASS;
    if (e == 0) {
        if (nn_graph_check(&g, why, sizeof(why))) {
            unit_report(__FILE__, __LINE__, "invariant violated: %s", why);
            *status = UNIT_FAIL;
        }
        nn_graph_free(&g);
        return 1;
    }
    if ((e != BACKDROP_EINVAL && e != BACKDROP_ENOTSUP) || !graph_is_empty(&g) || !err[0] || strchr(err, '\n')) {
        unit_report(__FILE__, __LINE__, "bad failure: code %d, message '%s'", e, err);
        *status = UNIT_FAIL;
    }
    return 0;
}

static uint8_t *serialize(const TbModel *m, size_t *size)
{
    uint8_t *data = tb_serialize(m, size);
    if (data)
        unit_defer(free, data);
    return data;
}

static const NnTensor *find_tensor(const NnGraph *g, const char *name)
{
    for (int i = 0; i < g->num_tensors; i++)
        if (!strcmp(g->tensors[i].name, name))
            return &g->tensors[i];
    return NULL;
}

static uint32_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof(u));
    return u;
}

static int shape_is(const NnTensor *t, int32_t n, int32_t h, int32_t w, int32_t c)
{
    return t->rank == 4 && t->shape[0] == n && t->shape[1] == h && t->shape[2] == w && t->shape[3] == c;
}

/* Counts of each IR op type. */
static void count_ops(const NnGraph *g, int counts[NN_OP_COUNT])
{
    memset(counts, 0, sizeof(int) * NN_OP_COUNT);
    for (int k = 0; k < g->num_ops; k++)
        counts[g->ops[k].type]++;
}

/* Expected weights: the FLOAT16 patterns at a file offset, and their
 * float32 values as numpy decodes them (bit patterns). */
typedef struct Weights {
    const char *name;   /* IR name (the DEQUANTIZE output) */
    size_t file_offset; /* of the FLOAT16 data in the file */
    int first;          /* index of the first element listed */
    int count;
    uint16_t half[8];
    uint32_t bits[8];
} Weights;

static int check_weights(const NnGraph *g, const uint8_t *file, size_t size, const Weights *w)
{
    const NnTensor *t = find_tensor(g, w->name);
    CHECK(t && t->data, "no constant named %s", w->name);
    for (int k = 0; k < w->count; k++) {
        size_t at = w->file_offset + 2 * (size_t)(w->first + k);
        CHECK(at + 2 <= size, "offset %zu beyond the file", at);
        uint16_t h = (uint16_t)(file[at] | file[at + 1] << 8);
        CHECK(h == w->half[k], "%s[%d]: file holds 0x%04x at %zu, expected 0x%04x (different model file?)", w->name,
              w->first + k, h, at, w->half[k]);
        uint32_t got = float_bits(values(t)[w->first + k]);
        CHECK(got == w->bits[k], "%s[%d] is 0x%08x, numpy gives 0x%08x", w->name, w->first + k, got, w->bits[k]);
    }
    return UNIT_PASS;
}

/* ---- real models ------------------------------------------------------- */

static int check_model_common(const NnGraph *g, int h, int w)
{
    int counts[NN_OP_COUNT];
    count_ops(g, counts);
    /* general.ops.txt / landscape.ops.txt without DEQUANTIZE; landscape's
     * 10 MEAN ops become AVERAGE_POOL_2D. */
    CHECK_INT(counts[NN_OP_CONV_2D], 43);
    CHECK_INT(counts[NN_OP_HARD_SWISH], 11);
    CHECK_INT(counts[NN_OP_RELU], 22);
    CHECK_INT(counts[NN_OP_DEPTHWISE_CONV_2D], 11);
    CHECK_INT(counts[NN_OP_AVERAGE_POOL_2D], 10);
    CHECK_INT(counts[NN_OP_LOGISTIC], 11);
    CHECK_INT(counts[NN_OP_MUL], 10);
    CHECK_INT(counts[NN_OP_ADD], 14);
    CHECK_INT(counts[NN_OP_RESIZE_BILINEAR], 3);
    CHECK_INT(counts[NN_OP_TRANSPOSE_CONV_BIAS], 1);
    CHECK_INT(g->num_ops, 136);
    CHECK(shape_is(&g->tensors[IN_T(g)], 1, h, w, 3), "input shape");
    CHECK(shape_is(&g->tensors[OUT_T(g)], 1, h, w, 1), "output shape");
    CHECK(!strcmp(g->tensors[IN_T(g)].name, "input_1"), "input name %s", g->tensors[IN_T(g)].name);

    /* the tail: transposed convolution -> LOGISTIC -> output */
    const NnOp *last = &g->ops[g->num_ops - 1], *tconv = &g->ops[g->num_ops - 2];
    CHECK(last->type == NN_OP_LOGISTIC && last->output == OUT_T(g), "last op is not the output LOGISTIC");
    CHECK_INT(LOGITS_T(g), last->inputs[0]);
    CHECK(tconv->type == NN_OP_TRANSPOSE_CONV_BIAS && tconv->output == LOGITS_T(g), "logits not from the tconv");
    CHECK(tconv->padding == NN_PAD_SAME && tconv->stride_h == 2 && tconv->stride_w == 2, "tconv options");
    CHECK(shape_is(&g->tensors[tconv->inputs[1]], 1, 2, 2, 16), "tconv filter shape");
    CHECK(shape_is(&g->tensors[tconv->inputs[0]], 1, h / 2, w / 2, 16), "tconv input shape");

    /* first op: 3x3 stride-2 SAME convolution */
    const NnOp *first = &g->ops[0];
    CHECK(first->type == NN_OP_CONV_2D && first->inputs[0] == IN_T(g), "first op");
    CHECK(first->padding == NN_PAD_SAME && first->stride_h == 2 && first->stride_w == 2 &&
              first->dilation_h == 1 && first->dilation_w == 1 && first->activation == NN_ACT_NONE,
          "first conv options");
    CHECK(shape_is(&g->tensors[first->inputs[1]], 16, 3, 3, 3), "first conv filter");
    CHECK(!strcmp(g->tensors[first->inputs[1]].name, "conv2d/Kernel_dequantize"), "filter name %s",
          g->tensors[first->inputs[1]].name);

    /* resizes: x2 upsampling, half-pixel centres (as in the file) */
    int r = 0;
    for (int k = 0; k < g->num_ops; k++) {
        const NnOp *op = &g->ops[k];
        if (op->type != NN_OP_RESIZE_BILINEAR)
            continue;
        const NnTensor *in = &g->tensors[op->inputs[0]];
        CHECK(op->out_h == 2 * in->shape[1] && op->out_w == 2 * in->shape[2], "resize %d", r);
        CHECK(op->half_pixel_centers == 1 && op->align_corners == 0, "resize flags");
        CHECK_INT(op->out_h, h / 8 << r);
        r++;
    }
    /* every average pool is global (squeeze-and-excitation) */
    for (int k = 0; k < g->num_ops; k++) {
        const NnOp *op = &g->ops[k];
        if (op->type != NN_OP_AVERAGE_POOL_2D)
            continue;
        const NnTensor *in = &g->tensors[op->inputs[0]];
        CHECK(op->padding == NN_PAD_VALID && op->filter_h == in->shape[1] && op->filter_w == in->shape[2] &&
                  op->stride_h == in->shape[1] && op->stride_w == in->shape[2],
              "pool %d is not global", k);
        CHECK(shape_is(&g->tensors[op->output], 1, 1, 1, in->shape[3]), "pool output");
    }
    /* every MUL broadcasts its second operand (the file's order) */
    for (int k = 0; k < g->num_ops; k++)
        if (g->ops[k].type == NN_OP_MUL)
            CHECK(g->tensors[g->ops[k].inputs[1]].shape[1] == 1, "MUL %d operand order", k);
    return UNIT_PASS;
}

static int test_tflite_general_model(void)
{
    NEED_MODEL(data, size, GENERAL);
    NnGraph *g = new_graph();
    TRY(load_ok(g, data, size));
    TRY(check_model_common(g, 256, 256));
    CHECK(!strcmp(g->tensors[OUT_T(g)].name, "activation_10"), "output name %s", g->tensors[OUT_T(g)].name);
    CHECK(!strcmp(g->tensors[LOGITS_T(g)].name, "segment"), "logits name %s", g->tensors[LOGITS_T(g)].name);
    static const Weights weights[] = {
        { "conv2d/Kernel_dequantize", 214944, 0, 8,
          { 0xcad0, 0x42f2, 0x490e, 0xc431, 0x402c, 0x3063, 0x381c, 0xc0af },
          { 0xc15a0000, 0x405e4000, 0x4121c000, 0xc0862000, 0x40058000, 0x3e0c6000, 0x3f038000, 0xc015e000 } },
        { "conv2d/Bias_dequantize", 214880, 0, 8,
          { 0xbbd4, 0xb772, 0xbf7c, 0x415a, 0x4082, 0xb13f, 0x3b9d, 0x34ef },
          { 0xbf7a8000, 0xbeee4000, 0xbfef8000, 0x402b4000, 0x40104000, 0xbe27e000, 0x3f73a000, 0x3e9de000 } },
        { "segment/Kernel_dequantize", 1168, 0, 8,
          { 0xac24, 0xb33f, 0xb993, 0x364e, 0xc207, 0xb07d, 0x3081, 0xbdc1 },
          { 0xbd848000, 0xbe67e000, 0xbf326000, 0x3ec9c000, 0xc040e000, 0xbe0fa000, 0x3e102000, 0xbfb82000 } },
        { "segment/Bias_dequantize", 1152, 0, 1, { 0x3843 }, { 0x3f086000 } },
    };
    for (size_t i = 0; i < sizeof(weights) / sizeof(weights[0]); i++)
        TRY(check_weights(g, data, size, &weights[i]));
    /* a FLOAT16 subnormal among the weights: 0x00aa = 170 * 2^-24 */
    const NnTensor *sub = find_tensor(g, "conv2d_5/Kernel_dequantize");
    CHECK(sub && sub->count == 72 * 16, "conv2d_5/Kernel");
    CHECK_INT(float_bits(values(sub)[304]), 0x372a0000);
    /* numpy: float64 sum of all 432 values (exact: fp16 values add exactly
     * in double) */
    const NnTensor *k0 = find_tensor(g, "conv2d/Kernel_dequantize");
    double sum = 0;
    for (size_t i = 0; i < k0->count; i++)
        sum += values(k0)[i];
    CHECK(sum == -3.018649101257324, "conv2d/Kernel sum %.17g", sum);
    return UNIT_PASS;
}

static int test_tflite_landscape_model(void)
{
    NEED_MODEL(data, size, LANDSCAPE);
    NnGraph *g = new_graph();
    TRY(load_ok(g, data, size));
    TRY(check_model_common(g, 144, 256));
    CHECK(!strcmp(g->tensors[OUT_T(g)].name, "segment_back"), "output name %s", g->tensors[OUT_T(g)].name);
    /* the first MEAN ([1,36,64,16] -> [1,1,1,16]) as a pool */
    const NnOp *pool = NULL;
    for (int k = 0; k < g->num_ops && !pool; k++)
        if (g->ops[k].type == NN_OP_AVERAGE_POOL_2D)
            pool = &g->ops[k];
    CHECK(pool && pool->filter_h == 36 && pool->filter_w == 64 && pool->stride_h == 36 && pool->stride_w == 64,
          "MEAN mapping");
    CHECK(!strcmp(g->tensors[pool->output].name, "global_average_pooling2d"), "pool output name");
    static const Weights weights[] = {
        { "conv2d/Kernel_dequantize", 215120, 0, 8,
          { 0x38e9, 0x33d1, 0x34ba, 0xacec, 0xb80a, 0xb115, 0xae8e, 0xb140 },
          { 0x3f1d2000, 0x3e7a2000, 0x3e974000, 0xbd9d8000, 0xbf014000, 0xbe22a000, 0xbdd1c000, 0xbe280000 } },
        { "conv2d_transpose/Kernel_dequantize", 1024, 0, 8,
          { 0xb985, 0x392f, 0xb9d0, 0x4001, 0xb752, 0xae04, 0x3636, 0x3cf8 },
          { 0xbf30a000, 0x3f25e000, 0xbf3a0000, 0x40002000, 0xbeea4000, 0xbdc08000, 0x3ec6c000, 0x3f9f0000 } },
        { "conv2d_transpose/Bias_dequantize", 1008, 0, 1, { 0x3460 }, { 0x3e8c0000 } },
    };
    for (size_t i = 0; i < sizeof(weights) / sizeof(weights[0]); i++)
        TRY(check_weights(g, data, size, &weights[i]));
    const NnTensor *sub = find_tensor(g, "depthwise_conv2d_3/Kernel_dequantize");
    CHECK(sub && sub->count > 1024, "depthwise_conv2d_3/Kernel");
    CHECK_INT(float_bits(values(sub)[1024]), 0xb78b0000); /* FLOAT16 0x8116, a negative subnormal */
    return UNIT_PASS;
}

/* Truncations: every 1 KiB and each of the first 512 lengths. The
 * structure sits at the end of these files, so every one must fail. */
static int test_tflite_truncated_model(void)
{
    NEED_MODEL(data, size, GENERAL);
    for (size_t n = 0; n < size; n += n < 512 ? 1 : 1024) {
        int status;
        CHECK(!load_any(data, n, &status), "truncated to %zu bytes but loaded", n);
        CHECK(status == UNIT_PASS, "truncated to %zu bytes", n);
    }
    return load_fails(data, size - 1, BACKDROP_EINVAL, NULL);
}

/* Single bytes changed throughout the file: an error or a valid graph,
 * never a crash (ASan/UBSan watch the rest). The structure (last 34 KB)
 * is sampled every 17 bytes, the weights sparsely; tflite_mutated_mini and
 * the fuzzer cover every byte of smaller models. */
static int test_tflite_flipped_model(void)
{
    NEED_MODEL(data, size, GENERAL);
    uint8_t *copy = unit_alloc(size);
    memcpy(copy, data, size);
    static const uint8_t masks[] = { 0x01, 0x80, 0xff };
    int loaded = 0, failed = 0;
    size_t tail = size > 34816 ? size - 34816 : 0;
    /* about 6500 loads: a few seconds under ASan */
    for (size_t pos = 0; pos < size; pos += pos < tail ? 4099 : 17) {
        for (size_t m = 0; m < sizeof(masks); m++) {
            copy[pos] ^= masks[m];
            int status;
            if (load_any(copy, size, &status))
                loaded++;
            else
                failed++;
            copy[pos] ^= masks[m];
            CHECK(status == UNIT_PASS, "byte %zu ^ 0x%02x", pos, masks[m]);
        }
    }
    printf("flipped: %d loaded, %d refused\n", loaded, failed);
    CHECK(failed > 0 && loaded > 0, "expected both outcomes");
    return UNIT_PASS;
}

/* In-memory edits of the real file at offsets found with python3-flatbuffers
 * (each checked first, so another file fails loudly rather than passing). */
static int test_tflite_edited_model(void)
{
    NEED_MODEL(data, size, GENERAL);
    uint8_t *copy = unit_alloc(size);
    static const int32_t input_shape[4] = { 1, 256, 256, 3 };
    const size_t input_shape_at = 248756; /* tensor 0 'input_1' shape vector data */
    const size_t kernel_shape_at = 248700; /* tensor 1 'conv2d/Kernel' [16,3,3,3] */
    const size_t kernel_buffer_at = 248668; /* tensor 1's buffer field (1) */
    CHECK(size == 249024, "unexpected size %zu", size);
    for (int d = 0; d < 4; d++) {
        int32_t v;
        memcpy(&v, data + input_shape_at + 4 * d, 4);
        CHECK(v == input_shape[d], "input shape not at the expected offset");
    }
    CHECK(data[kernel_buffer_at] == 1 && data[kernel_shape_at + 12] == 3, "kernel fields not where expected");

    /* absurd shapes */
    static const int32_t dims[][4] = {
        { 1, 65536, 65536, 3 }, { 0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff }, { 1, 0, 256, 3 },
        { 1, -256, 256, 3 }, { 1, 1024, 1024, 3 } };
    static const int codes[] = { BACKDROP_ENOTSUP, BACKDROP_ENOTSUP, BACKDROP_EINVAL, BACKDROP_EINVAL, BACKDROP_EINVAL };
    static const char *const msgs[] = { "tensor 0 'input_1': more than", "more than", "dimension 1 is 0",
                                        "dimension 1 is -256",
                                        "operator 2 (CONV_2D): output height is 128; SAME padding, stride 2 and window 3 give 512" };
    for (size_t c = 0; c < sizeof(codes) / sizeof(codes[0]); c++) {
        memcpy(copy, data, size);
        for (int d = 0; d < 4; d++) {
            uint32_t u = (uint32_t)dims[c][d];
            uint8_t le[4] = { (uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24) };
            memcpy(copy + input_shape_at + 4 * d, le, 4);
        }
        TRY(load_fails(copy, size, codes[c], msgs[c]));
    }
    /* a weight shape that the buffer does not hold */
    memcpy(copy, data, size);
    copy[kernel_shape_at + 12] = 4;
    TRY(load_fails(copy, size, BACKDROP_EINVAL, "tensor 1 'conv2d/Kernel': buffer 1 holds 864 bytes, shape needs 1152"));
    /* buffer index out of range */
    memcpy(copy, data, size);
    copy[kernel_buffer_at] = 0x88;
    copy[kernel_buffer_at + 1] = 0x13; /* 5000 */
    TRY(load_fails(copy, size, BACKDROP_EINVAL, "buffer index 5000 is out of range (116 buffers)"));
    /* magic */
    memcpy(copy, data, size);
    copy[7] = '2';
    TRY(load_fails(copy, size, BACKDROP_EINVAL, "file identifier 'TFL2', expected 'TFL3'"));
    return UNIT_PASS;
}

/* ---- synthetic models -------------------------------------------------- */

static int test_tflite_mini_model(void)
{
    TbModel m;
    tb_mini_model(&m, 0);
    size_t size;
    const uint8_t *data = serialize(&m, &size);
    CHECK(data, "serialize");
    NnGraph *g = new_graph();
    TRY(load_ok(g, data, size));
    CHECK_INT(g->num_ops, MINI_OPS - 2); /* two DEQUANTIZE folded */
    static const NnOpType types[] = {
        NN_OP_CONV_2D, NN_OP_HARD_SWISH, NN_OP_DEPTHWISE_CONV_2D, NN_OP_RELU, NN_OP_AVERAGE_POOL_2D, NN_OP_CONV_2D,
        NN_OP_LOGISTIC, NN_OP_MUL, NN_OP_AVERAGE_POOL_2D, NN_OP_ADD, NN_OP_ADD, NN_OP_RESIZE_BILINEAR,
        NN_OP_TRANSPOSE_CONV_BIAS, NN_OP_LOGISTIC };
    for (int k = 0; k < g->num_ops; k++)
        CHECK(g->ops[k].type == types[k], "op %d is %s", k, nn_op_name(g->ops[k].type));
    /* 27 file tensors - 2 FLOAT16 sources - 3 INT32 + 1 zero bias */
    CHECK_INT(g->num_tensors, 23);
    const NnOp *conv0 = &g->ops[0], *dw = &g->ops[2], *mul = &g->ops[7], *mean = &g->ops[8], *addb = &g->ops[9];
    CHECK(conv0->activation == NN_ACT_RELU6, "conv0 fused RELU6");
    CHECK(addb->activation == NN_ACT_RELU, "add fused RELU");
    /* FLOAT16 weights folded into float32 constants */
    const NnTensor *w0 = &g->tensors[conv0->inputs[1]];
    CHECK(!strcmp(w0->name, "conv0/Kernel_dequantize") && w0->data, "conv0 filter");
    CHECK(values(w0)[0] == 0.125f && values(w0)[1] == 0.125f + 37.0f / 8192.0f, "fp16 conversion %g %g", values(w0)[0],
          values(w0)[1]);
    const NnTensor *b0 = &g->tensors[conv0->inputs[2]];
    CHECK(values(b0)[0] == -0.5f && values(b0)[3] == -(0.5f + 3.0f / 2048.0f), "bias %g %g", values(b0)[0], values(b0)[3]);
    CHECK(!find_tensor(g, "conv0/Kernel") && !find_tensor(g, "mean/Axes") && !find_tensor(g, "up/Size"),
          "FLOAT16 / INT32 tensors left in the graph");
    /* depthwise without bias: a zero bias of 4 */
    const NnTensor *zb = &g->tensors[dw->inputs[2]];
    CHECK(zb->rank == 1 && zb->shape[0] == 4 && zb->data, "zero bias shape");
    for (int i = 0; i < 4; i++)
        CHECK(values(zb)[i] == 0.0f && !signbit(values(zb)[i]), "zero bias value");
    CHECK_INT(dw->depth_multiplier, 1);
    /* MUL(sigmoid [1,1,1,4], relu [1,4,4,4]) -> operands swapped */
    CHECK(!strcmp(g->tensors[mul->inputs[0]].name, "relu") && !strcmp(g->tensors[mul->inputs[1]].name, "se_sigmoid"),
          "MUL operand order");
    CHECK(!strcmp(g->tensors[addb->inputs[0]].name, "se_mul") && !strcmp(g->tensors[addb->inputs[1]].name, "mean"),
          "ADD operand order");
    /* MEAN over H, W -> global VALID pool */
    CHECK(mean->padding == NN_PAD_VALID && mean->filter_h == 4 && mean->filter_w == 4 && mean->stride_h == 4 &&
              mean->stride_w == 4 && mean->activation == NN_ACT_NONE,
          "MEAN mapping");
    const NnOp *resize = &g->ops[11], *tconv = &g->ops[12];
    CHECK(resize->out_h == 8 && resize->out_w == 8 && resize->half_pixel_centers && !resize->align_corners, "resize");
    CHECK(tconv->stride_h == 2 && tconv->stride_w == 2 && tconv->padding == NN_PAD_SAME && tconv->filter_h == 2,
          "tconv options");
    CHECK(!strcmp(g->tensors[LOGITS_T(g)].name, "tconv"), "logits");
    CHECK(!strcmp(g->tensors[OUT_T(g)].name, "output"), "output");
    return UNIT_PASS;
}

/* Builtin TRANSPOSE_CONV (output_shape, weights, input, bias) maps to the
 * same IR as the MediaPipe custom op. */
static int test_tflite_builtin_transpose_conv(void)
{
    TbModel m;
    size_t size_a, size_b;
    tb_mini_model(&m, 0);
    const uint8_t *a = serialize(&m, &size_a);
    tb_mini_model(&m, 1);
    const uint8_t *b = serialize(&m, &size_b);
    CHECK(a && b, "serialize");
    NnGraph *ga = new_graph(), *gb = new_graph();
    TRY(load_ok(ga, a, size_a));
    TRY(load_ok(gb, b, size_b));
    CHECK_INT(ga->num_ops, gb->num_ops);
    CHECK_INT(ga->num_tensors, gb->num_tensors);
    for (int k = 0; k < ga->num_ops; k++)
        CHECK(!memcmp(&ga->ops[k], &gb->ops[k], sizeof(NnOp)), "op %d differs", k);
    for (int i = 0; i < ga->num_tensors; i++) {
        const NnTensor *x = &ga->tensors[i], *y = &gb->tensors[i];
        CHECK(x->count == y->count && !strcmp(x->name, y->name) && !x->data == !y->data, "tensor %d differs", i);
        CHECK(!x->data || !memcmp(x->data, y->data, x->count * sizeof(float)), "tensor %d data differs", i);
    }
    /* output_shape must match the output tensor */
    static const int32_t wrong[4] = { 1, 16, 16, 2 };
    m.tensors[MINI_OUT_SHAPE].data = wrong;
    const uint8_t *c = serialize(&m, &size_b);
    return load_fails(c, size_b, BACKDROP_EINVAL, "output_shape[3] is 2, the output tensor has 1");
}

/* Half -> float for all 65536 patterns, through the public path: a FLOAT16
 * constant holding every pattern, DEQUANTIZE'd into a MUL operand. */
static float reference_half(uint16_t h)
{
    int sign = h >> 15, exponent = (h >> 10) & 31, mantissa = h & 1023;
    double v;
    if (exponent == 0)
        v = ldexp(mantissa, -24);
    else if (exponent == 31)
        v = mantissa ? NAN : INFINITY;
    else
        v = ldexp(1024 + mantissa, exponent - 25);
    return (float)(sign ? -v : v);
}

static int test_tflite_half_exhaustive(void)
{
    static uint16_t halves[65536];
    static const float ones[3] = { 1, 1, 1 }, zero[1] = { 0 };
    for (int i = 0; i < 65536; i++)
        halves[i] = (uint16_t)i;
    TbModel *m = unit_alloc(sizeof(*m));
    m->version = 3;
    m->num_subgraphs = 1;
    m->num_inputs = m->num_outputs = 1;
    m->inputs[0] = 0;
    m->outputs[0] = 6;
    m->num_tensors = 7;
    const struct { const char *name; int type, c; const void *data; size_t size; } t[7] = {
        { "input", TB_FLOAT32, 3, NULL, 0 },        { "k", TB_FLOAT32, -1, ones, sizeof(ones) },
        { "b", TB_FLOAT32, -2, zero, sizeof(zero) }, { "gray", TB_FLOAT32, 1, NULL, 0 },
        { "halves", TB_FLOAT16, 1, halves, sizeof(halves) }, { "halves_f32", TB_FLOAT32, 1, NULL, 0 },
        { "out", TB_FLOAT32, 1, NULL, 0 } };
    for (int i = 0; i < 7; i++) {
        TbTensor *x = &m->tensors[i];
        x->name = t[i].name;
        x->type = t[i].type;
        x->data = t[i].data;
        x->data_size = t[i].size;
        x->buffer = -1;
        x->rank = t[i].c == -2 ? 1 : 4;
        const int32_t big[4] = { 1, 256, 256, t[i].c }, k[4] = { 1, 1, 1, 3 }, b[1] = { 1 };
        memcpy(x->shape, t[i].c == -1 ? k : t[i].c == -2 ? b : big, sizeof(int32_t) * (size_t)x->rank);
    }
    m->num_ops = 3;
    TbOp *o = &m->ops[0];
    o->builtin = TB_DEQUANTIZE, o->num_inputs = 1, o->inputs[0] = 4, o->num_outputs = 1, o->outputs[0] = 5;
    o = &m->ops[1];
    o->builtin = TB_CONV_2D, o->options_type = TB_OPT_CONV_2D, o->num_inputs = 3, o->num_outputs = 1;
    o->inputs[0] = 0, o->inputs[1] = 1, o->inputs[2] = 2, o->outputs[0] = 3;
    tb_field(o, 0, TB_I8)->value = 1; /* VALID */
    tb_field(o, 1, TB_I32)->value = 1;
    tb_field(o, 2, TB_I32)->value = 1;
    o = &m->ops[2];
    o->builtin = TB_MUL, o->num_inputs = 2, o->inputs[0] = 3, o->inputs[1] = 5, o->num_outputs = 1, o->outputs[0] = 6;
    size_t size;
    const uint8_t *data = serialize(m, &size);
    CHECK(data, "serialize");
    NnGraph *g = new_graph();
    TRY(load_ok(g, data, size));
    const NnTensor *f = find_tensor(g, "halves_f32");
    CHECK(f && f->data && f->count == 65536, "converted tensor");
    for (int i = 0; i < 65536; i++) {
        float want = reference_half((uint16_t)i), got = values(f)[i];
        uint32_t gb = float_bits(got);
        if (isnan(want)) {
            /* NaN: sign and payload kept (payload in the top mantissa bits) */
            CHECK(isnan(got) && (gb >> 31) == (uint32_t)(i >> 15) && ((gb >> 13) & 0x3ff) == (uint32_t)(i & 0x3ff) &&
                      (gb & 0x1fff) == 0,
                  "half 0x%04x -> 0x%08x", i, gb);
        } else {
            CHECK(gb == float_bits(want), "half 0x%04x -> 0x%08x, expected 0x%08x", i, gb, float_bits(want));
        }
    }
    return UNIT_PASS;
}

static int test_tflite_unsupported_op(void)
{
    TbModel m;
    size_t size;
    static const struct { int builtin; const char *custom; int op; const char *msg; } cases[] = {
        { TB_SOFTMAX, NULL, MINI_OP_HSWISH, "unsupported operator SOFTMAX (op 3)" },
        { 21, NULL, MINI_OP_RELU, "unsupported operator RELU6 (op 5)" },
        { 300, NULL, MINI_OP_HSWISH, "unsupported operator BUILTIN_300 (op 3)" },
        { 150, NULL, MINI_OP_HSWISH, "unsupported operator GELU (op 3)" },
        { TB_CUSTOM, "MaxPoolingWithArgmax2D", MINI_OP_RELU, "unsupported custom operator 'MaxPoolingWithArgmax2D' (op 5)" },
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        tb_mini_model(&m, 0);
        m.ops[cases[c].op].builtin = cases[c].builtin;
        m.ops[cases[c].op].custom_code = cases[c].custom;
        const uint8_t *data = serialize(&m, &size);
        CHECK(data, "serialize");
        NnGraph *g = new_graph();
        char err[256];
        CHECK_INT(nn_graph_load_tflite(g, data, size, err, sizeof(err)), BACKDROP_ENOTSUP);
        CHECK(!strcmp(err, cases[c].msg), "message '%s', expected '%s'", err, cases[c].msg);
        CHECK(graph_is_empty(g), "graph not empty");
    }
    return UNIT_PASS;
}

static int test_tflite_bad_input(void)
{
    static const uint8_t junk[16] = { 0x10, 0, 0, 0, 'T', 'F', 'L', '3' };
    TRY(load_fails(NULL, 0, BACKDROP_EINVAL, "too short"));
    TRY(load_fails(junk, 0, BACKDROP_EINVAL, "0 bytes is too short"));
    TRY(load_fails(junk, 7, BACKDROP_EINVAL, "too short"));
    TRY(load_fails((const uint8_t *)"\0\0\0\0PK\3\4xxxxxxxx", 16, BACKDROP_EINVAL, "not a TFLite model"));
    TRY(load_fails(junk, 8, BACKDROP_EINVAL, "model: root table: table at 16 lies outside the 8-byte file"));
    TRY(load_fails(junk, 16, BACKDROP_EINVAL, "table at 16 lies outside the 16-byte file"));
    /* root at 8, soffset 0: the vtable is the table itself, of size 0 */
    static const uint8_t self[16] = { 8, 0, 0, 0, 'T', 'F', 'L', '3' };
    TRY(load_fails(self, 16, BACKDROP_EINVAL, "vtable at 8 has an invalid size 0"));
    /* soffset pointing before the file */
    static const uint8_t before[16] = { 8, 0, 0, 0, 'T', 'F', 'L', '3', 64 };
    TRY(load_fails(before, 16, BACKDROP_EINVAL, "vtable of the table at 8 lies outside the file"));
    /* The size check comes before any read: a claimed size over 256 MiB
     * is refused without touching the (small) buffer. */
    TRY(load_fails(junk, ((size_t)256 << 20) + 1, BACKDROP_ENOTSUP, "exceeds"));
    /* NULL graph, NULL err */
    CHECK_INT(nn_graph_load_tflite(NULL, junk, sizeof(junk), NULL, 0), BACKDROP_EINVAL);
    NnGraph *g = new_graph();
    CHECK_INT(nn_graph_load_tflite(g, junk, sizeof(junk), NULL, 0), BACKDROP_EINVAL);
    nn_graph_free(NULL);
    nn_graph_free(g);
    nn_graph_free(g);
    CHECK(graph_is_empty(g), "free leaves an empty graph");
    CHECK(!strcmp(nn_op_name(NN_OP_TRANSPOSE_CONV_BIAS), "TRANSPOSE_CONV_BIAS") &&
              !strcmp(nn_op_name(NN_OP_COUNT), "UNKNOWN") && !strcmp(nn_op_name((NnOpType)-1), "UNKNOWN"),
          "op names");
    return UNIT_PASS;
}

/* One edit of the mini model per case, each refused with its reason. */
static const int32_t size_zero[2] = { 0, 8 }, size_huge[2] = { 20000, 8 }, size_odd[2] = { 8, 9 },
                     axes_13[2] = { 1, 3 };
static const uint8_t tconv_short[8] = { 1, 0, 0, 0, 2, 0, 0, 0 };
static const uint8_t tconv_pad0[12] = { 0, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0 };

static void edit_mini(TbModel *m, int id)
{
    TbOp *ops = m->ops;
    TbTensor *t = m->tensors;
    switch (id) {
    case 0: t[MINI_C0].rank = 0; break;
    case 1: t[MINI_H0].rank = 5, t[MINI_H0].shape[4] = 1; break;
    case 2: t[MINI_D0].shape[1] = 0; break;
    case 3: t[MINI_D0].shape[2] = -3; break;
    case 4: t[MINI_R0].shape[1] = 65536, t[MINI_R0].shape[2] = 65536; break;
    case 5: for (int d = 0; d < 4; d++) t[MINI_R0].shape[d] = 0x7fffffff; break;
    case 6: t[MINI_WD].buffer = 999; break;
    case 7: t[MINI_WD].data_size -= 4; break;
    case 8: t[MINI_WD].type = TB_INT8; break;
    case 9: t[MINI_C0].type = TB_FLOAT16; break;
    case 10: ops[MINI_OP_HSWISH].inputs[0] = MINI_AXES; break;
    case 11: ops[MINI_OP_CONV0].inputs[1] = MINI_W0H; break;
    case 12: ops[MINI_OP_RELU].force_opcode_index = 1, ops[MINI_OP_RELU].opcode_index = 40; break;
    case 13: ops[MINI_OP_RELU].inputs[0] = 99; break;
    case 14: ops[MINI_OP_RELU].inputs[0] = -1; break;
    case 15: ops[MINI_OP_RELU].outputs[0] = -1; break;
    case 16: ops[MINI_OP_ADD].num_inputs = 1; break;
    case 17: ops[MINI_OP_RELU].num_outputs = 2, ops[MINI_OP_RELU].outputs[1] = MINI_P0; break;
    case 18: t[MINI_WC].shape[3] = 2, t[MINI_WC].data_size = 32; break;
    case 19: t[MINI_BC].shape[0] = 3, t[MINI_BC].data_size = 12; break;
    case 20: t[MINI_C0].shape[1] = 3; break;
    case 21: tb_field(&ops[MINI_OP_POOL], 3, TB_I32)->value = 5, tb_field(&ops[MINI_OP_POOL], 4, TB_I32)->value = 5; break;
    case 22: t[MINI_P0].shape[1] = 2; break;
    case 23: ops[MINI_OP_MUL].inputs[1] = MINI_C1; break;
    case 24: ops[MINI_OP_ADD_BCAST].inputs[1] = MINI_WD; break; /* a constant [1,3,3,4] */
    case 25: t[MINI_SIZE].data = size_zero; break;
    case 26: t[MINI_SIZE].data = size_huge; break;
    case 27: t[MINI_SIZE].data = size_odd; break;
    case 28: tb_field(&ops[MINI_OP_RESIZE], 2, TB_I8)->value = 1; break;
    case 29: tb_field(&ops[MINI_OP_CONV0], 3, TB_I8)->value = 4; break;
    case 30: tb_field(&ops[MINI_OP_CONV0], 3, TB_I8)->value = 9; break;
    case 31: tb_field(&ops[MINI_OP_CONV0], 0, TB_I8)->value = 2; break;
    case 32: tb_field(&ops[MINI_OP_CONV0], 1, TB_I32)->value = 0; break;
    case 33: ops[MINI_OP_CONV0].options_type = TB_OPT_POOL_2D; break;
    case 34: { TbOp tmp = ops[MINI_OP_CONV0]; ops[MINI_OP_CONV0] = ops[MINI_OP_HSWISH]; ops[MINI_OP_HSWISH] = tmp; } break;
    case 35: ops[MINI_OP_RELU].outputs[0] = MINI_H0; break;
    case 36: ops[MINI_OP_RELU].outputs[0] = MINI_WD; break;
    case 37: ops[MINI_OP_RELU].outputs[0] = MINI_IN; break;
    case 38: m->num_inputs = 2, m->inputs[1] = MINI_C0; break;
    case 39: m->num_outputs = 0; break;
    case 40: t[MINI_IN].shape[3] = 4; break;
    case 41: m->num_ops--; break;
    case 42: m->version = 2; break;
    case 43: m->num_subgraphs = 2; break;
    case 44: ops[MINI_OP_TCONV].custom_options = tconv_short, ops[MINI_OP_TCONV].custom_options_size = 8; break;
    case 45: ops[MINI_OP_TCONV].custom_options = tconv_pad0; break;
    case 46: t[MINI_T0].shape[1] = 15, t[MINI_OUT].shape[1] = 15; break;
    case 47: ops[MINI_OP_DEQ_W0].inputs[0] = MINI_IN; break;
    case 48: tb_field(&ops[MINI_OP_MEAN], 0, TB_I8)->value = 0; break;
    case 49: t[MINI_AXES].data = axes_13; break;
    case 50: tb_field(&ops[MINI_OP_DW], 3, TB_I32)->value = 2; break;
    case 51: tb_field(&ops[MINI_OP_CONV0], 5, TB_I32)->value = 0; break;
    case 52: ops[MINI_OP_HSWISH].inputs[0] = MINI_WD; break;
    case 53: m->num_subgraphs = 0; break;
    case 54: ops[MINI_OP_CONV0].num_inputs = 1; break;
    case 55: m->outputs[0] = MINI_W0; break;
    case 56: ops[MINI_OP_RELU].num_inputs = 9; break;
    default: break;
    }
}

static int test_tflite_error_cases(void)
{
    static const struct { int code; const char *msg; } cases[] = {
        /* 0 */ { BACKDROP_ENOTSUP, "tensor 5 'conv0': rank 0; supported ranks are 1 to 4" },
        { BACKDROP_ENOTSUP, "tensor 6 'hswish': rank 5" },
        { BACKDROP_EINVAL, "tensor 8 'dw': dimension 1 is 0; dimensions must be positive" },
        { BACKDROP_EINVAL, "dimension 2 is -3" },
        { BACKDROP_ENOTSUP, "tensor 9 'relu': more than 67108864 elements" },
        /* 5 */ { BACKDROP_ENOTSUP, "more than 67108864 elements" },
        { BACKDROP_EINVAL, "tensor 7 'dw/Kernel': buffer index 999 is out of range (11 buffers)" },
        { BACKDROP_EINVAL, "tensor 7 'dw/Kernel': buffer 3 holds 140 bytes, shape needs 144" },
        { BACKDROP_ENOTSUP, "tensor 7 'dw/Kernel': type INT8 (9) is not supported" },
        { BACKDROP_ENOTSUP, "tensor 5 'conv0': FLOAT16 tensors must be constants" },
        /* 10 */ { BACKDROP_EINVAL, "operator 3 (HARD_SWISH): input tensor 16 'mean/Axes' is INT32, expected FLOAT32" },
        { BACKDROP_ENOTSUP, "operator 2 (CONV_2D): filter tensor 1 'conv0/Kernel' is FLOAT16, expected FLOAT32" },
        { BACKDROP_EINVAL, "operator 5: opcode index 40 is out of range" },
        { BACKDROP_EINVAL, "operator 5 (RELU): input 0 is tensor 99, out of range (27 tensors)" },
        { BACKDROP_EINVAL, "operator 5 (RELU): input (input 0) is missing (-1)" },
        /* 15 */ { BACKDROP_EINVAL, "operator 5 (RELU): output is missing (-1)" },
        { BACKDROP_EINVAL, "operator 12 (ADD): 1 inputs, expected 2" },
        { BACKDROP_EINVAL, "operator 5 (RELU): 2 outputs, expected 1" },
        { BACKDROP_EINVAL, "operator 7 (CONV_2D): filter has 2 input channels, input has 4" },
        { BACKDROP_EINVAL, "operator 7 (CONV_2D): bias tensor 12 'se/Bias' has shape [3], expected [4]" },
        /* 20 */ { BACKDROP_EINVAL, "operator 2 (CONV_2D): output height is 3; SAME padding, stride 2 and window 3 give 4" },
        { BACKDROP_EINVAL, "operator 6 (AVERAGE_POOL_2D): filter 5x5 does not fit the 4x4 input" },
        { BACKDROP_EINVAL, "operator 6 (AVERAGE_POOL_2D): output height is 2; VALID padding" },
        { BACKDROP_EINVAL, "operator 9 (MUL): neither operand has the output shape [1,4,4,4]" },
        { BACKDROP_EINVAL, "operator 11 (ADD): operand tensor 7 'dw/Kernel' has shape [1,3,3,4], expected [1,4,4,4] or [1,1,1,4]" },
        /* 25 */ { BACKDROP_EINVAL, "operator 13 (RESIZE_BILINEAR): size 0x8 is outside 1..16384" },
        { BACKDROP_EINVAL, "size 20000x8 is outside 1..16384" },
        { BACKDROP_EINVAL, "operator 13 (RESIZE_BILINEAR): output tensor 21 'up' has shape [1,8,8,4], expected [1,8,9,4]" },
        { BACKDROP_EINVAL, "align_corners and half_pixel_centers are both set" },
        { BACKDROP_ENOTSUP, "operator 2 (CONV_2D): fused activation TANH is not supported" },
        /* 30 */ { BACKDROP_EINVAL, "fused activation 9 is invalid" },
        { BACKDROP_EINVAL, "operator 2 (CONV_2D): padding 2 is invalid" },
        { BACKDROP_EINVAL, "width stride 0 must be positive" },
        { BACKDROP_EINVAL, "builtin options of union type 5, expected 1" },
        { BACKDROP_EINVAL, "operator 2 (HARD_SWISH): input tensor 5 'conv0' is used before any operator writes it" },
        /* 35 */ { BACKDROP_EINVAL, "operator 5 (RELU): output tensor 6 'hswish' is already written by an earlier operator" },
        { BACKDROP_EINVAL, "output tensor 7 'dw/Kernel' is a constant" },
        { BACKDROP_EINVAL, "output tensor 0 'input' is the graph input" },
        { BACKDROP_ENOTSUP, "subgraph 0: 2 graph inputs; exactly one is supported" },
        { BACKDROP_EINVAL, "subgraph 0: 0 graph outputs" },
        /* 40 */ { BACKDROP_ENOTSUP, "graph input tensor 0 'input' has shape [1,8,8,4] (rank 4); expected [1,H,W,3]" },
        { BACKDROP_EINVAL, "graph output tensor 25 'output' is not written by any operator" },
        { BACKDROP_ENOTSUP, "schema version 2, expected 3" },
        { BACKDROP_ENOTSUP, "2 subgraphs; only single-graph models are supported" },
        { BACKDROP_EINVAL, "operator 14 (Convolution2DTransposeBias): custom options hold 8 bytes, expected 12" },
        /* 45 */ { BACKDROP_EINVAL, "custom option padding 0 is invalid" },
        { BACKDROP_EINVAL, "operator 14 (Convolution2DTransposeBias): output height is 15, the operator gives 16" },
        { BACKDROP_ENOTSUP, "operator 0 (DEQUANTIZE): only FLOAT16 constants can be dequantized" },
        { BACKDROP_ENOTSUP, "MEAN without keep_dims is not supported" },
        { BACKDROP_ENOTSUP, "only MEAN over axes {1, 2} is supported (axis 3)" },
        /* 50 */ { BACKDROP_EINVAL, "depth_multiplier 2, but the shapes give 1" },
        { BACKDROP_EINVAL, "height dilation 0 must be positive" },
        { BACKDROP_ENOTSUP, "operator 3 (HARD_SWISH): input tensor 7 'dw/Kernel' is a constant" },
        { BACKDROP_EINVAL, "no subgraph" },
        { BACKDROP_EINVAL, "operator 2 (CONV_2D): 1 inputs, expected 2 to 3" },
        /* 55 */ { BACKDROP_ENOTSUP, "graph output tensor 2 'conv0/Kernel_dequantize' has shape [4,3,3,3] (rank 4); expected [1,H,W,1]" },
        { BACKDROP_EINVAL, "operator 5 (RELU): 9 inputs and 1 outputs; at most 8" },
    };
    for (int c = 0; c < (int)(sizeof(cases) / sizeof(cases[0])); c++) {
        TbModel m;
        tb_mini_model(&m, 0);
        edit_mini(&m, c);
        size_t size;
        const uint8_t *data = serialize(&m, &size);
        CHECK(data, "serialize");
        int status = load_fails(data, size, cases[c].code, cases[c].msg);
        CHECK(status == UNIT_PASS, "case %d", c);
    }
    return UNIT_PASS;
}

/* Every truncation and every single-byte change of the mini model (three
 * masks per byte): an error or a valid graph, never a crash. */
static int test_tflite_mutated_mini(void)
{
    TbModel m;
    int loaded = 0, refused = 0;
    for (int variant = 0; variant < 2; variant++) {
        tb_mini_model(&m, variant);
        size_t size;
        const uint8_t *data = serialize(&m, &size);
        CHECK(data, "serialize");
        uint8_t *copy = unit_alloc(size);
        for (size_t n = 0; n < size; n++) {
            int status;
            CHECK(!load_any(data, n, &status), "truncated to %zu bytes but loaded", n);
            CHECK(status == UNIT_PASS, "truncated to %zu", n);
        }
        memcpy(copy, data, size);
        static const uint8_t masks[] = { 0x01, 0x80, 0xff };
        for (size_t pos = 0; pos < size; pos++) {
            for (size_t k = 0; k < sizeof(masks); k++) {
                int status;
                copy[pos] ^= masks[k];
                if (load_any(copy, size, &status))
                    loaded++;
                else
                    refused++;
                copy[pos] ^= masks[k];
                CHECK(status == UNIT_PASS, "variant %d byte %zu ^ 0x%02x", variant, pos, masks[k]);
            }
        }
    }
    printf("mutated mini: %d loaded, %d refused\n", loaded, refused);
    return UNIT_PASS;
}

const UnitTest tflite_tests[] = {
    UNIT_TEST(tflite_general_model),
    UNIT_TEST(tflite_landscape_model),
    UNIT_TEST(tflite_truncated_model),
    UNIT_TEST(tflite_flipped_model),
    UNIT_TEST(tflite_edited_model),
    UNIT_TEST(tflite_mini_model),
    UNIT_TEST(tflite_builtin_transpose_conv),
    UNIT_TEST(tflite_half_exhaustive),
    UNIT_TEST(tflite_unsupported_op),
    UNIT_TEST(tflite_bad_input),
    UNIT_TEST(tflite_error_cases),
    UNIT_TEST(tflite_mutated_mini),
    UNIT_TESTS_END
};
