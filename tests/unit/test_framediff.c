/*
 * framediff end to end through backdrop_process(): which pixels are
 * foreground, what is composited, frame pairing, restarts and threading.
 * Expected masks come from reference_grey() (OpenCV's formula, written in
 * util.c), expected pixels from the input frames and the background colour.
 */
#include <string.h>

#include "suites.h"
#include "util.h"

/* Checks that out is entirely the colour rgb and the matte entirely 0. */
static int check_all_background_packed(const BackdropFrame *out, const BackdropFrame *matte,
                                       const int rgb[3])
{
    for (int y = 0; y < out->height; y++) {
        for (int x = 0; x < out->width; x++) {
            int got[3];
            get_rgb(out, x, y, got);
            CHECK(got[0] == rgb[0] && got[1] == rgb[1] && got[2] == rgb[2],
                  "pixel (%d,%d) is (%d,%d,%d), expected the background (%d,%d,%d)", x, y,
                  got[0], got[1], got[2], rgb[0], rgb[1], rgb[2]);
            CHECK(*sample(matte, 0, x, y) == 0, "matte (%d,%d) is %d, expected 0", x, y,
                  *sample(matte, 0, x, y));
        }
    }
    return UNIT_PASS;
}

/* Checks that every plane of a YUV frame holds the given constant and the
 * matte is all 0. */
static int check_all_background_yuv(const BackdropFrame *out, const BackdropFrame *matte,
                                    const int yuv[3])
{
    for (int p = 0; p < 3; p++)
        for (int y = 0; y < plane_height(out, p); y++)
            for (int x = 0; x < plane_width(out, p); x++)
                CHECK(*sample(out, p, x, y) == yuv[p], "plane %d (%d,%d) is %d, expected %d", p,
                      x, y, *sample(out, p, x, y), yuv[p]);
    for (int y = 0; y < matte->height; y++)
        for (int x = 0; x < matte->width; x++)
            CHECK(*sample(matte, 0, x, y) == 0, "matte (%d,%d) is %d, expected 0", x, y,
                  *sample(matte, 0, x, y));
    return UNIT_PASS;
}

/*
 * Runs two frames through a fresh context: 'prev' (pixels prev[i]) then
 * 'cur' (pixels cur[i]), n pixels in a row; row 1 holds the same pairs in
 * reverse order. Checks that:
 *  - the first frame is all background,
 *  - the second has matte 255 exactly where reference_grey(|cur - prev|) >
 *    threshold and 0 elsewhere, and out equals cur there, the background
 *    colour elsewhere,
 *  - the second frame again right after is all background (nothing moved).
 */
static int run_pixel_pairs(BackdropPixelFormat fmt, int threshold, const int (*prev)[3],
                           const int (*cur)[3], int n)
{
    const int bg[3] = { 1, 2, 250 };
    BackdropSettings s;
    backdrop_default_settings(&s);
    BackdropContext *ctx = context_open(&s);
    CHECK(ctx != NULL, "open failed");
    CHECK_INT(context_set_int(ctx, "threshold", threshold), 0);
    CHECK_INT(backdrop_set_background_color(ctx, (uint8_t)bg[0], (uint8_t)bg[1], (uint8_t)bg[2]), 0);

    BackdropFrame f0 = frame_new(fmt, n, 2), f1 = frame_new(fmt, n, 2);
    BackdropFrame out = frame_new(fmt, n, 2), matte = frame_new(BACKDROP_PIXFMT_GRAY8, n, 2);
    for (int y = 0; y < 2; y++) {
        for (int x = 0; x < n; x++) {
            int i = y == 0 ? x : n - 1 - x;
            put_rgb(&f0, x, y, prev[i][0], prev[i][1], prev[i][2]);
            put_rgb(&f1, x, y, cur[i][0], cur[i][1], cur[i][2]);
        }
    }

    CHECK_INT(backdrop_process(ctx, &f0, &out, &matte), 0);
    TRY(check_all_background_packed(&out, &matte, bg));

    CHECK_INT(backdrop_process(ctx, &f1, &out, &matte), 0);
    for (int y = 0; y < 2; y++) {
        for (int x = 0; x < n; x++) {
            int i = y == 0 ? x : n - 1 - x;
            int grey = reference_grey(cur[i][0] - prev[i][0], cur[i][1] - prev[i][1],
                                      cur[i][2] - prev[i][2]);
            int fg = grey > threshold;
            const int *want = fg ? cur[i] : bg;
            int got[3];
            get_rgb(&out, x, y, got);
            CHECK(*sample(&matte, 0, x, y) == (fg ? 255 : 0),
                  "pixel (%d,%d): grey %d, threshold %d: matte %d", x, y, grey, threshold,
                  *sample(&matte, 0, x, y));
            CHECK(got[0] == want[0] && got[1] == want[1] && got[2] == want[2],
                  "pixel (%d,%d) (%s) is (%d,%d,%d), expected (%d,%d,%d)", x, y,
                  fg ? "foreground" : "background", got[0], got[1], got[2], want[0], want[1],
                  want[2]);
        }
    }

    CHECK_INT(backdrop_process(ctx, &f1, &out, &matte), 0);
    TRY(check_all_background_packed(&out, &matte, bg));
    return UNIT_PASS;
}

