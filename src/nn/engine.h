/*
 * One interface for every inference engine: an NnGraph (graph.h) in, a
 * thing that runs it frame after frame out. Engines are picked by name:
 *
 *   "xnnpack"    engine/xnnpack.c   XNNPACK subgraph, the fast one
 *   "reference"  engine/reference.c plain C loops in double, the oracle
 *
 * The wrapper (engine.c) owns what is common to all of them: validation
 * (nn_graph_validate, and FLOAT32 activations, the only dtype engines
 * compute in), the port -> buffer tables, and the state pairs. After every
 * successful run the output of each pair is copied into its input, and
 * before the first run (and after nn_engine_reset) those inputs are zero;
 * callers never see state inputs (nn_engine_input returns NULL for them)
 * and only feed the others. Copying costs a memcpy of the state per frame
 * (a few MB for a recurrent matting network at 1080p) and keeps engines
 * free of per-frame rebinding; XNNPACK binds its buffers once, at create.
 *
 * Buffers are float32, NHWC, as the tensors' shapes say, owned by the
 * engine and stable for its life. Nothing is allocated after create. One
 * engine runs one inference at a time (no concurrent calls on the same
 * engine; different engines are independent).
 */
#ifndef BACKDROP_NN_ENGINE_H
#define BACKDROP_NN_ENGINE_H

#include <pthreadpool.h>

#include "graph.h"

/* Every op output gets an engine buffer readable with nn_engine_tensor()
 * (for op-by-op comparisons; it keeps XNNPACK from fusing an activation
 * into the op before it, so it is slower). The reference always does. */
#define NN_ENGINE_EXPOSE_ALL 1u

/* Time every op of each run (nn_engine_op_ms), for benchmarks. XNNPACK
 * then runs each op as a runtime of its own (no fusion across ops, every
 * op output in an engine buffer of its own instead of XNNPACK's shared
 * workspace), so a profiled run is slower than a plain one; run() stays
 * free of allocation. Engines that do not profile ignore the flag. */
#define NN_ENGINE_PROFILE 2u

/* What an engine implements. The wrapper calls create only with a graph
 * nn_graph_validate() accepted whose activations are all FLOAT32, and
 * calls nothing concurrently on one executor. */
typedef struct NnEngineClass {
    const char *name;
    /* Builds an executor for g: every graph input and output (and with
     * NN_ENGINE_EXPOSE_ALL every op output) gets a zeroed buffer. pool may
     * be NULL (run on the caller's thread) and must outlive the executor;
     * so must g. Returns 0, BACKDROP_ENOTSUP (an op or option this engine
     * lacks, unsupported hardware), BACKDROP_EINVAL or BACKDROP_ENOMEM;
     * *exec is NULL on failure. */
    int (*create)(void **exec, const NnGraph *g, pthreadpool_t pool, unsigned flags);
    /* The buffer of activation tensor t, or NULL when it has none (not an
     * input, output or exposed tensor; a constant). Stable. */
    float *(*buffer)(void *exec, int t);
    /* One inference; allocates nothing. 0 or a BACKDROP_E* code. */
    int (*run)(void *exec);
    /* Frees exec; accepts NULL. */
    void (*destroy)(void *exec);
    /* Optional (NULL: the engine does not profile). With
     * NN_ENGINE_PROFILE: milliseconds spent in each op of the graph during
     * the last run, g->num_ops values in op order (zeros before the first
     * run); NULL without the flag. Stable. */
    const double *(*op_ms)(void *exec);
} NnEngineClass;

extern const NnEngineClass nn_engine_xnnpack;
extern const NnEngineClass nn_engine_reference;

/* The engine called name ("xnnpack", "reference"), or NULL. */
const NnEngineClass *nn_engine_find(const char *name);
/* The i-th engine, i from 0, NULL past the last: for listing and tests. */
const NnEngineClass *nn_engine_at(int i);

typedef struct NnEngine NnEngine;

/* Validates g and builds cls's executor for it, state inputs zeroed. g and
 * pool (which may be NULL) must outlive *e. Returns 0; BACKDROP_EINVAL for
 * a malformed graph or a NULL argument; BACKDROP_ENOTSUP for a graph the
 * engine cannot run (an op or dtype it lacks); BACKDROP_ENOMEM. On
 * failure *e is NULL. */
int nn_engine_create(NnEngine **e, const NnEngineClass *cls, const NnGraph *g, pthreadpool_t pool, unsigned flags);

/* The buffer of graph input 'port' (g->inputs[port]), filled by the caller
 * before each run; NULL for a state input, which the engine feeds. */
float *nn_engine_input(NnEngine *e, int port);

/* Graph output 'port' (g->outputs[port]) after a run. */
const float *nn_engine_output(const NnEngine *e, int port);

/* The engine's buffer of any tensor after a run: graph inputs and outputs
 * always, op outputs with NN_ENGINE_EXPOSE_ALL (or on the reference), NULL
 * otherwise (constants included: their values are in the graph) and for
 * an index out of range. */
const float *nn_engine_tensor(const NnEngine *e, int tensor);

/* Runs the graph, then carries each state pair's output into its input.
 * Returns 0, or the engine's BACKDROP_E* code (the state is then left as
 * it was before the run). */
int nn_engine_run(NnEngine *e);

/* With NN_ENGINE_PROFILE, on an engine that profiles: the milliseconds
 * of each op (g->ops[i]) in the last run, num_ops values; NULL otherwise
 * (no flag, or an engine without profiling: the reference). */
const double *nn_engine_op_ms(const NnEngine *e);

/* Zeroes every state input: the next run is a first frame again (a new
 * clip, a new frame size). */
void nn_engine_reset(NnEngine *e);

/* The state, all pairs' inputs back to back: how many floats, a copy of
 * it (what the next run will be fed), and putting a copy back. For a
 * caller that tries a run and may undo it (a drift guard). */
size_t nn_engine_state_count(const NnEngine *e);
void nn_engine_state_save(const NnEngine *e, float *dst);
void nn_engine_state_load(NnEngine *e, const float *src);

const char *nn_engine_name(const NnEngine *e);

/* Frees e and sets *e to NULL; accepts NULL and *e == NULL. */
void nn_engine_destroy(NnEngine **e);

#endif
