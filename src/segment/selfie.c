/*
 * selfie: neural person segmentation with the MediaPipe selfie models
 * (general 256x256, landscape 144x256). Model-specific glue only: the
 * model is a .tflite file whose graph has one picture input and one
 * probability output (format/tflite.h names them "input" and "output");
 * engine, framing, rotation and the matte are the shared neural part
 * (neural.c).
 */
#include "neural.h"
#include "../nn/format/tflite.h"

typedef struct Selfie {
    NnGraph graph;  /* outlives 'net', which runs it */
    Neural net;
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
    const NeuralModel model = {
        .method = "selfie",
        .graph = &sf->graph,
        .image_input = nn_graph_find_input(&sf->graph, "input"),
        .map_output = nn_graph_find_output(&sf->graph, "output"),
    };
    return neural_open(&sf->net, &model, s, pool, log);
}

static void selfie_close(void *opaque)
{
    Selfie *sf = opaque;
    neural_close(&sf->net);
    nn_graph_free(&sf->graph);
}

static int selfie_init(void *opaque, const MethodConfig *cfg)
{
    Selfie *sf = opaque;
    return neural_init(&sf->net, cfg);
}

static int selfie_segment(void *opaque, const BackdropFrame *in, const BackdropFrame **composite,
                          uint8_t *alpha, ptrdiff_t alpha_stride)
{
    Selfie *sf = opaque;
    *composite = in;
    return neural_segment(&sf->net, in, alpha, alpha_stride);
}

static void selfie_uninit(void *opaque)
{
    Selfie *sf = opaque;
    neural_uninit(&sf->net);
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
