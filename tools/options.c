/* Option table, parser and help of the backdrop CLI. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "options.h"

typedef enum OptionType {
    OPT_FLAG,   /* no argument; sets an int to 1 */
    OPT_INT,    /* integer in [min, max] */
    OPT_NUMBER, /* decimal number in [min, max] */
    OPT_STRING, /* any non-empty text */
    OPT_CHOICE, /* one of choices[], stored as its index */
} OptionType;

typedef struct OptionDef {
    const char *name;   /* long name, without "--" */
    char short_name;    /* 0 if none */
    OptionType type;
    size_t offset;      /* of the field in CliOptions */
    const char *arg;    /* argument name in --help */
    const char *help;
    const char *group;  /* heading in --help; options of a group are adjacent */
    int min, max;
    const char *const *choices; /* NULL-terminated, for OPT_CHOICE */
    size_t given_offset; /* field set to 1 when given, or 0 for none */
} OptionDef;

static const char *const fit_choices[] = { "stretch", "cover", "contain", NULL };
static const char *const on_error_choices[] = { "skip", "stop", NULL };
static const char *const framing_choices[] = { "stretch", "crop", "pad", "windows", NULL };
static const char *const engine_choices[] = { "xnnpack", "reference", NULL };

#define FIELD(f) offsetof(CliOptions, f)

static const OptionDef option_table[] = {
    { "output", 'o', OPT_STRING, FIELD(output), "FILE",
      "write here: video (.mp4 .mkv .webm .mov), image pattern (out_%06d.png), one image, or 'null'",
      "Input and output", 0, 0, NULL, 0 },
    { "matte", 0, OPT_STRING, FIELD(matte), "FILE",
      "also write the alpha matte (grey video, pattern or image)", "Input and output", 0, 0, NULL, 0 },
    { "codec", 0, OPT_STRING, FIELD(codec), "NAME",
      "video encoder (default: libx264, libvpx-vp9 for .webm)", "Input and output", 0, 0, NULL, 0 },
    { "crf", 0, OPT_INT, FIELD(crf), "N",
      "constant quality, lower is better (encoder default if absent)", "Input and output", 0, 63, NULL, 0 },
    { "on-error", 0, OPT_CHOICE, FIELD(on_error), "skip|stop",
      "undecodable input data: skip it and go on, or stop (default: skip)", "Input and output", 0, 0,
      on_error_choices, 0 },

    { "method", 'm', OPT_STRING, FIELD(method), "NAME",
      "segmentation method: selfie (neural, default) or framediff", "Segmentation", 0, 0, NULL, 0 },
    { "threshold", 0, OPT_NUMBER, FIELD(threshold), "X",
      "selfie: person probability where alpha is half, 0..1 (default: 0.5); framediff: grey difference "
      "above which a pixel is foreground, 0..255 (default: 3)", "Segmentation", 0, 255, NULL,
      FIELD(threshold_given) },
    { "softness", 0, OPT_NUMBER, FIELD(softness), "X",
      "selfie: probability range of the soft edge, 0 = hard cut (default: 0.2)", "Segmentation", 0, 1, NULL, 0 },
    { "model", 0, OPT_STRING, FIELD(model), "general|landscape|FILE",
      "selfie: the model (default: general; landscape is 4x faster on 16:9, less accurate)", "Segmentation", 0, 0,
      NULL, 0 },
    { "framing", 0, OPT_CHOICE, FIELD(framing), "windows|pad|stretch|crop",
      "selfie: how a frame of another aspect ratio meets the model: overlapping windows (default), "
      "pad, distort, or crop the centre", "Segmentation", 0, 0, framing_choices, 0 },
    { "engine", 0, OPT_CHOICE, FIELD(engine), "xnnpack|reference",
      "selfie: XNNPACK (default) or the slow plain-C reference executor", "Segmentation", 0, 0, engine_choices,
      0 },
    { "seed-compat", 0, OPT_FLAG, FIELD(seed_compat), NULL,
      "framediff: reproduce the original tutorial exactly (frame pairing, OpenCV grey, stretch)",
      "Segmentation", 0, 0, NULL, 0 },

    { "background", 'b', OPT_STRING, FIELD(background), "FILE|COLOR",
      "picture (jpg, png, webp, bmp, ...) or colour: #RRGGBB, black, white, green, blue, red, gray "
      "(default: black)", "Background", 0, 0, NULL, 0 },
    { "fit", 0, OPT_CHOICE, FIELD(fit), "stretch|cover|contain",
      "fit a picture of another aspect ratio: distort, crop, or add bars (default: cover)", "Background",
      0, 0, fit_choices, FIELD(fit_given) },

    { "threads", 0, OPT_INT, FIELD(threads), "N",
      "threads for decoding, processing and encoding; 0 = all usable CPUs (default: 0)", "Running", 0, 256,
      NULL, 0 },
    { "quiet", 'q', OPT_FLAG, FIELD(quiet), NULL, "no progress line, warnings only", "Running", 0, 0, NULL, 0 },
    { "verbose", 'v', OPT_FLAG, FIELD(verbose), NULL, "also show FFmpeg's own warnings and errors", "Running", 0, 0,
      NULL, 0 },
    { "stats", 0, OPT_STRING, FIELD(stats), "FILE.json",
      "write frame count, time, fps and per-stage milliseconds as JSON at the end", "Running", 0, 0, NULL, 0 },
    { "help", 'h', OPT_FLAG, FIELD(help), NULL, "show this help and exit", "Running", 0, 0, NULL, 0 },
    { "version", 'V', OPT_FLAG, FIELD(version), NULL, "show the version and exit", "Running", 0, 0, NULL, 0 },
};

