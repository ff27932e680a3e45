/* Colour conversion for backgrounds and solid colours. This runs when a
 * background is prepared: once per shape for a picture, but once per frame
 * for a video background. The maths is float, one pixel at a time; the one
 * conversion a video background needs on every new picture, packed RGB to
 * YUV 4:2:0, has a loop of its own that does the same float operations in
 * the same order without the per-pixel format switch (bit for bit the same
 * result, several times faster). */
#include "colorspace.h"

YuvCoefficients bd_yuv_coefficients(BackdropColorRange range, BackdropColorMatrix matrix)
{
    YuvCoefficients c;
    if (matrix == BACKDROP_MATRIX_BT709) {
        c.kr = 0.2126f;
        c.kb = 0.0722f;
    } else {
        c.kr = 0.299f;
        c.kb = 0.114f;
    }
    c.kg = 1.0f - c.kr - c.kb;
    if (range == BACKDROP_RANGE_FULL) {
        c.y_scale = 1.0f;
        c.c_scale = 1.0f;
        c.y_offset = 0.0f;
    } else {
        c.y_scale = 255.0f / 219.0f;
        c.c_scale = 255.0f / 224.0f;
        c.y_offset = 16.0f;
    }
    return c;
}

static uint8_t clamp_round(float v)
{
    if (v <= 0.0f)
        return 0;
    if (v >= 255.0f)
        return 255;
    return (uint8_t)(v + 0.5f);
}

/* Positions of R, G and B inside a packed pixel. */
static void channel_order(BackdropPixelFormat fmt, int *r, int *g, int *b)
{
    *g = 1;
    if (fmt == BACKDROP_PIXFMT_BGR24) {
        *r = 2;
        *b = 0;
    } else {
        *r = 0;
        *b = 2;
    }
}

static void rgb_to_yuv(const YuvCoefficients *c, const float rgb[3], float yuv[3])
{
    float luma = c->kr * rgb[0] + c->kg * rgb[1] + c->kb * rgb[2];
    yuv[0] = c->y_offset + luma / c->y_scale;
    yuv[1] = 128.0f + (rgb[2] - luma) / (2.0f * (1.0f - c->kb)) / c->c_scale;
    yuv[2] = 128.0f + (rgb[0] - luma) / (2.0f * (1.0f - c->kr)) / c->c_scale;
}

void bd_fill_rgb(const BackdropFrame *f, uint8_t r, uint8_t g, uint8_t b)
{
    if (f->format == BACKDROP_PIXFMT_YUV420P) {
        YuvCoefficients c = bd_yuv_coefficients(f->range, f->matrix);
        float rgb[3] = { r, g, b }, yuv[3];
        rgb_to_yuv(&c, rgb, yuv);
        for (int p = 0; p < 3; p++) {
            uint8_t v = clamp_round(yuv[p]);
            int w = bd_plane_width(f->format, f->width, p), h = bd_plane_height(f->format, f->height, p);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    f->data[p][y * f->stride[p] + x] = v;
        }
        return;
    }
    if (f->format == BACKDROP_PIXFMT_GRAY8) {
        for (int y = 0; y < f->height; y++)
            for (int x = 0; x < f->width; x++)
                f->data[0][y * f->stride[0] + x] = r;
        return;
    }
    int ri, gi, bi;
    channel_order(f->format, &ri, &gi, &bi);
    for (int y = 0; y < f->height; y++) {
        uint8_t *row = f->data[0] + y * f->stride[0];
        for (int x = 0; x < f->width; x++) {
            row[3 * x + ri] = r;
            row[3 * x + gi] = g;
            row[3 * x + bi] = b;
        }
    }
}

static void read_rgb(const BackdropFrame *f, int x, int y, float rgb[3])
{
    if (f->format == BACKDROP_PIXFMT_YUV420P) {
        YuvCoefficients c = bd_yuv_coefficients(f->range, f->matrix);
        float luma = (f->data[0][y * f->stride[0] + x] - c.y_offset) * c.y_scale;
        float pb = (f->data[1][(y >> 1) * f->stride[1] + (x >> 1)] - 128.0f) * c.c_scale;
        float pr = (f->data[2][(y >> 1) * f->stride[2] + (x >> 1)] - 128.0f) * c.c_scale;
        rgb[0] = luma + 2.0f * (1.0f - c.kr) * pr;
        rgb[2] = luma + 2.0f * (1.0f - c.kb) * pb;
        rgb[1] = (luma - c.kr * rgb[0] - c.kb * rgb[2]) / c.kg;
        return;
    }
    int ri, gi, bi;
    channel_order(f->format, &ri, &gi, &bi);
    const uint8_t *px = f->data[0] + y * f->stride[0] + 3 * x;
    rgb[0] = px[ri];
    rgb[1] = px[gi];
    rgb[2] = px[bi];
}

