/*
 * Control while running: the line protocol's parser, the line splitter and
 * a poll-driven UNIX socket server (see control.h). No thread: the caller's
 * loop drives everything with control_poll(), every socket is non-blocking.
 */
#include "control.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "message.h"

/* ---------------------------------------------------------------------- */
/* The parser. */

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    char reason[MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    message_vset(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    message_set(err, errlen, "error: %s", reason);
    return -1;
}

static int is_blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* A word of the line: [start, start + len). */
typedef struct Word {
    const char *start;
    size_t len;
} Word;

/* The next word at or after *p (p < end); len 0 at the end. */
static Word next_word(const char **p, const char *end)
{
    const char *s = *p;
    while (s < end && is_blank(*s))
        s++;
    const char *e = s;
    while (e < end && !is_blank(*e))
        e++;
    *p = e;
    return (Word){ s, (size_t)(e - s) };
}

static int word_is(Word w, const char *text)
{
    return w.len == strlen(text) && !memcmp(w.start, text, w.len);
}

/* Copies a word into dst of size bytes (the caller made sure it fits). */
static void word_copy(char *dst, size_t size, Word w)
{
    size_t n = w.len < size - 1 ? w.len : size - 1;
    memcpy(dst, w.start, n);
    dst[n] = '\0';
}

/* Whether option name (maybe "component.name") is one of the library's. */
static int option_known(const char *name)
{
    const char *dot = strchr(name, '.');
    const BackdropComponent *c;
    for (int i = 0; (c = backdrop_component(i)); i++) {
        const char *bare = name;
        if (dot) {
            if (strlen(c->name) != (size_t)(dot - name) || strncmp(c->name, name, (size_t)(dot - name)))
                continue;
            bare = dot + 1;
        }
        const BackdropOption *o;
        for (int j = 0; (o = backdrop_option(c->name, j)); j++)
            if (!strcmp(o->name, bare))
                return 1;
    }
    return 0;
}

/* Exactly one word after the command words, into cmd->value. */
static int one_value(const char **p, const char *end, const char *what, ControlCommand *cmd,
                     char *err, size_t errlen)
{
    Word v = next_word(p, end);
    if (!v.len)
        return fail(err, errlen, "'set %s' needs a value", what);
    if (next_word(p, end).len)
        return fail(err, errlen, "'set %s' takes one value, not several", what);
    word_copy(cmd->value, sizeof(cmd->value), v);
    return 0;
}

int control_parse_bytes(const char *line, size_t len, ControlCommand *cmd, char *err, size_t errlen)
{
    if (errlen)
        err[0] = '\0';
    if (!cmd)
        return fail(err, errlen, "no command to fill");
    memset(cmd, 0, sizeof(*cmd));
    if (!line)
        return fail(err, errlen, "empty line");
    if (len && line[len - 1] == '\r')
        len--;
    if (len > CONTROL_LINE_MAX)
        return fail(err, errlen, "line longer than %d bytes", CONTROL_LINE_MAX);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)line[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return fail(err, errlen, "control character 0x%02x at byte %zu", ch, i + 1);
    }
    const char *p = line, *end = line + len;
    Word verb = next_word(&p, end);
    if (!verb.len)
        return fail(err, errlen, "empty line");

    static const struct { const char *word; ControlKind kind; } bare[] = {
        { "pause", CONTROL_PAUSE }, { "resume", CONTROL_RESUME },
        { "stats", CONTROL_STATS }, { "quit", CONTROL_QUIT },
    };
    for (size_t i = 0; i < sizeof(bare) / sizeof(bare[0]); i++) {
        if (word_is(verb, bare[i].word)) {
            if (next_word(&p, end).len)
                return fail(err, errlen, "'%s' takes no argument", bare[i].word);
            cmd->kind = bare[i].kind;
            return 0;
        }
    }
    if (!word_is(verb, "set"))
        return fail(err, errlen, "unknown command '%.*s' (set, pause, resume, stats, quit)",
                    (int)(verb.len > 64 ? 64 : verb.len), verb.start);

    Word what = next_word(&p, end);
    if (!what.len)
        return fail(err, errlen, "'set' needs what to set: background, blur, method or an option");
    if (word_is(what, "background")) {
        /* The rest of the line, blanks inside kept, around it dropped. */
        Word first = next_word(&p, end);
        if (!first.len)
            return fail(err, errlen, "'set background' needs a colour, blur, blur:N, transparent or a file");
        const char *last = end;
        while (last > first.start && is_blank(last[-1]))
            last--;
        word_copy(cmd->value, sizeof(cmd->value), (Word){ first.start, (size_t)(last - first.start) });
        cmd->kind = CONTROL_SET_BACKGROUND;
        return 0;
    }
    if (word_is(what, "blur")) {
        if (one_value(&p, end, "blur", cmd, err, errlen) < 0)
            return -1;
        char why[256];
        if (backdrop_option_validate("blur", "strength", cmd->value, why, sizeof(why)) != 0)
            return fail(err, errlen, "blur %s", why);
        cmd->kind = CONTROL_SET_BLUR;
        return 0;
    }
    if (word_is(what, "method")) {
        if (one_value(&p, end, "method", cmd, err, errlen) < 0)
            return -1;
        const char *m;
        for (int i = 0; (m = backdrop_method_name(i)); i++)
            if (!strcmp(m, cmd->value)) {
                cmd->kind = CONTROL_SET_METHOD;
                return 0;
            }
        char known[256] = "";
        for (int i = 0; (m = backdrop_method_name(i)); i++) {
            size_t at = strlen(known);
            snprintf(known + at, sizeof(known) - at, "%s%s", i ? ", " : "", m);
        }
        return fail(err, errlen, "unknown method '%.64s' (%s)", cmd->value, known);
    }
    if (what.len >= CONTROL_NAME_MAX)
        return fail(err, errlen, "unknown option '%.64s...'", what.start);
    word_copy(cmd->name, sizeof(cmd->name), what);
    if (!option_known(cmd->name))
        return fail(err, errlen, "unknown option '%s' (backdrop --help lists them)", cmd->name);
    if (one_value(&p, end, cmd->name, cmd, err, errlen) < 0)
        return -1;
    cmd->kind = CONTROL_SET_OPTION;
    return 0;
}

