/*
 * Inference speed of the selfie segmentation models on the XNNPACK
 * engine: milliseconds per nn_engine_run() (input already in place), min and
 * median over N timed runs after a warm-up, per model and thread count.
 *
 *   build/bench/bench_nn [--runs N] [--warmup N] [--threads 1,2] [--reference]
 *                        [--profile] [MODEL_DIR]
 *
 * MODEL_DIR defaults to $BACKDROP_MODEL_DIR, else
 * ${XDG_CACHE_HOME:-$HOME/.cache}/backdrop/models. "1 thread" runs on the
 * caller's thread (no pool); N > 1 uses a pthreadpool of N threads.
 * --reference also times the plain-C reference (a few runs).
 * --profile times each operator alone on one thread: every op becomes its
 * own one-op graph run by XNNPACK on the real activations (so fusion across
 * ops is lost; the per-op sum is therefore a little above the whole-graph
 * time) and prints the totals per operator type.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pthreadpool.h>

#include "nn/engine.h"
#include "nn/format/tflite.h"
#include "bench_clock.h"
#include "bench_model.h"

typedef struct Model {
    const char *name, *file;
} Model;

static const Model models[] = {
    { "general", "selfie_segmentation.tflite" },
    { "landscape", "selfie_segmentation_landscape.tflite" },
};

static void fill_input(float *in, size_t n)
{
    /* A fixed pseudo-random image in [0, 1); speed does not depend on it. */
    uint32_t s = 12345;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        in[i] = (float)(s >> 8) / 16777216.0f;
    }
}

typedef struct Stats {
    double min, median;
} Stats;

static Stats summarise(double *t, int n)
{
    qsort(t, (size_t)n, sizeof(*t), cmp_double);
    Stats s = { t[0], n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]) };
    return s;
}

static int time_xnn(const NnGraph *g, int threads, int warmup, int runs, Stats *out)
{
    pthreadpool_t pool = NULL;
    if (threads > 1 && !(pool = pthreadpool_create((size_t)threads)))
        return -1;
    NnEngine *x = NULL;
    int err = nn_engine_create(&x, &nn_engine_xnnpack, g, pool, 0);
    if (err) {
        fprintf(stderr, "bench_nn: nn_engine_create: %d\n", err);
        pthreadpool_destroy(pool);
        return -1;
    }
    fill_input(nn_engine_input(x, 0), g->tensors[g->inputs[0].tensor].count);
    double *t = malloc((size_t)runs * sizeof(*t));
    for (int i = 0; i < warmup && t; i++)
        nn_engine_run(x);
    for (int i = 0; i < runs && t; i++) {
        double t0 = now_ms();
        nn_engine_run(x);
        t[i] = now_ms() - t0;
    }
    if (t)
        *out = summarise(t, runs);
    free(t);
    nn_engine_destroy(&x);
    pthreadpool_destroy(pool);
    return t ? 0 : -1;
}

static int time_reference(const NnGraph *g, int runs, Stats *out)
{
    NnEngine *r = NULL;
    if (nn_engine_create(&r, &nn_engine_reference, g, NULL, 0))
        return -1;
    fill_input(nn_engine_input(r, 0), g->tensors[g->inputs[0].tensor].count);
    double t[16];
    if (runs > 16)
        runs = 16;
    for (int i = 0; i < runs; i++) {
        double t0 = now_ms();
        nn_engine_run(r);
        t[i] = now_ms() - t0;
    }
    *out = summarise(t, runs);
    nn_engine_destroy(&r);
    return 0;
}

/* Per-op profile: op i is copied into a one-op graph whose input is its
 * data input and whose constants are the real ones; XNNPACK runs it on the
 * real activation (taken from an expose_all run of the full graph). Binary
 * ops with two activations get the second operand as a constant copy. */
