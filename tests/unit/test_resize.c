/*
 * bd_resize_area, called directly. Expected values come from hand-computed
 * box weights; the constants marked "OpenCV 4.6" were obtained from
 * /usr/bin/python3 with cv2.resize(..., interpolation=cv2.INTER_AREA) and
 * agree with the hand computation.
 */
#include <math.h>

#include "internal.h"
#include "suites.h"
#include "util.h"

/* A GRAY8 frame holding one row (or one column) of values. */
static BackdropFrame gray_line(const int *values, int n, int vertical)
{
    BackdropFrame f = frame_new(BACKDROP_PIXFMT_GRAY8, vertical ? 1 : n, vertical ? n : 1);
    for (int i = 0; i < n; i++)
        *sample(&f, 0, vertical ? 0 : i, vertical ? i : 0) = (uint8_t)values[i];
    return f;
}

/* Resizes a line of n values to m along either axis; compares with want. */
static int check_line(const int *values, int n, const int *want, int m)
{
    for (int vertical = 0; vertical < 2; vertical++) {
        BackdropFrame src = gray_line(values, n, vertical);
        BackdropFrame dst = frame_new(BACKDROP_PIXFMT_GRAY8, vertical ? 1 : m, vertical ? m : 1);
        CHECK_INT(bd_resize_area(&dst, 0, 0, dst.width, dst.height, &src, 0, 0, src.width, src.height), 0);
        for (int i = 0; i < m; i++) {
            int got = *sample(&dst, 0, vertical ? 0 : i, vertical ? i : 0);
            CHECK(got == want[i], "%s %d -> %d: pixel %d is %d, expected %d",
                  vertical ? "column" : "row", n, m, i, got, want[i]);
        }
    }
    return UNIT_PASS;
}

/* sum / area rounded to nearest, ties to even (lrint's rule). */
static int round_half_even(int sum, int area)
{
    int q = sum / area, r = sum % area;
    if (2 * r > area || (2 * r == area && (q & 1)))
        q++;
    return q;
}

/*
 * Integer factors: each destination pixel is the mean of its block. Exact
 * halves round to even, as the library documents (lrintf). Note: OpenCV
 * 4.6 itself rounds halves up in its SIMD 2x2 uchar path (a 4x4 -> 2x2
 * RGB resize of blocks summing to 2 and 10 gives 1 and 3), and to even on
 * its other paths; the library follows the latter everywhere.
 */
static int test_resize_integer_shrink(void)
{
    const int cases[][4] = { /* source w, h, destination w, h */
        { 4, 4, 2, 2 }, { 8, 6, 4, 3 }, { 9, 6, 3, 2 }, { 8, 4, 2, 2 }, { 12, 12, 1, 1 },
    };
    uint32_t seed = 77;
    int halves = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int sw = cases[i][0], sh = cases[i][1], dw = cases[i][2], dh = cases[i][3];
        int fx = sw / dw, fy = sh / dh;
        BackdropFrame src = frame_new(BACKDROP_PIXFMT_RGB24, sw, sh);
        BackdropFrame dst = frame_new(BACKDROP_PIXFMT_RGB24, dw, dh);
        fill_random(&src, &seed);
        if (i == 0) {
            /* Hand-made halves in the first block: R sums to 2 (0.5 -> 0),
             * G to 6 (1.5 -> 2), B to 10 (2.5 -> 2). */
            put_rgb(&src, 0, 0, 1, 3, 5);
            put_rgb(&src, 1, 0, 1, 3, 5);
            put_rgb(&src, 0, 1, 0, 0, 0);
            put_rgb(&src, 1, 1, 0, 0, 0);
        }
        CHECK_INT(bd_resize_area(&dst, 0, 0, dw, dh, &src, 0, 0, sw, sh), 0);
        for (int y = 0; y < dh; y++) {
            for (int x = 0; x < dw; x++) {
                int sum[3] = { 0, 0, 0 };
                for (int by = 0; by < fy; by++) {
                    for (int bx = 0; bx < fx; bx++) {
                        int px[3];
                        get_rgb(&src, x * fx + bx, y * fy + by, px);
                        for (int c = 0; c < 3; c++)
                            sum[c] += px[c];
                    }
                }
                int got[3];
                get_rgb(&dst, x, y, got);
                for (int c = 0; c < 3; c++) {
                    int want = round_half_even(sum[c], fx * fy);
                    halves += 2 * (sum[c] % (fx * fy)) == fx * fy;
                    CHECK(got[c] == want, "%dx%d -> %dx%d: (%d,%d) channel %d: sum %d, got %d, expected %d",
                          sw, sh, dw, dh, x, y, c, sum[c], got[c], want);
                }
            }
        }
    }
    CHECK(halves >= 3, "only %d exact halves in the data", halves);
    return UNIT_PASS;
}

