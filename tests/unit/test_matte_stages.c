/*
 * The matte stages: refine "guided" (src/refine/guided.c), stabilise
 * "adaptive" and "ema" (src/stabilise/), cleanup "regions"
 * (src/cleanup/regions.c), their components driven directly as the
 * pipeline drives them (init per shape, run per frame), and their
 * selection through the public API.
 *
 *  - box means: bd_box_mean against bd_box_mean_ref on random data of many
 *    shapes, channel counts and radii (past the picture too).
 *  - guided: a direct double-precision guided filter written here (guide
 *    and map on the working grid by area averaging and bilinear taps, box
 *    means with the window cut to the grid, a 3x3 solve, box means of the
 *    coefficients, bilinear upsampling with half-pixel centres, q on the
 *    frame's own channels, the threshold ramp) against the stage, for
 *    YUV420P, RGB24 and BGR24, colour and luma guides, the frame the map's
 *    size and larger, crops with odd offsets and padded maps. A stage
 *    pixel passes when it lies between the alphas of q_ref -+ 2e-4 (float
 *    rounding); nearly all must equal alpha(q_ref). The same at many
 *    thresholds and softness values (0 included) on maps with large
 *    uniform areas checks the flat-run skipping: a run filled wrongly
 *    lies far outside that band. The network's picture path against the
 *    stage's own downscaling of the frame.
 *  - stabilisers: exact values from the formulas of ema.c and adaptive.c
 *    (the float arithmetic repeated here), for still frames, motion, a
 *    global gain change, rise and fall, and the reset of a new init.
 *  - regions: the percent-of-frame options in map pixels (a blob just
 *    below and just at the size), a hole filled, the expansion on the
 *    full-size alpha (exact squares), and all-zero options as the identity.
 *  - the public API: the selector options, their defaults, "none", options
 *    of stages not selected, qualified names.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/resample.h"
#include "option.h"
#include "pipeline.h"
#include "refine/guided.h"
#include "suites.h"
#include "util.h"

extern const BdComponent bd_refine_guided, bd_stabilise_adaptive, bd_stabilise_ema, bd_cleanup_regions;

static uint32_t lcg_next(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state;
}

/* A value in [0, 1). */
static double lcg_unit(uint32_t *state)
{
    return (double)(lcg_next(state) >> 8) / 16777216.0;
}

/* An integer in [lo, hi]. */
static int lcg_int(uint32_t *state, int lo, int hi)
{
    return lo + (int)((lcg_next(state) >> 8) % (uint32_t)(hi - lo + 1));
}

/* ---- components, driven directly ------------------------------------------ */

typedef struct Inst {
    const BdComponent *c;
    void *priv;
    int ready;
} Inst;

static void inst_uninit(void *ptr)
{
    Inst *in = ptr;
    if (in->ready && in->c->uninit)
        in->c->uninit(in->priv);
    in->ready = 0;
}

/* A component's state with its options at their defaults; uninit after the
 * test. */
static Inst *inst_new(const BdComponent *c)
{
    Inst *in = unit_alloc(sizeof(*in));
    in->c = c;
    in->priv = unit_alloc(c->priv_size);
    if (c->options)
        bd_options_defaults(c->options, c->option_count, (char *)in->priv + c->options_offset);
    unit_defer(inst_uninit, in);
    return in;
}

static int inst_set(Inst *in, const char *name, const char *value)
{
    const BdOption *o = bd_option_find(in->c->options, in->c->option_count, name);
    char why[256];
    if (!o)
        return BACKDROP_EINVAL;
    return bd_option_parse(o, (char *)in->priv + in->c->options_offset, value, why, sizeof(why));
}

static float inst_float(Inst *in, const char *name)
{
    const BdOption *o = bd_option_find(in->c->options, in->c->option_count, name);
    return *(const float *)((const char *)in->priv + in->c->options_offset + o->offset);
}

static int inst_init(Inst *in, const BackdropFrame *f, int map_w, int map_h, const BdPlacement *place)
{
    BdShape shape = { f->format, f->width, f->height, f->range, f->matrix };
    BdMatteInfo info = { map_w, map_h, { 0 } };
    if (place)
        info.place = *place;
    BdEnv env = { 0 };
    inst_uninit(in);
    int err = in->c->init(in->priv, &env, &shape, &info);
    in->ready = 1;
    return err;
}

/* One frame through the component: job->matte as given. */
static int inst_run(Inst *in, const BackdropFrame *f, BdMatte *m)
{
    BdEnv env = { 0 };
    BdFrameJob job = { .in = f, .fg = f };
    job.matte = *m;
    int err = in->c->run(in->priv, &env, &job);
    *m = job.matte;
    return err;
}

/* ---- box means -------------------------------------------------------------- */

static int test_box_mean_matches_reference(void)
{
    static const int sizes[][2] = { { 1, 1 }, { 1, 9 }, { 9, 1 }, { 2, 2 }, { 7, 5 }, { 33, 17 }, { 64, 3 },
                                    { 3, 40 }, { 120, 70 } };
    static const int channels[] = { 1, 2, 3, 4, 5, 16 };
    static const int radii[] = { 0, 1, 2, 3, 6, 17, -1 }; /* -1: past the picture's size */
    uint32_t seed = 4242;
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
        for (size_t c = 0; c < sizeof(channels) / sizeof(channels[0]); c++)
            for (size_t r = 0; r < sizeof(radii) / sizeof(radii[0]); r++) {
                int w = sizes[s][0], h = sizes[s][1], ch = channels[c], rad = radii[r];
                if (rad < 0)
                    rad = (w > h ? w : h) + 3;
                size_t n = (size_t)w * h * ch;
                /* The reference costs (2r + 1)^2 per value. */
                if ((double)(2 * rad + 1) * (2 * rad + 1) * (double)n > 3e7)
                    continue;
                float *src = malloc(sizeof(float) * n), *dst = malloc(sizeof(float) * n);
                float *ref = malloc(sizeof(float) * n);
                /* Exactly the scratch asked for: an overrun shows under ASan. */
                float *scratch = malloc(bd_box_mean_scratch(w, ch));
                CHECK(src && dst && ref && scratch, "out of memory");
                /* Values in [0, 1], with a few planes of a larger scale. */
                for (size_t i = 0; i < n; i++)
                    src[i] = (float)lcg_unit(&seed) * (i % ch == 1 ? 4.0f : 1.0f);
                bd_box_mean(src, dst, w, h, ch, rad, scratch);
                bd_box_mean_ref(src, ref, w, h, ch, rad);
                /* The reference is itself checked against a direct mean
                 * at a few points (the window cut to the picture). */
                for (int k = 0; k < 3; k++) {
                    int x = lcg_int(&seed, 0, w - 1), y = lcg_int(&seed, 0, h - 1), cc = lcg_int(&seed, 0, ch - 1);
                    double sum = 0;
                    int count = 0;
                    for (int v = (y - rad > 0 ? y - rad : 0); v <= y + rad && v < h; v++)
                        for (int u = (x - rad > 0 ? x - rad : 0); u <= x + rad && u < w; u++, count++)
                            sum += src[((size_t)v * w + u) * ch + cc];
                    double want = sum / count, got = ref[((size_t)y * w + x) * ch + cc];
                    if (fabs(got - want) > 1e-6 * (1 + fabs(want))) {
                        free(src), free(dst), free(ref), free(scratch);
                        CHECK(0, "reference %dx%d c%d r%d at (%d,%d,%d): %g, want %g", w, h, ch, rad, x, y, cc,
                              got, want);
                    }
                }
                double worst = 0;
                size_t worst_i = 0;
                for (size_t i = 0; i < n; i++) {
                    double e = fabs((double)dst[i] - ref[i]) / (1.0 + fabs(ref[i]));
                    if (!(e <= worst)) {
                        worst = e;
                        worst_i = i;
                    }
                }
                float got = dst[worst_i], want = ref[worst_i];
                free(src), free(dst), free(ref), free(scratch);
                CHECK(worst <= 1e-5, "%dx%d channels %d radius %d: value %zu is %.8g, reference %.8g", w, h, ch,
                      rad, worst_i, got, want);
            }
    return UNIT_PASS;
}

/* ---- the guided filter in double ------------------------------------------- */

/* BD_KERNEL_AREA along one axis (scale.h): destination d over the source
 * interval [start, start + span) of a line of limit samples; returns the
 * number of taps. */
static int area_axis(int d, int length, double start, double span, int limit, int *idx, double *w)
{
    double scale = span / length;
    int n = 0;
    if (scale > 1.0) {
        double a = start + d * scale, b = a + scale;
        for (int i = (int)floor(a); i < b; i++) {
            double lo = i > a ? i : a, hi = i + 1 < b ? i + 1 : b;
            if (hi - lo <= 1e-9)
                continue;
            idx[n] = i < 0 ? 0 : i >= limit ? limit - 1 : i;
            w[n++] = (hi - lo) / scale;
        }
    } else {
        double c = start + (d + 0.5) * scale - 0.5;
        int i = (int)floor(c);
        double f = c - i;
        idx[0] = i < 0 ? 0 : i >= limit ? limit - 1 : i;
        idx[1] = i + 1 < 0 ? 0 : i + 1 >= limit ? limit - 1 : i + 1;
        w[0] = 1 - f;
        w[1] = f;
        n = 2;
    }
    return n;
}

/* BD_KERNEL_BILINEAR along one axis: whole-pixel interval [offset, offset
 * + len), edge values held beyond the outer centres. */
static void bilinear_axis(int d, int length, int offset, int len, int idx[2], double w[2])
{
    double c = (d + 0.5) * len / length - 0.5;
    c = c < 0 ? 0 : c > len - 1 ? len - 1 : c;
    int i0 = (int)floor(c);
    if (i0 > len - 2)
        i0 = len > 1 ? len - 2 : 0;
    double f = len > 1 ? c - i0 : 0;
    idx[0] = offset + i0;
    idx[1] = offset + (len > 1 ? i0 + 1 : i0);
    w[0] = 1 - f;
    w[1] = f;
}

/* guided.c's upsampling taps: n grid samples to length frame samples,
 * half-pixel centres, clamped at both ends. */
