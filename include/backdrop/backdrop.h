/*
 * libbackdrop — replace the background of video frames.
 *
 * This header is the manual. Every function states what it owns, what it
 * accepts and what it returns. The library does no file or container I/O,
 * never prints, never aborts and never exits: failures are negative error
 * codes (negated errno values), described by backdrop_strerror(), and
 * diagnostics go through the logger callback in BackdropSettings.
 *
 * Typical use:
 *
 *     BackdropSettings s;
 *     backdrop_default_settings(&s);
 *     s.method = "framediff";
 *     BackdropContext *ctx;
 *     int err = backdrop_open(&ctx, &s);
 *     if (err < 0) ... backdrop_strerror(err) ...
 *     backdrop_set_background(ctx, &picture);        // optional, copied
 *     for each frame:
 *         err = backdrop_process(ctx, &in, &out, &matte_or_NULL);
 *         if (err == BACKDROP_EAGAIN) continue;      // no output for this input
 *         if (err < 0) break;
 *     backdrop_close(&ctx);
 *
 * Thread safety: a context is used by one thread at a time. Different
 * contexts are independent. The library has no global mutable state.
 */
#ifndef BACKDROP_BACKDROP_H
#define BACKDROP_BACKDROP_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "backdrop/version.h" /* BACKDROP_VERSION, generated from meson.build */

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the functions of the public API. The library is compiled with
 * hidden visibility (meson.build), so these are the only symbols its shared
 * object exports; every function declared in this header carries it (the
 * test abi/exports checks both). */
#if defined(__GNUC__) || defined(__clang__)
#define BACKDROP_API __attribute__((visibility("default")))
#else
#define BACKDROP_API
#endif

/* "MAJOR.MINOR.PATCH": the version of the library that is running, which may
 * differ from BACKDROP_VERSION, the headers' version the caller was compiled
 * with. Static storage, never NULL. */
BACKDROP_API const char *backdrop_version(void);

/* ---------------------------------------------------------------------- */
/* Errors: every function that can fail returns 0 (or a non-negative value
 * where documented) on success and one of these negative codes on failure. */

#define BACKDROP_EINVAL  (-EINVAL)  /* an argument is out of range or NULL */
#define BACKDROP_ENOMEM  (-ENOMEM)  /* an allocation failed */
#define BACKDROP_ENOTSUP (-ENOTSUP) /* valid, but not supported (format, method) */
#define BACKDROP_EAGAIN  (-EAGAIN)  /* process(): input taken, no output yet */
#define BACKDROP_ERANGE  (-ERANGE)  /* a dimension is larger than BACKDROP_MAX_DIMENSION */

/* A short English description of an error code ("invalid argument", ...).
 * Static storage, never NULL, also for unknown codes. */
BACKDROP_API const char *backdrop_strerror(int err);

/* ---------------------------------------------------------------------- */
/* Frames. The caller owns every buffer it passes in; the library reads or
 * writes it only during the call. */

/* Largest width or height accepted anywhere (frames and backgrounds). */
#define BACKDROP_MAX_DIMENSION 16384

typedef enum BackdropPixelFormat {
    BACKDROP_PIXFMT_NONE = 0,
    /* Planar Y, U, V, 8 bit; U and V are ceil(w/2) x ceil(h/2), each chroma
     * sample sits at the centre of its 2x2 luma block (MPEG-2/H.264 "left"
     * siting is treated the same; the difference is below one level). */
    BACKDROP_PIXFMT_YUV420P,
    BACKDROP_PIXFMT_RGB24, /* packed R, G, B, 8 bit each, data[0] only */
    BACKDROP_PIXFMT_BGR24, /* packed B, G, R (OpenCV's order), data[0] only */
    BACKDROP_PIXFMT_GRAY8, /* one 8-bit plane: alpha mattes only */
} BackdropPixelFormat;

/* How YUV code values map to RGB; ignored for RGB/BGR/GRAY frames. */
typedef enum BackdropColorRange {
    BACKDROP_RANGE_LIMITED = 0, /* Y 16..235, U/V 16..240 ("tv", the default) */
    BACKDROP_RANGE_FULL,        /* 0..255 ("pc", JPEG) */
} BackdropColorRange;

