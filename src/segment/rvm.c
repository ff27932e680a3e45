/*
 * rvm: video matting with Robust Video Matting (MobileNetV3; Lin, Yang,
 * Saleemi, Sengupta, WACV 2022), from its TF.js graph model.
 *
 * Unlike selfie, the network sees the whole frame at its own size and
 * answers at that size: pha is a true alpha (hair, soft edges) and fgr the
 * foreground's own colour, and a recurrent state carries the subject from
 * frame to frame. So this method writes the full-size alpha itself (no
 * soft map: the matte stages leave it alone except the cleanup finish),
 * and offers fgr to the compositor as the foreground frame: where the
 * alpha is soft, the composite takes the predicted colour instead of the
 * frame's, which still holds some of the old background.
 *
 * Per context: the model file, read and validated once (format/tfjs.c).
 * Per shape: the graph specialised for the upright frame size and the
 * downsample ratio (nn/rvm.c; the encoder works at ratio x the frame),
 * its engine, the frame -> tensor resampler at 1:1, the foreground frame.
 * The state is reset with the shape, on a scene cut (the picture changed
 * almost everywhere at once), and on request (option "reset").
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../colorspace.h"
#include "../nn/engine.h"
#include "../nn/format/tfjs.h"
#include "../nn/resample.h"
#include "../nn/rvm.h"
#include "../pipeline.h"

static const char *const engine_choices[] = { "xnnpack", "reference", NULL };
static const char *const foreground_choices[] = { "predicted", "original", NULL };

typedef struct RvmOptions {
    float downsample_ratio; /* 0: automatic */
    int engine;             /* index into engine_choices */
    int foreground;         /* 0 predicted, 1 original */
    float scene_cut;        /* 0: never reset on a cut */
    float guard;            /* drift guard: alpha mass below this share of its recent peak; 0: off */
    int guard_frames;       /* at most this many frames in a row held by the guard */
    int reset;              /* a request: reset the state before the next frame */
} RvmOptions;

/* The scene-cut probe: block means of the network's input on a coarse
 * grid, compared frame to frame. */
#define CUT_GRID_W 16
#define CUT_GRID_H 9

typedef struct Rvm {
    RvmOptions opts;
    TfjsModel model;           /* per context */
    /* per shape */
    NnGraph graph;             /* outlives 'engine' */
    NnEngine *engine;
    int src, pha, fgr;         /* ports; below ratio 1 pha and fgr are the refiner's: */
    int coef_A, coef_b;        /* ports of its coefficients (-1 at ratio 1) */
    NnRvmRefiner refiner;
    uint8_t *upright_alpha;    /* with a rotation: the alpha before it is turned */
    float *input;              /* the engine's src */
    int width, height;         /* the frame, stored orientation */
    int up_w, up_h;            /* the network's view, upright */
    int quarter_turns;
    float ratio;               /* in use */
    NnFrameToTensor to_tensor; /* frame -> RGB floats at 1:1, stored orientation */
    float *stored;             /* with a rotation: the stored-orientation tensor */
    Picture fg;                /* the foreground frame offered to the compositor */
    YuvCoefficients yuv;
    BackdropPixelFormat format;
    float cut_grid[CUT_GRID_W * CUT_GRID_H];
    int cut_valid;
    long long frames, resets;  /* per shape: counts (tests) */
    /* Drift guard (per shape): the state after the last good frame, room
     * to undo a retry (state and alpha), the peak of the alpha's area. */
    float *good_state, *undo_state;
    size_t state_count;
    uint8_t *undo_alpha;
    int have_good, held;
    double mass_peak;
    long long retries, holds;
    /* Contention: a thread pool whose workers lose their CPUs to another
     * process is slower than one thread (XNNPACK's pool spins while it
     * waits for a worker; one that is descheduled holds up every op). The
     * fastest network run seen, and how many in a row were far slower. */
    double best_ms;
    int slow_runs;
    int single;                /* the engine runs on the calling thread only now */
} Rvm;

