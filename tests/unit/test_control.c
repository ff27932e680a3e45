/*
 * The control socket (tools/control.c) and its client (tools/ctl.c): the
 * parser on every command and every error, the line splitter, and a server
 * talked to through a real socket, by raw connections (driven by hand,
 * round by round, so that what is read when is certain) and by the client
 * (the server on a thread then, since the client waits for its answer).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "ctl.h"
#include "suites.h"

/* ---------------------------------------------------------------------- */
/* The parser. */

static int parses(const char *line, ControlKind kind, const char *name, const char *value)
{
    ControlCommand cmd;
    char err[256];
    CHECK(control_parse(line, &cmd, err, sizeof(err)) == 0, "'%s' refused: %s", line, err);
    CHECK_INT(cmd.kind, kind);
    CHECK(!strcmp(cmd.name, name), "'%s': name '%s', expected '%s'", line, cmd.name, name);
    CHECK(!strcmp(cmd.value, value), "'%s': value '%s', expected '%s'", line, cmd.value, value);
    return UNIT_PASS;
}

static int refused(const char *line, size_t len, const char *expected)
{
    ControlCommand cmd;
    char err[256];
    CHECK(control_parse_bytes(line, len, &cmd, err, sizeof(err)) == -1, "'%s' accepted", line);
    CHECK(!strncmp(err, "error: ", 7), "'%s': message '%s' does not begin with 'error: '", line, err);
    CHECK(strstr(err, expected), "'%s': message '%s' does not say '%s'", line, err, expected);
    CHECK(!strchr(err, '\n'), "'%s': message of two lines", line);
    return UNIT_PASS;
}

#define REFUSED(line, expected) TRY(refused(line, strlen(line), expected))

static int test_control_parse_commands(void)
{
    TRY(parses("pause", CONTROL_PAUSE, "", ""));
    TRY(parses("resume", CONTROL_RESUME, "", ""));
    TRY(parses("stats", CONTROL_STATS, "", ""));
    TRY(parses("quit", CONTROL_QUIT, "", ""));
    TRY(parses("  \tstats \t", CONTROL_STATS, "", ""));
    TRY(parses("stats\r", CONTROL_STATS, "", ""));
    TRY(parses("set background beach.jpg", CONTROL_SET_BACKGROUND, "", "beach.jpg"));
    TRY(parses("set background  my holiday/beach 2.jpg  \r", CONTROL_SET_BACKGROUND, "", "my holiday/beach 2.jpg"));
    TRY(parses("set background #00b140", CONTROL_SET_BACKGROUND, "", "#00b140"));
    TRY(parses("set background blur:12", CONTROL_SET_BACKGROUND, "", "blur:12"));
    TRY(parses("set background transparent", CONTROL_SET_BACKGROUND, "", "transparent"));
    TRY(parses("set blur 12", CONTROL_SET_BLUR, "", "12"));
    TRY(parses("set blur 0.5", CONTROL_SET_BLUR, "", "0.5"));
    TRY(parses("set method framediff", CONTROL_SET_METHOD, "", "framediff"));
    TRY(parses("set method framediff", CONTROL_SET_METHOD, "", "framediff"));
    TRY(parses("set threshold 7", CONTROL_SET_OPTION, "threshold", "7"));
    TRY(parses("set\tblur.strength\t3", CONTROL_SET_OPTION, "blur.strength", "3"));
    TRY(parses("set color #ff0000", CONTROL_SET_OPTION, "color", "#ff0000"));
    /* Values are the library's to judge. */
    TRY(parses("set threshold many", CONTROL_SET_OPTION, "threshold", "many"));

    /* A line of exactly the limit, and with its "\r" one more. */
    char *line = unit_alloc(CONTROL_LINE_MAX + 2);
    memcpy(line, "set background ", 15);
    memset(line + 15, 'a', CONTROL_LINE_MAX - 15);
    TRY(parses(line, CONTROL_SET_BACKGROUND, "", line + 15));
    line[CONTROL_LINE_MAX] = '\r';
    ControlCommand cmd;
    char err[256];
    CHECK(control_parse(line, &cmd, err, sizeof(err)) == 0, "%s", err);
    CHECK_INT(strlen(cmd.value), CONTROL_LINE_MAX - 15);
    return UNIT_PASS;
}

