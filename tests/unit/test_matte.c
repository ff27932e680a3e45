/*
 * The matte clean-up kernels: src/matte/islands.c (specks and holes of a
 * probability map) and src/matte/morph.c (square dilation / erosion of an
 * 8-bit alpha).
 *
 *  - islands: small maps with exact expected values for each rule of
 *    islands.h (a speck and its fringe go, a region and its fringe stay;
 *    several large regions survive; a hole is filled, a bay open to the
 *    border is not; 8-connected foreground, 4-connected background);
 *    disabled parts change no bit; and a naive reference written here
 *    (a breadth-first flood fill per region over a pixel label image, then
 *    the fringe rule pixel by pixel) against bd_islands_clean on random
 *    blobby maps of many shapes, thresholds and limits, bit for bit.
 *  - morph: a point grows into an exact square (clipped at the border), an
 *    erosion removes a line thinner than its window, radius 0 is the
 *    identity; bd_morph_square_ref against a direct 2-D window written here
 *    on small images, and bd_morph_square against bd_morph_square_ref on
 *    random images (shapes down to 1 x 1, strides padded and negative,
 *    radii positive, negative and past the image), exactly, with the bytes
 *    outside the image and the scratch's end watched.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matte/islands.h"
#include "matte/morph.h"
#include "suites.h"
#include "util.h"

static uint32_t lcg_next(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state;
}

/* A value in [0, 1). */
static float lcg_unit(uint32_t *state)
{
    return (float)(lcg_next(state) >> 8) / 16777216.0f;
}

/* ---- islands: the naive reference ------------------------------------------ */

static int is_foreground(float p, float t)
{
    return p >= t;
}

/* Whether some pixel of the 3 x 3 block around (x, y), inside the map, is
 * foreground (want = 1) or background (want = 0). */
static int block_has(const float *map, int w, int h, int x, int y, float t, int want)
{
    for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
            int xx = x + dx, yy = y + dy;
            if (xx >= 0 && xx < w && yy >= 0 && yy < h && is_foreground(map[yy * w + xx], t) == want)
                return 1;
        }
    return 0;
}

/* Marks (changed[i] = 1) every region of 'side' with fewer than 'limit'
 * pixels (holes: touching no border pixel), found by breadth-first flood
 * fill with 8 neighbours for the foreground and 4 for the background.
 * Returns the regions marked. */
static int mark_small_regions(const float *map, int w, int h, float t, int side, int limit, uint8_t *changed)
{
    int n = w * h, regions = 0;
    int *queue = unit_alloc(sizeof(int) * (size_t)n);
    uint8_t *seen = unit_alloc((size_t)n);
    for (int start = 0; start < n; start++) {
        if (seen[start] || is_foreground(map[start], t) != side)
            continue;
        int head = 0, tail = 0, border = 0;
        queue[tail++] = start;
        seen[start] = 1;
        while (head < tail) {
            int i = queue[head++], x = i % w, y = i / w;
            border |= x == 0 || y == 0 || x == w - 1 || y == h - 1;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int xx = x + dx, yy = y + dy, j = yy * w + xx;
                    if ((dx == 0 && dy == 0) || (!side && dx != 0 && dy != 0))
                        continue;
                    if (xx < 0 || xx >= w || yy < 0 || yy >= h || seen[j] || is_foreground(map[j], t) != side)
                        continue;
                    seen[j] = 1;
                    queue[tail++] = j;
                }
        }
        if (tail < limit && (side || !border)) {
            regions++;
            for (int k = 0; k < tail; k++)
                changed[queue[k]] = 1;
        }
    }
    return regions;
}

/* The changed pixels take 'value'; then every pixel of the other side with
 * a changed pixel among its 8 neighbours and no pixel of its own side
 * among them takes it too. Decided on the map after the first writes. */
static void write_with_fringe(float *map, int w, int h, float t, const uint8_t *changed, float value)
{
    int n = w * h, own = is_foreground(value, t); /* the fringe pixels' side is 'own' */
    for (int i = 0; i < n; i++)
        if (changed[i])
            map[i] = value;
    uint8_t *fringe = unit_alloc((size_t)n);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int i = y * w + x, next_to_change = 0;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int xx = x + dx, yy = y + dy;
                    if (xx >= 0 && xx < w && yy >= 0 && yy < h && changed[yy * w + xx])
                        next_to_change = 1;
                }
            fringe[i] = !changed[i] && next_to_change && is_foreground(map[i], t) == own &&
                        !block_has(map, w, h, x, y, t, !own);
        }
    for (int i = 0; i < n; i++)
        if (fringe[i])
            map[i] = value;
}

