/*
 * Options (set, get, validate, enumerate), the pipeline's stages and their
 * registry, timestamps, alpha output formats and drain.
 */
#include <stdio.h>
#include <string.h>

#include "suites.h"
#include "util.h"

static BackdropContext *open_method(const char *method, UnitLog *log)
{
    BackdropSettings s = settings_with_threads(1);
    s.method = method;
    s.logger = unit_keep_log;
    s.logger_opaque = log;
    return context_open(&s);
}

/* The example: threshold 7 is taken, -3 and an unknown name are
 * refused with EINVAL and a log line naming the option and its range. */
static int test_option_set_and_get(void)
{
    UnitLog log = { 0 };
    BackdropContext *ctx = open_method("framediff", &log);
    CHECK(ctx != NULL, "open failed");
    char value[32];
    CHECK_INT(backdrop_get_option(ctx, "threshold", value, sizeof(value)), 0);
    CHECK(!strcmp(value, "3"), "default threshold '%s'", value);
    CHECK_INT(backdrop_set_option(ctx, "threshold", "7"), 0);
    CHECK_INT(backdrop_get_option(ctx, "threshold", value, sizeof(value)), 0);
    CHECK(!strcmp(value, "7"), "threshold '%s' after setting 7", value);

    CHECK_INT(backdrop_set_option(ctx, "threshold", "-3"), BACKDROP_EINVAL);
    CHECK(strstr(log.last, "threshold") && strstr(log.last, "0..255"), "message '%s'", log.last);
    CHECK_INT(backdrop_get_option(ctx, "threshold", value, sizeof(value)), 0);
    CHECK(!strcmp(value, "7"), "a rejected value changed the option to '%s'", value);
    CHECK_INT(backdrop_set_option(ctx, "no-such-option", "1"), BACKDROP_EINVAL);
    CHECK(strstr(log.last, "no-such-option"), "message '%s'", log.last);
    const char *bad[] = { "", "abc", "3.5", "256", "1e9", "nan", "7x" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_INT(backdrop_set_option(ctx, "threshold", bad[i]), BACKDROP_EINVAL);
    CHECK_INT(backdrop_set_option(ctx, "threshold", "4.0"), 0); /* a whole number written as a decimal */

    /* Every type: choice, colour, bool, float; qualified names. */
    CHECK_INT(backdrop_set_option(ctx, "fit", "contain"), 0);
    CHECK_INT(backdrop_set_option(ctx, "fit", "wide"), BACKDROP_EINVAL);
    CHECK(strstr(log.last, "stretch|cover|contain"), "choices not listed: '%s'", log.last);
    CHECK_INT(backdrop_set_option(ctx, "picture.color", "#00B140"), 0);
    CHECK_INT(backdrop_get_option(ctx, "color", value, sizeof(value)), 0);
    CHECK(!strcmp(value, "#00b140"), "color '%s'", value);
    CHECK_INT(backdrop_set_option(ctx, "color", "#12345"), BACKDROP_EINVAL);
    CHECK_INT(backdrop_set_option(ctx, "seed-compat", "yes"), 0);
    CHECK_INT(backdrop_set_option(ctx, "seed-compat", "maybe"), BACKDROP_EINVAL);
    CHECK_INT(backdrop_set_option(ctx, "framediff.threshold", "9"), 0);
    CHECK_INT(backdrop_set_option(ctx, "selfie.framing", "crop"), BACKDROP_EINVAL); /* not this context's */
    CHECK_INT(backdrop_set_option(ctx, "context.rotation", "90"), 0);
    CHECK_INT(backdrop_set_option(ctx, "rotation", "45"), BACKDROP_EINVAL);
    CHECK_INT(backdrop_get_option(ctx, "rotation", value, 2), BACKDROP_EINVAL); /* no room for "90" */
    CHECK_INT(backdrop_set_option(NULL, "threshold", "1"), BACKDROP_EINVAL);
    CHECK_INT(backdrop_set_option(ctx, NULL, "1"), BACKDROP_EINVAL);
    CHECK_INT(backdrop_set_option(ctx, "threshold", NULL), BACKDROP_EINVAL);
    return UNIT_PASS;
}

/* A runtime option applies from the next frame; one that is not runtime is
 * refused with ENOTSUP once a frame went through. */
static int test_option_runtime(void)
{
    UnitLog log = { 0 };
    BackdropContext *ctx = open_method("framediff", &log);
    CHECK(ctx != NULL, "open failed");
    /* Pixel 0 changes by grey 10 between frames, pixel 1 by grey 2. */
    BackdropFrame a = frame_new(BACKDROP_PIXFMT_RGB24, 2, 1), b = frame_new(BACKDROP_PIXFMT_RGB24, 2, 1);
    put_rgb(&a, 0, 0, 100, 100, 100);
    put_rgb(&a, 1, 0, 100, 100, 100);
    put_rgb(&b, 0, 0, 110, 110, 110);
    put_rgb(&b, 1, 0, 102, 102, 102);
    BackdropFrame out = frame_new(BACKDROP_PIXFMT_RGB24, 2, 1), matte = frame_new(BACKDROP_PIXFMT_GRAY8, 2, 1);
    CHECK_INT(backdrop_process(ctx, &a, &out, &matte), 0);
    CHECK_INT(backdrop_process(ctx, &b, &out, &matte), 0);
    CHECK_INT(*sample(&matte, 0, 0, 0), 255);
    CHECK_INT(*sample(&matte, 0, 1, 0), 0);
    CHECK_INT(backdrop_set_option(ctx, "threshold", "1"), 0);
    CHECK_INT(backdrop_process(ctx, &a, &out, &matte), 0); /* a after b: both moved again */
    CHECK_INT(*sample(&matte, 0, 1, 0), 255);
    CHECK_INT(backdrop_set_option(ctx, "threshold", "20"), 0);
    CHECK_INT(backdrop_process(ctx, &b, &out, &matte), 0);
    CHECK_INT(*sample(&matte, 0, 0, 0), 0);
    /* A background colour change applies from the next frame too. */
    CHECK_INT(backdrop_set_option(ctx, "color", "red"), 0);
    CHECK_INT(backdrop_process(ctx, &a, &out, &matte), 0);
    int rgb[3];
    get_rgb(&out, 1, 0, rgb);
    CHECK(rgb[0] == 255 && rgb[1] == 0 && rgb[2] == 0, "background (%d,%d,%d), want red", rgb[0], rgb[1], rgb[2]);
    /* Not runtime: fixed once frames went through. */
    log.errors = 0;
    CHECK_INT(backdrop_set_option(ctx, "seed-compat", "1"), BACKDROP_ENOTSUP);
    CHECK_INT(backdrop_set_option(ctx, "rotation", "90"), BACKDROP_ENOTSUP);
    CHECK(log.errors == 2 && strstr(log.last, "while running"), "message '%s'", log.last);
    return UNIT_PASS;
}

/* The enumeration lists the context, the methods and the stages, each
 * option with a default that its own validation accepts; names are unique
 * per component. */
static int test_option_enumeration(void)
{
    const BackdropComponent *c = backdrop_component(0);
    CHECK(c && !strcmp(c->name, "context") && c->kind == BACKDROP_COMPONENT_CONTEXT, "component 0");
    int methods = 0, kinds_seen = 0, options = 0;
    for (int i = 0; (c = backdrop_component(i)); i++) {
        methods += c->kind == BACKDROP_COMPONENT_METHOD;
        kinds_seen |= 1 << c->kind;
        CHECK(c->help && c->help[0], "%s has no help", c->name);
        const BackdropOption *o;
        for (int j = 0; (o = backdrop_option(c->name, j)); j++, options++) {
            CHECK(o->help && o->help[0], "%s.%s has no help", c->name, o->name);
            char why[256] = "";
            CHECK_INT(backdrop_option_validate(c->name, o->name, o->default_value, why, sizeof(why)), 0);
            for (int k = 0; k < j; k++)
                CHECK(strcmp(backdrop_option(c->name, k)->name, o->name), "%s.%s twice", c->name, o->name);
            if (o->type == BACKDROP_OPTION_CHOICE)
                CHECK(o->choices && o->choices[0], "%s.%s has no choices", c->name, o->name);
            if (o->type == BACKDROP_OPTION_INT || o->type == BACKDROP_OPTION_FLOAT)
                CHECK(o->min <= o->max, "%s.%s range", c->name, o->name);
        }
        CHECK(backdrop_option(c->name, -1) == NULL, "option -1 of %s", c->name);
    }
    /* framediff, selfie and rvm (with XNNPACK), external, and the test-only constant */
    CHECK_INT(methods, BD_HAVE_XNNPACK ? 5 : 3);
    CHECK_INT(kinds_seen, (1 << BACKDROP_COMPONENT_CONTEXT) | (1 << BACKDROP_COMPONENT_METHOD) |
                              (1 << BACKDROP_COMPONENT_REFINE) | (1 << BACKDROP_COMPONENT_STABILISE) |
                              (1 << BACKDROP_COMPONENT_BACKGROUND) | (1 << BACKDROP_COMPONENT_COMPOSITE) |
                              (1 << BACKDROP_COMPONENT_CLEANUP));
    CHECK(options >= 9, "only %d options", options);
    CHECK(backdrop_option("no-such-component", 0) == NULL, "unknown component has options");
    CHECK(backdrop_option(NULL, 0) == NULL, "NULL component has options");
    char why[256];
    CHECK_INT(backdrop_option_validate("framediff", "threshold", "300", why, sizeof(why)), BACKDROP_EINVAL);
    CHECK(strstr(why, "threshold") && strstr(why, "300") && strstr(why, "0..255"), "why '%s'", why);
    CHECK_INT(backdrop_option_validate("bilinear", "threshold", "0.3", NULL, 0), 0);
    CHECK_INT(backdrop_option_validate("bilinear", "threshold", "3", NULL, 0), BACKDROP_EINVAL);
    CHECK_INT(backdrop_option_validate("selfie", "threshold", "0.3", NULL, 0), BACKDROP_EINVAL);
    if (BD_HAVE_XNNPACK) {
        /* framing track and its period */
        CHECK_INT(backdrop_option_validate("selfie", "framing", "track", NULL, 0), 0);
        CHECK_INT(backdrop_option_validate("selfie", "track-every", "1", NULL, 0), 0);
        CHECK_INT(backdrop_option_validate("selfie", "track-every", "0", why, sizeof(why)), BACKDROP_EINVAL);
        CHECK(strstr(why, "track-every"), "why '%s'", why);
    }
    return UNIT_PASS;
}

/* The test-only method, registered like a real one, runs through the
 * refine stage: its level against the refine threshold decides the alpha,
 * and the refine options reach it by their bare names. (Without the
 * stabiliser, which would hold the still picture's matte.) */
static int test_pipeline_test_method(void)
{
    UnitLog log = { 0 };
    BackdropContext *ctx = open_method("constant", &log);
    CHECK(ctx != NULL, "open failed");
    CHECK_INT(context_set(ctx, "stabilise", "none", NULL), 0);
    BackdropFrame in = frame_new(BACKDROP_PIXFMT_RGB24, 5, 3), out = frame_new(BACKDROP_PIXFMT_RGB24, 5, 3);
    BackdropFrame matte = frame_new(BACKDROP_PIXFMT_GRAY8, 5, 3);
    fill_rgb(&in, 10, 20, 30);
    CHECK_INT(backdrop_process(ctx, &in, &out, &matte), 0);
    CHECK(frames_equal(&in, &out), "level 1: the frame is foreground everywhere");
    CHECK_INT(context_set(ctx, "level", "0.25", "threshold", "0.5", "softness", "0", NULL), 0);
    CHECK_INT(backdrop_process(ctx, &in, &out, &matte), 0);
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 5; x++)
            CHECK_INT(*sample(&matte, 0, x, y), 0);
    /* softness 1 around threshold 0.5: p = 0.25 gives a quarter alpha. */
    CHECK_INT(context_set(ctx, "softness", "1", NULL), 0);
    CHECK_INT(backdrop_process(ctx, &in, &out, &matte), 0);
    CHECK_INT(*sample(&matte, 0, 2, 1), 64);
    return UNIT_PASS;
}

