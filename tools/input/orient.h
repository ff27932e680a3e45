/*
 * Orientation of pictures for the backdrop CLI. Cameras store photos as the
 * sensor saw them and record, in the EXIF Orientation tag, how to show them:
 * 1 as stored, 2 mirrored left-right, 3 turned half way, 4 mirrored top to
 * bottom, 5 mirrored along the main diagonal (transposed), 6 turned a
 * quarter clockwise, 7 mirrored along the other diagonal (transverse), 8
 * turned a quarter counter-clockwise. FFmpeg 5.1's JPEG and WebP decoders
 * report the tag in frame->metadata but leave the pixels as stored, and a
 * picture file carries no display matrix to the output: the CLI turns such
 * pictures upright itself.
 */
#ifndef BACKDROP_TOOLS_ORIENT_H
#define BACKDROP_TOOLS_ORIENT_H

#include <libavutil/frame.h>

/* The EXIF orientation of a decoded picture: its "Orientation" metadata
 * (1..8); 1 when it has none or the value is not one of those. */
int orient_of_frame(const AVFrame *f);

/* The orientation that shows a picture upright after turning it clockwise
 * by 'degrees' (a display matrix's angle): 6, 3 or 8 for 90, 180 or 270;
 * 1 for any other angle. */
int orient_from_rotation(double degrees);

/* Whether showing the picture swaps its width and height (5 to 8). */
int orient_swaps_axes(int orientation);

/* Writes src as shown upright into dst. Both have the same pixel format,
 * an 8-bit one whose chroma (if any) is subsampled alike on both axes
 * (YUV420P, RGB24, BGR24, GRAY8, ...); dst has src's size, width and height
 * swapped when orient_swaps_axes(). Only pixels are written. */
void orient_apply(AVFrame *dst, const AVFrame *src, int orientation);

#endif
