/* Frame validation at the API boundary: process() and set_background(). */
#include <stdint.h>
#include <string.h>

#include "suites.h"
#include "util.h"

/* A context with default settings on the calling thread. */
static BackdropContext *open_default(void)
{
    BackdropSettings s = settings_with_threads(1);
    return context_open(&s);
}

static int test_frame_null_arguments(void)
{
    BackdropContext *ctx = open_default();
    CHECK(ctx != NULL, "open failed");
    BackdropFrame in = frame_new(BACKDROP_PIXFMT_RGB24, 4, 4);
    BackdropFrame out = frame_new(BACKDROP_PIXFMT_RGB24, 4, 4);
    CHECK_INT(backdrop_process(ctx, NULL, &out, NULL), BACKDROP_EINVAL);
    CHECK_INT(backdrop_process(ctx, &in, NULL, NULL), BACKDROP_EINVAL);
    CHECK_INT(backdrop_process(ctx, &in, &out, NULL), 0);
    return UNIT_PASS;
}

static int test_frame_null_planes(void)
{
    BackdropContext *ctx = open_default();
    CHECK(ctx != NULL, "open failed");

    BackdropFrame in = frame_new(BACKDROP_PIXFMT_RGB24, 4, 4);
    BackdropFrame out = frame_new(BACKDROP_PIXFMT_RGB24, 4, 4);
    BackdropFrame bad = in;
    bad.data[0] = NULL;
    CHECK_INT(backdrop_process(ctx, &bad, &out, NULL), BACKDROP_EINVAL);
    bad = out;
    bad.data[0] = NULL;
    CHECK_INT(backdrop_process(ctx, &in, &bad, NULL), BACKDROP_EINVAL);

    /* Each plane of a YUV frame is required; unused entries of packed
     * frames are ignored. */
    BackdropFrame yin = frame_new(BACKDROP_PIXFMT_YUV420P, 4, 4);
    BackdropFrame yout = frame_new(BACKDROP_PIXFMT_YUV420P, 4, 4);
    for (int p = 0; p < 3; p++) {
        bad = yin;
        bad.data[p] = NULL;
        CHECK_INT(backdrop_process(ctx, &bad, &yout, NULL), BACKDROP_EINVAL);
        bad = yout;
        bad.data[p] = NULL;
        CHECK_INT(backdrop_process(ctx, &yin, &bad, NULL), BACKDROP_EINVAL);
    }
    CHECK(in.data[1] == NULL && in.data[2] == NULL, "test frame has extra planes");
    CHECK_INT(backdrop_process(ctx, &in, &out, NULL), 0);
    CHECK_INT(backdrop_process(ctx, &yin, &yout, NULL), 0);
    return UNIT_PASS;
}

static int test_frame_short_strides(void)
{
    BackdropContext *ctx = open_default();
    CHECK(ctx != NULL, "open failed");

    BackdropFrame in = frame_new(BACKDROP_PIXFMT_RGB24, 5, 3);
    BackdropFrame out = frame_new(BACKDROP_PIXFMT_RGB24, 5, 3);
    BackdropFrame bad = in;
    bad.stride[0] = 3 * 5 - 1;
    CHECK_INT(backdrop_process(ctx, &bad, &out, NULL), BACKDROP_EINVAL);
    bad.stride[0] = -(3 * 5 - 1);
    CHECK_INT(backdrop_process(ctx, &bad, &out, NULL), BACKDROP_EINVAL);
    bad.stride[0] = 0;
    CHECK_INT(backdrop_process(ctx, &bad, &out, NULL), BACKDROP_EINVAL);
    bad.stride[0] = PTRDIFF_MIN; /* a magnitude that does not fit ptrdiff_t */
    CHECK_INT(backdrop_process(ctx, &bad, &out, NULL), BACKDROP_EINVAL);
    bad = out;
    bad.stride[0] = 5; /* one byte per pixel: a GRAY8 stride */
    CHECK_INT(backdrop_process(ctx, &in, &bad, NULL), BACKDROP_EINVAL);
    /* A stride of exactly one row is enough. */
    bad = in;
    bad.stride[0] = 3 * 5;
    CHECK_INT(backdrop_process(ctx, &bad, &out, NULL), 0);

    /* YUV 5x3: luma rows of 5, chroma rows of 3. */
    BackdropFrame yin = frame_new(BACKDROP_PIXFMT_YUV420P, 5, 3);
    BackdropFrame yout = frame_new(BACKDROP_PIXFMT_YUV420P, 5, 3);
    const ptrdiff_t too_short[3] = { 4, 2, 2 };
    for (int p = 0; p < 3; p++) {
        bad = yin;
        bad.stride[p] = too_short[p];
        CHECK_INT(backdrop_process(ctx, &bad, &yout, NULL), BACKDROP_EINVAL);
    }
    bad = yin;
    bad.stride[1] = 3;
    bad.stride[2] = 3;
    CHECK_INT(backdrop_process(ctx, &bad, &yout, NULL), 0);
    return UNIT_PASS;
}

