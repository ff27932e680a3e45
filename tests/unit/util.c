#include <stdarg.h>
#include <stdio.h>

#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/engine.h"
#include "nn/format/tfjs.h"

static int is_packed(BackdropPixelFormat fmt)
{
    return fmt == BACKDROP_PIXFMT_RGB24 || fmt == BACKDROP_PIXFMT_BGR24;
}

/* Bytes per pixel of plane 0. */
static int pixel_bytes(BackdropPixelFormat fmt)
{
    if (is_packed(fmt))
        return 3;
    return fmt == BACKDROP_PIXFMT_RGBA || fmt == BACKDROP_PIXFMT_BGRA ? 4 : 1;
}

static int plane_count(BackdropPixelFormat fmt)
{
    return fmt == BACKDROP_PIXFMT_YUV420P ? 3 : fmt == BACKDROP_PIXFMT_YUVA420P ? 4 : 1;
}

/* Planes 1 and 2 of the 4:2:0 formats are half size. */
static int is_chroma(const BackdropFrame *f, int p)
{
    return p == 1 || p == 2;
}

int plane_width(const BackdropFrame *f, int p)
{
    return is_chroma(f, p) ? (f->width + 1) / 2 : f->width;
}

int plane_height(const BackdropFrame *f, int p)
{
    return is_chroma(f, p) ? (f->height + 1) / 2 : f->height;
}

static size_t row_bytes(const BackdropFrame *f, int p)
{
    return (size_t)plane_width(f, p) * (size_t)pixel_bytes(f->format);
}

BackdropFrame frame_new(BackdropPixelFormat fmt, int width, int height)
{
    BackdropFrame f;
    memset(&f, 0, sizeof(f));
    f.format = fmt;
    f.width = width;
    f.height = height;
    f.range = BACKDROP_RANGE_LIMITED;
    f.matrix = BACKDROP_MATRIX_BT601;
    for (int p = 0; p < plane_count(fmt); p++) {
        size_t row = row_bytes(&f, p);
        f.stride[p] = (ptrdiff_t)(row + FRAME_ROW_PADDING);
        size_t size = (size_t)f.stride[p] * (size_t)(plane_height(&f, p) - 1) + row;
        f.data[p] = unit_alloc(size);
    }
    return f;
}

uint8_t *sample(const BackdropFrame *f, int p, int x, int y)
{
    return f->data[p] + y * f->stride[p] + (ptrdiff_t)x * pixel_bytes(f->format);
}

void put_rgb(const BackdropFrame *f, int x, int y, int r, int g, int b)
{
    uint8_t *px = sample(f, 0, x, y);
    int bgr = f->format == BACKDROP_PIXFMT_BGR24;
    px[bgr ? 2 : 0] = (uint8_t)r;
    px[1] = (uint8_t)g;
    px[bgr ? 0 : 2] = (uint8_t)b;
}

void get_rgb(const BackdropFrame *f, int x, int y, int rgb[3])
{
    const uint8_t *px = sample(f, 0, x, y);
    int bgr = f->format == BACKDROP_PIXFMT_BGR24;
    rgb[0] = px[bgr ? 2 : 0];
    rgb[1] = px[1];
    rgb[2] = px[bgr ? 0 : 2];
}

void fill_plane(const BackdropFrame *f, int p, int v)
{
    for (int y = 0; y < plane_height(f, p); y++)
        memset(sample(f, p, 0, y), v, row_bytes(f, p));
}

void fill_rgb(const BackdropFrame *f, int r, int g, int b)
{
    for (int y = 0; y < f->height; y++)
        for (int x = 0; x < f->width; x++)
            put_rgb(f, x, y, r, g, b);
}

void copy_frame(const BackdropFrame *dst, const BackdropFrame *src)
{
    for (int p = 0; p < plane_count(src->format); p++)
        for (int y = 0; y < plane_height(src, p); y++)
            memcpy(sample(dst, p, 0, y), sample(src, p, 0, y), row_bytes(src, p));
}

int frames_equal(const BackdropFrame *a, const BackdropFrame *b)
{
    for (int p = 0; p < plane_count(a->format); p++)
        for (int y = 0; y < plane_height(a, p); y++)
            if (memcmp(sample(a, p, 0, y), sample(b, p, 0, y), row_bytes(a, p)))
                return 0;
    return 1;
}

