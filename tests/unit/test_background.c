/*
 * Backgrounds through backdrop_process(): solid colours, pictures and how
 * they are fitted. The background is observed on frames that are entirely
 * background: a context's first frame, and any frame identical to the one
 * before it.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "pipeline.h"
#include "suites.h"
#include "util.h"

/* Processes a constant mid-grey frame and leaves the (all-background)
 * result in *out, which must have the given format and size. */
static int render_background(BackdropContext *ctx, const BackdropFrame *out)
{
    BackdropFrame in = frame_new(out->format, out->width, out->height);
    in.range = out->range;
    in.matrix = out->matrix;
    BackdropFrame matte = frame_new(BACKDROP_PIXFMT_GRAY8, out->width, out->height);
    if (out->format == BACKDROP_PIXFMT_YUV420P) {
        fill_plane(&in, 0, 120);
        fill_plane(&in, 1, 128);
        fill_plane(&in, 2, 128);
    } else {
        fill_rgb(&in, 128, 128, 128);
    }
    /* Twice: the second frame repeats the first, whatever state the
     * method was in. */
    for (int i = 0; i < 2; i++) {
        BackdropFrame o = *out;
        CHECK_INT(backdrop_process(ctx, &in, &o, &matte), 0);
    }
    for (int y = 0; y < out->height; y++)
        for (int x = 0; x < out->width; x++)
            CHECK(*sample(&matte, 0, x, y) == 0, "matte (%d,%d) is %d, expected 0", x, y,
                  *sample(&matte, 0, x, y));
    return UNIT_PASS;
}

/* The test picture, 4x4: rows 0 and 3 green; rows 1 and 2 red in columns
 * 0-1 and blue in columns 2-3. */
static void picture_colour(int x, int y, int rgb[3])
{
    rgb[0] = rgb[1] = rgb[2] = 0;
    if (y == 0 || y == 3)
        rgb[1] = 255;
    else if (x < 2)
        rgb[0] = 255;
    else
        rgb[2] = 255;
}

static BackdropFrame make_picture(BackdropPixelFormat fmt)
{
    BackdropFrame pic = frame_new(fmt, 4, 4);
    for (int y = 0; y < 4; y++) {
        for (int x = 0; x < 4; x++) {
            int rgb[3];
            picture_colour(x, y, rgb);
            put_rgb(&pic, x, y, rgb[0], rgb[1], rgb[2]);
        }
    }
    return pic;
}

static BackdropContext *open_with(BdFit fit, int r, int g, int b)
{
    static const char *const fits[] = { "stretch", "cover", "contain" };
    BackdropSettings s;
    backdrop_default_settings(&s);
    BackdropContext *ctx = context_open(&s);
    if (ctx && (context_set(ctx, "fit", fits[fit], NULL) < 0 ||
                backdrop_set_background_color(ctx, (uint8_t)r, (uint8_t)g, (uint8_t)b) < 0))
        return NULL;
    return ctx;
}

/* Where frame pixel (x, y) comes from: *px, *py in the picture, or -1 for
 * the background colour. */
typedef void (*SourceMap)(int x, int y, int *px, int *py);

/* Renders the background of a w x h frame of format fmt and compares each
 * pixel with the picture pixel (or the colour bar) map says. */
static int check_fit(BackdropContext *ctx, BackdropPixelFormat fmt, int w, int h, SourceMap map,
                     const int bar[3])
{
    BackdropFrame out = frame_new(fmt, w, h);
    TRY(render_background(ctx, &out));
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            int px, py, want[3], got[3];
            map(x, y, &px, &py);
            if (px < 0) {
                want[0] = bar[0];
                want[1] = bar[1];
                want[2] = bar[2];
            } else {
                picture_colour(px, py, want);
            }
            get_rgb(&out, x, y, got);
            CHECK(got[0] == want[0] && got[1] == want[1] && got[2] == want[2],
                  "%dx%d frame, (%d,%d) is (%d,%d,%d), expected (%d,%d,%d)%s", w, h, x, y, got[0],
                  got[1], got[2], want[0], want[1], want[2], px < 0 ? " (bar)" : "");
        }
    }
    return UNIT_PASS;
}

