/*
 * Robust Video Matting: the TF.js model specialised into a static graph
 * (src/nn/format/tfjs_specialise.c, src/nn/rvm.c) and run on both engines
 * against the goldens of the official runtime.
 *
 * Needs the model (rvm.json + rvm.bin from scripts/fetch-models.sh, in
 * $BACKDROP_MODEL_DIR or ${XDG_CACHE_HOME:-$HOME/.cache}/backdrop/models)
 * and, for the goldens, ${BACKDROP_SHARED_DIR:-<source root>/../shared}/
 * golden/rvm: cases A (320x176, ratio 0.5, 3 frames), B (256x144, ratio 1,
 * no refiner, 3 frames) and C (640x360, ratio 0.25, 1 frame). Every output
 * of every frame is compared, with the state carried by the engine from
 * frame to frame (never re-fed from the goldens), within the tolerances of
 * golden/rvm/README.md for a float32 implementation. Skipped, saying why,
 * when either is absent.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backdrop/backdrop.h"
#include "nn/engine.h"
#include "nn/format/tfjs.h"
#include "nn/format/tfjs_specialise.h"
#include "nn/rvm.h"
#include "suites.h"
#include "util.h"

/* ---- model and goldens ------------------------------------------------- */

/* The RVM model read (freed after the test); UNIT_SKIP when absent. */
static int load_rvm(TfjsModel **out)
{
    char jpath[4096], bpath[4096], err[256] = "";
    size_t jsize = 0, bsize = 0;
    uint8_t *json = read_model_file("rvm.json", &jsize, jpath, sizeof(jpath));
    uint8_t *bin = read_model_file("rvm.bin", &bsize, bpath, sizeof(bpath));
    if (!json || !bin)
        SKIP("%s: cannot read the model (run scripts/fetch-models.sh rvm)", json ? bpath : jpath);
    TfjsModel *m = unit_alloc(sizeof(*m));
    const uint8_t *shards[1] = { bin };
    int rc = tfjs_model_read(m, json, jsize, shards, &bsize, 1, err, sizeof(err));
    CHECK(rc == 0, "%s: %s (%d)", jpath, err, rc);
    unit_defer(release_tfjs_model, m);
    *out = m;
    return UNIT_PASS;
}

static int build(const TfjsModel *m, int w, int h, float ratio, NnGraph **out)
{
    char err[256] = "";
    NnGraph *g = unit_alloc(sizeof(*g));
    int rc = nn_rvm_build(g, m, w, h, ratio, 0, err, sizeof(err));
    CHECK(rc == 0, "nn_rvm_build %dx%d ratio %g: %s (%d)", w, h, (double)ratio, err, rc);
    unit_defer(release_graph, g);
    *out = g;
    return UNIT_PASS;
}

static int have_goldens(void)
{
    char probe[4096];
    golden_path(probe, sizeof(probe), "rvm", "manifest.json");
    FILE *f = fopen(probe, "r");
    if (!f)
        SKIP("%s: no golden directory (set BACKDROP_SHARED_DIR)", probe);
    fclose(f);
    return UNIT_PASS;
}

typedef struct GoldenCase {
    const char *id;
    int width, height;
    float ratio;
    int frames;
} GoldenCase;

static const GoldenCase cases[] = {
    { "A", 320, 176, 0.5f, 3 },
    { "B", 256, 144, 1.0f, 3 },
    { "C", 640, 360, 0.25f, 1 },
};

/* Tolerances of golden/rvm/README.md (float32 implementation). */
#define STATE_MAX 2e-4
#define STATE_MEAN 5e-6
#define OUT1_MAX 1e-4   /* pha, fgr at ratio 1 */
#define OUT1_MEAN 2e-6
#define OUT_MAX 2e-3    /* pha, fgr below ratio 1 (refiner) */
#define OUT_MEAN 1e-5

/* Runs one golden case on engine 'name' and compares every output of every
 * frame; the worst errors are printed for the session notes. */