/*
 * Channel differences around the default threshold 3. The first eight put
 * the grey level at exactly 3 (background) or 4 (foreground) through each
 * channel alone and all together; channel weights differ, so swapping R
 * and B would misclassify them.
 */
static const int threshold_edge_diffs[][3] = {
    { 3, 3, 3 },   /* grey 3 */
    { 4, 4, 4 },   /* grey 4 */
    { 0, 5, 0 },   /* grey 3 */
    { 0, 6, 0 },   /* grey 4 */
    { 11, 0, 0 },  /* grey 3 */
    { 12, 0, 0 },  /* grey 4 */
    { 0, 0, 30 },  /* grey 3 */
    { 0, 0, 31 },  /* grey 4 */
    { -4, -4, -4 }, /* the difference is absolute */
    { -12, 0, 0 },
    { 0, -6, 0 },
    { 0, 0, -31 },
    { 0, 0, 0 },
    { 5, -5, 10 },
    { 2, 1, 2 },
    { -90, 100, 0 },
};
#define EDGE_COUNT (int)(sizeof(threshold_edge_diffs) / sizeof(threshold_edge_diffs[0]))

static int run_threshold_edge(BackdropPixelFormat fmt)
{
    /* The data must really sit on the edge. */
    const int edge_grey[8] = { 3, 4, 3, 4, 3, 4, 3, 4 };
    for (int i = 0; i < 8; i++) {
        const int *d = threshold_edge_diffs[i];
        CHECK_INT(reference_grey(d[0], d[1], d[2]), edge_grey[i]);
    }
    int prev[EDGE_COUNT][3], cur[EDGE_COUNT][3];
    for (int i = 0; i < EDGE_COUNT; i++) {
        prev[i][0] = 100 + 3 * i;
        prev[i][1] = 120 - 2 * i;
        prev[i][2] = 90 + i;
        for (int c = 0; c < 3; c++)
            cur[i][c] = prev[i][c] + threshold_edge_diffs[i][c];
    }
    return run_pixel_pairs(fmt, 3, (const int (*)[3])prev, (const int (*)[3])cur, EDGE_COUNT);
}

static int test_framediff_rgb24_threshold_edge(void)
{
    return run_threshold_edge(BACKDROP_PIXFMT_RGB24);
}

static int test_framediff_bgr24_threshold_edge(void)
{
    return run_threshold_edge(BACKDROP_PIXFMT_BGR24);
}

static int test_framediff_threshold_zero(void)
{
    /* grey 0 stays background, grey 1 is foreground. */
    const int prev[4][3] = { { 10, 10, 10 }, { 10, 10, 10 }, { 10, 10, 10 }, { 50, 60, 70 } };
    const int cur[4][3] = { { 10, 10, 14 }, { 10, 10, 15 }, { 10, 10, 10 }, { 51, 60, 70 } };
    CHECK_INT(reference_grey(0, 0, 4), 0);
    CHECK_INT(reference_grey(0, 0, 5), 1);
    CHECK_INT(reference_grey(1, 0, 0), 0);
    TRY(run_pixel_pairs(BACKDROP_PIXFMT_RGB24, 0, prev, cur, 4));
    TRY(run_pixel_pairs(BACKDROP_PIXFMT_BGR24, 0, prev, cur, 4));
    return UNIT_PASS;
}

static int test_framediff_threshold_max(void)
{
    /* The largest possible difference has grey 255: never above 255. */
    const int prev[3][3] = { { 0, 0, 0 }, { 255, 255, 255 }, { 0, 255, 0 } };
    const int cur[3][3] = { { 255, 255, 255 }, { 0, 0, 0 }, { 255, 0, 255 } };
    CHECK_INT(reference_grey(255, 255, 255), 255);
    TRY(run_pixel_pairs(BACKDROP_PIXFMT_RGB24, 255, prev, cur, 3));
    /* ... but above 254. */
    TRY(run_pixel_pairs(BACKDROP_PIXFMT_RGB24, 254, prev, cur, 3));
    return UNIT_PASS;
}