static int test_frame_bad_dimensions(void)
{
    BackdropContext *ctx = open_default();
    CHECK(ctx != NULL, "open failed");
    BackdropFrame in = frame_new(BACKDROP_PIXFMT_RGB24, 4, 4);
    BackdropFrame out = frame_new(BACKDROP_PIXFMT_RGB24, 4, 4);
    const int sizes[][2] = { { 0, 4 }, { 4, 0 }, { -1, 4 }, { 4, -1 }, { 0, 0 } };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        BackdropFrame bad_in = in, bad_out = out;
        bad_in.width = bad_out.width = sizes[i][0];
        bad_in.height = bad_out.height = sizes[i][1];
        CHECK(backdrop_process(ctx, &bad_in, &bad_out, NULL) == BACKDROP_EINVAL,
              "%dx%d not rejected with EINVAL", sizes[i][0], sizes[i][1]);
    }
    return UNIT_PASS;
}

/* Larger than BACKDROP_MAX_DIMENSION: ERANGE, before any pixel is read. */
static int test_frame_too_large(void)
{
    BackdropContext *ctx = open_default();
    CHECK(ctx != NULL, "open failed");
    BackdropFrame in = frame_new(BACKDROP_PIXFMT_RGB24, 4, 4);
    BackdropFrame out = frame_new(BACKDROP_PIXFMT_RGB24, 4, 4);
    const int big = BACKDROP_MAX_DIMENSION + 1;
    const int sizes[][2] = { { big, 4 }, { 4, big }, { big, big } };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        BackdropFrame bad_in = in, bad_out = out;
        bad_in.width = bad_out.width = sizes[i][0];
        bad_in.height = bad_out.height = sizes[i][1];
        bad_in.stride[0] = bad_out.stride[0] = 3 * (ptrdiff_t)big;
        CHECK(backdrop_process(ctx, &bad_in, &bad_out, NULL) == BACKDROP_ERANGE,
              "%dx%d not rejected with ERANGE", sizes[i][0], sizes[i][1]);
    }
    BackdropFrame bg = in;
    bg.width = big;
    bg.stride[0] = 3 * (ptrdiff_t)big;
    CHECK_INT(backdrop_set_background(ctx, &bg), BACKDROP_ERANGE);
    return UNIT_PASS;
}

/* The largest width is accepted and processed (one 4:2:0 row pair). */
static int test_frame_max_dimension(void)
{
    BackdropSettings s = settings_with_threads(1);
    BackdropContext *ctx = context_open(&s);
    CHECK(ctx != NULL, "open failed");
    CHECK_INT(backdrop_set_background_color(ctx, 255, 0, 0), 0);
    const int w = BACKDROP_MAX_DIMENSION;
    BackdropFrame in = frame_new(BACKDROP_PIXFMT_YUV420P, w, 2);
    BackdropFrame out = frame_new(BACKDROP_PIXFMT_YUV420P, w, 2);
    BackdropFrame matte = frame_new(BACKDROP_PIXFMT_GRAY8, w, 2);
    fill_plane(&in, 0, 100);
    fill_plane(&in, 1, 128);
    fill_plane(&in, 2, 128);
    CHECK_INT(backdrop_process(ctx, &in, &out, &matte), 0);
    /* The first frame is all background: red, so V is high everywhere. */
    CHECK(*sample(&out, 2, w / 2 - 1, 0) > 200, "last chroma sample V = %d",
          *sample(&out, 2, w / 2 - 1, 0));
    CHECK_INT(*sample(&matte, 0, w - 1, 1), 0);
    return UNIT_PASS;
}

static int test_frame_gray8_input(void)
{
    BackdropContext *ctx = open_default();
    CHECK(ctx != NULL, "open failed");
    BackdropFrame in = frame_new(BACKDROP_PIXFMT_GRAY8, 4, 4);
    BackdropFrame out = frame_new(BACKDROP_PIXFMT_GRAY8, 4, 4);
    CHECK_INT(backdrop_process(ctx, &in, &out, NULL), BACKDROP_ENOTSUP);
    return UNIT_PASS;
}

