/*
 * Writes the seed corpus of fuzz_tfjs into DIR, in the target's input
 * layout (fuzz_tfjs.c): the tiny model of tfjs_tiny.h split into its two
 * shard files, as one file where the JSON lists one, and a one-shard
 * variant cut inside the float16 weight; then the small models of the
 * specialiser's unit tests (tfjs_builder.h), one shard each, which
 * specialise with the target's feeds.
 *   tfjs_seeds DIR
 */
#include <stdio.h>
#include <string.h>

#include "tfjs_builder.h"
#include "tfjs_tiny.h"

static int write_seed(const char *dir, const char *name, const char *json, int k, int first, const uint8_t *bin,
                      size_t bin_size)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return 1;
    uint8_t head[3] = { 0, (uint8_t)k, (uint8_t)first };
    fwrite(json, 1, strlen(json), f);
    fwrite(head, 1, k > 1 ? 3 : 2, f);
    fwrite(bin, 1, bin_size, f);
    return fclose(f) != 0;
}

/* One of the builder's models, written as seed spec-NAME. */
static int write_built(const char *dir, const char *name, const TjModel *m)
{
    static char json[TJ_MAX_NODES + 3 * TJ_MAX_TEXT + 1024];
    char file[128];
    snprintf(file, sizeof(file), "spec-%s", name);
    return tj_json(m, json, sizeof(json)) < 0 || write_seed(dir, file, json, 1, 0, m->bin, m->bin_len);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    static char one[sizeof(tfjs_tiny_json)];
    const char *from = "\"paths\": [\"a.bin\", \"b.bin\"]";
    const char *at = strstr(tfjs_tiny_json, from);
    if (!at)
        return 1;
    size_t head = (size_t)(at - tfjs_tiny_json);
    memcpy(one, tfjs_tiny_json, head);
    snprintf(one + head, sizeof(one) - head, "\"paths\": [\"a.bin\"]%s", at + strlen(from));
    int bad = write_seed(argv[1], "tiny-two", tfjs_tiny_json, 2, TFJS_TINY_SPLIT, tfjs_tiny_bin, sizeof(tfjs_tiny_bin));
    bad |= write_seed(argv[1], "tiny-two-7", tfjs_tiny_json, 2, 7, tfjs_tiny_bin, sizeof(tfjs_tiny_bin));
    bad |= write_seed(argv[1], "tiny-one", one, 1, 0, tfjs_tiny_bin, sizeof(tfjs_tiny_bin));
    static TjModel m;
    tj_model_pad_depthwise(&m, 7, 9, 2, (const int[]){ 1, 2, 2, 1 });
    bad |= write_built(argv[1], "pad-depthwise", &m);
    tj_model_pad_depthwise(&m, 5, 6, 1, (const int[]){ 3, 0, 0, 4 });
    bad |= write_built(argv[1], "pad-wide", &m);
    tj_model_dilated(&m, 7, 10, 2, 0);
    bad |= write_built(argv[1], "dilated", &m);
    tj_model_dilated(&m, 9, 7, 0, 2);
    bad |= write_built(argv[1], "dilated-same", &m);
    tj_model_hard_swish(&m, 5, 3, 1);
    bad |= write_built(argv[1], "hard-swish", &m);
    tj_model_hard_swish(&m, 5, 3, 0);
    bad |= write_built(argv[1], "not-hard-swish", &m);
    tj_model_mean(&m, 5, 7);
    bad |= write_built(argv[1], "mean", &m);
    tj_model_split_concat(&m, 3, 4);
    bad |= write_built(argv[1], "split-concat", &m);
    tj_model_switch(&m, 4, 5);
    bad |= write_built(argv[1], "switch", &m);
    tj_model_shape_resize(&m, 7, 9);
    bad |= write_built(argv[1], "shape-resize", &m);
    tj_model_fused_conv(&m, 7, 9);
    bad |= write_built(argv[1], "fused-conv", &m);
    if (bad)
        fprintf(stderr, "%s: cannot write the seeds in %s\n", argv[0], argv[1]);
    return bad;
}
