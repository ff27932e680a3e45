/* --matte-in: the matte of every frame, read beside the input; see
 * matte_in.h. */
#include "matte_in.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include <libavutil/mem.h>

#include "input/input.h"
#include "input/reader.h"
#include "message.h"

struct MatteIn {
    char *name;      /* FILE as messages call it */
    Input *input;
    Reader *reader;  /* NULL for a still */
    AVFrame *still;  /* one picture: the matte of every frame */
    int64_t frames;  /* mattes handed out so far */
    double still_seconds; /* the still's decoding, at open */
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The input module's messages name the file; ours say it is the matte. */
static int input_failed(const char *message, char *err, size_t errlen)
{
    message_set(err, errlen, "--matte-in %s", message);
    return -1;
}

int matte_in_open(MatteIn **pm, const char *path, int on_error_stop, int threaded, char *err,
                  size_t errlen)
{
    char msg[MESSAGE_MAX];
    MatteIn *m = av_mallocz(sizeof(*m));
    *pm = NULL;
    if (!m || !(m->name = av_strdup(strcmp(path, "-") ? path : "stdin"))) {
        av_free(m);
        message_set(err, errlen, "out of memory");
        return -1;
    }
    InputOptions io = { 0 };
    io.url = path;
    io.threads = 1; /* grey pictures decode fast; the CPUs are the input's and the library's */
    io.on_error = on_error_stop ? INPUT_ON_ERROR_STOP : INPUT_ON_ERROR_SKIP;
    io.want_format = AV_PIX_FMT_GRAY8;
    if (input_open(&m->input, &io, msg, sizeof(msg)) < 0) {
        matte_in_close(&m);
        return input_failed(msg, err, errlen);
    }
    if (input_is_still(m->input)) {
        /* Decoded once, now: a picture that cannot be read fails before
         * any output is opened. */
        InputEvent ev;
        double t0 = now_seconds();
        do {
            if (input_next(m->input, &ev, msg, sizeof(msg)) < 0) {
                matte_in_close(&m);
                return input_failed(msg, err, errlen);
            }
        } while (ev.type == INPUT_EVENT_AUDIO);
        if (ev.type != INPUT_EVENT_VIDEO || !(m->still = av_frame_clone(ev.frame))) {
            message_set(err, errlen, "--matte-in %s: %s", m->name,
                        ev.type != INPUT_EVENT_VIDEO ? "no picture could be decoded" : "out of memory");
            matte_in_close(&m);
            return -1;
        }
        m->still_seconds = now_seconds() - t0;
    } else if (reader_start(&m->reader, m->input, threaded) < 0) {
        matte_in_close(&m);
        message_set(err, errlen, "out of memory");
        return -1;
    }
    *pm = m;
    return 0;
}

/* The next video frame of a matte that is not a still: 1 with *frame, 0 at
 * its end, -1 with err. Audio packets are passed over. */
static int next_video(MatteIn *m, const AVFrame **frame, char *err, size_t errlen)
{
    char msg[MESSAGE_MAX];
    for (;;) {
        InputEvent ev;
        if (reader_next(m->reader, &ev, msg, sizeof(msg)) < 0)
            return input_failed(msg, err, errlen);
        if (ev.type == INPUT_EVENT_EOF)
            return 0;
        if (ev.type == INPUT_EVENT_VIDEO) {
            *frame = ev.frame;
            return 1;
        }
    }
}

int matte_in_next(MatteIn *m, int width, int height, const AVFrame **frame, char *err, size_t errlen)
{
    const AVFrame *f = m->still;
    if (!f) {
        int ret = next_video(m, &f, err, errlen);
        if (ret < 0)
            return -1;
        if (ret == 0) {
            message_set(err, errlen, "%s: the matte has %" PRId64 " frames, the input more", m->name, m->frames);
            return -1;
        }
    }
    if (f->width != width || f->height != height) {
        message_set(err, errlen, "%s: the matte is %dx%d, the input %dx%d", m->name, f->width, f->height, width,
                    height);
        return -1;
    }
    if (f->format != AV_PIX_FMT_GRAY8) { /* input.c converts every frame; a guard, not a case */
        message_set(err, errlen, "%s: the matte frame was not converted to grey", m->name);
        return -1;
    }
    m->frames++;
    *frame = f;
    return 0;
}

int matte_in_finish(MatteIn *m, int64_t input_frames, char *err, size_t errlen)
{
    if (m->still)
        return 0;
    /* Read to the end, to say how many frames the matte has. */
    int64_t total = m->frames;
    for (;;) {
        const AVFrame *f;
        int ret = next_video(m, &f, err, errlen);
        if (ret < 0)
            return -1;
        if (ret == 0)
            break;
        total++;
    }
    if (total == input_frames)
        return 0;
    message_set(err, errlen, "%s: the matte has %" PRId64 " frames, the input %" PRId64, m->name, total,
                input_frames);
    return -1;
}

double matte_in_decode_seconds(MatteIn *m)
{
    return m->reader ? reader_decode_seconds(m->reader) : m->still_seconds;
}

void matte_in_close(MatteIn **pm)
{
    if (!pm || !*pm)
        return;
    MatteIn *m = *pm;
    reader_stop(&m->reader); /* before the input it reads from */
    input_close(&m->input);
    av_frame_free(&m->still);
    av_free(m->name);
    av_free(m);
    *pm = NULL;
}
