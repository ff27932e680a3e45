/*
 * backdrop: the command-line program. It owns all media I/O (FFmpeg through
 * tools/input/ and tools/output/) and drives libbackdrop through its public
 * API only.
 *
 * This file sets a run up: options (the CLI's and the library's), their
 * meaning for the method, outputs checked against the input and each other,
 * signals, the library with its options and background. The loop itself is
 * batch.c (file in, files out).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/display.h>
#include <libavutil/log.h>
#include <libavutil/avstring.h>
#include <libavutil/avutil.h>
#include <libavutil/pixdesc.h>

#include "job.h"
#include "model.h"
#include "overlap.h"
#include "ctl.h"
#include "v4l2dev.h"


/* The signal that asked us to stop (SIGINT, SIGTERM or SIGHUP), or 0. */
volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    interrupted = sig;
}

void catch_signal(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

const char *stop_reason(int sig)
{
    switch (sig) {
    case SIGINT: return "interrupted";
    case SIGTERM: return "terminated (SIGTERM)";
    case SIGHUP: return "hung up (SIGHUP)";
    default: return "stopped";
    }
}

double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}


/* say_capture(): where say_error() and the library's errors go instead
 * of stderr (the first message only), while a command is applied. */
static char *captured;
static size_t captured_len;

void say_capture(char *buf, size_t len)
{
    captured = buf;
    captured_len = len;
}

