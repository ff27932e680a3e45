/*
 * Weighted (normalised) blur of one plane at reduced resolution: the kernel
 * of the blurred background and of the foreground-colour estimate.
 *
 * For a plane P of 'channels' interleaved 8-bit samples per pixel (1 for a
 * Y, U or V plane, 3 for packed RGB) and a weight per pixel, the blurred
 * value at pixel (x, y) is
 *
 *     V_c(x, y) = N_c(x, y) / D(x, y),
 *     N_c = up(G * cells(P_c w)),   D = up(G * cells(w)),
 *
 * where
 *   - cells() sums over the cells of a grid of cell x cell pixels (the last
 *     column and row of cells may be partial);
 *   - G is 'passes' box filters of (2 radius + 1) cells along x, then as
 *     many along y, each taking zero outside the grid (the numerator and
 *     the denominator are filtered alike, so the edge needs no other care);
 *   - up() is bilinear interpolation between cell centres: pixel x lies at
 *     grid coordinate (x + 0.5) / cell - 0.5, clamped to the first and the
 *     last centre.
 *
 * Weights are what makes it a *normalised* blur: with w = (255 - alpha)^2
 * + 1 the person's pixels, whose weight is 1 against 65026 for a pixel of
 * background, do not enter the blurred background (no halo); the 1 keeps D
 * positive everywhere, so deep inside the person, where no background is
 * within reach, V falls back to the plain blur (hidden there by alpha).
 * With w = alpha + 1 (BD_WEIGHT_ALPHA), or 256 - alpha (BD_WEIGHT_INVERSE)
 * it gives the local means of the foreground and the background colour of
 * the blur-fusion estimate (composite.c); with w = 1 (BD_WEIGHT_UNIFORM) a
 * plain blur (the light wrap's).
 *
 * Three box passes of radius r have the variance of a Gaussian of
 * sigma^2 = passes r (r + 1) / 3 grid cells; bd_wblur_params picks cell and
 * radius for a sigma in pixels. Working on the grid is what makes it cheap:
 * at 1080p and sigma 22 px the grid is 240 x 135.
 *
 * Not src/scale.c's bilinear kernel: that one maps a rectangle onto the
 * destination edge to edge, while the cells here are whole pixels of the
 * plane with a partial last cell, so a cell's centre is at (i + 0.5) cell.
 *
 * bd_wblur_ref_* (weighted_blur_ref in the unit tests) computes the same
 * definition directly: explicit kernel weights and per-pixel sums.
 */
#ifndef BACKDROP_WEIGHTED_BLUR_H
#define BACKDROP_WEIGHTED_BLUR_H

#include "../internal.h"

typedef enum BdWeight {
    BD_WEIGHT_BACKGROUND, /* (255 - a)^2 + 1: the background, the person's pixels left out */
    BD_WEIGHT_ALPHA,      /* a + 1: the foreground's local mean */
    BD_WEIGHT_INVERSE,    /* 256 - a: the background's local mean (blur-fusion) */
    BD_WEIGHT_UNIFORM,    /* 1: a plain blur (light wrap); alpha may be NULL */
} BdWeight;

typedef struct BdWBlur {
    int width, height, channels; /* the plane */
    int cell, radius, passes;
    int grid_w, grid_h;
    float *grid;    /* grid_h x grid_w x (channels + 1): numerators, then the denominator */
    float *copy;    /* the grid before a pass down its columns */
    float *scratch; /* one line of the grid (the longer side) for the box passes */
    float *weights; /* one row of the plane's weights */
    float *sums;    /* (channels + 1) x width, planar: a cell row's weighted samples summed down */
    /* Grid rows interpolated along x to the plane's width, planar
     * ((channels + 1) x width each), two slots; the grid row each holds
     * (-1: none). A plane row mixes two of them. */
    float *wide[2];
    int wide_row[2];
    float *mixed;   /* (channels + 1) x width: one plane row before the division */
    int *x0;        /* per pixel: left cell of its interpolation */
    float *fx;      /* per pixel: weight of the right cell */
    uint8_t *need;  /* grid_h x grid_w: the cells bd_wblur_mark_soft found needed */
    int need_box[4]; /* their bounding box: x0, x1, y0, y1 (cells, ends excluded) */
    uint8_t *need_tmp;
    int *cell_of;   /* per pixel: its cell's column */
} BdWBlur;

/* Cell size and box radius for a blur of standard deviation sigma pixels
 * with 'passes' box passes: cells of about sigma / 2.45 pixels (at least
 * one), radius 2 on that grid, or smaller for small sigma. */
void bd_wblur_params(double sigma, int passes, int *cell, int *radius);

int bd_wblur_init(BdWBlur *b, int width, int height, int channels, int cell, int radius, int passes);
void bd_wblur_free(BdWBlur *b);

/* Sums the plane into the grid with the weights of 'alpha' (width x height,
 * one byte a pixel), then filters the grid. */
void bd_wblur_update(BdWBlur *b, const uint8_t *plane, ptrdiff_t stride, const uint8_t *alpha,
                     ptrdiff_t alpha_stride, BdWeight weight);

/* The cells whose sums V needs at the soft pixels of an alpha (width x
 * height; soft: neither 0 nor 255): each cell holding one, grown by the
 * reach of the interpolation and the box passes (1 + passes radius
 * cells), into b->need. Returns their count (0: no soft pixel). */
int bd_wblur_mark_soft(BdWBlur *b, const uint8_t *alpha, ptrdiff_t alpha_stride);
/* bd_wblur_update summing only the cells bd_wblur_mark_soft marked on
 * 'marked' (b itself, or another blur of the same plane size and
 * cell; NULL: every cell), the others taken as zero, and filtering only
 * within their bounding box. V at the soft pixels the marks were made for
 * is then what the full update gives, up to float rounding; elsewhere it
 * is not defined. For an estimate read only at soft pixels, it skips the
 * frame away from the edges. */
void bd_wblur_update_cells(BdWBlur *b, const uint8_t *plane, ptrdiff_t stride, const uint8_t *alpha,
                           ptrdiff_t alpha_stride, BdWeight weight, const BdWBlur *marked);

/* Row y of V, rounded and clamped to bytes, interleaved like the plane.
 * Any order; consecutive rows reuse the vertical interpolation. */
void bd_wblur_row(BdWBlur *b, int y, uint8_t *out);
/* Row y of V as floats, planar: out[c * width + x]. Same order rule. */
void bd_wblur_row_f32(BdWBlur *b, int y, float *out);
/* V at pixels [x0, x1) of row y as floats, planar: out[c * (x1 - x0) + x]
 * (what bd_wblur_at gives there, computed the same way); no state. */
void bd_wblur_span_f32(const BdWBlur *b, int y, int x0, int x1, float *out);
/* V at one pixel, as floats (channels values). */
void bd_wblur_at(const BdWBlur *b, int x, int y, float *out);

/* The weight of an alpha value. */
static inline float bd_wblur_weight(BdWeight weight, unsigned a)
{
    switch (weight) {
    case BD_WEIGHT_BACKGROUND: return (float)((255 - a) * (255 - a) + 1);
    case BD_WEIGHT_ALPHA: return (float)(a + 1);
    case BD_WEIGHT_UNIFORM: return 1.0f;
    default: return (float)(256 - a);
    }
}

#endif
