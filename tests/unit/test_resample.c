/*
 * src/nn/resample.c (frame <-> tensor for the neural method) against naive
 * double-precision implementations written here.
 *
 * Frame -> tensor. The reference works per output value: it computes the
 * destination pixel's source interval on each axis, then loops over the
 * source pixels it overlaps, weighting each by its overlap (area, when the
 * axis shrinks: span / length > 1), or takes the textbook bilinear
 * interpolation between the two nearest source centres (half-pixel
 * centres, coordinates clamped to the line: when the axis enlarges). The
 * choice is made per axis and per plane: chroma lives on its own half-size
 * grid (chroma sample c covers luma [2c, 2c + 2), so the luma interval
 * [a, b) is [a/2, b/2) there). YUV is converted to RGB per value in double
 * with the BT.601 / BT.709, limited / full formulas written out below.
 *
 * Tolerances (absolute, on tensor values in [0, 1]):
 *  - RGB24 / BGR24: 1e-4. The library accumulates in float (weights
 *    rounded to float, sums of up to a few thousand products of size
 *    <= 255); the error is a few float ulps of 255, i.e. ~1e-6 after
 *    the / 255. Measured: at most 5.6e-7 (each test prints its
 *    "max |error|" in the test log).
 *  - YUV420P against the reference that resamples Y, U, V and then
 *    converts (clamping to [0, 1]), which is what the header specifies:
 *    1e-4 as well. The extra float steps (the coefficients rounded to
 *    float, relative error ~1e-7, times |U - 128|, |V - 128| <= 128) add
 *    less than 1e-6. Measured: at most 4.0e-7.
 *  - YUV420P against "convert every source pixel (its chroma sample
 *    upsampled by replication), then average": the affine YUV->RGB map
 *    commutes with any weighted mean whose weights sum to 1, so the two
 *    agree exactly in exact arithmetic as long as (a) chroma is area-
 *    weighted too, i.e. the luma shrink ratio exceeds 2 on both axes, and
 *    (b) no source pixel's RGB leaves [0, 255] (per-pixel clamping does
 *    not commute with averaging). The test uses content that stays in
 *    gamut (checked: no source pixel clamps) and ratios > 2, and holds
 *    the same 1e-4 (measured: 3.3e-7). On random YUV, where most pixels
 *    clamp, the two references differ by up to 0.35; that gap is
 *    printed, not checked.
 *  - Uniform white / black frames: the constant within 1e-5, and every
 *    value inside [0, 1] (float weights do not sum to exactly 1).
 *
 * Tensor -> alpha: the reference interpolates the map bilinearly in double
 * (half-pixel centres, edge clamp) and applies
 * alpha = clamp(round(255 (p - (t - s/2)) / s), 0, 255), or p > t for
 * s = 0. The library's float result must equal it exactly, except
 *  - s > 0: a difference of 1 where the exact value lies within 1e-3 of a
 *    half (float interpolation error ~1e-7, times 255/s <= 1275, is
 *    ~2e-4 alpha units);
 *  - s = 0: where |p - t| < 1e-6 and the four map values differ (float
 *    interpolation may land on either side of t); where they are equal
 *    the float interpolation is exact and so must be the step.
 * Both kinds together: at most 0.1% of the pixels of a test (measured:
 * 667 halves in 8.85 million pixels, 0.0075%; no hard-step flips).
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backdrop/backdrop.h"
#include "nn/resample.h"
#include "suites.h"
#include "util.h"

#define TENSOR_TOLERANCE 1e-4
#define SENTINEL (-7.25f)

/* ---- naive frame -> tensor --------------------------------------------- */

#define AXIS_MAX 1100

/* Source samples (index, weight) that make destination pixel d of a line
 * of 'length' pixels covering [start, start + span) of 'limit' samples. */
typedef struct NaiveAxis {
    int count;
    int index[AXIS_MAX];
    double weight[AXIS_MAX];
} NaiveAxis;

static void naive_axis(NaiveAxis *a, int d, int length, double start, double span, int limit)
{
    double scale = span / length;
    a->count = 0;
    if (scale > 1.0) {
        /* Area: every sample the interval [lo, hi) overlaps, by overlap. */
        double lo = start + d * scale, hi = start + (d + 1) * scale;
        for (int i = (int)floor(lo); i < hi; i++) {
            double overlap = fmin(hi, i + 1.0) - fmax(lo, (double)i);
            if (overlap <= 0.0)
                continue;
            /* Only rounding can push i out of the line (by a sliver). */
            a->index[a->count] = i < 0 ? 0 : i >= limit ? limit - 1 : i;
            a->weight[a->count] = overlap / (hi - lo);
            a->count++;
        }
    } else {
        /* Bilinear: centre of d mapped to the source, clamped to the line. */
        double u = start + (d + 0.5) * scale - 0.5;
        u = u < 0.0 ? 0.0 : u > limit - 1 ? limit - 1 : u;
        int i0 = (int)floor(u), i1 = i0 + 1 < limit ? i0 + 1 : i0;
        double f = u - i0;
        a->index[0] = i0;
        a->weight[0] = 1.0 - f;
        a->index[1] = i1;
        a->weight[1] = f;
        a->count = 2;
    }
}