static void upsample_axis(int x, int n, int length, int *j0, int *j1, double *f)
{
    double s = (x + 0.5) * n / length - 0.5;
    int i = s <= 0 ? 0 : (int)s;
    double frac = s <= 0 ? 0 : s - i;
    if (i >= n - 1) {
        i = n - 1;
        frac = 0;
    }
    *j0 = i;
    *j1 = i + 1 < n ? i + 1 : n - 1;
    *f = frac;
}

/* Sample k of pixel (x, y) of a frame: plane k of YUV420P (chroma planes
 * at their own size), byte k of a packed pixel. */
static int frame_value(const BackdropFrame *f, int k, int x, int y)
{
    if (f->format == BACKDROP_PIXFMT_YUV420P)
        return f->data[k][(ptrdiff_t)y * f->stride[k] + x];
    return f->data[0][(ptrdiff_t)y * f->stride[0] + 3 * x + k];
}

/* Area average of channel k over a rectangle of its plane onto gw x gh. */
static void area_plane(const BackdropFrame *f, int k, double rx, double ry, double rw, double rh, int pw, int ph,
                       int gw, int gh, double *out)
{
    int xi[64], yi[64];
    double xw[64], yw[64];
    for (int gy = 0; gy < gh; gy++) {
        int ny = area_axis(gy, gh, ry, rh, ph, yi, yw);
        for (int gx = 0; gx < gw; gx++) {
            int nx = area_axis(gx, gw, rx, rw, pw, xi, xw);
            double sum = 0;
            for (int a = 0; a < ny; a++)
                for (int b = 0; b < nx; b++)
                    sum += yw[a] * xw[b] * frame_value(f, k, xi[b], yi[a]);
            out[(size_t)gy * gw + gx] = sum;
        }
    }
}

static void box_ref(const double *src, double *dst, int w, int h, int r)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double sum = 0;
            int n = 0;
            for (int v = y - r; v <= y + r; v++)
                for (int u = x - r; u <= x + r; u++)
                    if (u >= 0 && u < w && v >= 0 && v < h) {
                        sum += src[(size_t)v * w + u];
                        n++;
                    }
            dst[(size_t)y * w + x] = sum / n;
        }
}

/* x = S^-1 c for a symmetric positive definite 3x3 S, by Gaussian
 * elimination with partial pivoting. */
static void solve3(double s[3][3], double c[3], double x[3])
{
    double m[3][4];
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++)
            m[i][j] = s[i][j];
        m[i][3] = c[i];
    }
    for (int col = 0; col < 3; col++) {
        int piv = col;
        for (int r = col + 1; r < 3; r++)
            if (fabs(m[r][col]) > fabs(m[piv][col]))
                piv = r;
        for (int j = 0; j < 4; j++) {
            double t = m[col][j];
            m[col][j] = m[piv][j];
            m[piv][j] = t;
        }
        for (int r = col + 1; r < 3; r++) {
            double k = m[r][col] / m[col][col];
            for (int j = col; j < 4; j++)
                m[r][j] -= k * m[col][j];
        }
    }
    for (int i = 2; i >= 0; i--) {
        double v = m[i][3];
        for (int j = i + 1; j < 3; j++)
            v -= m[i][j] * x[j];
        x[i] = v / m[i][i];
    }
}

typedef struct GuidedCase {
    int color;   /* guide color, else luma */
    int radius;  /* the option (frame pixels; 0: the stage's default) */
    float eps;
} GuidedCase;

/* q of every frame pixel inside the placement (NAN outside), computed
 * directly in double as guided.c defines it. */
static void guided_reference(const BackdropFrame *f, const float *map, int map_w, const BdPlacement *p,
                             const GuidedCase *gc, double *q)
{
    int yuv = f->format == BACKDROP_PIXFMT_YUV420P, bgr = f->format == BACKDROP_PIXFMT_BGR24;
    int gw = p->src_w < p->dst_w ? p->src_w : p->dst_w, gh = p->src_h < p->dst_h ? p->src_h : p->dst_h;
    double radius = gc->radius > 0 ? gc->radius * (double)gh / p->dst_h : (gc->color ? 6.0 : 2.0) * gh / p->src_h;
    int r = radius < 1 ? 1 : (int)lround(radius);
    int ch = gc->color ? 3 : 1;
    size_t n = (size_t)gw * gh;
    /* The guide's channels on the grid (/ 255) and p. */
    double *g[3], *raw[3];
    for (int k = 0; k < 3; k++) {
        g[k] = malloc(sizeof(double) * n);
        raw[k] = malloc(sizeof(double) * n);
    }
    double *prob = malloc(sizeof(double) * n);
    int cw = (f->width + 1) / 2, chh = (f->height + 1) / 2;
    for (int k = 0; k < 3; k++) {
        if (yuv && k > 0)
            area_plane(f, k, p->dst_x / 2.0, p->dst_y / 2.0, p->dst_w / 2.0, p->dst_h / 2.0, cw, chh, gw, gh, raw[k]);
        else if (!yuv || k == 0)
            area_plane(f, k, p->dst_x, p->dst_y, p->dst_w, p->dst_h, f->width, f->height, gw, gh, raw[k]);
    }
    for (size_t i = 0; i < n; i++) {
        if (gc->color) {
            for (int k = 0; k < 3; k++)
                g[k][i] = raw[k][i] / 255.0;
        } else if (yuv) {
            g[0][i] = raw[0][i] / 255.0;
        } else {
            double rr = raw[bgr ? 2 : 0][i], gg = raw[1][i], bb = raw[bgr ? 0 : 2][i];
            g[0][i] = (77 * rr + 150 * gg + 29 * bb) / (256.0 * 255.0);
        }
    }
    for (int gy = 0; gy < gh; gy++) {
        int yi[2], xi[2];
        double yw[2], xw[2];
        bilinear_axis(gy, gh, p->src_y, p->src_h, yi, yw);
        for (int gx = 0; gx < gw; gx++) {
            bilinear_axis(gx, gw, p->src_x, p->src_w, xi, xw);
            double v = 0;
            for (int a = 0; a < 2; a++)
                for (int b = 0; b < 2; b++)
                    v += yw[a] * xw[b] * map[(size_t)yi[a] * map_w + xi[b]];
            prob[(size_t)gy * gw + gx] = v;
        }
    }
    /* Box means of I, p, I p, I I^T. */
    double *tmp = malloc(sizeof(double) * n), *mi[3], *mip[3], *mii[3][3], *mp = malloc(sizeof(double) * n);
    box_ref(prob, mp, gw, gh, r);
    for (int k = 0; k < ch; k++) {
        mi[k] = malloc(sizeof(double) * n);
        mip[k] = malloc(sizeof(double) * n);
        box_ref(g[k], mi[k], gw, gh, r);
        for (size_t i = 0; i < n; i++)
            tmp[i] = g[k][i] * prob[i];
        box_ref(tmp, mip[k], gw, gh, r);
        for (int l = k; l < ch; l++) {
            mii[k][l] = malloc(sizeof(double) * n);
            for (size_t i = 0; i < n; i++)
                tmp[i] = g[k][i] * g[l][i];
            box_ref(tmp, mii[k][l], gw, gh, r);
        }
    }
    /* The coefficients a (ch), b, then their box means. */
    double *coef[4], *cmean[4];
    for (int k = 0; k <= ch; k++) {
        coef[k] = malloc(sizeof(double) * n);
        cmean[k] = malloc(sizeof(double) * n);
    }
    for (size_t i = 0; i < n; i++) {
        double s[3][3], c[3], a[3];
        for (int k = 0; k < ch; k++) {
            c[k] = mip[k][i] - mi[k][i] * mp[i];
            for (int l = k; l < ch; l++)
                s[k][l] = s[l][k] = mii[k][l][i] - mi[k][i] * mi[l][i] + (k == l ? gc->eps : 0);
        }
        if (ch == 3)
            solve3(s, c, a);
        else
            a[0] = c[0] / s[0][0];
        double b = mp[i];
        for (int k = 0; k < ch; k++) {
            coef[k][i] = a[k];
            b -= a[k] * mi[k][i];
        }
        coef[ch][i] = b;
    }
    for (int k = 0; k <= ch; k++)
        box_ref(coef[k], cmean[k], gw, gh, r);
    /* Upsampled to the frame; q on the frame's own channels. */
    for (int y = 0; y < f->height; y++)
        for (int x = 0; x < f->width; x++) {
            double *out = &q[(size_t)y * f->width + x];
            int u = x - p->dst_x, v = y - p->dst_y;
            if (u < 0 || v < 0 || u >= p->dst_w || v >= p->dst_h) {
                *out = NAN;
                continue;
            }
            int j0, j1, i0, i1;
            double fx, fy;
            upsample_axis(u, gw, p->dst_w, &j0, &j1, &fx);
            upsample_axis(v, gh, p->dst_h, &i0, &i1, &fy);
            double guide[3];
            if (gc->color) {
                for (int k = 0; k < 3; k++)
                    guide[k] = (yuv && k > 0 ? frame_value(f, k, x / 2, y / 2) : frame_value(f, k, x, y)) / 255.0;
            } else if (yuv) {
                guide[0] = frame_value(f, 0, x, y) / 255.0;
            } else {
                int rr = frame_value(f, bgr ? 2 : 0, x, y), gg = frame_value(f, 1, x, y);
                int bb = frame_value(f, bgr ? 0 : 2, x, y);
                guide[0] = ((77 * rr + 150 * gg + 29 * bb + 128) >> 8) / 255.0;
            }
            double val = 0;
            for (int k = 0; k <= ch; k++) {
                const double *c = cmean[k];
                double top = c[(size_t)i0 * gw + j0] + fx * (c[(size_t)i0 * gw + j1] - c[(size_t)i0 * gw + j0]);
                double bot = c[(size_t)i1 * gw + j0] + fx * (c[(size_t)i1 * gw + j1] - c[(size_t)i1 * gw + j0]);
                double coefv = top + fy * (bot - top);
                val += k < ch ? coefv * guide[k] : coefv;
            }
            *out = val < -1 ? -1 : val > 2 ? 2 : val;
        }
    for (int k = 0; k < 3; k++) {
        free(g[k]);
        free(raw[k]);
    }
    for (int k = 0; k < ch; k++) {
        free(mi[k]);
        free(mip[k]);
        for (int l = k; l < ch; l++)
            free(mii[k][l]);
    }
    for (int k = 0; k <= ch; k++) {
        free(coef[k]);
        free(cmean[k]);
    }
    free(prob);
    free(tmp);
    free(mp);
}

