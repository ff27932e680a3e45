/*
 * The part of every neural segmentation method that is not about its
 * model: engine, framing, rotation, and the probability map handed on as
 * the matte's soft map. See neural.h for the contract with the network.
 *
 * Per frame: frame -> float RGB tensor in one resampling pass (resample.c),
 * inference, windows blended; the refine stage makes the alpha. The engine
 * is built on the first frame (its option may change until then); the
 * resampling tables once per frame shape.
 *
 * Framing (how a frame whose aspect ratio differs from the network's input
 * meets it); measured with the selfie models on ../shared/data in
 * bench/results.csv:
 *  - WINDOWS (default): windows of the input's aspect ratio, as tall (or
 *    wide) as the frame, spread evenly along its long axis so that they
 *    overlap: ceil(long/short) + 1 of them (3 for 16:9 into a square
 *    model). Each is run undistorted; their probabilities are blended with
 *    weights that fall linearly to 0 towards each window's ends, so every
 *    pixel is judged mostly by a window that sees it near its centre.
 *  - STRETCH: the whole frame fills the whole tensor, distorted;
 *  - CROP: a centred crop of the input's aspect; outside it, alpha 0;
 *  - PAD: the whole frame, aspect kept, centred, mid-grey bars around it;
 *  - TRACK: the WINDOWS map, at a third of the cost. A full pass (exactly
 *    WINDOWS) on the first frame, every track_every frames, and whenever
 *    the tracked answer looks wrong; between them one window of the
 *    input's aspect that holds every pixel the last map calls person, with
 *    a margin (neural_track_window: smoothed over time, so that the matte
 *    does not jump with it), written into the same map: inside the window
 *    its answer resampled (bilinear), outside 0. A small person gets up to
 *    2.5 times the model pixels of WINDOWS. Wrong means: person (p >= 0.5)
 *    within NEURAL_TRACK_BORDER tensor pixels of a window edge that is not
 *    the frame's (someone is cut off or coming in), or the map's mass off
 *    by more than -30 % / +50 % from the last full pass (someone left or
 *    came in where the window does not look); then that frame gets its
 *    full pass at once. A full pass finds the people; the frame's answer
 *    is then the window placed on them (one more inference) unless that
 *    is not reliable either, so that the map does not change character
 *    every track_every frames (measured: that flickered). Nothing found, or a box that does not fit in one
 *    window: the full pass. The seam: the window holds the person with a
 *    margin and the border test sends a person near it to the full pass,
 *    so the cut to 0 at the window's edge runs through background.
 * A frame of the input's own aspect ratio is one window in every framing
 * (TRACK included: it then runs as STRETCH).
 *
 * Rotation: video from phones is often stored sideways with a display
 * matrix that turns it upright. Networks only know upright people, so with
 * the context's rotation each window's tensor is turned upright before
 * inference and the answer turned back; framing works in the stored
 * orientation with the input's shape turned the same way.
 */
#include "neural.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int neural_open(Neural *net, const NeuralModel *m, const BackdropLogger *log)
{
    const NnGraph *g = m->graph;
    net->method = m->method;
    const NnTensor *in = NULL, *out = NULL;
    if (m->image_input >= 0 && m->image_input < g->num_inputs && m->map_output >= 0 &&
        m->map_output < g->num_outputs) {
        in = &g->tensors[g->inputs[m->image_input].tensor];
        out = &g->tensors[g->outputs[m->map_output].tensor];
    }
    if (!in || in->dtype != NN_DTYPE_FLOAT32 || out->dtype != NN_DTYPE_FLOAT32 || in->rank != 4 ||
        in->shape[0] != 1 || in->shape[3] != 3 || out->rank != 4 || out->shape[0] != 1 ||
        out->shape[1] != in->shape[1] || out->shape[2] != in->shape[2] || out->shape[3] != 1) {
        bd_log(log, BACKDROP_LOG_ERROR,
               "%s: model rejected: input must be 1xHxWx3 and output 1xHxWx1 of the same size", m->method);
        return BACKDROP_ENOTSUP;
    }
    net->graph = g;
    net->image_input = m->image_input;
    net->map_output = m->map_output;
    net->tensor_h = in->shape[1];
    net->tensor_w = in->shape[2];
    net->recurrent = g->num_states > 0;
    for (int i = 0; i < g->num_states; i++) {
        if (g->states[i].input == m->image_input) {
            bd_log(log, BACKDROP_LOG_ERROR, "%s: model rejected: the image input is a recurrent state",
                   m->method);
            return BACKDROP_ENOTSUP;
        }
    }
    size_t pixels = (size_t)net->tensor_w * net->tensor_h;
    net->turned_input = malloc(sizeof(float) * 3 * pixels);
    net->turned_output = malloc(sizeof(float) * pixels);
    if (!net->turned_input || !net->turned_output)
        return BACKDROP_ENOMEM;
    return 0;
}