void say_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (captured) {
        if (!captured[0])
            vsnprintf(captured, captured_len, fmt, ap);
        va_end(ap);
        return;
    }
    fputs("backdrop: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* The library's errors become the CLI's one-line message; the model path
 * is named when the model was what failed. */
static void library_log(void *opaque, BackdropLogLevel level, const char *msg)
{
    Job *job = opaque;
    if (captured && level == BACKDROP_LOG_ERROR && !captured[0])
        snprintf(captured, captured_len, "%s", msg);
    if (level > BACKDROP_LOG_WARNING || job->quiet_library || captured)
        return;
    if (level == BACKDROP_LOG_ERROR && job->model_path[0] && !strncmp(msg, "selfie: model", 13))
        fprintf(stderr, "backdrop: %s: %s\n", job->model_path, msg + 8);
    else if (level == BACKDROP_LOG_ERROR && job->model_path[0] && !strncmp(msg, "rvm: model", 10))
        /* The reader cannot tell which file is wrong when the graph and its
         * weights disagree: both are named. */
        fprintf(stderr, "backdrop: %s (weights %s): %s\n", job->model_path, job->weights_path, msg + 5);
    else
        fprintf(stderr, "backdrop: %s\n", msg);
    if (level == BACKDROP_LOG_ERROR)
        job->reported = 1;
}

int to_backdrop_format(int av_format)
{
    switch (av_format) {
    case AV_PIX_FMT_YUV420P: return BACKDROP_PIXFMT_YUV420P;
    case AV_PIX_FMT_RGB24: return BACKDROP_PIXFMT_RGB24;
    case AV_PIX_FMT_BGR24: return BACKDROP_PIXFMT_BGR24;
    case AV_PIX_FMT_GRAY8: return BACKDROP_PIXFMT_GRAY8;
    case AV_PIX_FMT_YUVA420P: return BACKDROP_PIXFMT_YUVA420P;
    case AV_PIX_FMT_RGBA: return BACKDROP_PIXFMT_RGBA;
    case AV_PIX_FMT_BGRA: return BACKDROP_PIXFMT_BGRA;
    default: return BACKDROP_PIXFMT_NONE;
    }
}

/* Describes an AVFrame's pixels to the library without copying them. Video
 * whose matrix is not tagged is taken as BT.709 from 720 lines up, BT.601
 * below: what encoders of untagged video almost always meant. */
BackdropFrame wrap_frame(const AVFrame *f)
{
    BackdropFrame b = { 0 };
    b.format = to_backdrop_format(f->format);
    b.width = f->width;
    b.height = f->height;
    for (int p = 0; p < 4; p++) { /* [3]: YUVA420P's alpha; NULL otherwise */
        b.data[p] = f->data[p];
        b.stride[p] = f->linesize[p];
    }
    b.range = f->color_range == AVCOL_RANGE_JPEG ? BACKDROP_RANGE_FULL : BACKDROP_RANGE_LIMITED;
    if (f->colorspace == AVCOL_SPC_BT709 || (f->colorspace == AVCOL_SPC_UNSPECIFIED && f->height >= 720))
        b.matrix = BACKDROP_MATRIX_BT709;
    else
        b.matrix = BACKDROP_MATRIX_BT601;
    return b;
}

static int set_option(Job *job, const char *name, const char *value);

/* The library option 'name' of component, or NULL. */
static const BackdropOption *library_option(const char *component, const char *name)
{
    const BackdropOption *opt;
    for (int j = 0; (opt = backdrop_option(component, j)); j++)
        if (!strcmp(opt->name, name))
            return opt;
    return NULL;
}

/* Whether the context option "background" offers choice. */
static int library_has_background(const char *choice)
{
    const BackdropOption *opt = library_option("context", "background");
    for (int i = 0; opt && opt->choices && opt->choices[i]; i++)
        if (!strcmp(opt->choices[i], choice))
            return 1;
    return 0;
}

/* Says what -b names, before anything is opened (a bad kind is a command
 * line error, exit 2): a colour, "blur" or "blur:STRENGTH", "transparent",
 * or else a file, picture or video, which is opened later. The words come
 * first: a file called "blur" is named "./blur". */
static int check_background(Job *job)
{
    const char *spec = job->opt.background, *strength;
    job->background_kind = options_background_kind(spec, &strength);
    switch (job->background_kind) {
    case BACKGROUND_BLUR: {
        const BackdropOption *opt = library_option("blur", "strength");
        if (!library_has_background("blur") || !opt) {
            say_error("-b %s: this libbackdrop has no blur background", spec);
            return -1;
        }
        if (strength && (!*strength || backdrop_option_validate("blur", "strength", strength, NULL, 0) < 0)) {
            say_error("-b %s: the blur strength must be a number from %g to %g (its radius in pixels of "
                      "the frame; 0 = automatic)", spec, opt->min, opt->max);
            return -1;
        }
        job->blur_strength = strength;
        return 0;
    }
    case BACKGROUND_TRANSPARENT:
        if (!library_has_background("transparent")) {
            say_error("-b transparent: this libbackdrop has no transparent background");
            return -1;
        }
        return 0;
    case BACKGROUND_FILE:
        if (spec[0] == '#') {
            say_error("--background: '%s' is not a colour (use #RRGGBB)", spec);
            return -1;
        }
        return 0;
    default:
        return 0;
    }
}

/* A picture file as the background: decoded once, copied by the library. */
static int load_picture(Job *job, const char *path)
{
    char err[ERRLEN];
    AVFrame *picture = NULL;
    if (input_load_image(path, &picture, err, sizeof(err)) < 0) {
        say_error("%s", err);
        return -1;
    }
    BackdropFrame bg = wrap_frame(picture);
    int ret = backdrop_set_background(job->ctx, &bg);
    av_frame_free(&picture);
    if (ret < 0) {
        say_error("%s: cannot use as background: %s", path, backdrop_strerror(ret));
        return -1;
    }
    return 0;
}

/* Sets the library up for what -b named (check_background). A file is a
 * picture when it is one still image ("-", a picture on stdin, too: it
 * cannot be read twice), else a video, decoded ahead from now on. */
static int load_background(Job *job)
{
    const char *spec = job->opt.background;
    switch (job->background_kind) {
    case BACKGROUND_DEFAULT:
        return 0;
    case BACKGROUND_COLOR:
        return set_option(job, "color", spec);
    case BACKGROUND_BLUR:
        if (set_option(job, "background", "blur") < 0 ||
            (job->blur_strength && set_option(job, "blur.strength", job->blur_strength) < 0))
            return -1;
        return 0;
    case BACKGROUND_TRANSPARENT:
        /* The colour channels carry the foreground, the alpha the matte;
         * the outputs are opened with alpha (check_transparent, batch.c). */
        return set_option(job, "background", "transparent");
    case BACKGROUND_FILE:
        break;
    }
    char err[ERRLEN];
    int still = strcmp(spec, "-") ? background_is_still(spec, err, sizeof(err)) : 1;
    if (still < 0) {
        say_error("%s", err);
        return -1;
    }
    if (still)
        return load_picture(job, spec);
    /* Decoded ahead on a thread of its own, like the input, unless the
     * run is to use one thread; scaled there to the frames' size as
     * displayed when it has their aspect ratio (the stream's size: the
     * frames are not decoded yet; should they differ, the library fits). */
    const AVCodecParameters *par = input_video_stream(job->input)->codecpar;
    char rotation[16] = "0";
    backdrop_get_option(job->ctx, "rotation", rotation, sizeof(rotation));
    int turned = !strcmp(rotation, "90") || !strcmp(rotation, "270");
    int fit_w = turned ? par->height : par->width, fit_h = turned ? par->width : par->height;
    if (background_open(&job->background_video, spec, fit_w, fit_h, job->opt.threads != 1,
                        job->opt.on_error == ON_ERROR_STOP ? INPUT_ON_ERROR_STOP : INPUT_ON_ERROR_SKIP, err,
                        sizeof(err)) < 0) {
        say_error("%s", err);
        return -1;
    }
    job->first_pts = AV_NOPTS_VALUE;
    return 0;
}

int job_update_background(Job *job, const AVFrame *frame)
{
    if (!job->background_video)
        return 0;
    /* The input frame's time from its timestamp, or from its index at the
     * stream's frame rate when it has none. */
    const AVStream *st = input_video_stream(job->input);
    int64_t t; /* microseconds */
    if (frame->pts != AV_NOPTS_VALUE && job->first_pts == AV_NOPTS_VALUE)
        job->first_pts = frame->pts;
    if (frame->pts != AV_NOPTS_VALUE) {
        t = av_rescale_q(frame->pts - job->first_pts, st->time_base, AV_TIME_BASE_Q);
    } else {
        AVRational rate = av_guess_frame_rate(input_format(job->input), (AVStream *)st, NULL);
        t = av_rescale_q(job->frames_in, rate.num > 0 && rate.den > 0 ? av_inv_q(rate) : (AVRational){ 1, 25 },
                         AV_TIME_BASE_Q);
    }
    char err[ERRLEN];
    const AVFrame *bg_frame;
    if (background_frame(job->background_video, t, &bg_frame, err, sizeof(err)) < 0) {
        say_error("%s", err);
        return -1;
    }
    if (!bg_frame)
        return 0;
    BackdropFrame bg = wrap_frame(bg_frame);
    int ret = backdrop_set_background(job->ctx, &bg);
    if (ret < 0) {
        say_error("background %s: cannot use frame: %s", job->opt.background, backdrop_strerror(ret));
        return -1;
    }
    return 0;
}

/* Threads for the library's row slices and network. With decode-ahead, one
 * CPU is taken by the reader thread and the decoder's own threads; measured
 * on two cores, giving the library a second worker there costs more in
 * contention (its workers and the decoder's compete) than it gains.
 * Counted from the CPUs this process may use (affinity, cgroup quota), not
 * from --threads alone: the library's workers spin while they wait, so one
 * beyond the free CPUs slows every frame instead of helping (--threads 4 on
 * two CPUs ran 80 times slower). A larger --threads still goes to FFmpeg's
 * decoder and encoder, whose threads sleep while they wait. */
static int library_threads(int requested, const char *method)
{
    int cpus = backdrop_cpu_count();
    int usable = requested > 0 && requested < cpus ? requested : cpus;
    /* rvm's network is ~95 % of a frame's time: the decoder thread is idle
     * most of it, and a second worker nearly halves the frame (measured,
     * see the rvm section of bench/README.md). */
    if (!strcmp(method, "rvm"))
        return usable;
    return usable >= 3 ? usable - 1 : 1;
}

static int library_has_method(const char *name)
{
    for (int i = 0; backdrop_method_name(i); i++)
        if (!strcmp(backdrop_method_name(i), name))
            return 1;
    return 0;
}

/* Whether the method's alpha is the caller's matte (external). */
static int method_takes_matte(const char *name)
{
    const BackdropComponent *c;
    for (int i = 0; (c = backdrop_component(i)); i++)
        if (c->kind == BACKDROP_COMPONENT_METHOD && !strcmp(c->name, name))
            return (c->flags & BACKDROP_COMPONENT_MATTE_INPUT) != 0;
    return 0;
}

/* Resolves the method and checks the options whose meaning depends on it,
 * before anything is opened: a bad command line is exit status 2. */
static int check_method_options(Job *job)
{
    const CliOptions *o = &job->opt;
    /* --seed-compat is the tutorial's framediff; otherwise rvm is the
     * default for files: the best matte measured (bench/results.csv,
     * quality_rvm vs quality_default), and at 11 fps at 720p on two CPUs
     * above the 10 fps a file job needs. Live, it would drop more than half
     * of a 30 fps camera's frames: selfie keeps up at 0.75 of a core
     * (bench live). The library may be built without the neural methods
     * (-Dxnnpack=disabled). */
    int live = o->realtime || v4l2dev_is_device_name(o->input);
    job->method = o->method ? o->method
                : options_library_value(o, "seed-compat") ? "framediff"
                : live ? METHOD_LIVE_DEFAULT : METHOD_DEFAULT;
    if (!o->method && !library_has_method(job->method)) {
        fprintf(stderr, "backdrop: this libbackdrop was built without XNNPACK and has no neural methods; "
                        "using framediff (pass -m framediff to silence this)\n");
        job->method = "framediff";
    }
    if (!library_has_method(job->method)) {
        fprintf(stderr, "backdrop: unknown method '%s'; available:", job->method);
        for (int i = 0; backdrop_method_name(i); i++)
            fprintf(stderr, " %s", backdrop_method_name(i));
        fputc('\n', stderr);
        return -1;
    }
    char err[ERRLEN];
    if (options_check_method(o, job->method, err, sizeof(err)) < 0) {
        say_error("%s", err);
        return -1;
    }
    /* --matte-in belongs to external (options_check_method refuses it
     * elsewhere); external has nothing to work with without it. */
    if (!o->matte_in && method_takes_matte(job->method)) {
        say_error("-m %s needs --matte-in FILE: the matte to use (grey video, image pattern or picture)",
                  job->method);
        return -1;
    }
    if (o->matte_in && !strcmp(o->matte_in, "-") && !strcmp(o->input, "-")) {
        say_error("--matte-in -: the input is read from stdin already; give the matte a file");
        return -1;
    }
    return 0;
}

/* Refuses, before anything is opened, outputs that would replace the input,
 * the background picture or each other (see overlap.h), and remembers the
 * files read so that the outputs can check them once more when they commit. */
static int check_outputs(Job *job)
{
    char err[ERRLEN];
    const NamedOutput outputs[] = {
        { "-o", job->opt.output },
        { "--matte", job->opt.matte },
        { "--stats", job->opt.stats },
    };
    const char *input_name = strcmp(job->opt.input, "-") ? job->opt.input : "stdin";
    FileIdSet background = { 0 };
    FileId id;
    int ret = -1;
    if (overlap_input_files(job->opt.input, &job->input_files, err, sizeof(err)) < 0 ||
        overlap_check_reads(&job->input_files, "input", input_name, outputs, 3, err, sizeof(err)) < 0)
        goto done;
    /* The background picture or video is read too: replacing it would
     * destroy it. (A colour or "blur" names no file, even when a file of
     * that name is here.) */
    if (job->background_kind == BACKGROUND_FILE && path_file_id(job->opt.background, &id)) {
        if (fileid_set_add(&background, id) < 0 || fileid_set_add(&job->input_files, id) < 0) {
            message_set(err, sizeof(err), "out of memory");
            goto done;
        }
        if (overlap_check_reads(&background, "background picture", job->opt.background, outputs, 3,
                                err, sizeof(err)) < 0)
            goto done;
    }
    /* So is the matte of method external: every file of its pattern. */
    if (job->opt.matte_in) {
        FileIdSet matte = { 0 };
        const char *matte_name = strcmp(job->opt.matte_in, "-") ? job->opt.matte_in : "stdin";
        int bad = overlap_input_files(job->opt.matte_in, &matte, err, sizeof(err)) < 0 ||
                  overlap_input_files(job->opt.matte_in, &job->input_files, err, sizeof(err)) < 0 ||
                  overlap_check_reads(&matte, "matte given to --matte-in", matte_name, outputs, 3, err,
                                      sizeof(err)) < 0;
        fileid_set_free(&matte);
        if (bad)
            goto done;
    }
    if (overlap_check_outputs(outputs, 3, err, sizeof(err)) < 0)
        goto done;
    /* --stats is written at the very end: a directory that cannot take it
     * must fail now, not after the whole run. */
    if (job->opt.stats && !path_is_special(job->opt.stats)) {
        char *dir = path_dir(job->opt.stats);
        if (!dir) {
            message_set(err, sizeof(err), "out of memory");
            goto done;
        }
        int ok = access(dir, W_OK | X_OK) == 0;
        int e = errno;
        if (!ok)
            message_set(err, sizeof(err), "--stats %s: cannot write to directory '%s': %s", job->opt.stats, dir,
                        strerror(e));
        free(dir);
        if (!ok)
            goto done;
    }
    ret = 0;
done:
    if (ret < 0)
        say_error("%s", err);
    fileid_set_free(&background);
    return ret;
}

/* --preview and --backgrounds: the live loop's, and a build with SDL2. */
static int check_preview(const Job *job)
{
    const CliOptions *o = &job->opt;
    struct stat st;
    if (o->preview && !o->realtime && !v4l2dev_is_device_name(o->input)) {
        say_error("--preview needs the live loop (a camera, or --realtime): a file job is not watched as it runs");
        return -1;
    }
    if (o->preview && !preview_available()) {
        say_error("--preview: this backdrop was built without SDL2 (install libsdl2-dev and rebuild)");
        return -1;
    }
    if (o->backgrounds && !o->preview) {
        say_error("--backgrounds applies to --preview (the folder its keys n and N step through)");
        return -1;
    }
    if (o->backgrounds && stat(o->backgrounds, &st) != 0) {
        say_error("--backgrounds %s: %s", o->backgrounds, strerror(errno));
        return -1;
    }
    if (o->backgrounds && !S_ISDIR(st.st_mode)) {
        say_error("--backgrounds %s: not a folder", o->backgrounds);
        return -1;
    }
    return 0;
}

/* -b transparent: the output keeps the matte as its alpha, so it must be a
 * destination whose format carries alpha; refused now (exit 2), before the
 * model is loaded or a frame decoded. The matte output is grey as always. */
static int check_transparent(Job *job)
{
    char err[ERRLEN];
    job->transparent = job->opt.background && !strcmp(job->opt.background, "transparent");
    /* (Checked here with the other combinations of outputs and modes.) */
    if (job->opt.control && !job->opt.realtime && !v4l2dev_is_device_name(job->opt.input)) {
        say_error("--control needs the live loop (a camera, or --realtime): a file job has no time to change");
        return -1;
    }
    if (check_preview(job) < 0)
        return -1;
    if (job->opt.on_demand && !job->opt.realtime && !v4l2dev_is_device_name(job->opt.input)) {
        say_error("--on-demand needs the live loop (a camera, or --realtime): a file job has no viewers to wait for");
        return -1;
    }
    if (job->opt.on_demand && !live_demand_path(job)) {
        say_error("--on-demand watches the virtual camera for viewers: -o must be one (/dev/videoN or v4l2:PATH), "
                  "not %s", job->opt.output);
        return -1;
    }
    if (job->opt.realtime && job->opt.matte_in) {
        say_error("--realtime drops the frames it cannot process in time; --matte-in needs every frame "
                  "(its frames go with the input's one by one)");
        return -1;
    }
    if (job->transparent && job->opt.view == VIEW_SIDE_BY_SIDE) {
        say_error("--view side-by-side shows the result over a background; it cannot show -b transparent "
                  "(use -b with a colour to see the matte's edges)");
        return -1;
    }
    if (job->transparent && output_check_alpha(job->opt.output, job->opt.codec, err, sizeof(err)) < 0) {
        say_error("%s", err);
        return -1;
    }
    return 0;
}

/* --list-devices: the V4L2 devices on stdout; none is exit status 1 with
 * the reason, so that a script can tell. */
static int list_devices(void)
{
    char err[ERRLEN];
    if (v4l2dev_list(stdout, err, sizeof(err)) > 0)
        return 0;
    say_error("%s", err);
    return 1;
}

/* The camera's options need a camera input, --v4l2-format a virtual camera
 * output: given elsewhere they would silently do nothing. */
static int check_devices(const Job *job)
{
    const CliOptions *o = &job->opt;
    const char *camera_option = o->size ? "--size" : o->fps ? "--fps" : o->input_format ? "--input-format" : NULL;
    if (camera_option && !v4l2dev_is_device_name(o->input)) {
        say_error("%s applies to a camera input (/dev/videoN or v4l2:PATH), not to %s", camera_option,
                  strcmp(o->input, "-") ? o->input : "stdin");
        return -1;
    }
    if (o->v4l2_format && !v4l2dev_is_device_name(o->output) && !v4l2dev_is_device_name(o->matte)) {
        say_error("--v4l2-format applies to a virtual camera output (-o /dev/videoN), not to %s", o->output);
        return -1;
    }
    return 0;
}

/* For selfie, loads the model into the settings (the caller frees it). */
static int load_model(Job *job, BackdropSettings *s)
{
    if (!strcmp(s->method, "rvm")) {
        char err[ERRLEN];
        uint8_t *json, *weights;
        size_t json_size, weights_size;
        if (model_load_rvm(job->method == job->start_method ? job->opt.model : NULL, &json, &json_size, &weights, &weights_size, job->model_path,
                           sizeof(job->model_path), job->weights_path, sizeof(job->weights_path), err,
                           sizeof(err)) < 0) {
            say_error("%s", err);
            return -1;
        }
        s->model_data = json;
        s->model_size = json_size;
        s->model_weights = weights;
        s->model_weights_size = weights_size;
        return 0;
    }
    if (strcmp(s->method, "selfie"))
        return 0;
    const char *spec = job->opt.model && job->method == job->start_method ? job->opt.model : MODEL_DEFAULT;
    char err[ERRLEN];
    uint8_t *data;
    size_t size;
    if (model_load(spec, &data, &size, job->model_path, sizeof(job->model_path), err, sizeof(err)) < 0) {
        say_error("%s", err);
        return -1;
    }
    s->model_data = data;
    s->model_size = size;
    return 0;
}

/* Sets a library option the CLI chose; a failure is the library's to
 * explain (through the logger). */
static int set_option(Job *job, const char *name, const char *value)
{
    int ret = backdrop_set_option(job->ctx, name, value);
    if (ret < 0 && !job->reported)
        say_error("--%s %s: %s", name, value, backdrop_strerror(ret));
    return ret;
}

/* Opens the library for job->method with the command line's options:
 * every one of them at the start (check_method_options made sure they
 * belong); when switching methods while running, only those the method
 * has (a --threshold of framediff means nothing to selfie), and --model
 * only for the method it was given with. */
static int open_context(Job *job, int switching)
{
    const CliOptions *o = &job->opt;
    BackdropSettings s;
    backdrop_default_settings(&s);
    s.method = job->method;
    s.threads = job->library_threads = library_threads(o->threads, job->method);
    s.logger = library_log;
    s.logger_opaque = job;
    if (load_model(job, &s) < 0)
        return -1;
    int ret = backdrop_open(&job->ctx, &s);
    free((void *)s.model_data); /* the library parsed them and keeps no pointer */
    free((void *)s.model_weights);
    if (ret < 0) {
        if (!job->reported)
            say_error("cannot start method %s: %s", s.method, backdrop_strerror(ret));
        return -1;
    }
    /* The tutorial stretched the picture; seed-compat does too unless told
     * otherwise. The network sees rotated video upright and the background
     * is placed upright; angles other than quarter turns are rare enough to
     * leave as stored. */
    if (!options_library_value(o, "fit") && options_library_value(o, "seed-compat") &&
        set_option(job, "fit", "stretch") < 0)
        return -1;
    double rotation = job->rotation; /* the input may be closed now (--on-demand, idle) */
    if (!options_library_value(o, "rotation") && fmod(rotation, 90.0) == 0.0 && rotation != 0.0) {
        char degrees[8];
        snprintf(degrees, sizeof(degrees), "%d", (int)rotation);
        if (set_option(job, "rotation", degrees) < 0)
            return -1;
    }
    /* The context's options first: they choose the stages whose options
     * follow, whatever the order on the command line. */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < o->lib_count; i++) {
            const char *owner = options_owner(o, job->method, o->lib[i].name);
            int of_context = owner && !strcmp(owner, "context");
            if (switching && !owner)
                continue;
            if (of_context == (pass == 0) && set_option(job, o->lib[i].name, o->lib[i].value) < 0)
                return -1;
        }
    return 0;
}

