/*
 * The CLI's options. Two sources drive parsing, --help and validation:
 *  - the CLI's own table (input, output, encoding, running), in the manner
 *    of libavfilter's AVOption tables;
 *  - the library's option tables of its methods and stages, enumerated at
 *    run time (backdrop_component / backdrop_option): every library option
 *    is a --name of the CLI, passed on with backdrop_set_option(), so the
 *    CLI mirrors nothing.
 * Parsing never prints or exits, so that a fuzz target can drive it.
 */
#ifndef BACKDROP_TOOLS_OPTIONS_H
#define BACKDROP_TOOLS_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

typedef enum OnErrorChoice { ON_ERROR_SKIP = 0, ON_ERROR_STOP } OnErrorChoice;

/* A library option given on the command line, as text. */
typedef struct LibraryOption {
    const char *name;
    const char *value;
} LibraryOption;

#define MAX_LIBRARY_OPTIONS 64

typedef struct CliOptions {
    const char *input;       /* positional: file, URL, pattern or "-" */
    const char *output;      /* -o */
    const char *matte;       /* --matte, NULL if absent */
    const char *matte_in;    /* --matte-in: method external's matte, NULL if absent */
    const char *method;      /* -m, NULL = selfie (framediff with --seed-compat) */
    const char *background;  /* -b: picture path or colour; NULL = colour default */
    const char *model;       /* selfie: "general", "landscape", a file, or NULL = general */
    const char *codec;
    int crf;                 /* -1 = encoder default */
    int threads;             /* 0 = all cores */
    int on_error;            /* OnErrorChoice */
    int view;                /* ViewMode (view.h): 0 = the output only */
    int realtime;            /* --realtime: pace the input, process live (capture.h) */
    const char *control;     /* --control PATH: the control socket (control.h), live only */
    int preview;             /* --preview: the preview window (preview.h), live only */
    const char *backgrounds; /* --backgrounds DIR: the preview's pictures when -b is none */
    int quiet;
    int verbose;
    const char *stats;       /* --stats FILE.json */
    /* A camera input (/dev/videoN, v4l2:PATH): the demuxer's video_size,
     * framerate and input_format, checked for form here, NULL if absent. */
    const char *size;        /* --size WxH, both 1..16384 */
    const char *fps;         /* --fps N, N.M or N/M, > 0 and <= 1000 */
    const char *input_format; /* --input-format mjpeg|yuyv422|... */
    int v4l2_format;         /* --v4l2-format: V4l2OutFormat (v4l2dev.h), 0 = yuyv */
    int list_devices;        /* --list-devices: list, then exit */
    int on_demand;           /* --on-demand: process only while the virtual camera has a viewer (live_demand.c) */
    int help, version;
    unsigned long long given; /* bit i: the CLI table's entry i was given */
    LibraryOption lib[MAX_LIBRARY_OPTIONS];
    int lib_count;
} CliOptions;

/* Fills defaults, parses argv[1..argc-1]. Returns 0 or -1 with a one-line
 * message in err. Pointers in the result point into argv or the library's
 * static tables. */
int options_parse(CliOptions *o, int argc, char **argv, char *err, size_t errlen);

/* The value given for library option name, or NULL. */
const char *options_library_value(const CliOptions *o, const char *name);

/* Checks, for the method that will run, that every option given belongs to
 * it (or to the context or a stage that applies to it) and that its value
 * is valid; *component receives nothing. -1 with a one-line message. */
int options_check_method(const CliOptions *o, const char *method, char *err, size_t errlen);

/* The component that owns option name when method runs with the stages
 * chosen in o (NULL: the default stages): the context, the method, then
 * the stages in pipeline order; or NULL. */
const char *options_owner(const CliOptions *o, const char *method, const char *name);

typedef enum BackgroundKind {
    BACKGROUND_DEFAULT,     /* no -b: the library's default colour */
    BACKGROUND_COLOR,       /* a colour the library's option "color" takes */
    BACKGROUND_BLUR,        /* "blur" or "blur:STRENGTH" */
    BACKGROUND_TRANSPARENT, /* "transparent" */
    BACKGROUND_FILE,        /* anything else: a picture or a video */
} BackgroundKind;

/* What -b names, by its words alone (no file is looked at): NULL is the
 * default, "blur" and "blur:STRENGTH" the blur (*strength: the text after
 * the colon, unchecked, or NULL), "transparent", a colour the library
 * takes; anything else a file (a file called "blur" is "./blur"). */
BackgroundKind options_background_kind(const char *spec, const char **strength);

/* Writes the grouped --help text to f (a FILE *). */
void options_print_help(void *f, const char *program);

#endif
