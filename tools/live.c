/*
 * The live loop's own parts (a camera, or a file with --realtime), on the
 * same job and the same loop as batch.c: the newest-frame capture instead
 * of the reader, commands between frames (the control socket, SIGHUP),
 * pause (frames pass through), and what --stats adds: capture-to-output
 * latency, frames dropped, CPU time.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <libavutil/pixfmt.h>

#include "job.h"
#include "v4l2dev.h"

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


static int remember_option(Job *job, const char *name, const char *value, char *err, size_t errlen);

/* A new background while running, from the words -b takes: a colour,
 * blur[:S], or a picture file (transparent needs an output with alpha,
 * chosen at the start; a video background cannot be started mid-run yet).
 * 0, or -1 with the reason in err. */
int live_set_background(Job *job, const char *spec, char *err, size_t errlen)
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
        /* The strength is the latest one for a new method too (set blur
         * may have set another before). */
        if (strength && remember_option(job, "blur.strength", strength, err, errlen) < 0)
            return -1;
        break;
    case BACKGROUND_TRANSPARENT:
        if (!job->transparent)
            return message_set(err, errlen, "transparent needs an output with alpha, chosen at the start "
                               "(-b transparent)"), -1;
        if (backdrop_set_option(ctx, "background", "transparent") < 0)
            return message_set(err, errlen, "cannot make the background transparent"), -1;
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
    if (spec != job->live_background) { /* kept for a new method's context */
        char *copy = strdup(spec);
        if (!copy)
            return message_set(err, errlen, "out of memory"), -1;
        free(job->live_background);
        job->live_background = copy;
    }
    return 0;
}

/* An option a command set, kept (the latest value per name) for a new
 * method's context. */
static int remember_option(Job *job, const char *name, const char *value, char *err, size_t errlen)
{
    /* Distinct names are few (the parser takes only the library's option
     * names): the list grows by one per new name and never shrinks. */
    int i = 0;
    while (i < job->live_option_count && strcmp(job->live_options[i].name, name))
        i++;
    char *v = strdup(value);
    if (!v)
        return message_set(err, errlen, "out of memory"), -1;
    if (i == job->live_option_count) {
        LiveOption *grown = realloc(job->live_options, sizeof(*grown) * (size_t)(i + 1));
        char *n = strdup(name);
        if (grown)
            job->live_options = grown;
        if (!grown || !n) {
            free(v);
            free(n);
            return message_set(err, errlen, "out of memory"), -1;
        }
        grown[i] = (LiveOption){ n, NULL };
        job->live_option_count++;
    }
    free(job->live_options[i].value);
    job->live_options[i].value = v;
    return 0;
}

void live_replay_options(Job *job)
{
    /* A name the new method does not have is passed over; it comes back
     * with a method that has it. */
    for (int i = 0; i < job->live_option_count; i++)
        if (options_owner(&job->opt, job->method, job->live_options[i].name) ||
            strchr(job->live_options[i].name, '.'))
            backdrop_set_option(job->ctx, job->live_options[i].name, job->live_options[i].value);
}

