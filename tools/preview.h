/*
 * The preview window (--preview, SDL2): the frames written to -o, as they
 * are written (the side-by-side view with --view side-by-side), and keys
 * that become the live loop's commands.
 *
 * Threads: SDL's video and events belong to the thread that made the
 * window; every function here is called on the main loop's thread
 * (live.c), which makes, shows and polls. Nothing blocks: preview_show
 * draws without waiting for the display's refresh, preview_poll takes the
 * events already there.
 *
 * Memory: the textures (and, for a format SDL has no texture for, one
 * conversion buffer) are made when the first frame comes, and again only
 * if the frames' size or format changes; showing a frame allocates nothing.
 * Frames with alpha (-b transparent) are drawn over a grey checkerboard.
 *
 * Keys (the text typed, so that '+' and 'N' follow the keyboard's layout):
 *   space, p      pause / resume (frames pass through unchanged)
 *   n, Right      the next picture of the background picture's folder
 *   N, Left       the previous one (sorted by name; the folder of
 *                 --backgrounds DIR when the background is not a picture)
 *   b             blur background
 *   +, -          blur strength up / down (x 1.5), starting from the
 *                 current one (automatic: height / 24); switches to blur
 *   c             the next colour: green, blue, black, white, gray
 *   m             the next method this build has (external skipped)
 *   q, Esc        quit (as the control socket's quit); closing the window too
 *
 * Test hooks, read by preview_open():
 *   BACKDROP_TEST_PREVIEW_KEYS="12:c,20:p,30:space,40:q"  keys pushed as
 *       SDL events once the window has shown N frames (each key once, in
 *       the order given): a character, or space, esc, left, right, close
 *       (the window's close button).
 *   BACKDROP_TEST_PREVIEW_DUMP=FILE.ppm  at close, the last frame drawn
 *       again and read back from the window (SDL_RenderReadPixels), written
 *       as a binary PPM whose comment line is "# title: " and the title.
 */
#ifndef BACKDROP_TOOLS_PREVIEW_H
#define BACKDROP_TOOLS_PREVIEW_H

#include <stddef.h>

#include <libavutil/frame.h>

#include "control.h"

typedef struct Preview Preview;

/* Whether this build has the preview (SDL2). */
int preview_available(void);

/* What the live loop knows that the title and the keys need. */
typedef struct PreviewStatus {
    const char *method;    /* running */
    int paused;
    int blur;              /* the background is the blur */
    double blur_strength;  /* its strength (0 = automatic) */
    int quiet;             /* -q */
} PreviewStatus;

/* Opens SDL's video and a window (hidden until the first frame). dir: the
 * pictures of --backgrounds, or NULL; background: -b's text, or NULL (the
 * keys step from it). A window that cannot be opened, and SDL falling back
 * to a driver without a display (offscreen, dummy) when SDL_VIDEODRIVER
 * does not ask for it, fail here. 0, or -1 with a one-line message. */
int preview_open(Preview **p, const char *dir, const char *background, char *err, size_t errlen);

/* Shows frame (as written to -o; its latency, capture to output, in
 * seconds) and updates the title at most 4 times a second. 0, or -1 with
 * a message (SDL failed to draw). */
int preview_show(Preview *p, const AVFrame *frame, double latency, const PreviewStatus *status, char *err,
                 size_t errlen);

/* The next key's command, never blocking:
 *   PREVIEW_NONE     no more events now
 *   PREVIEW_COMMAND  *cmd filled: apply it (live_apply) and tell
 *                    preview_result()
 *   PREVIEW_REFUSED  a key that cannot do anything now: why in msg */
enum { PREVIEW_NONE = 0, PREVIEW_COMMAND = 1, PREVIEW_REFUSED = 2 };
int preview_poll(Preview *p, const PreviewStatus *status, ControlCommand *cmd, char *msg, size_t msglen);

/* How a command was taken, whatever its source (a key, the control
 * socket): ok, or the answer's reason, shown in the title for a few
 * seconds. A background taken becomes the one the keys step from. */
void preview_result(Preview *p, const ControlCommand *cmd, int ok, const char *answer);

/* Writes the test dump if asked, closes the window and SDL. NULL or *p
 * NULL: nothing. */
void preview_close(Preview **p);

#endif
