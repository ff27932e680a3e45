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
 *     backdrop_set_option(ctx, "threshold", "7");    // optional, see Options
 *     backdrop_set_background(ctx, &picture);        // optional, copied
 *     for each frame:
 *         err = backdrop_process(ctx, &in, &out, &matte_or_NULL);
 *         if (err == BACKDROP_EAGAIN) continue;      // no output for this input
 *         if (err < 0) break;
 *     while (backdrop_drain(ctx, &out, &matte_or_NULL) == 0)
 *         ...                                       // frames held back, if any
 *     backdrop_close(&ctx);
 *
 * A frame goes through stages: the method (segmentation), refine (the soft
 * map becomes the alpha matte), stabilise (over time; none by default),
 * background and composite. Each method and stage has named options; see
 * "Options" below.
 *
 * Thread safety: a context is used by one thread at a time. Different
 * contexts are independent. The library has no global mutable state.
 */
#ifndef BACKDROP_BACKDROP_H
#define BACKDROP_BACKDROP_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "backdrop/version.h" /* BACKDROP_VERSION, generated from meson.build */

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
#define BACKDROP_EOF     (-ENODATA) /* drain(): no frame is held back */

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
    /* Output only, for frames that carry the matte as transparency: the
     * composite of YUV420P / RGB24 / BGR24 input plus alpha. YUVA420P is
     * YUV420P with a full-size alpha plane data[3]; RGBA and BGRA are packed
     * 4 bytes per pixel, alpha last (straight, not premultiplied). */
    BACKDROP_PIXFMT_YUVA420P,
    BACKDROP_PIXFMT_RGBA,
    BACKDROP_PIXFMT_BGRA,
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

/* Zero-initialise frames ({0}) so that fields added later read as zero. */
typedef struct BackdropFrame {
    BackdropPixelFormat format;
    int width;  /* 1 .. BACKDROP_MAX_DIMENSION */
    int height; /* 1 .. BACKDROP_MAX_DIMENSION */
    /* Plane pointers. YUV420P uses [0]=Y [1]=U [2]=V, YUVA420P also [3]=A;
     * the packed formats and GRAY8 use [0] only. Unused entries are ignored. */
    uint8_t *data[4];
    /* Bytes from one row to the next, per plane; may be negative (bottom-up
     * images) but its magnitude must cover a row. */
    ptrdiff_t stride[4];
    BackdropColorRange range;   /* YUV only */
    BackdropColorMatrix matrix; /* YUV only */
    /* The caller's timestamp, any unit. Passes through: an output frame
     * gets the timestamp of the input frame it shows (with a method that
     * holds frames back, an earlier one). */
    int64_t pts;
} BackdropFrame;

/* ---------------------------------------------------------------------- */
/* Settings: what every context needs when it is opened. Everything else is
 * an option (below). Always start from backdrop_default_settings() so that
 * fields added later (taken from 'reserved') get their defaults. */

typedef enum BackdropLogLevel {
    BACKDROP_LOG_ERROR = 0,
    BACKDROP_LOG_WARNING,
    BACKDROP_LOG_INFO,
    BACKDROP_LOG_DEBUG,
} BackdropLogLevel;

typedef struct BackdropSettings {
    /* Segmentation method by name: "framediff" (the tutorial's frame
     * differencing), "selfie" (neural person segmentation; needs
     * model_data), "rvm" (video matting; needs model_data and
     * model_weights) or "external" (the caller's own matte, given per frame
     * with backdrop_set_matte()). See backdrop_method_name(). NULL selects "framediff",
     * the one method that needs nothing else (the CLI defaults to rvm).
     * Default: NULL. */
    const char *method;
    /* Threads for row-sliced kernels and the neural networks, the calling
     * thread included: 0 = one per CPU this process may use (see
     * backdrop_cpu_count()), 1 = the calling thread only, at most 256.
     * A larger value is accepted and runs backdrop_cpu_count() threads: a
     * pool larger than the usable CPUs never helps, as its threads spin
     * while they wait for one another, and one left waiting for a CPU holds
     * up all the others. When threads of the caller's own need CPU time at
     * the same moment (decoding, encoding), leave them CPUs: ask for fewer.
     * Default: 0. */
    int threads;
    /* selfie: the model, a .tflite file's bytes (MediaPipe selfie
     * segmentation, general or landscape, or a retrained model of the same
     * graph). rvm: the model.json of Robust Video Matting's TF.js graph
     * model (see model_weights). Parsed and validated during backdrop_open(); the caller may
     * free it on return. Default: NULL (selfie then fails to open). */
    const void *model_data;
    size_t model_size;
    /* rvm: model_data is the TF.js graph (model.json) and these are its
     * weights (the one shard, rvm.bin); both parsed during backdrop_open()
     * and free to go on return. selfie: unused. Default: NULL. */
    const void *model_weights;
    size_t model_weights_size;
    /* Receives the library's diagnostics; NULL discards them. Called on the
     * thread that called into the library; msg has no trailing newline and
     * is valid only during the call. Default: NULL. */
    void (*logger)(void *opaque, BackdropLogLevel level, const char *msg);
    void *logger_opaque;
    /* Room for fields to come without changing the struct's size; zero.
     * (model_weights and its size came out of it.) */
    uint8_t reserved[64 - sizeof(void *) - sizeof(size_t)];
} BackdropSettings;

