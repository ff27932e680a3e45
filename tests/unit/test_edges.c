/*
 * Backgrounds without halo and clean edge colours: the weighted blur kernel
 * against a direct reference, the blur and transparent backgrounds, and
 * the composite's foreground-colour estimate.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "background/weighted_blur.h"
#include "pipeline.h"
#include "suites.h"
#include "util.h"

extern const BdComponent bd_background_blur;
extern const BdComponent bd_composite_blend;

/* ---- the kernel against its definition ---------------------------------- */

/* The cell sums of a plane, blurred: 'passes' box passes along x, then
 * along y, each a direct sum over the 2r + 1 cells of the window that lie
 * on the grid (zero outside), in double. c1 values a cell. */
static double *reference_grid(const uint8_t *plane, ptrdiff_t stride, const uint8_t *alpha, int w, int h, int ch,
                              int cell, int r, int passes, BdWeight weight)
{
    int gw = (w + cell - 1) / cell, gh = (h + cell - 1) / cell, c1 = ch + 1;
    double *g = unit_alloc(sizeof(double) * (size_t)gw * gh * c1);
    double *t = unit_alloc(sizeof(double) * (size_t)gw * gh * c1);
    memset(g, 0, sizeof(double) * (size_t)gw * gh * c1);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double pw = bd_wblur_weight(weight, alpha[y * w + x]);
            double *cellv = g + ((size_t)(y / cell) * gw + (size_t)(x / cell)) * c1;
            for (int c = 0; c < ch; c++)
                cellv[c] += pw * plane[y * stride + x * ch + c];
            cellv[ch] += pw;
        }
    for (int axis = 0; axis < 2; axis++)
        for (int p = 0; p < passes; p++) {
            for (int gy = 0; gy < gh; gy++)
                for (int gx = 0; gx < gw; gx++)
                    for (int c = 0; c < c1; c++) {
                        double sum = 0;
                        for (int d = -r; d <= r; d++) {
                            int sx = axis ? gx : gx + d, sy = axis ? gy + d : gy;
                            if (sx >= 0 && sy >= 0 && sx < gw && sy < gh)
                                sum += g[((size_t)sy * gw + sx) * c1 + c];
                        }
                        t[((size_t)gy * gw + gx) * c1 + c] = sum;
                    }
            memcpy(g, t, sizeof(double) * (size_t)gw * gh * c1);
        }
    return g;
}

/* V at (x, y) from the blurred grid: numerator and denominator each
 * interpolated bilinearly between the cell centres around the pixel's. */
static void reference_at(const double *g, int w, int h, int ch, int cell, int x, int y, double *out)
{
    int gw = (w + cell - 1) / cell, gh = (h + cell - 1) / cell, c1 = ch + 1;
    double gx = (x + 0.5) / cell - 0.5, gy = (y + 0.5) / cell - 0.5;
    gx = gx < 0 ? 0 : gx > gw - 1 ? gw - 1 : gx;
    gy = gy < 0 ? 0 : gy > gh - 1 ? gh - 1 : gy;
    int ix = (int)floor(gx), iy = (int)floor(gy);
    double acc[4] = { 0, 0, 0, 0 };
    for (int dy = 0; dy <= 1; dy++)
        for (int dx = 0; dx <= 1; dx++) {
            int cx = ix + dx, cy = iy + dy;
            double wx = dx ? gx - ix : 1 - (gx - ix), wy = dy ? gy - iy : 1 - (gy - iy);
            if (wx == 0 || wy == 0 || cx >= gw || cy >= gh)
                continue;
            for (int c = 0; c < c1; c++)
                acc[c] += wx * wy * g[((size_t)cy * gw + cx) * c1 + c];
        }
    for (int c = 0; c < ch; c++)
        out[c] = acc[c] / acc[ch];
}

/* Random planes and weights of many shapes, cells, radii and pass counts:
 * every row pixel within rounding of the reference, every point value
 * within 1e-3 levels. */
