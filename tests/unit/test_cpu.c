/*
 * The CPU count (src/cpu.c) and row slicing on pools of any size.
 *
 * The cgroup parsers are fed fabricated file contents, and the cgroup walk
 * a fabricated tree in a temporary directory, so that every case runs on
 * any machine whatever its own cgroups say.
 */
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "suites.h"
#include "util.h"

static int test_cgroup2_cpu_max(void)
{
    static const struct {
        const char *text;
        int cpus;
    } cases[] = {
        { "max 100000\n", 0 },
        { "max\n", 0 },
        { "150000 100000\n", 2 },
        { "50000 100000\n", 1 },
        { "100000 100000\n", 1 },
        { "100001 100000\n", 2 },
        { "200000 100000", 2 },
        { "1000 100000\n", 1 },
        { "400000 50000\n", 8 },
        { "9223372036854775807 1\n", INT_MAX },
        /* Garbage: no limit. */
        { "", 0 },
        { "\n", 0 },
        { "garbage\n", 0 },
        { "150000\n", 0 },
        { "150000 0\n", 0 },
        { "0 100000\n", 0 },
        { "-1 100000\n", 0 },
        { "1.5 1\n", 0 },
        { "150000 100000 7\n", 0 },
        { "150000 100000x\n", 0 },
        { "150000,100000\n", 0 },
        { "99999999999999999999999 100000\n", 0 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int got = bd_cgroup2_cpu_limit(cases[i].text);
        CHECK(got == cases[i].cpus, "cpu.max \"%s\": %d CPUs, expected %d", cases[i].text, got,
              cases[i].cpus);
    }
    CHECK_INT(bd_cgroup2_cpu_limit(NULL), 0);
    return UNIT_PASS;
}

static int test_cgroup1_cfs_quota(void)
{
    static const struct {
        const char *quota, *period;
        int cpus;
    } cases[] = {
        { "-1\n", "100000\n", 0 },
        { "150000\n", "100000\n", 2 },
        { "50000\n", "100000\n", 1 },
        { "300000\n", "100000\n", 3 },
        { "300001", "100000", 4 },
        /* Garbage: no limit. */
        { "", "100000\n", 0 },
        { "150000\n", "", 0 },
        { "150000\n", "0\n", 0 },
        { "0\n", "100000\n", 0 },
        { "lots\n", "100000\n", 0 },
        { "150000 1\n", "100000\n", 0 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int got = bd_cgroup1_cpu_limit(cases[i].quota, cases[i].period);
        CHECK(got == cases[i].cpus, "quota \"%s\", period \"%s\": %d CPUs, expected %d", cases[i].quota,
              cases[i].period, got, cases[i].cpus);
    }
    CHECK_INT(bd_cgroup1_cpu_limit(NULL, "100000"), 0);
    CHECK_INT(bd_cgroup1_cpu_limit("100000", NULL), 0);
    return UNIT_PASS;
}

/* ---- a fabricated cgroup tree -------------------------------------------- */

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)type, (void)ftw;
    remove(path);
    return 0;
}

