/* Frame <-> tensor resampling for the neural method; see resample.h. */
#include <stdlib.h>
#include <string.h>

#include "resample.h"
#include "../colorspace.h"

/* max_w x max_h > 0: movable, with room for source rectangles up to that. */
static int frame_to_tensor_init(NnFrameToTensor *p, BackdropPixelFormat format, BackdropColorRange range,
                                BackdropColorMatrix matrix, int frame_w, int frame_h, NnRect src, int tensor_w,
                                int dst_x, int dst_y, int dst_w, int dst_h, double max_w, double max_h)
{
    memset(p, 0, sizeof(*p));
    p->format = format;
    p->tensor_w = tensor_w;
    p->dst_x = dst_x;
    p->dst_y = dst_y;
    p->dst_w = dst_w;
    p->dst_h = dst_h;
    int yuv = format == BACKDROP_PIXFMT_YUV420P;
    BdScaleRect luma = { src.x, src.y, src.w, src.h };
    int movable = max_w > 0;
    int err = movable ? bd_scaler_init_movable(&p->luma, BD_KERNEL_AREA, yuv ? 1 : 3, frame_w, frame_h, luma, dst_w,
                                               dst_h, max_w, max_h)
                      : bd_scaler_init(&p->luma, BD_KERNEL_AREA, yuv ? 1 : 3, frame_w, frame_h, luma, dst_w, dst_h);
    if (err < 0)
        goto fail;
    if (yuv) {
        /* Chroma sample c covers luma [2c, 2c + 2): halve the coordinates. */
        BdScaleRect chroma = { src.x / 2, src.y / 2, src.w / 2, src.h / 2 };
        int cw = (frame_w + 1) / 2, ch = (frame_h + 1) / 2;
        for (int k = 0; k < 2; k++)
            if ((err = movable ? bd_scaler_init_movable(&p->chroma[k], BD_KERNEL_AREA, 1, cw, ch, chroma, dst_w,
                                                        dst_h, max_w / 2, max_h / 2)
                               : bd_scaler_init(&p->chroma[k], BD_KERNEL_AREA, 1, cw, ch, chroma, dst_w, dst_h)) < 0)
                goto fail;
        YuvCoefficients c = bd_yuv_coefficients(range, matrix);
        p->ky = c.y_scale / 255.0f;
        p->y0 = c.y_offset;
        p->krv = 2.0f * (1.0f - c.kr) * c.c_scale / 255.0f;
        p->kbu = 2.0f * (1.0f - c.kb) * c.c_scale / 255.0f;
        p->kgu = p->kbu * c.kb / c.kg;
        p->kgv = p->krv * c.kr / c.kg;
    }
    p->rows = malloc(sizeof(float) * 3 * (size_t)dst_w);
    if (!p->rows) {
        err = BACKDROP_ENOMEM;
        goto fail;
    }
    return 0;
fail:
    nn_frame_to_tensor_free(p);
    return err;
}

int nn_frame_to_tensor_init(NnFrameToTensor *p, BackdropPixelFormat format, BackdropColorRange range,
                            BackdropColorMatrix matrix, int frame_w, int frame_h, NnRect src,
                            int tensor_w, int dst_x, int dst_y, int dst_w, int dst_h)
{
    return frame_to_tensor_init(p, format, range, matrix, frame_w, frame_h, src, tensor_w, dst_x, dst_y, dst_w,
                                dst_h, 0, 0);
}

int nn_frame_to_tensor_init_movable(NnFrameToTensor *p, BackdropPixelFormat format, BackdropColorRange range,
                                    BackdropColorMatrix matrix, int frame_w, int frame_h, NnRect src,
                                    int tensor_w, int dst_x, int dst_y, int dst_w, int dst_h, double max_w,
                                    double max_h)
{
    if (!(max_w > 0) || !(max_h > 0))
        return BACKDROP_EINVAL;
    return frame_to_tensor_init(p, format, range, matrix, frame_w, frame_h, src, tensor_w, dst_x, dst_y, dst_w,
                                dst_h, max_w, max_h);
}

