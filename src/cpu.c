/*
 * How many CPUs this process may use.
 *
 * Not the machine's online CPUs: a process may be pinned to fewer (taskset,
 * a cpuset cgroup), which its affinity mask shows, or be granted less CPU
 * time than its mask spans (a container started with --cpus 2 on a 64-core
 * host sees all 64 CPUs but is throttled to two CPUs' worth of time per
 * period), which only the cgroup's bandwidth settings show:
 *   cgroup v2  cpu.max               "<quota> <period>" or "max <period>"
 *   cgroup v1  cpu.cfs_quota_us      microseconds per period, -1 = none
 *              cpu.cfs_period_us
 * The limit of a cgroup also binds its descendants, so the tightest one
 * from the process's cgroup up to the root of the mount counts. Inside a
 * container the paths in /proc/self/cgroup may be the host's and not exist
 * below the container's mount; then the mount's root, which is the
 * container's own cgroup, is what limits it.
 *
 * A quota that buys a fraction of a CPU counts as a whole one (1.5 CPUs
 * run two threads at three quarters of the time each, which still beats
 * one thread). Unreadable or malformed files mean "no limit": a wrong
 * guess there costs only what the affinity count allows anyway.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* Longer contents than these files ever hold are not theirs. */
#define SMALL_FILE 256
/* /proc/self/cgroup: one line per v1 hierarchy plus the v2 one. */
#define CGROUP_LIST 8192
#define PATH_LEN 4096

/* Reads a whole small file into buf as a string; 0 on success, -1 when it
 * cannot be read or does not fit. */
static int read_text(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, size, f);
    int bad = ferror(f) || n == size;
    fclose(f);
    if (bad)
        return -1;
    buf[n] = '\0';
    return 0;
}

/* A decimal number made of digits only, at most a few spaces or one
 * newline around it; 0 on success. */
static int parse_count(const char *s, const char **end, unsigned long long *value)
{
    while (*s == ' ' || *s == '\t')
        s++;
    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *stop;
    *value = strtoull(s, &stop, 10);
    if (errno == ERANGE)
        return -1;
    *end = stop;
    return 0;
}

/* Nothing but blanks and newlines left. */
static int only_space(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n')
        s++;
    return *s == '\0';
}

/* ceil(quota / period) CPUs, at most INT_MAX; both are positive. */
static int cpus_of_quota(unsigned long long quota, unsigned long long period)
{
    unsigned long long cpus = quota / period + (quota % period != 0);
    return cpus > INT_MAX ? INT_MAX : (int)cpus;
}

int bd_cgroup2_cpu_limit(const char *cpu_max)
{
    if (!cpu_max)
        return 0;
    const char *s = cpu_max;
    while (*s == ' ' || *s == '\t')
        s++;
    if (!strncmp(s, "max", 3))
        return 0;
    unsigned long long quota, period;
    if (parse_count(s, &s, &quota) < 0 || (*s != ' ' && *s != '\t') ||
        parse_count(s, &s, &period) < 0 || !only_space(s) || quota == 0 || period == 0)
        return 0;
    return cpus_of_quota(quota, period);
}

int bd_cgroup1_cpu_limit(const char *quota_us, const char *period_us)
{
    if (!quota_us || !period_us)
        return 0;
    /* -1 (any negative value, as the kernel reads it) is "no limit". */
    const char *q = quota_us;
    while (*q == ' ' || *q == '\t')
        q++;
    if (*q == '-')
        return 0;
    unsigned long long quota, period;
    const char *end;
    if (parse_count(quota_us, &end, &quota) < 0 || !only_space(end) ||
        parse_count(period_us, &end, &period) < 0 || !only_space(end) || quota == 0 || period == 0)
        return 0;
    return cpus_of_quota(quota, period);
}

/* The tighter of two limits, where 0 is none. */
static int tighter(int a, int b)
{
    if (!a)
        return b;
    return b && b < a ? b : a;
}

/* The limit set in one cgroup directory, 0 if none. */
static int limit_in(const char *dir, int v1)
{
    char path[PATH_LEN], text[SMALL_FILE], period[SMALL_FILE];
    if (!v1) {
        if (snprintf(path, sizeof(path), "%s/cpu.max", dir) >= (int)sizeof(path) ||
            read_text(path, text, sizeof(text)) < 0)
            return 0;
        return bd_cgroup2_cpu_limit(text);
    }
    if (snprintf(path, sizeof(path), "%s/cpu.cfs_quota_us", dir) >= (int)sizeof(path) ||
        read_text(path, text, sizeof(text)) < 0)
        return 0;
    if (snprintf(path, sizeof(path), "%s/cpu.cfs_period_us", dir) >= (int)sizeof(path) ||
        read_text(path, period, sizeof(period)) < 0)
        return 0;
    return bd_cgroup1_cpu_limit(text, period);
}