/* Whatever the content, the first frame of every format is all background. */
static int test_framediff_first_frame_background(void)
{
    const BackdropPixelFormat formats[] = { BACKDROP_PIXFMT_RGB24, BACKDROP_PIXFMT_BGR24,
                                            BACKDROP_PIXFMT_YUV420P };
    uint32_t seed = 99;
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        BackdropSettings s;
        backdrop_default_settings(&s);
        BackdropContext *ctx = context_open(&s);
        CHECK(ctx != NULL, "open failed");
        CHECK_INT(context_set(ctx, "threshold", "0", "color", "white", NULL), 0);
        BackdropFrame in = frame_new(formats[i], 11, 7), out = frame_new(formats[i], 11, 7);
        BackdropFrame matte = frame_new(BACKDROP_PIXFMT_GRAY8, 11, 7);
        fill_random(&in, &seed);
        CHECK_INT(backdrop_process(ctx, &in, &out, &matte), 0);
        if (formats[i] == BACKDROP_PIXFMT_YUV420P) {
            const int white[3] = { 235, 128, 128 };
            TRY(check_all_background_yuv(&out, &matte, white));
        } else {
            const int white[3] = { 255, 255, 255 };
            TRY(check_all_background_packed(&out, &matte, white));
        }
    }
    return UNIT_PASS;
}

/*
 * YUV 4:2:0 at an odd size. Both frames share a luma texture and a chroma
 * pattern; a bright square sits at one place in frame 0 and another in
 * frame 1, so frame 1's foreground is exactly the two squares. The squares
 * start and end on odd columns / rows, so some chroma blocks are partly
 * foreground; one touches the right and bottom edges, where the chroma
 * blocks are cut.
 */
enum { YW = 33, YH = 17 };

typedef struct Rect {
    int x0, y0, x1, y1; /* [x0, x1) x [y0, y1) */
} Rect;

static int inside(Rect r, int x, int y)
{
    return x >= r.x0 && x < r.x1 && y >= r.y0 && y < r.y1;
}

static void draw_yuv(const BackdropFrame *f, Rect square)
{
    for (int y = 0; y < YH; y++)
        for (int x = 0; x < YW; x++)
            *sample(f, 0, x, y) = (uint8_t)(inside(square, x, y) ? 220 : 60 + (7 * x + 3 * y) % 9);
    for (int y = 0; y < (YH + 1) / 2; y++) {
        for (int x = 0; x < (YW + 1) / 2; x++) {
            *sample(f, 1, x, y) = (uint8_t)(60 + x);
            *sample(f, 2, x, y) = (uint8_t)(200 - 3 * y);
        }
    }
}

static int test_framediff_yuv420_odd_size(void)
{
    const Rect square0 = { 3, 5, 9, 11 }, square1 = { 26, 11, 33, 17 };
    BackdropSettings s;
    backdrop_default_settings(&s);
    BackdropContext *ctx = context_open(&s);
    CHECK(ctx != NULL, "open failed");
    /* blue: U and V differ from every input value */
    CHECK_INT(backdrop_set_background_color(ctx, 0, 0, 255), 0);
    BackdropFrame f0 = frame_new(BACKDROP_PIXFMT_YUV420P, YW, YH);
    BackdropFrame f1 = frame_new(BACKDROP_PIXFMT_YUV420P, YW, YH);
    BackdropFrame out = frame_new(BACKDROP_PIXFMT_YUV420P, YW, YH);
    BackdropFrame matte = frame_new(BACKDROP_PIXFMT_GRAY8, YW, YH);
    draw_yuv(&f0, square0);
    draw_yuv(&f1, square1);

    /* Frame 0: all background. Take the background's Y/U/V from it, and
     * check they are BT.601 limited-range blue (41, 240, 110) within 1. */
    CHECK_INT(backdrop_process(ctx, &f0, &out, &matte), 0);
    const int bg[3] = { *sample(&out, 0, 0, 0), *sample(&out, 1, 0, 0), *sample(&out, 2, 0, 0) };
    const int blue[3] = { 41, 240, 110 };
    for (int p = 0; p < 3; p++)
        CHECK(bg[p] >= blue[p] - 1 && bg[p] <= blue[p] + 1, "background plane %d is %d, expected %d +-1",
              p, bg[p], blue[p]);
    TRY(check_all_background_yuv(&out, &matte, bg));

    CHECK_INT(backdrop_process(ctx, &f1, &out, &matte), 0);
    for (int y = 0; y < YH; y++) {
        for (int x = 0; x < YW; x++) {
            int fg = inside(square0, x, y) || inside(square1, x, y);
            CHECK(*sample(&matte, 0, x, y) == (fg ? 255 : 0), "matte (%d,%d) is %d, expected %d", x,
                  y, *sample(&matte, 0, x, y), fg ? 255 : 0);
            int want = fg ? *sample(&f1, 0, x, y) : bg[0];
            CHECK(*sample(&out, 0, x, y) == want, "Y (%d,%d) is %d, expected %d", x, y,
                  *sample(&out, 0, x, y), want);
        }
    }
    /* Chroma: alpha of a block = mean of the alphas of its luma pixels that
     * exist, rounded half up. */
    int full_bg = 0, full_fg = 0, mixed = 0, quarter = 0, half = 0;
    for (int cy = 0; cy < (YH + 1) / 2; cy++) {
        for (int cx = 0; cx < (YW + 1) / 2; cx++) {
            int sum = 0, n = 0;
            for (int y = 2 * cy; y < 2 * cy + 2 && y < YH; y++) {
                for (int x = 2 * cx; x < 2 * cx + 2 && x < YW; x++) {
                    sum += inside(square0, x, y) || inside(square1, x, y) ? 255 : 0;
                    n++;
                }
            }
            int a = (2 * sum + n) / (2 * n);
            full_bg += a == 0;
            full_fg += a == 255;
            mixed += a != 0 && a != 255;
            quarter += a == 64;
            half += a == 128;
            for (int p = 1; p < 3; p++) {
                int in = *sample(&f1, p, cx, cy);
                int want = a == 0 ? bg[p] : a == 255 ? in : reference_blend(in, bg[p], a);
                CHECK(*sample(&out, p, cx, cy) == want,
                      "plane %d block (%d,%d): alpha %d, input %d, background %d: got %d, expected %d",
                      p, cx, cy, a, in, bg[p], *sample(&out, p, cx, cy), want);
            }
        }
    }
    CHECK(full_bg > 0 && full_fg > 0 && quarter > 0 && half > 0,
          "test data lacks a case: %d background, %d foreground, %d mixed (%d quarter, %d half)",
          full_bg, full_fg, mixed, quarter, half);
    return UNIT_PASS;
}

