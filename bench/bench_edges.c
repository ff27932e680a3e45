/*
 * Speed of the backgrounds and the edge colours, per frame, on one thread:
 * what the blur background and the foreground-colour estimate add to the
 * composite.
 *
 *   build/bench/bench_edges [--frames N] [--sizes 720p,1080p] [--format yuv|rgb] [--edge-radius PX]
 *
 * The stages run as the pipeline runs them (init once per shape, run per
 * frame, called directly, no thread pool) on a synthetic frame: a textured
 * background, an ellipse ("the person") whose alpha ramps over 6 pixels at
 * its rim, and a soft hair-like band over its top (a tenth of its area).
 * Rows, each min and median ms per frame and the median above the first:
 *   composite            picture background, edge-color original (the baseline)
 *   composite + estimate picture background, edge-color estimate
 *   blur + composite     blur background (automatic strength), original
 *   blur + estimate      blur background and the estimate (the full cost)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_clock.h"
#include "pipeline.h"

extern const BdComponent bd_background_picture, bd_background_blur, bd_composite_blend;

typedef struct Config {
    const char *name;
    const BdComponent *background;
    const char *edge;
} Config;

static const Config configs[] = {
    { "composite", &bd_background_picture, "original" },
    { "composite + estimate", &bd_background_picture, "estimate" },
    { "blur + composite", &bd_background_blur, "original" },
    { "blur + estimate", &bd_background_blur, "estimate" },
};

static void *open_stage(const BdComponent *c, const char *option, const char *value)
{
    void *priv = calloc(1, c->priv_size ? c->priv_size : 1);
    if (c->options)
        bd_options_defaults(c->options, c->option_count, (char *)priv + c->options_offset);
    if (option)
        bd_option_parse(bd_option_find(c->options, c->option_count, option), (char *)priv + c->options_offset,
                        value, NULL, 0);
    return priv;
}

static void make_frame(Picture *frame, uint8_t *alpha, int w, int h, BackdropPixelFormat fmt)
{
    Picture rgb = { 0 };
    bd_picture_alloc(&rgb, BACKDROP_PIXFMT_RGB24, w, h);
    double cx = w * 0.5, cy = h * 0.6, rx = w * 0.2, ry = h * 0.45;
    for (int y = 0; y < h; y++) {
        uint8_t *p = rgb.frame.data[0] + y * rgb.frame.stride[0];
        for (int x = 0; x < w; x++) {
            double d = sqrt((x - cx) * (x - cx) / (rx * rx) + (y - cy) * (y - cy) / (ry * ry));
            double a = (1.0 - d) * rx / 6.0 + 0.5; /* a 6-pixel ramp at the rim */
            if (y < cy - ry * 0.8 && d < 1.15) /* hair: soft over the top */
                a = 0.5 + 0.4 * sin(x * 0.7) * cos(y * 0.3);
            a = a < 0 ? 0 : a > 1 ? 1 : a;
            alpha[(size_t)y * w + x] = (uint8_t)lrint(a * 255);
            p[3 * x] = (uint8_t)(128 + 100 * sin(x * 0.05) * cos(y * 0.07));
            p[3 * x + 1] = (uint8_t)(x * 255 / w);
            p[3 * x + 2] = (uint8_t)(y * 255 / h);
        }
    }
    bd_picture_alloc(frame, fmt, w, h);
    if (fmt == BACKDROP_PIXFMT_RGB24)
        bd_frame_copy(&frame->frame, &rgb.frame);
    else
        bd_convert(&frame->frame, &rgb.frame);
    bd_picture_free(&rgb);
}

int main(int argc, char **argv)
{
    int frames = 30;
    const char *sizes = "720p,1080p";
    BackdropPixelFormat fmt = BACKDROP_PIXFMT_YUV420P;
    const char *edge_radius = "0";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--frames"))
            frames = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--sizes"))
            sizes = argv[i + 1];
        else if (!strcmp(argv[i], "--edge-radius"))
            edge_radius = argv[i + 1];
        else if (!strcmp(argv[i], "--format"))
            fmt = !strcmp(argv[i + 1], "rgb") ? BACKDROP_PIXFMT_RGB24 : BACKDROP_PIXFMT_YUV420P;
    }
    if (frames < 3)
        frames = 3;
    printf("%-6s %-22s %8s %8s %8s\n", "size", "configuration", "min ms", "median", "added");
    for (const char *s = sizes; s && *s; s = strchr(s, ',') ? strchr(s, ',') + 1 : NULL) {
        int h = atoi(s), w = h * 16 / 9;
        if (h <= 0)
            continue;
        Picture frame = { 0 }, out = { 0 };
        uint8_t *alpha = malloc((size_t)w * h);
        make_frame(&frame, alpha, w, h, fmt);
        bd_picture_alloc(&out, fmt, w, h);
        BdShape shape = { fmt, w, h, BACKDROP_RANGE_LIMITED, BACKDROP_MATRIX_BT709 };
        BdMatteInfo info = { 0 };
        BdEnv env = { 0 };
        double base = 0, *times = malloc(sizeof(double) * frames);
        for (size_t c = 0; c < sizeof(configs) / sizeof(configs[0]); c++) {
            const Config *cfg = &configs[c];
            void *bg = open_stage(cfg->background, NULL, NULL);
            void *comp = open_stage(&bd_composite_blend, "edge-color", cfg->edge);
            bd_option_parse(bd_option_find(bd_composite_blend.options, bd_composite_blend.option_count,
                                           "edge-radius"), (char *)comp + bd_composite_blend.options_offset,
                            edge_radius, NULL, 0);
            if (cfg->background->init(bg, &env, &shape, &info) < 0 ||
                bd_composite_blend.init(comp, &env, &shape, &info) < 0) {
                fprintf(stderr, "bench_edges: cannot start %s at %dx%d\n", cfg->name, w, h);
                return 1;
            }
            for (int f = 0; f < frames + 2; f++) {
                BdFrameJob job = { 0 };
                job.in = job.fg = &frame.frame;
                job.out = &out.frame;
                job.matte.alpha = alpha;
                job.matte.alpha_stride = w;
                job.matte.alpha_valid = 1;
                double t0 = now_ms();
                cfg->background->run(bg, &env, &job);
                bd_composite_blend.run(comp, &env, &job);
                if (f >= 2) /* two warm-up frames */
                    times[f - 2] = now_ms() - t0;
            }
            if (cfg->background->uninit)
                cfg->background->uninit(bg);
            if (cfg->background->close)
                cfg->background->close(bg);
            bd_composite_blend.uninit(comp);
            free(bg);
            free(comp);
            qsort(times, (size_t)frames, sizeof(double), cmp_double);
            double median = times[frames / 2];
            if (c == 0)
                base = median;
            printf("%-6.*s %-22s %8.3f %8.3f %8.3f\n", (int)strcspn(s, ","), s, cfg->name, times[0], median,
                   median - base);
            fflush(stdout);
        }
        free(times);
        free(alpha);
        bd_picture_free(&frame);
        bd_picture_free(&out);
    }
    return 0;
}