static int reference_clean(float *map, int w, int h, float t, int min_area, int min_hole)
{
    int regions = 0;
    if (min_area > 1) {
        uint8_t *removed = unit_alloc((size_t)w * h);
        regions += mark_small_regions(map, w, h, t, 1, min_area, removed);
        write_with_fringe(map, w, h, t, removed, 0.0f);
    }
    if (min_hole > 1) {
        uint8_t *filled = unit_alloc((size_t)w * h);
        regions += mark_small_regions(map, w, h, t, 0, min_hole, filled);
        write_with_fringe(map, w, h, t, filled, 1.0f);
    }
    return regions;
}

/* ---- islands: helpers ----------------------------------------------------------- */

static void free_islands(void *p)
{
    bd_islands_free(p);
}

static BdIslands *islands_new(int w, int h)
{
    BdIslands *s = unit_alloc(sizeof(*s));
    if (bd_islands_init(s, w, h) < 0)
        return NULL;
    unit_defer(free_islands, s);
    return s;
}

static float *map_new(int w, int h, float value)
{
    float *map = unit_alloc(sizeof(float) * (size_t)w * h);
    for (int i = 0; i < w * h; i++)
        map[i] = value;
    return map;
}

static void fill_rect(float *map, int w, int x0, int y0, int x1, int y1, float value)
{
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++)
            map[y * w + x] = value;
}

/* The first pixel where two maps differ (bits), or UNIT_PASS. */
static int check_maps_equal(const float *got, const float *want, int w, int h, const char *what)
{
    for (int i = 0; i < w * h; i++)
        CHECK(memcmp(&got[i], &want[i], sizeof(float)) == 0, "%s, %dx%d: pixel (%d, %d) is %.9g, expected %.9g",
              what, w, h, i % w, i / w, got[i], want[i]);
    return UNIT_PASS;
}

/* Smooth random blobs: uniform noise averaged twice over a (2 blur + 1)^2
 * box (clipped), stretched by 'contrast' around 0.5, clamped to 0..1, and
 * rounded to 1/64 so that values equal to the threshold occur. Now and
 * then a NaN (background by definition). */
static void blobby_map(float *map, int w, int h, int blur, float contrast, int with_nan, uint32_t *seed)
{
    size_t n = (size_t)w * h;
    float *a = unit_alloc(sizeof(float) * n), *b = unit_alloc(sizeof(float) * n);
    for (size_t i = 0; i < n; i++)
        a[i] = lcg_unit(seed);
    for (int pass = 0; pass < 2; pass++) {
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double sum = 0;
                int count = 0;
                for (int yy = y - blur; yy <= y + blur; yy++)
                    for (int xx = x - blur; xx <= x + blur; xx++)
                        if (xx >= 0 && xx < w && yy >= 0 && yy < h) {
                            sum += a[yy * w + xx];
                            count++;
                        }
                b[y * w + x] = (float)(sum / count);
            }
        float *swap = a;
        a = b;
        b = swap;
    }
    for (size_t i = 0; i < n; i++) {
        float v = 0.5f + (a[i] - 0.5f) * contrast;
        v = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
        map[i] = roundf(v * 64.0f) / 64.0f;
        if (with_nan && lcg_next(seed) % 997 == 0)
            map[i] = NAN;
    }
}

/* ---- islands: tests ------------------------------------------------------------- */

/* A speck and its one-pixel slope go; a large region and its slope stay,
 * bit for bit; a second speck next to the region loses its own pixel but
 * not the slope pixel it shares with the region. */
