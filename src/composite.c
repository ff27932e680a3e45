/*
 * Alpha compositing in the frame's own format: out = a*fg + (255-a)*bg.
 *
 * blend() divides by 255 with exact rounding: for t = a*f + (255-a)*b + 128
 * (at most 65153), (t + (t >> 8)) >> 8 == round((a*f + (255-a)*b) / 255).
 * Hence a = 255 gives fg and a = 0 gives bg bit-exactly, which the
 * framediff tests (binary masks) rely on.
 */
#include <stdlib.h>
#include <string.h>

#include "background/weighted_blur.h"
#include "pipeline.h"

/* All intermediate values fit 16 bits (t + (t >> 8) <= 65407), which lets
 * the compiler use 16-bit vector lanes. */
static inline uint8_t blend(uint16_t f, uint16_t b, uint16_t a)
{
    uint16_t t = (uint16_t)(a * f + (uint16_t)(255 - a) * b + 128);
    return (uint8_t)((uint16_t)(t + (t >> 8)) >> 8);
}

/* Packed 3-byte pixels into out_size-byte pixels (3, or 4 whose last byte
 * takes the alpha itself). Inlined with a constant out_size into each clone
 * below, so each stays a plain loop the compiler vectorises. */
static inline void blend_packed(uint8_t *out, int out_size, const uint8_t *fg, const uint8_t *bg,
                                const uint8_t *alpha, int width)
{
    for (int x = 0; x < width; x++) {
        unsigned a = alpha[x];
        for (int c = 0; c < 3; c++)
            out[out_size * x + c] = blend(fg[3 * x + c], bg[3 * x + c], a);
        if (out_size == 4)
            out[4 * x + 3] = (uint8_t)a;
    }
}

BD_VECTOR_CLONES
static void blend_packed_row(uint8_t *out, const uint8_t *fg, const uint8_t *bg,
                             const uint8_t *alpha, int width)
{
    blend_packed(out, 3, fg, bg, alpha, width);
}

BD_VECTOR_CLONES
static void blend_packed_alpha_row(uint8_t *out, const uint8_t *fg, const uint8_t *bg,
                                   const uint8_t *alpha, int width)
{
    blend_packed(out, 4, fg, bg, alpha, width);
}

BD_VECTOR_CLONES
static void blend_plane_row(uint8_t *out, const uint8_t *fg, const uint8_t *bg,
                            const uint8_t *alpha, int width)
{
    for (int x = 0; x < width; x++)
        out[x] = blend(fg[x], bg[x], alpha[x]);
}

/* Chroma alpha of one 4:2:0 row: the rounded mean of the 2x2 luma alphas,
 * repeating the last column / row where the frame size is odd. */
BD_VECTOR_CLONES
static void chroma_alpha_row(uint8_t *dst, const uint8_t *a0, const uint8_t *a1, int width)
{
    int pairs = width >> 1;
    for (int x = 0; x < pairs; x++)
        dst[x] = (uint8_t)((a0[2 * x] + a0[2 * x + 1] + a1[2 * x] + a1[2 * x + 1] + 2) >> 2);
    if (width & 1) {
        int last = width - 1;
        dst[pairs] = (uint8_t)((2 * a0[last] + 2 * a1[last] + 2) >> 2);
    }
}

