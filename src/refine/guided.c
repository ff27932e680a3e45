/*
 * refine "guided": the soft map made into the full-size alpha by a fast
 * guided filter (He, Sun and Tang, "Guided Image Filtering", TPAMI 2013;
 * He and Sun, "Fast Guided Filter", 2015), guided by the frame.
 *
 * The map says where the person is to within a map pixel (2 to 8 frame
 * pixels); the frame says where its edges are. Within each window the
 * filter fits the output as a linear function of the guide's channels,
 * q = a . I + b, in the least-squares sense against the map (regularised
 * by eps): where the window holds an edge of the frame, the map's blurred
 * step becomes a step along that edge; where the frame is flat, q is the
 * map, smoothed.
 *
 * Guide "color" (default) regresses on all three channels of the frame as
 * stored: Y, U, V, or the packed bytes. A least-squares fit on three
 * channels gives the same q for any invertible affine change of them (up
 * to eps), so RGB is never needed: YUV frames are used as they are, chroma
 * at its own 4:2:0 resolution. It follows edges between colours of equal
 * brightness (a red shirt on a green wall), which "luma" cannot see; it
 * costs about twice as much. Measured in bench/results.csv.
 *
 * Cost. The fit needs only box means, so it runs on a working grid no finer
 * than the map needs: the frame's rectangle under the map, shrunk by a
 * whole factor s = max(1, frame rows / map rows) (the grid keeps at least
 * the map's resolution). Per frame:
 *   working grid: the guide (area average), p (the map, bilinear), box
 *       means of the guide, p and their products, the coefficients a and
 *       b, their box means;
 *   full size: mean a and mean b upsampled bilinearly (the scaler keeps
 *       one resampled working row per tap, so this is a lerp per
 *       coefficient and pixel), q = a . I + b on the frame itself, then
 *       the threshold ramp of the bilinear stage (threshold, softness).
 * Everything is allocated per shape; running allocates nothing.
 *
 * Radius: in frame pixels; 0 (default) picks six map pixels for colour and
 * two for luma (the best of each, measured).
 * eps: in squared (value / 255) units of the frame's own channels (also
 * when the fit runs on the picture: see picture_regularise); larger follows
 * only stronger edges. At least 1e-5: the covariances are computed in
 * float, whose rounding shows in q below that (measured against a
 * double-precision reference in the unit tests).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "guided.h"
#include "../pipeline.h"
#include "../scale.h"
#include "../nn/resample.h"

/* ---- kernels ----------------------------------------------------------- */

BD_VECTOR_CLONES
static void add_row(float *acc, const float *row, int n)
{
    for (int i = 0; i < n; i++)
        acc[i] += row[i];
}

BD_VECTOR_CLONES
static void sub_row(float *acc, const float *row, int n)
{
    for (int i = 0; i < n; i++)
        acc[i] -= row[i];
}

/* One output row from the column sums: a running sum along x of 'channels'
 * interleaved values at once, times 1 / the window's pixel count. The
 * channels are summed as vectors of four (GCC vector extensions: plain
 * SIMD where the target has it, pairs of scalars where not); a pixel's
 * sums are independent lanes, so the adds overlap. */
typedef float v4f __attribute__((vector_size(16)));