/*
 * The grey level of a YUV difference, in double, from the definitions:
 * RGB differences from the Y/U/V differences with the matrix and range,
 * each clamped to 255 in magnitude, weighed 0.299 / 0.587 / 0.114.
 */
static double reference_yuv_grey(int dy, int du, int dv, BackdropColorRange range,
                                 BackdropColorMatrix matrix)
{
    double kr = matrix == BACKDROP_MATRIX_BT709 ? 0.2126 : 0.299;
    double kb = matrix == BACKDROP_MATRIX_BT709 ? 0.0722 : 0.114;
    double kg = 1.0 - kr - kb;
    double ys = range == BACKDROP_RANGE_FULL ? 1.0 : 255.0 / 219.0;
    double cs = range == BACKDROP_RANGE_FULL ? 1.0 : 255.0 / 224.0;
    double d[3] = {
        ys * dy + 2 * (1 - kr) * cs * dv,
        ys * dy - 2 * (1 - kb) * kb / kg * cs * du - 2 * (1 - kr) * kr / kg * cs * dv,
        ys * dy + 2 * (1 - kb) * cs * du,
    };
    for (int c = 0; c < 3; c++) {
        d[c] = d[c] < 0 ? -d[c] : d[c];
        d[c] = d[c] > 255 ? 255 : d[c];
    }
    return 0.299 * d[0] + 0.587 * d[1] + 0.114 * d[2];
}

/* 1 for foreground, 0 for background; 2 (an unusable test case) when the
 * exact grey is within 0.25 of the rounding edge threshold + 0.5. */
static int yuv_expectation(int dy, int du, int dv, BackdropColorRange range,
                           BackdropColorMatrix matrix, int threshold)
{
    double grey = reference_yuv_grey(dy, du, dv, range, matrix);
    double margin = grey - (threshold + 0.5);
    if (margin > -0.25 && margin < 0.25)
        return 2;
    return margin > 0;
}

/* Runs frames a then b through a fresh context with the given threshold
 * and checks b's matte against want per pixel: 1 foreground, 0
 * background, 2 not checked. */
static int run_yuv_pair(const BackdropFrame *a, const BackdropFrame *b, int threshold,
                        const uint8_t *want)
{
    BackdropSettings s;
    backdrop_default_settings(&s);
    BackdropContext *ctx = context_open(&s);
    CHECK(ctx != NULL, "open failed");
    CHECK_INT(context_set_int(ctx, "threshold", threshold), 0);
    BackdropFrame out = frame_new(BACKDROP_PIXFMT_YUV420P, a->width, a->height);
    BackdropFrame matte = frame_new(BACKDROP_PIXFMT_GRAY8, a->width, a->height);
    out.range = a->range;
    out.matrix = a->matrix;
    CHECK_INT(backdrop_process(ctx, a, &out, &matte), 0);
    CHECK_INT(backdrop_process(ctx, b, &out, &matte), 0);
    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < a->width; x++)
            CHECK(want[y * a->width + x] == 2 || *sample(&matte, 0, x, y) == (want[y * a->width + x] ? 255 : 0),
                  "range %d matrix %d threshold %d: matte (%d,%d) is %d, expected %d", a->range,
                  a->matrix, threshold, x, y, *sample(&matte, 0, x, y), want[y * a->width + x] ? 255 : 0);
    return UNIT_PASS;
}

/*
 * YUV differences beyond luma: a change of U or V alone makes its whole
 * 2x2 block foreground when large and not when tiny; a luma step of 5 is
 * 5.82 grey levels in limited range but 5 in full range, so threshold 5
 * separates the ranges.
 */
