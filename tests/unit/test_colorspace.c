/* Colour conversion kernels, called directly. */
#include <stdlib.h>

#include "internal.h"
#include "suites.h"
#include "util.h"

/*
 * RGB -> YUV 4:2:0 -> RGB on gradients, both matrices, both ranges, even
 * and odd sizes. Quantising Y, U and V to 8 bits moves a channel by at
 * most ~1.6 levels (blue, limited range: 0.58 from Y plus 1.01 from U),
 * so when every 2x2 block has one colour the round trip is within 2.
 * When the colour also varies inside the blocks, each pixel gets its
 * block's mean chroma, which adds up to about one more level even on a
 * gentle slope: within 3.
 */
static int check_roundtrip(int w, int h, int smooth_per_pixel, int tolerance)
{
    const BackdropColorRange ranges[] = { BACKDROP_RANGE_LIMITED, BACKDROP_RANGE_FULL };
    const BackdropColorMatrix matrices[] = { BACKDROP_MATRIX_BT601, BACKDROP_MATRIX_BT709 };
    BackdropFrame rgb = frame_new(BACKDROP_PIXFMT_RGB24, w, h);
    BackdropFrame back = frame_new(BACKDROP_PIXFMT_RGB24, w, h);
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            if (smooth_per_pixel)
                put_rgb(&rgb, x, y, 60 + (x + 1) / 2, 40 + (y + 1) / 2, 180 - (x + y + 1) / 4);
            else
                put_rgb(&rgb, x, y, 20 + 3 * (x / 2), 10 + 4 * (y / 2), 230 - 2 * (x / 2) - 3 * (y / 2));
        }
    }
    for (int ri = 0; ri < 2; ri++) {
        for (int mi = 0; mi < 2; mi++) {
            BackdropFrame yuv = frame_new(BACKDROP_PIXFMT_YUV420P, w, h);
            yuv.range = ranges[ri];
            yuv.matrix = matrices[mi];
            bd_convert(&yuv, &rgb);
            bd_convert(&back, &yuv);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int a[3], b[3];
                    get_rgb(&rgb, x, y, a);
                    get_rgb(&back, x, y, b);
                    for (int c = 0; c < 3; c++)
                        CHECK(abs(a[c] - b[c]) <= tolerance,
                              "%dx%d range %d matrix %d: (%d,%d) channel %d went %d -> %d (tolerance %d)",
                              w, h, ranges[ri], matrices[mi], x, y, c, a[c], b[c], tolerance);
                }
            }
        }
    }
    return UNIT_PASS;
}

static int test_convert_roundtrip_gradient(void)
{
    TRY(check_roundtrip(64, 48, 0, 2));
    TRY(check_roundtrip(33, 17, 0, 2));
    TRY(check_roundtrip(64, 48, 1, 3));
    TRY(check_roundtrip(33, 17, 1, 3));
    return UNIT_PASS;
}

/* Between packed formats the conversion only reorders bytes. */
static int test_convert_rgb_bgr_swap(void)
{
    uint32_t seed = 31;
    BackdropFrame rgb = frame_new(BACKDROP_PIXFMT_RGB24, 5, 4);
    BackdropFrame bgr = frame_new(BACKDROP_PIXFMT_BGR24, 5, 4);
    BackdropFrame back = frame_new(BACKDROP_PIXFMT_RGB24, 5, 4);
    fill_random(&rgb, &seed);
    bd_convert(&bgr, &rgb);
    for (int y = 0; y < 4; y++) {
        for (int x = 0; x < 5; x++) {
            const uint8_t *a = sample(&rgb, 0, x, y), *b = sample(&bgr, 0, x, y);
            CHECK(a[0] == b[2] && a[1] == b[1] && a[2] == b[0], "(%d,%d): RGB %d,%d,%d became BGR %d,%d,%d",
                  x, y, a[0], a[1], a[2], b[0], b[1], b[2]);
        }
    }
    bd_convert(&back, &bgr);
    CHECK(frames_equal(&rgb, &back), "RGB -> BGR -> RGB is not exact");
    return UNIT_PASS;
}

/* The chroma of a 2x2 block is taken from the mean colour of its pixels:
 * a block of two black and two white pixels is neutral, and Y follows
 * each pixel. */
static int test_convert_chroma_block_mean(void)
{
    BackdropFrame rgb = frame_new(BACKDROP_PIXFMT_RGB24, 3, 3);
    BackdropFrame yuv = frame_new(BACKDROP_PIXFMT_YUV420P, 3, 3);
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 3; x++)
            put_rgb(&rgb, x, y, (x + y) % 2 ? 255 : 0, (x + y) % 2 ? 255 : 0, (x + y) % 2 ? 255 : 0);
    put_rgb(&rgb, 2, 2, 255, 0, 0); /* corner block: one red pixel */
    bd_convert(&yuv, &rgb);
    for (int y = 0; y < 3; y++) {
        for (int x = 0; x < 3; x++) {
            int want = x == 2 && y == 2 ? 81 : (x + y) % 2 ? 235 : 16;
            CHECK(abs(*sample(&yuv, 0, x, y) - want) <= (want == 81 ? 1 : 0), "Y (%d,%d) is %d, expected %d",
                  x, y, *sample(&yuv, 0, x, y), want);
        }
    }
    CHECK_INT(*sample(&yuv, 1, 0, 0), 128);
    CHECK_INT(*sample(&yuv, 2, 0, 0), 128);
    /* Blocks cut by the edge: column 2 holds black/white pairs, row 2 too. */
    CHECK_INT(*sample(&yuv, 1, 1, 0), 128);
    CHECK_INT(*sample(&yuv, 1, 0, 1), 128);
    CHECK(abs(*sample(&yuv, 1, 1, 1) - 90) <= 1 && abs(*sample(&yuv, 2, 1, 1) - 240) <= 1,
          "red corner block has U %d V %d, expected 90 240", *sample(&yuv, 1, 1, 1), *sample(&yuv, 2, 1, 1));
    return UNIT_PASS;
}

