/*
 * src/scale.c (the separable resampler) against naive references written
 * here: for each kernel, the weight of every source sample in one
 * destination sample, straight from the definition in scale.h, computed
 * per destination pixel in double over the whole source line; a
 * destination value is then the double sum of wx * wy * sample over the
 * source pixels (those of weight 0 skipped). Nothing is shared with the
 * library's code: no tables, no passes, no caching.
 *
 *  - Tables (1-D, exhaustive over small lines, plus a few large ratios):
 *    the taps of each destination index, summed per source index, equal
 *    the naive weights within 1e-6 (float weights, rounded once), and the
 *    layout invariants hold (see check_table).
 *  - Pictures (2-D, every pair of sizes from a list for each axis, whole
 *    and sub-rectangles, 1 and 3 channels, uint8 and float samples, normal
 *    and negative strides): every destination value within
 *    VALUE_TOLERANCE of the naive value, times the value scale (255 for
 *    uint8, 1 for the float maps). The library sums in float: each weight
 *    is rounded once (relative 6e-8), each product and sum once more, over
 *    at most a few dozen taps, so the relative error stays below ~5e-6;
 *    measured: printed in the test log as "max |error|".
 *    Each scaler runs twice on different pictures (the row cache must not
 *    carry over), and asking for the rows again gives the same floats.
 *  - Rounded to bytes (bd_scaler_run_u8, bd_resize_area): the naive value
 *    rounded half to even, except a difference of 1 where the naive value
 *    lies within 1e-3 of a half (float noise decides those: with weights
 *    like 1/2 and 1/4, exact halves are common in small pictures; counted).
 *  - Same size, whole pixels: every kernel copies exactly, except that
 *    BILINEAR computes its last column and row as a + 1 (b - a) (the
 *    matte's formula, kept bit for bit), which for float samples may miss
 *    b by an ulp.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scale.h"
#include "suites.h"
#include "util.h"

#define WEIGHT_TOLERANCE 1e-6
#define VALUE_TOLERANCE 1e-5

static const char *kernel_name(BdKernel k)
{
    return k == BD_KERNEL_OPENCV_AREA ? "opencv-area" : k == BD_KERNEL_AREA ? "area" : "bilinear";
}

static int clamp_index(int i, int limit)
{
    return i < 0 ? 0 : i >= limit ? limit - 1 : i;
}

/* ---- naive weights ------------------------------------------------------ */

/* w[i] (i < limit): the weight of source sample i in destination sample d
 * of 'length' covering [start, start + span) of a line of 'limit'. */
static void naive_weights(BdKernel kernel, int d, int length, double start, double span, int limit, double *w)
{
    for (int i = 0; i < limit; i++)
        w[i] = 0.0;
    double s = span / length;
    if (kernel == BD_KERNEL_OPENCV_AREA) {
        /* The interval is an image of its own: n pixels from x0. */
        int x0 = (int)start, n = (int)span;
        if (s >= 1.0) {
            /* Overlap with [d s, (d + 1) s) over the interval's length,
             * shortened to the image; overlaps of 1e-3 or less ignored. */
            double lo = d * s, hi = lo + s, cell = fmin(s, n - lo);
            for (int i = 0; i < n; i++) {
                double overlap = fmin(hi, i + 1.0) - fmax(lo, (double)i);
                if (overlap > 1e-3)
                    w[x0 + i] += overlap / cell;
            }
        } else {
            int i = (int)floor(d * s);
            double f = (d + 1) - (i + 1) / s;
            f = f <= 0.0 ? 0.0 : f - floor(f);
            if (i >= n - 1) {
                i = n - 1;
                f = 0.0;
            }
            w[x0 + i] += 1.0 - f;
            if (f > 0.0)
                w[x0 + i + 1] += f;
        }
    } else if (kernel == BD_KERNEL_AREA) {
        if (s > 1.0) {
            /* Overlap with [start + d s, start + (d + 1) s) over s; pixels
             * past the line's ends count as the end pixel. */
            double lo = start + d * s, hi = lo + s;
            for (int i = (int)floor(lo); i < hi; i++) {
                double overlap = fmin(hi, i + 1.0) - fmax(lo, (double)i);
                if (overlap > 1e-9)
                    w[clamp_index(i, limit)] += overlap / s;
            }
        } else {
            /* Between the two source centres around d's centre. */
            double centre = start + (d + 0.5) * s - 0.5;
            int i = (int)floor(centre);
            double f = centre - i;
            w[clamp_index(i, limit)] += 1.0 - f;
            w[clamp_index(i + 1, limit)] += f;
        }
    } else {
        /* Half-pixel centres inside the interval, its edge values held. */
        int x0 = (int)start, n = (int)span;
        double u = (d + 0.5) * n / length - 0.5;
        u = u < 0.0 ? 0.0 : u > n - 1 ? n - 1 : u;
        int i0 = (int)floor(u), i1 = i0 + 1 < n ? i0 + 1 : i0;
        double f = u - i0;
        w[x0 + i0] += 1.0 - f;
        w[x0 + i1] += f;
    }
}

