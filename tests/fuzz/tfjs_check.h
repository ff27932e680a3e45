/*
 * Independent check of the guarantees of src/nn/format/tfjs.h on a model
 * the reader returned (the unit tests and fuzz_tfjs use it). Written from
 * the header's list, not from the reader's code.
 */
#ifndef TFJS_CHECK_H
#define TFJS_CHECK_H

#include <stddef.h>

#include "nn/format/tfjs.h"

/* 0 when every guarantee holds, else 1 with the first broken one in why. */
int tfjs_model_check(const TfjsModel *m, char *why, size_t whylen);

/* 1 when *m is the empty (zeroed) model. */
int tfjs_model_is_empty(const TfjsModel *m);

#endif
