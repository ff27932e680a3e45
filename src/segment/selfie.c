/*
 * selfie: neural person segmentation with the MediaPipe selfie models
 * (general 256x256, landscape 144x256), executed with XNNPACK (or, for
 * testing, the plain-C reference executor).
 *
 * Per frame: frame -> float RGB tensor in one resampling pass (resample.c),
 * inference, and the probability map (windows blended) handed on as the
 * matte's soft map with its placement in the frame; the refine stage makes
 * the alpha. The model is parsed once per context, the engine built on the
 * first frame (its option may change until then); the resampling tables
 * once per frame shape.
 *
 * Framing (how a frame whose aspect ratio differs from the model's meets
 * it); measured on ../shared/data in bench/results.csv:
 *  - WINDOWS (default): windows of the model's aspect ratio, as tall (or
 *    wide) as the frame, spread evenly along its long axis so that they
 *    overlap: ceil(long/short) + 1 of them (3 for 16:9 into a square
 *    model). Each is run undistorted; their probabilities are blended with
 *    weights that fall linearly to 0 towards each window's ends, so every
 *    pixel is judged mostly by a window that sees it near its centre.
 *  - STRETCH: the whole frame fills the whole tensor, distorted;
 *  - CROP: a centred crop of the model's aspect; outside it, alpha 0;
 *  - PAD: the whole frame, aspect kept, centred, mid-grey bars around it.
 * A frame of the model's own aspect ratio is one window in every framing.
 *
 * Rotation: video from phones is often stored sideways with a display
 * matrix that turns it upright. The network only knows upright people, so
 * with settings.rotation each window's tensor is turned upright before
 * inference and the answer turned back; framing works in the stored
 * orientation with the model's shape turned the same way.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../pipeline.h"
#include "../nn/graph.h"
#include "../nn/reference.h"
#include "../nn/resample.h"
#include "../nn/xnn.h"

/* Up to 8 windows: aspect ratios up to about 7:1; beyond, PAD is used. */
#define MAX_WINDOWS 8

static const char *const framing_choices[] = { "stretch", "crop", "pad", "windows", NULL };
static const char *const engine_choices[] = { "xnnpack", "reference", NULL };
enum { FRAMING_STRETCH, FRAMING_CROP, FRAMING_PAD, FRAMING_WINDOWS };
enum { ENGINE_XNNPACK, ENGINE_REFERENCE };

typedef struct SelfieOptions {
    int framing;
    int engine;
} SelfieOptions;

typedef struct Selfie {
    SelfieOptions opts;
    /* per context */
    NnGraph graph;
    NnXnn *xnn;             /* the engine, or NULL when using the reference */
    NnReference *reference;
    float *input;           /* the engine's input tensor (H x W x 3) */
    const float *output;    /* the engine's output map (H x W) */
    int tensor_w, tensor_h;  /* the network's input, upright */
    int framing;
    /* Rotation (clockwise quarter turns that show the stored frame
     * upright). All geometry below works in the stored frame's orientation,
     * where the tensor is stored_w x stored_h (swapped for odd turns); when
     * turned, the tensor is resampled into 'turned_input', turned upright
     * into the network's input, and the answer turned back into
     * 'turned_output'. */
    int quarter_turns;
    int stored_w, stored_h;
    float *turned_input, *turned_output;
    /* per shape */
    int width, height;
    int windows;                         /* tensors run per frame */
    /* One resampler: for WINDOWS it fills 'wide', the whole covered frame
     * at map resolution (map_w x map_h x 3), from which each window's
     * tensor is a block copy (window offsets are whole map pixels, so this
     * equals resampling each window on its own, at a third of the cost). */
    NnFrameToTensor to_tensor;
    float *wide;
    /* WINDOWS with more than one window: the blended map (map_w x map_h,
     * covering the frame), each window's offset in it along the long axis,
     * and its normalised blend weight per map column (or row). */
    int horizontal;                      /* windows spread along x */
    int offset[MAX_WINDOWS];
    float *weights;                      /* windows x long-axis length of the map */
    float *blended;
    int map_w, map_h;
} Selfie;

#define FIELD(f) offsetof(SelfieOptions, f)
static const BdOption selfie_options[] = {
    { { "framing", "how a frame of another aspect ratio meets the model: overlapping windows, pad, "
        "distort (stretch), or crop the centre", BACKDROP_OPTION_CHOICE, "windows", 0, 0, framing_choices, 0 },
      FIELD(framing), 1 },
    { { "engine", "XNNPACK, or the slow plain-C reference executor (the oracle for tests)",
        BACKDROP_OPTION_CHOICE, "xnnpack", 0, 0, engine_choices, 0 }, FIELD(engine), 1 },
};