/* ---- tables --------------------------------------------------------------- */

/* The table's taps against the naive weights, and its invariants:
 *  - count[d] <= taps; taps beyond count[d] weigh 0 and repeat a source of d;
 *  - every source inside the line, and for OPENCV_AREA and BILINEAR inside
 *    the interval; first / last are the extreme sources;
 *  - the sources of d increase by 1 from tap to tap (BILINEAR in a
 *    one-pixel interval and AREA clamped at the line's ends may repeat),
 *    and d + 1 starts no earlier than d: destination rows then read source
 *    rows in increasing order, a run of at most 'taps' consecutive ones
 *    (what the scaler's row cache relies on). */
static int check_table(BdKernel kernel, int length, double start, double span, int limit, double *naive,
                       double *got)
{
    BdTaps t;
    CHECK_INT(bd_taps_init(&t, kernel, length, start, span, limit), 0);
    int status = UNIT_FAIL;
    int lo = limit, hi = -1, previous_first = -1;
    int inside_lo = kernel == BD_KERNEL_AREA ? 0 : (int)start;
    int inside_hi = kernel == BD_KERNEL_AREA ? limit - 1 : (int)(start + span) - 1;
    for (int d = 0; d < length; d++) {
        naive_weights(kernel, d, length, start, span, limit, naive);
        for (int i = 0; i < limit; i++)
            got[i] = 0.0;
        if (t.count[d] < 1 || t.count[d] > t.taps) {
            unit_report(__FILE__, __LINE__, "%s %d -> %d: index %d has %d taps of %d", kernel_name(kernel), limit,
                        length, d, t.count[d], t.taps);
            goto done;
        }
        for (int k = 0; k < t.taps; k++) {
            int s = t.source[(size_t)k * length + d];
            float w = t.weight[(size_t)k * length + d];
            int previous = k > 0 ? t.source[(size_t)(k - 1) * length + d] : s - 1;
            int in_run = s == previous + 1 || (s == previous && (kernel != BD_KERNEL_OPENCV_AREA || k >= t.count[d]));
            if (s < inside_lo || s > inside_hi || (k >= t.count[d] && w != 0.0f) || !in_run) {
                unit_report(__FILE__, __LINE__,
                            "%s [%g, %g) of %d -> %d: index %d tap %d reads %d (weight %g, %d taps used): "
                            "outside [%d, %d], a padding tap with weight, or not after the previous tap",
                            kernel_name(kernel), start, start + span, limit, length, d, k, s, w, t.count[d],
                            inside_lo, inside_hi);
                goto done;
            }
            got[s] += w;
            lo = s < lo ? s : lo;
            hi = s > hi ? s : hi;
        }
        int first = t.source[d];
        if (first < previous_first) {
            unit_report(__FILE__, __LINE__, "%s: index %d starts at %d, before index %d (%d)", kernel_name(kernel), d,
                        first, d - 1, previous_first);
            goto done;
        }
        previous_first = first;
        for (int i = 0; i < limit; i++) {
            if (fabs(got[i] - naive[i]) > WEIGHT_TOLERANCE) {
                unit_report(__FILE__, __LINE__, "%s [%.17g, %.17g) of %d -> %d: index %d, source %d weighs %.9g, "
                            "expected %.9g", kernel_name(kernel), start, start + span, limit, length, d, i, got[i],
                            naive[i]);
                goto done;
            }
        }
    }
    if (lo != t.first || hi != t.last) {
        unit_report(__FILE__, __LINE__, "%s: sources span [%d, %d], the table says [%d, %d]", kernel_name(kernel), lo,
                    hi, t.first, t.last);
        goto done;
    }
    status = UNIT_PASS;
done:
    bd_taps_free(&t);
    return status;
}

/* Every line of up to 24 samples, intervals from three starts and of every
 * whole length that fits (AREA also at fractional positions), into every
 * length up to 30; then large ratios both ways. */