/* R'G'B' (0..255, unclamped) of one Y'CbCr sample, formulas written out. */
static void naive_yuv_to_rgb(double y, double u, double v, BackdropColorRange range, BackdropColorMatrix matrix,
                             double rgb[3])
{
    double luma, pb, pr;
    if (range == BACKDROP_RANGE_FULL) {
        luma = y;
        pb = u - 128.0;
        pr = v - 128.0;
    } else {
        luma = (y - 16.0) * 255.0 / 219.0;
        pb = (u - 128.0) * 255.0 / 224.0;
        pr = (v - 128.0) * 255.0 / 224.0;
    }
    if (matrix == BACKDROP_MATRIX_BT709) {
        /* Kr = 0.2126, Kb = 0.0722 */
        rgb[0] = luma + 1.5748 * pr;
        rgb[1] = luma - 0.18732427293064877 * pb - 0.46812427293064877 * pr;
        rgb[2] = luma + 1.8556 * pb;
    } else {
        /* Kr = 0.299, Kb = 0.114 */
        rgb[0] = luma + 1.402 * pr;
        rgb[1] = luma - 0.34413628620102216 * pb - 0.71413628620102216 * pr;
        rgb[2] = luma + 1.772 * pb;
    }
}

static double clamp01(double v)
{
    return v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
}

/* Weighted sum of byte 'offset' of samples 'step' bytes apart in plane p. */
static double naive_sum(const BackdropFrame *f, int p, int step, int offset, const NaiveAxis *ax,
                        const NaiveAxis *ay)
{
    double sum = 0.0;
    for (int j = 0; j < ay->count; j++) {
        const uint8_t *row = sample(f, p, 0, ay->index[j]);
        for (int i = 0; i < ax->count; i++)
            sum += ay->weight[j] * ax->weight[i] * row[ax->index[i] * step + offset];
    }
    return sum;
}

typedef enum {
    AVERAGE_THEN_CONVERT, /* the specification: planes resampled, then converted */
    CONVERT_THEN_AVERAGE, /* every luma pixel converted with its chroma sample first */
} YuvOrder;

/* The expected dst_w x dst_h x 3 values. CONVERT_THEN_AVERAGE counts the
 * source pixels whose RGB had to be clamped into *clamped. */
static void naive_tensor(const BackdropFrame *f, BackdropColorRange range, BackdropColorMatrix matrix, NnRect src,
                         int dst_w, int dst_h, YuvOrder order, double *want, long *clamped)
{
    static NaiveAxis ax, ay, cx, cy;
    int cw = (f->width + 1) / 2, ch = (f->height + 1) / 2;
    for (int dy = 0; dy < dst_h; dy++) {
        naive_axis(&ay, dy, dst_h, src.y, src.h, f->height);
        naive_axis(&cy, dy, dst_h, src.y / 2, src.h / 2, ch);
        for (int dx = 0; dx < dst_w; dx++) {
            double *out = want + ((size_t)dy * dst_w + dx) * 3;
            naive_axis(&ax, dx, dst_w, src.x, src.w, f->width);
            naive_axis(&cx, dx, dst_w, src.x / 2, src.w / 2, cw);
            if (f->format != BACKDROP_PIXFMT_YUV420P) {
                double sum[3] = { 0, 0, 0 };
                for (int j = 0; j < ay.count; j++)
                    for (int i = 0; i < ax.count; i++) {
                        int rgb[3];
                        get_rgb(f, ax.index[i], ay.index[j], rgb);
                        for (int c = 0; c < 3; c++)
                            sum[c] += ay.weight[j] * ax.weight[i] * rgb[c];
                    }
                for (int c = 0; c < 3; c++)
                    out[c] = sum[c] / 255.0;
            } else if (order == AVERAGE_THEN_CONVERT) {
                double rgb[3];
                naive_yuv_to_rgb(naive_sum(f, 0, 1, 0, &ax, &ay), naive_sum(f, 1, 1, 0, &cx, &cy),
                                 naive_sum(f, 2, 1, 0, &cx, &cy), range, matrix, rgb);
                for (int c = 0; c < 3; c++)
                    out[c] = clamp01(rgb[c] / 255.0);
            } else {
                double sum[3] = { 0, 0, 0 };
                for (int j = 0; j < ay.count; j++)
                    for (int i = 0; i < ax.count; i++) {
                        int x = ax.index[i], y = ay.index[j];
                        double rgb[3];
                        naive_yuv_to_rgb(*sample(f, 0, x, y), *sample(f, 1, x / 2, y / 2),
                                         *sample(f, 2, x / 2, y / 2), range, matrix, rgb);
                        for (int c = 0; c < 3; c++) {
                            if (rgb[c] < 0.0 || rgb[c] > 255.0)
                                (*clamped)++;
                            sum[c] += ay.weight[j] * ax.weight[i] * (rgb[c] < 0 ? 0 : rgb[c] > 255 ? 255 : rgb[c]);
                        }
                    }
                for (int c = 0; c < 3; c++)
                    out[c] = sum[c] / 255.0;
            }
        }
    }
}

/* ---- running the library ------------------------------------------------ */

static void free_to_tensor(void *ptr)
{
    nn_frame_to_tensor_free(ptr);
}

typedef struct TensorCase {
    NnRect src;
    int tensor_w, tensor_h;
    int dst_x, dst_y, dst_w, dst_h;
} TensorCase;

/* Largest error of the current test, printed at its end. */
static double max_error;
static size_t values_checked;

/* Runs the library on f for case k (tensor prefilled with SENTINEL), checks
 * every value of the destination rectangle against the reference within
 * tol, the padding bit for bit, and that the values lie in [0, 1]. */
