/*
 * The CLI's options: one table (name, argument, help, default, range) drives
 * parsing, --help and validation, in the manner of libavfilter's AVOption
 * tables. Parsing never prints or exits, so that a fuzz target can drive it.
 */
#ifndef BACKDROP_TOOLS_OPTIONS_H
#define BACKDROP_TOOLS_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

typedef enum FitChoice { FIT_STRETCH = 0, FIT_COVER, FIT_CONTAIN } FitChoice;
typedef enum OnErrorChoice { ON_ERROR_SKIP = 0, ON_ERROR_STOP } OnErrorChoice;
typedef enum FramingChoice { FRAMING_STRETCH = 0, FRAMING_CROP, FRAMING_PAD, FRAMING_WINDOWS } FramingChoice;
typedef enum EngineChoice { ENGINE_XNNPACK = 0, ENGINE_REFERENCE } EngineChoice;

typedef struct CliOptions {
    const char *input;       /* positional: file, URL, pattern or "-" */
    const char *output;      /* -o */
    const char *matte;       /* --matte, NULL if absent */
    const char *method;      /* -m */
    const char *background;  /* -b: picture path or colour; NULL = colour default */
    int fit;                 /* FitChoice */
    double threshold;        /* framediff: grey level 0..255; selfie: probability 0..1 */
    int threshold_given;
    double softness;         /* selfie */
    const char *model;       /* selfie: "general", "landscape", a file, or NULL = by aspect */
    int framing;             /* FramingChoice */
    int engine;              /* EngineChoice */
    int seed_compat;
    const char *codec;
    int crf;                 /* -1 = encoder default */
    int threads;             /* 0 = all cores */
    int on_error;            /* OnErrorChoice */
    int quiet;
    int verbose;
    const char *stats;       /* --stats FILE.json */
    int help, version;
    /* Set when the user gave the option explicitly. */
    int fit_given;
    unsigned long long given; /* bit i: the option table's entry i was given */
} CliOptions;

/* Fills defaults, parses argv[1..argc-1]. Returns 0 or -1 with a one-line
 * message in err. Pointers in the result point into argv. */
int options_parse(CliOptions *o, int argc, char **argv, char *err, size_t errlen);

/* -1 with a message when an option of another method than method was
 * given (--model with framediff), else 0. */
int options_check_method(const CliOptions *o, const char *method, char *err, size_t errlen);

/* Writes the grouped --help text to f (a FILE *). */
void options_print_help(void *f, const char *program);

/* Parses "#RRGGBB", "RRGGBB" with '#', or a colour name (black, white,
 * green, blue, red, gray/grey). Returns 1 and fills rgb on success, 0 if
 * the text is not a colour. */
int options_parse_color(const char *text, uint8_t rgb[3]);

#endif
