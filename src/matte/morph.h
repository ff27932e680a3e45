/*
 * Grey-level dilation and erosion of an 8-bit alpha at full resolution,
 * with a square.
 *
 * Definition: radius r > 0 sets each pixel to the maximum (dilation), r < 0
 * to the minimum (erosion), of the pixels of the (2|r| + 1)^2 square
 * centred on it, before any change; pixels outside the image are ignored
 * (the window is clipped). r = 0 leaves the image as it is. Pixel (x, y)
 * is img[y * stride + x]; stride may be negative, and |stride| >= width.
 * Nothing outside the width x height pixels is read or written.
 *
 * Why a square and not a disc: the square is separable (a row pass then a
 * column pass, each a maximum over 2|r| + 1 consecutive pixels), and each
 * pass costs O(log r) per pixel with the doubling below. An octagon, the
 * usual cheap disc, alternates 3 x 3 squares and crosses: |r| steps, each
 * a pass of its own over the image, i.e. O(r) per pixel; diagonal passes
 * would keep O(log r) but the sums of diagonal segments hit only every
 * other pixel and need patching. For the few pixels a matte grows or
 * shrinks by, the square's corners reach sqrt(2) times further than its
 * sides; this is accepted.
 *
 * The passes, for a window of L = 2R + 1 pixels (R = |r|, reduced to
 * length - 1 along an axis, since the clipped window then already covers
 * the whole line) and P the largest power of two <= L:
 *  - g_1 = the line; g_2s[i] = max(g_s[i], g_s[i + s]) is the maximum of
 *    the 2s pixels from i, so log2(P) steps give g_P;
 *  - out[i] = max(g_P[i - R], g_P[i - R + L - P]): two windows of P that
 *    together are exactly [i - R, i + R], since L - P < P.
 *  Pixels outside the line count as 0 (for the maximum, which every byte
 *  is >= to). Erosion is the same dilation on the inverted image
 *  (255 - v, i.e. v ^ 255), inverted on the way in and on the way out.
 *  - Rows: each row goes into a line with R zeros on each side, the steps
 *    run along it (whole vectors of bytes), the final maximum writes the
 *    row back.
 *  - Columns: the same steps with whole rows as the elements, one sweep
 *    down the image: step k of row i runs as soon as row i + 2^k - 1 has
 *    its row pass, so only about P rows are in flight; the g_P rows go into
 *    a ring of R + 1 rows (each is read by the outputs up to R rows further
 *    down), whose first R slots start as the g_P of rows -R..-1: maxima of
 *    the image's first rows, computed before the sweep changes them.
 * Each output pixel costs log2(P) + 1 byte maxima per pass.
 */
#ifndef BACKDROP_MATTE_MORPH_H
#define BACKDROP_MATTE_MORPH_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of scratch that bd_morph_square and bd_morph_square_ref need for
 * this shape and radius; 0 for a dimension < 1. */
size_t bd_morph_scratch_size(int width, int height, int radius);

/* The dilation (radius > 0) or erosion (radius < 0) defined above, in
 * place. scratch: bd_morph_scratch_size(width, height, radius) bytes, no
 * alignment needed. Allocates nothing. */
void bd_morph_square(uint8_t *img, ptrdiff_t stride, int width, int height, int radius, uint8_t *scratch);

/* The same by plain loops: each output the maximum (minimum) over its
 * clipped window of 2|r| + 1 pixels, rows and then columns; the oracle for
 * the tests. */
void bd_morph_square_ref(uint8_t *img, ptrdiff_t stride, int width, int height, int radius, uint8_t *scratch);

#endif
