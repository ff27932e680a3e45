/* Specks and holes of a probability map, labelled as runs; see islands.h. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "islands.h"

/* run_side: what a run is at each point of bd_islands_clean. */
enum {
    SIDE_BACKGROUND = 0,
    SIDE_FOREGROUND = 1,
    SIDE_REMOVED = 2, /* a speck's run: now 0, background */
    SIDE_FILLED = 3,  /* a hole's run: now 1, foreground */
};

void bd_islands_free(BdIslands *s)
{
    free(s->row_start);
    free(s->run_x0);
    free(s->run_x1);
    free(s->run_side);
    free(s->parent);
    free(s->area);
    free(s->on_border);
    free(s->side_row);
    memset(s, 0, sizeof(*s));
}

int bd_islands_init(BdIslands *s, int width, int height)
{
    memset(s, 0, sizeof(*s));
    if (width < 1 || height < 1 || width > INT_MAX / height)
        return BACKDROP_EINVAL;
    s->width = width;
    s->height = height;
    /* At most one run per pixel: a row of w pixels has at most w runs. */
    size_t runs = (size_t)width * (size_t)height;
    s->row_start = malloc(sizeof(int) * ((size_t)height + 1));
    s->run_x0 = malloc(sizeof(int) * runs);
    s->run_x1 = malloc(sizeof(int) * runs);
    s->run_side = malloc(runs);
    s->parent = malloc(sizeof(int) * runs);
    s->area = malloc(sizeof(int) * runs);
    s->on_border = malloc(runs);
    s->side_row = malloc((size_t)width);
    if (!s->row_start || !s->run_x0 || !s->run_x1 || !s->run_side || !s->parent || !s->area || !s->on_border ||
        !s->side_row) {
        bd_islands_free(s);
        return BACKDROP_ENOMEM;
    }
    return 0;
}

/* ---- runs and regions ------------------------------------------------------ */

/* side[x] = 1 where row[x] >= t, else 0. In blocks of a constant count
 * (then the rest one by one), which GCC vectorises at -O2 as well: its
 * cost model there takes only loops that the vector code covers whole. */
#define BLOCK 32

BD_VECTOR_CLONES
static void classify(uint8_t *restrict side, const float *restrict row, float t, int w)
{
    int x = 0;
    for (; x + BLOCK <= w; x += BLOCK)
        for (int k = 0; k < BLOCK; k++)
            side[x + k] = row[x + k] >= t;
    for (; x < w; x++)
        side[x] = row[x] >= t;
}

/* The first x >= from where side[x] differs from 'value', or w. Eight
 * bytes at a time (a map's rows are long stretches of one side); in the
 * word that differs, the first differing byte is found by counting
 * trailing zero bits where that is available (GCC, Clang; little-endian:
 * byte 0 of the word is its lowest), else byte by byte. */
static int run_end(const uint8_t *side, int from, int w, uint8_t value)
{
    uint64_t same = value ? UINT64_C(0x0101010101010101) : 0, word;
    int x = from;
    for (; x + 8 <= w; x += 8) {
        memcpy(&word, side + x, 8);
        if (word != same) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            return x + __builtin_ctzll(word ^ same) / 8;
#else
            break;
#endif
        }
    }
    while (x < w && side[x] == value)
        x++;
    return x;
}

/* The runs of every row, foreground (p >= t) or background. */
static void find_runs(BdIslands *s, const float *map, float t)
{
    int w = s->width, n = 0;
    for (int y = 0; y < s->height; y++) {
        classify(s->side_row, map + (size_t)y * w, t, w);
        s->row_start[y] = n;
        for (int x = 0; x < w; n++) {
            uint8_t foreground = s->side_row[x];
            int end = run_end(s->side_row, x + 1, w, foreground);
            s->run_x0[n] = x;
            s->run_x1[n] = end;
            s->run_side[n] = foreground ? SIDE_FOREGROUND : SIDE_BACKGROUND;
            x = end;
        }
    }
    s->row_start[s->height] = n;
}

/* The root of i, halving the path on the way (every node then points to
 * its grandparent, which keeps parent[i] <= i). */