void bd_composite_rows(const BackdropFrame *out, const BackdropFrame *fg,
                       const BackdropFrame *bg, const uint8_t *alpha,
                       ptrdiff_t alpha_stride, int first_row, int rows)
{
    int width = out->width;
    if (out->format == BACKDROP_PIXFMT_RGBA || out->format == BACKDROP_PIXFMT_BGRA) {
        for (int y = first_row; y < first_row + rows; y++)
            blend_packed_alpha_row(out->data[0] + y * out->stride[0], fg->data[0] + y * fg->stride[0],
                                   bg->data[0] + y * bg->stride[0], alpha + y * alpha_stride, width);
        return;
    }
    if (out->format != BACKDROP_PIXFMT_YUV420P && out->format != BACKDROP_PIXFMT_YUVA420P) {
        for (int y = first_row; y < first_row + rows; y++)
            blend_packed_row(out->data[0] + y * out->stride[0], fg->data[0] + y * fg->stride[0],
                             bg->data[0] + y * bg->stride[0], alpha + y * alpha_stride, width);
        return;
    }
    if (out->format == BACKDROP_PIXFMT_YUVA420P)
        for (int y = first_row; y < first_row + rows; y++)
            memcpy(out->data[3] + y * out->stride[3], alpha + y * alpha_stride, (size_t)width);
    for (int y = first_row; y < first_row + rows; y++)
        blend_plane_row(out->data[0] + y * out->stride[0], fg->data[0] + y * fg->stride[0],
                        bg->data[0] + y * bg->stride[0], alpha + y * alpha_stride, width);
    /* first_row is even, so these chroma rows belong to this slice alone. A
     * 16384-wide frame has 8192 chroma columns: the stack buffer covers it. */
    uint8_t chroma_alpha[(BACKDROP_MAX_DIMENSION + 1) / 2];
    int cw = (width + 1) >> 1;
    for (int y = first_row; y < first_row + rows; y += 2) {
        const uint8_t *a0 = alpha + y * alpha_stride;
        const uint8_t *a1 = y + 1 < out->height ? a0 + alpha_stride : a0;
        chroma_alpha_row(chroma_alpha, a0, a1, width);
        int cy = y >> 1;
        for (int p = 1; p < 3; p++)
            blend_plane_row(out->data[p] + cy * out->stride[p], fg->data[p] + cy * fg->stride[p],
                            bg->data[p] + cy * bg->stride[p], chroma_alpha, cw);
    }
}

void bd_chroma_alpha(uint8_t *dst, ptrdiff_t dst_stride, const uint8_t *alpha, ptrdiff_t alpha_stride,
                     int width, int height)
{
    for (int y = 0; y < height; y += 2) {
        const uint8_t *a0 = alpha + y * alpha_stride;
        chroma_alpha_row(dst + (y >> 1) * dst_stride, a0, y + 1 < height ? a0 + alpha_stride : a0, width);
    }
}

BD_VECTOR_CLONES
static void add_alpha_row(uint8_t *out, const uint8_t *fg, const uint8_t *alpha, int width)
{
    for (int x = 0; x < width; x++) {
        out[4 * x] = fg[3 * x];
        out[4 * x + 1] = fg[3 * x + 1];
        out[4 * x + 2] = fg[3 * x + 2];
        out[4 * x + 3] = alpha[x];
    }
}

void bd_foreground_rows(const BackdropFrame *out, const BackdropFrame *fg, const uint8_t *alpha,
                        ptrdiff_t alpha_stride, int first_row, int rows)
{
    int width = out->width;
    if (out->format == BACKDROP_PIXFMT_RGBA || out->format == BACKDROP_PIXFMT_BGRA) {
        for (int y = first_row; y < first_row + rows; y++)
            add_alpha_row(out->data[0] + y * out->stride[0], fg->data[0] + y * fg->stride[0],
                          alpha + y * alpha_stride, width);
        return;
    }
    /* YUVA420P; first_row is even, so the chroma rows are this slice's. */
    for (int y = first_row; y < first_row + rows; y++) {
        memcpy(out->data[0] + y * out->stride[0], fg->data[0] + y * fg->stride[0], (size_t)width);
        memcpy(out->data[3] + y * out->stride[3], alpha + y * alpha_stride, (size_t)width);
    }
    int cw = (width + 1) >> 1;
    for (int y = first_row; y < first_row + rows; y += 2)
        for (int p = 1; p < 3; p++)
            memcpy(out->data[p] + (y >> 1) * out->stride[p], fg->data[p] + (y >> 1) * fg->stride[p], (size_t)cw);
}

/* ---- the composite stage "blend" --------------------------------------- */

