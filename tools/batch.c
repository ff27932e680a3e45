/*
 * The batch loop of the CLI: file in, files out, every frame. Decoding runs
 * ahead on the reader thread; each frame is processed by the library
 * straight into the encoders' pictures; audio packets go to the output as
 * they come. The outputs are opened on the first video frame, when its size
 * and format are known (audio before it waits in a queue); at the end all
 * outputs are completed before any is committed. A signal finishes the
 * output with the frames so far.
 */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <libavutil/avstring.h>
#include <libavutil/pixdesc.h>

#include "job.h"
#include "v4l2dev.h"

/* Audio packets held until the outputs open; a video stream whose first
 * frame comes later than this is not a file we can sensibly keep in sync. */
#define MAX_QUEUED_AUDIO 4096

static const char *const stage_names[STAGE_COUNT] = { "decode", "process", "encode" };

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
    oo->v4l2_format = job->opt.v4l2_format; /* a virtual camera's; ignored elsewhere */
}

/* The format the library composites a frame of fmt into when the output
 * is transparent (the same planes plus alpha), or AV_PIX_FMT_NONE. */
static enum AVPixelFormat alpha_variant(int fmt)
{
    switch (fmt) {
    case AV_PIX_FMT_YUV420P: return AV_PIX_FMT_YUVA420P;
    case AV_PIX_FMT_RGB24: return AV_PIX_FMT_RGBA;
    case AV_PIX_FMT_BGR24: return AV_PIX_FMT_BGRA;
    default: return AV_PIX_FMT_NONE;
    }
}

