#!/usr/bin/python3
"""Inference speed of the selfie models, ours against the official runtime (run through bench/run.sh).

Ours: build/bench/bench_nn (XNNPACK executor, ms per nn_engine_run() with the
input already in place; see bench_nn.c), 1 thread (the caller's thread, no
pool) and all threads (a pool of one thread per online CPU, as backdrop
--threads 0), BENCH_INFERENCE_RUNS timed runs after BENCH_INFERENCE_WARMUP
warm-up runs per process.

Anchor: the official TensorFlow Lite runtime (C++ interpreter + XNNPACK
delegate, WebAssembly, under Node; ../shared/anchor/README.md):
`node run_official.cjs bench --runs N --warmup W --repeat 1 --variants
simd:1,simd-threaded:T` ("infer" = Invoke() alone, input already in the WASM
heap), T = the same thread count as ours.

The two alternate: ours, anchor, ours, anchor, ..., ours (BENCH_INFERENCE_REPEAT
anchor processes per configuration, one more of ours), so a busy phase of
the machine hits both. Reported per configuration: min over all runs of all
processes, and the median of the per-process medians. Speed-up = anchor ms /
our ms: "median" is the median over the anchor processes of the anchor's
median divided by the mean of the medians of our two processes around it
(runs made back to back); "min" is the ratio of the minima.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import anchor  # noqa: E402
import bench_framediff as bfd  # noqa: E402
from bench_framediff import log, fmt, print_table  # noqa: E402

MODELS = [("general", "256x256", 118.4), ("landscape", "144x256", 66.6)]   # name, input, MFLOP (anchor README)
TARGET_SPEEDUP = 2.0   # issue: ours >= 2x faster than the anchor at 1 thread


class Failure(Exception):
    pass


def run(cmd, cwd=None, env=None):
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise Failure("exit status %d: %s\n%s" % (p.returncode, " ".join(cmd), (p.stderr + p.stdout).strip()[-2000:]))
    return p.stdout


def run_ours(binary, runs, warmup, nthreads):
    """{(model, threads): (min, median)} of one bench_nn process."""
    out = run([binary, "--runs", str(runs), "--warmup", str(warmup), "--threads", "1,%d" % nthreads])
    res = {}
    for line in out.splitlines():
        m = re.match(r"^(general|landscape)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s*$", line)
        if m:
            res[(m.group(1), int(m.group(2)))] = (float(m.group(3)), float(m.group(4)))
    want = {(name, t) for name, _, _ in MODELS for t in {1, nthreads}}
    if set(res) != want:
        raise Failure("bench_nn printed %s, expected %s:\n%s" % (sorted(res), sorted(want), out))
    return res


def run_anchor(work, runs, warmup, nthreads):
    """{(model, threads): (min, median)} of one process per variant."""
    variants = "simd:1,simd-threaded:%d" % nthreads
    out = run(["node", "run_official.cjs", "bench", "--runs", str(runs), "--warmup", str(warmup),
               "--repeat", "1", "--variants", variants], cwd=work, env=anchor.env())
    res = {}
    for line in out.splitlines():
        if "FAILED" in line:
            raise Failure("anchor: %s" % line.strip())
        m = re.match(r"^\s+(general|landscape)\s+(\S+) threads=(\d+)\s+infer\s+min ([\d.]+)\s+median\(s\) ([\d.]+)\s",
                     line)
        if m:
            res[(m.group(1), int(m.group(3)))] = (float(m.group(4)), float(m.group(5)))
    want = {(name, t) for name, _, _ in MODELS for t in {1, nthreads}}
    if set(res) != want:
        raise Failure("run_official.cjs bench printed %s, expected %s:\n%s" % (sorted(res), sorted(want), out))
    return res


def summary(procs, key):
    """(min over processes, median of the per-process medians) or None."""
    vals = [p[key] for p in procs if key in p]
    if not vals:
        return None
    return min(v[0] for v in vals), statistics.median(v[1] for v in vals)


def paired_speedup(ours, anch, key, anchor_key=None):
    """Median over anchor processes k of anchor median k / mean(our medians k, k+1);
    the anchor's figure under anchor_key (default: key)."""
    akey = key if anchor_key is None else anchor_key
    r = []
    for k, a in enumerate(anch):
        around = [ours[i][key][1] for i in (k, k + 1) if i < len(ours) and key in ours[i]]
        if akey in a and around:
            r.append(a[akey][1] / statistics.mean(around))
    return statistics.median(r) if r else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True, help="Meson build directory holding bench/bench_nn")
    a = ap.parse_args()

    runs = bfd.env_int("BENCH_INFERENCE_RUNS", 200)
    warmup = bfd.env_int("BENCH_INFERENCE_WARMUP", 20)
    repeat = max(1, bfd.env_int("BENCH_INFERENCE_REPEAT", 3))
    use_anchor = bfd.env_int("BENCH_INFERENCE_ANCHOR", 1)
    if runs < 50:
        sys.exit("bench inference: BENCH_INFERENCE_RUNS must be >= 50")
    csv_path = os.environ.get("BENCH_CSV", os.path.join(bfd.REPO, "bench", "results.csv"))
    nthreads = os.cpu_count() or 1

    binary = os.path.join(a.build, "bench", "bench_nn")
    if not os.path.exists(binary):
        sys.exit("bench inference: missing %s (build first)" % binary)
    # The models must be in the model cache (or $BACKDROP_MODEL_DIR).
    try:
        run([binary, "--runs", "1", "--warmup", "0", "--threads", "1"])
    except Failure as e:
        log("bench inference: SKIPPED: bench_nn cannot load the models (fetch them with 'make models' or "
            "scripts/fetch-models.sh):\n  %s" % str(e).strip()[-500:])
        return 0

    work = anchor.setup_or_skip("bench inference", use_anchor, "BENCH_INFERENCE_ANCHOR", "official runtime", log=log)

    commit = bfd.git_commit()
    log("bench inference: %s" % bfd.machine_info())
    log("bench inference: commit %s, %s%s" % (commit, binary, "; anchor in %s" % work if work else ""))
    bfd.log_load_at_start("bench inference")
    log("bench inference: ms per inference, %d timed runs after %d warm-up runs per process; "
        "all threads = %d; %s" % (runs, warmup, nthreads,
                                  "ours, anchor, ... x%d, ours" % repeat if work else "ours x%d" % (repeat + 1)))

    ours, anch = [], []
    try:
        for k in range(repeat + 1):
            log("bench inference: ours %d/%d" % (k + 1, repeat + 1))
            ours.append(run_ours(binary, runs, warmup, nthreads))
            if work and k < repeat:
                log("bench inference: anchor %d/%d" % (k + 1, repeat))
                anch.append(run_anchor(work, runs, warmup, nthreads))
    except (Failure, OSError) as e:
        log("bench inference: FAILED: %s" % e)
        return 1
    log("bench inference: load average %.2f %.2f %.2f at end" % os.getloadavg())
    log("")

    t1, tn = 1, nthreads
    s = lambda procs, model, t: summary(procs, (model, t))
    mm = lambda v: "-" if v is None else "%.2f / %.2f" % v
    rows, ratios = [], {}
    for name, shape, _ in MODELS:
        r = ratios[name] = {}
        for t, tag in ((t1, "threads1"), (tn, "threads0")):
            o, an = s(ours, name, t), s(anch, name, t)
            if o and an:
                r["inference_speedup_vs_anchor_%s_median" % tag] = paired_speedup(ours, anch, (name, t))
                r["inference_speedup_vs_anchor_%s_min" % tag] = an[0] / o[0]
        o1, on = s(ours, name, t1), s(ours, name, tn)
        if tn != t1:
            r["inference_ours_threads0_over_threads1"] = statistics.median(
                p[(name, t1)][1] / p[(name, tn)][1] for p in ours)
        rows.append(["%s %s" % (name, shape), mm(o1), mm(on), mm(s(anch, name, t1)), mm(s(anch, name, tn)),
                     "%s / %s" % (fmt(r.get("inference_speedup_vs_anchor_threads1_median"), "%.2fx"),
                                  fmt(r.get("inference_speedup_vs_anchor_threads1_min"), "%.2fx")),
                     "%s / %s" % (fmt(r.get("inference_speedup_vs_anchor_threads0_median"), "%.2fx"),
                                  fmt(r.get("inference_speedup_vs_anchor_threads0_min"), "%.2fx"))])
    print_table(["model", "ours 1 thr min/med", "ours %d thr min/med" % tn, "anchor 1 thr min/med",
                 "anchor %d thr min/med" % tn, "speed-up 1 thr med/min", "speed-up %d thr med/min" % tn], rows)
    log("(ms per inference; min over all runs, median of the per-process medians; speed-up = anchor ms / our ms,")
    log(" med: median of the ratios of processes run back to back, min: ratio of the minima)")

    log("")
    log("details: per-process medians (ms), in the order run; GFLOP/s at the min (anchor README's FLOP count)")
    drows = []
    for name, shape, mflop in MODELS:
        for who, procs in (("ours", ours), ("anchor", anch)):
            for t in sorted({t1, tn}):
                v = s(procs, name, t)
                if v is None:
                    continue
                meds = " ".join("%.2f" % p[(name, t)][1] for p in procs)
                drows.append([name, "%s %d thr" % (who, t), "%d" % len(procs), meds, "%.1f" % (mflop / v[0])])
    print_table(["model", "runtime", "processes", "medians", "GFLOP/s"], drows)
    for name, _, _ in MODELS:
        v = ratios[name].get("inference_ours_threads0_over_threads1")
        if v is not None:
            log("ours %s: %d threads are %.2fx as fast as 1 (median of per-process ratios)" % (name, tn, v))

    log("")
    log("target (issue; informational): ours >= %gx faster than the official runtime at 1 thread:" % TARGET_SPEEDUP)
    for name, shape, _ in MODELS:
        med = ratios[name].get("inference_speedup_vs_anchor_threads1_median")
        mn = ratios[name].get("inference_speedup_vs_anchor_threads1_min")
        if med is None:
            log("  n/a  %s (anchor not run)" % name)
        else:
            log("  %-4s %-9s %.2fx (median; by the minima %.2fx)" % ("PASS" if med >= TARGET_SPEEDUP else "MISS",
                                                                     name, med, mn))

    if csv_path and csv_path != "-":
        out = []
        add = bfd.row_adder(out, commit)
        for name, _, _ in MODELS:
            for who, procs in (("xnnpack", ours), ("anchor", anch)):
                for t, tag in ((t1, "threads1"), (tn, "threads0")):
                    v = s(procs, name, t)
                    if v:
                        add("inference_%s_%s" % (who, tag), name, "ms_min", v[0], "%.3f")
                        add("inference_%s_%s" % (who, tag), name, "ms_median", v[1], "%.3f")
            for metric, value in sorted(ratios[name].items()):
                add("ratio", name, metric, value, "%.3f")
        bfd.update_csv(csv_path, out)
        log("")
        log("bench inference: updated %s (%d rows)" % (os.path.relpath(csv_path, os.getcwd()), len(out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