static int test_islands_speck_removed(void)
{
    const int w = 40, h = 30;
    float *map = map_new(w, h, 0.1f);
    fill_rect(map, w, 4, 4, 25, 20, 0.3f); /* the region's slope */
    fill_rect(map, w, 5, 5, 24, 19, 0.9f); /* the region: 20 x 15 */
    fill_rect(map, w, 31, 23, 34, 26, 0.45f);
    fill_rect(map, w, 32, 24, 33, 25, 0.8f); /* a 2 x 2 speck in a 4 x 4 slope */
    map[12 * w + 26] = 0.7f;                 /* a speck two pixels right of the region */
    float *want = map_new(w, h, 0.0f);
    memcpy(want, map, sizeof(float) * w * h);
    fill_rect(want, w, 31, 23, 34, 26, 0.0f);
    /* Its fringe: rows 11..13 of columns 25..27. Column 25 is the region's
     * slope, next to the region's column 24: it stays. Columns 26 and 27
     * have no foreground left around them: they go. */
    for (int y = 11; y <= 13; y++) {
        want[y * w + 26] = 0.0f;
        want[y * w + 27] = 0.0f;
    }
    BdIslands *s = islands_new(w, h);
    CHECK(s, "bd_islands_init failed");
    CHECK_INT(bd_islands_clean(s, map, w, h, 0.5f, 10, 0), 2);
    TRY(check_maps_equal(map, want, w, h, "speck removed"));
    /* Again on the cleaned map: nothing left to do. */
    CHECK_INT(bd_islands_clean(s, map, w, h, 0.5f, 10, 0), 0);
    return check_maps_equal(map, want, w, h, "second clean");
}

/* Two person-sized regions, and a third just at the limit, all survive
 * untouched; one pixel more of limit removes exactly the limit-sized one. */
static int test_islands_people_survive(void)
{
    const int w = 120, h = 80;
    float *map = map_new(w, h, 0.05f);
    fill_rect(map, w, 9, 9, 40, 70, 0.35f);
    fill_rect(map, w, 10, 10, 39, 69, 0.97f); /* 30 x 60 */
    fill_rect(map, w, 59, 4, 90, 75, 0.4f);
    fill_rect(map, w, 60, 5, 89, 74, 0.99f);  /* 30 x 70 */
    fill_rect(map, w, 100, 10, 109, 19, 0.6f); /* 10 x 10 */
    float *before = map_new(w, h, 0.0f);
    memcpy(before, map, sizeof(float) * w * h);
    BdIslands *s = islands_new(w, h);
    CHECK(s, "bd_islands_init failed");
    CHECK_INT(bd_islands_clean(s, map, w, h, 0.5f, 100, 50), 0);
    TRY(check_maps_equal(map, before, w, h, "three regions at or above min_area"));
    CHECK_INT(bd_islands_clean(s, map, w, h, 0.5f, 101, 50), 1);
    fill_rect(before, w, 100, 10, 109, 19, 0.0f);
    fill_rect(before, w, 99, 9, 110, 20, 0.0f);
    return check_maps_equal(map, before, w, h, "the 100-pixel region under min_area 101");
}

/* A hole and its rim inside a region become 1; a bay of the same size open
 * to the map's right border stays. */
static int test_islands_hole_filled_bay_kept(void)
{
    const int w = 30, h = 20;
    float *map = map_new(w, h, 0.9f);
    fill_rect(map, w, 7, 7, 11, 11, 0.6f); /* the hole's rim (foreground) */
    fill_rect(map, w, 8, 8, 10, 10, 0.2f); /* a 3 x 3 hole */
    fill_rect(map, w, 26, 5, 29, 9, 0.6f);
    fill_rect(map, w, 27, 6, 29, 8, 0.1f); /* a 3 x 3 bay */
    float *want = map_new(w, h, 0.0f);
    memcpy(want, map, sizeof(float) * w * h);
    fill_rect(want, w, 7, 7, 11, 11, 1.0f);
    BdIslands *s = islands_new(w, h);
    CHECK(s, "bd_islands_init failed");
    CHECK_INT(bd_islands_clean(s, map, w, h, 0.5f, 0, 20), 1);
    TRY(check_maps_equal(map, want, w, h, "hole filled, bay kept"));
    /* A hole of exactly min_hole pixels is kept. */
    fill_rect(map, w, 8, 8, 10, 10, 0.2f);
    memcpy(want, map, sizeof(float) * w * h);
    CHECK_INT(bd_islands_clean(s, map, w, h, 0.5f, 0, 9), 0);
    return check_maps_equal(map, want, w, h, "hole of min_hole pixels");
}

/* Foreground joins across a corner, background does not: a diagonal pair
 * of pixels is one region of 2 (kept under min_area 2, while a lone pixel
 * goes), and a diagonal chain of background pixels from the corner is
 * three holes of 1 and one bay. Values 0 and 1 around them keep the
 * fringe rule out of the way. */