/* 4x4 picture, 8x4 frame: each axis on its own, x doubled. */
static void stretch_8x4(int x, int y, int *px, int *py)
{
    *px = x / 2;
    *py = y;
}

/* 4x4 picture, 8x4 frame: the centre 4x2 (rows 1-2) doubled. */
static void cover_8x4(int x, int y, int *px, int *py)
{
    *px = x / 2;
    *py = 1 + y / 2;
}

/* 4x4 picture, 4x8 frame: the centre 2x4 (columns 1-2) doubled. */
static void cover_4x8(int x, int y, int *px, int *py)
{
    *px = 1 + x / 2;
    *py = y / 2;
}

/* 4x4 picture, 8x4 frame: picture unscaled in columns 2-5, bars at 0-1
 * and 6-7. */
static void contain_8x4(int x, int y, int *px, int *py)
{
    *px = x >= 2 && x < 6 ? x - 2 : -1;
    *py = y;
}

/* 4x4 picture, 9x4 frame: columns 2-5, bars 0-1 and 6-8. */
static void contain_9x4(int x, int y, int *px, int *py)
{
    *px = x >= 2 && x < 6 ? x - 2 : -1;
    *py = y;
}

/* 4x4 picture, 4x8 frame: rows 2-5, bars 0-1 and 6-7. */
static void contain_4x8(int x, int y, int *px, int *py)
{
    *px = y >= 2 && y < 6 ? x : -1;
    *py = y - 2;
}

static int test_background_fit_stretch(void)
{
    const int bar[3] = { 10, 20, 30 };
    BackdropContext *ctx = open_with(BD_FIT_STRETCH, 10, 20, 30);
    CHECK(ctx != NULL, "open failed");
    BackdropFrame pic = make_picture(BACKDROP_PIXFMT_RGB24);
    CHECK_INT(backdrop_set_background(ctx, &pic), 0);
    TRY(check_fit(ctx, BACKDROP_PIXFMT_RGB24, 8, 4, stretch_8x4, bar));
    TRY(check_fit(ctx, BACKDROP_PIXFMT_BGR24, 8, 4, stretch_8x4, bar));
    return UNIT_PASS;
}

static int test_background_fit_cover(void)
{
    const int bar[3] = { 10, 20, 30 };
    BackdropContext *ctx = open_with(BD_FIT_COVER, 10, 20, 30);
    CHECK(ctx != NULL, "open failed");
    BackdropFrame pic = make_picture(BACKDROP_PIXFMT_RGB24);
    CHECK_INT(backdrop_set_background(ctx, &pic), 0);
    TRY(check_fit(ctx, BACKDROP_PIXFMT_RGB24, 8, 4, cover_8x4, bar));
    TRY(check_fit(ctx, BACKDROP_PIXFMT_RGB24, 4, 8, cover_4x8, bar));
    return UNIT_PASS;
}

static int test_background_fit_contain(void)
{
    const int bar[3] = { 10, 20, 30 };
    BackdropContext *ctx = open_with(BD_FIT_CONTAIN, 10, 20, 30);
    CHECK(ctx != NULL, "open failed");
    BackdropFrame pic = make_picture(BACKDROP_PIXFMT_RGB24);
    CHECK_INT(backdrop_set_background(ctx, &pic), 0);
    TRY(check_fit(ctx, BACKDROP_PIXFMT_RGB24, 8, 4, contain_8x4, bar));
    TRY(check_fit(ctx, BACKDROP_PIXFMT_BGR24, 9, 4, contain_9x4, bar));
    TRY(check_fit(ctx, BACKDROP_PIXFMT_RGB24, 4, 8, contain_4x8, bar));
    return UNIT_PASS;
}