/* The definition, one pixel at a time in float, written out here: kr, kb by
 * matrix; Y = offset + (kr R + kg G + kb B) / y_scale; U and V from the
 * mean of the 2x2 block's R, G, B (summed row by row), each
 * 128 + (B - luma) / (2 (1 - kb)) / c_scale (R and kr for V); rounded
 * half up, clamped. */
static uint8_t reference_round(float v)
{
    return v <= 0.0f ? 0 : v >= 255.0f ? 255 : (uint8_t)(v + 0.5f);
}

static void reference_yuv(BackdropColorRange range, BackdropColorMatrix matrix, const float rgb[3], float yuv[3])
{
    float kr = matrix == BACKDROP_MATRIX_BT709 ? 0.2126f : 0.299f;
    float kb = matrix == BACKDROP_MATRIX_BT709 ? 0.0722f : 0.114f;
    float kg = 1.0f - kr - kb;
    int full = range == BACKDROP_RANGE_FULL;
    float y_scale = full ? 1.0f : 255.0f / 219.0f, c_scale = full ? 1.0f : 255.0f / 224.0f;
    float luma = kr * rgb[0] + kg * rgb[1] + kb * rgb[2];
    yuv[0] = (full ? 0.0f : 16.0f) + luma / y_scale;
    yuv[1] = 128.0f + (rgb[2] - luma) / (2.0f * (1.0f - kb)) / c_scale;
    yuv[2] = 128.0f + (rgb[0] - luma) / (2.0f * (1.0f - kr)) / c_scale;
}

/* Packed RGB and BGR to YUV 4:2:0 (the conversion every new picture of a
 * video background goes through) equal the definition bit for bit, on
 * random pixels, odd and even sizes, both ranges and matrices. */
static int test_convert_packed_exact(void)
{
    static const int sizes[][2] = { { 1, 1 }, { 2, 2 }, { 7, 5 }, { 64, 3 }, { 33, 34 } };
    uint32_t seed = 7;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        int w = sizes[i][0], h = sizes[i][1];
        for (int variant = 0; variant < 8; variant++) {
            BackdropPixelFormat fmt = variant & 1 ? BACKDROP_PIXFMT_BGR24 : BACKDROP_PIXFMT_RGB24;
            BackdropFrame src = frame_new(fmt, w, h), dst = frame_new(BACKDROP_PIXFMT_YUV420P, w, h);
            dst.range = variant & 2 ? BACKDROP_RANGE_FULL : BACKDROP_RANGE_LIMITED;
            dst.matrix = variant & 4 ? BACKDROP_MATRIX_BT709 : BACKDROP_MATRIX_BT601;
            fill_random(&src, &seed);
            bd_convert(&dst, &src);
            for (int cy = 0; cy < (h + 1) / 2; cy++)
                for (int cx = 0; cx < (w + 1) / 2; cx++) {
                    float sum[3] = { 0 }, yuv[3];
                    int n = 0;
                    for (int y = 2 * cy; y < 2 * cy + 2 && y < h; y++)
                        for (int x = 2 * cx; x < 2 * cx + 2 && x < w; x++) {
                            int rgb_i[3];
                            get_rgb(&src, x, y, rgb_i);
                            float rgb[3] = { (float)rgb_i[0], (float)rgb_i[1], (float)rgb_i[2] };
                            reference_yuv(dst.range, dst.matrix, rgb, yuv);
                            CHECK(*sample(&dst, 0, x, y) == reference_round(yuv[0]),
                                  "%dx%d variant %d: Y(%d,%d) is %d, expected %d", w, h, variant, x, y,
                                  *sample(&dst, 0, x, y), reference_round(yuv[0]));
                            for (int k = 0; k < 3; k++)
                                sum[k] += rgb[k];
                            n++;
                        }
                    float mean[3] = { sum[0] / n, sum[1] / n, sum[2] / n };
                    reference_yuv(dst.range, dst.matrix, mean, yuv);
                    CHECK(*sample(&dst, 1, cx, cy) == reference_round(yuv[1]) &&
                              *sample(&dst, 2, cx, cy) == reference_round(yuv[2]),
                          "%dx%d variant %d: UV(%d,%d) is (%d,%d), expected (%d,%d)", w, h, variant, cx, cy,
                          *sample(&dst, 1, cx, cy), *sample(&dst, 2, cx, cy), reference_round(yuv[1]),
                          reference_round(yuv[2]));
                }
        }
    }
    return UNIT_PASS;
}

const UnitTest colorspace_tests[] = {
    UNIT_TEST(convert_roundtrip_gradient),
    UNIT_TEST(convert_rgb_bgr_swap),
    UNIT_TEST(convert_chroma_block_mean),
    UNIT_TEST(convert_packed_exact),
    UNIT_TESTS_END
};