#define FIELD(f) offsetof(RvmOptions, f)
static const BdOption rvm_options[] = {
    { { "downsample-ratio", "the size the encoder works at, as a fraction of the frame (0: automatic, about "
        "480 pixels on the long side; 1: the whole frame, no refiner)", BACKDROP_OPTION_FLOAT, "0", 0, 1, NULL,
        BACKDROP_OPTION_RUNTIME }, FIELD(downsample_ratio), 1 },
    { { "engine", "XNNPACK, or the slow plain-C reference executor (the oracle for tests)",
        BACKDROP_OPTION_CHOICE, "xnnpack", 0, 0, engine_choices, 0 }, FIELD(engine), 1 },
    { { "foreground", "colour of soft edges: the network's predicted foreground, or the frame's own pixels "
        "(which still hold some of the old background)", BACKDROP_OPTION_CHOICE, "predicted", 0, 0,
        foreground_choices, BACKDROP_OPTION_RUNTIME }, FIELD(foreground), 0 },
    { { "scene-cut", "reset the recurrent state when the picture changes by more than this on average "
        "(coarse block means, 0..1; 0: never)", BACKDROP_OPTION_FLOAT, "0.2", 0, 1, NULL,
        BACKDROP_OPTION_RUNTIME }, FIELD(scene_cut), 0 },
    { { "guard", "drift guard: when the alpha's area falls below this share of its recent peak without a scene "
        "cut, run the frame again from the last good state and keep the answer that sees more (0: off)",
        BACKDROP_OPTION_FLOAT, "0.6", 0, 1, NULL, BACKDROP_OPTION_RUNTIME }, FIELD(guard), 0 },
    { { "guard-frames", "drift guard: hold the last good state for at most this many frames in a row, then "
        "accept the smaller matte (the subject may have left)", BACKDROP_OPTION_INT, "30", 1, 100000, NULL,
        BACKDROP_OPTION_RUNTIME }, FIELD(guard_frames), 0 },
    { { "reset", "1: forget the recurrent state before the next frame (a new clip); reads back 0 once done",
        BACKDROP_OPTION_INT, "0", 0, 1, NULL, BACKDROP_OPTION_RUNTIME }, FIELD(reset), 0 },
};

/* The automatic ratio: the encoder at about 480 pixels on the frame's long
 * side (the RVM authors' guidance, 256..512; confirmed on shared/data in
 * bench/results.csv), never above 1. */
#define RVM_AUTO_LONG_SIDE 480

static float auto_ratio(int width, int height)
{
    int long_side = width > height ? width : height;
    if (long_side <= RVM_AUTO_LONG_SIDE)
        return 1.0f;
    return (float)RVM_AUTO_LONG_SIDE / (float)long_side;
}

static int rvm_open(void *opaque, const BdEnv *env)
{
    Rvm *r = opaque;
    const BackdropSettings *s = env->settings;
    if (!s->model_data || !s->model_size || !s->model_weights || !s->model_weights_size) {
        bd_log(env->log, BACKDROP_LOG_ERROR,
               "rvm: no model given (settings.model_data: model.json, settings.model_weights: rvm.bin)");
        return BACKDROP_EINVAL;
    }
    char err[256] = "";
    const uint8_t *shards[1] = { s->model_weights };
    size_t sizes[1] = { s->model_weights_size };
    int ret = tfjs_model_read(&r->model, s->model_data, s->model_size, shards, sizes, 1, err, sizeof(err));
    if (ret < 0) {
        bd_log(env->log, BACKDROP_LOG_ERROR, "rvm: model rejected: %s", err);
        return ret;
    }
    /* Specialise once at a small size now, so that a file that is not RVM
     * fails at open, not on the first frame. */
    NnGraph probe;
    ret = nn_rvm_build(&probe, &r->model, 64, 64, 0.5f, NN_RVM_COEFFICIENTS, err, sizeof(err));
    if (ret < 0) {
        bd_log(env->log, BACKDROP_LOG_ERROR, "rvm: model rejected: %s", err);
        return ret;
    }
    nn_graph_free(&probe);
    return 0;
}

static void rvm_close(void *opaque)
{
    Rvm *r = opaque;
    tfjs_model_free(&r->model);
}

