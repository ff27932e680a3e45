/*
 * backdrop ctl PATH COMMAND...: one command line to a running backdrop's
 * control socket (control.h), its answer printed.
 */
#include "ctl.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "message.h"

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ctl_request(const char *path, const char *line, char *answer, size_t size, int timeout_ms,
                char *err, size_t errlen)
{
    if (errlen)
        err[0] = '\0';
    if (size)
        answer[0] = '\0';
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(addr.sun_path)) {
        message_set(err, errlen, "%s: path longer than %zu bytes, the limit of a UNIX socket address", path,
                    sizeof(addr.sun_path) - 1);
        return -1;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);
    struct stat st;
    if (stat(path, &st) < 0) {
        if (errno == ENOENT)
            message_set(err, errlen, "%s: no control socket there (is backdrop running with --control %s?)", path, path);
        else
            message_set(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISSOCK(st.st_mode)) {
        message_set(err, errlen, "%s: not a socket", path);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        message_set(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        if (errno == ECONNREFUSED)
            message_set(err, errlen, "%s: connection refused (nothing listens: the run ended?)", path);
        else
            message_set(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    /* The line and its "\n" in one buffer, sent whole. */
    size_t n = strlen(line);
    char buf[CONTROL_LINE_MAX + 2];
    if (n > CONTROL_LINE_MAX) {
        message_set(err, errlen, "the command is longer than %d bytes", CONTROL_LINE_MAX);
        close(fd);
        return -1;
    }
    memcpy(buf, line, n);
    buf[n++] = '\n';
    for (size_t sent = 0; sent < n; ) {
        ssize_t w = send(fd, buf + sent, n - sent, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            message_set(err, errlen, "%s: cannot send: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        sent += (size_t)w;
    }
    /* The answer: bytes up to the first "\n", kept as far as answer holds. */
    size_t got = 0;
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        long long left = deadline - now_ms();
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int r = left > 0 ? poll(&p, 1, (int)left) : 0;
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0) {
            message_set(err, errlen, "%s: no answer within %d s", path, timeout_ms / 1000);
            close(fd);
            return -1;
        }
        char ch[512];
        ssize_t k = r > 0 ? recv(fd, ch, sizeof(ch), 0) : -1;
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k < 0)
                message_set(err, errlen, "%s: %s", path, strerror(errno));
            else
                message_set(err, errlen, "%s: the connection closed without an answer", path);
            close(fd);
            return -1;
        }
        for (ssize_t i = 0; i < k; i++) {
            if (ch[i] == '\n') {
                if (size)
                    answer[got < size ? got : size - 1] = '\0';
                close(fd);
                return 0;
            }
            if (got + 1 < size)
                answer[got++] = ch[i];
        }
    }
}

static int usage(FILE *f, int status)
{
    fprintf(f, "usage: backdrop ctl PATH COMMAND...\n"
               "  commands: set background VALUE | set blur N | set method NAME | set OPTION VALUE |\n"
               "            pause | resume | stats | quit\n");
    return status;
}

int ctl_run(int argc, char **argv, FILE *out, FILE *errf, int timeout_ms)
{
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
        return usage(out, 0);
    if (argc < 3) {
        fprintf(errf, "backdrop ctl: %s\n", argc < 2 ? "no socket given" : "no command given");
        return usage(errf, 2);
    }
    char line[CONTROL_LINE_MAX + 1];
    size_t len = 0;
    for (int i = 2; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (strpbrk(argv[i], "\r\n")) {
            fprintf(errf, "backdrop ctl: a command is one line: word %d holds a line break\n", i - 1);
            return 2;
        }
        if (len + (i > 2) + n > CONTROL_LINE_MAX) {
            fprintf(errf, "backdrop ctl: the command is longer than %d bytes\n", CONTROL_LINE_MAX);
            return 2;
        }
        if (i > 2)
            line[len++] = ' ';
        memcpy(line + len, argv[i], n);
        len += n;
    }
    line[len] = '\0';
    char answer[CONTROL_OUTPUT_MAX];
    char err[MESSAGE_MAX];
    if (ctl_request(argv[1], line, answer, sizeof(answer), timeout_ms, err, sizeof(err)) < 0) {
        fprintf(errf, "backdrop ctl: %s\n", err);
        return 1;
    }
    if (!strncmp(answer, "error", 5)) {
        fprintf(errf, "%s\n", answer);
        return 1;
    }
    fprintf(out, "%s\n", answer);
    return 0;
}

int ctl_main(int argc, char **argv)
{
    return ctl_run(argc, argv, stdout, stderr, CTL_TIMEOUT_MS);
}
