/*
 * --on-demand: whether some other process has one path (the virtual
 * camera's device node) open for reading, watched without a thread and
 * without spending CPU while nothing happens.
 *
 * How (see doc/architecture.md, "On demand"):
 *  - inotify on the path (IN_OPEN, IN_CLOSE_WRITE, IN_CLOSE_NOWRITE) is the
 *    wake-up: the kernel queues an event on every open and close of the
 *    node, so an idle run sleeps in poll() on the inotify descriptor;
 *  - the number of viewers is then counted from /proc, a short settle time
 *    (DEMAND_SETTLE_MS) after the first event of a burst: every descriptor
 *    of every other process that names the same file (device number and
 *    inode; for a device node, its rdev) and whose access mode
 *    (/proc/PID/fdinfo/N "flags") is read-only or read-write. So our own
 *    descriptors never count (our pid is skipped), a process that has it
 *    open for writing only (another producer, v4l2-ctl) is no viewer, and
 *    a viewer that opened it before we started is counted too;
 *  - without a readable /proc the count falls back to the inotify events
 *    themselves (DemandCount: opens minus closes, our own opens excluded,
 *    never below zero), with the weaknesses that come with it (below).
 *
 * Limits: processes whose /proc/PID/fd we may not read (other users', unless
 * we are root) are not seen; a scan reads every process's descriptor list
 * (a few milliseconds on a desktop), once per burst of opens and closes,
 * never per frame. The fallback counter cannot tell a reader's open from a
 * writer's (IN_OPEN has no mode; an O_RDWR reader closes with
 * IN_CLOSE_WRITE), misses descriptors opened before the watch (their
 * closes are ignored, which is what keeps the count from going negative,
 * so it may then undercount) and double-counts nothing but can drift when
 * descriptors are passed between processes (fork, SCM_RIGHTS).
 *
 * Errors: -1 with a one-line message in err naming the path.
 */
#ifndef BACKDROP_TOOLS_DEMAND_H
#define BACKDROP_TOOLS_DEMAND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* After the first open or close of a burst, the count is taken this much
 * later: a burst of probes (an application listing cameras opens and closes
 * each one) is counted once, and an opener's descriptor is in its table by
 * then (IN_OPEN is queued just before the descriptor is installed). */
#define DEMAND_SETTLE_MS 50

/* ---------------------------------------------------------------------- */
/* The pure parts (no I/O), unit-tested. */

/* The fallback counter of inotify events. Invariant: opens >= 0 (a close
 * with nothing open was opened before the watch began and is ignored).
 * Our own descriptor on the path is opened before the watch begins, so
 * none of its events are counted. */
typedef struct DemandCount {
    int opens; /* opens seen minus closes seen, never below 0: the viewers */
} DemandCount;

/* One inotify event's mask (IN_OPEN, IN_CLOSE_WRITE, IN_CLOSE_NOWRITE;
 * anything else is ignored). */
void demand_count_event(DemandCount *c, uint32_t mask);
int demand_count_viewers(const DemandCount *c);

/* Whether the text of a /proc/PID/fdinfo/N file describes a descriptor open
 * for reading (read-only or read-write): 1, 0 (write-only), or -1 when it
 * has no "flags:" line in octal. */
int demand_fdinfo_reader(const char *text);

/* ---------------------------------------------------------------------- */
/* The watcher. */

typedef struct Demand Demand;

/* Watches path (it must exist) and counts its viewers once at once.
 * Returns 0, or -1 with err. */
int demand_open(Demand **d, const char *path, char *err, size_t errlen);

/* Never blocks: takes the events queued since the last call and counts
 * again when a settle time has passed. Returns the viewers (>= 0), or -1
 * with err (the path was removed or the inotify descriptor failed). */
int demand_poll(Demand *d, char *err, size_t errlen);

/* Sleeps in poll() on the inotify descriptor until an open or close, a
 * pending count falls due, a signal arrives, or timeout_ms (< 0: no
 * limit) has passed; then demand_poll(). */
int demand_wait(Demand *d, int timeout_ms, char *err, size_t errlen);

/* How the last count was taken: 1 from /proc, 0 from the events alone. */
int demand_counts_processes(const Demand *d);

/* Stops watching and frees. Accepts NULL and a pointer to NULL. */
void demand_close(Demand **d);

/* The /proc count alone, for the tests: descriptors of processes other
 * than self that have the file at path open for reading, into *viewers.
 * Returns 0, or -1 when /proc cannot be read at all. */
int demand_scan(const char *path, pid_t self, int *viewers);

#endif
