/*
 * refine "bilinear" (the default): the method's soft map, placed on the
 * frame, is upsampled bilinearly (half-pixel centres) and mapped to alpha by
 * a threshold with a soft ramp; outside the map's placement the frame is
 * background. A method that writes the alpha itself (no soft map) passes
 * through untouched.
 *
 * The tables are built per shape and placement (init); threshold and
 * softness are read every frame, so they change while running at no cost.
 */
#include <string.h>

#include "../pipeline.h"
#include "../nn/resample.h"

typedef struct BilinearOptions {
    float threshold;
    float softness;
} BilinearOptions;

typedef struct Bilinear {
    BilinearOptions opts;
    int active;              /* the method hands on a soft map */
    BdPlacement place;
    int width, height;
    NnTensorToAlpha to_alpha;
} Bilinear;

#define FIELD(f) offsetof(BilinearOptions, f)
static const BdOption bilinear_options[] = {
    { { "threshold", "person probability where alpha is half", BACKDROP_OPTION_FLOAT, "0.5", 0, 1,
        NULL, BACKDROP_OPTION_RUNTIME }, FIELD(threshold), 0 },
    { { "softness", "probability range of the soft edge (0: a hard cut)", BACKDROP_OPTION_FLOAT, "0.2", 0, 1,
        NULL, BACKDROP_OPTION_RUNTIME }, FIELD(softness), 0 },
};

static int bilinear_init(void *opaque, const BdEnv *env, const BdShape *shape, BdMatteInfo *info)
{
    Bilinear *b = opaque;
    b->active = info->soft_w > 0;
    b->width = shape->width;
    b->height = shape->height;
    if (!b->active)
        return 0;
    b->place = info->place;
    const BdPlacement *p = &info->place;
    return nn_tensor_to_alpha_init(&b->to_alpha, info->soft_w, info->soft_h, p->src_x, p->src_y, p->src_w,
                                   p->src_h, p->dst_w, p->dst_h);
}

static int bilinear_run(void *opaque, const BdEnv *env, BdFrameJob *job)
{
    Bilinear *b = opaque;
    BdMatte *m = &job->matte;
    if (!b->active || !m->soft)
        return 0;
    const BdPlacement *p = &b->place;
    bd_matte_clear_outside(m, p, b->width, b->height);
    nn_tensor_to_alpha_run(&b->to_alpha, m->soft, b->opts.threshold, b->opts.softness,
                           m->alpha + p->dst_y * m->alpha_stride + p->dst_x, m->alpha_stride);
    m->alpha_valid = 1;
    return 0;
}

static void bilinear_uninit(void *opaque)
{
    Bilinear *b = opaque;
    nn_tensor_to_alpha_free(&b->to_alpha);
}

const BdComponent bd_refine_bilinear = {
    .pub = { "bilinear", BD_KIND(BD_STAGE_REFINE), "bilinear upsampling of the soft map, threshold with a soft ramp" },
    .priv_size = sizeof(Bilinear),
    .options = bilinear_options,
    .option_count = sizeof(bilinear_options) / sizeof(bilinear_options[0]),
    .options_offset = offsetof(Bilinear, opts),
    .init = bilinear_init,
    .run = bilinear_run,
    .uninit = bilinear_uninit,
};