static int selfie_open(void *opaque, const BdEnv *env)
{
    Selfie *sf = opaque;
    const BackdropSettings *s = env->settings;
    const BackdropLogger *log = env->log;
    char err[256] = "";
    if (!s->model_data || !s->model_size) {
        bd_log(log, BACKDROP_LOG_ERROR, "selfie: no model given (settings.model_data)");
        return BACKDROP_EINVAL;
    }
    int ret = nn_graph_load_tflite(&sf->graph, s->model_data, s->model_size, err, sizeof(err));
    if (ret < 0) {
        bd_log(log, BACKDROP_LOG_ERROR, "selfie: model rejected: %s", err);
        return ret;
    }
    const NnTensor *in = &sf->graph.tensors[sf->graph.input];
    const NnTensor *out = &sf->graph.tensors[sf->graph.output];
    if (in->rank != 4 || in->shape[0] != 1 || in->shape[3] != 3 || out->rank != 4 ||
        out->shape[1] != in->shape[1] || out->shape[2] != in->shape[2] || out->shape[3] != 1) {
        bd_log(log, BACKDROP_LOG_ERROR,
               "selfie: model rejected: input must be 1xHxWx3 and output 1xHxWx1 of the same size");
        return BACKDROP_ENOTSUP;
    }
    sf->tensor_h = in->shape[1];
    sf->tensor_w = in->shape[2];
    size_t pixels = (size_t)sf->tensor_w * sf->tensor_h;
    sf->turned_input = malloc(sizeof(float) * 3 * pixels);
    sf->turned_output = malloc(sizeof(float) * pixels);
    if (!sf->turned_input || !sf->turned_output)
        return BACKDROP_ENOMEM;
    return 0;
}

/* Builds the engine the options name; once, on the first frame (the engine
 * option cannot change after that). */
static int create_engine(Selfie *sf, const BdEnv *env)
{
    int ret;
    if (sf->xnn || sf->reference)
        return 0;
    if (sf->opts.engine == ENGINE_REFERENCE) {
        ret = nn_reference_create(&sf->reference, &sf->graph);
        if (ret >= 0) {
            sf->input = nn_reference_input(sf->reference);
            sf->output = nn_reference_output(sf->reference);
        }
    } else {
        ret = nn_xnn_create(&sf->xnn, &sf->graph, env->pool, 0);
        if (ret >= 0) {
            sf->input = nn_xnn_input(sf->xnn);
            sf->output = nn_xnn_output(sf->xnn);
        }
    }
    if (ret < 0)
        bd_log(env->log, BACKDROP_LOG_ERROR, "selfie: cannot build the network: %s", backdrop_strerror(ret));
    return ret;
}

static void selfie_close(void *opaque)
{
    Selfie *sf = opaque;
    nn_xnn_destroy(&sf->xnn);
    nn_reference_destroy(&sf->reference);
    nn_graph_free(&sf->graph);
    free(sf->turned_input);
    free(sf->turned_output);
}

static void selfie_uninit(void *opaque)
{
    Selfie *sf = opaque;
    nn_frame_to_tensor_free(&sf->to_tensor);
    free(sf->weights);
    free(sf->blended);
    free(sf->wide);
    sf->weights = sf->blended = sf->wide = NULL;
}

/* Sets up WINDOWS framing for a frame whose aspect ratio differs from the
 * model's: returns 0, 1 if the frame is too elongated (the caller pads
 * instead), or an error. */