static int check_tensor(const BackdropFrame *f, BackdropColorRange range, BackdropColorMatrix matrix,
                        const TensorCase *k, YuvOrder order, double tol)
{
    NnFrameToTensor *p = unit_alloc(sizeof(*p));
    CHECK_INT(nn_frame_to_tensor_init(p, f->format, range, matrix, f->width, f->height, k->src, k->tensor_w,
                                      k->dst_x, k->dst_y, k->dst_w, k->dst_h),
              0);
    unit_defer(free_to_tensor, p);
    size_t n = (size_t)k->tensor_w * k->tensor_h * 3;
    float *tensor = unit_alloc(sizeof(float) * n);
    for (size_t i = 0; i < n; i++)
        tensor[i] = SENTINEL;
    /* Twice: the second run must not depend on what the first left in the
     * scratch buffers. */
    nn_frame_to_tensor_run(p, f, tensor);
    nn_frame_to_tensor_run(p, f, tensor);

    double *want = unit_alloc(sizeof(double) * (size_t)k->dst_w * k->dst_h * 3);
    long clamped = 0;
    naive_tensor(f, range, matrix, k->src, k->dst_w, k->dst_h, order, want, &clamped);
    CHECK(clamped == 0, "%ld source values out of gamut: content unfit for CONVERT_THEN_AVERAGE", clamped);

    const char *fmt = f->format == BACKDROP_PIXFMT_RGB24 ? "RGB24" : f->format == BACKDROP_PIXFMT_BGR24 ? "BGR24"
                                                                                                       : "YUV420P";
    for (int y = 0; y < k->tensor_h; y++) {
        for (int x = 0; x < k->tensor_w; x++) {
            int inside = x >= k->dst_x && x < k->dst_x + k->dst_w && y >= k->dst_y && y < k->dst_y + k->dst_h;
            for (int c = 0; c < 3; c++) {
                float got = tensor[((size_t)y * k->tensor_w + x) * 3 + c];
                if (!inside) {
                    CHECK(memcmp(&got, &(float){ SENTINEL }, sizeof(float)) == 0,
                          "%s %dx%d: padding (%d, %d) channel %d overwritten with %g", fmt, f->width, f->height, x,
                          y, c, got);
                    continue;
                }
                double e = want[((size_t)(y - k->dst_y) * k->dst_w + (x - k->dst_x)) * 3 + c];
                double err = fabs(got - e);
                CHECK(err <= tol,
                      "%s %dx%d src (%g, %g, %g, %g) -> %dx%d: tensor (%d, %d) channel %d is %.9g, expected %.9g",
                      fmt, f->width, f->height, k->src.x, k->src.y, k->src.w, k->src.h, k->dst_w, k->dst_h, x, y,
                      c, got, e);
                CHECK(got >= 0.0f && got <= 1.0f, "%s: tensor (%d, %d) channel %d is %.9g, outside [0, 1]", fmt,
                      x, y, c, got);
                max_error = err > max_error ? err : max_error;
                values_checked++;
            }
        }
    }
    return UNIT_PASS;
}

static TensorCase whole(const BackdropFrame *f, int dst_w, int dst_h)
{
    TensorCase k = { { 0, 0, f->width, f->height }, dst_w, dst_h, 0, 0, dst_w, dst_h };
    return k;
}

static int report_error(const char *what)
{
    printf("%s: max |error| %.3g over %zu tensor values\n", what, max_error, values_checked);
    return UNIT_PASS;
}

/* Random YUV limited to a box that stays in gamut for both matrices and
 * both ranges: Y 60..187, U and V 128 +- 10. (BT.601 limited, the widest:
 * R = 1.164 (Y - 16) + 1.596 (V - 128) lies in 35..224.) */
static void fill_in_gamut(const BackdropFrame *f, uint32_t *seed)
{
    for (int p = 0; p < 3; p++)
        for (int y = 0; y < plane_height(f, p); y++)
            for (int x = 0; x < plane_width(f, p); x++) {
                int r = lcg_byte(seed);
                *sample(f, p, x, y) = (uint8_t)(p == 0 ? 60 + r / 2 : 118 + r % 21);
            }
}

static BackdropFrame yuv_frame(int w, int h, BackdropColorRange range, BackdropColorMatrix matrix)
{
    BackdropFrame f = frame_new(BACKDROP_PIXFMT_YUV420P, w, h);
    f.range = range;
    f.matrix = matrix;
    return f;
}

/* ---- frame -> tensor tests ---------------------------------------------- */

/* Whole odd-sized frames, integer ratios per axis (333 = 3 x 111 = 9 x 37,
 * 187 = 11 x 17), including 1 x 1 and one-row / one-column tensors. */
static int test_resample_rgb_integer_shrink(void)
{
    const int sizes[][2] = { { 111, 17 }, { 37, 17 }, { 111, 187 }, { 333, 17 }, { 1, 1 }, { 333, 1 }, { 1, 187 },
                             { 37, 11 } };
    uint32_t seed = 11;
    for (int fmt = 0; fmt < 2; fmt++) {
        BackdropFrame f = frame_new(fmt ? BACKDROP_PIXFMT_BGR24 : BACKDROP_PIXFMT_RGB24, 333, 187);
        fill_random(&f, &seed);
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
            TensorCase k = whole(&f, sizes[i][0], sizes[i][1]);
            TRY(check_tensor(&f, f.range, f.matrix, &k, AVERAGE_THEN_CONVERT, TENSOR_TOLERANCE));
        }
    }
    return report_error("rgb integer shrink");
}

/* Fractional ratios: 333 x 187 -> 100 x 60 (3.33, 3.12), -> 256 x 144
 * (1.30 both), -> 332 x 186 (just above 1), -> 7 x 5, -> 2 x 3. */
