/*
 * A program from outside the project: tests/install/install.sh builds it
 * with nothing but what `pkg-config --cflags --libs backdrop` says about an
 * installed tree (meson install --destdir), and runs it against that tree's
 * shared library. It includes only installed headers and calls only
 * exported functions.
 *
 *     consumer VERSION    exit 0 when every check passed, 1 otherwise
 *
 * VERSION is meson.build's project version: the installed headers and the
 * installed library must both say it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <backdrop/backdrop.h>
#include <backdrop/version.h> /* also reachable on its own */

#define CHECK(cond, ...)                                        \
    do {                                                        \
        if (!(cond)) {                                          \
            fprintf(stderr, "consumer.c:%d: ", __LINE__);       \
            fprintf(stderr, __VA_ARGS__);                       \
            fputc('\n', stderr);                                \
            return 1;                                           \
        }                                                       \
    } while (0)

#define WIDTH 8
#define HEIGHT 6
#define STRIDE (WIDTH * 3 + 5) /* rows padded, as a decoder's are */

typedef struct Frames {
    uint8_t in[STRIDE * HEIGHT], out[STRIDE * HEIGHT], matte[WIDTH * HEIGHT];
    BackdropFrame f_in, f_out, f_matte;
} Frames;

static void frames_init(Frames *fr)
{
    memset(fr, 0, sizeof(*fr));
    fr->f_in = (BackdropFrame){ .format = BACKDROP_PIXFMT_RGB24, .width = WIDTH, .height = HEIGHT,
                                .data = { fr->in }, .stride = { STRIDE } };
    fr->f_out = fr->f_in;
    fr->f_out.data[0] = fr->out;
    fr->f_matte = (BackdropFrame){ .format = BACKDROP_PIXFMT_GRAY8, .width = WIDTH, .height = HEIGHT,
                                   .data = { fr->matte }, .stride = { WIDTH } };
}

/* Sets every pixel of the input to grey level v, processes it, and checks
 * that every pixel of the matte is 'alpha' and of the output either the
 * input (alpha 255) or the background colour (alpha 0). */
static int process_grey(BackdropContext *ctx, Frames *fr, int v, int alpha, const uint8_t bg[3])
{
    for (int y = 0; y < HEIGHT; y++)
        memset(fr->in + y * STRIDE, v, WIDTH * 3);
    int err = backdrop_process(ctx, &fr->f_in, &fr->f_out, &fr->f_matte);
    CHECK(err == 0, "backdrop_process: %s", backdrop_strerror(err));
    for (int y = 0; y < HEIGHT; y++)
        for (int x = 0; x < WIDTH; x++) {
            const uint8_t *px = fr->out + y * STRIDE + x * 3;
            int a = fr->matte[y * WIDTH + x];
            CHECK(a == alpha, "grey %d: alpha %d at (%d, %d), expected %d", v, a, x, y, alpha);
            for (int c = 0; c < 3; c++) {
                int want = alpha ? v : bg[c];
                CHECK(px[c] == want, "grey %d: channel %d is %d at (%d, %d), expected %d", v, c, px[c], x,
                      y, want);
            }
        }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s VERSION\n", argv[0]);
        return 2;
    }
    const char *version = argv[1];
    CHECK(!strcmp(BACKDROP_VERSION, version), "installed version.h says %s, meson.build %s",
          BACKDROP_VERSION, version);
    CHECK(!strcmp(backdrop_version(), version), "installed library says %s, meson.build %s",
          backdrop_version(), version);
    CHECK(!strcmp(backdrop_strerror(BACKDROP_EINVAL), "invalid argument"), "strerror(EINVAL) is '%s'",
          backdrop_strerror(BACKDROP_EINVAL));

    BackdropSettings s;
    backdrop_default_settings(&s);
    s.method = "framediff";
    s.threads = 1;
    BackdropContext *ctx = NULL;
    int err = backdrop_open(&ctx, &s);
    CHECK(err == 0 && ctx, "backdrop_open(framediff): %s", backdrop_strerror(err));
    const uint8_t green[3] = { 0x00, 0xB1, 0x40 };
    err = backdrop_set_background_color(ctx, green[0], green[1], green[2]);
    CHECK(err == 0, "backdrop_set_background_color: %s", backdrop_strerror(err));

    static Frames fr;
    frames_init(&fr);
    /* The first frame is compared with itself: all background. The second
     * differs by 5 grey levels, more than the default threshold 3: all
     * foreground. */
    if (process_grey(ctx, &fr, 100, 0, green) || process_grey(ctx, &fr, 105, 255, green)) {
        backdrop_close(&ctx);
        return 1;
    }
    backdrop_close(&ctx);
    CHECK(ctx == NULL, "backdrop_close left the pointer set");

    /* The done-when of issue 8: on the installed tree, set threshold to 7
     * (0), then -3 and an unknown name (BACKDROP_EINVAL both); the same
     * 5-level difference as above is then background. */
    err = backdrop_open(&ctx, &s);
    CHECK(err == 0 && ctx, "backdrop_open(framediff): %s", backdrop_strerror(err));
    err = backdrop_set_option(ctx, "threshold", "7");
    CHECK(err == 0, "set_option threshold 7: %d (%s)", err, backdrop_strerror(err));
    err = backdrop_set_option(ctx, "threshold", "-3");
    CHECK(err == BACKDROP_EINVAL, "set_option threshold -3: %d (%s), expected BACKDROP_EINVAL", err,
          backdrop_strerror(err));
    err = backdrop_set_option(ctx, "no-such-option", "1");
    CHECK(err == BACKDROP_EINVAL, "set_option no-such-option: %d (%s), expected BACKDROP_EINVAL", err,
          backdrop_strerror(err));
    const uint8_t black[3] = { 0, 0, 0 };
    /* Threshold 7 (the rejected -3 changed nothing): a difference of 5 is
     * background. */
    if (process_grey(ctx, &fr, 100, 0, black) || process_grey(ctx, &fr, 105, 0, black)) {
        backdrop_close(&ctx);
        return 1;
    }
    backdrop_close(&ctx);

    printf("consumer: libbackdrop %s from the installed tree: framediff context, options, four frames, all "
           "checks passed\n", backdrop_version());
    return 0;
}