/* The alpha of q as nn_prob_to_alpha_row defines it (float threshold and
 * softness as the stage holds them). */
static int ref_alpha(double q, float t, float s)
{
    if (s <= 0.0f)
        return q > t ? 255 : 0;
    double lo = (double)t - (double)s / 2, v = floor((q - lo) * 255.0 / s + 0.5);
    return v < 0 ? 0 : v > 255 ? 255 : (int)v;
}

/* How far q lies from the values that give alpha a (0: a is alpha(q)). */
static double q_distance(double q, int a, float t, float s)
{
    double lo, hi;
    if (s <= 0.0f) {
        lo = a ? t : -INFINITY; /* 255: q > t; 0: q <= t */
        hi = a ? INFINITY : t;
    } else {
        double foot = (double)t - (double)s / 2, gain = 255.0 / s;
        lo = a == 0 ? -INFINITY : foot + (a - 0.5) / gain;
        hi = a == 255 ? INFINITY : foot + (a + 0.5) / gain;
    }
    return q < lo ? lo - q : q > hi ? q - hi : 0.0;
}

#ifndef GUIDED_SLACK
#define GUIDED_SLACK 5e-4
#endif

/* The stage's alpha against the reference's q: each pixel's alpha is that
 * of a q within slack of the reference's and, on a ramp of softness 0.1
 * or more, at most one level from alpha(q); at least min_equal of them
 * equal alpha(q); outside the placement 0. */
static int compare_alpha(const uint8_t *alpha, ptrdiff_t stride, const double *q, int w, int h, float t, float s,
                         double slack, double min_equal, const char *what)
{
    int equal = 0, inside = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int got = alpha[(ptrdiff_t)y * stride + x];
            double qv = q[(size_t)y * w + x];
            if (isnan(qv)) {
                CHECK(got == 0, "%s: (%d,%d) outside the placement is %d", what, x, y, got);
                continue;
            }
            int want = ref_alpha(qv, t, s);
            double dist = q_distance(qv, got, t, s);
            CHECK(dist <= slack && (s < 0.1f || abs(got - want) <= 1),
                  "%s (threshold %g softness %g): (%d,%d) is %d, reference %d (q %.6f, %.2g away)", what, t, s, x, y,
                  got, want, qv, dist);
            inside++;
            equal += dist <= 1e-6; /* alpha(q) but for ties at a level's edge */
        }
    CHECK(equal >= min_equal * inside, "%s (threshold %g softness %g): only %d of %d pixels equal", what, t, s,
          equal, inside);
    return UNIT_PASS;
}

/* A test picture: a textured background, an ellipse ("the person") of
 * another colour, a band of equal luma but other chroma; no saturated
 * values. flat: no texture (large uniform areas). */
static void make_frame(const BackdropFrame *f, uint32_t *seed, int flat)
{
    int w = f->width, h = f->height, yuv = f->format == BACKDROP_PIXFMT_YUV420P;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double u = (x + 0.5) / w - 0.45, v = (y + 0.5) / h - 0.55;
            int person = u * u / 0.06 + v * v / 0.12 < 1;
            int band = !person && x > w * 3 / 4;
            int noise = flat ? 0 : lcg_int(seed, -12, 12);
            int c0, c1, c2;
            if (person) {
                c0 = 160 + noise;
                c1 = 95 + noise / 2;
                c2 = 120 - noise;
            } else if (band) {
                c0 = 100 + noise;
                c1 = 170;
                c2 = 60;
            } else {
                c0 = 70 + (flat ? 0 : (x / 5 + y / 7) % 3 * 20) + noise;
                c1 = 120 + noise / 3;
                c2 = 140 - noise / 2;
            }
            if (yuv) {
                *sample(f, 0, x, y) = (uint8_t)c0;
            } else {
                uint8_t *px = sample(f, 0, x, y);
                px[0] = (uint8_t)c0;
                px[1] = (uint8_t)c1;
                px[2] = (uint8_t)c2;
            }
        }
    if (yuv)
        for (int y = 0; y < plane_height(f, 1); y++)
            for (int x = 0; x < plane_width(f, 1); x++) {
                double u = (2 * x + 1.0) / w - 0.45, v = (2 * y + 1.0) / h - 0.55;
                int person = u * u / 0.06 + v * v / 0.12 < 1, band = !person && 2 * x > w * 3 / 4;
                int noise = flat ? 0 : lcg_int(seed, -6, 6);
                *sample(f, 1, x, y) = (uint8_t)((person ? 100 : band ? 170 : 125) + noise);
                *sample(f, 2, x, y) = (uint8_t)((person ? 160 : band ? 90 : 130) - noise);
            }
}

/* A network-like map over the placement: the ellipse's probability,
 * blurred over about a map pixel, wavering; the padding outside the
 * placement random (the stage must not read it). sharp: 0 and 1 away
 * from the edge exactly. */
static void make_map(float *map, int map_w, int map_h, const BdPlacement *p, int frame_w, int frame_h,
                     uint32_t *seed, int sharp)
{
    for (int y = 0; y < map_h; y++)
        for (int x = 0; x < map_w; x++) {
            float *out = &map[(size_t)y * map_w + x];
            if (x < p->src_x || y < p->src_y || x >= p->src_x + p->src_w || y >= p->src_y + p->src_h) {
                *out = (float)lcg_unit(seed);
                continue;
            }
            /* The map pixel's centre in frame coordinates. */
            double fx = p->dst_x + (x - p->src_x + 0.5) * p->dst_w / p->src_w;
            double fy = p->dst_y + (y - p->src_y + 0.5) * p->dst_h / p->src_h;
            double u = fx / frame_w - 0.45, v = fy / frame_h - 0.55;
            double d = sqrt(u * u / 0.06 + v * v / 0.12) - 1; /* < 0 inside */
            double prob = 1 / (1 + exp(d * 12));
            if (sharp)
                prob = prob > 0.97 ? 1 : prob < 0.03 ? 0 : prob;
            else
                prob += (lcg_unit(seed) - 0.5) * 0.04;
            *out = (float)(prob < 0 ? 0 : prob > 1 ? 1 : prob);
        }
}

typedef struct GuidedRun {
    const BackdropFrame *frame;
    const float *map;
    int map_w, map_h;
    BdPlacement place;
    const float *picture;
    float affine[3][4];
} GuidedRun;

/* Runs the stage (already initialised) on one frame into alpha, which is
 * first filled with a byte that the stage must overwrite. */
static int guided_once(Inst *g, const GuidedRun *r, uint8_t *alpha, ptrdiff_t stride, int fill)
{
    memset(alpha, fill, (size_t)stride * r->frame->height);
    BdMatte m = { .soft = r->map, .picture = r->picture, .alpha = alpha, .alpha_stride = stride };
    memcpy(m.picture_affine, r->affine, sizeof(m.picture_affine));
    CHECK_INT(inst_run(g, r->frame, &m), 0);
    CHECK(m.alpha_valid, "alpha not marked valid");
    return UNIT_PASS;
}

static Inst *guided_new(const GuidedCase *gc)
{
    Inst *g = inst_new(&bd_refine_guided);
    char buf[32];
    inst_set(g, "guide", gc->color ? "color" : "luma");
    snprintf(buf, sizeof(buf), "%d", gc->radius);
    inst_set(g, "radius", buf);
    snprintf(buf, sizeof(buf), "%g", gc->eps);
    inst_set(g, "eps", buf);
    return g;
}

static void set_ramp(Inst *g, float t, float s)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%.9g", t);
    inst_set(g, "threshold", buf);
    snprintf(buf, sizeof(buf), "%.9g", s);
    inst_set(g, "softness", buf);
}

static const BackdropPixelFormat guided_formats[] = { BACKDROP_PIXFMT_YUV420P, BACKDROP_PIXFMT_RGB24,
                                                      BACKDROP_PIXFMT_BGR24 };

static const char *format_name(BackdropPixelFormat f)
{
    return f == BACKDROP_PIXFMT_YUV420P ? "yuv420p" : f == BACKDROP_PIXFMT_RGB24 ? "rgb24" : "bgr24";
}

/* Frame and map sizes and placements: the frame the map's size (the grid
 * is the frame), larger by a whole and a fractional factor, a crop at odd
 * offsets, a padded map, odd frame sizes. */
typedef struct Layout {
    int frame_w, frame_h, map_w, map_h;
    BdPlacement place;
} Layout;

static const Layout layouts[] = {
    { 64, 48, 64, 48, { 0, 0, 64, 48, 0, 0, 64, 48 } },
    { 37, 29, 37, 29, { 0, 0, 37, 29, 0, 0, 37, 29 } },
    { 160, 96, 40, 24, { 0, 0, 40, 24, 0, 0, 160, 96 } },
    { 150, 91, 48, 27, { 0, 0, 48, 27, 0, 0, 150, 91 } },
    { 161, 97, 40, 40, { 0, 0, 40, 40, 33, 5, 97, 87 } },  /* crop: the map over part of the frame */
    { 160, 90, 48, 48, { 0, 11, 48, 27, 0, 0, 160, 90 } }, /* pad: the map's rows above and below are padding */
};
#define LAYOUT_COUNT (sizeof(layouts) / sizeof(layouts[0]))