static int test_resample_rgb_fractional_shrink(void)
{
    const int sizes[][2] = { { 100, 60 }, { 256, 144 }, { 7, 5 }, { 332, 186 }, { 160, 93 }, { 2, 3 } };
    uint32_t seed = 12;
    for (int fmt = 0; fmt < 2; fmt++) {
        BackdropFrame f = frame_new(fmt ? BACKDROP_PIXFMT_BGR24 : BACKDROP_PIXFMT_RGB24, 333, 187);
        fill_random(&f, &seed);
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
            TensorCase k = whole(&f, sizes[i][0], sizes[i][1]);
            TRY(check_tensor(&f, f.range, f.matrix, &k, AVERAGE_THEN_CONVERT, TENSOR_TOLERANCE));
        }
    }
    return report_error("rgb fractional shrink");
}

/* The same pixels packed as RGB24 and as BGR24 give the same tensor, in
 * R, G, B order; and a pure red / green / blue frame gives (1,0,0) etc. */
static int test_resample_channel_order(void)
{
    BackdropFrame rgb = frame_new(BACKDROP_PIXFMT_RGB24, 47, 29);
    BackdropFrame bgr = frame_new(BACKDROP_PIXFMT_BGR24, 47, 29);
    uint32_t seed = 13;
    for (int y = 0; y < 29; y++)
        for (int x = 0; x < 47; x++) {
            int r = lcg_byte(&seed), g = lcg_byte(&seed), b = lcg_byte(&seed);
            put_rgb(&rgb, x, y, r, g, b);
            put_rgb(&bgr, x, y, r, g, b);
        }
    float *t[2];
    for (int i = 0; i < 2; i++) {
        NnFrameToTensor *p = unit_alloc(sizeof(*p));
        CHECK_INT(nn_frame_to_tensor_init(p, i ? bgr.format : rgb.format, BACKDROP_RANGE_LIMITED,
                                          BACKDROP_MATRIX_BT601, 47, 29, (NnRect){ 1.5, 2.25, 40, 25.5 }, 13, 0,
                                          0, 13, 11),
                  0);
        unit_defer(free_to_tensor, p);
        t[i] = unit_alloc(sizeof(float) * 13 * 11 * 3);
        nn_frame_to_tensor_run(p, i ? &bgr : &rgb, t[i]);
    }
    CHECK(memcmp(t[0], t[1], sizeof(float) * 13 * 11 * 3) == 0, "RGB24 and BGR24 tensors differ");

    const int colours[3][3] = { { 255, 0, 0 }, { 0, 255, 0 }, { 0, 0, 255 } };
    for (int fmt = 0; fmt < 2; fmt++) {
        BackdropFrame *f = fmt ? &bgr : &rgb;
        for (int k = 0; k < 3; k++) {
            fill_rgb(f, colours[k][0], colours[k][1], colours[k][2]);
            NnFrameToTensor *p = unit_alloc(sizeof(*p));
            CHECK_INT(nn_frame_to_tensor_init(p, f->format, BACKDROP_RANGE_LIMITED, BACKDROP_MATRIX_BT601, 47, 29,
                                              (NnRect){ 0, 0, 47, 29 }, 5, 0, 0, 5, 4),
                      0);
            unit_defer(free_to_tensor, p);
            float *out = unit_alloc(sizeof(float) * 5 * 4 * 3);
            nn_frame_to_tensor_run(p, f, out);
            for (int i = 0; i < 5 * 4; i++)
                for (int c = 0; c < 3; c++)
                    CHECK(fabsf(out[3 * i + c] - (c == k ? 1.0f : 0.0f)) <= 1e-6f,
                          "%s colour %d: pixel %d channel %d is %.9g", fmt ? "BGR24" : "RGB24", k, i, c,
                          out[3 * i + c]);
        }
    }
    return UNIT_PASS;
}

/* A crop with a fractional origin and size (the selfie CROP framing), on
 * both packings, shrinking, at ratio ~1 and enlarging. */
static int test_resample_crop_fractional_origin(void)
{
    const TensorCase cases[] = {
        { { 10.3, 7.7, 300.45, 170.2 }, 97, 55, 0, 0, 97, 55 },
        { { 0.5, 0.25, 331.75, 186.5 }, 256, 144, 0, 0, 256, 144 },
        { { 41.6, 0, 249.375, 187 }, 256, 192, 0, 0, 256, 192 }, /* crop sides, enlarge vertically */
        { { 100.1, 50.9, 20.3, 30.7 }, 61, 47, 0, 0, 61, 47 },  /* enlarge both */
        { { 3.7, 5.2, 100, 80 }, 100, 80, 0, 0, 100, 80 },       /* ratio 1, fractional shift */
        { { 332.25, 186.5, 0.75, 0.5 }, 3, 2, 0, 0, 3, 2 },      /* a corner sliver */
    };
    uint32_t seed = 14;
    for (int fmt = 0; fmt < 2; fmt++) {
        BackdropFrame f = frame_new(fmt ? BACKDROP_PIXFMT_BGR24 : BACKDROP_PIXFMT_RGB24, 333, 187);
        fill_random(&f, &seed);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
            TRY(check_tensor(&f, f.range, f.matrix, &cases[i], AVERAGE_THEN_CONVERT, TENSOR_TOLERANCE));
    }
    return report_error("crop with fractional origin");
}

/* The destination is a sub-rectangle of the tensor (the PAD framing): the
 * padding around it keeps the sentinel, bit for bit, in every format. */