/*
 * 5 -> 3: each destination pixel covers 5/3 source pixels:
 *   d0 = [0, 5/3):    s0 * 1   + s1 * 2/3
 *   d1 = [5/3, 10/3): s1 * 1/3 + s2 * 1 + s3 * 1/3
 *   d2 = [10/3, 5):   s3 * 2/3 + s4 * 1
 * each divided by 5/3.
 */
static int test_resize_fractional_shrink(void)
{
    const int src[5] = { 7, 50, 0, 100, 255 };
    const double w[3][5] = {
        { 1, 2.0 / 3, 0, 0, 0 },
        { 0, 1.0 / 3, 1, 1.0 / 3, 0 },
        { 0, 0, 0, 2.0 / 3, 1 },
    };
    int want[3];
    for (int d = 0; d < 3; d++) {
        double sum = 0;
        for (int s = 0; s < 5; s++)
            sum += w[d][s] * src[s];
        want[d] = (int)lrint(sum / (5.0 / 3.0));
    }
    /* 24.2, 30, 193 -> OpenCV 4.6: [24, 30, 193] */
    CHECK(want[0] == 24 && want[1] == 30 && want[2] == 193, "hand computation gives %d %d %d",
          want[0], want[1], want[2]);
    TRY(check_line(src, 5, want, 3));

    /* Both axes at once: 5x5 -> 3x3, the same weights on rows and columns. */
    const int image[5][5] = {
        { 12, 200, 37, 90, 255 },
        { 0, 64, 128, 192, 31 },
        { 250, 17, 99, 45, 78 },
        { 33, 160, 5, 222, 140 },
        { 81, 11, 240, 66, 3 },
    };
    /* OpenCV 4.6 */
    const int opencv[3][3] = { { 63, 99, 152 }, { 116, 85, 93 }, { 65, 127, 86 } };
    BackdropFrame s5 = frame_new(BACKDROP_PIXFMT_GRAY8, 5, 5), d3 = frame_new(BACKDROP_PIXFMT_GRAY8, 3, 3);
    for (int y = 0; y < 5; y++)
        for (int x = 0; x < 5; x++)
            *sample(&s5, 0, x, y) = (uint8_t)image[y][x];
    CHECK_INT(bd_resize_area(&d3, 0, 0, 3, 3, &s5, 0, 0, 5, 5), 0);
    for (int dy = 0; dy < 3; dy++) {
        for (int dx = 0; dx < 3; dx++) {
            double sum = 0;
            for (int y = 0; y < 5; y++)
                for (int x = 0; x < 5; x++)
                    sum += w[dy][y] * w[dx][x] * image[y][x];
            int expected = (int)lrint(sum * 0.36); /* divided by (5/3)^2 */
            CHECK(expected == opencv[dy][dx], "hand computation %d != OpenCV %d at (%d,%d)", expected,
                  opencv[dy][dx], dx, dy);
            CHECK(*sample(&d3, 0, dx, dy) == expected, "5x5 -> 3x3 (%d,%d) is %d, expected %d", dx, dy,
                  *sample(&d3, 0, dx, dy), expected);
        }
    }
    return UNIT_PASS;
}