static int test_control_parse_errors(void)
{
    REFUSED("", "empty line");
    REFUSED(" \t ", "empty line");
    REFUSED("\r", "empty line");
    REFUSED("jump", "unknown command 'jump'");
    REFUSED("Stats", "unknown command 'Stats'");
    REFUSED("pause now", "'pause' takes no argument");
    REFUSED("resume 1", "'resume' takes no argument");
    REFUSED("stats x", "'stats' takes no argument");
    REFUSED("quit !", "'quit' takes no argument");
    REFUSED("set", "'set' needs what to set");
    REFUSED("set background", "'set background' needs");
    REFUSED("set background   ", "'set background' needs");
    REFUSED("set blur", "'set blur' needs a value");
    REFUSED("set blur 1 2", "takes one value");
    REFUSED("set blur strong", "blur strength: 'strong' is not a number");
    REFUSED("set blur -1", "out of range");
    REFUSED("set method", "'set method' needs a value");
    REFUSED("set method magic", "unknown method 'magic' (framediff, ");
    REFUSED("set method framediff external", "takes one value");
    REFUSED("set nosuch 1", "unknown option 'nosuch'");
    REFUSED("set blur.nosuch 1", "unknown option 'blur.nosuch'");
    REFUSED("set nosuch.strength 1", "unknown option 'nosuch.strength'");
    REFUSED("set threshold", "'set threshold' needs a value");
    REFUSED("set threshold 1 2", "takes one value");
    REFUSED("set background a\x01" "b", "control character 0x01 at byte 17");
    REFUSED("stats\x7f", "control character 0x7f");
    REFUSED("stats\r\r", "control character 0x0d");
    REFUSED("stats\n", "control character 0x0a");
    TRY(refused("st\0ats", 6, "control character 0x00 at byte 3"));

    /* Over the limit by one byte; an over-long word in a message is cut. */
    char *line = unit_alloc(CONTROL_LINE_MAX + 3);
    memset(line, 'x', CONTROL_LINE_MAX + 1);
    REFUSED(line, "line longer than 4096 bytes");
    line[CONTROL_LINE_MAX] = '\0';
    REFUSED(line, "unknown command 'xxxx");
    memcpy(line, "set ", 4);
    REFUSED(line, "unknown option 'xxxx");

    /* NULL and small buffers: still one terminated line. */
    ControlCommand cmd;
    char small[12];
    CHECK(control_parse(NULL, &cmd, small, sizeof(small)) == -1, "NULL accepted");
    CHECK(strlen(small) < sizeof(small), "unterminated");
    CHECK(control_parse("jump", &cmd, small, sizeof(small)) == -1, "jump accepted");
    CHECK(strlen(small) < sizeof(small), "unterminated");
    CHECK(control_parse("jump", &cmd, NULL, 0) == -1, "jump accepted without a buffer");
    return UNIT_PASS;
}

/* ---------------------------------------------------------------------- */
/* The splitter. */

static int next_is(ControlLines *l, int at_end, ControlLineResult r, const char *text)
{
    char line[CONTROL_LINE_MAX + 1];
    size_t len;
    CHECK_INT(control_lines_next(l, line, &len, at_end), r);
    CHECK_INT(len, strlen(text));
    CHECK(!strcmp(line, text), "line '%s', expected '%s'", line, text);
    return UNIT_PASS;
}

