/*
 * Internal declarations shared by the library's source files. Nothing here
 * is part of the public API; tests link the internal static library and may
 * call these directly.
 */
#ifndef BACKDROP_INTERNAL_H
#define BACKDROP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <pthreadpool.h>

#include "backdrop/backdrop.h"

#define BD_ALIGN 64

/* Hot loops are written as plain C that compilers vectorise. On x86-64 they
 * are also compiled for AVX2 and picked at load time (ifunc), since the
 * baseline SSE2 lacks 32-bit vector multiplies. The C source is the
 * reference; tests compare results across thread counts and with scalar
 * formulas. */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__linux__) && !defined(__SANITIZE_ADDRESS__)
#define BD_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define BD_VECTOR_CLONES
#endif

/* A frame whose pixels the library owns: one allocation holds every plane,
 * rows padded to BD_ALIGN bytes. frame.data == NULL means "empty". */
typedef struct Picture {
    BackdropFrame frame;
    uint8_t *buffer;
    size_t capacity; /* bytes allocated in buffer */
} Picture;

/* Width and height of plane p of a frame of this format (0 if absent). */
int bd_plane_width(BackdropPixelFormat fmt, int width, int plane);
int bd_plane_height(BackdropPixelFormat fmt, int height, int plane);
int bd_plane_count(BackdropPixelFormat fmt);
/* Bytes per pixel in plane 0 of a packed format (3, or 4 with alpha), or 1. */
int bd_pixel_size(BackdropPixelFormat fmt);
/* The format without its alpha (YUVA420P -> YUV420P, RGBA -> RGB24, BGRA ->
 * BGR24); the others unchanged. */
BackdropPixelFormat bd_without_alpha(BackdropPixelFormat fmt);

/* Checks a caller's frame: known format, dimensions in range, non-NULL
 * planes, strides that cover a row. Returns 0 or BACKDROP_EINVAL /
 * BACKDROP_ERANGE. */
int bd_frame_check(const BackdropFrame *f);

/* (Re)shapes pic for this format and size, reusing its buffer when it is
 * large enough. range/matrix are set to limited/BT.601. */
int bd_picture_alloc(Picture *pic, BackdropPixelFormat fmt, int width, int height);
void bd_picture_free(Picture *pic);
/* Copies the pixels of src into dst (same format and size). */
void bd_frame_copy(const BackdropFrame *dst, const BackdropFrame *src);

/* How a picture whose aspect ratio differs from the frame's is fitted to
 * it (the background's option "fit" and the selfie framings). */
typedef enum BdFit {
    BD_FIT_STRETCH = 0, /* scale each axis on its own (the tutorial) */
    BD_FIT_COVER,       /* keep the aspect ratio, fill, crop the centre */
    BD_FIT_CONTAIN,     /* keep the aspect ratio, fit inside, bars around */
} BdFit;

/* Where a picture of pic_w x pic_h lands in a frame of frame_w x frame_h
 * and which part of it is used: STRETCH uses all of it on all of the frame;
 * COVER keeps the aspect ratio and crops the picture's centre; CONTAIN keeps
 * it and fits the whole picture, centred, inside the frame. Sizes are
 * rounded to the nearest pixel and at least 1. */
typedef struct BdFitRect {
    int src_x, src_y, src_w, src_h;
    int dst_x, dst_y, dst_w, dst_h;
} BdFitRect;
BdFitRect bd_fit_rect(BdFit fit, int pic_w, int pic_h, int frame_w, int frame_h);

/* Writes the upright picture src into dst in the stored orientation of
 * frames that are shown upright after 'turns' clockwise quarter turns
 * (the option rotation / 90, 0..3): dst is src turned counter-clockwise as
 * often, so turning dst clockwise gives src back. dst has src's format
 * (RGB24, BGR24 or GRAY8) and its size, width and height swapped for odd
 * turns. */
void bd_frame_turn_to_stored(const BackdropFrame *dst, const BackdropFrame *src, int turns);

/* ---- threads: row slices on the context's pthreadpool ------------------ */

/* fn(arg, first_row, row_count) is called for consecutive slices covering
 * [0, rows); slice starts are multiples of 'align' rows (2 for 4:2:0 work,
 * so every slice owns whole chroma rows). pool may be NULL (caller's
 * thread only). */
typedef void (*bd_rows_fn)(void *arg, int first_row, int row_count);
void bd_run_rows(pthreadpool_t pool, bd_rows_fn fn, void *arg, int rows, int align);