/* Builds the engine called name; once, on the first frame (the engine
 * option cannot change after that). */
static int create_engine(Neural *net, const char *name, pthreadpool_t pool, const BackdropLogger *log)
{
    if (net->engine)
        return 0;
    int ret = nn_engine_create(&net->engine, nn_engine_find(name), net->graph, pool, 0);
    if (ret < 0) {
        bd_log(log, BACKDROP_LOG_ERROR, "%s: cannot build the network (engine %s): %s", net->method, name,
               backdrop_strerror(ret));
        return ret;
    }
    net->input = nn_engine_input(net->engine, net->image_input);
    net->output = nn_engine_output(net->engine, net->map_output);
    return 0;
}

void neural_close(Neural *net)
{
    free(net->seen);
    net->seen = NULL;
    net->seen_capacity = 0;
    nn_engine_destroy(&net->engine);
    free(net->turned_input);
    free(net->turned_output);
    net->turned_input = net->turned_output = NULL;
}

void neural_uninit(Neural *net)
{
    nn_frame_to_tensor_free(&net->to_tensor);
    nn_frame_to_tensor_free(&net->track_tensor);
    free(net->track_i0);
    free(net->track_f);
    free(net->track_full);
    net->track_i0 = NULL;
    net->track_f = NULL;
    net->track_full = NULL;
    net->track = 0;
    free(net->weights);
    free(net->blended);
    free(net->wide);
    net->weights = net->blended = net->wide = NULL;
}

/* Sets up WINDOWS framing for a frame whose aspect ratio differs from the
 * model's: returns 0, 1 if the frame is too elongated (the caller pads
 * instead), or an error. */
static int init_windows(Neural *net, const BdShape *cfg, BdMatteInfo *info)
{
    int fw = cfg->width, fh = cfg->height, tw = net->stored_w, th = net->stored_h;
    net->horizontal = (int64_t)fw * th > (int64_t)tw * fh;
    /* Along the long axis, in map pixels (one map pixel = one tensor pixel
     * of a window, which is scaled to span the frame's short side). */
    int window_len = net->horizontal ? tw : th;
    double map_len = net->horizontal ? (double)fw * th / fh : (double)fh * tw / fw;
    double frame_per_map = net->horizontal ? (double)fh / th : (double)fw / tw;
    int n = (int)ceil(map_len / window_len) + 1;
    if (n > NEURAL_MAX_WINDOWS)
        return 1;
    /* Integer offsets in map pixels, so that window maps add up on one grid;
     * the last window ends within one map pixel of the frame's far edge. */
    int span = (int)floor(map_len) - window_len;
    for (int k = 0; k < n; k++)
        net->offset[k] = (int)((int64_t)k * span / (n - 1));
    int length = net->offset[n - 1] + window_len;
    net->windows = n;
    net->map_w = net->horizontal ? length : tw;
    net->map_h = net->horizontal ? th : length;
    net->weights = malloc(sizeof(float) * (size_t)n * (size_t)length);
    net->blended = malloc(sizeof(float) * (size_t)net->map_w * (size_t)net->map_h);
    net->wide = malloc(sizeof(float) * 3 * (size_t)net->map_w * (size_t)net->map_h);
    if (!net->weights || !net->blended || !net->wide)
        return BACKDROP_ENOMEM;
    /* Tent weights, 0.5 at a window's first and last pixel, normalised per
     * map column so that the blend is a weighted mean. */
    for (int i = 0; i < length; i++) {
        double total = 0;
        for (int k = 0; k < n; k++) {
            int t = i - net->offset[k];
            double w = t < 0 || t >= window_len ? 0.0 : fmin(t + 0.5, window_len - t - 0.5);
            net->weights[(size_t)k * length + i] = (float)w;
            total += w;
        }
        for (int k = 0; k < n; k++)
            net->weights[(size_t)k * length + i] = (float)(net->weights[(size_t)k * length + i] / total);
    }
    double covered = length * frame_per_map;
    NnRect src = net->horizontal ? (NnRect){ 0, 0, covered, fh } : (NnRect){ 0, 0, fw, covered };
    int err = nn_frame_to_tensor_init(&net->to_tensor, cfg->format, cfg->range, cfg->matrix, fw, fh, src,
                                      net->map_w, 0, 0, net->map_w, net->map_h);
    if (err < 0)
        return err;
    /* The blended map spans the frame up to under one map pixel at the far
     * edge; placing it on the whole frame stretches it by < 0.5 %. */
    info->soft_w = net->map_w;
    info->soft_h = net->map_h;
    info->place = (BdPlacement){ 0, 0, net->map_w, net->map_h, 0, 0, fw, fh };
    return 0;
}

