/*
 * Writes the seed corpus of fuzz_tflite into a directory:
 *   mini-custom.tflite, mini-builtin.tflite  synthetic models using every
 *                                            supported operator (~4 KB)
 *   for each MODEL argument: the model itself, and copies truncated to
 *   half its size and to its size minus one byte.
 * The models are read from the cache at test time; nothing derived from
 * them is committed.
 *
 *   tflite_seeds OUTDIR [MODEL...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tflite_builder.h"

static int write_file(const char *dir, const char *name, const uint8_t *data, size_t size)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        fprintf(stderr, "tflite_seeds: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s OUTDIR [MODEL...]\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    for (int builtin = 0; builtin < 2; builtin++) {
        TbModel m;
        size_t size;
        tb_mini_model(&m, builtin);
        uint8_t *data = tb_serialize(&m, &size);
        if (!data || write_file(dir, builtin ? "mini-builtin.tflite" : "mini-custom.tflite", data, size))
            return 1;
        free(data);
    }
    for (int i = 2; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        long n = -1;
        uint8_t *data = NULL;
        if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 1 && fseek(f, 0, SEEK_SET) == 0 &&
            (data = malloc((size_t)n)) && fread(data, 1, (size_t)n, f) == (size_t)n) {
            const char *base = strrchr(argv[i], '/');
            base = base ? base + 1 : argv[i];
            char name[512];
            snprintf(name, sizeof(name), "%s", base);
            int e = write_file(dir, name, data, (size_t)n);
            snprintf(name, sizeof(name), "%s.half", base);
            e = e || write_file(dir, name, data, (size_t)n / 2);
            snprintf(name, sizeof(name), "%s.minus1", base);
            e = e || write_file(dir, name, data, (size_t)n - 1);
            if (e)
                return 1;
        } else {
            fprintf(stderr, "tflite_seeds: cannot read %s\n", argv[i]);
            return 1;
        }
        free(data);
        fclose(f);
    }
    return 0;
}