static int test_scale_taps_match_naive(void)
{
    const BdKernel kernels[] = { BD_KERNEL_OPENCV_AREA, BD_KERNEL_AREA, BD_KERNEL_BILINEAR };
    double *naive = unit_alloc(sizeof(double) * 5000), *got = unit_alloc(sizeof(double) * 5000);
    long tables = 0;
    for (size_t k = 0; k < sizeof(kernels) / sizeof(kernels[0]); k++) {
        for (int limit = 1; limit <= 24; limit++) {
            const int starts[] = { 0, 1, limit / 2, limit - 1 };
            for (size_t si = 0; si < sizeof(starts) / sizeof(starts[0]); si++) {
                int start = starts[si];
                if (start >= limit || (si > 0 && start == starts[si - 1]))
                    continue;
                for (int span = 1; start + span <= limit; span++) {
                    for (int length = 1; length <= 30; length++) {
                        TRY(check_table(kernels[k], length, start, span, limit, naive, got));
                        tables++;
                        if (kernels[k] == BD_KERNEL_AREA) {
                            /* A fractional crop inside [start, start + span). */
                            double fs = start + 0.375, fw = span - 0.625;
                            if (fw > 0.0)
                                TRY(check_table(kernels[k], length, fs, fw, limit, naive, got));
                            TRY(check_table(kernels[k], length, start + 0.1, span * 0.7, limit, naive, got));
                            tables += 2;
                        }
                    }
                }
            }
        }
        const int large[][3] = { /* limit, span, length */
            { 4000, 4000, 1 }, { 4000, 4000, 3 }, { 1, 1, 4000 }, { 3, 3, 4000 }, { 1920, 1920, 455 },
            { 455, 455, 1920 }, { 752, 600, 1280 }, { 4096, 4095, 17 },
        };
        for (size_t i = 0; i < sizeof(large) / sizeof(large[0]); i++) {
            TRY(check_table(kernels[k], large[i][2], large[i][0] - large[i][1], large[i][1], large[i][0], naive,
                            got));
            tables++;
        }
    }
    printf("%ld tables match the naive weights\n", tables);
    return UNIT_PASS;
}

/* Intervals that are empty, outside the line, or (for the whole-pixel
 * kernels) fractional; lengths and channel counts out of range. */
static int test_scale_invalid_arguments(void)
{
    BdTaps t;
    const BdKernel kernels[] = { BD_KERNEL_OPENCV_AREA, BD_KERNEL_AREA, BD_KERNEL_BILINEAR };
    for (size_t k = 0; k < sizeof(kernels) / sizeof(kernels[0]); k++) {
        BdKernel kn = kernels[k];
        CHECK_INT(bd_taps_init(&t, kn, 0, 0, 4, 4), BACKDROP_EINVAL);
        CHECK_INT(bd_taps_init(&t, kn, 3, 0, 0, 4), BACKDROP_EINVAL);
        CHECK_INT(bd_taps_init(&t, kn, 3, 0, -1, 4), BACKDROP_EINVAL);
        CHECK_INT(bd_taps_init(&t, kn, 3, -1, 2, 4), BACKDROP_EINVAL);
        CHECK_INT(bd_taps_init(&t, kn, 3, 4, 1, 4), BACKDROP_EINVAL);
        CHECK_INT(bd_taps_init(&t, kn, 3, 0, 4, 0), BACKDROP_EINVAL);
        CHECK_INT(bd_taps_init(&t, kn, 3, NAN, 4, 4), BACKDROP_EINVAL);
        CHECK_INT(bd_taps_init(&t, kn, 3, 0, NAN, 4), BACKDROP_EINVAL);
        BdScaler s;
        CHECK_INT(bd_scaler_init(&s, kn, 0, 4, 4, (BdScaleRect){ 0, 0, 4, 4 }, 2, 2), BACKDROP_EINVAL);
        CHECK_INT(bd_scaler_init(&s, kn, 5, 4, 4, (BdScaleRect){ 0, 0, 4, 4 }, 2, 2), BACKDROP_EINVAL);
        CHECK_INT(bd_scaler_init(&s, kn, 1, 4, 4, (BdScaleRect){ 0, 0, 4, 4 }, 2, 0), BACKDROP_EINVAL);
    }
    CHECK_INT(bd_taps_init(&t, BD_KERNEL_OPENCV_AREA, 3, 0.5, 2, 4), BACKDROP_EINVAL);
    CHECK_INT(bd_taps_init(&t, BD_KERNEL_OPENCV_AREA, 3, 0, 2.5, 4), BACKDROP_EINVAL);
    CHECK_INT(bd_taps_init(&t, BD_KERNEL_OPENCV_AREA, 3, 1, 4, 4), BACKDROP_EINVAL);
    CHECK_INT(bd_taps_init(&t, BD_KERNEL_BILINEAR, 3, 0.5, 2, 4), BACKDROP_EINVAL);
    CHECK_INT(bd_taps_init(&t, BD_KERNEL_BILINEAR, 3, 2, 3, 4), BACKDROP_EINVAL);
    /* AREA reads clamped to the line: an interval overhanging its end by
     * less than a pixel is fine (rounding puts selfie's window strip there
     * by a few ulps), by more it is not. */
    CHECK_INT(bd_taps_init(&t, BD_KERNEL_AREA, 3, 1.5, 3, 4), 0);
    bd_taps_free(&t);
    CHECK_INT(bd_taps_init(&t, BD_KERNEL_AREA, 3, 1.5, 3.75, 4), BACKDROP_EINVAL);
    CHECK_INT(bd_taps_init(&t, BD_KERNEL_AREA, 3, 0, 1e300, 4), BACKDROP_EINVAL);
    return UNIT_PASS;
}