static int test_islands_connectivity(void)
{
    const int w = 10, h = 10;
    float *map = map_new(w, h, 0.0f);
    map[3 * w + 3] = map[4 * w + 4] = 0.9f;
    map[1 * w + 7] = 0.9f;
    float *want = map_new(w, h, 0.0f);
    memcpy(want, map, sizeof(float) * w * h);
    want[1 * w + 7] = 0.0f;
    BdIslands *s = islands_new(w, h);
    CHECK(s, "bd_islands_init failed");
    CHECK_INT(bd_islands_clean(s, map, w, h, 0.5f, 2, 0), 1);
    TRY(check_maps_equal(map, want, w, h, "diagonal foreground pair"));

    map = map_new(w, h, 1.0f);
    for (int i = 0; i < 4; i++)
        map[i * w + i] = 0.1f;
    memcpy(want, map, sizeof(float) * w * h);
    for (int i = 1; i < 4; i++)
        want[i * w + i] = 1.0f;
    CHECK_INT(bd_islands_clean(s, map, w, h, 0.5f, 0, 2), 3);
    return check_maps_equal(map, want, w, h, "diagonal background chain");
}

/* min_area and min_hole of 0 or 1 leave every bit of every map. */
static int test_islands_disabled_exact(void)
{
    uint32_t seed = 51;
    const int sizes[][2] = { { 1, 1 }, { 7, 5 }, { 64, 48 }, { 455, 256 } };
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        int w = sizes[k][0], h = sizes[k][1];
        BdIslands *s = islands_new(w, h);
        CHECK(s, "bd_islands_init failed");
        float *map = map_new(w, h, 0.0f), *before = map_new(w, h, 0.0f);
        blobby_map(map, w, h, 2, 3.0f, 1, &seed);
        memcpy(before, map, sizeof(float) * w * h);
        for (int area = 0; area <= 1; area++)
            for (int hole = 0; hole <= 1; hole++) {
                CHECK_INT(bd_islands_clean(s, map, w, h, 0.5f, area, hole), 0);
                TRY(check_maps_equal(map, before, w, h, "disabled"));
            }
    }
    return UNIT_PASS;
}

static int test_islands_invalid_arguments(void)
{
    BdIslands s;
    CHECK_INT(bd_islands_init(&s, 0, 5), BACKDROP_EINVAL);
    CHECK_INT(bd_islands_init(&s, 5, -1), BACKDROP_EINVAL);
    CHECK_INT(bd_islands_init(&s, INT_MAX, 2), BACKDROP_EINVAL);
    bd_islands_free(&s);
    BdIslands *t = islands_new(8, 6);
    CHECK(t, "bd_islands_init failed");
    float *map = map_new(8, 6, 0.7f);
    CHECK_INT(bd_islands_clean(t, map, 6, 8, 0.5f, 10, 10), BACKDROP_EINVAL);
    CHECK_INT(bd_islands_clean(t, NULL, 8, 6, 0.5f, 10, 10), BACKDROP_EINVAL);
    CHECK_INT(bd_islands_clean(NULL, map, 8, 6, 0.5f, 10, 10), BACKDROP_EINVAL);
    const float bad[] = { 0.0f, -0.5f, 1.5f, NAN };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_INT(bd_islands_clean(t, map, 8, 6, bad[i], 10, 10), BACKDROP_EINVAL);
    CHECK_INT(bd_islands_clean(t, map, 8, 6, 0.5f, -1, 10), BACKDROP_EINVAL);
    CHECK_INT(bd_islands_clean(t, map, 8, 6, 0.5f, 10, -1), BACKDROP_EINVAL);
    for (int i = 0; i < 48; i++)
        CHECK(map[i] == 0.7f, "pixel %d changed by a refused call", i);
    /* The whole map one region under min_area: all of it goes. */
    CHECK_INT(bd_islands_clean(t, map, 8, 6, 1.0f, 0, 0), 0);
    CHECK_INT(bd_islands_clean(t, map, 8, 6, 0.7f, 49, 0), 1);
    for (int i = 0; i < 48; i++)
        CHECK(map[i] == 0.0f, "pixel %d is %g", i, map[i]);
    return UNIT_PASS;
}

