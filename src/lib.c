/*
 * Public entry points: validation at the boundary, the context's state, and
 * the per-frame flow  segment -> composite.
 *
 * Invariants of a context between calls:
 *  - 'shape' describes the frames of the last successful process() call;
 *    the method is initialised for exactly that shape (method_ready).
 *  - 'prepared' holds the background in that shape whenever
 *    background_ready is set; any change of picture, colour, fit or shape
 *    clears it, and it is rebuilt once, on the next frame.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "segment/method.h"

static const SegmentMethod *const methods[] = {
    &bd_method_framediff,
#if BD_HAVE_XNNPACK /* meson option xnnpack */
    &bd_method_selfie,
#endif
};
#define METHOD_COUNT (int)(sizeof(methods) / sizeof(methods[0]))

typedef struct FrameShape {
    BackdropPixelFormat format;
    int width, height;
    BackdropColorRange range;
    BackdropColorMatrix matrix;
} FrameShape;

struct BackdropContext {
    BackdropSettings settings;
    char *method_name; /* settings.method points here */
    BackdropLogger log;
    pthreadpool_t pool; /* NULL when running on one thread */

    const SegmentMethod *method;
    void *method_priv;
    int method_ready;
    FrameShape shape;

    Picture picture;      /* the user's background picture, RGB24; empty if none */
    Picture prepared;     /* background in the frames' shape */
    int background_ready;

    uint8_t *alpha;       /* width x height mask, alpha_stride bytes per row */
    ptrdiff_t alpha_stride;
    size_t alpha_capacity;
};

const char *backdrop_version(void)
{
    return BACKDROP_VERSION;
}

const char *backdrop_strerror(int err)
{
    switch (err) {
    case 0: return "success";
    case BACKDROP_EINVAL: return "invalid argument";
    case BACKDROP_ENOMEM: return "out of memory";
    case BACKDROP_ENOTSUP: return "not supported";
    case BACKDROP_EAGAIN: return "no output for this frame yet";
    case BACKDROP_ERANGE: return "dimension too large";
    default: return "unknown error";
    }
}

void backdrop_default_settings(BackdropSettings *s)
{
    if (!s)
        return;
    memset(s, 0, sizeof(*s));
    s->method = NULL;
    s->threads = 0;
    s->threshold = 3;
    s->seed_compat = 0;
    s->fit = BACKDROP_FIT_STRETCH;
    s->mask_threshold = 0.5f;
    s->mask_softness = 0.2f;
    s->framing = BACKDROP_FRAMING_WINDOWS;
    s->nn_engine = BACKDROP_ENGINE_XNNPACK;
}

const char *backdrop_method_name(int i)
{
    return i >= 0 && i < METHOD_COUNT ? methods[i]->name : NULL;
}

static const SegmentMethod *find_method(const char *name)
{
    if (!name)
        return methods[0];
    for (int i = 0; i < METHOD_COUNT; i++)
        if (!strcmp(methods[i]->name, name))
            return methods[i];
    return NULL;
}

int backdrop_open(BackdropContext **out, const BackdropSettings *s)
{
    if (!out)
        return BACKDROP_EINVAL;
    *out = NULL;
    if (!s || s->threads < 0 || s->threads > 256 || s->threshold < 0 || s->threshold > 255 ||
        (s->seed_compat != 0 && s->seed_compat != 1) || (unsigned)s->fit > BACKDROP_FIT_CONTAIN ||
        !(s->mask_threshold >= 0.0f && s->mask_threshold <= 1.0f) ||
        !(s->mask_softness >= 0.0f && s->mask_softness <= 1.0f) ||
        (unsigned)s->framing > BACKDROP_FRAMING_WINDOWS || (unsigned)s->nn_engine > BACKDROP_ENGINE_REFERENCE ||
        (s->model_size && !s->model_data) || s->rotation < 0 || s->rotation > 270 || s->rotation % 90)
        return BACKDROP_EINVAL;
    const SegmentMethod *method = find_method(s->method);
    if (!method)
        return BACKDROP_ENOTSUP;

    BackdropContext *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return BACKDROP_ENOMEM;
    ctx->settings = *s;
    ctx->method = method;
    ctx->method_name = strdup(method->name);
    ctx->method_priv = calloc(1, method->priv_size ? method->priv_size : 1);
    if (!ctx->method_name || !ctx->method_priv)
        goto nomem;
    ctx->settings.method = ctx->method_name;
    ctx->log.callback = s->logger;
    ctx->log.opaque = s->logger_opaque;
    /* The model is parsed during open; the context keeps no pointer to it. */
    ctx->settings.model_data = NULL;
    ctx->settings.model_size = 0;

    long threads = s->threads;
    if (threads == 0) {
        threads = sysconf(_SC_NPROCESSORS_ONLN);
        if (threads < 1)
            threads = 1;
    }
    if (threads > 1) {
        ctx->pool = pthreadpool_create((size_t)threads);
        if (!ctx->pool)
            goto nomem;
    }
    if (method->open) {
        int err = method->open(ctx->method_priv, s, ctx->pool, &ctx->log);
        if (err < 0) {
            backdrop_close(&ctx);
            return err;
        }
    }
    *out = ctx;
    return 0;
nomem:
    backdrop_close(&ctx);
    return BACKDROP_ENOMEM;
}

