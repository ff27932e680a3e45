/*
 * Fuzz target for the control socket's line protocol (tools/control.c)
 * without sockets: the input is split into chunks (each chunk's length is
 * taken from the input itself, so the fuzzer explores split lines) and fed
 * through the server's line splitter, the way the server feeds what one
 * client sent; every line goes to the parser, and the whole input once more
 * as one line. Invariants:
 *  - the splitter's buffer never holds more than CONTROL_INPUT_MAX bytes,
 *    a line it hands out is at most CONTROL_LINE_MAX bytes (a "\r" before
 *    its "\n" dropped), holds no "\n" and is NUL-terminated at its length;
 *  - every byte fed is either taken or refused for lack of room, and with
 *    room to spare nothing is refused;
 *  - the parser returns 0 or -1; on -1 a one-line message beginning
 *    "error: ", on 0 a known kind, terminated name and value, a value
 *    without control characters, and the SET commands' value non-empty;
 *  - parsing is deterministic (the same line parses the same twice).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ControlLines lines;
static ControlCommand cmd, again;
static char line[CONTROL_LINE_MAX + 1];

static void check_parse(const char *text, size_t len)
{
    char err[256], err2[256];
    int r = control_parse_bytes(text, len, &cmd, err, sizeof(err));
    if (r == -1) {
        if (!memchr(err, '\0', sizeof(err)) || strncmp(err, "error: ", 7) || strchr(err, '\n'))
            abort();
    } else if (r == 0) {
        if (cmd.kind < CONTROL_SET_BACKGROUND || cmd.kind > CONTROL_QUIT)
            abort();
        if (!memchr(cmd.name, '\0', sizeof(cmd.name)) || !memchr(cmd.value, '\0', sizeof(cmd.value)))
            abort();
        for (const char *p = cmd.value; *p; p++)
            if ((unsigned char)*p < 0x20 && *p != '\t')
                abort();
        if (cmd.kind <= CONTROL_SET_OPTION && !cmd.value[0])
            abort();
        if ((cmd.kind == CONTROL_SET_OPTION) != (cmd.name[0] != '\0'))
            abort();
    } else {
        abort();
    }
    int r2 = control_parse_bytes(text, len, &again, err2, sizeof(err2));
    if (r2 != r || (r == 0 && (again.kind != cmd.kind || strcmp(again.name, cmd.name) ||
                               strcmp(again.value, cmd.value))) ||
        (r < 0 && strcmp(err, err2)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    memset(&lines, 0, sizeof(lines));
    size_t at = 0;
    while (at < size) {
        /* A chunk: its length from the next byte (1..256, scaled up now
         * and then so that over-long lines come in big pieces). */
        size_t chunk = (size_t)data[at] + 1;
        if (data[at] & 0x80)
            chunk *= 32;
        at++;
        if (chunk > size - at)
            chunk = size - at;
        size_t room = control_lines_space(&lines);
        size_t took = control_lines_append(&lines, data + at, chunk);
        if (took > chunk || took > room || (chunk <= room && took != chunk))
            abort();
        at += took ? took : chunk; /* a full buffer: the rest of the chunk is lost, as unread bytes wait */
        int at_end = at >= size;
        for (;;) {
            size_t len = 12345;
            ControlLineResult r = control_lines_next(&lines, line, &len, at_end);
            if (lines.len > CONTROL_INPUT_MAX)
                abort();
            if (r == CONTROL_LINE_NONE || r == CONTROL_LINE_TOO_LONG) {
                if (len != 0)
                    abort();
                if (r == CONTROL_LINE_NONE)
                    break;
                continue;
            }
            if (r != CONTROL_LINE_OK || len > CONTROL_LINE_MAX || line[len] != '\0' || memchr(line, '\n', len))
                abort();
            check_parse(line, len);
        }
    }
    /* The whole input as one line. */
    check_parse((const char *)data, size);
    return 0;
}