/* Y of one row of packed pixels (R, G, B at offsets ri, gi, bi): yuv[0] of
 * rgb_to_yuv, the same expression. Inlined with constant offsets, so that
 * the loop is vectorised. */
static inline void luma_row(uint8_t *restrict out, const uint8_t *restrict px, int width, const YuvCoefficients *c, int ri, int gi,
                            int bi)
{
    const float kr = c->kr, kg = c->kg, kb = c->kb, y_offset = c->y_offset, y_scale = c->y_scale;
    for (int x = 0; x < width; x++) {
        float luma = kr * (float)px[3 * x + ri] + kg * (float)px[3 * x + gi] + kb * (float)px[3 * x + bi];
        /* clamp_round, as vector code can do it: v + 0.5 truncated, then
         * clamped as an integer. v is bounded (|v| < 1000), and a v <= 0
         * gives an integer <= 0 (truncation towards zero), a v >= 255 one
         * >= 255, so the result is clamp_round(v) for every v. */
        int i = (int)(y_offset + luma / y_scale + 0.5f);
        out[x] = (uint8_t)(i < 0 ? 0 : i > 255 ? 255 : i);
    }
}

/* U and V of 'blocks' whole 2x2 blocks from two rows of packed pixels:
 * the mean of each block's R, G, B, summed as the generic loop sums them
 * (top left, top right, bottom left, bottom right, from 0), then yuv[1] and
 * yuv[2] of rgb_to_yuv, the same expressions, rounded as luma_row does. */
static inline void chroma_row(uint8_t *restrict u, uint8_t *restrict v, const uint8_t *restrict top,
                              const uint8_t *restrict bottom, int blocks, const YuvCoefficients *c, int ri, int gi,
                              int bi)
{
    const float kr = c->kr, kg = c->kg, kb = c->kb, c_scale = c->c_scale;
    const float u_div = 2.0f * (1.0f - kb), v_div = 2.0f * (1.0f - kr);
    for (int cx = 0; cx < blocks; cx++) {
        const uint8_t *p = top + 6 * cx, *q = bottom + 6 * cx;
        float r = (((0.0f + (float)p[ri]) + (float)p[3 + ri]) + (float)q[ri]) + (float)q[3 + ri];
        float g = (((0.0f + (float)p[gi]) + (float)p[3 + gi]) + (float)q[gi]) + (float)q[3 + gi];
        float b = (((0.0f + (float)p[bi]) + (float)p[3 + bi]) + (float)q[bi]) + (float)q[3 + bi];
        r = r / 4.0f;
        g = g / 4.0f;
        b = b / 4.0f;
        float luma = kr * r + kg * g + kb * b;
        int iu = (int)(128.0f + (b - luma) / u_div / c_scale + 0.5f);
        int iv = (int)(128.0f + (r - luma) / v_div / c_scale + 0.5f);
        u[cx] = (uint8_t)(iu < 0 ? 0 : iu > 255 ? 255 : iu);
        v[cx] = (uint8_t)(iv < 0 ? 0 : iv > 255 ? 255 : iv);
    }
}

/* Every row of Y, and U and V of every whole 2x2 block; the blocks of an
 * odd last row or column are left to the caller. */
BD_VECTOR_CLONES static void packed_rows_rgb(const BackdropFrame *dst, const BackdropFrame *src,
                                             const YuvCoefficients *c)
{
    for (int y = 0; y < dst->height; y++)
        luma_row(dst->data[0] + y * dst->stride[0], src->data[0] + y * src->stride[0], dst->width, c, 0, 1, 2);
    for (int cy = 0; cy < dst->height / 2; cy++)
        chroma_row(dst->data[1] + cy * dst->stride[1], dst->data[2] + cy * dst->stride[2],
                   src->data[0] + 2 * cy * src->stride[0], src->data[0] + (2 * cy + 1) * src->stride[0],
                   dst->width / 2, c, 0, 1, 2);
}

BD_VECTOR_CLONES static void packed_rows_bgr(const BackdropFrame *dst, const BackdropFrame *src,
                                             const YuvCoefficients *c)
{
    for (int y = 0; y < dst->height; y++)
        luma_row(dst->data[0] + y * dst->stride[0], src->data[0] + y * src->stride[0], dst->width, c, 2, 1, 0);
    for (int cy = 0; cy < dst->height / 2; cy++)
        chroma_row(dst->data[1] + cy * dst->stride[1], dst->data[2] + cy * dst->stride[2],
                   src->data[0] + 2 * cy * src->stride[0], src->data[0] + (2 * cy + 1) * src->stride[0],
                   dst->width / 2, c, 2, 1, 0);
}

