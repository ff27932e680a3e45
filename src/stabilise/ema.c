/*
 * stabilise "ema": the plain exponential moving average of the soft map,
 *
 *     S(t) = keep * S(t-1) + (1 - keep) * P(t),    S(first) = P(first)
 *
 * the baseline the adaptive stabiliser is measured against (bench/quality.py):
 * it removes flicker everywhere and leaves a trail behind everything that
 * moves. State: one map, reset with each new shape.
 */
#include <stdlib.h>
#include <string.h>

#include "../pipeline.h"

typedef struct EmaOptions {
    float keep;
} EmaOptions;

typedef struct Ema {
    EmaOptions opts;
    size_t size;     /* map pixels; 0: the method hands on no soft map */
    float *map;      /* S(t-1), then S(t) */
    int have;        /* map holds a previous frame's */
} Ema;

static const BdOption ema_options[] = {
    { { "keep", "weight of the previous map in the average", BACKDROP_OPTION_FLOAT, "0.85", 0, 0.99, NULL,
        BACKDROP_OPTION_RUNTIME }, offsetof(EmaOptions, keep), 0 },
};

static int ema_init(void *opaque, const BdEnv *env, const BdShape *shape, BdMatteInfo *info)
{
    Ema *e = opaque;
    free(e->map);
    e->map = NULL;
    e->have = 0;
    e->size = (size_t)info->soft_w * (size_t)info->soft_h;
    if (e->size && !(e->map = malloc(sizeof(float) * e->size)))
        return BACKDROP_ENOMEM;
    return 0;
}

static int ema_run(void *opaque, const BdEnv *env, BdFrameJob *job)
{
    Ema *e = opaque;
    const float *p = job->matte.soft;
    if (!e->size || !p)
        return 0;
    if (!e->have) {
        memcpy(e->map, p, sizeof(float) * e->size);
        e->have = 1;
    } else {
        float keep = e->opts.keep, take = 1.0f - keep;
        for (size_t i = 0; i < e->size; i++)
            e->map[i] = keep * e->map[i] + take * p[i];
    }
    job->matte.soft = e->map;
    return 0;
}

static void ema_uninit(void *opaque)
{
    Ema *e = opaque;
    free(e->map);
    e->map = NULL;
    e->size = 0;
}

const BdComponent bd_stabilise_ema = {
    .pub = { "ema", BD_KIND(BD_STAGE_STABILISE), "exponential moving average of the soft map (the baseline)" },
    .priv_size = sizeof(Ema),
    .options = ema_options,
    .option_count = sizeof(ema_options) / sizeof(ema_options[0]),
    .options_offset = offsetof(Ema, opts),
    .init = ema_init,
    .run = ema_run,
    .uninit = ema_uninit,
};