int job_open_library(Job *job)
{
    job->start_method = job->method;
    job->rotation = input_rotation(job->input);
    if (open_context(job, 0) < 0)
        return -1;
    return load_background(job);
}

/* The background as it stands, given to a new context: what the control
 * socket last set, else -b (a video's frame shown now, without waiting for
 * the next one). */
static int restore_background(Job *job, char *err, size_t errlen)
{
    if (job->live_background)
        return live_set_background(job, job->live_background, err, errlen);
    if (job->background_video) {
        const AVFrame *shown = background_shown(job->background_video);
        if (!shown)
            return 0;
        BackdropFrame bg = wrap_frame(shown);
        int ret = backdrop_set_background(job->ctx, &bg);
        if (ret < 0)
            return message_set(err, errlen, "background: %s", backdrop_strerror(ret)), -1;
        return 0;
    }
    if (job->background_kind == BACKGROUND_FILE && !strcmp(job->opt.background, "-"))
        return message_set(err, errlen, "the background came from stdin and cannot be read again"), -1;
    return load_background(job) < 0 ? -1 : 0;
}

int job_switch_method(Job *job, const char *name, char *err, size_t errlen)
{
    const char *method = NULL;
    for (int i = 0; backdrop_method_name(i); i++)
        if (!strcmp(backdrop_method_name(i), name))
            method = backdrop_method_name(i);
    if (!method)
        return message_set(err, errlen, "unknown method '%s'", name), -1;
    if (method_takes_matte(method))
        return message_set(err, errlen, "%s needs --matte-in, which a live run cannot take", method), -1;
    if (!strcmp(method, job->method))
        return 0;
    /* The new context is made beside the old, which stays if it fails. */
    BackdropContext *old = job->ctx;
    const char *old_method = job->method;
    int old_threads = job->library_threads;
    char old_model[sizeof(job->model_path)], old_weights[sizeof(job->weights_path)];
    memcpy(old_model, job->model_path, sizeof(old_model)); /* the old context's errors name them */
    memcpy(old_weights, job->weights_path, sizeof(old_weights));
    job->ctx = NULL;
    job->method = method;
    err[0] = '\0';
    say_capture(err, errlen); /* what goes wrong is the answer, not the run's error */
    int ok = open_context(job, 1) == 0 && restore_background(job, err, errlen) == 0;
    if (ok)
        live_replay_options(job);
    say_capture(NULL, 0);
    if (!ok) {
        if (!err[0])
            message_set(err, errlen, "cannot start method %s", method);
        backdrop_close(&job->ctx);
        job->ctx = old;
        job->method = old_method;
        job->library_threads = old_threads;
        memcpy(job->model_path, old_model, sizeof(old_model));
        memcpy(job->weights_path, old_weights, sizeof(old_weights));
        return -1;
    }
    backdrop_close(&old);
    return 0;
}