/* U and V of the (partial) block at (cx, cy), as the generic loop. */
static void chroma_block(const BackdropFrame *dst, const BackdropFrame *src, const YuvCoefficients *c, int cx, int cy,
                         int ri, int gi, int bi)
{
    float sum[3] = { 0 };
    int n = 0;
    for (int y = 2 * cy; y < 2 * cy + 2 && y < dst->height; y++)
        for (int x = 2 * cx; x < 2 * cx + 2 && x < dst->width; x++) {
            const uint8_t *p = src->data[0] + y * src->stride[0] + 3 * x;
            sum[0] += (float)p[ri];
            sum[1] += (float)p[gi];
            sum[2] += (float)p[bi];
            n++;
        }
    float mean[3] = { sum[0] / n, sum[1] / n, sum[2] / n }, yuv[3];
    rgb_to_yuv(c, mean, yuv);
    dst->data[1][cy * dst->stride[1] + cx] = clamp_round(yuv[1]);
    dst->data[2][cy * dst->stride[2] + cx] = clamp_round(yuv[2]);
}

/* Packed RGB/BGR to YUV 4:2:0, bit for bit as the generic loop of
 * bd_convert (tests/unit/test_colorspace.c convert_packed_exact): Y per
 * pixel; U and V from the mean of each 2x2 block's RGB. The whole blocks
 * go through vectorised rows, the partial ones of odd sizes one by one. */
static void packed_to_yuv420(const BackdropFrame *dst, const BackdropFrame *src)
{
    YuvCoefficients c = bd_yuv_coefficients(dst->range, dst->matrix);
    int ri, gi, bi;
    channel_order(src->format, &ri, &gi, &bi);
    if (ri == 0)
        packed_rows_rgb(dst, src, &c);
    else
        packed_rows_bgr(dst, src, &c);
    int cw = (dst->width + 1) / 2, ch = (dst->height + 1) / 2;
    if (dst->width % 2)
        for (int cy = 0; cy < ch; cy++)
            chroma_block(dst, src, &c, cw - 1, cy, ri, gi, bi);
    if (dst->height % 2)
        for (int cx = 0; cx < cw - dst->width % 2; cx++)
            chroma_block(dst, src, &c, cx, ch - 1, ri, gi, bi);
}

void bd_convert(const BackdropFrame *dst, const BackdropFrame *src)
{
    if (dst->format == BACKDROP_PIXFMT_YUV420P &&
        (src->format == BACKDROP_PIXFMT_RGB24 || src->format == BACKDROP_PIXFMT_BGR24)) {
        packed_to_yuv420(dst, src);
        return;
    }
    if (dst->format != BACKDROP_PIXFMT_YUV420P) {
        int ri, gi, bi;
        channel_order(dst->format, &ri, &gi, &bi);
        for (int y = 0; y < dst->height; y++) {
            uint8_t *row = dst->data[0] + y * dst->stride[0];
            for (int x = 0; x < dst->width; x++) {
                float rgb[3];
                read_rgb(src, x, y, rgb);
                row[3 * x + ri] = clamp_round(rgb[0]);
                row[3 * x + gi] = clamp_round(rgb[1]);
                row[3 * x + bi] = clamp_round(rgb[2]);
            }
        }
        return;
    }
    YuvCoefficients c = bd_yuv_coefficients(dst->range, dst->matrix);
    for (int cy = 0; cy < (dst->height + 1) / 2; cy++) {
        for (int cx = 0; cx < (dst->width + 1) / 2; cx++) {
            float sum[3] = { 0 };
            int n = 0;
            for (int y = 2 * cy; y < 2 * cy + 2 && y < dst->height; y++) {
                for (int x = 2 * cx; x < 2 * cx + 2 && x < dst->width; x++) {
                    float rgb[3], yuv[3];
                    read_rgb(src, x, y, rgb);
                    rgb_to_yuv(&c, rgb, yuv);
                    dst->data[0][y * dst->stride[0] + x] = clamp_round(yuv[0]);
                    for (int k = 0; k < 3; k++)
                        sum[k] += rgb[k];
                    n++;
                }
            }
            float mean[3] = { sum[0] / n, sum[1] / n, sum[2] / n }, yuv[3];
            rgb_to_yuv(&c, mean, yuv);
            dst->data[1][cy * dst->stride[1] + cx] = clamp_round(yuv[1]);
            dst->data[2][cy * dst->stride[2] + cx] = clamp_round(yuv[2]);
        }
    }
}