static int test_wblur_matches_reference(void)
{
    const int shapes[][2] = { { 1, 1 }, { 7, 5 }, { 33, 17 }, { 40, 24 }, { 5, 31 } };
    uint32_t seed = 99;
    for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
        int w = shapes[s][0], h = shapes[s][1];
        for (int ch = 1; ch <= 3; ch += 2) {
            uint8_t *plane = unit_alloc((size_t)w * h * ch), *alpha = unit_alloc((size_t)w * h);
            uint8_t *row = unit_alloc((size_t)w * ch);
            for (int i = 0; i < w * h * ch; i++)
                plane[i] = lcg_byte(&seed);
            for (int i = 0; i < w * h; i++) /* mostly hard, some soft, like a matte */
                alpha[i] = (uint8_t)(lcg_byte(&seed) < 100 ? 0 : lcg_byte(&seed) < 128 ? 255 : lcg_byte(&seed));
            for (int cell = 1; cell <= 5; cell += 2)
                for (int r = 0; r <= 2; r++)
                    for (int passes = 1; passes <= 3; passes += 2)
                        for (int wt = 0; wt < 3; wt++) {
                            BdWBlur b = { 0 };
                            CHECK(bd_wblur_init(&b, w, h, ch, cell, r, passes) == 0, "init");
                            bd_wblur_update(&b, plane, (ptrdiff_t)w * ch, alpha, w, (BdWeight)wt);
                            const double *g = reference_grid(plane, (ptrdiff_t)w * ch, alpha, w, h, ch, cell, r,
                                                             passes, (BdWeight)wt);
                            for (int y = 0; y < h; y++) {
                                bd_wblur_row(&b, y, row);
                                for (int x = 0; x < w; x++) {
                                    double want[3];
                                    float at[3];
                                    reference_at(g, w, h, ch, cell, x, y, want);
                                    bd_wblur_at(&b, x, y, at);
                                    for (int c = 0; c < ch; c++) {
                                        double got = row[x * ch + c];
                                        if (fabs(got - want[c]) > 0.5 + 1e-3 || fabs(at[c] - want[c]) > 1e-3 * 255) {
                                            bd_wblur_free(&b);
                                            CHECK(0, "%dx%dx%d cell %d r %d passes %d weight %d (%d,%d,%d): row %g, "
                                                  "at %g, reference %g", w, h, ch, cell, r, passes, wt, x, y, c,
                                                  got, at[c], want[c]);
                                        }
                                    }
                                }
                            }
                            bd_wblur_free(&b);
                        }
        }
    }
    return UNIT_PASS;
}

/* Summing only the cells the soft pixels need (bd_wblur_mark_soft, then
 * bd_wblur_update_cells), read a pixel at a time (spans), gives at every
 * soft pixel what the full update read by rows gives (up to float
 * rounding, 1e-4 of the value); an alpha without soft pixels marks
 * nothing. */
static int test_wblur_cells_match_full(void)
{
    enum { W = 150, H = 90 };
    uint32_t seed = 7;
    uint8_t *plane = unit_alloc(W * H * 3), *alpha = unit_alloc(W * H);
    float *row = unit_alloc(sizeof(float) * 3 * W);
    for (int i = 0; i < W * H * 3; i++)
        plane[i] = lcg_byte(&seed);
    for (int ch = 1; ch <= 3; ch += 2)
        for (int cell = 1; cell <= 7; cell += 3) {
            /* Hard everywhere, soft only on two short strokes. */
            for (int i = 0; i < W * H; i++)
                alpha[i] = (i % W) < 60 ? 255 : 0;
            for (int y = 10; y < 14; y++)
                for (int x = 40; x < 70; x++)
                    alpha[y * W + x] = (uint8_t)(1 + lcg_byte(&seed) % 254);
            alpha[80 * W + 140] = 128;
            BdWBlur full = { 0 }, part = { 0 };
            CHECK(bd_wblur_init(&full, W, H, ch, cell, 2, 3) == 0 && bd_wblur_init(&part, W, H, ch, cell, 2, 3) == 0,
                  "init");
            bd_wblur_update(&full, plane, W * ch, alpha, W, BD_WEIGHT_ALPHA);
            int marked = bd_wblur_mark_soft(&part, alpha, W);
            CHECK(marked > 0 && marked < part.grid_w * part.grid_h, "cell %d: %d of %d cells marked", cell, marked,
                  part.grid_w * part.grid_h);
            bd_wblur_update_cells(&part, plane, W * ch, alpha, W, BD_WEIGHT_ALPHA, &part);
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    if (alpha[y * W + x] == 0 || alpha[y * W + x] == 255)
                        continue;
                    /* The widened-row path (rows of the full update) and the
                     * span path (marked cells) compute the same value in
                     * another order. */
                    float a[3], b[3];
                    bd_wblur_row_f32(&full, y, row);
                    bd_wblur_at(&part, x, y, b);
                    for (int c = 0; c < ch; c++)
                        a[c] = row[c * W + x];
                    for (int c = 0; c < ch; c++) {
                        if (fabsf(a[c] - b[c]) > 1e-4f * fabsf(a[c]) + 1e-3f) {
                            bd_wblur_free(&full);
                            bd_wblur_free(&part);
                            CHECK(0, "ch %d cell %d (%d,%d,%d): full update, row %g; marked cells, pixel %g", ch,
                                  cell, x, y, c, a[c], b[c]);
                        }
                    }
                }
            memset(alpha, 255, W * H);
            CHECK(bd_wblur_mark_soft(&part, alpha, W) == 0, "a hard alpha marked cells");
            bd_wblur_free(&full);
            bd_wblur_free(&part);
        }
    return UNIT_PASS;
}