static int run_case(const TfjsModel *m, const GoldenCase *c, const char *engine, pthreadpool_t pool)
{
    NnGraph *g;
    TRY(build(m, c->width, c->height, c->ratio, &g));
    NnEngine *e = NULL;
    int rc = nn_engine_create(&e, nn_engine_find(engine), g, pool, 0);
    CHECK(rc == 0, "%s: nn_engine_create: %d", engine, rc);
    unit_defer(release_engine, e);

    static const char *const outs[] = { "fgr", "pha", "r1o", "r2o", "r3o", "r4o" };
    double worst[6][2] = { { 0 } };
    int src = nn_graph_find_input(g, "src");
    CHECK(src >= 0, "no src input");
    size_t src_count = g->tensors[g->inputs[src].tensor].count;
    for (int f = 0; f < c->frames; f++) {
        char file[64];
        snprintf(file, sizeof(file), "%s/f%d.src.f32", c->id, f);
        const float *in = read_golden("rvm", file, src_count);
        CHECK(in, "input %s", file);
        memcpy(nn_engine_input(e, src), in, src_count * sizeof(float));
        CHECK_INT(nn_engine_run(e), 0);
        for (int k = 0; k < 6; k++) {
            int port = nn_graph_find_output(g, outs[k]);
            CHECK(port >= 0, "no output %s", outs[k]);
            size_t n = g->tensors[g->outputs[port].tensor].count;
            snprintf(file, sizeof(file), "%s/f%d.%s.f32", c->id, f, outs[k]);
            const float *want = read_golden("rvm", file, n);
            CHECK(want, "golden %s (shape of our %s: %zu values)", file, outs[k], n);
            const float *got = nn_engine_output(e, port);
            double max = 0, sum = 0;
            for (size_t i = 0; i < n; i++) {
                double d = fabs((double)got[i] - want[i]);
                if (!(d <= max)) /* NaN too */
                    max = isnan(d) ? INFINITY : d;
                sum += d;
            }
            double mean = sum / (double)n;
            int state = k >= 2;
            double tmax = state ? STATE_MAX : c->ratio == 1.0f ? OUT1_MAX : OUT_MAX;
            double tmean = state ? STATE_MEAN : c->ratio == 1.0f ? OUT1_MEAN : OUT_MEAN;
            CHECK(max <= tmax && mean <= tmean, "%s case %s frame %d %s: max |d| %.3g (limit %.3g), mean %.3g (limit %.3g)",
                  engine, c->id, f, outs[k], max, tmax, mean, tmean);
            if (max > worst[k][0])
                worst[k][0] = max;
            if (mean > worst[k][1])
                worst[k][1] = mean;
        }
    }
    printf("    %s case %s:", engine, c->id);
    for (int k = 0; k < 6; k++)
        printf(" %s %.1e/%.1e", outs[k], worst[k][0], worst[k][1]);
    printf(" (max/mean |d|)\n");
    return UNIT_PASS;
}

static int test_rvm_goldens_reference(void)
{
    TfjsModel *m;
    TRY(load_rvm(&m));
    TRY(have_goldens());
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
        TRY(run_case(m, &cases[k], "reference", NULL));
    return UNIT_PASS;
}

static int test_rvm_goldens_xnnpack(void)
{
    TfjsModel *m;
    TRY(load_rvm(&m));
    TRY(have_goldens());
    if (!nn_engine_find("xnnpack"))
        SKIP("built without XNNPACK");
    pthreadpool_t pool = pthreadpool_create(2);
    CHECK(pool, "pthreadpool_create");
    unit_defer(release_pool, pool);
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
        TRY(run_case(m, &cases[k], "xnnpack", k == 1 ? NULL : pool));
    return UNIT_PASS;
}

/* ---- the specialised graph's structure --------------------------------- */

static int check_shape(const NnGraph *g, const char *input, int h, int w, int c)
{
    int port = nn_graph_find_input(g, input);
    CHECK(port >= 0, "no input %s", input);
    const NnTensor *t = &g->tensors[g->inputs[port].tensor];
    CHECK(t->rank == 4 && t->shape[0] == 1 && t->shape[1] == h && t->shape[2] == w && t->shape[3] == c,
          "%s is [%d,%d,%d,%d], expected [1,%d,%d,%d]", input, t->shape[0], t->shape[1], t->shape[2], t->shape[3], h,
          w, c);
    return UNIT_PASS;
}