static int init_windows(Selfie *sf, const BdShape *cfg, BdMatteInfo *info)
{
    int fw = cfg->width, fh = cfg->height, tw = sf->stored_w, th = sf->stored_h;
    sf->horizontal = (int64_t)fw * th > (int64_t)tw * fh;
    /* Along the long axis, in map pixels (one map pixel = one tensor pixel
     * of a window, which is scaled to span the frame's short side). */
    int window_len = sf->horizontal ? tw : th;
    double map_len = sf->horizontal ? (double)fw * th / fh : (double)fh * tw / fw;
    double frame_per_map = sf->horizontal ? (double)fh / th : (double)fw / tw;
    int n = (int)ceil(map_len / window_len) + 1;
    if (n > MAX_WINDOWS)
        return 1;
    /* Integer offsets in map pixels, so that window maps add up on one grid;
     * the last window ends within one map pixel of the frame's far edge. */
    int span = (int)floor(map_len) - window_len;
    for (int k = 0; k < n; k++)
        sf->offset[k] = (int)((int64_t)k * span / (n - 1));
    int length = sf->offset[n - 1] + window_len;
    sf->windows = n;
    sf->map_w = sf->horizontal ? length : tw;
    sf->map_h = sf->horizontal ? th : length;
    sf->weights = malloc(sizeof(float) * (size_t)n * (size_t)length);
    sf->blended = malloc(sizeof(float) * (size_t)sf->map_w * (size_t)sf->map_h);
    sf->wide = malloc(sizeof(float) * 3 * (size_t)sf->map_w * (size_t)sf->map_h);
    if (!sf->weights || !sf->blended || !sf->wide)
        return BACKDROP_ENOMEM;
    /* Tent weights, 0.5 at a window's first and last pixel, normalised per
     * map column so that the blend is a weighted mean. */
    for (int i = 0; i < length; i++) {
        double total = 0;
        for (int k = 0; k < n; k++) {
            int t = i - sf->offset[k];
            double w = t < 0 || t >= window_len ? 0.0 : fmin(t + 0.5, window_len - t - 0.5);
            sf->weights[(size_t)k * length + i] = (float)w;
            total += w;
        }
        for (int k = 0; k < n; k++)
            sf->weights[(size_t)k * length + i] = (float)(sf->weights[(size_t)k * length + i] / total);
    }
    double covered = length * frame_per_map;
    NnRect src = sf->horizontal ? (NnRect){ 0, 0, covered, fh } : (NnRect){ 0, 0, fw, covered };
    int err = nn_frame_to_tensor_init(&sf->to_tensor, cfg->format, cfg->range, cfg->matrix, fw, fh, src,
                                      sf->map_w, 0, 0, sf->map_w, sf->map_h);
    if (err < 0)
        return err;
    /* The blended map spans the frame up to under one map pixel at the far
     * edge; mapping it onto the whole frame stretches it by < 0.5 %. */
    info->soft_w = sf->map_w;
    info->soft_h = sf->map_h;
    info->place = (BdPlacement){ 0, 0, sf->map_w, sf->map_h, 0, 0, fw, fh };
    return 0;
}

static int selfie_init(void *opaque, const BdEnv *env, const BdShape *cfg, BdMatteInfo *info)
{
    Selfie *sf = opaque;
    int ret = create_engine(sf, env);
    if (ret < 0)
        return ret;
    /* Rotation: the geometry below works in the stored orientation. */
    sf->quarter_turns = env->quarter_turns;
    sf->stored_w = sf->quarter_turns % 2 ? sf->tensor_h : sf->tensor_w;
    sf->stored_h = sf->quarter_turns % 2 ? sf->tensor_w : sf->tensor_h;
    sf->framing = sf->opts.framing;
    int fw = cfg->width, fh = cfg->height, tw = sf->stored_w, th = sf->stored_h;
    sf->width = fw;
    sf->height = fh;
    sf->windows = 1;
    int crop_x0 = 0, crop_y0 = 0, crop_w = fw, crop_h = fh;
    int64_t frame_aspect = (int64_t)fw * th, tensor_aspect = (int64_t)tw * fh;
    int framing = frame_aspect == tensor_aspect ? FRAMING_STRETCH : sf->framing;
    if (framing == FRAMING_WINDOWS) {
        ret = init_windows(sf, cfg, info);
        if (ret <= 0)
            return ret;
        selfie_uninit(sf);
        sf->windows = 1;
        framing = FRAMING_PAD;
    }
    NnRect src = { 0, 0, fw, fh };
    int dx = 0, dy = 0, dw = tw, dh = th;
    if (framing == FRAMING_CROP) {
        /* One integer box, used both to feed the network and to place its
         * answer, so that the two cannot drift apart by half a pixel. */
        BdFitRect r = bd_fit_rect(BD_FIT_COVER, fw, fh, tw, th);
        crop_x0 = r.src_x;
        crop_y0 = r.src_y;
        crop_w = r.src_w;
        crop_h = r.src_h;
        src = (NnRect){ r.src_x, r.src_y, r.src_w, r.src_h };
    } else if (framing == FRAMING_PAD) {
        BdFitRect r = bd_fit_rect(BD_FIT_CONTAIN, fw, fh, tw, th);
        dx = r.dst_x;
        dy = r.dst_y;
        dw = r.dst_w;
        dh = r.dst_h;
        /* Mid-grey bars, written once: the resampler never touches them. */
        float *tensor = sf->quarter_turns ? sf->turned_input : sf->input;
        for (size_t i = 0; i < (size_t)tw * th * 3; i++)
            tensor[i] = 0.5f;
    }
    int err = nn_frame_to_tensor_init(&sf->to_tensor, cfg->format, cfg->range, cfg->matrix, fw, fh, src, tw,
                                      dx, dy, dw, dh);
    if (err < 0)
        return err;
    /* The map's (dx, dy, dw, dh) covers the crop; outside it the network
     * saw nothing: background. */
    info->soft_w = tw;
    info->soft_h = th;
    info->place = (BdPlacement){ dx, dy, dw, dh, crop_x0, crop_y0, crop_w, crop_h };
    return 0;
}

