/*
 * refine "bilateral": joint bilateral upsampling of the soft map (Kopf,
 * Cohen, Lischinski and Uyttendaele, "Joint Bilateral Upsampling",
 * SIGGRAPH 2007), the alternative to the guided filter.
 *
 * Each frame pixel takes a weighted mean of the 4 x 4 map pixels around
 * it: the weight of map pixel q is a Gaussian of the distance to q (in map
 * pixels, sigma 1) times a Gaussian of the difference between the pixel's
 * luma and q's (the frame's luma averaged over q's footprint; sigma the
 * option 'range', in luma levels). Across an edge of the frame the map
 * pixels of the other side weigh little, so the map's step moves onto the
 * edge. Then the threshold ramp of the other refine stages.
 *
 * Cost: 16 weights a pixel, the range weight from a table of 256. Where all
 * 16 map pixels lie on one side of the ramp (at or below its foot, or at or
 * above its top), any weighted mean of them does too: those pixels are
 * written by memset, and only the band along the map's edge is computed
 * (as in the guided stage). Measured against the guided stage in
 * bench/results.csv; not the default.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "guided.h"
#include "../nn/resample.h"
#include "../pipeline.h"
#include "../scale.h"

#define TAPS 4

typedef struct BilateralOptions {
    float threshold;
    float softness;
    float range;
} BilateralOptions;

typedef struct Bilateral {
    BilateralOptions opts;
    int active;
    int width, height;
    BackdropPixelFormat format;
    BdPlacement place;
    int map_w;
    int grid_w, grid_h;    /* the map rectangle, no larger than the frame's */
    BdScaler luma_down;    /* frame rectangle -> grid, area: Y, or packed (3 channels) */
    BdScaler map_down;     /* map rectangle -> grid (a copy when the frame is larger) */
    /* Per frame column (row): the first of its TAPS grid columns, clamped
     * so that all lie inside, and their spatial weights. */
    int *col_first, *row_first;
    float *col_weight, *row_weight;
    int *col_start;        /* grid_w + 1: first frame column whose col_first is j */
    float *prob;           /* grid: the map */
    uint8_t *guide;        /* grid: luma, rounded */
    uint8_t *block;        /* grid: the class of the TAPS x TAPS block from (j, i): 0, 255, or 1 (mixed) */
    float *line;           /* 3 x grid_w */
    float range_weight[256];
    float range_of_table;  /* the option value the table was made for */
    float *q;              /* one frame row */
    uint8_t *luma;         /* packed input: one frame row of luma */
} Bilateral;

#define FIELD(f) offsetof(BilateralOptions, f)
static const BdOption bilateral_options[] = {
    { { "threshold", "person probability where alpha is half", BACKDROP_OPTION_FLOAT, "0.5", 0, 1,
        NULL, BACKDROP_OPTION_RUNTIME }, FIELD(threshold), 0 },
    { { "softness", "probability range of the soft edge (0: a hard cut)", BACKDROP_OPTION_FLOAT, "0.2", 0, 1,
        NULL, BACKDROP_OPTION_RUNTIME }, FIELD(softness), 0 },
    { { "range", "luma difference (levels) at which a map pixel's weight falls to 61 %", BACKDROP_OPTION_FLOAT,
        "12", 1, 255, NULL, BACKDROP_OPTION_RUNTIME }, FIELD(range), 0 },
};

static void bilateral_uninit(void *opaque)
{
    Bilateral *b = opaque;
    bd_scaler_free(&b->luma_down);
    bd_scaler_free(&b->map_down);
    free(b->col_first);
    free(b->row_first);
    free(b->col_weight);
    free(b->row_weight);
    free(b->col_start);
    free(b->prob);
    free(b->guide);
    free(b->block);
    free(b->line);
    free(b->q);
    free(b->luma);
    BilateralOptions keep = b->opts;
    memset(b, 0, sizeof(*b));
    b->opts = keep;
}

/* For each of length frame samples over n grid samples: the first of the
 * TAPS grid samples around it (clamped inside) and their Gaussian weights
 * (sigma one grid sample, half-pixel centres). */