/* Counts from shared/golden/rvm/ops.txt, after the lowerings: every Pad
 * folded into its convolution, the 3 dilated depthwise convolutions, 13
 * hard-swishes in MobileNetV3-Large, the 2 src resizes gone at ratio 1. */
static int test_rvm_specialised_graph(void)
{
    TfjsModel *m;
    TRY(load_rvm(&m));
    NnGraph *g;
    TRY(build(m, 320, 176, 0.5f, &g));
    CHECK_INT(graph_count_ops(g, NN_OP_PAD), 0);
    int dilated = 0, explicit_pads = 0;
    for (int k = 0; k < g->num_ops; k++) {
        const NnOp *op = &g->ops[k];
        if (op->type == NN_OP_DEPTHWISE_CONV_2D && op->dilation_h == 2 && op->dilation_w == 2) {
            dilated++;
            CHECK(op->padding == NN_PAD_EXPLICIT && op->pad_top == 4 && op->pad_bottom == 4 && op->pad_left == 4 &&
                      op->pad_right == 4,
                  "dilated convolution %d: padding %d (%d %d %d %d), expected explicit 4 on each side", k,
                  (int)op->padding, op->pad_top, op->pad_bottom, op->pad_left, op->pad_right);
        }
        explicit_pads += op->padding == NN_PAD_EXPLICIT &&
                         (op->type == NN_OP_CONV_2D || op->type == NN_OP_DEPTHWISE_CONV_2D);
    }
    CHECK_INT(dilated, 3);
    CHECK_INT(explicit_pads, 16); /* the file's 16 Pads */
    CHECK_INT(graph_count_ops(g, NN_OP_HARD_SWISH), 20);
    CHECK_INT(graph_count_ops(g, NN_OP_RESIZE_BILINEAR), 7);
    CHECK_INT(graph_count_ops(g, NN_OP_TANH), 4);
    CHECK_INT(graph_count_ops(g, NN_OP_DIV), 1);
    CHECK_INT(g->num_states, 4);
    TRY(check_shape(g, "src", 176, 320, 3));
    TRY(check_shape(g, "r1i", 44, 80, 16));
    TRY(check_shape(g, "r2i", 22, 40, 20));
    TRY(check_shape(g, "r3i", 11, 20, 40));
    TRY(check_shape(g, "r4i", 6, 10, 64));
    /* No constants left without a reader, no op the outputs do not need:
     * every non-port tensor is read by some op. */
    char *read = unit_alloc((size_t)g->num_tensors);
    for (int k = 0; k < g->num_ops; k++)
        for (int j = 0; j < g->ops[k].num_inputs; j++)
            read[g->ops[k].inputs[j]] = 1;
    for (int k = 0; k < g->num_outputs; k++)
        read[g->outputs[k].tensor] = 1;
    for (int t = 0; t < g->num_tensors; t++)
        CHECK(read[t] || nn_graph_find_input(g, g->tensors[t].name) >= 0, "tensor %d (%s) is read by nothing", t,
              g->tensors[t].name);

    NnGraph *one;
    TRY(build(m, 256, 144, 1.0f, &one));
    CHECK_INT(graph_count_ops(one, NN_OP_RESIZE_BILINEAR), 4); /* decoder only: no src resize, no refiner */
    CHECK_INT(graph_count_ops(one, NN_OP_DIV), 0);
    TRY(check_shape(one, "r4i", 9, 16, 64));
    /* The channel moves left after folding (src/nn/optimise.c), at the
     * benchmark's size: the splits of the LR-ASPP output, the
     * concatenations that feed resizes, the crops of odd sizes. */
    NnGraph *cut = unit_alloc(sizeof(*cut));
    char err[256] = "";
    CHECK_INT(nn_rvm_build(cut, m, 640, 360, 0.75f, NN_RVM_COEFFICIENTS, err, sizeof(err)), 0);
    unit_defer(release_graph, cut);
    printf("    640x360 ratio 0.75, to the coefficients: %d ops, %d CONCAT, %d SLICE, %d CONV_2D, %d ADD\n",
           cut->num_ops, graph_count_ops(cut, NN_OP_CONCAT), graph_count_ops(cut, NN_OP_SLICE),
           graph_count_ops(cut, NN_OP_CONV_2D), graph_count_ops(cut, NN_OP_ADD));
    /* Without the folding (src/nn/optimise.c): 18 CONCAT, 19 SLICE. */
    CHECK_INT(graph_count_ops(cut, NN_OP_CONCAT), 5);
    CHECK_INT(graph_count_ops(cut, NN_OP_SLICE), 3);
    NnGraph *c;
    TRY(build(m, 640, 360, 0.25f, &c));
    TRY(check_shape(c, "r1i", 45, 80, 16));
    TRY(check_shape(c, "r2i", 23, 40, 20));
    TRY(check_shape(c, "r3i", 12, 20, 40));
    return UNIT_PASS;
}

