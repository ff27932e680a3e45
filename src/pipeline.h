/*
 * The pipeline: one frame goes
 *
 *     segment -> stabilise -> cleanup -> refine -> cleanup (finish)
 *             -> background -> composite
 *
 * and each stage is a component: a small vtable with per-context open/close,
 * per-shape init/uninit and a per-frame run, an options table, and a name by
 * which it is selected. A segmentation method is the segment stage. A stage
 * that is not selected ("none") is not in the chain and costs nothing.
 * Adding a method or a stage is one file that defines a BdComponent plus
 * one line in the registry (registry.c).
 *
 * Between stages travels a BdMatte: what the method knows, kept as long as
 * a later stage may need it. A neural method hands on its soft map at its
 * own resolution (blended probabilities before any threshold) with the
 * placement of that map in the frame. Stabilise and cleanup work on that
 * small map, where they are cheap (time, islands and holes), and hand on
 * maps of their own; the refine stage turns the map into the full-size
 * alpha, guided by the frame; the cleanup stage's finish then shapes the
 * alpha (expansion), which needs full resolution. A method that decides per
 * pixel (framediff) writes the full-size alpha itself and hands on no soft
 * map: of the matte stages only the finish applies to it.
 */
#ifndef BACKDROP_PIPELINE_H
#define BACKDROP_PIPELINE_H

#include <string.h>

#include "internal.h"
#include "option.h"

typedef enum BdStageKind {
    BD_STAGE_SEGMENT = 0,
    BD_STAGE_REFINE,
    BD_STAGE_STABILISE,
    BD_STAGE_BACKGROUND,
    BD_STAGE_COMPOSITE,
    BD_STAGE_CLEANUP, /* runs before refine (see bd_stage_order); last here as in the public enum */
    BD_STAGE_COUNT
} BdStageKind;

/* The frames a stage is set up for. */
typedef struct BdShape {
    BackdropPixelFormat format; /* of the input frames */
    int width, height;
    BackdropColorRange range;
    BackdropColorMatrix matrix;
} BdShape;

/* Which part of a soft map covers which part of the frame: map pixels
 * (src) stretch over frame pixels (dst); outside dst the frame is
 * background. */
typedef struct BdPlacement {
    int src_x, src_y, src_w, src_h;
    int dst_x, dst_y, dst_w, dst_h;
} BdPlacement;

/* What the segment stage produces for frames of a shape; decided by its
 * init, read by the later stages' init. */
typedef struct BdMatteInfo {
    int soft_w, soft_h;   /* 0: no soft map, the method writes the alpha */
    BdPlacement place;
} BdMatteInfo;

/* The matte of one frame. */
typedef struct BdMatte {
    const float *soft;    /* soft_w x soft_h probabilities 0..1, or NULL */
    /* The picture the soft map was judged on, pixel for pixel (soft_w x
     * soft_h, 3 floats a pixel, interleaved), or NULL: a neural method's
     * network input. It is the frame at the map's resolution, which the
     * matte stages need and get here for free. Its channels relate to the
     * frame's own (Y, U, V / 255, or the packed bytes / 255 in memory
     * order) by picture[c] = sum_k picture_affine[c][k] frame[k] +
     * picture_affine[c][3] (up to clamping to [0, 1]). */
    const float *picture;
    float picture_affine[3][4];
    uint8_t *alpha;       /* width x height, 255 = foreground; owned by the pipeline */
    ptrdiff_t alpha_stride;
    int alpha_valid;      /* alpha holds this frame's matte */
} BdMatte;

/* Refine stages: outside the placement's frame rectangle the frame is
 * background; clears the alpha there (all of it: the rectangle is written
 * next) unless the rectangle is the whole frame. */
static inline void bd_matte_clear_outside(BdMatte *m, const BdPlacement *p, int width, int height)
{
    if (p->dst_x || p->dst_y || p->dst_w != width || p->dst_h != height)
        for (int y = 0; y < height; y++)
            memset(m->alpha + y * m->alpha_stride, 0, (size_t)width);
}

/* Services of the context a component may use. Valid from open to close. */
typedef struct BdEnv {
    pthreadpool_t pool;          /* NULL: the calling thread only */
    const BackdropLogger *log;
    /* open() only: the settings given to backdrop_open (model bytes). */
    const BackdropSettings *settings;
    /* Clockwise quarter turns that show the stored frames upright (the
     * container's display matrix): 0..3. */
    int quarter_turns;
    /* The background picture (RGB24 or BGR24, upright), or NULL. */
    const BackdropFrame *picture;
    /* The segment stage's run() only: the caller's matte for this frame
     * (backdrop_set_matte(): a checked GRAY8 frame of any size; the method
     * compares it with the frame), or NULL when none was given. */
    const BackdropFrame *matte_in;
} BdEnv;

