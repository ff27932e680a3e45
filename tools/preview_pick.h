/*
 * What the preview's keys choose, without SDL (so the unit tests reach it):
 * the next or previous picture of a folder, the next colour of the cycle,
 * the blur strength a step up or down, the next method. No function here
 * keeps state: the caller says what is current.
 */
#ifndef BACKDROP_TOOLS_PREVIEW_PICK_H
#define BACKDROP_TOOLS_PREVIEW_PICK_H

#include <stddef.h>

/* Whether name ends in a picture's extension (jpg, jpeg, png, webp, bmp,
 * tif, tiff; any case). Names alone: nothing is opened. */
int pick_is_picture_name(const char *name);

/* The picture after (step > 0) or before (step < 0) current among the
 * picture files of its folder, sorted by name (bytes, as strcmp), wrapping
 * around at the ends. current names a file ("beach.jpg", "pics/a.png"):
 * the folder is its directory part, and the result keeps that part as
 * given ("pics/b.png"). With current NULL, or not a picture name, the
 * folder is dir (NULL: none) and the result is its first (step > 0) or
 * last picture. Only regular files (after links) count. 0 with the path in
 * out, or -1 with a one-line reason in err (no folder, no pictures, out
 * too small, the folder unreadable). Allocates while listing, frees
 * before returning. */
int pick_picture(const char *current, const char *dir, int step, char *out, size_t outlen, char *err,
                 size_t errlen);

/* The colour after current in the cycle green, blue, black, white, gray;
 * green when current is none of them (or NULL). */
const char *pick_colour(const char *current);

/* The blur strength one step up (up != 0) or down from strength: times or
 * divided by 1.5, starting from the automatic one (height / 24, what the
 * blur stage uses for 0) when strength is 0; kept within 1..1000 and
 * rounded to a tenth. */
double pick_blur(double strength, int height, int up);

/* The method after current among those this build has
 * (backdrop_method_name), skipping those whose matte comes from the caller
 * (external: nothing to give it while running); wraps around. current
 * itself when it is the only one; the first when current is unknown. */
const char *pick_method(const char *current);

#endif
