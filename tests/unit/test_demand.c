/*
 * --on-demand's watcher (tools/demand.c): the fallback counter and the
 * fdinfo parser on made-up input, then the watcher on a real temporary
 * file opened by child processes (the watcher never counts its own
 * process, so the viewers must be others): read-only and read-write
 * openers are viewers, a write-only one is not, one that opened the file
 * before the watch began counts, closing ends it; waiting sleeps in the
 * kernel (no CPU) and wakes at an open.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "demand.h"
#include "suites.h"

/* ---------------------------------------------------------------------- */
/* The pure parts. */

static int test_demand_count_events(void)
{
    DemandCount c = { 0 };
    CHECK_INT(demand_count_viewers(&c), 0);
    demand_count_event(&c, IN_OPEN);
    demand_count_event(&c, IN_OPEN);
    CHECK_INT(demand_count_viewers(&c), 2);
    demand_count_event(&c, IN_CLOSE_NOWRITE); /* a read-only reader */
    CHECK_INT(demand_count_viewers(&c), 1);
    demand_count_event(&c, IN_CLOSE_WRITE);   /* an O_RDWR reader closes so too */
    CHECK_INT(demand_count_viewers(&c), 0);
    /* Closes of descriptors opened before the watch: never below zero,
     * and the next open counts from zero. */
    demand_count_event(&c, IN_CLOSE_NOWRITE);
    demand_count_event(&c, IN_CLOSE_WRITE);
    CHECK_INT(c.opens, 0);
    CHECK_INT(demand_count_viewers(&c), 0);
    demand_count_event(&c, IN_OPEN);
    CHECK_INT(demand_count_viewers(&c), 1);
    /* Other events (a write, attributes) change nothing; one record may
     * carry an open and a close (coalesced): they cancel. */
    demand_count_event(&c, IN_MODIFY);
    demand_count_event(&c, IN_ATTRIB);
    demand_count_event(&c, IN_Q_OVERFLOW);
    CHECK_INT(demand_count_viewers(&c), 1);
    demand_count_event(&c, IN_OPEN | IN_CLOSE_NOWRITE);
    CHECK_INT(demand_count_viewers(&c), 1);
    return UNIT_PASS;
}

static int test_demand_fdinfo_flags(void)
{
    CHECK_INT(demand_fdinfo_reader("pos:\t0\nflags:\t0100000\nmnt_id:\t22\nino:\t5\n"), 1);  /* O_RDONLY|O_LARGEFILE */
    CHECK_INT(demand_fdinfo_reader("pos:\t0\nflags:\t02004002\nmnt_id:\t22\n"), 1);          /* O_RDWR|O_NONBLOCK|O_CLOEXEC */
    CHECK_INT(demand_fdinfo_reader("pos:\t0\nflags:\t0100001\nmnt_id:\t22\n"), 0);           /* O_WRONLY */
    CHECK_INT(demand_fdinfo_reader("pos:\t0\nflags:\t02100001\n"), 0);
    CHECK_INT(demand_fdinfo_reader("flags: 0"), 1);
    CHECK_INT(demand_fdinfo_reader("pos:\t0\nmnt_id:\t22\n"), -1);
    CHECK_INT(demand_fdinfo_reader("flags:\tzz\n"), -1);
    CHECK_INT(demand_fdinfo_reader("flags:\t0109\n"), -1);
    CHECK_INT(demand_fdinfo_reader("xflags:\t0\n"), -1);
    CHECK_INT(demand_fdinfo_reader(""), -1);
    return UNIT_PASS;
}

/* ---------------------------------------------------------------------- */
/* The watcher on a real file. */

static void remove_file(void *path)
{
    unlink(path);
    free(path);
}

static char *temp_file(void)
{
    char tmpl[] = "/tmp/bddemand-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0)
        return NULL;
    close(fd);
    char *path = strdup(tmpl);
    if (path)
        unit_defer(remove_file, path);
    return path;
}

/* A child process holding the file open with flags until released. */
typedef struct Opener {
    pid_t pid;
    int release; /* closing it ends the child */
} Opener;

static void end_opener(void *p)
{
    Opener *o = p;
    if (o->release >= 0)
        close(o->release);
    o->release = -1;
    if (o->pid > 0)
        waitpid(o->pid, NULL, 0);
    o->pid = 0;
}

