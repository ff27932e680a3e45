/* Frame geometry, validation, owned pictures, row slicing and logging. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int bd_plane_count(BackdropPixelFormat fmt)
{
    switch (fmt) {
    case BACKDROP_PIXFMT_YUV420P: return 3;
    case BACKDROP_PIXFMT_YUVA420P: return 4;
    case BACKDROP_PIXFMT_RGB24:
    case BACKDROP_PIXFMT_BGR24:
    case BACKDROP_PIXFMT_RGBA:
    case BACKDROP_PIXFMT_BGRA:
    case BACKDROP_PIXFMT_GRAY8: return 1;
    default: return 0;
    }
}

int bd_pixel_size(BackdropPixelFormat fmt)
{
    switch (fmt) {
    case BACKDROP_PIXFMT_RGB24:
    case BACKDROP_PIXFMT_BGR24: return 3;
    case BACKDROP_PIXFMT_RGBA:
    case BACKDROP_PIXFMT_BGRA: return 4;
    default: return 1;
    }
}

/* Planes 1 and 2 of the 4:2:0 formats are half size; the alpha plane of
 * YUVA420P is full size. */
static int is_chroma_plane(BackdropPixelFormat fmt, int plane)
{
    return (fmt == BACKDROP_PIXFMT_YUV420P || fmt == BACKDROP_PIXFMT_YUVA420P) && (plane == 1 || plane == 2);
}

int bd_plane_width(BackdropPixelFormat fmt, int width, int plane)
{
    if (plane >= bd_plane_count(fmt))
        return 0;
    return is_chroma_plane(fmt, plane) ? (width + 1) >> 1 : width;
}

int bd_plane_height(BackdropPixelFormat fmt, int height, int plane)
{
    if (plane >= bd_plane_count(fmt))
        return 0;
    return is_chroma_plane(fmt, plane) ? (height + 1) >> 1 : height;
}

/* The format without its alpha (YUVA420P -> YUV420P, RGBA -> RGB24, BGRA
 * -> BGR24); others are returned as they are. */
BackdropPixelFormat bd_without_alpha(BackdropPixelFormat fmt)
{
    switch (fmt) {
    case BACKDROP_PIXFMT_YUVA420P: return BACKDROP_PIXFMT_YUV420P;
    case BACKDROP_PIXFMT_RGBA: return BACKDROP_PIXFMT_RGB24;
    case BACKDROP_PIXFMT_BGRA: return BACKDROP_PIXFMT_BGR24;
    default: return fmt;
    }
}

int bd_frame_check(const BackdropFrame *f)
{
    if (!f)
        return BACKDROP_EINVAL;
    int planes = bd_plane_count(f->format);
    if (!planes)
        return BACKDROP_EINVAL;
    if (f->width < 1 || f->height < 1)
        return BACKDROP_EINVAL;
    if (f->width > BACKDROP_MAX_DIMENSION || f->height > BACKDROP_MAX_DIMENSION)
        return BACKDROP_ERANGE;
    for (int p = 0; p < planes; p++) {
        ptrdiff_t row = (ptrdiff_t)bd_plane_width(f->format, f->width, p) * bd_pixel_size(f->format);
        /* PTRDIFF_MIN has no ptrdiff_t magnitude: negating it overflows. */
        if (f->stride[p] == PTRDIFF_MIN)
            return BACKDROP_EINVAL;
        ptrdiff_t stride = f->stride[p] < 0 ? -f->stride[p] : f->stride[p];
        if (!f->data[p] || stride < row)
            return BACKDROP_EINVAL;
    }
    if ((f->format == BACKDROP_PIXFMT_YUV420P || f->format == BACKDROP_PIXFMT_YUVA420P) &&
        ((unsigned)f->range > BACKDROP_RANGE_FULL || (unsigned)f->matrix > BACKDROP_MATRIX_BT709))
        return BACKDROP_EINVAL;
    return 0;
}

static ptrdiff_t aligned_stride(ptrdiff_t bytes)
{
    return (bytes + BD_ALIGN - 1) & ~(ptrdiff_t)(BD_ALIGN - 1);
}

int bd_picture_alloc(Picture *pic, BackdropPixelFormat fmt, int width, int height)
{
    int planes = bd_plane_count(fmt);
    ptrdiff_t stride[4] = { 0 };
    size_t offset[4] = { 0 }, total = 0;
    /* Dimensions are checked by the callers (<= BACKDROP_MAX_DIMENSION), so
     * the sizes below stay far from overflow: 16384 * 3 * 16384 < 2^30. */
    for (int p = 0; p < planes; p++) {
        stride[p] = aligned_stride((ptrdiff_t)bd_plane_width(fmt, width, p) * bd_pixel_size(fmt));
        offset[p] = total;
        total += (size_t)stride[p] * (size_t)bd_plane_height(fmt, height, p);
    }
    if (total > pic->capacity) {
        uint8_t *buf = aligned_alloc(BD_ALIGN, aligned_stride((ptrdiff_t)total));
        if (!buf)
            return BACKDROP_ENOMEM;
        free(pic->buffer);
        pic->buffer = buf;
        pic->capacity = total;
    }
    memset(&pic->frame, 0, sizeof(pic->frame));
    pic->frame.format = fmt;
    pic->frame.width = width;
    pic->frame.height = height;
    for (int p = 0; p < planes; p++) {
        pic->frame.data[p] = pic->buffer + offset[p];
        pic->frame.stride[p] = stride[p];
    }
    return 0;
}