static int test_control_lines_split(void)
{
    ControlLines *l = unit_alloc(sizeof(*l));
    CHECK_INT(control_lines_space(l), CONTROL_INPUT_MAX);
    control_lines_append(l, "stats\nset bl", 12);
    TRY(next_is(l, 0, CONTROL_LINE_OK, "stats"));
    TRY(next_is(l, 0, CONTROL_LINE_NONE, ""));
    control_lines_append(l, "ur 3\r\n\n", 7);
    TRY(next_is(l, 0, CONTROL_LINE_OK, "set blur 3"));
    TRY(next_is(l, 0, CONTROL_LINE_OK, ""));
    TRY(next_is(l, 0, CONTROL_LINE_NONE, ""));
    /* The last line without "\n" counts at the end only. */
    control_lines_append(l, "quit", 4);
    TRY(next_is(l, 0, CONTROL_LINE_NONE, ""));
    TRY(next_is(l, 1, CONTROL_LINE_OK, "quit"));
    TRY(next_is(l, 1, CONTROL_LINE_NONE, ""));

    /* An over-long line: answered once as soon as it is known, its rest
     * dropped over several appends, the next line whole. */
    char *chunk = unit_alloc(CONTROL_INPUT_MAX);
    memset(chunk, 'y', CONTROL_INPUT_MAX);
    CHECK_INT(control_lines_append(l, chunk, CONTROL_INPUT_MAX + 0), CONTROL_INPUT_MAX);
    CHECK_INT(control_lines_append(l, "z", 1), 0);
    TRY(next_is(l, 0, CONTROL_LINE_TOO_LONG, ""));
    control_lines_append(l, chunk, 100);
    TRY(next_is(l, 0, CONTROL_LINE_NONE, ""));
    control_lines_append(l, "yy\npause\n", 9);
    TRY(next_is(l, 0, CONTROL_LINE_OK, "pause"));
    /* Exactly the limit, with "\r", and one more. */
    memset(chunk, 'a', CONTROL_LINE_MAX);
    chunk[CONTROL_LINE_MAX] = '\n';
    control_lines_append(l, chunk, CONTROL_LINE_MAX + 1);
    char *line = unit_alloc(CONTROL_LINE_MAX + 1);
    size_t len;
    CHECK_INT(control_lines_next(l, line, &len, 0), CONTROL_LINE_OK);
    CHECK_INT(len, CONTROL_LINE_MAX);
    memset(chunk, 'a', CONTROL_LINE_MAX);
    memcpy(chunk + CONTROL_LINE_MAX, "\r\n", 2);
    control_lines_append(l, chunk, CONTROL_LINE_MAX + 1);
    CHECK_INT(control_lines_next(l, line, &len, 0), CONTROL_LINE_NONE); /* its "\n" may come */
    control_lines_append(l, "\n", 1);
    CHECK_INT(control_lines_next(l, line, &len, 0), CONTROL_LINE_OK);
    CHECK_INT(len, CONTROL_LINE_MAX);
    memset(chunk, 'a', CONTROL_LINE_MAX + 1);
    chunk[CONTROL_LINE_MAX + 1] = '\n';
    control_lines_append(l, chunk, CONTROL_LINE_MAX + 2);
    CHECK_INT(control_lines_next(l, line, &len, 0), CONTROL_LINE_TOO_LONG);
    TRY(next_is(l, 0, CONTROL_LINE_NONE, ""));
    CHECK_INT(l->len, 0);
    return UNIT_PASS;
}

/* ---------------------------------------------------------------------- */
/* The server. */