int neural_track_window(const NeuralBox *people, const NeuralBox *previous, int frame_w, int frame_h, int tw, int th,
                        NeuralBox *window)
{
    double fw = frame_w, fh = frame_h;
    /* The largest window: k = frame pixels per tensor pixel. */
    double kmax = fmin(fw / tw, fh / th);
    double min_margin = NEURAL_TRACK_MIN_MARGIN * fmin(fw, fh);
    /* What the window must hold: the box with the minimum margin, as far
     * as it lies in the frame. */
    double bx0 = fmax(people->x0 - min_margin, 0), bx1 = fmin(people->x1 + min_margin, fw);
    double by0 = fmax(people->y0 - min_margin, 0), by1 = fmin(people->y1 + min_margin, fh);
    double kbox = fmax((bx1 - bx0) / tw, (by1 - by0) / th);
    if (kbox > kmax * (1 + 1e-9))
        return 0;
    double pw = people->x1 - people->x0, ph = people->y1 - people->y0;
    double margin = fmax(0.25 * fmax(pw, ph), min_margin);
    double k = fmax((pw + 2 * margin) / tw, (ph + 2 * margin) / th);
    k = fmin(fmax(k, NEURAL_TRACK_MIN_SIZE * kmax), kmax);
    double cx = 0.5 * (people->x0 + people->x1), cy = 0.5 * (people->y0 + people->y1);
    if (previous && previous->x1 > previous->x0) {
        double pk = (previous->x1 - previous->x0) / tw;
        cx = 0.5 * (previous->x0 + previous->x1) + 0.5 * (cx - 0.5 * (previous->x0 + previous->x1));
        cy = 0.5 * (previous->y0 + previous->y1) + 0.5 * (cy - 0.5 * (previous->y0 + previous->y1));
        k = k >= pk ? k : pk + 0.25 * (k - pk);
        k = fmin(fmax(k, kbox), kmax);
    }
    double w = k * tw, h = k * th;
    /* A still person's box jitters by a map pixel from frame to frame: a
     * window that needs to move or resize by less than the dead band, and
     * holds the box, stays where it is. */
    if (previous && previous->x1 > previous->x0) {
        double band = NEURAL_TRACK_DEAD_BAND * fmin(fw, fh);
        double pw0 = previous->x1 - previous->x0, ph0 = previous->y1 - previous->y0;
        if (fabs(cx - 0.5 * (previous->x0 + previous->x1)) < band &&
            fabs(cy - 0.5 * (previous->y0 + previous->y1)) < band && fabs(w - pw0) < band &&
            previous->x0 <= bx0 && previous->y0 <= by0 && previous->x1 >= bx1 && previous->y1 >= by1 &&
            previous->x0 >= 0 && previous->y0 >= 0 && previous->x1 <= fw && previous->y1 <= fh &&
            fabs(pw0 * th - ph0 * tw) <= 1e-6 * pw0 * th) {
            *window = *previous;
            return 1;
        }
    }
    /* Hold the box, then stay in the frame: both intervals of the centre
     * overlap (the box lies in the frame and w, h are big enough), so the
     * second clamp keeps the first one's guarantee. */
    cx = fmin(fmax(cx, bx1 - 0.5 * w), bx0 + 0.5 * w);
    cy = fmin(fmax(cy, by1 - 0.5 * h), by0 + 0.5 * h);
    cx = fmin(fmax(cx, 0.5 * w), fw - 0.5 * w);
    cy = fmin(fmax(cy, 0.5 * h), fh - 0.5 * h);
    /* Rounding may leave the sum a hair beyond the frame. */
    window->x0 = fmax(cx - 0.5 * w, 0);
    window->y0 = fmax(cy - 0.5 * h, 0);
    window->x1 = fmin(window->x0 + w, fw);
    window->y1 = fmin(window->y0 + h, fh);
    return 1;
}

