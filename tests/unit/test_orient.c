/*
 * The CLI's turning of pictures by their EXIF orientation (tools/orient.c),
 * called directly on AVFrames. The expected placement is built from the
 * EXIF definitions as a composition of elementary steps (transpose for 5-8,
 * then mirror left-right for 2, 3, 6, 7 and top-bottom for 3, 4, 7, 8),
 * independently of the walk the code takes.
 */
#include <libavutil/common.h>
#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>

#include "input/orient.h"
#include "suites.h"

static void frame_release(void *f)
{
    AVFrame *frame = f;
    av_frame_free(&frame);
}

static AVFrame *picture_new(enum AVPixelFormat fmt, int width, int height)
{
    AVFrame *f = av_frame_alloc();
    if (!f)
        return NULL;
    f->format = fmt;
    f->width = width;
    f->height = height;
    if (av_frame_get_buffer(f, 0) < 0) {
        av_frame_free(&f);
        return NULL;
    }
    unit_defer(frame_release, f);
    return f;
}

/* Where upright pixel (u, v) of a plane comes from in the stored plane of
 * w x h pixels. */
static void stored_at(int orientation, int w, int h, int u, int v, int *x, int *y)
{
    int transposed = orientation >= 5;
    int sw = transposed ? h : w, sh = transposed ? w : h; /* the plane after the transpose */
    if (orientation == 2 || orientation == 3 || orientation == 6 || orientation == 7)
        u = sw - 1 - u;
    if (orientation == 3 || orientation == 4 || orientation == 7 || orientation == 8)
        v = sh - 1 - v;
    *x = transposed ? v : u;
    *y = transposed ? u : v;
}

/* Fills every byte of every plane with a value that names its position,
 * turns the picture and checks every byte of the result. */
static int check_format(enum AVPixelFormat fmt, int width, int height)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    int planes = av_pix_fmt_count_planes(fmt), bytes = fmt == AV_PIX_FMT_RGB24 || fmt == AV_PIX_FMT_BGR24 ? 3 : 1;
    AVFrame *src = picture_new(fmt, width, height);
    CHECK(src != NULL, "out of memory");
    for (int p = 0; p < planes; p++) {
        int pw = p ? AV_CEIL_RSHIFT(width, d->log2_chroma_w) : width;
        int ph = p ? AV_CEIL_RSHIFT(height, d->log2_chroma_h) : height;
        for (int y = 0; y < ph; y++)
            for (int x = 0; x < pw * bytes; x++)
                src->data[p][y * src->linesize[p] + x] = (uint8_t)(p * 97 + y * 31 + x * 7);
    }
    for (int o = 1; o <= 8; o++) {
        int swap = orient_swaps_axes(o);
        CHECK_INT(swap, o >= 5);
        AVFrame *dst = picture_new(fmt, swap ? height : width, swap ? width : height);
        CHECK(dst != NULL, "out of memory");
        orient_apply(dst, src, o);
        for (int p = 0; p < planes; p++) {
            int pw = p ? AV_CEIL_RSHIFT(width, d->log2_chroma_w) : width;
            int ph = p ? AV_CEIL_RSHIFT(height, d->log2_chroma_h) : height;
            int dw = swap ? ph : pw, dh = swap ? pw : ph;
            for (int v = 0; v < dh; v++) {
                for (int u = 0; u < dw; u++) {
                    int x, y;
                    stored_at(o, pw, ph, u, v, &x, &y);
                    for (int b = 0; b < bytes; b++) {
                        int got = dst->data[p][v * dst->linesize[p] + u * bytes + b];
                        int want = src->data[p][y * src->linesize[p] + x * bytes + b];
                        CHECK(got == want, "%s %dx%d, orientation %d, plane %d: upright (%d,%d) byte %d is %d, "
                              "expected %d from stored (%d,%d)", av_get_pix_fmt_name(fmt), width, height, o, p,
                              u, v, b, got, want, x, y);
                    }
                }
            }
        }
    }
    return UNIT_PASS;
}

/* All 8 orientations on packed RGB and on 4:2:0 with even and odd sizes
 * (odd: chroma planes of ceil(w/2) x ceil(h/2) turn with the luma). */
static int test_orient_exif_all_eight(void)
{
    TRY(check_format(AV_PIX_FMT_RGB24, 5, 3));
    TRY(check_format(AV_PIX_FMT_BGR24, 4, 6));
    TRY(check_format(AV_PIX_FMT_YUV420P, 6, 4));
    TRY(check_format(AV_PIX_FMT_YUV420P, 7, 5));
    TRY(check_format(AV_PIX_FMT_GRAY8, 3, 8));
    return UNIT_PASS;
}

/* The tag as FFmpeg's decoders put it: the number right-aligned in text.
 * Anything else means "as stored"; display-matrix angles map to 6, 3, 8. */
static int test_orient_exif_tag(void)
{
    static const struct {
        const char *value;
        int orientation;
    } cases[] = {
        { "    6", 6 }, { "8", 8 }, { "1", 1 }, { "    2 ", 2 }, { "7", 7 }, { "0", 1 }, { "9", 1 },
        { "", 1 },      { " ", 1 }, { "6x", 1 }, { "-6", 1 },    { "3.5", 1 }, { "65541", 1 },
    };
    AVFrame *f = picture_new(AV_PIX_FMT_GRAY8, 2, 2);
    CHECK(f != NULL, "out of memory");
    CHECK_INT(orient_of_frame(f), 1);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CHECK_INT(av_dict_set(&f->metadata, "Orientation", cases[i].value, 0), 0);
        CHECK(orient_of_frame(f) == cases[i].orientation, "Orientation \"%s\" gives %d, expected %d",
              cases[i].value, orient_of_frame(f), cases[i].orientation);
    }
    CHECK_INT(orient_from_rotation(0), 1);
    CHECK_INT(orient_from_rotation(90), 6);
    CHECK_INT(orient_from_rotation(180), 3);
    CHECK_INT(orient_from_rotation(270), 8);
    CHECK_INT(orient_from_rotation(45), 1);
    return UNIT_PASS;
}

const UnitTest orient_tests[] = {
    UNIT_TEST(orient_exif_all_eight),
    UNIT_TEST(orient_exif_tag),
    UNIT_TESTS_END
};
