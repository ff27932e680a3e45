/* Options of the backdrop CLI: its own table plus the library's; see
 * options.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backdrop/backdrop.h"
#include "message.h"
#include "options.h"

typedef enum OptionType {
    OPT_FLAG,   /* no argument; sets an int to 1 */
    OPT_INT,    /* integer in [min, max] */
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
    const char *method; /* the only method it applies to, or NULL for all */
} OptionDef;

static const char *const on_error_choices[] = { "skip", "stop", NULL };
static const char *const v4l2_format_choices[] = { "yuyv", "i420", NULL }; /* V4l2OutFormat order */
static const char *const view_choices[] = { "output", "side-by-side", NULL }; /* ViewMode order */

#define FIELD(f) offsetof(CliOptions, f)

static const OptionDef option_table[] = {
    { "output", 'o', OPT_STRING, FIELD(output), "FILE",
      "write here: video (.mp4 .mkv .webm .mov), image pattern (out_%06d.png), one image, or 'null'",
      "Input and output", 0, 0, NULL, NULL },
    { "matte", 0, OPT_STRING, FIELD(matte), "FILE",
      "also write the alpha matte (grey video, pattern or image)", "Input and output", 0, 0, NULL, NULL },
    { "codec", 0, OPT_STRING, FIELD(codec), "NAME",
      "video encoder (default: libx264, libvpx-vp9 for .webm)", "Input and output", 0, 0, NULL, NULL },
    { "crf", 0, OPT_INT, FIELD(crf), "N",
      "constant quality, lower is better (encoder default if absent)", "Input and output", 0, 63, NULL, NULL },
    { "on-error", 0, OPT_CHOICE, FIELD(on_error), "skip|stop",
      "undecodable input data: skip it and go on, or stop (default: skip)", "Input and output", 0, 0,
      on_error_choices, NULL },
    { "view", 0, OPT_CHOICE, FIELD(view), "output|side-by-side",
      "what each frame of -o shows: the result (default), or input | matte | result side by side, three "
      "times as wide (for tuning and bug reports)", "Input and output", 0, 0, view_choices, NULL },

    { "size", 0, OPT_STRING, FIELD(size), "WxH",
      "camera: capture size, such as 1280x720 (default: the camera's current one; refused if it has no such size)",
      "Camera and virtual camera", 0, 0, NULL, NULL },
    { "fps", 0, OPT_STRING, FIELD(fps), "N",
      "camera: frames per second, such as 30 or 30000/1001 (default: the camera's current rate)",
      "Camera and virtual camera", 0, 0, NULL, NULL },
    { "input-format", 0, OPT_STRING, FIELD(input_format), "mjpeg|yuyv422|...",
      "camera: what it sends (mjpeg is needed for 720p30 on most USB cameras; --list-devices shows them)",
      "Camera and virtual camera", 0, 0, NULL, NULL },
    { "v4l2-format", 0, OPT_CHOICE, FIELD(v4l2_format), "yuyv|i420",
      "virtual camera (-o /dev/videoN, v4l2loopback): the pixel format written (default: yuyv)",
      "Camera and virtual camera", 0, 0, v4l2_format_choices, NULL },
    { "on-demand", 0, OPT_FLAG, FIELD(on_demand), NULL,
      "live, to a virtual camera: work only while an application has it open; meanwhile the camera is closed, "
      "nothing is processed and a black frame is sent once a second", "Camera and virtual camera", 0, 0, NULL,
      NULL },
    { "list-devices", 0, OPT_FLAG, FIELD(list_devices), NULL,
      "list the V4L2 devices (cameras with their formats, sizes, rates; virtual cameras) and exit; "
      "exit status 1 when there are none", "Camera and virtual camera", 0, 0, NULL, NULL },

    { "method", 'm', OPT_STRING, FIELD(method), "NAME",
      "segmentation method: rvm (video matting, the default for files), selfie (neural segmentation, "
      "lighter: the default live, for a camera or --realtime), framediff, or external (a matte you have, "
      "--matte-in); their options are below",
      "Segmentation", 0, 0, NULL, NULL },
    { "matte-in", 0, OPT_STRING, FIELD(matte_in), "FILE",
      "external: the matte to use, frame for frame (grey video, pattern such as alpha/%06d.png, or one picture "
      "for every frame; 255 = foreground)", "Segmentation", 0, 0, NULL, "external" },
    { "model", 0, OPT_STRING, FIELD(model), "general|landscape|FILE",
      "selfie: the model (default: general; landscape is 4x faster on 16:9, less accurate); rvm: a model.json "
      "with its rvm.bin beside it (default: the fetched one)", "Segmentation", 0, 0, NULL, "selfie,rvm" },

    { "background", 'b', OPT_STRING, FIELD(background), "FILE|COLOR|blur[:N]|transparent",
      "colour: #RRGGBB, black, white, green, blue, red, gray (default: black); blur: the frame blurred, "
      "blur:N with radius N pixels (0..1000, 0 = automatic); transparent: the matte as the output's alpha; "
      "else a picture (jpg, png, webp, ...) or a video (looped, frame at the input's time modulo its "
      "length); ./blur names a file called blur; --fit says how a picture or video is fitted",
      "Background", 0, 0, NULL, NULL },

    { "threads", 0, OPT_INT, FIELD(threads), "N",
      "threads for decoding, processing and encoding; 0 = all usable CPUs (default: 0)", "Running", 0, 256,
      NULL, NULL },
    { "realtime", 0, OPT_FLAG, FIELD(realtime), NULL,
      "run live on a file: frames arrive at their timestamps as from a camera, the newest is processed, those "
      "it could not take are dropped (counted in --stats, with latency and CPU); no audio", "Running", 0, 0,
      NULL, NULL },
    { "control", 0, OPT_STRING, FIELD(control), "PATH",
      "live (--realtime): take commands on this UNIX socket while running (set background, set blur, pause, "
      "resume, stats, quit; see backdrop ctl)", "Running", 0, 0, NULL, NULL },
    { "preview", 0, OPT_FLAG, FIELD(preview), NULL,
      "live (--realtime): show the frames written to -o in a window (SDL2), the side-by-side view with --view "
      "side-by-side; keys: space or p pause/resume (frames pass through), n or Right / N or Left the next / "
      "previous picture in the background picture's folder (or --backgrounds), b blur, + / - blur strength, "
      "c next colour (green, blue, black, white, gray), m next method, q or Esc quit; the title shows the "
      "method, fps and latency", "Running", 0, 0, NULL, NULL },
    { "backgrounds", 0, OPT_STRING, FIELD(backgrounds), "DIR",
      "--preview: the folder of pictures that n and N step through while the background is not a picture",
      "Running", 0, 0, NULL, NULL },
    { "quiet", 'q', OPT_FLAG, FIELD(quiet), NULL, "no progress line, warnings only", "Running", 0, 0, NULL, NULL },
    { "verbose", 'v', OPT_FLAG, FIELD(verbose), NULL, "also show FFmpeg's own warnings and errors", "Running", 0, 0,
      NULL, NULL },
    { "stats", 0, OPT_STRING, FIELD(stats), "FILE.json",
      "write frame count, time, fps and per-stage milliseconds as JSON at the end", "Running", 0, 0, NULL, NULL },
    { "help", 'h', OPT_FLAG, FIELD(help), NULL, "show this help and exit", "Running", 0, 0, NULL, NULL },
    { "version", 'V', OPT_FLAG, FIELD(version), NULL, "show the version and exit", "Running", 0, 0, NULL, NULL },
};

