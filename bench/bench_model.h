/*
 * What the C benchmark programs that load models need: the model folder
 * and whole files read into memory.
 */
#ifndef BACKDROP_BENCH_MODEL_H
#define BACKDROP_BENCH_MODEL_H

#include <stdio.h>
#include <stdlib.h>

/* dir when given, else $BACKDROP_MODEL_DIR, else
 * ${XDG_CACHE_HOME:-$HOME/.cache}/backdrop/models (the model cache of
 * scripts/fetch-models.sh); buf holds the result when it is built. */
static inline const char *model_dir(const char *dir, char *buf, size_t len)
{
    if (!dir || !*dir)
        dir = getenv("BACKDROP_MODEL_DIR");
    if (dir && *dir)
        return dir;
    const char *cache = getenv("XDG_CACHE_HOME");
    if (cache && *cache)
        snprintf(buf, len, "%s/backdrop/models", cache);
    else
        snprintf(buf, len, "%s/.cache/backdrop/models", getenv("HOME") ? getenv("HOME") : "");
    return buf;
}

/* The whole file at path (malloc'ed, *size bytes), or NULL. */
static inline void *read_whole(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    void *data = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n > 0 && fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)n))) {
            if (fread(data, 1, (size_t)n, f) != (size_t)n) {
                free(data);
                data = NULL;
            } else {
                *size = (size_t)n;
            }
        }
    }
    fclose(f);
    return data;
}

#endif
