/* Square dilation / erosion of an 8-bit image; see morph.h. */
#include <string.h>

#include "../internal.h"
#include "morph.h"

/* |radius| reduced to length - 1: beyond that every clipped window is the
 * whole line, so the result is the same. */
static int axis_radius(int radius, int length)
{
    long r = radius < 0 ? -(long)radius : radius;
    return r < length - 1 ? (int)r : length - 1;
}

/* The largest power of two <= n (n >= 1). */
static int power_below(int n)
{
    int p = 1;
    while (p <= n / 2)
        p *= 2;
    return p;
}

/* The layout of the scratch: two padded lines for the row pass, then the
 * ring of the column pass. */
typedef struct Layout {
    int rx, ry;       /* radius per axis */
    size_t line;      /* bytes of one padded line: width + 2 rx */
    size_t optimised; /* bytes bd_morph_square needs */
    size_t reference; /* bytes bd_morph_square_ref needs: one row or column */
} Layout;

static Layout layout(int width, int height, int radius)
{
    Layout l;
    l.rx = axis_radius(radius, width);
    l.ry = axis_radius(radius, height);
    l.line = (size_t)width + 2 * (size_t)l.rx;
    l.optimised = 2 * l.line + (l.ry > 0 ? ((size_t)l.ry + 1) * (size_t)width : 0);
    l.reference = (size_t)(width > height ? width : height);
    return l;
}

size_t bd_morph_scratch_size(int width, int height, int radius)
{
    if (width < 1 || height < 1)
        return 0;
    Layout l = layout(width, height, radius);
    return l.optimised > l.reference ? l.optimised : l.reference;
}

/* ---- byte kernels ------------------------------------------------------------ */

/* Each kernel runs in blocks of BLOCK bytes, each block a loop with a
 * constant count, then the remainder byte by byte. At -O2 GCC vectorises
 * only loops whose vector code replaces all of the scalar code (its "very
 * cheap" cost model), i.e. constant counts: written as one plain loop over
 * n, these stay scalar there (about 25 times slower at 1080p). BLOCK is
 * one AVX2 vector, or two SSE2 ones. */
#define BLOCK 32

static uint8_t max_u8(uint8_t a, uint8_t b)
{
    return a > b ? a : b;
}

/* dst = src ^ flip: a row into the line, inverted for an erosion. */
BD_VECTOR_CLONES
static void copy_flipped(uint8_t *restrict dst, const uint8_t *restrict src, uint8_t flip, int n)
{
    int i = 0;
    for (; i + BLOCK <= n; i += BLOCK)
        for (int k = 0; k < BLOCK; k++)
            dst[i + k] = src[i + k] ^ flip;
    for (; i < n; i++)
        dst[i] = src[i] ^ flip;
}

/* One doubling step along a line of n: dst[i] = max(src[i], src[i + shift]),
 * and src[i] where i + shift is past the end (which counts as 0). */
BD_VECTOR_CLONES
static void max_shifted(uint8_t *restrict dst, const uint8_t *restrict src, int shift, int n)
{
    int inside = n - shift, i = 0;
    const uint8_t *ahead = src + shift;
    for (; i + BLOCK <= inside; i += BLOCK)
        for (int k = 0; k < BLOCK; k++)
            dst[i + k] = max_u8(src[i + k], ahead[i + k]);
    for (; i < inside; i++)
        dst[i] = max_u8(src[i], ahead[i]);
    memcpy(dst + inside, src + inside, (size_t)shift);
}

/* dst = (max(a, b)) ^ flip. a and b may point into the same buffer (they
 * are only read); dst is neither. */
BD_VECTOR_CLONES
static void max_of_two(uint8_t *restrict dst, const uint8_t *restrict a, const uint8_t *restrict b, uint8_t flip,
                       int n)
{
    int i = 0;
    for (; i + BLOCK <= n; i += BLOCK)
        for (int k = 0; k < BLOCK; k++)
            dst[i + k] = max_u8(a[i + k], b[i + k]) ^ flip;
    for (; i < n; i++)
        dst[i] = max_u8(a[i], b[i]) ^ flip;
}

/* dst = max(dst, src). */
BD_VECTOR_CLONES
static void max_into(uint8_t *restrict dst, const uint8_t *restrict src, int n)
{
    int i = 0;
    for (; i + BLOCK <= n; i += BLOCK)
        for (int k = 0; k < BLOCK; k++)
            dst[i + k] = max_u8(dst[i + k], src[i + k]);
    for (; i < n; i++)
        dst[i] = max_u8(dst[i], src[i]);
}

BD_VECTOR_CLONES
static void flip_in_place(uint8_t *dst, uint8_t flip, int n)
{
    int i = 0;
    for (; i + BLOCK <= n; i += BLOCK)
        for (int k = 0; k < BLOCK; k++)
            dst[i + k] ^= flip;
    for (; i < n; i++)
        dst[i] ^= flip;
}

/* ---- the passes ---------------------------------------------------------------- */

typedef struct Morph {
    uint8_t *img;
    ptrdiff_t stride;
    int width, height;
    uint8_t flip;       /* 255 for an erosion */
    Layout l;
    uint8_t *line[2];   /* the row pass's padded lines */
    uint8_t *ring;      /* the column pass's ring: ry + 1 rows of width */
} Morph;

static uint8_t *row_at(const Morph *m, int y)
{
    return m->img + (ptrdiff_t)y * m->stride;
}

/* Row y through the row pass, inverted on the way in for an erosion, and
 * inverted back on the way out when no column pass follows (the column pass
 * works on the inverted rows and inverts its output). */