static int test_frame_bad_format_or_range(void)
{
    BackdropContext *ctx = open_default();
    CHECK(ctx != NULL, "open failed");
    BackdropFrame in = frame_new(BACKDROP_PIXFMT_YUV420P, 4, 4);
    BackdropFrame out = frame_new(BACKDROP_PIXFMT_YUV420P, 4, 4);
    BackdropFrame bad = in, bad_out = out;
    bad.format = bad_out.format = BACKDROP_PIXFMT_NONE;
    CHECK_INT(backdrop_process(ctx, &bad, &bad_out, NULL), BACKDROP_EINVAL);
    bad.format = bad_out.format = (BackdropPixelFormat)99;
    CHECK_INT(backdrop_process(ctx, &bad, &bad_out, NULL), BACKDROP_EINVAL);

    bad = in;
    bad.range = (BackdropColorRange)2;
    CHECK_INT(backdrop_process(ctx, &bad, &out, NULL), BACKDROP_EINVAL);
    bad = in;
    bad.matrix = (BackdropColorMatrix)2;
    CHECK_INT(backdrop_process(ctx, &bad, &out, NULL), BACKDROP_EINVAL);

    /* Range and matrix mean nothing for packed frames. */
    BackdropFrame rgb = frame_new(BACKDROP_PIXFMT_RGB24, 4, 4);
    BackdropFrame rgb_out = frame_new(BACKDROP_PIXFMT_RGB24, 4, 4);
    rgb.range = (BackdropColorRange)7;
    rgb.matrix = (BackdropColorMatrix)7;
    CHECK_INT(backdrop_process(ctx, &rgb, &rgb_out, NULL), 0);
    return UNIT_PASS;
}

static int test_frame_output_mismatch(void)
{
    BackdropContext *ctx = open_default();
    CHECK(ctx != NULL, "open failed");
    BackdropFrame in = frame_new(BACKDROP_PIXFMT_RGB24, 6, 4);
    const BackdropFrame outs[] = {
        frame_new(BACKDROP_PIXFMT_RGB24, 5, 4),
        frame_new(BACKDROP_PIXFMT_RGB24, 6, 5),
        frame_new(BACKDROP_PIXFMT_RGB24, 7, 4),
        frame_new(BACKDROP_PIXFMT_BGR24, 6, 4),
        frame_new(BACKDROP_PIXFMT_YUV420P, 6, 4),
        frame_new(BACKDROP_PIXFMT_GRAY8, 6, 4),
    };
    for (size_t i = 0; i < sizeof(outs) / sizeof(outs[0]); i++) {
        BackdropFrame out = outs[i];
        CHECK(backdrop_process(ctx, &in, &out, NULL) == BACKDROP_EINVAL,
              "output #%zu (format %d, %dx%d) accepted", i, out.format, out.width, out.height);
    }
    BackdropFrame out = frame_new(BACKDROP_PIXFMT_RGB24, 6, 4);
    CHECK_INT(backdrop_process(ctx, &in, &out, NULL), 0);
    return UNIT_PASS;
}

static int test_frame_matte_mismatch(void)
{
    BackdropContext *ctx = open_default();
    CHECK(ctx != NULL, "open failed");
    BackdropFrame in = frame_new(BACKDROP_PIXFMT_YUV420P, 6, 4);
    BackdropFrame out = frame_new(BACKDROP_PIXFMT_YUV420P, 6, 4);
    const BackdropFrame mattes[] = {
        frame_new(BACKDROP_PIXFMT_GRAY8, 5, 4),
        frame_new(BACKDROP_PIXFMT_GRAY8, 6, 3),
        frame_new(BACKDROP_PIXFMT_GRAY8, 3, 2),
        frame_new(BACKDROP_PIXFMT_RGB24, 6, 4),
        frame_new(BACKDROP_PIXFMT_YUV420P, 6, 4),
    };
    for (size_t i = 0; i < sizeof(mattes) / sizeof(mattes[0]); i++) {
        BackdropFrame matte = mattes[i];
        CHECK(backdrop_process(ctx, &in, &out, &matte) == BACKDROP_EINVAL,
              "matte #%zu (format %d, %dx%d) accepted", i, matte.format, matte.width, matte.height);
    }
    BackdropFrame matte = frame_new(BACKDROP_PIXFMT_GRAY8, 6, 4);
    BackdropFrame bad = matte;
    bad.data[0] = NULL;
    CHECK_INT(backdrop_process(ctx, &in, &out, &bad), BACKDROP_EINVAL);
    bad = matte;
    bad.stride[0] = 5;
    CHECK_INT(backdrop_process(ctx, &in, &out, &bad), BACKDROP_EINVAL);
    CHECK_INT(backdrop_process(ctx, &in, &out, &matte), 0);
    return UNIT_PASS;
}