static int test_resample_destination_padding(void)
{
    const TensorCase cases[] = {
        { { 0, 0, 333, 187 }, 64, 48, 5, 3, 50, 37 },
        { { 0, 0, 333, 187 }, 256, 256, 0, 56, 256, 144 },   /* bars above and below */
        { { 0, 0, 333, 187 }, 144, 256, 0, 87, 144, 81 },
        { { 12.5, 3.25, 200, 150 }, 40, 40, 39, 0, 1, 40 }, /* one column at the right edge */
        { { 12.5, 3.25, 200, 150 }, 40, 40, 0, 39, 40, 1 }, /* one row at the bottom */
        { { 0, 0, 333, 187 }, 700, 400, 11, 7, 680, 390 },  /* enlarging inside padding */
    };
    uint32_t seed = 15;
    for (int fmt = 0; fmt < 3; fmt++) {
        BackdropFrame f = fmt == 2 ? yuv_frame(333, 187, BACKDROP_RANGE_LIMITED, BACKDROP_MATRIX_BT601)
                                   : frame_new(fmt ? BACKDROP_PIXFMT_BGR24 : BACKDROP_PIXFMT_RGB24, 333, 187);
        fill_random(&f, &seed);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
            TRY(check_tensor(&f, f.range, f.matrix, &cases[i], AVERAGE_THEN_CONVERT, TENSOR_TOLERANCE));
    }
    return report_error("destination sub-rectangle");
}

/* Frames smaller than the tensor: bilinear, edge clamped; also one axis
 * enlarging while the other shrinks, and a 1 x 1 frame. */
static int test_resample_enlarge(void)
{
    const int cases[][4] = { /* frame w, h, tensor w, h */
        { 37, 23, 64, 48 }, { 37, 23, 256, 144 }, { 100, 20, 50, 40 }, { 20, 100, 40, 50 },
        { 1, 1, 4, 3 },     { 3, 1, 8, 5 },       { 2, 2, 3, 3 },      { 5, 7, 5, 7 },
    };
    uint32_t seed = 16;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (int fmt = 0; fmt < 3; fmt++) {
            int w = cases[i][0], h = cases[i][1];
            BackdropFrame f = fmt == 2 ? yuv_frame(w, h, BACKDROP_RANGE_FULL, BACKDROP_MATRIX_BT709)
                                       : frame_new(fmt ? BACKDROP_PIXFMT_BGR24 : BACKDROP_PIXFMT_RGB24, w, h);
            fill_random(&f, &seed);
            TensorCase k = whole(&f, cases[i][2], cases[i][3]);
            TRY(check_tensor(&f, f.range, f.matrix, &k, AVERAGE_THEN_CONVERT, TENSOR_TOLERANCE));
        }
    }
    return report_error("enlarge");
}

/* YUV420P of one range / matrix on random content (most pixels out of
 * gamut: exercises the clamping) against the average-then-convert
 * reference, over odd sizes, integer and fractional ratios, crops,
 * padding and enlarging. */
static int yuv_cases(BackdropColorRange range, BackdropColorMatrix matrix, uint32_t seed)
{
    const int frames[][2] = { { 333, 187 }, { 334, 188 }, { 35, 21 } };
    for (size_t fi = 0; fi < sizeof(frames) / sizeof(frames[0]); fi++) {
        int w = frames[fi][0], h = frames[fi][1];
        BackdropFrame f = yuv_frame(w, h, range, matrix);
        fill_random(&f, &seed);
        const TensorCase cases[] = {
            { { 0, 0, w, h }, w / 3, h / 11, 0, 0, w / 3, h / 11 }, /* integer for 333 x 187 */
            { { 0, 0, w, h }, 100, 60, 0, 0, 100, 60 },
            { { 0, 0, w, h }, 256, 144, 0, 0, 256, 144 },          /* chroma enlarges (ratio < 2) */
            { { 0, 0, w, h }, w / 2, h / 2, 0, 0, w / 2, h / 2 },  /* about 2: chroma ratio ~1 */
            { { 10.3, 7.7, w - 20.6, h - 9.9 }, 97, 55, 0, 0, 97, 55 },
            { { 0, 0, w, h }, 64, 64, 0, 14, 64, 36 },
            { { 0.5, 1.5, w - 1.0, h - 2.0 }, 400, 230, 3, 4, 390, 220 }, /* enlarge */
            { { 0, 0, w, h }, 1, 1, 0, 0, 1, 1 },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
            TRY(check_tensor(&f, range, matrix, &cases[i], AVERAGE_THEN_CONVERT, TENSOR_TOLERANCE));
    }
    return UNIT_PASS;
}

static int test_resample_yuv420_limited_bt601(void)
{
    TRY(yuv_cases(BACKDROP_RANGE_LIMITED, BACKDROP_MATRIX_BT601, 17));
    return report_error("yuv420p limited bt601");
}

static int test_resample_yuv420_full_bt709(void)
{
    TRY(yuv_cases(BACKDROP_RANGE_FULL, BACKDROP_MATRIX_BT709, 18));
    return report_error("yuv420p full bt709");
}

/* In gamut and with chroma area-weighted too (luma ratios > 2), resampling
 * the planes then converting equals converting every pixel then averaging.
 * Also prints how far the two references drift apart on random (mostly out
 * of gamut) content, where they must not agree. */
static int test_resample_yuv420_in_gamut_commutes(void)
{
    const TensorCase cases[] = {
        { { 0, 0, 333, 187 }, 111, 17, 0, 0, 111, 17 },
        { { 0, 0, 333, 187 }, 100, 60, 0, 0, 100, 60 },
        { { 0, 0, 333, 187 }, 37, 23, 0, 0, 37, 23 },
        { { 10.3, 7.7, 300.45, 170.2 }, 97, 55, 2, 1, 97, 55 },
        { { 0, 0, 333, 187 }, 1, 1, 0, 0, 1, 1 },
    };
    uint32_t seed = 19;
    for (int variant = 0; variant < 4; variant++) {
        BackdropColorRange range = variant & 1 ? BACKDROP_RANGE_FULL : BACKDROP_RANGE_LIMITED;
        BackdropColorMatrix matrix = variant & 2 ? BACKDROP_MATRIX_BT709 : BACKDROP_MATRIX_BT601;
        BackdropFrame f = yuv_frame(333, 187, range, matrix);
        fill_in_gamut(&f, &seed);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            TensorCase k = cases[i];
            k.tensor_w = k.dst_x + k.dst_w + 1;
            k.tensor_h = k.dst_y + k.dst_h + 1;
            TRY(check_tensor(&f, range, matrix, &k, CONVERT_THEN_AVERAGE, TENSOR_TOLERANCE));
        }
    }
    /* The gap on random content, for the record. */
    BackdropFrame f = yuv_frame(333, 187, BACKDROP_RANGE_LIMITED, BACKDROP_MATRIX_BT601);
    fill_random(&f, &seed);
    NnRect src = { 0, 0, 333, 187 };
    double *a = unit_alloc(sizeof(double) * 100 * 60 * 3), *b = unit_alloc(sizeof(double) * 100 * 60 * 3);
    long clamped = 0;
    naive_tensor(&f, f.range, f.matrix, src, 100, 60, AVERAGE_THEN_CONVERT, a, &clamped);
    naive_tensor(&f, f.range, f.matrix, src, 100, 60, CONVERT_THEN_AVERAGE, b, &clamped);
    double gap = 0.0;
    for (int i = 0; i < 100 * 60 * 3; i++)
        gap = fmax(gap, fabs(a[i] - b[i]));
    printf("random YUV (%ld clamped source values): the two references differ by up to %.3g\n", clamped, gap);
    return report_error("yuv420p in gamut, convert then average");
}