static inline v4f load4(const float *p)
{
    v4f v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline void store4(float *p, v4f v)
{
    memcpy(p, &v, sizeof(v));
}

/* Inlined with a constant group count into the clones below. */
static inline void box_row_groups(float *out, const float *col, int w, int r, int groups, const float *inv_cols,
                                  float inv_rows)
{
    v4f sum[BD_BOX_MAX_CHANNELS / 4] = { 0 };
    int channels = 4 * groups;
    for (int x = 0; x <= r && x < w; x++)
        for (int k = 0; k < groups; k++)
            sum[k] += load4(col + x * channels + 4 * k);
    for (int x = 0; x < w; x++) {
        if (x > 0 && x + r < w)
            for (int k = 0; k < groups; k++)
                sum[k] += load4(col + (x + r) * channels + 4 * k);
        if (x - r - 1 >= 0)
            for (int k = 0; k < groups; k++)
                sum[k] -= load4(col + (x - r - 1) * channels + 4 * k);
        float scale = inv_cols[x] * inv_rows;
        for (int k = 0; k < groups; k++)
            store4(out + x * channels + 4 * k, sum[k] * scale);
    }
}

BD_VECTOR_CLONES
static void box_row_4(float *out, const float *col, int w, int r, const float *inv_cols, float inv_rows)
{
    box_row_groups(out, col, w, r, 1, inv_cols, inv_rows);
}

BD_VECTOR_CLONES
static void box_row_16(float *out, const float *col, int w, int r, const float *inv_cols, float inv_rows)
{
    box_row_groups(out, col, w, r, 4, inv_cols, inv_rows);
}

/* Any other channel count (2: the luma guide's coefficients), scalar. */
static void box_row_any(float *out, const float *col, int w, int r, int channels, const float *inv_cols,
                        float inv_rows)
{
    float sum[BD_BOX_MAX_CHANNELS] = { 0 };
    for (int x = 0; x <= r && x < w; x++)
        for (int c = 0; c < channels; c++)
            sum[c] += col[x * channels + c];
    for (int x = 0; x < w; x++) {
        if (x > 0 && x + r < w)
            for (int c = 0; c < channels; c++)
                sum[c] += col[(x + r) * channels + c];
        if (x - r - 1 >= 0)
            for (int c = 0; c < channels; c++)
                sum[c] -= col[(x - r - 1) * channels + c];
        float scale = inv_cols[x] * inv_rows;
        for (int c = 0; c < channels; c++)
            out[x * channels + c] = sum[c] * scale;
    }
}

size_t bd_box_mean_scratch(int w, int channels)
{
    return sizeof(float) * (size_t)w * (size_t)(channels + 1);
}

void bd_box_mean(const float *src, float *dst, int w, int h, int channels, int r, float *scratch)
{
    /* col: the sums of each column (and channel) over the rows of the
     * current window, [y - r, y + r] cut to [0, h); inv_cols: 1 / the
     * window's width at each x. The running sums stay in float: a value
     * is added and removed at most once per row and column, and the means
     * are of values in [0, 1] (at 480 x 270, about 1e-6 off; the test
     * holds them to the reference). */
    size_t row = (size_t)w * channels;
    float *col = scratch, *inv_cols = scratch + row;
    for (int x = 0; x < w; x++)
        inv_cols[x] = 1.0f / (float)((x + r < w ? x + r : w - 1) - (x - r > 0 ? x - r : 0) + 1);
    memset(col, 0, sizeof(float) * row);
    for (int y = 0; y <= r && y < h; y++)
        add_row(col, src + (size_t)y * row, (int)row);
    for (int y = 0; y < h; y++) {
        if (y > 0 && y + r < h)
            add_row(col, src + (size_t)(y + r) * row, (int)row);
        if (y - r - 1 >= 0)
            sub_row(col, src + (size_t)(y - r - 1) * row, (int)row);
        float inv_rows = 1.0f / (float)((y + r < h ? y + r : h - 1) - (y - r > 0 ? y - r : 0) + 1);
        float *out = dst + (size_t)y * row;
        switch (channels) {
        case 4: box_row_4(out, col, w, r, inv_cols, inv_rows); break;
        case 16: box_row_16(out, col, w, r, inv_cols, inv_rows); break;
        default: box_row_any(out, col, w, r, channels, inv_cols, inv_rows); break;
        }
    }
}

void bd_box_mean_ref(const float *src, float *dst, int w, int h, int channels, int r)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < channels; c++) {
                double sum = 0;
                int n = 0;
                for (int v = y - r; v <= y + r; v++)
                    for (int u = x - r; u <= x + r; u++)
                        if (v >= 0 && v < h && u >= 0 && u < w) {
                            sum += src[((size_t)v * w + u) * channels + c];
                            n++;
                        }
                dst[((size_t)y * w + x) * channels + c] = (float)(sum / n);
            }
}

/* The exported kernels are plain functions around static clones: an
 * ifunc resolver would be exported from the shared library whatever the
 * symbol's visibility. */
BD_VECTOR_CLONES
static void coefficients1(const float *mean, float *coef, size_t n, float eps)
{
    for (size_t i = 0; i < n; i++) {
        const float *m = mean + 4 * i;
        float cov = m[GL_IP] - m[GL_I] * m[GL_P];
        float var = m[GL_II] - m[GL_I] * m[GL_I];
        float a = cov / (var + eps);
        coef[2 * i] = a;
        coef[2 * i + 1] = m[GL_P] - a * m[GL_I];
    }
}

BD_VECTOR_CLONES
static void coefficients3(const float *mean, float *coef, size_t n, float eps)
{
    for (size_t i = 0; i < n; i++) {
        const float *m = mean + GUIDED_TERMS * i;
        float m0 = m[GC_I0], m1 = m[GC_I1], m2 = m[GC_I2], mp = m[GC_P];
        /* Covariance of the guide (symmetric, regularised) and of guide
         * and input in the window. */
        float s00 = m[GC_I00] - m0 * m0 + eps, s01 = m[GC_I01] - m0 * m1, s02 = m[GC_I02] - m0 * m2;
        float s11 = m[GC_I11] - m1 * m1 + eps, s12 = m[GC_I12] - m1 * m2, s22 = m[GC_I22] - m2 * m2 + eps;
        float c0 = m[GC_I0P] - m0 * mp, c1 = m[GC_I1P] - m1 * mp, c2 = m[GC_I2P] - m2 * mp;
        /* a = S^-1 c by the adjugate; S is positive definite (eps > 0). */
        float k00 = s11 * s22 - s12 * s12, k01 = s02 * s12 - s01 * s22, k02 = s01 * s12 - s02 * s11;
        float k11 = s00 * s22 - s02 * s02, k12 = s01 * s02 - s00 * s12, k22 = s00 * s11 - s01 * s01;
        float inv_det = 1.0f / (s00 * k00 + s01 * k01 + s02 * k02);
        float a0 = (k00 * c0 + k01 * c1 + k02 * c2) * inv_det;
        float a1 = (k01 * c0 + k11 * c1 + k12 * c2) * inv_det;
        float a2 = (k02 * c0 + k12 * c1 + k22 * c2) * inv_det;
        float *out = coef + 4 * i;
        out[0] = a0;
        out[1] = a1;
        out[2] = a2;
        out[3] = mp - a0 * m0 - a1 * m1 - a2 * m2;
    }
}

