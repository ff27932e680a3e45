/* A video background for the CLI; see background.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/avstring.h>
#include <libavutil/mathematics.h>

#include "background.h"
#include "input/reader.h"
#include "message.h"

struct BackgroundVideo {
    char *name;              /* the file, as messages call it */
    Input *in;               /* NULL once a still is kept */
    Reader *reader;
    /* Times are whole microseconds (AV_TIME_BASE), so that a background
     * frame and an input frame at the same instant compare equal whatever
     * their time bases (a double sum of 0.1 s steps does not reach 1.0). */
    AVRational time_base;    /* of the video stream, read at open (a reopen keeps the file) */
    int64_t period;          /* per frame, for frames without timestamp or duration */
    int64_t first_pts;       /* of the first frame of the first pass; AV_NOPTS_VALUE before it */
    int pass;                /* passes through the file completed */
    int64_t pass_index;      /* frames of the current pass taken so far */
    int64_t pass_offset;     /* the durations of the passes before this one */
    int64_t pass_end;        /* the current pass so far: the latest end of a frame, in pass time */
    int still;               /* the first pass had one frame: it is kept, nothing is decoded */
    InputEvent pending;      /* the reader's last event: a frame not shown yet when pending_due > t */
    int have_pending;
    int64_t pending_due;     /* its time on the line of all passes */
    AVFrame *shown;          /* the frame handed out last (references moved out of the reader) */
    int shown_any;
};

static void bg_error(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void bg_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    message_vset(err, errlen, fmt, ap);
    va_end(ap);
}

int background_is_still(const char *path, char *err, size_t errlen)
{
    InputOptions io = { 0 };
    io.url = path;
    io.threads = 1;
    io.want_format = AV_PIX_FMT_RGB24;
    io.background = 1;
    Input *in = NULL;
    char why[MESSAGE_MAX];
    int ret = input_open(&in, &io, why, sizeof(why));
    if (ret < 0) {
        bg_error(err, errlen, "background %s", why);
        return ret;
    }
    int still = input_is_still(in);
    input_close(&in);
    return still;
}

int background_open(BackgroundVideo **out, const char *path, int fit_width, int fit_height, int threaded,
                    InputErrorPolicy on_error, char *err, size_t errlen)
{
    *out = NULL;
    BackgroundVideo *bg = calloc(1, sizeof(*bg));
    if (!bg || !(bg->name = av_strdup(path)) || !(bg->shown = av_frame_alloc())) {
        bg_error(err, errlen, "background %s: out of memory", path);
        background_close(&bg);
        return AVERROR(ENOMEM);
    }
    bg->first_pts = AV_NOPTS_VALUE;
    InputOptions io = { 0 };
    io.url = path;
    /* One decoder thread: the background's frames are decoded ahead on
     * the reader thread, next to the input's decoder and the library,
     * which the spare CPUs serve better. */
    io.threads = 1;
    io.on_error = on_error;
    /* What backdrop_set_background keeps: converting here, on the reader
     * thread, spares the main loop the conversion. */
    io.want_format = AV_PIX_FMT_RGB24;
    io.background = 1;
    io.fit_width = fit_width;
    io.fit_height = fit_height;
    char why[MESSAGE_MAX];
    int ret = input_open(&bg->in, &io, why, sizeof(why));
    if (ret < 0) {
        bg_error(err, errlen, "background %s", why);
        background_close(&bg);
        return ret;
    }
    AVStream *st = input_video_stream(bg->in);
    bg->time_base = st->time_base;
    AVRational rate = av_guess_frame_rate(input_format(bg->in), st, NULL);
    bg->period = av_rescale_q(1, rate.num > 0 && rate.den > 0 ? av_inv_q(rate) : (AVRational){ 1, 25 },
                              AV_TIME_BASE_Q);
    if (bg->period <= 0)
        bg->period = 1; /* a rate above a million frames per second */
    if ((ret = reader_start(&bg->reader, bg->in, threaded)) < 0) {
        bg_error(err, errlen, "background %s: out of memory", path);
        background_close(&bg);
        return ret;
    }
    *out = bg;
    return 0;
}

