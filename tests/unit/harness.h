/*
 * A tiny unit-test harness.
 *
 * A test is a function `static int test_NAME(void)` that returns UNIT_PASS,
 * UNIT_FAIL or UNIT_SKIP. Each test file lists its tests in a table:
 *
 *     const UnitTest resize_tests[] = {
 *         UNIT_TEST(resize_identity_copy),
 *         UNIT_TESTS_END
 *     };
 *
 * and main.c lists the tables. The executable runs one test per process:
 *
 *     test_unit NAME            run NAME; exit 0 pass, 1 fail, 77 skip
 *     test_unit --list          print every test name, one per line
 *     test_unit --expect N...   exit 0 iff N... is exactly the set of tests
 *
 * CHECK() stops the test at the first failed condition and prints
 * "file:line: message". Memory and contexts obtained through unit_defer()
 * (and the helpers in util.h) are released after the test, pass or fail.
 */
#ifndef UNIT_HARNESS_H
#define UNIT_HARNESS_H

#include <stddef.h>

#define UNIT_PASS 0
#define UNIT_FAIL 1
#define UNIT_SKIP 77

typedef struct UnitTest {
    const char *name;
    int (*run)(void);
} UnitTest;

#define UNIT_TEST(name) { #name, test_##name }
#define UNIT_TESTS_END { NULL, NULL }

/* Prints "file:line: message" on stderr. */
void unit_report(const char *file, int line, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Fails the test with a printf-style message unless cond holds. */
#define CHECK(cond, ...)                                   \
    do {                                                   \
        if (!(cond)) {                                     \
            unit_report(__FILE__, __LINE__, __VA_ARGS__);  \
            return UNIT_FAIL;                              \
        }                                                  \
    } while (0)

/* Fails the test unless two integers are equal, printing both. */
#define CHECK_INT(actual, expected)                                              \
    do {                                                                         \
        long long check_actual_ = (actual), check_expected_ = (expected);        \
        if (check_actual_ != check_expected_) {                                  \
            unit_report(__FILE__, __LINE__, "%s is %lld, expected %lld",         \
                        #actual, check_actual_, check_expected_);                \
            return UNIT_FAIL;                                                    \
        }                                                                        \
    } while (0)

/* Runs a helper that returns a test status; stops the test when it did not
 * pass, naming the calling line too. */
#define TRY(call)                                                                \
    do {                                                                         \
        int try_status_ = (call);                                                \
        if (try_status_ != UNIT_PASS) {                                          \
            unit_report(__FILE__, __LINE__, "(called from here)");               \
            return try_status_;                                                  \
        }                                                                        \
    } while (0)

/* Ends the test as skipped, with a reason. */
#define SKIP(...)                                          \
    do {                                                   \
        unit_report(__FILE__, __LINE__, __VA_ARGS__);      \
        return UNIT_SKIP;                                  \
    } while (0)

/* Calls fn(ptr) once the current test has finished, most recent first.
 * Aborts the run if it cannot record the call. */
void unit_defer(void (*fn)(void *), void *ptr);

/* Zeroed memory released after the current test; never NULL. */
void *unit_alloc(size_t size);

/* The runner: parses argv as described above. suites is NULL-terminated. */
int unit_main(int argc, char **argv, const UnitTest *const *suites);

#endif
