/*
 * "constant": a method that exists only in the unit tests, registered the
 * way every method is (this file plus one line in src/registry.c, compiled
 * for the tests with BD_TEST_COMPONENTS). It hands on a soft map of one
 * probability everywhere, its option "level", so that the refine stage
 * decides the alpha: level above the refine threshold gives foreground.
 */
#include "pipeline.h"

typedef struct ConstantOptions {
    float level;
} ConstantOptions;

typedef struct Constant {
    ConstantOptions opts;
    float map[4]; /* a 2x2 soft map */
} Constant;

static const BdOption constant_options[] = {
    { { "level", "the probability of every pixel", BACKDROP_OPTION_FLOAT, "1", 0, 1, NULL,
        BACKDROP_OPTION_RUNTIME }, offsetof(ConstantOptions, level), 0 },
};

static int constant_init(void *priv, const BdEnv *env, const BdShape *shape, BdMatteInfo *info)
{
    info->soft_w = info->soft_h = 2;
    info->place = (BdPlacement){ 0, 0, 2, 2, 0, 0, shape->width, shape->height };
    return 0;
}

static int constant_run(void *priv, const BdEnv *env, BdFrameJob *job)
{
    Constant *c = priv;
    for (int i = 0; i < 4; i++)
        c->map[i] = c->opts.level;
    job->matte.soft = c->map;
    return 0;
}

const BdComponent bd_segment_constant = {
    .pub = { "constant", BD_KIND(BD_STAGE_SEGMENT), "test only: the same probability everywhere",
             BACKDROP_COMPONENT_SOFT_MAP },
    .priv_size = sizeof(Constant),
    .options = constant_options,
    .option_count = 1,
    .options_offset = offsetof(Constant, opts),
    .init = constant_init,
    .run = constant_run,
};