/* Starts the child and waits until it has the file open: 0, or -1. */
static int start_opener(Opener *o, const char *path, int flags)
{
    int ready[2], hold[2];
    o->pid = 0;
    o->release = -1;
    if (pipe(ready) < 0)
        return -1;
    if (pipe(hold) < 0) {
        close(ready[0]);
        close(ready[1]);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* Only its own pipe ends: an earlier child's release end, inherited
         * here, would keep that child from seeing its release. */
        for (int fd = 3; fd < 1024; fd++)
            if (fd != ready[1] && fd != hold[0])
                close(fd);
        int fd = open(path, flags);
        char ok = fd >= 0 ? 'y' : 'n', c;
        if (write(ready[1], &ok, 1) != 1)
            _exit(1);
        while (read(hold[0], &c, 1) > 0)
            ;
        if (fd >= 0)
            close(fd);
        _exit(0);
    }
    close(ready[1]);
    close(hold[0]);
    o->pid = pid;
    o->release = hold[1];
    unit_defer(end_opener, o);
    char ok = 'n';
    ssize_t n = read(ready[0], &ok, 1);
    close(ready[0]);
    return n == 1 && ok == 'y' ? 0 : -1;
}

static void release_demand(void *p)
{
    demand_close((Demand **)p);
    free(p);
}

static Demand **watch(const char *path)
{
    char err[512];
    Demand **d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    unit_defer(release_demand, d);
    if (demand_open(d, path, err, sizeof(err)) < 0) {
        fprintf(stderr, "demand_open: %s\n", err);
        return NULL;
    }
    return d;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Waits (on the watch) until the count is want, for up to 3 s; the count
 * last seen. */
static int settle(Demand *d, int want)
{
    char err[512];
    double end = now() + 3;
    int n = -1;
    do {
        n = demand_wait(d, 100, err, sizeof(err));
        if (n < 0) {
            fprintf(stderr, "demand_wait: %s\n", err);
            return -1;
        }
    } while (n != want && now() < end);
    return n;
}

static int test_demand_watch_readers(void)
{
    char *path = temp_file();
    CHECK(path, "no temporary file");
    Demand **d = watch(path);
    CHECK(d, "cannot watch %s", path);
    CHECK(demand_counts_processes(*d), "/proc could not be read");
    char err[512];
    CHECK_INT(demand_poll(*d, err, sizeof(err)), 0);

    Opener *reader = unit_alloc(sizeof(*reader));
    CHECK(start_opener(reader, path, O_RDONLY) == 0, "the child cannot open %s", path);
    CHECK_INT(settle(*d, 1), 1);
    Opener *both = unit_alloc(sizeof(*both));
    CHECK(start_opener(both, path, O_RDWR) == 0, "the child cannot open %s", path);
    CHECK_INT(settle(*d, 2), 2);
    end_opener(reader);
    CHECK_INT(settle(*d, 1), 1);
    end_opener(both);
    CHECK_INT(settle(*d, 0), 0);
    /* Nothing happens now: the count stays. */
    CHECK_INT(demand_wait(*d, 150, err, sizeof(err)), 0);
    return UNIT_PASS;
}

static int test_demand_watch_writer_not_viewer(void)
{
    char *path = temp_file();
    CHECK(path, "no temporary file");
    Demand **d = watch(path);
    CHECK(d, "cannot watch %s", path);
    Opener *writer = unit_alloc(sizeof(*writer));
    CHECK(start_opener(writer, path, O_WRONLY) == 0, "the child cannot open %s", path);
    /* Its open wakes the watch; the count after the settle time is 0. */
    char err[512];
    double end = now() + 0.5;
    int n;
    while ((n = demand_wait(*d, 50, err, sizeof(err))) == 0 && now() < end)
        ;
    CHECK_INT(n, 0);
    /* A reader next to it is one viewer, not two. */
    Opener *reader = unit_alloc(sizeof(*reader));
    CHECK(start_opener(reader, path, O_RDONLY) == 0, "the child cannot open %s", path);
    CHECK_INT(settle(*d, 1), 1);
    end = now() + 0.5;
    while (now() < end)
        CHECK_INT(demand_wait(*d, 50, err, sizeof(err)), 1);
    return UNIT_PASS;
}

static int test_demand_watch_own_and_earlier(void)
{
    char *path = temp_file();
    CHECK(path, "no temporary file");
    /* A viewer from before the watch is counted at once. */
    Opener *early = unit_alloc(sizeof(*early));
    CHECK(start_opener(early, path, O_RDONLY) == 0, "the child cannot open %s", path);
    Demand **d = watch(path);
    CHECK(d, "cannot watch %s", path);
    char err[512];
    CHECK_INT(demand_poll(*d, err, sizeof(err)), 1);
    end_opener(early);
    CHECK_INT(settle(*d, 0), 0);
    /* Our own descriptors, reading or not, are no viewers. */
    int own = open(path, O_RDONLY | O_CLOEXEC), own2 = open(path, O_RDWR | O_CLOEXEC);
    CHECK(own >= 0 && own2 >= 0, "cannot open %s", path);
    double end = now() + 0.4;
    int n = 0;
    while (n == 0 && now() < end)
        n = demand_wait(*d, 50, err, sizeof(err));
    close(own);
    close(own2);
    CHECK_INT(n, 0);
    int scanned = -1;
    CHECK_INT(demand_scan(path, getpid(), &scanned), 0);
    CHECK_INT(scanned, 0);
    return UNIT_PASS;
}

static double cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec * 1e-6;
}

