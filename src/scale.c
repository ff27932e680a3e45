/* Separable resampling with tables built once per shape; see scale.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scale.h"

/* ---- taps --------------------------------------------------------------- */

/* The taps of destination index d, in increasing source order, into
 * source[] / weight[] (room for the bound the caller computed); each
 * returns how many. The formulas are the definitions in scale.h, written
 * so that the double arithmetic, and hence the float weights, are those
 * the three users have always had. */

/* OPENCV_AREA over an interval of src_len whole pixels; indices relative
 * to the interval's start. */
static int opencv_area_taps(int d, double scale, int src_len, int *source, float *weight)
{
    int n = 0;
    if (scale >= 1.0) {
        double start = d * scale, end = start + scale;
        int inner_start = (int)ceil(start), inner_end = (int)floor(end);
        if (inner_end > src_len - 1)
            inner_end = src_len - 1;
        if (inner_start > inner_end)
            inner_start = inner_end;
        double cell = scale < src_len - start ? scale : src_len - start;
        if (inner_start - start > 1e-3) {
            source[n] = inner_start - 1;
            weight[n++] = (float)((inner_start - start) / cell);
        }
        for (int s = inner_start; s < inner_end; s++) {
            source[n] = s;
            weight[n++] = (float)(1.0 / cell);
        }
        if (end - inner_end > 1e-3) {
            double part = end - inner_end < 1.0 ? end - inner_end : 1.0;
            if (part > cell)
                part = cell;
            source[n] = inner_end;
            weight[n++] = (float)(part / cell);
        }
    } else {
        int s = (int)floor(d * scale);
        double f = (d + 1) - (s + 1) / scale;
        f = f <= 0 ? 0 : f - floor(f);
        if (s >= src_len - 1) {
            s = src_len - 1;
            f = 0;
        }
        source[n] = s;
        weight[n++] = (float)(1.0 - f);
        if (f > 0) {
            source[n] = s + 1;
            weight[n++] = (float)f;
        }
    }
    return n;
}

static int clamp_index(int i, int limit)
{
    return i < 0 ? 0 : i >= limit ? limit - 1 : i;
}

/* AREA over [start, start + scale * length) of a line of 'limit' samples;
 * at most 'room' taps. */
static int area_taps(int d, double start, double scale, int limit, int room, int *source, float *weight)
{
    int n = 0;
    if (scale > 1.0) {
        double a = start + d * scale, b = a + scale;
        for (int i = (int)floor(a); i < b && n < room; i++) {
            double lo = i > a ? i : a, hi = i + 1 < b ? i + 1 : b;
            /* Slivers from rounding at the interval's ends. */
            if (hi - lo <= 1e-9)
                continue;
            source[n] = clamp_index(i, limit);
            weight[n++] = (float)((hi - lo) / scale);
        }
    } else {
        double centre = start + (d + 0.5) * scale - 0.5;
        int i = (int)floor(centre);
        double f = centre - i;
        source[n] = clamp_index(i, limit);
        weight[n++] = (float)(1.0 - f);
        source[n] = clamp_index(i + 1, limit);
        weight[n++] = (float)f;
    }
    return n;
}

/* BILINEAR: 'length' destination indices over the len whole pixels from
 * 'offset'. Beyond the outer centres the edge value holds: the position is
 * clamped to [0, len - 1], and i0 to len - 2 so that i0 + 1 stays inside
 * (the weight is then 1). */
static int bilinear_taps(int d, int length, int offset, int len, int *source, float *weight)
{
    double c = (d + 0.5) * len / length - 0.5;
    c = c < 0 ? 0 : c > len - 1 ? len - 1 : c;
    int i0 = (int)floor(c);
    if (i0 > len - 2)
        i0 = len > 1 ? len - 2 : 0;
    float f = len > 1 ? (float)(c - i0) : 0.0f;
    source[0] = offset + i0;
    weight[0] = 1.0f - f;
    source[1] = len > 1 ? offset + i0 + 1 : offset + i0;
    weight[1] = f;
    return 2;
}

void bd_taps_free(BdTaps *t)
{
    free(t->count);
    free(t->source);
    free(t->weight);
    free(t->scratch_source);
    free(t->scratch_weight);
    memset(t, 0, sizeof(*t));
}

static int whole(double v)
{
    return v == floor(v);
}

/* Whether [start, start + span) is an interval the kernel can take on a
 * line of 'limit' samples. AREA clamps what it reads to the line (an
 * interval may overhang its end by rounding, not by more than a pixel,
 * which also bounds the taps); the others read only inside the interval,
 * which must be whole pixels of the line. */