/* A frame's time within its pass, and its end (microseconds). */
static int64_t pass_time(BackgroundVideo *bg, const AVFrame *f, int64_t *end)
{
    int64_t t;
    if (f->pts != AV_NOPTS_VALUE && bg->first_pts == AV_NOPTS_VALUE && bg->pass == 0)
        bg->first_pts = f->pts;
    if (f->pts != AV_NOPTS_VALUE && bg->first_pts != AV_NOPTS_VALUE)
        t = av_rescale_q(f->pts - bg->first_pts, bg->time_base, AV_TIME_BASE_Q);
    else
        t = bg->pass_index * bg->period;
    int64_t duration = f->pkt_duration > 0 ? av_rescale_q(f->pkt_duration, bg->time_base, AV_TIME_BASE_Q) : 0;
    *end = t + (duration > 0 ? duration : bg->period);
    return t;
}

/* Takes the reader's next frame into 'pending', passing over the restarts
 * between passes; sets 'still' instead when the first pass had one frame. */
static int fetch(BackgroundVideo *bg, char *err, size_t errlen)
{
    for (;;) {
        char why[MESSAGE_MAX];
        int ret = reader_next(bg->reader, &bg->pending, why, sizeof(why));
        if (ret < 0) {
            bg_error(err, errlen, "background %s", why);
            return ret;
        }
        switch (bg->pending.type) {
        case INPUT_EVENT_VIDEO: {
            int64_t end, t = pass_time(bg, bg->pending.frame, &end);
            if (end > bg->pass_end)
                bg->pass_end = end;
            bg->pass_index++;
            bg->pending_due = bg->pass_offset + t;
            bg->have_pending = 1;
            return 0;
        }
        case INPUT_EVENT_RESTART:
            if (bg->pass == 0 && bg->pass_index == 1) {
                bg->still = 1;
                return 0;
            }
            /* The next pass starts where this one ended. */
            bg->pass_offset += bg->pass_end;
            bg->pass_end = 0;
            bg->pass_index = 0;
            bg->pass++;
            continue;
        case INPUT_EVENT_EOF: /* only a first pass without frames ends */
            bg_error(err, errlen, "background %s: no video frame could be decoded", bg->name);
            return AVERROR_INVALIDDATA;
        default: /* no audio is read */
            continue;
        }
    }
}

int background_frame(BackgroundVideo *bg, int64_t t, const AVFrame **frame, char *err, size_t errlen)
{
    *frame = NULL;
    if (bg->still)
        return 0;
    int changed = 0;
    for (;;) {
        if (!bg->have_pending) {
            int ret = fetch(bg, err, errlen);
            if (ret < 0)
                return ret;
            if (bg->still) {
                /* Nothing more to decode: the one frame stays. */
                reader_stop(&bg->reader);
                input_close(&bg->in);
                break;
            }
        }
        /* The first frame shows from the start, whatever t. */
        if (bg->shown_any && bg->pending_due > t)
            break;
        /* Due: it replaces the frame shown (no copy; the old one's buffer
         * goes back to its pool). The reader's slot is released empty. */
        av_frame_unref(bg->shown);
        av_frame_move_ref(bg->shown, bg->pending.frame);
        bg->have_pending = 0;
        bg->shown_any = 1;
        changed = 1;
    }
    if (changed) {
        bg->shown->color_range = AVCOL_RANGE_JPEG; /* RGB */
        *frame = bg->shown;
    }
    return 0;
}

const AVFrame *background_shown(const BackgroundVideo *bg)
{
    return bg->shown_any ? bg->shown : NULL;
}

void background_close(BackgroundVideo **pbg)
{
    if (!pbg || !*pbg)
        return;
    BackgroundVideo *bg = *pbg;
    reader_stop(&bg->reader); /* before the input it reads from */
    input_close(&bg->in);
    av_frame_free(&bg->shown);
    av_free(bg->name);
    free(bg);
    *pbg = NULL;
}
