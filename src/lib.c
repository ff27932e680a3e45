/*
 * Public entry points: validation at the boundary, the thread pool, and the
 * hand-over to the pipeline (pipeline.c), which owns the stages, their
 * options and the per-frame flow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "pipeline.h"

struct BackdropContext {
    BackdropLogger log;
    pthreadpool_t pool; /* NULL when running on one thread */
    BdPipeline *pipeline;
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
    case BACKDROP_EOF: return "no frame held back";
    default: return "unknown error";
    }
}

int backdrop_cpu_count(void)
{
    return bd_cpu_count();
}

void backdrop_default_settings(BackdropSettings *s)
{
    if (!s)
        return;
    memset(s, 0, sizeof(*s));
}

const char *backdrop_method_name(int i)
{
    int n = 0;
    for (int k = 0; bd_components[k]; k++)
        if (bd_stage_of(bd_components[k]) == BD_STAGE_SEGMENT && n++ == i)
            return bd_components[k]->pub.name;
    return NULL;
}

/* ---- enumeration ------------------------------------------------------- */

/* The context's own entry, then the registry's in its order. */
static const BackdropComponent context_component = {
    "context", BACKDROP_COMPONENT_CONTEXT, "orientation of the frames and choice of stages", 0
};

const BackdropComponent *backdrop_component(int i)
{
    if (i == 0)
        return &context_component;
    for (int k = 0; bd_components[k]; k++)
        if (k == i - 1)
            return &bd_components[k]->pub;
    return NULL;
}

/* The options table of a component by name, or NULL. */
static const BdOption *options_of(const char *component, size_t *count)
{
    if (!strcmp(component, "context"))
        return bd_context_options(count);
    for (int k = 0; bd_components[k]; k++) {
        if (!strcmp(bd_components[k]->pub.name, component)) {
            *count = bd_components[k]->option_count;
            return bd_components[k]->options;
        }
    }
    return NULL;
}

const BackdropOption *backdrop_option(const char *component, int i)
{
    size_t count = 0;
    const BdOption *table = component && i >= 0 ? options_of(component, &count) : NULL;
    return table && (size_t)i < count ? &table[i].pub : NULL;
}

int backdrop_option_validate(const char *component, const char *name, const char *value, char *why,
                             size_t why_size)
{
    char scratch[256];
    if (!why || !why_size) {
        why = scratch;
        why_size = sizeof(scratch);
    }
    size_t count = 0;
    const BdOption *table = component && name ? options_of(component, &count) : NULL;
    const BdOption *opt = table ? bd_option_find(table, count, name) : NULL;
    if (!opt) {
        snprintf(why, why_size, "%s: no such option of %s", name ? name : "(null)",
                 component ? component : "(null)");
        return BACKDROP_EINVAL;
    }
    /* Parse into a throw-away copy of an options struct: every field of a
     * table fits in 16 bytes past its offset. */
    union {
        char bytes[512];
        double align;
    } opts;
    if (opt->offset + 16 > sizeof(opts.bytes))
        return BACKDROP_EINVAL;
    return bd_option_parse(opt, &opts, value, why, why_size);
}

/* ---- context ----------------------------------------------------------- */

int backdrop_open(BackdropContext **out, const BackdropSettings *s)
{
    if (!out)
        return BACKDROP_EINVAL;
    *out = NULL;
    if (!s || s->threads < 0 || s->threads > 256 || (s->model_size && !s->model_data) ||
        (s->model_weights_size && !s->model_weights))
        return BACKDROP_EINVAL;
    for (size_t i = 0; i < sizeof(s->reserved); i++)
        if (s->reserved[i])
            return BACKDROP_EINVAL;

    BackdropContext *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return BACKDROP_ENOMEM;
    ctx->log.callback = s->logger;
    ctx->log.opaque = s->logger_opaque;
    /* Never more threads than CPUs to run them: pthreadpool spins instead
     * of sleeping, the caller while it waits for the workers to finish a
     * parallel step, the workers between XNNPACK's operators. A worker
     * without a CPU of its own therefore holds up every step (hundreds per
     * frame) until the scheduler preempts a spinning thread: 4 threads on
     * 2 CPUs ran the selfie method about 80 times slower than 1. */
    int cpus = bd_cpu_count();
    int threads = s->threads == 0 || s->threads > cpus ? cpus : s->threads;
    if (threads > 1 && !(ctx->pool = pthreadpool_create((size_t)threads))) {
        free(ctx);
        return BACKDROP_ENOMEM;
    }
    int err = bd_pipeline_open(&ctx->pipeline, s, ctx->pool, &ctx->log);
    if (err < 0) {
        backdrop_close(&ctx);
        return err;
    }
    *out = ctx;
    return 0;
}