BD_VECTOR_CLONES
static void apply_row1(float *q, const float *coef, const uint8_t *guide, int width)
{
    const float *a = coef, *b = coef + width;
    for (int x = 0; x < width; x++) {
        float v = a[x] * (guide[x] * (1.0f / 255.0f)) + b[x];
        q[x] = v < -1.0f ? -1.0f : v > 2.0f ? 2.0f : v;
    }
}

BD_VECTOR_CLONES
static void apply_row3(float *q, const float *coef, int width, const uint8_t *g0, const uint8_t *g1,
                       const uint8_t *g2, int step)
{
    const float *a0 = coef, *a1 = coef + width, *a2 = coef + 2 * width, *b = coef + 3 * width;
    for (int x = 0; x < width; x++) {
        float v = (a0[x] * g0[x * step] + a1[x] * g1[x * step] + a2[x] * g2[x * step]) * (1.0f / 255.0f) + b[x];
        q[x] = v < -1.0f ? -1.0f : v > 2.0f ? 2.0f : v;
    }
}

void bd_guided_coefficients1(const float *mean, float *coef, size_t n, float eps)
{
    coefficients1(mean, coef, n, eps);
}

void bd_guided_coefficients3(const float *mean, float *coef, size_t n, float eps)
{
    coefficients3(mean, coef, n, eps);
}

void bd_guided_apply_row(float *q, const float *coef, const uint8_t *guide, int width)
{
    apply_row1(q, coef, guide, width);
}

void bd_guided_apply_row3(float *q, const float *coef, int width, const uint8_t *g0, const uint8_t *g1,
                          const uint8_t *g2, int step)
{
    apply_row3(q, coef, width, g0, g1, g2, step);
}

/* A 4:2:0 chroma row at luma width: out[x] = in[(x + phase) / 2] (phase 1
 * when the row starts at an odd frame column). */
BD_VECTOR_CLONES
static void widen_chroma_row(uint8_t *out, const uint8_t *in, int width, int phase)
{
    if (phase && width > 0) {
        *out++ = *in++;
        width--;
    }
    int pairs = width / 2;
    for (int j = 0; j < pairs; j++) {
        out[2 * j] = in[j];
        out[2 * j + 1] = in[j];
    }
    if (width % 2)
        out[width - 1] = in[pairs];
}

BD_VECTOR_CLONES
static void luma_row(uint8_t *out, const uint8_t *rgb, int width, int r, int b)
{
    for (int x = 0; x < width; x++)
        out[x] = (uint8_t)((77 * rgb[3 * x + r] + 150 * rgb[3 * x + 1] + 29 * rgb[3 * x + b] + 128) >> 8);
}

void bd_packed_luma_row(uint8_t *out, const uint8_t *px, int width, int bgr)
{
    luma_row(out, px, width, bgr ? 2 : 0, bgr ? 0 : 2);
}

/* ---- the stage --------------------------------------------------------- */

typedef struct GuidedOptions {
    float threshold;
    float softness;
    int guide;   /* GUIDE_LUMA, GUIDE_COLOR */
    int radius;
    float eps;
} GuidedOptions;

enum { GUIDE_LUMA, GUIDE_COLOR };
static const char *const guide_choices[] = { "luma", "color", NULL };

/* Frame columns [x0, x1) of the placement, all FLAT_0, FLAT_255 or MIXED. */
typedef struct GuidedRun {
    int x0, x1, kind;
} GuidedRun;

