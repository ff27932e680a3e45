/*
 * cleanup "regions" (the default): specks and holes removed from the soft
 * map, and the alpha grown or shrunk by whole pixels.
 *
 *   specks  person regions (p >= 0.5, 8-connected) smaller than this share
 *           of the frame's area are dropped: the network's false alarms on
 *           an empty scene. Every larger region stays, however many: a
 *           call with three people keeps all three.
 *   holes   background regions enclosed by a person (4-connected, not
 *           touching the map's edge) smaller than this share are filled:
 *           the network's misses inside a body. The gap between an arm and
 *           the body is background that is usually larger, and stays.
 *   expand  after refinement, the alpha dilated (or for a negative value
 *           eroded) by this many frame pixels with a square: to keep a
 *           little of the old background around hair rather than cut it,
 *           or to pull the edge in where the old background shows.
 *
 * Specks and holes work on the map at the map's resolution (src/matte/
 * islands.h: runs and union-find, a few hundredths of a millisecond);
 * areas are converted from shares of the frame to map pixels once per
 * shape. A method without a soft map (framediff) gets the expansion only.
 * Expansion is the finish hook, on the full-size alpha (src/matte/morph.h,
 * separable, O(log r) per pixel); 0 costs nothing.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../matte/islands.h"
#include "../matte/morph.h"
#include "../pipeline.h"

/* The probability at which the map is split into person and background:
 * the refine stages' default threshold. */
#define REGION_LEVEL 0.5f
#define MAX_EXPAND 64

typedef struct RegionsOptions {
    float specks; /* percent of the frame's area */
    float holes;
    int expand;   /* frame pixels; negative: shrink */
} RegionsOptions;

typedef struct Regions {
    RegionsOptions opts;
    int width, height;
    int map_w, map_h;
    double map_pixels_per_percent; /* map pixels in 1 % of the frame */
    BdIslands islands;
    float *map;                    /* the cleaned map handed on */
    uint8_t *scratch;              /* for bd_morph_square, any radius up to MAX_EXPAND */
} Regions;

#define FIELD(f) offsetof(RegionsOptions, f)
static const BdOption regions_options[] = {
    { { "specks", "person regions smaller than this percentage of the frame are dropped (0: keep all)",
        BACKDROP_OPTION_FLOAT, "0.05", 0, 100, NULL, BACKDROP_OPTION_RUNTIME }, FIELD(specks), 0 },
    { { "holes", "enclosed background smaller than this percentage of the frame is filled (0: none)",
        BACKDROP_OPTION_FLOAT, "0.02", 0, 100, NULL, BACKDROP_OPTION_RUNTIME }, FIELD(holes), 0 },
    { { "expand", "grow the matte by this many pixels (negative: shrink it)", BACKDROP_OPTION_INT, "0",
        -MAX_EXPAND, MAX_EXPAND, NULL, BACKDROP_OPTION_RUNTIME }, FIELD(expand), 0 },
};

static void regions_uninit(void *opaque)
{
    Regions *r = opaque;
    bd_islands_free(&r->islands);
    free(r->map);
    free(r->scratch);
    RegionsOptions keep = r->opts;
    memset(r, 0, sizeof(*r));
    r->opts = keep;
}

static int regions_init(void *opaque, const BdEnv *env, const BdShape *shape, BdMatteInfo *info)
{
    Regions *r = opaque;
    regions_uninit(r);
    r->width = shape->width;
    r->height = shape->height;
    size_t scratch = bd_morph_scratch_size(shape->width, shape->height, MAX_EXPAND);
    size_t scratch_erode = bd_morph_scratch_size(shape->width, shape->height, -MAX_EXPAND);
    if (!(r->scratch = malloc(scratch > scratch_erode ? scratch : scratch_erode)))
        return BACKDROP_ENOMEM;
    if (info->soft_w <= 0)
        return 0;
    r->map_w = info->soft_w;
    r->map_h = info->soft_h;
    /* Map pixels cover the frame's placement rectangle: one map pixel is
     * dst_w * dst_h / (src_w * src_h) frame pixels. */
    const BdPlacement *p = &info->place;
    double frame_per_map = (double)p->dst_w * p->dst_h / ((double)p->src_w * p->src_h);
    r->map_pixels_per_percent = (double)shape->width * shape->height / 100.0 / frame_per_map;
    r->map = malloc(sizeof(float) * (size_t)r->map_w * r->map_h);
    if (!r->map)
        return BACKDROP_ENOMEM;
    return bd_islands_init(&r->islands, r->map_w, r->map_h);
}

static int regions_run(void *opaque, const BdEnv *env, BdFrameJob *job)
{
    Regions *r = opaque;
    if (!r->map || !job->matte.soft)
        return 0;
    int min_area = (int)lround(r->opts.specks * r->map_pixels_per_percent);
    int min_hole = (int)lround(r->opts.holes * r->map_pixels_per_percent);
    if (min_area <= 1 && min_hole <= 1)
        return 0;
    memcpy(r->map, job->matte.soft, sizeof(float) * (size_t)r->map_w * r->map_h);
    int err = bd_islands_clean(&r->islands, r->map, r->map_w, r->map_h, REGION_LEVEL, min_area, min_hole);
    if (err < 0)
        return err;
    job->matte.soft = r->map;
    return 0;
}

static int regions_finish(void *opaque, const BdEnv *env, BdFrameJob *job)
{
    Regions *r = opaque;
    if (r->opts.expand && job->matte.alpha_valid)
        bd_morph_square(job->matte.alpha, job->matte.alpha_stride, r->width, r->height, r->opts.expand,
                        r->scratch);
    return 0;
}

const BdComponent bd_cleanup_regions = {
    .pub = { "regions", BD_KIND(BD_STAGE_CLEANUP), "drops specks, fills holes, grows or shrinks the matte" },
    .priv_size = sizeof(Regions),
    .options = regions_options,
    .option_count = sizeof(regions_options) / sizeof(regions_options[0]),
    .options_offset = offsetof(Regions, opts),
    .init = regions_init,
    .run = regions_run,
    .finish = regions_finish,
    .uninit = regions_uninit,
};
