/*
 * framediff: the tutorial's method. A pixel is foreground when the grey level
 * of the absolute difference between two frames is strictly greater than the
 * threshold.
 *
 * Grey level: OpenCV's COLOR_BGR2GRAY in fixed point,
 *     grey = (4899 R + 9617 G + 1868 B + 8192) >> 14        (BT.601, Q14)
 * applied to |F1 - F2| per channel. On RGB/BGR frames that is the tutorial's
 * arithmetic bit for bit. On YUV 4:2:0 frames the RGB differences are derived
 * from the Y/U/V differences with the frame's matrix and range (Q8), clamped
 * to 255 like saturated RGB, and weighed the same way, so no frame is
 * converted to RGB; the chroma difference of a 2x2 block applies to its four
 * pixels.
 *
 * Pairing:
 *  - default: frame t against frame t-1, composite frame t; one output per
 *    input. The first frame has no predecessor: it is compared with itself,
 *    nothing has moved, so its output is all background.
 *  - seed_compat: the tutorial's loop keeps the latest even-indexed and the
 *    latest odd-indexed frame, diffs them and composites the odd one; it
 *    emits nothing for frames 0 and 1, then one (possibly repeated) frame
 *    per input.
 */
#include <string.h>

#include "../pipeline.h"
#include "../colorspace.h"

#define GREY_R 4899
#define GREY_G 9617
#define GREY_B 1868
#define GREY_SHIFT 14

typedef struct FramediffOptions {
    int threshold;
    int seed_compat;
} FramediffOptions;

typedef struct FrameDiff {
    FramediffOptions opts;
    int threshold;   /* opts.threshold, read at the start of each frame */
    int seed_compat; /* opts.seed_compat, fixed per shape */
    BackdropPixelFormat format;
    pthreadpool_t pool;
    /* YUV -> RGB difference coefficients, Q8 */
    int k_y, k_rv, k_gu, k_gv, k_bu;
    /* default mode: the previous frame; seed_compat: latest even / odd. */
    Picture previous, even, odd;
    int64_t frames; /* frames seen since init */
} FrameDiff;

#define FIELD(f) offsetof(FramediffOptions, f)
static const BdOption framediff_options[] = {
    { { "threshold", "grey difference above which a pixel is foreground", BACKDROP_OPTION_INT, "3", 0,
        255, NULL, BACKDROP_OPTION_RUNTIME }, FIELD(threshold), 0 },
    { { "seed-compat", "reproduce the original tutorial exactly (frame pairing, OpenCV grey)",
        BACKDROP_OPTION_BOOL, "0", 0, 1, NULL, 0 }, FIELD(seed_compat), 1 },
};

static int framediff_init(void *opaque, const BdEnv *env, const BdShape *cfg, BdMatteInfo *info)
{
    FrameDiff *fd = opaque;
    fd->threshold = fd->opts.threshold;
    fd->seed_compat = fd->opts.seed_compat;
    fd->format = cfg->format;
    fd->pool = env->pool;
    fd->frames = 0;
    info->soft_w = info->soft_h = 0; /* the alpha is decided here, per pixel */
    YuvCoefficients c = bd_yuv_coefficients(cfg->range, cfg->matrix);
    fd->k_y = (int)(c.y_scale * 256.0f + 0.5f);
    fd->k_rv = (int)(2.0f * (1.0f - c.kr) * c.c_scale * 256.0f + 0.5f);
    fd->k_gu = (int)(2.0f * (1.0f - c.kb) * c.kb / c.kg * c.c_scale * 256.0f + 0.5f);
    fd->k_gv = (int)(2.0f * (1.0f - c.kr) * c.kr / c.kg * c.c_scale * 256.0f + 0.5f);
    fd->k_bu = (int)(2.0f * (1.0f - c.kb) * c.c_scale * 256.0f + 0.5f);
    int err;
    if (fd->seed_compat) {
        if ((err = bd_picture_alloc(&fd->even, cfg->format, cfg->width, cfg->height)) < 0 ||
            (err = bd_picture_alloc(&fd->odd, cfg->format, cfg->width, cfg->height)) < 0)
            return err;
    } else if ((err = bd_picture_alloc(&fd->previous, cfg->format, cfg->width, cfg->height)) < 0) {
        return err;
    }
    return 0;
}

static void framediff_uninit(void *opaque)
{
    FrameDiff *fd = opaque;
    bd_picture_free(&fd->previous);
    bd_picture_free(&fd->even);
    bd_picture_free(&fd->odd);
}

