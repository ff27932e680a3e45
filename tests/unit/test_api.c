/* Settings, contexts, error strings, method names, version, logging. */
#include <stdio.h>
#include <string.h>

#include "suites.h"
#include "util.h"

/* One version, meson.build's: the generated header and the library agree
 * with it and with each other. */
static int test_version(void)
{
    CHECK(!strcmp(BACKDROP_VERSION, UNIT_PROJECT_VERSION), "version.h says '%s', meson.build '%s'",
          BACKDROP_VERSION, UNIT_PROJECT_VERSION);
    CHECK(!strcmp(backdrop_version(), BACKDROP_VERSION), "backdrop_version() is '%s', version.h says '%s'",
          backdrop_version(), BACKDROP_VERSION);
    char parts[64];
    snprintf(parts, sizeof(parts), "%d.%d.%d", BACKDROP_VERSION_MAJOR, BACKDROP_VERSION_MINOR,
             BACKDROP_VERSION_PATCH);
    CHECK(!strcmp(parts, BACKDROP_VERSION), "MAJOR.MINOR.PATCH is %s, BACKDROP_VERSION '%s'", parts,
          BACKDROP_VERSION);
    return UNIT_PASS;
}

static int test_default_settings(void)
{
    BackdropSettings s;
    memset(&s, 0xA5, sizeof(s));
    backdrop_default_settings(&s);
    CHECK(s.method == NULL, "method is not NULL");
    CHECK_INT(s.threads, 0);
    CHECK(s.model_data == NULL && s.model_size == 0, "a model is set");
    CHECK(s.logger == NULL, "logger is not NULL");
    CHECK(s.logger_opaque == NULL, "logger_opaque is not NULL");
    for (size_t i = 0; i < sizeof(s.reserved); i++)
        CHECK_INT(s.reserved[i], 0);
    backdrop_default_settings(NULL); /* must not crash */
    return UNIT_PASS;
}

static int test_open_close(void)
{
    BackdropSettings s;
    backdrop_default_settings(&s);
    BackdropContext *ctx = NULL;
    CHECK_INT(backdrop_open(&ctx, &s), 0);
    CHECK(ctx != NULL, "backdrop_open succeeded but left ctx NULL");
    backdrop_close(&ctx);
    CHECK(ctx == NULL, "backdrop_close did not reset the pointer");
    backdrop_close(&ctx); /* a pointer to NULL */
    backdrop_close(NULL);

    /* Every thread setting in range opens, including both limits. */
    int threads[] = { 0, 1, 2, 4, 256 };
    for (size_t i = 0; i < sizeof(threads) / sizeof(threads[0]); i++) {
        s.threads = threads[i];
        CHECK_INT(backdrop_open(&ctx, &s), 0);
        backdrop_close(&ctx);
    }
    return UNIT_PASS;
}

/* A non-NULL pointer that is not a context, to see *ctx reset on failure. */
static BackdropContext *not_a_context(void)
{
    static char sentinel;
    return (BackdropContext *)(void *)&sentinel;
}

static int test_open_null_arguments(void)
{
    BackdropSettings s;
    backdrop_default_settings(&s);
    CHECK_INT(backdrop_open(NULL, &s), BACKDROP_EINVAL);

    BackdropContext *ctx = not_a_context();
    CHECK_INT(backdrop_open(&ctx, NULL), BACKDROP_EINVAL);
    CHECK(ctx == NULL, "ctx not reset to NULL on failure");

    CHECK_INT(backdrop_set_background(NULL, NULL), BACKDROP_EINVAL);
    CHECK_INT(backdrop_set_background_color(NULL, 1, 2, 3), BACKDROP_EINVAL);
    BackdropFrame f = frame_new(BACKDROP_PIXFMT_RGB24, 4, 4);
    BackdropFrame out = frame_new(BACKDROP_PIXFMT_RGB24, 4, 4);
    CHECK_INT(backdrop_process(NULL, &f, &out, NULL), BACKDROP_EINVAL);
    return UNIT_PASS;
}

/* Opens a context with these settings and closes it again; returns
 * backdrop_open's code, or 1000 (which no check expects) when a failed
 * open did not reset the context pointer. */
static int open_code(const BackdropSettings *s)
{
    BackdropContext *ctx = not_a_context();
    int err = backdrop_open(&ctx, s);
    if (err < 0 && ctx != NULL)
        return 1000;
    backdrop_close(&ctx);
    return err;
}

