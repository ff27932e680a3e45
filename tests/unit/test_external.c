/*
 * The method external through the public API: the caller's matte
 * (backdrop_set_matte) is the alpha, bit for bit, and the composite follows
 * it exactly; the later stages apply as to framediff's alpha; the errors
 * are EINVAL with a logged reason, and a matte serves one frame only.
 */
#include <stdio.h>
#include <string.h>

#include "suites.h"
#include "util.h"

static BackdropContext *open_with_log(const char *method, int threads, UnitLog *log)
{
    BackdropSettings s = settings_with_threads(threads);
    s.method = method;
    s.logger = unit_keep_log;
    s.logger_opaque = log;
    return context_open(&s);
}

/* A matte with every level: solid 0 and 255 regions (left and right
 * thirds) around a band of pseudo-random values that includes 0, 1, 254
 * and 255. */
static void fill_matte(const BackdropFrame *m, uint32_t seed)
{
    for (int y = 0; y < m->height; y++)
        for (int x = 0; x < m->width; x++) {
            int v;
            if (x < m->width / 3)
                v = 0;
            else if (x >= 2 * m->width / 3)
                v = 255;
            else
                v = lcg_byte(&seed);
            *sample(m, 0, x, y) = (uint8_t)v;
        }
    *sample(m, 0, m->width / 3, 0) = 1;
    *sample(m, 0, m->width / 3 + 1, 0) = 254;
}

/* Runs one frame of fmt through external with a random matte and checks:
 * the matte returned is the one given, bit for bit; the output is the
 * background where it is 0, the input where it is 255 and their exact
 * rounded blend in between (packed formats per pixel; 4:2:0 luma per
 * pixel, chroma where the 2x2 block's four alphas agree), with
 * edge-color original; with estimate (the default) only where it is 0 or
 * 255. The background is what an all-0 matte gives, so no colour
 * conversion is assumed. A bottom-up matte (negative stride) reads the
 * same. */
static int run_passthrough(BackdropPixelFormat fmt, int width, int height, int threads, int bottom_up,
                           int estimate)
{
    UnitLog log = { 0 };
    BackdropContext *ctx = open_with_log("external", threads, &log);
    CHECK(ctx != NULL, "open failed");
    CHECK_INT(backdrop_set_background_color(ctx, 10, 200, 30), 0);
    /* The estimated edge colour replaces the frame's at soft pixels only. */
    CHECK_INT(backdrop_set_option(ctx, "edge-color", estimate ? "estimate" : "original"), 0);
    BackdropFrame in = frame_new(fmt, width, height), out = frame_new(fmt, width, height);
    BackdropFrame bg = frame_new(fmt, width, height);
    BackdropFrame given = frame_new(BACKDROP_PIXFMT_GRAY8, width, height);
    BackdropFrame got = frame_new(BACKDROP_PIXFMT_GRAY8, width, height);
    uint32_t seed = 12345u + (uint32_t)fmt;
    fill_random(&in, &seed);

    /* All 0: the background alone. */
    CHECK_INT(backdrop_set_matte(ctx, &given), 0);
    CHECK_INT(backdrop_process(ctx, &in, &bg, &got), 0);
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
            CHECK(*sample(&got, 0, x, y) == 0, "all-0 matte came back %d at (%d,%d)", *sample(&got, 0, x, y), x, y);

    fill_matte(&given, seed);
    BackdropFrame m = given;
    if (bottom_up) { /* the same picture described from its last row up */
        m.data[0] = given.data[0] + (ptrdiff_t)(height - 1) * given.stride[0];
        m.stride[0] = -given.stride[0];
        for (int y = 0; y < height / 2; y++) /* flip the rows, so m shows the picture fill_matte drew */
            for (int x = 0; x < width; x++) {
                uint8_t t = *sample(&given, 0, x, y);
                *sample(&given, 0, x, y) = *sample(&given, 0, x, height - 1 - y);
                *sample(&given, 0, x, height - 1 - y) = t;
            }
    }
    CHECK_INT(backdrop_set_matte(ctx, &m), 0);
    CHECK_INT(backdrop_process(ctx, &in, &out, &got), 0);
    CHECK_INT(log.errors, 0);
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++) {
            int a = m.data[0][y * m.stride[0] + x];
            CHECK(*sample(&got, 0, x, y) == a, "matte (%d,%d) came back %d, given %d", x, y, *sample(&got, 0, x, y), a);
        }
    int planes = fmt == BACKDROP_PIXFMT_YUV420P ? 3 : 1;
    int channels = fmt == BACKDROP_PIXFMT_YUV420P ? 1 : 3;
    for (int p = 0; p < planes; p++)
        for (int y = 0; y < plane_height(&out, p); y++)
            for (int x = 0; x < plane_width(&out, p); x++) {
                int a;
                if (p == 0) {
                    a = m.data[0][y * m.stride[0] + x];
                } else {
                    /* Chroma: only whole 2x2 blocks of one alpha. */
                    if (2 * x + 1 >= width || 2 * y + 1 >= height)
                        continue;
                    const uint8_t *r0 = m.data[0] + 2 * y * m.stride[0] + 2 * x, *r1 = r0 + m.stride[0];
                    if (r0[0] != r0[1] || r0[0] != r1[0] || r0[0] != r1[1])
                        continue;
                    a = r0[0];
                }
                if (estimate && a != 0 && a != 255)
                    continue;
                for (int c = 0; c < channels; c++) {
                    int f = sample(&in, p, x, y)[c], b = sample(&bg, p, x, y)[c], o = sample(&out, p, x, y)[c];
                    int want = a == 0 ? b : a == 255 ? f : reference_blend(f, b, a);
                    CHECK(o == want, "format %d plane %d (%d,%d) channel %d: alpha %d, fg %d, bg %d: got %d, want %d",
                          (int)fmt, p, x, y, c, a, f, b, o, want);
                }
            }
    return UNIT_PASS;
}

