/*
 * The pipeline; see pipeline.h.
 *
 * Invariants between calls:
 *  - stage[k].c is the selected component of kind k (NULL: none, only for
 *    stabilise); its priv is open (opened) from selection to close;
 *  - stage[k].ready: its init ran for 'shape' with the options as they are
 *    now; an option that needs a rebuild, a new shape, a new picture (for
 *    the background) or a new matte description clears it, and the stage is
 *    initialised again, once, on the next frame;
 *  - 'started' is set by the first frame that reached the stages: from then
 *    on options without BACKDROP_OPTION_RUNTIME are fixed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

typedef struct Stage {
    const BdComponent *c;
    void *priv;
    int opened;
    int ready;
} Stage;

/* The context's own options (component "context"). */
typedef struct ContextOptions {
    int rotation; /* index into rotation_choices: quarter turns */
    int refine;   /* index into the choices of the stage selectors */
    int stabilise;
    int cleanup;
    int background;
} ContextOptions;

struct BdPipeline {
    Stage stage[BD_STAGE_COUNT];
    BdEnv env;
    ContextOptions opts;
    int started;
    int have_shape;
    BdShape shape;
    BdMatteInfo info;
    Picture picture;          /* the caller's background picture, or empty */
    /* The caller's matte for the next frame (backdrop_set_matte): its
     * description only; the pixels stay the caller's. */
    BackdropFrame matte_in;
    int have_matte_in;
    uint8_t *alpha;
    ptrdiff_t alpha_stride;
    size_t alpha_capacity;
};

/* Soft-map stages before the alpha exists; see pipeline.h. */
const BdStageKind bd_stage_order[BD_STAGE_COUNT] = {
    BD_STAGE_SEGMENT, BD_STAGE_STABILISE, BD_STAGE_CLEANUP, BD_STAGE_REFINE, BD_STAGE_BACKGROUND,
    BD_STAGE_COMPOSITE,
};

static const char *const rotation_choices[] = { "0", "90", "180", "270", NULL };

/* Choices of the stage selectors: the names of the registry's components
 * of that kind ("none" last for the optional ones), listed by registry.c
 * from the same lines that register the components. */
extern const char *const bd_refine_names[];
extern const char *const bd_stabilise_names[];
extern const char *const bd_cleanup_names[];
extern const char *const bd_background_names[];

#define CTX_FIELD(f) offsetof(ContextOptions, f)
static const BdOption context_options[] = {
    { { "rotation", "clockwise turn in degrees that shows the stored frames upright (a container's "
        "display matrix); the network sees upright pictures and the background is placed upright",
        BACKDROP_OPTION_CHOICE, "0", 0, 0, rotation_choices, 0 }, CTX_FIELD(rotation), 1 },
    { { "refine", "how the soft map becomes the full-size alpha matte", BACKDROP_OPTION_CHOICE,
        "guided", 0, 0, bd_refine_names, 0 }, CTX_FIELD(refine), 1 },
    { { "stabilise", "temporal stabilisation of the soft map", BACKDROP_OPTION_CHOICE, "adaptive", 0, 0,
        bd_stabilise_names, 0 }, CTX_FIELD(stabilise), 1 },
    { { "cleanup", "removal of specks and holes, expansion of the matte", BACKDROP_OPTION_CHOICE, "regions", 0,
        0, bd_cleanup_names, 0 }, CTX_FIELD(cleanup), 1 },
    { { "background", "what replaces the background: the picture or colour, the frame blurred, or nothing "
        "(transparent: the matte becomes the output's alpha)", BACKDROP_OPTION_CHOICE, "picture", 0, 0,
        bd_background_names, BACKDROP_OPTION_RUNTIME }, CTX_FIELD(background), 1 },
};
#define CONTEXT_OPTION_COUNT (sizeof(context_options) / sizeof(context_options[0]))