typedef struct Guided {
    GuidedOptions opts;
    int active;                /* the method hands on a soft map */
    int width, height;
    BackdropPixelFormat format;
    int channels;              /* of the guide: 1 (luma) or 3 */
    int terms;                 /* values per grid pixel: 4 (luma) or GUIDED_TERMS */
    BdPlacement place;
    int map_w;
    int grid_w, grid_h;        /* the working grid over place's frame rectangle */
    int radius;                /* box radius in grid pixels */
    /* frame rectangle -> grid, area: Y (and U, V), or packed (3 channels) */
    BdScaler guide_down[3];
    BdScaler map_up;           /* map rectangle -> grid, bilinear (a copy when the sizes agree) */
    /* Bilinear taps, half-pixel centres, grid -> frame rectangle: frame
     * column x blends grid columns col_j0/col_j1 by col_f (row y likewise);
     * col_start[j]: the first column whose col_j0 is j (grid_w + 1 of
     * them). */
    int *col_j0, *col_j1, *col_start, *row_i0, *row_i1;
    float *col_f, *row_f;
    /* Per grid pixel, interleaved: */
    float *term;               /* ring of 2 radius + 2 grid rows: the guide's channels / 255, p,
                                * their products (GC_* or GL_*) */
    float *mean;               /* one grid row of their box means */
    float *coef;               /* a (channels), b */
    float *coef_mean;          /* their box means: what is upsampled */
    uint8_t *flat;             /* per grid pixel: FLAT_0, FLAT_255 or MIXED (see output_rows) */
    uint8_t *row_flat;         /* per grid column, for one pair of grid rows */
    GuidedRun *runs;           /* the column runs of that pair (at most grid_w) */
    int run_count;
    float *blend_row;          /* (channels + 1) planes of grid_w: coefficients blended between two grid rows */
    float *scratch;            /* bd_box_mean's */
    float *line;               /* 4 x max(grid_w, frame width) */
    float *q;                  /* one frame row of q */
    uint8_t *row[3];           /* one frame row of the guide's channels, where not in the frame as is */
} Guided;

#define FIELD(f) offsetof(GuidedOptions, f)
static const BdOption guided_options[] = {
    { { "threshold", "person probability where alpha is half", BACKDROP_OPTION_FLOAT, "0.5", 0, 1,
        NULL, BACKDROP_OPTION_RUNTIME }, FIELD(threshold), 0 },
    { { "softness", "probability range of the soft edge (0: a hard cut)", BACKDROP_OPTION_FLOAT, "0.2", 0, 1,
        NULL, BACKDROP_OPTION_RUNTIME }, FIELD(softness), 0 },
    { { "guide", "what the guided filter follows: the frame's colour, or its luma only (cheaper)",
        BACKDROP_OPTION_CHOICE, "color", 0, 0, guide_choices, BACKDROP_OPTION_RUNTIME }, FIELD(guide), 1 },
    { { "radius", "window radius of the guided filter in frame pixels (0: six pixels of the soft map, two "
        "with guide luma)", BACKDROP_OPTION_INT, "0", 0, 256, NULL, BACKDROP_OPTION_RUNTIME }, FIELD(radius), 1 },
    { { "eps", "regularisation of the guided filter: larger follows only stronger edges",
        BACKDROP_OPTION_FLOAT, "0.0001", 1e-5, 1, NULL, BACKDROP_OPTION_RUNTIME }, FIELD(eps), 0 },
};

static void guided_uninit(void *opaque)
{
    Guided *g = opaque;
    for (int c = 0; c < 3; c++) {
        bd_scaler_free(&g->guide_down[c]);
        free(g->row[c]);
    }
    bd_scaler_free(&g->map_up);
    free(g->col_j0);
    free(g->col_j1);
    free(g->col_start);
    free(g->col_f);
    free(g->row_i0);
    free(g->row_i1);
    free(g->row_f);
    free(g->flat);
    free(g->row_flat);
    free(g->runs);
    free(g->blend_row);
    free(g->term);
    free(g->mean);
    free(g->coef);
    free(g->coef_mean);
    free(g->scratch);
    free(g->line);
    free(g->q);
    GuidedOptions keep = g->opts;
    memset(g, 0, sizeof(*g));
    g->opts = keep;
}

/* Bilinear taps with half-pixel centres from n grid samples to length
 * frame samples; values hold beyond the outer centres (as BD_KERNEL_BILINEAR). */
static int bilinear_taps(int n, int length, int **j0, int **j1, float **f)
{
    *j0 = malloc(sizeof(int) * (size_t)length);
    *j1 = malloc(sizeof(int) * (size_t)length);
    *f = malloc(sizeof(float) * (size_t)length);
    if (!*j0 || !*j1 || !*f)
        return BACKDROP_ENOMEM;
    for (int x = 0; x < length; x++) {
        double s = (x + 0.5) * n / length - 0.5;
        int i = s <= 0 ? 0 : (int)s;
        double frac = s <= 0 ? 0 : s - i;
        if (i >= n - 1) {
            i = n - 1;
            frac = 0;
        }
        (*j0)[x] = i;
        (*j1)[x] = i + 1 < n ? i + 1 : n - 1;
        (*f)[x] = (float)frac;
    }
    return 0;
}

