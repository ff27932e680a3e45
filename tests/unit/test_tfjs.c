/*
 * The TF.js graph-model reader (src/nn/format/tfjs.c), called directly.
 *
 * The tiny model (tests/fuzz/tfjs_tiny.h) is read and compared field by
 * field; each error case edits one thing in its JSON (or its shard bytes)
 * and expects the code and the words of the reason. Every model that
 * reads is judged by the independent checker tests/fuzz/tfjs_check.c.
 *
 * The real model: Robust Video Matting, rvm.json + rvm.bin, from
 * $BACKDROP_MODEL_DIR or ${XDG_CACHE_HOME:-$HOME/.cache}/backdrop/models
 * (scripts/fetch-models.sh rvm); skipped when absent. Expected numbers come
 * from shared/golden/rvm/ops.txt (op counts) and from /usr/bin/python3
 * (json + the raw bytes of rvm.bin), not from the reader.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backdrop/backdrop.h"
#include "nn/format/tfjs.h"
#include "suites.h"
#include "util.h"
#include "tfjs_check.h"
#include "tfjs_tiny.h"

/* ---- helpers ----------------------------------------------------------- */

static TfjsModel *new_model(void)
{
    TfjsModel *m = unit_alloc(sizeof(*m));
    unit_defer(release_tfjs_model, m);
    return m;
}

/* Reads json + bin (split at split into two files, or one file when
 * split is -1) and checks the result: 0 and a valid model, or code with
 * an empty model and a one-line message containing want. */
static int read_case(TfjsModel *m, const char *json, size_t json_size, const uint8_t *bin, size_t bin_size,
                     long split, int code, const char *want)
{
    const uint8_t *shards[2] = { bin, bin + (split < 0 ? 0 : split) };
    size_t sizes[2] = { split < 0 ? bin_size : (size_t)split, split < 0 ? 0 : bin_size - (size_t)split };
    char err[256] = "", why[256] = "";
    int e = tfjs_model_read(m, (const uint8_t *)json, json_size, shards, sizes, split < 0 ? 1 : 2, err, sizeof(err));
    CHECK(e == code, "read returned %d, expected %d (message: %s)", e, code, err);
    if (code == 0) {
        CHECK(!err[0], "message '%s' on success", err);
        CHECK(!tfjs_model_check(m, why, sizeof(why)), "invariant violated: %s", why);
    } else {
        CHECK(tfjs_model_is_empty(m), "model not left empty after an error");
        CHECK(err[0] && !strchr(err, '\n'), "message '%s' is empty or not one line", err);
        CHECK(!want || strstr(err, want), "message '%s' lacks '%s'", err, want);
    }
    return UNIT_PASS;
}

/* The tiny model's JSON with the first occurrence of from replaced by to. */
static char *edited(const char *from, const char *to)
{
    const char *at = strstr(tfjs_tiny_json, from);
    if (!at)
        return NULL;
    size_t head = (size_t)(at - tfjs_tiny_json), nf = strlen(from), nt = strlen(to);
    char *s = unit_alloc(sizeof(tfjs_tiny_json) - nf + nt);
    memcpy(s, tfjs_tiny_json, head);
    memcpy(s + head, to, nt);
    strcpy(s + head + nt, at + nf);
    return s;
}

static int node_of(const TfjsModel *m, const char *name)
{
    return tfjs_model_find_node(m, name);
}

/* ---- the tiny model ---------------------------------------------------- */

static int same_float(float a, float b)
{
    return memcmp(&a, &b, sizeof(a)) == 0;
}