/* One frame on its way through the stages. */
typedef struct BdFrameJob {
    const BackdropFrame *in;  /* as given */
    const BackdropFrame *fg;  /* what is composited: in, or a frame a method held back */
    BdMatte matte;
    const BackdropFrame *bg;  /* the prepared background, frame shape and format */
    const BackdropFrame *out; /* where the composite goes */
} BdFrameJob;

/* The public kind of a stage kind (BackdropComponentKind counts the
 * context first). */
#define BD_KIND(stage) ((BackdropComponentKind)((stage) + 1))

typedef struct BdComponent {
    BackdropComponent pub;      /* name, BD_KIND(stage), one line of help */
    size_t priv_size;           /* zeroed state, kept from open to close */
    const BdOption *options;    /* may be NULL */
    size_t option_count;
    size_t options_offset;      /* of the options struct inside priv */
    /* Optional, once per context, after the options got their defaults
     * (and before the caller may change them): per-context resources. */
    int (*open)(void *priv, const BdEnv *env);
    /* Optional; also called after a failed open. */
    void (*close)(void *priv);
    /* Per frame shape, and again after an option that needs a rebuild
     * changed. A segment stage fills *info; the others read it. Must set up
     * all per-shape state: priv is not cleared between shapes. */
    int (*init)(void *priv, const BdEnv *env, const BdShape *shape, BdMatteInfo *info);
    /* Per frame. A segment stage returns BACKDROP_EAGAIN for "no output for
     * this input"; any stage may fail with a negative code. */
    int (*run)(void *priv, const BdEnv *env, BdFrameJob *job);
    /* Optional, per frame, cleanup stages only: after the refine stage, on
     * the full-size alpha. */
    int (*finish)(void *priv, const BdEnv *env, BdFrameJob *job);
    /* Optional: returns 0 and fills job (fg, matte) with a frame held back
     * (for stages with a delay), or BACKDROP_EOF when none is left. */
    int (*drain)(void *priv, const BdEnv *env, BdFrameJob *job);
    /* Optional; frees what init allocated, also after a failed init. */
    void (*uninit)(void *priv);
} BdComponent;

/* The registry (registry.c): every component, methods first, NULL-ended;
 * and the components by kind and name. */
extern const BdComponent *const bd_components[];
static inline BdStageKind bd_stage_of(const BdComponent *c)
{
    return (BdStageKind)(c->pub.kind - 1);
}
const BdComponent *bd_component_find(BdStageKind kind, const char *name);
/* The component that is selected for kind when the caller says nothing
 * (NULL: none): the first of its kind, or for a kind chosen by a context
 * option (refine, stabilise, cleanup) that option's default (pipeline.c). */
const BdComponent *bd_component_default(BdStageKind kind);

/* The order in which the stages run on a frame (and are initialised). */
extern const BdStageKind bd_stage_order[BD_STAGE_COUNT];

typedef struct BdPipeline BdPipeline;

/* Creates the pipeline with method (NULL: the default) and the default
 * stages, their options at their defaults, and opens them. */
int bd_pipeline_open(BdPipeline **pl, const BackdropSettings *s, pthreadpool_t pool,
                     const BackdropLogger *log);
void bd_pipeline_close(BdPipeline **pl);
const char *bd_pipeline_method(const BdPipeline *pl);

int bd_pipeline_set_option(BdPipeline *pl, const char *name, const char *value);
int bd_pipeline_get_option(BdPipeline *pl, const char *name, char *buf, size_t size);
int bd_pipeline_set_picture(BdPipeline *pl, const BackdropFrame *picture);
/* The caller's matte for the next frame (checked GRAY8, or NULL to
 * withdraw it); BACKDROP_EINVAL, logged, unless the method has
 * BACKDROP_COMPONENT_MATTE_INPUT. The next bd_pipeline_process() hands it
 * to the method and forgets it. */
int bd_pipeline_set_matte(BdPipeline *pl, const BackdropFrame *matte);

/* One frame: out (and matte, when not NULL) written, out->pts set to the
 * composited frame's; or BACKDROP_EAGAIN (input taken, no output yet). */
int bd_pipeline_process(BdPipeline *pl, const BackdropFrame *in, BackdropFrame *out,
                        const BackdropFrame *matte);
/* A frame held back by a stage with a delay, or BACKDROP_EOF. */
int bd_pipeline_drain(BdPipeline *pl, BackdropFrame *out, const BackdropFrame *matte);

/* The context's own options (rotation, stage selectors). */
const BdOption *bd_context_options(size_t *count);

/* Test-only (tests/unit/test_background.c): the buffers of a background
 * "picture" stage's state (turned, scaled, prepared, the scaler's x
 * weights; NULL when not allocated), to check that a new picture of the
 * same size moves none of them. */
extern const BdComponent bd_background_picture;
void bd_background_picture_buffers(const void *priv, const void *buffers[4]);

#endif