/* A BGR24 picture keeps its colours on RGB24 frames and vice versa. */
static int test_background_picture_channel_order(void)
{
    const int bar[3] = { 0, 0, 0 };
    const BackdropPixelFormat formats[] = { BACKDROP_PIXFMT_RGB24, BACKDROP_PIXFMT_BGR24 };
    for (int p = 0; p < 2; p++) {
        for (int f = 0; f < 2; f++) {
            BackdropContext *ctx = open_with(BD_FIT_STRETCH, 0, 0, 0);
            CHECK(ctx != NULL, "open failed");
            BackdropFrame pic = make_picture(formats[p]);
            CHECK_INT(backdrop_set_background(ctx, &pic), 0);
            TRY(check_fit(ctx, formats[f], 8, 4, stretch_8x4, bar));
        }
    }
    return UNIT_PASS;
}

/* The picture is copied: changing or freeing it afterwards has no effect. */
static int test_background_picture_copied(void)
{
    const int bar[3] = { 0, 0, 0 };
    BackdropContext *ctx = open_with(BD_FIT_STRETCH, 0, 0, 0);
    CHECK(ctx != NULL, "open failed");
    BackdropFrame pic = make_picture(BACKDROP_PIXFMT_RGB24);
    CHECK_INT(backdrop_set_background(ctx, &pic), 0);
    fill_rgb(&pic, 1, 1, 1);
    TRY(check_fit(ctx, BACKDROP_PIXFMT_RGB24, 8, 4, stretch_8x4, bar));
    return UNIT_PASS;
}

static int check_solid(const BackdropFrame *out, int r, int g, int b)
{
    for (int y = 0; y < out->height; y++) {
        for (int x = 0; x < out->width; x++) {
            int got[3];
            get_rgb(out, x, y, got);
            CHECK(got[0] == r && got[1] == g && got[2] == b, "(%d,%d) is (%d,%d,%d), expected (%d,%d,%d)",
                  x, y, got[0], got[1], got[2], r, g, b);
        }
    }
    return UNIT_PASS;
}

/* set_background_color recolours the solid background and the bars;
 * set_background(NULL) goes back to the solid colour. */
static int test_background_color_and_reset(void)
{
    BackdropContext *ctx = open_with(BD_FIT_CONTAIN, 10, 20, 30);
    CHECK(ctx != NULL, "open failed");
    BackdropFrame out = frame_new(BACKDROP_PIXFMT_RGB24, 8, 4);

    TRY(render_background(ctx, &out));
    TRY(check_solid(&out, 10, 20, 30));
    CHECK_INT(backdrop_set_background_color(ctx, 200, 100, 50), 0);
    TRY(render_background(ctx, &out));
    TRY(check_solid(&out, 200, 100, 50));

    BackdropFrame pic = make_picture(BACKDROP_PIXFMT_RGB24);
    CHECK_INT(backdrop_set_background(ctx, &pic), 0);
    const int bar1[3] = { 200, 100, 50 }, bar2[3] = { 7, 8, 9 };
    TRY(check_fit(ctx, BACKDROP_PIXFMT_RGB24, 8, 4, contain_8x4, bar1));
    CHECK_INT(backdrop_set_background_color(ctx, 7, 8, 9), 0);
    TRY(check_fit(ctx, BACKDROP_PIXFMT_RGB24, 8, 4, contain_8x4, bar2));

    CHECK_INT(backdrop_set_background(ctx, NULL), 0);
    TRY(render_background(ctx, &out));
    TRY(check_solid(&out, 7, 8, 9));
    return UNIT_PASS;
}

typedef struct YuvColourCase {
    uint8_t rgb[3];
    BackdropColorRange range;
    BackdropColorMatrix matrix;
    int yuv[3];
    int tolerance;
} YuvColourCase;

/* Pure colours on YUV frames, from the definitions: Y = 16 + 219 * luma,
 * U/V = 128 + 224 * (B - luma) / (2 * (1 - kb)) etc. in limited range,
 * 255 and 255 in full range. */