static void rvm_uninit(void *opaque)
{
    Rvm *r = opaque;
    nn_engine_destroy(&r->engine);
    nn_graph_free(&r->graph);
    nn_frame_to_tensor_free(&r->to_tensor);
    nn_rvm_refiner_free(&r->refiner);
    free(r->stored);
    free(r->upright_alpha);
    free(r->good_state);
    free(r->undo_state);
    free(r->undo_alpha);
    r->stored = NULL;
    r->upright_alpha = NULL;
    r->good_state = r->undo_state = NULL;
    r->undo_alpha = NULL;
    bd_picture_free(&r->fg);
}

static int rvm_init(void *opaque, const BdEnv *env, const BdShape *shape, BdMatteInfo *info)
{
    Rvm *r = opaque;
    rvm_uninit(r);
    r->width = shape->width;
    r->height = shape->height;
    r->format = shape->format;
    r->quarter_turns = env->quarter_turns & 3;
    int odd = r->quarter_turns & 1;
    r->up_w = odd ? shape->height : shape->width;
    r->up_h = odd ? shape->width : shape->height;
    r->ratio = r->opts.downsample_ratio > 0 ? r->opts.downsample_ratio : auto_ratio(r->up_w, r->up_h);
    char err[256] = "";
    int ret = nn_rvm_build(&r->graph, &r->model, r->up_w, r->up_h, r->ratio, NN_RVM_COEFFICIENTS, err,
                           sizeof(err));
    if (ret < 0) {
        bd_log(env->log, BACKDROP_LOG_ERROR, "rvm: %s", err);
        return ret;
    }
    ret = nn_engine_create(&r->engine, nn_engine_find(engine_choices[r->opts.engine]), &r->graph,
                           r->single ? NULL : env->pool, 0);
    if (ret < 0) {
        bd_log(env->log, BACKDROP_LOG_ERROR, "rvm: engine %s cannot run the network for %dx%d at ratio %g",
               engine_choices[r->opts.engine], r->up_w, r->up_h, (double)r->ratio);
        return ret;
    }
    r->src = nn_graph_find_input(&r->graph, "src");
    r->pha = nn_graph_find_output(&r->graph, "pha");
    r->fgr = nn_graph_find_output(&r->graph, "fgr");
    r->coef_A = nn_graph_find_output(&r->graph, "fgf_A");
    r->coef_b = nn_graph_find_output(&r->graph, "fgf_b");
    r->input = nn_engine_input(r->engine, r->src);
    if (r->coef_A >= 0) {
        const NnTensor *a = &r->graph.tensors[r->graph.outputs[r->coef_A].tensor];
        ret = nn_rvm_refiner_init(&r->refiner, r->up_w, r->up_h, a->shape[2], a->shape[1]);
        if (ret < 0)
            return ret;
    }
    NnRect whole = { 0, 0, shape->width, shape->height };
    ret = nn_frame_to_tensor_init(&r->to_tensor, shape->format, shape->range, shape->matrix, shape->width,
                                  shape->height, whole, shape->width, 0, 0, shape->width, shape->height);
    if (ret < 0)
        return ret;
    if (r->quarter_turns) {
        r->stored = malloc(3 * sizeof(float) * (size_t)shape->width * shape->height);
        r->upright_alpha = malloc((size_t)shape->width * shape->height);
        if (!r->stored || !r->upright_alpha)
            return BACKDROP_ENOMEM;
    }
    r->state_count = nn_engine_state_count(r->engine);
    r->good_state = malloc(r->state_count * sizeof(float));
    r->undo_state = malloc(r->state_count * sizeof(float));
    r->undo_alpha = malloc((size_t)shape->width * shape->height);
    if (!r->good_state || !r->undo_state || !r->undo_alpha)
        return BACKDROP_ENOMEM;
    r->have_good = r->held = 0;
    r->mass_peak = 0;
    r->retries = r->holds = 0;
    r->best_ms = 0;
    r->slow_runs = 0;
    ret = bd_picture_alloc(&r->fg, shape->format, shape->width, shape->height);
    if (ret < 0)
        return ret;
    r->yuv = bd_yuv_coefficients(shape->range, shape->matrix);
    r->cut_valid = 0;
    r->frames = r->resets = 0;
    info->soft_w = info->soft_h = 0; /* the alpha is written here */
    return 0;
}