static void row_pass(const Morph *m, int y)
{
    uint8_t *row = row_at(m, y);
    int w = m->width, r = m->l.rx, n = (int)m->l.line;
    uint8_t out_flip = m->l.ry > 0 ? 0 : m->flip;
    if (r == 0) {
        if (out_flip != m->flip)
            flip_in_place(row, m->flip, w);
        return;
    }
    uint8_t *src = m->line[0], *dst = m->line[1];
    memset(src, 0, (size_t)r);
    copy_flipped(src + r, row, m->flip, w);
    memset(src + r + w, 0, (size_t)r);
    int length = 2 * r + 1, p = power_below(length);
    for (int shift = 1; shift < p; shift *= 2) {
        max_shifted(dst, src, shift, n);
        uint8_t *t = src;
        src = dst;
        dst = t;
    }
    /* Output x's window is [x, x + L) of the padded line. */
    max_of_two(row, src, src + (length - p), out_flip, w);
}

/* The ring slot of g_P[j], j >= -ry. */
static uint8_t *slot(const Morph *m, int j)
{
    int r = m->l.ry;
    return m->ring + (size_t)((j + r) % (r + 1)) * (size_t)m->width;
}

/* The whole image: row pass, and the column pass when ry > 0 (morph.h).
 * Step t of the sweep: the row pass of row t; doubling step k (shift
 * 2^(k-1)) of row t - (2^k - 1), which needs that row and the row 'shift'
 * below it after step k - 1 (the lower steps of the same t run first);
 * the last step writes g_P into the ring; then output row t - (P - 1),
 * whose inputs g_P[y - R] and g_P[y + R + 1 - P] (both in y - R..y) are
 * ready, and whose row no step needs any more. */
static void run(const Morph *m)
{
    int w = m->width, h = m->height, r = m->l.ry;
    if (r == 0) {
        for (int y = 0; y < h; y++)
            row_pass(m, y);
        return;
    }
    int length = 2 * r + 1, p = power_below(length), steps = 0;
    while ((1 << steps) < p)
        steps++;
    /* The g_P of rows -r..-1: the maximum of rows 0..j + P - 1 (rows past
     * the image count as 0). The rows they read get their row pass first. */
    int prepared = p - 2 < h - 1 ? p - 2 : h - 1;
    for (int y = 0; y <= prepared; y++)
        row_pass(m, y);
    int last = -1;
    for (int j = -r; j < 0; j++) {
        int reach = j + p - 1 < h - 1 ? j + p - 1 : h - 1;
        uint8_t *g = slot(m, j);
        if (last < 0)
            memcpy(g, row_at(m, 0), (size_t)w);
        else
            memcpy(g, slot(m, j - 1), (size_t)w);
        for (int y = last + 1 > 1 ? last + 1 : 1; y <= reach; y++)
            max_into(g, row_at(m, y), w);
        last = reach;
    }
    for (int t = 0; t < h + p - 1; t++) {
        if (t > prepared && t < h)
            row_pass(m, t);
        for (int k = 1; k <= steps; k++) {
            int shift = 1 << (k - 1), y = t - (2 * shift - 1), below = y + shift;
            if (y < 0 || y >= h)
                continue;
            if (k < steps) {
                if (below < h)
                    max_into(row_at(m, y), row_at(m, below), w);
            } else if (below < h) {
                max_of_two(slot(m, y), row_at(m, y), row_at(m, below), 0, w);
            } else {
                memcpy(slot(m, y), row_at(m, y), (size_t)w);
            }
        }
        int y = t - (p - 1);
        if (y >= 0)
            max_of_two(row_at(m, y), slot(m, y - r), slot(m, y + r + 1 - p), m->flip, w);
    }
}

void bd_morph_square(uint8_t *img, ptrdiff_t stride, int width, int height, int radius, uint8_t *scratch)
{
    if (radius == 0 || width < 1 || height < 1)
        return;
    Morph m;
    m.img = img;
    m.stride = stride;
    m.width = width;
    m.height = height;
    m.flip = radius < 0 ? 255 : 0;
    m.l = layout(width, height, radius);
    if (m.l.rx == 0 && m.l.ry == 0)
        return;
    m.line[0] = scratch;
    m.line[1] = scratch + m.l.line;
    m.ring = scratch + 2 * m.l.line;
    run(&m);
}

/* ---- the reference ------------------------------------------------------------- */

/* n values 'step' apart from p, each replaced by the maximum (or minimum)
 * of those within r of it, from a copy in 'line'. */
static void window_line(uint8_t *p, ptrdiff_t step, int n, long r, int erode, uint8_t *line)
{
    for (int i = 0; i < n; i++)
        line[i] = p[i * step];
    for (int i = 0; i < n; i++) {
        long lo = i - r < 0 ? 0 : i - r, hi = i + r > n - 1 ? n - 1 : i + r;
        uint8_t v = line[lo];
        for (long k = lo + 1; k <= hi; k++)
            v = erode ? (line[k] < v ? line[k] : v) : (line[k] > v ? line[k] : v);
        p[i * step] = v;
    }
}

void bd_morph_square_ref(uint8_t *img, ptrdiff_t stride, int width, int height, int radius, uint8_t *scratch)
{
    if (width < 1 || height < 1)
        return;
    long r = radius < 0 ? -(long)radius : radius;
    int erode = radius < 0;
    for (int y = 0; y < height; y++)
        window_line(img + (ptrdiff_t)y * stride, 1, width, r, erode, scratch);
    for (int x = 0; x < width; x++)
        window_line(img + x, stride, height, r, erode, scratch);
}
