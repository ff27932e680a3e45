/*
 * selfie: neural person segmentation with the MediaPipe selfie models
 * (general 256x256, landscape 144x256), executed with XNNPACK (or, for
 * testing, the plain-C reference executor).
 *
 * Per frame: frame -> float RGB tensor in one resampling pass (resample.c),
 * inference, probability map -> alpha at frame size with a threshold and a
 * soft ramp. The model is parsed and the engine built once per context; the
 * resampling tables once per frame shape.
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

#include "method.h"
#include "../nn/engine.h"
#include "../nn/format/tflite.h"
#include "../nn/resample.h"

/* Up to 8 windows: aspect ratios up to about 7:1; beyond, PAD is used. */
#define MAX_WINDOWS 8

typedef struct Selfie {
    /* per context */
    NnGraph graph;
    NnEngine *engine;
    float *input;           /* the engine's input tensor (H x W x 3) */
    const float *output;    /* the engine's output map (H x W) */
    int tensor_w, tensor_h;  /* the network's input, upright */
    float threshold, softness;
    BackdropFraming framing;
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
    NnTensorToAlpha to_alpha;
    /* CROP: the frame area the map covers; alpha 0 outside. */
    int crop_x0, crop_y0, crop_w, crop_h;
} Selfie;

/* The settings' engine choice by name (lib.c has checked the value). */
static const char *const engine_names[] = {
    [BACKDROP_ENGINE_XNNPACK] = "xnnpack",
    [BACKDROP_ENGINE_REFERENCE] = "reference",
};

static int selfie_open(void *opaque, const BackdropSettings *s, pthreadpool_t pool, const BackdropLogger *log)
{
    Selfie *sf = opaque;
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
    int output_port = nn_graph_find_output(&sf->graph, "output");
    const NnTensor *in = &sf->graph.tensors[sf->graph.inputs[0].tensor];
    const NnTensor *out = &sf->graph.tensors[sf->graph.outputs[output_port].tensor];
    if (in->rank != 4 || in->shape[0] != 1 || in->shape[3] != 3 || out->rank != 4 ||
        out->shape[1] != in->shape[1] || out->shape[2] != in->shape[2] || out->shape[3] != 1) {
        bd_log(log, BACKDROP_LOG_ERROR,
               "selfie: model rejected: input must be 1xHxWx3 and output 1xHxWx1 of the same size");
        return BACKDROP_ENOTSUP;
    }
    sf->tensor_h = in->shape[1];
    sf->tensor_w = in->shape[2];
    sf->quarter_turns = s->rotation / 90;
    sf->stored_w = sf->quarter_turns % 2 ? sf->tensor_h : sf->tensor_w;
    sf->stored_h = sf->quarter_turns % 2 ? sf->tensor_w : sf->tensor_h;
    if (sf->quarter_turns) {
        size_t pixels = (size_t)sf->tensor_w * sf->tensor_h;
        sf->turned_input = malloc(sizeof(float) * 3 * pixels);
        sf->turned_output = malloc(sizeof(float) * pixels);
        if (!sf->turned_input || !sf->turned_output)
            return BACKDROP_ENOMEM;
    }
    sf->threshold = s->mask_threshold;
    sf->softness = s->mask_softness;
    sf->framing = s->framing;
    ret = nn_engine_create(&sf->engine, nn_engine_find(engine_names[s->nn_engine]), &sf->graph, pool, 0);
    if (ret >= 0) {
        sf->input = nn_engine_input(sf->engine, 0);
        sf->output = nn_engine_output(sf->engine, output_port);
    }
    if (ret < 0)
        bd_log(log, BACKDROP_LOG_ERROR, "selfie: cannot build the network: %s", backdrop_strerror(ret));
    return ret;
}

static void selfie_close(void *opaque)
{
    Selfie *sf = opaque;
    nn_engine_destroy(&sf->engine);
    nn_graph_free(&sf->graph);
    free(sf->turned_input);
    free(sf->turned_output);
}

