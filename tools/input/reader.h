/*
 * Decode-ahead: runs input_next() on its own thread and hands its events to
 * the caller through a small queue, so that decoding the next frames overlaps
 * with processing and encoding this one. Without a thread (threaded = 0) it
 * is a plain pass-through to input_next(), for --threads 1.
 *
 * Events come out in the order input_next() produced them; an event (and the
 * frame or packet in it) stays valid until the next reader_next() call. The
 * caller may also take the frame's references out (av_frame_move_ref): the
 * slot is then released empty.
 */
#ifndef BACKDROP_TOOLS_READER_H
#define BACKDROP_TOOLS_READER_H

#include "input.h"

typedef struct Reader Reader;

int reader_start(Reader **reader, Input *in, int threaded);
/* Same contract as input_next(). After an error or EOF, later calls repeat it. */
int reader_next(Reader *reader, InputEvent *ev, char *err, size_t errlen);
/* Seconds spent inside input_next() so far (decode time, on whichever thread). */
double reader_decode_seconds(Reader *reader);
/* Stops the thread, drops events not yet taken, frees. Accepts NULL. */
void reader_stop(Reader **reader);

#endif
