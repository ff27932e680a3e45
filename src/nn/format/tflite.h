/*
 * The .tflite reader: a TFLite FlatBuffers model in memory -> NnGraph.
 *
 * Ports of the graph it makes (names are roles, not the file's tensor
 * names, which stay on the tensors):
 *   inputs[0]   "input"   the file's single graph input, [1,H,W,3]
 *   outputs[0]  "output"  the file's single graph output, [1,H,W,1]
 *   outputs[1]  "logits"  only when the output is made by a final LOGISTIC:
 *                         that op's input (the MediaPipe models have one)
 * and no state pairs (TFLite variables are refused).
 *
 * Refinements it guarantees on top of graph.h's invariants:
 *  - every tensor is FLOAT32 and of rank 1..4; constants are FLOAT32
 *    (FLOAT16 weights are converted and their DEQUANTIZE ops folded away;
 *    INT32 constants are read into op options and never reach the graph);
 *  - the graph input and every op output are [1,H,W,C] (rank 4, batch 1);
 *    the data input (inputs[0]) of every op is not a constant, except that
 *    one operand of ADD/MUL may be;
 *  - convolutions always have 3 inputs (a zero bias constant when the file
 *    has none); ADD/MUL put the full-shape operand first, the second has
 *    the output's shape or is [1,1,1,C];
 *  - tensor indices are the graph's own, not the file's: only tensors that
 *    ops use (plus input and output) are kept, in file order;
 *  - for the transposed convolution, (in - 1) * stride + K fits in int;
 *    pooling windows fit inside the input;
 *  - fields an op type does not use are 0.
 */
#ifndef BACKDROP_NN_FORMAT_TFLITE_H
#define BACKDROP_NN_FORMAT_TFLITE_H

#include <stddef.h>
#include <stdint.h>

#include "../graph.h"

/* Parses a .tflite (FlatBuffers) model held in memory. Everything is
 * validated against size before use; nothing of data is referenced after
 * return (weights are converted and copied). The graph is checked with
 * nn_graph_validate() before it is returned. On failure returns
 * BACKDROP_EINVAL (malformed) or BACKDROP_ENOTSUP (valid but unsupported:
 * operator, type, option), with a one-line reason naming the operator or
 * field (by the file's indices, as a model viewer shows them) in err, and
 * leaves *g empty. *g is overwritten, not freed: free a graph before
 * loading another into it. err may be NULL. Files over 256 MiB are refused
 * (ENOTSUP); BACKDROP_ENOMEM when allocation fails. */
int nn_graph_load_tflite(NnGraph *g, const uint8_t *data, size_t size, char *err, size_t errlen);

#endif