static int test_tfjs_tiny_model(void)
{
    TfjsModel *m = new_model();
    TRY(read_case(m, tfjs_tiny_json, strlen(tfjs_tiny_json), tfjs_tiny_bin, sizeof(tfjs_tiny_bin), TFJS_TINY_SPLIT, 0,
                  NULL));
    static const char *names[] = { "x", "w", "h", "k", "s", "r", "t", "m", "a", "sp", "o" };
    static const char *opnames[] = { "Placeholder", "Const", "Const", "Const", "Const", "Const", "Const", "Mul",
                                     "_FusedConv2D", "Split", "Identity" };
    CHECK_INT(m->num_nodes, 11);
    for (int i = 0; i < 11; i++) {
        CHECK(!strcmp(m->nodes[i].name, names[i]), "node %d is '%s'", i, m->nodes[i].name);
        CHECK(!strcmp(m->nodes[i].op, opnames[i]), "node %d op '%s'", i, m->nodes[i].op);
        CHECK_INT(m->nodes[i].weight, i >= 1 && i <= 6 ? i - 1 : -1);
    }
    /* inputs: a <- m, h, ^k;  o <- sp:1, ^m, r, t */
    const TfjsNode *a = &m->nodes[node_of(m, "a")], *o = &m->nodes[node_of(m, "o")];
    CHECK_INT(a->num_inputs, 3);
    CHECK(a->inputs[0].node == 7 && a->inputs[0].output == 0 && !a->inputs[0].control, "a input 0");
    CHECK(a->inputs[1].node == 2 && !a->inputs[1].control, "a input 1");
    CHECK(a->inputs[2].node == 3 && a->inputs[2].output == 0 && a->inputs[2].control, "a input 2");
    CHECK_INT(o->num_inputs, 4);
    CHECK(o->inputs[0].node == 9 && o->inputs[0].output == 1 && !o->inputs[0].control, "o input 0");
    CHECK(o->inputs[1].node == 7 && o->inputs[1].control, "o input 1");
    CHECK_INT(m->nodes[node_of(m, "m")].num_attrs, 0);
    /* attributes of every kind */
    CHECK_INT(a->num_attrs, 11);
    const TfjsAttr *t;
    CHECK((t = tfjs_node_attr(a, "T")) && t->kind == TFJS_ATTR_TYPE && t->type == TFJS_DT_FLOAT, "T");
    CHECK((t = tfjs_node_attr(a, "epsilon")) && t->kind == TFJS_ATTR_FLOAT && t->f == 0.5, "epsilon");
    CHECK((t = tfjs_node_attr(a, "use_cudnn_on_gpu")) && t->kind == TFJS_ATTR_BOOL && t->b == 1, "bool");
    CHECK((t = tfjs_node_attr(a, "num_args")) && t->kind == TFJS_ATTR_INT && t->i == 1, "num_args");
    CHECK((t = tfjs_node_attr(a, "padding")) && t->kind == TFJS_ATTR_STRING && !strcmp(t->s, "SAME"), "padding");
    CHECK((t = tfjs_node_attr(a, "strides")) && t->kind == TFJS_ATTR_LIST_INT && t->count == 3 && t->ints[0] == 1 &&
              t->ints[1] == 2 && t->ints[2] == 3, "strides");
    CHECK((t = tfjs_node_attr(a, "fused_ops")) && t->kind == TFJS_ATTR_LIST_STRING && t->count == 2 &&
              !strcmp(t->strings[0], "BiasAdd") && !strcmp(t->strings[1], "Relu"), "fused_ops");
    CHECK((t = tfjs_node_attr(a, "ratios")) && t->kind == TFJS_ATTR_LIST_FLOAT && t->count == 2 &&
              t->floats[0] == 0.25 && isinf(t->floats[1]) && t->floats[1] < 0, "ratios");
    CHECK((t = tfjs_node_attr(a, "types")) && t->kind == TFJS_ATTR_LIST_TYPE && t->count == 2 &&
              t->types[0] == TFJS_DT_INT32 && t->types[1] == TFJS_DT_BOOL, "types");
    CHECK((t = tfjs_node_attr(a, "explicit_paddings")) && t->kind == TFJS_ATTR_LIST_EMPTY && t->count == 0, "empty");
    CHECK((t = tfjs_node_attr(a, "out_shape")) && t->kind == TFJS_ATTR_SHAPE && t->rank == -1, "unknown rank");
    const TfjsNode *x = &m->nodes[0];
    CHECK((t = tfjs_node_attr(x, "shape")) && t->kind == TFJS_ATTR_SHAPE && t->rank == 2 && t->dims[0] == -1 &&
              t->dims[1] == 2, "placeholder shape");
    CHECK((t = tfjs_node_attr(&m->nodes[1], "value")) && t->kind == TFJS_ATTR_TENSOR && t->type == TFJS_DT_FLOAT &&
              t->rank == 2 && t->dims[0] == 2 && t->dims[1] == 2, "tensor attr");
    CHECK((t = tfjs_node_attr(&m->nodes[5], "value")) && t->kind == TFJS_ATTR_TENSOR && t->rank == 0, "scalar");
    CHECK(!tfjs_node_attr(a, "nothing"), "absent attribute found");
    CHECK_INT(m->num_inputs, 1);
    CHECK(!strcmp(m->inputs[0].key, "x") && m->inputs[0].node == 0 && m->inputs[0].output == 0, "input port");
    CHECK_INT(m->num_outputs, 2);
    CHECK(!strcmp(m->outputs[0].key, "y") && m->outputs[0].node == 10 && m->outputs[0].output == 0, "port y");
    CHECK(!strcmp(m->outputs[1].key, "z") && m->outputs[1].node == 9 && m->outputs[1].output == 1, "port z");

    /* weights: expected values from the bytes of tfjs_tiny.h, by the
     * formulas of TF.js io.decodeWeights */
    CHECK_INT(m->num_weights, 6);
    const TfjsWeight *w = m->weights;
    CHECK(!strcmp(w[0].name, "w") && w[0].rank == 2 && w[0].shape[0] == 2 && w[0].shape[1] == 2 && w[0].count == 4 &&
              w[0].dtype == TFJS_FLOAT32 && w[0].quant == TFJS_QUANT_UINT8 && w[0].min == -1.0 && w[0].scale == 0.5,
          "weight w");
    static const float wv[4] = { -1.0f, -0.5f, 0.0f, 126.5f };
    for (int i = 0; i < 4; i++)
        CHECK(same_float(w[0].f32[i], wv[i]), "w[%d] = %.9g, expected %.9g", i, w[0].f32[i], wv[i]);
    /* float16: 1, -2 and the smallest subnormal 2^-24 */
    CHECK(w[1].quant == TFJS_QUANT_FLOAT16 && w[1].count == 3, "weight h");
    CHECK(same_float(w[1].f32[0], 1.0f) && same_float(w[1].f32[1], -2.0f) &&
              same_float(w[1].f32[2], 5.9604644775390625e-8f), "h = %.9g %.9g %.9g", w[1].f32[0], w[1].f32[1],
          w[1].f32[2]);
    /* uint16: 12345 * 0.001 + 0.25 in double, rounded once */
    double k = 12345.0 * 0.001;
    k += 0.25;
    CHECK(w[2].quant == TFJS_QUANT_UINT16 && w[2].count == 1 && same_float(w[2].f32[0], (float)k), "k = %.9g",
          w[2].f32[0]);
    CHECK(w[3].dtype == TFJS_INT32 && w[3].count == 2 && w[3].i32[0] == 1 && w[3].i32[1] == -3, "weight s");
    CHECK(w[4].dtype == TFJS_FLOAT32 && w[4].rank == 0 && w[4].count == 1 && w[4].f32[0] == 2.5f, "weight r");
    CHECK(w[5].dtype == TFJS_BOOL && w[5].count == 2 && w[5].i32[0] == 0 && w[5].i32[1] == 1, "weight t");
    for (int i = 0; i < 6; i++)
        CHECK_INT(w[i].node, i + 1);

    /* one file, and the split anywhere: the same values */
    for (long split = 0; split <= (long)sizeof(tfjs_tiny_bin); split++) {
        TfjsModel *m2 = new_model();
        TRY(read_case(m2, tfjs_tiny_json, strlen(tfjs_tiny_json), tfjs_tiny_bin, sizeof(tfjs_tiny_bin), split, 0,
                      NULL));
        for (int i = 0; i < 6; i++)
            CHECK(m2->weights[i].f32 ? !memcmp(m2->weights[i].f32, w[i].f32, w[i].count * 4)
                                     : !memcmp(m2->weights[i].i32, w[i].i32, w[i].count * 4),
                  "split %ld: weight %d differs", split, i);
    }
    return UNIT_PASS;
}

