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
    free(b->need);
    free(b->need_tmp);
    free(b->cell_of);
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
    b->need = malloc(cells);
    b->cell_of = malloc(sizeof(int) * w);
    b->need_tmp = malloc(cells);
    if (!b->grid || !b->copy || !b->scratch || !b->weights || !b->sums || !b->wide[0] || !b->wide[1] || !b->mixed ||
        !b->x0 || !b->fx || !b->need || !b->need_tmp || !b->cell_of) {
        bd_wblur_free(b);
        return BACKDROP_ENOMEM;
    }
    for (int x = 0; x < width; x++) {
        b->cell_of[x] = x / cell;
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
static void box_columns(BdWBlur *b, int x0, int x1, int y0, int y1)
{
    size_t stride = (size_t)b->grid_w * (size_t)(b->channels + 1);
    size_t line = (size_t)(x1 - x0) * (size_t)(b->channels + 1), first = (size_t)x0 * (b->channels + 1);
    int n = y1 - y0, r = b->radius;
    float *grid = b->grid + (size_t)y0 * stride + first;
    for (int i = 0; i < n; i++) /* the copy is packed: line floats a row */
        memcpy(b->copy + (size_t)i * line, grid + (size_t)i * stride, sizeof(float) * line);
    float *sum = b->scratch;
    memset(sum, 0, sizeof(float) * line);
    for (int i = 0; i < r && i < n; i++)
        add_scaled(sum, b->copy + (size_t)i * line, 1.0f, line);
    for (int i = 0; i < n; i++) {
        if (i + r < n)
            add_scaled(sum, b->copy + (size_t)(i + r) * line, 1.0f, line);
        memcpy(grid + (size_t)i * stride, sum, sizeof(float) * line);
        if (i - r >= 0)
            add_scaled(sum, b->copy + (size_t)(i - r) * line, -1.0f, line);
    }
}

/* The box passes over the cells [x0, x1) x [y0, y1), zero around them (the
 * cells outside are zero, or never read). */
static void box_passes(BdWBlur *b, int x0, int x1, int y0, int y1)
{
    int c1 = b->channels + 1;
    if (b->radius <= 0 || x0 >= x1 || y0 >= y1)
        return;
    for (int pass = 0; pass < b->passes; pass++)
        for (int gy = y0; gy < y1; gy++)
            box_row(b->grid + ((size_t)gy * b->grid_w + (size_t)x0) * c1, x1 - x0, c1, b->radius, b->scratch);
    for (int pass = 0; pass < b->passes; pass++)
        box_columns(b, x0, x1, y0, y1);
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
    case BD_WEIGHT_UNIFORM:
        for (int x = 0; x < width; x++)
            w[x] = 1.0f;
        break;
    default:
        for (int x = 0; x < width; x++)
            w[x] = (float)(256 - alpha[x]);
        break;
    }
}

/* sums[c * sums_stride + x] += plane sample c of pixel x times its weight;
 * sums[ch * sums_stride + x] += the weight, for n pixels. Planar sums keep
 * every loop unit-stride. */
BD_VECTOR_CLONES
static void add_row(float *sums, int sums_stride, const uint8_t *p, const float *w, int n, int ch)
{
    float *den = sums + (size_t)ch * sums_stride;
    if (ch == 1) {
        for (int x = 0; x < n; x++)
            sums[x] += (float)p[x] * w[x];
    } else {
        for (int c = 0; c < ch; c++) {
            float *s = sums + (size_t)c * sums_stride;
            for (int x = 0; x < n; x++)
                s[x] += (float)p[x * ch + c] * w[x];
        }
    }
    for (int x = 0; x < n; x++)
        den[x] += w[x];
}

/* Whether a run of alphas has a value other than 0 and 255. */
BD_VECTOR_CLONES
static int any_soft(const uint8_t *a, int n)
{
    int soft = 0;
    for (int x = 0; x < n; x++)
        soft |= (uint8_t)(a[x] - 1) < 254;
    return soft;
}