/* Same size: an exact copy, in every supported format, and between
 * sub-rectangles, leaving the rest of the destination alone. */
static int test_resize_identity_copy(void)
{
    const BackdropPixelFormat formats[] = { BACKDROP_PIXFMT_RGB24, BACKDROP_PIXFMT_BGR24,
                                            BACKDROP_PIXFMT_GRAY8 };
    uint32_t seed = 5;
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        BackdropFrame src = frame_new(formats[i], 7, 5), dst = frame_new(formats[i], 7, 5);
        fill_random(&src, &seed);
        CHECK_INT(bd_resize_area(&dst, 0, 0, 7, 5, &src, 0, 0, 7, 5), 0);
        CHECK(frames_equal(&src, &dst), "format %d: 7x5 -> 7x5 is not a copy", formats[i]);
    }
    /* Source rectangle (2,1) 3x2 into destination rectangle (1,2) 3x2. */
    BackdropFrame src = frame_new(BACKDROP_PIXFMT_RGB24, 7, 5), dst = frame_new(BACKDROP_PIXFMT_RGB24, 6, 6);
    fill_random(&src, &seed);
    fill_rgb(&dst, 1, 2, 3);
    CHECK_INT(bd_resize_area(&dst, 1, 2, 3, 2, &src, 2, 1, 3, 2), 0);
    for (int y = 0; y < 6; y++) {
        for (int x = 0; x < 6; x++) {
            int got[3], want[3] = { 1, 2, 3 };
            if (x >= 1 && x < 4 && y >= 2 && y < 4)
                get_rgb(&src, x - 1 + 2, y - 2 + 1, want);
            get_rgb(&dst, x, y, got);
            CHECK(got[0] == want[0] && got[1] == want[1] && got[2] == want[2],
                  "(%d,%d) is (%d,%d,%d), expected (%d,%d,%d)", x, y, got[0], got[1], got[2], want[0],
                  want[1], want[2]);
        }
    }
    return UNIT_PASS;
}

/*
 * Enlarging: OpenCV's INTER_AREA upscale, per destination index d with
 * s = floor(d * in/out), f = (d + 1) - (s + 1) * out/in, f <= 0 -> 0 else
 * its fractional part; value = (1 - f) * src[s] + f * src[s + 1], the last
 * source pixel repeated. E.g. 3 -> 7, d = 4: s = 1, f = 5 - 14/3 = 1/3,
 * 90 * 2/3 + 200 / 3 = 126.67 -> 127. Expected rows from OpenCV 4.6.
 */
static int test_resize_enlarge_opencv(void)
{
    const int a[2] = { 0, 100 };
    const int a4[4] = { 0, 0, 100, 100 };
    const int a5[5] = { 0, 0, 50, 100, 100 };
    const int b[3] = { 0, 90, 200 };
    const int b7[7] = { 0, 0, 60, 90, 127, 200, 200 };
    const int c[3] = { 10, 200, 30 };
    const int c8[8] = { 10, 10, 73, 200, 200, 87, 30, 30 };
    const int one[1] = { 77 };
    const int one3[3] = { 77, 77, 77 };
    TRY(check_line(a, 2, a4, 4));
    TRY(check_line(a, 2, a5, 5));
    TRY(check_line(b, 3, b7, 7));
    TRY(check_line(c, 3, c8, 8));
    TRY(check_line(one, 1, one3, 3));
    return UNIT_PASS;
}

const UnitTest resize_tests[] = {
    UNIT_TEST(resize_integer_shrink),
    UNIT_TEST(resize_fractional_shrink),
    UNIT_TEST(resize_identity_copy),
    UNIT_TEST(resize_enlarge_opencv),
    UNIT_TESTS_END
};