/* Cell and radius give the asked standard deviation: within 15 % from two
 * pixels up (small sigmas are rounded to whole radii on single pixels). */
static int test_wblur_params(void)
{
    for (double sigma = 2; sigma <= 80; sigma *= 1.3) {
        int cell, r;
        bd_wblur_params(sigma, 3, &cell, &r);
        double got = cell * sqrt(3 * r * (r + 1.0) / 3.0);
        CHECK(cell >= 1 && r >= 1 && r <= 2, "sigma %g: cell %d radius %d", sigma, cell, r);
        CHECK(fabs(got - sigma) <= 0.15 * sigma + 0.5, "sigma %g: cell %d radius %d give %g", sigma, cell, r, got);
    }
    return UNIT_PASS;
}

/* ---- stages, run directly on a frame with a known matte ---------------- */

/* A blue scene with a red disk of radius 'radius' at the centre, and the
 * disk's exact binary matte. */
static BackdropFrame disk_scene(BackdropPixelFormat fmt, int w, int h, int radius, uint8_t *alpha)
{
    BackdropFrame rgb = frame_new(BACKDROP_PIXFMT_RGB24, w, h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int inside = (x - w / 2) * (x - w / 2) + (y - h / 2) * (y - h / 2) <= radius * radius;
            alpha[y * w + x] = inside ? 255 : 0;
            put_rgb(&rgb, x, y, inside ? 255 : 0, 0, inside ? 0 : 255);
        }
    if (fmt == BACKDROP_PIXFMT_RGB24)
        return rgb;
    BackdropFrame out = frame_new(fmt, w, h);
    bd_convert(&out, &rgb);
    return out;
}

static void *stage_priv(const BdComponent *c)
{
    void *priv = unit_alloc(c->priv_size);
    memset(priv, 0, c->priv_size);
    if (c->options)
        bd_options_defaults(c->options, c->option_count, (char *)priv + c->options_offset);
    return priv;
}

/* Runs the composite stage once on in over bg with an alpha of in's size
 * (stride = width), its options set from name, value pairs (NULL-ended);
 * out must be of in's shape. 0, or -1 when an option or the stage
 * failed. */
static int run_blend(const BackdropFrame *in, const BackdropFrame *bg, const BackdropFrame *out,
                     const uint8_t *alpha, ...)
{
    const BdComponent *c = &bd_composite_blend;
    void *priv = stage_priv(c), *opts = (char *)priv + c->options_offset;
    va_list ap;
    va_start(ap, alpha);
    for (const char *name; (name = va_arg(ap, const char *));) {
        const char *value = va_arg(ap, const char *);
        const BdOption *o = bd_option_find(c->options, c->option_count, name);
        if (!o || bd_option_parse(o, opts, value, NULL, 0) < 0) {
            va_end(ap);
            return -1;
        }
    }
    va_end(ap);
    BdShape shape = { in->format, in->width, in->height, in->range, in->matrix };
    BdMatteInfo info = { 0 };
    BdEnv env = { 0 };
    BdFrameJob job = { 0 };
    job.in = job.fg = in;
    job.bg = bg;
    job.out = out;
    job.matte.alpha = (uint8_t *)alpha;
    job.matte.alpha_stride = in->width;
    job.matte.alpha_valid = 1;
    int err = c->init(priv, &env, &shape, &info);
    if (err >= 0)
        err = c->run(priv, &env, &job);
    c->uninit(priv);
    return err < 0 ? -1 : 0;
}

