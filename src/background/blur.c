/*
 * background "blur": the frame itself, blurred so that the person does not
 * bleed into it. Each plane is blurred with the weights (255 - alpha)^2 + 1
 * (weighted_blur.h): a normalised blur of the background's own pixels, so
 * that around the person it shows the surrounding background and no glow
 * of the person's colours. The blur runs on a grid of cells of about
 * sigma / 2.45 pixels (three box passes of radius 2 cells) and is
 * interpolated back; chroma planes of 4:2:0 frames are blurred at their own
 * size, with half the sigma, weighted by the largest of the 2x2 alphas a
 * chroma sample covers: a block that touches the person at all mixes its
 * colour and is left out like the person (with the mean, the blocks along
 * the rim leaked a visible chroma fringe).
 *
 * Strength is the blur's radius in pixels of the frame, about two standard
 * deviations; 0 picks height / 24 (45 px at 1080p, 15 at 360p).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../pipeline.h"
#include "weighted_blur.h"

#define BLUR_PASSES 3

typedef struct BlurOptions {
    float strength; /* radius in frame pixels; 0 = automatic */
} BlurOptions;

typedef struct BlurStage {
    BlurOptions opts;
    BdShape shape;
    int planes;         /* 3 for YUV420P (Y, U, V), 1 for packed RGB/BGR */
    BdWBlur blur[3];
    Picture prepared;   /* the blurred frame */
    uint8_t *chroma_alpha;
    ptrdiff_t chroma_stride;
} BlurStage;

#define FIELD(f) offsetof(BlurOptions, f)
static const BdOption blur_options[] = {
    { { "strength", "blur radius in pixels of the frame (about two standard deviations); 0 = height / 24",
        BACKDROP_OPTION_FLOAT, "0", 0, 1000, NULL, BACKDROP_OPTION_RUNTIME }, FIELD(strength), 1 },
};

double bd_blur_sigma(double strength, int height)
{
    double radius = strength > 0 ? strength : height / 24.0;
    return radius / 2.0;
}

static void blur_uninit(void *opaque)
{
    BlurStage *bs = opaque;
    for (int p = 0; p < 3; p++)
        bd_wblur_free(&bs->blur[p]);
    bd_picture_free(&bs->prepared);
    free(bs->chroma_alpha);
    bs->chroma_alpha = NULL;
}

static int blur_init(void *opaque, const BdEnv *env, const BdShape *shape, BdMatteInfo *info)
{
    BlurStage *bs = opaque;
    bs->shape = *shape;
    int err = bd_picture_alloc(&bs->prepared, shape->format, shape->width, shape->height);
    if (err < 0)
        return err;
    bs->prepared.frame.range = shape->range;
    bs->prepared.frame.matrix = shape->matrix;
    double sigma = bd_blur_sigma(bs->opts.strength, shape->height);
    int yuv = shape->format == BACKDROP_PIXFMT_YUV420P;
    bs->planes = yuv ? 3 : 1;
    for (int p = 0; p < bs->planes; p++) {
        int w = bd_plane_width(shape->format, shape->width, p);
        int h = bd_plane_height(shape->format, shape->height, p);
        int cell, radius;
        bd_wblur_params(p ? sigma / 2 : sigma, BLUR_PASSES, &cell, &radius);
        if ((err = bd_wblur_init(&bs->blur[p], w, h, yuv ? 1 : 3, cell, radius, BLUR_PASSES)) < 0)
            return err;
    }
    if (yuv) {
        int cw = (shape->width + 1) / 2, ch = (shape->height + 1) / 2;
        bs->chroma_stride = cw;
        if (!(bs->chroma_alpha = malloc((size_t)cw * (size_t)ch)))
            return BACKDROP_ENOMEM;
    }
    return 0;
}

/* Per chroma sample of a 4:2:0 frame, the largest alpha of the 2x2 luma
 * pixels it covers (those that exist at odd edges). */
static void chroma_alpha_max(uint8_t *dst, ptrdiff_t dst_stride, const uint8_t *alpha, ptrdiff_t alpha_stride,
                             int width, int height)
{
    for (int y = 0; y < height; y += 2) {
        const uint8_t *a0 = alpha + y * alpha_stride, *a1 = y + 1 < height ? a0 + alpha_stride : a0;
        uint8_t *d = dst + (y >> 1) * dst_stride;
        for (int x = 0; x < width; x += 2) {
            int x1 = x + 1 < width ? x + 1 : x;
            uint8_t m = a0[x] > a0[x1] ? a0[x] : a0[x1];
            m = a1[x] > m ? a1[x] : m;
            d[x >> 1] = a1[x1] > m ? a1[x1] : m;
        }
    }
}

static int blur_run(void *opaque, const BdEnv *env, BdFrameJob *job)
{
    BlurStage *bs = opaque;
    const BackdropFrame *in = job->in, *out = &bs->prepared.frame;
    const uint8_t *alpha = job->matte.alpha;
    ptrdiff_t alpha_stride = job->matte.alpha_stride;
    if (bs->planes == 3)
        chroma_alpha_max(bs->chroma_alpha, bs->chroma_stride, alpha, alpha_stride, in->width, in->height);
    for (int p = 0; p < bs->planes; p++) {
        BdWBlur *b = &bs->blur[p];
        const uint8_t *a = p ? bs->chroma_alpha : alpha;
        ptrdiff_t as = p ? bs->chroma_stride : alpha_stride;
        bd_wblur_update(b, in->data[p], in->stride[p], a, as, BD_WEIGHT_BACKGROUND);
        for (int y = 0; y < b->height; y++)
            bd_wblur_row(b, y, out->data[p] + y * out->stride[p]);
    }
    job->bg = out;
    return 0;
}

static void blur_close(void *opaque)
{
    blur_uninit(opaque);
}

const BdComponent bd_background_blur = {
    .pub = { "blur", BD_KIND(BD_STAGE_BACKGROUND), "the frame itself, blurred without the person's colours" },
    .priv_size = sizeof(BlurStage),
    .options = blur_options,
    .option_count = sizeof(blur_options) / sizeof(blur_options[0]),
    .options_offset = offsetof(BlurStage, opts),
    .init = blur_init,
    .run = blur_run,
    .uninit = blur_uninit,
    .close = blur_close,
};

/* ---- background "transparent" ------------------------------------------ */

/* No background: the composite writes the foreground colour and the matte
 * as its alpha (the output must have one). */
static int transparent_init(void *opaque, const BdEnv *env, const BdShape *shape, BdMatteInfo *info)
{
    return 0;
}

static int transparent_run(void *opaque, const BdEnv *env, BdFrameJob *job)
{
    job->bg = NULL;
    return 0;
}

const BdComponent bd_background_transparent = {
    .pub = { "transparent", BD_KIND(BD_STAGE_BACKGROUND),
             "none: the foreground colour with the matte as alpha (an output format with alpha)" },
    .init = transparent_init,
    .run = transparent_run,
};
