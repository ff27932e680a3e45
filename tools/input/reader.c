/* Decode-ahead thread for the CLI; see reader.h. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reader.h"

/* Enough frames in flight to ride out a slow encode of one frame, few
 * enough that the decoder's buffer pool stays small (each slot may hold a
 * decoded picture). */
#define QUEUE_SLOTS 6
#define MESSAGE_LEN 512

typedef struct Slot {
    InputEventType type;
    AVFrame *frame;
    AVPacket *packet;
    int status;               /* input_next() result; < 0: message is set */
    char message[MESSAGE_LEN];
} Slot;

struct Reader {
    Input *in;
    int threaded;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;   /* a slot was filled or freed, or stop was set */
    Slot slots[QUEUE_SLOTS];
    int head;                 /* next slot the caller takes */
    int filled;               /* slots filled by the thread, not yet released */
    int taken;                /* 1 while the caller holds slots[head] */
    int stop;
    int finished;             /* the thread produced EOF or an error and left */
    double decode_seconds;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One input_next() call; the event's frame or packet is moved into the slot
 * (no copy of pixels; the decoder's buffer pool recycles them once the slot
 * is released). */
static void fill_slot(Reader *r, Slot *s)
{
    InputEvent ev;
    double t0 = now_seconds();
    s->status = input_next(r->in, &ev, s->message, sizeof(s->message));
    double spent = now_seconds() - t0;
    pthread_mutex_lock(&r->lock);
    r->decode_seconds += spent;
    pthread_mutex_unlock(&r->lock);
    if (s->status < 0)
        return;
    s->type = ev.type;
    if (ev.type == INPUT_EVENT_VIDEO)
        av_frame_move_ref(s->frame, ev.frame);
    else if (ev.type == INPUT_EVENT_AUDIO)
        av_packet_move_ref(s->packet, ev.packet);
}

static void *reader_thread(void *opaque)
{
    Reader *r = opaque;
    for (;;) {
        pthread_mutex_lock(&r->lock);
        while (!r->stop && r->filled == QUEUE_SLOTS)
            pthread_cond_wait(&r->changed, &r->lock);
        if (r->stop) {
            pthread_mutex_unlock(&r->lock);
            break;
        }
        Slot *s = &r->slots[(r->head + r->filled) % QUEUE_SLOTS];
        pthread_mutex_unlock(&r->lock);

        fill_slot(r, s);
        int last = s->status < 0 || s->type == INPUT_EVENT_EOF;

        pthread_mutex_lock(&r->lock);
        r->filled++;
        r->finished = last;
        pthread_cond_broadcast(&r->changed);
        pthread_mutex_unlock(&r->lock);
        if (last)
            break;
    }
    return NULL;
}

int reader_start(Reader **out, Input *in, int threaded)
{
    Reader *r = calloc(1, sizeof(*r));
    if (!r)
        return AVERROR(ENOMEM);
    r->in = in;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->changed, NULL);
    for (int i = 0; i < QUEUE_SLOTS; i++) {
        if (!(r->slots[i].frame = av_frame_alloc()) || !(r->slots[i].packet = av_packet_alloc())) {
            reader_stop(&r);
            return AVERROR(ENOMEM);
        }
    }
    if (threaded && pthread_create(&r->thread, NULL, reader_thread, r) == 0)
        r->threaded = 1;
    *out = r;
    return 0;
}

static void release_slot(Slot *s)
{
    av_frame_unref(s->frame);
    av_packet_unref(s->packet);
}

static int hand_out(Slot *s, InputEvent *ev, char *err, size_t errlen)
{
    memset(ev, 0, sizeof(*ev));
    if (s->status < 0) {
        if (err && errlen)
            snprintf(err, errlen, "%s", s->message);
        return s->status;
    }
    ev->type = s->type;
    ev->frame = s->frame;
    ev->packet = s->packet;
    return 0;
}

int reader_next(Reader *r, InputEvent *ev, char *err, size_t errlen)
{
    if (!r->threaded) {
        /* Pass-through: the same single slot, refilled in place. */
        Slot *s = &r->slots[0];
        if (!(s->status < 0 || (r->taken && s->type == INPUT_EVENT_EOF))) {
            release_slot(s);
            fill_slot(r, s);
        }
        r->taken = 1;
        return hand_out(s, ev, err, errlen);
    }
    pthread_mutex_lock(&r->lock);
    if (r->taken) {
        Slot *done = &r->slots[r->head];
        /* The last event (EOF or error) is kept and handed out again. */
        if (!(r->filled == 1 && r->finished)) {
            release_slot(done);
            r->head = (r->head + 1) % QUEUE_SLOTS;
            r->filled--;
            pthread_cond_broadcast(&r->changed);
        }
        r->taken = 0;
    }
    while (r->filled == 0)
        pthread_cond_wait(&r->changed, &r->lock);
    r->taken = 1;
    Slot *s = &r->slots[r->head];
    pthread_mutex_unlock(&r->lock);
    return hand_out(s, ev, err, errlen);
}

double reader_decode_seconds(Reader *r)
{
    pthread_mutex_lock(&r->lock);
    double seconds = r->decode_seconds;
    pthread_mutex_unlock(&r->lock);
    return seconds;
}

void reader_stop(Reader **pr)
{
    if (!pr || !*pr)
        return;
    Reader *r = *pr;
    if (r->threaded) {
        pthread_mutex_lock(&r->lock);
        r->stop = 1;
        pthread_cond_broadcast(&r->changed);
        pthread_mutex_unlock(&r->lock);
        pthread_join(r->thread, NULL);
    }
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->changed);
    for (int i = 0; i < QUEUE_SLOTS; i++) {
        av_frame_free(&r->slots[i].frame);
        av_packet_free(&r->slots[i].packet);
    }
    free(r);
    *pr = NULL;
}