int control_parse(const char *line, ControlCommand *cmd, char *err, size_t errlen)
{
    return control_parse_bytes(line, line ? strlen(line) : 0, cmd, err, errlen);
}

/* ---------------------------------------------------------------------- */
/* Line splitting. */

size_t control_lines_space(const ControlLines *l)
{
    return sizeof(l->buf) - l->len;
}

size_t control_lines_append(ControlLines *l, const void *data, size_t n)
{
    size_t take = n < control_lines_space(l) ? n : control_lines_space(l);
    memcpy(l->buf + l->len, data, take);
    l->len += take;
    return take;
}

static void lines_drop(ControlLines *l, size_t n)
{
    memmove(l->buf, l->buf + n, l->len - n);
    l->len -= n;
}

ControlLineResult control_lines_next(ControlLines *l, char *line, size_t *len, int at_end)
{
    *len = 0;
    line[0] = '\0';
    for (;;) {
        char *nl = memchr(l->buf, '\n', l->len);
        if (l->discarding) {
            /* The rest of a line already answered as too long. */
            if (!nl) {
                l->len = 0;
                if (at_end)
                    l->discarding = 0;
                return CONTROL_LINE_NONE;
            }
            lines_drop(l, (size_t)(nl - l->buf) + 1);
            l->discarding = 0;
            continue;
        }
        /* The line's bytes: up to its "\n" (or, at the end, all), a "\r"
         * before that dropped. Without "\n" yet, CONTROL_LINE_MAX bytes and
         * a "\r" may still be a line of the limit. */
        size_t n = nl ? (size_t)(nl - l->buf) : l->len;
        size_t content = n;
        if ((nl || at_end) && content && l->buf[content - 1] == '\r')
            content--;
        if (content > (size_t)CONTROL_LINE_MAX + (nl || at_end ? 0 : 1)) {
            if (nl) {
                lines_drop(l, n + 1);
            } else {
                l->len = 0;
                l->discarding = !at_end;
            }
            return CONTROL_LINE_TOO_LONG;
        }
        if (!nl && !(at_end && l->len))
            return CONTROL_LINE_NONE;
        memcpy(line, l->buf, content);
        line[content] = '\0';
        *len = content;
        lines_drop(l, nl ? n + 1 : n);
        return CONTROL_LINE_OK;
    }
}

