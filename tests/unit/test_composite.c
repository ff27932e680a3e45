/* The compositing kernel, called directly. */
#include <stdlib.h>

#include "internal.h"
#include "suites.h"
#include "util.h"

/*
 * Every (f, b, a) in 0..255^3 against floor((a*f + (255-a)*b) / 255 + 0.5)
 * in double. An RGB frame of 256x256 pixels holds every (f, b) pair in its
 * red channel (f = x, b = y) and the swapped pair in green; each call uses
 * one alpha for the whole frame, in two row slices.
 */
static int test_composite_blend_exhaustive(void)
{
    enum { N = 256 };
    BackdropFrame fg = frame_new(BACKDROP_PIXFMT_RGB24, N, N);
    BackdropFrame bg = frame_new(BACKDROP_PIXFMT_RGB24, N, N);
    BackdropFrame out = frame_new(BACKDROP_PIXFMT_RGB24, N, N);
    uint8_t *alpha = unit_alloc((size_t)N * N);
    for (int y = 0; y < N; y++) {
        for (int x = 0; x < N; x++) {
            put_rgb(&fg, x, y, x, y, (x * 7 + y) & 255);
            put_rgb(&bg, x, y, y, x, 255 - x);
        }
    }
    for (int a = 0; a < 256; a++) {
        for (int i = 0; i < N * N; i++)
            alpha[i] = (uint8_t)a;
        bd_composite_rows(&out, &fg, &bg, alpha, N, 0, 100);
        bd_composite_rows(&out, &fg, &bg, alpha, N, 100, N - 100);
        for (int y = 0; y < N; y++) {
            for (int x = 0; x < N; x++) {
                int f[3], b[3], got[3];
                get_rgb(&fg, x, y, f);
                get_rgb(&bg, x, y, b);
                get_rgb(&out, x, y, got);
                for (int c = 0; c < 3; c++) {
                    int want = reference_blend(f[c], b[c], a);
                    if (got[c] != want) {
                        unit_report(__FILE__, __LINE__, "blend(f=%d, b=%d, a=%d) = %d, expected %d",
                                    f[c], b[c], a, got[c], want);
                        return UNIT_FAIL;
                    }
                }
            }
        }
    }
    return UNIT_PASS;
}

/*
 * YUV 4:2:0 with arbitrary alphas: luma blends per pixel; chroma blends
 * with the mean of the alphas of the luma pixels its block covers (those
 * that exist at odd edges), rounded half up. Several sizes, even and odd;
 * the rows are composited in two slices.
 */
static int test_composite_yuv420_chroma_alpha(void)
{
    const int sizes[][2] = { { 5, 3 }, { 1, 1 }, { 2, 2 }, { 7, 8 }, { 6, 5 } };
    uint32_t seed = 4242;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        int w = sizes[i][0], h = sizes[i][1];
        BackdropFrame fg = frame_new(BACKDROP_PIXFMT_YUV420P, w, h);
        BackdropFrame bg = frame_new(BACKDROP_PIXFMT_YUV420P, w, h);
        BackdropFrame out = frame_new(BACKDROP_PIXFMT_YUV420P, w, h);
        BackdropFrame alpha = frame_new(BACKDROP_PIXFMT_GRAY8, w, h);
        fill_random(&fg, &seed);
        fill_random(&bg, &seed);
        fill_random(&alpha, &seed);
        int split = h >= 4 ? 2 : h;
        bd_composite_rows(&out, &fg, &bg, alpha.data[0], alpha.stride[0], 0, split);
        if (split < h)
            bd_composite_rows(&out, &fg, &bg, alpha.data[0], alpha.stride[0], split, h - split);

        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int a = *sample(&alpha, 0, x, y);
                int want = reference_blend(*sample(&fg, 0, x, y), *sample(&bg, 0, x, y), a);
                CHECK(*sample(&out, 0, x, y) == want, "%dx%d: Y (%d,%d) alpha %d: %d, expected %d",
                      w, h, x, y, a, *sample(&out, 0, x, y), want);
            }
        }
        for (int cy = 0; cy < (h + 1) / 2; cy++) {
            for (int cx = 0; cx < (w + 1) / 2; cx++) {
                int sum = 0, n = 0;
                for (int y = 2 * cy; y < 2 * cy + 2 && y < h; y++) {
                    for (int x = 2 * cx; x < 2 * cx + 2 && x < w; x++) {
                        sum += *sample(&alpha, 0, x, y);
                        n++;
                    }
                }
                int a = (2 * sum + n) / (2 * n);
                for (int p = 1; p < 3; p++) {
                    int want = reference_blend(*sample(&fg, p, cx, cy), *sample(&bg, p, cx, cy), a);
                    CHECK(*sample(&out, p, cx, cy) == want,
                          "%dx%d: plane %d block (%d,%d) alpha %d: %d, expected %d", w, h, p, cx, cy,
                          a, *sample(&out, p, cx, cy), want);
                }
            }
        }
    }
    return UNIT_PASS;
}

const UnitTest composite_tests[] = {
    UNIT_TEST(composite_blend_exhaustive),
    UNIT_TEST(composite_yuv420_chroma_alpha),
    UNIT_TESTS_END
};