static int valid_interval(BdKernel kernel, int length, double start, double span, int limit)
{
    if (length < 1 || limit < 1 || !(span > 0.0) || !(start >= 0.0) || !(start < limit) ||
        (unsigned)kernel > BD_KERNEL_BILINEAR)
        return 0;
    return kernel == BD_KERNEL_AREA ? start + span <= limit + 1.0
                                    : whole(start) && whole(span) && start + span <= limit;
}

/* Taps one index may need at a ratio 'scale': a box of width s touches at
 * most ceil(s) + 1 pixels (AREA's fractional start may add one more). */
static int taps_room(BdKernel kernel, double scale)
{
    return kernel == BD_KERNEL_OPENCV_AREA ? (scale >= 1.0 ? (int)ceil(scale) + 1 : 2)
         : kernel == BD_KERNEL_AREA        ? (scale > 1.0 ? (int)ceil(scale) + 2 : 2)
                                           : 2;
}

/* Fills the allocated table for [start, start + span): each index's taps
 * go through the scratch, straight into their tap-major places, then the
 * padding. */
static void taps_build(BdTaps *t, double start, double span)
{
    int length = t->length, limit = t->limit, room = t->room;
    double scale = span / length;
    int *s = t->scratch_source;
    float *w = t->scratch_weight;
    t->taps = 1;
    for (int d = 0; d < length; d++) {
        int n;
        if (t->kernel == BD_KERNEL_OPENCV_AREA) {
            n = opencv_area_taps(d, scale, (int)span, s, w);
            for (int k = 0; k < n; k++)
                s[k] += (int)start;
        } else if (t->kernel == BD_KERNEL_AREA) {
            n = area_taps(d, start, scale, limit, room, s, w);
        } else {
            n = bilinear_taps(d, length, (int)start, (int)span, s, w);
        }
        for (int k = 0; k < n; k++) {
            t->source[(size_t)k * length + d] = s[k];
            t->weight[(size_t)k * length + d] = w[k];
        }
        t->count[d] = n;
        t->taps = n > t->taps ? n : t->taps;
    }
    /* Padded with weight-0 repeats of each index's last source (or the
     * interval's first pixel, for an index without taps). */
    t->first = limit - 1;
    t->last = 0;
    for (int d = 0; d < length; d++) {
        int n = t->count[d];
        int pad = n > 0 ? t->source[(size_t)(n - 1) * length + d] : clamp_index((int)start, limit);
        for (int k = 0; k < t->taps; k++) {
            if (k >= n) {
                t->source[(size_t)k * length + d] = pad;
                t->weight[(size_t)k * length + d] = 0.0f;
            }
            int index = t->source[(size_t)k * length + d];
            t->first = index < t->first ? index : t->first;
            t->last = index > t->last ? index : t->last;
        }
    }
}

/* A table with room for intervals up to max_span long (>= span). */
static int taps_init(BdTaps *t, BdKernel kernel, int length, double start, double span, int limit, double max_span)
{
    memset(t, 0, sizeof(*t));
    t->kernel = kernel;
    t->length = length;
    t->limit = limit;
    if (!valid_interval(kernel, length, start, span, limit) || !(max_span >= span))
        return BACKDROP_EINVAL;
    t->max_span = max_span;
    t->room = taps_room(kernel, max_span / length);
    size_t size = (size_t)length * (size_t)t->room;
    t->count = malloc(sizeof(int) * (size_t)length);
    t->source = malloc(sizeof(int) * size);
    t->weight = malloc(sizeof(float) * size);
    t->scratch_source = malloc(sizeof(int) * (size_t)t->room);
    t->scratch_weight = malloc(sizeof(float) * (size_t)t->room);
    if (!t->count || !t->source || !t->weight || !t->scratch_source || !t->scratch_weight) {
        bd_taps_free(t);
        return BACKDROP_ENOMEM;
    }
    taps_build(t, start, span);
    return 0;
}

int bd_taps_init(BdTaps *t, BdKernel kernel, int length, double start, double span, int limit)
{
    return taps_init(t, kernel, length, start, span, limit, span);
}

int bd_taps_move(BdTaps *t, double start, double span)
{
    if (!t->count || !valid_interval(t->kernel, t->length, start, span, t->limit) || !(span <= t->max_span))
        return BACKDROP_EINVAL;
    taps_build(t, start, span);
    return 0;
}

/* ---- passes -------------------------------------------------------------- */

