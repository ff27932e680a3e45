/*
 * A video background for the backdrop CLI (-b beach.mp4): its frames
 * decoded ahead on a thread of their own, looped, and chosen by the time of
 * each input frame.
 *
 * Decoding. tools/input opens the file as a background (InputOptions
 * .background: video only, RGB24 converted by the frames' colour labels,
 * turned upright by the display matrix, looped) and tools/input/reader runs
 * it on its own thread with a bounded queue, so the main loop finds the
 * next frames decoded in the normal case and waits only when the decoder
 * falls behind. Frames come from the decoder's and the converter's buffer
 * pools and are moved, never copied, into the queue and out of it: a
 * steady stream allocates no pixels.
 *
 * Time. A background frame's time is its timestamp less the first frame's
 * (frame index / frame rate when it has none), in whole microseconds. A pass through
 * the file lasts from its first frame to the end of its last (the last
 * time plus that frame's duration); pass k's frames are placed k durations
 * later, so the frames of all passes lie on one line that the input's time
 * walks along. For an input frame at time t (its timestamp less the
 * input's first, or index / rate without timestamps) the background shows
 * the last frame whose time is <= t: the frame at t modulo the duration.
 * A background of a lower frame rate repeats frames (10 fps under 30 fps:
 * each three times), a higher one drops them (60 under 30: every other).
 * t never goes back: an input whose timestamps jump back keeps the frame
 * shown until its time passes it again.
 *
 * A file whose first pass holds a single frame is a still: that frame is
 * kept and the file closed.
 */
#ifndef BACKDROP_TOOLS_BACKGROUND_H
#define BACKDROP_TOOLS_BACKGROUND_H

#include <stddef.h>
#include <libavutil/frame.h>

#include "input/input.h"

typedef struct BackgroundVideo BackgroundVideo;

/* Opens path as a video background and starts decoding ahead (on a thread
 * when threaded). fit_width x fit_height: the input's frames as displayed
 * (0 x 0: unknown); a background of that aspect ratio is scaled to it on
 * the decoding thread (swscale, bicubic), so that the library's picture
 * stage finds a picture of the frame's size and only converts it; one of
 * another aspect ratio is handed over at its own size and fitted by the
 * library (--fit), at a higher cost on the main loop. On failure returns a
 * negative AVERROR with a one-line message naming the file in err. A still
 * picture is not a video: the caller asks background_is_still() first. */
int background_open(BackgroundVideo **bg, const char *path, int fit_width, int fit_height, int threaded,
                    InputErrorPolicy on_error, char *err, size_t errlen);

/* 1 when path is one still picture (an image file, not a sequence),
 * 0 when it is video, or a negative AVERROR with err filled when it cannot
 * be opened. Opens and closes the file. */
int background_is_still(const char *path, char *err, size_t errlen);

/* The frame to show under the input frame at time t (microseconds,
 * AV_TIME_BASE, from the input's first frame): *frame is set when it differs from the one given
 * before (RGB24, upright; valid until the next call), NULL when the last
 * one stays. Waits for the decoder if it is behind. 0, or a negative
 * AVERROR with a message naming the file in err. */
int background_frame(BackgroundVideo *bg, int64_t t, const AVFrame **frame, char *err, size_t errlen);

/* The frame shown now (the last one background_frame() gave), or NULL
 * before the first. */
const AVFrame *background_shown(const BackgroundVideo *bg);

/* Stops the decoding thread and closes the file. Accepts NULL. */
void background_close(BackgroundVideo **bg);

#endif