void backdrop_close(BackdropContext **pctx)
{
    if (!pctx || !*pctx)
        return;
    BackdropContext *ctx = *pctx;
    bd_pipeline_close(&ctx->pipeline);
    if (ctx->pool)
        pthreadpool_destroy(ctx->pool);
    free(ctx);
    *pctx = NULL;
}

int backdrop_set_option(BackdropContext *ctx, const char *name, const char *value)
{
    if (!ctx || !name || !value)
        return BACKDROP_EINVAL;
    return bd_pipeline_set_option(ctx->pipeline, name, value);
}

int backdrop_get_option(BackdropContext *ctx, const char *name, char *value, size_t size)
{
    if (!ctx || !name || !value || !size)
        return BACKDROP_EINVAL;
    char buf[64];
    int err = bd_pipeline_get_option(ctx->pipeline, name, buf, sizeof(buf));
    if (err < 0)
        return err;
    if (strlen(buf) >= size)
        return BACKDROP_EINVAL;
    memcpy(value, buf, strlen(buf) + 1);
    return 0;
}

int backdrop_set_background(BackdropContext *ctx, const BackdropFrame *bg)
{
    if (!ctx)
        return BACKDROP_EINVAL;
    if (bg) {
        int err = bd_frame_check(bg);
        if (err < 0)
            return err;
        if (bg->format != BACKDROP_PIXFMT_YUV420P && bg->format != BACKDROP_PIXFMT_RGB24 &&
            bg->format != BACKDROP_PIXFMT_BGR24)
            return BACKDROP_ENOTSUP;
    }
    return bd_pipeline_set_picture(ctx->pipeline, bg);
}

int backdrop_set_background_color(BackdropContext *ctx, uint8_t r, uint8_t g, uint8_t b)
{
    if (!ctx)
        return BACKDROP_EINVAL;
    char text[8];
    snprintf(text, sizeof(text), "#%02x%02x%02x", r, g, b);
    return bd_pipeline_set_option(ctx->pipeline, "picture.color", text);
}

int backdrop_set_matte(BackdropContext *ctx, const BackdropFrame *matte)
{
    if (!ctx)
        return BACKDROP_EINVAL;
    /* The format and the planes here, the size against the frame it goes
     * with in the method (the next frame may change size). */
    if (matte) {
        int err = bd_frame_check(matte);
        if (err < 0 || matte->format != BACKDROP_PIXFMT_GRAY8) {
            bd_log(&ctx->log, BACKDROP_LOG_ERROR, "backdrop_set_matte: %s",
                   err < 0 ? "not a valid frame (planes, strides or size)" : "the matte must be GRAY8");
            return err < 0 ? err : BACKDROP_EINVAL;
        }
    }
    return bd_pipeline_set_matte(ctx->pipeline, matte);
}

/* Checks out (and matte) against in: same size, out in in's format or its
 * alpha variant, matte GRAY8. */
static int check_outputs(const BackdropFrame *in, const BackdropFrame *out, const BackdropFrame *matte)
{
    int err = bd_frame_check(out);
    if (err < 0)
        return err;
    if (bd_without_alpha(out->format) != in->format || out->width != in->width || out->height != in->height)
        return BACKDROP_EINVAL;
    if (matte && ((err = bd_frame_check(matte)) < 0 || matte->format != BACKDROP_PIXFMT_GRAY8 ||
                  matte->width != in->width || matte->height != in->height))
        return err < 0 ? err : BACKDROP_EINVAL;
    return 0;
}

int backdrop_process(BackdropContext *ctx, const BackdropFrame *in, BackdropFrame *out,
                     BackdropFrame *matte)
{
    if (!ctx || !in || !out)
        return BACKDROP_EINVAL;
    int err = bd_frame_check(in);
    if (err < 0)
        return err;
    if (in->format != BACKDROP_PIXFMT_YUV420P && in->format != BACKDROP_PIXFMT_RGB24 &&
        in->format != BACKDROP_PIXFMT_BGR24)
        return in->format == BACKDROP_PIXFMT_GRAY8 ? BACKDROP_ENOTSUP : BACKDROP_EINVAL;
    if ((err = check_outputs(in, out, matte)) < 0)
        return err;
    return bd_pipeline_process(ctx->pipeline, in, out, matte);
}

int backdrop_drain(BackdropContext *ctx, BackdropFrame *out, BackdropFrame *matte)
{
    if (!ctx || !out)
        return BACKDROP_EINVAL;
    return bd_pipeline_drain(ctx->pipeline, out, matte);
}