typedef enum BackdropColorMatrix {
    BACKDROP_MATRIX_BT601 = 0, /* SD video, JPEG */
    BACKDROP_MATRIX_BT709,     /* HD video */
} BackdropColorMatrix;

typedef struct BackdropFrame {
    BackdropPixelFormat format;
    int width;  /* 1 .. BACKDROP_MAX_DIMENSION */
    int height; /* 1 .. BACKDROP_MAX_DIMENSION */
    /* Plane pointers. YUV420P uses [0]=Y [1]=U [2]=V; the packed formats and
     * GRAY8 use [0] only. Unused entries are ignored. */
    uint8_t *data[3];
    /* Bytes from one row to the next, per plane; may be negative (bottom-up
     * images) but its magnitude must cover a row. */
    ptrdiff_t stride[3];
    BackdropColorRange range;   /* YUV only */
    BackdropColorMatrix matrix; /* YUV only */
} BackdropFrame;

/* ---------------------------------------------------------------------- */
/* Settings. Always start from backdrop_default_settings() so that fields
 * added later get their defaults. */

/* How a background picture whose aspect ratio differs from the frame's is
 * fitted to it. The picture is scaled with area averaging (OpenCV's
 * INTER_AREA: a box filter when shrinking, a sharp two-tap filter when
 * enlarging). */
typedef enum BackdropFit {
    BACKDROP_FIT_STRETCH = 0, /* scale each axis on its own (the tutorial) */
    BACKDROP_FIT_COVER,       /* keep the aspect ratio, fill, crop the centre */
    BACKDROP_FIT_CONTAIN,     /* keep the aspect ratio, fit inside, bars of bg colour */
} BackdropFit;

/* selfie: how a frame whose aspect ratio differs from the model's input is
 * shown to the network. */
typedef enum BackdropFraming {
    BACKDROP_FRAMING_STRETCH = 0, /* the whole frame, distorted to the model's shape */
    BACKDROP_FRAMING_CROP,        /* a centred crop of the model's aspect; outside is background */
    BACKDROP_FRAMING_PAD,         /* the whole frame, aspect kept, grey bars around it */
    /* Overlapping windows of the model's aspect ratio along the frame's long
     * axis (3 for 16:9 into a square model), each run undistorted, their
     * probabilities blended with tent weights. The most accurate (measured:
     * bench/results.csv) and the most costly: one inference per window. */
    BACKDROP_FRAMING_WINDOWS,
} BackdropFraming;

/* selfie: which engine runs the network. */
typedef enum BackdropEngine {
    BACKDROP_ENGINE_XNNPACK = 0, /* fast: XNNPACK with the context's threads */
    BACKDROP_ENGINE_REFERENCE,   /* plain C loops, one thread: the oracle for tests */
} BackdropEngine;

typedef enum BackdropLogLevel {
    BACKDROP_LOG_ERROR = 0,
    BACKDROP_LOG_WARNING,
    BACKDROP_LOG_INFO,
    BACKDROP_LOG_DEBUG,
} BackdropLogLevel;