static void remove_dir(void *dir)
{
    char path[256];
    const char *names[] = { "s", "file", "stale" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", (char *)dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    free(dir);
}

/* A fresh directory, removed after the test, and path/NAME in it. */
static char *temp_path(const char *name)
{
    static char *dir;
    char tmpl[] = "/tmp/bdctl-XXXXXX";
    if (!dir || access(dir, F_OK) < 0) {
        if (!mkdtemp(tmpl))
            return NULL;
        dir = strdup(tmpl);
        if (!dir)
            return NULL;
        unit_defer(remove_dir, dir);
    }
    char *path = unit_alloc(strlen(dir) + strlen(name) + 2);
    sprintf(path, "%s/%s", dir, name);
    return path;
}

/* What the loop answers: stats a JSON line, a value "refused" an error. */
static void answer(Control *c, const ControlCommand *cmd, int client)
{
    if (cmd->kind == CONTROL_STATS)
        control_reply(c, client, "{\"frames\": 42,\n\"fps\": 30}");
    else if (!strcmp(cmd->value, "refused"))
        control_reply(c, client, "error: refused");
    else
        control_reply(c, client, "ok");
}

/* Deferred with the handle's address: a test may close it first. */
static void release_control(void *c)
{
    control_close((Control **)c);
}

/* rounds rounds of the live loop; the number of commands applied, or -1. */
static int pump(Control *c, int rounds, ControlCommand *last)
{
    int applied = 0;
    for (int i = 0; i < rounds; i++) {
        int client, r;
        char err[256];
        while ((r = control_poll(c, last, &client, err, sizeof(err))) == 1) {
            answer(c, last, client);
            applied++;
        }
        if (r < 0)
            return -1;
    }
    return applied;
}

static int dial(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void release_fd(void *p)
{
    int *fd = p;
    if (*fd >= 0)
        close(*fd);
}

static int *dial_kept(const char *path)
{
    int *fd = unit_alloc(sizeof(int));
    *fd = dial(path);
    unit_defer(release_fd, fd);
    return fd;
}

static int send_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

static int send_str(int fd, const char *s)
{
    return send_all(fd, s, strlen(s));
}

/* Reads answer lines that are there within wait_ms into buf (a line each,
 * "\n"-separated); the number of lines. */
static int read_answers(int fd, char *buf, size_t size, int wait_ms)
{
    size_t got = 0;
    struct pollfd p = { .fd = fd, .events = POLLIN };
    while (got + 1 < size && poll(&p, 1, wait_ms) > 0) {
        ssize_t n = recv(fd, buf + got, size - 1 - got, MSG_DONTWAIT);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    int lines = 0;
    for (size_t i = 0; i < got; i++)
        lines += buf[i] == '\n';
    return lines;
}

static int test_control_socket_raw(void)
{
    char *path = temp_path("s");
    CHECK(path, "no temporary directory");
    Control *c;
    char err[256];
    CHECK(control_open(&c, path, err, sizeof(err)) == 0, "%s", err);
    Control **keep = unit_alloc(sizeof(*keep));
    *keep = c;
    unit_defer(release_control, keep);
    struct stat st;
    CHECK(lstat(path, &st) == 0 && S_ISSOCK(st.st_mode), "no socket at %s", path);
    CHECK_INT(st.st_mode & 0777, 0600);
    ControlCommand *last = unit_alloc(sizeof(*last));
    char buf[4096];

    /* Several clients, each answered in its order. */
    int *a = dial_kept(path), *b = dial_kept(path), *d = dial_kept(path);
    CHECK(*a >= 0 && *b >= 0 && *d >= 0, "cannot connect: %s", strerror(errno));
    CHECK(!send_str(*a, "pause\nset threshold refused\nstats\n"), "send");
    CHECK(!send_str(*b, "bogus\nset background my beach.jpg\n"), "send");
    CHECK(!send_str(*d, "resume\r\n"), "send");
    CHECK_INT(pump(c, 2, last), 5);
    CHECK_INT(read_answers(*a, buf, sizeof(buf), 200), 3);
    CHECK(!strcmp(buf, "ok\nerror: refused\n{\"frames\": 42, \"fps\": 30}\n"), "a got '%s'", buf);
    CHECK_INT(read_answers(*b, buf, sizeof(buf), 200), 2);
    CHECK(!strncmp(buf, "error: unknown command 'bogus'", 30) && strstr(buf, "\nok\n"), "b got '%s'", buf);
    CHECK_INT(read_answers(*d, buf, sizeof(buf), 200), 1);
    CHECK(!strcmp(buf, "ok\n"), "d got '%s'", buf);

    /* A line split across two writes is one command. */
    CHECK(!send_str(*a, "set backgr"), "send");
    CHECK_INT(pump(c, 2, last), 0);
    CHECK_INT(read_answers(*a, buf, sizeof(buf), 50), 0);
    CHECK(!send_str(*a, "ound beach 2.jpg\n"), "send");
    CHECK_INT(pump(c, 1, last), 1);
    CHECK_INT(last->kind, CONTROL_SET_BACKGROUND);
    CHECK(!strcmp(last->value, "beach 2.jpg"), "value '%s'", last->value);
    CHECK_INT(read_answers(*a, buf, sizeof(buf), 200), 1);

    /* An over-long line: one error, its rest dropped, the next line fine;
     * the client stays connected. */
    char *longline = unit_alloc(3 * CONTROL_LINE_MAX);
    memset(longline, 'x', 3 * CONTROL_LINE_MAX - 1);
    longline[3 * CONTROL_LINE_MAX - 1] = '\n';
    CHECK(!send_all(*b, longline, 3 * CONTROL_LINE_MAX), "send");
    CHECK(!send_str(*b, "stats\n"), "send");
    CHECK_INT(pump(c, 4, last), 1);
    CHECK_INT(read_answers(*b, buf, sizeof(buf), 200), 2);
    CHECK(!strcmp(buf, "error: line longer than 4096 bytes\n{\"frames\": 42, \"fps\": 30}\n"), "b got '%s'", buf);

    /* A flood: the lines over the round's share are busy; every line has
     * its answer, in order; the client is served afterwards. */
    enum { FLOOD = 1000 };
    char *flood = unit_alloc(FLOOD * 11);
    for (int i = 0; i < FLOOD; i++)
        memcpy(flood + 11 * i, "set blur 3\n", 11);
    CHECK(!send_all(*d, flood, FLOOD * 11), "send");
    int applied = pump(c, 4, last);
    CHECK(applied >= CONTROL_ROUND_LINES && applied <= 4 * CONTROL_ROUND_LINES, "%d applied", applied);
    char *answers = unit_alloc(FLOOD * 16);
    int lines = read_answers(*d, answers, FLOOD * 16, 200);
    CHECK_INT(lines, FLOOD);
    int ok = 0, busy = 0;
    for (char *s = answers; *s; s = strchr(s, '\n') + 1) {
        if (!strncmp(s, "ok\n", 3))
            ok++;
        else if (!strncmp(s, "error: busy\n", 12))
            busy++;
        if (ok + busy <= CONTROL_ROUND_LINES)
            CHECK(!strncmp(s, "ok\n", 3), "answer %d of the flood is not ok", ok + busy);
    }
    CHECK_INT(ok, applied);
    CHECK_INT(ok + busy, FLOOD);
    CHECK(!send_str(*d, "stats\n"), "send");
    CHECK_INT(pump(c, 1, last), 1);
    CHECK_INT(read_answers(*d, buf, sizeof(buf), 200), 1);
    CHECK(buf[0] == '{', "d got '%s'", buf);

    /* A client gone with its command out: the late answer goes nowhere;
     * a half-closed client gets its answers, then is let go. */
    CHECK(!send_str(*a, "pause\n"), "send");
    ControlCommand *cmd = unit_alloc(sizeof(*cmd));
    int client;
    CHECK_INT(control_poll(c, cmd, &client, err, sizeof(err)), 1);
    close(*a);
    *a = -1;
    CHECK_INT(pump(c, 1, last), 0);
    control_reply(c, client, "ok");
    control_reply(c, 12345, "ok");
    CHECK(!send_str(*b, "quit"), "send");
    shutdown(*b, SHUT_WR);
    CHECK_INT(pump(c, 2, last), 1);
    CHECK_INT(last->kind, CONTROL_QUIT);
    CHECK_INT(read_answers(*b, buf, sizeof(buf), 200), 1);
    CHECK(!strcmp(buf, "ok\n"), "b got '%s'", buf);
    CHECK_INT(pump(c, 1, last), 0);
    CHECK_INT(recv(*b, buf, 1, MSG_DONTWAIT), 0); /* closed by the server */

    /* More clients than the server holds: the extra one is told busy. */
    int *many[CONTROL_MAX_CLIENTS + 1];
    for (int i = 0; i <= CONTROL_MAX_CLIENTS; i++) {
        many[i] = dial_kept(path);
        CHECK(*many[i] >= 0, "connect %d: %s", i, strerror(errno));
    }
    CHECK_INT(pump(c, 1, last), 0);
    int told = 0;
    for (int i = 0; i <= CONTROL_MAX_CLIENTS; i++)
        if (read_answers(*many[i], buf, sizeof(buf), 20) == 1 && !strcmp(buf, "error: busy (too many clients)\n"))
            told++;
    CHECK(told >= 1, "no client told busy");

    /* Close removes the socket file. */
    control_close(keep);
    CHECK(*keep == NULL, "handle kept");
    CHECK(lstat(path, &st) < 0 && errno == ENOENT, "%s left behind", path);
    return UNIT_PASS;
}

static int test_control_socket_paths(void)
{
    Control *c = NULL;
    char err[512];
    /* A regular file is refused and kept. */
    char *file = temp_path("file");
    CHECK(file, "no temporary directory");
    FILE *f = fopen(file, "w");
    CHECK(f && fputs("keep", f) >= 0 && fclose(f) == 0, "cannot write %s", file);
    CHECK(control_open(&c, file, err, sizeof(err)) == -1, "a regular file taken");
    CHECK(strstr(err, "exists and is not a socket") && strstr(err, file), "'%s'", err);
    struct stat st;
    CHECK(lstat(file, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 4, "the file was touched");

    /* A stale socket (bound, never listening, closed) is replaced. */
    char *stale = temp_path("stale");
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", stale);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0, "bind: %s", strerror(errno));
    close(fd);
    CHECK(control_open(&c, stale, err, sizeof(err)) == 0, "stale socket refused: %s", err);
    Control **keep = unit_alloc(sizeof(*keep));
    *keep = c;
    unit_defer(release_control, keep);

    /* A socket a live server listens on is refused, and stays. */
    Control *second = NULL;
    CHECK(control_open(&second, stale, err, sizeof(err)) == -1, "a live socket taken over");
    CHECK(strstr(err, "another process listens on it"), "'%s'", err);
    CHECK(second == NULL, "handle set on failure");
    CHECK_INT(pump(c, 1, &(ControlCommand){ 0 }), 0); /* the probe came and went */
    char answer_text[64];
    CHECK(ctl_request(stale, "stats", answer_text, sizeof(answer_text), 100, err, sizeof(err)) == -1,
          "answered without a loop");
    CHECK(strstr(err, "no answer within"), "'%s'", err);

    /* A path over the limit of sun_path; an empty one; a missing directory. */
    char longp[200];
    memset(longp, 'p', sizeof(longp) - 1);
    longp[0] = '/';
    longp[sizeof(longp) - 1] = '\0';
    CHECK(control_open(&second, longp, err, sizeof(err)) == -1, "long path taken");
    CHECK(strstr(err, "path longer than 107 bytes"), "'%s'", err);
    CHECK(control_open(&second, "", err, sizeof(err)) == -1, "empty path taken");
    CHECK(strstr(err, "empty path"), "'%s'", err);
    CHECK(control_open(&second, "/nonexistent-dir-bd/s", err, sizeof(err)) == -1, "missing directory taken");
    CHECK(strstr(err, "No such file"), "'%s'", err);

    /* The client on the same paths. */
    CHECK(ctl_request(file, "stats", answer_text, sizeof(answer_text), 100, err, sizeof(err)) == -1, "file");
    CHECK(strstr(err, "not a socket"), "'%s'", err);
    char *missing = temp_path("s");
    CHECK(ctl_request(missing, "stats", answer_text, sizeof(answer_text), 100, err, sizeof(err)) == -1, "missing");
    CHECK(strstr(err, "no control socket there"), "'%s'", err);
    /* A socket nobody listens on any more. */
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", missing);
    CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0, "bind: %s", strerror(errno));
    close(fd);
    CHECK(ctl_request(missing, "stats", answer_text, sizeof(answer_text), 100, err, sizeof(err)) == -1, "refused");
    CHECK(strstr(err, "connection refused"), "'%s'", err);
    unlink(missing);
    return UNIT_PASS;
}

/* The live loop on a thread, for the client that waits for its answer. */
typedef struct Served {
    Control *c;
    atomic_int stop;
    int failed;
    ControlCommand last;
} Served;

static void *serve(void *arg)
{
    Served *s = arg;
    while (!atomic_load(&s->stop)) {
        if (pump(s->c, 1, &s->last) < 0) {
            s->failed = 1;
            break;
        }
        usleep(1000);
    }
    return NULL;
}

/* Runs ctl with words; its status, its output in out. */
static int run_ctl(const char *const *words, int n, char *out, size_t size)
{
    char *argv[16];
    argv[0] = (char *)"ctl";
    for (int i = 0; i < n && i < 15; i++)
        argv[i + 1] = (char *)words[i];
    FILE *o = tmpfile(), *e = tmpfile();
    if (!o || !e)
        return -1;
    int status = ctl_run(n + 1, argv, o, e, 5000);
    rewind(o);
    rewind(e);
    size_t got = fread(out, 1, size - 1, o);
    got += fread(out + got, 1, size - 1 - got, e);
    out[got] = '\0';
    fclose(o);
    fclose(e);
    return status;
}

static int test_control_client(void)
{
    char *path = temp_path("s");
    CHECK(path, "no temporary directory");
    Served *s = unit_alloc(sizeof(*s));
    char err[256], out[512];
    CHECK(control_open(&s->c, path, err, sizeof(err)) == 0, "%s", err);
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, serve, s) == 0, "no thread");

    int status[8];
    char outs[8][512];
    status[0] = run_ctl((const char *[]){ path, "set", "background", "my", "beach.jpg" }, 5, outs[0], 512);
    status[1] = run_ctl((const char *[]){ path, "stats" }, 2, outs[1], 512);
    status[2] = run_ctl((const char *[]){ path, "set", "threshold", "refused" }, 4, outs[2], 512);
    status[3] = run_ctl((const char *[]){ path, "jump" }, 2, outs[3], 512);
    status[4] = run_ctl((const char *[]){ path }, 1, outs[4], 512);
    status[5] = run_ctl((const char *[]){ path, "set", "a\nb" }, 3, outs[5], 512);
    status[6] = run_ctl((const char *[]){ "--help" }, 1, outs[6], 512);
    status[7] = run_ctl((const char *[]){ path, "pause" }, 2, outs[7], 512);
    atomic_store(&s->stop, 1);
    pthread_join(thread, NULL);
    ControlCommand last = s->last;
    control_close(&s->c);
    CHECK(!s->failed, "the server failed");

    CHECK_INT(status[0], 0);
    CHECK(!strcmp(outs[0], "ok\n"), "'%s'", outs[0]);
    CHECK_INT(status[1], 0);
    CHECK(!strcmp(outs[1], "{\"frames\": 42, \"fps\": 30}\n"), "'%s'", outs[1]);
    CHECK_INT(status[2], 1);
    CHECK(!strcmp(outs[2], "error: refused\n"), "'%s'", outs[2]);
    CHECK_INT(status[3], 1);
    CHECK(!strncmp(outs[3], "error: unknown command 'jump'", 29), "'%s'", outs[3]);
    CHECK_INT(status[4], 2);
    CHECK(strstr(outs[4], "no command given") && strstr(outs[4], "usage: backdrop ctl"), "'%s'", outs[4]);
    CHECK_INT(status[5], 2);
    CHECK(strstr(outs[5], "a command is one line"), "'%s'", outs[5]);
    CHECK_INT(status[6], 0);
    CHECK(strstr(outs[6], "usage: backdrop ctl PATH COMMAND"), "'%s'", outs[6]);
    CHECK_INT(status[7], 0);
    CHECK_INT(last.kind, CONTROL_PAUSE);

    /* With the server gone. */
    CHECK_INT(run_ctl((const char *[]){ path, "stats" }, 2, out, sizeof(out)), 1);
    CHECK(strstr(out, "backdrop ctl: ") && strstr(out, "no control socket there"), "'%s'", out);
    CHECK_INT(run_ctl((const char *[]){ 0 }, 0, out, sizeof(out)), 2);
    CHECK(strstr(out, "no socket given"), "'%s'", out);
    return UNIT_PASS;
}

/* control_apply_option against a real context. */
static int test_control_apply_option(void)
{
    BackdropSettings s;
    backdrop_default_settings(&s);
    s.method = "framediff";
    BackdropContext *ctx = NULL;
    CHECK(backdrop_open(&ctx, &s) == 0, "open");
    ControlCommand cmd;
    char err[256];
    int ok = 1;
    char why[320] = "";
    if (control_parse("set threshold 9", &cmd, err, sizeof(err)) < 0 ||
        control_apply_option(ctx, &cmd, err, sizeof(err)) < 0) {
        ok = 0;
        snprintf(why, sizeof(why), "threshold 9: %s", err);
    }
    char value[32] = "";
    backdrop_get_option(ctx, "threshold", value, sizeof(value));
    int r1 = control_parse("set threshold 100000", &cmd, err, sizeof(err));
    int a1 = r1 == 0 ? control_apply_option(ctx, &cmd, err, sizeof(err)) : 0;
    char err1[256];
    snprintf(err1, sizeof(err1), "%s", err);
    int r2 = control_parse("set track-every 2", &cmd, err, sizeof(err));
    int a2 = r2 == 0 ? control_apply_option(ctx, &cmd, err, sizeof(err)) : 0;
    char err2[256];
    snprintf(err2, sizeof(err2), "%s", err);
    backdrop_close(&ctx);
    CHECK(ok, "%s", why);
    CHECK(!strcmp(value, "9"), "threshold is '%s'", value);
    CHECK(r1 == 0 && a1 == -1, "threshold 100000 taken");
    CHECK(!strncmp(err1, "error: threshold", 16) && strstr(err1, "range"), "'%s'", err1);
    /* Refused by the library (selfie's option, framediff runs), or already
     * by the parser in a build without selfie. */
    CHECK(r2 < 0 || a2 == -1, "selfie's track-every applied with framediff");
    CHECK(!strncmp(err2, "error: ", 7), "'%s'", err2);
    return UNIT_PASS;
}

const UnitTest control_tests[] = {
    UNIT_TEST(control_parse_commands),
    UNIT_TEST(control_parse_errors),
    UNIT_TEST(control_lines_split),
    UNIT_TEST(control_socket_raw),
    UNIT_TEST(control_socket_paths),
    UNIT_TEST(control_client),
    UNIT_TEST(control_apply_option),
    UNIT_TESTS_END
};