static int test_framediff_yuv420_chroma_and_range(void)
{
    enum { W = 9, H = 6 };
    const struct {
        int cx, cy, du, dv;
    } changes[] = {
        { 0, 0, 40, 0 },  /* blue difference ~81: foreground */
        { 2, 1, 0, -30 }, /* red difference ~48: foreground */
        { 3, 2, 1, 0 },   /* ~2 levels of blue: background */
        { 4, 0, 0, 25 },  /* the cut block of the odd last column */
    };
    const BackdropColorMatrix matrices[] = { BACKDROP_MATRIX_BT601, BACKDROP_MATRIX_BT709 };
    const BackdropColorRange ranges[] = { BACKDROP_RANGE_LIMITED, BACKDROP_RANGE_FULL };
    uint8_t want[W * H];
    for (int mi = 0; mi < 2; mi++) {
        for (int ri = 0; ri < 2; ri++) {
            BackdropFrame a = frame_new(BACKDROP_PIXFMT_YUV420P, W, H);
            BackdropFrame b = frame_new(BACKDROP_PIXFMT_YUV420P, W, H);
            a.range = b.range = ranges[ri];
            a.matrix = b.matrix = matrices[mi];
            fill_plane(&a, 0, 100);
            fill_plane(&a, 1, 120);
            fill_plane(&a, 2, 135);
            copy_frame(&b, &a);
            memset(want, 0, sizeof(want));
            for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
                *sample(&b, 1, changes[i].cx, changes[i].cy) = (uint8_t)(120 + changes[i].du);
                *sample(&b, 2, changes[i].cx, changes[i].cy) = (uint8_t)(135 + changes[i].dv);
                int fg = yuv_expectation(0, changes[i].du, changes[i].dv, ranges[ri], matrices[mi], 3);
                CHECK(fg != 2, "change %zu is too close to the threshold", i);
                for (int y = 2 * changes[i].cy; y < 2 * changes[i].cy + 2 && y < H; y++)
                    for (int x = 2 * changes[i].cx; x < 2 * changes[i].cx + 2 && x < W; x++)
                        want[y * W + x] = (uint8_t)fg;
            }
            CHECK(want[0] && !want[2 * 3 + 4 * W] && want[8], "the cases lost their meaning");
            TRY(run_yuv_pair(&a, &b, 3, want));

            /* Luma steps of 4 and 5 everywhere, at threshold 5. */
            for (int step = 4; step <= 5; step++) {
                copy_frame(&b, &a);
                fill_plane(&b, 0, 100 + step);
                int fg = yuv_expectation(step, 0, 0, ranges[ri], matrices[mi], 5);
                CHECK(fg != 2, "a luma step of %d is too close to the threshold", step);
                CHECK_INT(fg, step == 5 && ranges[ri] == BACKDROP_RANGE_LIMITED);
                memset(want, fg, sizeof(want));
                TRY(run_yuv_pair(&a, &b, 5, want));
            }
        }
    }
    return UNIT_PASS;
}

/*
 * The grey level of combined Y, U and V differences, probed with a sweep of
 * thresholds: each 2x2 block of frame b differs from frame a by its own
 * (dy, du, dv), and every block whose exact grey is not within 0.25 of a
 * threshold's rounding edge must land on the right side of it. The cases
 * mix signs so that terms cancel, and the last one saturates the blue
 * difference (341 levels, clamped to 255).
 */
static int test_framediff_yuv420_grey_levels(void)
{
    const int diffs[][3] = {
        { 0, 10, -5 }, { -5, 10, -5 }, { 0, -5, 5 }, { 8, 0, 0 }, { 0, 0, -12 },
        { 3, -20, 15 }, { -10, 6, 6 }, { 20, -30, -30 }, { 120, 100, -100 },
    };
    enum { BLOCKS = sizeof(diffs) / sizeof(diffs[0]), W = 2 * BLOCKS, H = 2 };
    const int thresholds[] = { 2, 4, 7, 12, 20, 40, 143 };
    const BackdropColorMatrix matrices[] = { BACKDROP_MATRIX_BT601, BACKDROP_MATRIX_BT709 };
    const BackdropColorRange ranges[] = { BACKDROP_RANGE_LIMITED, BACKDROP_RANGE_FULL };
    uint8_t want[W * H];
    int checked = 0;
    for (int mi = 0; mi < 2; mi++) {
        for (int ri = 0; ri < 2; ri++) {
            BackdropFrame a = frame_new(BACKDROP_PIXFMT_YUV420P, W, H);
            BackdropFrame b = frame_new(BACKDROP_PIXFMT_YUV420P, W, H);
            a.range = b.range = ranges[ri];
            a.matrix = b.matrix = matrices[mi];
            fill_plane(&a, 0, 110);
            fill_plane(&a, 1, 128);
            fill_plane(&a, 2, 128);
            for (int i = 0; i < BLOCKS; i++) {
                for (int y = 0; y < 2; y++)
                    for (int x = 2 * i; x < 2 * i + 2; x++)
                        *sample(&b, 0, x, y) = (uint8_t)(110 + diffs[i][0]);
                *sample(&b, 1, i, 0) = (uint8_t)(128 + diffs[i][1]);
                *sample(&b, 2, i, 0) = (uint8_t)(128 + diffs[i][2]);
            }
            for (size_t t = 0; t < sizeof(thresholds) / sizeof(thresholds[0]); t++) {
                for (int i = 0; i < BLOCKS; i++) {
                    int fg = yuv_expectation(diffs[i][0], diffs[i][1], diffs[i][2], ranges[ri],
                                             matrices[mi], thresholds[t]);
                    checked += fg != 2;
                    for (int y = 0; y < 2; y++)
                        for (int x = 2 * i; x < 2 * i + 2; x++)
                            want[y * W + x] = (uint8_t)fg;
                }
                TRY(run_yuv_pair(&a, &b, thresholds[t], want));
            }
        }
    }
    CHECK(checked > 200, "only %d of 252 block checks were usable", checked);
    return UNIT_PASS;
}

