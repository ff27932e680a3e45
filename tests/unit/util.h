/*
 * Helpers shared by the unit tests: frames and contexts released after the
 * test, pixel access, and reference formulas written independently of the
 * library's code.
 */
#ifndef UNIT_UTIL_H
#define UNIT_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "backdrop/backdrop.h"
#include "harness.h"
#include "nn/graph.h"

/* Padding added to every row, odd on purpose: code that assumes
 * stride == row size reads the wrong pixels. */
#define FRAME_ROW_PADDING 3

/* A zeroed frame with its own planes, freed after the test. The last row of
 * each plane ends exactly at the end of its allocation, so overruns are
 * visible to AddressSanitizer. range/matrix: limited, BT.601. */
BackdropFrame frame_new(BackdropPixelFormat fmt, int width, int height);

/* Width / height of plane p (chroma planes of YUV420P are rounded up). */
int plane_width(const BackdropFrame *f, int p);
int plane_height(const BackdropFrame *f, int p);

/* Address of sample (x, y) of plane p; x counts pixels (3 bytes in packed
 * formats). */
uint8_t *sample(const BackdropFrame *f, int p, int x, int y);

/* Writes / reads the colour of a pixel of an RGB24 or BGR24 frame in
 * R, G, B order whatever the byte order. */
void put_rgb(const BackdropFrame *f, int x, int y, int r, int g, int b);
void get_rgb(const BackdropFrame *f, int x, int y, int rgb[3]);

/* Sets every sample of plane p to v. */
void fill_plane(const BackdropFrame *f, int p, int v);
/* Sets every pixel of a packed frame to (r, g, b). */
void fill_rgb(const BackdropFrame *f, int r, int g, int b);
/* Copies the pixels of src into dst (same format and size). */
void copy_frame(const BackdropFrame *dst, const BackdropFrame *src);
/* 1 when the pixels of two frames of the same format and size are equal. */
int frames_equal(const BackdropFrame *a, const BackdropFrame *b);

/* A logger for BackdropSettings (logger_opaque: a UnitLog): counts the
 * library's error messages and keeps the last. */
typedef struct UnitLog {
    int errors;
    char last[256];
} UnitLog;
void unit_keep_log(void *opaque, BackdropLogLevel level, const char *msg);

/* Opens a context (closed after the test); NULL if backdrop_open failed. */
BackdropContext *context_open(const BackdropSettings *s);

/* Sets options on ctx: name, value pairs ending with NULL. Returns 0, or
 * the first failure's code. */
int context_set(BackdropContext *ctx, ...);
/* Sets an int option ("threshold", 7). */
int context_set_int(BackdropContext *ctx, const char *name, int value);

/* Settings: defaults with the given thread count. */
BackdropSettings settings_with_threads(int threads);

/* A fixed-seed linear congruential generator. */
uint8_t lcg_byte(uint32_t *state);
/* Fills every sample of every plane with lcg_byte(). */
void fill_random(const BackdropFrame *f, uint32_t *state);

/* OpenCV's COLOR_BGR2GRAY on the per-channel absolute differences. */
int reference_grey(int dr, int dg, int db);
/* round((a*f + (255-a)*b) / 255), halves rounded up, computed in double. */
int reference_blend(int f, int b, int a);

/* unit_defer() callbacks for the network layer: nn_graph_free(graph),
 * nn_engine_destroy(&engine), pthreadpool_destroy(pool),
 * tfjs_model_free(model). */
void release_graph(void *graph);
void release_engine(void *engine);
void release_pool(void *pool);
void release_tfjs_model(void *model);

/* How many ops of g have this type. */
int graph_count_ops(const NnGraph *g, NnOpType type);

/* The path of a model in the cache:
 * ${BACKDROP_MODEL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/backdrop/models}/file */
void model_file_path(char *buf, size_t len, const char *file);
/* That model read into memory freed after the test; NULL (with path set,
 * for the skip message) when it is absent or unreadable. */
uint8_t *read_model_file(const char *file, size_t *size, char *path, size_t pathlen);

/* ${BACKDROP_SHARED_DIR:-<source root>/../shared}/golden/<set>/<file>
 * (set: "selfie", "rvm"). */
void golden_path(char *buf, size_t len, const char *set, const char *file);
/* count float32 values of a golden file, in memory released after the
 * test; NULL (reported) when the file is missing or of another size. */
float *read_golden(const char *set, const char *file, size_t count);

#endif
