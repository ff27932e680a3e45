/* Frame <-> tensor resampling for the neural method; see resample.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "resample.h"
#include "../colorspace.h"

static void taps_free(AxisTaps *t)
{
    free(t->first);
    free(t->count);
    free(t->source);
    free(t->weight);
    memset(t, 0, sizeof(*t));
}

/* Taps mapping 'length' destination pixels onto the source interval
 * [start, start + span) of a line of 'limit' pixels. Shrinking: each
 * destination pixel averages the source pixels its interval overlaps,
 * weighted by overlap. Enlarging: bilinear between the two nearest source
 * centres. Indices are clamped to [0, limit). */
static int taps_build(AxisTaps *t, int length, double start, double span, int limit)
{
    double scale = span / length;
    size_t max_taps = scale > 1.0 ? (size_t)ceil(scale) + 2 : 2;
    t->length = length;
    t->first = malloc(sizeof(int) * (size_t)length);
    t->count = malloc(sizeof(int) * (size_t)length);
    t->source = malloc(sizeof(int) * (size_t)length * max_taps);
    t->weight = malloc(sizeof(float) * (size_t)length * max_taps);
    if (!t->first || !t->count || !t->source || !t->weight) {
        taps_free(t);
        return BACKDROP_ENOMEM;
    }
    int n = 0;
    for (int d = 0; d < length; d++) {
        t->first[d] = n;
        if (scale > 1.0) {
            double a = start + d * scale, b = a + scale;
            for (int i = (int)floor(a); i < b && n - t->first[d] < (int)max_taps; i++) {
                double lo = i > a ? i : a, hi = i + 1 < b ? i + 1 : b;
                if (hi - lo <= 1e-9)
                    continue;
                t->source[n] = i < 0 ? 0 : i >= limit ? limit - 1 : i;
                t->weight[n++] = (float)((hi - lo) / scale);
            }
        } else {
            double centre = start + (d + 0.5) * scale - 0.5;
            int i = (int)floor(centre);
            double f = centre - i;
            int i0 = i < 0 ? 0 : i >= limit ? limit - 1 : i;
            int i1 = i + 1 < 0 ? 0 : i + 1 >= limit ? limit - 1 : i + 1;
            t->source[n] = i0;
            t->weight[n++] = (float)(1.0 - f);
            t->source[n] = i1;
            t->weight[n++] = (float)f;
        }
        t->count[d] = n - t->first[d];
    }
    return 0;
}

int nn_frame_to_tensor_init(NnFrameToTensor *p, BackdropPixelFormat format, BackdropColorRange range,
                            BackdropColorMatrix matrix, int frame_w, int frame_h, NnRect src,
                            int tensor_w, int dst_x, int dst_y, int dst_w, int dst_h)
{
    memset(p, 0, sizeof(*p));
    p->format = format;
    p->frame_w = frame_w;
    p->frame_h = frame_h;
    p->tensor_w = tensor_w;
    p->dst_x = dst_x;
    p->dst_y = dst_y;
    p->dst_w = dst_w;
    p->dst_h = dst_h;
    int err;
    if ((err = taps_build(&p->luma_x, dst_w, src.x, src.w, frame_w)) < 0 ||
        (err = taps_build(&p->luma_y, dst_h, src.y, src.h, frame_h)) < 0)
        goto fail;
    if (format == BACKDROP_PIXFMT_YUV420P) {
        /* Chroma sample c covers luma [2c, 2c + 2): halve the coordinates. */
        if ((err = taps_build(&p->chroma_x, dst_w, src.x / 2, src.w / 2, (frame_w + 1) / 2)) < 0 ||
            (err = taps_build(&p->chroma_y, dst_h, src.y / 2, src.h / 2, (frame_h + 1) / 2)) < 0)
            goto fail;
        YuvCoefficients c = bd_yuv_coefficients(range, matrix);
        p->ky = c.y_scale / 255.0f;
        p->y0 = c.y_offset;
        p->krv = 2.0f * (1.0f - c.kr) * c.c_scale / 255.0f;
        p->kbu = 2.0f * (1.0f - c.kb) * c.c_scale / 255.0f;
        p->kgu = p->kbu * c.kb / c.kg;
        p->kgv = p->krv * c.kr / c.kg;
    }
    p->rows = malloc(sizeof(float) * 3 * (size_t)frame_w); /* one source row, any format */
    p->planes = malloc(sizeof(float) * 3 * (size_t)dst_w * (size_t)dst_h);
    if (!p->rows || !p->planes) {
        err = BACKDROP_ENOMEM;
        goto fail;
    }
    return 0;
fail:
    nn_frame_to_tensor_free(p);
    return err;
}

void nn_frame_to_tensor_free(NnFrameToTensor *p)
{
    taps_free(&p->luma_x);
    taps_free(&p->luma_y);
    taps_free(&p->chroma_x);
    taps_free(&p->chroma_y);
    free(p->rows);
    free(p->planes);
    memset(p, 0, sizeof(*p));
}