/* ---- pictures ------------------------------------------------------------- */

/* A picture of w x h pixels of 'channels' samples, uint8 or float, rows
 * padded by 5 samples except the last, which ends the allocation (so that
 * AddressSanitizer sees a read past it). */
typedef struct Samples {
    int w, h, channels, is_float;
    uint8_t *bytes;
    float *floats;
    ptrdiff_t pitch; /* samples per row */
} Samples;

static Samples picture_new(int w, int h, int channels, int is_float, uint32_t *seed)
{
    Samples p = { w, h, channels, is_float, NULL, NULL, (ptrdiff_t)w * channels + 5 };
    size_t n = (size_t)p.pitch * (h - 1) + (size_t)w * channels;
    if (is_float) {
        p.floats = unit_alloc(sizeof(float) * n);
        for (size_t i = 0; i < n; i++) {
            uint32_t r = ((uint32_t)lcg_byte(seed) << 16) | ((uint32_t)lcg_byte(seed) << 8) | lcg_byte(seed);
            p.floats[i] = (float)r / 16777215.0f;
        }
    } else {
        p.bytes = unit_alloc(n);
        for (size_t i = 0; i < n; i++)
            p.bytes[i] = lcg_byte(seed);
    }
    return p;
}

static double picture_at(const Samples *p, int x, int y, int c)
{
    size_t i = (size_t)y * p->pitch + (size_t)x * p->channels + c;
    return p->is_float ? p->floats[i] : p->bytes[i];
}

typedef struct Case {
    BdKernel kernel;
    int src_w, src_h;
    BdScaleRect rect;
    int dst_w, dst_h;
} Case;

/* The source samples of non-zero naive weight, per destination index of
 * one axis: index[d * limit + j], weight[...], j < count[d]. */
typedef struct Support {
    int *count, *index;
    double *weight;
} Support;

static Support naive_support(BdKernel kernel, int length, double start, double span, int limit)
{
    Support s = { unit_alloc(sizeof(int) * length), unit_alloc(sizeof(int) * (size_t)length * limit),
                  unit_alloc(sizeof(double) * (size_t)length * limit) };
    double *w = unit_alloc(sizeof(double) * limit);
    for (int d = 0; d < length; d++) {
        naive_weights(kernel, d, length, start, span, limit, w);
        for (int i = 0; i < limit; i++) {
            if (w[i] != 0.0) {
                s.index[(size_t)d * limit + s.count[d]] = i;
                s.weight[(size_t)d * limit + s.count[d]++] = w[i];
            }
        }
    }
    return s;
}

/* The naive destination (dst_w x dst_h x channels, interleaved): per
 * pixel, the sum of wx * wy * sample over the source pixels of non-zero
 * weight on both axes. */
static void naive_picture(const Case *k, const Samples *p, double *out)
{
    Support sx = naive_support(k->kernel, k->dst_w, k->rect.x, k->rect.w, k->src_w);
    Support sy = naive_support(k->kernel, k->dst_h, k->rect.y, k->rect.h, k->src_h);
    for (int dy = 0; dy < k->dst_h; dy++) {
        for (int dx = 0; dx < k->dst_w; dx++) {
            for (int c = 0; c < p->channels; c++) {
                double sum = 0.0;
                for (int j = 0; j < sy.count[dy]; j++) {
                    for (int i = 0; i < sx.count[dx]; i++) {
                        int x = sx.index[(size_t)dx * k->src_w + i], y = sy.index[(size_t)dy * k->src_h + j];
                        sum += sy.weight[(size_t)dy * k->src_h + j] * sx.weight[(size_t)dx * k->src_w + i] *
                               picture_at(p, x, y, c);
                    }
                }
                out[((size_t)dy * k->dst_w + dx) * p->channels + c] = sum;
            }
        }
    }
}

static void free_scaler(void *ptr)
{
    bd_scaler_free(ptr);
}

static double max_error;
static long values_checked;

/* Runs a scaler over two pictures (the second bottom-up when 'flip'),
 * every row, and compares with the naive values. */