#define OPTION_COUNT (sizeof(option_table) / sizeof(option_table[0]))

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static void set_defaults(CliOptions *o)
{
    memset(o, 0, sizeof(*o));
    o->method = NULL;
    o->fit = FIT_COVER;
    o->threshold = -1; /* per method, see threshold_given */
    o->softness = 0.2;
    o->framing = FRAMING_WINDOWS;
    o->crf = -1;
    o->threads = 0;
    o->on_error = ON_ERROR_SKIP;
}

static const OptionDef *find_long(const char *name, size_t len)
{
    for (size_t i = 0; i < OPTION_COUNT; i++)
        if (strlen(option_table[i].name) == len && !strncmp(option_table[i].name, name, len))
            return &option_table[i];
    return NULL;
}

static const OptionDef *find_short(char c)
{
    for (size_t i = 0; i < OPTION_COUNT; i++)
        if (option_table[i].short_name && option_table[i].short_name == c)
            return &option_table[i];
    return NULL;
}

/* Stores value (may be NULL for flags) into the field of def. */
static int apply(CliOptions *o, const OptionDef *def, const char *value, char *err, size_t errlen)
{
    char *base = (char *)o;
    if (def->given_offset)
        *(int *)(base + def->given_offset) = 1;
    switch (def->type) {
    case OPT_FLAG:
        *(int *)(base + def->offset) = 1;
        return 0;
    case OPT_STRING:
        if (!*value)
            return fail(err, errlen, "--%s: empty value", def->name);
        *(const char **)(base + def->offset) = value;
        return 0;
    case OPT_INT: {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (end == value || *end || errno)
            return fail(err, errlen, "--%s: '%s' is not a whole number", def->name, value);
        if (v < def->min || v > def->max)
            return fail(err, errlen, "--%s: %ld is out of range (%d..%d)", def->name, v, def->min, def->max);
        *(int *)(base + def->offset) = (int)v;
        return 0;
    }
    case OPT_NUMBER: {
        char *end;
        errno = 0;
        double v = strtod(value, &end);
        if (end == value || *end || errno || v != v)
            return fail(err, errlen, "--%s: '%s' is not a number", def->name, value);
        if (v < def->min || v > def->max)
            return fail(err, errlen, "--%s: %s is out of range (%d..%d)", def->name, value, def->min, def->max);
        *(double *)(base + def->offset) = v;
        return 0;
    }
    case OPT_CHOICE:
        for (int i = 0; def->choices[i]; i++) {
            if (!strcmp(def->choices[i], value)) {
                *(int *)(base + def->offset) = i;
                return 0;
            }
        }
        return fail(err, errlen, "--%s: '%s' is not one of %s", def->name, value, def->arg);
    }
    return fail(err, errlen, "--%s: internal error", def->name);
}

int options_parse(CliOptions *o, int argc, char **argv, char *err, size_t errlen)
{
    set_defaults(o);
    int only_positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (only_positional || arg[0] != '-' || !strcmp(arg, "-")) {
            if (o->input)
                return fail(err, errlen, "more than one input ('%s' and '%s'); give one input", o->input, arg);
            o->input = arg;
            continue;
        }
        if (!strcmp(arg, "--")) {
            only_positional = 1;
            continue;
        }
        const OptionDef *def;
        const char *value = NULL;
        if (arg[1] == '-') {
            const char *name = arg + 2, *eq = strchr(name, '=');
            def = find_long(name, eq ? (size_t)(eq - name) : strlen(name));
            if (!def)
                return fail(err, errlen, "unknown option '%s' (see --help)", arg);
            if (eq) {
                if (def->type == OPT_FLAG)
                    return fail(err, errlen, "--%s takes no value", def->name);
                value = eq + 1;
            }
        } else {
            def = find_short(arg[1]);
            if (!def || arg[2])
                return fail(err, errlen, "unknown option '%s' (see --help)", arg);
        }
        if (def->type != OPT_FLAG && !value) {
            if (i + 1 >= argc)
                return fail(err, errlen, "--%s needs a value (%s)", def->name, def->arg);
            value = argv[++i];
        }
        if (apply(o, def, value, err, errlen) < 0)
            return -1;
    }
    if (o->help || o->version)
        return 0;
    if (!o->input)
        return fail(err, errlen, "no input given (see --help)");
    if (!o->output)
        return fail(err, errlen, "no output given: use -o FILE (or -o null)");
    if (o->matte && !strcmp(o->matte, o->output) && strcmp(o->output, "null"))
        return fail(err, errlen, "--matte and -o name the same file '%s'", o->output);
    return 0;
}

