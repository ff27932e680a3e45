/*
 * Control while running: a UNIX stream socket (--control PATH) that takes
 * one command per line and answers each line with one line.
 *
 * The protocol (UTF-8 or any bytes >= 0x20 except 0x7f; "\n" ends a line, a
 * "\r" before it is ignored; at most CONTROL_LINE_MAX bytes a line):
 *
 *   set background VALUE   a colour, blur, blur:N, transparent or a file
 *                          (the rest of the line: it may contain spaces)
 *   set blur N             the blur background's strength (0 = automatic)
 *   set method NAME        another method (a known method name)
 *   set OPTION VALUE       any other library option (backdrop_set_option)
 *   pause | resume         stop / go on processing frames
 *   stats                  one line of JSON
 *   quit                   end the run as an interrupt does
 *
 * Every line gets exactly one answer, in the order the lines came:
 * "ok", the JSON of stats, or "error: REASON". Blanks around words are
 * ignored; words are separated by blanks (space, tab).
 *
 * The server never blocks its caller and has no thread: the live loop calls
 * control_poll() once a frame (or more often), and applies each command it
 * gets, then answers it with control_reply(). Everything is bounded:
 * CONTROL_MAX_CLIENTS connections, CONTROL_INPUT_MAX bytes read ahead per
 * client, CONTROL_ROUND_LINES lines of one client handled per round (the
 * further lines read in that round are answered "error: busy"),
 * CONTROL_OUTPUT_MAX bytes of unsent answers per client (a client that does
 * not read its answers is dropped).
 */
#ifndef BACKDROP_TOOLS_CONTROL_H
#define BACKDROP_TOOLS_CONTROL_H

#include <stddef.h>

#include "backdrop/backdrop.h"

#define CONTROL_LINE_MAX 4096     /* bytes of a line, its "\n" not counted */
#define CONTROL_NAME_MAX 128      /* bytes of an option name, NUL included */
#define CONTROL_MAX_CLIENTS 16
#define CONTROL_ROUND_LINES 8
#define CONTROL_INPUT_MAX (2 * CONTROL_LINE_MAX + 2)
#define CONTROL_OUTPUT_MAX 65536

typedef enum ControlKind {
    CONTROL_SET_BACKGROUND = 1, /* value: the -b text (options_background_kind) */
    CONTROL_SET_BLUR,           /* value: the strength, a number */
    CONTROL_SET_METHOD,         /* value: a method name backdrop_method_name() lists */
    CONTROL_SET_OPTION,         /* name, value: for backdrop_set_option() */
    CONTROL_PAUSE,
    CONTROL_RESUME,
    CONTROL_STATS,
    CONTROL_QUIT,
} ControlKind;

typedef struct ControlCommand {
    ControlKind kind;
    char name[CONTROL_NAME_MAX];      /* CONTROL_SET_OPTION: "threshold", "blur.strength"; else "" */
    char value[CONTROL_LINE_MAX + 1]; /* the SET commands' value; else "" */
} ControlCommand;

/* Parses one line (its "\n" removed; a trailing "\r" is ignored). Pure: no
 * I/O, no allocation. Returns 0 with *cmd filled, or -1 with a one-line
 * message beginning "error: " in err (errlen > 0: always terminated). An
 * option's or method's name is checked against the library's tables; values
 * are left to the library (backdrop_set_option says whether it takes them),
 * except that a blur strength must be a number the blur stage takes. */
int control_parse(const char *line, ControlCommand *cmd, char *err, size_t errlen);

/* The same for len bytes that may hold a NUL (refused as a control
 * character). */
int control_parse_bytes(const char *line, size_t len, ControlCommand *cmd, char *err, size_t errlen);

/* ---------------------------------------------------------------------- */
/* Line splitting of one client's bytes (no I/O; the server's, exposed for
 * the fuzz target and tests). Invariant: len <= CONTROL_INPUT_MAX, and
 * while discarding the bytes up to the next "\n" belong to a line already
 * answered as too long. */
typedef struct ControlLines {
    char buf[CONTROL_INPUT_MAX];
    size_t len;
    int discarding;
} ControlLines;

typedef enum ControlLineResult {
    CONTROL_LINE_NONE = 0,     /* no complete line (yet) */
    CONTROL_LINE_OK = 1,       /* a line in line[0 .. *len), NUL-terminated */
    CONTROL_LINE_TOO_LONG = 2, /* a line over CONTROL_LINE_MAX: answer it, its rest is dropped */
} ControlLineResult;

/* Room left for control_lines_append(). */
size_t control_lines_space(const ControlLines *l);
/* Appends up to n bytes; returns how many were taken (<= space). */
size_t control_lines_append(ControlLines *l, const void *data, size_t n);
/* Takes the next line out into line (CONTROL_LINE_MAX + 1 bytes), its
 * "\n" and a "\r" before it dropped: *len <= CONTROL_LINE_MAX. With
 * at_end (the peer sent everything) a last line without "\n" counts. */
ControlLineResult control_lines_next(ControlLines *l, char *line, size_t *len, int at_end);

/* ---------------------------------------------------------------------- */
/* The server. */
typedef struct Control Control;

/* Listens on path: refuses a path that exists and is not a socket, and a
 * socket another process still listens on; removes a stale socket; the
 * socket is made mode 0600 before it listens. Returns 0, or -1 with a
 * one-line message in err. */
int control_open(Control **c, const char *path, char *err, size_t errlen);

/* One step, never blocking: accepts new clients, reads what they sent,
 * answers bad lines itself, sends pending answers. Returns 1 with the next
 * command in *cmd and its client in *client (answer it with control_reply,
 * before the next call that returns a command of that client: a client's
 * further lines wait for it), 0 when nothing more is ready in this round
 * (the next call starts a new round), -1 on a failure of the listening
 * socket itself (err says it; clients are unaffected by each other). */
int control_poll(Control *c, ControlCommand *cmd, int *client, char *err, size_t errlen);

/* Answers client's command: "ok", a line of JSON, or "error: REASON". A
 * newline or control character in text is sent as a space: one line
 * always. An unknown or departed client is ignored. The answer is sent
 * without blocking, the rest by later control_poll() calls. */
void control_reply(Control *c, int client, const char *text);

/* Closes every connection and the socket and removes the socket file.
 * NULL or *c NULL: nothing. */
void control_close(Control **c);

/* For the live loop: applies CONTROL_SET_BLUR ("blur.strength") or
 * CONTROL_SET_OPTION with backdrop_set_option(). Returns 0, or -1 with
 * "error: REASON" in err (the library's reason for a refused value, or
 * that the option cannot change while running). */
int control_apply_option(BackdropContext *ctx, const ControlCommand *cmd, char *err, size_t errlen);

#endif