static int check_picture(const Case *k, int channels, int is_float, int flip, uint32_t *seed)
{
    BdScaler *s = unit_alloc(sizeof(*s));
    CHECK_INT(bd_scaler_init(s, k->kernel, channels, k->src_w, k->src_h, k->rect, k->dst_w, k->dst_h), 0);
    unit_defer(free_scaler, s);
    size_t values = (size_t)k->dst_w * k->dst_h * channels;
    double *want = unit_alloc(sizeof(double) * values);
    float *row = unit_alloc(sizeof(float) * (size_t)k->dst_w * channels);
    float *again = unit_alloc(sizeof(float) * (size_t)k->dst_w * channels);
    float *first_run = unit_alloc(sizeof(float) * values);
    double scale = is_float ? 1.0 : 255.0;
    for (int pass = 0; pass < 2; pass++) {
        Samples p = picture_new(k->src_w, k->src_h, channels, is_float, seed);
        naive_picture(k, &p, want);
        ptrdiff_t pitch = p.pitch;
        const uint8_t *bytes = p.bytes;
        const float *floats = p.floats;
        if (flip && pass == 1) {
            /* The same rows, stored bottom-up: row y is at index h-1-y. */
            Samples up = p;
            size_t n = (size_t)p.pitch * (p.h - 1) + (size_t)p.w * channels, row_n = (size_t)p.w * channels;
            up.bytes = is_float ? NULL : unit_alloc(n);
            up.floats = is_float ? unit_alloc(sizeof(float) * n) : NULL;
            for (int y = 0; y < p.h; y++) {
                size_t from = (size_t)y * p.pitch, to = (size_t)(p.h - 1 - y) * p.pitch;
                if (is_float)
                    memcpy(up.floats + to, p.floats + from, sizeof(float) * row_n);
                else
                    memcpy(up.bytes + to, p.bytes + from, row_n);
            }
            bytes = up.bytes ? up.bytes + (size_t)(p.h - 1) * p.pitch : NULL;
            floats = up.floats ? up.floats + (size_t)(p.h - 1) * p.pitch : NULL;
            pitch = -p.pitch;
        }
        for (int d = 0; d < k->dst_h; d++) {
            if (is_float)
                bd_scaler_row_f32(s, d, floats, pitch, row);
            else
                bd_scaler_row_u8(s, d, bytes, pitch, row);
            memcpy(first_run + (size_t)d * k->dst_w * channels, row, sizeof(float) * (size_t)k->dst_w * channels);
            for (int x = 0; x < k->dst_w; x++) {
                for (int c = 0; c < channels; c++) {
                    double e = want[((size_t)d * k->dst_w + x) * channels + c];
                    float got = row[(size_t)c * k->dst_w + x];
                    double err = fabs(got - e) / scale;
                    CHECK(err <= VALUE_TOLERANCE,
                          "%s %s x%d: %dx%d rect (%g, %g, %g, %g) -> %dx%d, pass %d: (%d, %d) channel %d is %.9g, "
                          "expected %.9g",
                          kernel_name(k->kernel), is_float ? "float" : "uint8", channels, k->src_w, k->src_h,
                          k->rect.x, k->rect.y, k->rect.w, k->rect.h, k->dst_w, k->dst_h, pass, x, d, c, got, e);
                    max_error = err > max_error ? err : max_error;
                    values_checked++;
                }
            }
        }
        /* Asked again, from row 0, the picture gives the same floats. */
        for (int d = 0; d < k->dst_h; d++) {
            if (is_float)
                bd_scaler_row_f32(s, d, floats, pitch, again);
            else
                bd_scaler_row_u8(s, d, bytes, pitch, again);
            CHECK(memcmp(again, first_run + (size_t)d * k->dst_w * channels,
                         sizeof(float) * (size_t)k->dst_w * channels) == 0,
                  "%s: row %d differs between two runs over the same picture", kernel_name(k->kernel), d);
        }
    }
    bd_scaler_free(s); /* early, for the many cases of a test; the deferred call is then a no-op */
    return UNIT_PASS;
}

/* Every pair of source and destination sizes from the list on each axis
 * (shrinking, enlarging, same size, 1 pixel), paired across axes in two
 * ways; each whole, and as a sub-rectangle of a larger picture. */