/*
 * seed_compat pairing. Frame k has a uniform base whose blue level is
 * 100 + 5k (differences of at most 25 in blue give grey <= 3, so the
 * base is background in every pair, yet every pixel tells which frame it
 * came from) and a bright object in columns 2k and 2k+1, rows 1..2.
 */
enum { SW = 12, SH = 4, SEED_FRAMES = 6 };

static void draw_seed_frame(const BackdropFrame *f, int k)
{
    for (int y = 0; y < SH; y++) {
        for (int x = 0; x < SW; x++) {
            int object = y >= 1 && y <= 2 && x / 2 == k;
            if (object)
                put_rgb(f, x, y, 230, 200 - 10 * k, 100 + 5 * k);
            else
                put_rgb(f, x, y, 60, 80, 100 + 5 * k);
        }
    }
}

static int test_framediff_seed_compat_pairing(void)
{
    const int bg[3] = { 9, 8, 7 };
    BackdropSettings s;
    backdrop_default_settings(&s);
    BackdropContext *ctx = context_open(&s);
    CHECK(ctx != NULL, "open failed");
    CHECK_INT(context_set(ctx, "seed-compat", "1", NULL), 0);
    CHECK_INT(backdrop_set_background_color(ctx, (uint8_t)bg[0], (uint8_t)bg[1], (uint8_t)bg[2]), 0);

    BackdropFrame frames[SEED_FRAMES];
    for (int k = 0; k < SEED_FRAMES; k++) {
        frames[k] = frame_new(BACKDROP_PIXFMT_RGB24, SW, SH);
        draw_seed_frame(&frames[k], k);
    }
    CHECK_INT(reference_grey(0, 0, 25), 3); /* not above the threshold 3 */
    BackdropFrame out = frame_new(BACKDROP_PIXFMT_RGB24, SW, SH);
    BackdropFrame matte = frame_new(BACKDROP_PIXFMT_GRAY8, SW, SH);

    CHECK_INT(backdrop_process(ctx, &frames[0], &out, &matte), BACKDROP_EAGAIN);
    CHECK_INT(backdrop_process(ctx, &frames[1], &out, &matte), BACKDROP_EAGAIN);
    /* Output for input k: mask of (even, odd), composite of odd. */
    const int pairs[SEED_FRAMES][2] = { { -1, -1 }, { -1, -1 }, { 2, 1 }, { 2, 3 }, { 4, 3 }, { 4, 5 } };
    for (int k = 2; k < SEED_FRAMES; k++) {
        CHECK_INT(backdrop_process(ctx, &frames[k], &out, &matte), 0);
        const BackdropFrame *even = &frames[pairs[k][0]], *odd = &frames[pairs[k][1]];
        int fg_count = 0;
        for (int y = 0; y < SH; y++) {
            for (int x = 0; x < SW; x++) {
                int e[3], o[3], got[3];
                get_rgb(even, x, y, e);
                get_rgb(odd, x, y, o);
                get_rgb(&out, x, y, got);
                int fg = reference_grey(e[0] - o[0], e[1] - o[1], e[2] - o[2]) > 3;
                fg_count += fg;
                const int *want = fg ? o : bg;
                CHECK(*sample(&matte, 0, x, y) == (fg ? 255 : 0),
                      "input %d, pixel (%d,%d): matte %d, expected %d (pair %d,%d)", k, x, y,
                      *sample(&matte, 0, x, y), fg ? 255 : 0, pairs[k][0], pairs[k][1]);
                CHECK(got[0] == want[0] && got[1] == want[1] && got[2] == want[2],
                      "input %d, pixel (%d,%d) is (%d,%d,%d), expected (%d,%d,%d) from %s", k, x,
                      y, got[0], got[1], got[2], want[0], want[1], want[2],
                      fg ? "the odd frame" : "the background");
            }
        }
        /* Two objects of 2x2 pixels each differ between the pair. */
        CHECK_INT(fg_count, 8);
    }
    return UNIT_PASS;
}