/* ---------------------------------------------------------------------- */
/* The server. */

typedef struct Client {
    int fd;          /* -1: a free slot */
    int id;          /* unique while the server lives (the loop's handle) */
    int outstanding; /* a command handed to the loop, not yet answered */
    int at_end;      /* the peer sent everything */
    int round_lines; /* lines handled in this round */
    ControlLines in;
    size_t out_len;
    char out[CONTROL_OUTPUT_MAX];
} Client;

struct Control {
    int fd;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    dev_t dev;       /* the socket file's, so that close removes only ours */
    ino_t ino;
    int next_id;
    int in_round;    /* 0: the next control_poll() starts a round */
    int cursor;      /* the client the round goes on with */
    char line[CONTROL_LINE_MAX + 2];
    Client clients[CONTROL_MAX_CLIENTS];
};

static void client_close(Client *cl)
{
    if (cl->fd >= 0)
        close(cl->fd);
    cl->fd = -1;
    cl->id = 0;
    cl->outstanding = 0;
}

/* Sends what it can of the client's answers without blocking. */
static void client_flush(Client *cl)
{
    size_t sent = 0;
    while (cl->fd >= 0 && sent < cl->out_len) {
        ssize_t n = send(cl->fd, cl->out + sent, cl->out_len - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            sent += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        } else {
            client_close(cl); /* gone: its answers go nowhere */
            return;
        }
    }
    if (cl->fd >= 0) {
        memmove(cl->out, cl->out + sent, cl->out_len - sent);
        cl->out_len -= sent;
    }
}

/* Queues one answer line; a client whose unsent answers overflow is dropped. */
static void client_answer(Client *cl, const char *text)
{
    size_t n = strlen(text);
    if (cl->fd < 0)
        return;
    if (cl->out_len + n + 1 > sizeof(cl->out)) {
        client_flush(cl);
        if (cl->fd < 0)
            return;
        if (cl->out_len + n + 1 > sizeof(cl->out)) {
            client_close(cl);
            return;
        }
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)text[i];
        cl->out[cl->out_len++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
    }
    cl->out[cl->out_len++] = '\n';
}

