/*
 * Fuzz target for the .tflite reader: any input must give either an error
 * (EINVAL / ENOTSUP / ENOMEM, an empty graph and a one-line message) or a
 * graph that satisfies every invariant of src/nn/graph.h and the reader's
 * refinements (src/nn/format/tflite.h), judged by the independent checker
 * in graph_check.c. Anything else aborts, which the
 * driver (or libFuzzer) reports as a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backdrop/backdrop.h"
#include "graph_check.h"
#include "nn/format/tflite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    NnGraph g;
    char err[256], why[256];
    int e = nn_graph_load_tflite(&g, data, size, err, sizeof(err));
    if (e == 0) {
        if (nn_graph_check(&g, why, sizeof(why))) {
            fprintf(stderr, "fuzz_tflite: loaded graph violates an invariant: %s\n", why);
            abort();
        }
    } else {
        if (e != BACKDROP_EINVAL && e != BACKDROP_ENOTSUP && e != BACKDROP_ENOMEM) {
            fprintf(stderr, "fuzz_tflite: unexpected code %d (%s)\n", e, err);
            abort();
        }
        if (g.num_tensors || g.num_ops || g.tensors || g.ops || g.num_inputs || g.inputs || g.num_outputs ||
            g.outputs || g.num_states || g.states) {
            fprintf(stderr, "fuzz_tflite: graph not left empty after error %d\n", e);
            abort();
        }
        if (!err[0] || strchr(err, '\n')) {
            fprintf(stderr, "fuzz_tflite: bad message '%s'\n", err);
            abort();
        }
    }
    nn_graph_free(&g);
    return 0;
}