static int test_rvm_internal_size(void)
{
    static const struct {
        int W, H;
        float r;
        int w, h;
    } ok[] = {
        { 320, 176, 0.5f, 160, 88 },     { 640, 360, 0.25f, 160, 90 }, { 1280, 720, 0.375f, 480, 270 },
        { 256, 144, 1.0f, 256, 144 },    { 640, 360, 0.75f, 480, 270 }, { 1920, 1080, 0.25f, 480, 270 },
        { 333, 111, 0.3f, 99, 33 },      /* 99.9 and 33.3 truncate */
    };
    for (size_t k = 0; k < sizeof(ok) / sizeof(ok[0]); k++) {
        int w = 0, h = 0;
        CHECK_INT(nn_rvm_internal_size(ok[k].W, ok[k].H, ok[k].r, &w, &h), 0);
        CHECK(w == ok[k].w && h == ok[k].h, "%dx%d at %g: %dx%d, expected %dx%d", ok[k].W, ok[k].H, (double)ok[k].r,
              w, h, ok[k].w, ok[k].h);
    }
    int w, h;
    CHECK_INT(nn_rvm_internal_size(640, 360, 0.0f, &w, &h), BACKDROP_EINVAL);
    CHECK_INT(nn_rvm_internal_size(640, 360, -0.5f, &w, &h), BACKDROP_EINVAL);
    CHECK_INT(nn_rvm_internal_size(640, 360, NAN, &w, &h), BACKDROP_EINVAL);
    CHECK_INT(nn_rvm_internal_size(640, 360, 5.0f, &w, &h), BACKDROP_EINVAL);
    CHECK_INT(nn_rvm_internal_size(640, 2, 0.25f, &w, &h), BACKDROP_EINVAL); /* 0.5 rows */
    CHECK_INT(nn_rvm_internal_size(0, 360, 0.5f, &w, &h), BACKDROP_EINVAL);
    return UNIT_PASS;
}