int control_open(Control **cp, const char *path, char *err, size_t errlen)
{
    if (errlen)
        err[0] = '\0';
    if (!cp) {
        message_set(err, errlen, "control socket: no handle to fill");
        return -1;
    }
    *cp = NULL;
    if (!path || !*path) {
        message_set(err, errlen, "control socket: empty path");
        return -1;
    }
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(addr.sun_path)) {
        message_set(err, errlen, "control socket %s: path longer than %zu bytes, the limit of a UNIX socket address; choose a shorter one",
                    path, sizeof(addr.sun_path) - 1);
        return -1;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);

    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            message_set(err, errlen, "control socket %s: exists and is not a socket; remove it or choose another path", path);
            return -1;
        }
        /* A socket: live if someone accepts on it, else a stale one left by
         * a run that ended without removing it. */
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe < 0) {
            message_set(err, errlen, "control socket %s: %s", path, strerror(errno));
            return -1;
        }
        int live = connect(probe, (struct sockaddr *)&addr, sizeof(addr)) == 0;
        int why = errno;
        close(probe);
        if (live) {
            message_set(err, errlen, "control socket %s: another process listens on it; choose another path", path);
            return -1;
        }
        if (why != ECONNREFUSED) {
            message_set(err, errlen, "control socket %s: %s", path, strerror(why));
            return -1;
        }
        if (unlink(path) < 0 && errno != ENOENT) {
            message_set(err, errlen, "control socket %s: cannot remove the stale socket: %s", path, strerror(errno));
            return -1;
        }
    } else if (errno != ENOENT) {
        message_set(err, errlen, "control socket %s: %s", path, strerror(errno));
        return -1;
    }

    Control *c = calloc(1, sizeof(*c));
    if (!c) {
        message_set(err, errlen, "control socket %s: out of memory", path);
        return -1;
    }
    for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
        c->clients[i].fd = -1;
    c->next_id = 1;
    memcpy(c->path, path, strlen(path) + 1);
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (c->fd < 0) {
        message_set(err, errlen, "control socket %s: %s", path, strerror(errno));
        free(c);
        return -1;
    }
    /* Mode 0600 before listen(): until then a connect is refused, so no
     * other user can slip in between. */
    if (bind(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        message_set(err, errlen, "control socket %s: %s", path, strerror(errno));
        close(c->fd);
        free(c);
        return -1;
    }
    if (chmod(path, 0600) < 0 || lstat(path, &st) < 0 || listen(c->fd, CONTROL_MAX_CLIENTS) < 0) {
        message_set(err, errlen, "control socket %s: %s", path, strerror(errno));
        close(c->fd);
        unlink(path);
        free(c);
        return -1;
    }
    c->dev = st.st_dev;
    c->ino = st.st_ino;
    *cp = c;
    return 0;
}

static Client *client_find(Control *c, int id)
{
    for (int i = 0; id > 0 && i < CONTROL_MAX_CLIENTS; i++)
        if (c->clients[i].fd >= 0 && c->clients[i].id == id)
            return &c->clients[i];
    return NULL;
}

/* Accepts every waiting connection; -1 only when the listening socket fails. */
static int accept_all(Control *c, char *err, size_t errlen)
{
    for (;;) {
        int fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EMFILE || errno == ENFILE ||
                errno == ENOBUFS || errno == ENOMEM || errno == EPROTO)
                return 0; /* nothing now, or try again next round */
            message_set(err, errlen, "control socket %s: %s", c->path, strerror(errno));
            return -1;
        }
        Client *cl = NULL;
        for (int i = 0; i < CONTROL_MAX_CLIENTS && !cl; i++)
            if (c->clients[i].fd < 0)
                cl = &c->clients[i];
        if (!cl) {
            static const char busy[] = "error: busy (too many clients)\n";
            ssize_t ignored = send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
            (void)ignored;
            close(fd);
            continue;
        }
        memset(cl, 0, offsetof(Client, out));
        cl->fd = fd;
        cl->id = c->next_id;
        c->next_id = c->next_id == 0x7fffffff ? 1 : c->next_id + 1;
    }
}

/* Reads once what the client sent, as much as its buffer holds. */
static void client_read(Client *cl)
{
    char tmp[CONTROL_INPUT_MAX];
    size_t room = control_lines_space(&cl->in);
    if (cl->fd < 0 || cl->at_end || !room)
        return;
    ssize_t n;
    do
        n = recv(cl->fd, tmp, room, MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n > 0)
        control_lines_append(&cl->in, tmp, (size_t)n);
    else if (n == 0)
        cl->at_end = 1;
    else if (errno != EAGAIN && errno != EWOULDBLOCK)
        client_close(cl);
}

