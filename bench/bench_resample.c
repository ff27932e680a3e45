/*
 * Speed of the resampling steps, per call, on the shapes the CLI meets:
 *
 *  - model input  (nn_frame_to_tensor_run): a YUV420P (or RGB24) frame
 *    into the selfie tensors: the general model's window strip (the whole
 *    frame at map resolution, 455 x 256 for 16:9) and the landscape
 *    model's 256 x 144;
 *  - matte        (nn_tensor_to_alpha_run): those maps back to the frame,
 *    threshold 0.5, softness 0.2 (the defaults);
 *  - background   (bd_resize_area): starry_night's 752 x 600 stretched to
 *    the frame (once per shape in the library, timed for completeness).
 *
 *   build/bench/bench_resample [--runs N] [--warmup N] [--sizes 720p,1080p]
 *                              [--steps input,matte,background]
 *
 * Prints min and median ms per call over N timed calls after the warm-up,
 * one row per step. The tables are built before timing (as the library
 * builds them once per frame shape), except for the background, whose
 * one-shot call builds its own. Content is fixed pseudo-random; speed does
 * not depend on it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "nn/resample.h"
#include "bench_clock.h"

typedef struct Timing {
    int runs, warmup;
    double *samples;
    const char *steps; /* which steps to time: "input", "matte", "background" */
} Timing;

typedef void (*StepFn)(void *arg);

static void report(const char *size, const char *step, Timing *t, StepFn fn, void *arg)
{
    char kind[16];
    snprintf(kind, sizeof(kind), "%.*s", (int)strcspn(step, " "), step);
    if (!strstr(t->steps, kind))
        return;
    for (int i = 0; i < t->warmup; i++)
        fn(arg);
    for (int i = 0; i < t->runs; i++) {
        double t0 = now_ms();
        fn(arg);
        t->samples[i] = now_ms() - t0;
    }
    qsort(t->samples, (size_t)t->runs, sizeof(double), cmp_double);
    int n = t->runs;
    double median = n % 2 ? t->samples[n / 2] : 0.5 * (t->samples[n / 2 - 1] + t->samples[n / 2]);
    printf("%-6s %-34s %9.4f %9.4f\n", size, step, t->samples[0], median);
}

static void fill(uint8_t *p, size_t n, uint32_t *s)
{
    for (size_t i = 0; i < n; i++) {
        *s = *s * 1664525u + 1013904223u;
        p[i] = (uint8_t)(*s >> 24);
    }
}

/* A frame with its own planes (rows padded to 64 bytes); NULL data when out
 * of memory. */
static BackdropFrame make_frame(BackdropPixelFormat fmt, int w, int h, uint32_t *seed)
{
    BackdropFrame f;
    memset(&f, 0, sizeof(f));
    f.format = fmt;
    f.width = w;
    f.height = h;
    for (int p = 0; p < bd_plane_count(fmt); p++) {
        f.stride[p] = ((ptrdiff_t)bd_plane_width(fmt, w, p) * bd_pixel_size(fmt) + 63) & ~(ptrdiff_t)63;
        size_t bytes = (size_t)f.stride[p] * (size_t)bd_plane_height(fmt, h, p);
        f.data[p] = malloc(bytes);
        if (!f.data[p])
            return f;
        fill(f.data[p], bytes, seed);
    }
    return f;
}

static void free_frame(BackdropFrame *f)
{
    for (int p = 0; p < 3; p++)
        free(f->data[p]);
}

typedef struct TensorJob {
    NnFrameToTensor to_tensor;
    const BackdropFrame *frame;
    float *tensor;
} TensorJob;

static void tensor_step(void *arg)
{
    TensorJob *j = arg;
    nn_frame_to_tensor_run(&j->to_tensor, j->frame, j->tensor);
}

typedef struct AlphaJob {
    NnTensorToAlpha to_alpha;
    const float *map;
    uint8_t *alpha;
    ptrdiff_t stride;
} AlphaJob;

static void alpha_step(void *arg)
{
    AlphaJob *j = arg;
    nn_tensor_to_alpha_run(&j->to_alpha, j->map, 0.5f, 0.2f, j->alpha, j->stride);
}

typedef struct BackgroundJob {
    const BackdropFrame *dst, *src;
} BackgroundJob;

static void background_step(void *arg)
{
    BackgroundJob *j = arg;
    bd_resize_area(j->dst, 0, 0, j->dst->width, j->dst->height, j->src, 0, 0, j->src->width, j->src->height);
}

/* The selfie method's shapes for a 16:9 frame (src/segment/selfie.c):
 * general windows resample the frame into a strip of map_w x 256 covering
 * 'covered' frame columns; landscape is one 256 x 144 tensor. */
