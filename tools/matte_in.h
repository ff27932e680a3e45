/*
 * --matte-in FILE: the second input of method external, the matte of every
 * frame (tools/input/ opens it: a grey video, an image sequence pattern,
 * or one picture). Its frames are read in lockstep with the input's: frame
 * i of the matte goes with decoded frame i of the input (a frame the
 * input's decoder skipped, --on-error skip, shifts them). One picture file
 * is the matte of every frame. Frames come out as one full-range GRAY8
 * plane: grey as it is, colour by its luma, limited-range video expanded to
 * 0..255 (input.h, AV_PIX_FMT_GRAY8). They are taken as stored: the
 * input's display matrix turns neither the input nor the matte (the matte
 * of rotated video is in the frames' stored orientation) and the matte's
 * own is ignored; pictures are upright by their EXIF orientation, as input
 * pictures are.
 *
 * Errors are one line naming FILE in err: cannot read it, its size differs
 * from the input's, it has fewer or more frames than the input.
 */
#ifndef BACKDROP_TOOLS_MATTE_IN_H
#define BACKDROP_TOOLS_MATTE_IN_H

#include <stddef.h>
#include <stdint.h>

#include <libavutil/frame.h>

typedef struct MatteIn MatteIn;

/* Opens path (a still is decoded here); with threaded, the frames of the
 * others are decoded ahead on a thread of their own (tools/input/reader.h).
 * on_error_stop: undecodable data ends the run, as for the input
 * (--on-error); skipped, it shows as a matte with fewer frames. 0, or -1
 * with err. */
int matte_in_open(MatteIn **m, const char *path, int on_error_stop, int threaded, char *err, size_t errlen);

/* The matte of the input's next frame, which is width x height: *frame
 * (GRAY8, full range) stays valid until the next call. 0, or -1 with err
 * (the matte ended, differs in size, or could not be decoded). */
int matte_in_next(MatteIn *m, int width, int height, const AVFrame **frame, char *err, size_t errlen);

/* After the input's last frame, input_frames in all: -1 with err when the
 * matte has frames left (it reads them, to say how many), else 0. */
int matte_in_finish(MatteIn *m, int64_t input_frames, char *err, size_t errlen);

/* Seconds spent decoding the matte so far (on whichever thread). */
double matte_in_decode_seconds(MatteIn *m);

/* Stops decoding ahead and frees. Accepts NULL and a pointer to NULL. */
void matte_in_close(MatteIn **m);

#endif