static int find_root(int *parent, int i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

/* One region from the regions of a and b: the larger root joins the
 * smaller, so that a root stays its region's first run. */
static void unite(int *parent, int a, int b)
{
    int ra = find_root(parent, a), rb = find_root(parent, b);
    if (ra < rb)
        parent[rb] = ra;
    else if (rb < ra)
        parent[ra] = rb;
}

static int is_member(uint8_t side, int foreground)
{
    return foreground ? side == SIDE_FOREGROUND : side != SIDE_FOREGROUND;
}

/* The regions of one side: parent[i] becomes the root of run i for every
 * run (a run of the other side is a root of its own, and ignored later);
 * for the roots of this side's regions (only: the other roots' entries
 * are left as they were), area[root] counts the region's pixels and
 * on_border[root] says whether it touches the border. Foreground regions are 8-connected: runs in
 * neighbouring rows join when they overlap or touch at a corner; background
 * regions 4-connected: they must overlap. Background runs next to each
 * other in a row (a removed speck's run between two) join as well; with
 * two rows or more the vertical joins would connect them anyway (every
 * pixel 8-adjacent to a speck is background, so a 2 x 2 block of
 * background links them), but the rule is simpler to trust than that. */
static void label(BdIslands *s, int foreground)
{
    int w = s->width, h = s->height, runs = s->row_start[h];
    int reach = foreground ? 1 : 0; /* how far past its ends a run touches */
    int *parent = s->parent;
    const int *x0 = s->run_x0, *x1 = s->run_x1;
    const uint8_t *side = s->run_side;
    for (int i = 0; i < runs; i++)
        parent[i] = i;
    for (int y = 0; y < h; y++) {
        int first = s->row_start[y], end = s->row_start[y + 1];
        if (!foreground)
            for (int a = first + 1; a < end; a++)
                if (is_member(side[a], 0) && is_member(side[a - 1], 0))
                    unite(parent, a, a - 1);
        if (y == 0)
            continue;
        /* The runs above that touch run a start at b, which only moves
         * right as a does: a later run starts further right. */
        int b = s->row_start[y - 1];
        for (int a = first; a < end; a++) {
            if (!is_member(side[a], foreground))
                continue;
            while (b < first && x1[b] + reach <= x0[a])
                b++;
            for (int k = b; k < first && x0[k] < x1[a] + reach; k++)
                if (is_member(side[k], foreground))
                    unite(parent, a, k);
        }
    }
    /* Flatten, in increasing order: parent[parent[i]] is then already a
     * root. A root is its region's first run, so its totals start there. */
    for (int y = 0; y < h; y++) {
        for (int i = s->row_start[y]; i < s->row_start[y + 1]; i++) {
            int root = parent[i] = parent[parent[i]];
            if (!is_member(side[i], foreground))
                continue;
            if (root == i) {
                s->area[i] = 0;
                s->on_border[i] = 0;
            }
            s->area[root] += x1[i] - x0[i];
            if (y == 0 || y == h - 1 || x0[i] == 0 || x1[i] == w)
                s->on_border[root] = 1;
        }
    }
}

/* ---- writing ----------------------------------------------------------------- */

/* Whether a pixel of the 3 x 3 neighbourhood of (x, y), inside the map, is
 * on the given side of t. */
static int neighbourhood_has(const float *map, int w, int h, int x, int y, float t, int foreground)
{
    for (int yy = y > 0 ? y - 1 : 0; yy <= y + 1 && yy < h; yy++) {
        const float *row = map + (size_t)yy * w;
        for (int xx = x > 0 ? x - 1 : 0; xx <= x + 1 && xx < w; xx++)
            if ((row[xx] >= t) == foreground)
                return 1;
    }
    return 0;
}

/* The fringe of the runs marked 'changed' (REMOVED or FILLED): every pixel
 * of the other side 8-adjacent to one of them takes 'value' when no pixel
 * of its own side is left among its neighbours (islands.h). The written
 * value keeps the pixel on its side, so the outcome does not depend on the
 * order of the pixels. */
static void clear_fringe(const BdIslands *s, float *map, float t, uint8_t changed, float value)
{
    int w = s->width, h = s->height;
    int own_side = changed == SIDE_FILLED; /* the fringe pixel's side */
    for (int y = 0; y < h; y++) {
        for (int i = s->row_start[y]; i < s->row_start[y + 1]; i++) {
            if (s->run_side[i] != changed)
                continue;
            int x0 = s->run_x0[i] > 0 ? s->run_x0[i] - 1 : 0;
            int x1 = s->run_x1[i] < w ? s->run_x1[i] : w - 1; /* inclusive */
            for (int yy = y > 0 ? y - 1 : 0; yy <= y + 1 && yy < h; yy++) {
                float *row = map + (size_t)yy * w;
                for (int x = x0; x <= x1; x++) {
                    if (yy == y && x >= s->run_x0[i] && x < s->run_x1[i])
                        continue;
                    if (row[x] != value && (row[x] >= t) == own_side &&
                        !neighbourhood_has(map, w, h, x, yy, t, !own_side))
                        row[x] = value;
                }
            }
        }
    }
}

/* Every run of 'side' whose region is small enough (and, for holes, off
 * the border) takes 'value' and becomes 'changed'. Returns the regions. */
static int rewrite_small(BdIslands *s, float *map, int foreground, int limit, uint8_t changed, float value)
{
    int w = s->width, regions = 0;
    for (int y = 0; y < s->height; y++) {
        float *row = map + (size_t)y * w;
        for (int i = s->row_start[y]; i < s->row_start[y + 1]; i++) {
            int root = s->parent[i];
            if (!is_member(s->run_side[i], foreground) || s->area[root] >= limit ||
                (!foreground && s->on_border[root]))
                continue;
            for (int x = s->run_x0[i]; x < s->run_x1[i]; x++)
                row[x] = value;
            s->run_side[i] = changed;
            regions += root == i;
        }
    }
    return regions;
}

int bd_islands_clean(BdIslands *s, float *map, int width, int height, float threshold, int min_area, int min_hole)
{
    if (!s || !map || width != s->width || height != s->height || !(threshold > 0.0f && threshold <= 1.0f) ||
        min_area < 0 || min_hole < 0)
        return BACKDROP_EINVAL;
    if (min_area <= 1 && min_hole <= 1)
        return 0;
    find_runs(s, map, threshold);
    int regions = 0;
    if (min_area > 1) {
        label(s, 1);
        int removed = rewrite_small(s, map, 1, min_area, SIDE_REMOVED, 0.0f);
        if (removed > 0)
            clear_fringe(s, map, threshold, SIDE_REMOVED, 0.0f);
        regions += removed;
    }
    if (min_hole > 1) {
        label(s, 0);
        int filled = rewrite_small(s, map, 0, min_hole, SIDE_FILLED, 1.0f);
        if (filled > 0)
            clear_fringe(s, map, threshold, SIDE_FILLED, 1.0f);
        regions += filled;
    }
    return regions;
}