static int spatial_taps(int n, int length, int **first, float **weight)
{
    *first = malloc(sizeof(int) * (size_t)length);
    *weight = malloc(sizeof(float) * TAPS * (size_t)length);
    if (!*first || !*weight)
        return BACKDROP_ENOMEM;
    for (int x = 0; x < length; x++) {
        double s = (x + 0.5) * n / length - 0.5;
        int f = (int)floor(s) - TAPS / 2 + 1;
        if (f > n - TAPS)
            f = n - TAPS;
        if (f < 0)
            f = 0;
        (*first)[x] = f;
        for (int t = 0; t < TAPS; t++) {
            double d = f + t < n ? s - (f + t) : 1e9; /* a grid narrower than TAPS: no weight */
            (*weight)[TAPS * x + t] = (float)exp(-0.5 * d * d);
        }
    }
    return 0;
}

static int bilateral_init(void *opaque, const BdEnv *env, const BdShape *shape, BdMatteInfo *info)
{
    Bilateral *b = opaque;
    bilateral_uninit(b);
    b->active = info->soft_w > 0;
    b->width = shape->width;
    b->height = shape->height;
    b->format = shape->format;
    if (!b->active)
        return 0;
    const BdPlacement *p = &info->place;
    b->place = *p;
    b->map_w = info->soft_w;
    b->grid_w = p->src_w < p->dst_w ? p->src_w : p->dst_w;
    b->grid_h = p->src_h < p->dst_h ? p->src_h : p->dst_h;
    int yuv = shape->format == BACKDROP_PIXFMT_YUV420P;
    BdScaleRect frame_rect = { p->dst_x, p->dst_y, p->dst_w, p->dst_h };
    BdScaleRect map_rect = { p->src_x, p->src_y, p->src_w, p->src_h };
    int err = bd_scaler_init(&b->luma_down, BD_KERNEL_AREA, yuv ? 1 : 3, shape->width, shape->height, frame_rect,
                             b->grid_w, b->grid_h);
    if (err >= 0)
        err = bd_scaler_init(&b->map_down, BD_KERNEL_AREA, 1, info->soft_w, info->soft_h, map_rect, b->grid_w,
                             b->grid_h);
    if (err >= 0)
        err = spatial_taps(b->grid_w, p->dst_w, &b->col_first, &b->col_weight);
    if (err >= 0)
        err = spatial_taps(b->grid_h, p->dst_h, &b->row_first, &b->row_weight);
    if (err < 0)
        return err;
    size_t grid = (size_t)b->grid_w * b->grid_h;
    b->col_start = malloc(sizeof(int) * (size_t)(b->grid_w + 1));
    b->prob = malloc(sizeof(float) * grid);
    b->guide = malloc(grid);
    b->block = malloc(grid);
    b->line = malloc(sizeof(float) * 3 * (size_t)b->grid_w);
    b->q = malloc(sizeof(float) * (size_t)p->dst_w);
    b->luma = yuv ? NULL : malloc((size_t)p->dst_w);
    if (!b->col_start || !b->prob || !b->guide || !b->block || !b->line || !b->q || (!yuv && !b->luma))
        return BACKDROP_ENOMEM;
    for (int j = 0, x = 0; j <= b->grid_w; j++) {
        while (x < p->dst_w && b->col_first[x] < j)
            x++;
        b->col_start[j] = j == b->grid_w ? p->dst_w : x;
    }
    b->range_of_table = 0;
    return 0;
}

/* The grid's map and luma, and the class of every TAPS x TAPS block. */
static void prepare_grid(Bilateral *b, const BackdropFrame *in, const float *soft, float lo, float hi)
{
    int w = b->grid_w, h = b->grid_h, yuv = b->format == BACKDROP_PIXFMT_YUV420P;
    int bgr = b->format == BACKDROP_PIXFMT_BGR24;
    for (int y = 0; y < h; y++) {
        bd_scaler_row_f32(&b->map_down, y, soft, b->map_w, b->prob + (size_t)y * w);
        bd_scaler_row_u8(&b->luma_down, y, in->data[0], in->stride[0], b->line);
        uint8_t *g = b->guide + (size_t)y * w;
        const float *c0 = b->line, *c1 = b->line + w, *c2 = b->line + 2 * w;
        for (int x = 0; x < w; x++) {
            float v = yuv ? c0[x] : (77.0f * (bgr ? c2 : c0)[x] + 150.0f * c1[x] + 29.0f * (bgr ? c0 : c2)[x]) / 256.0f;
            g[x] = (uint8_t)(v + 0.5f);
        }
    }
    /* block (j, i): the TAPS x TAPS map pixels from there; FLAT when all are
     * on one side of the ramp, with a margin for the rounding of the mean. */
    const float margin = 1e-4f;
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++) {
            float low = 2, high = -1;
            for (int v = i; v < i + TAPS && v < h; v++)
                for (int u = j; u < j + TAPS && u < w; u++) {
                    float p = b->prob[(size_t)v * w + u];
                    low = p < low ? p : low;
                    high = p > high ? p : high;
                }
            b->block[(size_t)i * w + j] = high <= lo - margin ? 0 : low >= hi + margin ? 255 : 1;
        }
}