static void remove_tree(void *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh directory, removed with everything in it after the test. */
static char *temp_tree(void)
{
    char *dir = unit_alloc(PATH_MAX);
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, PATH_MAX, "%s/backdrop-cpu-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return NULL;
    unit_defer(remove_tree, dir);
    return dir;
}

/* Writes text to dir/relative, creating the directories on the way; 0 on
 * success. */
static int put_file(const char *dir, const char *relative, const char *text)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/%s", dir, relative) >= (int)sizeof(path))
        return -1;
    for (char *slash = path + strlen(dir) + 1; (slash = strchr(slash, '/')); slash++) {
        *slash = '\0';
        mkdir(path, 0700);
        *slash = '/';
    }
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* The limit for a process whose /proc/self/cgroup says 'list', with the
 * hierarchies mounted under root/sys (list NULL: no such file). */
static int limit_for(const char *root, const char *list)
{
    char proc[PATH_MAX], mount[PATH_MAX];
    snprintf(proc, sizeof(proc), "%s/proc-cgroup", root);
    snprintf(mount, sizeof(mount), "%s/sys", root);
    remove(proc);
    if (list && put_file(root, "proc-cgroup", list) < 0)
        return -1;
    return bd_cgroup_cpu_limit(list ? proc : NULL, mount);
}

static int test_cgroup_tree_v2(void)
{
    char *root = temp_tree();
    CHECK(root, "cannot make a temporary directory");
    /* Nothing mounted, no list: no limit. */
    CHECK_INT(limit_for(root, NULL), 0);
    CHECK_INT(limit_for(root, "0::/\n"), 0);

    /* A quota on the parent binds the child, which has none of its own. */
    CHECK(put_file(root, "sys/app.slice/cpu.max", "200000 100000\n") == 0, "cannot write");
    CHECK(put_file(root, "sys/app.slice/job/cpu.max", "max 100000\n") == 0, "cannot write");
    CHECK_INT(limit_for(root, "0::/app.slice/job\n"), 2);
    CHECK_INT(limit_for(root, "0::/app.slice/job/\n"), 2);
    /* The tighter of the two counts, wherever it is. */
    CHECK(put_file(root, "sys/app.slice/job/cpu.max", "50000 100000\n") == 0, "cannot write");
    CHECK_INT(limit_for(root, "0::/app.slice/job\n"), 1);
    /* A sibling's quota does not. */
    CHECK(put_file(root, "sys/app.slice/other/cpu.max", "max 100000\n") == 0, "cannot write");
    CHECK_INT(limit_for(root, "0::/app.slice/other\n"), 2);

    /* A path that is not below the mount (a container seeing the host's
     * path): the mount's root, which is the container's cgroup. */
    CHECK(put_file(root, "sys/cpu.max", "300000 100000\n") == 0, "cannot write");
    CHECK_INT(limit_for(root, "0::/docker/0123abcd\n"), 3);
    /* No /proc/self/cgroup at all: the same. */
    CHECK_INT(limit_for(root, NULL), 3);
    /* The root's quota binds everything below it too. */
    CHECK_INT(limit_for(root, "0::/app.slice/job\n"), 1);
    CHECK(put_file(root, "sys/app.slice/job/cpu.max", "max 100000\n") == 0, "cannot write");
    CHECK_INT(limit_for(root, "0::/app.slice/job\n"), 2);
    /* Garbage in the list or the files: no limit from them. */
    CHECK(put_file(root, "sys/cpu.max", "lots\n") == 0, "cannot write");
    CHECK(put_file(root, "sys/app.slice/cpu.max", "\n") == 0, "cannot write");
    CHECK_INT(limit_for(root, "0::/app.slice/job\n"), 0);
    CHECK_INT(limit_for(root, "nonsense\n\n::\n0:\n"), 0);
    return UNIT_PASS;
}

static int test_cgroup_tree_v1(void)
{
    char *root = temp_tree();
    CHECK(root, "cannot make a temporary directory");
    /* A hybrid list as systemd writes it: v1 controllers and the v2 line. */
    const char *list = "12:memory:/docker/0123abcd\n"
                       "4:cpu,cpuacct:/docker/0123abcd\n"
                       "2:cpuset:/docker/0123abcd\n"
                       "0::/docker/0123abcd\n";
    CHECK_INT(limit_for(root, list), 0);

    /* The hierarchy mounted under its controller list's name. */
    CHECK(put_file(root, "sys/cpu,cpuacct/docker/0123abcd/cpu.cfs_quota_us", "150000\n") == 0, "cannot write");
    CHECK(put_file(root, "sys/cpu,cpuacct/docker/0123abcd/cpu.cfs_period_us", "100000\n") == 0, "cannot write");
    CHECK(put_file(root, "sys/cpu,cpuacct/cpu.cfs_quota_us", "-1\n") == 0, "cannot write");
    CHECK(put_file(root, "sys/cpu,cpuacct/cpu.cfs_period_us", "100000\n") == 0, "cannot write");
    CHECK_INT(limit_for(root, list), 2);
    /* cpuacct alone is not the cpu controller. */
    CHECK_INT(limit_for(root, "3:cpuacct:/docker/0123abcd\n"), 0);

    /* The host's path, not present in the container's mount: the mount's
     * root, here under the plain "cpu" name. */
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/sys/cpu,cpuacct", root);
    remove_tree(path);
    CHECK(put_file(root, "sys/cpu/cpu.cfs_quota_us", "250000\n") == 0, "cannot write");
    CHECK(put_file(root, "sys/cpu/cpu.cfs_period_us", "100000\n") == 0, "cannot write");
    CHECK_INT(limit_for(root, "1:cpu:/docker/0123abcd\n0::/\n"), 3);
    CHECK_INT(limit_for(root, NULL), 3);

    /* With both versions limiting (a hybrid host), the tighter counts. */
    CHECK(put_file(root, "sys/cpu.max", "100000 100000\n") == 0, "cannot write");
    CHECK_INT(limit_for(root, "1:cpu:/\n0::/\n"), 1);
    return UNIT_PASS;
}

/* The count follows the affinity mask: pinned to one CPU (this test runs in
 * its own process), it is 1. */
static int test_cpu_count_affinity(void)
{
    int cpus = bd_cpu_count();
    CHECK(cpus >= 1, "bd_cpu_count() is %d", cpus);
    CHECK_INT(backdrop_cpu_count(), cpus);
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    CHECK(online < 1 || cpus <= online, "%d CPUs counted, %ld online", cpus, online);

    cpu_set_t mask;
    CHECK(sched_getaffinity(0, sizeof(mask), &mask) == 0, "cannot read the affinity mask");
    int first = 0;
    while (first < CPU_SETSIZE && !CPU_ISSET(first, &mask))
        first++;
    CHECK(first < CPU_SETSIZE, "empty affinity mask");
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    CHECK(sched_setaffinity(0, sizeof(one), &one) == 0, "cannot pin to CPU %d", first);
    int pinned = bd_cpu_count();
    sched_setaffinity(0, sizeof(mask), &mask);
    CHECK_INT(pinned, 1);
    return UNIT_PASS;
}

/* ---- row slices on pools larger than the machine ------------------------ */

/* Each slice writes only its own rows' counts, so a correct slicing has no
 * data race here; a misaligned start marks its first row. */
#define MISALIGNED 1000

typedef struct RowsSeen {
    int *count; /* per row: how many slices covered it */
    int align;
} RowsSeen;

static void count_rows(void *arg, int first, int rows)
{
    RowsSeen *seen = arg;
    if (first % seen->align)
        seen->count[first] += MISALIGNED;
    for (int y = first; y < first + rows; y++)
        seen->count[y]++;
}

/* The pool size of a context is capped at the usable CPUs, so the context
 * tests may run on one thread; here pools of any size are made directly:
 * every row is covered exactly once and slices start on 'align'. */
static int test_run_rows_any_pool(void)
{
    const size_t pool_sizes[] = { 2, 3, 4, 7 };
    const int heights[] = { 1, 7, 64, 97, 282, 1080 };
    for (size_t p = 0; p < sizeof(pool_sizes) / sizeof(pool_sizes[0]); p++) {
        pthreadpool_t pool = pthreadpool_create(pool_sizes[p]);
        CHECK(pool, "cannot create a pool of %zu threads", pool_sizes[p]);
        unit_defer(release_pool, pool);
        for (size_t h = 0; h < sizeof(heights) / sizeof(heights[0]); h++) {
            for (int align = 1; align <= 2; align++) {
                int rows = heights[h];
                RowsSeen seen = { unit_alloc((size_t)rows * sizeof(int)), align };
                bd_run_rows(pool, count_rows, &seen, rows, align);
                for (int y = 0; y < rows; y++) {
                    CHECK(seen.count[y] < MISALIGNED, "%zu threads, %d rows: a slice starts at row %d, "
                          "not a multiple of %d", pool_sizes[p], rows, y, align);
                    CHECK(seen.count[y] == 1, "%zu threads, %d rows, align %d: row %d covered %d times",
                          pool_sizes[p], rows, align, y, seen.count[y]);
                }
            }
        }
    }
    return UNIT_PASS;
}

const UnitTest cpu_tests[] = {
    UNIT_TEST(cgroup2_cpu_max),
    UNIT_TEST(cgroup1_cfs_quota),
    UNIT_TEST(cgroup_tree_v2),
    UNIT_TEST(cgroup_tree_v1),
    UNIT_TEST(cpu_count_affinity),
    UNIT_TEST(run_rows_any_pool),
    UNIT_TESTS_END
};
