/*
 * Fuzz target for the TF.js graph-model reader and the specialiser. The
 * input is
 *   model.json bytes, NUL, k, n_1 .. n_(k-1), shard bytes
 * (no NUL: the whole input is model.json and there are no shards): k % 4
 * shard files, the first k-1 of n_i bytes (cut to what is left), the last
 * takes the rest. Any input must give either an error (EINVAL / ENOTSUP /
 * ENOMEM, an empty model and a one-line message) or a model meeting every
 * guarantee of tfjs.h, judged by the independent tfjs_check.c.
 *
 * A model that reads is then specialised (tfjs_specialise.h) with a few
 * feed sets made from its signature (see feeds()): each must give an
 * error (EINVAL / ENOTSUP / ENOMEM, an empty graph, a one-line message)
 * or a graph that nn_graph_validate() accepts, with the ports the header
 * promises, on which the reference engine can be created and, when the
 * graph is small, run. Anything else aborts, which the driver (or
 * libFuzzer) reports as a crash.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backdrop/backdrop.h"
#include "nn/engine.h"
#include "nn/format/tfjs.h"
#include "nn/format/tfjs_specialise.h"
#include "tfjs_check.h"

/* Specialised graphs of at most this many activation elements are run on
 * the reference engine; up to 4 times as many, the engine is only made. */
#define RUN_MAX_ELEMENTS ((size_t)1 << 18)
#define FEED_SETS 4

#ifdef __GNUC__
__attribute__((format(printf, 1, 2), noreturn))
#endif
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuzz_tfjs: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

/* Feed set 'set' for m's signature inputs, by the shape of each one's
 * Placeholder: a scalar (rank 0) is the constant 0.5 (sets 0, 2) or 1.0
 * (1, 3); a known shape is that shape, unknown sizes (and sizes over
 * 64) 1 for the batch and 8 elsewhere; an unknown rank (or none) is a
 * [1,8,8,3] tensor (set 0), shaped by its BroadcastTo (1), or the
 * constant 0.5 (2) or 1.0 (3). */
static void feeds(const TfjsModel *m, int set, TfjsFeed *f)
{
    for (int k = 0; k < m->num_inputs; k++) {
        const TfjsAttr *a = tfjs_node_attr(&m->nodes[m->inputs[k].node], "shape");
        int rank = a && a->kind == TFJS_ATTR_SHAPE ? a->rank : -1;
        float value = set % 2 ? 1.0f : 0.5f;
        f[k] = (TfjsFeed){ .name = m->inputs[k].key };
        if (rank == 0 || (rank < 0 && set >= 2)) {
            f[k].constant = 1;
            f[k].value = value;
        } else if (rank > 0 && rank <= NN_MAX_RANK) {
            f[k].rank = rank;
            for (int d = 0; d < rank; d++)
                f[k].shape[d] = a->dims[d] > 0 && a->dims[d] <= 64 ? (int32_t)a->dims[d] : d == 0 && rank == 4 ? 1 : 8;
        } else if (rank < 0 && set == 1) {
            f[k].rank = -1;
        } else {
            f[k].rank = 4;
            f[k].shape[0] = 1, f[k].shape[1] = 8, f[k].shape[2] = 8, f[k].shape[3] = 3;
        }
    }
}

/* A port named by a signature key: the key without a ":0" at the end. */
static int port_is(const char *port, const char *key)
{
    size_t n = strlen(key);
    if (n >= 2 && !strcmp(key + n - 2, ":0"))
        n -= 2;
    return strlen(port) == n && !strncmp(port, key, n);
}