int live_apply(Job *job, const ControlCommand *cmd, char *answer, size_t answer_len)
{
    char err[ERRLEN];
    int ok = 1;
    /* A refused command is answered; the library's own message about it
     * is not the run's error. */
    job->quiet_library = 1;
    snprintf(answer, answer_len, "ok");
    switch (cmd->kind) {
    case CONTROL_SET_BACKGROUND:
        ok = live_set_background(job, cmd->value, err, sizeof(err)) == 0;
        break;
    case CONTROL_SET_BLUR:
    case CONTROL_SET_OPTION: {
        const char *name = cmd->kind == CONTROL_SET_BLUR ? "blur.strength" : cmd->name;
        ok = control_apply_option(job->ctx, cmd, err, sizeof(err)) == 0 &&
             remember_option(job, name, cmd->value, err, sizeof(err)) == 0;
        break;
    }
    case CONTROL_SET_METHOD:
        ok = job_switch_method(job, cmd->value, err, sizeof(err)) == 0;
        break;
    case CONTROL_PAUSE:
        job->paused = 1;
        break;
    case CONTROL_RESUME:
        job->paused = 0;
        break;
    case CONTROL_STATS:
        snprintf(answer, answer_len,
                 "{\"frames\": %lld, \"dropped\": %lld, \"latency_ms\": {\"p50\": %.1f, \"p99\": %.1f}, "
                 "\"repeated\": %lld, \"paused\": %s, \"method\": \"%s\"}", (long long)job->frames_out,
                 (long long)(job->frames_dropped + (job->capture ? capture_dropped(job->capture) : 0)),
                 latency_quantile(job, 0.50), latency_quantile(job, 0.99),
                 (long long)(job->pacer ? pacer_repeated(job->pacer) : 0), job->paused ? "true" : "false",
                 job->method);
        break;
    case CONTROL_QUIT:
        job->quit = 1;
        break;
    }
    job->quiet_library = 0;
    if (!ok) /* control_apply_option's reasons have the prefix already */
        snprintf(answer, answer_len, "%s%s", strncmp(err, "error: ", 7) ? "error: " : "", err);
    return ok ? 0 : -1;
}

/* Answers every command waiting on the control socket, between frames.
 * -1 when the socket itself failed. */
static int poll_control(Job *job)
{
    ControlCommand cmd;
    int client, ret;
    char err[ERRLEN];
    while ((ret = control_poll(job->control, &cmd, &client, err, sizeof(err))) == 1) {
        char answer[ERRLEN + 16];
        int ok = live_apply(job, &cmd, answer, sizeof(answer)) == 0;
        control_reply(job->control, client, answer);
        if (job->preview) /* the preview follows the socket's changes too */
            preview_result(job->preview, &cmd, ok, answer);
    }
    if (ret < 0) {
        say_error("%s", err);
        return -1;
    }
    return 0;
}

/* rows x bytes from src to dst. */
static void copy_rows(uint8_t *dst, ptrdiff_t dst_stride, const uint8_t *src, ptrdiff_t src_stride, int bytes,
                      int rows)
{
    for (int y = 0; y < rows; y++)
        memcpy(dst + y * dst_stride, src + y * src_stride, (size_t)bytes);
}

static void fill_rows(uint8_t *dst, ptrdiff_t stride, int bytes, int rows, int value)
{
    for (int y = 0; y < rows; y++)
        memset(dst + y * stride, value, (size_t)bytes);
}

/* The colour planes of a frame the loop takes (YUV420P, RGB24, BGR24),
 * from src to dst of the same size; dst may have an alpha plane (YUVA420P),
 * which is not touched. */
static void copy_colour(uint8_t *const dst[4], const ptrdiff_t dst_stride[4], uint8_t *const src[4],
                        const ptrdiff_t src_stride[4], int format, int w, int h)
{
    if (format == AV_PIX_FMT_YUV420P) {
        copy_rows(dst[0], dst_stride[0], src[0], src_stride[0], w, h);
        for (int p = 1; p < 3; p++)
            copy_rows(dst[p], dst_stride[p], src[p], src_stride[p], (w + 1) / 2, (h + 1) / 2);
    } else {
        copy_rows(dst[0], dst_stride[0], src[0], src_stride[0], 3 * w, h);
    }
}

/* Paused: the input goes out as it came, in the output's own geometry: all
 * of the frame kept, as a matte of 255 says. The side-by-side view shows
 * input | white | input; a transparent output gets the input opaque; the
 * --matte output is white. */
