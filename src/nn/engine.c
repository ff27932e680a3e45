/*
 * The engine wrapper: picks an engine by name, validates, maps ports to
 * buffers and carries state pairs. See engine.h.
 */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

#include "backdrop/backdrop.h"

/* By name; the first is the fast one. */
static const NnEngineClass *const engines[] = {
#if BD_HAVE_XNNPACK /* meson option xnnpack */
    &nn_engine_xnnpack,
#endif
    &nn_engine_reference,
};

#define NUM_ENGINES ((int)(sizeof(engines) / sizeof(engines[0])))

/* One state pair, resolved to buffers at create. */
typedef struct StateCopy {
    float *dst;        /* the input's buffer */
    const float *src;  /* the output's buffer */
    size_t bytes;
} StateCopy;

struct NnEngine {
    const NnEngineClass *cls;
    void *exec;
    const NnGraph *graph;
    float **inputs;          /* per input port; NULL for state inputs */
    const float **outputs;   /* per output port */
    StateCopy *states;
    int num_states;
};

const NnEngineClass *nn_engine_find(const char *name)
{
    for (int i = 0; name && i < NUM_ENGINES; i++)
        if (!strcmp(engines[i]->name, name))
            return engines[i];
    return NULL;
}

const NnEngineClass *nn_engine_at(int i)
{
    return i >= 0 && i < NUM_ENGINES ? engines[i] : NULL;
}

/* Engines compute in float32 only: every tensor that gets a buffer must be
 * FLOAT32 (constants of other dtypes are the ops' business, and validation
 * already limits the ops to FLOAT32). */
static int activations_are_float32(const NnGraph *g)
{
    for (int t = 0; t < g->num_tensors; t++)
        if (!g->tensors[t].data && g->tensors[t].dtype != NN_DTYPE_FLOAT32)
            return 0;
    return 1;
}

int nn_engine_create(NnEngine **ep, const NnEngineClass *cls, const NnGraph *g, pthreadpool_t pool, unsigned flags)
{
    if (!ep)
        return BACKDROP_EINVAL;
    *ep = NULL;
    if (!cls)
        return BACKDROP_EINVAL;
    int err = nn_graph_validate(g, NULL, 0);
    if (err)
        return err;
    if (!activations_are_float32(g))
        return BACKDROP_ENOTSUP;

    NnEngine *e = calloc(1, sizeof(*e));
    if (!e)
        return BACKDROP_ENOMEM;
    e->cls = cls;
    e->graph = g;
    e->inputs = calloc((size_t)g->num_inputs, sizeof(*e->inputs));
    e->outputs = calloc((size_t)g->num_outputs, sizeof(*e->outputs));
    e->states = calloc((size_t)(g->num_states ? g->num_states : 1), sizeof(*e->states));
    if (!e->inputs || !e->outputs || !e->states) {
        nn_engine_destroy(&e);
        return BACKDROP_ENOMEM;
    }
    err = cls->create(&e->exec, g, pool, flags);
    if (err) {
        nn_engine_destroy(&e);
        return err;
    }
    /* Every port has a buffer (the class contract); a missing one would be
     * an engine bug, reported rather than dereferenced. */
    for (int i = 0; i < g->num_inputs && !err; i++)
        if (!(e->inputs[i] = cls->buffer(e->exec, g->inputs[i].tensor)))
            err = BACKDROP_EINVAL;
    for (int i = 0; i < g->num_outputs && !err; i++)
        if (!(e->outputs[i] = cls->buffer(e->exec, g->outputs[i].tensor)))
            err = BACKDROP_EINVAL;
    if (err) {
        nn_engine_destroy(&e);
        return err;
    }
    for (int s = 0; s < g->num_states; s++) {
        const NnStatePair *p = &g->states[s];
        StateCopy *c = &e->states[s];
        c->dst = e->inputs[p->input];
        c->src = e->outputs[p->output];
        c->bytes = g->tensors[g->inputs[p->input].tensor].count * sizeof(float);
    }
    e->num_states = g->num_states;
    nn_engine_reset(e);
    /* State inputs are the engine's, not the caller's. */
    for (int s = 0; s < g->num_states; s++)
        e->inputs[g->states[s].input] = NULL;
    *ep = e;
    return 0;
}

float *nn_engine_input(NnEngine *e, int port)
{
    return e->inputs[port];
}

const float *nn_engine_output(const NnEngine *e, int port)
{
    return e->outputs[port];
}

const float *nn_engine_tensor(const NnEngine *e, int tensor)
{
    if (!e || tensor < 0 || tensor >= e->graph->num_tensors || e->graph->tensors[tensor].data)
        return NULL;
    return e->cls->buffer(e->exec, tensor);
}

int nn_engine_run(NnEngine *e)
{
    int err = e->cls->run(e->exec);
    if (err)
        return err;
    /* Pairs read outputs and write inputs, which are never the same tensor
     * (validated), so the order of the copies does not matter. */
    for (int s = 0; s < e->num_states; s++)
        memcpy(e->states[s].dst, e->states[s].src, e->states[s].bytes);
    return 0;
}

const double *nn_engine_op_ms(const NnEngine *e)
{
    return e && e->cls->op_ms ? e->cls->op_ms(e->exec) : NULL;
}

void nn_engine_reset(NnEngine *e)
{
    for (int s = 0; s < e->num_states; s++)
        memset(e->states[s].dst, 0, e->states[s].bytes);
}

size_t nn_engine_state_count(const NnEngine *e)
{
    size_t n = 0;
    for (int s = 0; s < e->num_states; s++)
        n += e->states[s].bytes / sizeof(float);
    return n;
}

void nn_engine_state_save(const NnEngine *e, float *dst)
{
    for (int s = 0; s < e->num_states; s++) {
        memcpy(dst, e->states[s].dst, e->states[s].bytes);
        dst += e->states[s].bytes / sizeof(float);
    }
}

void nn_engine_state_load(NnEngine *e, const float *src)
{
    for (int s = 0; s < e->num_states; s++) {
        memcpy(e->states[s].dst, src, e->states[s].bytes);
        src += e->states[s].bytes / sizeof(float);
    }
}

const char *nn_engine_name(const NnEngine *e)
{
    return e->cls->name;
}

void nn_engine_destroy(NnEngine **ep)
{
    if (!ep || !*ep)
        return;
    NnEngine *e = *ep;
    if (e->exec)
        e->cls->destroy(e->exec);
    free(e->inputs);
    free(e->outputs);
    free(e->states);
    free(e);
    *ep = NULL;
}