static inline int absdiff(int a, int b)
{
    return a > b ? a - b : b - a;
}

BD_VECTOR_CLONES
static void mask_packed_row(uint8_t *alpha, const uint8_t *a, const uint8_t *b, int width,
                            int threshold, int r, int bl)
{
    for (int x = 0; x < width; x++) {
        const uint8_t *pa = a + 3 * x, *pb = b + 3 * x;
        int grey = (GREY_R * absdiff(pa[r], pb[r]) + GREY_G * absdiff(pa[1], pb[1]) +
                    GREY_B * absdiff(pa[bl], pb[bl]) + (1 << (GREY_SHIFT - 1))) >> GREY_SHIFT;
        alpha[x] = grey > threshold ? 255 : 0;
    }
}

static inline int abs_clamped(int v)
{
    v = v < 0 ? -v : v;
    return v > (255 << 8) ? (255 << 8) : v;
}

/* Pixels per chunk of mask_yuv_row(): its scratch arrays live on the stack
 * (3 KiB), and the loops over a chunk are simple enough to vectorise. */
#define YUV_CHUNK 256

/* Mask of one chunk of a luma row, given the chroma contributions of its
 * pixels. */
static inline void mask_luma_chunk(uint8_t *out, const uint8_t *pa, const uint8_t *pb, int n, int k_y,
                                   const int32_t *chroma_r, const int32_t *chroma_g, const int32_t *chroma_b,
                                   int32_t limit)
{
    for (int x = 0; x < n; x++) {
        int dy = k_y * (pa[x] - pb[x]);
        int32_t sum = GREY_R * abs_clamped(dy + chroma_r[x]) + GREY_G * abs_clamped(dy + chroma_g[x]) +
                      GREY_B * abs_clamped(dy + chroma_b[x]);
        out[x] = sum >= limit ? 255 : 0;
    }
}

/* Masks of the luma rows that share one chroma row: row 0 always, row 1
 * when alpha1 is not NULL (the last row of an odd-height frame has no
 * partner). The chroma terms are computed once for both. */
BD_VECTOR_CLONES
static void mask_yuv_rows(const FrameDiff *fd, uint8_t *alpha0, uint8_t *alpha1, const uint8_t *ya0,
                          const uint8_t *yb0, const uint8_t *ya1, const uint8_t *yb1, const uint8_t *ua,
                          const uint8_t *ub, const uint8_t *va, const uint8_t *vb, int width)
{
    /* Chroma contributions to the R, G and B differences, one per pixel (a
     * chroma sample's value repeated for its two columns). */
    int32_t chroma_r[YUV_CHUNK], chroma_g[YUV_CHUNK], chroma_b[YUV_CHUNK];
    const int k_y = fd->k_y, k_rv = fd->k_rv, k_gu = fd->k_gu, k_gv = fd->k_gv, k_bu = fd->k_bu;
    /* grey > threshold  <=>  (sum + 2^21) >> 22 > threshold
     *                   <=>  sum >= (threshold + 1) * 2^22 - 2^21 */
    const int32_t limit = (fd->threshold + 1) * (1 << (GREY_SHIFT + 8)) - (1 << (GREY_SHIFT + 7));
    for (int x0 = 0; x0 < width; x0 += YUV_CHUNK) {
        int n = width - x0 < YUV_CHUNK ? width - x0 : YUV_CHUNK;
        int c0 = x0 >> 1, cn = (n + 1) >> 1;
        for (int c = 0; c < cn; c++) {
            int du = ua[c0 + c] - ub[c0 + c], dv = va[c0 + c] - vb[c0 + c];
            int r = k_rv * dv, g = -k_gu * du - k_gv * dv, b = k_bu * du;
            chroma_r[2 * c] = chroma_r[2 * c + 1] = r;
            chroma_g[2 * c] = chroma_g[2 * c + 1] = g;
            chroma_b[2 * c] = chroma_b[2 * c + 1] = b;
        }
        mask_luma_chunk(alpha0 + x0, ya0 + x0, yb0 + x0, n, k_y, chroma_r, chroma_g, chroma_b, limit);
        if (alpha1)
            mask_luma_chunk(alpha1 + x0, ya1 + x0, yb1 + x0, n, k_y, chroma_r, chroma_g, chroma_b, limit);
    }
}