static void close_context(void *ptr)
{
    BackdropContext *ctx = ptr;
    backdrop_close(&ctx);
}

BackdropContext *context_open(const BackdropSettings *s)
{
    BackdropContext *ctx = NULL;
    if (backdrop_open(&ctx, s) < 0)
        return NULL;
    unit_defer(close_context, ctx);
    return ctx;
}

BackdropSettings settings_with_threads(int threads)
{
    BackdropSettings s;
    backdrop_default_settings(&s);
    s.threads = threads;
    return s;
}

uint8_t lcg_byte(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return (uint8_t)(*state >> 24);
}

void fill_random(const BackdropFrame *f, uint32_t *state)
{
    for (int p = 0; p < plane_count(f->format); p++)
        for (int y = 0; y < plane_height(f, p); y++)
            for (size_t i = 0; i < row_bytes(f, p); i++)
                sample(f, p, 0, y)[i] = lcg_byte(state);
}

int reference_grey(int dr, int dg, int db)
{
    return (4899 * abs(dr) + 9617 * abs(dg) + 1868 * abs(db) + 8192) >> 14;
}

int reference_blend(int f, int b, int a)
{
    return (int)floor((a * (double)f + (255 - a) * (double)b) / 255.0 + 0.5);
}

int context_set(BackdropContext *ctx, ...)
{
    va_list ap;
    va_start(ap, ctx);
    int err = 0;
    for (const char *name; err == 0 && (name = va_arg(ap, const char *)) != NULL;) {
        const char *value = va_arg(ap, const char *);
        err = backdrop_set_option(ctx, name, value);
    }
    va_end(ap);
    return err;
}

int context_set_int(BackdropContext *ctx, const char *name, int value)
{
    char text[32];
    snprintf(text, sizeof(text), "%d", value);
    return backdrop_set_option(ctx, name, text);
}

void release_graph(void *graph)
{
    nn_graph_free(graph);
}

void release_engine(void *engine)
{
    NnEngine *e = engine;
    nn_engine_destroy(&e);
}

void release_pool(void *pool)
{
    pthreadpool_destroy(pool);
}

void release_tfjs_model(void *model)
{
    tfjs_model_free(model);
}

int graph_count_ops(const NnGraph *g, NnOpType type)
{
    int n = 0;
    for (int k = 0; k < g->num_ops; k++)
        n += g->ops[k].type == type;
    return n;
}

void model_file_path(char *buf, size_t len, const char *file)
{
    const char *dir = getenv("BACKDROP_MODEL_DIR");
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (dir && *dir)
        snprintf(buf, len, "%s/%s", dir, file);
    else if (xdg && *xdg)
        snprintf(buf, len, "%s/backdrop/models/%s", xdg, file);
    else
        snprintf(buf, len, "%s/.cache/backdrop/models/%s", home ? home : "", file);
}

uint8_t *read_model_file(const char *file, size_t *size, char *path, size_t pathlen)
{
    model_file_path(path, pathlen, file);
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *data = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
        data = unit_alloc((size_t)n);
        if (fread(data, 1, (size_t)n, f) != (size_t)n)
            data = NULL;
    }
    fclose(f);
    *size = data ? (size_t)n : 0;
    return data;
}

void golden_path(char *buf, size_t len, const char *set, const char *file)
{
    const char *dir = getenv("BACKDROP_SHARED_DIR");
    if (dir && *dir)
        snprintf(buf, len, "%s/golden/%s/%s", dir, set, file);
    else
        snprintf(buf, len, "%s/../shared/golden/%s/%s", BACKDROP_SOURCE_ROOT, set, file);
}

float *read_golden(const char *set, const char *file, size_t count)
{
    char path[4096];
    golden_path(path, sizeof(path), set, file);
    float *data = unit_alloc(count * sizeof(float) + 1);
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(data, sizeof(float), count, f) : 0;
    int extra = f && fgetc(f) != EOF;
    if (f)
        fclose(f);
    if (got != count || extra) {
        unit_report(__FILE__, __LINE__, "%s: missing or not %zu floats", path, count);
        return NULL;
    }
    return data;
}

void unit_keep_log(void *opaque, BackdropLogLevel level, const char *msg)
{
    UnitLog *log = opaque;
    if (level != BACKDROP_LOG_ERROR)
        return;
    log->errors++;
    snprintf(log->last, sizeof(log->last), "%s", msg);
}