/* Every float16 pattern against the definition: (-1)^s * 2^(e-15) *
 * (1 + m/1024), subnormals 2^-14 * m/1024, e = 31 infinite or NaN. */
static int test_tfjs_float16_all(void)
{
    char json[1024];
    snprintf(json, sizeof(json),
             "{\"format\": \"graph-model\", \"modelTopology\": {\"node\": [{\"name\": \"c\", \"op\": \"Const\"}]},"
             " \"weightsManifest\": [{\"paths\": [\"1.bin\"], \"weights\": [{\"name\": \"c\", \"shape\": [65536],"
             " \"dtype\": \"float32\", \"quantization\": {\"dtype\": \"float16\"}}]}]}");
    uint8_t *bin = unit_alloc(131072);
    for (int h = 0; h < 65536; h++) {
        bin[2 * h] = (uint8_t)h;
        bin[2 * h + 1] = (uint8_t)(h >> 8);
    }
    TfjsModel *m = new_model();
    TRY(read_case(m, json, strlen(json), bin, 131072, -1, 0, NULL));
    for (int h = 0; h < 65536; h++) {
        int e = (h >> 10) & 31, mant = h & 1023;
        double v = e == 31 ? (mant ? NAN : INFINITY)
                 : e == 0 ? ldexp(mant / 1024.0, -14) : ldexp(1.0 + mant / 1024.0, e - 15);
        if (h & 0x8000)
            v = -v;
        float got = m->weights[0].f32[h];
        CHECK(isnan(v) ? isnan(got) : same_float(got, (float)v), "half 0x%04x -> %.9g, expected %.9g", h, got, v);
    }
    return UNIT_PASS;
}