static int test_guided_matches_reference(void)
{
    static const GuidedCase cases[] = {
        { 1, 0, 1e-4f }, { 0, 0, 1e-4f }, { 1, 9, 1e-3f }, { 0, 5, 1e-2f }, { 1, 3, 1e-4f }, { 0, 3, 1e-4f },
    };
    uint32_t seed = 99;
    for (size_t l = 0; l < LAYOUT_COUNT; l++)
        for (size_t fi = 0; fi < 3; fi++)
            for (size_t ci = 0; ci < sizeof(cases) / sizeof(cases[0]); ci++) {
                const Layout *lay = &layouts[l];
                const GuidedCase *gc = &cases[ci];
                BackdropFrame f = frame_new(guided_formats[fi], lay->frame_w, lay->frame_h);
                make_frame(&f, &seed, 0);
                float *map = unit_alloc(sizeof(float) * (size_t)lay->map_w * lay->map_h);
                make_map(map, lay->map_w, lay->map_h, &lay->place, lay->frame_w, lay->frame_h, &seed, 0);
                double *q = unit_alloc(sizeof(double) * (size_t)lay->frame_w * lay->frame_h);
                guided_reference(&f, map, lay->map_w, &lay->place, gc, q);
                Inst *g = guided_new(gc);
                CHECK_INT(inst_init(g, &f, lay->map_w, lay->map_h, &lay->place), 0);
                ptrdiff_t stride = lay->frame_w + 7;
                uint8_t *alpha = unit_alloc((size_t)stride * lay->frame_h);
                GuidedRun run = { &f, map, lay->map_w, lay->map_h, lay->place, NULL, { { 0 } } };
                char what[128];
                snprintf(what, sizeof(what), "layout %zu %s guide %s radius %d eps %g", l,
                         format_name(guided_formats[fi]), gc->color ? "color" : "luma", gc->radius, gc->eps);
                static const float ramps[][2] = { { 0.5f, 0.2f }, { 0.35f, 0.5f } };
                for (int k = 0; k < 2; k++) {
                    set_ramp(g, ramps[k][0], ramps[k][1]);
                    TRY(guided_once(g, &run, alpha, stride, k ? 0xff : 0x5a));
                    TRY(compare_alpha(alpha, stride, q, lay->frame_w, lay->frame_h, ramps[k][0], ramps[k][1], GUIDED_SLACK, 0.98,
                                      what));
                }
            }
    return UNIT_PASS;
}

/* Maps that are 0 and 1 over large areas and frames with uniform areas:
 * most of the alpha is filled by runs; at every threshold and softness
 * the result is what computing every pixel gives. */
static int test_guided_flat_runs_exact(void)
{
    static const float thresholds[] = { 0.0f, 0.02f, 0.1f, 0.3f, 0.5f, 0.501f, 0.7f, 0.95f, 0.999f, 1.0f };
    static const float softnesses[] = { 0.0f, 1e-5f, 0.05f, 0.2f, 0.6f, 1.0f };
    static const GuidedCase cases[] = { { 1, 0, 1e-4f }, { 0, 0, 1e-4f }, { 1, 2, 1e-3f } };
    uint32_t seed = 7;
    for (size_t l = 0; l < LAYOUT_COUNT; l++)
        for (size_t fi = 0; fi < 3; fi++)
            for (size_t ci = 0; ci < sizeof(cases) / sizeof(cases[0]); ci++)
                for (int flat = 0; flat < 2; flat++) {
                    const Layout *lay = &layouts[l];
                    const GuidedCase *gc = &cases[ci];
                    BackdropFrame f = frame_new(guided_formats[fi], lay->frame_w, lay->frame_h);
                    make_frame(&f, &seed, flat);
                    float *map = unit_alloc(sizeof(float) * (size_t)lay->map_w * lay->map_h);
                    make_map(map, lay->map_w, lay->map_h, &lay->place, lay->frame_w, lay->frame_h, &seed, 1);
                    double *q = unit_alloc(sizeof(double) * (size_t)lay->frame_w * lay->frame_h);
                    guided_reference(&f, map, lay->map_w, &lay->place, gc, q);
                    Inst *g = guided_new(gc);
                    CHECK_INT(inst_init(g, &f, lay->map_w, lay->map_h, &lay->place), 0);
                    ptrdiff_t stride = lay->frame_w + 1;
                    uint8_t *alpha = unit_alloc((size_t)stride * lay->frame_h);
                    GuidedRun run = { &f, map, lay->map_w, lay->map_h, lay->place, NULL, { { 0 } } };
                    int filled = 0;
                    for (size_t t = 0; t < sizeof(thresholds) / sizeof(thresholds[0]); t++)
                        for (size_t s = 0; s < sizeof(softnesses) / sizeof(softnesses[0]); s++) {
                            set_ramp(g, thresholds[t], softnesses[s]);
                            TRY(guided_once(g, &run, alpha, stride, (int)(t * 37 + s) & 0xff));
                            char what[128];
                            snprintf(what, sizeof(what), "flat: layout %zu %s guide %s eps %g %s", l,
                                     format_name(guided_formats[fi]), gc->color ? "color" : "luma", gc->eps,
                                     flat ? "flat frame" : "textured frame");
                            TRY(compare_alpha(alpha, stride, q, lay->frame_w, lay->frame_h, thresholds[t],
                                              softnesses[s], GUIDED_SLACK, softnesses[s] >= 0.2f ? 0.98 : softnesses[s] >= 0.05f ? 0.9 : 0, what));
                            for (int y = 0; y < lay->frame_h; y++)
                                for (int x = 0; x < lay->frame_w; x++)
                                    filled += alpha[y * stride + x] == 0 || alpha[y * stride + x] == 255;
                        }
                    /* The maps are mostly saturated: most pixels are the
                     * runs' (a check that the case does exercise them). */
                    CHECK(filled > lay->frame_w * lay->frame_h * 30, "flat: few saturated pixels (%d)", filled);
                }
    return UNIT_PASS;
}

/* The network's input picture (the frame at map resolution, RGB) and its
 * affine relation to the frame's channels give nearly the alpha of the
 * stage's own downscaling of the frame. */
static int test_guided_picture_path_matches(void)
{
    static const struct {
        BackdropPixelFormat format;
        BackdropColorRange range;
        BackdropColorMatrix matrix;
    } kinds[] = {
        { BACKDROP_PIXFMT_YUV420P, BACKDROP_RANGE_LIMITED, BACKDROP_MATRIX_BT601 },
        { BACKDROP_PIXFMT_YUV420P, BACKDROP_RANGE_FULL, BACKDROP_MATRIX_BT709 },
        { BACKDROP_PIXFMT_YUV420P, BACKDROP_RANGE_FULL, BACKDROP_MATRIX_BT601 },
        { BACKDROP_PIXFMT_RGB24, BACKDROP_RANGE_LIMITED, BACKDROP_MATRIX_BT601 },
        { BACKDROP_PIXFMT_BGR24, BACKDROP_RANGE_LIMITED, BACKDROP_MATRIX_BT601 },
    };
    uint32_t seed = 5;
    long total = 0, off = 0;
    int worst = 0;
    for (size_t l = 0; l < LAYOUT_COUNT; l++)
        for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
            const Layout *lay = &layouts[l];
            if (lay->place.src_w > lay->place.dst_w)
                continue; /* the picture is used where the grid is the map */
            BackdropFrame f = frame_new(kinds[k].format, lay->frame_w, lay->frame_h);
            f.range = kinds[k].range;
            f.matrix = kinds[k].matrix;
            make_frame(&f, &seed, 0);
            float *map = unit_alloc(sizeof(float) * (size_t)lay->map_w * lay->map_h);
            make_map(map, lay->map_w, lay->map_h, &lay->place, lay->frame_w, lay->frame_h, &seed, 0);
            float *picture = unit_alloc(sizeof(float) * 3 * (size_t)lay->map_w * lay->map_h);
            /* The padding of the picture: values the stage must not read. */
            for (size_t i = 0; i < 3 * (size_t)lay->map_w * lay->map_h; i++)
                picture[i] = (float)lcg_unit(&seed);
            NnFrameToTensor tt;
            const BdPlacement *p = &lay->place;
            NnRect rect = { p->dst_x, p->dst_y, p->dst_w, p->dst_h };
            CHECK_INT(nn_frame_to_tensor_init(&tt, f.format, f.range, f.matrix, f.width, f.height, rect, lay->map_w,
                                              p->src_x, p->src_y, p->src_w, p->src_h),
                      0);
            nn_frame_to_tensor_run(&tt, &f, picture);
            GuidedRun own = { &f, map, lay->map_w, lay->map_h, lay->place, NULL, { { 0 } } };
            GuidedRun pic = own;
            pic.picture = picture;
            nn_frame_to_tensor_affine(&tt, pic.affine);
            nn_frame_to_tensor_free(&tt);
            GuidedCase gc = { 1, 0, 1e-4f };
            Inst *g = guided_new(&gc);
            CHECK_INT(inst_init(g, &f, lay->map_w, lay->map_h, &lay->place), 0);
            ptrdiff_t stride = lay->frame_w;
            uint8_t *a_own = unit_alloc((size_t)stride * lay->frame_h);
            uint8_t *a_pic = unit_alloc((size_t)stride * lay->frame_h);
            TRY(guided_once(g, &own, a_own, stride, 0x33));
            TRY(guided_once(g, &pic, a_pic, stride, 0x44));
            /* And own again after the picture: no state carried over. */
            uint8_t *again = unit_alloc((size_t)stride * lay->frame_h);
            TRY(guided_once(g, &own, again, stride, 0x55));
            CHECK(!memcmp(again, a_own, (size_t)stride * lay->frame_h), "layout %zu: own path not repeatable", l);
            int differ = 0;
            for (int y = 0; y < lay->frame_h; y++)
                for (int x = 0; x < lay->frame_w; x++) {
                    int d = abs(a_own[y * stride + x] - a_pic[y * stride + x]);
                    worst = d > worst ? d : worst;
                    differ += d > 2;
                    CHECK(d <= 3, "layout %zu %s range %d: (%d,%d) own %d, picture %d", l, format_name(f.format),
                          f.range, x, y, a_own[y * stride + x], a_pic[y * stride + x]);
                }
            CHECK(differ <= lay->frame_w * lay->frame_h / 1000, "layout %zu %s range %d: %d pixels differ by > 2",
                  l, format_name(f.format), f.range, differ);
            total += lay->frame_w * lay->frame_h;
            off += differ;
        }
    CHECK(off * 1000 <= total, "%ld of %ld pixels differ by more than 2 (largest %d)", off, total, worst);
    return UNIT_PASS;
}

/* Crop framing: the map covers a rectangle of the frame; around it the
 * alpha is 0, whatever the buffer held, and inside it is computed (the
 * person is there). */
