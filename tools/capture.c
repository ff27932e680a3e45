/* The live loop's newest-frame capture thread; see capture.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavutil/avutil.h>

#include "capture.h"

#define MESSAGE_LEN 512
/* A paced wait sleeps in steps this long at most, so a stop is seen soon. */
#define PACE_STEP_SECONDS 0.05

struct Capture {
    Input *in;
    int paced;
    pthread_t thread;
    int running;
    pthread_mutex_t lock;
    pthread_cond_t changed;   /* a frame arrived, the input ended, or stop was set */
    /* Under lock: */
    AVFrame *newest;          /* the newest frame not yet taken, if newest_full */
    int newest_full;
    double newest_time;
    int finished;             /* the thread met EOF or an error */
    int status;               /* its input_next() result (< 0: message) */
    char message[MESSAGE_LEN];
    int64_t dropped;
    double decode_seconds;
    int stop;
    /* The caller's: */
    AVFrame *held;            /* the frame handed out by the last capture_next */
};

static double monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Sleeps until the monotonic time 'due', in short steps; 0, or -1 when
 * asked to stop meanwhile. */
static int wait_until(Capture *c, double due)
{
    for (;;) {
        pthread_mutex_lock(&c->lock);
        int stop = c->stop;
        pthread_mutex_unlock(&c->lock);
        if (stop)
            return -1;
        double left = due - monotonic();
        if (left <= 0)
            return 0;
        if (left > PACE_STEP_SECONDS)
            left = PACE_STEP_SECONDS;
        struct timespec ts = { (time_t)left, (long)((left - (time_t)left) * 1e9) };
        nanosleep(&ts, NULL);
    }
}

static void *capture_thread(void *opaque)
{
    Capture *c = opaque;
    const AVStream *st = input_video_stream(c->in);
    AVRational rate = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
    double start = 0;
    int64_t first_pts = AV_NOPTS_VALUE, index = 0;
    for (;;) {
        InputEvent ev;
        char message[MESSAGE_LEN];
        double t0 = monotonic();
        int status = input_next(c->in, &ev, message, sizeof(message));
        double spent = monotonic() - t0;
        if (status >= 0 && ev.type == INPUT_EVENT_AUDIO)
            continue; /* live outputs carry no audio */
        if (status >= 0 && ev.type == INPUT_EVENT_VIDEO && c->paced) {
            /* Frame i is due when its time since the first frame has
             * passed; without timestamps, at i / frame rate. */
            int64_t pts = ev.frame->best_effort_timestamp != AV_NOPTS_VALUE ? ev.frame->best_effort_timestamp
                                                                             : ev.frame->pts;
            if (index == 0) {
                start = monotonic();
                first_pts = pts;
            }
            double offset = pts != AV_NOPTS_VALUE && first_pts != AV_NOPTS_VALUE
                                ? (double)(pts - first_pts) * av_q2d(st->time_base)
                                : rate.num > 0 ? (double)index * rate.den / rate.num : 0.0;
            if (wait_until(c, start + offset) < 0)
                break;
        }
        pthread_mutex_lock(&c->lock);
        c->decode_seconds += spent;
        if (status < 0 || ev.type == INPUT_EVENT_EOF) {
            c->finished = 1;
            c->status = status;
            snprintf(c->message, sizeof(c->message), "%s", status < 0 ? message : "");
            pthread_cond_broadcast(&c->changed);
            pthread_mutex_unlock(&c->lock);
            break;
        }
        if (c->newest_full) { /* not taken in time: the newer one wins */
            av_frame_unref(c->newest);
            c->dropped++;
        }
        av_frame_move_ref(c->newest, ev.frame);
        c->newest_full = 1;
        c->newest_time = monotonic();
        index++;
        int stop = c->stop;
        pthread_cond_broadcast(&c->changed);
        pthread_mutex_unlock(&c->lock);
        if (stop)
            break;
    }
    return NULL;
}

int capture_start(Capture **out, Input *in, int paced)
{
    *out = NULL;
    Capture *c = calloc(1, sizeof(*c));
    if (!c)
        return AVERROR(ENOMEM);
    c->in = in;
    c->paced = paced;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->changed, NULL);
    if (!(c->newest = av_frame_alloc()) || !(c->held = av_frame_alloc()) ||
        pthread_create(&c->thread, NULL, capture_thread, c) != 0) {
        capture_stop(&c);
        return AVERROR(ENOMEM);
    }
    c->running = 1;
    *out = c;
    return 0;
}

int capture_next(Capture *c, InputEvent *ev, double *captured, char *err, size_t errlen)
{
    memset(ev, 0, sizeof(*ev));
    av_frame_unref(c->held);
    pthread_mutex_lock(&c->lock);
    while (!c->newest_full && !c->finished)
        pthread_cond_wait(&c->changed, &c->lock);
    if (c->newest_full) {
        av_frame_move_ref(c->held, c->newest);
        c->newest_full = 0;
        *captured = c->newest_time;
        pthread_mutex_unlock(&c->lock);
        ev->type = INPUT_EVENT_VIDEO;
        ev->frame = c->held;
        return 0;
    }
    int status = c->status;
    if (status < 0 && err && errlen)
        snprintf(err, errlen, "%s", c->message);
    pthread_mutex_unlock(&c->lock);
    ev->type = INPUT_EVENT_EOF;
    return status < 0 ? status : 0;
}

int64_t capture_dropped(Capture *c)
{
    pthread_mutex_lock(&c->lock);
    int64_t n = c->dropped;
    pthread_mutex_unlock(&c->lock);
    return n;
}

double capture_decode_seconds(Capture *c)
{
    pthread_mutex_lock(&c->lock);
    double s = c->decode_seconds;
    pthread_mutex_unlock(&c->lock);
    return s;
}

void capture_stop(Capture **pc)
{
    if (!pc || !*pc)
        return;
    Capture *c = *pc;
    if (c->running) {
        pthread_mutex_lock(&c->lock);
        c->stop = 1;
        pthread_cond_broadcast(&c->changed);
        pthread_mutex_unlock(&c->lock);
        pthread_join(c->thread, NULL);
    }
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->changed);
    av_frame_free(&c->newest);
    av_frame_free(&c->held);
    free(c);
    *pc = NULL;
}