void bd_picture_free(Picture *pic)
{
    free(pic->buffer);
    memset(pic, 0, sizeof(*pic));
}

void bd_frame_copy(const BackdropFrame *dst, const BackdropFrame *src)
{
    for (int p = 0; p < bd_plane_count(src->format); p++) {
        size_t row = (size_t)bd_plane_width(src->format, src->width, p) * bd_pixel_size(src->format);
        int h = bd_plane_height(src->format, src->height, p);
        for (int y = 0; y < h; y++)
            memcpy(dst->data[p] + y * dst->stride[p], src->data[p] + y * src->stride[p], row);
    }
}

void bd_frame_turn_to_stored(const BackdropFrame *dst, const BackdropFrame *src, int turns)
{
    /* Turning clockwise shows stored pixel (x, y) at upright (u, v) =
     * (W-1-y, x), (W-1-x, H-1-y) or (y, H-1-x) for 1, 2 or 3 turns, with
     * the upright picture W x H. Its address, v * stride + u * pixel size,
     * is then base + x * step_x + y * step_y (strides may be negative). */
    ptrdiff_t p = bd_pixel_size(src->format), s = src->stride[0];
    ptrdiff_t w = src->width, h = src->height, base, step_x, step_y;
    switch (turns & 3) {
    case 1: base = (w - 1) * p; step_x = s; step_y = -p; break;
    case 2: base = (h - 1) * s + (w - 1) * p; step_x = -p; step_y = -s; break;
    case 3: base = (h - 1) * s; step_x = -s; step_y = p; break;
    default: base = 0; step_x = p; step_y = s; break;
    }
    for (int y = 0; y < dst->height; y++) {
        const uint8_t *in = src->data[0] + base + y * step_y;
        uint8_t *out = dst->data[0] + y * dst->stride[0];
        for (int x = 0; x < dst->width; x++, in += step_x, out += p)
            memcpy(out, in, (size_t)p);
    }
}

/* Aspect-ratio fitting, shared by backgrounds (fit) and the neural
 * method's framing (crop = COVER, pad = CONTAIN). */
BdFitRect bd_fit_rect(BdFit fit, int pic_w, int pic_h, int frame_w, int frame_h)
{
    BdFitRect r = { 0, 0, pic_w, pic_h, 0, 0, frame_w, frame_h };
    /* Compare aspect ratios exactly: pic_w/pic_h vs frame_w/frame_h. */
    int64_t pic_aspect = (int64_t)pic_w * frame_h, frame_aspect = (int64_t)frame_w * pic_h;
    if (fit == BD_FIT_COVER) {
        if (pic_aspect > frame_aspect) { /* picture wider: crop its sides */
            r.src_w = (int)(((int64_t)pic_h * frame_w + frame_h / 2) / frame_h);
            if (r.src_w < 1)
                r.src_w = 1;
            r.src_x = (pic_w - r.src_w) / 2;
        } else if (pic_aspect < frame_aspect) { /* picture taller: crop top and bottom */
            r.src_h = (int)(((int64_t)pic_w * frame_h + frame_w / 2) / frame_w);
            if (r.src_h < 1)
                r.src_h = 1;
            r.src_y = (pic_h - r.src_h) / 2;
        }
    } else if (fit == BD_FIT_CONTAIN) {
        if (pic_aspect > frame_aspect) { /* bars above and below */
            r.dst_h = (int)(((int64_t)frame_w * pic_h + pic_w / 2) / pic_w);
            if (r.dst_h < 1)
                r.dst_h = 1;
            r.dst_y = (frame_h - r.dst_h) / 2;
        } else if (pic_aspect < frame_aspect) { /* bars left and right */
            r.dst_w = (int)(((int64_t)frame_h * pic_w + pic_h / 2) / pic_h);
            if (r.dst_w < 1)
                r.dst_w = 1;
            r.dst_x = (frame_w - r.dst_w) / 2;
        }
    }
    return r;
}

/* One pthreadpool task per slice. Slices are a few dozen rows: small enough
 * to balance two to a few dozen threads, big enough that the per-task
 * overhead (~1 us) is noise next to the row work. */
typedef struct RowJob {
    bd_rows_fn fn;
    void *arg;
    int rows, slice;
} RowJob;

static void row_task(void *opaque, size_t index)
{
    const RowJob *job = opaque;
    int first = (int)index * job->slice;
    int count = job->rows - first < job->slice ? job->rows - first : job->slice;
    job->fn(job->arg, first, count);
}

void bd_run_rows(pthreadpool_t pool, bd_rows_fn fn, void *arg, int rows, int align)
{
    size_t threads = pool ? pthreadpool_get_threads_count(pool) : 1;
    if (threads <= 1 || rows < 4 * align) {
        fn(arg, 0, rows);
        return;
    }
    /* About four slices per thread, rounded up to the alignment. */
    int slice = (int)((size_t)rows / (threads * 4));
    if (slice < 16)
        slice = 16;
    slice = (slice + align - 1) / align * align;
    RowJob job = { fn, arg, rows, slice };
    pthreadpool_parallelize_1d(pool, row_task, &job, (size_t)((rows + slice - 1) / slice), PTHREADPOOL_FLAG_YIELD_WORKERS);
}

void bd_log(const BackdropLogger *log, BackdropLogLevel level, const char *fmt, ...)
{
    if (!log || !log->callback)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log->callback(log->opaque, level, msg);
}
