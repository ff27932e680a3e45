/*
 * stabilise "adaptive": the soft map held still where the picture is still,
 * and taken as the network gives it where the picture moved.
 *
 * A network judges every frame on its own, so on a still scene its map
 * wavers by a few hundredths around the same answer, and at the edges that
 * becomes visible shimmer. An average over time (stabilise "ema") removes
 * it, and drags a ghost behind everything that moves. Here each map pixel
 * chooses, per frame, how much of the new answer P to take into the kept
 * map S:
 *
 *   motion   the frame's luma, averaged over the map pixel, against the
 *            previous frame's, after removing a global gain change (a
 *            camera's exposure flicker moves every pixel a little); the
 *            largest change in the 3x3 map pixels around decides:
 *            m = clamp((change - motion/2) / (motion/2), 0, 1)
 *   rate     where still, S follows P at 'rise' when P is above S (a person
 *            comes back fast) and at 'fall' when below (fades slowly);
 *            while |P - S| < hold (the network's wavering) only at a
 *            twentieth of those, so that S settles on the mean of the
 *            wavering instead of shimmering with it, yet cannot stay stuck
 *            on the wrong side of the threshold
 *
 *       k = m + (1 - m) rate,     S += k (P - S)
 *
 * so a moving edge is the network's own (no ghost) and a still one does
 * not shimmer. Pixels of the map outside its placement in the frame (the
 * padding of framing pad) take P. State: S and the previous luma, reset
 * with each shape. Cost: one area-averaging pass over the frame's luma
 * and a few operations per map pixel.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../pipeline.h"
#include "../scale.h"

typedef struct AdaptiveOptions {
    float motion;
    float rise;
    float fall;
    float hold;
} AdaptiveOptions;

typedef struct Adaptive {
    AdaptiveOptions opts;
    int active;
    BackdropPixelFormat format;
    BdPlacement place;
    int map_w, map_h;
    BdScaler luma_down;    /* frame rectangle -> the map rectangle's pixels, area */
    float *map;            /* S: map_w x map_h */
    float *luma, *prev;    /* src_w x src_h: this frame's and the previous frame's luma */
    double prev_mean;      /* the mean of prev */
    float *change;         /* src_w x src_h: luma change, then its 3x3 maximum */
    float *gate;           /* src_w x src_h: scratch, then the motion gate 0..1 */
    float *line;           /* 3 x src_w */
    int have;              /* map and prev hold a previous frame's */
} Adaptive;

#define FIELD(f) offsetof(AdaptiveOptions, f)
static const BdOption adaptive_options[] = {
    { { "motion", "luma change (0..255, averaged over a map pixel) from which the map follows the network at "
        "once", BACKDROP_OPTION_FLOAT, "6", 0.5, 255, NULL, BACKDROP_OPTION_RUNTIME }, FIELD(motion), 0 },
    { { "rise", "share of a higher new probability taken per frame where the picture is still",
        BACKDROP_OPTION_FLOAT, "0.5", 0, 1, NULL, BACKDROP_OPTION_RUNTIME }, FIELD(rise), 0 },
    { { "fall", "share of a lower new probability taken per frame where the picture is still",
        BACKDROP_OPTION_FLOAT, "0.2", 0, 1, NULL, BACKDROP_OPTION_RUNTIME }, FIELD(fall), 0 },
    { { "hold", "probability change ignored where the picture is still", BACKDROP_OPTION_FLOAT, "0.1", 0, 1,
        NULL, BACKDROP_OPTION_RUNTIME }, FIELD(hold), 0 },
};

static void adaptive_uninit(void *opaque)
{
    Adaptive *a = opaque;
    bd_scaler_free(&a->luma_down);
    free(a->map);
    free(a->luma);
    free(a->prev);
    free(a->change);
    free(a->gate);
    free(a->line);
    AdaptiveOptions keep = a->opts;
    memset(a, 0, sizeof(*a));
    a->opts = keep;
}

static int adaptive_init(void *opaque, const BdEnv *env, const BdShape *shape, BdMatteInfo *info)
{
    Adaptive *a = opaque;
    adaptive_uninit(a);
    a->active = info->soft_w > 0;
    if (!a->active)
        return 0;
    a->format = shape->format;
    a->place = info->place;
    a->map_w = info->soft_w;
    a->map_h = info->soft_h;
    const BdPlacement *p = &info->place;
    BdScaleRect frame_rect = { p->dst_x, p->dst_y, p->dst_w, p->dst_h };
    int channels = shape->format == BACKDROP_PIXFMT_YUV420P ? 1 : 3;
    int err = bd_scaler_init(&a->luma_down, BD_KERNEL_AREA, channels, shape->width, shape->height, frame_rect,
                             p->src_w, p->src_h);
    if (err < 0)
        return err;
    size_t cells = (size_t)p->src_w * p->src_h;
    a->map = malloc(sizeof(float) * (size_t)a->map_w * a->map_h);
    a->luma = malloc(sizeof(float) * cells);
    a->prev = malloc(sizeof(float) * cells);
    a->change = malloc(sizeof(float) * cells);
    a->gate = malloc(sizeof(float) * cells);
    a->line = malloc(sizeof(float) * 3 * (size_t)p->src_w);
    if (!a->map || !a->luma || !a->prev || !a->change || !a->gate || !a->line)
        return BACKDROP_ENOMEM;
    return 0;
}

/* The frame's luma over the map rectangle's pixels; returns its mean.
 * From the method's picture where there is one (no resampling), else
 * resampled from the frame (whose luma scale may differ a little: a
 * method that hands on a picture only sometimes opens the motion gate for
 * a frame when it switches, which costs that frame its smoothing only). */
