/* The null sink: "null" takes every frame and writes nothing (for
 * benchmarks); it has no encoder, output.c counts the frames. */
#include "internal.h"

#include <string.h>

static int null_probe(const char *path)
{
    return !strcmp(path, "null");
}

static int null_open(Output *o, const OutputOptions *opt, char *err, size_t errlen)
{
    return 0;
}

const OutputSink output_sink_null = {
    .name = "null",
    .probe = null_probe,
    .open = null_open,
};