/* One pass of a square dilation of a byte mask along rows (step 1) or
 * columns (step w): out[i] = max of in[i - r .. i + r] within the line. */
static void dilate_lines(uint8_t *out, const uint8_t *in, int lines, int n, ptrdiff_t line_step, ptrdiff_t step,
                         int r)
{
    for (int l = 0; l < lines; l++) {
        const uint8_t *src = in + l * line_step;
        uint8_t *dst = out + l * line_step;
        int last = -1 - r; /* the last marked index seen */
        for (int i = 0; i < n + r; i++) {
            if (i < n && src[i * step])
                last = i;
            int o = i - r; /* out index whose window [o - r, o + r] ends at i */
            if (o >= 0)
                dst[o * step] = last >= o - r;
        }
    }
}

int bd_wblur_mark_soft(BdWBlur *b, const uint8_t *alpha, ptrdiff_t alpha_stride)
{
    int gw = b->grid_w, gh = b->grid_h, cell = b->cell;
    memset(b->need_tmp, 0, (size_t)gw * (size_t)gh);
    int any = 0;
    for (int y = 0; y < b->height; y++) {
        const uint8_t *a = alpha + y * alpha_stride;
        uint8_t *m = b->need_tmp + (size_t)(y / cell) * gw;
        if (!any_soft(a, b->width)) /* most rows, away from the person's outline */
            continue;
        any = 1;
        /* Blocks of 64 pixels checked as vectors; soft ones pixel by pixel. */
        for (int x0 = 0; x0 < b->width; x0 += 64) {
            int n = x0 + 64 < b->width ? 64 : b->width - x0;
            if (!any_soft(a + x0, n))
                continue;
            for (int x = x0; x < x0 + n; x++)
                m[b->cell_of[x]] |= (uint8_t)(a[x] - 1) < 254;
        }
    }
    if (!any) {
        memset(b->need, 0, (size_t)gw * (size_t)gh);
        return 0;
    }
    /* A value read at a soft pixel mixes the 2 x 2 cells around it, each
     * the box passes' sum of cells up to passes * radius away. */
    int reach = 1 + b->passes * b->radius;
    dilate_lines(b->need, b->need_tmp, gh, gw, gw, 1, reach);
    dilate_lines(b->need_tmp, b->need, gw, gh, 1, gw, reach);
    memcpy(b->need, b->need_tmp, (size_t)gw * (size_t)gh);
    /* Their bounding box: the box passes need not run beyond it. */
    int count = 0, box[4] = { gw, 0, gh, 0 };
    for (int gy = 0; gy < gh; gy++)
        for (int gx = 0; gx < gw; gx++)
            if (b->need[(size_t)gy * gw + gx]) {
                count++;
                box[0] = gx < box[0] ? gx : box[0];
                box[1] = gx + 1 > box[1] ? gx + 1 : box[1];
                box[2] = gy < box[2] ? gy : box[2];
                box[3] = gy + 1;
            }
    memcpy(b->need_box, box, sizeof(box));
    return count;
}