static double luma_to_map(Adaptive *a, const BackdropFrame *in, const float *picture)
{
    int w = a->place.src_w;
    double total = 0;
    for (int y = 0; y < a->place.src_h; y++) {
        float *dst = a->luma + (size_t)y * w;
        if (picture) {
            const float *px = picture + 3 * ((size_t)(a->place.src_y + y) * a->map_w + a->place.src_x);
            for (int x = 0; x < w; x++)
                dst[x] = 255.0f * (0.299f * px[3 * x] + 0.587f * px[3 * x + 1] + 0.114f * px[3 * x + 2]);
        } else if (bd_scaler_row_u8(&a->luma_down, y, in->data[0], in->stride[0], a->line),
                   a->format == BACKDROP_PIXFMT_YUV420P) {
            memcpy(dst, a->line, sizeof(float) * (size_t)w);
        } else {
            const float *c0 = a->line, *c1 = a->line + w, *c2 = a->line + 2 * w;
            const float *r = a->format == BACKDROP_PIXFMT_BGR24 ? c2 : c0;
            const float *b = a->format == BACKDROP_PIXFMT_BGR24 ? c0 : c2;
            for (int x = 0; x < w; x++)
                dst[x] = (77.0f * r[x] + 150.0f * c1[x] + 29.0f * b[x]) * (1.0f / 256.0f);
        }
        for (int x = 0; x < w; x++)
            total += dst[x];
    }
    return total / ((double)w * a->place.src_h);
}

/* values = the largest of the 3x3 values around each (cut to the
 * picture), in two passes: the rows' into tmp, then the columns' back. */
static void max3x3(float *values, float *tmp, int w, int h)
{
    for (int y = 0; y < h; y++) {
        const float *r = values + (size_t)y * w;
        float *o = tmp + (size_t)y * w;
        for (int x = 0; x < w; x++) {
            float left = r[x > 0 ? x - 1 : x], right = r[x + 1 < w ? x + 1 : x];
            float m = r[x] > left ? r[x] : left;
            o[x] = m > right ? m : right;
        }
    }
    for (int y = 0; y < h; y++) {
        const float *up = tmp + (size_t)(y > 0 ? y - 1 : y) * w, *mid = tmp + (size_t)y * w;
        const float *down = tmp + (size_t)(y + 1 < h ? y + 1 : y) * w;
        float *o = values + (size_t)y * w;
        for (int x = 0; x < w; x++) {
            float m = mid[x] > up[x] ? mid[x] : up[x];
            o[x] = m > down[x] ? m : down[x];
        }
    }
}

static int adaptive_run(void *opaque, const BdEnv *env, BdFrameJob *job)
{
    Adaptive *a = opaque;
    const float *p = job->matte.soft;
    if (!a->active || !p)
        return 0;
    const BdPlacement *pl = &a->place;
    int w = pl->src_w, h = pl->src_h;
    double mean = luma_to_map(a, job->in, job->matte.picture);
    if (!a->have) {
        memcpy(a->map, p, sizeof(float) * (size_t)a->map_w * a->map_h);
        a->have = 1;
    } else {
        /* The previous luma brought to this frame's exposure. */
        size_t cells = (size_t)w * h;
        float gain = a->prev_mean > 1.0 ? (float)(mean / a->prev_mean) : 1.0f;
        for (size_t i = 0; i < cells; i++)
            a->change[i] = fabsf(a->luma[i] - gain * a->prev[i]);
        max3x3(a->change, a->gate, w, h);
        /* The gate, from the largest change around each map pixel. */
        float half = a->opts.motion / 2, inv_half = 1.0f / half;
        for (size_t i = 0; i < cells; i++) {
            float m = (a->change[i] - half) * inv_half;
            a->gate[i] = m < 0 ? 0 : m > 1 ? 1 : m;
        }
        /* S follows P everywhere; inside the rectangle by the rule above. */
        float rise = a->opts.rise, fall = a->opts.fall, hold = a->opts.hold;
        for (int y = 0; y < a->map_h; y++) {
            float *s_row = a->map + (size_t)y * a->map_w;
            const float *p_row = p + (size_t)y * a->map_w;
            int v = y - pl->src_y;
            if (v < 0 || v >= h) {
                memcpy(s_row, p_row, sizeof(float) * (size_t)a->map_w);
                continue;
            }
            const float *gate = a->gate + (size_t)v * w - pl->src_x;
            for (int x = 0; x < a->map_w; x++) {
                float d = p_row[x] - s_row[x];
                if (x < pl->src_x || x >= pl->src_x + w) {
                    s_row[x] = p_row[x];
                    continue;
                }
                float rate = d > 0 ? rise : fall;
                if (fabsf(d) < hold)
                    rate *= 0.05f;
                float m = gate[x];
                s_row[x] += (m + (1 - m) * rate) * d;
            }
        }
    }
    a->prev_mean = mean;
    float *swap = a->prev;
    a->prev = a->luma;
    a->luma = swap;
    job->matte.soft = a->map;
    return 0;
}

const BdComponent bd_stabilise_adaptive = {
    .pub = { "adaptive", BD_KIND(BD_STAGE_STABILISE),
             "the soft map held where the picture is still, the network's own where it moved" },
    .priv_size = sizeof(Adaptive),
    .options = adaptive_options,
    .option_count = sizeof(adaptive_options) / sizeof(adaptive_options[0]),
    .options_offset = offsetof(Adaptive, opts),
    .init = adaptive_init,
    .run = adaptive_run,
    .uninit = adaptive_uninit,
};