/* The blurred background next to a red disk holds no red: every sample
 * outside the disk is the scene's blue within one level, although the disk is in
 * the frame that was blurred: inside it, where no background is in reach,
 * the blur falls back to the frame's own colour. */
static int test_blur_background_no_halo(void)
{
    enum { W = 96, H = 64, R = 16 };
    const BackdropPixelFormat fmts[] = { BACKDROP_PIXFMT_RGB24, BACKDROP_PIXFMT_YUV420P };
    for (int f = 0; f < 2; f++) {
        uint8_t *alpha = unit_alloc(W * H);
        BackdropFrame in = disk_scene(fmts[f], W, H, R, alpha);
        void *priv = stage_priv(&bd_background_blur);
        BdShape shape = { fmts[f], W, H, BACKDROP_RANGE_LIMITED, BACKDROP_MATRIX_BT601 };
        BdMatteInfo info = { 0 };
        BdEnv env = { 0 };
        CHECK(bd_background_blur.init(priv, &env, &shape, &info) == 0, "init");
        BdFrameJob job = { 0 };
        job.in = job.fg = &in;
        job.matte.alpha = alpha;
        job.matte.alpha_stride = W;
        job.matte.alpha_valid = 1;
        CHECK(bd_background_blur.run(priv, &env, &job) == 0 && job.bg, "run");
        /* Compared in the frame's own samples: luma outside the disk, and
         * chroma of blocks wholly outside it (a player's chroma
         * interpolation would mix in the hidden blocks under the disk). */
        BackdropFrame blue = frame_new(fmts[f], W, H);
        bd_fill_rgb(&blue, 0, 0, 255);
        int worst = 0;
        for (int p = 0; p < bd_plane_count(fmts[f]); p++) {
            int sub = p ? 2 : 1, ch = fmts[f] == BACKDROP_PIXFMT_RGB24 ? 3 : 1;
            for (int y = 0; y < plane_height(&in, p); y++)
                for (int x = 0; x < plane_width(&in, p); x++) {
                    int outside = 1;
                    for (int dy = 0; dy < sub; dy++)
                        for (int dx = 0; dx < sub; dx++) {
                            int px = x * sub + dx, py = y * sub + dy;
                            if (px < W && py < H && alpha[py * W + px])
                                outside = 0;
                        }
                    for (int c = 0; outside && c < ch; c++) {
                        int e = abs(sample(job.bg, p, x, y)[c] - sample(&blue, p, x, y)[c]);
                        worst = e > worst ? e : worst;
                    }
                }
        }
        BackdropFrame rgb = frame_new(BACKDROP_PIXFMT_RGB24, W, H);
        if (fmts[f] == BACKDROP_PIXFMT_RGB24)
            copy_frame(&rgb, job.bg);
        else
            bd_convert(&rgb, job.bg);
        int tol = 1;
        int centre[3];
        get_rgb(&rgb, W / 2, H / 2, centre);
        bd_background_blur.uninit(priv);
        CHECK(worst <= tol, "%s: the blurred background outside the disk is up to %d levels off blue",
              f ? "yuv420p" : "rgb24", worst);
        CHECK(centre[0] > 200 && centre[2] < 55, "%s: inside the disk the fallback is not the disk's colour "
              "(%d,%d,%d)", f ? "yuv420p" : "rgb24", centre[0], centre[1], centre[2]);
    }
    return UNIT_PASS;
}

/* A plain (unweighted) blur of the same scene does leak red: the test
 * above would see it. Run the kernel with equal weights (alpha 255 under
 * BD_WEIGHT_INVERSE weighs 1 everywhere) and find red next to the disk. */