/* Vertical pass of one destination row: the weighted sum of the source
 * rows it covers, over 'count' bytes of each (a plain multiply-add over
 * whole rows, which vectorises). */
BD_VECTOR_CLONES
static void accumulate_rows(float *acc, const AxisTaps *ty, int y, const uint8_t *plane, ptrdiff_t stride,
                            int count)
{
    for (int i = 0; i < count; i++)
        acc[i] = 0.0f;
    for (int k = ty->first[y]; k < ty->first[y] + ty->count[y]; k++) {
        const uint8_t *line = plane + ty->source[k] * stride;
        float w = ty->weight[k];
        for (int i = 0; i < count; i++)
            acc[i] += w * line[i];
    }
}

/* Horizontal pass: channel 'offset' of pixels 'step' bytes apart. */
static void apply_taps(float *out, const AxisTaps *tx, const float *acc, int step, int offset)
{
    for (int x = 0; x < tx->length; x++) {
        float sum = 0.0f;
        for (int j = tx->first[x]; j < tx->first[x] + tx->count[x]; j++)
            sum += tx->weight[j] * acc[tx->source[j] * step + offset];
        out[x] = sum;
    }
}

/* Resamples a plane of 'channels' interleaved channels into 'channels'
 * planar outputs of dst_w x dst_h floats (0..255). Rows are summed first:
 * the destination has few rows, so each source byte is touched once. */
static void resample(const AxisTaps *tx, const AxisTaps *ty, const uint8_t *plane, ptrdiff_t stride,
                     int plane_w, int channels, const int *order, float *acc, float *const *out)
{
    for (int y = 0; y < ty->length; y++) {
        accumulate_rows(acc, ty, y, plane, stride, plane_w * channels);
        for (int c = 0; c < channels; c++)
            apply_taps(out[c] + (size_t)y * tx->length, tx, acc, channels, order[c]);
    }
}

static float unit(float v)
{
    return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
}

void nn_frame_to_tensor_run(NnFrameToTensor *p, const BackdropFrame *f, float *tensor)
{
    int w = p->dst_w, h = p->dst_h;
    size_t n = (size_t)w * h;
    float *c0 = p->planes, *c1 = c0 + n, *c2 = c1 + n;
    static const int single[3] = { 0, 0, 0 };
    if (f->format == BACKDROP_PIXFMT_YUV420P) {
        int cw = (p->frame_w + 1) / 2;
        resample(&p->luma_x, &p->luma_y, f->data[0], f->stride[0], p->frame_w, 1, single, p->rows, &c0);
        resample(&p->chroma_x, &p->chroma_y, f->data[1], f->stride[1], cw, 1, single, p->rows, &c1);
        resample(&p->chroma_x, &p->chroma_y, f->data[2], f->stride[2], cw, 1, single, p->rows, &c2);
        for (int y = 0; y < h; y++) {
            float *out = tensor + ((size_t)(p->dst_y + y) * p->tensor_w + p->dst_x) * 3;
            for (int x = 0; x < w; x++) {
                size_t i = (size_t)y * w + x;
                float luma = p->ky * (c0[i] - p->y0), u = c1[i] - 128.0f, v = c2[i] - 128.0f;
                out[3 * x + 0] = unit(luma + p->krv * v);
                out[3 * x + 1] = unit(luma - p->kgu * u - p->kgv * v);
                out[3 * x + 2] = unit(luma + p->kbu * u);
            }
        }
        return;
    }
    /* Planar outputs in R, G, B order whatever the packing. */
    int r = f->format == BACKDROP_PIXFMT_BGR24 ? 2 : 0;
    const int order[3] = { r, 1, 2 - r };
    float *const planes[3] = { c0, c1, c2 };
    resample(&p->luma_x, &p->luma_y, f->data[0], f->stride[0], p->frame_w, 3, order, p->rows, planes);
    for (int y = 0; y < h; y++) {
        float *out = tensor + ((size_t)(p->dst_y + y) * p->tensor_w + p->dst_x) * 3;
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            /* Clamped: float weights do not sum to exactly 1, and a white
             * area would give values a few ulps above 1. */
            out[3 * x + 0] = unit(c0[i] * (1.0f / 255.0f));
            out[3 * x + 1] = unit(c1[i] * (1.0f / 255.0f));
            out[3 * x + 2] = unit(c2[i] * (1.0f / 255.0f));
        }
    }
}

/* ---- probability map -> alpha ------------------------------------------ */

/* Bilinear positions of 'count' output pixels over 'len' input pixels with
 * half-pixel centres: index[i] + offset is the left/upper input pixel and
 * weight[i] the share of the next one. Beyond the outer centres the edge
 * value holds, expressed as weight 0 on a neighbour that exists, so
 * index + 1 is always readable when len > 1. */
