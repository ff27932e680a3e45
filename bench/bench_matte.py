#!/usr/bin/python3
"""Speed of the matte stages (run through bench/run.sh as benchmark "matte").

Runs build/bench/bench_matte (see the comment at the top of bench_matte.c:
the refine, stabilise and cleanup stages called directly, one thread, on a
synthetic 720p and 1080p clip with a 455 x 256 map beside each frame) and
records, per configuration and resolution, the median and minimum ms per
frame of the chain and its median above the baseline (refine bilinear
alone, what backdrop did before the matte stages) in bench/results.csv as
benchmark matte_<configuration>. The issue's budget: refine + stabilise +
cleanup at 1080p within 5 ms per frame on one thread, the default chain's
"median" row.

Environment: BENCH_MATTE_FRAMES (default 200), BENCH_CSV (as the others).
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_framediff as bfd  # noqa: E402  (shared helpers: csv, commit, tables)

log = bfd.log


def slug(name):
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    binary = os.path.join(build, "bench", "bench_matte")
    if not os.path.exists(binary):
        log("bench matte: %s missing (build first)" % binary)
        return 1
    frames = max(20, bfd.env_int("BENCH_MATTE_FRAMES", 200))
    log("bench matte: the matte stages per frame, one thread (%s --frames %d)" % (binary, frames))
    p = subprocess.run([binary, "--frames", str(frames)], capture_output=True, text=True)
    if p.returncode != 0:
        log("bench matte: failed: %s" % p.stderr.strip())
        return 1
    rows = []
    add = bfd.row_adder(rows, bfd.git_commit())
    for line in p.stdout.splitlines():
        log(line)
        m = re.match(r"^(720p|1080p)\s+(.+?)\s+([0-9.]+)\s+([0-9.]+)\s+(-?[0-9.]+)\s", line)
        if m:
            res, name = m.group(1), "matte_" + slug(m.group(2))
            add(name, res, "min_ms_per_frame", float(m.group(3)), "%.3f")
            add(name, res, "median_ms_per_frame", float(m.group(4)), "%.3f")
            add(name, res, "added_ms_per_frame", float(m.group(5)), "%.3f")
    bfd.record_rows("bench matte", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