static int test_open_invalid_settings(void)
{
    BackdropSettings base, s;
    backdrop_default_settings(&base);

    s = base; s.threads = -1;
    CHECK_INT(open_code(&s), BACKDROP_EINVAL);
    s = base; s.threads = 257;
    CHECK_INT(open_code(&s), BACKDROP_EINVAL);
    s = base; s.model_size = 10; /* with no data */
    CHECK_INT(open_code(&s), BACKDROP_EINVAL);
    /* The reserved space must stay zero: a later library may give it a
     * meaning. */
    for (size_t i = 0; i < sizeof(s.reserved); i += 21) {
        s = base; s.reserved[i] = 1;
        CHECK_INT(open_code(&s), BACKDROP_EINVAL);
    }

    /* The limits themselves are valid. */
    s = base; s.threads = 256;
    CHECK_INT(open_code(&s), 0);
    s = base; s.threads = 1;
    CHECK_INT(open_code(&s), 0);

    /* An invalid field wins over an unknown method. */
    s = base; s.threads = -1; s.method = "no-such-method";
    CHECK_INT(open_code(&s), BACKDROP_EINVAL);
    return UNIT_PASS;
}

static int test_open_unknown_method(void)
{
    BackdropSettings s;
    backdrop_default_settings(&s);
    s.method = "no-such-method";
    CHECK_INT(open_code(&s), BACKDROP_ENOTSUP);
    s.method = "";
    CHECK_INT(open_code(&s), BACKDROP_ENOTSUP);
    s.method = "FrameDiff"; /* names are case-sensitive */
    CHECK_INT(open_code(&s), BACKDROP_ENOTSUP);
    s.method = "framediff";
    CHECK_INT(open_code(&s), 0);
    s.method = NULL;
    CHECK_INT(open_code(&s), 0);
    return UNIT_PASS;
}

/* The method name is copied: the caller's string may change after open. */
static int test_open_copies_method_name(void)
{
    char name[16];
    strcpy(name, "framediff");
    BackdropSettings s = settings_with_threads(1);
    s.method = name;
    BackdropContext *ctx = context_open(&s);
    CHECK(ctx != NULL, "open failed");
    memset(name, 'x', sizeof(name) - 1);

    BackdropFrame in = frame_new(BACKDROP_PIXFMT_RGB24, 4, 2);
    BackdropFrame out = frame_new(BACKDROP_PIXFMT_RGB24, 4, 2);
    CHECK_INT(backdrop_process(ctx, &in, &out, NULL), 0);
    CHECK_INT(backdrop_process(ctx, &in, &out, NULL), 0);
    return UNIT_PASS;
}

static int test_strerror_codes(void)
{
    const int codes[] = { BACKDROP_EINVAL, BACKDROP_ENOMEM, BACKDROP_ENOTSUP,
                          BACKDROP_EAGAIN, BACKDROP_ERANGE, BACKDROP_EOF };
    const size_t n = sizeof(codes) / sizeof(codes[0]);
    const char *unknown = backdrop_strerror(-123456);
    CHECK(unknown != NULL && unknown[0] != '\0', "unknown code gives an empty string");

    /* The manual quotes this one. */
    CHECK(!strcmp(backdrop_strerror(BACKDROP_EINVAL), "invalid argument"),
          "EINVAL gives '%s'", backdrop_strerror(BACKDROP_EINVAL));
    /* Every code: negative, a text of its own, not the "unknown" text. */
    for (size_t i = 0; i < n; i++) {
        const char *text = backdrop_strerror(codes[i]);
        CHECK(codes[i] < 0, "code %d is not negative", codes[i]);
        CHECK(text != NULL && text[0] != '\0', "no text for code %d", codes[i]);
        CHECK(strcmp(text, unknown) != 0, "code %d described as unknown ('%s')", codes[i], text);
        for (size_t j = 0; j < i; j++) {
            CHECK(codes[i] != codes[j], "two codes equal %d", codes[i]);
            CHECK(strcmp(text, backdrop_strerror(codes[j])) != 0, "codes %d and %d share '%s'",
                  codes[i], codes[j], text);
        }
    }
    /* Anything else, positive values included, is "unknown". */
    const int others[] = { 1, -1, 12345, -9999, INT32_MIN };
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        int known = 0;
        for (size_t j = 0; j < n; j++)
            known |= others[i] == codes[j];
        if (known)
            continue;
        const char *text = backdrop_strerror(others[i]);
        CHECK(text != NULL && !strcmp(text, unknown), "code %d gives '%s', expected '%s'",
              others[i], text ? text : "(null)", unknown);
    }
    CHECK(backdrop_strerror(0) != NULL, "NULL for 0");
    return UNIT_PASS;
}