/*
 * Edge colours. Where the alpha is soft, the frame's pixel I mixes the
 * person's colour F with the old background's B: I = a F + (1 - a) B.
 * Blending I itself over a new background keeps (1 - a) a B of the old
 * background in the edge (a grey or green fringe in hair). With
 * edge-color "estimate" the composite uses an estimate of F there, by
 * blur-fusion (Forte and Pitie, "Approximate Fast Foreground Colour
 * Estimation", ICIP 2021): Fm and Bm are the local means of the foreground
 * and of the background colour (blurs of I weighted by a and by 1 - a),
 * and
 *
 *     F = Fm + a (I - a Fm - (1 - a) Bm)
 *
 * moves Fm so that the pixel's own mix is explained. The means come from
 * the weighted blur on a coarse grid (weighted_blur.h), computed once per
 * frame, and are read only at soft pixels. A method that predicts F itself
 * (rvm) hands it on as job->fg; then nothing is estimated here.
 */

static const char *const edge_choices[] = { "estimate", "original", NULL };
enum { EDGE_ESTIMATE, EDGE_ORIGINAL };

#define EDGE_PASSES 3

typedef struct BlendOptions {
    int edge;          /* EDGE_* */
    float edge_radius; /* frame pixels; 0 = automatic */
    float wrap;        /* light wrap: 0 (off) .. 1 */
    float wrap_radius; /* frame pixels; 0 = automatic */
} BlendOptions;

typedef struct BlendStage {
    BlendOptions opts;
    int planes;         /* 3 for YUV420P, 1 for packed */
    BdWBlur fg[3], bg[3];
    uint8_t *chroma_alpha;
    ptrdiff_t chroma_stride;
    float *fm_row, *bm_row; /* one row of each mean (3 x width floats) */
    BdWBlur wrap_bg[3], wrap_alpha[3]; /* light wrap: the background and the alpha blurred */
} BlendStage;

#define BLEND_FIELD(f) offsetof(BlendOptions, f)
static const BdOption blend_options[] = {
    { { "edge-color", "colour at soft matte edges: estimate the person's own colour (blur-fusion), or keep "
        "the frame's, which carries some of the old background", BACKDROP_OPTION_CHOICE, "estimate", 0, 0,
        edge_choices, BACKDROP_OPTION_RUNTIME }, BLEND_FIELD(edge), 0 },
    { { "edge-radius", "reach of the colour means of edge-color estimate, in pixels of the frame; 0 = height / 30",
        BACKDROP_OPTION_FLOAT, "0", 0, 1000, NULL, BACKDROP_OPTION_RUNTIME }, BLEND_FIELD(edge_radius), 1 },
    { { "light-wrap", "how much of the new background's light falls on the person's edge (0: none)",
        BACKDROP_OPTION_FLOAT, "0", 0, 1, NULL, BACKDROP_OPTION_RUNTIME }, BLEND_FIELD(wrap), 0 },
    { { "light-wrap-radius", "how far into the person the light wraps, in pixels of the frame; 0 = height / 40",
        BACKDROP_OPTION_FLOAT, "0", 0, 1000, NULL, BACKDROP_OPTION_RUNTIME }, BLEND_FIELD(wrap_radius), 1 },
};

typedef struct CompositeJob {
    const BackdropFrame *out, *fg, *bg;
    const uint8_t *alpha;
    ptrdiff_t alpha_stride;
} CompositeJob;

static void composite_task(void *opaque, int first_row, int rows)
{
    const CompositeJob *job = opaque;
    if (job->bg)
        bd_composite_rows(job->out, job->fg, job->bg, job->alpha, job->alpha_stride, first_row, rows);
    else
        bd_foreground_rows(job->out, job->fg, job->alpha, job->alpha_stride, first_row, rows);
}

static void blend_uninit(void *priv)
{
    BlendStage *bs = priv;
    for (int p = 0; p < 3; p++) {
        bd_wblur_free(&bs->fg[p]);
        bd_wblur_free(&bs->bg[p]);
        bd_wblur_free(&bs->wrap_bg[p]);
        bd_wblur_free(&bs->wrap_alpha[p]);
    }
    free(bs->chroma_alpha);
    free(bs->fm_row);
    free(bs->bm_row);
    bs->chroma_alpha = NULL;
    bs->fm_row = bs->bm_row = NULL;
}