static int pass_through(Job *job, AVFrame *frame)
{
    char err[ERRLEN];
    if (!job->output && batch_open_outputs(job, frame) < 0)
        return -1;
    const AVFrame *send = frame;
    int w = frame->width, h = frame->height;
    if (job->view || job->transparent) {
        AVFrame *out = output_frame(job->output, err, sizeof(err));
        if (!out) {
            say_error("%s", err);
            return -1;
        }
        BackdropFrame in = wrap_frame(frame);
        if (job->view) {
            BackdropFrame result = view_result(job->view, &in), matte = view_matte(job->view);
            copy_colour(result.data, result.stride, in.data, in.stride, frame->format, w, h);
            fill_rows(matte.data[0], matte.stride[0], matte.width, matte.height, 255);
            view_compose(job->view, out, frame);
        } else if (out->format == AV_PIX_FMT_YUVA420P) {
            BackdropFrame o = wrap_frame(out);
            copy_colour(o.data, o.stride, in.data, in.stride, frame->format, w, h);
            fill_rows(out->data[3], out->linesize[3], w, h, 255);
        } else { /* RGB24 -> RGBA, BGR24 -> BGRA */
            for (int y = 0; y < h; y++) {
                const uint8_t *s = frame->data[0] + (ptrdiff_t)y * frame->linesize[0];
                uint8_t *d = out->data[0] + (ptrdiff_t)y * out->linesize[0];
                for (int x = 0; x < w; x++, s += 3, d += 4) {
                    d[0] = s[0];
                    d[1] = s[1];
                    d[2] = s[2];
                    d[3] = 255;
                }
            }
        }
        out->pts = frame->pts;
        send = out;
    }
    if (batch_write(job, send, err, sizeof(err)) < 0) {
        say_error("%s", err);
        return -1;
    }
    if (job->matte_output) {
        AVFrame *m = output_frame(job->matte_output, err, sizeof(err));
        if (!m) {
            say_error("%s", err);
            return -1;
        }
        fill_rows(m->data[0], m->linesize[0], w, h, 255);
        m->pts = frame->pts;
        if (output_write_video(job->matte_output, m, err, sizeof(err)) < 0) {
            say_error("%s", err);
            return -1;
        }
    }
    job->written = send;
    job->frames_out++;
    return 0;
}

/* --preview (preview.c): what its title and keys need to know. */
static void preview_status(const Job *job, PreviewStatus *st)
{
    char value[64] = "";
    st->method = job->method;
    st->paused = job->paused;
    st->blur = backdrop_get_option(job->ctx, "background", value, sizeof(value)) >= 0 && !strcmp(value, "blur");
    st->blur_strength = backdrop_get_option(job->ctx, "blur.strength", value, sizeof(value)) >= 0 ? atof(value) : 0;
    st->quiet = job->opt.quiet;
}

/* The preview's keys, applied as the control socket's commands are; a
 * refusal is said on stderr (unless -q) and in the window's title. */
static void poll_preview(Job *job)
{
    PreviewStatus st;
    ControlCommand cmd;
    char answer[ERRLEN + 16];
    int ret;
    preview_status(job, &st);
    while ((ret = preview_poll(job->preview, &st, &cmd, answer, sizeof(answer))) != PREVIEW_NONE) {
        int ok = ret == PREVIEW_COMMAND && live_apply(job, &cmd, answer, sizeof(answer)) == 0;
        if (ret == PREVIEW_COMMAND)
            preview_result(job->preview, &cmd, ok, answer);
        if (!ok && !job->opt.quiet)
            fprintf(stderr, "backdrop: preview: %s\n", strncmp(answer, "error: ", 7) ? answer : answer + 7);
        preview_status(job, &st);
    }
}


int live_capture_start(Job *job)
{
    if (capture_start(&job->capture, job->input, !v4l2dev_is_device_name(job->opt.input)) < 0) {
        say_error("out of memory");
        return -1;
    }
    return 0;
}

int live_start(Job *job)
{
    char err[ERRLEN];
    const char *delay = getenv("BACKDROP_TEST_PROCESS_DELAY_MS");
    job->delay_ms = delay ? atoi(delay) : 0;
    job->cpu_start = cpu_seconds();
    if (!(job->latency_bins = calloc(LATENCY_BINS, sizeof(uint32_t)))) {
        say_error("out of memory");
        return -1;
    }
    if (live_capture_start(job) < 0)
        return -1;
    if (job->opt.control && control_open(&job->control, job->opt.control, err, sizeof(err)) < 0) {
        say_error("%s", err);
        return -1;
    }
    if (job->opt.preview &&
        preview_open(&job->preview, job->opt.backgrounds, job->opt.background, err, sizeof(err)) < 0) {
        say_error("%s", err);
        return -1;
    }
    return 0;
}