static int test_blur_plain_would_halo(void)
{
    enum { W = 96, H = 64, R = 16 };
    uint8_t *alpha = unit_alloc(W * H), *ones = unit_alloc(W * H), *row = unit_alloc(W * 3);
    BackdropFrame in = disk_scene(BACKDROP_PIXFMT_RGB24, W, H, R, alpha);
    memset(ones, 255, W * H);
    BdWBlur b = { 0 };
    int cell, r;
    bd_wblur_params(5, 3, &cell, &r);
    CHECK(bd_wblur_init(&b, W, H, 3, cell, r, 3) == 0, "init");
    bd_wblur_update(&b, in.data[0], in.stride[0], ones, W, BD_WEIGHT_INVERSE);
    bd_wblur_row(&b, H / 2, row);
    int red = row[(W / 2 + R + 3) * 3];
    bd_wblur_free(&b);
    CHECK(red > 20, "a plain blur 3 px from the disk has red %d: the scene does not test the halo", red);
    return UNIT_PASS;
}

/* Soft edge: I = a F + (1 - a) B over a band, F and B smooth colour fields.
 * Composited over black, the estimate's error against the truth a F must
 * be well under the plain composite's (a I), both on average and at its
 * worst; pixels whose alpha is 0 or 255 are exactly as without the
 * estimate. */
static int test_edge_estimate_beats_original(void)
{
    enum { W = 160, H = 90 };
    const BackdropPixelFormat fmts[] = { BACKDROP_PIXFMT_RGB24, BACKDROP_PIXFMT_YUV420P };
    for (int f = 0; f < 2; f++) {
        BackdropFrame rgb = frame_new(BACKDROP_PIXFMT_RGB24, W, H);
        uint8_t *alpha = unit_alloc(W * H);
        double *truth = unit_alloc(sizeof(double) * W * H * 3);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                /* Person left, background right; a soft band 10 px wide. */
                double a = (90.0 - x) / 10.0 + 0.1 * sin(y / 7.0);
                a = a < 0 ? 0 : a > 1 ? 1 : a;
                alpha[y * W + x] = (uint8_t)lrint(a * 255);
                a = alpha[y * W + x] / 255.0;
                double F[3] = { 200 + 30 * sin(y / 20.0), 150, 90 + x / 4.0 };
                double B[3] = { 40, 180 + 40 * cos(y / 15.0), 60 + y };
                int c[3];
                for (int k = 0; k < 3; k++) {
                    c[k] = (int)lrint(a * F[k] + (1 - a) * B[k]);
                    truth[(y * W + x) * 3 + k] = a * F[k];
                }
                put_rgb(&rgb, x, y, c[0], c[1], c[2]);
            }
        BackdropFrame in = rgb;
        if (fmts[f] == BACKDROP_PIXFMT_YUV420P) {
            in = frame_new(BACKDROP_PIXFMT_YUV420P, W, H);
            in.range = BACKDROP_RANGE_FULL; /* fewer levels lost both ways */
            bd_convert(&in, &rgb);
        }
        BackdropFrame black = frame_new(fmts[f], W, H);
        black.range = in.range;
        bd_fill_rgb(&black, 0, 0, 0);
        double err[2] = { 0, 0 }, worst[2] = { 0, 0 };
        int soft = 0;
        BackdropFrame outs[2];
        for (int mode = 0; mode < 2; mode++) {
            outs[mode] = frame_new(fmts[f], W, H);
            outs[mode].range = in.range;
            /* The automatic reach is height / 30: 3 pixels here, too short
             * for a 10-pixel band. */
            CHECK(run_blend(&in, &black, &outs[mode], alpha, "edge-color", mode ? "original" : "estimate",
                            "edge-radius", "20", NULL) == 0, "composite");
            BackdropFrame got = outs[mode];
            if (fmts[f] == BACKDROP_PIXFMT_YUV420P) {
                got = frame_new(BACKDROP_PIXFMT_RGB24, W, H);
                bd_convert(&got, &outs[mode]);
            }
            soft = 0;
            for (int y = 2; y < H - 2; y++)
                for (int x = 0; x < W; x++) {
                    int a = alpha[y * W + x];
                    if (a < 26 || a > 229) /* alpha 0.1 .. 0.9 */
                        continue;
                    int c[3];
                    get_rgb(&got, x, y, c);
                    for (int k = 0; k < 3; k++) {
                        double e = fabs(c[k] - truth[(y * W + x) * 3 + k]);
                        err[mode] += e;
                        worst[mode] = e > worst[mode] ? e : worst[mode];
                    }
                    soft++;
                }
        }
        err[0] /= soft * 3;
        err[1] /= soft * 3;
        CHECK(soft > 500, "only %d soft pixels", soft);
        CHECK(err[0] < 0.4 * err[1], "%s: mean edge error %.2f with the estimate, %.2f without",
              f ? "yuv420p" : "rgb24", err[0], err[1]);
        if (fmts[f] == BACKDROP_PIXFMT_RGB24) {
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    int a = alpha[y * W + x], c0[3], c1[3];
                    if (a != 0 && a != 255)
                        continue;
                    get_rgb(&outs[0], x, y, c0);
                    get_rgb(&outs[1], x, y, c1);
                    CHECK(!memcmp(c0, c1, sizeof(c0)), "(%d,%d) alpha %d: the estimate changed a hard pixel", x,
                          y, a);
                }
        }
    }
    return UNIT_PASS;
}