static int test_guided_placement_outside_is_background(void)
{
    uint32_t seed = 31;
    static const BdPlacement places[] = {
        { 0, 0, 30, 40, 45, 0, 60, 80 },
        { 0, 0, 30, 40, 1, 3, 61, 75 },
        { 0, 0, 30, 40, 0, 0, 60, 80 }, /* the whole frame: nothing outside */
    };
    for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++)
        for (size_t fi = 0; fi < 3; fi++) {
            const BdPlacement *p = &places[i];
            BackdropFrame f = frame_new(guided_formats[fi], 150, 80);
            make_frame(&f, &seed, 0);
            float *map = unit_alloc(sizeof(float) * 30 * 40);
            for (int y = 0; y < 40; y++)
                for (int x = 0; x < 30; x++)
                    map[y * 30 + x] = (x - 15) * (x - 15) + (y - 22) * (y - 22) < 100 ? 0.95f : 0.02f;
            GuidedCase gc = { fi != 1, 0, 1e-4f };
            Inst *g = guided_new(&gc);
            if (i == 2)
                f.width = 60; /* a frame of exactly the placement */
            CHECK_INT(inst_init(g, &f, 30, 40, p), 0);
            ptrdiff_t stride = f.width + 3;
            uint8_t *alpha = unit_alloc((size_t)stride * f.height);
            GuidedRun run = { &f, map, 30, 40, *p, NULL, { { 0 } } };
            double *q = unit_alloc(sizeof(double) * (size_t)f.width * f.height);
            guided_reference(&f, map, 30, p, &gc, q);
            for (int fill = 0; fill < 2; fill++) {
                TRY(guided_once(g, &run, alpha, stride, fill ? 0xff : 0x80));
                int person = 0;
                for (int y = 0; y < f.height; y++)
                    for (int x = 0; x < f.width; x++) {
                        int in = x >= p->dst_x && x < p->dst_x + p->dst_w && y >= p->dst_y && y < p->dst_y + p->dst_h;
                        int a = alpha[y * stride + x];
                        if (!in)
                            CHECK(a == 0, "placement %zu %s: (%d,%d) outside is %d", i, format_name(f.format), x, y,
                                  a);
                        person += in && a == 255;
                    }
                CHECK(person > 200, "placement %zu: only %d foreground pixels inside", i, person);
                TRY(compare_alpha(alpha, stride, q, f.width, f.height, 0.5f, 0.2f, GUIDED_SLACK, 0.98, "placement"));
            }
        }
    return UNIT_PASS;
}

/* ---- stabilisers ------------------------------------------------------------ */

enum { ST_W = 64, ST_H = 48, ST_MW = 16, ST_MH = 12 }; /* a map pixel is 4 x 4 frame pixels */

static const BdPlacement st_full = { 0, 0, ST_MW, ST_MH, 0, 0, ST_W, ST_H };

/* A textured YUV frame (luma 60..190), chroma flat. */
static BackdropFrame still_frame(uint32_t *seed)
{
    BackdropFrame f = frame_new(BACKDROP_PIXFMT_YUV420P, ST_W, ST_H);
    for (int y = 0; y < ST_H; y++)
        for (int x = 0; x < ST_W; x++)
            *sample(&f, 0, x, y) = (uint8_t)lcg_int(seed, 60, 190);
    fill_plane(&f, 1, 120);
    fill_plane(&f, 2, 135);
    return f;
}

/* Runs the stabiliser on frame f with map P; returns the map it hands on. */
static const float *stabilise(Inst *st, const BackdropFrame *f, const float *p)
{
    BdMatte m = { .soft = p };
    if (inst_run(st, f, &m) < 0)
        return NULL;
    return m.soft;
}

/* adaptive.c's update of one map pixel with gate m, in its own float
 * arithmetic. */
static float adaptive_step(float s, float p, float m, Inst *a)
{
    float rise = inst_float(a, "rise"), fall = inst_float(a, "fall"), hold = inst_float(a, "hold");
    float d = p - s;
    float rate = d > 0 ? rise : fall;
    if (fabsf(d) < hold)
        rate *= 0.05f;
    return s + (m + (1 - m) * rate) * d;
}

static int test_ema_average(void)
{
    uint32_t seed = 3;
    BackdropFrame f = still_frame(&seed);
    for (int variant = 0; variant < 2; variant++) {
        Inst *e = inst_new(&bd_stabilise_ema);
        if (variant)
            CHECK_INT(inst_set(e, "keep", "0.5"), 0);
        float keep = inst_float(e, "keep");
        CHECK(keep == (variant ? 0.5f : 0.85f), "keep %g", keep);
        CHECK_INT(inst_init(e, &f, ST_MW, ST_MH, &st_full), 0);
        float p[ST_MW * ST_MH], s[ST_MW * ST_MH], first[ST_MW * ST_MH];
        for (int frame = 0; frame < 6; frame++) {
            for (int i = 0; i < ST_MW * ST_MH; i++)
                p[i] = (float)lcg_unit(&seed);
            if (frame == 0)
                memcpy(first, p, sizeof(p));
            const float *out = stabilise(e, &f, p);
            CHECK(out != NULL && out != p, "frame %d: no map of its own", frame);
            for (int i = 0; i < ST_MW * ST_MH; i++) {
                float want = frame == 0 ? p[i] : keep * s[i] + (1.0f - keep) * p[i];
                CHECK(out[i] == want, "keep %g frame %d pixel %d: %.9g, want %.9g", keep, frame, i, out[i], want);
                if (variant && frame == 1)
                    CHECK(fabs(out[i] - 0.5 * ((double)first[i] + p[i])) < 1e-7, "not the mean");
            }
            memcpy(s, out, sizeof(s));
        }
        /* A new init starts again from the next map. */
        CHECK_INT(inst_init(e, &f, ST_MW, ST_MH, &st_full), 0);
        const float *out = stabilise(e, &f, first);
        CHECK(out && !memcmp(out, first, sizeof(first)), "ema not reset by init");
    }
    return UNIT_PASS;
}

/* A still frame, the network wavering by less than hold around 0.55: the
 * map moves by a twentieth of the rate towards each new value, exactly;
 * it stays near 0.55 and moves far less than the network. With a padded
 * placement, the padding rows are the network's own. */
static int test_adaptive_still_holds(void)
{
    static const BdPlacement places[] = { { 0, 0, ST_MW, ST_MH, 0, 0, ST_W, ST_H },
                                          { 0, 2, ST_MW, 8, 0, 0, ST_W, ST_H } };
    for (int pi = 0; pi < 2; pi++) {
        uint32_t seed = 17;
        const BdPlacement *pl = &places[pi];
        BackdropFrame f = still_frame(&seed);
        Inst *a = inst_new(&bd_stabilise_adaptive);
        CHECK_INT(inst_init(a, &f, ST_MW, ST_MH, pl), 0);
        float p[ST_MW * ST_MH], s[ST_MW * ST_MH];
        double p_moves = 0, s_moves = 0;
        for (int frame = 0; frame < 40; frame++) {
            for (int i = 0; i < ST_MW * ST_MH; i++)
                p[i] = 0.55f + (float)((lcg_unit(&seed) - 0.5) * 0.09);
            const float *out = stabilise(a, &f, p);
            CHECK(out != NULL, "run failed");
            for (int y = 0; y < ST_MH; y++)
                for (int x = 0; x < ST_MW; x++) {
                    int i = y * ST_MW + x, inside = y >= pl->src_y && y < pl->src_y + pl->src_h;
                    float want = frame == 0 || !inside ? p[i] : adaptive_step(s[i], p[i], 0.0f, a);
                    CHECK(out[i] == want, "placement %d frame %d (%d,%d): %.9g, want %.9g", pi, frame, x, y, out[i],
                          want);
                    if (frame > 0 && inside) {
                        CHECK(fabsf(out[i] - 0.55f) <= 0.045f, "left the band: %g", out[i]);
                        s_moves += fabs(out[i] - s[i]);
                        p_moves += fabs(p[i] - s[i]);
                    }
                }
            memcpy(s, out, sizeof(s));
        }
        CHECK(s_moves < p_moves / 15, "the held map moved %g, the network %g", s_moves, p_moves);
    }
    return UNIT_PASS;
}

/* Adds v to the 16 luma pixels of map pixel (mx, my); the first 'extra'
 * of them get one more. */
static void shift_cell(const BackdropFrame *f, int mx, int my, int v, int extra)
{
    for (int k = 0; k < 16; k++) {
        uint8_t *px = sample(f, 0, 4 * mx + k % 4, 4 * my + k / 4);
        *px = (uint8_t)(*px + v + (k < extra ? (v > 0 ? 1 : -1) : 0));
    }
}

/* Where the frame changed by motion or more (in the 3x3 map pixels
 * around), the map is the network's at once, exactly; where it changed by
 * three quarters of motion, the gate is half open; elsewhere the still
 * rule holds. The changes cancel in the frame's mean (no gain). */
static int test_adaptive_motion_follows(void)
{
    uint32_t seed = 23;
    BackdropFrame f1 = still_frame(&seed), f2 = frame_new(BACKDROP_PIXFMT_YUV420P, ST_W, ST_H);
    copy_frame(&f2, &f1);
    shift_cell(&f2, 3, 3, 40, 0);   /* A: +40 */
    shift_cell(&f2, 12, 8, -40, 0); /* B: -40 */
    shift_cell(&f2, 7, 6, 4, 8);    /* C: +4.5 on average */
    shift_cell(&f2, 1, 10, -4, 8);  /* D: -4.5 */
    Inst *a = inst_new(&bd_stabilise_adaptive);
    CHECK_INT(inst_init(a, &f1, ST_MW, ST_MH, &st_full), 0);
    float p1[ST_MW * ST_MH], p2[ST_MW * ST_MH];
    for (int i = 0; i < ST_MW * ST_MH; i++) {
        p1[i] = (float)lcg_unit(&seed);
        p2[i] = (float)lcg_unit(&seed);
    }
    const float *out = stabilise(a, &f1, p1);
    CHECK(out && !memcmp(out, p1, sizeof(p1)), "first frame: S = P");
    out = stabilise(a, &f2, p2);
    CHECK(out != NULL, "run failed");
    float half = inst_float(a, "motion") / 2, partial = (4.5f - half) * (1.0f / half);
    int moved = 0;
    for (int y = 0; y < ST_MH; y++)
        for (int x = 0; x < ST_MW; x++) {
            int i = y * ST_MW + x;
            int near_ab = (abs(x - 3) <= 1 && abs(y - 3) <= 1) || (abs(x - 12) <= 1 && abs(y - 8) <= 1);
            int near_cd = (abs(x - 7) <= 1 && abs(y - 6) <= 1) || (abs(x - 1) <= 1 && abs(y - 10) <= 1);
            if (near_ab) {
                CHECK(out[i] == p2[i], "moved (%d,%d): %.9g, want P = %.9g (from %.9g)", x, y, out[i], p2[i], p1[i]);
                moved++;
            } else {
                float want = adaptive_step(p1[i], p2[i], near_cd ? partial : 0.0f, a);
                CHECK(out[i] == want, "(%d,%d) %s: %.9g, want %.9g", x, y, near_cd ? "half open" : "still", out[i],
                      want);
            }
        }
    CHECK_INT(moved, 18);
    CHECK(partial == 0.5f, "gate %g", partial);
    return UNIT_PASS;
}