int nn_frame_to_tensor_move(NnFrameToTensor *p, NnRect src)
{
    BdScaleRect luma = { src.x, src.y, src.w, src.h }, chroma = { src.x / 2, src.y / 2, src.w / 2, src.h / 2 };
    int yuv = p->format == BACKDROP_PIXFMT_YUV420P;
    /* All or nothing: check the chroma planes' rectangle before moving any. */
    BdScaler *c = p->chroma;
    if (yuv && (!(chroma.w <= c[0].x.max_span) || !(chroma.h <= c[0].y.max_span) || chroma.x + chroma.w >
                c[0].x.limit + 1.0 || chroma.y + chroma.h > c[0].y.limit + 1.0))
        return BACKDROP_EINVAL;
    int err = bd_scaler_move(&p->luma, luma);
    if (err < 0 || !yuv)
        return err;
    bd_scaler_move(&c[0], chroma);
    bd_scaler_move(&c[1], chroma);
    return 0;
}

void nn_frame_to_tensor_free(NnFrameToTensor *p)
{
    bd_scaler_free(&p->luma);
    bd_scaler_free(&p->chroma[0]);
    bd_scaler_free(&p->chroma[1]);
    free(p->rows);
    memset(p, 0, sizeof(*p));
}

static float unit(float v)
{
    return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
}

/* One tensor row from the Y, U, V rows of the resampler (0..255). */
BD_VECTOR_CLONES
static void yuv_row(const NnFrameToTensor *p, float *out, const float *y, const float *u, const float *v)
{
    for (int x = 0; x < p->dst_w; x++) {
        float luma = p->ky * (y[x] - p->y0), cb = u[x] - 128.0f, cr = v[x] - 128.0f;
        out[3 * x + 0] = unit(luma + p->krv * cr);
        out[3 * x + 1] = unit(luma - p->kgu * cb - p->kgv * cr);
        out[3 * x + 2] = unit(luma + p->kbu * cb);
    }
}

/* One tensor row from the R, G, B rows of the resampler (0..255). Clamped:
 * float weights do not sum to exactly 1, and a white area would give values
 * a few ulps above 1. */
BD_VECTOR_CLONES
static void rgb_row(const NnFrameToTensor *p, float *out, const float *r, const float *g, const float *b)
{
    for (int x = 0; x < p->dst_w; x++) {
        out[3 * x + 0] = unit(r[x] * (1.0f / 255.0f));
        out[3 * x + 1] = unit(g[x] * (1.0f / 255.0f));
        out[3 * x + 2] = unit(b[x] * (1.0f / 255.0f));
    }
}

void nn_frame_to_tensor_affine(const NnFrameToTensor *p, float m[3][4])
{
    memset(m, 0, sizeof(float) * 12);
    if (p->format == BACKDROP_PIXFMT_YUV420P) {
        /* yuv_row with Y, U, V = 255 times the frame's channels. */
        float luma = 255.0f * p->ky, base = -p->ky * p->y0;
        m[0][0] = m[1][0] = m[2][0] = luma;
        m[0][2] = 255.0f * p->krv;
        m[0][3] = base - 128.0f * p->krv;
        m[1][1] = -255.0f * p->kgu;
        m[1][2] = -255.0f * p->kgv;
        m[1][3] = base + 128.0f * (p->kgu + p->kgv);
        m[2][1] = 255.0f * p->kbu;
        m[2][3] = base - 128.0f * p->kbu;
    } else {
        int bgr = p->format == BACKDROP_PIXFMT_BGR24;
        for (int c = 0; c < 3; c++)
            m[c][bgr ? 2 - c : c] = 1.0f;
    }
}