/* Sets up TRACK on top of WINDOWS: a resampler with room for the largest
 * window (moved per frame, never rebuilt: see resample.h), the map's
 * column and row positions in the window (rewritten per frame). */
static int init_track(Neural *net, const BdShape *cfg)
{
    int fw = cfg->width, fh = cfg->height, tw = net->stored_w, th = net->stored_h;
    double kmax = fmin((double)fw / tw, (double)fh / th);
    net->max_window_w = fmin(kmax * tw, fw);
    net->max_window_h = fmin(kmax * th, fh);
    NnRect src = { 0, 0, net->max_window_w, net->max_window_h };
    int err = nn_frame_to_tensor_init_movable(&net->track_tensor, cfg->format, cfg->range, cfg->matrix, fw, fh, src,
                                              tw, 0, 0, tw, th, net->max_window_w, net->max_window_h);
    if (err < 0)
        return err;
    size_t n = (size_t)net->map_w + (size_t)net->map_h;
    net->track_i0 = malloc(sizeof(int) * n);
    net->track_f = malloc(sizeof(float) * n);
    net->track_full = malloc(sizeof(float) * (size_t)net->map_w * (size_t)net->map_h);
    if (!net->track_i0 || !net->track_f || !net->track_full)
        return BACKDROP_ENOMEM;
    net->track = 1;
    net->window = (NeuralBox){ 0, 0, 0, 0 };
    net->since_full = -1;
    net->full_mass = 0;
    net->tracked_frames = net->full_passes = 0;
    return 0;
}