static int guided_init(void *opaque, const BdEnv *env, const BdShape *shape, BdMatteInfo *info)
{
    Guided *g = opaque;
    guided_uninit(g);
    g->active = info->soft_w > 0;
    g->width = shape->width;
    g->height = shape->height;
    g->format = shape->format;
    if (!g->active)
        return 0;
    const BdPlacement *p = &info->place;
    g->place = *p;
    g->map_w = info->soft_w;
    g->channels = g->opts.guide == GUIDE_COLOR ? 3 : 1;
    g->terms = g->channels == 3 ? GUIDED_TERMS : 4;
    /* The grid is the map's own resolution (no finer than the frame):
     * measured on ../shared/data, a grid of the frame's resolution scores
     * the same, at several times the cost. */
    g->grid_w = p->src_w < p->dst_w ? p->src_w : p->dst_w;
    g->grid_h = p->src_h < p->dst_h ? p->src_h : p->dst_h;
    double grid_per_frame = (double)g->grid_h / p->dst_h;
    double map_pixels = g->channels == 3 ? 6.0 : 2.0; /* the measured best of each guide */
    double radius = g->opts.radius > 0 ? g->opts.radius * grid_per_frame : map_pixels * g->grid_h / p->src_h;
    g->radius = radius < 1 ? 1 : (int)lround(radius);

    int yuv = shape->format == BACKDROP_PIXFMT_YUV420P;
    BdScaleRect frame_rect = { p->dst_x, p->dst_y, p->dst_w, p->dst_h };
    BdScaleRect chroma_rect = { p->dst_x / 2.0, p->dst_y / 2.0, p->dst_w / 2.0, p->dst_h / 2.0 };
    BdScaleRect map_rect = { p->src_x, p->src_y, p->src_w, p->src_h };
    int err = bd_scaler_init(&g->guide_down[0], BD_KERNEL_AREA, yuv ? 1 : 3, shape->width, shape->height,
                             frame_rect, g->grid_w, g->grid_h);
    for (int c = 1; c < 3 && yuv && g->channels == 3 && err >= 0; c++)
        err = bd_scaler_init(&g->guide_down[c], BD_KERNEL_AREA, 1, (shape->width + 1) / 2, (shape->height + 1) / 2,
                             chroma_rect, g->grid_w, g->grid_h);
    if (err >= 0)
        err = bd_scaler_init(&g->map_up, BD_KERNEL_BILINEAR, 1, info->soft_w, info->soft_h, map_rect, g->grid_w,
                             g->grid_h);
    if (err < 0)
        return err;
    if ((err = bilinear_taps(g->grid_w, p->dst_w, &g->col_j0, &g->col_j1, &g->col_f)) < 0 ||
        (err = bilinear_taps(g->grid_h, p->dst_h, &g->row_i0, &g->row_i1, &g->row_f)) < 0)
        return err;
    if (!(g->col_start = malloc(sizeof(int) * (size_t)(g->grid_w + 1))))
        return BACKDROP_ENOMEM;
    for (int j = 0, x = 0; j <= g->grid_w; j++) {
        while (x < p->dst_w && g->col_j0[x] < j)
            x++;
        g->col_start[j] = j == g->grid_w ? p->dst_w : x;
    }
    size_t grid = (size_t)g->grid_w * g->grid_h;
    int longest = g->grid_w > p->dst_w ? g->grid_w : p->dst_w;
    g->term = malloc(sizeof(float) * (size_t)(2 * g->radius + 2) * (size_t)g->grid_w * (size_t)g->terms);
    g->mean = malloc(sizeof(float) * (size_t)g->grid_w * (size_t)g->terms);
    g->coef = malloc(sizeof(float) * grid * (size_t)(g->channels + 1));
    g->coef_mean = malloc(sizeof(float) * grid * (size_t)(g->channels + 1));
    g->scratch = malloc(bd_box_mean_scratch(g->grid_w, g->terms));
    g->flat = malloc(grid);
    g->row_flat = malloc((size_t)g->grid_w);
    g->runs = malloc(sizeof(GuidedRun) * (size_t)g->grid_w);
    g->blend_row = malloc(sizeof(float) * (size_t)g->grid_w * (size_t)(g->channels + 1));
    g->line = malloc(sizeof(float) * 4 * (size_t)longest);
    g->q = malloc(sizeof(float) * (size_t)p->dst_w);
    if (!g->term || !g->mean || !g->coef || !g->coef_mean || !g->scratch || !g->line || !g->q || !g->flat ||
        !g->row_flat || !g->runs || !g->blend_row)
        return BACKDROP_ENOMEM;
    /* Rows of the guide made per frame row: luma of packed input, chroma
     * widened to luma width. */
    int rows = !yuv && g->channels == 1 ? 1 : yuv && g->channels == 3 ? 2 : 0;
    for (int c = 0; c < rows; c++)
        if (!(g->row[c] = malloc((size_t)p->dst_w)))
            return BACKDROP_ENOMEM;
    return 0;
}

/* The guide on the working grid (channels / 255) and p, with their
 * products, interleaved per grid pixel. */
/* The GUIDED_TERMS values of one grid pixel with guide (i0, i1, i2) and
 * input pr. */
static inline void colour_terms(float *t, float i0, float i1, float i2, float pr)
{
    t[GC_I0] = i0;
    t[GC_I1] = i1;
    t[GC_I2] = i2;
    t[GC_P] = pr;
    t[GC_I0P] = i0 * pr;
    t[GC_I1P] = i1 * pr;
    t[GC_I2P] = i2 * pr;
    t[GC_I00] = i0 * i0;
    t[GC_I01] = i0 * i1;
    t[GC_I02] = i0 * i2;
    t[GC_I11] = i1 * i1;
    t[GC_I12] = i1 * i2;
    t[GC_I22] = i2 * i2;
    t[13] = t[14] = t[15] = 0.0f;
}