/* bd_islands_clean against reference_clean on random blobby maps. */
static int test_islands_match_reference(void)
{
    const int sizes[][2] = { { 1, 1 },  { 1, 17 },  { 17, 1 },   { 2, 2 },    { 3, 5 },    { 7, 7 },
                             { 31, 17 }, { 64, 48 }, { 100, 3 }, { 256, 256 }, { 455, 256 } };
    const int limits[] = { 0, 1, 2, 3, 5, 20, 100, 1000, 1 << 30 };
    const int nlimits = (int)(sizeof(limits) / sizeof(limits[0]));
    const float thresholds[] = { 0.5f, 0.25f, 0.75f, 1.0f, 1.0f / 64 };
    uint32_t seed = 53;
    long regions = 0, changed = 0, pixels = 0;
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        int w = sizes[k][0], h = sizes[k][1], n = w * h;
        BdIslands *s = islands_new(w, h);
        CHECK(s, "bd_islands_init failed");
        float *map = map_new(w, h, 0.0f), *want = map_new(w, h, 0.0f), *before = map_new(w, h, 0.0f);
        int trials = n > 10000 ? 6 : 40;
        for (int trial = 0; trial < trials; trial++) {
            int blur = (int)(lcg_next(&seed) % 4);
            float contrast = 1.0f + 6.0f * lcg_unit(&seed);
            float t = thresholds[lcg_next(&seed) % 5];
            int area = limits[lcg_next(&seed) % nlimits], hole = limits[lcg_next(&seed) % nlimits];
            blobby_map(map, w, h, blur, contrast, trial % 3 == 0, &seed);
            memcpy(want, map, sizeof(float) * n);
            memcpy(before, map, sizeof(float) * n);
            int expected = reference_clean(want, w, h, t, area, hole);
            int got = bd_islands_clean(s, map, w, h, t, area, hole);
            CHECK(got == expected, "%dx%d trial %d (blur %d, contrast %g, threshold %g, min_area %d, min_hole %d): "
                  "%d regions, expected %d", w, h, trial, blur, contrast, t, area, hole, got, expected);
            char what[160];
            snprintf(what, sizeof(what), "trial %d (threshold %g, min_area %d, min_hole %d)", trial, t, area, hole);
            TRY(check_maps_equal(map, want, w, h, what));
            regions += got;
            for (int i = 0; i < n; i++)
                changed += memcmp(&map[i], &before[i], sizeof(float)) != 0;
            pixels += n;
        }
    }
    printf("%ld regions removed or filled, %ld of %ld pixels changed\n", regions, changed, pixels);
    CHECK(regions > 1000 && changed > 0, "the random maps exercise too little");
    return UNIT_PASS;
}

/* ---- morph ---------------------------------------------------------------------- */

/* An image inside a buffer with 'pad' guard bytes after each row and
 * around the whole; stride negative when 'flipped' (row 0 last in memory). */
typedef struct Image {
    uint8_t *buffer, *img;
    size_t size;
    ptrdiff_t stride;
    int w, h;
} Image;

#define GUARD 16

static Image image_new(int w, int h, int pad, int flipped)
{
    Image im;
    im.w = w;
    im.h = h;
    ptrdiff_t pitch = w + pad;
    im.size = (size_t)pitch * h + 2 * GUARD;
    im.buffer = unit_alloc(im.size);
    memset(im.buffer, 0xA5, im.size);
    im.stride = flipped ? -pitch : pitch;
    im.img = im.buffer + GUARD + (flipped ? (size_t)pitch * (h - 1) : 0);
    return im;
}

static uint8_t *pixel(const Image *im, int x, int y)
{
    return im->img + (ptrdiff_t)y * im->stride + x;
}

/* Random content: full-range noise, or sparse (mostly 0, some bright
 * pixels and short runs), so that large windows still see contrast. */
static void image_fill(const Image *im, int sparse, uint32_t *seed)
{
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++) {
            uint32_t r = lcg_next(seed);
            *pixel(im, x, y) = sparse ? (r % 61 == 0 ? (uint8_t)(r >> 24) : r % 13 == 0 ? 255 : 0)
                                      : (uint8_t)(r >> 24);
        }
}

/* The bytes outside the image (row padding, guards) are as in 'before'. */
static int check_outside(const Image *im, const uint8_t *before)
{
    uint8_t *inside = unit_alloc(im->size);
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++)
            inside[pixel(im, x, y) - im->buffer] = 1;
    for (size_t i = 0; i < im->size; i++)
        CHECK(inside[i] || im->buffer[i] == before[i], "byte %zu outside the %dx%d image (stride %td) changed", i,
              im->w, im->h, im->stride);
    return UNIT_PASS;
}