#define OPTION_COUNT (sizeof(option_table) / sizeof(option_table[0]))

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    message_vset(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static void set_defaults(CliOptions *o)
{
    memset(o, 0, sizeof(*o));
    o->crf = -1;
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

/* The first library option called name[0..len) of any component (they
 * agree on whether it takes a value: a BOOL is a flag everywhere). */
static const BackdropOption *find_library(const char *name, size_t len)
{
    const BackdropComponent *c;
    for (int i = 0; (c = backdrop_component(i)); i++) {
        const BackdropOption *opt;
        for (int j = 0; (opt = backdrop_option(c->name, j)); j++)
            if (strlen(opt->name) == len && !strncmp(opt->name, name, len))
                return opt;
    }
    return NULL;
}

/* Stores value (may be NULL for flags) into the field of def. */
static int apply(CliOptions *o, const OptionDef *def, const char *value, char *err, size_t errlen)
{
    char *base = (char *)o;
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

static int add_library(CliOptions *o, const BackdropOption *opt, const char *value, char *err, size_t errlen)
{
    for (int i = 0; i < o->lib_count; i++)
        if (!strcmp(o->lib[i].name, opt->name))
            return fail(err, errlen, "--%s given twice ('%s' and '%s'); give it once", opt->name, o->lib[i].value,
                        value);
    if (o->lib_count == MAX_LIBRARY_OPTIONS)
        return fail(err, errlen, "--%s: too many options", opt->name);
    if (!*value)
        return fail(err, errlen, "--%s: empty value", opt->name);
    o->lib[o->lib_count++] = (LibraryOption){ opt->name, value };
    return 0;
}

BackgroundKind options_background_kind(const char *spec, const char **strength)
{
    if (strength)
        *strength = NULL;
    if (!spec)
        return BACKGROUND_DEFAULT;
    if (!strcmp(spec, "blur") || !strncmp(spec, "blur:", 5)) {
        if (strength && spec[4] == ':')
            *strength = spec + 5;
        return BACKGROUND_BLUR;
    }
    if (!strcmp(spec, "transparent"))
        return BACKGROUND_TRANSPARENT;
    /* A colour is whatever the library's background takes as one. */
    if (backdrop_option_validate("picture", "color", spec, NULL, 0) == 0)
        return BACKGROUND_COLOR;
    return BACKGROUND_FILE;
}

/* "WxH", each a whole number 1..16384. */
static int valid_size(const char *s)
{
    char *end;
    errno = 0;
    long w = strtol(s, &end, 10);
    if (end == s || *end != 'x' || errno || w < 1 || w > 16384 || s[0] < '0' || s[0] > '9')
        return 0;
    const char *h_start = end + 1;
    long h = strtol(h_start, &end, 10);
    return end != h_start && !*end && !errno && h >= 1 && h <= 16384 && *h_start >= '0' && *h_start <= '9';
}

/* A rate: "N", "N.M" or "N/M", above 0 and at most 1000. */
static int valid_rate(const char *s)
{
    char *end;
    if (*s < '0' || *s > '9')
        return 0;
    errno = 0;
    double v = strtod(s, &end);
    if (*end == '/') {
        const char *d = end + 1;
        if (*d < '0' || *d > '9' || strchr(s, '.'))
            return 0;
        double den = strtod(d, &end);
        v = den > 0 ? v / den : 0;
    }
    return end != s && !*end && !errno && v > 0 && v <= 1000;
}

int options_parse(CliOptions *o, int argc, char **argv, char *err, size_t errlen)
{
    set_defaults(o);
    int only_positional = 0;
    /* Where each CLI option with a value was given: a second one is refused
     * rather than silently winning (flags may repeat; they mean the same). */
    const char *given[OPTION_COUNT] = { 0 };
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
        const OptionDef *def = NULL;
        const BackdropOption *lib = NULL;
        const char *value = NULL;
        if (arg[1] == '-') {
            const char *name = arg + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            def = find_long(name, len);
            if (!def)
                lib = find_library(name, len);
            if (!def && !lib)
                return fail(err, errlen, "unknown option '%s' (see --help)", arg);
            int flag = def ? def->type == OPT_FLAG : lib->type == BACKDROP_OPTION_BOOL;
            if (eq) {
                if (flag)
                    return fail(err, errlen, "--%s takes no value", def ? def->name : lib->name);
                value = eq + 1;
            }
        } else {
            def = find_short(arg[1]);
            if (!def || arg[2])
                return fail(err, errlen, "unknown option '%s' (see --help)", arg);
        }
        if (lib) {
            if (lib->type == BACKDROP_OPTION_BOOL)
                value = "1";
            else if (!value) {
                if (i + 1 >= argc)
                    return fail(err, errlen, "--%s needs a value", lib->name);
                value = argv[++i];
            }
            if (add_library(o, lib, value, err, errlen) < 0)
                return -1;
            continue;
        }
        if (def->type != OPT_FLAG && !value) {
            if (i + 1 >= argc)
                return fail(err, errlen, "--%s needs a value (%s)", def->name, def->arg);
            value = argv[++i];
        }
        size_t index = (size_t)(def - option_table);
        o->given |= 1ull << index;
        if (def->type != OPT_FLAG) {
            if (given[index])
                return fail(err, errlen, "--%s given twice ('%s' and '%s'); give it once", def->name,
                            given[index], value);
            given[index] = value;
        }
        if (apply(o, def, value, err, errlen) < 0)
            return -1;
    }
    if (o->size && !valid_size(o->size))
        return fail(err, errlen, "--size: '%s' is not WIDTHxHEIGHT (such as 1280x720; each 1..16384)", o->size);
    if (o->fps && !valid_rate(o->fps))
        return fail(err, errlen, "--fps: '%s' is not a frame rate (a number above 0 and up to 1000, such as 30 "
                    "or 30000/1001)", o->fps);
    if (o->help || o->version || o->list_devices)
        return 0;
    if (!o->input)
        return fail(err, errlen, "no input given (see --help)");
    if (!o->output)
        return fail(err, errlen, "no output given: use -o FILE (or -o null)");
    return 0;
}

const char *options_library_value(const CliOptions *o, const char *name)
{
    for (int i = 0; i < o->lib_count; i++)
        if (!strcmp(o->lib[i].name, name))
            return o->lib[i].value;
    return NULL;
}

static int has_option(const char *component, const char *name)
{
    const BackdropOption *opt;
    for (int j = 0; (opt = backdrop_option(component, j)); j++)
        if (!strcmp(opt->name, name))
            return 1;
    return 0;
}

/* The component of method, or NULL. */
static const BackdropComponent *method_component(const char *method)
{
    const BackdropComponent *c;
    for (int i = 0; (c = backdrop_component(i)); i++)
        if (c->kind == BACKDROP_COMPONENT_METHOD && !strcmp(c->name, method))
            return c;
    return NULL;
}

/* The component of kind that runs: for a kind chosen by a context option
 * (refine, stabilise, cleanup: the option named by 'selector'), the value
 * given or that option's default; otherwise the first of the kind. NULL
 * for "none". */
static const char *stage_in_use(const CliOptions *o, BackdropComponentKind kind, const char *selector)
{
    /* The library's "background" is chosen by the CLI's own -b: blur[:S]
     * and transparent name its stages, anything else is a picture or a
     * colour. */
    if (selector && !strcmp(selector, "background")) {
        switch (options_background_kind(o ? o->background : NULL, NULL)) {
        case BACKGROUND_BLUR: return "blur";
        case BACKGROUND_TRANSPARENT: return "transparent";
        default: return "picture";
        }
    }
    if (selector) {
        const char *name = o ? options_library_value(o, selector) : NULL;
        const BackdropOption *opt;
        for (int j = 0; !name && (opt = backdrop_option("context", j)); j++)
            if (!strcmp(opt->name, selector))
                name = opt->default_value;
        return name && strcmp(name, "none") ? name : NULL;
    }
    const BackdropComponent *c;
    for (int i = 0; (c = backdrop_component(i)); i++)
        if (c->kind == kind)
            return c->name;
    return NULL;
}

const char *options_owner(const CliOptions *o, const char *method, const char *name)
{
    const BackdropComponent *m = method_component(method);
    if (has_option("context", name))
        return "context";
    if (m && has_option(m->name, name))
        return m->name;
    /* The stages in use. Refine, stabilise and the soft-map part of cleanup
     * only matter to a method with a soft map; cleanup's expansion works on
     * any alpha, so its options are taken from every method. */
    static const struct {
        BackdropComponentKind kind;
        const char *selector;
        int soft_map_only;
    } stages[] = {
        { BACKDROP_COMPONENT_STABILISE, "stabilise", 1 },
        { BACKDROP_COMPONENT_CLEANUP, "cleanup", 0 },
        { BACKDROP_COMPONENT_REFINE, "refine", 1 },
        { BACKDROP_COMPONENT_BACKGROUND, "background", 0 },
        { BACKDROP_COMPONENT_COMPOSITE, NULL, 0 },
    };
    for (size_t k = 0; k < sizeof(stages) / sizeof(stages[0]); k++) {
        if (stages[k].soft_map_only && !(m && (m->flags & BACKDROP_COMPONENT_SOFT_MAP)))
            continue;
        const char *stage = stage_in_use(o, stages[k].kind, stages[k].selector);
        if (stage && has_option(stage, name))
            return stage;
    }
    return NULL;
}

/* "selfie", "framediff and selfie": the methods for which option name
 * means something, for a message. */
static void methods_having(const CliOptions *o, const char *name, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    const BackdropComponent *c;
    for (int i = 0; (c = backdrop_component(i)); i++) {
        if (c->kind != BACKDROP_COMPONENT_METHOD || !options_owner(o, c->name, name))
            continue;
        len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s", len ? ", " : "", c->name);
        if (len >= size)
            break;
    }
}

/* The context option that selects stages of kind ("refine", ...), or NULL. */
static const char *selector_of(BackdropComponentKind kind)
{
    switch (kind) {
    case BACKDROP_COMPONENT_REFINE: return "refine";
    case BACKDROP_COMPONENT_STABILISE: return "stabilise";
    case BACKDROP_COMPONENT_CLEANUP: return "cleanup";
    case BACKDROP_COMPONENT_BACKGROUND: return "background";
    default: return NULL;
    }
}

/* The first stage chosen by a context option that has option name, and
 * that some method of this build can use (refine and stabilise work on a
 * soft map, which only some methods hand on). */
static const BackdropComponent *selectable_stage_having(const char *name)
{
    int soft_map = 0;
    const BackdropComponent *c;
    for (int i = 0; (c = backdrop_component(i)); i++)
        soft_map |= c->kind == BACKDROP_COMPONENT_METHOD && (c->flags & BACKDROP_COMPONENT_SOFT_MAP);
    for (int i = 0; (c = backdrop_component(i)); i++)
        if (selector_of(c->kind) && has_option(c->name, name) &&
            (soft_map || c->kind == BACKDROP_COMPONENT_CLEANUP))
            return c;
    return NULL;
}

/* method is one of the comma-separated list. */
static int listed(const char *list, const char *method)
{
    size_t n = strlen(method);
    for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (!strncmp(p, method, n) && (p[n] == ',' || p[n] == '\0'))
            return 1;
    return 0;
}

int options_check_method(const CliOptions *o, const char *method, char *err, size_t errlen)
{
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const OptionDef *d = &option_table[i];
        if ((o->given >> i & 1) && d->method && !listed(d->method, method)) {
            char methods[64];
            snprintf(methods, sizeof(methods), "%s", d->method);
            char *comma = strchr(methods, ',');
            if (comma) /* "selfie,rvm" -> "selfie or -m rvm" is too long; say it plainly */
                *comma = '/';
            return fail(err, errlen, "--%s: only for -m %s (the method is %s)", d->name, methods, method);
        }
    }
    for (int i = 0; i < o->lib_count; i++) {
        const char *owner = options_owner(o, method, o->lib[i].name);
        if (!owner) {
            char methods[128];
            methods_having(o, o->lib[i].name, methods, sizeof(methods));
            const BackdropComponent *stage = selectable_stage_having(o->lib[i].name);
            if (!methods[0] && stage && stage->kind == BACKDROP_COMPONENT_BACKGROUND)
                return fail(err, errlen, "--%s: an option of the %s background, which is not in use (add -b %s)",
                            o->lib[i].name, stage->name, stage->name);
            if (!methods[0] && stage)
                return fail(err, errlen, "--%s: an option of %s stage %s, which is not in use (add --%s %s)",
                            o->lib[i].name, selector_of(stage->kind), stage->name, selector_of(stage->kind),
                            stage->name);
            if (!methods[0])
                return fail(err, errlen, "--%s: no method of this build takes it (the method is %s)",
                            o->lib[i].name, method);
            return fail(err, errlen, "--%s: only for -m %s (the method is %s)", o->lib[i].name, methods, method);
        }
        char why[256];
        if (backdrop_option_validate(owner, o->lib[i].name, o->lib[i].value, why, sizeof(why)) < 0) {
            /* why starts with the option's name; say it the CLI's way. */
            const char *reason = why;
            size_t n = strlen(o->lib[i].name);
            if (!strncmp(reason, o->lib[i].name, n) && reason[n] == ':')
                reason += n + 2;
            return fail(err, errlen, "--%s: %s for -m %s", o->lib[i].name, reason, method);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* --help */

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

/* The argument of a library option in --help: its choices or its type. */
static void library_arg(const BackdropOption *opt, char *buf, size_t size)
{
    size_t len = 0;
    switch (opt->type) {
    case BACKDROP_OPTION_INT: snprintf(buf, size, "N"); break;
    case BACKDROP_OPTION_FLOAT: snprintf(buf, size, "X"); break;
    case BACKDROP_OPTION_COLOR: snprintf(buf, size, "COLOR"); break;
    case BACKDROP_OPTION_BOOL: buf[0] = '\0'; break;
    case BACKDROP_OPTION_CHOICE:
        buf[0] = '\0';
        for (int i = 0; opt->choices[i] && len < size; i++)
            len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? "|" : "", opt->choices[i]);
        break;
    }
}

static const char *kind_word(BackdropComponentKind kind)
{
    switch (kind) {
    case BACKDROP_COMPONENT_METHOD: return "Method";
    case BACKDROP_COMPONENT_REFINE: return "Refine stage";
    case BACKDROP_COMPONENT_STABILISE: return "Stabilise stage";
    case BACKDROP_COMPONENT_BACKGROUND: return "Background stage";
    case BACKDROP_COMPONENT_COMPOSITE: return "Composite stage";
    case BACKDROP_COMPONENT_CLEANUP: return "Cleanup stage";
    default: return "Every run,";
    }
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
    /* The library's components, each with its options (from its tables). */
    const BackdropComponent *c;
    for (int i = 0; (c = backdrop_component(i)); i++) {
        if (!backdrop_option(c->name, 0))
            continue;
        fprintf(f, "\n%s %s (%s):\n", kind_word(c->kind), c->name, c->help);
        const BackdropOption *opt;
        for (int j = 0; (opt = backdrop_option(c->name, j)); j++) {
            /* The context's "background" is the CLI's own -b (blur[:S],
             * transparent, a picture or a colour). */
            if (find_long(opt->name, strlen(opt->name)))
                continue;
            char arg[96], left[160], help[512];
            library_arg(opt, arg, sizeof(arg));
            snprintf(left, sizeof(left), "    --%s%s%s", opt->name, arg[0] ? " " : "", arg);
            if (opt->type == BACKDROP_OPTION_INT || opt->type == BACKDROP_OPTION_FLOAT)
                snprintf(help, sizeof(help), "%s, %g..%g (default: %s)", opt->help, opt->min, opt->max,
                         opt->default_value);
            else if (opt->type == BACKDROP_OPTION_BOOL)
                snprintf(help, sizeof(help), "%s", opt->help);
            else
                snprintf(help, sizeof(help), "%s (default: %s)", opt->help, opt->default_value);
            print_wrapped(f, left, help);
        }
    }
    fprintf(f, "\nExamples:\n"
               "  %s -b beach.jpg talk.mp4 -o out.mp4\n"
               "  %s -m framediff --threshold 3 -b '#00b140' clip.mkv -o frames/%%06d.png\n"
               "  %s -b beach.jpg --matte matte.mkv talk.mp4 -o out.mp4\n"
               "  %s -b blur:30 talk.mp4 -o out.mp4\n"
               "  %s -b transparent talk.mp4 -o cut.mov\n"
               "  cat talk.mp4 | %s -b beach.jpg - -o out.mkv\n",
            program, program, program, program, program, program);
}
