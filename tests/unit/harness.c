/* The runner behind harness.h. */
#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Deferred {
    void (*fn)(void *);
    void *ptr;
} Deferred;

static Deferred *deferred;
static size_t deferred_count, deferred_capacity;

void unit_report(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void unit_defer(void (*fn)(void *), void *ptr)
{
    if (deferred_count == deferred_capacity) {
        size_t capacity = deferred_capacity ? 2 * deferred_capacity : 64;
        Deferred *grown = realloc(deferred, capacity * sizeof(*grown));
        if (!grown) {
            fprintf(stderr, "unit_defer: out of memory\n");
            abort();
        }
        deferred = grown;
        deferred_capacity = capacity;
    }
    deferred[deferred_count].fn = fn;
    deferred[deferred_count].ptr = ptr;
    deferred_count++;
}

void *unit_alloc(size_t size)
{
    void *p = calloc(1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "unit_alloc: cannot allocate %zu bytes\n", size);
        abort();
    }
    unit_defer(free, p);
    return p;
}

static void run_deferred(void)
{
    while (deferred_count > 0) {
        deferred_count--;
        deferred[deferred_count].fn(deferred[deferred_count].ptr);
    }
    free(deferred);
    deferred = NULL;
    deferred_capacity = 0;
}

static const UnitTest *find_test(const UnitTest *const *suites, const char *name)
{
    for (size_t s = 0; suites[s]; s++)
        for (const UnitTest *t = suites[s]; t->name; t++)
            if (!strcmp(t->name, name))
                return t;
    return NULL;
}

/* --expect: every registered test must be named exactly once, and every
 * name must be a registered test. */
static int check_expected(int count, char **names, const UnitTest *const *suites)
{
    int ok = 1;
    for (int i = 0; i < count; i++) {
        if (!find_test(suites, names[i])) {
            fprintf(stderr, "'%s' is listed but no such test is registered\n", names[i]);
            ok = 0;
        }
        for (int j = 0; j < i; j++) {
            if (!strcmp(names[i], names[j])) {
                fprintf(stderr, "'%s' is listed twice\n", names[i]);
                ok = 0;
            }
        }
    }
    for (size_t s = 0; suites[s]; s++) {
        for (const UnitTest *t = suites[s]; t->name; t++) {
            int listed = 0;
            for (int i = 0; i < count && !listed; i++)
                listed = !strcmp(names[i], t->name);
            if (!listed) {
                fprintf(stderr, "test '%s' is registered but not listed\n", t->name);
                ok = 0;
            }
            if (find_test(suites, t->name) != t) {
                fprintf(stderr, "test name '%s' is registered twice\n", t->name);
                ok = 0;
            }
        }
    }
    return ok ? 0 : 1;
}

static int usage(const char *prog)
{
    fprintf(stderr, "usage: %s NAME | --list | --expect NAME...\n", prog);
    return 2;
}

int unit_main(int argc, char **argv, const UnitTest *const *suites)
{
    if (argc < 2)
        return usage(argv[0]);
    if (!strcmp(argv[1], "--list")) {
        if (argc != 2)
            return usage(argv[0]);
        for (size_t s = 0; suites[s]; s++)
            for (const UnitTest *t = suites[s]; t->name; t++)
                printf("%s\n", t->name);
        return 0;
    }
    if (!strcmp(argv[1], "--expect"))
        return check_expected(argc - 2, argv + 2, suites);
    if (argc != 2)
        return usage(argv[0]);

    const UnitTest *test = find_test(suites, argv[1]);
    if (!test) {
        fprintf(stderr, "no test named '%s' (see --list)\n", argv[1]);
        return UNIT_FAIL;
    }
    int status = test->run();
    run_deferred();
    const char *verdict = status == UNIT_PASS ? "PASS" : status == UNIT_SKIP ? "SKIP" : "FAIL";
    printf("%s %s\n", verdict, test->name);
    return status == UNIT_PASS || status == UNIT_SKIP ? status : UNIT_FAIL;
}