static int test_external_alpha_passthrough(void)
{
    TRY(run_passthrough(BACKDROP_PIXFMT_RGB24, 37, 23, 1, 0, 0));
    TRY(run_passthrough(BACKDROP_PIXFMT_BGR24, 37, 23, 2, 1, 0));
    TRY(run_passthrough(BACKDROP_PIXFMT_YUV420P, 37, 23, 1, 1, 0));
    TRY(run_passthrough(BACKDROP_PIXFMT_YUV420P, 64, 48, 2, 0, 0));
    /* The default edge colour: 0 and 255 stay exact. */
    TRY(run_passthrough(BACKDROP_PIXFMT_RGB24, 37, 23, 1, 0, 1));
    TRY(run_passthrough(BACKDROP_PIXFMT_YUV420P, 37, 23, 2, 1, 1));
    return UNIT_PASS;
}

/* The errors, each EINVAL with its reason logged: no matte for a frame,
 * a matte of another size, a matte that is not GRAY8 or not a frame, a
 * matte given to another method. A matte serves one frame: the next
 * needs its own, also after a failed frame; NULL withdraws it. */
static int test_external_errors(void)
{
    UnitLog log = { 0 };
    BackdropContext *ctx = open_with_log("external", 1, &log);
    CHECK(ctx != NULL, "open failed");
    BackdropFrame in = frame_new(BACKDROP_PIXFMT_RGB24, 8, 6), out = frame_new(BACKDROP_PIXFMT_RGB24, 8, 6);
    BackdropFrame m = frame_new(BACKDROP_PIXFMT_GRAY8, 8, 6);

    CHECK_INT(backdrop_process(ctx, &in, &out, NULL), BACKDROP_EINVAL);
    CHECK(!strcmp(log.last, "method external: no matte given for this frame (backdrop_set_matte)"),
          "message '%s'", log.last);

    CHECK_INT(backdrop_set_matte(ctx, &m), 0);
    CHECK_INT(backdrop_process(ctx, &in, &out, NULL), 0);
    log.last[0] = '\0';
    CHECK_INT(backdrop_process(ctx, &in, &out, NULL), BACKDROP_EINVAL); /* the matte was used up */
    CHECK(strstr(log.last, "no matte given for this frame"), "message '%s'", log.last);

    CHECK_INT(backdrop_set_matte(ctx, &m), 0);
    CHECK_INT(backdrop_set_matte(ctx, NULL), 0); /* withdrawn */
    CHECK_INT(backdrop_process(ctx, &in, &out, NULL), BACKDROP_EINVAL);

    BackdropFrame wide = frame_new(BACKDROP_PIXFMT_GRAY8, 9, 6), tall = frame_new(BACKDROP_PIXFMT_GRAY8, 8, 7);
    CHECK_INT(backdrop_set_matte(ctx, &wide), 0); /* the size is the frame's to judge */
    CHECK_INT(backdrop_process(ctx, &in, &out, NULL), BACKDROP_EINVAL);
    CHECK(!strcmp(log.last, "method external: the matte is 9x6, the frame 8x6"), "message '%s'", log.last);
    CHECK_INT(backdrop_set_matte(ctx, &tall), 0);
    CHECK_INT(backdrop_process(ctx, &in, &out, NULL), BACKDROP_EINVAL);
    CHECK(strstr(log.last, "the matte is 8x7, the frame 8x6"), "message '%s'", log.last);
    /* The failed frame used it up too. */
    CHECK_INT(backdrop_process(ctx, &in, &out, NULL), BACKDROP_EINVAL);
    CHECK(strstr(log.last, "no matte given"), "message '%s'", log.last);

    int errors = log.errors;
    BackdropFrame rgb = frame_new(BACKDROP_PIXFMT_RGB24, 8, 6);
    CHECK_INT(backdrop_set_matte(ctx, &rgb), BACKDROP_EINVAL);
    CHECK(strstr(log.last, "GRAY8"), "message '%s'", log.last);
    BackdropFrame broken = m;
    broken.data[0] = NULL;
    CHECK_INT(backdrop_set_matte(ctx, &broken), BACKDROP_EINVAL);
    broken = m;
    broken.stride[0] = 3; /* shorter than a row */
    CHECK_INT(backdrop_set_matte(ctx, &broken), BACKDROP_EINVAL);
    broken = m;
    broken.width = 0;
    CHECK_INT(backdrop_set_matte(ctx, &broken), BACKDROP_EINVAL);
    CHECK_INT(log.errors, errors + 4);
    CHECK_INT(backdrop_set_matte(NULL, &m), BACKDROP_EINVAL);
    /* A refused matte does not replace nothing with something. */
    CHECK_INT(backdrop_process(ctx, &in, &out, NULL), BACKDROP_EINVAL);
    CHECK(strstr(log.last, "no matte given"), "message '%s'", log.last);
    /* And the context still works. */
    CHECK_INT(backdrop_set_matte(ctx, &m), 0);
    CHECK_INT(backdrop_process(ctx, &in, &out, NULL), 0);

    /* Another method refuses a matte rather than ignore it. */
    UnitLog other = { 0 };
    BackdropContext *fd = open_with_log("framediff", 1, &other);
    CHECK(fd != NULL, "open failed");
    CHECK_INT(backdrop_set_matte(fd, &m), BACKDROP_EINVAL);
    CHECK(strstr(other.last, "framediff") && strstr(other.last, "external"), "message '%s'", other.last);
    CHECK_INT(backdrop_set_matte(fd, NULL), BACKDROP_EINVAL);
    CHECK_INT(backdrop_process(fd, &in, &out, NULL), 0);
    return UNIT_PASS;
}

