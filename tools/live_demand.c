/*
 * --on-demand: the live loop works only while an application has the
 * virtual camera open for reading (tools/demand.c counts them).
 *
 * Between frames (live_between_frames), once the output is open:
 *  - viewers: processing goes on as usual;
 *  - none (at the start at once, later after IDLE_GRACE_SECONDS without a
 *    viewer, so that an application that closes and reopens the camera, to
 *    change its size, say, does not restart ours): the run goes idle. The
 *    capture thread is stopped and the input closed (the camera's light
 *    goes off; nothing is decoded or processed), one black frame is
 *    written and then written again every KEEPALIVE_SECONDS: the loopback
 *    keeps its format (with exclusive_caps=1 it goes on offering a camera
 *    only while its producer has it open and has written to it) and a
 *    consumer that opens it has a picture at once. The loop sleeps in
 *    poll() on the watch, waking for the keepalive, the control socket's
 *    commands (every CONTROL_STEP_SECONDS), and signals;
 *  - a viewer while idle: the input is opened again with the same options
 *    and the capture restarted; processing resumes with the next frame.
 * At the start frames are processed until the first is written: the output
 * opens on the first frame (its size), and a loopback shows no camera
 * until it has a format and a frame. Frames, drops and latency are those
 * of processed frames only; the black frames are not counted.
 */
#include <signal.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>

#include <libavutil/imgutils.h>

#include "demand.h"
#include "job.h"
#include "v4l2dev.h"

#define IDLE_GRACE_SECONDS 2.0
#define KEEPALIVE_SECONDS 1.0
#define CONTROL_STEP_SECONDS 0.1

struct LiveDemand {
    Demand *watch;
    const char *path;    /* what is watched: the virtual camera, or the test hook's file */
    int checked;         /* a count was taken since the output opened */
    double empty_since;  /* processing without a viewer since then; < 0: there is one */
};

/* The path to watch: the virtual camera of -o, or for the tests the file
 * BACKDROP_TEST_DEMAND_PATH names (then -o may be anything). */
const char *live_demand_path(const Job *job)
{
    const char *test = getenv("BACKDROP_TEST_DEMAND_PATH");
    if (test && *test)
        return test;
    return v4l2dev_is_device_name(job->opt.output) ? v4l2dev_path(job->opt.output) : NULL;
}

/* The idle picture: black (full-range black is black whatever range the
 * output was opened with: below limited range's black is black too). */
static int write_black(Job *job)
{
    char err[ERRLEN];
    AVFrame *f = output_frame(job->output, err, sizeof(err));
    if (!f) {
        say_error("%s", err);
        return -1;
    }
    ptrdiff_t linesize[4] = { f->linesize[0], f->linesize[1], f->linesize[2], f->linesize[3] };
    if (av_image_fill_black(f->data, linesize, f->format, AVCOL_RANGE_JPEG, f->width, f->height) < 0) {
        say_error("%s: cannot make the idle picture", job->opt.output);
        return -1;
    }
    f->pts = AV_NOPTS_VALUE; /* the output's clock: one frame after the last */
    if (batch_write(job, f, err, sizeof(err)) < 0) {
        say_error("%s", err);
        return -1;
    }
    return 0;
}

/* Idle until a viewer comes (then the input is open and capturing again)
 * or the run is to end (interrupted or quit; the loop sees it). */
static int idle(Job *job, LiveDemand *ld)
{
    char err[ERRLEN];
    if (!job->opt.quiet)
        fprintf(stderr, "backdrop: no viewer on %s: idle\n", ld->path);
    live_capture_stop(job);    /* its counters kept */
    input_close(&job->input);  /* the camera off */
    if (write_black(job) < 0)
        return -1;
    /* A virtual camera's pacer repeats the black frame, now once every
     * KEEPALIVE_SECONDS; another output (the tests') is repeated here. */
    if (job->pacer)
        pacer_set_period(job->pacer, KEEPALIVE_SECONDS / PACER_REPEAT_AFTER);
    double next = job->pacer ? INFINITY : now_seconds() + KEEPALIVE_SECONDS;
    for (;;) {
        if (live_commands(job) < 0)
            return -1;
        if (interrupted || job->quit)
            return 0;
        double now = now_seconds();
        if (now >= next) {
            if (output_repeat_last(job->output, err, sizeof(err)) < 0) {
                say_error("%s", err);
                return -1;
            }
            next = now + KEEPALIVE_SECONDS;
        }
        double wait = next - now;
        if ((job->control || job->preview) && wait > CONTROL_STEP_SECONDS)
            wait = CONTROL_STEP_SECONDS; /* commands and the window's keys */
        if (wait > 60)
            wait = 60; /* paced: only opens, closes and signals wake it */
        int viewers = demand_wait(ld->watch, (int)(wait * 1000) + 1, err, sizeof(err));
        if (viewers < 0) {
            say_error("%s", err);
            return -1;
        }
        if (viewers > 0)
            break;
    }
    if (!job->opt.quiet)
        fprintf(stderr, "backdrop: a viewer opened %s: processing\n", ld->path);
    ld->empty_since = -1;
    if (job->pacer)
        pacer_set_period(job->pacer, job->frame_period);
    return batch_open_input(job) < 0 || live_capture_start(job) < 0 ? -1 : 0;
}

int live_demand_check(Job *job)
{
    char err[ERRLEN];
    if (!job->output)
        return 0; /* the first frame is not out yet */
    LiveDemand *ld = job->demand;
    if (!ld) {
        if (!(ld = job->demand = calloc(1, sizeof(*ld)))) {
            say_error("out of memory");
            return -1;
        }
        ld->path = live_demand_path(job);
        ld->empty_since = -1;
        /* Only now, with the output open: our own descriptor on the device
         * is there before the watch (and never counts: it is ours). */
        if (demand_open(&ld->watch, ld->path, err, sizeof(err)) < 0) {
            say_error("%s", err);
            return -1;
        }
    }
    int viewers = demand_poll(ld->watch, err, sizeof(err));
    if (viewers < 0) {
        say_error("%s", err);
        return -1;
    }
    int first = !ld->checked;
    ld->checked = 1;
    if (viewers > 0) {
        ld->empty_since = -1;
        return 0;
    }
    double now = now_seconds();
    if (ld->empty_since < 0)
        ld->empty_since = now;
    if (!first && now - ld->empty_since < IDLE_GRACE_SECONDS)
        return 0;
    return idle(job, ld);
}

void live_demand_cleanup(Job *job)
{
    if (!job->demand)
        return;
    demand_close(&job->demand->watch);
    free(job->demand);
    job->demand = NULL;
}