static void bilinear_axis(int *index, float *weight, int count, int len, int offset)
{
    for (int i = 0; i < count; i++) {
        double c = (i + 0.5) * len / count - 0.5;
        c = c < 0 ? 0 : c > len - 1 ? len - 1 : c;
        int i0 = (int)floor(c);
        if (i0 > len - 2)
            i0 = len > 1 ? len - 2 : 0;
        index[i] = offset + i0;
        weight[i] = len > 1 ? (float)(c - i0) : 0.0f;
    }
}

int nn_tensor_to_alpha_init(NnTensorToAlpha *p, int map_w, int map_h, int x, int y, int w, int h,
                            int frame_w, int frame_h)
{
    (void)map_h;
    memset(p, 0, sizeof(*p));
    p->frame_w = frame_w;
    p->frame_h = frame_h;
    p->map_w = map_w;
    p->src_x = x;
    p->src_w = w;
    p->x0 = malloc(sizeof(int) * (size_t)frame_w);
    p->wx = malloc(sizeof(float) * (size_t)frame_w);
    p->y0 = malloc(sizeof(int) * (size_t)frame_h);
    p->wy = malloc(sizeof(float) * (size_t)frame_h);
    p->up[0] = malloc(sizeof(float) * (size_t)frame_w);
    p->up[1] = malloc(sizeof(float) * (size_t)frame_w);
    if (!p->x0 || !p->wx || !p->y0 || !p->wy || !p->up[0] || !p->up[1]) {
        nn_tensor_to_alpha_free(p);
        return BACKDROP_ENOMEM;
    }
    bilinear_axis(p->x0, p->wx, frame_w, w, 0);
    bilinear_axis(p->y0, p->wy, frame_h, h, y);
    return 0;
}

void nn_tensor_to_alpha_free(NnTensorToAlpha *p)
{
    free(p->x0);
    free(p->wx);
    free(p->y0);
    free(p->wy);
    free(p->up[0]);
    free(p->up[1]);
    memset(p, 0, sizeof(*p));
}

static void upsample_row(float *out, const float *row, const int *x0, const float *wx, int width, int has_right)
{
    for (int x = 0; x < width; x++) {
        float left = row[x0[x]], right = has_right ? row[x0[x] + 1] : left;
        out[x] = left + wx[x] * (right - left);
    }
}

BD_VECTOR_CLONES
static void alpha_row(uint8_t *alpha, const float *top, const float *bottom, float wy, int width, float lo,
                      float gain)
{
    /* Clamped as integers so that the loop vectorises: |a| stays below
     * 2^31 because probabilities are in [0, 1] and gain <= 2.55e8. */
    for (int x = 0; x < width; x++) {
        float v = top[x] + wy * (bottom[x] - top[x]);
        int a = (int)((v - lo) * gain + 0.5f);
        a = a < 0 ? 0 : a > 255 ? 255 : a;
        alpha[x] = (uint8_t)a;
    }
}

/* Softness 0: a hard step, p > threshold (a ramp, however narrow, would
 * give the probabilities next to the threshold, and a map saturated at
 * exactly the threshold, intermediate alphas). */
BD_VECTOR_CLONES
static void step_row(uint8_t *alpha, const float *top, const float *bottom, float wy, int width, float threshold)
{
    for (int x = 0; x < width; x++) {
        float v = top[x] + wy * (bottom[x] - top[x]);
        alpha[x] = v > threshold ? 255 : 0;
    }
}

/* The upsampled form of map row r, computing it into the older slot when
 * neither slot holds it. */
static const float *upsampled(NnTensorToAlpha *p, const float *map, int r, int keep)
{
    for (int k = 0; k < 2; k++)
        if (p->up_row[k] == r)
            return p->up[k];
    int slot = p->up_row[0] == keep ? 1 : 0;
    upsample_row(p->up[slot], map + (size_t)r * p->map_w + p->src_x, p->x0, p->wx, p->frame_w, p->src_w > 1);
    p->up_row[slot] = r;
    return p->up[slot];
}

void nn_tensor_to_alpha_run(NnTensorToAlpha *p, const float *map, float threshold, float softness,
                            uint8_t *alpha, ptrdiff_t alpha_stride)
{
    /* The ramp is at least 1e-6 wide so that the gain keeps the integer
     * clamping in range; softness 0 is the hard step (step_row). */
    float width = softness > 1e-6f ? softness : 1e-6f;
    float lo = threshold - width / 2, gain = 255.0f / width;
    p->up_row[0] = p->up_row[1] = -1;
    for (int y = 0; y < p->frame_h; y++) {
        int r0 = p->y0[y], r1 = p->wy[y] > 0.0f ? r0 + 1 : r0;
        const float *top = upsampled(p, map, r0, -1);
        const float *bottom = upsampled(p, map, r1, r0);
        if (softness > 0.0f)
            alpha_row(alpha + y * alpha_stride, top, bottom, p->wy[y], p->frame_w, lo, gain);
        else
            step_row(alpha + y * alpha_stride, top, bottom, p->wy[y], p->frame_w, threshold);
    }
}