/* The colour terms of grid row y from the method's picture (RGB, aligned
 * with the map, which is the grid), with no resampling at all. */
static void picture_terms_row(const Guided *g, const BdMatte *m, int y, float *t)
{
    const BdPlacement *p = &g->place;
    const float *pic = m->picture + 3 * ((size_t)(p->src_y + y) * g->map_w + p->src_x);
    const float *prob = m->soft + (size_t)(p->src_y + y) * g->map_w + p->src_x;
    for (int x = 0; x < g->grid_w; x++, t += GUIDED_TERMS, pic += 3) {
        colour_terms(t, pic[0], pic[1], pic[2], prob[x]);
    }
}

/* The fit on the picture's channels regularised as the fit on the frame's
 * own: with picture = M frame + t (M the linear part of picture_affine),
 * the picture's covariance is M S M^T, and (M S M^T + eps M M^T)^-1 gives,
 * through picture_to_frame, exactly the frame's (S + eps I)^-1. So eps
 * means the same with and without a picture. coefficients3 adds eps I;
 * this adds the rest, eps (M M^T - I), to the means of the guide's
 * products (nothing for packed RGB, whose M is a permutation). */
static void picture_regularise(float *mean, int w, const float m[3][4], float eps)
{
    static const int terms[3][3] = { { GC_I00, GC_I01, GC_I02 }, { GC_I01, GC_I11, GC_I12 },
                                     { GC_I02, GC_I12, GC_I22 } };
    float add[3][3];
    int any = 0;
    for (int k = 0; k < 3; k++)
        for (int l = 0; l < 3; l++) {
            float v = m[k][0] * m[l][0] + m[k][1] * m[l][1] + m[k][2] * m[l][2] - (k == l ? 1.0f : 0.0f);
            add[k][l] = eps * v;
            any |= v != 0.0f;
        }
    if (!any)
        return;
    for (int x = 0; x < w; x++, mean += GUIDED_TERMS)
        for (int k = 0; k < 3; k++)
            for (int l = k; l < 3; l++)
                mean[terms[k][l]] += add[k][l];
}

/* Coefficients fitted on the picture's channels, made into coefficients
 * on the frame's: a'_k = sum_c a_c m[c][k], b' = b + sum_c a_c m[c][3]. */
static void picture_to_frame(float *coef, int w, const float m[3][4])
{
    for (int x = 0; x < w; x++, coef += 4) {
        float a0 = coef[0], a1 = coef[1], a2 = coef[2];
        for (int k = 0; k < 4; k++) {
            float v = a0 * m[0][k] + a1 * m[1][k] + a2 * m[2][k];
            coef[k] = k < 3 ? v : coef[3] + v;
        }
    }
}

static void terms_row(Guided *g, const BackdropFrame *in, const float *soft, int y, float *t)
{
    int w = g->grid_w, yuv = g->format == BACKDROP_PIXFMT_YUV420P;
    float *chan[3] = { g->line, g->line + w, g->line + 2 * w }, *prob = g->line + 3 * w;
    {
        bd_scaler_row_u8(&g->guide_down[0], y, in->data[0], in->stride[0], g->line);
        for (int c = 1; yuv && c < g->channels; c++)
            bd_scaler_row_u8(&g->guide_down[c], y, in->data[c], in->stride[c], chan[c]);
        bd_scaler_row_f32(&g->map_up, y, soft, g->map_w, prob);
        if (g->channels == 1) {
            const float *r = chan[0], *gr = chan[1], *b = chan[2];
            if (g->format == BACKDROP_PIXFMT_BGR24) {
                r = chan[2];
                b = chan[0];
            }
            for (int x = 0; x < w; x++, t += 4) {
                float i = yuv ? chan[0][x] * (1.0f / 255.0f)
                              : (77.0f * r[x] + 150.0f * gr[x] + 29.0f * b[x]) * (1.0f / (256.0f * 255.0f));
                t[GL_I] = i;
                t[GL_P] = prob[x];
                t[GL_IP] = i * prob[x];
                t[GL_II] = i * i;
            }
            return;
        }
        for (int x = 0; x < w; x++, t += GUIDED_TERMS) {
            colour_terms(t, chan[0][x] * (1.0f / 255.0f), chan[1][x] * (1.0f / 255.0f), chan[2][x] * (1.0f / 255.0f),
                         prob[x]);
        }
    }
}

/* The coefficients a, b of every grid row, streamed: the terms of a grid
 * row are made once, into a ring of the 2r + 2 rows a box window and its
 * successor span, added to the running column sums when the window
 * reaches them and subtracted when it leaves; each row of box means turns
 * into a row of coefficients at once. The terms (16 floats a grid pixel)
 * thus never exist as a whole picture, which at 455 x 256 would be 7 MB
 * written and read twice per frame: more than the arithmetic costs. */