static void profile(const NnGraph *g, int runs)
{
    NnEngine *full = NULL;
    if (nn_engine_create(&full, &nn_engine_xnnpack, g, NULL, NN_ENGINE_EXPOSE_ALL))
        return;
    fill_input(nn_engine_input(full, 0), g->tensors[g->inputs[0].tensor].count);
    nn_engine_run(full);

    double type_ms[NN_OP_COUNT] = { 0 }, total = 0.0;
    int type_count[NN_OP_COUNT] = { 0 };
    double *t = malloc((size_t)runs * sizeof(*t));
    for (int i = 0; i < g->num_ops && t; i++) {
        const NnOp *op = &g->ops[i];
        NnTensor tensors[NN_MAX_INPUTS + 1];
        NnOp one = *op;
        float *owned = NULL;
        for (int k = 0; k < op->num_inputs; k++) {
            tensors[k] = g->tensors[op->inputs[k]];
            one.inputs[k] = k;
            if (k > 0 && !tensors[k].data) {
                /* second activation operand of ADD/MUL: freeze it */
                owned = malloc(tensors[k].count * sizeof(float));
                if (!owned)
                    break;
                memcpy(owned, nn_engine_tensor(full, op->inputs[k]), tensors[k].count * sizeof(float));
                tensors[k].data = owned;
            }
        }
        tensors[op->num_inputs] = g->tensors[op->output];
        one.output = op->num_inputs;
        NnPort in = { (char *)"input", 0 }, out = { (char *)"output", op->num_inputs };
        NnGraph sub = { .tensors = tensors, .num_tensors = op->num_inputs + 1, .ops = &one, .num_ops = 1,
                        .inputs = &in, .num_inputs = 1, .outputs = &out, .num_outputs = 1 };
        NnEngine *x = NULL;
        if (nn_engine_create(&x, &nn_engine_xnnpack, &sub, NULL, 0) == 0) {
            memcpy(nn_engine_input(x, 0), nn_engine_tensor(full, op->inputs[0]), tensors[0].count * sizeof(float));
            for (int w = 0; w < 5; w++)
                nn_engine_run(x);
            for (int r = 0; r < runs; r++) {
                double t0 = now_ms();
                nn_engine_run(x);
                t[r] = now_ms() - t0;
            }
            Stats s = summarise(t, runs);
            type_ms[op->type] += s.median;
            type_count[op->type]++;
            total += s.median;
            nn_engine_destroy(&x);
        }
        free(owned);
    }
    free(t);
    nn_engine_destroy(&full);
    printf("  per operator type (1 thread, each op alone, median ms):\n");
    for (int k = 0; k < NN_OP_COUNT; k++)
        if (type_count[k])
            printf("    %-20s %3d ops %7.3f ms %5.1f%%\n", nn_op_name((NnOpType)k), type_count[k], type_ms[k],
                   100.0 * type_ms[k] / total);
    printf("    %-20s         %7.3f ms\n", "sum", total);
}

int main(int argc, char **argv)
{
    int runs = 50, warmup = 10, do_reference = 0, do_profile = 0;
    int threads[8] = { 1, 2 }, num_threads = 2;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
            runs = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--warmup") && i + 1 < argc) {
            warmup = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            num_threads = 0;
            for (char *p = argv[++i]; *p && num_threads < 8;) {
                threads[num_threads++] = (int)strtol(p, &p, 10);
                if (*p == ',')
                    p++;
                else
                    break;
            }
        } else if (!strcmp(argv[i], "--reference")) {
            do_reference = 1;
        } else if (!strcmp(argv[i], "--profile")) {
            do_profile = 1;
        } else if (argv[i][0] != '-') {
            dir = argv[i];
        } else {
            fprintf(stderr, "usage: %s [--runs N] [--warmup N] [--threads 1,2] [--reference] [--profile] [MODEL_DIR]\n",
                    argv[0]);
            return 2;
        }
    }
    if (runs < 1 || warmup < 0 || num_threads < 1) {
        fprintf(stderr, "bench_nn: bad arguments\n");
        return 2;
    }
    char dirbuf[4096];
    dir = model_dir(dir, dirbuf, sizeof(dirbuf));

    printf("XNNPACK executor, ms per inference, %d runs after %d warm-up runs\n", runs, warmup);
    printf("%-10s %-9s %8s %8s\n", "model", "threads", "min", "median");
    int status = 0;
    for (size_t m = 0; m < sizeof(models) / sizeof(models[0]); m++) {
        char path[4352], err[256] = "";
        snprintf(path, sizeof(path), "%s/%s", dir, models[m].file);
        size_t size = 0;
        void *data = read_whole(path, &size);
        NnGraph g;
        if (!data || nn_graph_load_tflite(&g, data, size, err, sizeof(err))) {
            fprintf(stderr, "bench_nn: %s: %s\n", path, data ? err : "cannot read");
            free(data);
            status = 1;
            continue;
        }
        free(data);
        for (int k = 0; k < num_threads; k++) {
            Stats s;
            if (time_xnn(&g, threads[k], warmup, runs, &s) == 0)
                printf("%-10s %-9d %8.3f %8.3f\n", models[m].name, threads[k], s.min, s.median);
            else
                status = 1;
        }
        if (do_reference) {
            Stats s;
            if (time_reference(&g, runs < 5 ? runs : 5, &s) == 0)
                printf("%-10s %-9s %8.3f %8.3f\n", models[m].name, "reference", s.min, s.median);
        }
        if (do_profile)
            profile(&g, runs);
        nn_graph_free(&g);
    }
    return status;
}