/* Restarts: a new size, format or YUV range makes the next frame all
 * background; the method works normally afterwards. */
static int test_framediff_size_change_restarts(void)
{
    const int bg[3] = { 0, 255, 0 };
    BackdropSettings s;
    backdrop_default_settings(&s);
    BackdropContext *ctx = context_open(&s);
    CHECK(ctx != NULL, "open failed");
    CHECK_INT(backdrop_set_background_color(ctx, 0, 255, 0), 0);
    uint32_t seed = 1234;

    /* 8x6: two different frames give foreground. */
    BackdropFrame a = frame_new(BACKDROP_PIXFMT_RGB24, 8, 6), b = frame_new(BACKDROP_PIXFMT_RGB24, 8, 6);
    BackdropFrame out = frame_new(BACKDROP_PIXFMT_RGB24, 8, 6), matte = frame_new(BACKDROP_PIXFMT_GRAY8, 8, 6);
    fill_rgb(&a, 10, 10, 10);
    fill_rgb(&b, 200, 200, 200);
    CHECK_INT(backdrop_process(ctx, &a, &out, &matte), 0);
    CHECK_INT(backdrop_process(ctx, &b, &out, &matte), 0);
    CHECK_INT(*sample(&matte, 0, 3, 3), 255);

    /* 10x4 random: all background, then a change shows up where made. */
    BackdropFrame c = frame_new(BACKDROP_PIXFMT_RGB24, 10, 4), d = frame_new(BACKDROP_PIXFMT_RGB24, 10, 4);
    BackdropFrame out2 = frame_new(BACKDROP_PIXFMT_RGB24, 10, 4), matte2 = frame_new(BACKDROP_PIXFMT_GRAY8, 10, 4);
    fill_random(&c, &seed);
    CHECK_INT(backdrop_process(ctx, &c, &out2, &matte2), 0);
    TRY(check_all_background_packed(&out2, &matte2, bg));
    copy_frame(&d, &c);
    int px[3];
    get_rgb(&c, 7, 2, px);
    put_rgb(&d, 7, 2, 255 - px[0], 255 - px[1], 255 - px[2]);
    CHECK_INT(backdrop_process(ctx, &d, &out2, &matte2), 0);
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 10; x++)
            CHECK(*sample(&matte2, 0, x, y) == (x == 7 && y == 2 ? 255 : 0), "matte (%d,%d) is %d", x,
                  y, *sample(&matte2, 0, x, y));

    /* Same size, other format: restart. */
    BackdropFrame e = frame_new(BACKDROP_PIXFMT_BGR24, 10, 4), out3 = frame_new(BACKDROP_PIXFMT_BGR24, 10, 4);
    fill_rgb(&e, 250, 5, 5);
    CHECK_INT(backdrop_process(ctx, &e, &out3, &matte2), 0);
    TRY(check_all_background_packed(&out3, &matte2, bg));

    /* YUV, then the same size in full range: restart at the range change. */
    BackdropFrame f = frame_new(BACKDROP_PIXFMT_YUV420P, 10, 4), g = frame_new(BACKDROP_PIXFMT_YUV420P, 10, 4);
    BackdropFrame out4 = frame_new(BACKDROP_PIXFMT_YUV420P, 10, 4);
    fill_plane(&f, 0, 30);
    fill_plane(&f, 1, 128);
    fill_plane(&f, 2, 128);
    fill_plane(&g, 0, 220);
    fill_plane(&g, 1, 128);
    fill_plane(&g, 2, 128);
    g.range = BACKDROP_RANGE_FULL;
    CHECK_INT(backdrop_process(ctx, &f, &out4, &matte2), 0);
    const int green_limited[3] = { *sample(&out4, 0, 0, 0), *sample(&out4, 1, 0, 0), *sample(&out4, 2, 0, 0) };
    TRY(check_all_background_yuv(&out4, &matte2, green_limited));
    CHECK_INT(backdrop_process(ctx, &g, &out4, &matte2), 0);
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 10; x++)
            CHECK_INT(*sample(&matte2, 0, x, y), 0);
    /* Back to the first size: all background again. */
    CHECK_INT(backdrop_process(ctx, &b, &out, &matte), 0);
    TRY(check_all_background_packed(&out, &matte, bg));

    /* seed_compat starts its pairing over: two more EAGAINs. */
    BackdropContext *sc = context_open(&s);
    CHECK(sc != NULL, "open failed");
    CHECK_INT(context_set(sc, "seed-compat", "1", "color", "#00ff00", NULL), 0);
    for (int i = 0; i < 3; i++)
        CHECK_INT(backdrop_process(sc, i == 1 ? &b : &a, &out, NULL), i < 2 ? BACKDROP_EAGAIN : 0);
    CHECK_INT(backdrop_process(sc, &c, &out2, NULL), BACKDROP_EAGAIN);
    CHECK_INT(backdrop_process(sc, &d, &out2, NULL), BACKDROP_EAGAIN);
    CHECK_INT(backdrop_process(sc, &c, &out2, &matte2), 0);
    return UNIT_PASS;
}