static const YuvColourCase yuv_colours[] = {
    { { 255, 255, 255 }, BACKDROP_RANGE_LIMITED, BACKDROP_MATRIX_BT601, { 235, 128, 128 }, 0 },
    { { 0, 0, 0 }, BACKDROP_RANGE_LIMITED, BACKDROP_MATRIX_BT601, { 16, 128, 128 }, 0 },
    { { 255, 255, 255 }, BACKDROP_RANGE_FULL, BACKDROP_MATRIX_BT601, { 255, 128, 128 }, 0 },
    { { 0, 0, 0 }, BACKDROP_RANGE_FULL, BACKDROP_MATRIX_BT601, { 0, 128, 128 }, 0 },
    { { 128, 128, 128 }, BACKDROP_RANGE_FULL, BACKDROP_MATRIX_BT709, { 128, 128, 128 }, 0 },
    { { 255, 255, 255 }, BACKDROP_RANGE_LIMITED, BACKDROP_MATRIX_BT709, { 235, 128, 128 }, 0 },
    /* red: luma 0.299 -> 81.5; U 128 - 0.299 * 112 / 0.886 = 90.2; V 240 */
    { { 255, 0, 0 }, BACKDROP_RANGE_LIMITED, BACKDROP_MATRIX_BT601, { 81, 90, 240 }, 1 },
    /* red, BT.709: luma 0.2126 -> 62.6; U 128 - 0.2126 * 112 / 0.9278 = 102.3 */
    { { 255, 0, 0 }, BACKDROP_RANGE_LIMITED, BACKDROP_MATRIX_BT709, { 63, 102, 240 }, 1 },
    /* blue, full range: Y 0.114 * 255 = 29.1, U 255.5 -> 255, V 128 - 0.114 * 127.5 / 0.701 */
    { { 0, 0, 255 }, BACKDROP_RANGE_FULL, BACKDROP_MATRIX_BT601, { 29, 255, 107 }, 1 },
};

static int check_yuv_constant(const BackdropFrame *out, const int yuv[3], int tolerance)
{
    for (int p = 0; p < 3; p++) {
        for (int y = 0; y < plane_height(out, p); y++) {
            for (int x = 0; x < plane_width(out, p); x++) {
                int got = *sample(out, p, x, y);
                CHECK(abs(got - yuv[p]) <= tolerance, "plane %d (%d,%d) is %d, expected %d +-%d", p, x, y,
                      got, yuv[p], tolerance);
            }
        }
    }
    return UNIT_PASS;
}

static int test_background_yuv_pure_colors(void)
{
    for (size_t i = 0; i < sizeof(yuv_colours) / sizeof(yuv_colours[0]); i++) {
        const YuvColourCase *c = &yuv_colours[i];
        BackdropContext *ctx = open_with(BD_FIT_STRETCH, c->rgb[0], c->rgb[1], c->rgb[2]);
        CHECK(ctx != NULL, "open failed");
        BackdropFrame out = frame_new(BACKDROP_PIXFMT_YUV420P, 7, 5);
        out.range = c->range;
        out.matrix = c->matrix;
        TRY(render_background(ctx, &out));
        if (check_yuv_constant(&out, c->yuv, c->tolerance) != UNIT_PASS) {
            unit_report(__FILE__, __LINE__, "case %zu: colour (%d,%d,%d), range %d, matrix %d", i,
                        c->rgb[0], c->rgb[1], c->rgb[2], c->range, c->matrix);
            return UNIT_FAIL;
        }
    }
    return UNIT_PASS;
}

/* A picture on YUV frames is converted with the frames' range and matrix;
 * YUV pictures are accepted too. */