static void specialise(const TfjsModel *m)
{
    TfjsFeed f[16];
    if (m->num_inputs > 16)
        return;
    for (int set = 0; set < FEED_SETS; set++) {
        feeds(m, set, f);
        NnGraph g;
        char err[256] = "";
        int e = tfjs_specialise(m, f, m->num_inputs, &g, err, sizeof(err));
        if (e) {
            if (e != BACKDROP_EINVAL && e != BACKDROP_ENOTSUP && e != BACKDROP_ENOMEM)
                die("specialise: unexpected code %d (%s)", e, err);
            if (g.num_tensors || g.num_ops || g.tensors || g.ops || g.num_inputs || g.inputs || g.num_outputs ||
                g.outputs || g.num_states || g.states)
                die("specialise: graph not left empty after '%s' (%d)", err, e);
            if (!err[0] || strchr(err, '\n'))
                die("specialise: bad message '%s' (%d)", err, e);
            continue;
        }
        if ((e = nn_graph_validate(&g, err, sizeof(err))))
            die("specialised graph does not validate: %s (%d)", err, e);
        /* Ports: the run-time feeds in feed order, the signature's outputs
         * in its order, named by their keys; no state pairs. */
        int runtime = 0;
        for (int k = 0; k < m->num_inputs; k++)
            if (!f[k].constant && (runtime >= g.num_inputs || !port_is(g.inputs[runtime++].name, f[k].name)))
                die("specialised graph: input %d is not feed '%s'", runtime - 1, f[k].name);
        if (g.num_inputs != runtime || g.num_outputs != m->num_outputs || g.num_states)
            die("specialised graph: %d inputs, %d outputs, %d states for %d run-time feeds and %d signature outputs",
                g.num_inputs, g.num_outputs, g.num_states, runtime, m->num_outputs);
        for (int k = 0; k < m->num_outputs; k++)
            if (!port_is(g.outputs[k].name, m->outputs[k].key))
                die("specialised graph: output %d is '%s', not '%s'", k, g.outputs[k].name, m->outputs[k].key);
        size_t total = 0;
        for (int t = 0; t < g.num_tensors; t++)
            total += g.tensors[t].data ? 0 : g.tensors[t].count;
        NnEngine *engine = NULL;
        if (total <= 4 * RUN_MAX_ELEMENTS) {
            if ((e = nn_engine_create(&engine, nn_engine_find("reference"), &g, NULL, 0)) && e != BACKDROP_ENOMEM)
                die("the reference engine refuses a valid graph (%d)", e);
            if (engine && total <= RUN_MAX_ELEMENTS) {
                for (int k = 0; k < g.num_inputs; k++) {
                    float *in = nn_engine_input(engine, k);
                    for (size_t i = 0; in && i < g.tensors[g.inputs[k].tensor].count; i++)
                        in[i] = (float)(i % 7) * 0.25f - 0.5f;
                }
                if ((e = nn_engine_run(engine)))
                    die("the reference engine fails on a valid graph (%d)", e);
            }
            nn_engine_destroy(&engine);
        }
        nn_graph_free(&g);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t json_size = nul ? (size_t)(nul - data) : size;
    const uint8_t *shards[3];
    size_t sizes[3];
    int k = 0;
    if (nul) {
        const uint8_t *p = nul + 1, *end = data + size;
        k = p < end ? *p++ % 4 : 0;
        const uint8_t *lens = p;
        p = p + (k > 1 ? k - 1 : 0) <= end ? p + (k > 1 ? k - 1 : 0) : end;
        for (int i = 0; i < k; i++) {
            size_t left = (size_t)(end - p);
            size_t n = i + 1 < k && lens + i < end ? lens[i] : left;
            if (n > left)
                n = left;
            shards[i] = p;
            sizes[i] = n;
            p += n;
        }
    }
    TfjsModel m;
    char err[256], why[256];
    int e = tfjs_model_read(&m, data, json_size, shards, sizes, k, err, sizeof(err));
    if (e == 0) {
        if (tfjs_model_check(&m, why, sizeof(why)))
            die("model violates a guarantee: %s", why);
        specialise(&m);
    } else {
        if (e != BACKDROP_EINVAL && e != BACKDROP_ENOTSUP && e != BACKDROP_ENOMEM)
            die("unexpected code %d (%s)", e, err);
        if (!tfjs_model_is_empty(&m))
            die("model not left empty after error %d", e);
        if (!err[0] || strchr(err, '\n'))
            die("bad message '%s'", err);
    }
    tfjs_model_free(&m);
    return 0;
}