/* The context options that select a stage, and the kind each selects. */
static const struct {
    const char *option;
    BdStageKind kind;
    size_t field;
} selectors[] = {
    { "refine", BD_STAGE_REFINE, CTX_FIELD(refine) },
    { "stabilise", BD_STAGE_STABILISE, CTX_FIELD(stabilise) },
    { "cleanup", BD_STAGE_CLEANUP, CTX_FIELD(cleanup) },
    { "background", BD_STAGE_BACKGROUND, CTX_FIELD(background) },
};
#define SELECTOR_COUNT (sizeof(selectors) / sizeof(selectors[0]))

const BdOption *bd_context_options(size_t *count)
{
    *count = CONTEXT_OPTION_COUNT;
    return context_options;
}

const BdComponent *bd_component_default(BdStageKind kind)
{
    for (size_t i = 0; i < SELECTOR_COUNT; i++)
        if (selectors[i].kind == kind) {
            const BdOption *o = bd_option_find(context_options, CONTEXT_OPTION_COUNT, selectors[i].option);
            return bd_component_find(kind, o->pub.default_value); /* NULL for "none" */
        }
    for (int i = 0; bd_components[i]; i++)
        if (bd_stage_of(bd_components[i]) == kind)
            return bd_components[i];
    return NULL;
}

static void *options_of(const Stage *st)
{
    return (char *)st->priv + st->c->options_offset;
}

static void stage_uninit(Stage *st)
{
    if (st->ready && st->c->uninit)
        st->c->uninit(st->priv);
    st->ready = 0;
}

static void stage_free(Stage *st)
{
    if (!st->c)
        return;
    stage_uninit(st);
    if (st->opened && st->c->close)
        st->c->close(st->priv);
    free(st->priv);
    memset(st, 0, sizeof(*st));
}

/* Selects c for its kind: allocates its state, sets its options to their
 * defaults, opens it. On failure the stage is empty. */
static int stage_select(BdPipeline *pl, const BdComponent *c)
{
    Stage *st = &pl->stage[bd_stage_of(c)];
    stage_free(st);
    st->priv = calloc(1, c->priv_size ? c->priv_size : 1);
    if (!st->priv)
        return BACKDROP_ENOMEM;
    st->c = c;
    if (c->options)
        bd_options_defaults(c->options, c->option_count, options_of(st));
    st->opened = 1;
    if (c->open) {
        int err = c->open(st->priv, &pl->env);
        if (err < 0) {
            stage_free(st);
            return err;
        }
    }
    return 0;
}

const char *bd_pipeline_method(const BdPipeline *pl)
{
    return pl->stage[BD_STAGE_SEGMENT].c->pub.name;
}

int bd_pipeline_open(BdPipeline **out, const BackdropSettings *s, pthreadpool_t pool,
                     const BackdropLogger *log)
{
    *out = NULL;
    const BdComponent *method = s->method ? bd_component_find(BD_STAGE_SEGMENT, s->method)
                                          : bd_component_default(BD_STAGE_SEGMENT);
    if (!method) {
        bd_log(log, BACKDROP_LOG_ERROR, "unknown method '%s'", s->method);
        return BACKDROP_ENOTSUP;
    }
    BdPipeline *pl = calloc(1, sizeof(*pl));
    if (!pl)
        return BACKDROP_ENOMEM;
    pl->env.pool = pool;
    pl->env.log = log;
    pl->env.settings = s;
    bd_options_defaults(context_options, CONTEXT_OPTION_COUNT, &pl->opts);
    int err = stage_select(pl, method);
    for (int k = 0; k < BD_STAGE_COUNT && err >= 0; k++) {
        const BdComponent *c = k == BD_STAGE_SEGMENT ? NULL : bd_component_default((BdStageKind)k);
        if (c)
            err = stage_select(pl, c);
    }
    pl->env.settings = NULL; /* the caller's bytes are not kept */
    if (err < 0) {
        bd_pipeline_close(&pl);
        return err;
    }
    *out = pl;
    return 0;
}

void bd_pipeline_close(BdPipeline **ppl)
{
    if (!ppl || !*ppl)
        return;
    BdPipeline *pl = *ppl;
    for (int k = 0; k < BD_STAGE_COUNT; k++)
        stage_free(&pl->stage[k]);
    bd_picture_free(&pl->picture);
    free(pl->alpha);
    free(pl);
    *ppl = NULL;
}