int main(int argc, char **argv)
{
    /* backdrop ctl PATH COMMAND...: the control socket's client. */
    if (argc > 1 && !strcmp(argv[1], "ctl"))
        return ctl_main(argc - 1, argv + 1);
    Job job;
    memset(&job, 0, sizeof(job));
    char err[ERRLEN];
    if (options_parse(&job.opt, argc, argv, err, sizeof(err)) < 0) {
        say_error("%s", err);
        return 2;
    }
    if (job.opt.help) {
        options_print_help(stdout, "backdrop");
        return 0;
    }
    if (job.opt.version) {
        printf("backdrop %s (libbackdrop %s, FFmpeg %s)\n", BACKDROP_VERSION, backdrop_version(),
               av_version_info());
        return 0;
    }
    if (job.opt.list_devices)
        return list_devices();
    if (check_devices(&job) < 0 || check_method_options(&job) < 0 || check_background(&job) < 0)
        return 2;
    if (check_outputs(&job) < 0 || check_transparent(&job) < 0) {
        fileid_set_free(&job.input_files);
        return 2;
    }
    /* backdrop reports every failure in its own one-line words; FFmpeg's
     * messages (per packet, per library) are for --verbose. SVT-AV1 logs
     * by itself, as its SVT_LOG says (0: fatal errors only). */
    av_log_set_level(job.opt.verbose ? AV_LOG_WARNING : AV_LOG_QUIET);
    if (!job.opt.verbose)
        setenv("SVT_LOG", "0", 0);
    /* Ctrl-C, SIGTERM and SIGHUP (the terminal went away) finish the output
     * cleanly with the frames so far; SA_RESETHAND lets a second signal end
     * the process at once (for example while a pipe stalls). The exit
     * status is then the shell's convention, 128 + the signal number. */
    catch_signal(SIGINT);
    catch_signal(SIGTERM);
    catch_signal(SIGHUP);

    int ret = batch_run(&job);
    batch_cleanup(&job, ret >= 0);
    if (ret < 0)
        return 1;
    return interrupted ? 128 + interrupted : 0;
}