static int open_outputs(Job *job, const AVFrame *first)
{
    char err[ERRLEN];
    OutputOptions oo;
    int out_format = job->transparent ? alpha_variant(first->format) : first->format;
    if (to_backdrop_format(first->format) == BACKDROP_PIXFMT_NONE || out_format == AV_PIX_FMT_NONE) {
        say_error("%s: decoder gave pixel format %s, which was not converted", job->opt.input,
                  av_get_pix_fmt_name(first->format));
        return -1;
    }
    job->width = first->width;
    job->height = first->height;
    job->format = first->format;
    /* Transparent: the library writes the matte into the alpha of the
     * output's own picture (no copy), converted only if the encoder needs
     * another format (output.c). */
    /* Live frames may be dropped: the output is video only. */
    fill_output_options(&oo, job, first, job->opt.output, out_format,
                        job->live ? NULL : input_audio_stream(job->input));
    if (job->opt.view == VIEW_SIDE_BY_SIDE) {
        if (view_open(&job->view, first->width, first->height, first->format, err, sizeof(err)) < 0) {
            say_error("%s", err);
            return -1;
        }
        oo.width = view_width(job->view);
    }
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

/* --matte-in: the matte that goes with this input frame, handed to the
 * library (which reads it during the next backdrop_process). */
static int give_matte(Job *job, const AVFrame *frame)
{
    char err[ERRLEN];
    const AVFrame *m;
    if (matte_in_next(job->matte_in, frame->width, frame->height, &m, err, sizeof(err)) < 0) {
        say_error("%s", err);
        return -1;
    }
    BackdropFrame matte = wrap_frame(m);
    int ret = backdrop_set_matte(job->ctx, &matte);
    if (ret < 0 && !job->reported)
        say_error("%s: cannot use as matte: %s", job->opt.matte_in, backdrop_strerror(ret));
    return ret < 0 ? -1 : 0;
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
    /* Before the clock starts: reading the matte is decoding, not
     * processing (its decoder's time counts as decode in --stats). */
    if (job->matte_in && give_matte(job, frame) < 0)
        return -1;
    double t0 = now_seconds();
    if (job_update_background(job, frame) < 0)
        return -1;
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
    if (job->view) {
        /* The library writes into the view's panels' buffers. */
        out = view_result(job->view, &in);
        matte = view_matte(job->view);
    }
    int ret = backdrop_process(job->ctx, &in, &out, matte_frame || job->view ? &matte : NULL);
    double t1 = now_seconds();
    job->stage_seconds[STAGE_PROCESS] += t1 - t0;
    if (ret == BACKDROP_EAGAIN)
        return 0;
    if (ret < 0) {
        say_error("frame %lld: %s", (long long)job->frames_in, backdrop_strerror(ret));
        return -1;
    }
    if (job->view) {
        view_compose(job->view, out_frame, frame);
        if (matte_frame) {
            BackdropFrame m = view_matte(job->view);
            for (int y = 0; y < m.height; y++)
                memcpy(matte_frame->data[0] + y * matte_frame->linesize[0], m.data[0] + y * m.stride[0],
                       (size_t)m.width);
        }
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

static double latency_quantile(const Job *job, double q);

/* ---- the control socket (--control; live only) ---------------------- */

/* A new background while running, from the words -b takes: a colour,
 * blur[:S], or a picture file (transparent needs an output with alpha,
 * chosen at the start; a video background cannot be started mid-run yet).
 * 0, or -1 with the reason in err. */
static int control_background(Job *job, const char *spec, char *err, size_t errlen)
{
    const char *strength;
    BackdropContext *ctx = job->ctx;
    switch (options_background_kind(spec, &strength)) {
    case BACKGROUND_COLOR:
        if (backdrop_set_option(ctx, "background", "picture") < 0 || backdrop_set_background(ctx, NULL) < 0 ||
            backdrop_set_option(ctx, "color", spec) < 0)
            return message_set(err, errlen, "cannot set the colour %s", spec), -1;
        break;
    case BACKGROUND_BLUR:
        if (backdrop_set_option(ctx, "background", "blur") < 0 ||
            (strength && backdrop_set_option(ctx, "blur.strength", strength) < 0))
            return message_set(err, errlen, "blur strength '%s': a number of pixels from 0 to 1000",
                               strength ? strength : ""), -1;
        break;
    case BACKGROUND_TRANSPARENT:
        if (!job->transparent)
            return message_set(err, errlen, "transparent needs an output with alpha, chosen at the start "
                               "(-b transparent)"), -1;
        break;
    default: {
        int still = background_is_still(spec, err, errlen);
        if (still < 0)
            return -1;
        if (!still)
            return message_set(err, errlen, "%s: a video background cannot be started while running (yet)",
                               spec), -1;
        AVFrame *picture = NULL;
        if (input_load_image(spec, &picture, err, errlen) < 0)
            return -1;
        BackdropFrame bg = wrap_frame(picture);
        int ret = backdrop_set_background(ctx, &bg);
        av_frame_free(&picture);
        if (ret < 0 || backdrop_set_option(ctx, "background", "picture") < 0)
            return message_set(err, errlen, "%s: cannot use as background: %s", spec, backdrop_strerror(ret)), -1;
        break;
    }
    }
    background_close(&job->background_video); /* a video background gives way */
    return 0;
}

/* Answers every command waiting on the control socket, between frames:
 * each is applied through the library's runtime options and answered
 * with what the library said. -1 when the socket itself failed. */
static int poll_control(Job *job)
{
    ControlCommand cmd;
    int client, ret;
    char err[ERRLEN];
    /* A refused command is answered on the socket; the library's own
     * message about it is not the run's error. */
    job->quiet_library = 1;
    while ((ret = control_poll(job->control, &cmd, &client, err, sizeof(err))) == 1) {
        char answer[ERRLEN + 16] = "ok";
        int ok = 1;
        switch (cmd.kind) {
        case CONTROL_SET_BACKGROUND:
            ok = control_background(job, cmd.value, err, sizeof(err)) == 0;
            break;
        case CONTROL_SET_BLUR:
        case CONTROL_SET_OPTION:
            ok = control_apply_option(job->ctx, &cmd, err, sizeof(err)) == 0;
            break;
        case CONTROL_SET_METHOD:
            ok = !strcmp(cmd.value, job->method);
            if (!ok)
                message_set(err, sizeof(err), "switching the method while running is not supported yet "
                            "(the method is %s)", job->method);
            break;
        case CONTROL_PAUSE:
            job->paused = 1;
            break;
        case CONTROL_RESUME:
            job->paused = 0;
            break;
        case CONTROL_STATS:
            snprintf(answer, sizeof(answer),
                     "{\"frames\": %lld, \"dropped\": %lld, \"latency_ms\": {\"p50\": %.1f, \"p99\": %.1f}, "
                     "\"paused\": %s}", (long long)job->frames_out, (long long)capture_dropped(job->capture),
                     latency_quantile(job, 0.50), latency_quantile(job, 0.99), job->paused ? "true" : "false");
            break;
        case CONTROL_QUIT:
            job->quit = 1;
            break;
        }
        if (!ok) /* control_apply_option's reasons have the prefix already */
            snprintf(answer, sizeof(answer), "%s%s", strncmp(err, "error: ", 7) ? "error: " : "", err);
        control_reply(job->control, client, answer);
    }
    job->quiet_library = 0;
    if (ret < 0) {
        say_error("%s", err);
        return -1;
    }
    return 0;
}

/* Paused: the input goes out as it came. */
static int pass_through(Job *job, AVFrame *frame)
{
    char err[ERRLEN];
    if (!job->output && open_outputs(job, frame) < 0)
        return -1;
    if (output_write_video(job->output, frame, err, sizeof(err)) < 0) {
        say_error("%s", err);
        return -1;
    }
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

/* Capture-to-output latency: a histogram of LATENCY_BINS bins of
 * LATENCY_BIN_MS (the last also holds everything longer), allocated once,
 * so that a live run of any length records every frame without growing. */
#define LATENCY_BIN_MS 0.1
#define LATENCY_BINS 100000

static void record_latency(Job *job, double seconds)
{
    long bin = (long)(seconds * 1000.0 / LATENCY_BIN_MS);
    if (bin < 0)
        bin = 0;
    if (bin >= LATENCY_BINS)
        bin = LATENCY_BINS - 1;
    job->latency_bins[bin]++;
    job->latency_count++;
}

/* The latency below which a fraction q of the frames fell: the upper edge
 * of the bin where the count reaches q of all, in ms. */
static double latency_quantile(const Job *job, double q)
{
    if (job->latency_count == 0)
        return 0;
    int64_t want = (int64_t)(q * (double)job->latency_count + 0.999999), seen = 0;
    for (long b = 0; b < LATENCY_BINS; b++) {
        seen += job->latency_bins[b];
        if (seen >= want)
            return (double)(b + 1) * LATENCY_BIN_MS;
    }
    return LATENCY_BINS * LATENCY_BIN_MS;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec * 1e-6;
}

/* Writes all of text to fd and closes it; 0 or an errno value. */
static int write_all_and_close(int fd, const char *text, size_t len)
{
    int e = 0;
    while (len && !e) {
        ssize_t n = write(fd, text, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            e = n < 0 ? errno : EIO;
        else {
            text += n;
            len -= (size_t)n;
        }
    }
    if (close(fd) != 0 && !e)
        e = errno;
    return e;
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
    len += snprintf(text + len, sizeof(text) - (size_t)len, "}, \"threads\": {\"library\": %d}",
                    job->library_threads);
    if (job->live)
        len += snprintf(text + len, sizeof(text) - (size_t)len,
                        ", \"latency_ms\": {\"p50\": %.1f, \"p99\": %.1f}, \"dropped\": %lld, \"cpu_seconds\": %.3f",
                        latency_quantile(job, 0.50), latency_quantile(job, 0.99),
                        (long long)job->frames_dropped, cpu_seconds() - job->cpu_start);
    len += snprintf(text + len, sizeof(text) - (size_t)len, "}\n");

    int e = 0;
    if (path_is_special(path)) {
        int own = path_descriptor(path);
        int fd = own >= 0 ? dup(own) : open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
        e = fd < 0 ? errno : write_all_and_close(fd, text, (size_t)len);
    } else if (!(job->stats_final = path_rename_target(path)) ||
               !(job->stats_tmp = av_asprintf("%.*s.%s.part-%d",
                                              (int)(path_base(job->stats_final) - job->stats_final),
                                              job->stats_final, path_base(job->stats_final),
                                              (int)getpid()))) {
        e = ENOMEM;
    } else {
        int fd = open(job->stats_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        e = fd < 0 ? errno : write_all_and_close(fd, text, (size_t)len);
        if (fd >= 0 && e)
            unlink(job->stats_tmp);
        if (e)
            av_freep(&job->stats_tmp);
    }
    if (e) {
        say_error("%s: cannot write stats: %s", path, strerror(e));
        return -1;
    }
    return 0;
}

void batch_cleanup(Job *job, int success)
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
    background_close(&job->background_video);
    view_close(&job->view);
    matte_in_close(&job->matte_in);
    reader_stop(&job->reader); /* before the input it reads from */
    capture_stop(&job->capture);
    control_close(&job->control);
    free(job->latency_bins);
    job->latency_bins = NULL;
    input_close(&job->input);
}

int batch_run(Job *job)
{
    char err[ERRLEN];
    /* A camera is live by nature; a file with --realtime is paced as one. */
    job->live = job->opt.realtime || v4l2dev_is_device_name(job->opt.input);
    InputOptions io = { 0 };
    io.url = job->opt.input;
    io.threads = job->opt.threads;
    io.on_error = job->opt.on_error == ON_ERROR_STOP ? INPUT_ON_ERROR_STOP : INPUT_ON_ERROR_SKIP;
    io.video_size = job->opt.size; /* a camera's; refused for others (backdrop.c) */
    io.framerate = job->opt.fps;
    io.input_format = job->opt.input_format;
    /* The tutorial works on OpenCV's BGR frames; everything else stays in
     * the decoder's format. */
    io.want_format = options_library_value(&job->opt, "seed-compat") ? AV_PIX_FMT_BGR24 : AV_PIX_FMT_NONE;
    if (input_open(&job->input, &io, err, sizeof(err)) < 0) {
        say_error("%s", err);
        return -1;
    }
    /* The second input, after the first (whose errors come first). */
    if (job->opt.matte_in && matte_in_open(&job->matte_in, job->opt.matte_in, job->opt.on_error == ON_ERROR_STOP,
                                           job->opt.threads != 1, err, sizeof(err)) < 0) {
        say_error("%s", err);
        return -1;
    }
    if (job_open_library(job) < 0)
        return -1;

    /* Read before the reader thread starts demuxing. */
    job->show_progress = !job->opt.quiet && isatty(STDERR_FILENO);
    job->total_frames = input_frame_estimate(job->input);
    /* With more than one thread, decoding runs ahead on its own thread;
     * live, a capture thread keeps the newest frame. */
    if (job->live) {
        const char *delay = getenv("BACKDROP_TEST_PROCESS_DELAY_MS");
        job->delay_ms = delay ? atoi(delay) : 0;
        job->cpu_start = cpu_seconds();
        if (!(job->latency_bins = calloc(LATENCY_BINS, sizeof(uint32_t))) ||
            capture_start(&job->capture, job->input, !v4l2dev_is_device_name(job->opt.input)) < 0) {
            say_error("out of memory");
            return -1;
        }
        if (job->opt.control && control_open(&job->control, job->opt.control, err, sizeof(err)) < 0) {
            say_error("%s", err);
            return -1;
        }
    } else if (reader_start(&job->reader, job->input, job->opt.threads != 1) < 0) {
        say_error("out of memory");
        return -1;
    }
    job->start = job->last_progress = now_seconds();
    for (;;) {
        if (interrupted == SIGHUP && job->live && job->opt.background) {
            /* Live, SIGHUP reloads the background (a picture edited in
             * place, a colour); the run goes on. */
            char why[ERRLEN];
            catch_signal(SIGHUP); /* first: a SIGHUP from now on is caught */
            interrupted = 0;
            if (control_background(job, job->opt.background, why, sizeof(why)) < 0)
                fprintf(stderr, "backdrop: SIGHUP: cannot reload the background: %s\n", why);
            else if (!job->opt.quiet)
                fprintf(stderr, "backdrop: SIGHUP: background %s reloaded\n", job->opt.background);
        }
        if (interrupted) {
            if (job->progress_shown)
                fputc('\n', stderr);
            fprintf(stderr, "backdrop: %s after %lld frames; finishing the output\n",
                    stop_reason(interrupted), (long long)job->frames_in);
            break;
        }
        InputEvent ev;
        double captured = 0;
        int ret = job->live ? capture_next(job->capture, &ev, &captured, err, sizeof(err))
                            : reader_next(job->reader, &ev, err, sizeof(err));
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
        int64_t written = job->frames_out;
        if (job->control && poll_control(job) < 0)
            return -1;
        if (job->paused ? pass_through(job, ev.frame) < 0 : handle_video(job, ev.frame) < 0)
            return -1;
        if (job->live && job->delay_ms > 0) /* the tests' stand-in for a slow method */
            usleep((useconds_t)job->delay_ms * 1000);
        if (job->live && job->frames_out > written)
            record_latency(job, now_seconds() - captured);
        job->frames_in++;
        show_progress(job, 0);
        if (job->quit)
            break;
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
    /* A matte longer than the input was meant for another clip. Not after
     * an interrupt: the input did not end. */
    if (job->matte_in && !interrupted && matte_in_finish(job->matte_in, job->frames_in, err, sizeof(err)) < 0) {
        say_error("%s", err);
        return -1;
    }
    /* The input is done with: stop decoding ahead (after an interrupt the
     * reader would go on) before finishing and reading its counters. */
    job->stage_seconds[STAGE_DECODE] = (job->live ? capture_decode_seconds(job->capture)
                                                   : reader_decode_seconds(job->reader)) +
                                       (job->matte_in ? matte_in_decode_seconds(job->matte_in) : 0);
    reader_stop(&job->reader);
    if (job->live) {
        /* Its counters first: stopping frees it (after an interrupt the
         * paced thread would go on dropping). */
        job->frames_dropped = capture_dropped(job->capture);
        capture_stop(&job->capture);
    }
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