/* Feeds that do not fit the model, each with its message. */
static int test_rvm_feed_errors(void)
{
    TfjsModel *m;
    TRY(load_rvm(&m));
    static const struct {
        TfjsFeed feeds[7];
        int n;
        const char *want;
    } bad[] = {
        { { { .name = "src", .rank = 4, .shape = { 1, 64, 64, 3 } }, { .name = "downsample_ratio", .constant = 1, .value = 0.5f } },
          2, "input 'r2i:0' of the model is not fed" },
        { { { .name = "src", .rank = 4, .shape = { 1, 64, 64, 3 } }, { .name = "downsample_ratio", .constant = 1, .value = 0.5f },
            { .name = "r1i", .rank = -1 }, { .name = "r2i", .rank = -1 }, { .name = "r3i", .rank = -1 }, { .name = "r4i", .rank = -1 },
            { .name = "frame", .rank = 1, .shape = { 3 } } },
          7, "feed 'frame' is not an input of the model" },
        { { { .name = "src", .rank = 4, .shape = { 1, 64, 64, 3 } }, { .name = "downsample_ratio:0", .constant = 1, .value = 0.5f },
            { .name = "r1i", .rank = -1 }, { .name = "r2i", .rank = -1 }, { .name = "r3i", .rank = -1 }, { .name = "r4i", .rank = -1 },
            { .name = "r4i:0", .rank = -1 } },
          7, "input 'r4i:0' fed twice" },
        { { { .name = "src", .rank = 4, .shape = { 1, 64, 0, 3 } }, { .name = "downsample_ratio", .constant = 1, .value = 0.5f },
            { .name = "r1i", .rank = -1 }, { .name = "r2i", .rank = -1 }, { .name = "r3i", .rank = -1 }, { .name = "r4i", .rank = -1 } },
          6, "input 'src': dimension 2 is 0" },
        { { { .name = "src", .rank = -1 }, { .name = "downsample_ratio", .constant = 1, .value = 0.5f },
            { .name = "r1i", .rank = -1 }, { .name = "r2i", .rank = -1 }, { .name = "r3i", .rank = -1 }, { .name = "r4i", .rank = -1 } },
          6, "is input 'src', whose shape is not known" },
        { { { .name = "src", .rank = 4, .shape = { 1, 64, 64, 4 } }, { .name = "downsample_ratio", .constant = 1, .value = 0.5f },
            { .name = "r1i", .rank = -1 }, { .name = "r2i", .rank = -1 }, { .name = "r3i", .rank = -1 }, { .name = "r4i", .rank = -1 } },
          6, "operand shapes do not broadcast" },
        { { { .name = "src", .rank = 4, .shape = { 1, 64, 64, 3 } }, { .name = "downsample_ratio", .constant = 1, .value = INFINITY },
            { .name = "r1i", .rank = -1 }, { .name = "r2i", .rank = -1 }, { .name = "r3i", .rank = -1 }, { .name = "r4i", .rank = -1 } },
          6, "value not finite" },
    };
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        NnGraph g;
        char err[256] = "";
        int rc = tfjs_specialise(m, bad[k].feeds, bad[k].n, &g, err, sizeof(err));
        CHECK(rc == BACKDROP_EINVAL, "case %zu: %d (%s), expected EINVAL", k, rc, err);
        CHECK(strstr(err, bad[k].want) && !strchr(err, '\n'), "case %zu: message '%s' lacks '%s'", k, err,
              bad[k].want);
        CHECK(g.num_tensors == 0 && g.num_ops == 0 && !g.tensors, "case %zu: graph not left empty", k);
    }
    char err[256] = "";
    NnGraph g;
    CHECK_INT(nn_rvm_build(&g, m, 640, 2, 0.25f, 0, err, sizeof(err)), BACKDROP_EINVAL);
    CHECK(strstr(err, "640x2 at downsample ratio 0.25"), "message '%s'", err);
    return UNIT_PASS;
}

/* The refiner's last step in C (NnRvmRefiner) on the coefficients of the
 * cut graph equals the whole graph's pha and fgr: against the goldens of
 * the refiner cases A and C, alpha bytes within 1 of round(255 pha) and
 * fgr within the float32 tolerance. */
