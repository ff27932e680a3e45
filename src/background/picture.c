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

/* (x, y, w, h) inside an upright W x H picture, as the same pixels are
 * placed in the stored orientation (see bd_frame_turn_to_stored). */
static void turn_rect(int *x, int *y, int *w, int *h, int W, int H, int turns)
{
    int x0 = *x, y0 = *y, w0 = *w, h0 = *h;
    switch (turns) {
    case 1: *x = y0; *y = W - x0 - w0; *w = h0; *h = w0; break;
    case 2: *x = W - x0 - w0; *y = H - y0 - h0; break;
    case 3: *x = H - y0 - h0; *y = x0; *w = h0; *h = w0; break;
    default: break;
    }
}

/* The fit of a picture and a frame both stored turned: judged as they are
 * displayed, upright, so that centring and rounding are those of an upright
 * frame, then turned back into stored coordinates. */
static BdFitRect stored_fit_rect(BdFit fit, int turns, int pic_w, int pic_h, int frame_w, int frame_h)
{
    if (turns % 2) {
        int t = pic_w;
        pic_w = pic_h;
        pic_h = t;
        t = frame_w;
        frame_w = frame_h;
        frame_h = t;
    }
    BdFitRect r = bd_fit_rect(fit, pic_w, pic_h, frame_w, frame_h);
    turn_rect(&r.src_x, &r.src_y, &r.src_w, &r.src_h, pic_w, pic_h, turns);
    turn_rect(&r.dst_x, &r.dst_y, &r.dst_w, &r.dst_h, frame_w, frame_h, turns);
    return r;
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
    int turns = env->quarter_turns;
    if (turns) {
        /* The picture is upright: stored turned like the frames, it shows
         * upright once the player turns them. */
        int w = turns % 2 ? pic->height : pic->width, h = turns % 2 ? pic->width : pic->height;
        if ((err = bd_picture_alloc(&ps->turned, pic->format, w, h)) < 0)
            return err;
        bd_frame_turn_to_stored(&ps->turned.frame, pic, turns);
        pic = &ps->turned.frame;
    }
    /* Scale in the picture's packed format, then convert the whole frame
     * (bars included) to the frames' format. */
    if ((err = bd_picture_alloc(&ps->scaled, pic->format, shape->width, shape->height)) < 0)
        return err;
    BdFitRect r = stored_fit_rect((BdFit)ps->opts.fit, turns, pic->width, pic->height, shape->width,
                                  shape->height);
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