/* Stored pixel (x, y) of the upright pixel (u, v) for the turns. */
static size_t stored_index(const Rvm *r, int u, int v)
{
    int sw = r->width, sh = r->height, x, y;
    switch (r->quarter_turns) {
    case 1: x = v; y = sh - 1 - u; break;
    case 2: x = sw - 1 - u; y = sh - 1 - v; break;
    case 3: x = sw - 1 - v; y = u; break;
    default: x = u; y = v; break;
    }
    return (size_t)y * sw + x;
}

/* Block means of the picture's grey level on the cut grid; 1 when they
 * moved by more than the threshold on average since the last frame. */
static int scene_cut(Rvm *r, const float *rgb, int w, int h)
{
    float grid[CUT_GRID_W * CUT_GRID_H];
    for (int gy = 0; gy < CUT_GRID_H; gy++)
        for (int gx = 0; gx < CUT_GRID_W; gx++) {
            int x0 = gx * w / CUT_GRID_W, x1 = (gx + 1) * w / CUT_GRID_W;
            int y0 = gy * h / CUT_GRID_H, y1 = (gy + 1) * h / CUT_GRID_H;
            /* Every 4th pixel each way is plenty for a block mean. */
            double sum = 0;
            int n = 0;
            for (int y = y0; y < y1; y += 4)
                for (int x = x0; x < x1; x += 4) {
                    const float *p = rgb + 3 * ((size_t)y * w + x);
                    sum += p[0] + p[1] + p[2];
                    n++;
                }
            grid[gy * CUT_GRID_W + gx] = n ? (float)(sum / (3.0 * n)) : 0.0f;
        }
    int cut = 0;
    if (r->cut_valid && r->opts.scene_cut > 0) {
        double change = 0;
        for (int k = 0; k < CUT_GRID_W * CUT_GRID_H; k++)
            change += fabsf(grid[k] - r->cut_grid[k]);
        cut = change / (CUT_GRID_W * CUT_GRID_H) > r->opts.scene_cut;
    }
    memcpy(r->cut_grid, grid, sizeof(grid));
    r->cut_valid = 1;
    return cut;
}

/* The upright pixel (u, v) shown at stored pixel (x, y). */
static void upright_of(const Rvm *r, int x, int y, int *u, int *v)
{
    int w = r->width, h = r->height;
    switch (r->quarter_turns) {
    case 1: *u = h - 1 - y, *v = x; break;
    case 2: *u = w - 1 - x, *v = h - 1 - y; break;
    case 3: *u = y, *v = w - 1 - x; break;
    default: *u = x, *v = y; break;
    }
}

/* The predicted foreground colour of upright pixel (u, v). */
static void fgr_at(const Rvm *r, int u, int v, float out[3])
{
    size_t k = (size_t)v * r->up_w + u;
    if (r->coef_A >= 0) {
        nn_rvm_refine_fgr(&r->refiner, nn_engine_output(r->engine, r->coef_A), nn_engine_output(r->engine, r->coef_b),
                          u, v, r->input + 3 * k, out);
    } else {
        const float *c = nn_engine_output(r->engine, r->fgr) + 3 * k;
        out[0] = c[0], out[1] = c[1], out[2] = c[2];
    }
}

static inline uint8_t to_byte(float v)
{
    v = v * 255.0f + 0.5f;
    return v <= 0.0f ? 0 : v >= 255.0f ? 255 : (uint8_t)v;
}

/* The foreground frame: the input, with the predicted colour where the
 * alpha is soft (0 < a < 255). fgr is upright RGB in [0, 1]. */
