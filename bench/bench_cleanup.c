/*
 * Speed of the matte clean-up kernels, per call:
 *
 *  - islands (bd_islands_clean) on probability maps of the selfie shapes,
 *    455 x 256 and 256 x 256: a scene like a network's map (two people,
 *    specks, holes) and a noise field with many more regions (see scene()
 *    and noise_field()); threshold 0.5, min_area and min_hole 50; the map
 *    is restored before each call, outside the timing;
 *  - morph (bd_morph_square and bd_morph_square_ref) on a 1920 x 1080
 *    alpha, radii 5 and 15, dilation and erosion.
 *
 *   build/bench/bench_cleanup [--runs N] [--warmup N]
 *
 * Prints min and median ms per call over N timed calls after the warm-up
 * (the reference: at most 5 calls, no warm-up).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "matte/islands.h"
#include "matte/morph.h"
#include "bench_clock.h"

static uint32_t next(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s;
}

static void print_row(const char *what, double *samples, int n)
{
    qsort(samples, (size_t)n, sizeof(double), cmp_double);
    double median = n % 2 ? samples[n / 2] : 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
    printf("%-36s %9.4f %9.4f\n", what, samples[0], median);
}

/* A noise field: smooth random blobs in 0..1 (two passes of a 7 x 7 box
 * average of noise, stretched 8 times around 0.5): many small regions and
 * holes, about 20 runs per row; harder than a network's map. */
static void noise_field(float *map, int w, int h, uint32_t *seed)
{
    float *a = malloc(sizeof(float) * (size_t)w * h), *b = malloc(sizeof(float) * (size_t)w * h);
    if (!a || !b)
        exit(1);
    for (int i = 0; i < w * h; i++)
        a[i] = (float)(next(seed) >> 8) / 16777216.0f;
    for (int pass = 0; pass < 2; pass++) {
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                float sum = 0;
                int count = 0;
                for (int yy = y - 3; yy <= y + 3; yy++)
                    for (int xx = x - 3; xx <= x + 3; xx++)
                        if (xx >= 0 && xx < w && yy >= 0 && yy < h) {
                            sum += a[yy * w + xx];
                            count++;
                        }
                b[y * w + x] = sum / count;
            }
        float *t = a;
        a = b;
        b = t;
    }
    for (int i = 0; i < w * h; i++) {
        float v = 0.5f + (a[i] - 0.5f) * 8.0f;
        map[i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
    free(a);
    free(b);
}

/* A scene like a network's map: two people (an ellipse for the body, a
 * disc for the head, edges falling from 0.92 to 0.08 over two pixels) on a
 * background of 0.05, with 40 specks (bumps of 0.6..0.9) outside them and
 * 10 holes (dips to 0.2) inside the bodies. */
static void scene(float *map, int w, int h, uint32_t *seed)
{
    for (int i = 0; i < w * h; i++)
        map[i] = 0.05f;
    for (int person = 0; person < 2; person++) {
        float cx = w * (person ? 0.7f : 0.3f), body_rx = w * 0.12f, body_ry = h * 0.35f;
        float body_cy = h * 0.8f, head_cy = h * 0.32f, head_r = h * 0.11f;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                float dx = (x - cx) / body_rx, dy = (y - body_cy) / body_ry;
                float body = (1.0f - sqrtf(dx * dx + dy * dy)) * body_rx; /* ~ pixels inside */
                float head = head_r - sqrtf((x - cx) * (x - cx) + (y - head_cy) * (y - head_cy));
                float d = body > head ? body : head;
                float p = 1.0f / (1.0f + expf(-2.5f * d));
                if (p > map[y * w + x])
                    map[y * w + x] = p;
            }
    }
    for (int k = 0; k < 50; k++) {
        int hole = k >= 40;
        int x = (int)(next(seed) % (unsigned)w), y = (int)(next(seed) % (unsigned)h);
        if ((map[y * w + x] > 0.5f) != hole)
            continue;
        float peak = hole ? 0.2f : 0.6f + 0.3f * (float)(next(seed) >> 8) / 16777216.0f;
        for (int yy = y - 3; yy <= y + 3; yy++)
            for (int xx = x - 3; xx <= x + 3; xx++) {
                if (xx < 0 || xx >= w || yy < 0 || yy >= h)
                    continue;
                float g = expf(-((xx - x) * (xx - x) + (yy - y) * (yy - y)) / 1.0f);
                float *p = &map[yy * w + xx];
                *p = hole ? *p + (peak - *p) * g : *p + (peak - *p) * g * (peak > *p);
            }
    }
}

