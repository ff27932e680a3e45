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
 * Framing (how the frame's aspect ratio meets the model's):
 *  - STRETCH: the whole frame fills the whole tensor, distorted;
 *  - CROP: a centred crop of the model's aspect ratio; outside it, alpha 0;
 *  - PAD: the whole frame, aspect kept, centred, the rest of the tensor
 *    filled with mid-grey.
 */
#include <stdlib.h>
#include <string.h>

#include "method.h"
#include "../nn/graph.h"
#include "../nn/reference.h"
#include "../nn/resample.h"
#include "../nn/xnn.h"

typedef struct Selfie {
    /* per context */
    NnGraph graph;
    NnXnn *xnn;             /* the engine, or NULL when using the reference */
    NnReference *reference;
    float *input;           /* the engine's input tensor (H x W x 3) */
    int tensor_w, tensor_h;
    float threshold, softness;
    BackdropFraming framing;
    /* per shape */
    NnFrameToTensor to_tensor;
    NnTensorToAlpha to_alpha;
    int crop_x0, crop_x1, crop_y0, crop_y1; /* frame area the map covers (CROP) */
    int width, height;
} Selfie;

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
    const NnTensor *in = &sf->graph.tensors[sf->graph.input];
    const NnTensor *out = &sf->graph.tensors[sf->graph.output];
    if (in->rank != 4 || in->shape[0] != 1 || in->shape[3] != 3 || out->rank != 4 ||
        out->shape[1] != in->shape[1] || out->shape[2] != in->shape[2] || out->shape[3] != 1) {
        bd_log(log, BACKDROP_LOG_ERROR,
               "selfie: model input must be 1xHxWx3 and output 1xHxWx1 of the same size");
        return BACKDROP_ENOTSUP;
    }
    sf->tensor_h = in->shape[1];
    sf->tensor_w = in->shape[2];
    sf->threshold = s->mask_threshold;
    sf->softness = s->mask_softness;
    sf->framing = s->framing;
    if (s->nn_engine == BACKDROP_ENGINE_REFERENCE) {
        ret = nn_reference_create(&sf->reference, &sf->graph);
        if (ret >= 0)
            sf->input = nn_reference_input(sf->reference);
    } else {
        ret = nn_xnn_create(&sf->xnn, &sf->graph, pool, 0);
        if (ret >= 0)
            sf->input = nn_xnn_input(sf->xnn);
    }
    if (ret < 0)
        bd_log(log, BACKDROP_LOG_ERROR, "selfie: cannot build the network: %s", backdrop_strerror(ret));
    return ret;
}

static void selfie_close(void *opaque)
{
    Selfie *sf = opaque;
    nn_xnn_destroy(&sf->xnn);
    nn_reference_destroy(&sf->reference);
    nn_graph_free(&sf->graph);
}

static int selfie_init(void *opaque, const MethodConfig *cfg)
{
    Selfie *sf = opaque;
    int fw = cfg->width, fh = cfg->height, tw = sf->tensor_w, th = sf->tensor_h;
    NnRect src = { 0, 0, fw, fh };
    int dx = 0, dy = 0, dw = tw, dh = th;
    sf->width = fw;
    sf->height = fh;
    sf->crop_x0 = 0;
    sf->crop_x1 = fw;
    sf->crop_y0 = 0;
    sf->crop_y1 = fh;
    /* Aspect ratios compared exactly: fw/fh against tw/th. */
    int64_t frame_aspect = (int64_t)fw * th, tensor_aspect = (int64_t)tw * fh;
    if (sf->framing == BACKDROP_FRAMING_CROP) {
        if (frame_aspect > tensor_aspect) { /* frame wider: crop its sides */
            src.w = (double)fh * tw / th;
            src.x = (fw - src.w) / 2;
        } else if (frame_aspect < tensor_aspect) {
            src.h = (double)fw * th / tw;
            src.y = (fh - src.h) / 2;
        }
        sf->crop_x0 = (int)(src.x + 0.5);
        sf->crop_x1 = (int)(src.x + src.w + 0.5);
        sf->crop_y0 = (int)(src.y + 0.5);
        sf->crop_y1 = (int)(src.y + src.h + 0.5);
    } else if (sf->framing == BACKDROP_FRAMING_PAD) {
        if (frame_aspect > tensor_aspect) { /* bars above and below */
            dh = (int)(((int64_t)tw * fh + fw / 2) / fw);
            dh = dh < 1 ? 1 : dh;
            dy = (th - dh) / 2;
        } else if (frame_aspect < tensor_aspect) {
            dw = (int)(((int64_t)th * fw + fh / 2) / fh);
            dw = dw < 1 ? 1 : dw;
            dx = (tw - dw) / 2;
        }
        /* Mid-grey bars, written once: the resampler never touches them. */
        for (size_t i = 0; i < (size_t)tw * th * 3; i++)
            sf->input[i] = 0.5f;
    }
    int err = nn_frame_to_tensor_init(&sf->to_tensor, cfg->format, cfg->range, cfg->matrix, fw, fh, src, tw,
                                      dx, dy, dw, dh);
    if (err < 0)
        return err;
    return nn_tensor_to_alpha_init(&sf->to_alpha, tw, th, dx, dy, dw, dh, sf->crop_x1 - sf->crop_x0,
                                   sf->crop_y1 - sf->crop_y0);
}

static void selfie_uninit(void *opaque)
{
    Selfie *sf = opaque;
    nn_frame_to_tensor_free(&sf->to_tensor);
    nn_tensor_to_alpha_free(&sf->to_alpha);
}

static int selfie_segment(void *opaque, const BackdropFrame *in, const BackdropFrame **composite,
                          uint8_t *alpha, ptrdiff_t alpha_stride)
{
    Selfie *sf = opaque;
    nn_frame_to_tensor_run(&sf->to_tensor, in, sf->input);
    int err = sf->xnn ? nn_xnn_run(sf->xnn) : nn_reference_run(sf->reference);
    if (err < 0)
        return err;
    const float *map = sf->xnn ? nn_xnn_output(sf->xnn) : nn_reference_tensor(sf->reference, sf->graph.output);
    /* Outside a crop the network saw nothing: background. */
    if (sf->crop_y1 - sf->crop_y0 != sf->height || sf->crop_x1 - sf->crop_x0 != sf->width)
        for (int y = 0; y < sf->height; y++)
            memset(alpha + y * alpha_stride, 0, (size_t)sf->width);
    nn_tensor_to_alpha_run(&sf->to_alpha, map, sf->threshold, sf->softness,
                           alpha + sf->crop_y0 * alpha_stride + sf->crop_x0, alpha_stride);
    *composite = in;
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