typedef struct Shape {
    const char *name;
    int map_w, map_h;
    double covered_w; /* frame columns the map covers */
} Shape;

static int bench_size(const char *label, int w, int h, Timing *t)
{
    uint32_t seed = 1;
    int status = 0;
    /* General windows: as many map pixels along x as fit (selfie.c). */
    int strip = (int)((double)w * 256 / h);
    const Shape shapes[] = {
        { "general windows", strip, 256, strip * ((double)h / 256) },
        { "landscape", 256, 144, w },
    };
    const BackdropPixelFormat formats[] = { BACKDROP_PIXFMT_YUV420P, BACKDROP_PIXFMT_RGB24 };
    for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
        const Shape *sh = &shapes[s];
        size_t map_pixels = (size_t)sh->map_w * sh->map_h;
        for (size_t k = 0; k < sizeof(formats) / sizeof(formats[0]); k++) {
            BackdropFrame f = make_frame(formats[k], w, h, &seed);
            TensorJob job = { .frame = &f };
            job.tensor = malloc(sizeof(float) * 3 * map_pixels);
            NnRect src = { 0, 0, sh->covered_w, h };
            if (!f.data[bd_plane_count(f.format) - 1] || !job.tensor ||
                nn_frame_to_tensor_init(&job.to_tensor, f.format, BACKDROP_RANGE_LIMITED, BACKDROP_MATRIX_BT709, w,
                                        h, src, sh->map_w, 0, 0, sh->map_w, sh->map_h) < 0) {
                status = 1;
            } else {
                char step[64];
                snprintf(step, sizeof(step), "input %s %s", formats[k] == BACKDROP_PIXFMT_RGB24 ? "rgb" : "yuv",
                         sh->name);
                report(label, step, t, tensor_step, &job);
            }
            nn_frame_to_tensor_free(&job.to_tensor);
            free(job.tensor);
            free_frame(&f);
        }
        AlphaJob job;
        memset(&job, 0, sizeof(job));
        float *map = malloc(sizeof(float) * map_pixels);
        job.stride = (w + 63) & ~63;
        job.alpha = malloc((size_t)job.stride * h);
        if (!map || !job.alpha ||
            nn_tensor_to_alpha_init(&job.to_alpha, sh->map_w, sh->map_h, 0, 0, sh->map_w, sh->map_h, w, h) < 0) {
            status = 1;
        } else {
            for (size_t i = 0; i < map_pixels; i++) {
                seed = seed * 1664525u + 1013904223u;
                map[i] = (float)(seed >> 8) / 16777216.0f;
            }
            job.map = map;
            char step[64];
            snprintf(step, sizeof(step), "matte %s", sh->name);
            report(label, step, t, alpha_step, &job);
        }
        nn_tensor_to_alpha_free(&job.to_alpha);
        free(map);
        free(job.alpha);
    }
    BackdropFrame pic = make_frame(BACKDROP_PIXFMT_RGB24, 752, 600, &seed);
    BackdropFrame out = make_frame(BACKDROP_PIXFMT_RGB24, w, h, &seed);
    if (pic.data[0] && out.data[0]) {
        BackgroundJob job = { &out, &pic };
        report(label, "background 752x600 stretch", t, background_step, &job);
    } else {
        status = 1;
    }
    free_frame(&pic);
    free_frame(&out);
    return status;
}

int main(int argc, char **argv)
{
    Timing t = { 200, 20, NULL, "input,matte,background" };
    const char *sizes = "720p,1080p";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
            t.runs = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--warmup") && i + 1 < argc) {
            t.warmup = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--sizes") && i + 1 < argc) {
            sizes = argv[++i];
        } else if (!strcmp(argv[i], "--steps") && i + 1 < argc) {
            t.steps = argv[++i];
        } else {
            fprintf(stderr, "usage: %s [--runs N] [--warmup N] [--sizes 720p,1080p] [--steps input,matte,background]\n",
                    argv[0]);
            return 2;
        }
    }
    if (t.runs < 1 || t.warmup < 0 || !(t.samples = malloc(sizeof(double) * (size_t)t.runs))) {
        fprintf(stderr, "bench_resample: bad arguments\n");
        return 2;
    }
    printf("ms per call, %d runs after %d warm-up runs (tables built beforehand)\n", t.runs, t.warmup);
    printf("%-6s %-34s %9s %9s\n", "size", "step", "min", "median");
    int status = 0;
    if (strstr(sizes, "720p"))
        status |= bench_size("720p", 1280, 720, &t);
    if (strstr(sizes, "1080p"))
        status |= bench_size("1080p", 1920, 1080, &t);
    free(t.samples);
    return status;
}
