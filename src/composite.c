/*
 * Alpha compositing in the frame's own format: out = a*fg + (255-a)*bg.
 *
 * blend() divides by 255 with exact rounding: for t = a*f + (255-a)*b + 128
 * (at most 65153), (t + (t >> 8)) >> 8 == round((a*f + (255-a)*b) / 255).
 * Hence a = 255 gives fg and a = 0 gives bg bit-exactly, which the
 * framediff tests (binary masks) rely on.
 */
#include <string.h>

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

/* ---- the composite stage "blend" --------------------------------------- */

typedef struct CompositeJob {
    const BackdropFrame *out, *fg, *bg;
    const uint8_t *alpha;
    ptrdiff_t alpha_stride;
} CompositeJob;

static void composite_task(void *opaque, int first_row, int rows)
{
    const CompositeJob *job = opaque;
    bd_composite_rows(job->out, job->fg, job->bg, job->alpha, job->alpha_stride, first_row, rows);
}

static int blend_init(void *priv, const BdEnv *env, const BdShape *shape, BdMatteInfo *info)
{
    return 0;
}

static int blend_run(void *priv, const BdEnv *env, BdFrameJob *job)
{
    CompositeJob cj = { job->out, job->fg, job->bg, job->matte.alpha, job->matte.alpha_stride };
    bd_run_rows(env->pool, composite_task, &cj, job->out->height, 2);
    return 0;
}

const BdComponent bd_composite_blend = {
    .pub = { "blend", BD_KIND(BD_STAGE_COMPOSITE), "alpha blend over the background, in the frame's format" },
    .init = blend_init,
    .run = blend_run,
};