static void write_foreground(Rvm *r, const BackdropFrame *in, const uint8_t *alpha, ptrdiff_t astride)
{
    const BackdropFrame *fg = &r->fg.frame;
    bd_frame_copy(fg, in);
    int w = r->width, h = r->height;
    if (r->format == BACKDROP_PIXFMT_RGB24 || r->format == BACKDROP_PIXFMT_BGR24) {
        int red = r->format == BACKDROP_PIXFMT_BGR24 ? 2 : 0;
        for (int y = 0; y < h; y++) {
            const uint8_t *a = alpha + y * astride;
            uint8_t *row = fg->data[0] + y * fg->stride[0];
            for (int x = 0; x < w; x++) {
                if (a[x] == 0 || a[x] == 255)
                    continue;
                float c[3];
                int u, v;
                upright_of(r, x, y, &u, &v);
                fgr_at(r, u, v, c);
                row[3 * x + red] = to_byte(c[0]);
                row[3 * x + 1] = to_byte(c[1]);
                row[3 * x + 2 - red] = to_byte(c[2]);
            }
        }
        return;
    }
    /* YUV 4:2:0: luma per pixel; chroma per 2x2 block from the alpha-
     * weighted mean of its soft pixels' predicted colour (kept as the
     * frame's where no pixel of the block is soft). */
    const YuvCoefficients *k = &r->yuv;
    float ky = 1.0f / k->y_scale, kc = 1.0f / k->c_scale;
    float ku = 0.5f / (1.0f - k->kb), kv = 0.5f / (1.0f - k->kr);
    for (int y = 0; y < h; y += 2) {
        for (int x = 0; x < w; x += 2) {
            float wsum = 0, rs = 0, gs = 0, bs = 0;
            int soft = 0;
            for (int dy = 0; dy < 2 && y + dy < h; dy++)
                for (int dx = 0; dx < 2 && x + dx < w; dx++) {
                    int sx = x + dx, sy = y + dy;
                    uint8_t a = alpha[sy * astride + sx];
                    if (a == 0 || a == 255)
                        continue;
                    soft = 1;
                    int u, v;
                    float c[3];
                    upright_of(r, sx, sy, &u, &v);
                    fgr_at(r, u, v, c);
                    float yl = 255.0f * (k->kr * c[0] + k->kg * c[1] + k->kb * c[2]);
                    float yv = yl * ky + k->y_offset;
                    fg->data[0][sy * fg->stride[0] + sx] = yv <= 0 ? 0 : yv >= 255 ? 255 : (uint8_t)(yv + 0.5f);
                    float wa = a;
                    wsum += wa;
                    rs += wa * c[0], gs += wa * c[1], bs += wa * c[2];
                }
            if (!soft)
                continue;
            float cr = rs / wsum, cg = gs / wsum, cb = bs / wsum;
            float yl = k->kr * cr + k->kg * cg + k->kb * cb;
            float uu = 128.0f + 255.0f * (cb - yl) * ku * kc, vv = 128.0f + 255.0f * (cr - yl) * kv * kc;
            fg->data[1][(y >> 1) * fg->stride[1] + (x >> 1)] = uu <= 0 ? 0 : uu >= 255 ? 255 : (uint8_t)(uu + 0.5f);
            fg->data[2][(y >> 1) * fg->stride[2] + (x >> 1)] = vv <= 0 ? 0 : vv >= 255 ? 255 : (uint8_t)(vv + 0.5f);
        }
    }
}

typedef struct AlphaJob {
    const Rvm *r;
    uint8_t *alpha;       /* upright rows */
    ptrdiff_t stride;
} AlphaJob;

/* Upright alpha rows: the refiner's last step, or the graph's pha. */
static void alpha_rows(void *opaque, int first, int rows)
{
    const AlphaJob *j = opaque;
    const Rvm *r = j->r;
    for (int v = first; v < first + rows; v++) {
        uint8_t *a = j->alpha + v * j->stride;
        if (r->coef_A >= 0) {
            nn_rvm_refine_alpha_row(&r->refiner, nn_engine_output(r->engine, r->coef_A),
                                    nn_engine_output(r->engine, r->coef_b), v, r->input + 3 * (size_t)v * r->up_w, a);
        } else {
            const float *p = nn_engine_output(r->engine, r->pha) + (size_t)v * r->up_w;
            for (int u = 0; u < r->up_w; u++)
                a[u] = to_byte(p[u]);
        }
    }
}

/* One inference, its alpha into the matte (stored orientation), and the
 * alpha's area in pixels. */