int neural_init(Neural *net, const BdEnv *env, const BdShape *cfg, NeuralFraming framing_option,
                const char *engine, BdMatteInfo *info)
{
    int ret = create_engine(net, engine, env->pool, env->log);
    if (ret < 0)
        return ret;
    /* Rotation: the geometry below works in the stored orientation. */
    net->quarter_turns = env->quarter_turns;
    net->stored_w = net->quarter_turns % 2 ? net->tensor_h : net->tensor_w;
    net->stored_h = net->quarter_turns % 2 ? net->tensor_w : net->tensor_h;
    int fw = cfg->width, fh = cfg->height, tw = net->stored_w, th = net->stored_h;
    net->width = fw;
    net->height = fh;
    net->windows = 1;
    net->track = 0;
    net->seen_valid = 0;
    net->skipped = 0;
    int crop_x0 = 0, crop_y0 = 0, crop_w = fw, crop_h = fh;
    /* A new shape is a new clip for a recurrent network. */
    nn_engine_reset(net->engine);
    int64_t frame_aspect = (int64_t)fw * th, tensor_aspect = (int64_t)tw * fh;
    NeuralFraming framing = frame_aspect == tensor_aspect ? NEURAL_FRAMING_STRETCH : framing_option;
    /* TRACK runs on the WINDOWS geometry. */
    int track = framing == NEURAL_FRAMING_TRACK;
    if (track)
        framing = NEURAL_FRAMING_WINDOWS;
    /* Windows of one frame would hand each other a recurrent state (and a
     * tracked window's jumps between full passes would too). */
    if (framing == NEURAL_FRAMING_WINDOWS && net->recurrent)
        framing = NEURAL_FRAMING_PAD;
    if (framing == NEURAL_FRAMING_WINDOWS) {
        ret = init_windows(net, cfg, info);
        if (ret == 0 && track)
            ret = init_track(net, cfg);
        if (ret <= 0)
            return ret;
        neural_uninit(net);
        net->windows = 1;
        framing = NEURAL_FRAMING_PAD;
    }
    NnRect src = { 0, 0, fw, fh };
    int dx = 0, dy = 0, dw = tw, dh = th;
    if (framing == NEURAL_FRAMING_CROP) {
        /* One integer box, used both to feed the network and to place its
         * answer, so that the two cannot drift apart by half a pixel. */
        BdFitRect r = bd_fit_rect(BD_FIT_COVER, fw, fh, tw, th);
        crop_x0 = r.src_x;
        crop_y0 = r.src_y;
        crop_w = r.src_w;
        crop_h = r.src_h;
        src = (NnRect){ r.src_x, r.src_y, r.src_w, r.src_h };
    } else if (framing == NEURAL_FRAMING_PAD) {
        BdFitRect r = bd_fit_rect(BD_FIT_CONTAIN, fw, fh, tw, th);
        dx = r.dst_x;
        dy = r.dst_y;
        dw = r.dst_w;
        dh = r.dst_h;
        /* Mid-grey bars, written once: the resampler never touches them. */
        float *tensor = net->quarter_turns ? net->turned_input : net->input;
        for (size_t i = 0; i < (size_t)tw * th * 3; i++)
            tensor[i] = 0.5f;
    }
    int err = nn_frame_to_tensor_init(&net->to_tensor, cfg->format, cfg->range, cfg->matrix, fw, fh, src, tw,
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
static size_t stored_index(const Neural *net, int u, int v)
{
    int sw = net->stored_w, sh = net->stored_h, x, y;
    switch (net->quarter_turns) {
    case 1: x = v; y = sh - 1 - u; break;
    case 2: x = sw - 1 - u; y = sh - 1 - v; break;
    default: x = sw - 1 - v; y = u; break;
    }
    return (size_t)y * sw + x;
}

/* Feeds window k (or, with one window, the frame; k < 0: TRACK's window) to the network and
 * returns its probability map in the stored orientation. With windows, the
 * frame was resampled into 'wide' beforehand. */
static const float *run_network(Neural *net, const BackdropFrame *in, int k, int *err)
{
    float *tensor = net->quarter_turns ? net->turned_input : net->input;
    if (k < 0) {
        nn_frame_to_tensor_run(&net->track_tensor, in, tensor);
    } else if (net->windows == 1) {
        /* The caller resampled the frame into the tensor. */
    } else if (net->horizontal) {
        size_t row = 3 * (size_t)net->stored_w;
        for (int y = 0; y < net->stored_h; y++)
            memcpy(tensor + y * row, net->wide + 3 * ((size_t)y * net->map_w + net->offset[k]), row * sizeof(float));
    } else {
        memcpy(tensor, net->wide + 3 * (size_t)net->offset[k] * net->map_w,
               3 * (size_t)net->stored_w * net->stored_h * sizeof(float));
    }
    if (net->quarter_turns) {
        for (int v = 0; v < net->tensor_h; v++)
            for (int u = 0; u < net->tensor_w; u++) {
                const float *src = net->turned_input + 3 * stored_index(net, u, v);
                float *dst = net->input + 3 * ((size_t)v * net->tensor_w + u);
                dst[0] = src[0];
                dst[1] = src[1];
                dst[2] = src[2];
            }
    }
    *err = nn_engine_run(net->engine);
    if (*err < 0 || !net->quarter_turns)
        return net->output;
    for (int v = 0; v < net->tensor_h; v++)
        for (int u = 0; u < net->tensor_w; u++)
            net->turned_output[stored_index(net, u, v)] = net->output[(size_t)v * net->tensor_w + u];
    return net->turned_output;
}

/* blended += weight (per column, or per row) * window k's map, placed at
 * the window's offset. */
static void blend_window(Neural *net, const float *map, int k)
{
    int tw = net->stored_w, th = net->stored_h, length = net->horizontal ? net->map_w : net->map_h;
    const float *weight = net->weights + (size_t)k * length + net->offset[k];
    for (int y = 0; y < th; y++) {
        const float *p = map + (size_t)y * tw;
        float *out = net->horizontal ? net->blended + (size_t)y * net->map_w + net->offset[k]
                                     : net->blended + (size_t)(y + net->offset[k]) * net->map_w;
        float wy = net->horizontal ? 1.0f : weight[y];
        for (int x = 0; x < tw; x++)
            out[x] += (net->horizontal ? weight[x] : wy) * p[x];
    }
}

/* WINDOWS: every window, blended into 'blended'. */
static int full_pass(Neural *net, const BackdropFrame *in, int resample)
{
    int err;
    /* The windows cover the map and their weights sum to 1 per column
     * (row), so the sum of weighted maps is the weighted mean. */
    memset(net->blended, 0, sizeof(float) * (size_t)net->map_w * (size_t)net->map_h);
    if (resample)
        nn_frame_to_tensor_run(&net->to_tensor, in, net->wide);
    for (int k = 0; k < net->windows; k++) {
        const float *window_map = run_network(net, in, k, &err);
        if (err < 0)
            return err;
        blend_window(net, window_map, k);
    }
    return 0;
}

/* ---- TRACK ---------------------------------------------------------------- */

/* Person pixels fewer than this in the last map: nothing to follow. */
#define NEURAL_TRACK_MIN_PIXELS 16
/* Person within this many tensor pixels of an inner window edge: cut off. */
#define NEURAL_TRACK_BORDER 3

/* The box, in frame pixels, of the pixels the last map calls person;
 * 0 when there are too few. */
static int people_box(const Neural *net, NeuralBox *box)
{
    int x0 = net->map_w, x1 = -1, y0 = net->map_h, y1 = -1;
    long count = 0;
    for (int y = 0; y < net->map_h; y++) {
        const float *p = net->blended + (size_t)y * net->map_w;
        for (int x = 0; x < net->map_w; x++) {
            if (p[x] >= 0.5f) {
                count++;
                x0 = x < x0 ? x : x0;
                x1 = x > x1 ? x : x1;
                y0 = y < y0 ? y : y0;
                y1 = y > y1 ? y : y1;
            }
        }
    }
    if (count < NEURAL_TRACK_MIN_PIXELS)
        return 0;
    /* The map covers the whole frame (init_windows' placement). */
    double sx = (double)net->width / net->map_w, sy = (double)net->height / net->map_h;
    *box = (NeuralBox){ x0 * sx, y0 * sy, (x1 + 1) * sx, (y1 + 1) * sy };
    return 1;
}

/* Map pixels [0, n) of a line whose pixel is 'scale' frame pixels: the
 * left tap in the window's answer (of 'size' pixels over [lo, hi)), -1
 * outside the window, and the right tap's weight (bilinear, half-pixel
 * centres, edge values held). */
static void track_taps(int *i0, float *f, int n, double scale, double lo, double hi, int size)
{
    for (int i = 0; i < n; i++) {
        double x = (i + 0.5) * scale;
        if (x < lo || x >= hi) {
            i0[i] = -1;
            f[i] = 0;
            continue;
        }
        double u = (x - lo) * size / (hi - lo) - 0.5;
        u = u < 0 ? 0 : u > size - 1 ? size - 1 : u;
        int left = (int)floor(u);
        if (left > size - 2)
            left = size > 1 ? size - 2 : 0;
        i0[i] = left;
        f[i] = size > 1 ? (float)(u - left) : 0.0f;
    }
}

/* Whether the window's answer has a person at an edge the frame goes on
 * beyond. */
static int cut_off(const Neural *net, const float *map, const NeuralBox *w)
{
    int tw = net->stored_w, th = net->stored_h, b = NEURAL_TRACK_BORDER;
    int left = w->x0 > 0.5, right = w->x1 < net->width - 0.5;
    int top = w->y0 > 0.5, bottom = w->y1 < net->height - 0.5;
    for (int y = 0; y < th; y++) {
        const float *p = map + (size_t)y * tw;
        int edge_row = (top && y < b) || (bottom && y >= th - b);
        for (int x = 0; x < tw; x++)
            if (p[x] >= 0.5f && (edge_row || (left && x < b) || (right && x >= tw - b)))
                return 1;
    }
    return 0;
}

static double map_mass(const Neural *net)
{
    double sum = 0;
    for (size_t i = 0; i < (size_t)net->map_w * net->map_h; i++)
        sum += net->blended[i];
    return sum;
}

/* One inference on window w, written into 'blended'; *reliable says
 * whether to keep it. */
static int tracked_pass(Neural *net, const BackdropFrame *in, const NeuralBox *w, int *reliable)
{
    int err, tw = net->stored_w, th = net->stored_h, mw = net->map_w, mh = net->map_h;
    /* x1 - x0 may come out an ulp above the largest window's width. */
    NnRect src = { w->x0, w->y0, fmin(w->x1 - w->x0, net->max_window_w), fmin(w->y1 - w->y0, net->max_window_h) };
    if ((err = nn_frame_to_tensor_move(&net->track_tensor, src)) < 0)
        return err;
    const float *map = run_network(net, in, -1, &err);
    if (err < 0)
        return err;
    *reliable = 0;
    if (cut_off(net, map, w))
        return 0;
    int *ci = net->track_i0, *ri = net->track_i0 + mw;
    float *cf = net->track_f, *rf = net->track_f + mw;
    track_taps(ci, cf, mw, (double)net->width / mw, w->x0, w->x1, tw);
    track_taps(ri, rf, mh, (double)net->height / mh, w->y0, w->y1, th);
    for (int y = 0; y < mh; y++) {
        float *out = net->blended + (size_t)y * mw;
        if (ri[y] < 0) {
            memset(out, 0, sizeof(float) * (size_t)mw);
            continue;
        }
        const float *top = map + (size_t)ri[y] * tw, *bottom = th > 1 ? top + tw : top;
        float fy = rf[y];
        for (int x = 0; x < mw; x++) {
            if (ci[x] < 0) {
                out[x] = 0;
                continue;
            }
            int i = ci[x], j = tw > 1 ? i + 1 : i;
            float a = top[i] + cf[x] * (top[j] - top[i]), b = bottom[i] + cf[x] * (bottom[j] - bottom[i]);
            out[x] = a + fy * (b - a);
        }
    }
    double mass = map_mass(net);
    *reliable = mass >= 0.7 * net->full_mass && mass <= 1.5 * net->full_mass;
    return 0;
}

/* The tracked window for the people in 'blended', run and kept when it is
 * reliable: returns 1 (blended holds its answer), 0 (blended unchanged
 * unless the window was tried: then the caller must overwrite it), or an
 * error. */
static int try_track(Neural *net, const BackdropFrame *in, int *tried)
{
    NeuralBox people, window;
    const NeuralBox *previous = net->window.x1 > net->window.x0 ? &net->window : NULL;
    int err, reliable = 0;
    *tried = 0;
    if (!people_box(net, &people) ||
        !neural_track_window(&people, previous, net->width, net->height, net->stored_w, net->stored_h, &window))
        return 0;
    *tried = 1;
    if ((err = tracked_pass(net, in, &window, &reliable)) < 0)
        return err;
    if (reliable)
        net->window = window;
    return reliable;
}

/* Between full passes the window follows the last map. A full pass (due,
 * or because the window's answer was not reliable) finds the people; the
 * frame's answer is then still the window's, placed on what the full pass
 * found, when that is reliable: so the map handed on comes from one kind
 * of view, and does not change character every track_every frames (which
 * flickers), at one more inference per full pass. */
static int track_segment(Neural *net, const BackdropFrame *in)
{
    int every = net->track_every < 1 ? 1 : net->track_every, err, tried;
    if (net->since_full >= 0 && net->since_full + 1 < every) {
        if ((err = try_track(net, in, &tried)) < 0)
            return err;
        if (err == 1) {
            net->since_full++;
            net->tracked_frames++;
            /* A window's map: no one picture lies under all of it. */
            net->picture = NULL;
            return 0;
        }
    }
    if ((err = full_pass(net, in, 1)) < 0)
        return err;
    net->since_full = 0;
    net->full_mass = map_mass(net);
    net->full_passes++;
    net->picture = net->wide;
    if (every == 1)
        return 0;
    memcpy(net->track_full, net->blended, sizeof(float) * (size_t)net->map_w * (size_t)net->map_h);
    if ((err = try_track(net, in, &tried)) < 0)
        return err;
    if (err == 1)
        net->picture = NULL;
    /* Not reliable: the full pass's answer, kept aside. */
    if (err == 0 && tried)
        memcpy(net->blended, net->track_full, sizeof(float) * (size_t)net->map_w * (size_t)net->map_h);
    return 0;
}

/* Whether the picture the network would see now is nearly the one it saw
 * at its last inference (net->seen): at most one map pixel in a thousand
 * has a channel that moved by more than skip_change levels. Against the
 * last inference's picture, not the previous frame's, so that a slow change
 * cannot creep past in small steps. */
static int nearly_seen(const Neural *net, const float *picture, size_t values)
{
    float limit = net->skip_change / 255.0f;
    size_t changed = 0, allowed = values / 3 / 1000;
    for (size_t i = 0; i < values; i += 3) {
        float d0 = fabsf(picture[i] - net->seen[i]), d1 = fabsf(picture[i + 1] - net->seen[i + 1]);
        float d2 = fabsf(picture[i + 2] - net->seen[i + 2]);
        changed += d0 > limit || d1 > limit || d2 > limit;
    }
    return changed <= allowed;
}

/* Before an inference: 1 if it may be skipped (the picture is nearly the
 * last one seen and the last map is at most max_skip frames old), else 0
 * after keeping the picture as the one seen. */
static int may_skip(Neural *net, const float *picture, size_t values)
{
    /* A recurrent network's state must see every frame. */
    if (net->max_skip <= 0 || net->recurrent) {
        net->skipped = 0;
        return 0;
    }
    if (net->seen_valid && net->skipped < net->max_skip && nearly_seen(net, picture, values)) {
        net->skipped++;
        net->skipped_total++;
        return 1;
    }
    /* The copy's buffer is made on the first frame of a shape that skips
     * (its size depends on the framing); it is kept until close. */
    if (values > net->seen_capacity) {
        float *seen = realloc(net->seen, sizeof(float) * values);
        if (!seen) {
            net->seen_valid = 0;
            net->skipped = 0;
            return 0; /* no memory: no skipping, the answer is still right */
        }
        net->seen = seen;
        net->seen_capacity = values;
    }
    memcpy(net->seen, picture, sizeof(float) * values);
    net->seen_valid = 1;
    net->skipped = 0;
    return 0;
}

int neural_segment(Neural *net, const BackdropFrame *in, const float **soft)
{
    const float *map;
    int err;
    if (net->track) {
        if ((err = track_segment(net, in)) < 0)
            return err;
        map = net->blended;
    } else if (net->windows > 1) {
        nn_frame_to_tensor_run(&net->to_tensor, in, net->wide);
        net->picture = net->wide;
        if (!may_skip(net, net->wide, 3 * (size_t)net->map_w * net->map_h) && (err = full_pass(net, in, 0)) < 0)
            return err;
        map = net->blended;
    } else {
        float *tensor = net->quarter_turns ? net->turned_input : net->input;
        nn_frame_to_tensor_run(&net->to_tensor, in, tensor);
        /* The engine reads its input and leaves it as it was. */
        net->picture = tensor;
        if (!may_skip(net, tensor, 3 * (size_t)net->stored_w * net->stored_h)) {
            net->last_map = run_network(net, in, 0, &err);
            if (err < 0)
                return err;
        }
        map = net->last_map;
    }
    *soft = map;
    return 0;
}

void neural_picture(const Neural *net, BdMatte *m)
{
    m->picture = net->picture;
    nn_frame_to_tensor_affine(&net->to_tensor, m->picture_affine);
}