typedef struct BackdropSettings {
    /* Segmentation method by name: "framediff" (the tutorial's frame
     * differencing) or "selfie" (neural person segmentation; needs
     * model_data). See backdrop_method_name(). NULL selects "framediff",
     * the one method that needs nothing else (the CLI defaults to selfie).
     * Default: NULL. */
    const char *method;
    /* Worker threads for row-sliced kernels: 0 = one per online CPU,
     * 1 = run on the calling thread only, at most 256. Default: 0. */
    int threads;
    /* framediff: a pixel is foreground when the grey level of the absolute
     * difference to the previous frame is strictly greater than this.
     * 0..255. Default: 3 (the tutorial's value). */
    int threshold;
    /* framediff: 1 reproduces the tutorial exactly (frame pairing, OpenCV's
     * grey, the frame that is composited); see README "framediff". 0 or 1.
     * Default: 0. */
    int seed_compat;
    /* How a background picture is fitted to the frame. Default: STRETCH. */
    BackdropFit fit;
    /* Background colour (R, G, B) used when no picture is set, and for the
     * bars of BACKDROP_FIT_CONTAIN. Default: 0, 0, 0. */
    uint8_t background_rgb[3];
    /* selfie: the model, a .tflite file's bytes (MediaPipe selfie
     * segmentation, general or landscape, or a retrained model of the same
     * graph). Parsed and validated during backdrop_open(); the caller may
     * free it on return. Default: NULL (selfie then fails to open). */
    const void *model_data;
    size_t model_size;
    /* selfie: person probability at which alpha is half, 0..1. Default: 0.5. */
    float mask_threshold;
    /* selfie: width of the probability ramp from alpha 0 to 255, 0..1; 0 is
     * a hard cut. Default: 0.2. */
    float mask_softness;
    /* selfie: see BackdropFraming. Default: WINDOWS. */
    BackdropFraming framing;
    /* selfie: clockwise turn in degrees (0, 90, 180 or 270) that shows the
     * stored frames upright, as a container's display matrix says; the
     * network is shown upright pictures. Frames are not turned: output and
     * matte keep the stored orientation. Default: 0. */
    int rotation;
    /* selfie: see BackdropEngine. Default: XNNPACK. */
    BackdropEngine nn_engine;
    /* Receives the library's diagnostics; NULL discards them. Called on the
     * thread that called into the library; msg has no trailing newline and
     * is valid only during the call. Default: NULL. */
    void (*logger)(void *opaque, BackdropLogLevel level, const char *msg);
    void *logger_opaque;
} BackdropSettings;

BACKDROP_API void backdrop_default_settings(BackdropSettings *s);

/* Names of the available methods, for i = 0, 1, ... until NULL. */
BACKDROP_API const char *backdrop_method_name(int i);

/* ---------------------------------------------------------------------- */
/* Context. */

typedef struct BackdropContext BackdropContext;

/* Creates a context from settings (copied; the method string is copied
 * too). On success *ctx is set and 0 returned; on failure *ctx is NULL and
 * the code says why: BACKDROP_EINVAL for out-of-range fields, BACKDROP_ENOTSUP
 * for an unknown method. */
BACKDROP_API int backdrop_open(BackdropContext **ctx, const BackdropSettings *s);

/* Sets the background picture: YUV420P, RGB24 or BGR24, any size up to
 * BACKDROP_MAX_DIMENSION. The pixels are copied; the caller may free bg on
 * return. NULL goes back to the solid background colour. The picture is
 * scaled and converted to the frames' format once, on the next frame (and
 * again only when the frame size or format changes). */
BACKDROP_API int backdrop_set_background(BackdropContext *ctx, const BackdropFrame *bg);

/* Sets the solid background colour (and the CONTAIN bars' colour). */
BACKDROP_API int backdrop_set_background_color(BackdropContext *ctx, uint8_t r, uint8_t g, uint8_t b);

/* Processes one input frame (YUV420P, RGB24 or BGR24).
 *
 * out:   caller-allocated, same format and size as in; must not overlap it.
 *        Receives the frame composited over the background.
 * matte: NULL, or a caller-allocated GRAY8 frame of the same size that
 *        receives the alpha used (255 = foreground, 0 = background).
 *
 * Returns 0 when out (and matte) were written, BACKDROP_EAGAIN when the
 * input was taken but gives no output (framediff with seed_compat emits
 * nothing for the first two frames), or a negative error code; then out is
 * unspecified. A change of frame size or format restarts the method (as if
 * the context had just been opened) and prepares the background again. */
BACKDROP_API int backdrop_process(BackdropContext *ctx, const BackdropFrame *in,
                                  BackdropFrame *out, BackdropFrame *matte);

/* Frees the context and everything it owns, sets *ctx to NULL. Accepts
 * NULL and a pointer to NULL. */
BACKDROP_API void backdrop_close(BackdropContext **ctx);

#ifdef __cplusplus
}
#endif

#endif /* BACKDROP_BACKDROP_H */