static double clock_ms(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Under contention (see Rvm.slow_runs), moves the network to the calling
 * thread: a new engine on the same graph without the pool, the state
 * carried over. Once per context: the pool is not tried again. */
#define CONTENTION_FACTOR 3.0 /* a run this much slower than the fastest, */
#define CONTENTION_SHARE 0.75 /* or whose threads got less than this share of their CPUs, */
#define CONTENTION_RUNS 3     /* this many times in a row */
#define CONTENTION_MIN_MS 20.0 /* runs shorter than this are not judged */

static int leave_pool(Rvm *r, const BdEnv *env)
{
    float *state = malloc((r->state_count ? r->state_count : 1) * sizeof(float));
    if (!state)
        return BACKDROP_ENOMEM;
    nn_engine_state_save(r->engine, state);
    NnEngine *one = NULL;
    int err = nn_engine_create(&one, nn_engine_find(engine_choices[r->opts.engine]), &r->graph, NULL, 0);
    if (err < 0) {
        free(state);
        return err;
    }
    nn_engine_state_load(one, state);
    free(state);
    nn_engine_destroy(&r->engine);
    r->engine = one;
    r->input = nn_engine_input(one, r->src);
    r->single = 1;
    bd_log(env->log, BACKDROP_LOG_WARNING,
           "rvm: the thread pool did not get its CPUs for %d frames in a row (other processes are using them, "
           "and the pool's threads then wait for each other); the network goes on on one thread",
           CONTENTION_RUNS);
    return 0;
}

static int infer(Rvm *r, const BdEnv *env, uint8_t *alpha, ptrdiff_t astride, double *mass)
{
    double t0 = clock_ms(CLOCK_MONOTONIC), c0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
    int err = nn_engine_run(r->engine);
    if (err < 0)
        return err;
    if (env->pool && !r->single) {
        /* Busy or spinning, the pool's threads run the whole time when they
         * have CPUs: the process's CPU time is then about threads x wall. */
        double ms = clock_ms(CLOCK_MONOTONIC) - t0, cpu = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
        size_t threads = pthreadpool_get_threads_count(env->pool);
        if (r->best_ms <= 0 || ms < r->best_ms)
            r->best_ms = ms;
        /* Short runs are left alone: thread wake-up dominates them and the
         * clocks' share is noise there (a 64x48 frame takes a millisecond). */
        int slow = ms >= CONTENTION_MIN_MS &&
                   (ms > CONTENTION_FACTOR * r->best_ms || (threads > 1 && cpu < CONTENTION_SHARE * threads * ms));
        r->slow_runs = slow ? r->slow_runs + 1 : 0;
    }
    /* The alpha, upright: straight into the matte, or turned after. */
    AlphaJob aj = { r, r->quarter_turns ? r->upright_alpha : alpha, r->quarter_turns ? r->up_w : astride };
    bd_run_rows(env->pool, alpha_rows, &aj, r->up_h, 1);
    if (r->quarter_turns)
        for (int v = 0; v < r->up_h; v++)
            for (int u = 0; u < r->up_w; u++) {
                size_t s = stored_index(r, u, v);
                alpha[(ptrdiff_t)(s / (size_t)r->width) * astride + (ptrdiff_t)(s % (size_t)r->width)] =
                    r->upright_alpha[(size_t)v * r->up_w + u];
            }
    uint64_t sum = 0;
    for (int y = 0; y < r->height; y++) {
        const uint8_t *a = alpha + y * astride;
        for (int x = 0; x < r->width; x++)
            sum += a[x];
    }
    *mass = (double)sum / 255.0;
    return 0;
}

static void copy_alpha(uint8_t *dst, ptrdiff_t dst_stride, const uint8_t *src, ptrdiff_t src_stride, int w, int h)
{
    for (int y = 0; y < h; y++)
        memcpy(dst + y * dst_stride, src + y * src_stride, (size_t)w);
}

/* The drift guard. A recurrent state can forget the subject: at a low
 * ratio, in a pose the small encoder does not recognise, the matte fades
 * over a few frames and does not come back (dance-jump at ratio 0.5 from
 * frame 44, in TF.js as here). Running the frame from a zero state does
 * not help (the encoder alone does not see the dancer either); running it
 * from the state of the last good frame does: that memory still holds the
 * subject. So when the alpha's area falls below opts.guard of its recent
 * peak, the frame is run again from the last good state, and the answer
 * with more area is kept. At most opts.guard_frames frames in a row are
 * held so; then the smaller matte is accepted (the subject may have left
 * the picture: holding longer would keep a ghost). */
#define GUARD_GOOD 0.85  /* a good state: the alpha's area at least this share of the peak */
#define GUARD_DECAY 0.97 /* the peak follows a shrinking area down by 3 % a frame */

static int guard(Rvm *r, const BdEnv *env, uint8_t *alpha, ptrdiff_t astride, double *mass)
{
    double floor_mass = 0.002 * r->width * r->height; /* below: nobody there to lose */
    int suspicious = r->opts.guard > 0 && r->have_good && r->mass_peak > floor_mass &&
                     *mass < r->opts.guard * r->mass_peak && r->held < r->opts.guard_frames;
    if (suspicious) {
        r->retries++;
        nn_engine_state_save(r->engine, r->undo_state);
        copy_alpha(r->undo_alpha, r->width, alpha, astride, r->width, r->height);
        nn_engine_state_load(r->engine, r->good_state);
        double again;
        int err = infer(r, env, alpha, astride, &again);
        if (err < 0)
            return err;
        if (again > 1.2 * *mass) {
            /* Held: the good state stays the reference. */
            r->holds++;
            r->held++;
            *mass = again;
            return 0;
        }
        nn_engine_state_load(r->engine, r->undo_state);
        copy_alpha(alpha, astride, r->undo_alpha, r->width, r->width, r->height);
    }
    /* Not held. A frame near the peak (or one the guard gave up on) is the
     * new good state; one in between (fading, or just smaller) is not. */
    r->held = 0;
    if (suspicious || !r->have_good || *mass >= GUARD_GOOD * r->mass_peak) {
        nn_engine_state_save(r->engine, r->good_state);
        r->have_good = 1;
    }
    r->mass_peak = suspicious ? *mass : (*mass > GUARD_DECAY * r->mass_peak ? *mass : GUARD_DECAY * r->mass_peak);
    return 0;
}

static int rvm_run(void *opaque, const BdEnv *env, BdFrameJob *job)
{
    Rvm *r = opaque;
    const BackdropFrame *in = job->in;
    /* Before the frame is written into the engine's input. */
    if (r->slow_runs >= CONTENTION_RUNS && !r->single) {
        int err = leave_pool(r, env);
        if (err < 0)
            return err;
    }
    float *tensor = r->quarter_turns ? r->stored : r->input;
    nn_frame_to_tensor_run(&r->to_tensor, in, tensor);
    if (r->quarter_turns)
        for (int v = 0; v < r->up_h; v++)
            for (int u = 0; u < r->up_w; u++) {
                const float *s = r->stored + 3 * stored_index(r, u, v);
                float *d = r->input + 3 * ((size_t)v * r->up_w + u);
                d[0] = s[0], d[1] = s[1], d[2] = s[2];
            }
    int cut = scene_cut(r, r->input, r->up_w, r->up_h) && r->frames > 0;
    int reset = r->opts.reset;
    if (reset || cut) {
        nn_engine_reset(r->engine);
        r->resets++;
        r->opts.reset = 0;
    }
    uint8_t *alpha = job->matte.alpha;
    ptrdiff_t astride = job->matte.alpha_stride;
    double mass;
    int err = infer(r, env, alpha, astride, &mass);
    if (err < 0)
        return err;
    r->frames++;
    if (cut || reset)
        r->have_good = 0, r->mass_peak = 0, r->held = 0;
    err = guard(r, env, alpha, astride, &mass);
    if (err < 0)
        return err;
    job->matte.alpha_valid = 1;
    if (r->opts.foreground == 0) {
        write_foreground(r, in, alpha, astride);
        r->fg.frame.pts = in->pts;
        job->fg = &r->fg.frame;
    }
    return 0;
}

const BdComponent bd_segment_rvm = {
    .pub = { "rvm", BD_KIND(BD_STAGE_SEGMENT),
             "video matting with Robust Video Matting: a true alpha and the foreground's colour, stable in time" },
    .priv_size = sizeof(Rvm),
    .options = rvm_options,
    .option_count = sizeof(rvm_options) / sizeof(rvm_options[0]),
    .options_offset = offsetof(Rvm, opts),
    .open = rvm_open,
    .close = rvm_close,
    .init = rvm_init,
    .run = rvm_run,
    .uninit = rvm_uninit,
};