/* Bottom-up frames (negative strides) read the same pixels. */
static int test_resample_negative_stride(void)
{
    uint32_t seed = 20;
    for (int fmt = 0; fmt < 3; fmt++) {
        BackdropFrame f = fmt == 2 ? yuv_frame(333, 187, BACKDROP_RANGE_LIMITED, BACKDROP_MATRIX_BT601)
                                   : frame_new(fmt ? BACKDROP_PIXFMT_BGR24 : BACKDROP_PIXFMT_RGB24, 333, 187);
        fill_random(&f, &seed);
        BackdropFrame flipped = f;
        for (int p = 0; p < (fmt == 2 ? 3 : 1); p++) {
            flipped.data[p] = f.data[p] + (ptrdiff_t)(plane_height(&f, p) - 1) * f.stride[p];
            flipped.stride[p] = -f.stride[p];
        }
        const TensorCase cases[] = {
            { { 0, 0, 333, 187 }, 100, 60, 0, 0, 100, 60 },
            { { 10.3, 7.7, 300.45, 170.2 }, 500, 300, 0, 0, 500, 300 },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
            TRY(check_tensor(&flipped, f.range, f.matrix, &cases[i], AVERAGE_THEN_CONVERT, TENSOR_TOLERANCE));
    }
    return report_error("negative strides");
}

/* Uniform white and black frames, in every format, at many ratios: the
 * tensor holds the constant (within 1e-5) and never leaves [0, 1], though
 * float weights do not sum to exactly 1. */
static int test_resample_uniform_in_unit_range(void)
{
    const NnRect rects[] = { { 0, 0, 333, 187 }, { 0.3, 0.7, 331.9, 186.1 }, { 100.25, 20.5, 7.5, 3.25 } };
    float most = 0.0f;
    for (int fmt = 0; fmt < 4; fmt++) {
        for (int white = 0; white < 2; white++) {
            BackdropFrame f = fmt >= 2 ? yuv_frame(333, 187, fmt == 2 ? BACKDROP_RANGE_LIMITED : BACKDROP_RANGE_FULL,
                                                   BACKDROP_MATRIX_BT709)
                                       : frame_new(fmt ? BACKDROP_PIXFMT_BGR24 : BACKDROP_PIXFMT_RGB24, 333, 187);
            if (fmt < 2) {
                fill_rgb(&f, white ? 255 : 0, white ? 255 : 0, white ? 255 : 0);
            } else {
                fill_plane(&f, 0, white ? (fmt == 2 ? 235 : 255) : (fmt == 2 ? 16 : 0));
                fill_plane(&f, 1, 128);
                fill_plane(&f, 2, 128);
            }
            for (size_t r = 0; r < sizeof(rects) / sizeof(rects[0]); r++) {
                for (int dw = 1; dw <= 400; dw += 80) {
                    for (int dh = 1; dh <= 250; dh += 83) {
                        NnFrameToTensor *p = unit_alloc(sizeof(*p));
                        CHECK_INT(nn_frame_to_tensor_init(p, f.format, f.range, f.matrix, 333, 187, rects[r], dw, 0,
                                                          0, dw, dh),
                                  0);
                        float *t = unit_alloc(sizeof(float) * (size_t)dw * dh * 3);
                        nn_frame_to_tensor_run(p, &f, t);
                        nn_frame_to_tensor_free(p);
                        for (size_t i = 0; i < (size_t)dw * dh * 3; i++) {
                            CHECK(t[i] >= 0.0f && t[i] <= 1.0f && fabsf(t[i] - (float)white) <= 1e-5f,
                                  "format %d, %s frame, rect %zu -> %dx%d: value %zu is %.9g", fmt,
                                  white ? "white" : "black", r, dw, dh, i, t[i]);
                            most = t[i] > most ? t[i] : most;
                        }
                    }
                }
            }
        }
    }
    printf("uniform frames: largest value %.9g\n", most);
    return UNIT_PASS;
}

/* ---- tensor -> alpha ---------------------------------------------------- */

static void free_to_alpha(void *ptr)
{
    nn_tensor_to_alpha_free(ptr);
}

/* Map probabilities: mostly uniform in [0, 1], with runs of exactly 0 and
 * exactly 1 (a saturated logistic gives those). */
static void fill_map(float *map, size_t n, uint32_t *seed)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t r = ((uint32_t)lcg_byte(seed) << 16) | ((uint32_t)lcg_byte(seed) << 8) | lcg_byte(seed);
        int kind = lcg_byte(seed) % 16;
        map[i] = kind == 0 ? 0.0f : kind == 1 ? 1.0f : (float)r / 16777215.0f;
    }
}

