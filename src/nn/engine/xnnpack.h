/*
 * The XNNPACK executor: an NnGraph compiled once into an XNNPACK subgraph
 * and runtime (Debian's libxnnpack, float32 throughout).
 *
 * Everything is prepared by nn_xnn_create(): the weights are copied into
 * the executor (XNNPACK packs most of them again into its own layout), the
 * input, output and exposed tensors get executor-owned buffers bound to the
 * runtime once, and XNNPACK plans its internal activation memory. A run is
 * then a single xnn_invoke_runtime() and allocates nothing.
 *
 * Lifetime: after nn_xnn_create() returns, the executor no longer refers to
 * the graph; the graph may be freed first. The thread pool (which may be
 * NULL: run on the caller's thread) must outlive the executor.
 *
 * One executor runs one inference at a time: nn_xnn_run() must not be
 * called concurrently on the same executor (different executors are
 * independent).
 */
#ifndef BACKDROP_NN_XNN_H
#define BACKDROP_NN_XNN_H

#include <pthreadpool.h>

#include "../graph.h"

typedef struct NnXnn NnXnn;

/* Builds the runtime for g. Graph inputs and outputs are always external
 * values with executor-owned buffers. With expose_all, every op output is
 * one too, readable with nn_xnn_tensor() after a run (for op-by-op
 * comparisons; it prevents XNNPACK from fusing activations into the
 * preceding operator, so it is slower).
 *
 * Returns 0; BACKDROP_EINVAL for a malformed graph (nn_graph_validate);
 * BACKDROP_ENOTSUP when XNNPACK cannot run
 * it (an operator or option it lacks, unsupported hardware); BACKDROP_ENOMEM.
 * On failure *x is NULL. */
int nn_xnn_create(NnXnn **x, const NnGraph *g, pthreadpool_t pool, int expose_all);

/* The buffer of graph input 'port', filled by the caller before each run.
 * Stable for the life of x. */
float *nn_xnn_input(NnXnn *x, int port);

/* Runs the graph. Returns 0, or a BACKDROP_E* code if XNNPACK failed. */
int nn_xnn_run(NnXnn *x);

/* Graph output 'port' after a run. */
const float *nn_xnn_output(const NnXnn *x, int port);

/* An exposed tensor after a run (graph inputs and outputs, and with
 * expose_all every op output); NULL for any other tensor. */
const float *nn_xnn_tensor(const NnXnn *x, int tensor);

/* Frees x and sets *x to NULL; accepts NULL and *x == NULL. */
void nn_xnn_destroy(NnXnn **x);

#endif