static void fit_rows(Guided *g, const BackdropFrame *in, const BdMatte *m)
{
    /* The method's picture is the guide on the grid when the grid is the
     * map (the frame is larger than the map) and the guide is colour. */
    int picture = m->picture && g->channels == 3 && g->grid_w == g->place.src_w && g->grid_h == g->place.src_h;
    int w = g->grid_w, h = g->grid_h, r = g->radius, slots = 2 * r + 2;
    size_t row = (size_t)w * g->terms;
    float *col = g->scratch, *inv_cols = g->scratch + row;
    for (int x = 0; x < w; x++)
        inv_cols[x] = 1.0f / (float)((x + r < w ? x + r : w - 1) - (x - r > 0 ? x - r : 0) + 1);
    memset(col, 0, sizeof(float) * row);
    int made = 0;
    for (int y = 0; y < h; y++) {
        for (; made <= y + r && made < h; made++) {
            float *slot = g->term + (size_t)(made % slots) * row;
            if (picture)
                picture_terms_row(g, m, made, slot);
            else
                terms_row(g, in, m->soft, made, slot);
            add_row(col, slot, (int)row);
        }
        if (y - r - 1 >= 0)
            sub_row(col, g->term + (size_t)((y - r - 1) % slots) * row, (int)row);
        float inv_rows = 1.0f / (float)((y + r < h ? y + r : h - 1) - (y - r > 0 ? y - r : 0) + 1);
        float *coef = g->coef + (size_t)y * w * (g->channels + 1);
        if (g->channels == 3) {
            box_row_16(g->mean, col, w, r, inv_cols, inv_rows);
            if (picture)
                picture_regularise(g->mean, w, m->picture_affine, g->opts.eps);
            bd_guided_coefficients3(g->mean, coef, (size_t)w, g->opts.eps);
            if (picture)
                picture_to_frame(coef, w, m->picture_affine);
        } else {
            box_row_4(g->mean, col, w, r, inv_cols, inv_rows);
            bd_guided_coefficients1(g->mean, coef, (size_t)w, g->opts.eps);
        }
    }
}

enum { FLAT_0, FLAT_255, MIXED };

/* out[x] = src[j0[x]] + f[x] (src[j1[x]] - src[j0[x]]): one coefficient
 * of a grid row spread over frame columns (gathers, where the target has
 * them). */
BD_VECTOR_CLONES
static void spread_row(float *out, const float *src, const int *j0, const int *j1, const float *f, int len)
{
    for (int x = 0; x < len; x++) {
        float a = src[j0[x]], b = src[j1[x]];
        out[x] = a + f[x] * (b - a);
    }
}

/* Marks the grid pixels whose coefficients give the same alpha whatever
 * the guide (each channel in [0, 1]): q = a . I + b lies within
 * [b + sum min(a_c, 0), b + sum max(a_c, 0)], and when all of that is at or
 * below the ramp's foot (or at or above its top), alpha is 0 (255). A
 * frame pixel blends four grid pixels with weights that sum to 1, so its q
 * is a convex combination of theirs for the same guide value: where all
 * four are flat alike, so is it, and its alpha is known without the guide.
 * Away from the person's edge nearly every pixel is flat; output_rows
 * fills those with memset and computes only the edge band. The margin
 * keeps float rounding of the blend from ever crossing the bound. */
static void mark_flat(Guided *g, float lo, float hi)
{
    const float margin = 1e-4f;
    int k = g->channels + 1;
    size_t n = (size_t)g->grid_w * g->grid_h;
    for (size_t i = 0; i < n; i++) {
        const float *c = g->coef_mean + i * k;
        float low = c[k - 1], high = c[k - 1];
        for (int ch = 0; ch < k - 1; ch++) {
            low += c[ch] < 0 ? c[ch] : 0;
            high += c[ch] > 0 ? c[ch] : 0;
        }
        g->flat[i] = high <= lo - margin ? FLAT_0 : low >= hi + margin ? FLAT_255 : MIXED;
    }
}

/* Frame columns [x0, x1) of frame row y, all of them blending grid
 * columns whose pixels are not flat alike: coefficients interpolated per
 * pixel, q, alpha. */