/* Light wrap: a white disk composited over red. Off, the disk is exactly
 * white; on (k = 1, radius 8), the disk's rim takes some red, less the
 * deeper inside, its centre (beyond the wrap's reach) and everything
 * outside the disk exactly unchanged. */
static int test_light_wrap(void)
{
    enum { W = 96, H = 64, R = 20 };
    BackdropFrame in = frame_new(BACKDROP_PIXFMT_RGB24, W, H), red = frame_new(BACKDROP_PIXFMT_RGB24, W, H);
    uint8_t *alpha = unit_alloc(W * H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int inside = (x - W / 2) * (x - W / 2) + (y - H / 2) * (y - H / 2) <= R * R;
            alpha[y * W + x] = inside ? 255 : 0;
            put_rgb(&in, x, y, inside ? 255 : 0, inside ? 255 : 0, inside ? 255 : 0);
        }
    fill_rgb(&red, 255, 0, 0);
    BackdropFrame outs[2];
    for (int on = 0; on < 2; on++) {
        outs[on] = frame_new(BACKDROP_PIXFMT_RGB24, W, H);
        CHECK(run_blend(&in, &red, &outs[on], alpha, "light-wrap", on ? "1" : "0", "light-wrap-radius", "8",
                        NULL) == 0, "composite");
    }
    int c[3], prev_g = -1;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            get_rgb(&outs[0], x, y, c);
            int inside = alpha[y * W + x];
            CHECK(inside ? c[0] == 255 && c[1] == 255 && c[2] == 255 : c[0] == 255 && c[1] == 0 && c[2] == 0,
                  "off: (%d,%d) is %d %d %d", x, y, c[0], c[1], c[2]);
            int o[3];
            get_rgb(&outs[1], x, y, o);
            CHECK(inside || !memcmp(c, o, sizeof(c)), "on: (%d,%d) outside the disk changed", x, y);
            CHECK(o[0] == 255, "on: (%d,%d) lost red (%d)", x, y, o[0]);
        }
    get_rgb(&outs[1], W / 2, H / 2, c);
    CHECK(c[1] == 255 && c[2] == 255, "on: the centre, 20 px in, changed: %d %d %d", c[0], c[1], c[2]);
    /* Along the row through the centre, from the rim inwards: red grows
     * towards the rim (green falls), and the rim has clearly taken some. */
    for (int x = W / 2 - R; x <= W / 2 - R + 10; x++) {
        get_rgb(&outs[1], x, H / 2, c);
        CHECK(prev_g < 0 || c[1] >= prev_g, "on: x %d green %d, less than %d nearer the rim", x, c[1], prev_g);
        prev_g = c[1];
    }
    get_rgb(&outs[1], W / 2 - R, H / 2, c);
    CHECK(c[1] < 200 && c[1] == c[2], "on: the rim pixel is %d %d %d, not tinted red", c[0], c[1], c[2]);
    return UNIT_PASS;
}

/* ---- through the public API -------------------------------------------- */

/* background transparent: an alpha output gets the frame's colour and the
 * matte (the constant method at level 1: 255 everywhere); an output
 * without alpha is refused with EINVAL. */