int control_poll(Control *c, ControlCommand *cmd, int *client, char *err, size_t errlen)
{
    if (errlen)
        err[0] = '\0';
    *client = 0;
    if (!c->in_round) {
        if (accept_all(c, err, errlen) < 0)
            return -1;
        for (int i = 0; i < CONTROL_MAX_CLIENTS; i++) {
            Client *cl = &c->clients[i];
            client_flush(cl);
            client_read(cl);
            cl->round_lines = 0;
        }
        c->in_round = 1;
        c->cursor = 0;
    }
    /* The lines of each client in turn; a client with a command out waits
     * for its answer, so that answers keep the order of the lines. */
    for (; c->cursor < CONTROL_MAX_CLIENTS; c->cursor++) {
        Client *cl = &c->clients[c->cursor];
        while (cl->fd >= 0 && !cl->outstanding) {
            size_t len;
            ControlLineResult r = control_lines_next(&cl->in, c->line, &len, cl->at_end);
            if (r == CONTROL_LINE_NONE)
                break;
            if (cl->round_lines >= CONTROL_ROUND_LINES) {
                client_answer(cl, "error: busy");
                continue;
            }
            cl->round_lines++;
            if (r == CONTROL_LINE_TOO_LONG) {
                client_answer(cl, "error: line longer than 4096 bytes");
                continue;
            }
            char why[MESSAGE_MAX];
            if (control_parse_bytes(c->line, len, cmd, why, sizeof(why)) < 0) {
                client_answer(cl, why);
                continue;
            }
            cl->outstanding = 1;
            *client = cl->id;
            return 1;
        }
        if (cl->fd >= 0) {
            client_flush(cl);
            /* Everything sent, everything answered: the conversation is over. */
            if (cl->fd >= 0 && cl->at_end && !cl->outstanding && !cl->in.len && !cl->out_len)
                client_close(cl);
        }
    }
    c->in_round = 0;
    return 0;
}

void control_reply(Control *c, int client, const char *text)
{
    Client *cl = c ? client_find(c, client) : NULL;
    if (!cl || !cl->outstanding)
        return;
    cl->outstanding = 0;
    client_answer(cl, text ? text : "error: no answer");
    client_flush(cl);
}

void control_close(Control **cp)
{
    if (!cp || !*cp)
        return;
    Control *c = *cp;
    for (int i = 0; i < CONTROL_MAX_CLIENTS; i++) {
        client_flush(&c->clients[i]);
        client_close(&c->clients[i]);
    }
    close(c->fd);
    struct stat st;
    if (lstat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
        unlink(c->path);
    free(c);
    *cp = NULL;
}

int control_apply_option(BackdropContext *ctx, const ControlCommand *cmd, char *err, size_t errlen)
{
    if (errlen)
        err[0] = '\0';
    const char *name = cmd->kind == CONTROL_SET_BLUR ? "blur.strength" : cmd->name;
    if (cmd->kind != CONTROL_SET_BLUR && cmd->kind != CONTROL_SET_OPTION)
        return fail(err, errlen, "not an option");
    int r = backdrop_set_option(ctx, name, cmd->value);
    if (r == 0)
        return 0;
    if (r == BACKDROP_ENOTSUP)
        return fail(err, errlen, "%s cannot change while running", name);
    if (r == BACKDROP_EINVAL) {
        /* The reason of the first component that owns the name and
         * refuses the value; else the option is not this run's. */
        const char *dot = strchr(name, '.');
        const BackdropComponent *comp;
        for (int i = 0; (comp = backdrop_component(i)); i++) {
            if (dot && (strlen(comp->name) != (size_t)(dot - name) || strncmp(comp->name, name, (size_t)(dot - name))))
                continue;
            char why[256];
            if (backdrop_option_validate(comp->name, dot ? dot + 1 : name, cmd->value, why, sizeof(why)) != 0 &&
                strncmp(why, "unknown", 7) != 0) {
                const BackdropOption *o;
                for (int j = 0; (o = backdrop_option(comp->name, j)); j++)
                    if (!strcmp(o->name, dot ? dot + 1 : name))
                        return fail(err, errlen, "%s", why);
            }
        }
        return fail(err, errlen, "%s: not an option of this run's method or stages, or a value it refuses", name);
    }
    return fail(err, errlen, "%s: %s", name, backdrop_strerror(r));
}