static int pictures(BdKernel kernel, int is_float, uint32_t seed)
{
    const int sizes[] = { 1, 2, 3, 4, 5, 7, 8, 13, 21, 34 };
    const int dsts[] = { 1, 2, 3, 4, 6, 7, 12, 22, 35, 55 };
    max_error = 0.0;
    values_checked = 0;
    const int n = (int)(sizeof(sizes) / sizeof(sizes[0])); /* as many of dsts */
    for (int a = 0; a < n * n; a++) {
        for (int pairing = 0; pairing < 2; pairing++) {
            int b = pairing ? n * n - 1 - a : (a * 17 + 5) % (n * n);
            int sw = sizes[a / n], dw = dsts[a % n], sh = sizes[b / n], dh = dsts[b % n];
            for (int sub = 0; sub < 2; sub++) {
                Case k = { kernel, sw, sh, { 0, 0, sw, sh }, dw, dh };
                if (sub) {
                    /* The rectangle inside a picture 3 wider and 2 taller. */
                    k.src_w = sw + 3;
                    k.src_h = sh + 2;
                    k.rect.x = 2;
                    k.rect.y = 1;
                    if (kernel == BD_KERNEL_AREA) {
                        k.rect.x = 1.625;
                        k.rect.y = 0.25;
                        k.rect.w = sw + 0.5;
                        k.rect.h = sh + 1.25;
                    }
                }
                int channels = (a + sub + pairing) % 3 == 0 ? 3 : 1;
                TRY(check_picture(&k, channels, is_float, (a + pairing) % 2, &seed));
            }
        }
    }
    printf("%s %s: max |error| %.3g (of the value scale) over %ld values\n", kernel_name(kernel),
           is_float ? "float" : "uint8", max_error, values_checked);
    return UNIT_PASS;
}

static int test_scale_opencv_area_pictures(void)
{
    TRY(pictures(BD_KERNEL_OPENCV_AREA, 0, 31));
    return pictures(BD_KERNEL_OPENCV_AREA, 1, 32);
}

static int test_scale_area_pictures(void)
{
    TRY(pictures(BD_KERNEL_AREA, 0, 33));
    /* The model-input shapes: 16:9 frames into the window strip and the
     * landscape tensor, a crop at fractional pixels. */
    const Case real[] = {
        { BD_KERNEL_AREA, 640, 360, { 0, 0, 639.84375, 360 }, 455, 256 },
        { BD_KERNEL_AREA, 320, 180, { 0, 0, 320, 180 }, 256, 144 },
        { BD_KERNEL_AREA, 333, 187, { 41.6, 7.7, 249.375, 170.2 }, 97, 55 },
    };
    uint32_t seed = 34;
    max_error = 0.0;
    values_checked = 0;
    for (size_t i = 0; i < sizeof(real) / sizeof(real[0]); i++)
        TRY(check_picture(&real[i], i == 2 ? 3 : 1, 0, 0, &seed));
    printf("area, model-input shapes: max |error| %.3g over %ld values\n", max_error, values_checked);
    return pictures(BD_KERNEL_AREA, 1, 35);
}

static int test_scale_bilinear_pictures(void)
{
    TRY(pictures(BD_KERNEL_BILINEAR, 1, 36));
    /* The matte shapes: map rectangles (PAD bars excluded) to frames. */
    const Case real[] = {
        { BD_KERNEL_BILINEAR, 256, 256, { 0, 56, 256, 144 }, 640, 360 },
        { BD_KERNEL_BILINEAR, 455, 256, { 0, 0, 455, 256 }, 333, 187 },
    };
    uint32_t seed = 37;
    max_error = 0.0;
    values_checked = 0;
    for (size_t i = 0; i < sizeof(real) / sizeof(real[0]); i++)
        TRY(check_picture(&real[i], 1, 1, (int)i, &seed));
    printf("bilinear, matte shapes: max |error| %.3g over %ld values\n", max_error, values_checked);
    return pictures(BD_KERNEL_BILINEAR, 0, 38);
}

/* v rounded to nearest, halves to even, clamped to 0..255. */
static int round_even(double v)
{
    double r = floor(v), frac = v - r;
    if (frac > 0.5 || (frac == 0.5 && fmod(r, 2.0) != 0.0))
        r += 1.0;
    return r < 0 ? 0 : r > 255 ? 255 : (int)r;
}

/* Bytes out: bd_scaler_run_u8 and bd_resize_area against the naive value
 * rounded half to even, for OPENCV_AREA (the background fit) and the other
 * kernels; bd_resize_area leaves the destination outside its rectangle. */
