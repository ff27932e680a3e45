/*
 * selfie: neural person segmentation with the MediaPipe selfie models
 * (general 256x256, landscape 144x256). Model-specific glue only: the
 * model is a .tflite file whose graph has one picture input and one
 * probability output (format/tflite.h names them "input" and "output");
 * engine, framing, rotation and the soft map are the shared neural part
 * (neural.c). Its options: framing, engine and track-every.
 */
#include "neural.h"
#include "../nn/format/tflite.h"

static const char *const framing_choices[] = { "stretch", "crop", "pad", "windows", "track", NULL };
static const char *const engine_choices[] = { "xnnpack", "reference", NULL };

typedef struct SelfieOptions {
    int framing; /* NeuralFraming */
    int engine;  /* index into engine_choices */
    int track_every;
    int max_skip;
    float skip_change;
} SelfieOptions;

typedef struct Selfie {
    SelfieOptions opts;
    NnGraph graph;  /* outlives 'net', which runs it */
    Neural net;
} Selfie;

#define FIELD(f) offsetof(SelfieOptions, f)
static const BdOption selfie_options[] = {
    { { "framing", "how a frame of another aspect ratio meets the model: overlapping windows, pad, "
        "distort (stretch), crop the centre, or track: one window that follows the people, all windows every "
        "--track-every frames", BACKDROP_OPTION_CHOICE, "windows", 0, 0, framing_choices, 0 },
      FIELD(framing), 1 },
    { { "engine", "XNNPACK, or the slow plain-C reference executor (the oracle for tests)",
        BACKDROP_OPTION_CHOICE, "xnnpack", 0, 0, engine_choices, 0 }, FIELD(engine), 1 },
    { { "track-every", "framing track: a full pass (all windows) at least every N frames; 1: always",
        BACKDROP_OPTION_INT, "30", 1, 100000, NULL, BACKDROP_OPTION_RUNTIME }, FIELD(track_every), 0 },
    { { "max-skip", "skip the network on a frame nearly identical to the one it saw last, at most N frames in a "
        "row (0: never; not with framing track)", BACKDROP_OPTION_INT, "0", 0, 1000, NULL,
        BACKDROP_OPTION_RUNTIME }, FIELD(max_skip), 0 },
    { { "skip-change", "nearly identical: at most one pixel in a thousand of the network's picture moved by "
        "more than this many levels", BACKDROP_OPTION_FLOAT, "8", 0, 255, NULL, BACKDROP_OPTION_RUNTIME },
      FIELD(skip_change), 0 },
};

static int selfie_open(void *opaque, const BdEnv *env)
{
    Selfie *sf = opaque;
    const BackdropSettings *s = env->settings;
    char err[256] = "";
    if (!s->model_data || !s->model_size) {
        bd_log(env->log, BACKDROP_LOG_ERROR, "selfie: no model given (settings.model_data)");
        return BACKDROP_EINVAL;
    }
    int ret = nn_graph_load_tflite(&sf->graph, s->model_data, s->model_size, err, sizeof(err));
    if (ret < 0) {
        bd_log(env->log, BACKDROP_LOG_ERROR, "selfie: model rejected: %s", err);
        return ret;
    }
    const NeuralModel model = {
        .method = "selfie",
        .graph = &sf->graph,
        .image_input = nn_graph_find_input(&sf->graph, "input"),
        .map_output = nn_graph_find_output(&sf->graph, "output"),
    };
    return neural_open(&sf->net, &model, env->log);
}

static void selfie_close(void *opaque)
{
    Selfie *sf = opaque;
    neural_close(&sf->net);
    nn_graph_free(&sf->graph);
}

static int selfie_init(void *opaque, const BdEnv *env, const BdShape *shape, BdMatteInfo *info)
{
    Selfie *sf = opaque;
    return neural_init(&sf->net, env, shape, (NeuralFraming)sf->opts.framing, engine_choices[sf->opts.engine],
                       info);
}

static int selfie_run(void *opaque, const BdEnv *env, BdFrameJob *job)
{
    Selfie *sf = opaque;
    sf->net.track_every = sf->opts.track_every;
    sf->net.max_skip = sf->opts.max_skip;
    sf->net.skip_change = sf->opts.skip_change;
    int err = neural_segment(&sf->net, job->in, &job->matte.soft);
    if (err >= 0)
        neural_picture(&sf->net, &job->matte);
    return err;
}

static void selfie_uninit(void *opaque)
{
    Selfie *sf = opaque;
    neural_uninit(&sf->net);
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