static int test_background_validation(void)
{
    BackdropContext *ctx = open_default();
    CHECK(ctx != NULL, "open failed");
    BackdropFrame gray = frame_new(BACKDROP_PIXFMT_GRAY8, 4, 4);
    CHECK_INT(backdrop_set_background(ctx, &gray), BACKDROP_ENOTSUP);

    BackdropFrame pic = frame_new(BACKDROP_PIXFMT_RGB24, 4, 4);
    BackdropFrame bad = pic;
    bad.data[0] = NULL;
    CHECK_INT(backdrop_set_background(ctx, &bad), BACKDROP_EINVAL);
    bad = pic;
    bad.width = 0;
    CHECK_INT(backdrop_set_background(ctx, &bad), BACKDROP_EINVAL);
    bad = pic;
    bad.stride[0] = 11;
    CHECK_INT(backdrop_set_background(ctx, &bad), BACKDROP_EINVAL);
    bad = pic;
    bad.format = (BackdropPixelFormat)42;
    CHECK_INT(backdrop_set_background(ctx, &bad), BACKDROP_EINVAL);

    const BackdropFrame good[] = {
        pic,
        frame_new(BACKDROP_PIXFMT_BGR24, 3, 7),
        frame_new(BACKDROP_PIXFMT_YUV420P, 5, 3),
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        CHECK(backdrop_set_background(ctx, &good[i]) == 0, "picture #%zu refused", i);
    CHECK_INT(backdrop_set_background(ctx, NULL), 0);
    return UNIT_PASS;
}

/* A bottom-up frame (negative strides) gives the same pixels as the same
 * image stored top-down. */
static int test_frame_negative_strides(void)
{
    enum { W = 9, H = 6 };
    BackdropFrame top[2], flipped[2];
    uint32_t seed = 7;
    for (int i = 0; i < 2; i++) {
        top[i] = frame_new(BACKDROP_PIXFMT_YUV420P, W, H);
        flipped[i] = top[i];
        for (int p = 0; p < 3; p++) {
            BackdropFrame storage = frame_new(BACKDROP_PIXFMT_YUV420P, W, H);
            int rows = plane_height(&top[i], p);
            flipped[i].data[p] = storage.data[p] + (rows - 1) * storage.stride[p];
            flipped[i].stride[p] = -storage.stride[p];
            for (int y = 0; y < rows; y++)
                for (int x = 0; x < plane_width(&top[i], p); x++)
                    *sample(&top[i], p, x, y) = *sample(&flipped[i], p, x, y) = lcg_byte(&seed);
        }
    }
    BackdropSettings s = settings_with_threads(1);
    BackdropContext *a = context_open(&s), *b = context_open(&s);
    CHECK(a && b, "open failed");
    CHECK_INT(backdrop_set_background_color(a, 0, 0, 200), 0);
    CHECK_INT(backdrop_set_background_color(b, 0, 0, 200), 0);
    BackdropFrame out_top = frame_new(BACKDROP_PIXFMT_YUV420P, W, H);
    BackdropFrame out_flip = frame_new(BACKDROP_PIXFMT_YUV420P, W, H);
    BackdropFrame flip_storage = frame_new(BACKDROP_PIXFMT_YUV420P, W, H);
    for (int p = 0; p < 3; p++) {
        out_flip.data[p] = flip_storage.data[p] + (plane_height(&out_flip, p) - 1) * flip_storage.stride[p];
        out_flip.stride[p] = -flip_storage.stride[p];
    }
    for (int i = 0; i < 2; i++) {
        CHECK_INT(backdrop_process(a, &top[i], &out_top, NULL), 0);
        CHECK_INT(backdrop_process(b, &flipped[i], &out_flip, NULL), 0);
        CHECK(frames_equal(&out_top, &out_flip), "frame %d differs when stored bottom-up", i);
    }
    return UNIT_PASS;
}

const UnitTest validation_tests[] = {
    UNIT_TEST(frame_null_arguments),
    UNIT_TEST(frame_null_planes),
    UNIT_TEST(frame_short_strides),
    UNIT_TEST(frame_bad_dimensions),
    UNIT_TEST(frame_too_large),
    UNIT_TEST(frame_max_dimension),
    UNIT_TEST(frame_gray8_input),
    UNIT_TEST(frame_bad_format_or_range),
    UNIT_TEST(frame_output_mismatch),
    UNIT_TEST(frame_matte_mismatch),
    UNIT_TEST(frame_negative_strides),
    UNIT_TEST(background_validation),
    UNIT_TESTS_END
};
