/* Orientation of pictures; the contract is in orient.h. */
#include "orient.h"

#include <stdlib.h>
#include <string.h>

#include <libavutil/common.h>
#include <libavutil/dict.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>

int orient_of_frame(const AVFrame *f)
{
    const AVDictionaryEntry *e = av_dict_get(f->metadata, "Orientation", NULL, 0);
    if (!e)
        return 1;
    /* FFmpeg writes EXIF numbers right-aligned: "    6". */
    const char *text = e->value + strspn(e->value, " ");
    char *end;
    long value = strtol(text, &end, 10);
    if (end == text || end[strspn(end, " ")] != '\0' || value < 1 || value > 8)
        return 1;
    return (int)value;
}

int orient_from_rotation(double degrees)
{
    return degrees == 90 ? 6 : degrees == 180 ? 3 : degrees == 270 ? 8 : 1;
}

int orient_swaps_axes(int orientation)
{
    return orientation >= 5 && orientation <= 8;
}

/* One plane: upright pixel (u, v) is the stored pixel at
 * base + u * step_u + v * step_v, where for a stored plane of w x h pixels
 * (stride s, pixel size p) and the EXIF meaning of each orientation:
 *   1 (x, y) = (u, v)               5 (x, y) = (v, u)
 *   2 (x, y) = (w-1-u, v)           6 (x, y) = (v, h-1-u)
 *   3 (x, y) = (w-1-u, h-1-v)       7 (x, y) = (w-1-v, h-1-u)
 *   4 (x, y) = (u, h-1-v)           8 (x, y) = (w-1-v, u)
 * Each plane is walked on its own: with 4:2:0 and an odd size, a mirrored
 * axis pairs luma and chroma half a pixel off, far below what the eye sees
 * in subsampled chroma. */
static void turn_plane(uint8_t *dst, ptrdiff_t dst_stride, int dst_w, int dst_h, const uint8_t *src,
                       ptrdiff_t s, int w, int h, int p, int orientation)
{
    ptrdiff_t right = (ptrdiff_t)(w - 1) * p, bottom = (ptrdiff_t)(h - 1) * s, base, step_u, step_v;
    switch (orientation) {
    case 2: base = right; step_u = -p; step_v = s; break;
    case 3: base = bottom + right; step_u = -p; step_v = -s; break;
    case 4: base = bottom; step_u = p; step_v = -s; break;
    case 5: base = 0; step_u = s; step_v = p; break;
    case 6: base = bottom; step_u = -s; step_v = p; break;
    case 7: base = bottom + right; step_u = -s; step_v = -p; break;
    case 8: base = right; step_u = s; step_v = -p; break;
    default: base = 0; step_u = p; step_v = s; break;
    }
    for (int v = 0; v < dst_h; v++) {
        const uint8_t *in = src + base + v * step_v;
        uint8_t *out = dst + v * dst_stride;
        if (p == 1) {
            for (int u = 0; u < dst_w; u++, in += step_u)
                out[u] = *in;
        } else {
            for (int u = 0; u < dst_w; u++, in += step_u, out += p)
                memcpy(out, in, (size_t)p);
        }
    }
}

void orient_apply(AVFrame *dst, const AVFrame *src, int orientation)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(src->format);
    int steps[4];
    av_image_fill_max_pixsteps(steps, NULL, d);
    for (int plane = 0; plane < av_pix_fmt_count_planes(src->format); plane++) {
        int chroma = plane == 1 || plane == 2;
        int w = chroma ? AV_CEIL_RSHIFT(src->width, d->log2_chroma_w) : src->width;
        int h = chroma ? AV_CEIL_RSHIFT(src->height, d->log2_chroma_h) : src->height;
        int swap = orient_swaps_axes(orientation);
        turn_plane(dst->data[plane], dst->linesize[plane], swap ? h : w, swap ? w : h, src->data[plane],
                   src->linesize[plane], w, h, steps[plane], orientation);
    }
}
