/*
 * backdrop: the command-line program. It owns all media I/O (FFmpeg through
 * input.c and output.c) and drives libbackdrop through its public API only.
 *
 * Flow: parse options -> open input -> load background -> for each decoded
 * frame: process, write frame (and matte); audio packets go straight to the
 * output. The outputs are opened on the first video frame, when its size and
 * format are known; audio packets that arrive before it wait in a queue.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/display.h>
#include <libavutil/log.h>
#include <libavutil/avstring.h>
#include <libavutil/avutil.h>
#include <libavutil/pixdesc.h>

#include "backdrop/backdrop.h"
#include "input.h"
#include "message.h"
#include "model.h"
#include "options.h"
#include "output.h"
#include "overlap.h"
#include "paths.h"
#include "reader.h"

#define ERRLEN MESSAGE_MAX
/* Audio packets held until the outputs open; a video stream whose first
 * frame comes later than this is not a file we can sensibly keep in sync. */
#define MAX_QUEUED_AUDIO 4096

/* The signal that asked us to stop (SIGINT, SIGTERM or SIGHUP), or 0. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    interrupted = sig;
}

static const char *stop_reason(int sig)
{
    switch (sig) {
    case SIGINT: return "interrupted";
    case SIGTERM: return "terminated (SIGTERM)";
    case SIGHUP: return "hung up (SIGHUP)";
    default: return "stopped";
    }
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef enum Stage { STAGE_DECODE, STAGE_PROCESS, STAGE_ENCODE, STAGE_COUNT } Stage;
static const char *const stage_names[STAGE_COUNT] = { "decode", "process", "encode" };

typedef struct Job {
    CliOptions opt;
    Input *input;
    Reader *reader;
    BackdropContext *ctx;
    Output *output, *matte_output;
    int width, height, format; /* of the frames, fixed by the first */
    AVPacket **queued_audio;
    int queued_count;
    int64_t frames_in, frames_out;
    double stage_seconds[STAGE_COUNT];
    double start, last_progress;
    int progress_shown;
    int show_progress;     /* stderr is a terminal and not --quiet */
    int64_t total_frames;  /* estimate for the progress line, 0 if unknown */
    const char *method;    /* resolved method name */
    char model_path[4096]; /* selfie: the model file used */
    int reported;          /* the library already explained the failure */
    FileIdSet input_files; /* what the input reads: no output may replace these */
    char *stats_tmp;       /* --stats written here, renamed at the commit */
    char *stats_final;
} Job;

static void say_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
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
    if (level > BACKDROP_LOG_WARNING)
        return;
    if (level == BACKDROP_LOG_ERROR && job->model_path[0] && !strncmp(msg, "selfie: model", 13))
        fprintf(stderr, "backdrop: %s: %s\n", job->model_path, msg + 8);
    else
        fprintf(stderr, "backdrop: %s\n", msg);
    if (level == BACKDROP_LOG_ERROR)
        job->reported = 1;
}

static BackdropPixelFormat to_backdrop_format(int av_format)
{
    switch (av_format) {
    case AV_PIX_FMT_YUV420P: return BACKDROP_PIXFMT_YUV420P;
    case AV_PIX_FMT_RGB24: return BACKDROP_PIXFMT_RGB24;
    case AV_PIX_FMT_BGR24: return BACKDROP_PIXFMT_BGR24;
    case AV_PIX_FMT_GRAY8: return BACKDROP_PIXFMT_GRAY8;
    default: return BACKDROP_PIXFMT_NONE;
    }
}

/* Describes an AVFrame's pixels to the library without copying them. Video
 * whose matrix is not tagged is taken as BT.709 from 720 lines up, BT.601
 * below: what encoders of untagged video almost always meant. */
