/*
 * Speed of Robust Video Matting on the XNNPACK engine: ms per frame of the
 * network alone, the recurrent state carried from frame to frame as in real
 * use.
 *
 *   build/bench/bench_rvm [--width 640] [--height 360] [--ratio 0.75]
 *                         [--frames 20] [--warmup 3] [--threads 1]
 *                         [--coefficients] [--profile] [--top 10] [MODEL_DIR]
 *
 * The model (rvm.json + rvm.bin) is read from MODEL_DIR, else
 * $BACKDROP_MODEL_DIR, else ${XDG_CACHE_HOME:-$HOME/.cache}/backdrop/models,
 * and specialised with nn_rvm_build() for W x H at the ratio: the whole
 * graph, fgr and pha at W x H, the work the TF.js anchor does; with
 * --coefficients (ratio < 1) the graph -m rvm runs, which stops at the fast
 * guided filter's coefficients (NN_RVM_COEFFICIENTS; the last,
 * full-resolution step is then C code outside the graph, not timed here).
 * --threads 1 runs on the caller's thread (no pool), N > 1 on a
 * pthreadpool of N threads, 0 on one thread per CPU this process may use
 * (as backdrop --threads 0). Frames are synthetic, as in the TF.js anchor
 * (../shared/anchor-rvm, "bench"): colour ramps with a moving disc, four in
 * turn; the graph has no data-dependent shapes, so content does not change
 * the work. Per frame the timer covers copying the frame into the engine's
 * src buffer and nn_engine_run() (pha and fgr are then in the engine's
 * buffers). The first line is the result; scripts grep "median":
 *
 *   rvm 640x360 ratio 0.75 (encoder 480x270, whole graph, 256 ops): xnnpack
 *   1 thread: median M ms, min M ms, mean M ms per frame over 20 frames
 *   (3 warm-up)
 *
 * --profile then times every operator: a second engine made with
 * NN_ENGINE_PROFILE (engine.h; this XNNPACK has no profiler of its own, so
 * the engine runs each op as an XNNPACK runtime of its own and times it
 * with the monotonic clock) runs the same warm-up and frames on the same
 * thread count. Per op the median over the frames; printed: the time per
 * operator type (the sum of its ops' medians, and its share of all ops),
 * the --top slowest single ops, and the cost of profiling itself (the
 * profiled engine's whole-run median against the plain engine's: one
 * runtime per op loses XNNPACK's fusions and shared workspace).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthreadpool.h>

#include "internal.h"
#include "nn/engine.h"
#include "nn/format/tfjs.h"
#include "nn/rvm.h"
#include "bench_clock.h"
#include "bench_model.h"

#define NUM_FRAMES 4

typedef struct Args {
    int width, height;
    float ratio;
    int frames, warmup, threads, profile, top;
    unsigned build_flags;
    const char *dir;
} Args;

typedef struct Stats {
    double min, median, mean;
} Stats;

/* Sorts t. */
static Stats summarise(double *t, int n)
{
    double sum = 0.0;
    for (int i = 0; i < n; i++)
        sum += t[i];
    qsort(t, (size_t)n, sizeof(*t), cmp_double);
    return (Stats){ t[0], n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]), sum / n };
}

/* Frame k of the synthetic clip, RGB in [0, 1]: horizontal and vertical
 * ramps, and a disc that moves a little from frame to frame. */
static void make_frame(float *rgb, int w, int h, int k)
{
    double cx = w * (0.35 + 0.1 * k), cy = h * 0.55, r = h * 0.3;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float *p = rgb + ((size_t)y * (size_t)w + (size_t)x) * 3;
            int inside = (x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r;
            p[0] = inside ? 0.9f : (float)x / (float)w;
            p[1] = inside ? 0.7f : (float)y / (float)h;
            p[2] = inside ? 0.6f : 0.5f * (float)(x + y) / (float)(w + h);
        }
}

/* Runs warmup + frames frames on a fresh engine for g; t[frame] gets each
 * timed frame's ms. With NN_ENGINE_PROFILE in flags, op_ms[op * frames +
 * frame] gets each op's. Returns 0 or the engine's error. */
static int run_frames(const NnGraph *g, pthreadpool_t pool, unsigned flags, const Args *a, float *const *clip,
                      double *t, double *op_ms)
{
    NnEngine *e = NULL;
    int err = nn_engine_create(&e, &nn_engine_xnnpack, g, pool, flags);
    if (err) {
        fprintf(stderr, "bench_rvm: nn_engine_create: %d\n", err);
        return err;
    }
    int src = nn_graph_find_input(g, "src");
    size_t bytes = g->tensors[g->inputs[src].tensor].count * sizeof(float);
    float *in = nn_engine_input(e, src);
    const double *ms = nn_engine_op_ms(e);
    for (int i = 0; i < a->warmup + a->frames && !err; i++) {
        double t0 = now_ms();
        memcpy(in, clip[i % NUM_FRAMES], bytes);
        err = nn_engine_run(e);
        double dt = now_ms() - t0;
        int f = i - a->warmup;
        if (f < 0)
            continue;
        t[f] = dt;
        for (int k = 0; op_ms && ms && k < g->num_ops; k++)
            op_ms[(size_t)k * (size_t)a->frames + (size_t)f] = ms[k];
    }
    if (err)
        fprintf(stderr, "bench_rvm: nn_engine_run: %d\n", err);
    if (!err && op_ms && !ms) {
        fprintf(stderr, "bench_rvm: the engine gives no op times\n");
        err = -1;
    }
    nn_engine_destroy(&e);
    return err;
}