/* A direct 2-D window: every output the maximum (minimum) over the
 * clipped (2|r| + 1)^2 square of the input, into out (w x h, packed). */
static void naive_square(const Image *im, int radius, uint8_t *out)
{
    long r = radius < 0 ? -(long)radius : radius;
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++) {
            int v = radius < 0 ? 255 : 0;
            for (long yy = y - r > 0 ? y - r : 0; yy <= y + r && yy < im->h; yy++)
                for (long xx = x - r > 0 ? x - r : 0; xx <= x + r && xx < im->w; xx++) {
                    int p = *pixel(im, (int)xx, (int)yy);
                    v = radius < 0 ? (p < v ? p : v) : (p > v ? p : v);
                }
            out[y * im->w + x] = (uint8_t)v;
        }
}

/* The whole buffer of a copy of 'src' (same layout) after fn. */
typedef void (*MorphFn)(uint8_t *, ptrdiff_t, int, int, int, uint8_t *);

static Image run_on_copy(const Image *src, MorphFn fn, int radius)
{
    Image im = *src;
    im.buffer = unit_alloc(src->size);
    memcpy(im.buffer, src->buffer, src->size);
    im.img = im.buffer + (src->img - src->buffer);
    size_t scratch_size = bd_morph_scratch_size(src->w, src->h, radius);
    fn(im.img, im.stride, im.w, im.h, radius, unit_alloc(scratch_size));
    return im;
}

static int test_morph_match_reference(void)
{
    const int sizes[][2] = { { 1, 1 },  { 1, 9 },   { 9, 1 },   { 2, 3 },    { 5, 4 },    { 17, 13 },
                             { 64, 33 }, { 100, 7 }, { 7, 100 }, { 129, 65 } };
    const int radii[] = { 0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 31, -1, -2, -3, -7, -15, -31, 100, INT_MAX, INT_MIN };
    uint32_t seed = 61;
    long compared = 0;
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        int w = sizes[k][0], h = sizes[k][1];
        for (size_t ri = 0; ri < sizeof(radii) / sizeof(radii[0]); ri++) {
            int radius = radii[ri], layout = (int)(ri % 3), sparse = (int)(ri % 2);
            Image src = image_new(w, h, layout == 1 ? 3 : 0, layout == 2);
            image_fill(&src, sparse, &seed);
            Image ref = run_on_copy(&src, bd_morph_square_ref, radius);
            Image fast = run_on_copy(&src, bd_morph_square, radius);
            TRY(check_outside(&fast, src.buffer));
            TRY(check_outside(&ref, src.buffer));
            if (w * h <= 17 * 13) {
                uint8_t *want = unit_alloc((size_t)w * h);
                naive_square(&src, radius, want);
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                        CHECK(*pixel(&ref, x, y) == want[y * w + x], "reference %dx%d radius %d: (%d, %d) is %d, "
                              "the 2-D window gives %d", w, h, radius, x, y, *pixel(&ref, x, y), want[y * w + x]);
            }
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    CHECK(*pixel(&fast, x, y) == *pixel(&ref, x, y), "%dx%d stride %td radius %d: (%d, %d) is %d, "
                          "expected %d", w, h, src.stride, radius, x, y, *pixel(&fast, x, y), *pixel(&ref, x, y));
            compared += (long)w * h;
        }
    }
    /* Full HD, the radii the matte uses. */
    const int hd_radii[] = { 5, -5, 15, -20 };
    for (size_t ri = 0; ri < sizeof(hd_radii) / sizeof(hd_radii[0]); ri++) {
        Image src = image_new(1920, 1080, 64, 0);
        image_fill(&src, 1, &seed);
        Image ref = run_on_copy(&src, bd_morph_square_ref, hd_radii[ri]);
        Image fast = run_on_copy(&src, bd_morph_square, hd_radii[ri]);
        for (int y = 0; y < 1080; y++)
            CHECK(memcmp(pixel(&fast, 0, y), pixel(&ref, 0, y), 1920) == 0, "1920x1080 radius %d: row %d differs",
                  hd_radii[ri], y);
        compared += 1920L * 1080;
    }
    printf("%ld pixels equal to the reference\n", compared);
    return UNIT_PASS;
}