static int test_rvm_refiner_kernel(void)
{
    TfjsModel *m;
    TRY(load_rvm(&m));
    TRY(have_goldens());
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        const GoldenCase *c = &cases[k];
        if (c->ratio == 1.0f)
            continue;
        char err[256] = "";
        NnGraph *g = unit_alloc(sizeof(*g));
        CHECK_INT(nn_rvm_build(g, m, c->width, c->height, c->ratio, NN_RVM_COEFFICIENTS, err, sizeof(err)), 0);
        unit_defer(release_graph, g);
        CHECK(nn_graph_find_output(g, "pha") < 0 && nn_graph_find_output(g, "fgr") < 0, "pha/fgr still computed");
        int pa = nn_graph_find_output(g, "fgf_A"), pb = nn_graph_find_output(g, "fgf_b");
        CHECK(pa >= 0 && pb >= 0, "no coefficient outputs");
        const NnTensor *ta = &g->tensors[g->outputs[pa].tensor];
        int iw, ih;
        CHECK_INT(nn_rvm_internal_size(c->width, c->height, c->ratio, &iw, &ih), 0);
        CHECK(ta->shape[1] == ih - 2 && ta->shape[2] == iw - 2 && ta->shape[3] == 4, "A is [%d,%d,%d,%d]",
              ta->shape[0], ta->shape[1], ta->shape[2], ta->shape[3]);
        NnEngine *e = NULL;
        CHECK_INT(nn_engine_create(&e, nn_engine_find("reference"), g, NULL, 0), 0);
        unit_defer(release_engine, e);
        NnRvmRefiner r;
        CHECK_INT(nn_rvm_refiner_init(&r, c->width, c->height, iw - 2, ih - 2), 0);
        size_t n = (size_t)c->width * c->height;
        uint8_t *alpha = unit_alloc(n);
        int worst_alpha = 0;
        double worst_fgr = 0;
        for (int f = 0; f < c->frames; f++) {
            char file[64];
            snprintf(file, sizeof(file), "%s/f%d.src.f32", c->id, f);
            const float *src = read_golden("rvm", file, 3 * n);
            snprintf(file, sizeof(file), "%s/f%d.pha.f32", c->id, f);
            const float *pha = read_golden("rvm", file, n);
            snprintf(file, sizeof(file), "%s/f%d.fgr.f32", c->id, f);
            const float *fgr = read_golden("rvm", file, 3 * n);
            CHECK(src && pha && fgr, "golden files of case %s", c->id);
            memcpy(nn_engine_input(e, nn_graph_find_input(g, "src")), src, 3 * n * sizeof(float));
            CHECK_INT(nn_engine_run(e), 0);
            const float *A = nn_engine_output(e, pa), *b = nn_engine_output(e, pb);
            for (int y = 0; y < c->height; y++)
                nn_rvm_refine_alpha_row(&r, A, b, y, src + 3 * (size_t)y * c->width, alpha + (size_t)y * c->width);
            for (size_t i = 0; i < n; i++) {
                int want = (int)lrint(pha[i] * 255.0), d = abs(alpha[i] - want);
                worst_alpha = d > worst_alpha ? d : worst_alpha;
            }
            for (int y = 0; y < c->height; y += 3)
                for (int x = 0; x < c->width; x += 1) {
                    size_t i = (size_t)y * c->width + x;
                    float out[3];
                    nn_rvm_refine_fgr(&r, A, b, x, y, src + 3 * i, out);
                    for (int ch = 0; ch < 3; ch++) {
                        double d = fabs((double)out[ch] - fgr[3 * i + ch]);
                        worst_fgr = d > worst_fgr ? d : worst_fgr;
                    }
                }
        }
        nn_rvm_refiner_free(&r);
        printf("    case %s: alpha within %d of round(255 pha), fgr within %.2g\n", c->id, worst_alpha, worst_fgr);
        CHECK(worst_alpha <= 1, "case %s: alpha off by %d", c->id, worst_alpha);
        CHECK(worst_fgr <= OUT_MAX, "case %s: fgr off by %g", c->id, worst_fgr);
    }
    return UNIT_PASS;
}

/* The recurrent state can be saved, put back and reset (the drift guard
 * undoes a retry this way): a run from a put-back state repeats the run
 * bit for bit, and a reset engine answers as a new one. */
