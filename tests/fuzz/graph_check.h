/*
 * An independent check of the NnGraph invariants listed in src/nn/graph.h
 * and of the .tflite reader's refinements and ports (src/nn/format/tflite.h).
 * Written apart from the reader and from graph.c so that the fuzz target
 * and the unit tests judge its output with a second implementation of the
 * rules, not the reader's own code; nn_graph_validate() must accept the
 * graph too.
 */
#ifndef TESTS_GRAPH_CHECK_H
#define TESTS_GRAPH_CHECK_H

#include <stddef.h>

#include "nn/graph.h"

/* 0 when g satisfies every invariant; otherwise 1 with the first violation
 * in why. Reads every constant value, so AddressSanitizer also checks that
 * each data array holds count floats. */
int nn_graph_check(const NnGraph *g, char *why, size_t whylen);

#endif
