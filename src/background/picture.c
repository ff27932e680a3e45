/*
 * background "picture" (the default): the caller's picture, or a solid
 * colour when there is none, prepared once per frame shape in the frames'
 * own format: turned into the stored orientation of rotated video (so that
 * it shows upright once the player applies the display rotation), fitted
 * (stretch, cover or contain, against the frame as displayed), area-scaled
 * and converted. Changing the fit or the colour rebuilds it on the next
 * frame; nothing is done per frame.
 *
 * A caller may also give a new picture every frame (a video background):
 * each one re-runs init. Its buffers (turned, scaled, prepared) and the
 * scaler's tables are therefore kept from one init to the next and only
 * grow or are rebuilt when the sizes change, so that a stream of pictures
 * of one size costs no allocation; close frees them. A picture of exactly
 * the frame's size is not resampled (the area kernel at ratio 1 is the
 * identity) but converted straight from the source.
 */
#include <string.h>

#include "../pipeline.h"
#include "../scale.h"

static const char *const fit_choices[] = { "stretch", "cover", "contain", NULL };

typedef struct PictureOptions {
    int fit;          /* BdFit */
    uint8_t color[3]; /* R, G, B */
} PictureOptions;

/* What a kept scaler was built for: it is reused while these match. */
typedef struct ScalerKey {
    int channels, src_w, src_h;
    BdFitRect rect;
} ScalerKey;

typedef struct PictureStage {
    PictureOptions opts;
    Picture turned;   /* the picture in stored orientation (rotated video only) */
    Picture scaled;   /* the picture at frame size, in its packed format */
    Picture prepared; /* the background in the frames' shape */
    BdScaler scaler;  /* valid when have_scaler; built for key */
    ScalerKey key;
    int have_scaler;
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

/* r's source rectangle of src into r's destination rectangle of dst
 * (OpenCV's INTER_AREA, as bd_resize_area), on the kept scaler: built
 * again only when the geometry differs from the last picture's. */
static int resize(PictureStage *ps, const BackdropFrame *dst, const BackdropFrame *src, const BdFitRect *r)
{
    ScalerKey key;
    memset(&key, 0, sizeof(key)); /* compared with memcmp: no stray padding */
    key.channels = bd_pixel_size(src->format);
    key.src_w = src->width;
    key.src_h = src->height;
    key.rect = *r;
    if (!ps->have_scaler || memcmp(&key, &ps->key, sizeof(key))) {
        if (ps->have_scaler)
            bd_scaler_free(&ps->scaler);
        ps->have_scaler = 0;
        BdScaleRect rect = { r->src_x, r->src_y, r->src_w, r->src_h };
        int err = bd_scaler_init(&ps->scaler, BD_KERNEL_OPENCV_AREA, key.channels, src->width, src->height, rect,
                                 r->dst_w, r->dst_h);
        if (err < 0)
            return err;
        ps->key = key;
        ps->have_scaler = 1;
    }
    bd_scaler_run_u8(&ps->scaler, src->data[0], src->stride[0],
                     dst->data[0] + r->dst_y * dst->stride[0] + (ptrdiff_t)r->dst_x * key.channels, dst->stride[0]);
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
    BdFitRect r = stored_fit_rect((BdFit)ps->opts.fit, turns, pic->width, pic->height, shape->width,
                                  shape->height);
    const BackdropFrame *fitted = pic;
    int identity = r.src_x == 0 && r.src_y == 0 && r.src_w == pic->width && r.src_h == pic->height &&
                   r.dst_x == 0 && r.dst_y == 0 && r.dst_w == shape->width && r.dst_h == shape->height &&
                   pic->width == shape->width && pic->height == shape->height;
    if (!identity) {
        /* Scale in the picture's packed format, then convert the whole
         * frame (bars included) to the frames' format. */
        if ((err = bd_picture_alloc(&ps->scaled, pic->format, shape->width, shape->height)) < 0)
            return err;
        if (r.dst_w != shape->width || r.dst_h != shape->height)
            bd_fill_rgb(&ps->scaled.frame, rgb[0], rgb[1], rgb[2]);
        if ((err = resize(ps, &ps->scaled.frame, pic, &r)) < 0)
            return err;
        fitted = &ps->scaled.frame;
    }
    if (fitted->format == shape->format)
        bd_frame_copy(&ps->prepared.frame, fitted);
    else
        bd_convert(&ps->prepared.frame, fitted);
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
    if (ps->have_scaler)
        bd_scaler_free(&ps->scaler);
    ps->have_scaler = 0;
}

void bd_background_picture_buffers(const void *priv, const void *buffers[4])
{
    const PictureStage *ps = priv;
    buffers[0] = ps->turned.buffer;
    buffers[1] = ps->scaled.buffer;
    buffers[2] = ps->prepared.buffer;
    buffers[3] = ps->have_scaler ? ps->scaler.x.weight : NULL;
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
