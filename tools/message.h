/*
 * One-line messages of the backdrop CLI. Every module writes its errors into
 * a caller's buffer; this is the one formatter they share.
 */
#ifndef BACKDROP_TOOLS_MESSAGE_H
#define BACKDROP_TOOLS_MESSAGE_H

#include <stdarg.h>
#include <stddef.h>

/* Room for any message: a few paths and a reason. */
#define MESSAGE_MAX 1024

/* Formats into err (errlen bytes, 0 or NULL: nothing is written). A message
 * that does not fit keeps its beginning and its end joined by "...": paths
 * come first and the reason last, so a very long path is shortened rather
 * than the reason cut off. */
void message_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void message_vset(char *err, size_t errlen, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#endif