typedef struct OpTime {
    int op;
    double ms;
} OpTime;

static int cmp_op_time(const void *a, const void *b)
{
    double x = ((const OpTime *)a)->ms, y = ((const OpTime *)b)->ms;
    return x > y ? -1 : x < y;
}

static void shape_text(char *buf, size_t len, const NnTensor *t)
{
    int n = 0;
    buf[0] = '\0';
    for (int i = 0; i < t->rank && n >= 0 && (size_t)n < len; i++)
        n += snprintf(buf + n, len - (size_t)n, "%s%d", i ? "x" : "", (int)t->shape[i]);
}

static int profile(const NnGraph *g, pthreadpool_t pool, const Args *a, float *const *clip, double plain_median)
{
    double *t = malloc((size_t)a->frames * sizeof(*t));
    double *op_ms = malloc((size_t)a->frames * (size_t)g->num_ops * sizeof(*op_ms));
    OpTime *ops = malloc((size_t)g->num_ops * sizeof(*ops));
    int err = !t || !op_ms || !ops ? -1 : run_frames(g, pool, NN_ENGINE_PROFILE, a, clip, t, op_ms);
    if (err) {
        free(t);
        free(op_ms);
        free(ops);
        return -1;
    }
    Stats whole = summarise(t, a->frames);
    double type_ms[NN_OP_COUNT] = { 0 }, total = 0.0;
    int type_count[NN_OP_COUNT] = { 0 };
    for (int k = 0; k < g->num_ops; k++) {
        Stats s = summarise(op_ms + (size_t)k * (size_t)a->frames, a->frames);
        ops[k] = (OpTime){ k, s.median };
        type_ms[g->ops[k].type] += s.median;
        type_count[g->ops[k].type]++;
        total += s.median;
    }
    printf("profile (NN_ENGINE_PROFILE: each op an XNNPACK runtime of its own, timed alone; per op the median "
           "over %d frames):\n", a->frames);
    printf("  profiled run median %.2f ms, plain run median %.2f ms: profiling adds %+.1f %%; the ops add up to "
           "%.2f ms\n", whole.median, plain_median, 100.0 * (whole.median / plain_median - 1.0), total);
    /* Types by time, largest first. */
    OpTime types[NN_OP_COUNT];
    int num_types = 0;
    for (int k = 0; k < NN_OP_COUNT; k++)
        if (type_count[k])
            types[num_types++] = (OpTime){ k, type_ms[k] };
    qsort(types, (size_t)num_types, sizeof(*types), cmp_op_time);
    printf("  %-22s %5s %9s %7s\n", "op type", "ops", "ms", "share");
    for (int i = 0; i < num_types; i++)
        printf("  %-22s %5d %9.3f %6.1f%%\n", nn_op_name((NnOpType)types[i].op), type_count[types[i].op],
               types[i].ms, 100.0 * types[i].ms / total);
    printf("  %-22s %5d %9.3f %6.1f%%\n", "all", g->num_ops, total, 100.0);
    int top = a->top < g->num_ops ? a->top : g->num_ops;
    qsort(ops, (size_t)g->num_ops, sizeof(*ops), cmp_op_time);
    printf("  top %d ops:\n  %5s %-22s %-18s %9s %7s  %s\n", top, "op", "type", "output", "ms", "share", "tensor");
    for (int i = 0; i < top; i++) {
        const NnOp *op = &g->ops[ops[i].op];
        const NnTensor *out = &g->tensors[op->output];
        char shape[64];
        shape_text(shape, sizeof(shape), out);
        size_t len = strlen(out->name); /* the end of the TF.js node name says most */
        printf("  %5d %-22s %-18s %9.3f %6.1f%%  %s%s\n", ops[i].op, nn_op_name(op->type), shape, ops[i].ms,
               100.0 * ops[i].ms / total, len > 60 ? "..." : "", out->name + (len > 60 ? len - 57 : 0));
    }
    free(t);
    free(op_ms);
    free(ops);
    return 0;
}