/* A global brightness change of 2 % (a camera's exposure) does not open
 * the gate: the still rule holds everywhere, in YUV and RGB, though the
 * bright areas change by more than motion / 2 in absolute terms. */
static int test_adaptive_gain_ignored(void)
{
    static const BackdropPixelFormat formats[] = { BACKDROP_PIXFMT_YUV420P, BACKDROP_PIXFMT_RGB24,
                                                   BACKDROP_PIXFMT_BGR24 };
    for (int fi = 0; fi < 3; fi++) {
        uint32_t seed = 41;
        BackdropFrame f1 = frame_new(formats[fi], ST_W, ST_H), f2 = frame_new(formats[fi], ST_W, ST_H);
        int packed = formats[fi] != BACKDROP_PIXFMT_YUV420P;
        /* Left half dark texture, right half bright (230..240). */
        for (int y = 0; y < ST_H; y++)
            for (int x = 0; x < ST_W; x++)
                for (int c = 0; c < (packed ? 3 : 1); c++) {
                    int v = x < ST_W / 2 ? lcg_int(&seed, 40, 120) : lcg_int(&seed, 230, 240);
                    sample(&f1, 0, x, y)[c] = (uint8_t)v;
                    sample(&f2, 0, x, y)[c] = (uint8_t)lround(v * 1.02);
                }
        if (!packed)
            for (int p = 1; p < 3; p++) {
                fill_plane(&f1, p, 128);
                fill_plane(&f2, p, 128);
            }
        Inst *a = inst_new(&bd_stabilise_adaptive);
        CHECK_INT(inst_init(a, &f1, ST_MW, ST_MH, &st_full), 0);
        /* Without the gain the bright map pixels would count as moving. */
        CHECK(235 * 0.02 > inst_float(a, "motion") / 2 * 1.5, "the test's change is too small to tell");
        float p1[ST_MW * ST_MH], p2[ST_MW * ST_MH];
        for (int i = 0; i < ST_MW * ST_MH; i++) {
            p1[i] = (float)lcg_unit(&seed);
            p2[i] = (float)lcg_unit(&seed);
        }
        CHECK(stabilise(a, &f1, p1) != NULL, "run failed");
        const float *out = stabilise(a, &f2, p2);
        CHECK(out != NULL, "run failed");
        for (int i = 0; i < ST_MW * ST_MH; i++) {
            float want = adaptive_step(p1[i], p2[i], 0.0f, a);
            CHECK(out[i] == want, "%s map pixel (%d,%d): %.9g, want %.9g (still; P %.9g)", format_name(formats[fi]),
                  i % ST_MW, i / ST_MW, out[i], want, p2[i]);
        }
    }
    return UNIT_PASS;
}

/* Still frame: a higher new value is taken at rise, a lower one at fall,
 * a change under hold at a twentieth; values known in advance. */
static int test_adaptive_rise_fall(void)
{
    static const struct {
        const char *rise, *fall, *hold;
        float s, p, want;
    } cases[] = {
        { "0.5", "0.2", "0.1", 0.2f, 0.7f, 0.45f },     /* up: rise */
        { "0.5", "0.2", "0.1", 0.8f, 0.3f, 0.7f },      /* down: fall */
        { "0.5", "0.2", "0.1", 0.5f, 0.56f, 0.5015f },  /* up under hold: rise / 20 */
        { "0.5", "0.2", "0.1", 0.5f, 0.44f, 0.4994f },  /* down under hold: fall / 20 */
        { "0.9", "0.05", "0.3", 0.1f, 0.9f, 0.82f },
        { "0.9", "0.05", "0.3", 0.9f, 0.1f, 0.86f },
        { "0.9", "0.05", "0.3", 0.4f, 0.6f, 0.409f },
        { "1", "0", "0", 0.3f, 0.6f, 0.6f },
        { "1", "0", "0", 0.6f, 0.3f, 0.6f },
    };
    uint32_t seed = 8;
    BackdropFrame f = still_frame(&seed);
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        Inst *a = inst_new(&bd_stabilise_adaptive);
        CHECK_INT(inst_set(a, "rise", cases[c].rise), 0);
        CHECK_INT(inst_set(a, "fall", cases[c].fall), 0);
        CHECK_INT(inst_set(a, "hold", cases[c].hold), 0);
        CHECK_INT(inst_init(a, &f, ST_MW, ST_MH, &st_full), 0);
        float p[ST_MW * ST_MH];
        for (int i = 0; i < ST_MW * ST_MH; i++)
            p[i] = cases[c].s;
        CHECK(stabilise(a, &f, p) != NULL, "run failed");
        for (int i = 0; i < ST_MW * ST_MH; i++)
            p[i] = cases[c].p;
        const float *out = stabilise(a, &f, p);
        CHECK(out != NULL, "run failed");
        float exact = adaptive_step(cases[c].s, cases[c].p, 0.0f, a);
        for (int i = 0; i < ST_MW * ST_MH; i++) {
            CHECK(out[i] == exact, "case %zu pixel %d: %.9g, want %.9g", c, i, out[i], exact);
            CHECK(fabsf(out[i] - cases[c].want) < 1e-6f, "case %zu: %.9g, want %g", c, out[i], cases[c].want);
        }
    }
    return UNIT_PASS;
}

/* A new init (new shape, or the same again) forgets the kept map and the
 * previous frame: the next map is taken as it is. */
static int test_adaptive_reset_on_shape(void)
{
    uint32_t seed = 12;
    BackdropFrame f = still_frame(&seed);
    Inst *a = inst_new(&bd_stabilise_adaptive);
    float p[ST_MW * ST_MH];
    for (int round = 0; round < 3; round++) {
        const BackdropFrame *frame = &f;
        BackdropFrame small = frame_new(BACKDROP_PIXFMT_RGB24, 32, 24);
        int mw = ST_MW, mh = ST_MH;
        BdPlacement pl = st_full;
        if (round == 1) {
            fill_random(&small, &seed);
            frame = &small;
            mw = 8;
            mh = 6;
            pl = (BdPlacement){ 0, 0, 8, 6, 0, 0, 32, 24 };
        }
        CHECK_INT(inst_init(a, frame, mw, mh, &pl), 0);
        for (int k = 0; k < 4; k++) {
            for (int i = 0; i < mw * mh; i++)
                p[i] = (float)lcg_unit(&seed);
            const float *out = stabilise(a, frame, p);
            CHECK(out != NULL, "run failed");
            int same = !memcmp(out, p, sizeof(float) * (size_t)mw * mh);
            CHECK(same == (k == 0), "round %d frame %d: the map %s the network's", round, k,
                  same ? "is" : "is not");
        }
    }
    return UNIT_PASS;
}

/* ---- regions --------------------------------------------------------------- */

/* Sets the listed map pixels (x, y pairs) to v. */
static void put_cells(float *map, int w, const int (*cells)[2], int n, int ox, int oy, float v)
{
    for (int i = 0; i < n; i++)
        map[(oy + cells[i][1]) * w + ox + cells[i][0]] = v;
}

/* Specks and holes as shares of the frame's area, in map pixels: with one
 * map pixel = dst_w dst_h / (src_w src_h) frame pixels, a person region of
 * one pixel less than the limit goes, one of the limit stays; a hole of
 * one less is filled, one of the limit stays. Two placements with their
 * own conversion. */
