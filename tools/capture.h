/*
 * The live loop's input side: a thread that takes frames as they come and
 * keeps only the newest one not yet processed. A camera delivers frames at
 * its own rate; a file with --realtime is paced at its timestamps (frame i
 * is released when its time since the first frame has passed), so that it
 * exercises exactly what a camera would: when processing is slower than the
 * input, the frames it could not take are dropped (and counted), never
 * queued. One frame waits at most; audio is not carried.
 *
 * Same contract as reader_next(): an event (video, EOF or error) stays
 * valid until the next capture_next(). 'captured' is the monotonic time
 * (now_seconds() clock) at which the frame became available: the start of
 * its capture-to-output latency.
 */
#ifndef BACKDROP_TOOLS_CAPTURE_H
#define BACKDROP_TOOLS_CAPTURE_H

#include <stdint.h>

#include "input/input.h"

typedef struct Capture Capture;

/* paced: release frames at their timestamps (a file standing in for a
 * camera); otherwise as fast as the input gives them. */
int capture_start(Capture **capture, Input *in, int paced);
int capture_next(Capture *capture, InputEvent *ev, double *captured, char *err, size_t errlen);
/* Frames replaced by a newer one before they were taken. */
int64_t capture_dropped(Capture *capture);
/* Seconds spent inside input_next() (decoding), on the capture thread. */
double capture_decode_seconds(Capture *capture);
/* Stops the thread and frees. Accepts NULL. */
void capture_stop(Capture **capture);

#endif
