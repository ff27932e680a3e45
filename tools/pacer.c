/*
 * The live output's steady rate (pacer.h). One mutex guards the Output and
 * the counters; the thread sleeps on a condition variable of the monotonic
 * clock until the repeat deadline, which every write moves.
 */
#include "pacer.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "message.h"

struct Pacer {
    Output *out;
    double period;       /* seconds per frame (under lock) */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* on the monotonic clock */
    /* Under lock: */
    int stop;
    int written;         /* a frame has been written: there is one to repeat */
    double last_write;   /* monotonic time of the last write or repeat */
    int64_t repeated;
    double max_gap;
    int failed;          /* a repeat failed; its reason is in error */
    char error[MESSAGE_MAX];
};

static double monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static struct timespec to_timespec(double t)
{
    struct timespec ts;
    ts.tv_sec = (time_t)t;
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* A write (real or repeated) at 'now': the gap it closes is measured. */
static void note_write(Pacer *p, double now)
{
    if (p->written && now - p->last_write > p->max_gap)
        p->max_gap = now - p->last_write;
    p->written = 1;
    p->last_write = now;
}

static void *pacer_thread(void *opaque)
{
    Pacer *p = opaque;
    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        if (!p->written || p->failed) {
            pthread_cond_wait(&p->wake, &p->lock);
            continue;
        }
        double due = p->last_write + PACER_REPEAT_AFTER * p->period;
        if (monotonic() < due) {
            struct timespec ts = to_timespec(due);
            pthread_cond_timedwait(&p->wake, &p->lock, &ts);
            continue; /* woken by a write, a stop, or the deadline: look again */
        }
        if (output_repeat_last(p->out, p->error, sizeof(p->error)) < 0) {
            p->failed = 1;
            continue;
        }
        p->repeated++;
        note_write(p, monotonic());
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int pacer_start(Pacer **out, Output *output, double period)
{
    *out = NULL;
    Pacer *p = calloc(1, sizeof(*p));
    if (!p)
        return -1;
    p->out = output;
    p->period = period;
    pthread_condattr_t attr;
    int ok = pthread_condattr_init(&attr) == 0;
    ok = ok && pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 && pthread_cond_init(&p->wake, &attr) == 0;
    pthread_condattr_destroy(&attr);
    if (!ok) {
        free(p);
        return -1;
    }
    pthread_mutex_init(&p->lock, NULL);
    if (pthread_create(&p->thread, NULL, pacer_thread, p) != 0) {
        pthread_cond_destroy(&p->wake);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return -1;
    }
    *out = p;
    return 0;
}

int pacer_write(Pacer *p, const AVFrame *frame, char *err, size_t errlen)
{
    pthread_mutex_lock(&p->lock);
    int ret;
    if (p->failed) {
        message_set(err, errlen, "%s", p->error);
        ret = -1;
    } else if ((ret = output_write_video(p->out, frame, err, errlen)) >= 0) {
        note_write(p, monotonic());
        pthread_cond_signal(&p->wake); /* the deadline moved */
    }
    pthread_mutex_unlock(&p->lock);
    return ret;
}

void pacer_set_period(Pacer *p, double period)
{
    pthread_mutex_lock(&p->lock);
    p->period = period;
    pthread_cond_signal(&p->wake); /* the deadline moved */
    pthread_mutex_unlock(&p->lock);
}

int64_t pacer_repeated(Pacer *p)
{
    pthread_mutex_lock(&p->lock);
    int64_t n = p->repeated;
    pthread_mutex_unlock(&p->lock);
    return n;
}

double pacer_max_gap(Pacer *p)
{
    pthread_mutex_lock(&p->lock);
    double g = p->max_gap;
    pthread_mutex_unlock(&p->lock);
    return g;
}

void pacer_stop(Pacer **pp)
{
    Pacer *p = pp ? *pp : NULL;
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p);
    *pp = NULL;
}