static int test_rvm_state_save_load(void)
{
    TfjsModel *m;
    TRY(load_rvm(&m));
    NnGraph *g;
    TRY(build(m, 64, 48, 0.5f, &g));
    NnEngine *e = NULL, *fresh = NULL;
    CHECK_INT(nn_engine_create(&e, nn_engine_find("reference"), g, NULL, 0), 0);
    unit_defer(release_engine, e);
    CHECK_INT(nn_engine_create(&fresh, nn_engine_find("reference"), g, NULL, 0), 0);
    unit_defer(release_engine, fresh);
    int src = nn_graph_find_input(g, "src"), pha = nn_graph_find_output(g, "pha");
    size_t n = (size_t)64 * 48;
    uint32_t seed = 7;
    float *frames = unit_alloc(3 * 3 * n * sizeof(float));
    for (size_t i = 0; i < 3 * 3 * n; i++)
        frames[i] = lcg_byte(&seed) / 255.0f;
    size_t count = nn_engine_state_count(e);
    /* r1..r4 at 16x12, 8x6, 4x3, 2x2 (internal 32x24) */
    CHECK_INT(count, 16 * 12 * 16 + 8 * 6 * 20 + 4 * 3 * 40 + 2 * 2 * 64);
    float *saved = unit_alloc(count * sizeof(float)), *after = unit_alloc(count * sizeof(float));
    float *first = unit_alloc(n * sizeof(float));
    for (int f = 0; f < 2; f++) {
        memcpy(nn_engine_input(e, src), frames + 3 * n * f, 3 * n * sizeof(float));
        CHECK_INT(nn_engine_run(e), 0);
    }
    nn_engine_state_save(e, saved);
    memcpy(nn_engine_input(e, src), frames + 6 * n, 3 * n * sizeof(float));
    CHECK_INT(nn_engine_run(e), 0);
    memcpy(first, nn_engine_output(e, pha), n * sizeof(float));
    nn_engine_state_save(e, after);
    CHECK(memcmp(saved, after, count * sizeof(float)), "the run did not change the state");
    nn_engine_state_load(e, saved);
    CHECK_INT(nn_engine_run(e), 0);
    CHECK(!memcmp(first, nn_engine_output(e, pha), n * sizeof(float)), "a run from the put-back state differs");
    nn_engine_state_save(e, saved);
    CHECK(!memcmp(saved, after, count * sizeof(float)), "the state after the repeated run differs");
    nn_engine_reset(e);
    memcpy(nn_engine_input(fresh, src), frames, 3 * n * sizeof(float));
    memcpy(nn_engine_input(e, src), frames, 3 * n * sizeof(float));
    CHECK_INT(nn_engine_run(e), 0);
    CHECK_INT(nn_engine_run(fresh), 0);
    CHECK(!memcmp(nn_engine_output(fresh, pha), nn_engine_output(e, pha), n * sizeof(float)),
          "a reset engine differs from a new one");
    return UNIT_PASS;
}

/* ---- the method through the public API ---------------------------------- */

/* A context of method rvm on the cached model (closed after the test);
 * UNIT_SKIP without the model or the method. */
static int open_rvm(BackdropContext **out)
{
    int have = 0;
    for (int i = 0; backdrop_method_name(i); i++)
        have |= !strcmp(backdrop_method_name(i), "rvm");
    if (!have)
        SKIP("built without XNNPACK: no rvm method");
    char jpath[4096], bpath[4096];
    size_t jsize = 0, bsize = 0;
    uint8_t *json = read_model_file("rvm.json", &jsize, jpath, sizeof(jpath));
    uint8_t *bin = read_model_file("rvm.bin", &bsize, bpath, sizeof(bpath));
    if (!json || !bin)
        SKIP("%s: cannot read the model (run scripts/fetch-models.sh rvm)", json ? bpath : jpath);
    BackdropSettings s = settings_with_threads(1);
    s.method = "rvm";
    s.model_data = json;
    s.model_size = jsize;
    s.model_weights = bin;
    s.model_weights_size = bsize;
    *out = context_open(&s);
    CHECK(*out, "backdrop_open(rvm) failed");
    return UNIT_PASS;
}

/* A 96x64 RGB24 scene: a light vertical gradient with a dark rounded
 * figure at column cx; 'inverted' flips every value (a cut). */
