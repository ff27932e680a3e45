/*
 * The plain-C float32 reference executor: the oracle the XNNPACK executor
 * and the goldens are checked against. Every operator is a direct loop over
 * the TFLite definition; clarity wins over speed (a selfie model takes tens
 * of milliseconds to a few hundred).
 *
 * Numerics: convolution, pooling and transposed-convolution sums are
 * accumulated in double and rounded once to float, and LOGISTIC is
 * evaluated in double, so the reference is at least as accurate as any
 * float32 engine; every tensor is still stored as float32.
 */
#ifndef BACKDROP_NN_REFERENCE_H
#define BACKDROP_NN_REFERENCE_H

#include "../graph.h"

typedef struct NnReference NnReference;

/* Validates the graph (nn_graph_validate) and allocates one zeroed float32
 * buffer per non-constant tensor, once. The graph is referenced, not
 * copied: g (and its constant data) must outlive *r. Returns 0,
 * BACKDROP_EINVAL (malformed graph), BACKDROP_ENOTSUP (an operator, option
 * or dtype this executor cannot run) or BACKDROP_ENOMEM; on failure *r is
 * NULL. */
int nn_reference_create(NnReference **r, const NnGraph *g);

/* The buffer of graph input 'port' (g->inputs[port]), to be filled before
 * nn_reference_run(). Stable for the life of r. */
float *nn_reference_input(NnReference *r, int port);

/* Runs every op in order. Allocates nothing. Returns 0. */
int nn_reference_run(NnReference *r);

/* Graph output 'port' after a run. */
const float *nn_reference_output(const NnReference *r, int port);

/* Any tensor after a run: activations from r's buffers, constants from the
 * graph. NULL when the index is out of range. */
const float *nn_reference_tensor(const NnReference *r, int tensor);

/* Frees r and sets *r to NULL; accepts NULL and *r == NULL. */
void nn_reference_destroy(NnReference **r);

/* Evaluates op number 'op' of g alone: in[k] holds the data of its input k
 * (shaped as g->tensors[op->inputs[k]]; pass the graph's data for
 * constants), out receives its output tensor. in and out must not overlap.
 * Used by nn_reference_run() and by tests that check another engine one
 * operator at a time, feeding both the same inputs. The op must belong to
 * a graph nn_graph_validate() accepts. */
void nn_reference_eval_op(const NnGraph *g, int op, const float *const *in, float *out);

#endif