void bd_wblur_update_cells(BdWBlur *b, const uint8_t *plane, ptrdiff_t stride, const uint8_t *alpha,
                           ptrdiff_t alpha_stride, BdWeight weight, const BdWBlur *marked)
{
    const uint8_t *need = marked ? marked->need : NULL;
    int ch = b->channels, c1 = ch + 1, cell = b->cell, gw = b->grid_w, width = b->width;
    /* Rows of a cell row are summed down first (vector adds along the
     * row), then each cell's columns once per cell row; with 'need', only
     * over the runs of needed cells (the others are zero). */
    for (int gy = 0; gy < b->grid_h; gy++) {
        const uint8_t *nr = need ? need + (size_t)gy * gw : NULL;
        float *g = b->grid + (size_t)gy * gw * c1;
        int y0 = gy * cell, y1 = (gy + 1) * cell < b->height ? (gy + 1) * cell : b->height;
        if (nr)
            memset(g, 0, sizeof(float) * (size_t)gw * (size_t)c1);
        for (int gx = 0; gx < gw;) {
            if (nr && !nr[gx]) {
                gx++;
                continue;
            }
            int ge = gx + 1;
            while (ge < gw && (!nr || nr[ge]))
                ge++;
            int x0 = gx * cell, x1 = ge * cell < width ? ge * cell : width, n = x1 - x0;
            for (int c = 0; c < c1; c++)
                memset(b->sums + (size_t)c * width + x0, 0, sizeof(float) * (size_t)n);
            for (int y = y0; y < y1; y++) {
                weigh_row(b->weights + x0, alpha ? alpha + y * alpha_stride + x0 : NULL, n, weight);
                add_row(b->sums + x0, width, plane + y * stride + (ptrdiff_t)x0 * ch, b->weights + x0, n, ch);
            }
            for (int c = 0; c < c1; c++) {
                const float *sr = b->sums + (size_t)c * width;
                for (int k = gx; k < ge; k++) {
                    int a = k * cell, e = a + cell < width ? a + cell : width;
                    float t = 0;
                    for (int x = a; x < e; x++)
                        t += sr[x];
                    g[k * c1 + c] = t;
                }
            }
            gx = ge;
        }
    }
    if (marked)
        box_passes(b, marked->need_box[0], marked->need_box[1], marked->need_box[2], marked->need_box[3]);
    else
        box_passes(b, 0, gw, 0, b->grid_h);
    b->wide_row[0] = b->wide_row[1] = -1;
}

void bd_wblur_update(BdWBlur *b, const uint8_t *plane, ptrdiff_t stride, const uint8_t *alpha,
                     ptrdiff_t alpha_stride, BdWeight weight)
{
    bd_wblur_update_cells(b, plane, stride, alpha, alpha_stride, weight, NULL);
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

/* The two widened grid rows around plane row y and the weight of the
 * second. */
static void rows_around(BdWBlur *b, int y, const float **top, const float **bottom, float *f)
{
    int i;
    grid_rows(b, y, &i, f);
    *top = wide_row(b, i, i + 1);
    *bottom = b->grid_h > 1 ? wide_row(b, i + 1, i) : *top;
}

void bd_wblur_row(BdWBlur *b, int y, uint8_t *out)
{
    const float *top, *bottom;
    float f;
    rows_around(b, y, &top, &bottom, &f);
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
    const float *top, *bottom;
    float f;
    rows_around(b, y, &top, &bottom, &f);
    divide_row_f32(out, top, bottom, f, b->width, b->channels);
}

void bd_wblur_span_f32(const BdWBlur *b, int y, int x0, int x1, float *out)
{
    int ch = b->channels, c1 = ch + 1, gw = b->grid_w, n = x1 - x0;
    int i;
    float fy;
    grid_rows(b, y, &i, &fy);
    const float *r0 = b->grid + (size_t)i * gw * c1;
    const float *r1 = b->grid_h > 1 ? r0 + (size_t)gw * c1 : r0;
    for (int x = x0; x < x1; x++) {
        int g0 = b->x0[x] * c1, g1 = gw > 1 ? g0 + c1 : g0;
        float fx = b->fx[x], v[4];
        for (int c = 0; c < c1; c++) {
            float left = r0[g0 + c] + fy * (r1[g0 + c] - r0[g0 + c]);
            float right = r0[g1 + c] + fy * (r1[g1 + c] - r0[g1 + c]);
            v[c] = left + fx * (right - left);
        }
        for (int c = 0; c < ch; c++)
            out[c * n + (x - x0)] = v[c] / v[ch];
    }
}

void bd_wblur_at(const BdWBlur *b, int x, int y, float *out)
{
    /* A span of one pixel: its planar layout is the pixel's channels. */
    bd_wblur_span_f32(b, y, x, x + 1, out);
}