/* Timestamps pass through, also when a method holds frames back (seed
 * compat composites the odd frame of the pair: its timestamp comes out). */
static int test_pipeline_pts(void)
{
    UnitLog log = { 0 };
    BackdropContext *ctx = open_method("framediff", &log);
    CHECK(ctx != NULL, "open failed");
    BackdropFrame in = frame_new(BACKDROP_PIXFMT_RGB24, 4, 2), out = frame_new(BACKDROP_PIXFMT_RGB24, 4, 2);
    for (int i = 0; i < 3; i++) {
        in.pts = 1000 + 40 * i;
        out.pts = -1;
        CHECK_INT(backdrop_process(ctx, &in, &out, NULL), 0);
        CHECK(out.pts == in.pts, "frame %d: pts %lld", i, (long long)out.pts);
    }
    BackdropContext *sc = open_method("framediff", &log);
    CHECK(sc != NULL, "open failed");
    CHECK_INT(backdrop_set_option(sc, "seed-compat", "1"), 0);
    const int64_t want[5] = { 0, 0, 1, 3, 3 }; /* index of the latest odd frame */
    for (int i = 0; i < 5; i++) {
        in.pts = 100 * i;
        out.pts = -1;
        int err = backdrop_process(sc, &in, &out, NULL);
        CHECK_INT(err, i < 2 ? BACKDROP_EAGAIN : 0);
        if (err == 0)
            CHECK(out.pts == 100 * want[i], "seed-compat frame %d: pts %lld", i, (long long)out.pts);
    }
    /* Nothing is held back at the end for these methods. */
    CHECK_INT(backdrop_drain(sc, &out, NULL), BACKDROP_EOF);
    CHECK_INT(backdrop_drain(ctx, &out, NULL), BACKDROP_EOF);
    CHECK_INT(backdrop_drain(NULL, &out, NULL), BACKDROP_EINVAL);
    return UNIT_PASS;
}