static int bench_islands(int w, int h, int noise, int runs, int warmup, double *samples)
{
    uint32_t seed = 1;
    float *map = malloc(sizeof(float) * (size_t)w * h), *work = malloc(sizeof(float) * (size_t)w * h);
    BdIslands s;
    if (!map || !work || bd_islands_init(&s, w, h) < 0)
        return 1;
    (noise ? noise_field : scene)(map, w, h, &seed);
    int regions = 0;
    for (int i = 0; i < warmup + runs; i++) {
        memcpy(work, map, sizeof(float) * (size_t)w * h);
        double t0 = now_ms();
        regions = bd_islands_clean(&s, work, w, h, 0.5f, 50, 50);
        if (i >= warmup)
            samples[i - warmup] = now_ms() - t0;
    }
    char what[64];
    snprintf(what, sizeof(what), "islands %dx%d %s (%d regions)", w, h, noise ? "noise" : "scene", regions);
    print_row(what, samples, runs);
    bd_islands_free(&s);
    free(map);
    free(work);
    return 0;
}

static int bench_morph(int radius, int reference, int runs, int warmup, double *samples)
{
    const int w = 1920, h = 1080;
    ptrdiff_t stride = 1920 + 64;
    uint32_t seed = 2;
    uint8_t *img = malloc((size_t)stride * h), *scratch = malloc(bd_morph_scratch_size(w, h, radius));
    if (!img || !scratch)
        return 1;
    for (size_t i = 0; i < (size_t)stride * h; i++)
        img[i] = (uint8_t)(next(&seed) >> 24);
    if (reference) {
        runs = runs < 5 ? runs : 5;
        warmup = 0;
    }
    for (int i = 0; i < warmup + runs; i++) {
        double t0 = now_ms();
        (reference ? bd_morph_square_ref : bd_morph_square)(img, stride, w, h, radius, scratch);
        if (i >= warmup)
            samples[i - warmup] = now_ms() - t0;
    }
    char what[64];
    snprintf(what, sizeof(what), "morph 1920x1080 r=%d%s", radius, reference ? " reference" : "");
    print_row(what, samples, runs);
    free(img);
    free(scratch);
    return 0;
}

int main(int argc, char **argv)
{
    int runs = 200, warmup = 20;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc)
            warmup = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--runs N] [--warmup N]\n", argv[0]);
            return 2;
        }
    }
    if (runs < 1 || warmup < 0) {
        fprintf(stderr, "--runs must be >= 1, --warmup >= 0\n");
        return 2;
    }
    double *samples = malloc(sizeof(double) * (size_t)runs);
    if (!samples)
        return 1;
    printf("%-36s %9s %9s\n", "ms per call", "min", "median");
    int status = 0;
    for (int noise = 0; noise <= 1; noise++)
        status = status || bench_islands(455, 256, noise, runs, warmup, samples) ||
                 bench_islands(256, 256, noise, runs, warmup, samples);
    const int radii[] = { 5, -5, 15, -15 };
    for (size_t i = 0; i < sizeof(radii) / sizeof(radii[0]); i++)
        status = status || bench_morph(radii[i], 0, runs, warmup, samples);
    status = status || bench_morph(5, 1, runs, warmup, samples) || bench_morph(15, 1, runs, warmup, samples);
    free(samples);
    return status;
}