/* One option of --help: the left column padded to HELP_COLUMN (the help
 * starts on the next line when it is longer), the help word-wrapped to
 * HELP_WIDTH with continuation lines indented to the column. */
#define HELP_COLUMN 34
#define HELP_WIDTH 100

static void print_wrapped(FILE *f, const char *left, const char *help)
{
    int col = fprintf(f, "  %s", left);
    if (col > HELP_COLUMN - 1) {
        fputc('\n', f);
        col = 0;
    }
    fprintf(f, "%*s", HELP_COLUMN - col, "");
    col = HELP_COLUMN;
    for (const char *word = help; *word;) {
        size_t len = strcspn(word, " ");
        if (col > HELP_COLUMN && col + 1 + (int)len > HELP_WIDTH) {
            fprintf(f, "\n%*s", HELP_COLUMN, "");
            col = HELP_COLUMN;
        } else if (col > HELP_COLUMN) {
            fputc(' ', f);
            col++;
        }
        fwrite(word, 1, len, f);
        col += (int)len;
        word += len;
        while (*word == ' ')
            word++;
    }
    fputc('\n', f);
}

void options_print_help(void *stream, const char *program)
{
    FILE *f = stream;
    fprintf(f, "Usage: %s [options] INPUT -o OUTPUT\n"
               "Replace the background of a video, an image sequence or a picture.\n"
               "INPUT is a file, a URL, a pattern such as frames/%%06d.png, or - for stdin.\n",
            program);
    const char *group = NULL;
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const OptionDef *d = &option_table[i];
        if (!group || strcmp(group, d->group)) {
            group = d->group;
            fprintf(f, "\n%s:\n", group);
        }
        char left[64];
        snprintf(left, sizeof(left), "%c%c%s--%s%s%s", d->short_name ? '-' : ' ',
                 d->short_name ? d->short_name : ' ', d->short_name ? ", " : "  ", d->name,
                 d->arg ? " " : "", d->arg ? d->arg : "");
        print_wrapped(f, left, d->help);
    }
    fprintf(f, "\nExamples:\n"
               "  %s -b beach.jpg talk.mp4 -o out.mp4\n"
               "  %s -m framediff --threshold 3 -b '#00b140' clip.mkv -o frames/%%06d.png\n"
               "  %s -b beach.jpg --matte matte.mkv talk.mp4 -o out.mp4\n"
               "  cat talk.mp4 | %s -b beach.jpg - -o out.mkv\n",
            program, program, program, program);
}

typedef struct NamedColor {
    const char *name;
    uint8_t rgb[3];
} NamedColor;

/* green and blue are the usual chroma-key screen colours. */
static const NamedColor named_colors[] = {
    { "black", { 0, 0, 0 } },      { "white", { 255, 255, 255 } }, { "green", { 0x00, 0xb1, 0x40 } },
    { "blue", { 0x00, 0x47, 0xbb } }, { "red", { 255, 0, 0 } },   { "gray", { 128, 128, 128 } },
    { "grey", { 128, 128, 128 } },
};

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int options_parse_color(const char *text, uint8_t rgb[3])
{
    if (!text)
        return 0;
    if (text[0] == '#') {
        if (strlen(text) != 7)
            return 0;
        for (int i = 0; i < 3; i++) {
            int hi = hex_digit(text[1 + 2 * i]), lo = hex_digit(text[2 + 2 * i]);
            if (hi < 0 || lo < 0)
                return 0;
            rgb[i] = (uint8_t)(hi * 16 + lo);
        }
        return 1;
    }
    for (size_t i = 0; i < sizeof(named_colors) / sizeof(named_colors[0]); i++) {
        if (!strcasecmp(text, named_colors[i].name)) {
            memcpy(rgb, named_colors[i].rgb, 3);
            return 1;
        }
    }
    return 0;
}