static int test_background_picture_on_yuv(void)
{
    const int red_limited[3] = { 81, 90, 240 }, red_full[3] = { 76, 85, 255 };
    BackdropContext *ctx = open_with(BD_FIT_STRETCH, 0, 0, 0);
    CHECK(ctx != NULL, "open failed");
    BackdropFrame pic = frame_new(BACKDROP_PIXFMT_RGB24, 3, 5);
    fill_rgb(&pic, 255, 0, 0);
    CHECK_INT(backdrop_set_background(ctx, &pic), 0);
    BackdropFrame out = frame_new(BACKDROP_PIXFMT_YUV420P, 8, 6);
    TRY(render_background(ctx, &out));
    TRY(check_yuv_constant(&out, red_limited, 1));
    /* Full range: Y = 0.299 * 255 = 76.2, U = 128 - 0.299 * 127.5 / 0.886 = 85.0. */
    out.range = BACKDROP_RANGE_FULL;
    TRY(render_background(ctx, &out));
    TRY(check_yuv_constant(&out, red_full, 1));

    /* A YUV picture of limited-range red becomes red on RGB frames. */
    BackdropFrame ypic = frame_new(BACKDROP_PIXFMT_YUV420P, 5, 3);
    fill_plane(&ypic, 0, 81);
    fill_plane(&ypic, 1, 90);
    fill_plane(&ypic, 2, 240);
    CHECK_INT(backdrop_set_background(ctx, &ypic), 0);
    BackdropFrame rgb = frame_new(BACKDROP_PIXFMT_RGB24, 6, 4);
    TRY(render_background(ctx, &rgb));
    for (int y = 0; y < 4; y++) {
        for (int x = 0; x < 6; x++) {
            int got[3];
            get_rgb(&rgb, x, y, got);
            CHECK(got[0] >= 253 && got[1] <= 2 && got[2] <= 2, "(%d,%d) is (%d,%d,%d), expected red +-2",
                  x, y, got[0], got[1], got[2]);
        }
    }
    return UNIT_PASS;
}

/* ---- rotation: the picture is upright, the frames are stored turned ---- */

/* Red, green, blue, white: the quadrants top-left, top-right, bottom-left,
 * bottom-right of the upright picture. */
static const int quadrant_rgb[4][3] = { { 255, 0, 0 }, { 0, 255, 0 }, { 0, 0, 255 }, { 255, 255, 255 } };

static BackdropFrame make_quadrants(BackdropPixelFormat fmt, int w, int h)
{
    BackdropFrame pic = frame_new(fmt, w, h);
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            const int *c = quadrant_rgb[(y >= h / 2) * 2 + (x >= w / 2)];
            put_rgb(&pic, x, y, c[0], c[1], c[2]);
        }
    }
    return pic;
}

static BackdropContext *open_rotated(BdFit fit, int rotation)
{
    BackdropContext *ctx = open_with(fit, 10, 20, 30);
    if (ctx && context_set_int(ctx, "rotation", rotation) < 0)
        return NULL;
    return ctx;
}

/* Checks that each quadrant of the stored w x h frame (split at w/2, h/2)
 * is one colour; want[] lists them top-left, top-right, bottom-left,
 * bottom-right by index into quadrant_rgb. */
static int check_quadrants(const BackdropFrame *out, const int want[4], int rotation)
{
    for (int y = 0; y < out->height; y++) {
        for (int x = 0; x < out->width; x++) {
            int q = (y >= out->height / 2) * 2 + (x >= out->width / 2), got[3];
            const int *c = quadrant_rgb[want[q]];
            get_rgb(out, x, y, got);
            CHECK(got[0] == c[0] && got[1] == c[1] && got[2] == c[2],
                  "rotation %d, %dx%d stored frame, (%d,%d) is (%d,%d,%d), expected (%d,%d,%d)", rotation,
                  out->width, out->height, x, y, got[0], got[1], got[2], c[0], c[1], c[2]);
        }
    }
    return UNIT_PASS;
}

/* A 6x4 upright picture on frames displayed 6x4 (stored 4x6 when turned a
 * quarter) and displayed 12x8 (scaled by exactly 2, which copies pixels):
 * turning the stored frame clockwise by the rotation must show the picture
 * upright, so for 90 the picture's top-right corner is stored top-left. */