static int blend_init(void *priv, const BdEnv *env, const BdShape *shape, BdMatteInfo *info)
{
    BlendStage *bs = priv;
    int yuv = shape->format == BACKDROP_PIXFMT_YUV420P;
    double radius = bs->opts.edge_radius > 0 ? bs->opts.edge_radius : shape->height / 30.0;
    double sigma = radius / 2;
    double wrap_sigma = (bs->opts.wrap_radius > 0 ? bs->opts.wrap_radius : shape->height / 40.0) / 2;
    bs->planes = yuv ? 3 : 1;
    for (int p = 0; p < bs->planes; p++) {
        int w = bd_plane_width(shape->format, shape->width, p);
        int h = bd_plane_height(shape->format, shape->height, p);
        int cell, r, err;
        bd_wblur_params(p ? sigma / 2 : sigma, EDGE_PASSES, &cell, &r);
        if ((err = bd_wblur_init(&bs->fg[p], w, h, yuv ? 1 : 3, cell, r, EDGE_PASSES)) < 0 ||
            (err = bd_wblur_init(&bs->bg[p], w, h, yuv ? 1 : 3, cell, r, EDGE_PASSES)) < 0)
            return err;
        bd_wblur_params(p ? wrap_sigma / 2 : wrap_sigma, EDGE_PASSES, &cell, &r);
        if ((err = bd_wblur_init(&bs->wrap_bg[p], w, h, yuv ? 1 : 3, cell, r, EDGE_PASSES)) < 0 ||
            (err = bd_wblur_init(&bs->wrap_alpha[p], w, h, 1, cell, r, EDGE_PASSES)) < 0)
            return err;
    }
    bs->fm_row = malloc(sizeof(float) * 3 * (size_t)shape->width);
    bs->bm_row = malloc(sizeof(float) * 3 * (size_t)shape->width);
    if (!bs->fm_row || !bs->bm_row)
        return BACKDROP_ENOMEM;
    if (yuv) {
        bs->chroma_stride = (shape->width + 1) / 2;
        if (!(bs->chroma_alpha = malloc((size_t)bs->chroma_stride * (size_t)((shape->height + 1) / 2))))
            return BACKDROP_ENOMEM;
    }
    return 0;
}

/* Whether a row of alphas has a value other than 0 and 255. */
BD_VECTOR_CLONES
static int row_has_soft(const uint8_t *a, int width)
{
    int soft = 0;
    for (int x = 0; x < width; x++)
        soft |= (uint8_t)(a[x] - 1) < 254;
    return soft;
}

static int has_soft(const uint8_t *alpha, ptrdiff_t stride, int width, int height)
{
    for (int y = 0; y < height; y++)
        if (row_has_soft(alpha + y * stride, width))
            return 1;
    return 0;
}