/* ---------------------------------------------------------------------- */
/* Options */

/* The option called name among the context's and the selected stages',
 * searched in pipeline order (so "threshold" is framediff's with framediff
 * and the refine stage's with selfie); "component.name" names the owner.
 * *stage is the owning stage, or NULL for a context option. */
static const BdOption *find_option(BdPipeline *pl, const char *name, Stage **stage)
{
    const char *dot = strchr(name, '.');
    *stage = NULL;
    if (dot) {
        size_t len = (size_t)(dot - name);
        if (len == 7 && !strncmp(name, "context", 7))
            return bd_option_find(context_options, CONTEXT_OPTION_COUNT, dot + 1);
        for (int k = 0; k < BD_STAGE_COUNT; k++) {
            Stage *st = &pl->stage[k];
            if (st->c && strlen(st->c->pub.name) == len && !strncmp(st->c->pub.name, name, len) && st->c->options) {
                *stage = st;
                return bd_option_find(st->c->options, st->c->option_count, dot + 1);
            }
        }
        return NULL;
    }
    const BdOption *o = bd_option_find(context_options, CONTEXT_OPTION_COUNT, name);
    if (o)
        return o;
    for (int k = 0; k < BD_STAGE_COUNT; k++) {
        Stage *st = &pl->stage[k];
        if (st->c && st->c->options && (o = bd_option_find(st->c->options, st->c->option_count, name))) {
            *stage = st;
            return o;
        }
    }
    return NULL;
}

/* Applies a changed context option: a stage selector swaps the component
 * (the new one starts from its defaults); rotation restarts every stage. */
static int apply_context_option(BdPipeline *pl, const BdOption *o)
{
    if (!strcmp(o->pub.name, "rotation")) {
        pl->env.quarter_turns = pl->opts.rotation;
        for (int k = 0; k < BD_STAGE_COUNT; k++)
            stage_uninit(&pl->stage[k]);
        return 0;
    }
    for (size_t i = 0; i < SELECTOR_COUNT; i++) {
        if (strcmp(o->pub.name, selectors[i].option))
            continue;
        BdStageKind kind = selectors[i].kind;
        int index = *(const int *)((const char *)&pl->opts + selectors[i].field);
        const BdComponent *c = bd_component_find(kind, o->pub.choices[index]);
        if (pl->stage[kind].c == c)
            return 0;
        if (!c) { /* "none" */
            stage_free(&pl->stage[kind]);
            return 0;
        }
        return stage_select(pl, c);
    }
    return BACKDROP_EINVAL;
}

int bd_pipeline_set_option(BdPipeline *pl, const char *name, const char *value)
{
    Stage *st;
    const BdOption *o = find_option(pl, name, &st);
    if (!o) {
        bd_log(pl->env.log, BACKDROP_LOG_ERROR, "unknown option '%s' (method %s)", name,
               bd_pipeline_method(pl));
        return BACKDROP_EINVAL;
    }
    if (pl->started && !(o->pub.flags & BACKDROP_OPTION_RUNTIME)) {
        bd_log(pl->env.log, BACKDROP_LOG_ERROR, "option '%s' cannot change while running", o->pub.name);
        return BACKDROP_ENOTSUP;
    }
    char why[256];
    void *opts = st ? options_of(st) : (void *)&pl->opts;
    int err = bd_option_parse(o, opts, value, why, sizeof(why));
    if (err < 0) {
        bd_log(pl->env.log, BACKDROP_LOG_ERROR, "%s", why);
        return err;
    }
    if (!st)
        return apply_context_option(pl, o);
    if (o->rebuild)
        stage_uninit(st);
    return 0;
}

int bd_pipeline_get_option(BdPipeline *pl, const char *name, char *buf, size_t size)
{
    Stage *st;
    const BdOption *o = find_option(pl, name, &st);
    if (!o)
        return BACKDROP_EINVAL;
    bd_option_format(o, st ? options_of(st) : (void *)&pl->opts, buf, size);
    return 0;
}

