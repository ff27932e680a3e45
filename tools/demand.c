/* Watching a path for viewers (--on-demand); see demand.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "demand.h"
#include "message.h"

/* ---------------------------------------------------------------------- */
/* The pure parts. */

void demand_count_event(DemandCount *c, uint32_t mask)
{
    if (mask & IN_OPEN)
        c->opens++;
    /* A close of a descriptor opened before the watch began has no open
     * here: ignored, so that opens never goes below zero. */
    if ((mask & (IN_CLOSE_WRITE | IN_CLOSE_NOWRITE)) && c->opens > 0)
        c->opens--;
}

int demand_count_viewers(const DemandCount *c)
{
    return c->opens;
}

int demand_fdinfo_reader(const char *text)
{
    /* "flags:\t0100002": the open flags in octal; O_ACCMODE's bits say
     * read-only (0), write-only (1) or read-write (2). */
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, "flags:", 6))
            continue;
        const char *p = line + 6;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p < '0' || *p > '7')
            return -1;
        char *end;
        errno = 0;
        unsigned long flags = strtoul(p, &end, 8);
        if (errno || (*end && *end != '\n' && *end != ' ' && *end != '\t'))
            return -1;
        int mode = (int)(flags & O_ACCMODE);
        return mode == O_RDONLY || mode == O_RDWR;
    }
    return -1;
}

/* ---------------------------------------------------------------------- */
/* Counting from /proc. */

/* The same file: for a device node the device it stands for (another node
 * of the same device counts too), else the same inode. */
static int same_file(const struct stat *a, const struct stat *b)
{
    if (S_ISCHR(a->st_mode) || S_ISBLK(a->st_mode))
        return (a->st_mode & S_IFMT) == (b->st_mode & S_IFMT) && a->st_rdev == b->st_rdev;
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Whether /proc/PID/fdinfo/FD says the descriptor reads; 0 when it is gone
 * or unreadable. */
static int fd_reads(const char *pid, const char *fd)
{
    char path[600], text[1024]; /* two names of a directory (at most 255 bytes each) */
    snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid, fd);
    int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0)
        return 0;
    ssize_t n = read(f, text, sizeof(text) - 1);
    close(f);
    if (n <= 0)
        return 0;
    text[n] = '\0';
    return demand_fdinfo_reader(text) == 1;
}

/* Counts the reading descriptors on the file target (resolved name: what
 * /proc's links show) of every process but self. A process that exits or
 * whose descriptors we may not read meanwhile is passed over. */
static int scan_processes(const char *resolved, const struct stat *target, pid_t self, int *viewers)
{
    DIR *proc = opendir("/proc");
    if (!proc)
        return -1;
    int count = 0;
    struct dirent *de;
    while ((de = readdir(proc))) {
        const char *pid = de->d_name;
        if (!*pid || strspn(pid, "0123456789") != strlen(pid) || atol(pid) == (long)self)
            continue;
        char path[300];
        snprintf(path, sizeof(path), "/proc/%s/fd", pid);
        int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
            continue; /* gone, or another user's */
        DIR *fds = fdopendir(dfd);
        if (!fds) {
            close(dfd);
            continue;
        }
        struct dirent *fe;
        while ((fe = readdir(fds))) {
            if (fe->d_name[0] == '.')
                continue;
            /* The link's text first: cheap, and it never touches the file
             * (a stat of every descriptor could wait on a slow mount). */
            char link[PATH_MAX];
            ssize_t n = readlinkat(dfd, fe->d_name, link, sizeof(link) - 1);
            if (n <= 0)
                continue;
            link[n] = '\0';
            struct stat st;
            if (strcmp(link, resolved) || fstatat(dfd, fe->d_name, &st, 0) != 0 || !same_file(&st, target))
                continue;
            count += fd_reads(pid, fe->d_name);
        }
        closedir(fds);
    }
    closedir(proc);
    *viewers = count;
    return 0;
}