static int test_demand_wait_sleeps(void)
{
    char *path = temp_file();
    CHECK(path, "no temporary file");
    Demand **d = watch(path);
    CHECK(d, "cannot watch %s", path);
    char err[512];
    /* Nothing happens: the whole timeout passes, asleep. */
    double t0 = now(), c0 = cpu_now();
    CHECK_INT(demand_wait(*d, 400, err, sizeof(err)), 0);
    double waited = now() - t0, cpu = cpu_now() - c0;
    CHECK(waited >= 0.39, "demand_wait(400 ms) returned after %.3f s", waited);
    CHECK(cpu < 0.1 * waited, "waiting used %.3f s of CPU in %.3f s", cpu, waited);
    /* An open ends a long wait early, and its count follows within the
     * settle time. */
    Opener *reader = unit_alloc(sizeof(*reader));
    CHECK(start_opener(reader, path, O_RDONLY) == 0, "the child cannot open %s", path);
    t0 = now();
    int n = demand_wait(*d, 5000, err, sizeof(err));
    if (n == 0)
        n = demand_wait(*d, 5000, err, sizeof(err));
    double took = now() - t0;
    CHECK_INT(n, 1);
    CHECK(took < 1.0, "the open was seen after %.3f s", took);
    return UNIT_PASS;
}

static int test_demand_errors(void)
{
    char err[512] = "";
    Demand *d = NULL;
    CHECK_INT(demand_open(&d, "/nonexistent/bd-demand", err, sizeof(err)), -1);
    CHECK(d == NULL, "a watcher for a missing path");
    CHECK(strstr(err, "/nonexistent/bd-demand") && strstr(err, "No such file"), "message: %s", err);
    /* The watched file removed: an error, not a silent idle forever. */
    char *path = temp_file();
    CHECK(path, "no temporary file");
    Demand **w = watch(path);
    CHECK(w, "cannot watch %s", path);
    CHECK(unlink(path) == 0, "cannot remove %s", path);
    int n = 0;
    double end = now() + 2;
    while (n >= 0 && now() < end)
        n = demand_wait(*w, 100, err, sizeof(err));
    CHECK_INT(n, -1);
    CHECK(strstr(err, path) && strstr(err, "went away"), "message: %s", err);
    demand_close(NULL);
    return UNIT_PASS;
}

const UnitTest demand_tests[] = {
    UNIT_TEST(demand_count_events),
    UNIT_TEST(demand_fdinfo_flags),
    UNIT_TEST(demand_watch_readers),
    UNIT_TEST(demand_watch_writer_not_viewer),
    UNIT_TEST(demand_watch_own_and_earlier),
    UNIT_TEST(demand_wait_sleeps),
    UNIT_TEST(demand_errors),
    UNIT_TESTS_END
};