void nn_frame_to_tensor_run(NnFrameToTensor *p, const BackdropFrame *f, float *tensor)
{
    int w = p->dst_w;
    float *c0 = p->rows, *c1 = c0 + w, *c2 = c1 + w;
    for (int y = 0; y < p->dst_h; y++) {
        float *out = tensor + ((size_t)(p->dst_y + y) * p->tensor_w + p->dst_x) * 3;
        if (f->format == BACKDROP_PIXFMT_YUV420P) {
            bd_scaler_row_u8(&p->luma, y, f->data[0], f->stride[0], c0);
            bd_scaler_row_u8(&p->chroma[0], y, f->data[1], f->stride[1], c1);
            bd_scaler_row_u8(&p->chroma[1], y, f->data[2], f->stride[2], c2);
            yuv_row(p, out, c0, c1, c2);
        } else {
            /* The resampler's rows follow the packing: R, G, B or B, G, R. */
            bd_scaler_row_u8(&p->luma, y, f->data[0], f->stride[0], c0);
            if (f->format == BACKDROP_PIXFMT_BGR24)
                rgb_row(p, out, c2, c1, c0);
            else
                rgb_row(p, out, c0, c1, c2);
        }
    }
}

/* ---- probability map -> alpha ------------------------------------------ */

int nn_tensor_to_alpha_init(NnTensorToAlpha *p, int map_w, int map_h, int x, int y, int w, int h,
                            int frame_w, int frame_h)
{
    memset(p, 0, sizeof(*p));
    p->frame_w = frame_w;
    p->frame_h = frame_h;
    p->map_w = map_w;
    BdScaleRect rect = { x, y, w, h };
    int err = bd_scaler_init(&p->scaler, BD_KERNEL_BILINEAR, 1, map_w, map_h, rect, frame_w, frame_h);
    if (err < 0)
        return err;
    p->row = malloc(sizeof(float) * (size_t)frame_w);
    if (!p->row) {
        nn_tensor_to_alpha_free(p);
        return BACKDROP_ENOMEM;
    }
    return 0;
}

void nn_tensor_to_alpha_free(NnTensorToAlpha *p)
{
    bd_scaler_free(&p->scaler);
    free(p->row);
    memset(p, 0, sizeof(*p));
}

BD_VECTOR_CLONES
static void ramp_row(uint8_t *alpha, const float *prob, int width, float lo, float gain)
{
    /* Clamped as integers so that the loop vectorises: |a| stays below
     * 2^31 because probabilities are in [-1, 2] and gain <= 2.55e8. */
    for (int x = 0; x < width; x++) {
        int a = (int)((prob[x] - lo) * gain + 0.5f);
        a = a < 0 ? 0 : a > 255 ? 255 : a;
        alpha[x] = (uint8_t)a;
    }
}

/* Softness 0: a hard step, p > threshold (a ramp, however narrow, would
 * give the probabilities next to the threshold, and a map saturated at
 * exactly the threshold, intermediate alphas). */
BD_VECTOR_CLONES
static void step_row(uint8_t *alpha, const float *prob, int width, float threshold)
{
    for (int x = 0; x < width; x++)
        alpha[x] = prob[x] > threshold ? 255 : 0;
}

void nn_prob_to_alpha_row(uint8_t *alpha, const float *prob, int width, float threshold, float softness)
{
    /* The ramp is at least 1e-6 wide so that the gain keeps the integer
     * clamping in range; softness 0 is the hard step (step_row). */
    float ramp = softness > 1e-6f ? softness : 1e-6f;
    if (softness > 0.0f)
        ramp_row(alpha, prob, width, threshold - ramp / 2, 255.0f / ramp);
    else
        step_row(alpha, prob, width, threshold);
}

void nn_tensor_to_alpha_run(NnTensorToAlpha *p, const float *map, float threshold, float softness,
                            uint8_t *alpha, ptrdiff_t alpha_stride)
{
    for (int y = 0; y < p->frame_h; y++) {
        bd_scaler_row_f32(&p->scaler, y, map, p->map_w, p->row);
        nn_prob_to_alpha_row(alpha + y * alpha_stride, p->row, p->frame_w, threshold, softness);
    }
}
