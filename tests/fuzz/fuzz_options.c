/*
 * Fuzz target for the CLI's option parser, the library's option parser
 * (every option of every component) and the image-pattern
 * matcher: the input bytes are split at NUL bytes into an argv.
 * options_parse() must return 0 or -1 with a message, never crash, read out
 * of bounds or leave err unterminated; the pattern functions must agree with
 * each other (a number found by the overlap search names a file the other
 * pattern matches), and an over-long message must still fit its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backdrop/backdrop.h"
#include "message.h"
#include "options.h"
#include "paths.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* One private, NUL-terminated copy, so the last argument ends too. */
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    enum { MAX_ARGS = 64 };
    char *argv[MAX_ARGS + 1];
    int argc = 0;
    argv[argc++] = (char *)"backdrop";
    for (size_t start = 0; start <= size && argc < MAX_ARGS; ) {
        argv[argc++] = text + start;
        start += strlen(text + start) + 1;
    }
    argv[argc] = NULL;

    CliOptions opt;
    char err[256];
    err[sizeof(err) - 1] = 'x';
    if (options_parse(&opt, argc, argv, err, sizeof(err)) < 0) {
        if (!memchr(err, '\0', sizeof(err)))
            abort();
    } else if (!opt.help && !opt.version && (!opt.input || !opt.output)) {
        abort(); /* a successful parse always has an input and an output */
    }
    for (int i = 1; i < argc; i++) {
        /* What -b names: a strength only for the blur, and inside the text. */
        const char *strength;
        BackgroundKind kind = options_background_kind(argv[i], &strength);
        if (strength && (kind != BACKGROUND_BLUR || strength < argv[i] || strength > argv[i] + strlen(argv[i])))
            abort();
        /* The library's option parser: every option of every component. */
        const BackdropComponent *c;
        for (int k = 0; (c = backdrop_component(k)); k++) {
            const BackdropOption *o;
            for (int j = 0; (o = backdrop_option(c->name, j)); j++) {
                char why[64];
                why[sizeof(why) - 1] = 'x';
                if (backdrop_option_validate(c->name, o->name, argv[i], why, sizeof(why)) < 0 &&
                    !memchr(why, '\0', sizeof(why)))
                    abort();
            }
        }
        path_has_pattern(argv[i]);
        for (int j = 1; j < argc && j <= 8; j++) {
            int64_t n;
            path_pattern_matches(argv[i], argv[j], 0);
            if (path_patterns_overlap(argv[i], argv[j], 1000, &n)) {
                char name[8192];
                if (path_pattern_name(name, sizeof(name), argv[i], n) < 0 ||
                    !path_pattern_matches(argv[j], name, 1))
                    abort();
            }
        }
        char small[64];
        small[sizeof(small) - 1] = 'x';
        message_set(small, sizeof(small), "%s: %s: %s", argv[i], argv[i], "the reason");
        if (strlen(small) >= sizeof(small))
            abort();
    }
    free(text);
    return 0;
}