static int test_background_rotation_quadrants(void)
{
    static const struct {
        int rotation;
        int stored[4]; /* quadrant_rgb index stored top-left, top-right, bottom-left, bottom-right */
    } cases[] = {
        { 0, { 0, 1, 2, 3 } },
        { 90, { 1, 3, 0, 2 } },
        { 180, { 3, 2, 1, 0 } },
        { 270, { 2, 0, 3, 1 } },
    };
    const BdFit fits[] = { BD_FIT_STRETCH, BD_FIT_COVER, BD_FIT_CONTAIN };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (int f = 0; f < 3; f++) {
            for (int scale = 1; scale <= 2; scale++) {
                int r = cases[i].rotation, side = r % 180 != 0;
                BackdropContext *ctx = open_rotated(fits[f], r);
                CHECK(ctx != NULL, "open failed");
                BackdropFrame pic = make_quadrants(f == 2 ? BACKDROP_PIXFMT_BGR24 : BACKDROP_PIXFMT_RGB24, 6, 4);
                CHECK_INT(backdrop_set_background(ctx, &pic), 0);
                BackdropFrame out = frame_new(BACKDROP_PIXFMT_RGB24, (side ? 4 : 6) * scale, (side ? 6 : 4) * scale);
                TRY(render_background(ctx, &out));
                TRY(check_quadrants(&out, cases[i].stored, r));
            }
        }
    }
    return UNIT_PASS;
}

/* Where stored pixel (x, y) of a w x h frame is shown once the frame is
 * turned clockwise by 'rotation' degrees. */
static void displayed_at(int rotation, int w, int h, int x, int y, int *u, int *v)
{
    switch (rotation) {
    case 90: *u = h - 1 - y; *v = x; break;
    case 180: *u = w - 1 - x; *v = h - 1 - y; break;
    case 270: *u = y; *v = w - 1 - x; break;
    default: *u = x; *v = y; break;
    }
}

/* Fit is judged on the frame as displayed. A 6x4 picture on a frame
 * displayed 12x4 (stored 4x12 when turned a quarter): CONTAIN puts it
 * unscaled in displayed columns 3-8 with bars at 0-2 and 9-11, COVER
 * crops its centre 6x2 (rows 1-2) and doubles it; a YUV picture is
 * converted, then turned. */
static int test_background_rotation_fit(void)
{
    const int bar[3] = { 10, 20, 30 };
    for (int r = 0; r < 360; r += 90) {
        int sw = r % 180 ? 4 : 12, sh = r % 180 ? 12 : 4;
        for (int f = 0; f < 2; f++) {
            BackdropContext *ctx = open_rotated(f ? BD_FIT_COVER : BD_FIT_CONTAIN, r);
            CHECK(ctx != NULL, "open failed");
            BackdropFrame pic = make_quadrants(BACKDROP_PIXFMT_RGB24, 6, 4);
            CHECK_INT(backdrop_set_background(ctx, &pic), 0);
            BackdropFrame out = frame_new(BACKDROP_PIXFMT_RGB24, sw, sh);
            TRY(render_background(ctx, &out));
            for (int y = 0; y < sh; y++) {
                for (int x = 0; x < sw; x++) {
                    int u, v, got[3];
                    const int *want;
                    displayed_at(r, sw, sh, x, y, &u, &v);
                    if (f == 0) /* contain: picture pixel (u - 3, v) */
                        want = u < 3 || u >= 9 ? bar : quadrant_rgb[(v >= 2) * 2 + (u - 3 >= 3)];
                    else /* cover: picture pixel (u / 2, 1 + v / 2) */
                        want = quadrant_rgb[(1 + v / 2 >= 2) * 2 + (u / 2 >= 3)];
                    get_rgb(&out, x, y, got);
                    CHECK(got[0] == want[0] && got[1] == want[1] && got[2] == want[2],
                          "%s, rotation %d: stored (%d,%d), shown at (%d,%d), is (%d,%d,%d), expected (%d,%d,%d)",
                          f ? "cover" : "contain", r, x, y, u, v, got[0], got[1], got[2], want[0], want[1],
                          want[2]);
                }
            }
        }

        /* YUV420P picture 8x4: left half white, right half black. */
        BackdropContext *ctx = open_rotated(BD_FIT_STRETCH, r);
        CHECK(ctx != NULL, "open failed");
        BackdropFrame ypic = frame_new(BACKDROP_PIXFMT_YUV420P, 8, 4);
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 8; x++)
                *sample(&ypic, 0, x, y) = x < 4 ? 235 : 16;
        fill_plane(&ypic, 1, 128);
        fill_plane(&ypic, 2, 128);
        CHECK_INT(backdrop_set_background(ctx, &ypic), 0);
        int w = r % 180 ? 4 : 8, h = r % 180 ? 8 : 4;
        BackdropFrame out = frame_new(BACKDROP_PIXFMT_RGB24, w, h);
        TRY(render_background(ctx, &out));
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int u, v, got[3];
                displayed_at(r, w, h, x, y, &u, &v);
                int want = u < 4 ? 255 : 0;
                get_rgb(&out, x, y, got);
                CHECK(got[0] == want && got[1] == want && got[2] == want,
                      "YUV picture, rotation %d: stored (%d,%d), shown at (%d,%d), is (%d,%d,%d), expected %d",
                      r, x, y, u, v, got[0], got[1], got[2], want);
            }
        }
    }
    return UNIT_PASS;
}