/* q of frame columns [x0, x1) of placement row y (frame row fy). */
static void output_span(Bilateral *b, const uint8_t *luma, int y, int x0, int x1)
{
    int w = b->grid_w, i0 = b->row_first[y];
    const float *wy = b->row_weight + TAPS * y;
    for (int x = x0; x < x1; x++) {
        int j0 = b->col_first[x];
        const float *wx = b->col_weight + TAPS * x;
        float sum = 0, total = 0;
        for (int v = 0; v < TAPS && i0 + v < b->grid_h; v++) {
            const float *p = b->prob + (size_t)(i0 + v) * w + j0;
            const uint8_t *g = b->guide + (size_t)(i0 + v) * w + j0;
            for (int u = 0; u < TAPS && j0 + u < w; u++) {
                int diff = luma[x] - g[u];
                float weight = wy[v] * wx[u] * b->range_weight[diff < 0 ? -diff : diff];
                sum += weight * p[u];
                total += weight;
            }
        }
        b->q[x - x0] = total > 0 ? sum / total : 0;
    }
}

static int bilateral_run(void *opaque, const BdEnv *env, BdFrameJob *job)
{
    Bilateral *b = opaque;
    BdMatte *m = &job->matte;
    if (!b->active || !m->soft)
        return 0;
    if (b->range_of_table != b->opts.range) {
        for (int d = 0; d < 256; d++)
            b->range_weight[d] = (float)exp(-0.5 * (d / b->opts.range) * (d / b->opts.range));
        b->range_of_table = b->opts.range;
    }
    float soft = b->opts.softness, lo = b->opts.threshold - soft / 2, hi = b->opts.threshold + soft / 2;
    prepare_grid(b, job->in, m->soft, lo, hi);
    const BdPlacement *p = &b->place;
    bd_matte_clear_outside(m, p, b->width, b->height);
    const BackdropFrame *in = job->in;
    for (int y = 0; y < p->dst_h; y++) {
        int fy = p->dst_y + y;
        const uint8_t *row = in->data[0] + (ptrdiff_t)fy * in->stride[0];
        const uint8_t *luma = row + p->dst_x;
        if (b->format != BACKDROP_PIXFMT_YUV420P) {
            bd_packed_luma_row(b->luma, row + 3 * p->dst_x, p->dst_w, b->format == BACKDROP_PIXFMT_BGR24);
            luma = b->luma;
        }
        uint8_t *alpha = m->alpha + fy * m->alpha_stride + p->dst_x;
        const uint8_t *blocks = b->block + (size_t)b->row_first[y] * b->grid_w;
        /* Runs of frame columns whose blocks are of one class. */
        for (int j = 0; j < b->grid_w;) {
            int end = j + 1;
            while (end < b->grid_w && blocks[end] == blocks[j])
                end++;
            int x0 = b->col_start[j], x1 = b->col_start[end];
            if (x1 > x0) {
                if (blocks[j] != 1) {
                    memset(alpha + x0, blocks[j], (size_t)(x1 - x0));
                } else {
                    output_span(b, luma, y, x0, x1);
                    nn_prob_to_alpha_row(alpha + x0, b->q, x1 - x0, b->opts.threshold, b->opts.softness);
                }
            }
            j = end;
        }
    }
    m->alpha_valid = 1;
    return 0;
}

const BdComponent bd_refine_bilateral = {
    .pub = { "bilateral", BD_KIND(BD_STAGE_REFINE), "joint bilateral upsampling of the soft map, guided by luma" },
    .priv_size = sizeof(Bilateral),
    .options = bilateral_options,
    .option_count = sizeof(bilateral_options) / sizeof(bilateral_options[0]),
    .options_offset = offsetof(Bilateral, opts),
    .init = bilateral_init,
    .run = bilateral_run,
    .uninit = bilateral_uninit,
};