/* ---- errors ------------------------------------------------------------ */

typedef struct EditCase {
    const char *from, *to;
    int code;
    const char *want;
} EditCase;

static int test_tfjs_error_cases(void)
{
    static const EditCase cases[] = {
        { "\"graph-model\"", "\"layers-model\"", BACKDROP_EINVAL, "not 'graph-model'" },
        { "\"format\": \"graph-model\",", "", BACKDROP_EINVAL, "not 'graph-model'" },
        { "[\"x\", \"w\"]", "[\"x\", \"nowhere\"]", BACKDROP_EINVAL, "node 'm' input: 'nowhere' names no node" },
        { "[\"x\", \"w\"]", "[\"x\", \"w:\"]", BACKDROP_EINVAL, "node 'm' input: 'w:' has a bad output index" },
        { "[\"x\", \"w\"]", "[\"x\", \"w:-1\"]", BACKDROP_EINVAL, "'w:-1' has a bad output index" },
        { "[\"x\", \"w\"]", "[\"x\", \"w:1x\"]", BACKDROP_EINVAL, "'w:1x' has a bad output index" },
        { "[\"x\", \"w\"]", "[\"x\", \"w:65536\"]", BACKDROP_EINVAL, "'w:65536' has a bad output index" },
        { "[\"x\", \"w\"]", "[\"x\", \"^w:0\"]", BACKDROP_EINVAL, "'^w:0' has a bad output index" },
        { "[\"x\", \"w\"]", "[\"x\", 3]", BACKDROP_EINVAL, "node 'm' input 1 is not a string" },
        { "[\"x\", \"w\"]", "[\"x\", \"\"]", BACKDROP_EINVAL, "node 'm' input: reference '' is empty" },
        { "\"name\": \"k\"", "\"name\": \"h\"", BACKDROP_EINVAL, "nodes 2 and 3 are both named 'h'" },
        { "\"name\": \"k\"", "\"name\": \"k:0\"", BACKDROP_EINVAL, "node 3: name 'k:0' contains ':'" },
        { "\"name\": \"k\"", "\"nome\": \"k\"", BACKDROP_EINVAL, "node 3 has no name" },
        { "\"name\": \"k\"", "\"name\": \"k\\n\"", BACKDROP_EINVAL, "not printable ASCII" },
        { "\"op\": \"Mul\"", "\"op\": \"MatMul\"", BACKDROP_ENOTSUP, "node 'm': op 'MatMul' is not supported" },
        { "\"op\": \"Mul\"", "\"op\": 7", BACKDROP_EINVAL, "node 'm': \"op\" is not a string" },
        { "\"op\": \"Mul\", ", "", BACKDROP_EINVAL, "node 'm' has no op" },
        { "\"dtype\": \"int32\"", "\"dtype\": \"int33\"", BACKDROP_EINVAL, "weight 's': unknown dtype 'int33'" },
        { "\"dtype\": \"int32\"", "\"dtype\": \"string\"", BACKDROP_ENOTSUP, "weight 's': dtype 'string'" },
        { "\"shape\": [2], \"dtype\": \"int32\"", "\"shape\": [-2], \"dtype\": \"int32\"", BACKDROP_EINVAL,
          "weight 's': dim 0 is not an integer" },
        { "\"shape\": [2], \"dtype\": \"int32\"", "\"shape\": [2.5], \"dtype\": \"int32\"", BACKDROP_EINVAL,
          "weight 's': dim 0 is not an integer" },
        { "\"shape\": [2], \"dtype\": \"int32\"",
          "\"shape\": [2147483647, 2147483647, 2147483647], \"dtype\": \"int32\"", BACKDROP_EINVAL,
          "weight 's': shape has too many elements" },
        { "\"shape\": [2], \"dtype\": \"int32\"", "\"shape\": [1, 1, 1, 1, 1, 1, 1, 1, 1], \"dtype\": \"int32\"",
          BACKDROP_ENOTSUP, "weight 's': rank 9 is over 8" },
        { "{\"size\": \"2\"}, {\"size\": \"2\"}]}}}", "{\"size\": \"2\"}, {\"size\": \"1\"}]}}}", BACKDROP_EINVAL,
          "Const node 'w': dtype or shape differs" },
        { "{\"name\": \"t\", \"shape\": [2], \"dtype\": \"bool\"}", "{\"name\": \"u\", \"shape\": [2], \"dtype\": \"bool\"}",
          BACKDROP_EINVAL, "Const node 't' has no weight of that name" },
        { "{\"name\": \"t\", \"shape\": [2], \"dtype\": \"bool\"}", "{\"name\": \"s\", \"shape\": [2], \"dtype\": \"bool\"}",
          BACKDROP_EINVAL, "weight 's' appears twice" },
        { "\"dtype\": \"uint8\"", "\"dtype\": \"int4\"", BACKDROP_ENOTSUP, "quantization dtype 'int4'" },
        { "\"scale\": 0.5", "\"scale\": -0.5", BACKDROP_EINVAL, "weight 'w': quantization min -1 / scale -0.5" },
        { "\"scale\": 0.5", "\"scale\": \"NaN\"", BACKDROP_EINVAL, "weight 'w': quantization min -1 / scale nan" },
        { "\"min\": -1.0, ", "", BACKDROP_EINVAL, "weight 'w': quantization min or scale missing" },
        { "{\"name\": \"s\", \"shape\": [2], \"dtype\": \"int32\"}",
          "{\"name\": \"s\", \"shape\": [2], \"dtype\": \"int32\", \"quantization\": {\"dtype\": \"uint8\", \"min\": 0,"
          " \"scale\": 1}}", BACKDROP_ENOTSUP, "weight 's': only float32 weights may be quantised" },
        { "\"DT_INT32\"}}}", "\"DT_INT7\"}}}", BACKDROP_ENOTSUP, "node 's' attribute 'dtype': unknown type" },
        { "\"DT_INT32\"}}}", "\"DT_FLOAT\"}}}", BACKDROP_EINVAL, "Const node 's': dtype or shape differs" },
        { "{\"i\": \"2\"}", "{\"i\": \"2x\"}", BACKDROP_EINVAL, "node 'sp' attribute 'num_split': \"i\" is not" },
        { "{\"i\": \"2\"}", "{\"i\": \"2\", \"f\": 1}", BACKDROP_EINVAL, "not an object with one member" },
        { "{\"i\": \"2\"}", "{\"func\": {}}", BACKDROP_ENOTSUP, "attribute of an unsupported kind" },
        { "\"U0FNRQ==\"", "\"U0F*RQ==\"", BACKDROP_EINVAL, "'padding': \"s\" is not base64" },
        { "\"U0FNRQ==\"", "\"AA==\"", BACKDROP_EINVAL, "'padding': \"s\" is not base64 of a NUL-free string" },
        { "{\"dtype\": \"DT_FLOAT\", \"tensorShape\": {}}", "{\"dtype\": \"DT_FLOAT\", \"floatVal\": [2.5]}",
          BACKDROP_ENOTSUP, "node 'r' attribute 'value': inline tensor values are not supported" },
        { "{\"size\": \"-1\"}", "{\"size\": \"-2\"}", BACKDROP_EINVAL, "attribute 'shape': dim 0 is -2" },
        { "[\"m\", \"h\", \"^k\"]", "[\"o\", \"h\", \"^k\"]", BACKDROP_EINVAL, "the graph has a cycle through node" },
        { "[\"x\", \"w\"]", "[\"m\", \"w\"]", BACKDROP_EINVAL, "the graph has a cycle through node 'm'" },
        { "\"x:0\", \"dtype\"", "\"m:0\", \"dtype\"", BACKDROP_EINVAL,
          "signature input 'x': node 'm' is a Mul, not a Placeholder" },
        { "\"o:0\"", "\"q:0\"", BACKDROP_EINVAL, "signature output 'y': 'q:0' names no node" },
        { "\"o:0\"", "\"o:k\"", BACKDROP_EINVAL, "signature output 'y': 'o:k' has a bad output index" },
        { "{\"name\": \"o:0\"}", "{\"nam\": \"o:0\"}", BACKDROP_EINVAL, "signature output 'y' has no \"name\"" },
        { "\"paths\": [\"a.bin\", \"b.bin\"]", "\"paths\": [\"a.bin\"]", BACKDROP_EINVAL,
          "the manifest lists 1 weight file(s), 2 given" },
        { "\"node\": [", "\"node\": [{\"name\": \"z\", \"op\": \"Const\"}, ", BACKDROP_EINVAL,
          "Const node 'z' has no weight of that name" },
        { "\"modelTopology\"", "\"modelTopologie\"", BACKDROP_EINVAL, "no \"modelTopology\" object" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const EditCase *c = &cases[i];
        char *json = edited(c->from, c->to);
        CHECK(json, "case %zu: '%s' not in the tiny model", i, c->from);
        TfjsModel *m = new_model();
        int status = read_case(m, json, strlen(json), tfjs_tiny_bin, sizeof(tfjs_tiny_bin), TFJS_TINY_SPLIT, c->code,
                               c->want);
        CHECK(status == UNIT_PASS, "case %zu: '%s' -> '%s'", i, c->from, c->to);
    }
    return UNIT_PASS;
}

/* The shards must hold exactly the weights' bytes. */
static int test_tfjs_shard_sizes(void)
{
    uint8_t bin[sizeof(tfjs_tiny_bin) + 1];
    memcpy(bin, tfjs_tiny_bin, sizeof(tfjs_tiny_bin));
    bin[sizeof(tfjs_tiny_bin)] = 0;
    size_t len = strlen(tfjs_tiny_json);
    TfjsModel *m = new_model();
    /* one byte short: the last weight (t, 2 bytes at byte 24) does not fit */
    TRY(read_case(m, tfjs_tiny_json, len, bin, sizeof(tfjs_tiny_bin) - 1, TFJS_TINY_SPLIT, BACKDROP_EINVAL,
                  "weight 't' needs 2 bytes at byte 24, the shards hold 25"));
    TRY(read_case(m, tfjs_tiny_json, len, bin, 0, 0, BACKDROP_EINVAL, "weight 'w' needs 4 bytes at byte 0"));
    /* one byte too many */
    TRY(read_case(m, tfjs_tiny_json, len, bin, sizeof(bin), TFJS_TINY_SPLIT, BACKDROP_EINVAL,
                  "weight group 0: the weights use 26 bytes, its files hold 27"));
    /* one file where the manifest lists two */
    TRY(read_case(m, tfjs_tiny_json, len, bin, sizeof(tfjs_tiny_bin), -1, BACKDROP_EINVAL,
                  "the manifest lists 2 weight file(s), 1 given"));
    /* arguments */
    char err[128];
    CHECK_INT(tfjs_model_read(m, (const uint8_t *)tfjs_tiny_json, len, NULL, NULL, 2, err, sizeof(err)),
              BACKDROP_EINVAL);
    CHECK_INT(tfjs_model_read(NULL, (const uint8_t *)tfjs_tiny_json, len, NULL, NULL, 0, NULL, 0), BACKDROP_EINVAL);
    return UNIT_PASS;
}

/* Broken JSON: every truncation, invalid text, nesting, limits. */
static int test_tfjs_bad_json(void)
{
    size_t len = strlen(tfjs_tiny_json);
    TfjsModel *m = new_model();
    TRY(read_case(m, "", 0, tfjs_tiny_bin, sizeof(tfjs_tiny_bin), TFJS_TINY_SPLIT, BACKDROP_EINVAL, "truncated"));
    /* the text ends with "}\n": every shorter prefix is an unfinished value */
    for (size_t n = 0; n + 1 < len; n++) {
        char want[64];
        snprintf(want, sizeof(want), "model.json is truncated (%zu bytes)", n);
        int status = read_case(m, tfjs_tiny_json, n, tfjs_tiny_bin, sizeof(tfjs_tiny_bin), TFJS_TINY_SPLIT,
                               BACKDROP_EINVAL, want);
        CHECK(status == UNIT_PASS, "truncated to %zu bytes", n);
    }
    TRY(read_case(m, "{\"format\": \"graph-model\",}", 26, NULL, 0, 0, BACKDROP_EINVAL, "not valid JSON"));
    TRY(read_case(m, "{\"format\" 1}", 12, NULL, 0, 0, BACKDROP_EINVAL, "not valid JSON"));
    TRY(read_case(m, "{} x", 4, NULL, 0, 0, BACKDROP_EINVAL, "JSON"));
    TRY(read_case(m, "{}\0", 3, NULL, 0, 0, BACKDROP_EINVAL, "NUL byte at 2"));
    TRY(read_case(m, "[1, 2]", 6, NULL, 0, 0, BACKDROP_EINVAL, "not a JSON object"));
    TRY(read_case(m, "{\"a\": \"\xff\"}", 10, NULL, 0, 0, BACKDROP_EINVAL, "not valid JSON"));
    TRY(read_case(m, "{}", 2, NULL, 0, 0, BACKDROP_EINVAL, "not 'graph-model'"));
    char deep[200];
    size_t d = 0;
    d += (size_t)snprintf(deep, sizeof(deep), "{\"a\": ");
    for (int i = 0; i < 40; i++)
        deep[d++] = '[';
    for (int i = 0; i < 40; i++)
        deep[d++] = ']';
    deep[d++] = '}';
    TRY(read_case(m, deep, d, NULL, 0, 0, BACKDROP_EINVAL, "not valid JSON"));
    TRY(read_case(m, tfjs_tiny_json, TFJS_MAX_JSON_BYTES + 1, NULL, 0, 0, BACKDROP_ENOTSUP, "is over"));
    return UNIT_PASS;
}

/* Every byte of the tiny model flipped three ways: an error with the
 * model left empty, or a model meeting every guarantee. */
static int test_tfjs_mutated_tiny(void)
{
    size_t len = strlen(tfjs_tiny_json);
    char *json = unit_alloc(len);
    memcpy(json, tfjs_tiny_json, len);
    int loaded = 0, refused = 0;
    static const uint8_t masks[] = { 0x01, 0x20, 0x80 };
    for (size_t pos = 0; pos < len; pos++)
        for (size_t k = 0; k < sizeof(masks); k++) {
            TfjsModel m;
            char err[256] = "", why[256] = "";
            const uint8_t *shards[2] = { tfjs_tiny_bin, tfjs_tiny_bin + TFJS_TINY_SPLIT };
            size_t sizes[2] = { TFJS_TINY_SPLIT, sizeof(tfjs_tiny_bin) - TFJS_TINY_SPLIT };
            json[pos] ^= (char)masks[k];
            int e = tfjs_model_read(&m, (const uint8_t *)json, len, shards, sizes, 2, err, sizeof(err));
            json[pos] ^= (char)masks[k];
            if (e == 0) {
                loaded++;
                int bad = tfjs_model_check(&m, why, sizeof(why));
                tfjs_model_free(&m);
                CHECK(!bad, "byte %zu ^ 0x%02x: %s", pos, masks[k], why);
            } else {
                refused++;
                CHECK(e == BACKDROP_EINVAL || e == BACKDROP_ENOTSUP, "byte %zu ^ 0x%02x: code %d", pos, masks[k], e);
                CHECK(tfjs_model_is_empty(&m) && err[0] && !strchr(err, '\n'), "byte %zu ^ 0x%02x: '%s'", pos,
                      masks[k], err);
            }
        }
    printf("mutated tiny: %d read, %d refused\n", loaded, refused);
    return UNIT_PASS;
}

/* ---- the real model ---------------------------------------------------- */

#define RVM_PREFIX "StatefulPartitionedCall/matting_network_wrapper/StatefulPartitionedCall/"

static int test_tfjs_rvm_model(void)
{
    char jpath[1024], bpath[1024];
    size_t jsize, bsize;
    const uint8_t *json = read_model_file("rvm.json", &jsize, jpath, sizeof(jpath));
    const uint8_t *bin = read_model_file("rvm.bin", &bsize, bpath, sizeof(bpath));
    if (!json || !bin)
        SKIP("model %s not found (set BACKDROP_MODEL_DIR or run scripts/fetch-models.sh rvm)", json ? bpath : jpath);
    CHECK_INT(jsize, 613890);
    CHECK_INT(bsize, 3739355);
    TfjsModel *m = new_model();
    TRY(read_case(m, (const char *)json, jsize, bin, bsize, -1, 0, NULL));
    CHECK_INT(m->num_nodes, 910);
    CHECK_INT(m->num_weights, 425);
    /* shared/golden/rvm/ops.txt */
    static const struct {
        const char *op;
        int count;
    } counts[] = {
        { "Const", 425 }, { "Mul", 82 }, { "_FusedConv2D", 62 }, { "AddV2", 44 }, { "StridedSlice", 33 },
        { "Relu6", 28 }, { "Pack", 27 }, { "Shape", 22 }, { "ConcatV2", 19 }, { "Identity", 17 }, { "Pad", 16 },
        { "FusedDepthwiseConv2dNative", 12 }, { "Sub", 11 }, { "Mean", 11 }, { "DepthwiseConv2dNative", 11 },
        { "Switch", 10 }, { "Split", 8 }, { "ResizeBilinear", 7 }, { "Placeholder", 6 }, { "FloorMod", 6 },
        { "Sigmoid", 5 }, { "Merge", 4 }, { "Add", 4 }, { "BroadcastTo", 4 }, { "Tanh", 4 }, { "Slice", 4 },
        { "NoOp", 3 }, { "AvgPool", 3 }, { "SpaceToBatchND", 3 }, { "BatchToSpaceND", 3 }, { "Equal", 2 },
        { "Squeeze", 2 }, { "Cast", 2 }, { "SplitV", 2 }, { "Square", 2 }, { "Minimum", 2 }, { "Maximum", 2 },
        { "Conv2D", 1 }, { "RealDiv", 1 },
    };
    int total = 0;
    for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
        int n = 0;
        for (int i = 0; i < m->num_nodes; i++)
            n += !strcmp(m->nodes[i].op, counts[k].op);
        CHECK(n == counts[k].count, "%d %s nodes, expected %d", n, counts[k].op, counts[k].count);
        total += n;
    }
    CHECK_INT(total, 910);
    /* signature: keys as the file spells them */
    static const char *in_keys[] = { "src", "r1i:0", "r2i:0", "r3i:0", "r4i:0", "downsample_ratio:0" };
    static const char *in_nodes[] = { "src", "r1i", "r2i", "r3i", "r4i", "downsample_ratio" };
    static const char *out_keys[] = { "fgr", "pha", "r1o", "r2o", "r3o", "r4o" };
    static const char *out_nodes[] = { "Identity", "Identity_1", "Identity_2", "Identity_3", "Identity_4",
                                       "Identity_5" };
    CHECK_INT(m->num_inputs, 6);
    CHECK_INT(m->num_outputs, 6);
    for (int k = 0; k < 6; k++) {
        int found = 0;
        for (int p = 0; p < 6; p++)
            if (!strcmp(m->inputs[p].key, in_keys[k])) {
                found = 1;
                CHECK(!strcmp(m->nodes[m->inputs[p].node].name, in_nodes[k]) && m->inputs[p].output == 0,
                      "input %s", in_keys[k]);
            }
        CHECK(found, "no input %s", in_keys[k]);
        found = 0;
        for (int p = 0; p < 6; p++)
            if (!strcmp(m->outputs[p].key, out_keys[k])) {
                found = 1;
                CHECK(!strcmp(m->nodes[m->outputs[p].node].name, out_nodes[k]) && m->outputs[p].output == 0,
                      "output %s", out_keys[k]);
            }
        CHECK(found, "no output %s", out_keys[k]);
    }
    /* The first weight: uint8 at byte 0 of rvm.bin, min and scale as in
     * rvm.json (Python repr); float32(q * scale + min) from the raw bytes.
     * Python (numpy) gives 0xbde166eb for the first value (q = 110). */
    const TfjsWeight *w = &m->weights[0];
    CHECK(!strcmp(w->name, RVM_PREFIX "mobile_net_v3_encoder/conv_bn_activation/conv2d/Conv2D_weights"), "weight 0");
    CHECK(w->rank == 4 && w->shape[0] == 3 && w->shape[1] == 3 && w->shape[2] == 3 && w->shape[3] == 16 &&
              w->quant == TFJS_QUANT_UINT8, "weight 0 shape");
    for (int i = 0; i < 4; i++) {
        double v = (double)bin[i] * 0.05502979054170496;
        v += -6.163336540670955;
        CHECK(same_float(w->f32[i], (float)v), "weight 0 value %d: %.9g, expected %.9g", i, w->f32[i], (float)v);
    }
    uint32_t bits;
    memcpy(&bits, &w->f32[0], 4);
    CHECK_INT(bits, 0xbde166ebu);
    /* The last weight: int32 -1 in the last 4 bytes; two bool pivots. */
    const TfjsWeight *last = &m->weights[424];
    CHECK(last->dtype == TFJS_INT32 && last->rank == 0 && last->i32[0] == -1, "last weight");
    CHECK(m->weights[409].dtype == TFJS_BOOL && m->weights[409].i32[0] == 0 && m->weights[410].i32[0] == 1, "bools");
    int placeholders = 0;
    for (int p = 0; p < m->num_nodes; p++)
        placeholders += !strcmp(m->nodes[m->order[p]].op, "Placeholder");
    CHECK_INT(placeholders, 6);
    return UNIT_PASS;
}

const UnitTest tfjs_tests[] = {
    UNIT_TEST(tfjs_tiny_model),
    UNIT_TEST(tfjs_float16_all),
    UNIT_TEST(tfjs_error_cases),
    UNIT_TEST(tfjs_shard_sizes),
    UNIT_TEST(tfjs_bad_json),
    UNIT_TEST(tfjs_mutated_tiny),
    UNIT_TEST(tfjs_rvm_model),
    UNIT_TESTS_END
};