static int test_morph_radius_zero_identity(void)
{
    uint32_t seed = 67;
    Image src = image_new(37, 23, 5, 0);
    image_fill(&src, 0, &seed);
    CHECK_INT(bd_morph_scratch_size(37, 23, 0) >= 1, 1);
    Image fast = run_on_copy(&src, bd_morph_square, 0);
    Image ref = run_on_copy(&src, bd_morph_square_ref, 0);
    CHECK(memcmp(fast.buffer, src.buffer, src.size) == 0, "radius 0 changed the buffer");
    CHECK(memcmp(ref.buffer, src.buffer, src.size) == 0, "radius 0 changed the buffer (reference)");
    return UNIT_PASS;
}

/* One bright pixel dilates into exactly the (2r + 1)^2 square around it,
 * clipped at the border; one dark pixel erodes likewise. */
static int test_morph_point_grows_square(void)
{
    const int w = 40, h = 30;
    const int points[][3] = { { 20, 15, 3 }, { 1, 0, 3 }, { 39, 29, 5 }, { 10, 10, 1 } };
    for (size_t k = 0; k < sizeof(points) / sizeof(points[0]); k++) {
        int px = points[k][0], py = points[k][1], r = points[k][2];
        for (int erode = 0; erode <= 1; erode++) {
            uint8_t ground = erode ? 255 : 0, mark = erode ? 0 : 200;
            Image im = image_new(w, h, 3, 0);
            for (int y = 0; y < h; y++)
                memset(pixel(&im, 0, y), ground, (size_t)w);
            *pixel(&im, px, py) = mark;
            uint8_t *scratch = unit_alloc(bd_morph_scratch_size(w, h, erode ? -r : r));
            bd_morph_square(im.img, im.stride, w, h, erode ? -r : r, scratch);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    int inside = abs(x - px) <= r && abs(y - py) <= r;
                    CHECK(*pixel(&im, x, y) == (inside ? mark : ground), "point (%d, %d) radius %d%s: (%d, %d) is %d",
                          px, py, r, erode ? " eroded" : "", x, y, *pixel(&im, x, y));
                }
        }
    }
    return UNIT_PASS;
}

/* Erosion by 1 removes a line 2 pixels thick and shrinks a 10 x 10 block
 * to 8 x 8; dilating back by 1 (an opening) restores the block exactly and
 * not the line. */
static int test_morph_erosion_removes_line(void)
{
    const int w = 40, h = 30;
    Image im = image_new(w, h, 0, 0);
    for (int y = 0; y < h; y++)
        memset(pixel(&im, 0, y), 0, (size_t)w);
    memset(pixel(&im, 0, 10), 255, (size_t)w);
    memset(pixel(&im, 0, 11), 255, (size_t)w);
    for (int y = 15; y < 25; y++)
        memset(pixel(&im, 20, y), 255, 10);
    uint8_t *scratch = unit_alloc(bd_morph_scratch_size(w, h, 1));
    bd_morph_square(im.img, im.stride, w, h, -1, scratch);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int inside = x >= 21 && x <= 28 && y >= 16 && y <= 23;
            CHECK(*pixel(&im, x, y) == (inside ? 255 : 0), "eroded: (%d, %d) is %d", x, y, *pixel(&im, x, y));
        }
    bd_morph_square(im.img, im.stride, w, h, 1, scratch);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int inside = x >= 20 && x <= 29 && y >= 15 && y <= 24;
            CHECK(*pixel(&im, x, y) == (inside ? 255 : 0), "opened: (%d, %d) is %d", x, y, *pixel(&im, x, y));
        }
    return UNIT_PASS;
}

const UnitTest matte_tests[] = {
    UNIT_TEST(islands_speck_removed),
    UNIT_TEST(islands_people_survive),
    UNIT_TEST(islands_hole_filled_bay_kept),
    UNIT_TEST(islands_connectivity),
    UNIT_TEST(islands_disabled_exact),
    UNIT_TEST(islands_invalid_arguments),
    UNIT_TEST(islands_match_reference),
    UNIT_TEST(morph_match_reference),
    UNIT_TEST(morph_radius_zero_identity),
    UNIT_TEST(morph_point_grows_square),
    UNIT_TEST(morph_erosion_removes_line),
    UNIT_TESTS_END
};
