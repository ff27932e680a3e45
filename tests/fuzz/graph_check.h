/*
 * An independent check of the NnGraph invariants listed in src/nn/graph.h
 * (including the .tflite reader's refinements). Written apart from the
 * reader so that the fuzz target and the unit tests judge its output with a
 * second implementation of the rules, not the reader's own code.
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
