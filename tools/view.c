/* The side-by-side view; see view.h. */
#include <stdlib.h>
#include <string.h>

#include <libavutil/pixfmt.h>

#include "message.h"
#include "view.h"

struct View {
    int width, height, panel; /* panel: width rounded up to even */
    enum AVPixelFormat format;
    AVFrame *result;          /* the library's output, input's format */
    AVFrame *matte;           /* GRAY8 */
};

void view_close(View **view)
{
    if (!view || !*view)
        return;
    av_frame_free(&(*view)->result);
    av_frame_free(&(*view)->matte);
    free(*view);
    *view = NULL;
}

static AVFrame *frame_of(int width, int height, enum AVPixelFormat format)
{
    AVFrame *f = av_frame_alloc();
    if (!f)
        return NULL;
    f->width = width;
    f->height = height;
    f->format = format;
    if (av_frame_get_buffer(f, 0) < 0)
        av_frame_free(&f);
    return f;
}

int view_open(View **out, int width, int height, int av_format, char *err, size_t errlen)
{
    *out = NULL;
    View *v = calloc(1, sizeof(*v));
    if (!v) {
        message_set(err, errlen, "out of memory");
        return -1;
    }
    v->width = width;
    v->height = height;
    v->panel = (width + 1) & ~1;
    v->format = (enum AVPixelFormat)av_format;
    if ((int64_t)v->panel * 3 > BACKDROP_MAX_DIMENSION) {
        message_set(err, errlen, "--view side-by-side: %dx%d frames would make a %d pixels wide view (at most %d)",
                    width, height, v->panel * 3, BACKDROP_MAX_DIMENSION);
        free(v);
        return -1;
    }
    if (!(v->result = frame_of(width, height, v->format)) || !(v->matte = frame_of(width, height, AV_PIX_FMT_GRAY8))) {
        view_close(&v);
        message_set(err, errlen, "out of memory");
        return -1;
    }
    *out = v;
    return 0;
}

int view_width(const View *view)
{
    return view->panel * 3;
}

BackdropFrame view_result(View *view, const BackdropFrame *like)
{
    BackdropFrame b = *like;
    for (int p = 0; p < 4; p++) {
        b.data[p] = view->result->data[p];
        b.stride[p] = view->result->linesize[p];
    }
    return b;
}

BackdropFrame view_matte(View *view)
{
    BackdropFrame b = { 0 };
    b.format = BACKDROP_PIXFMT_GRAY8;
    b.width = view->width;
    b.height = view->height;
    b.data[0] = view->matte->data[0];
    b.stride[0] = view->matte->linesize[0];
    return b;
}

/* Copies src (the view's size) into panel k of out. */
static void put_panel(const View *v, AVFrame *out, const AVFrame *src, int k)
{
    int yuv = v->format == AV_PIX_FMT_YUV420P;
    for (int p = 0; p < (yuv ? 3 : 1); p++) {
        int sub = p ? 1 : 0, bytes = yuv ? 1 : 3;
        int w = (v->width + sub) >> sub, h = (v->height + sub) >> sub, x = (k * v->panel) >> sub;
        for (int y = 0; y < h; y++)
            memcpy(out->data[p] + y * out->linesize[p] + x * bytes, src->data[p] + y * src->linesize[p],
                   (size_t)w * bytes);
    }
}

void view_compose(View *v, AVFrame *out, const AVFrame *input)
{
    int yuv = v->format == AV_PIX_FMT_YUV420P;
    /* Black first: the gap columns of odd widths. */
    if (v->panel != v->width) {
        if (yuv) {
            int black = input->color_range == AVCOL_RANGE_JPEG ? 0 : 16;
            for (int y = 0; y < v->height; y++)
                memset(out->data[0] + y * out->linesize[0], black, (size_t)out->width);
            for (int p = 1; p < 3; p++)
                for (int y = 0; y < (v->height + 1) / 2; y++)
                    memset(out->data[p] + y * out->linesize[p], 128, (size_t)(out->width + 1) / 2);
        } else {
            for (int y = 0; y < v->height; y++)
                memset(out->data[0] + y * out->linesize[0], 0, (size_t)out->width * 3);
        }
    }
    put_panel(v, out, input, 0);
    put_panel(v, out, v->result, 2);
    /* The matte, grey. */
    const uint8_t *m0 = v->matte->data[0];
    int x0 = v->panel;
    if (yuv) {
        int full = input->color_range == AVCOL_RANGE_JPEG;
        for (int y = 0; y < v->height; y++) {
            const uint8_t *m = m0 + y * v->matte->linesize[0];
            uint8_t *d = out->data[0] + y * out->linesize[0] + x0;
            for (int x = 0; x < v->width; x++)
                d[x] = full ? m[x] : (uint8_t)(16 + (m[x] * 219 + 127) / 255);
        }
        for (int p = 1; p < 3; p++)
            for (int y = 0; y < (v->height + 1) / 2; y++)
                memset(out->data[p] + y * out->linesize[p] + x0 / 2, 128, (size_t)(v->width + 1) / 2);
    } else {
        for (int y = 0; y < v->height; y++) {
            const uint8_t *m = m0 + y * v->matte->linesize[0];
            uint8_t *d = out->data[0] + y * out->linesize[0] + 3 * x0;
            for (int x = 0; x < v->width; x++)
                d[3 * x] = d[3 * x + 1] = d[3 * x + 2] = m[x];
        }
    }
}
