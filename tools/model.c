/* Model lookup, checksum and loading for the CLI; see model.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libavutil/sha.h>
#include <libavutil/mem.h>

#include "model.h"

#define MAX_MODEL_BYTES ((size_t)256 << 20)
#define FETCH_HINT "fetch it with 'make models' (scripts/fetch-models.sh)"

typedef struct NamedModel {
    const char *name, *file, *sha256;
} NamedModel;

static const NamedModel named_models[] = {
    { "general", "selfie_segmentation.tflite",
      "8d13b7fae74af625c641226813616a2117bd6bca19eb3b75574621fc08557f27" },
    { "landscape", "selfie_segmentation_landscape.tflite",
      "4aafe6223bb8dac6fac8ca8ed56852870a33051ef3f6238822d282a109962894" },
};

static void model_dir(char *dir, size_t len)
{
    const char *env = getenv("BACKDROP_MODEL_DIR");
    if (env && *env) {
        snprintf(dir, len, "%s", env);
        return;
    }
    const char *cache = getenv("XDG_CACHE_HOME");
    if (cache && *cache)
        snprintf(dir, len, "%s/backdrop/models", cache);
    else
        snprintf(dir, len, "%s/.cache/backdrop/models", getenv("HOME") ? getenv("HOME") : ".");
}

static int read_file(const char *path, uint8_t **data, size_t *size, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open model: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        fclose(f);
        return -1;
    }
    if ((size_t)st.st_size > MAX_MODEL_BYTES || st.st_size == 0) {
        snprintf(err, errlen, "%s: %lld bytes is not a plausible model size", path, (long long)st.st_size);
        fclose(f);
        return -1;
    }
    *size = (size_t)st.st_size;
    *data = malloc(*size);
    if (!*data || fread(*data, 1, *size, f) != *size) {
        snprintf(err, errlen, "%s: cannot read model", path);
        free(*data);
        *data = NULL;
        fclose(f);
        return -1;
    }
    fclose(f);
    return 0;
}

static int sha256_matches(const uint8_t *data, size_t size, const char *expected_hex)
{
    struct AVSHA *sha = av_sha_alloc();
    if (!sha)
        return 0;
    uint8_t digest[32];
    char hex[65];
    av_sha_init(sha, 256);
    av_sha_update(sha, data, size);
    av_sha_final(sha, digest);
    av_free(sha);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    return !strcmp(hex, expected_hex);
}

int model_load(const char *spec, uint8_t **data, size_t *size, char *path, size_t pathlen, char *err,
               size_t errlen)
{
    char local_path[4096];
    if (!path) {
        path = local_path;
        pathlen = sizeof(local_path);
    }
    *data = NULL;
    for (size_t i = 0; i < sizeof(named_models) / sizeof(named_models[0]); i++) {
        const NamedModel *m = &named_models[i];
        if (strcmp(spec, m->name))
            continue;
        char dir[4000];
        model_dir(dir, sizeof(dir));
        snprintf(path, pathlen, "%s/%s", dir, m->file);
        struct stat st;
        if (stat(path, &st) != 0) {
            if (errno == ENOENT)
                snprintf(err, errlen, "%s model not found at %s; %s", m->name, path, FETCH_HINT);
            else
                snprintf(err, errlen, "%s: cannot open model: %s", path, strerror(errno));
            return -1;
        }
        if (read_file(path, data, size, err, errlen) < 0)
            return -1;
        if (!sha256_matches(*data, *size, m->sha256)) {
            snprintf(err, errlen, "%s: checksum mismatch (not the published %s model); %s again", path, m->name,
                     FETCH_HINT);
            free(*data);
            *data = NULL;
            return -1;
        }
        return 0;
    }
    snprintf(path, pathlen, "%s", spec);
    return read_file(spec, data, size, err, errlen);
}