/* selfie and rvm are there when the library was built with XNNPACK (meson
 * option); framediff and external always. */
static int test_method_names(void)
{
    CHECK(backdrop_method_name(0) != NULL, "no method 0");
    CHECK(!strcmp(backdrop_method_name(0), "framediff"), "method 0 is '%s'", backdrop_method_name(0));
#if BD_HAVE_XNNPACK
    CHECK(backdrop_method_name(1) && !strcmp(backdrop_method_name(1), "selfie"), "method 1 is '%s'",
          backdrop_method_name(1) ? backdrop_method_name(1) : "(none)");
    CHECK(backdrop_method_name(2) && !strcmp(backdrop_method_name(2), "rvm"), "method 2 is '%s'",
          backdrop_method_name(2) ? backdrop_method_name(2) : "(none)");
    const int external = 3;
#else
    const int external = 1;
#endif
    /* external needs nothing to build and is there in every build. */
    CHECK(backdrop_method_name(external) && !strcmp(backdrop_method_name(external), "external"),
          "method %d is '%s'", external,
          backdrop_method_name(external) ? backdrop_method_name(external) : "(none)");
    const int test_method = external + 1;
    /* The unit tests' registry adds the test-only method (test_method.c). */
    CHECK(backdrop_method_name(test_method) && !strcmp(backdrop_method_name(test_method), "constant"),
          "method %d is '%s'", test_method,
          backdrop_method_name(test_method) ? backdrop_method_name(test_method) : "(none)");
    CHECK(backdrop_method_name(test_method + 1) == NULL, "unexpected method %d '%s'", test_method + 1,
          backdrop_method_name(test_method + 1));
    CHECK(backdrop_method_name(-1) == NULL, "method -1 is not NULL");
    CHECK(backdrop_method_name(1 << 30) == NULL, "method 2^30 is not NULL");

    /* Every listed method opens by name; selfie and rvm need a model and say so. */
    for (int i = 0; backdrop_method_name(i); i++) {
        BackdropSettings s;
        backdrop_default_settings(&s);
        s.method = backdrop_method_name(i);
        int needs_model = !strcmp(s.method, "selfie") || !strcmp(s.method, "rvm");
        CHECK_INT(open_code(&s), needs_model ? BACKDROP_EINVAL : 0);
    }
    return UNIT_PASS;
}

typedef struct LogRecord {
    int calls;
    int bad_message; /* NULL, empty or ending in a newline */
} LogRecord;

static void record_log(void *opaque, BackdropLogLevel level, const char *msg)
{
    LogRecord *rec = opaque;
    rec->calls++;
    size_t len = msg ? strlen(msg) : 0;
    if (!len || msg[len - 1] == '\n' || (unsigned)level > BACKDROP_LOG_DEBUG)
        rec->bad_message = 1;
}

/* The logger receives the library's messages (starting a method is logged
 * at debug level), on the calling thread, with opaque passed through. */
static int test_logger_receives_messages(void)
{
    LogRecord rec = { 0, 0 };
    BackdropSettings s = settings_with_threads(1);
    s.logger = record_log;
    s.logger_opaque = &rec;
    BackdropContext *ctx = context_open(&s);
    CHECK(ctx != NULL, "open failed");
    BackdropFrame in = frame_new(BACKDROP_PIXFMT_RGB24, 4, 2);
    BackdropFrame out = frame_new(BACKDROP_PIXFMT_RGB24, 4, 2);
    CHECK_INT(backdrop_process(ctx, &in, &out, NULL), 0);
    CHECK(rec.calls > 0, "the logger was never called");
    CHECK(!rec.bad_message, "a message was empty, ended in a newline or had a bad level");
    return UNIT_PASS;
}

const UnitTest api_tests[] = {
    UNIT_TEST(version),
    UNIT_TEST(default_settings),
    UNIT_TEST(open_close),
    UNIT_TEST(open_null_arguments),
    UNIT_TEST(open_invalid_settings),
    UNIT_TEST(open_unknown_method),
    UNIT_TEST(open_copies_method_name),
    UNIT_TEST(strerror_codes),
    UNIT_TEST(method_names),
    UNIT_TEST(logger_receives_messages),
    UNIT_TESTS_END
};
