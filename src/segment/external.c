/*
 * external: the caller's matte. The alpha of each frame is the GRAY8 frame
 * given with backdrop_set_matte() before it (255 = foreground), copied once
 * into the pipeline's alpha, which the later stages may change (cleanup's
 * expand). Like framediff it writes the full-size alpha itself and hands on
 * no soft map, so the soft-map stages pass it through.
 *
 * The matte is in the frames' stored orientation, as the frames are: the
 * context option rotation turns nothing here.
 */
#include <string.h>

#include "../pipeline.h"

static int external_init(void *priv, const BdEnv *env, const BdShape *shape, BdMatteInfo *info)
{
    (void)priv;
    (void)env;
    (void)shape;
    info->soft_w = info->soft_h = 0; /* the alpha is the caller's, per pixel */
    return 0;
}

static int external_run(void *priv, const BdEnv *env, BdFrameJob *job)
{
    (void)priv;
    const BackdropFrame *in = job->in, *m = env->matte_in;
    if (!m) {
        bd_log(env->log, BACKDROP_LOG_ERROR, "method external: no matte given for this frame (backdrop_set_matte)");
        return BACKDROP_EINVAL;
    }
    if (m->width != in->width || m->height != in->height) {
        bd_log(env->log, BACKDROP_LOG_ERROR, "method external: the matte is %dx%d, the frame %dx%d", m->width,
               m->height, in->width, in->height);
        return BACKDROP_EINVAL;
    }
    /* The one copy per frame: the caller's plane may be read-only to us
     * and the later stages write the alpha. */
    for (int y = 0; y < in->height; y++)
        memcpy(job->matte.alpha + y * job->matte.alpha_stride, m->data[0] + y * m->stride[0], (size_t)in->width);
    job->fg = in;
    job->matte.alpha_valid = 1;
    return 0;
}

const BdComponent bd_segment_external = {
    .pub = { "external", BD_KIND(BD_STAGE_SEGMENT),
             "the caller's own matte for each frame (backdrop_set_matte; the CLI's --matte-in)",
             BACKDROP_COMPONENT_MATTE_INPUT },
    .init = external_init,
    .run = external_run,
};
