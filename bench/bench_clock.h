/*
 * What every C benchmark program here needs: a monotonic clock in
 * milliseconds and a comparison for qsort'ing timings (min and median).
 */
#ifndef BACKDROP_BENCH_CLOCK_H
#define BACKDROP_BENCH_CLOCK_H

#include <time.h>

static inline double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#endif
