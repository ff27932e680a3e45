/* Weighted blur at reduced resolution; see weighted_blur.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "weighted_blur.h"

void bd_wblur_params(double sigma, int passes, int *cell, int *radius)
{
    /* A box of radius r has variance r (r + 1) / 3 cells^2; 'passes' of them
     * add up. Radius 2 is the smallest whose three passes are close to a
     * Gaussian, so the cell grows with sigma; below one cell's worth the
     * radius that comes closest is taken on single pixels. */
    double per_cell = sqrt(passes * 2.0);
    int c = (int)floor(sigma / per_cell + 0.5);
    int r = 2;
    if (c <= 1) {
        c = 1;
        double best = fabs(sigma);
        r = 0;
        for (int k = 1; k <= 2; k++) {
            double d = fabs(sqrt(passes * k * (k + 1.0) / 3.0) - sigma);
            if (d < best) {
                best = d;
                r = k;
            }
        }
    }
    *cell = c;
    *radius = r;
}

void bd_wblur_free(BdWBlur *b)
{
    free(b->grid);
    free(b->scratch);
    free(b->weights);
    free(b->pair);
    free(b->x0);
    free(b->fx);
    memset(b, 0, sizeof(*b));
}

int bd_wblur_init(BdWBlur *b, int width, int height, int channels, int cell, int radius, int passes)
{
    bd_wblur_free(b);
    if (width < 1 || height < 1 || cell < 1 || radius < 0 || passes < 0 || channels < 1 || channels > 3)
        return BACKDROP_EINVAL;
    b->width = width;
    b->height = height;
    b->channels = channels;
    b->cell = cell;
    b->radius = radius;
    b->passes = passes;
    b->grid_w = (width + cell - 1) / cell;
    b->grid_h = (height + cell - 1) / cell;
    b->pair_row = -1;
    size_t c1 = (size_t)channels + 1;
    size_t line = (size_t)(b->grid_w > b->grid_h ? b->grid_w : b->grid_h);
    b->grid = malloc(sizeof(float) * c1 * (size_t)b->grid_w * (size_t)b->grid_h);
    b->scratch = malloc(sizeof(float) * c1 * line);
    b->weights = malloc(sizeof(float) * (size_t)width);
    b->pair = malloc(sizeof(float) * c1 * (size_t)b->grid_w);
    b->x0 = malloc(sizeof(int) * (size_t)width);
    b->fx = malloc(sizeof(float) * (size_t)width);
    if (!b->grid || !b->scratch || !b->weights || !b->pair || !b->x0 || !b->fx) {
        bd_wblur_free(b);
        return BACKDROP_ENOMEM;
    }
    for (int x = 0; x < width; x++) {
        double g = (x + 0.5) / cell - 0.5;
        if (g < 0)
            g = 0;
        if (g > b->grid_w - 1)
            g = b->grid_w - 1;
        int i = (int)g;
        if (i > b->grid_w - 2)
            i = b->grid_w > 1 ? b->grid_w - 2 : 0;
        b->x0[x] = i;
        b->fx[x] = b->grid_w > 1 ? (float)(g - i) : 0.0f;
    }
    return 0;
}

/* One box pass along a line of n elements, each c1 floats, 'step' floats
 * apart: line[i] = sum of line[i - r .. i + r], zero outside. The sums run
 * in a scratch copy so the line can be written in place. */
static void box_line(float *line, ptrdiff_t step, int n, int c1, int r, float *scratch)
{
    for (int i = 0; i < n; i++)
        memcpy(scratch + (size_t)i * c1, line + i * step, sizeof(float) * (size_t)c1);
    for (int c = 0; c < c1; c++) {
        float sum = 0;
        for (int i = 0; i < r && i < n; i++)
            sum += scratch[(size_t)i * c1 + c];
        for (int i = 0; i < n; i++) {
            if (i + r < n)
                sum += scratch[(size_t)(i + r) * c1 + c];
            line[i * step + c] = sum;
            if (i - r >= 0)
                sum -= scratch[(size_t)(i - r) * c1 + c];
        }
    }
}

BD_VECTOR_CLONES
static void weigh_row(float *w, const uint8_t *alpha, int width, BdWeight weight)
{
    switch (weight) {
    case BD_WEIGHT_BACKGROUND:
        for (int x = 0; x < width; x++)
            w[x] = (float)((255 - alpha[x]) * (255 - alpha[x]) + 1);
        break;
    case BD_WEIGHT_ALPHA:
        for (int x = 0; x < width; x++)
            w[x] = (float)(alpha[x] + 1);
        break;
    default:
        for (int x = 0; x < width; x++)
            w[x] = (float)(256 - alpha[x]);
        break;
    }
}