static BackdropFrame scene(int cx, int inverted)
{
    BackdropFrame f = frame_new(BACKDROP_PIXFMT_RGB24, 96, 64);
    for (int y = 0; y < 64; y++)
        for (int x = 0; x < 96; x++) {
            int dx = x - cx, dy = y - 40;
            int inside = dx * dx * 4 + dy * dy < 30 * 30 || (dx * dx + (y - 16) * (y - 16) < 10 * 10);
            int v = inside ? 60 + (x & 7) : 150 + y;
            int c[3] = { v, inside ? v + 20 : v, inside ? v : v + 30 };
            for (int k = 0; k < 3; k++)
                c[k] = inverted ? 255 - c[k] : c[k];
            put_rgb(&f, x, y, c[0], c[1], c[2]);
        }
    return f;
}

static int run_frame(BackdropContext *ctx, const BackdropFrame *in, BackdropFrame *matte)
{
    BackdropFrame out = frame_new(BACKDROP_PIXFMT_RGB24, 96, 64);
    *matte = frame_new(BACKDROP_PIXFMT_GRAY8, 96, 64);
    CHECK_INT(backdrop_process(ctx, in, &out, matte), 0);
    return UNIT_PASS;
}

static long matte_difference(const BackdropFrame *a, const BackdropFrame *b)
{
    long d = 0;
    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < a->width; x++)
            d += labs((long)*sample(a, 0, x, y) - *sample(b, 0, x, y));
    return d;
}

/* The recurrent state is reset on a scene cut and on request (the next
 * frame's matte is then exactly a new context's), and carried otherwise
 * (the matte differs from a new context's). */
static int test_rvm_state_resets(void)
{
    BackdropContext *carried, *cut, *requested, *fresh;
    TRY(open_rvm(&carried));
    TRY(open_rvm(&cut));
    TRY(open_rvm(&requested));
    TRY(open_rvm(&fresh));
    BackdropFrame a1 = scene(44, 0), a2 = scene(46, 0), b = scene(44, 1);
    BackdropFrame m, want_b, want_a2, got;
    TRY(run_frame(fresh, &b, &want_b));
    TRY(open_rvm(&fresh));
    TRY(run_frame(fresh, &a2, &want_a2));

    TRY(run_frame(cut, &a1, &m));
    TRY(run_frame(cut, &b, &got));
    CHECK(matte_difference(&got, &want_b) == 0, "after a cut the matte differs from a new context's by %ld",
          matte_difference(&got, &want_b));

    BackdropContext *blind;
    TRY(open_rvm(&blind));
    CHECK_INT(context_set(blind, "scene-cut", "0", NULL), 0);
    TRY(run_frame(blind, &a1, &m));
    TRY(run_frame(blind, &b, &got));
    CHECK(matte_difference(&got, &want_b) > 0, "without cut detection the state made no difference");

    TRY(run_frame(requested, &a1, &m));
    CHECK_INT(context_set(requested, "reset", "1", NULL), 0);
    TRY(run_frame(requested, &a2, &got));
    CHECK(matte_difference(&got, &want_a2) == 0, "after reset=1 the matte differs from a new context's by %ld",
          matte_difference(&got, &want_a2));
    char value[8];
    CHECK_INT(backdrop_get_option(requested, "reset", value, sizeof(value)), 0);
    CHECK(!strcmp(value, "0"), "reset reads back '%s' after the frame", value);

    TRY(run_frame(carried, &a1, &m));
    TRY(run_frame(carried, &a2, &got));
    CHECK(matte_difference(&got, &want_a2) > 0, "the state made no difference: not carried?");
    return UNIT_PASS;
}

const UnitTest rvm_tests[] = {
    { "rvm_internal_size", test_rvm_internal_size },
    { "rvm_feed_errors", test_rvm_feed_errors },
    { "rvm_specialised_graph", test_rvm_specialised_graph },
    { "rvm_goldens_reference", test_rvm_goldens_reference },
    { "rvm_goldens_xnnpack", test_rvm_goldens_xnnpack },
    { "rvm_refiner_kernel", test_rvm_refiner_kernel },
    { "rvm_state_save_load", test_rvm_state_save_load },
    { "rvm_state_resets", test_rvm_state_resets },
    { NULL, NULL },
};