int bd_pipeline_set_picture(BdPipeline *pl, const BackdropFrame *bg)
{
    stage_uninit(&pl->stage[BD_STAGE_BACKGROUND]);
    if (!bg) {
        bd_picture_free(&pl->picture);
        pl->env.picture = NULL;
        return 0;
    }
    /* Kept as RGB24 (or BGR24 as given) so resizing works on whole pixels;
     * the conversion to the frames' format happens once per shape and
     * picture. A caller that sets a picture per frame (a video background)
     * allocates nothing after the first: bd_picture_alloc keeps its
     * capacity, and the background stage keeps its buffers across inits. */
    BackdropPixelFormat keep = bg->format == BACKDROP_PIXFMT_BGR24 ? BACKDROP_PIXFMT_BGR24 : BACKDROP_PIXFMT_RGB24;
    int err = bd_picture_alloc(&pl->picture, keep, bg->width, bg->height);
    if (err < 0) {
        bd_picture_free(&pl->picture);
        pl->env.picture = NULL;
        return err;
    }
    if (bg->format == keep)
        bd_frame_copy(&pl->picture.frame, bg);
    else
        bd_convert(&pl->picture.frame, bg);
    pl->env.picture = &pl->picture.frame;
    return 0;
}

int bd_pipeline_set_matte(BdPipeline *pl, const BackdropFrame *matte)
{
    const BdComponent *method = pl->stage[BD_STAGE_SEGMENT].c;
    if (!(method->pub.flags & BACKDROP_COMPONENT_MATTE_INPUT)) {
        bd_log(pl->env.log, BACKDROP_LOG_ERROR, "backdrop_set_matte: method %s makes its own matte; "
               "a given matte is for method external", method->pub.name);
        return BACKDROP_EINVAL;
    }
    pl->have_matte_in = matte != NULL;
    if (matte)
        pl->matte_in = *matte;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Frames */

static int shape_equal(const BdShape *a, const BdShape *b)
{
    return a->format == b->format && a->width == b->width && a->height == b->height &&
           a->range == b->range && a->matrix == b->matrix;
}

/* Brings every stage in line with the shape: a new shape restarts them
 * all; otherwise only the stages whose options changed. The segment
 * stage's matte description feeds the others. */
static int prepare(BdPipeline *pl, const BdShape *shape)
{
    if (!pl->have_shape || !shape_equal(shape, &pl->shape)) {
        for (int k = 0; k < BD_STAGE_COUNT; k++)
            stage_uninit(&pl->stage[k]);
        pl->shape = *shape;
        pl->have_shape = 1;
        ptrdiff_t stride = ((ptrdiff_t)shape->width + BD_ALIGN - 1) & ~(ptrdiff_t)(BD_ALIGN - 1);
        size_t bytes = (size_t)stride * (size_t)shape->height;
        if (bytes > pl->alpha_capacity) {
            uint8_t *alpha = aligned_alloc(BD_ALIGN, bytes);
            if (!alpha)
                return BACKDROP_ENOMEM;
            free(pl->alpha);
            pl->alpha = alpha;
            pl->alpha_capacity = bytes;
        }
        pl->alpha_stride = stride;
    }
    Stage *seg = &pl->stage[BD_STAGE_SEGMENT];
    if (!seg->ready) {
        /* A new matte description: the stages after it start again. */
        for (int k = 0; k < BD_STAGE_COUNT; k++)
            if (k != BD_STAGE_SEGMENT)
                stage_uninit(&pl->stage[k]);
        memset(&pl->info, 0, sizeof(pl->info));
    }
    for (int i = 0; i < BD_STAGE_COUNT; i++) {
        Stage *st = &pl->stage[bd_stage_order[i]];
        if (!st->c || st->ready)
            continue;
        int err = st->c->init(st->priv, &pl->env, shape, &pl->info);
        st->ready = 1; /* uninit frees what a failed init left */
        if (err < 0) {
            stage_uninit(st);
            bd_log(pl->env.log, BACKDROP_LOG_ERROR, "%s: cannot start on %dx%d frames: %s", st->c->pub.name,
                   shape->width, shape->height, backdrop_strerror(err));
            return err;
        }
        bd_log(pl->env.log, BACKDROP_LOG_DEBUG, "%s: started on %dx%d frames", st->c->pub.name, shape->width,
               shape->height);
    }
    return 0;
}

static void copy_matte(const BackdropFrame *matte, const uint8_t *alpha, ptrdiff_t stride)
{
    for (int y = 0; y < matte->height; y++)
        memcpy(matte->data[0] + y * matte->stride[0], alpha + y * stride, (size_t)matte->width);
}

/* The stages after segmentation, for a job whose matte is set. */
static int finish_job(BdPipeline *pl, BdFrameJob *job, BackdropFrame *out, const BackdropFrame *matte)
{
    for (int i = 1; i < BD_STAGE_COUNT; i++) {
        Stage *st = &pl->stage[bd_stage_order[i]];
        if (!st->c)
            continue;
        int err = st->c->run(st->priv, &pl->env, job);
        if (err < 0)
            return err;
        /* The cleanup stage's part on the full-size alpha. */
        Stage *cleanup = &pl->stage[BD_STAGE_CLEANUP];
        if (bd_stage_order[i] == BD_STAGE_REFINE && cleanup->c && cleanup->c->finish &&
            (err = cleanup->c->finish(cleanup->priv, &pl->env, job)) < 0)
            return err;
    }
    if (!job->matte.alpha_valid) /* the chain must end in an alpha */
        return BACKDROP_EINVAL;
    if (matte)
        copy_matte(matte, job->matte.alpha, job->matte.alpha_stride);
    out->pts = job->fg->pts;
    return 0;
}

static void start_job(BdPipeline *pl, BdFrameJob *job, const BackdropFrame *in, const BackdropFrame *out)
{
    memset(job, 0, sizeof(*job));
    job->in = in;
    job->fg = in;
    job->out = out;
    job->matte.alpha = pl->alpha;
    job->matte.alpha_stride = pl->alpha_stride;
}

int bd_pipeline_process(BdPipeline *pl, const BackdropFrame *in, BackdropFrame *out,
                        const BackdropFrame *matte)
{
    BdShape shape = { in->format, in->width, in->height, BACKDROP_RANGE_LIMITED, BACKDROP_MATRIX_BT601 };
    if (in->format == BACKDROP_PIXFMT_YUV420P) {
        shape.range = in->range;
        shape.matrix = in->matrix;
    }
    /* A given matte belongs to this frame alone, whatever happens to it. */
    int have_matte_in = pl->have_matte_in;
    pl->have_matte_in = 0;
    int err = prepare(pl, &shape);
    if (err < 0)
        return err;
    pl->started = 1;
    BdFrameJob job;
    start_job(pl, &job, in, out);
    Stage *seg = &pl->stage[BD_STAGE_SEGMENT];
    pl->env.matte_in = have_matte_in ? &pl->matte_in : NULL;
    err = seg->c->run(seg->priv, &pl->env, &job);
    pl->env.matte_in = NULL;
    if (err < 0)
        return err;
    return finish_job(pl, &job, out, matte);
}

int bd_pipeline_drain(BdPipeline *pl, BackdropFrame *out, const BackdropFrame *matte)
{
    if (!pl->have_shape)
        return BACKDROP_EOF;
    int err = prepare(pl, &pl->shape);
    if (err < 0)
        return err;
    Stage *seg = &pl->stage[BD_STAGE_SEGMENT];
    if (!seg->c->drain)
        return BACKDROP_EOF;
    BdFrameJob job;
    start_job(pl, &job, NULL, out);
    err = seg->c->drain(seg->priv, &pl->env, &job);
    if (err < 0)
        return err;
    job.in = job.fg;
    return finish_job(pl, &job, out, matte);
}