void bd_wblur_update(BdWBlur *b, const uint8_t *plane, ptrdiff_t stride, const uint8_t *alpha,
                     ptrdiff_t alpha_stride, BdWeight weight)
{
    int ch = b->channels, c1 = ch + 1, cell = b->cell, gw = b->grid_w;
    memset(b->grid, 0, sizeof(float) * (size_t)c1 * (size_t)gw * (size_t)b->grid_h);
    for (int y = 0; y < b->height; y++) {
        const uint8_t *p = plane + y * stride;
        float *w = b->weights;
        weigh_row(w, alpha + y * alpha_stride, b->width, weight);
        float *g = b->grid + (size_t)(y / cell) * (size_t)gw * (size_t)c1;
        for (int gx = 0; gx < gw; gx++, g += c1) {
            int x0 = gx * cell, x1 = x0 + cell < b->width ? x0 + cell : b->width;
            float s[4] = { 0, 0, 0, 0 };
            for (int x = x0; x < x1; x++) {
                for (int c = 0; c < ch; c++)
                    s[c] += (float)p[x * ch + c] * w[x];
                s[3] += w[x];
            }
            for (int c = 0; c < ch; c++)
                g[c] += s[c];
            g[ch] += s[3];
        }
    }
    for (int pass = 0; pass < b->passes && b->radius > 0; pass++)
        for (int gy = 0; gy < b->grid_h; gy++)
            box_line(b->grid + (size_t)gy * gw * c1, c1, gw, c1, b->radius, b->scratch);
    for (int pass = 0; pass < b->passes && b->radius > 0; pass++)
        for (int gx = 0; gx < gw; gx++)
            box_line(b->grid + (size_t)gx * c1, (ptrdiff_t)gw * c1, b->grid_h, c1, b->radius, b->scratch);
    b->pair_row = -1;
}

/* The vertical position of plane row y on the grid: rows i and i + 1 with
 * weight f on i + 1 (as the columns in init). */
static void grid_rows(const BdWBlur *b, int y, int *i, float *f)
{
    double g = (y + 0.5) / b->cell - 0.5;
    if (g < 0)
        g = 0;
    if (g > b->grid_h - 1)
        g = b->grid_h - 1;
    int r = (int)g;
    if (r > b->grid_h - 2)
        r = b->grid_h > 1 ? b->grid_h - 2 : 0;
    *i = r;
    *f = b->grid_h > 1 ? (float)(g - r) : 0.0f;
}

void bd_wblur_row(BdWBlur *b, int y, uint8_t *out)
{
    int ch = b->channels, c1 = ch + 1, gw = b->grid_w;
    if (b->pair_row != y) {
        int i;
        float f;
        grid_rows(b, y, &i, &f);
        const float *r0 = b->grid + (size_t)i * gw * c1;
        const float *r1 = b->grid_h > 1 ? r0 + (size_t)gw * c1 : r0;
        for (int k = 0; k < gw * c1; k++)
            b->pair[k] = r0[k] + f * (r1[k] - r0[k]);
        b->pair_row = y;
    }
    const float *pr = b->pair;
    for (int x = 0; x < b->width; x++) {
        const float *a = pr + (size_t)b->x0[x] * c1;
        const float *n = gw > 1 ? a + c1 : a;
        float fx = b->fx[x];
        float den = a[ch] + fx * (n[ch] - a[ch]);
        float inv = 1.0f / den;
        for (int c = 0; c < ch; c++) {
            float v = (a[c] + fx * (n[c] - a[c])) * inv + 0.5f;
            out[x * ch + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
}

void bd_wblur_at(const BdWBlur *b, int x, int y, float *out)
{
    int ch = b->channels, c1 = ch + 1, gw = b->grid_w;
    int i;
    float fy;
    grid_rows(b, y, &i, &fy);
    const float *r0 = b->grid + (size_t)i * gw * c1;
    const float *r1 = b->grid_h > 1 ? r0 + (size_t)gw * c1 : r0;
    int x0 = b->x0[x], x1 = gw > 1 ? x0 + 1 : x0;
    float fx = b->fx[x];
    float v[4];
    for (int c = 0; c < c1; c++) {
        float left = r0[x0 * c1 + c] + fy * (r1[x0 * c1 + c] - r0[x0 * c1 + c]);
        float right = r0[x1 * c1 + c] + fy * (r1[x1 * c1 + c] - r0[x1 * c1 + c]);
        v[c] = left + fx * (right - left);
    }
    for (int c = 0; c < ch; c++)
        out[c] = v[c] / v[ch];
}