/* Position in the stored-orientation tensor (stored_w x stored_h) of
 * pixel (u, v) of the upright tensor, after 'turns' clockwise quarter turns
 * that show the stored picture upright. */
static size_t stored_index(const Selfie *sf, int u, int v)
{
    int sw = sf->stored_w, sh = sf->stored_h, x, y;
    switch (sf->quarter_turns) {
    case 1: x = v; y = sh - 1 - u; break;
    case 2: x = sw - 1 - u; y = sh - 1 - v; break;
    default: x = sw - 1 - v; y = u; break;
    }
    return (size_t)y * sw + x;
}

/* Feeds window k (or, with one window, the frame) to the network and
 * returns its probability map in the stored orientation. With windows, the
 * frame was resampled into 'wide' beforehand. */
static const float *run_network(Selfie *sf, const BackdropFrame *in, int k, int *err)
{
    float *tensor = sf->quarter_turns ? sf->turned_input : sf->input;
    if (sf->windows == 1) {
        nn_frame_to_tensor_run(&sf->to_tensor, in, tensor);
    } else if (sf->horizontal) {
        size_t row = 3 * (size_t)sf->stored_w;
        for (int y = 0; y < sf->stored_h; y++)
            memcpy(tensor + y * row, sf->wide + 3 * ((size_t)y * sf->map_w + sf->offset[k]), row * sizeof(float));
    } else {
        memcpy(tensor, sf->wide + 3 * (size_t)sf->offset[k] * sf->map_w,
               3 * (size_t)sf->stored_w * sf->stored_h * sizeof(float));
    }
    if (sf->quarter_turns) {
        for (int v = 0; v < sf->tensor_h; v++)
            for (int u = 0; u < sf->tensor_w; u++) {
                const float *src = sf->turned_input + 3 * stored_index(sf, u, v);
                float *dst = sf->input + 3 * ((size_t)v * sf->tensor_w + u);
                dst[0] = src[0];
                dst[1] = src[1];
                dst[2] = src[2];
            }
    }
    *err = sf->xnn ? nn_xnn_run(sf->xnn) : nn_reference_run(sf->reference);
    if (*err < 0 || !sf->quarter_turns)
        return sf->output;
    for (int v = 0; v < sf->tensor_h; v++)
        for (int u = 0; u < sf->tensor_w; u++)
            sf->turned_output[stored_index(sf, u, v)] = sf->output[(size_t)v * sf->tensor_w + u];
    return sf->turned_output;
}

/* blended += weight (per column, or per row) * window k's map, placed at
 * the window's offset. */
static void blend_window(Selfie *sf, const float *map, int k)
{
    int tw = sf->stored_w, th = sf->stored_h, length = sf->horizontal ? sf->map_w : sf->map_h;
    const float *weight = sf->weights + (size_t)k * length + sf->offset[k];
    for (int y = 0; y < th; y++) {
        const float *p = map + (size_t)y * tw;
        float *out = sf->horizontal ? sf->blended + (size_t)y * sf->map_w + sf->offset[k]
                                    : sf->blended + (size_t)(y + sf->offset[k]) * sf->map_w;
        float wy = sf->horizontal ? 1.0f : weight[y];
        for (int x = 0; x < tw; x++)
            out[x] += (sf->horizontal ? weight[x] : wy) * p[x];
    }
}

static int selfie_run(void *opaque, const BdEnv *env, BdFrameJob *job)
{
    Selfie *sf = opaque;
    const BackdropFrame *in = job->in;
    const float *map;
    int err;
    if (sf->windows > 1) {
        /* The windows cover the map and their weights sum to 1 per column
         * (row), so the sum of weighted maps is the weighted mean. */
        memset(sf->blended, 0, sizeof(float) * (size_t)sf->map_w * (size_t)sf->map_h);
        nn_frame_to_tensor_run(&sf->to_tensor, in, sf->wide);
        for (int k = 0; k < sf->windows; k++) {
            const float *window_map = run_network(sf, in, k, &err);
            if (err < 0)
                return err;
            blend_window(sf, window_map, k);
        }
        map = sf->blended;
    } else {
        map = run_network(sf, in, 0, &err);
        if (err < 0)
            return err;
    }
    job->matte.soft = map;
    return 0;
}

const BdComponent bd_segment_selfie = {
    .pub = { "selfie", BD_KIND(BD_STAGE_SEGMENT), "neural person segmentation with the MediaPipe selfie models",
             BACKDROP_COMPONENT_SOFT_MAP },
    .priv_size = sizeof(Selfie),
    .options = selfie_options,
    .option_count = sizeof(selfie_options) / sizeof(selfie_options[0]),
    .options_offset = offsetof(Selfie, opts),
    .open = selfie_open,
    .close = selfie_close,
    .init = selfie_init,
    .run = selfie_run,
    .uninit = selfie_uninit,
};