void backdrop_close(BackdropContext **pctx)
{
    if (!pctx || !*pctx)
        return;
    BackdropContext *ctx = *pctx;
    if (ctx->method_ready)
        ctx->method->uninit(ctx->method_priv);
    if (ctx->method_priv && ctx->method->close)
        ctx->method->close(ctx->method_priv);
    free(ctx->method_priv);
    free(ctx->method_name);
    if (ctx->pool)
        pthreadpool_destroy(ctx->pool);
    bd_picture_free(&ctx->picture);
    bd_picture_free(&ctx->prepared);
    free(ctx->alpha);
    free(ctx);
    *pctx = NULL;
}

int backdrop_set_background(BackdropContext *ctx, const BackdropFrame *bg)
{
    if (!ctx)
        return BACKDROP_EINVAL;
    ctx->background_ready = 0;
    if (!bg) {
        bd_picture_free(&ctx->picture);
        return 0;
    }
    int err = bd_frame_check(bg);
    if (err < 0)
        return err;
    if (bg->format == BACKDROP_PIXFMT_GRAY8)
        return BACKDROP_ENOTSUP;
    /* Kept as RGB24 (or BGR24 as given) so resizing works on whole pixels;
     * the conversion to the frames' format happens once per shape. */
    BackdropPixelFormat keep = bg->format == BACKDROP_PIXFMT_BGR24 ? BACKDROP_PIXFMT_BGR24 : BACKDROP_PIXFMT_RGB24;
    if ((err = bd_picture_alloc(&ctx->picture, keep, bg->width, bg->height)) < 0) {
        bd_picture_free(&ctx->picture);
        return err;
    }
    if (bg->format == keep)
        bd_frame_copy(&ctx->picture.frame, bg);
    else
        bd_convert(&ctx->picture.frame, bg);
    return 0;
}

int backdrop_set_background_color(BackdropContext *ctx, uint8_t r, uint8_t g, uint8_t b)
{
    if (!ctx)
        return BACKDROP_EINVAL;
    ctx->settings.background_rgb[0] = r;
    ctx->settings.background_rgb[1] = g;
    ctx->settings.background_rgb[2] = b;
    ctx->background_ready = 0;
    return 0;
}

static int prepare_background(BackdropContext *ctx)
{
    const FrameShape *s = &ctx->shape;
    const uint8_t *rgb = ctx->settings.background_rgb;
    int err = bd_picture_alloc(&ctx->prepared, s->format, s->width, s->height);
    if (err < 0)
        return err;
    ctx->prepared.frame.range = s->range;
    ctx->prepared.frame.matrix = s->matrix;
    if (!ctx->picture.frame.data[0]) {
        bd_fill_rgb(&ctx->prepared.frame, rgb[0], rgb[1], rgb[2]);
        ctx->background_ready = 1;
        return 0;
    }
    /* Scale in the picture's packed format, then convert the whole frame
     * (bars included) to the frames' format. */
    const BackdropFrame *pic = &ctx->picture.frame;
    Picture scaled = { 0 };
    if ((err = bd_picture_alloc(&scaled, pic->format, s->width, s->height)) < 0)
        return err;
    BdFitRect r = bd_fit_rect(ctx->settings.fit, pic->width, pic->height, s->width, s->height);
    if (r.dst_w != s->width || r.dst_h != s->height)
        bd_fill_rgb(&scaled.frame, rgb[0], rgb[1], rgb[2]);
    err = bd_resize_area(&scaled.frame, r.dst_x, r.dst_y, r.dst_w, r.dst_h,
                         pic, r.src_x, r.src_y, r.src_w, r.src_h);
    if (err >= 0) {
        if (scaled.frame.format == s->format)
            bd_frame_copy(&ctx->prepared.frame, &scaled.frame);
        else
            bd_convert(&ctx->prepared.frame, &scaled.frame);
        ctx->background_ready = 1;
    }
    bd_picture_free(&scaled);
    return err;
}

