/*
 * A steady frame rate for a live output that has no timestamps (a virtual
 * camera; null, which stands in for one in benchmarks and tests). Call
 * programs read a virtual camera at their own pace and show black or stall
 * when frames stop coming; so when processing is late, the last frame goes
 * out again rather than nothing.
 *
 * Every frame is written at once (no added latency): pacer_write() is
 * output_write_video() under the pacer's lock. A thread watches the time
 * since the last write; when a frame period and a half have passed without
 * one, it repeats the last frame (output_repeat_last()) and waits again
 * from there. Invariant: after the first frame, no gap between two writes
 * is longer than REPEAT_AFTER frame periods, give or take the scheduler.
 *
 * The repeat runs concurrently with the library filling output_frame()'s
 * picture; that is safe for these outputs only: they repeat what they keep
 * apart from that picture (v4l2: its converted buffer; null: nothing).
 */
#ifndef BACKDROP_TOOLS_PACER_H
#define BACKDROP_TOOLS_PACER_H

#include <stddef.h>
#include <stdint.h>

#include <libavutil/frame.h>

#include "output/output.h"

/* After this many frame periods without a frame, the last one is repeated. */
#define PACER_REPEAT_AFTER 1.5

typedef struct Pacer Pacer;

/* Starts the thread for out (which must outlive the pacer) at a frame
 * period of 'period' seconds (> 0). 0, or -1 when out of memory or
 * threads. */
int pacer_start(Pacer **pacer, Output *out, double period);
/* output_write_video() under the lock; then the repeat clock starts over.
 * Fails also when a repeat failed since the last call (the destination
 * went away): err says why. */
int pacer_write(Pacer *pacer, const AVFrame *frame, char *err, size_t errlen);
/* Another frame period from now on (> 0): an idle virtual camera
 * (--on-demand) is kept alive at a low rate. */
void pacer_set_period(Pacer *pacer, double period);
/* Frames repeated so far, and the longest gap between two writes (s). */
int64_t pacer_repeated(Pacer *pacer);
double pacer_max_gap(Pacer *pacer);
/* Stops the thread and frees. Accepts NULL. */
void pacer_stop(Pacer **pacer);

#endif