static int test_scale_bytes_rounded(void)
{
    const BdKernel kernels[] = { BD_KERNEL_OPENCV_AREA, BD_KERNEL_AREA, BD_KERNEL_BILINEAR };
    const int sizes[][4] = { /* source w, h, destination w, h */
        { 4, 4, 2, 2 },  { 5, 5, 3, 3 },  { 7, 3, 3, 7 },   { 2, 2, 5, 4 },   { 13, 8, 4, 3 }, { 1, 1, 3, 2 },
        { 9, 6, 9, 6 },  { 37, 23, 10, 7 }, { 10, 7, 37, 23 }, { 64, 48, 31, 17 },
    };
    uint32_t seed = 39;
    long halves = 0, values = 0;
    for (size_t ki = 0; ki < sizeof(kernels) / sizeof(kernels[0]); ki++) {
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
            for (int channels = 1; channels <= 3; channels += 2) {
                Case k = { kernels[ki], sizes[i][0], sizes[i][1], { 0, 0, sizes[i][0], sizes[i][1] }, sizes[i][2],
                           sizes[i][3] };
                Samples p = picture_new(k.src_w, k.src_h, channels, 0, &seed);
                size_t n = (size_t)k.dst_w * k.dst_h * channels;
                double *want = unit_alloc(sizeof(double) * n);
                naive_picture(&k, &p, want);
                ptrdiff_t out_stride = (ptrdiff_t)k.dst_w * channels + 3;
                uint8_t *out = unit_alloc((size_t)out_stride * k.dst_h);
                BdScaler *s = unit_alloc(sizeof(*s));
                CHECK_INT(bd_scaler_init(s, k.kernel, channels, k.src_w, k.src_h, k.rect, k.dst_w, k.dst_h), 0);
                unit_defer(free_scaler, s);
                bd_scaler_run_u8(s, p.bytes, p.pitch, out, out_stride);
                for (int y = 0; y < k.dst_h; y++) {
                    for (int x = 0; x < k.dst_w * channels; x++) {
                        double e = want[(size_t)y * k.dst_w * channels + x];
                        int got = out[y * out_stride + x], expected = round_even(e);
                        values++;
                        if (got == expected)
                            continue;
                        CHECK(abs(got - expected) == 1 && fabs(e - floor(e) - 0.5) < 1e-3,
                              "%s %dx%d -> %dx%d x%d: value (%d, %d) is %d, expected %d (exact %.9g)",
                              kernel_name(k.kernel), k.src_w, k.src_h, k.dst_w, k.dst_h, channels, x, y, got,
                              expected, e);
                        halves++;
                    }
                }
                if (k.kernel != BD_KERNEL_OPENCV_AREA || channels != 3)
                    continue;
                /* bd_resize_area: the same values into a rectangle of a
                 * frame, the rest untouched. */
                BackdropFrame src = frame_new(BACKDROP_PIXFMT_RGB24, k.src_w, k.src_h);
                BackdropFrame dst = frame_new(BACKDROP_PIXFMT_RGB24, k.dst_w + 3, k.dst_h + 2);
                for (int y = 0; y < k.src_h; y++)
                    memcpy(sample(&src, 0, 0, y), p.bytes + (size_t)y * p.pitch, (size_t)k.src_w * 3);
                fill_rgb(&dst, 1, 2, 3);
                CHECK_INT(bd_resize_area(&dst, 2, 1, k.dst_w, k.dst_h, &src, 0, 0, k.src_w, k.src_h), 0);
                for (int y = 0; y < dst.height; y++) {
                    for (int x = 0; x < dst.width; x++) {
                        int inside = x >= 2 && x < 2 + k.dst_w && y >= 1 && y < 1 + k.dst_h;
                        for (int c = 0; c < 3; c++) {
                            int got = sample(&dst, 0, x, y)[c];
                            int expected = inside ? out[(y - 1) * out_stride + (x - 2) * 3 + c] : c + 1;
                            CHECK(got == expected, "bd_resize_area %dx%d -> %dx%d: (%d, %d) channel %d is %d, "
                                  "expected %d", k.src_w, k.src_h, k.dst_w, k.dst_h, x, y, c, got, expected);
                        }
                    }
                }
            }
        }
    }
    printf("%ld bytes, %ld off by one within 1e-3 of a half\n", values, halves);
    return UNIT_PASS;
}

/* Same size, whole pixels: every kernel copies each sample exactly (the
 * only tap weighs exactly 1, or the second exactly 0). */
static int test_scale_identity_exact(void)
{
    const BdKernel kernels[] = { BD_KERNEL_OPENCV_AREA, BD_KERNEL_AREA, BD_KERNEL_BILINEAR };
    uint32_t seed = 40;
    for (size_t ki = 0; ki < sizeof(kernels) / sizeof(kernels[0]); ki++) {
        for (int is_float = 0; is_float < 2; is_float++) {
            const int rects[][4] = { { 0, 0, 17, 9 }, { 3, 2, 5, 4 }, { 16, 8, 1, 1 }, { 0, 4, 17, 1 } };
            for (size_t r = 0; r < sizeof(rects) / sizeof(rects[0]); r++) {
                Samples p = picture_new(17, 9, 3, is_float, &seed);
                const int *q = rects[r];
                BdScaler *s = unit_alloc(sizeof(*s));
                CHECK_INT(bd_scaler_init(s, kernels[ki], 3, 17, 9, (BdScaleRect){ q[0], q[1], q[2], q[3] }, q[2],
                                         q[3]),
                          0);
                unit_defer(free_scaler, s);
                float *row = unit_alloc(sizeof(float) * 3 * (size_t)q[2]);
                for (int y = 0; y < q[3]; y++) {
                    if (is_float)
                        bd_scaler_row_f32(s, y, p.floats, p.pitch, row);
                    else
                        bd_scaler_row_u8(s, y, p.bytes, p.pitch, row);
                    for (int x = 0; x < q[2]; x++)
                        for (int c = 0; c < 3; c++) {
                            float want = (float)picture_at(&p, q[0] + x, q[1] + y, c);
                            float got = row[(size_t)c * q[2] + x];
                            int last = x == q[2] - 1 || y == q[3] - 1;
                            if (kernels[ki] == BD_KERNEL_BILINEAR && is_float && last && fabsf(got - want) <= 2e-7f)
                                continue;
                            CHECK(got == want,
                                  "%s %s rect (%d, %d, %d, %d): (%d, %d) channel %d is %.9g, not %.9g",
                                  kernel_name(kernels[ki]), is_float ? "float" : "uint8", q[0], q[1], q[2], q[3],
                                  x, y, c, got, want);
                        }
                }
            }
        }
    }
    return UNIT_PASS;
}

