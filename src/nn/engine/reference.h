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
 *
 * It is the engine "reference" (nn_engine_reference, engine.h); it keeps
 * a buffer for every activation, so every tensor is readable after a run
 * whatever the flags. It refers to the graph while it lives. This header
 * adds one operator on its own, for tests that check another engine one
 * operator at a time.
 */
#ifndef BACKDROP_NN_REFERENCE_H
#define BACKDROP_NN_REFERENCE_H

#include "../graph.h"

/* Evaluates op number 'op' of g alone: in[k] holds the data of its input k
 * (shaped as g->tensors[op->inputs[k]]; pass the graph's data for
 * constants), out receives its output tensor. in and out must not overlap.
 * Used by the engine's run and by tests that check another engine one
 * operator at a time, feeding both the same inputs. The op must belong to
 * a graph nn_graph_validate() accepts. */
void nn_reference_eval_op(const NnGraph *g, int op, const float *const *in, float *out);

#endif
