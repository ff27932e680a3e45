/*
 * The interface every segmentation method implements. The core (lib.c) owns
 * the buffers, the background, compositing and threading; a method only
 * turns frames into an alpha mask. Adding a method is one file plus one line
 * in the table in lib.c.
 */
#ifndef BACKDROP_SEGMENT_METHOD_H
#define BACKDROP_SEGMENT_METHOD_H

#include "../internal.h"

/* What a method is told when it (re)starts: on open, and whenever the frame
 * format, size, range or matrix changes. */
typedef struct MethodConfig {
    const BackdropSettings *settings;
    BackdropPixelFormat format;
    int width, height;
    BackdropColorRange range;
    BackdropColorMatrix matrix;
    pthreadpool_t pool; /* may be NULL */
    const BackdropLogger *log;
} MethodConfig;

typedef struct SegmentMethod {
    const char *name;
    size_t priv_size; /* zeroed state allocated by the core, kept until close */
    /* Optional, once per context, before any init: per-context resources
     * (a parsed model, an inference engine). close() is called at the end
     * even when open() failed. */
    int (*open)(void *priv, const BackdropSettings *s, pthreadpool_t pool, const BackdropLogger *log);
    void (*close)(void *priv);
    /* Per frame shape; must set up all per-shape state (the core does not
     * clear priv between shapes). */
    int (*init)(void *priv, const MethodConfig *cfg);
    /* Writes width x height alpha (0..255) for the frame 'in' and points
     * *composite at the frame that must be composited with it: normally
     * 'in', but a method may hold back frames (seed-compat framediff
     * composites an earlier one). Returns 0, BACKDROP_EAGAIN for "no output
     * for this frame", or a negative error. */
    int (*segment)(void *priv, const BackdropFrame *in, const BackdropFrame **composite,
                   uint8_t *alpha, ptrdiff_t alpha_stride);
    /* Frees what init allocated; also called after a failed init. */
    void (*uninit)(void *priv);
} SegmentMethod;

extern const SegmentMethod bd_method_framediff;
extern const SegmentMethod bd_method_selfie;

#endif