static void selfie_uninit(void *opaque)
{
    Selfie *sf = opaque;
    nn_frame_to_tensor_free(&sf->to_tensor);
    nn_tensor_to_alpha_free(&sf->to_alpha);
    free(sf->weights);
    free(sf->blended);
    free(sf->wide);
    sf->weights = sf->blended = sf->wide = NULL;
}

/* Sets up WINDOWS framing for a frame whose aspect ratio differs from the
 * model's: returns 0, 1 if the frame is too elongated (the caller pads
 * instead), or an error. */
static int init_windows(Selfie *sf, const MethodConfig *cfg)
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
    return nn_tensor_to_alpha_init(&sf->to_alpha, sf->map_w, sf->map_h, 0, 0, sf->map_w, sf->map_h, fw, fh);
}

static int selfie_init(void *opaque, const MethodConfig *cfg)
{
    Selfie *sf = opaque;
    int fw = cfg->width, fh = cfg->height, tw = sf->stored_w, th = sf->stored_h;
    sf->width = fw;
    sf->height = fh;
    sf->windows = 1;
    sf->crop_x0 = sf->crop_y0 = 0;
    sf->crop_w = fw;
    sf->crop_h = fh;
    int64_t frame_aspect = (int64_t)fw * th, tensor_aspect = (int64_t)tw * fh;
    BackdropFraming framing = frame_aspect == tensor_aspect ? BACKDROP_FRAMING_STRETCH : sf->framing;
    if (framing == BACKDROP_FRAMING_WINDOWS) {
        int ret = init_windows(sf, cfg);
        if (ret <= 0)
            return ret;
        selfie_uninit(sf);
        sf->windows = 1;
        framing = BACKDROP_FRAMING_PAD;
    }
    NnRect src = { 0, 0, fw, fh };
    int dx = 0, dy = 0, dw = tw, dh = th;
    if (framing == BACKDROP_FRAMING_CROP) {
        /* One integer box, used both to feed the network and to place its
         * answer, so that the two cannot drift apart by half a pixel. */
        BdFitRect r = bd_fit_rect(BACKDROP_FIT_COVER, fw, fh, tw, th);
        sf->crop_x0 = r.src_x;
        sf->crop_y0 = r.src_y;
        sf->crop_w = r.src_w;
        sf->crop_h = r.src_h;
        src = (NnRect){ r.src_x, r.src_y, r.src_w, r.src_h };
    } else if (framing == BACKDROP_FRAMING_PAD) {
        BdFitRect r = bd_fit_rect(BACKDROP_FIT_CONTAIN, fw, fh, tw, th);
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
    return nn_tensor_to_alpha_init(&sf->to_alpha, tw, th, dx, dy, dw, dh, sf->crop_w, sf->crop_h);
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
    *err = nn_engine_run(sf->engine);
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

static int selfie_segment(void *opaque, const BackdropFrame *in, const BackdropFrame **composite,
                          uint8_t *alpha, ptrdiff_t alpha_stride)
{
    Selfie *sf = opaque;
    *composite = in;
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
    /* Outside a crop the network saw nothing: background. */
    if (sf->crop_w != sf->width || sf->crop_h != sf->height)
        for (int y = 0; y < sf->height; y++)
            memset(alpha + y * alpha_stride, 0, (size_t)sf->width);
    nn_tensor_to_alpha_run(&sf->to_alpha, map, sf->threshold, sf->softness,
                           alpha + sf->crop_y0 * alpha_stride + sf->crop_x0, alpha_stride);
    return 0;
}

const SegmentMethod bd_method_selfie = {
    .name = "selfie",
    .priv_size = sizeof(Selfie),
    .open = selfie_open,
    .close = selfie_close,
    .init = selfie_init,
    .segment = selfie_segment,
    .uninit = selfie_uninit,
};