/* ---- A new picture every frame (a video background) ---- */

/* Picture i of a stream: 6x4, columns 0-2 one colour, 3-5 another, both
 * changing with i. */
static void stream_colours(int i, int a[3], int b[3])
{
    a[0] = 40 * i % 256, a[1] = 255 - 30 * i, a[2] = 7 * i;
    b[0] = 200 - 20 * i, b[1] = 11 * i, b[2] = (90 + 25 * i) % 256;
}

static void fill_stream_picture(const BackdropFrame *pic, int i)
{
    int a[3], b[3];
    stream_colours(i, a, b);
    for (int y = 0; y < pic->height; y++)
        for (int x = 0; x < pic->width; x++) {
            const int *c = x < 3 ? a : b;
            put_rgb(pic, x, y, c[0], c[1], c[2]);
        }
}

/* After the first frame, a new picture of the same size before every frame
 * gives exactly that picture's composite each time: through the identity
 * (picture of the frame's size), the scaler (contain: unscaled between
 * bars; stretch: enlarged 2x), and the turn of rotated video. Two picture
 * buffers alternate, so a library that kept a pointer to the caller's
 * pixels would show the wrong one. */
static int test_background_picture_per_frame(void)
{
    static const struct {
        const char *fit;
        int rotation, w, h; /* the frame as stored */
    } cases[] = {
        { "contain", 0, 6, 4 },  /* identity */
        { "contain", 0, 12, 4 }, /* columns 3-8, bars 0-2 and 9-11 */
        { "stretch", 0, 12, 8 }, /* each picture pixel a 2x2 block */
        { "contain", 90, 4, 12 }, /* shown 12x4: as the second case, turned */
    };
    const int bar[3] = { 10, 20, 30 };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        BackdropContext *ctx = open_with(BD_FIT_CONTAIN, bar[0], bar[1], bar[2]);
        CHECK(ctx != NULL, "open failed");
        CHECK_INT(context_set(ctx, "fit", cases[c].fit, NULL), 0);
        CHECK_INT(context_set_int(ctx, "rotation", cases[c].rotation), 0);
        BackdropFrame pics[2] = { frame_new(BACKDROP_PIXFMT_RGB24, 6, 4),
                                  frame_new(BACKDROP_PIXFMT_RGB24, 6, 4) };
        int w = cases[c].w, h = cases[c].h, r = cases[c].rotation;
        int shown_w = r % 180 ? h : w, shown_h = r % 180 ? w : h;
        BackdropFrame in = frame_new(BACKDROP_PIXFMT_RGB24, w, h);
        fill_rgb(&in, 128, 128, 128);
        BackdropFrame out = frame_new(BACKDROP_PIXFMT_RGB24, w, h);
        for (int i = 0; i < 8; i++) {
            fill_stream_picture(&pics[i % 2], i);
            CHECK_INT(backdrop_set_background(ctx, &pics[i % 2]), 0);
            CHECK_INT(backdrop_process(ctx, &in, &out, NULL), 0);
            int a[3], b[3];
            stream_colours(i, a, b);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    int u, v, got[3];
                    displayed_at(r, w, h, x, y, &u, &v);
                    /* The picture's column under displayed column u. */
                    int px = shown_w == 6 ? u : !strcmp(cases[c].fit, "stretch") ? u / 2 : u - 3;
                    const int *want = px < 0 || px >= 6 ? bar : px < 3 ? a : b;
                    get_rgb(&out, x, y, got);
                    CHECK(got[0] == want[0] && got[1] == want[1] && got[2] == want[2],
                          "case %zu (%s, %d deg, %dx%d), frame %d: (%d,%d) is (%d,%d,%d), expected (%d,%d,%d)",
                          c, cases[c].fit, r, w, h, i, x, y, got[0], got[1], got[2], want[0], want[1], want[2]);
                }
            (void)shown_h;
        }
    }
    return UNIT_PASS;
}