/* Alpha output formats: the colour part is the same composite as the
 * plain format's, and the alpha holds the matte. */
static int test_pipeline_alpha_formats(void)
{
    static const BackdropPixelFormat pairs[3][2] = {
        { BACKDROP_PIXFMT_RGB24, BACKDROP_PIXFMT_RGBA },
        { BACKDROP_PIXFMT_BGR24, BACKDROP_PIXFMT_BGRA },
        { BACKDROP_PIXFMT_YUV420P, BACKDROP_PIXFMT_YUVA420P },
    };
    uint32_t seed = 77;
    for (int f = 0; f < 3; f++) {
        UnitLog log = { 0 };
        BackdropContext *plain = open_method("framediff", &log), *alpha = open_method("framediff", &log);
        CHECK(plain && alpha, "open failed");
        CHECK_INT(context_set(plain, "threshold", "0", "color", "green", NULL), 0);
        CHECK_INT(context_set(alpha, "threshold", "0", "color", "green", NULL), 0);
        int w = 9, h = 5;
        BackdropFrame a = frame_new(pairs[f][0], w, h), b = frame_new(pairs[f][0], w, h);
        fill_random(&a, &seed);
        fill_random(&b, &seed);
        copy_frame(&b, &a);
        /* Change some pixels only, so the matte mixes both values. */
        for (int x = 0; x < w; x += 2)
            *sample(&b, 0, x, 2) ^= 0x40;
        BackdropFrame out = frame_new(pairs[f][0], w, h), outa = frame_new(pairs[f][1], w, h);
        BackdropFrame matte = frame_new(BACKDROP_PIXFMT_GRAY8, w, h);
        for (int i = 0; i < 2; i++) {
            const BackdropFrame *in = i ? &b : &a;
            CHECK_INT(backdrop_process(plain, in, &out, &matte), 0);
            CHECK_INT(backdrop_process(alpha, in, &outa, NULL), 0);
        }
        int colour_bytes = pairs[f][0] == BACKDROP_PIXFMT_YUV420P ? 1 : 3;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int m = *sample(&matte, 0, x, y);
                if (colour_bytes == 3) {
                    const uint8_t *p = out.data[0] + y * out.stride[0] + 3 * x;
                    const uint8_t *q = outa.data[0] + y * outa.stride[0] + 4 * x;
                    CHECK(!memcmp(p, q, 3) && q[3] == m, "format %d pixel (%d,%d)", f, x, y);
                } else {
                    CHECK_INT(*sample(&outa, 3, x, y), m);
                    CHECK_INT(*sample(&outa, 0, x, y), *sample(&out, 0, x, y));
                }
            }
        }
        if (colour_bytes == 1)
            for (int p = 1; p < 3; p++)
                for (int y = 0; y < plane_height(&out, p); y++)
                    for (int x = 0; x < plane_width(&out, p); x++)
                        CHECK_INT(*sample(&outa, p, x, y), *sample(&out, p, x, y));
        CHECK(log.errors == 0, "errors: %s", log.last);
        /* An alpha format of another colour format is refused. */
        BackdropFrame wrong = frame_new(pairs[(f + 1) % 3][1], w, h);
        CHECK_INT(backdrop_process(alpha, &a, &wrong, NULL), BACKDROP_EINVAL);
    }
    return UNIT_PASS;
}

const UnitTest option_tests[] = {
    UNIT_TEST(option_set_and_get),
    UNIT_TEST(option_runtime),
    UNIT_TEST(option_enumeration),
    UNIT_TEST(pipeline_test_method),
    UNIT_TEST(pipeline_pts),
    UNIT_TEST(pipeline_alpha_formats),
    UNIT_TESTS_END
};