static inline uint8_t to_byte(float v)
{
    v += 0.5f;
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* The estimate over pixels [x0, x1) of row y (ir, br, orow: that row of
 * the input, the background or NULL, the output). */
static void estimate_run(BdWBlur *fgm, BdWBlur *bgm, float *fm_row, float *bm_row, const uint8_t *ir,
                         const uint8_t *br, uint8_t *orow, int out_size, const uint8_t *ar, int y, int x0, int x1)
{
    int ch = fgm->channels, n = x1 - x0;
    bd_wblur_span_f32(fgm, y, x0, x1, fm_row);
    bd_wblur_span_f32(bgm, y, x0, x1, bm_row);
    for (int x = x0; x < x1; x++) {
        unsigned a8 = ar[x];
        if (a8 == 0 || a8 == 255)
            continue;
        float a = a8 * (1.0f / 255.0f);
        for (int c = 0; c < ch; c++) {
            float fm = fm_row[c * n + x - x0], bm = bm_row[c * n + x - x0];
            uint8_t f = to_byte(fm + a * (ir[x * ch + c] - a * fm - (1 - a) * bm));
            orow[x * out_size + c] = br ? blend(f, br[x * ch + c], (uint16_t)a8) : f;
        }
    }
}

/* The estimated foreground colour at the soft pixels of one plane (ch
 * interleaved channels; its alpha 'a'), composited over bg (or written as
 * the colour itself when bg is NULL) into out, whose pixels are out_size
 * bytes apart. The means are made over runs of a row's soft pixels
 * (fm_row, bm_row: room for ch x width floats each). */
static void estimate_plane(BdWBlur *fgm, BdWBlur *bgm, float *fm_row, float *bm_row, const uint8_t *in,
                           ptrdiff_t in_stride, const uint8_t *bg, ptrdiff_t bg_stride, uint8_t *out,
                           ptrdiff_t out_stride, int out_size, const uint8_t *alpha, ptrdiff_t alpha_stride)
{
    int width = fgm->width;
    for (int y = 0; y < fgm->height; y++) {
        const uint8_t *ar = alpha + y * alpha_stride;
        if (!row_has_soft(ar, width))
            continue;
        /* The means only over runs of soft pixels (gaps under 32 pixels
         * joined: a mean costs about as much as a skipped pixel). */
        for (int x0 = 0; x0 < width;) {
            if (!(x0 & 31) && x0 + 32 <= width && !row_has_soft(ar + x0, 32)) {
                x0 += 32; /* a hard block, checked as a vector */
                continue;
            }
            if ((uint8_t)(ar[x0] - 1) >= 254) {
                x0++;
                continue;
            }
            int x1 = x0 + 1, last = x0;
            while (x1 < width && x1 - last < 32) {
                if ((uint8_t)(ar[x1] - 1) < 254)
                    last = x1;
                x1++;
            }
            x1 = last + 1;
            estimate_run(fgm, bgm, fm_row, bm_row, in + y * in_stride, bg ? bg + y * bg_stride : NULL,
                         out + y * out_stride, out_size, ar, y, x0, x1);
            x0 = x1;
        }
    }
}

static void estimate_edges(BlendStage *bs, const BdFrameJob *job)
{
    const BackdropFrame *in = job->fg, *bg = job->bg, *out = job->out;
    const uint8_t *alpha = job->matte.alpha;
    ptrdiff_t alpha_stride = job->matte.alpha_stride;
    if (!has_soft(alpha, alpha_stride, in->width, in->height))
        return;
    if (bs->planes == 3)
        bd_chroma_alpha(bs->chroma_alpha, bs->chroma_stride, alpha, alpha_stride, in->width, in->height);
    int out_size = bs->planes == 3 ? 1 : bd_pixel_size(out->format);
    for (int p = 0; p < bs->planes; p++) {
        const uint8_t *a = p ? bs->chroma_alpha : alpha;
        ptrdiff_t as = p ? bs->chroma_stride : alpha_stride;
        /* Only the cells the soft pixels read are summed (both blurs
         * share the grid). */
        if (!bd_wblur_mark_soft(&bs->fg[p], a, as))
            continue;
        bd_wblur_update_cells(&bs->fg[p], in->data[p], in->stride[p], a, as, BD_WEIGHT_ALPHA, &bs->fg[p]);
        bd_wblur_update_cells(&bs->bg[p], in->data[p], in->stride[p], a, as, BD_WEIGHT_INVERSE, &bs->fg[p]);
        estimate_plane(&bs->fg[p], &bs->bg[p], bs->fm_row, bs->bm_row, in->data[p], in->stride[p],
                       bg ? bg->data[p] : NULL,
                       bg ? bg->stride[p] : 0, out->data[p], out->stride[p], out_size, a, as);
    }
}

/*
 * Light wrap: the new background's light spilling onto the person's edge,
 * as it would on a real set. Where the person is (a > 0) but the blurred
 * alpha As says the background is near, the output moves towards the
 * blurred background Bb:
 *
 *     out += k m (Bb - out),   m = a (1 - As)
 *
 * (a and As in 0..1, k the option light-wrap). m is 0 outside the person
 * and deep inside it, so only a band along the edge, about the wrap's
 * radius wide, changes. Per plane, with that plane's alpha (the chroma
 * alpha for 4:2:0 chroma); rows without a person are skipped.
 */
static void wrap_plane(BdWBlur *bgb, BdWBlur *ab, float *bg_row, float *a_row, float k, uint8_t *out,
                       ptrdiff_t out_stride, int out_size, const uint8_t *alpha, ptrdiff_t alpha_stride)
{
    int ch = bgb->channels, width = bgb->width;
    for (int y = 0; y < bgb->height; y++) {
        const uint8_t *ar = alpha + y * alpha_stride;
        int any = 0;
        for (int x = 0; x < width; x++)
            any |= ar[x];
        if (!any)
            continue;
        bd_wblur_row_f32(bgb, y, bg_row);
        bd_wblur_row_f32(ab, y, a_row);
        uint8_t *o = out + y * out_stride;
        for (int x = 0; x < width; x++) {
            float m = ar[x] * (1.0f / 255.0f) * (1.0f - a_row[x] * (1.0f / 255.0f));
            if (ar[x] == 0 || m <= 0)
                continue;
            for (int c = 0; c < ch; c++) {
                float v = o[x * out_size + c];
                o[x * out_size + c] = to_byte(v + k * m * (bg_row[c * width + x] - v));
            }
        }
    }
}

static void light_wrap(BlendStage *bs, const BdFrameJob *job)
{
    const BackdropFrame *bg = job->bg, *out = job->out;
    const uint8_t *alpha = job->matte.alpha;
    ptrdiff_t alpha_stride = job->matte.alpha_stride;
    if (bs->planes == 3)
        bd_chroma_alpha(bs->chroma_alpha, bs->chroma_stride, alpha, alpha_stride, out->width, out->height);
    int out_size = bs->planes == 3 ? 1 : bd_pixel_size(out->format);
    for (int p = 0; p < bs->planes; p++) {
        const uint8_t *a = p ? bs->chroma_alpha : alpha;
        ptrdiff_t as = p ? bs->chroma_stride : alpha_stride;
        bd_wblur_update(&bs->wrap_bg[p], bg->data[p], bg->stride[p], NULL, 0, BD_WEIGHT_UNIFORM);
        bd_wblur_update(&bs->wrap_alpha[p], a, as, NULL, 0, BD_WEIGHT_UNIFORM);
        wrap_plane(&bs->wrap_bg[p], &bs->wrap_alpha[p], bs->fm_row, bs->bm_row, bs->opts.wrap, out->data[p],
                   out->stride[p], out_size, a, as);
    }
}

static int blend_run(void *priv, const BdEnv *env, BdFrameJob *job)
{
    BlendStage *bs = priv;
    if (!job->bg && bd_without_alpha(job->out->format) == job->out->format) {
        bd_log(env->log, BACKDROP_LOG_ERROR,
               "background transparent needs an output format with alpha (YUVA420P, RGBA or BGRA)");
        return BACKDROP_EINVAL;
    }
    CompositeJob cj = { job->out, job->fg, job->bg, job->matte.alpha, job->matte.alpha_stride };
    bd_run_rows(env->pool, composite_task, &cj, job->out->height, 2);
    /* A method's own foreground colour (job->fg is not the input) wins. */
    if (bs->opts.edge == EDGE_ESTIMATE && job->fg == job->in)
        estimate_edges(bs, job);
    if (bs->opts.wrap > 0 && job->bg)
        light_wrap(bs, job);
    return 0;
}

const BdComponent bd_composite_blend = {
    .pub = { "blend", BD_KIND(BD_STAGE_COMPOSITE), "alpha blend over the background, in the frame's format" },
    .priv_size = sizeof(BlendStage),
    .options = blend_options,
    .option_count = sizeof(blend_options) / sizeof(blend_options[0]),
    .options_offset = offsetof(BlendStage, opts),
    .init = blend_init,
    .run = blend_run,
    .uninit = blend_uninit,
    .close = blend_uninit,
};