/* The later stages: cleanup's expand dilates the given matte (one pixel
 * becomes a 5x5 square with expand 2) and leaves the caller's plane as it
 * was (the alpha is a copy); a frame size change restarts nothing that
 * matters (the next size works at once); rotation does not turn the
 * matte. */
static int test_external_later_stages(void)
{
    UnitLog log = { 0 };
    BackdropContext *ctx = open_with_log("external", 1, &log);
    CHECK(ctx != NULL, "open failed");
    CHECK_INT(backdrop_set_option(ctx, "expand", "2"), 0);
    BackdropFrame in = frame_new(BACKDROP_PIXFMT_YUV420P, 16, 12), out = frame_new(BACKDROP_PIXFMT_YUV420P, 16, 12);
    BackdropFrame m = frame_new(BACKDROP_PIXFMT_GRAY8, 16, 12), got = frame_new(BACKDROP_PIXFMT_GRAY8, 16, 12);
    *sample(&m, 0, 5, 4) = 255;
    CHECK_INT(backdrop_set_matte(ctx, &m), 0);
    CHECK_INT(backdrop_process(ctx, &in, &out, &got), 0);
    for (int y = 0; y < 12; y++)
        for (int x = 0; x < 16; x++) {
            int want = x >= 3 && x <= 7 && y >= 2 && y <= 6 ? 255 : 0;
            CHECK(*sample(&got, 0, x, y) == want, "expanded matte (%d,%d) is %d, want %d", x, y,
                  *sample(&got, 0, x, y), want);
            CHECK(*sample(&m, 0, x, y) == (x == 5 && y == 4 ? 255 : 0), "the caller's matte changed at (%d,%d)", x, y);
        }

    /* Another size: the next frame's matte of that size is taken. */
    BackdropFrame in2 = frame_new(BACKDROP_PIXFMT_RGB24, 10, 20), out2 = frame_new(BACKDROP_PIXFMT_RGB24, 10, 20);
    BackdropFrame m2 = frame_new(BACKDROP_PIXFMT_GRAY8, 10, 20), got2 = frame_new(BACKDROP_PIXFMT_GRAY8, 10, 20);
    CHECK_INT(backdrop_set_option(ctx, "expand", "0"), 0);
    uint32_t seed = 7;
    fill_random(&m2, &seed);
    CHECK_INT(backdrop_set_matte(ctx, &m2), 0);
    CHECK_INT(backdrop_process(ctx, &in2, &out2, &got2), 0);
    CHECK(frames_equal(&m2, &got2), "the matte of the second size did not come back as given");

    /* Rotated video: the matte is in the stored orientation, as given. */
    UnitLog rlog = { 0 };
    BackdropContext *rot = open_with_log("external", 1, &rlog);
    CHECK(rot != NULL, "open failed");
    CHECK_INT(backdrop_set_option(rot, "rotation", "90"), 0);
    CHECK_INT(backdrop_set_matte(rot, &m2), 0);
    CHECK_INT(backdrop_process(rot, &in2, &out2, &got2), 0);
    CHECK(frames_equal(&m2, &got2), "rotation 90 changed the matte");
    CHECK_INT(log.errors + rlog.errors, 0);
    return UNIT_PASS;
}

const UnitTest external_tests[] = {
    UNIT_TEST(external_alpha_passthrough),
    UNIT_TEST(external_errors),
    UNIT_TEST(external_later_stages),
    UNIT_TESTS_END
};
