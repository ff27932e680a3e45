/* The option engine; see option.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "option.h"

/* Colour names: the usual chroma-key screen colours among them. */
static const struct {
    const char *name;
    uint8_t rgb[3];
} named_colors[] = {
    { "black", { 0, 0, 0 } },         { "white", { 255, 255, 255 } }, { "green", { 0x00, 0xb1, 0x40 } },
    { "blue", { 0x00, 0x47, 0xbb } }, { "red", { 255, 0, 0 } },       { "gray", { 128, 128, 128 } },
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

int bd_parse_color(const char *text, uint8_t rgb[3])
{
    if (!text)
        return 0;
    if (text[0] == '#') {
        if (strlen(text) != 7)
            return 0;
        uint8_t v[3];
        for (int i = 0; i < 3; i++) {
            int hi = hex_digit(text[1 + 2 * i]), lo = hex_digit(text[2 + 2 * i]);
            if (hi < 0 || lo < 0)
                return 0;
            v[i] = (uint8_t)(hi * 16 + lo);
        }
        memcpy(rgb, v, 3);
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

static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = { "1", "true", "yes", "on" };
    static const char *const no[] = { "0", "false", "no", "off" };
    for (int i = 0; i < 4; i++) {
        if (!strcasecmp(v, yes[i]))
            return *out = 1, 1;
        if (!strcasecmp(v, no[i]))
            return *out = 0, 1;
    }
    return 0;
}

/* "a|b|c" into buf, for messages. */
static void list_choices(const char *const *choices, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; choices[i] && len + 1 < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? "|" : "", choices[i]);
}

/* Writes the parsed value of text into *field (typed by opt). */
static int parse_value(const BdOption *opt, const char *text, void *field, char *why, size_t why_len)
{
    const BackdropOption *o = &opt->pub;
    char *end;
    switch (o->type) {
    case BACKDROP_OPTION_INT: {
        /* "3" and "3.0" are the same whole number; "3.5" is none. */
        errno = 0;
        double v = strtod(text, &end);
        if (end == text || *end || errno || !isfinite(v) || v != floor(v)) {
            snprintf(why, why_len, "%s: '%s' is not a whole number", o->name, text);
            return BACKDROP_EINVAL;
        }
        if (v < o->min || v > o->max) {
            snprintf(why, why_len, "%s: %s is out of range (%g..%g)", o->name, text, o->min, o->max);
            return BACKDROP_EINVAL;
        }
        *(int *)field = (int)v;
        return 0;
    }
    case BACKDROP_OPTION_FLOAT: {
        errno = 0;
        double v = strtod(text, &end);
        if (end == text || *end || errno || !isfinite(v)) {
            snprintf(why, why_len, "%s: '%s' is not a number", o->name, text);
            return BACKDROP_EINVAL;
        }
        if (v < o->min || v > o->max) {
            snprintf(why, why_len, "%s: %s is out of range (%g..%g)", o->name, text, o->min, o->max);
            return BACKDROP_EINVAL;
        }
        *(float *)field = (float)v;
        return 0;
    }
    case BACKDROP_OPTION_BOOL: {
        int v;
        if (!parse_bool(text, &v)) {
            snprintf(why, why_len, "%s: '%s' is not 0 or 1", o->name, text);
            return BACKDROP_EINVAL;
        }
        *(int *)field = v;
        return 0;
    }
    case BACKDROP_OPTION_CHOICE:
        for (int i = 0; o->choices[i]; i++) {
            if (!strcmp(o->choices[i], text)) {
                *(int *)field = i;
                return 0;
            }
        }
        {
            char list[256];
            list_choices(o->choices, list, sizeof(list));
            snprintf(why, why_len, "%s: '%s' is not one of %s", o->name, text, list);
        }
        return BACKDROP_EINVAL;
    case BACKDROP_OPTION_COLOR:
        if (!bd_parse_color(text, field)) {
            snprintf(why, why_len, "%s: '%s' is not a colour (#RRGGBB, black, white, green, blue, "
                     "red, gray)", o->name, text);
            return BACKDROP_EINVAL;
        }
        return 0;
    }
    snprintf(why, why_len, "%s: unknown option type", o->name);
    return BACKDROP_EINVAL;
}

int bd_option_parse(const BdOption *opt, void *opts, const char *value, char *why, size_t why_len)
{
    if (!value) {
        snprintf(why, why_len, "%s: no value", opt->pub.name);
        return BACKDROP_EINVAL;
    }
    /* Parse into a scratch copy first: a rejected value changes nothing. */
    union {
        int i;
        float f;
        uint8_t rgb[3];
    } scratch;
    int err = parse_value(opt, value, &scratch, why, why_len);
    if (err < 0)
        return err;
    char *field = (char *)opts + opt->offset;
    switch (opt->pub.type) {
    case BACKDROP_OPTION_FLOAT: memcpy(field, &scratch.f, sizeof(float)); break;
    case BACKDROP_OPTION_COLOR: memcpy(field, scratch.rgb, 3); break;
    default: memcpy(field, &scratch.i, sizeof(int)); break;
    }
    return 0;
}

void bd_option_format(const BdOption *opt, const void *opts, char *buf, size_t size)
{
    const char *field = (const char *)opts + opt->offset;
    int i;
    float f;
    switch (opt->pub.type) {
    case BACKDROP_OPTION_INT:
    case BACKDROP_OPTION_BOOL:
        memcpy(&i, field, sizeof(i));
        snprintf(buf, size, "%d", i);
        break;
    case BACKDROP_OPTION_FLOAT:
        memcpy(&f, field, sizeof(f));
        snprintf(buf, size, "%g", f);
        break;
    case BACKDROP_OPTION_CHOICE:
        memcpy(&i, field, sizeof(i));
        snprintf(buf, size, "%s", opt->pub.choices[i]);
        break;
    case BACKDROP_OPTION_COLOR: {
        const uint8_t *rgb = (const uint8_t *)field;
        snprintf(buf, size, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
        break;
    }
    }
}

void bd_options_defaults(const BdOption *table, size_t count, void *opts)
{
    char why[160];
    for (size_t i = 0; i < count; i++)
        bd_option_parse(&table[i], opts, table[i].pub.default_value, why, sizeof(why));
}

const BdOption *bd_option_find(const BdOption *table, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (!strcmp(table[i].pub.name, name))
            return &table[i];
    return NULL;
}
