/*
 * Speed of the matte stages, per frame, on one thread: what refine,
 * stabilise and cleanup add to a frame after the network.
 *
 *   build/bench/bench_matte [--frames N] [--warmup N] [--sizes 720p,1080p]
 *                           [--format yuv|rgb]
 *
 * The stages run as the pipeline runs them (init once per shape, then
 * run per frame, their components called directly with no thread pool) on
 * a synthetic clip: a textured background with a disk ("the person") that
 * moves for a while and then holds still, read-noise-like jitter on every
 * frame, and the soft map a network would give for it: the disk's
 * probability at map resolution (455 x 256, the general model's window
 * strip for 16:9), blurred over two map pixels and wavering by a few
 * hundredths per frame, with the frame at map resolution that the neural
 * method hands on beside it (its network input). Each configuration prints min and median ms per
 * frame of the whole chain and of each stage; the first row, refine
 * bilinear alone, is the baseline (what backdrop did before the matte
 * stages), and "added" is the median above it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipeline.h"
#include "nn/resample.h"
#include "bench_clock.h"

extern const BdComponent bd_refine_bilinear, bd_refine_guided, bd_refine_bilateral, bd_stabilise_adaptive,
    bd_stabilise_ema;
extern const BdComponent bd_cleanup_regions;

#define MAP_W 455
#define MAP_H 256
#define MAX_STAGES 4

static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

typedef struct Clip {
    Picture frame;
    float map[MAP_W * MAP_H];
    float picture[MAP_W * MAP_H * 3]; /* the frame at map resolution, as the network saw it */
    float affine[3][4];
    int width, height;
} Clip;

/* Frame i of the clip: background texture, the disk, jitter; and its map. */
static void make_frame(Clip *c, int i)
{
    double still = i < 60 ? i : 60; /* moves for 60 frames, then holds */
    double cx = 0.3 + 0.4 * still / 60.0, cy = 0.55, radius = 0.3;
    const BackdropFrame *f = &c->frame.frame;
    int packed = f->format != BACKDROP_PIXFMT_YUV420P;
    for (int y = 0; y < c->height; y++) {
        uint8_t *row = f->data[0] + (ptrdiff_t)y * f->stride[0];
        for (int x = 0; x < c->width; x++) {
            double u = (double)x / c->height, v = (double)y / c->height;
            int inside = (u - cx * c->width / c->height) * (u - cx * c->width / c->height) + (v - cy) * (v - cy) <
                         radius * radius;
            int value = inside ? 180 : 60 + ((x / 16 + y / 16) % 2) * 50;
            value += (int)(rng() % 5) - 2;
            if (packed) {
                row[3 * x] = (uint8_t)value;
                row[3 * x + 1] = (uint8_t)(inside ? 120 : value);
                row[3 * x + 2] = (uint8_t)(255 - value);
            } else {
                row[x] = (uint8_t)value;
            }
        }
    }
    if (!packed)
        for (int p = 1; p < 3; p++)
            for (int y = 0; y < (c->height + 1) / 2; y++)
                memset(f->data[p] + (ptrdiff_t)y * f->stride[p], p == 1 ? 110 : 150, (size_t)(c->width + 1) / 2);
    for (int y = 0; y < MAP_H; y++)
        for (int x = 0; x < MAP_W; x++) {
            double u = (x + 0.5) / MAP_H, v = (y + 0.5) / MAP_H;
            double d = sqrt((u - cx * MAP_W / MAP_H) * (u - cx * MAP_W / MAP_H) + (v - cy) * (v - cy)) - radius;
            double p = 1.0 / (1.0 + exp(d * MAP_H / 2.0)) + ((int)(rng() % 9) - 4) * 0.005;
            c->map[y * MAP_W + x] = (float)(p < 0 ? 0 : p > 1 ? 1 : p);
        }
}

typedef struct Config {
    const char *name;
    const BdComponent *stages[MAX_STAGES]; /* in pipeline order */
} Config;