/* The RVM model of dir specialised for a's size and ratio into g. */
static int build_graph(NnGraph *g, const Args *a, const char *dir)
{
    char jpath[4352], bpath[4352], err[256] = "";
    snprintf(jpath, sizeof(jpath), "%s/rvm.json", dir);
    snprintf(bpath, sizeof(bpath), "%s/rvm.bin", dir);
    size_t jsize = 0, bsize = 0;
    uint8_t *json = read_whole(jpath, &jsize), *bin = read_whole(bpath, &bsize);
    if (!json || !bin) {
        fprintf(stderr, "bench_rvm: %s: cannot read the model (make models)\n", json ? bpath : jpath);
        free(json);
        free(bin);
        return -1;
    }
    TfjsModel m;
    const uint8_t *shards[1] = { bin };
    int rc = tfjs_model_read(&m, json, jsize, shards, &bsize, 1, err, sizeof(err));
    free(json);
    free(bin);
    if (rc) {
        fprintf(stderr, "bench_rvm: %s: %s\n", jpath, err);
        return -1;
    }
    rc = nn_rvm_build(g, &m, a->width, a->height, a->ratio, a->build_flags, err, sizeof(err));
    tfjs_model_free(&m);
    if (rc) {
        fprintf(stderr, "bench_rvm: nn_rvm_build %dx%d ratio %g: %s\n", a->width, a->height, (double)a->ratio, err);
        return -1;
    }
    return 0;
}

static int parse_args(Args *a, int argc, char **argv)
{
    *a = (Args){ 640, 360, 0.75f, 20, 3, 1, 0, 10, 0, NULL };
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int *ip = !strcmp(o, "--width")    ? &a->width
                : !strcmp(o, "--height")   ? &a->height
                : !strcmp(o, "--frames")   ? &a->frames
                : !strcmp(o, "--warmup")   ? &a->warmup
                : !strcmp(o, "--threads")  ? &a->threads
                : !strcmp(o, "--top")      ? &a->top
                                           : NULL;
        if (ip && v) {
            *ip = atoi(v);
            i++;
        } else if (!strcmp(o, "--ratio") && v) {
            a->ratio = strtof(v, NULL);
            i++;
        } else if (!strcmp(o, "--coefficients")) {
            a->build_flags |= NN_RVM_COEFFICIENTS;
        } else if (!strcmp(o, "--profile")) {
            a->profile = 1;
        } else if (o[0] != '-' && !a->dir) {
            a->dir = o;
        } else {
            return -1;
        }
    }
    return a->width > 0 && a->height > 0 && a->frames > 0 && a->warmup >= 0 && a->threads >= 0 && a->top >= 0 &&
                   isfinite(a->ratio) && a->ratio > 0.0f
               ? 0
               : -1;
}

int main(int argc, char **argv)
{
    Args a;
    if (parse_args(&a, argc, argv)) {
        fprintf(stderr, "usage: %s [--width W] [--height H] [--ratio R] [--frames N] [--warmup N] [--threads N] "
                        "[--coefficients] [--profile] [--top N] [MODEL_DIR]\n", argv[0]);
        return 2;
    }
    char dirbuf[4096];
    const char *dir = model_dir(a.dir, dirbuf, sizeof(dirbuf));
    NnGraph g;
    if (build_graph(&g, &a, dir))
        return 1;
    int ew = 0, eh = 0;
    nn_rvm_internal_size(a.width, a.height, a.ratio, &ew, &eh);
    int threads = a.threads ? a.threads : bd_cpu_count();
    pthreadpool_t pool = NULL;
    if (threads > 1 && !(pool = pthreadpool_create((size_t)threads))) {
        fprintf(stderr, "bench_rvm: pthreadpool_create(%d) failed\n", threads);
        nn_graph_free(&g);
        return 1;
    }
    float *clip[NUM_FRAMES] = { 0 };
    double *t = malloc((size_t)a.frames * sizeof(*t));
    int status = t ? 0 : 1;
    for (int k = 0; k < NUM_FRAMES && !status; k++) {
        clip[k] = malloc((size_t)a.width * (size_t)a.height * 3 * sizeof(float));
        if (clip[k])
            make_frame(clip[k], a.width, a.height, k);
        else
            status = 1;
    }
    if (!status && run_frames(&g, pool, 0, &a, clip, t, NULL))
        status = 1;
    if (!status) {
        Stats s = summarise(t, a.frames);
        printf("rvm %dx%d ratio %g (encoder %dx%d, %s, %d ops): xnnpack %d thread%s: median %.2f ms, min %.2f ms, "
               "mean %.2f ms per frame over %d frames (%d warm-up)\n",
               a.width, a.height, (double)a.ratio, ew, eh,
               a.build_flags & NN_RVM_COEFFICIENTS ? "up to the refiner's coefficients" : "whole graph", g.num_ops,
               threads, threads > 1 ? "s" : "", s.median, s.min, s.mean, a.frames, a.warmup);
        fflush(stdout);
        if (a.profile && profile(&g, pool, &a, clip, s.median))
            status = 1;
    }
    for (int k = 0; k < NUM_FRAMES; k++)
        free(clip[k]);
    free(t);
    pthreadpool_destroy(pool);
    nn_graph_free(&g);
    return status;
}