BACKDROP_API void backdrop_default_settings(BackdropSettings *s);

/* The number of CPUs this process may use, at least 1: the CPUs of the
 * calling thread's affinity mask (taskset, cpusets), limited by the CPU
 * time its cgroup grants (cgroup v2 cpu.max, v1 cpu.cfs_quota_us over
 * cpu.cfs_period_us), rounded up: a container given 1.5 CPUs counts 2.
 * Not the machine's online CPUs, which a container with a CPU quota also
 * sees. Reads a few small files under /proc and /sys on every call. */
BACKDROP_API int backdrop_cpu_count(void);

/* Names of the available methods, for i = 0, 1, ... until NULL. */
BACKDROP_API const char *backdrop_method_name(int i);

/* ---------------------------------------------------------------------- */
/* Options. Every method and stage (a "component") describes its settings in
 * a table; backdrop_set_option() validates against it. Values are text
 * ("7", "0.35", "cover", "#00b140"). */

typedef enum BackdropOptionType {
    BACKDROP_OPTION_INT = 0,  /* a whole number in [min, max] */
    BACKDROP_OPTION_FLOAT,    /* a number in [min, max] */
    BACKDROP_OPTION_BOOL,     /* 0/1, true/false, yes/no, on/off */
    BACKDROP_OPTION_CHOICE,   /* one of choices[] */
    BACKDROP_OPTION_COLOR,    /* #RRGGBB, black, white, green, blue, red, gray */
} BackdropOptionType;

/* The option may change while frames are processed; it applies from the
 * next frame. Others may be set between backdrop_open() and the first
 * frame only. */
#define BACKDROP_OPTION_RUNTIME 1u

typedef struct BackdropOption {
    const char *name;          /* "threshold" */
    const char *help;          /* one line */
    BackdropOptionType type;
    const char *default_value; /* as text */
    double min, max;           /* INT and FLOAT */
    const char *const *choices; /* CHOICE: NULL-terminated */
    unsigned flags;            /* BACKDROP_OPTION_RUNTIME */
} BackdropOption;

typedef enum BackdropComponentKind {
    BACKDROP_COMPONENT_CONTEXT = 0, /* the context's own options: rotation, stage choice */
    BACKDROP_COMPONENT_METHOD,
    BACKDROP_COMPONENT_REFINE,
    BACKDROP_COMPONENT_STABILISE,
    BACKDROP_COMPONENT_BACKGROUND,
    BACKDROP_COMPONENT_COMPOSITE,
    BACKDROP_COMPONENT_CLEANUP,     /* appended: the values above keep their numbers */
} BackdropComponentKind;

/* A method that hands on a soft map (probabilities at its own resolution):
 * the refine and stabilise stages' options, and the cleanup stage's specks
 * and holes, apply to it. */
#define BACKDROP_COMPONENT_SOFT_MAP 1u
/* A method whose alpha is the caller's matte, given for each frame with
 * backdrop_set_matte() ("external"). */
#define BACKDROP_COMPONENT_MATTE_INPUT 2u

typedef struct BackdropComponent {
    const char *name;          /* "context", "framediff", "selfie", "bilinear", ... */
    BackdropComponentKind kind;
    const char *help;          /* one line */
    unsigned flags;            /* BACKDROP_COMPONENT_SOFT_MAP, _MATTE_INPUT */
} BackdropComponent;

/* The components, for i = 0, 1, ... until NULL; 0 is "context", then the
 * methods and the stages. Which stage of each kind a context uses is the
 * context option named after the kind ("refine", "stabilise", "cleanup"),
 * whose default is the default stage ("none": no stage). Static storage. */
BACKDROP_API const BackdropComponent *backdrop_component(int i);
/* The options of a component by name, for i = 0, 1, ... until NULL (also
 * NULL for an unknown component). Static storage. */
BACKDROP_API const BackdropOption *backdrop_option(const char *component, int i);

