/*
 * Writes the seed corpus of fuzz_tfjs into DIR: the tiny model of
 * tfjs_tiny.h in the target's input layout (fuzz_tfjs.c), split into its
 * two shard files, as one file where the JSON lists one, and a one-shard
 * variant cut inside the float16 weight.
 *   tfjs_seeds DIR
 */
#include <stdio.h>
#include <string.h>

#include "tfjs_tiny.h"

static int write_seed(const char *dir, const char *name, const char *json, int k, int first)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return 1;
    uint8_t head[3] = { 0, (uint8_t)k, (uint8_t)first };
    fwrite(json, 1, strlen(json), f);
    fwrite(head, 1, k > 1 ? 3 : 2, f);
    fwrite(tfjs_tiny_bin, 1, sizeof(tfjs_tiny_bin), f);
    return fclose(f) != 0;
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
    int bad = write_seed(argv[1], "tiny-two", tfjs_tiny_json, 2, TFJS_TINY_SPLIT);
    bad |= write_seed(argv[1], "tiny-two-7", tfjs_tiny_json, 2, 7);
    bad |= write_seed(argv[1], "tiny-one", one, 1, 0);
    if (bad)
        fprintf(stderr, "%s: cannot write the seeds in %s\n", argv[0], argv[1]);
    return bad;
}
