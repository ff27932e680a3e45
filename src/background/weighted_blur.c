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
    free(b->copy);
    free(b->weights);
    free(b->sums);
    free(b->wide[0]);
    free(b->wide[1]);
    free(b->mixed);
    free(b->x0);
    free(b->fx);
    memset(b, 0, sizeof(*b));
}

int bd_wblur_init(BdWBlur *b, int width, int height, int channels, int cell, int radius, int passes)
{
    bd_wblur_free(b);
    if (width < 1 || height < 1 || cell < 1 || radius < 0 || passes < 0 || (channels != 1 && channels != 3))
        return BACKDROP_EINVAL;
    b->width = width;
    b->height = height;
    b->channels = channels;
    b->cell = cell;
    b->radius = radius;
    b->passes = passes;
    b->grid_w = (width + cell - 1) / cell;
    b->grid_h = (height + cell - 1) / cell;
    b->wide_row[0] = b->wide_row[1] = -1;
    size_t c1 = (size_t)channels + 1, w = (size_t)width;
    size_t cells = (size_t)b->grid_w * (size_t)b->grid_h;
    size_t line = (size_t)(b->grid_w > b->grid_h ? b->grid_w : b->grid_h);
    b->grid = malloc(sizeof(float) * c1 * cells);
    b->copy = malloc(sizeof(float) * c1 * cells);
    b->scratch = malloc(sizeof(float) * c1 * line);
    b->weights = malloc(sizeof(float) * w);
    b->sums = malloc(sizeof(float) * c1 * w);
    b->wide[0] = malloc(sizeof(float) * c1 * w);
    b->wide[1] = malloc(sizeof(float) * c1 * w);
    b->mixed = malloc(sizeof(float) * c1 * w);
    b->x0 = malloc(sizeof(int) * w);
    b->fx = malloc(sizeof(float) * w);
    if (!b->grid || !b->copy || !b->scratch || !b->weights || !b->sums || !b->wide[0] || !b->wide[1] || !b->mixed ||
        !b->x0 || !b->fx) {
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

/* One box pass along a grid row of n cells, c1 floats each:
 * row[i] = sum of row[i - r .. i + r], zero outside. The sums run over a
 * scratch copy so the row can be written in place. Inlined with a constant
 * c1 (2 for a plane, 4 for packed RGB) so the channel loops unroll. */
static inline __attribute__((always_inline)) void box_row_c(float *row, int n, const int c1, int r,
                                                            float *scratch)
{
    memcpy(scratch, row, sizeof(float) * (size_t)n * (size_t)c1);
    float sum[4] = { 0, 0, 0, 0 };
    for (int i = 0; i < r && i < n; i++)
        for (int c = 0; c < c1; c++)
            sum[c] += scratch[i * c1 + c];
    for (int i = 0; i < n; i++) {
        if (i + r < n)
            for (int c = 0; c < c1; c++)
                sum[c] += scratch[(i + r) * c1 + c];
        for (int c = 0; c < c1; c++)
            row[i * c1 + c] = sum[c];
        if (i - r >= 0)
            for (int c = 0; c < c1; c++)
                sum[c] -= scratch[(i - r) * c1 + c];
    }
}

static void box_row(float *row, int n, int c1, int r, float *scratch)
{
    if (c1 == 2)
        box_row_c(row, n, 2, r, scratch);
    else
        box_row_c(row, n, 4, r, scratch);
}

/* out += sign * row, n floats. */
BD_VECTOR_CLONES
static void add_scaled(float *out, const float *row, float sign, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] += sign * row[i];
}

/* One box pass down the columns, a whole grid row at a time (walking a
 * column would touch one cache line per cell): a running sum of rows,
 * read from a copy of the grid. */
static void box_columns(BdWBlur *b)
{
    size_t line = (size_t)b->grid_w * (size_t)(b->channels + 1);
    int n = b->grid_h, r = b->radius;
    memcpy(b->copy, b->grid, sizeof(float) * line * (size_t)n);
    float *sum = b->scratch;
    memset(sum, 0, sizeof(float) * line);
    for (int i = 0; i < r && i < n; i++)
        add_scaled(sum, b->copy + (size_t)i * line, 1.0f, line);
    for (int i = 0; i < n; i++) {
        if (i + r < n)
            add_scaled(sum, b->copy + (size_t)(i + r) * line, 1.0f, line);
        memcpy(b->grid + (size_t)i * line, sum, sizeof(float) * line);
        if (i - r >= 0)
            add_scaled(sum, b->copy + (size_t)(i - r) * line, -1.0f, line);
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

/* sums[c][x] += plane sample c of pixel x times its weight; sums[ch][x]
 * += the weight. Planar sums keep every loop unit-stride. */
BD_VECTOR_CLONES
static void add_row(float *sums, const uint8_t *p, const float *w, int width, int ch)
{
    float *den = sums + (size_t)ch * width;
    if (ch == 1) {
        for (int x = 0; x < width; x++)
            sums[x] += (float)p[x] * w[x];
    } else {
        for (int c = 0; c < ch; c++) {
            float *s = sums + (size_t)c * width;
            for (int x = 0; x < width; x++)
                s[x] += (float)p[x * ch + c] * w[x];
        }
    }
    for (int x = 0; x < width; x++)
        den[x] += w[x];
}

void bd_wblur_update(BdWBlur *b, const uint8_t *plane, ptrdiff_t stride, const uint8_t *alpha,
                     ptrdiff_t alpha_stride, BdWeight weight)
{
    int ch = b->channels, c1 = ch + 1, cell = b->cell, gw = b->grid_w, width = b->width;
    /* Rows of a cell row are summed down first (vector adds along the
     * row), then each cell's columns once per cell row. */
    for (int gy = 0; gy < b->grid_h; gy++) {
        memset(b->sums, 0, sizeof(float) * (size_t)c1 * (size_t)width);
        int y1 = (gy + 1) * cell < b->height ? (gy + 1) * cell : b->height;
        for (int y = gy * cell; y < y1; y++) {
            weigh_row(b->weights, alpha + y * alpha_stride, width, weight);
            add_row(b->sums, plane + y * stride, b->weights, width, ch);
        }
        float *g = b->grid + (size_t)gy * gw * c1;
        for (int c = 0; c < c1; c++) {
            const float *s = b->sums + (size_t)c * width;
            for (int gx = 0; gx < gw; gx++) {
                int x0 = gx * cell, x1 = x0 + cell < width ? x0 + cell : width;
                float t = 0;
                for (int x = x0; x < x1; x++)
                    t += s[x];
                g[gx * c1 + c] = t;
            }
        }
    }
    for (int pass = 0; pass < b->passes && b->radius > 0; pass++)
        for (int gy = 0; gy < b->grid_h; gy++)
            box_row(b->grid + (size_t)gy * gw * c1, gw, c1, b->radius, b->scratch);
    for (int pass = 0; pass < b->passes && b->radius > 0; pass++)
        box_columns(b);
    b->wide_row[0] = b->wide_row[1] = -1;
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

/* Grid row gy interpolated along x to the plane's width (planar), in one
 * of the two slots; the slot is returned. */
/* Grid row g (c1 floats a cell) interpolated along x to width pixels,
 * planar; inlined with a constant c1 like box_row. */
static inline __attribute__((always_inline)) void widen_c(float *out, const float *g, const int c1, int gw,
                                                          int width, const int *x0, const float *fx)
{
    for (int x = 0; x < width; x++) {
        const float *a = g + (size_t)x0[x] * c1;
        const float *n = gw > 1 ? a + c1 : a;
        for (int c = 0; c < c1; c++)
            out[(size_t)c * width + x] = a[c] + fx[x] * (n[c] - a[c]);
    }
}

/* Grid row gy interpolated along x to the plane's width (planar), in one
 * of the two slots, not the one holding row 'keep'; the slot is returned. */
static const float *wide_row(BdWBlur *b, int gy, int keep)
{
    for (int k = 0; k < 2; k++)
        if (b->wide_row[k] == gy)
            return b->wide[k];
    int slot = b->wide_row[0] == keep ? 1 : 0;
    int c1 = b->channels + 1, gw = b->grid_w;
    const float *g = b->grid + (size_t)gy * gw * c1;
    if (c1 == 2)
        widen_c(b->wide[slot], g, 2, gw, b->width, b->x0, b->fx);
    else
        widen_c(b->wide[slot], g, 4, gw, b->width, b->x0, b->fx);
    b->wide_row[slot] = gy;
    return b->wide[slot];
}

BD_VECTOR_CLONES
static void divide_row(uint8_t *out, const float *top, const float *bottom, float f, int width, int ch)
{
    const float *den0 = top + (size_t)ch * width, *den1 = bottom + (size_t)ch * width;
    for (int c = 0; c < ch; c++) {
        const float *n0 = top + (size_t)c * width, *n1 = bottom + (size_t)c * width;
        for (int x = 0; x < width; x++) {
            float num = n0[x] + f * (n1[x] - n0[x]);
            float den = den0[x] + f * (den1[x] - den0[x]);
            float v = num / den + 0.5f;
            v = v < 0 ? 0 : v > 255 ? 255 : v;
            out[x * ch + c] = (uint8_t)v;
        }
    }
}

void bd_wblur_row(BdWBlur *b, int y, uint8_t *out)
{
    int i;
    float f;
    grid_rows(b, y, &i, &f);
    const float *top = wide_row(b, i, i + 1);
    const float *bottom = b->grid_h > 1 ? wide_row(b, i + 1, i) : top;
    divide_row(out, top, bottom, f, b->width, b->channels);
}

BD_VECTOR_CLONES
static void divide_row_f32(float *out, const float *top, const float *bottom, float f, int width, int ch)
{
    const float *den0 = top + (size_t)ch * width, *den1 = bottom + (size_t)ch * width;
    for (int c = 0; c < ch; c++) {
        const float *n0 = top + (size_t)c * width, *n1 = bottom + (size_t)c * width;
        float *o = out + (size_t)c * width;
        for (int x = 0; x < width; x++)
            o[x] = (n0[x] + f * (n1[x] - n0[x])) / (den0[x] + f * (den1[x] - den0[x]));
    }
}

void bd_wblur_row_f32(BdWBlur *b, int y, float *out)
{
    int i;
    float f;
    grid_rows(b, y, &i, &f);
    const float *top = wide_row(b, i, i + 1);
    const float *bottom = b->grid_h > 1 ? wide_row(b, i + 1, i) : top;
    divide_row_f32(out, top, bottom, f, b->width, b->channels);
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