static int test_regions_specks_holes_scaled(void)
{
    /* 7 and 8 pixels, 8-connected (a diagonal step included). */
    static const int seven[][2] = { { 0, 0 }, { 1, 0 }, { 2, 0 }, { 3, 1 }, { 3, 2 }, { 2, 2 }, { 1, 2 } };
    static const int eight[][2] = { { 0, 0 }, { 1, 0 }, { 2, 0 }, { 3, 1 }, { 3, 2 }, { 2, 2 }, { 1, 2 }, { 0, 2 } };
    /* A 4-connected hole of 7 and of 8 pixels. */
    static const int hole7[][2] = { { 0, 0 }, { 1, 0 }, { 2, 0 }, { 3, 0 }, { 0, 1 }, { 1, 1 }, { 2, 1 } };
    static const int hole8[][2] = { { 0, 0 }, { 1, 0 }, { 2, 0 }, { 3, 0 }, { 0, 1 }, { 1, 1 }, { 2, 1 }, { 3, 1 } };
    static const struct {
        int frame_w, frame_h, map_w, map_h;
        BdPlacement place;
        const char *percent; /* lround(percent * map pixels per percent) = 8 */
    } layouts_r[] = {
        /* 1 % of 160 x 96 = 153.6 frame pixels = 26.67 map pixels of 5.76 */
        { 160, 96, 40, 40, { 0, 0, 40, 40, 32, 0, 96, 96 }, "0.3" },
        /* 1 % = 153.6 frame pixels = 9.6 map pixels of 16 */
        { 160, 96, 40, 24, { 0, 0, 40, 24, 0, 0, 160, 96 }, "0.8" },
    };
    for (size_t l = 0; l < 2; l++) {
        int mw = layouts_r[l].map_w, mh = layouts_r[l].map_h;
        BackdropFrame f = frame_new(BACKDROP_PIXFMT_YUV420P, layouts_r[l].frame_w, layouts_r[l].frame_h);
        float *map = unit_alloc(sizeof(float) * (size_t)mw * mh), *want = unit_alloc(sizeof(float) * (size_t)mw * mh);
        put_cells(map, mw, seven, 7, 2, 2, 0.9f);  /* speck: goes */
        put_cells(map, mw, eight, 8, 10, 2, 0.9f); /* stays */
        for (int y = 9; y < 21; y++)
            for (int x = 2; x < 34; x++)
                map[y * mw + x] = 1.0f;
        put_cells(map, mw, hole7, 7, 5, 12, 0.1f);  /* filled */
        put_cells(map, mw, hole8, 8, 22, 12, 0.1f); /* stays */
        memcpy(want, map, sizeof(float) * (size_t)mw * mh);
        put_cells(want, mw, seven, 7, 2, 2, 0.0f);
        put_cells(want, mw, hole7, 7, 5, 12, 1.0f);
        float *keep = unit_alloc(sizeof(float) * (size_t)mw * mh);
        memcpy(keep, map, sizeof(float) * (size_t)mw * mh);
        for (int which = 0; which < 3; which++) {
            Inst *r = inst_new(&bd_cleanup_regions);
            CHECK_INT(inst_set(r, "specks", which != 2 ? layouts_r[l].percent : "0"), 0);
            CHECK_INT(inst_set(r, "holes", which != 1 ? layouts_r[l].percent : "0"), 0);
            CHECK_INT(inst_init(r, &f, mw, mh, &layouts_r[l].place), 0);
            BdMatte m = { .soft = map };
            CHECK_INT(inst_run(r, &f, &m), 0);
            CHECK(!memcmp(map, keep, sizeof(float) * (size_t)mw * mh), "the input map was changed");
            CHECK(m.soft != map, "no map of its own");
            for (int y = 0; y < mh; y++)
                for (int x = 0; x < mw; x++) {
                    int i = y * mw + x;
                    /* which 1: specks only; 2: holes only */
                    float w = want[i];
                    if (which == 1 && map[i] == 0.1f)
                        w = map[i];
                    if (which == 2 && map[i] == 0.9f)
                        w = map[i];
                    CHECK(m.soft[i] == w, "layout %zu case %d: (%d,%d) is %g, want %g", l, which, x, y, m.soft[i],
                          w);
                }
        }
    }
    return UNIT_PASS;
}

/* The finish on a full-size alpha of a method without a soft map: expand
 * N is the maximum over the (2N+1)^2 square (clipped at the border),
 * -N the minimum; the alpha of a frame without a valid alpha is left. */
static int test_regions_expand_alpha(void)
{
    enum { W = 41, H = 29 };
    static const int radii[] = { 1, 3, 7, -1, -2, -5, 64, -64 };
    uint32_t seed = 55;
    BackdropFrame f = frame_new(BACKDROP_PIXFMT_RGB24, W, H);
    ptrdiff_t stride = W + 9;
    uint8_t *alpha = unit_alloc((size_t)stride * H), *orig = unit_alloc((size_t)stride * H);
    for (size_t ri = 0; ri < sizeof(radii) / sizeof(radii[0]); ri++) {
        int n = radii[ri];
        /* framediff-like: 0 and 255 with a few blobs, points and grey. */
        memset(orig, 0x77, (size_t)stride * H); /* padding: must stay */
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int v = (x > 12 && x < 30 && y > 6 && y < 22) ? 255 : 0;
                if (lcg_int(&seed, 0, 40) == 0)
                    v = lcg_int(&seed, 0, 255);
                orig[y * stride + x] = (uint8_t)v;
            }
        orig[0] = 255;
        orig[5 * stride + 36] = 200;
        char buf[16];
        snprintf(buf, sizeof(buf), "%d", n);
        Inst *r = inst_new(&bd_cleanup_regions);
        CHECK_INT(inst_set(r, "expand", buf), 0);
        CHECK_INT(inst_init(r, &f, 0, 0, NULL), 0);
        memcpy(alpha, orig, (size_t)stride * H);
        BdEnv env = { 0 };
        BdFrameJob job = { .in = &f, .fg = &f };
        job.matte.alpha = alpha;
        job.matte.alpha_stride = stride;
        /* run: nothing to do without a map. */
        CHECK_INT(r->c->run(r->priv, &env, &job), 0);
        CHECK(!memcmp(alpha, orig, (size_t)stride * H), "run changed the alpha");
        /* finish without a valid alpha: nothing. */
        CHECK_INT(r->c->finish(r->priv, &env, &job), 0);
        CHECK(!memcmp(alpha, orig, (size_t)stride * H), "finish changed an invalid alpha");
        job.matte.alpha_valid = 1;
        CHECK_INT(r->c->finish(r->priv, &env, &job), 0);
        int k = abs(n);
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                int best = n > 0 ? 0 : 255;
                for (int v = y - k; v <= y + k; v++)
                    for (int u = x - k; u <= x + k; u++)
                        if (u >= 0 && u < W && v >= 0 && v < H) {
                            int a = orig[v * stride + u];
                            best = n > 0 ? (a > best ? a : best) : (a < best ? a : best);
                        }
                CHECK(alpha[y * stride + x] == best, "expand %d: (%d,%d) is %d, want %d", n, x, y,
                      alpha[y * stride + x], best);
            }
            for (int x = W; x < stride; x++)
                CHECK(alpha[y * stride + x] == 0x77, "expand %d wrote past the row", n);
        }
    }
    /* A single point grows into an exact square. */
    memset(alpha, 0, (size_t)stride * H);
    alpha[14 * stride + 20] = 255;
    Inst *r = inst_new(&bd_cleanup_regions);
    CHECK_INT(inst_set(r, "expand", "4"), 0);
    CHECK_INT(inst_init(r, &f, 0, 0, NULL), 0);
    BdEnv env = { 0 };
    BdFrameJob job = { .in = &f, .fg = &f };
    job.matte = (BdMatte){ .alpha = alpha, .alpha_stride = stride, .alpha_valid = 1 };
    CHECK_INT(r->c->finish(r->priv, &env, &job), 0);
    int count = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int in = abs(x - 20) <= 4 && abs(y - 14) <= 4;
            CHECK(alpha[y * stride + x] == (in ? 255 : 0), "square: (%d,%d)", x, y);
            count += in;
        }
    CHECK_INT(count, 81);
    return UNIT_PASS;
}

/* specks 0, holes 0, expand 0: the map handed on is the same pointer,
 * the map and the alpha are untouched; so too with limits under 2 map
 * pixels. */
static int test_regions_off_is_identity(void)
{
    static const char *const settings[][3] = { { "0", "0", "0" }, { "0.01", "0.005", "0" } };
    uint32_t seed = 2;
    BackdropFrame f = frame_new(BACKDROP_PIXFMT_YUV420P, 160, 96);
    BdPlacement pl = { 0, 0, 40, 24, 0, 0, 160, 96 };
    float *map = unit_alloc(sizeof(float) * 40 * 24), *keep = unit_alloc(sizeof(float) * 40 * 24);
    for (int i = 0; i < 40 * 24; i++)
        map[i] = lcg_int(&seed, 0, 9) == 0 ? 0.9f : (float)lcg_unit(&seed) * 0.4f; /* specks everywhere */
    memcpy(keep, map, sizeof(float) * 40 * 24);
    ptrdiff_t stride = 163;
    uint8_t *alpha = unit_alloc((size_t)stride * 96), *alpha_keep = unit_alloc((size_t)stride * 96);
    for (size_t i = 0; i < (size_t)stride * 96; i++)
        alpha[i] = (uint8_t)lcg_int(&seed, 0, 255);
    memcpy(alpha_keep, alpha, (size_t)stride * 96);
    for (int s = 0; s < 2; s++) {
        Inst *r = inst_new(&bd_cleanup_regions);
        CHECK_INT(inst_set(r, "specks", settings[s][0]), 0);
        CHECK_INT(inst_set(r, "holes", settings[s][1]), 0);
        CHECK_INT(inst_set(r, "expand", settings[s][2]), 0);
        CHECK_INT(inst_init(r, &f, 40, 24, &pl), 0);
        BdEnv env = { 0 };
        BdFrameJob job = { .in = &f, .fg = &f };
        job.matte = (BdMatte){ .soft = map, .alpha = alpha, .alpha_stride = stride, .alpha_valid = 1 };
        CHECK_INT(r->c->run(r->priv, &env, &job), 0);
        CHECK(job.matte.soft == map, "setting %d: another map handed on", s);
        CHECK_INT(r->c->finish(r->priv, &env, &job), 0);
        CHECK(!memcmp(map, keep, sizeof(float) * 40 * 24), "setting %d: map changed", s);
        CHECK(!memcmp(alpha, alpha_keep, (size_t)stride * 96), "setting %d: alpha changed", s);
    }
    return UNIT_PASS;
}

/* ---- through the public API -------------------------------------------------- */

static const BackdropOption *context_option(const char *name)
{
    const BackdropOption *o;
    for (int j = 0; (o = backdrop_option("context", j)); j++)
        if (!strcmp(o->name, name))
            return o;
    return NULL;
}

static int has_choice(const BackdropOption *o, const char *name)
{
    for (int i = 0; o->choices[i]; i++)
        if (!strcmp(o->choices[i], name))
            return 1;
    return 0;
}

/* The stage selectors list the registry's components of their kind (and
 * "none" where a stage may be left out); their defaults are guided,
 * adaptive and regions; each choice names a component of that kind. */