static int test_transparent_output(void)
{
    BackdropSettings s = settings_with_threads(1);
    s.method = "constant";
    BackdropContext *ctx = context_open(&s);
    CHECK(ctx, "open");
    CHECK(context_set(ctx, "background", "transparent", "stabilise", "none", NULL) == 0, "options");
    BackdropFrame in = frame_new(BACKDROP_PIXFMT_RGB24, 8, 6);
    uint32_t seed = 5;
    fill_random(&in, &seed);
    BackdropFrame out = frame_new(BACKDROP_PIXFMT_RGBA, 8, 6), plain = frame_new(BACKDROP_PIXFMT_RGB24, 8, 6);
    CHECK(backdrop_process(ctx, &in, &out, NULL) == 0, "process into RGBA");
    for (int y = 0; y < 6; y++)
        for (int x = 0; x < 8; x++) {
            const uint8_t *o = out.data[0] + y * out.stride[0] + 4 * x, *i = in.data[0] + y * in.stride[0] + 3 * x;
            CHECK(o[0] == i[0] && o[1] == i[1] && o[2] == i[2] && o[3] == 255,
                  "(%d,%d): %d %d %d %d, expected %d %d %d 255", x, y, o[0], o[1], o[2], o[3], i[0], i[1], i[2]);
        }
    CHECK(context_set(ctx, "level", "0", NULL) == 0, "level");
    CHECK(backdrop_process(ctx, &in, &out, NULL) == 0, "process into RGBA");
    CHECK(out.data[0][3] == 0 && out.data[0][0] == in.data[0][0], "level 0: alpha %d", out.data[0][3]);
    CHECK(backdrop_process(ctx, &in, &plain, NULL) == BACKDROP_EINVAL, "an output without alpha is accepted");
    return UNIT_PASS;
}

/* The background option switches while running, and back. */
static int test_background_switch_running(void)
{
    BackdropSettings s = settings_with_threads(1);
    s.method = "constant";
    BackdropContext *ctx = context_open(&s);
    CHECK(ctx, "open");
    CHECK(context_set(ctx, "level", "0", "color", "#102030", NULL) == 0, "options");
    BackdropFrame in = frame_new(BACKDROP_PIXFMT_RGB24, 16, 8), out = frame_new(BACKDROP_PIXFMT_RGB24, 16, 8);
    fill_rgb(&in, 200, 100, 50);
    int c[3];
    CHECK(backdrop_process(ctx, &in, &out, NULL) == 0, "picture");
    get_rgb(&out, 3, 3, c);
    CHECK(c[0] == 0x10 && c[1] == 0x20 && c[2] == 0x30, "colour background: %d %d %d", c[0], c[1], c[2]);
    CHECK(context_set(ctx, "background", "blur", NULL) == 0, "blur while running");
    CHECK(backdrop_process(ctx, &in, &out, NULL) == 0, "blur");
    get_rgb(&out, 3, 3, c);
    CHECK(c[0] == 200 && c[1] == 100 && c[2] == 50, "a uniform frame blurred: %d %d %d", c[0], c[1], c[2]);
    char v[32];
    CHECK(backdrop_get_option(ctx, "background", v, sizeof(v)) == 0 && !strcmp(v, "blur"), "reads back %s", v);
    CHECK(context_set(ctx, "strength", "8", NULL) == 0, "blur strength");
    CHECK(context_set(ctx, "background", "picture", NULL) == 0, "back to the picture stage");
    CHECK(backdrop_process(ctx, &in, &out, NULL) == 0, "picture");
    get_rgb(&out, 3, 3, c);
    CHECK(c[0] == 0 && c[1] == 0 && c[2] == 0, "the picture stage starts from its defaults (black): %d %d %d",
          c[0], c[1], c[2]);
    CHECK(context_set(ctx, "background", "clouds", NULL) == BACKDROP_EINVAL, "unknown background accepted");
    return UNIT_PASS;
}

const UnitTest edge_tests[] = {
    UNIT_TEST(wblur_matches_reference),
    UNIT_TEST(wblur_params),
    UNIT_TEST(wblur_cells_match_full),
    UNIT_TEST(blur_background_no_halo),
    UNIT_TEST(blur_plain_would_halo),
    UNIT_TEST(edge_estimate_beats_original),
    UNIT_TEST(light_wrap),
    UNIT_TEST(transparent_output),
    UNIT_TEST(background_switch_running),
    UNIT_TESTS_END
};
