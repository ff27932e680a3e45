/*
 * Finding and reading the selfie model for the CLI. Named models (general,
 * landscape) live in the model cache filled by scripts/fetch-models.sh
 * ($BACKDROP_MODEL_DIR, else ${XDG_CACHE_HOME:-~/.cache}/backdrop/models)
 * and are checked against their published sha256; a FILE given by path is
 * read as is and left to the library's validation (a retrained model of the
 * same graph is welcome).
 */
#ifndef BACKDROP_TOOLS_MODEL_H
#define BACKDROP_TOOLS_MODEL_H

#include <stddef.h>
#include <stdint.h>

/* The model used when --model is absent. The general model with windowed
 * framing measured best on every frame shape (bench/results.csv); the
 * landscape model is the fast choice for 16:9. */
#define MODEL_DEFAULT "general"

/* The method used when -m is absent (tools/backdrop.c says why): for
 * files, and live (a camera, --realtime). */
#define METHOD_DEFAULT "rvm"
#define METHOD_LIVE_DEFAULT "selfie"

/* spec: "general", "landscape" or a path. On success *data (malloc'ed,
 * caller frees) and *size hold the file, and path (if not NULL) its
 * location. Returns 0 or -1 with a one-line message in err. */
int model_load(const char *spec, uint8_t **data, size_t *size, char *path, size_t pathlen, char *err,
               size_t errlen);

/* Robust Video Matting: spec NULL or "rvm" reads rvm.json and rvm.bin
 * from the model cache (checksums checked); a path names a model.json,
 * whose weights are the file rvm.bin in the same directory. On success
 * *json and *weights (malloc'ed, caller frees) hold the files, path the
 * graph's location and weights_path the weights'. Returns 0 or -1 with a one-line message. */
int model_load_rvm(const char *spec, uint8_t **json, size_t *json_size, uint8_t **weights, size_t *weights_size,
                   char *path, size_t pathlen, char *weights_path, size_t weights_pathlen, char *err, size_t errlen);

#endif