/* A movable scaler re-pointed at another rectangle (bd_scaler_move, for
 * the neural framing track) writes exactly what a scaler built for that
 * rectangle writes: shrinking, enlarging, fractional and at the picture's
 * edges, packed and one-channel. A rectangle outside the picture or larger
 * than the room is refused and leaves the scaler as it was. */
static int test_scale_move_matches_init(void)
{
    enum { SW = 61, SH = 37, DW = 16, DH = 12 };
    const BdScaleRect rects[] = {
        { 0, 0, 36, 27 }, { 10.25, 3.5, 20.5, 15.375 }, { 25, 10, 36, 27 }, { 40.3, 20.1, 8.7, 6.5 },
        { 0.5, 0, 35.5, 26.6 }, { 0, 0, 36, 27 },
    };
    const BdScaleRect refused[] = { { 30, 0, 36, 27 }, { 0, 0, 36.5, 27 }, { 0, 0, 20, 28 }, { -1, 0, 10, 10 } };
    for (int ch = 1; ch <= 3; ch += 2) {
        uint8_t *pic = unit_alloc((size_t)SW * SH * ch);
        for (int i = 0; i < SW * SH * ch; i++)
            pic[i] = (uint8_t)((i * 37 + (i / (SW * ch)) * 101 + 11) % 251);
        float *got = unit_alloc(sizeof(float) * DW * ch), *want = unit_alloc(sizeof(float) * DW * ch);
        BdScaler m, f;
        CHECK_INT(bd_scaler_init_movable(&m, BD_KERNEL_AREA, ch, SW, SH, rects[0], DW, DH, 36, 27), 0);
        int status = UNIT_PASS;
        for (size_t r = 0; r < sizeof(rects) / sizeof(rects[0]) && status == UNIT_PASS; r++) {
            if (bd_scaler_move(&m, rects[r]) != 0 ||
                bd_scaler_init(&f, BD_KERNEL_AREA, ch, SW, SH, rects[r], DW, DH) != 0) {
                unit_report(__FILE__, __LINE__, "rectangle %zu refused", r);
                status = UNIT_FAIL;
                break;
            }
            /* The refused ones leave the last rectangle in place. */
            for (size_t k = 0; k < sizeof(refused) / sizeof(refused[0]); k++)
                if (bd_scaler_move(&m, refused[k]) != BACKDROP_EINVAL) {
                    unit_report(__FILE__, __LINE__, "rectangle (%g, %g, %g, %g) accepted", refused[k].x,
                                refused[k].y, refused[k].w, refused[k].h);
                    status = UNIT_FAIL;
                }
            for (int d = 0; d < DH && status == UNIT_PASS; d++) {
                bd_scaler_row_u8(&m, d, pic, SW * ch, got);
                bd_scaler_row_u8(&f, d, pic, SW * ch, want);
                if (memcmp(got, want, sizeof(float) * DW * ch) != 0) {
                    unit_report(__FILE__, __LINE__, "%d channel(s), rectangle %zu, row %d differs", ch, r, d);
                    status = UNIT_FAIL;
                }
            }
            bd_scaler_free(&f);
        }
        bd_scaler_free(&m);
        if (status != UNIT_PASS)
            return status;
    }
    return UNIT_PASS;
}

const UnitTest scale_tests[] = {
    UNIT_TEST(scale_taps_match_naive),
    UNIT_TEST(scale_invalid_arguments),
    UNIT_TEST(scale_opencv_area_pictures),
    UNIT_TEST(scale_area_pictures),
    UNIT_TEST(scale_bilinear_pictures),
    UNIT_TEST(scale_bytes_rounded),
    UNIT_TEST(scale_identity_exact),
    UNIT_TEST(scale_move_matches_init),
    UNIT_TESTS_END
};