/*
 * Threads: the same frames through threads = 1 and threads = 4 give
 * identical bytes. Each frame is the one before plus small noise, so the
 * mask mixes foreground and background; a picture background exercises the
 * resize. The library runs no more threads than it has CPUs (2 on a
 * two-CPU machine, 1 when pinned to one); run_rows_any_pool in test_cpu.c
 * checks the slicing on larger pools whatever the machine.
 */
static int run_threads_case(BackdropPixelFormat fmt, int w, int h)
{
    enum { FRAMES = 3 };
    uint32_t seed = 20240601u;
    BackdropFrame frames[FRAMES];
    for (int i = 0; i < FRAMES; i++) {
        frames[i] = frame_new(fmt, w, h);
        if (i == 0) {
            fill_random(&frames[0], &seed);
            continue;
        }
        /* The previous frame plus noise in -6..6 on every sample. */
        BackdropFrame noise = frame_new(fmt, w, h);
        fill_random(&noise, &seed);
        int planes = fmt == BACKDROP_PIXFMT_YUV420P ? 3 : 1;
        int bytes_per_pixel = fmt == BACKDROP_PIXFMT_YUV420P ? 1 : 3;
        for (int p = 0; p < planes; p++) {
            for (int y = 0; y < plane_height(&noise, p); y++) {
                const uint8_t *before = sample(&frames[i - 1], p, 0, y), *n = sample(&noise, p, 0, y);
                uint8_t *after = sample(&frames[i], p, 0, y);
                for (int x = 0; x < plane_width(&noise, p) * bytes_per_pixel; x++) {
                    int v = before[x] + n[x] % 13 - 6;
                    after[x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
                }
            }
        }
    }
    BackdropFrame picture = frame_new(BACKDROP_PIXFMT_RGB24, 301, 203);
    fill_random(&picture, &seed);

    BackdropFrame out[2], matte[2];
    BackdropContext *ctx[2];
    const int threads[2] = { 1, 4 };
    for (int t = 0; t < 2; t++) {
        BackdropSettings s = settings_with_threads(threads[t]);
        ctx[t] = context_open(&s);
        CHECK(ctx[t] != NULL, "open with %d threads failed", threads[t]);
        CHECK_INT(context_set(ctx[t], "fit", "cover", NULL), 0);
        CHECK_INT(backdrop_set_background(ctx[t], &picture), 0);
        out[t] = frame_new(fmt, w, h);
        matte[t] = frame_new(BACKDROP_PIXFMT_GRAY8, w, h);
    }
    for (int i = 0; i < FRAMES; i++) {
        for (int t = 0; t < 2; t++)
            CHECK_INT(backdrop_process(ctx[t], &frames[i], &out[t], &matte[t]), 0);
        CHECK(frames_equal(&out[0], &out[1]), "%dx%d frame %d: outputs differ", w, h, i);
        CHECK(frames_equal(&matte[0], &matte[1]), "%dx%d frame %d: mattes differ", w, h, i);
        if (i > 0) {
            long fg = 0;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    fg += *sample(&matte[0], 0, x, y) == 255;
            CHECK(fg > (long)w * h / 20 && fg < (long)w * h * 19 / 20,
                  "frame %d: %ld of %d pixels foreground, not a mixed mask", i, fg, w * h);
        }
    }
    return UNIT_PASS;
}

static int test_framediff_threads_identical(void)
{
    TRY(run_threads_case(BACKDROP_PIXFMT_YUV420P, 640, 360));
    TRY(run_threads_case(BACKDROP_PIXFMT_YUV420P, 333, 97));
    /* 282 rows on 4 threads: 282 / 16 = 17 rows a slice before alignment
     * (35 on 2 threads), so a slice that were not rounded to whole chroma
     * rows would split one and race on it. */
    TRY(run_threads_case(BACKDROP_PIXFMT_YUV420P, 202, 282));
    TRY(run_threads_case(BACKDROP_PIXFMT_BGR24, 160, 90));
    return UNIT_PASS;
}

const UnitTest framediff_tests[] = {
    UNIT_TEST(framediff_rgb24_threshold_edge),
    UNIT_TEST(framediff_bgr24_threshold_edge),
    UNIT_TEST(framediff_threshold_zero),
    UNIT_TEST(framediff_threshold_max),
    UNIT_TEST(framediff_first_frame_background),
    UNIT_TEST(framediff_yuv420_odd_size),
    UNIT_TEST(framediff_yuv420_chroma_and_range),
    UNIT_TEST(framediff_yuv420_grey_levels),
    UNIT_TEST(framediff_seed_compat_pairing),
    UNIT_TEST(framediff_size_change_restarts),
    UNIT_TEST(framediff_threads_identical),
    UNIT_TESTS_END
};
