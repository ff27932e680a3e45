/* Colour conversion for backgrounds and solid colours. This runs when a
 * background is prepared, never per frame, so it favours clarity (float
 * maths, one pixel at a time) over speed. */
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

void bd_convert(const BackdropFrame *dst, const BackdropFrame *src)
{
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
