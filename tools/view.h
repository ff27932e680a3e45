/*
 * --view side-by-side: every output frame shows the input, the matte and the
 * result next to each other, for tuning and for bug reports. The frame is
 * three panels wide; each panel is the input's width rounded up to even
 * (so that every panel starts on a whole 4:2:0 chroma sample; the column
 * an odd width leaves has black luma, and in 4:2:0 the chroma of the panel
 * beside it). The library writes its result and matte
 * into buffers of the view's own (allocated once), which are then copied
 * into the panels; the matte panel is grey (Y = matte in the frame's range,
 * neutral chroma; or R = G = B = matte).
 */
#ifndef BACKDROP_TOOLS_VIEW_H
#define BACKDROP_TOOLS_VIEW_H

#include <libavutil/frame.h>

#include "backdrop/backdrop.h"

typedef enum ViewMode { VIEW_OUTPUT = 0, VIEW_SIDE_BY_SIDE } ViewMode;

typedef struct View View;

/* For frames of width x height in av_format (YUV420P, RGB24 or BGR24). 0,
 * or -1 with a message. */
int view_open(View **view, int width, int height, int av_format, char *err, size_t errlen);
void view_close(View **view);
/* The size of the frames the view writes. */
int view_width(const View *view);
/* Where the library writes its result and its matte for one frame. */
BackdropFrame view_result(View *view, const BackdropFrame *like);
BackdropFrame view_matte(View *view);
/* Fills out (view_width x height, the input's format) with input | matte |
 * result; the matte's grey levels follow the input's YUV range. */
void view_compose(View *view, AVFrame *out, const AVFrame *input);

#endif