typedef struct AlphaStats {
    long pixels;
    long halves;   /* s > 0: off by one at an exact half */
    long boundary; /* s = 0: p within float noise of t */
    double half_gap; /* largest |exact - (n + 1/2)| of the halves */
} AlphaStats;

/* Compares the library's alpha for one map / rectangle / frame size /
 * threshold / softness with the reference; alpha rows have 5 bytes of
 * padding that must keep their sentinel. */
static int check_alpha(NnTensorToAlpha *p, const float *map, int map_w, int rx, int ry, int rw, int rh, int fw,
                       int fh, float t, float s, AlphaStats *stats)
{
    ptrdiff_t stride = fw + 5;
    uint8_t *alpha = unit_alloc((size_t)stride * fh);
    memset(alpha, 0xA5, (size_t)stride * fh);
    nn_tensor_to_alpha_run(p, map, t, s, alpha, stride);
    for (int y = 0; y < fh; y++) {
        double v = (y + 0.5) * rh / fh - 0.5;
        v = v < 0 ? 0 : v > rh - 1 ? rh - 1 : v;
        int j0 = (int)floor(v), j1 = j0 + 1 < rh ? j0 + 1 : j0;
        double fy = v - j0;
        for (int x = fw; x < stride; x++)
            CHECK(alpha[y * stride + x] == 0xA5, "alpha padding (%d, %d) overwritten", x, y);
        for (int x = 0; x < fw; x++) {
            double u = (x + 0.5) * rw / fw - 0.5;
            u = u < 0 ? 0 : u > rw - 1 ? rw - 1 : u;
            int i0 = (int)floor(u), i1 = i0 + 1 < rw ? i0 + 1 : i0;
            double fx = u - i0;
            double m00 = map[(size_t)(ry + j0) * map_w + rx + i0], m01 = map[(size_t)(ry + j0) * map_w + rx + i1];
            double m10 = map[(size_t)(ry + j1) * map_w + rx + i0], m11 = map[(size_t)(ry + j1) * map_w + rx + i1];
            double prob = (1 - fy) * ((1 - fx) * m00 + fx * m01) + fy * ((1 - fx) * m10 + fx * m11);
            int uniform = m00 == m01 && m00 == m10 && m00 == m11;
            int want;
            double exact = 0.0;
            if (s == 0.0f) {
                want = prob > (double)t ? 255 : 0;
            } else {
                exact = 255.0 * (prob - ((double)t - (double)s / 2)) / (double)s;
                double r = floor(exact + 0.5);
                want = r < 0 ? 0 : r > 255 ? 255 : (int)r;
            }
            int got = alpha[y * stride + x];
            stats->pixels++;
            if (got == want)
                continue;
            if (s == 0.0f) {
                CHECK(!uniform && fabs(prob - t) < 1e-6,
                      "map rect (%d, %d, %d, %d) -> %dx%d, t %g s 0: alpha (%d, %d) is %d, expected %d "
                      "(p = %.9g, map values %.9g %.9g %.9g %.9g)",
                      rx, ry, rw, rh, fw, fh, t, x, y, got, want, prob, m00, m01, m10, m11);
                stats->boundary++;
            } else {
                CHECK(abs(got - want) == 1 && fabs(exact - floor(exact) - 0.5) < 1e-3,
                      "map rect (%d, %d, %d, %d) -> %dx%d, t %g s %g: alpha (%d, %d) is %d, expected %d "
                      "(exact %.9g, p = %.9g)",
                      rx, ry, rw, rh, fw, fh, t, s, x, y, got, want, exact, prob);
                stats->halves++;
                stats->half_gap = fmax(stats->half_gap, fabs(exact - floor(exact) - 0.5));
            }
        }
    }
    return UNIT_PASS;
}

static int check_alpha_stats(const AlphaStats *st, const char *what)
{
    printf("%s: %ld pixels, %ld off by one at a half (at most %.2g from the half), %ld hard-step flips within "
           "1e-6 of t\n",
           what, st->pixels, st->halves, st->half_gap, st->boundary);
    CHECK((st->halves + st->boundary) * 1000 <= st->pixels, "%ld + %ld rounding differences in %ld pixels (> 0.1%%)",
          st->halves, st->boundary, st->pixels);
    return UNIT_PASS;
}

static const float thresholds[] = { 0.0f, 0.2f, 0.5f, 1.0f };
static const float softnesses[] = { 0.0f, 0.2f, 1.0f };

/* Random maps, the map rectangle upsampled and downsampled to several
 * frame sizes, every threshold / softness. Each context runs on two
 * different maps (the row cache must not carry over). */