/* Checks value for option name of component without a context (for
 * programs that validate their command line before opening one): 0, or
 * BACKDROP_EINVAL with a one-line reason, starting with the option's name,
 * in why (when why_size > 0). */
BACKDROP_API int backdrop_option_validate(const char *component, const char *name, const char *value,
                                          char *why, size_t why_size);

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

/* Sets the solid background colour (and the colour of the bars of fit
 * "contain"): the option "color". */
BACKDROP_API int backdrop_set_background_color(BackdropContext *ctx, uint8_t r, uint8_t g, uint8_t b);

/* Gives the matte of the next frame to the method "external", whose alpha
 * is the caller's matte instead of one it computes (a matte from an editor,
 * a first pass, a test with a known answer).
 *
 * matte: a GRAY8 frame of the frames' size, 255 = foreground, 0 =
 *        background, values between blended. It is in the frames' stored
 *        orientation: the option "rotation" does not turn it. The library
 *        keeps the frame description, not the pixels: they must stay valid
 *        and unchanged until the next backdrop_process(), which copies them
 *        once into its own alpha and forgets the matte, whether it succeeds
 *        or not. Each frame needs its own call (a matte that does not
 *        change is given again). NULL withdraws a matte given since the
 *        last frame.
 *
 * The later stages take the matte as they take framediff's alpha: the
 * cleanup stage's "expand" applies to it; stabilise, refine and the specks
 * and holes, which work on a soft map, do not.
 *
 * Returns 0, or BACKDROP_EINVAL with the reason logged: a matte that is not
 * a valid GRAY8 frame (BACKDROP_ERANGE: larger than BACKDROP_MAX_DIMENSION),
 * or a method other than "external" (which would ignore it; see
 * BACKDROP_COMPONENT_MATTE_INPUT). backdrop_process() with
 * "external" fails with BACKDROP_EINVAL, logged, when no matte was given
 * since the previous frame or when its size differs from the frame's. */
BACKDROP_API int backdrop_set_matte(BackdropContext *ctx, const BackdropFrame *matte);

/* Processes one input frame (YUV420P, RGB24 or BGR24).
 *
 * out:   caller-allocated, same size as in; must not overlap it. Same
 *        format as in, or its alpha variant (YUVA420P for YUV420P, RGBA for
 *        RGB24, BGRA for BGR24), whose alpha receives the matte. Receives
 *        the frame composited over the background, and in->pts (or, with a
 *        method that holds frames back, the composited frame's).
 * matte: NULL, or a caller-allocated GRAY8 frame of the same size that
 *        receives the alpha used (255 = foreground, 0 = background).
 *
 * Returns 0 when out (and matte) were written, BACKDROP_EAGAIN when the
 * input was taken but gives no output (framediff with seed_compat emits
 * nothing for the first two frames), or a negative error code; then out is
 * unspecified. A change of frame size or format restarts the method (as if
 * the context had just been opened) and prepares the background again.
 * With the method "external", each call needs a matte given by
 * backdrop_set_matte() since the previous one. */
BACKDROP_API int backdrop_process(BackdropContext *ctx, const BackdropFrame *in,
                                  BackdropFrame *out, BackdropFrame *matte);

/* Returns, one per call, the frames that stages with a delay still hold
 * (after the last backdrop_process()): 0 with out (and matte) written, or
 * BACKDROP_EOF when none is left. */
BACKDROP_API int backdrop_drain(BackdropContext *ctx, BackdropFrame *out, BackdropFrame *matte);

/* Sets the option called name of the context, its method or one of its
 * stages to value. A bare name is looked up in the context's options, then
 * in the method's and the stages' in pipeline order ("threshold" is
 * framediff's with framediff and the refine stage's with selfie);
 * "component.name" ("bilinear.threshold") names the owner. Returns 0 (the
 * value applies from the next frame), BACKDROP_EINVAL for an unknown name
 * or an invalid value (the logger says which and the valid range), or
 * BACKDROP_ENOTSUP for an option without BACKDROP_OPTION_RUNTIME once
 * frames have been processed. */
BACKDROP_API int backdrop_set_option(BackdropContext *ctx, const char *name, const char *value);

/* The current value of an option as text (at most size bytes with the
 * terminator). 0 or BACKDROP_EINVAL (unknown name, no room). */
BACKDROP_API int backdrop_get_option(BackdropContext *ctx, const char *name, char *value, size_t size);

/* Frees the context and everything it owns, sets *ctx to NULL. Accepts
 * NULL and a pointer to NULL. */
BACKDROP_API void backdrop_close(BackdropContext **ctx);

#ifdef __cplusplus
}
#endif

#endif /* BACKDROP_BACKDROP_H */