static int shape_equal(const FrameShape *a, const FrameShape *b)
{
    return a->format == b->format && a->width == b->width && a->height == b->height &&
           a->range == b->range && a->matrix == b->matrix;
}

/* Brings method, mask buffer and background in line with the frame shape. */
static int reshape(BackdropContext *ctx, const FrameShape *shape)
{
    if (ctx->method_ready) {
        ctx->method->uninit(ctx->method_priv);
        ctx->method_ready = 0;
    }
    ctx->background_ready = 0;
    ctx->shape = *shape;

    ptrdiff_t stride = ((ptrdiff_t)shape->width + BD_ALIGN - 1) & ~(ptrdiff_t)(BD_ALIGN - 1);
    size_t bytes = (size_t)stride * (size_t)shape->height;
    if (bytes > ctx->alpha_capacity) {
        uint8_t *alpha = aligned_alloc(BD_ALIGN, bytes);
        if (!alpha)
            return BACKDROP_ENOMEM;
        free(ctx->alpha);
        ctx->alpha = alpha;
        ctx->alpha_capacity = bytes;
    }
    ctx->alpha_stride = stride;

    MethodConfig cfg = { &ctx->settings, shape->format, shape->width, shape->height,
                         shape->range, shape->matrix, ctx->pool, &ctx->log };
    int err = ctx->method->init(ctx->method_priv, &cfg);
    if (err < 0) {
        ctx->method->uninit(ctx->method_priv);
        bd_log(&ctx->log, BACKDROP_LOG_ERROR, "%s: cannot start on %dx%d frames: %s",
               ctx->method->name, shape->width, shape->height, backdrop_strerror(err));
        return err;
    }
    ctx->method_ready = 1;
    bd_log(&ctx->log, BACKDROP_LOG_DEBUG, "%s: started on %dx%d frames", ctx->method->name,
           shape->width, shape->height);
    return 0;
}

typedef struct CompositeJob {
    const BackdropFrame *out, *fg, *bg;
    const uint8_t *alpha;
    ptrdiff_t alpha_stride;
} CompositeJob;

static void composite_task(void *opaque, int first_row, int rows)
{
    const CompositeJob *job = opaque;
    bd_composite_rows(job->out, job->fg, job->bg, job->alpha, job->alpha_stride, first_row, rows);
}

static void copy_matte(const BackdropFrame *matte, const uint8_t *alpha, ptrdiff_t stride)
{
    for (int y = 0; y < matte->height; y++)
        memcpy(matte->data[0] + y * matte->stride[0], alpha + y * stride, (size_t)matte->width);
}

int backdrop_process(BackdropContext *ctx, const BackdropFrame *in, BackdropFrame *out,
                     BackdropFrame *matte)
{
    if (!ctx || !in || !out)
        return BACKDROP_EINVAL;
    int err = bd_frame_check(in);
    if (err < 0)
        return err;
    if (in->format == BACKDROP_PIXFMT_GRAY8)
        return BACKDROP_ENOTSUP;
    if ((err = bd_frame_check(out)) < 0)
        return err;
    if (out->format != in->format || out->width != in->width || out->height != in->height)
        return BACKDROP_EINVAL;
    if (matte && ((err = bd_frame_check(matte)) < 0 || matte->format != BACKDROP_PIXFMT_GRAY8 ||
                  matte->width != in->width || matte->height != in->height))
        return err < 0 ? err : BACKDROP_EINVAL;

    FrameShape shape = { in->format, in->width, in->height, BACKDROP_RANGE_LIMITED, BACKDROP_MATRIX_BT601 };
    if (in->format == BACKDROP_PIXFMT_YUV420P) {
        shape.range = in->range;
        shape.matrix = in->matrix;
    }
    if (!ctx->method_ready || !shape_equal(&shape, &ctx->shape))
        if ((err = reshape(ctx, &shape)) < 0)
            return err;
    if (!ctx->background_ready && (err = prepare_background(ctx)) < 0)
        return err;

    const BackdropFrame *fg = in;
    err = ctx->method->segment(ctx->method_priv, in, &fg, ctx->alpha, ctx->alpha_stride);
    if (err < 0)
        return err;
    CompositeJob job = { out, fg, &ctx->prepared.frame, ctx->alpha, ctx->alpha_stride };
    bd_run_rows(ctx->pool, composite_task, &job, in->height, 2);
    if (matte)
        copy_matte(matte, ctx->alpha, ctx->alpha_stride);
    return 0;
}