/* Along a row: out[d] from 'in', the source columns from 'origin' on, one
 * channel ('step' floats apart). Tap-major: one pass over d per tap, each
 * out[d] summed in tap order, starting from w0 x0 (= 0 + w0 x0, the sum's
 * first step). Padding taps add 0 * x = +0, which changes no sum. */
BD_VECTOR_CLONES
static void sum_columns(float *restrict out, const BdTaps *t, const float *restrict in, int step, int origin)
{
    int length = t->length;
    const int *source = t->source;
    const float *weight = t->weight;
    for (int d = 0; d < length; d++)
        out[d] = weight[d] * in[(source[d] - origin) * step];
    for (int k = 1; k < t->taps; k++) {
        const int *sk = source + (size_t)k * length;
        const float *wk = weight + (size_t)k * length;
        for (int d = 0; d < length; d++)
            out[d] += wk[d] * in[(sk[d] - origin) * step];
    }
}

/* BILINEAR along a row. The right neighbour is read next to the left one
 * (one index per output), and not at all in a one-pixel interval. */
BD_VECTOR_CLONES
static void lerp_columns(float *restrict out, const BdTaps *t, const float *restrict in, int step, int origin)
{
    int length = t->length, has_right = t->last > t->first;
    const int *left = t->source;
    const float *frac = t->weight + length;
    for (int d = 0; d < length; d++) {
        const float *p = in + (left[d] - origin) * step;
        float a = p[0], b = has_right ? p[step] : a;
        out[d] = a + frac[d] * (b - a);
    }
}

/* Across rows: n values of a weighted sum of whole rows, in tap order, two
 * taps per pass: (acc + wa a) + wb b is the order of one tap at a time,
 * and wa a + wb b that of a sum started at 0. */
BD_VECTOR_CLONES
static void set_one_u8(float *restrict acc, const uint8_t *restrict a, float wa, int n)
{
    for (int i = 0; i < n; i++)
        acc[i] = wa * a[i];
}

BD_VECTOR_CLONES
static void set_two_u8(float *restrict acc, const uint8_t *restrict a, float wa, const uint8_t *restrict b, float wb,
                       int n)
{
    for (int i = 0; i < n; i++)
        acc[i] = wa * a[i] + wb * b[i];
}

BD_VECTOR_CLONES
static void add_one_u8(float *restrict acc, const uint8_t *restrict a, float wa, int n)
{
    for (int i = 0; i < n; i++)
        acc[i] += wa * a[i];
}

BD_VECTOR_CLONES
static void add_two_u8(float *restrict acc, const uint8_t *restrict a, float wa, const uint8_t *restrict b, float wb,
                       int n)
{
    for (int i = 0; i < n; i++)
        acc[i] = acc[i] + wa * a[i] + wb * b[i];
}

BD_VECTOR_CLONES
static void set_one_f32(float *restrict acc, const float *a, float wa, int n)
{
    for (int i = 0; i < n; i++)
        acc[i] = wa * a[i];
}

BD_VECTOR_CLONES
static void set_two_f32(float *restrict acc, const float *a, float wa, const float *b, float wb, int n)
{
    for (int i = 0; i < n; i++)
        acc[i] = wa * a[i] + wb * b[i];
}

BD_VECTOR_CLONES
static void add_one_f32(float *restrict acc, const float *a, float wa, int n)
{
    for (int i = 0; i < n; i++)
        acc[i] += wa * a[i];
}

BD_VECTOR_CLONES
static void add_two_f32(float *restrict acc, const float *a, float wa, const float *b, float wb, int n)
{
    for (int i = 0; i < n; i++)
        acc[i] = acc[i] + wa * a[i] + wb * b[i];
}

BD_VECTOR_CLONES
static void lerp_rows(float *restrict out, const float *top, const float *bottom, float f, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = top[i] + f * (bottom[i] - top[i]);
}

BD_VECTOR_CLONES
static void widen(float *restrict out, const uint8_t *restrict in, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = in[i];
}

/* Destination row d of a sum kernel across rows: n values of rows[k], the
 * row of tap k (uint8 or float as 'u8' says). */