static void release_picture_stage(void *priv)
{
    bd_background_picture.close(priv);
    free(priv);
}

/* The stage itself, initialised once per picture as the pipeline does for
 * a video background: after the first picture, pictures of the same size
 * move none of its buffers (turned, scaled, prepared, the scaler's
 * tables), so a stream of them allocates nothing. A picture of another
 * size may move them. */
static int test_background_picture_buffers_kept(void)
{
    const BdComponent *c = &bd_background_picture;
    void *priv = calloc(1, c->priv_size);
    CHECK(priv != NULL, "out of memory");
    unit_defer(release_picture_stage, priv);
    bd_options_defaults(c->options, c->option_count, (char *)priv + c->options_offset);
    BackdropFrame pic = frame_new(BACKDROP_PIXFMT_RGB24, 6, 4);
    BdEnv env;
    memset(&env, 0, sizeof(env));
    env.picture = &pic;
    env.quarter_turns = 1; /* frames stored 4x12, shown 12x4: turned and scaled */
    BdShape shape = { BACKDROP_PIXFMT_YUV420P, 4, 12, BACKDROP_RANGE_LIMITED, BACKDROP_MATRIX_BT601 };
    BdMatteInfo info;
    memset(&info, 0, sizeof(info));
    const void *first[4], *now[4];
    for (int i = 0; i < 6; i++) {
        fill_stream_picture(&pic, i);
        CHECK_INT(c->init(priv, &env, &shape, &info), 0);
        BdFrameJob job;
        memset(&job, 0, sizeof(job));
        CHECK_INT(c->run(priv, &env, &job), 0);
        CHECK(job.bg != NULL, "no background prepared");
        bd_background_picture_buffers(priv, i ? now : first);
        for (int k = 0; k < 4; k++) {
            CHECK(first[k] != NULL, "picture %d: buffer %d not allocated", i, k);
            CHECK(!i || now[k] == first[k], "picture %d: buffer %d moved (%p to %p)", i, k, first[k], now[k]);
        }
        CHECK(job.bg->data[0] == first[2], "picture %d: the prepared frame is not the kept buffer", i);
    }
    return UNIT_PASS;
}

const UnitTest background_tests[] = {
    UNIT_TEST(background_fit_stretch),
    UNIT_TEST(background_fit_cover),
    UNIT_TEST(background_fit_contain),
    UNIT_TEST(background_picture_channel_order),
    UNIT_TEST(background_picture_copied),
    UNIT_TEST(background_color_and_reset),
    UNIT_TEST(background_yuv_pure_colors),
    UNIT_TEST(background_picture_on_yuv),
    UNIT_TEST(background_rotation_quadrants),
    UNIT_TEST(background_rotation_fit),
    UNIT_TEST(background_picture_per_frame),
    UNIT_TEST(background_picture_buffers_kept),
    UNIT_TESTS_END
};