static int run_config(const Config *cfg, Clip *clips, int clip_count, int frames, int warmup, double *base,
                      const char *size)
{
    const BackdropFrame *f = &clips[0].frame.frame;
    BdShape shape = { f->format, f->width, f->height, BACKDROP_RANGE_LIMITED, BACKDROP_MATRIX_BT601 };
    BdMatteInfo info = { MAP_W, MAP_H, { 0, 0, MAP_W, MAP_H, 0, 0, f->width, f->height } };
    BdEnv env = { 0 };
    void *priv[MAX_STAGES] = { 0 };
    int count = 0, err = 0;
    for (; count < MAX_STAGES && cfg->stages[count]; count++) {
        const BdComponent *c = cfg->stages[count];
        priv[count] = calloc(1, c->priv_size);
        if (!priv[count])
            return -1;
        if (c->options)
            bd_options_defaults(c->options, c->option_count, (char *)priv[count] + c->options_offset);
        if ((err = c->init(priv[count], &env, &shape, &info)) < 0)
            break;
    }
    ptrdiff_t stride = (f->width + 63) & ~63;
    uint8_t *alpha = aligned_alloc(64, (size_t)stride * f->height);
    double *samples = malloc(sizeof(double) * (size_t)frames * (MAX_STAGES + 1));
    if (err >= 0 && alpha && samples) {
        for (int i = 0; i < warmup + frames; i++) {
            Clip *c = &clips[i % clip_count];
            BdFrameJob job = { .in = &c->frame.frame, .fg = &c->frame.frame };
            job.matte = (BdMatte){ .soft = c->map, .picture = c->picture, .alpha = alpha, .alpha_stride = stride };
            memcpy(job.matte.picture_affine, c->affine, sizeof(c->affine));
            double t0 = now_ms(), total = 0;
            for (int k = 0; k < count; k++) {
                double t = now_ms();
                const BdComponent *comp = cfg->stages[k];
                err = comp->run(priv[k], &env, &job);
                /* The cleanup stage's finish runs after refine. */
                if (err >= 0 && bd_stage_of(comp) == BD_STAGE_REFINE)
                    for (int j = 0; j < count; j++)
                        if (cfg->stages[j]->finish)
                            err = cfg->stages[j]->finish(priv[j], &env, &job);
                if (err < 0)
                    break;
                if (i >= warmup)
                    samples[(size_t)k * frames + (i - warmup)] = now_ms() - t;
            }
            total = now_ms() - t0;
            if (err < 0)
                break;
            if (i >= warmup)
                samples[(size_t)MAX_STAGES * frames + (i - warmup)] = total;
        }
    }
    if (err >= 0 && alpha && samples) {
        double *all = samples + (size_t)MAX_STAGES * frames;
        qsort(all, (size_t)frames, sizeof(double), cmp_double);
        double median = all[frames / 2];
        if (*base < 0)
            *base = median;
        printf("%-6s %-40s %8.3f %8.3f %8.3f  ", size, cfg->name, all[0], median, median - *base);
        for (int k = 0; k < count; k++) {
            double *s = samples + (size_t)k * frames;
            qsort(s, (size_t)frames, sizeof(double), cmp_double);
            printf(" %s %.3f", cfg->stages[k]->pub.name, s[frames / 2]);
        }
        printf("\n");
    }
    for (int k = 0; k < MAX_STAGES; k++) {
        if (priv[k] && cfg->stages[k]->uninit)
            cfg->stages[k]->uninit(priv[k]);
        free(priv[k]);
    }
    free(alpha);
    free(samples);
    return err < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    int frames = 100, warmup = 10;
    const char *sizes = "720p,1080p", *format = "yuv";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--frames") && i + 1 < argc)
            frames = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc)
            warmup = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--sizes") && i + 1 < argc)
            sizes = argv[++i];
        else if (!strcmp(argv[i], "--format") && i + 1 < argc)
            format = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--frames N] [--warmup N] [--sizes 720p,1080p] [--format yuv|rgb]\n",
                    argv[0]);
            return 2;
        }
    }
    if (frames < 1 || warmup < 0) {
        fprintf(stderr, "bench_matte: bad arguments\n");
        return 2;
    }
    static const Config configs[] = {
        { "bilinear (baseline)", { &bd_refine_bilinear } },
        { "guided color", { &bd_refine_guided } },
        { "bilateral", { &bd_refine_bilateral } },
        { "adaptive + guided color", { &bd_stabilise_adaptive, &bd_refine_guided } },
        { "adaptive + regions + guided (default)",
          { &bd_stabilise_adaptive, &bd_cleanup_regions, &bd_refine_guided } },
        { "ema + bilinear", { &bd_stabilise_ema, &bd_refine_bilinear } },
    };
    static const struct {
        const char *name;
        int w, h;
    } shapes[] = { { "720p", 1280, 720 }, { "1080p", 1920, 1080 } };
    BackdropPixelFormat fmt = !strcmp(format, "rgb") ? BACKDROP_PIXFMT_RGB24 : BACKDROP_PIXFMT_YUV420P;
    printf("ms per frame, one thread, %d frames after %d warm-up, %s frames, map %dx%d\n", frames, warmup, format,
           MAP_W, MAP_H);
    printf("%-6s %-40s %8s %8s %8s   per stage (median)\n", "size", "stages", "min", "median", "added");
    enum { CLIPS = 90 };
    for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
        if (!strstr(sizes, shapes[s].name))
            continue;
        Clip *clips = calloc(CLIPS, sizeof(Clip));
        if (!clips)
            return 1;
        for (int i = 0; i < CLIPS; i++) {
            clips[i].width = shapes[s].w;
            clips[i].height = shapes[s].h;
            if (bd_picture_alloc(&clips[i].frame, fmt, shapes[s].w, shapes[s].h) < 0)
                return 1;
            make_frame(&clips[i], i);
            /* The picture the neural method hands on with its map. */
            NnFrameToTensor to_tensor;
            NnRect whole = { 0, 0, shapes[s].w, shapes[s].h };
            if (nn_frame_to_tensor_init(&to_tensor, fmt, BACKDROP_RANGE_LIMITED, BACKDROP_MATRIX_BT601, shapes[s].w,
                                        shapes[s].h, whole, MAP_W, 0, 0, MAP_W, MAP_H) < 0)
                return 1;
            nn_frame_to_tensor_run(&to_tensor, &clips[i].frame.frame, clips[i].picture);
            nn_frame_to_tensor_affine(&to_tensor, clips[i].affine);
            nn_frame_to_tensor_free(&to_tensor);
        }
        double base = -1;
        for (size_t c = 0; c < sizeof(configs) / sizeof(configs[0]); c++)
            if (run_config(&configs[c], clips, CLIPS, frames, warmup, &base, shapes[s].name) < 0) {
                fprintf(stderr, "bench_matte: %s failed\n", configs[c].name);
                return 1;
            }
        for (int i = 0; i < CLIPS; i++)
            bd_picture_free(&clips[i].frame);
        free(clips);
    }
    return 0;
}
