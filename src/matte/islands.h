/*
 * Specks and holes: clean-up of a low-resolution probability map (the
 * neural methods' output, e.g. 455 x 256 floats in 0..1, row pitch =
 * width) before it is upsampled into the alpha.
 *
 * Definitions, for a threshold t with 0 < t <= 1:
 *
 *  - Foreground is p >= t, background everything else (NaN included).
 *    Foreground regions are 8-connected, background regions 4-connected:
 *    the usual pairing, under which a foreground curve closes a background
 *    region exactly when it looks closed (a diagonal step of foreground
 *    both joins the foreground and separates the background on each side).
 *  - A speck is a foreground region of fewer than min_area pixels: its
 *    pixels become 0. Any number of large regions survive (several people).
 *  - Then, on the map without its specks (a speck inside a hole becomes
 *    part of the hole), a hole is a background region of fewer than
 *    min_hole pixels that touches no pixel of the map's border (a bay open
 *    to the border is background, not a hole): its pixels become 1.
 *  - The fringe. Around a removed speck the pixels just below t are its own
 *    soft slope: left alone they would keep a faint ring that the
 *    bilinear upsampling (which mixes each map pixel with its 8 neighbours)
 *    and the threshold ramp show as a ghost. So after the specks are
 *    removed, a background pixel 8-adjacent to a removed speck also becomes
 *    0, unless one of its 8 neighbours is still foreground: then it is the
 *    slope of a region that stays, and is kept. Dually, after the holes
 *    are filled, a foreground pixel 8-adjacent to a filled hole becomes 1
 *    unless one of its 8 neighbours is still background.
 *    Why one ring: on the selfie model's outputs (the goldens in
 *    ../shared/golden/selfie) a region's edge falls from >= 0.5 to a median
 *    of 0.14..0.26 in one pixel and to 0 in two: the slope is one pixel
 *    wide at map resolution. A wider clearing, or a region grown on a lower
 *    threshold, would also eat into the real soft edge of a person next to
 *    the speck. What one ring cannot do: those goldens' specks often sit on
 *    a wide plateau of 0.42..0.49 (a faint field, not a slope); there the
 *    speck and its ring become a 0 dot in the faint field, which is still
 *    closer to the field than the speck was (and the same holds for a
 *    shallow hole filled in a field just above t). Written values are
 *    exactly 0 and 1 so that the result is the same whatever the
 *    threshold's ramp downstream.
 *
 * min_area <= 1 disables specks, min_hole <= 1 holes (no region has fewer
 * than 1 pixel); with both disabled the map is not touched at all.
 *
 * The map is labelled as runs (maximal horizontal stretches of one side in
 * a row), joined with union-find across rows: the work is one pass over the
 * pixels to find the runs, then work per run, not per pixel, plus the
 * pixels written. The state holds buffers for the worst case (every pixel
 * a run of its own), allocated once per shape; cleaning allocates nothing.
 */
#ifndef BACKDROP_MATTE_ISLANDS_H
#define BACKDROP_MATTE_ISLANDS_H

#include "../internal.h"

typedef struct BdIslands {
    int width, height;
    /* The runs of row y are [row_start[y], row_start[y + 1]), left to
     * right; together they cover the row. */
    int *row_start;
    int *run_x0, *run_x1; /* first pixel, one past the last */
    uint8_t *run_side;    /* what the run is now: see islands.c */
    /* Union-find over runs. A root is the smallest index of its region
     * (the region's first run in raster order), so parent[i] <= i. */
    int *parent;
    int *area;            /* per root: pixels of the region */
    uint8_t *on_border;   /* per root: the region touches the map's border */
    uint8_t *side_row;    /* one row: 1 where p >= t */
} BdIslands;

/* Buffers for maps of width x height. 0, BACKDROP_EINVAL (a dimension < 1,
 * or more than INT_MAX pixels) or BACKDROP_ENOMEM. */
int bd_islands_init(BdIslands *s, int width, int height);
/* Safe on a zeroed or freed state. */
void bd_islands_free(BdIslands *s);

/* Removes the specks and fills the holes of map (width x height, the shape
 * given to init, row pitch = width) in place, as defined above. Returns the
 * number of regions removed and filled, or BACKDROP_EINVAL (another shape,
 * NULL map, threshold outside (0, 1], min_area or min_hole negative).
 * Allocates nothing. */
int bd_islands_clean(BdIslands *s, float *map, int width, int height, float threshold, int min_area, int min_hole);

#endif
