/*
 * Fuzz target for the TF.js graph-model reader. The input is
 *   model.json bytes, NUL, k, n_1 .. n_(k-1), shard bytes
 * (no NUL: the whole input is model.json and there are no shards): k % 4
 * shard files, the first k-1 of n_i bytes (cut to what is left), the last
 * takes the rest. Any input must give either an error (EINVAL / ENOTSUP /
 * ENOMEM, an empty model and a one-line message) or a model meeting every
 * guarantee of tfjs.h, judged by the independent tfjs_check.c. Anything
 * else aborts, which the driver (or libFuzzer) reports as a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backdrop/backdrop.h"
#include "nn/format/tfjs.h"
#include "tfjs_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t json_size = nul ? (size_t)(nul - data) : size;
    const uint8_t *shards[3];
    size_t sizes[3];
    int k = 0;
    if (nul) {
        const uint8_t *p = nul + 1, *end = data + size;
        k = p < end ? *p++ % 4 : 0;
        const uint8_t *lens = p;
        p = p + (k > 1 ? k - 1 : 0) <= end ? p + (k > 1 ? k - 1 : 0) : end;
        for (int i = 0; i < k; i++) {
            size_t left = (size_t)(end - p);
            size_t n = i + 1 < k && lens + i < end ? lens[i] : left;
            if (n > left)
                n = left;
            shards[i] = p;
            sizes[i] = n;
            p += n;
        }
    }
    TfjsModel m;
    char err[256], why[256];
    int e = tfjs_model_read(&m, data, json_size, shards, sizes, k, err, sizeof(err));
    if (e == 0) {
        if (tfjs_model_check(&m, why, sizeof(why))) {
            fprintf(stderr, "fuzz_tfjs: model violates a guarantee: %s\n", why);
            abort();
        }
    } else {
        if (e != BACKDROP_EINVAL && e != BACKDROP_ENOTSUP && e != BACKDROP_ENOMEM) {
            fprintf(stderr, "fuzz_tfjs: unexpected code %d (%s)\n", e, err);
            abort();
        }
        if (!tfjs_model_is_empty(&m)) {
            fprintf(stderr, "fuzz_tfjs: model not left empty after error %d\n", e);
            abort();
        }
        if (!err[0] || strchr(err, '\n')) {
            fprintf(stderr, "fuzz_tfjs: bad message '%s'\n", err);
            abort();
        }
    }
    tfjs_model_free(&m);
    return 0;
}
