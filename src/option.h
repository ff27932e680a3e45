/*
 * The option engine: every method and stage describes its settings in one
 * table (name, type, default, range or choices, help, whether it may change
 * while running); set_option, the enumeration API and the CLI's parser and
 * --help are all driven by these tables, in the manner of libavfilter's
 * AVOption.
 *
 * Values live in a component's own options struct (a plain C struct of
 * int / float / uint8_t[3] fields); each table entry names the field by
 * offset. Parsing validates completely before anything is stored, so a
 * rejected value leaves the struct as it was.
 */
#ifndef BACKDROP_OPTION_H
#define BACKDROP_OPTION_H

#include <stddef.h>

#include "internal.h"

/* One option. The public view (BackdropOption) is the first member, so a
 * pointer to a BdOption is a pointer to its BackdropOption. */
typedef struct BdOption {
    BackdropOption pub;
    size_t offset;   /* of the field in the component's options struct */
    /* What a change while running needs: nothing (the component reads the
     * field every frame), or a restart of the component's per-shape state
     * on the next frame (its tables depend on it). */
    int rebuild;
} BdOption;

/* Writes every option's default into opts. */
void bd_options_defaults(const BdOption *table, size_t count, void *opts);

/* Parses value for opt and stores it in opts. 0, or BACKDROP_EINVAL with a
 * one-line reason in why (naming the option and its range or choices). */
int bd_option_parse(const BdOption *opt, void *opts, const char *value, char *why, size_t why_len);

/* The current value as text, in the form bd_option_parse() accepts. */
void bd_option_format(const BdOption *opt, const void *opts, char *buf, size_t size);

/* "#RRGGBB" or a colour name (black, white, green, blue, red, gray/grey)
 * into rgb: 1, or 0 (rgb untouched) when text is not a colour. */
int bd_parse_color(const char *text, uint8_t rgb[3]);

/* The option called name in table, or NULL. */
const BdOption *bd_option_find(const BdOption *table, size_t count, const char *name);

#endif