static int test_stage_selectors_listed(void)
{
    static const struct {
        const char *option, *def;
        BackdropComponentKind kind;
        int none;
    } sel[] = {
        { "refine", "guided", BACKDROP_COMPONENT_REFINE, 0 },
        { "stabilise", "adaptive", BACKDROP_COMPONENT_STABILISE, 1 },
        { "cleanup", "regions", BACKDROP_COMPONENT_CLEANUP, 1 },
    };
    BackdropSettings settings = settings_with_threads(1);
    BackdropContext *ctx = context_open(&settings);
    CHECK(ctx != NULL, "open failed");
    for (size_t i = 0; i < 3; i++) {
        const BackdropOption *o = context_option(sel[i].option);
        CHECK(o && o->type == BACKDROP_OPTION_CHOICE && o->choices, "context option %s", sel[i].option);
        CHECK(!strcmp(o->default_value, sel[i].def), "%s default %s", sel[i].option, o->default_value);
        CHECK(has_choice(o, sel[i].def), "%s: default not a choice", sel[i].option);
        CHECK(has_choice(o, "none") == sel[i].none, "%s: none", sel[i].option);
        char value[32];
        CHECK_INT(backdrop_get_option(ctx, sel[i].option, value, sizeof(value)), 0);
        CHECK(!strcmp(value, sel[i].def), "%s is %s", sel[i].option, value);
        /* Every component of the kind is a choice, and every choice but
         * none is a component of the kind. */
        const BackdropComponent *c;
        int of_kind = 0;
        for (int k = 0; (c = backdrop_component(k)); k++)
            if (c->kind == sel[i].kind) {
                CHECK(has_choice(o, c->name), "%s: %s missing", sel[i].option, c->name);
                of_kind++;
            }
        int choices = 0;
        while (o->choices[choices])
            choices++;
        CHECK_INT(choices, of_kind + sel[i].none);
        CHECK_INT(backdrop_set_option(ctx, sel[i].option, "no-such-stage"), BACKDROP_EINVAL);
    }
    CHECK(has_choice(context_option("refine"), "bilinear"), "refine bilinear");
    CHECK(has_choice(context_option("stabilise"), "ema"), "stabilise ema");
    return UNIT_PASS;
}

static BackdropContext *open_constant(void)
{
    BackdropSettings s = settings_with_threads(1);
    s.method = "constant";
    return context_open(&s);
}

/* The test method's level drops from 1 to 0 on a still frame: with
 * stabilise none the alpha follows in the next frame; with adaptive (the
 * default) it is held (the map falls at 'fall' a frame: 0.8, 0.64, 0.512,
 * ...) and reaches 0 a few frames later; with cleanup none and refine
 * bilinear the chain still works. */
static int test_stage_none_removes(void)
{
    for (int variant = 0; variant < 4; variant++) {
        BackdropContext *ctx = open_constant();
        CHECK(ctx != NULL, "open failed");
        if (variant == 1)
            CHECK_INT(context_set(ctx, "stabilise", "none", NULL), 0);
        if (variant == 2)
            CHECK_INT(context_set(ctx, "stabilise", "none", "cleanup", "none", "refine", "bilinear", NULL), 0);
        if (variant == 3) /* none, then back: adaptive again */
            CHECK_INT(context_set(ctx, "stabilise", "none", "stabilise", "adaptive", NULL), 0);
        int held = variant == 0 || variant == 3;
        BackdropFrame in = frame_new(BACKDROP_PIXFMT_RGB24, 12, 8), out = frame_new(BACKDROP_PIXFMT_RGB24, 12, 8);
        BackdropFrame matte = frame_new(BACKDROP_PIXFMT_GRAY8, 12, 8);
        uint32_t seed = 1;
        fill_random(&in, &seed);
        CHECK_INT(backdrop_process(ctx, &in, &out, &matte), 0);
        CHECK_INT(*sample(&matte, 0, 5, 4), 255);
        CHECK_INT(context_set(ctx, "level", "0", NULL), 0);
        /* S: 0.8, 0.64, 0.512 (alpha 143 on the ramp 0.4..0.6), 0.41, 0.33 */
        static const int want_held[] = { 255, 255, 143, 12, 0 };
        for (int k = 0; k < 5; k++) {
            CHECK_INT(backdrop_process(ctx, &in, &out, &matte), 0);
            int want = held ? want_held[k] : 0;
            for (int y = 0; y < 8; y++)
                for (int x = 0; x < 12; x++) {
                    int a = *sample(&matte, 0, x, y);
                    CHECK(abs(a - want) <= 1, "variant %d frame %d (%d,%d): alpha %d, want %d", variant, k, x, y, a,
                          want);
                }
        }
    }
    return UNIT_PASS;
}

/* Options reach the selected stages only: an option of a stage that is not
 * selected is unknown (EINVAL), by bare and by qualified name; selecting
 * the stage makes it known, at its default. */
static int test_stage_options_of_selected_only(void)
{
    BackdropContext *ctx = open_constant();
    CHECK(ctx != NULL, "open failed");
    char value[32];
    /* Defaults: guided, adaptive, regions. */
    CHECK_INT(backdrop_set_option(ctx, "motion", "8"), 0);
    CHECK_INT(backdrop_set_option(ctx, "adaptive.hold", "0.05"), 0);
    CHECK_INT(backdrop_set_option(ctx, "keep", "0.5"), BACKDROP_EINVAL);
    CHECK_INT(backdrop_set_option(ctx, "ema.keep", "0.5"), BACKDROP_EINVAL);
    CHECK_INT(backdrop_set_option(ctx, "guide", "luma"), 0);
    CHECK_INT(backdrop_set_option(ctx, "guided.eps", "0.001"), 0);
    CHECK_INT(backdrop_set_option(ctx, "bilinear.threshold", "0.4"), BACKDROP_EINVAL);
    CHECK_INT(backdrop_set_option(ctx, "expand", "3"), 0);
    CHECK_INT(backdrop_set_option(ctx, "regions.expand", "-2"), 0);
    CHECK_INT(backdrop_get_option(ctx, "expand", value, sizeof(value)), 0);
    CHECK(!strcmp(value, "-2"), "expand %s", value);
    CHECK_INT(backdrop_set_option(ctx, "regions.expand", "65"), BACKDROP_EINVAL);
    CHECK_INT(backdrop_set_option(ctx, "regions.specks", "0.5"), 0);

    /* Stabilise ema: its option, not adaptive's. */
    CHECK_INT(context_set(ctx, "stabilise", "ema", NULL), 0);
    CHECK_INT(backdrop_set_option(ctx, "motion", "8"), BACKDROP_EINVAL);
    CHECK_INT(backdrop_set_option(ctx, "adaptive.motion", "8"), BACKDROP_EINVAL);
    CHECK_INT(backdrop_get_option(ctx, "keep", value, sizeof(value)), 0);
    CHECK_INT(backdrop_set_option(ctx, "ema.keep", "0.5"), 0);
    /* none: neither. */
    CHECK_INT(context_set(ctx, "context.stabilise", "none", NULL), 0);
    CHECK_INT(backdrop_get_option(ctx, "stabilise", value, sizeof(value)), 0);
    CHECK(!strcmp(value, "none"), "stabilise %s", value);
    CHECK_INT(backdrop_set_option(ctx, "keep", "0.5"), BACKDROP_EINVAL);
    CHECK_INT(backdrop_set_option(ctx, "hold", "0.5"), BACKDROP_EINVAL);
    /* Adaptive again: a new one, at its defaults. */
    CHECK_INT(context_set(ctx, "stabilise", "adaptive", NULL), 0);
    CHECK_INT(backdrop_get_option(ctx, "motion", value, sizeof(value)), 0);
    CHECK(!strcmp(value, "6"), "motion %s after reselecting", value);

    /* Cleanup none: expand, specks and holes are unknown. */
    CHECK_INT(context_set(ctx, "cleanup", "none", NULL), 0);
    CHECK_INT(backdrop_set_option(ctx, "expand", "1"), BACKDROP_EINVAL);
    CHECK_INT(backdrop_set_option(ctx, "regions.expand", "1"), BACKDROP_EINVAL);
    CHECK_INT(backdrop_set_option(ctx, "specks", "1"), BACKDROP_EINVAL);
    CHECK_INT(context_set(ctx, "cleanup", "regions", NULL), 0);
    CHECK_INT(backdrop_set_option(ctx, "regions.expand", "1"), 0);

    /* Refine bilinear: threshold is bilinear's; guide is unknown. */
    CHECK_INT(context_set(ctx, "refine", "bilinear", NULL), 0);
    CHECK_INT(backdrop_set_option(ctx, "guide", "color"), BACKDROP_EINVAL);
    CHECK_INT(backdrop_set_option(ctx, "guided.radius", "4"), BACKDROP_EINVAL);
    CHECK_INT(backdrop_set_option(ctx, "bilinear.threshold", "0.4"), 0);
    CHECK_INT(backdrop_get_option(ctx, "threshold", value, sizeof(value)), 0);
    CHECK(!strcmp(value, "0.4"), "threshold %s", value);
    CHECK_INT(context_set(ctx, "refine", "none", NULL), BACKDROP_EINVAL); /* refine is not optional */

    /* A frame goes through with the chosen stages; then the selectors
     * (not runtime) are fixed. */
    BackdropFrame in = frame_new(BACKDROP_PIXFMT_YUV420P, 16, 10), out = frame_new(BACKDROP_PIXFMT_YUV420P, 16, 10);
    CHECK_INT(backdrop_process(ctx, &in, &out, NULL), 0);
    CHECK_INT(context_set(ctx, "stabilise", "ema", NULL), BACKDROP_ENOTSUP);
    return UNIT_PASS;
}

const UnitTest matte_stage_tests[] = {
    UNIT_TEST(box_mean_matches_reference),
    UNIT_TEST(guided_matches_reference),
    UNIT_TEST(guided_flat_runs_exact),
    UNIT_TEST(guided_picture_path_matches),
    UNIT_TEST(guided_placement_outside_is_background),
    UNIT_TEST(ema_average),
    UNIT_TEST(adaptive_still_holds),
    UNIT_TEST(adaptive_motion_follows),
    UNIT_TEST(adaptive_gain_ignored),
    UNIT_TEST(adaptive_rise_fall),
    UNIT_TEST(adaptive_reset_on_shape),
    UNIT_TEST(regions_specks_holes_scaled),
    UNIT_TEST(regions_expand_alpha),
    UNIT_TEST(regions_off_is_identity),
    UNIT_TEST(stage_selectors_listed),
    UNIT_TEST(stage_none_removes),
    UNIT_TEST(stage_options_of_selected_only),
    UNIT_TESTS_END
};