static int is_directory(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The tightest limit from the cgroup 'path' (absolute within the
 * hierarchy, NULL if unknown) up to the hierarchy's root mounted at
 * 'mount'; only the mount's root when path is not below it. */
static int hierarchy_limit(const char *mount, const char *path, int v1)
{
    char dir[PATH_LEN];
    size_t mount_len = strlen(mount);
    if (!path || snprintf(dir, sizeof(dir), "%s%s", mount, path) >= (int)sizeof(dir) ||
        !is_directory(dir))
        return limit_in(mount, v1);
    /* Trailing slashes would make the walk below look at one level twice. */
    size_t len = strlen(dir);
    while (len > mount_len && dir[len - 1] == '/')
        dir[--len] = '\0';
    int limit = 0;
    for (;;) {
        limit = tighter(limit, limit_in(dir, v1));
        if (len <= mount_len)
            return limit;
        while (len > mount_len && dir[len - 1] != '/')
            len--;
        while (len > mount_len && dir[len - 1] == '/')
            len--;
        dir[len] = '\0';
    }
}

/* 1 when a comma-separated controller list of length n names "cpu". */
static int names_cpu(const char *list, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && list[j] != ',')
            j++;
        if (j - i == 3 && !strncmp(list + i, "cpu", 3))
            return 1;
        i = j + 1;
    }
    return 0;
}

int bd_cgroup_cpu_limit(const char *proc_cgroup, const char *root)
{
    char list[CGROUP_LIST];
    char v2_path[PATH_LEN] = "", v1_path[PATH_LEN] = "", v1_mount[PATH_LEN] = "";
    int have_v2 = 0, have_v1 = 0;
    if (!root)
        return 0;
    /* Lines "<id>:<controllers>:<path>"; the v2 line has no controllers. */
    if (proc_cgroup && read_text(proc_cgroup, list, sizeof(list)) == 0) {
        for (char *line = list, *next; *line; line = next) {
            next = strchr(line, '\n');
            if (next)
                *next++ = '\0';
            else
                next = line + strlen(line);
            char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
            if (!c2 || c2[1] != '/')
                continue;
            size_t names = (size_t)(c2 - c1 - 1);
            if (names == 0 && !have_v2) {
                have_v2 = snprintf(v2_path, sizeof(v2_path), "%s", c2 + 1) < (int)sizeof(v2_path);
            } else if (names_cpu(c1 + 1, names) && !have_v1) {
                have_v1 = snprintf(v1_path, sizeof(v1_path), "%s", c2 + 1) < (int)sizeof(v1_path) &&
                          snprintf(v1_mount, sizeof(v1_mount), "%s/%.*s", root, (int)names, c1 + 1) <
                              (int)sizeof(v1_mount);
            }
        }
    }
    int limit = hierarchy_limit(root, have_v2 ? v2_path : NULL, 0);
    /* v1 mounts the cpu controller under the name of its hierarchy's
     * controller list ("cpu,cpuacct", usually with a "cpu" link to it). */
    char cpu_mount[PATH_LEN];
    snprintf(cpu_mount, sizeof(cpu_mount), "%s/cpu", root);
    const char *mount = have_v1 && is_directory(v1_mount) ? v1_mount : cpu_mount;
    if (is_directory(mount))
        limit = tighter(limit, hierarchy_limit(mount, have_v1 ? v1_path : NULL, 1));
    return limit;
}

/* CPUs in the calling thread's affinity mask (which the threads it creates
 * inherit), or the online CPUs when the mask cannot be read. */
static int affinity_count(void)
{
    /* The kernel refuses a mask smaller than its own (EINVAL): grow until
     * it fits, up to far more CPUs than any machine has. */
    for (int cpus = 1024; cpus <= (1 << 20); cpus *= 2) {
        cpu_set_t *set = CPU_ALLOC((size_t)cpus);
        if (!set)
            break;
        size_t size = CPU_ALLOC_SIZE((size_t)cpus);
        int ok = sched_getaffinity(0, size, set) == 0, err = errno;
        int count = ok ? CPU_COUNT_S(size, set) : 0;
        CPU_FREE(set);
        if (ok)
            return count;
        if (err != EINVAL)
            break;
    }
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > INT_MAX ? INT_MAX : (int)online;
}

int bd_cpu_count(void)
{
    int cpus = affinity_count();
    int limit = bd_cgroup_cpu_limit("/proc/self/cgroup", "/sys/fs/cgroup");
    if (limit > 0 && limit < cpus)
        cpus = limit;
    return cpus > 0 ? cpus : 1;
}
