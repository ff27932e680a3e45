/* One-line messages; see message.h. */
#include "message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void message_vset(char *err, size_t errlen, const char *fmt, va_list ap)
{
    if (!err || errlen == 0)
        return;
    va_list again;
    va_copy(again, ap);
    int needed = vsnprintf(err, errlen, fmt, ap);
    if (needed < 0 || (size_t)needed < errlen) {
        va_end(again);
        return;
    }
    /* Too long: format in full, then keep a third of the room from the
     * beginning and the rest from the end. */
    static const char joint[] = "...";
    char *full = malloc((size_t)needed + 1);
    if (full)
        vsnprintf(full, (size_t)needed + 1, fmt, again);
    va_end(again);
    if (!full || errlen < sizeof(joint) + 2) {
        free(full);
        return; /* keep the truncated text vsnprintf left */
    }
    size_t room = errlen - 1 - (sizeof(joint) - 1);
    size_t head = room / 3, tail = room - head;
    memcpy(err, full, head);
    memcpy(err + head, joint, sizeof(joint) - 1);
    memcpy(err + head + sizeof(joint) - 1, full + (size_t)needed - tail, tail);
    err[errlen - 1] = '\0';
    free(full);
}

void message_set(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    message_vset(err, errlen, fmt, ap);
    va_end(ap);
}