static void output_span(Guided *g, const BackdropFrame *in, int fy, int x0, int x1, uint8_t *alpha_row)
{
    const BdPlacement *p = &g->place;
    int k = g->channels + 1, len = x1 - x0, yuv = g->format == BACKDROP_PIXFMT_YUV420P;
    /* The blended grid row over the grid columns these pixels read. */
    const float *top = g->coef_mean + (size_t)g->row_i0[fy - p->dst_y] * g->grid_w * k;
    const float *bottom = g->coef_mean + (size_t)g->row_i1[fy - p->dst_y] * g->grid_w * k;
    float fv = g->row_f[fy - p->dst_y];
    int j_first = g->col_j0[x0], j_last = g->col_j1[x1 - 1];
    for (int j = j_first; j <= j_last; j++)
        for (int c = 0; c < k; c++)
            g->blend_row[c * g->grid_w + j] = top[j * k + c] + fv * (bottom[j * k + c] - top[j * k + c]);
    /* Planar per-pixel coefficients for the row kernels. */
    for (int c = 0; c < k; c++)
        spread_row(g->line + c * len, g->blend_row + c * g->grid_w, g->col_j0 + x0, g->col_j1 + x0, g->col_f + x0,
                   len);
    int fx = p->dst_x + x0;
    const uint8_t *row = in->data[0] + (ptrdiff_t)fy * in->stride[0];
    if (g->channels == 3 && yuv) {
        /* Chroma of the 2x2 block, widened (an odd column starts mid-block). */
        for (int c = 1; c < 3; c++)
            widen_chroma_row(g->row[c - 1], in->data[c] + (ptrdiff_t)(fy / 2) * in->stride[c] + fx / 2, len,
                             fx % 2);
        bd_guided_apply_row3(g->q, g->line, len, row + fx, g->row[0], g->row[1], 1);
    } else if (g->channels == 3) {
        const uint8_t *px = row + 3 * fx;
        bd_guided_apply_row3(g->q, g->line, len, px, px + 1, px + 2, 3);
    } else {
        const uint8_t *guide = row + fx;
        if (!yuv) {
            bd_packed_luma_row(g->row[0], row + 3 * fx, len, g->format == BACKDROP_PIXFMT_BGR24);
            guide = g->row[0];
        }
        bd_guided_apply_row(g->q, g->line, guide, len);
    }
    nn_prob_to_alpha_row(alpha_row + fx, g->q, len, g->opts.threshold, g->opts.softness);
}

/* The column runs of frame rows that blend grid rows i0 and i1: runs of
 * frame columns flat alike, and runs to compute; into g->runs. The pixels
 * of grid column j blend it with column j + 1 (the last with itself). */
static void find_runs(Guided *g, int i0, int i1)
{
    int gw = g->grid_w;
    const uint8_t *top = g->flat + (size_t)i0 * gw, *bottom = g->flat + (size_t)i1 * gw;
    uint8_t *kind = g->row_flat;
    for (int j = 0; j < gw; j++)
        kind[j] = top[j] == bottom[j] ? top[j] : MIXED;
    for (int j = 0; j + 1 < gw; j++)
        kind[j] = kind[j] == kind[j + 1] ? kind[j] : MIXED;
    g->run_count = 0;
    for (int j = 0; j < gw;) {
        int end = j + 1;
        while (end < gw && kind[end] == kind[j])
            end++;
        int x0 = g->col_start[j], x1 = g->col_start[end];
        if (x1 > x0)
            g->runs[g->run_count++] = (GuidedRun){ x0, x1, kind[j] };
        j = end;
    }
}

/* The alpha of the placement's rectangle: runs of frame columns that are
 * flat alike (mark_flat) in one memset, the rest by output_span. */
static void output_rows(Guided *g, const BackdropFrame *in, BdMatte *m)
{
    const BdPlacement *p = &g->place;
    float soft = g->opts.softness;
    mark_flat(g, g->opts.threshold - soft / 2, g->opts.threshold + soft / 2);
    int last_i0 = -1, last_i1 = -1;
    for (int y = 0; y < p->dst_h; y++) {
        int fy = p->dst_y + y;
        uint8_t *alpha_row = m->alpha + fy * m->alpha_stride;
        /* Several frame rows blend the same two grid rows. */
        if (g->row_i0[y] != last_i0 || g->row_i1[y] != last_i1) {
            last_i0 = g->row_i0[y];
            last_i1 = g->row_i1[y];
            find_runs(g, last_i0, last_i1);
        }
        for (int r = 0; r < g->run_count; r++) {
            const GuidedRun *run = &g->runs[r];
            if (run->kind == MIXED)
                output_span(g, in, fy, run->x0, run->x1, alpha_row);
            else
                memset(alpha_row + p->dst_x + run->x0, run->kind == FLAT_255 ? 255 : 0, (size_t)(run->x1 - run->x0));
        }
    }
}

static int guided_run(void *opaque, const BdEnv *env, BdFrameJob *job)
{
    Guided *g = opaque;
    BdMatte *m = &job->matte;
    if (!g->active || !m->soft)
        return 0;
    const BdPlacement *p = &g->place;
    fit_rows(g, job->in, m);
    bd_box_mean(g->coef, g->coef_mean, g->grid_w, g->grid_h, g->channels + 1, g->radius, g->scratch);

    bd_matte_clear_outside(m, p, g->width, g->height);
    output_rows(g, job->in, m);
    m->alpha_valid = 1;
    return 0;
}

const BdComponent bd_refine_guided = {
    .pub = { "guided", BD_KIND(BD_STAGE_REFINE), "fast guided filter: the soft map follows the frame's edges" },
    .priv_size = sizeof(Guided),
    .options = guided_options,
    .option_count = sizeof(guided_options) / sizeof(guided_options[0]),
    .options_offset = offsetof(Guided, opts),
    .init = guided_init,
    .run = guided_run,
    .uninit = guided_uninit,
};
