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
 *  - PAD: the whole frame, aspect kept, centred, mid-grey bars around it.
 * A frame of the input's own aspect ratio is one window in every framing.
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
    nn_engine_destroy(&net->engine);
    free(net->turned_input);
    free(net->turned_output);
    net->turned_input = net->turned_output = NULL;
}

void neural_uninit(Neural *net)
{
    nn_frame_to_tensor_free(&net->to_tensor);
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
    int crop_x0 = 0, crop_y0 = 0, crop_w = fw, crop_h = fh;
    /* A new shape is a new clip for a recurrent network. */
    nn_engine_reset(net->engine);
    int64_t frame_aspect = (int64_t)fw * th, tensor_aspect = (int64_t)tw * fh;
    NeuralFraming framing = frame_aspect == tensor_aspect ? NEURAL_FRAMING_STRETCH : framing_option;
    /* Windows of one frame would hand each other a recurrent state. */
    if (framing == NEURAL_FRAMING_WINDOWS && net->recurrent)
        framing = NEURAL_FRAMING_PAD;
    if (framing == NEURAL_FRAMING_WINDOWS) {
        ret = init_windows(net, cfg, info);
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

/* Feeds window k (or, with one window, the frame) to the network and
 * returns its probability map in the stored orientation. With windows, the
 * frame was resampled into 'wide' beforehand. */
static const float *run_network(Neural *net, const BackdropFrame *in, int k, int *err)
{
    float *tensor = net->quarter_turns ? net->turned_input : net->input;
    if (net->windows == 1) {
        nn_frame_to_tensor_run(&net->to_tensor, in, tensor);
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

int neural_segment(Neural *net, const BackdropFrame *in, const float **soft)
{
    const float *map;
    int err;
    if (net->windows > 1) {
        /* The windows cover the map and their weights sum to 1 per column
         * (row), so the sum of weighted maps is the weighted mean. */
        memset(net->blended, 0, sizeof(float) * (size_t)net->map_w * (size_t)net->map_h);
        nn_frame_to_tensor_run(&net->to_tensor, in, net->wide);
        for (int k = 0; k < net->windows; k++) {
            const float *window_map = run_network(net, in, k, &err);
            if (err < 0)
                return err;
            blend_window(net, window_map, k);
        }
        map = net->blended;
        net->picture = net->wide;
    } else {
        map = run_network(net, in, 0, &err);
        if (err < 0)
            return err;
        /* The engine reads its input and leaves it as it was. */
        net->picture = net->quarter_turns ? net->turned_input : net->input;
    }
    *soft = map;
    return 0;
}

void neural_picture(const Neural *net, BdMatte *m)
{
    m->picture = net->picture;
    nn_frame_to_tensor_affine(&net->to_tensor, m->picture_affine);
}