/* ---- CPUs (cpu.c) ------------------------------------------------------ */

/* CPUs this process may use: those of the calling thread's affinity mask,
 * at most what its cgroup's CPU quota buys (rounded up); at least 1. Reads
 * /proc/self/cgroup and a few files under /sys/fs/cgroup on each call. */
int bd_cpu_count(void);

/* The CPU limit in cgroup files, 0 meaning none; malformed text is none.
 * cgroup v2 cpu.max contents ("max 100000", "150000 100000"), and v1
 * cpu.cfs_quota_us / cpu.cfs_period_us contents ("-1" is none):
 * ceil(quota / period). */
int bd_cgroup2_cpu_limit(const char *cpu_max);
int bd_cgroup1_cpu_limit(const char *quota_us, const char *period_us);
/* The tightest limit on the process whose cgroup list (the format of
 * /proc/self/cgroup) is in the file proc_cgroup, with the cgroup
 * hierarchies mounted under root ("/sys/fs/cgroup": v2 there, v1 in
 * root/<controllers> or root/cpu); 0 for none. */
int bd_cgroup_cpu_limit(const char *proc_cgroup, const char *root);

/* ---- colour ------------------------------------------------------------ */

/* Fills every pixel of f with the colour (r, g, b), converted to f's format
 * (range and matrix of f for YUV). */
void bd_fill_rgb(const BackdropFrame *f, uint8_t r, uint8_t g, uint8_t b);
/* Converts between formats of the same size; src and dst must differ.
 * Supported: any of RGB24/BGR24/YUV420P to any of RGB24/BGR24/YUV420P.
 * 4:2:0 chroma is the mean of the 2x2 block (edge blocks: the pixels that
 * exist); upsampling to RGB takes the chroma sample of the covering block. */
void bd_convert(const BackdropFrame *dst, const BackdropFrame *src);

/* ---- resize ------------------------------------------------------------ */

/* Scales the rectangle (sx, sy, sw, sh) of src into the rectangle
 * (dx, dy, dw, dh) of dst with OpenCV's INTER_AREA rules: per axis a box
 * filter weighted by overlap when shrinking, OpenCV's two-tap "area"
 * interpolation when enlarging (BD_KERNEL_OPENCV_AREA of src/scale.h).
 * src and dst are both RGB24, both BGR24 or both GRAY8. Builds its tables
 * for the call (backgrounds are prepared once per shape); returns 0,
 * BACKDROP_ENOMEM, or BACKDROP_EINVAL for a rectangle outside src. */
int bd_resize_area(const BackdropFrame *dst, int dx, int dy, int dw, int dh,
                   const BackdropFrame *src, int sx, int sy, int sw, int sh);

/* ---- composite --------------------------------------------------------- */

/* out = alpha * fg + (255 - alpha) * bg, rounded, per plane; for YUV420P
 * the chroma alpha is the rounded mean of the 2x2 luma alphas it covers.
 * fg and bg share format and size; out is of that format or its alpha
 * variant (YUVA420P, RGBA, BGRA), whose alpha receives alpha itself.
 * alpha is width x height. Rows [first_row, first_row + rows) only;
 * first_row is even for the 4:2:0 formats. */
void bd_composite_rows(const BackdropFrame *out, const BackdropFrame *fg,
                       const BackdropFrame *bg, const uint8_t *alpha,
                       ptrdiff_t alpha_stride, int first_row, int rows);
/* No background (transparent): out, an alpha format, gets fg's colour and
 * alpha as its alpha. Same rows rule as bd_composite_rows. */
void bd_foreground_rows(const BackdropFrame *out, const BackdropFrame *fg, const uint8_t *alpha,
                        ptrdiff_t alpha_stride, int first_row, int rows);
/* The 4:2:0 chroma alpha of a whole width x height alpha: each value the
 * rounded mean of the 2x2 alphas it covers (the composite's rule). */
void bd_chroma_alpha(uint8_t *dst, ptrdiff_t dst_stride, const uint8_t *alpha, ptrdiff_t alpha_stride,
                     int width, int height);

/* ---- logging ----------------------------------------------------------- */

typedef struct BackdropLogger {
    void (*callback)(void *opaque, BackdropLogLevel level, const char *msg);
    void *opaque;
} BackdropLogger;

void bd_log(const BackdropLogger *log, BackdropLogLevel level, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