int demand_scan(const char *path, pid_t self, int *viewers)
{
    char resolved[PATH_MAX];
    struct stat st;
    if (!realpath(path, resolved) || stat(resolved, &st) != 0)
        return -1;
    return scan_processes(resolved, &st, self, viewers);
}

/* ---------------------------------------------------------------------- */
/* The watcher. */

struct Demand {
    char *path;              /* as given, for messages */
    char resolved[PATH_MAX]; /* what /proc's links name */
    struct stat target;
    int fd;                  /* inotify, non-blocking */
    int use_proc;            /* /proc could be read at the start */
    DemandCount count;       /* the events, for the fallback */
    int pending;             /* events came; a count is due at due_ms */
    int64_t due_ms;
    int viewers;             /* the last count */
};

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int count_now(Demand *d)
{
    int n;
    if (d->use_proc && scan_processes(d->resolved, &d->target, getpid(), &n) == 0)
        d->viewers = n;
    else
        d->viewers = demand_count_viewers(&d->count);
    d->pending = 0;
    return d->viewers;
}

int demand_open(Demand **out, const char *path, char *err, size_t errlen)
{
    *out = NULL;
    Demand *d = calloc(1, sizeof(*d));
    if (!d || !(d->path = strdup(path))) {
        free(d);
        return message_set(err, errlen, "out of memory"), -1;
    }
    d->fd = -1;
    if (!realpath(path, d->resolved) || stat(d->resolved, &d->target) != 0) {
        message_set(err, errlen, "--on-demand: cannot watch %s: %s", path, strerror(errno));
        demand_close(&d);
        return -1;
    }
    /* The watch before the first count: an open between the two is then
     * an event, not lost. */
    d->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (d->fd < 0 || inotify_add_watch(d->fd, d->resolved, IN_OPEN | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE) < 0) {
        message_set(err, errlen, "--on-demand: cannot watch %s: %s", path, strerror(errno));
        demand_close(&d);
        return -1;
    }
    int n;
    d->use_proc = scan_processes(d->resolved, &d->target, getpid(), &n) == 0;
    count_now(d);
    *out = d;
    return 0;
}

int demand_poll(Demand *d, char *err, size_t errlen)
{
    /* inotify's records, aligned as the kernel writes them. */
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t n = read(d->fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n <= 0)
            return message_set(err, errlen, "--on-demand: watching %s failed: %s", d->path,
                               n < 0 ? strerror(errno) : "end of events"), -1;
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_UNMOUNT))
                return message_set(err, errlen, "--on-demand: %s went away (the device was removed?)",
                                   d->path), -1;
            demand_count_event(&d->count, ev->mask);
            /* Overflow: events were lost; the /proc count does not need
             * them, the fallback has to live with it. */
            if (!d->pending) {
                d->pending = 1;
                d->due_ms = monotonic_ms() + DEMAND_SETTLE_MS;
            }
            p += sizeof(struct inotify_event) + ev->len;
        }
    }
    if (d->pending && monotonic_ms() >= d->due_ms)
        count_now(d);
    return d->viewers;
}

int demand_wait(Demand *d, int timeout_ms, char *err, size_t errlen)
{
    if (d->pending) {
        int64_t left = d->due_ms - monotonic_ms();
        if (left < 0)
            left = 0;
        if (timeout_ms < 0 || left < timeout_ms)
            timeout_ms = (int)left;
    }
    struct pollfd p = { .fd = d->fd, .events = POLLIN };
    /* A signal ends the wait early (EINTR): the caller looks at it. */
    if (poll(&p, 1, timeout_ms) < 0 && errno != EINTR)
        return message_set(err, errlen, "--on-demand: watching %s failed: %s", d->path, strerror(errno)), -1;
    return demand_poll(d, err, errlen);
}

int demand_counts_processes(const Demand *d)
{
    return d->use_proc;
}

void demand_close(Demand **pd)
{
    if (!pd || !*pd)
        return;
    Demand *d = *pd;
    if (d->fd >= 0)
        close(d->fd); /* removes the watch */
    free(d->path);
    free(d);
    *pd = NULL;
}