static BackdropFrame wrap_frame(const AVFrame *f)
{
    BackdropFrame b = { 0 };
    b.format = to_backdrop_format(f->format);
    b.width = f->width;
    b.height = f->height;
    for (int p = 0; p < 3; p++) {
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

static int load_background(Job *job)
{
    const char *spec = job->opt.background;
    uint8_t rgb[3] = { 0, 0, 0 };
    if (!spec)
        return 0;
    if (options_parse_color(spec, rgb))
        return backdrop_set_background_color(job->ctx, rgb[0], rgb[1], rgb[2]);
    if (spec[0] == '#') {
        say_error("--background: '%s' is not a colour (use #RRGGBB)", spec);
        return -1;
    }
    char err[ERRLEN];
    AVFrame *picture = NULL;
    if (input_load_image(spec, &picture, err, sizeof(err)) < 0) {
        say_error("%s", err);
        return -1;
    }
    BackdropFrame bg = wrap_frame(picture);
    int ret = backdrop_set_background(job->ctx, &bg);
    av_frame_free(&picture);
    if (ret < 0) {
        say_error("%s: cannot use as background: %s", spec, backdrop_strerror(ret));
        return -1;
    }
    return 0;
}

/* Threads for the library's row slices. With decode-ahead, one core is
 * taken by the reader thread and the decoder's own threads; measured on two
 * cores, giving the library a second worker there costs more in contention
 * (its workers and the decoder's compete) than it gains. */
static int library_threads(int requested)
{
    long cores = requested > 0 ? requested : sysconf(_SC_NPROCESSORS_ONLN);
    return cores >= 3 ? (int)(cores - 1) : 1;
}

static int library_has_method(const char *name)
{
    for (int i = 0; backdrop_method_name(i); i++)
        if (!strcmp(backdrop_method_name(i), name))
            return 1;
    return 0;
}

/* Resolves the method and checks the options whose meaning depends on it,
 * before anything is opened: a bad command line is exit status 2. */
static int check_method_options(Job *job)
{
    const CliOptions *o = &job->opt;
    /* --seed-compat is the tutorial's framediff; otherwise selfie is the
     * default, unless the library was built without it (-Dxnnpack=disabled). */
    job->method = o->method ? o->method : o->seed_compat ? "framediff" : "selfie";
    if (!o->method && !library_has_method(job->method)) {
        fprintf(stderr, "backdrop: this libbackdrop was built without XNNPACK and has no selfie method; "
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
    if (!strcmp(job->method, "framediff") && o->threshold_given &&
        (o->threshold != (int)o->threshold || o->threshold > 255)) {
        say_error("--threshold: framediff takes a whole grey level 0..255, not %g", o->threshold);
        return -1;
    }
    if (!strcmp(job->method, "selfie") && o->threshold_given && o->threshold > 1) {
        say_error("--threshold: selfie takes a probability 0..1, not %g", o->threshold);
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
    /* The background picture is read too: replacing it would destroy it. */
    if (job->opt.background && path_file_id(job->opt.background, &id)) {
        if (fileid_set_add(&background, id) < 0 || fileid_set_add(&job->input_files, id) < 0) {
            message_set(err, sizeof(err), "out of memory");
            goto done;
        }
        if (overlap_check_reads(&background, "background picture", job->opt.background, outputs, 3,
                                err, sizeof(err)) < 0)
            goto done;
    }
    if (overlap_check_outputs(outputs, 3, err, sizeof(err)) < 0)
        goto done;
    ret = 0;
done:
    if (ret < 0)
        say_error("%s", err);
    fileid_set_free(&background);
    return ret;
}

/* Fills the method-specific library settings; for selfie, loads the model. */
static int method_settings(Job *job, BackdropSettings *s)
{
    const CliOptions *o = &job->opt;
    if (!strcmp(s->method, "framediff"))
        s->threshold = o->threshold_given ? (int)o->threshold : 3;
    if (strcmp(s->method, "selfie"))
        return 0;
    s->mask_threshold = o->threshold_given ? (float)o->threshold : 0.5f;
    s->mask_softness = (float)o->softness;
    static const BackdropFraming framings[] = {
        [FRAMING_STRETCH] = BACKDROP_FRAMING_STRETCH,
        [FRAMING_CROP] = BACKDROP_FRAMING_CROP,
        [FRAMING_PAD] = BACKDROP_FRAMING_PAD,
        [FRAMING_WINDOWS] = BACKDROP_FRAMING_WINDOWS,
    };
    s->framing = framings[o->framing];
    s->nn_engine = o->engine == ENGINE_REFERENCE ? BACKDROP_ENGINE_REFERENCE : BACKDROP_ENGINE_XNNPACK;
    /* The network sees the picture upright; other angles than quarter turns
     * are rare enough to leave as stored. */
    double rotation = input_rotation(job->input);
    s->rotation = fmod(rotation, 90.0) == 0.0 ? (int)rotation : 0;
    const char *spec = o->model ? o->model : MODEL_DEFAULT;
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

static int open_library(Job *job)
{
    BackdropSettings s;
    backdrop_default_settings(&s);
    s.method = job->method;
    s.threads = library_threads(job->opt.threads);
    s.seed_compat = job->opt.seed_compat;
    /* The tutorial stretches the picture; seed-compat keeps that unless the
     * user asked for another fit. */
    int fit = job->opt.seed_compat && !job->opt.fit_given ? FIT_STRETCH : job->opt.fit;
    s.fit = fit == FIT_COVER ? BACKDROP_FIT_COVER : fit == FIT_CONTAIN ? BACKDROP_FIT_CONTAIN : BACKDROP_FIT_STRETCH;
    s.logger = library_log;
    s.logger_opaque = job;
    if (method_settings(job, &s) < 0)
        return -1;
    int ret = backdrop_open(&job->ctx, &s);
    free((void *)s.model_data); /* the library parsed it and keeps no pointer */
    if (ret < 0) {
        if (!job->reported)
            say_error("cannot start method %s: %s", s.method, backdrop_strerror(ret));
        return -1;
    }
    return load_background(job);
}

static void fill_output_options(OutputOptions *oo, const Job *job, const AVFrame *first, const char *path,
                                int pix_fmt, const AVStream *audio)
{
    const AVStream *video = input_video_stream(job->input);
    memset(oo, 0, sizeof(*oo));
    oo->path = path;
    oo->codec = job->opt.codec;
    oo->crf = job->opt.crf;
    oo->threads = job->opt.threads;
    oo->width = first->width;
    oo->height = first->height;
    oo->pix_fmt = pix_fmt;
    oo->time_base = video->time_base;
    oo->frame_rate = av_guess_frame_rate(input_format(job->input), (AVStream *)video, NULL);
    oo->sample_aspect_ratio = first->sample_aspect_ratio;
    oo->color_range = first->color_range;
    oo->colorspace = first->colorspace;
    oo->color_primaries = first->color_primaries;
    oo->color_trc = first->color_trc;
    oo->display_matrix = av_stream_get_side_data(video, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    oo->audio = audio;
    oo->protect = (FileIdSet *)&job->input_files;
}

static int open_outputs(Job *job, const AVFrame *first)
{
    char err[ERRLEN];
    OutputOptions oo;
    if (to_backdrop_format(first->format) == BACKDROP_PIXFMT_NONE) {
        say_error("%s: decoder gave pixel format %s, which was not converted", job->opt.input,
                  av_get_pix_fmt_name(first->format));
        return -1;
    }
    job->width = first->width;
    job->height = first->height;
    job->format = first->format;
    fill_output_options(&oo, job, first, job->opt.output, first->format, input_audio_stream(job->input));
    if (output_open(&job->output, &oo, err, sizeof(err)) < 0) {
        say_error("%s", err);
        return -1;
    }
    if (job->opt.matte) {
        /* A matte holds alpha values, not video levels: full range, no colour. */
        fill_output_options(&oo, job, first, job->opt.matte, AV_PIX_FMT_GRAY8, NULL);
        oo.color_range = AVCOL_RANGE_JPEG;
        oo.colorspace = AVCOL_SPC_UNSPECIFIED;
        oo.color_primaries = AVCOL_PRI_UNSPECIFIED;
        oo.color_trc = AVCOL_TRC_UNSPECIFIED;
        if (output_open(&job->matte_output, &oo, err, sizeof(err)) < 0) {
            say_error("%s", err);
            return -1;
        }
    }
    for (int i = 0; i < job->queued_count; i++) {
        int ret = output_write_audio(job->output, job->queued_audio[i], err, sizeof(err));
        if (ret < 0) {
            say_error("%s", err);
            return -1;
        }
        av_packet_free(&job->queued_audio[i]);
    }
    job->queued_count = 0;
    return 0;
}

static int handle_audio(Job *job, const AVPacket *pkt)
{
    char err[ERRLEN];
    if (job->output) {
        int ret = output_write_audio(job->output, pkt, err, sizeof(err));
        if (ret < 0)
            say_error("%s", err);
        return ret < 0 ? -1 : 0;
    }
    if (job->queued_count == MAX_QUEUED_AUDIO) {
        say_error("%s: more than %d audio packets before the first video frame", job->opt.input,
                  MAX_QUEUED_AUDIO);
        return -1;
    }
    if ((!job->queued_audio && !(job->queued_audio = calloc(MAX_QUEUED_AUDIO, sizeof(AVPacket *)))) ||
        !(job->queued_audio[job->queued_count] = av_packet_clone(pkt))) {
        say_error("out of memory");
        return -1;
    }
    job->queued_count++;
    return 0;
}

static int handle_video(Job *job, AVFrame *frame)
{
    char err[ERRLEN];
    if (!job->output && open_outputs(job, frame) < 0)
        return -1;
    if (frame->width != job->width || frame->height != job->height || frame->format != job->format) {
        say_error("%s: frame size changed mid-stream (%dx%d to %dx%d); not supported", job->opt.input,
                  job->width, job->height, frame->width, frame->height);
        return -1;
    }
    double t0 = now_seconds();
    /* The library writes straight into the encoders' pictures. */
    AVFrame *out_frame = output_frame(job->output, err, sizeof(err));
    AVFrame *matte_frame = job->matte_output ? output_frame(job->matte_output, err, sizeof(err)) : NULL;
    if (!out_frame || (job->matte_output && !matte_frame)) {
        say_error("%s", err);
        return -1;
    }
    BackdropFrame in = wrap_frame(frame), out = wrap_frame(out_frame), matte;
    if (matte_frame)
        matte = wrap_frame(matte_frame);
    int ret = backdrop_process(job->ctx, &in, &out, matte_frame ? &matte : NULL);
    double t1 = now_seconds();
    job->stage_seconds[STAGE_PROCESS] += t1 - t0;
    if (ret == BACKDROP_EAGAIN)
        return 0;
    if (ret < 0) {
        say_error("frame %lld: %s", (long long)job->frames_in, backdrop_strerror(ret));
        return -1;
    }
    out_frame->pts = frame->pts;
    if (output_write_video(job->output, out_frame, err, sizeof(err)) < 0) {
        say_error("%s", err);
        return -1;
    }
    if (matte_frame) {
        matte_frame->pts = frame->pts;
        if (output_write_video(job->matte_output, matte_frame, err, sizeof(err)) < 0) {
            say_error("%s", err);
            return -1;
        }
    }
    job->stage_seconds[STAGE_ENCODE] += now_seconds() - t1;
    job->frames_out++;
    return 0;
}

static void show_progress(Job *job, int final)
{
    if (!job->show_progress)
        return;
    double now = now_seconds();
    if (!final && now - job->last_progress < 0.5)
        return;
    job->last_progress = now;
    double elapsed = now - job->start, fps = elapsed > 0 ? job->frames_in / elapsed : 0;
    int64_t total = job->total_frames;
    char line[160];
    if (total > 0 && job->frames_in <= total) {
        double eta = fps > 0 ? (total - job->frames_in) / fps : 0;
        snprintf(line, sizeof(line), "%3d%%  %lld/%lld frames  %.1f fps  ETA %d:%02d",
                 (int)(100 * job->frames_in / total), (long long)job->frames_in, (long long)total, fps,
                 (int)eta / 60, (int)eta % 60);
    } else {
        snprintf(line, sizeof(line), "%lld frames  %.1f fps", (long long)job->frames_in, fps);
    }
    fprintf(stderr, "\r%-60s%s", line, final ? "\n" : "");
    job->progress_shown = !final;
}

/* Writes all of text to fd; 0 or an errno value. */
static int write_all(int fd, const char *text, size_t len)
{
    while (len) {
        ssize_t n = write(fd, text, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? errno : EIO;
        text += n;
        len -= (size_t)n;
    }
    return 0;
}

/* --stats: the JSON goes straight into a special file ("-" is standard
 * output, a device, a FIFO, /dev/stdout), through our own descriptor when
 * the name stands for one, else opened to append rather than truncate, so
 * that nothing already written there is lost; a regular file is written
 * under a temporary name that the commit renames into place, like every
 * other output. */
static int write_stats(Job *job, double seconds)
{
    const char *path = job->opt.stats;
    char text[1024];
    int len = snprintf(text, sizeof(text), "{\"frames\": %lld, \"seconds\": %.6f, \"fps\": %.3f, \"stages\": {",
                       (long long)job->frames_out, seconds, seconds > 0 ? job->frames_out / seconds : 0.0);
    for (int s = 0; s < STAGE_COUNT; s++)
        len += snprintf(text + len, sizeof(text) - (size_t)len, "%s\"%s\": %.3f", s ? ", " : "",
                        stage_names[s], job->stage_seconds[s] * 1000.0);
    len += snprintf(text + len, sizeof(text) - (size_t)len, "}}\n");

    int e = 0;
    if (path_is_special(path)) {
        int own = path_descriptor(path);
        int fd = own >= 0 ? dup(own) : open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (fd < 0)
            e = errno;
        else {
            e = write_all(fd, text, (size_t)len);
            if (close(fd) != 0 && !e)
                e = errno;
        }
    } else if (!(job->stats_final = path_rename_target(path)) ||
               !(job->stats_tmp = av_asprintf("%.*s.%s.part-%d",
                                              (int)(path_base(job->stats_final) - job->stats_final),
                                              job->stats_final, path_base(job->stats_final),
                                              (int)getpid()))) {
        e = ENOMEM;
    } else {
        int fd = open(job->stats_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (fd < 0)
            e = errno;
        else {
            e = write_all(fd, text, (size_t)len);
            if (close(fd) != 0 && !e)
                e = errno;
            if (e)
                unlink(job->stats_tmp);
        }
        if (e)
            av_freep(&job->stats_tmp);
    }
    if (e) {
        say_error("%s: cannot write stats: %s", path, strerror(e));
        return -1;
    }
    return 0;
}

static void cleanup(Job *job, int success)
{
    if (!success) {
        output_abort(&job->output);
        output_abort(&job->matte_output);
    }
    if (job->stats_tmp)
        unlink(job->stats_tmp);
    av_freep(&job->stats_tmp);
    free(job->stats_final);
    fileid_set_free(&job->input_files);
    for (int i = 0; i < job->queued_count; i++)
        av_packet_free(&job->queued_audio[i]);
    free(job->queued_audio);
    backdrop_close(&job->ctx);
    reader_stop(&job->reader); /* before the input it reads from */
    input_close(&job->input);
}

static int run(Job *job)
{
    char err[ERRLEN];
    InputOptions io = { 0 };
    io.url = job->opt.input;
    io.threads = job->opt.threads;
    io.on_error = job->opt.on_error == ON_ERROR_STOP ? INPUT_ON_ERROR_STOP : INPUT_ON_ERROR_SKIP;
    /* The tutorial works on OpenCV's BGR frames; everything else stays in
     * the decoder's format. */
    io.want_format = job->opt.seed_compat ? AV_PIX_FMT_BGR24 : AV_PIX_FMT_NONE;
    if (input_open(&job->input, &io, err, sizeof(err)) < 0) {
        say_error("%s", err);
        return -1;
    }
    if (open_library(job) < 0)
        return -1;

    /* Read before the reader thread starts demuxing. */
    job->show_progress = !job->opt.quiet && isatty(STDERR_FILENO);
    job->total_frames = input_frame_estimate(job->input);
    /* With more than one thread, decoding runs ahead on its own thread. */
    if (reader_start(&job->reader, job->input, job->opt.threads != 1) < 0) {
        say_error("out of memory");
        return -1;
    }
    job->start = job->last_progress = now_seconds();
    for (;;) {
        if (interrupted) {
            if (job->progress_shown)
                fputc('\n', stderr);
            fprintf(stderr, "backdrop: %s after %lld frames; finishing the output\n",
                    stop_reason(interrupted), (long long)job->frames_in);
            break;
        }
        InputEvent ev;
        int ret = reader_next(job->reader, &ev, err, sizeof(err));
        if (ret < 0) {
            if (job->progress_shown)
                fputc('\n', stderr);
            say_error("%s", err);
            return -1;
        }
        if (ev.type == INPUT_EVENT_EOF)
            break;
        if (ev.type == INPUT_EVENT_AUDIO) {
            if (handle_audio(job, ev.packet) < 0)
                return -1;
            continue;
        }
        if (handle_video(job, ev.frame) < 0)
            return -1;
        job->frames_in++;
        show_progress(job, 0);
    }
    if (!job->output) {
        say_error("%s: no video frames could be decoded", job->opt.input);
        return -1;
    }
    if (job->frames_out == 0) {
        say_error("%s: %lld frames are too few to produce any output", job->opt.input,
                  (long long)job->frames_in);
        return -1;
    }
    /* The input is done with: stop decoding ahead (after an interrupt the
     * reader would go on) before finishing and reading its counters. */
    job->stage_seconds[STAGE_DECODE] = reader_decode_seconds(job->reader);
    reader_stop(&job->reader);
    /* Every output is completed before any is renamed into place: a late
     * failure (the matte's encoder, a full disk, the stats) leaves none of
     * them half-committed. */
    if (output_complete(job->output, err, sizeof(err)) < 0 ||
        (job->matte_output && output_complete(job->matte_output, err, sizeof(err)) < 0)) {
        say_error("%s", err);
        return -1;
    }
    double seconds = now_seconds() - job->start;
    if (job->opt.stats && write_stats(job, seconds) < 0)
        return -1;
    if (output_commit(&job->output, err, sizeof(err)) < 0 ||
        (job->matte_output && output_commit(&job->matte_output, err, sizeof(err)) < 0)) {
        say_error("%s", err);
        return -1;
    }
    if (job->stats_tmp) {
        int e = -path_replace(job->stats_tmp, job->stats_final);
        if (e) {
            say_error("%s: cannot write stats: %s", job->opt.stats, strerror(e));
            return -1;
        }
        av_freep(&job->stats_tmp);
    }
    show_progress(job, 1);
    int64_t skipped = input_skipped(job->input);
    if (skipped > 0)
        fprintf(stderr, "backdrop: %s: skipped %lld undecodable packets (--on-error stop to fail instead)\n",
                job->opt.input, (long long)skipped);
    return 0;
}

int main(int argc, char **argv)
{
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
    if (check_method_options(&job) < 0)
        return 2;
    if (check_outputs(&job) < 0) {
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
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    int ret = run(&job);
    cleanup(&job, ret >= 0);
    if (ret < 0)
        return 1;
    return interrupted ? 128 + interrupted : 0;
}