static int test_alpha_random_maps(void)
{
    const int cases[][8] = { /* map w, h; rect x, y, w, h; frame w, h */
        { 256, 256, 0, 0, 256, 256, 333, 187 },  /* up in x, down in y */
        { 256, 256, 0, 56, 256, 144, 640, 360 }, /* PAD bars, up 2.5 */
        { 144, 256, 0, 0, 144, 256, 101, 77 },   /* frame smaller than map */
        { 37, 23, 0, 0, 37, 23, 333, 187 },      /* up ~9x */
        { 64, 64, 5, 7, 50, 40, 50, 40 },        /* identity */
        { 64, 64, 10, 3, 1, 40, 17, 90 },        /* one-column rect */
        { 64, 64, 3, 10, 40, 1, 90, 17 },        /* one-row rect */
        { 64, 64, 63, 63, 1, 1, 9, 5 },          /* one pixel, at the map's corner */
        { 1, 1, 0, 0, 1, 1, 7, 3 },              /* one-pixel map */
        { 1, 30, 0, 0, 1, 30, 11, 13 },          /* one-column map, frame shorter */
        { 256, 144, 0, 0, 256, 144, 1, 1 },      /* 1 x 1 frame */
        { 256, 144, 20, 10, 200, 100, 3, 250 },  /* down in x, up in y */
    };
    uint32_t seed = 21;
    AlphaStats stats = { 0, 0, 0, 0.0 };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        const int *k = cases[c];
        size_t n = (size_t)k[0] * k[1];
        float *maps[2] = { unit_alloc(sizeof(float) * n), unit_alloc(sizeof(float) * n) };
        fill_map(maps[0], n, &seed);
        fill_map(maps[1], n, &seed);
        NnTensorToAlpha *p = unit_alloc(sizeof(*p));
        CHECK_INT(nn_tensor_to_alpha_init(p, k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7]), 0);
        unit_defer(free_to_alpha, p);
        for (size_t ti = 0; ti < sizeof(thresholds) / sizeof(thresholds[0]); ti++)
            for (size_t si = 0; si < sizeof(softnesses) / sizeof(softnesses[0]); si++)
                for (int m = 0; m < 2; m++)
                    TRY(check_alpha(p, maps[m], k[0], k[2], k[3], k[4], k[5], k[6], k[7], thresholds[ti],
                                    softnesses[si], &stats));
    }
    return check_alpha_stats(&stats, "random maps");
}

/* Probabilities exactly at the threshold, one float either side of it, at
 * the ramp's ends and at 0 and 1, on an identity-sized rectangle (where
 * the interpolation is exact): the step and the ramp take them exactly. */
static int test_alpha_exact_boundaries(void)
{
    AlphaStats stats = { 0, 0, 0, 0.0 };
    for (size_t ti = 0; ti < sizeof(thresholds) / sizeof(thresholds[0]); ti++) {
        for (size_t si = 0; si < sizeof(softnesses) / sizeof(softnesses[0]); si++) {
            float t = thresholds[ti], s = softnesses[si];
            float lo = t - s / 2, hi = t + s / 2;
            const float values[] = {
                0.0f, 1.0f, t, nextafterf(t, -1.0f), nextafterf(t, 2.0f), nextafterf(t, -1.0f) - 1e-6f,
                t + 4e-7f, t - 4e-7f, lo, hi, nextafterf(lo, 2.0f), nextafterf(hi, -1.0f), 0.5f, FLT_MIN,
                nextafterf(1.0f, 0.0f),
            };
            int n = 0, map_w = 8, map_h = 4;
            float map[8 * 4];
            for (int i = 0; i < map_w * map_h; i++) {
                float v = values[n++ % (int)(sizeof(values) / sizeof(values[0]))];
                map[i] = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
            }
            NnTensorToAlpha *p = unit_alloc(sizeof(*p));
            CHECK_INT(nn_tensor_to_alpha_init(p, map_w, map_h, 0, 0, map_w, map_h, map_w, map_h), 0);
            unit_defer(free_to_alpha, p);
            /* Identity: every pixel's interpolation is exact, so no
             * allowance applies (the uniform rule covers s = 0; for s > 0
             * a half is still a half). */
            TRY(check_alpha(p, map, map_w, 0, 0, map_w, map_h, map_w, map_h, t, s, &stats));
            CHECK(stats.boundary == 0, "t %g s 0: %ld hard-step values off", t, stats.boundary);
        }
    }
    /* Halves are what this test is made of (p = t with s > 0 is 127.5),
     * so the 0.1% budget of the random maps does not apply. */
    printf("exact boundaries: %ld pixels, %ld off by one at a half (at most %.2g from the half)\n", stats.pixels,
           stats.halves, stats.half_gap);
    return UNIT_PASS;
}

const UnitTest resample_tests[] = {
    UNIT_TEST(resample_rgb_integer_shrink),
    UNIT_TEST(resample_rgb_fractional_shrink),
    UNIT_TEST(resample_channel_order),
    UNIT_TEST(resample_crop_fractional_origin),
    UNIT_TEST(resample_destination_padding),
    UNIT_TEST(resample_enlarge),
    UNIT_TEST(resample_yuv420_limited_bt601),
    UNIT_TEST(resample_yuv420_full_bt709),
    UNIT_TEST(resample_yuv420_in_gamut_commutes),
    UNIT_TEST(resample_negative_stride),
    UNIT_TEST(resample_uniform_in_unit_range),
    UNIT_TEST(alpha_random_maps),
    UNIT_TEST(alpha_exact_boundaries),
    UNIT_TESTS_END
};
