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

int batch_open_outputs(Job *job, const AVFrame *first)
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
    /* Live, a virtual camera gets a steady rate: the last frame again when
     * processing is late. */
    if (job->live && output_is_realtime(job->output)) {
        double period = oo.frame_rate.num > 0 && oo.frame_rate.den > 0 ? av_q2d(av_inv_q(oo.frame_rate)) : 1.0 / 30;
        job->frame_period = period;
        if (pacer_start(&job->pacer, job->output, period) < 0) {
            say_error("out of memory");
            return -1;
        }
        job->paced_output = 1;
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

int batch_write(Job *job, const AVFrame *frame, char *err, size_t errlen)
{
    return job->pacer ? pacer_write(job->pacer, frame, err, errlen)
                      : output_write_video(job->output, frame, err, errlen);
}

int batch_video(Job *job, AVFrame *frame)
{
    char err[ERRLEN];
    if (!job->output && batch_open_outputs(job, frame) < 0)
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
    if (batch_write(job, out_frame, err, sizeof(err)) < 0) {
        say_error("%s", err);
        return -1;
    }
    job->written = out_frame; /* its pixels stay until the next output_frame() */
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
        len += live_stats(job, text + len, sizeof(text) - (size_t)len);
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
    pacer_stop(&job->pacer); /* before the output it repeats frames on */
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
    live_cleanup(job);
    input_close(&job->input);
}

int batch_open_input(Job *job)
{
    char err[ERRLEN];
    InputOptions io = { 0 };
    io.url = job->opt.input;
    io.threads = job->opt.threads;
    io.on_error = job->opt.on_error == ON_ERROR_STOP ? INPUT_ON_ERROR_STOP : INPUT_ON_ERROR_SKIP;
    io.video_size = job->opt.size; /* a camera's; refused for others (backdrop.c) */
    /* A camera opened again (--on-demand) is asked for the size the run
     * began with: another program may have set the device to another size
     * in between, and the frames' size is fixed for the run. */
    char size[32];
    if (!io.video_size && job->width > 0 && v4l2dev_is_device_name(job->opt.input)) {
        snprintf(size, sizeof(size), "%dx%d", job->width, job->height);
        io.video_size = size;
    }
    io.framerate = job->opt.fps;
    io.input_format = job->opt.input_format;
    /* The tutorial works on OpenCV's BGR frames; everything else stays in
     * the decoder's format. */
    io.want_format = options_library_value(&job->opt, "seed-compat") ? AV_PIX_FMT_BGR24 : AV_PIX_FMT_NONE;
    if (input_open(&job->input, &io, err, sizeof(err)) < 0) {
        say_error("%s", err);
        return -1;
    }
    return 0;
}

int batch_run(Job *job)
{
    char err[ERRLEN];
    /* A camera is live by nature; a file with --realtime is paced as one. */
    job->live = job->opt.realtime || v4l2dev_is_device_name(job->opt.input);
    if (batch_open_input(job) < 0)
        return -1;
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
        if (live_start(job) < 0)
            return -1;
    } else if (reader_start(&job->reader, job->input, job->opt.threads != 1) < 0) {
        say_error("out of memory");
        return -1;
    }
    job->start = job->last_progress = now_seconds();
    for (;;) {
        if (job->live && live_between_frames(job) < 0)
            return -1;
        if (interrupted) {
            if (job->progress_shown)
                fputc('\n', stderr);
            fprintf(stderr, "backdrop: %s after %lld frames; finishing the output\n",
                    stop_reason(interrupted), (long long)job->frames_in);
            break;
        }
        if (job->quit) /* control "quit" (--on-demand: perhaps while idle, with no input) */
            break;
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
        if (job->live ? live_frame(job, ev.frame, captured) < 0 : batch_video(job, ev.frame) < 0)
            return -1;
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
    job->stage_seconds[STAGE_DECODE] +=
        (job->reader ? reader_decode_seconds(job->reader) : 0) + (job->matte_in ? matte_in_decode_seconds(job->matte_in) : 0);
    reader_stop(&job->reader);
    live_stop(job); /* adds the capture's decoding time */
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