static void sum_rows(float *acc, const BdTaps *t, int d, const void *const *rows, int u8, int n)
{
    size_t length = (size_t)t->length;
    int count = t->count[d];
    const float *weight = t->weight + d;
#define W(k) weight[(size_t)(k) * length]
#define U8(k) ((const uint8_t *)rows[k])
#define F32(k) ((const float *)rows[k])
    if (count == 0) {
        memset(acc, 0, sizeof(float) * (size_t)n);
        return;
    }
    int k = count >= 2 ? 2 : 1;
    if (u8 && k == 2)
        set_two_u8(acc, U8(0), W(0), U8(1), W(1), n);
    else if (u8)
        set_one_u8(acc, U8(0), W(0), n);
    else if (k == 2)
        set_two_f32(acc, F32(0), W(0), F32(1), W(1), n);
    else
        set_one_f32(acc, F32(0), W(0), n);
    for (; k + 1 < count; k += 2) {
        if (u8)
            add_two_u8(acc, U8(k), W(k), U8(k + 1), W(k + 1), n);
        else
            add_two_f32(acc, F32(k), W(k), F32(k + 1), W(k + 1), n);
    }
    if (k < count) {
        if (u8)
            add_one_u8(acc, U8(k), W(k), n);
        else
            add_one_f32(acc, F32(k), W(k), n);
    }
#undef W
#undef U8
#undef F32
}

/* ---- the scaler ------------------------------------------------------------ */

/* AREA reads each source row once (rows first); the others resample each
 * source row along x once and combine the results (columns first). */
static int rows_first(const BdScaler *s)
{
    return s->x.kernel == BD_KERNEL_AREA;
}

void bd_scaler_free(BdScaler *s)
{
    bd_taps_free(&s->x);
    bd_taps_free(&s->y);
    free(s->line);
    free(s->cache);
    free(s->cached_row);
    free(s->tap_rows);
    free(s->row);
    memset(s, 0, sizeof(*s));
}

static int scaler_init(BdScaler *s, BdKernel kernel, int channels, int src_w, int src_h, BdScaleRect src,
                       int dst_w, int dst_h, double max_w, double max_h, int movable)
{
    memset(s, 0, sizeof(*s));
    s->channels = channels;
    if (channels < 1 || channels > 4)
        return BACKDROP_EINVAL;
    int err;
    if ((err = taps_init(&s->x, kernel, dst_w, src.x, src.w, src_w, max_w)) < 0 ||
        (err = taps_init(&s->y, kernel, dst_h, src.y, src.h, src_h, max_h)) < 0)
        goto fail;
    err = BACKDROP_ENOMEM;
    /* A movable scaler may read any columns of the line, and as many rows
     * per destination row as its room. */
    int columns = movable ? src_w : s->x.last - s->x.first + 1;
    int ring = movable ? s->y.room : s->y.taps;
    size_t row = (size_t)channels * (size_t)dst_w;
    s->line = malloc(sizeof(float) * (size_t)columns * (size_t)channels);
    s->tap_rows = malloc(sizeof(*s->tap_rows) * (size_t)ring);
    s->row = malloc(sizeof(float) * row);
    if (!s->line || !s->tap_rows || !s->row)
        goto fail;
    if (!rows_first(s)) {
        s->cache = malloc(sizeof(float) * row * (size_t)ring);
        s->cached_row = malloc(sizeof(int) * (size_t)ring);
        if (!s->cache || !s->cached_row)
            goto fail;
    }
    return 0;
fail:
    bd_scaler_free(s);
    return err;
}

int bd_scaler_init(BdScaler *s, BdKernel kernel, int channels, int src_w, int src_h, BdScaleRect src, int dst_w,
                   int dst_h)
{
    return scaler_init(s, kernel, channels, src_w, src_h, src, dst_w, dst_h, src.w, src.h, 0);
}

int bd_scaler_init_movable(BdScaler *s, BdKernel kernel, int channels, int src_w, int src_h, BdScaleRect src,
                           int dst_w, int dst_h, double max_w, double max_h)
{
    return scaler_init(s, kernel, channels, src_w, src_h, src, dst_w, dst_h, max_w, max_h, 1);
}

int bd_scaler_move(BdScaler *s, BdScaleRect src)
{
    if (!valid_interval(s->x.kernel, s->x.length, src.x, src.w, s->x.limit) || !(src.w <= s->x.max_span) ||
        !valid_interval(s->y.kernel, s->y.length, src.y, src.h, s->y.limit) || !(src.h <= s->y.max_span))
        return BACKDROP_EINVAL;
    bd_taps_move(&s->x, src.x, src.w);
    bd_taps_move(&s->y, src.y, src.h);
    return 0;
}

/* Source row r resampled along x (channels x dst_w floats, planar), from
 * the ring when it is there. */
