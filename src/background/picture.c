/*
 * background "picture" (the default): the caller's picture, or a solid
 * colour when there is none, prepared once per frame shape in the frames'
 * own format: turned into the stored orientation of rotated video (so that
 * it shows upright once the player applies the display rotation), fitted
 * (stretch, cover or contain, against the frame as displayed), area-scaled
 * and converted. Changing the fit or the colour rebuilds it on the next
 * frame; nothing is done per frame.
 */
#include <string.h>

#include "../pipeline.h"

static const char *const fit_choices[] = { "stretch", "cover", "contain", NULL };

typedef struct PictureOptions {
    int fit;          /* BdFit */
    uint8_t color[3]; /* R, G, B */
} PictureOptions;

typedef struct PictureStage {
    PictureOptions opts;
    Picture turned;   /* the picture in stored orientation (rotated video only) */
    Picture scaled;   /* the picture at frame size, in its packed format */
    Picture prepared; /* the background in the frames' shape */
} PictureStage;

#define FIELD(f) offsetof(PictureOptions, f)
static const BdOption picture_options[] = {
    { { "fit", "a picture of another aspect ratio: distort it, crop it, or add bars of the colour",
        BACKDROP_OPTION_CHOICE, "cover", 0, 0, fit_choices, BACKDROP_OPTION_RUNTIME }, FIELD(fit), 1 },
    { { "color", "background colour when there is no picture, and of the bars of 'contain'",
        BACKDROP_OPTION_COLOR, "black", 0, 0, NULL, BACKDROP_OPTION_RUNTIME }, FIELD(color), 1 },
};

/* dst = src turned counter-clockwise by quarter_turns: the inverse of the
 * clockwise turn that shows stored frames upright. Packed 3-byte pixels. */
static int turn_picture(Picture *dst, const BackdropFrame *src, int quarter_turns)
{
    int w = src->width, h = src->height;
    int dw = quarter_turns % 2 ? h : w, dh = quarter_turns % 2 ? w : h;
    int err = bd_picture_alloc(dst, src->format, dw, dh);
    if (err < 0)
        return err;
    for (int y = 0; y < dh; y++) {
        uint8_t *row = dst->frame.data[0] + y * dst->frame.stride[0];
        for (int x = 0; x < dw; x++) {
            int sx, sy;
            switch (quarter_turns) {
            case 1: sx = w - 1 - y; sy = x; break;         /* 90 counter-clockwise */
            case 2: sx = w - 1 - x; sy = h - 1 - y; break; /* 180 */
            default: sx = y; sy = h - 1 - x; break;        /* 270 counter-clockwise */
            }
            memcpy(row + 3 * x, src->data[0] + sy * src->stride[0] + 3 * sx, 3);
        }
    }
    return 0;
}

static int picture_init(void *opaque, const BdEnv *env, const BdShape *shape, BdMatteInfo *info)
{
    PictureStage *ps = opaque;
    const uint8_t *rgb = ps->opts.color;
    int err = bd_picture_alloc(&ps->prepared, shape->format, shape->width, shape->height);
    if (err < 0)
        return err;
    ps->prepared.frame.range = shape->range;
    ps->prepared.frame.matrix = shape->matrix;
    if (!env->picture) {
        bd_fill_rgb(&ps->prepared.frame, rgb[0], rgb[1], rgb[2]);
        return 0;
    }
    const BackdropFrame *pic = env->picture;
    if (env->quarter_turns) {
        if ((err = turn_picture(&ps->turned, pic, env->quarter_turns)) < 0)
            return err;
        pic = &ps->turned.frame;
    }
    /* Scale in the picture's packed format, then convert the whole frame
     * (bars included) to the frames' format. Fitting the turned picture to
     * the stored frame is fitting the upright one to the displayed frame:
     * a quarter turn swaps both axes alike. */
    if ((err = bd_picture_alloc(&ps->scaled, pic->format, shape->width, shape->height)) < 0)
        return err;
    BdFitRect r = bd_fit_rect((BdFit)ps->opts.fit, pic->width, pic->height, shape->width, shape->height);
    if (r.dst_w != shape->width || r.dst_h != shape->height)
        bd_fill_rgb(&ps->scaled.frame, rgb[0], rgb[1], rgb[2]);
    err = bd_resize_area(&ps->scaled.frame, r.dst_x, r.dst_y, r.dst_w, r.dst_h, pic, r.src_x, r.src_y, r.src_w,
                         r.src_h);
    if (err < 0)
        return err;
    if (ps->scaled.frame.format == shape->format)
        bd_frame_copy(&ps->prepared.frame, &ps->scaled.frame);
    else
        bd_convert(&ps->prepared.frame, &ps->scaled.frame);
    /* Only the prepared frame is needed from here on. */
    bd_picture_free(&ps->scaled);
    bd_picture_free(&ps->turned);
    return 0;
}

static int picture_run(void *opaque, const BdEnv *env, BdFrameJob *job)
{
    PictureStage *ps = opaque;
    job->bg = &ps->prepared.frame;
    return 0;
}

static void picture_close(void *opaque)
{
    PictureStage *ps = opaque;
    bd_picture_free(&ps->prepared);
    bd_picture_free(&ps->scaled);
    bd_picture_free(&ps->turned);
}

const BdComponent bd_background_picture = {
    .pub = { "picture", BD_KIND(BD_STAGE_BACKGROUND), "the picture given (-b), or a solid colour" },
    .priv_size = sizeof(PictureStage),
    .options = picture_options,
    .option_count = sizeof(picture_options) / sizeof(picture_options[0]),
    .options_offset = offsetof(PictureStage, opts),
    .init = picture_init,
    .run = picture_run,
    .close = picture_close,
};