typedef struct DiffJob {
    const FrameDiff *fd;
    const BackdropFrame *a, *b;
    uint8_t *alpha;
    ptrdiff_t alpha_stride;
    /* When set, rows of 'a' are copied into it once their mask is done
     * (default mode: the current frame becomes the next one's previous). */
    const BackdropFrame *save_a;
} DiffJob;

static void copy_rows(const BackdropFrame *dst, const BackdropFrame *src, int first_row, int rows)
{
    for (int p = 0; p < bd_plane_count(src->format); p++) {
        int y0 = first_row, y1 = first_row + rows;
        if (p > 0) {
            y0 >>= 1;
            y1 = (y1 + 1) >> 1;
        }
        size_t row = (size_t)bd_plane_width(src->format, src->width, p) * bd_pixel_size(src->format);
        for (int y = y0; y < y1; y++)
            memcpy(dst->data[p] + y * dst->stride[p], src->data[p] + y * src->stride[p], row);
    }
}

static void diff_rows(void *opaque, int first_row, int rows)
{
    const DiffJob *job = opaque;
    const FrameDiff *fd = job->fd;
    const BackdropFrame *a = job->a, *b = job->b;
    if (fd->format == BACKDROP_PIXFMT_YUV420P) {
        /* Slices start on even rows: pairs of luma rows share a chroma row. */
        for (int y = first_row; y < first_row + rows; y += 2) {
            int cy = y >> 1, pair = y + 1 < first_row + rows;
            uint8_t *alpha = job->alpha + y * job->alpha_stride;
            mask_yuv_rows(fd, alpha, pair ? alpha + job->alpha_stride : NULL,
                          a->data[0] + y * a->stride[0], b->data[0] + y * b->stride[0],
                          a->data[0] + (y + pair) * a->stride[0], b->data[0] + (y + pair) * b->stride[0],
                          a->data[1] + cy * a->stride[1], b->data[1] + cy * b->stride[1],
                          a->data[2] + cy * a->stride[2], b->data[2] + cy * b->stride[2], a->width);
        }
    } else {
        int r = fd->format == BACKDROP_PIXFMT_BGR24 ? 2 : 0;
        for (int y = first_row; y < first_row + rows; y++)
            mask_packed_row(job->alpha + y * job->alpha_stride, a->data[0] + y * a->stride[0],
                            b->data[0] + y * b->stride[0], a->width, fd->threshold, r, 2 - r);
    }
    if (job->save_a)
        copy_rows(job->save_a, a, first_row, rows);
}

static int framediff_run(void *opaque, const BdEnv *env, BdFrameJob *fj)
{
    FrameDiff *fd = opaque;
    const BackdropFrame *in = fj->in;
    uint8_t *alpha = fj->matte.alpha;
    ptrdiff_t alpha_stride = fj->matte.alpha_stride;
    int64_t index = fd->frames++;
    fd->threshold = fd->opts.threshold;
    if (fd->seed_compat) {
        Picture *keep = index % 2 == 0 ? &fd->even : &fd->odd;
        bd_frame_copy(&keep->frame, in);
        keep->frame.pts = in->pts;
        if (index < 2)
            return BACKDROP_EAGAIN;
        DiffJob job = { fd, &fd->even.frame, &fd->odd.frame, alpha, alpha_stride, NULL };
        bd_run_rows(fd->pool, diff_rows, &job, in->height, 2);
        fj->fg = &fd->odd.frame;
        fj->matte.alpha_valid = 1;
        return 0;
    }
    /* The first frame is diffed against itself: an all-background mask. */
    const BackdropFrame *previous = index == 0 ? in : &fd->previous.frame;
    DiffJob job = { fd, in, previous, alpha, alpha_stride, &fd->previous.frame };
    bd_run_rows(fd->pool, diff_rows, &job, in->height, 2);
    fj->fg = in;
    fj->matte.alpha_valid = 1;
    return 0;
}

const BdComponent bd_segment_framediff = {
    .pub = { "framediff", BD_KIND(BD_STAGE_SEGMENT),
             "the tutorial's frame differencing: moving pixels are foreground" },
    .priv_size = sizeof(FrameDiff),
    .options = framediff_options,
    .option_count = sizeof(framediff_options) / sizeof(framediff_options[0]),
    .options_offset = offsetof(FrameDiff, opts),
    .init = framediff_init,
    .run = framediff_run,
    .uninit = framediff_uninit,
};