int live_commands(Job *job)
{
    if (interrupted == SIGHUP && job->opt.background) {
        /* SIGHUP reloads the background (a picture edited in place, a
         * colour); the run goes on. */
        char why[ERRLEN];
        catch_signal(SIGHUP); /* first: a SIGHUP from now on is caught */
        interrupted = 0;
        if (live_set_background(job, job->opt.background, why, sizeof(why)) < 0) {
            fprintf(stderr, "backdrop: SIGHUP: cannot reload the background: %s\n", why);
        } else {
            if (!job->opt.quiet)
                fprintf(stderr, "backdrop: SIGHUP: background %s reloaded\n", job->opt.background);
            if (job->preview) { /* its keys step from -b again */
                static ControlCommand reload = { .kind = CONTROL_SET_BACKGROUND };
                snprintf(reload.value, sizeof(reload.value), "%s", job->opt.background);
                preview_result(job->preview, &reload, 1, "ok");
            }
        }
    }
    if (job->preview)
        poll_preview(job);
    return job->control ? poll_control(job) : 0;
}

int live_between_frames(Job *job)
{
    if (live_commands(job) < 0)
        return -1;
    return job->opt.on_demand && !interrupted && !job->quit ? live_demand_check(job) : 0;
}

int live_frame(Job *job, AVFrame *frame, double captured)
{
    int64_t written = job->frames_out;
    if (job->paused ? pass_through(job, frame) < 0 : batch_video(job, frame) < 0)
        return -1;
    if (job->delay_ms > 0) /* the tests' stand-in for a slow method */
        usleep((useconds_t)job->delay_ms * 1000);
    if (job->frames_out > written)
        record_latency(job, now_seconds() - captured);
    if (job->preview && job->frames_out > written) {
        char err[ERRLEN];
        PreviewStatus st;
        preview_status(job, &st);
        if (preview_show(job->preview, job->written, now_seconds() - captured, &st, err, sizeof(err)) < 0) {
            say_error("%s", err);
            return -1;
        }
    }
    return 0;
}

void live_capture_stop(Job *job)
{
    if (!job->capture)
        return;
    /* Its counters first: stopping frees it (after an interrupt the paced
     * thread would go on dropping). */
    job->frames_dropped += capture_dropped(job->capture); /* --on-demand: one capture per processing spell */
    job->stage_seconds[STAGE_DECODE] += capture_decode_seconds(job->capture);
    capture_stop(&job->capture);
}

void live_stop(Job *job)
{
    if (job->pacer) {
        job->frames_repeated = pacer_repeated(job->pacer);
        job->max_gap = pacer_max_gap(job->pacer);
        pacer_stop(&job->pacer); /* before the output is completed */
    }
    live_capture_stop(job);
}

int live_stats(const Job *job, char *text, size_t len)
{
    int n = snprintf(text, len, ", \"latency_ms\": {\"p50\": %.1f, \"p99\": %.1f}, \"dropped\": %lld, "
                     "\"cpu_seconds\": %.3f", latency_quantile(job, 0.50), latency_quantile(job, 0.99),
                     (long long)job->frames_dropped, cpu_seconds() - job->cpu_start);
    /* A steady-rate output: the frames repeated, the longest gap between
     * two frames on it. */
    if (job->paced_output && n >= 0 && (size_t)n < len)
        n += snprintf(text + n, len - (size_t)n, ", \"repeated\": %lld, \"max_gap_ms\": %.1f",
                      (long long)job->frames_repeated, job->max_gap * 1000.0);
    return n;
}

void live_cleanup(Job *job)
{
    free(job->live_background);
    job->live_background = NULL;
    for (int i = 0; i < job->live_option_count; i++) {
        free(job->live_options[i].name);
        free(job->live_options[i].value);
    }
    free(job->live_options);
    job->live_options = NULL;
    job->live_option_count = 0;
    capture_stop(&job->capture);
    live_demand_cleanup(job);
    control_close(&job->control);
    preview_close(&job->preview);
    free(job->latency_bins);
    job->latency_bins = NULL;
}
