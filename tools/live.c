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
    case CONTROL_SET_OPTION:
        ok = control_apply_option(job->ctx, cmd, err, sizeof(err)) == 0;
        break;
    case CONTROL_SET_METHOD:
        ok = !strcmp(cmd->value, job->method);
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
        snprintf(answer, answer_len,
                 "{\"frames\": %lld, \"dropped\": %lld, \"latency_ms\": {\"p50\": %.1f, \"p99\": %.1f}, "
                 "\"paused\": %s}", (long long)job->frames_out,
                 (long long)(job->frames_dropped + (job->capture ? capture_dropped(job->capture) : 0)),
                 latency_quantile(job, 0.50), latency_quantile(job, 0.99), job->paused ? "true" : "false");
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
        live_apply(job, &cmd, answer, sizeof(answer));
        control_reply(job->control, client, answer);
    }
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
    if (!job->output && batch_open_outputs(job, frame) < 0)
        return -1;
    if (output_write_video(job->output, frame, err, sizeof(err)) < 0) {
        say_error("%s", err);
        return -1;
    }
    job->frames_out++;
    return 0;
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
        if (live_set_background(job, job->opt.background, why, sizeof(why)) < 0)
            fprintf(stderr, "backdrop: SIGHUP: cannot reload the background: %s\n", why);
        else if (!job->opt.quiet)
            fprintf(stderr, "backdrop: SIGHUP: background %s reloaded\n", job->opt.background);
    }
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
    return 0;
}

void live_stop(Job *job)
{
    if (!job->capture)
        return;
    /* Its counters first: stopping frees it (after an interrupt the paced
     * thread would go on dropping). */
    job->frames_dropped += capture_dropped(job->capture); /* --on-demand: one capture per processing spell */
    job->stage_seconds[STAGE_DECODE] += capture_decode_seconds(job->capture);
    capture_stop(&job->capture);
}

int live_stats(const Job *job, char *text, size_t len)
{
    return snprintf(text, len, ", \"latency_ms\": {\"p50\": %.1f, \"p99\": %.1f}, \"dropped\": %lld, "
                    "\"cpu_seconds\": %.3f", latency_quantile(job, 0.50), latency_quantile(job, 0.99),
                    (long long)job->frames_dropped, cpu_seconds() - job->cpu_start);
}

void live_cleanup(Job *job)
{
    capture_stop(&job->capture);
    live_demand_cleanup(job);
    control_close(&job->control);
    free(job->latency_bins);
    job->latency_bins = NULL;
}