static const float *resampled_row(BdScaler *s, int r, const void *plane, ptrdiff_t stride, int u8)
{
    int slot = r % s->y.taps, ch = s->channels, first = s->x.first;
    float *out = s->cache + (size_t)slot * ch * s->x.length;
    if (s->cached_row[slot] == r)
        return out;
    const float *in;
    if (u8) {
        widen(s->line, (const uint8_t *)plane + r * stride + (ptrdiff_t)first * ch, (s->x.last - first + 1) * ch);
        in = s->line;
    } else {
        in = (const float *)plane + r * stride + (ptrdiff_t)first * ch;
    }
    for (int c = 0; c < ch; c++) {
        if (s->x.kernel == BD_KERNEL_BILINEAR)
            lerp_columns(out + (size_t)c * s->x.length, &s->x, in + c, ch, first);
        else
            sum_columns(out + (size_t)c * s->x.length, &s->x, in + c, ch, first);
    }
    s->cached_row[slot] = r;
    return out;
}

static void scaler_row(BdScaler *s, int d, const void *plane, ptrdiff_t stride, int u8, float *out)
{
    const BdTaps *tx = &s->x, *ty = &s->y;
    int ch = s->channels, first = tx->first;
    size_t size = u8 ? sizeof(uint8_t) : sizeof(float);
    const int *source = ty->source + d;
    if (rows_first(s)) {
        /* The columns x reads, summed over d's source rows into 'line',
         * then resampled along x. */
        for (int k = 0; k < ty->count[d]; k++)
            s->tap_rows[k] = (const char *)plane + ((ptrdiff_t)source[(size_t)k * ty->length] * stride +
                                                    (ptrdiff_t)first * ch) * (ptrdiff_t)size;
        sum_rows(s->line, ty, d, s->tap_rows, u8, (tx->last - first + 1) * ch);
        for (int c = 0; c < ch; c++)
            sum_columns(out + (size_t)c * tx->length, tx, s->line + c, ch, first);
        return;
    }
    if (d == 0)
        for (int k = 0; k < ty->taps; k++)
            s->cached_row[k] = -1;
    int n = ch * tx->length;
    if (ty->kernel == BD_KERNEL_BILINEAR) {
        /* A lower row of weight 0 is not needed: a + 0 (b - a) is a. */
        float f = ty->weight[ty->length + d];
        const float *top = resampled_row(s, source[0], plane, stride, u8);
        const float *bottom = f > 0.0f ? resampled_row(s, source[ty->length], plane, stride, u8) : top;
        lerp_rows(out, top, bottom, f, n);
        return;
    }
    for (int k = 0; k < ty->count[d]; k++)
        s->tap_rows[k] = resampled_row(s, source[(size_t)k * ty->length], plane, stride, u8);
    sum_rows(out, ty, d, s->tap_rows, 0, n);
}

void bd_scaler_row_u8(BdScaler *s, int d, const uint8_t *plane, ptrdiff_t stride, float *out)
{
    scaler_row(s, d, plane, stride, 1, out);
}

void bd_scaler_row_f32(BdScaler *s, int d, const float *plane, ptrdiff_t stride, float *out)
{
    scaler_row(s, d, plane, stride, 0, out);
}

/* Planar floats to interleaved bytes. rintf rounds halves to even in the
 * default rounding mode, like lrintf and OpenCV's saturate_cast. */
static void round_row(uint8_t *out, const float *row, int width, int channels)
{
    for (int c = 0; c < channels; c++) {
        const float *in = row + (size_t)c * width;
        for (int x = 0; x < width; x++) {
            float v = rintf(in[x]);
            out[x * channels + c] = (uint8_t)(v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v);
        }
    }
}

void bd_scaler_run_u8(BdScaler *s, const uint8_t *plane, ptrdiff_t stride, uint8_t *out, ptrdiff_t out_stride)
{
    for (int d = 0; d < s->y.length; d++) {
        bd_scaler_row_u8(s, d, plane, stride, s->row);
        round_row(out + d * out_stride, s->row, s->x.length, s->channels);
    }
}

/* ---- OpenCV-compatible picture resize ------------------------------------ */

int bd_resize_area(const BackdropFrame *dst, int dx, int dy, int dw, int dh, const BackdropFrame *src, int sx, int sy,
                   int sw, int sh)
{
    int channels = bd_pixel_size(src->format);
    BdScaler s;
    BdScaleRect rect = { sx, sy, sw, sh };
    int err = bd_scaler_init(&s, BD_KERNEL_OPENCV_AREA, channels, src->width, src->height, rect, dw, dh);
    if (err < 0)
        return err;
    bd_scaler_run_u8(&s, src->data[0], src->stride[0], dst->data[0] + dy * dst->stride[0] + (ptrdiff_t)dx * channels,
                     dst->stride[0]);
    bd_scaler_free(&s);
    return 0;
}
