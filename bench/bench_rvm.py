#!/usr/bin/python3
"""Speed of Robust Video Matting (run through bench/run.sh as benchmark "rvm").

In one run, so that the ratios compare figures taken side by side:

1. The network alone at 640x360, downsample ratio 0.75 (encoder 480x270),
   the recurrent state carried, ms per frame:
   - ours: build/bench/bench_rvm (XNNPACK engine; see bench_rvm.c) with 1
     thread (the caller's, no pool) and all threads (a pool of one thread
     per CPU), BENCH_RVM_FRAMES timed frames after BENCH_RVM_WARMUP;
   - the anchor: TensorFlow.js 4.22.0, WASM backend (SIMD, XNNPACK inside,
     one thread: it has no threaded build under Node), the graph model the
     goldens come from (../shared/anchor-rvm, copied to
     BENCH_RVM_ANCHOR_DIR where `npm ci` runs once): `node run_rvm.cjs bench
     ... --frames BENCH_RVM_ANCHOR_FRAMES --threads 1`. Its timer covers
     making the src tensor, executeAsync and reading pha; ours covers
     copying the frame into the engine and the run.
   Ours and the anchor alternate (ours, anchor, ours, ..., ours:
   BENCH_RVM_REPEAT anchor processes, one more of ours). Speed-up = anchor
   ms / our ms: "median" is the median over the anchor processes of the
   anchor's median over the mean of our two medians around it, "min" the
   ratio of the minima. Target of the issue: ours >= 5x at one thread.
2. The whole CLI, file -> null, all threads and one, automatic ratio
   (about 480 pixels on the long side): `backdrop -m rvm CLIP -o null
   --quiet --threads 0|1 --stats S.json` on a BENCH_RVM_CLI_FRAMES-frame
   testsrc2 clip (H.264, made once into the bench cache) at 1280x720 and
   1920x1080; fps from the stats file (frames / seconds from the first
   frame read to the last written: model loading excluded, the per-shape
   set-up included), median of BENCH_RVM_CLI_REPEAT runs, alternating.
3. The per-operator profile of the network at 640x360 / 0.75 on one thread
   (bench_rvm --profile: each op an XNNPACK runtime of its own, timed
   alone), printed as bench_rvm gives it: time per operator type and the
   ten slowest ops.

Skipped with a message: everything without bench_rvm (a build without
XNNPACK) or without the model (make models); the anchor without node/npm
or ../shared/anchor-rvm (BENCH_RVM_ANCHOR=0 leaves it out).
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import anchor  # noqa: E402
import bench_framediff as bfd  # noqa: E402
from bench_framediff import log, fmt, print_table  # noqa: E402
from bench_inference import Failure, run, summary, paired_speedup  # noqa: E402

WIDTH, HEIGHT, RATIO = 640, 360, 0.75
SHAPE = "%dx%d_r%g" % (WIDTH, HEIGHT, RATIO)
TARGET_SPEEDUP = 5.0   # issue: ours >= 5x faster than TF.js WASM at one thread
CLI_SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}
RESULT = re.compile(r"median ([\d.]+) ms, min ([\d.]+) ms, mean ([\d.]+) ms per frame")


def model_dir():
    d = os.environ.get("BACKDROP_MODEL_DIR")
    if d:
        return d
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "backdrop", "models")


def parse_result(out, who):
    """(min, median) of the first line of bench_rvm or run_rvm.cjs bench."""
    m = RESULT.search(out)
    if not m:
        raise Failure("%s printed no result:\n%s" % (who, out.strip()[-1000:]))
    return float(m.group(2)), float(m.group(1))


def run_ours(binary, frames, warmup, threads, extra=()):
    cmd = [binary, "--width", str(WIDTH), "--height", str(HEIGHT), "--ratio", str(RATIO), "--frames", str(frames),
           "--warmup", str(warmup), "--threads", str(threads)] + list(extra)
    out = run(cmd)
    return parse_result(out, "bench_rvm"), out


def run_anchor(work, frames, warmup):
    out = run(["node", "run_rvm.cjs", "bench", "--model-dir", model_dir(), "--width", str(WIDTH), "--height",
               str(HEIGHT), "--ratio", str(RATIO), "--frames", str(frames), "--warmup", str(warmup),
               "--threads", "1"], cwd=work)
    return parse_result(out, "run_rvm.cjs bench")


def make_clip(res, frames):
    """A testsrc2 clip of res (cached): moving test pattern, H.264 crf 20."""
    w, h = CLI_SIZES[res]
    path = os.path.join(bfd.cache_dir(), "testsrc2_%dx%d_%df_25fps_crf%d.mp4" % (w, h, frames, bfd.CRF))
    if os.path.exists(path):
        return path
    log("bench rvm: generating %s" % path)
    bfd.encode_clip(path, ["-f", "lavfi", "-i", "testsrc2=size=%dx%d:rate=25" % (w, h)], frames, w, h)
    return path


def run_cli(binary, clip, threads, stats, frames):
    """The stats of one `backdrop -m rvm clip -o null --threads threads` run."""
    if os.path.exists(stats):
        os.unlink(stats)
    run([binary, "-m", "rvm", clip, "-o", "null", "--quiet", "--threads", str(threads), "--stats", stats])
    with open(stats) as f:
        st = json.load(f)
    if st.get("frames") != frames:
        raise Failure("backdrop wrote %s frames of %s, expected %d" % (st.get("frames"), clip, frames))
    return st


def encoder_size(w, h, r=None):
    """The encoder's size at ratio r; None: the automatic ratio (src/segment/rvm.c: 480 on the long side)."""
    if r is None:
        r = min(1.0, 480.0 / max(w, h))
    return "%dx%d" % (int(w * r), int(h * r))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True, help="Meson build directory holding bench/bench_rvm and tools/backdrop")
    a = ap.parse_args()

    frames = max(1, bfd.env_int("BENCH_RVM_FRAMES", 20))
    anchor_frames = max(1, bfd.env_int("BENCH_RVM_ANCHOR_FRAMES", 10))
    warmup = bfd.env_int("BENCH_RVM_WARMUP", 3)
    repeat = max(1, bfd.env_int("BENCH_RVM_REPEAT", 3))
    use_anchor = bfd.env_int("BENCH_RVM_ANCHOR", 1)
    cli_frames = max(1, bfd.env_int("BENCH_RVM_CLI_FRAMES", 60))
    cli_repeat = bfd.env_int("BENCH_RVM_CLI_REPEAT", 3)
    do_profile = bfd.env_int("BENCH_RVM_PROFILE", 1)
    resolutions = [r.strip() for r in os.environ.get("BENCH_RESOLUTIONS", "720p,1080p").split(",") if r.strip()]
    for r in resolutions:
        if r not in CLI_SIZES:
            sys.exit("bench rvm: unknown resolution %r (known: %s)" % (r, ", ".join(CLI_SIZES)))
    csv_path = os.environ.get("BENCH_CSV", os.path.join(bfd.REPO, "bench", "results.csv"))
    nthreads = os.cpu_count() or 1

    binary = os.path.join(a.build, "bench", "bench_rvm")
    cli = os.path.join(a.build, "tools", "backdrop")
    if not os.path.exists(binary):
        log("bench rvm: SKIPPED: %s missing (a build without XNNPACK has no RVM; else build first)" % binary)
        return 0
    missing = [f for f in ("rvm.json", "rvm.bin") if not os.path.exists(os.path.join(model_dir(), f))]
    if missing:
        log("bench rvm: SKIPPED: %s not in %s (make models)" % (" and ".join(missing), model_dir()))
        return 0

    work = anchor.setup_or_skip("bench rvm", use_anchor, "BENCH_RVM_ANCHOR", "TF.js anchor", log=log, name="anchor-rvm")

    commit = bfd.git_commit()
    log("bench rvm: %s" % bfd.machine_info())
    log("bench rvm: commit %s, %s%s" % (commit, binary, "; anchor in %s" % work if work else ""))
    bfd.log_load_at_start("bench rvm")
    log("bench rvm: network at %dx%d ratio %g, ms per frame; ours %d frames, anchor %d frames, %d warm-up each; "
        "all threads = %d; %s" % (WIDTH, HEIGHT, RATIO, frames, anchor_frames, warmup, nthreads,
                                  "ours, anchor, ... x%d, ours" % repeat if work else "ours x%d" % (repeat + 1)))

    ours, anch = [], []
    try:
        for k in range(repeat + 1):
            log("bench rvm: ours %d/%d" % (k + 1, repeat + 1))
            ours.append({t: run_ours(binary, frames, warmup, t)[0] for t in sorted({1, nthreads})})
            if work and k < repeat:
                log("bench rvm: TF.js anchor %d/%d" % (k + 1, repeat))
                anch.append({1: run_anchor(work, anchor_frames, warmup)})
    except (Failure, OSError) as e:
        log("bench rvm: FAILED: %s" % e)
        return 1

    cli_stats = {(r, t): [] for r in resolutions for t in (0, 1)}
    if cli_repeat > 0 and resolutions:
        if not shutil.which("ffmpeg") or not os.path.exists(cli):
            log("bench rvm: CLI fps skipped: %s" % ("ffmpeg not found" if os.path.exists(cli) else cli + " missing"))
        else:
            try:
                clips = {r: make_clip(r, cli_frames) for r in resolutions}
                with tempfile.TemporaryDirectory(prefix="backdrop-bench-rvm-") as tmp:
                    for k in range(cli_repeat):
                        for r in resolutions:
                            for t in (0, 1):
                                log("bench rvm: backdrop -m rvm %s --threads %d, %d/%d" % (r, t, k + 1, cli_repeat))
                                cli_stats[(r, t)].append(run_cli(cli, clips[r], t, os.path.join(tmp, "s.json"),
                                                                 cli_frames))
            except (Failure, OSError, RuntimeError, subprocess.CalledProcessError) as e:
                log("bench rvm: FAILED: %s" % e)
                return 1

    profile_out = None
    if do_profile:
        log("bench rvm: profile, 1 thread")
        try:
            _, profile_out = run_ours(binary, frames, warmup, 1, ["--profile", "--top", "10"])
        except Failure as e:
            log("bench rvm: FAILED: %s" % e)
            return 1
    log("bench rvm: load average %.2f %.2f %.2f at end" % os.getloadavg())
    log("")

    # 1. the network
    mm = lambda v: "-" if v is None else "%.1f / %.1f" % v
    ratios = {}
    rows = []
    an = summary(anch, 1)
    if an:
        rows.append(["TF.js 4.22 WASM (SIMD) 1 thr", mm(an), "1.00x"])
    for t in sorted({1, nthreads}):
        tag = "threads1" if t == 1 else "threads0"
        o = summary(ours, t)
        if an:
            ratios["rvm_speedup_vs_tfjs_%s_median" % tag] = paired_speedup(ours, anch, t, 1)
            ratios["rvm_speedup_vs_tfjs_%s_min" % tag] = an[0] / o[0]
        rows.append(["ours XNNPACK %d thr" % t, mm(o),
                     "%s / %s" % (fmt(ratios.get("rvm_speedup_vs_tfjs_%s_median" % tag), "%.2fx"),
                                  fmt(ratios.get("rvm_speedup_vs_tfjs_%s_min" % tag), "%.2fx")) if an else "-"])
    if nthreads != 1:
        ratios["rvm_threads0_over_threads1"] = statistics.median(p[1][1] / p[nthreads][1] for p in ours)
    log("RVM network, %dx%d, ratio %g (encoder %s), state carried" % (WIDTH, HEIGHT, RATIO,
                                                                      encoder_size(WIDTH, HEIGHT, RATIO)))
    print_table(["runtime", "ms/frame min / med", "speed-up med / min"], rows)
    log("(min over all runs, median of the per-process medians; speed-up = TF.js ms / our ms, med: median of the")
    log(" ratios of processes run back to back, min: ratio of the minima)")
    log("per-process medians (ms), in the order run: " + "; ".join(
        "%s %s" % (who, " ".join("%.1f" % p[t][1] for p in procs))
        for who, procs, t in [("ours 1 thr", ours, 1), ("ours %d thr" % nthreads, ours, nthreads),
                              ("TF.js", anch, 1)] if procs))
    if "rvm_threads0_over_threads1" in ratios:
        log("ours: %d threads are %.2fx as fast as 1 (median of per-process ratios)"
            % (nthreads, ratios["rvm_threads0_over_threads1"]))
    med = ratios.get("rvm_speedup_vs_tfjs_threads1_median")
    log("target (issue; informational): ours >= %gx faster than TF.js WASM at 1 thread: %s" % (
        TARGET_SPEEDUP, "n/a (anchor not run)" if med is None else "%s %.2fx (median; by the minima %.2fx)" % (
            "PASS" if med >= TARGET_SPEEDUP else "MISS", med, ratios["rvm_speedup_vs_tfjs_threads1_min"])))

    # 2. the CLI
    cli_rows, cli_values = [], {}
    for r in resolutions:
        s0, s1 = cli_stats[(r, 0)], cli_stats[(r, 1)]
        if not s0 or not s1:
            continue
        w, h = CLI_SIZES[r]
        fps0 = statistics.median(s["fps"] for s in s0)
        fps1 = statistics.median(s["fps"] for s in s1)
        # runs made back to back: the ratio per repetition, then the median
        speedup = statistics.median(a["fps"] / b["fps"] for a, b in zip(s0, s1))
        proc = statistics.median(s["stages"]["process"] / s["frames"] for s in s0)
        dec = statistics.median(s["stages"]["decode"] / s["frames"] for s in s0)
        lib = s0[0].get("threads", {}).get("library", "?")
        cli_values[r] = (fps0, fps1, speedup, proc)
        cli_rows.append(["%s (%dx%d)" % (r, w, h), encoder_size(w, h), "%.2f" % fps1, "%.2f (%s)" % (fps0, lib),
                         "%.2fx" % speedup, " ".join("%.2f" % s["fps"] for s in s0), "%.1f" % proc, "%.1f" % dec])
    if cli_rows:
        log("")
        log("backdrop -m rvm, file -> null, automatic ratio, %d-frame testsrc2 clip, median of %d runs"
            % (cli_frames, cli_repeat))
        print_table(["clip", "encoder", "fps 1 thr", "fps all thr (library thr)", "all / 1", "all thr fps per run",
                     "all thr process ms/frame", "decode ms/frame"], cli_rows)
        log("(fps from --stats: frames / seconds from the first frame read to the last written; all thr: --threads 0,"
            " library thr: the workers backdrop gave the library; all / 1: median of per-repetition ratios)")

    # 3. the profile
    profile_types = {}
    if profile_out:
        log("")
        lines = profile_out.splitlines()
        log("profile of the network, %dx%d ratio %g, 1 thread (bench_rvm --profile):" % (WIDTH, HEIGHT, RATIO))
        for line in lines[1:]:
            log(line)
            m = re.match(r"^\s+([A-Z][A-Z0-9_]+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)%$", line)
            if m:
                profile_types[m.group(1)] = (float(m.group(3)), float(m.group(4)))

    if csv_path and csv_path != "-":
        out = []
        add = bfd.row_adder(out, commit)
        for who, procs in (("xnnpack", ours), ("tfjs_wasm", anch)):
            for t in sorted({1, nthreads}):
                v = summary(procs, t)
                if v:
                    tag = "threads1" if t == 1 else "threads0"
                    add("rvm_%s_%s" % (who, tag), SHAPE, "ms_min", v[0], "%.2f")
                    add("rvm_%s_%s" % (who, tag), SHAPE, "ms_median", v[1], "%.2f")
        for metric, value in sorted(ratios.items()):
            if value is not None:
                add("ratio", SHAPE, metric, value, "%.3f")
        for r, (fps0, fps1, speedup, proc) in cli_values.items():
            add("backdrop_rvm_threads0", r, "fps_median", fps0, "%.2f")
            add("backdrop_rvm_threads0", r, "process_ms_per_frame", proc, "%.1f")
            add("backdrop_rvm_threads1", r, "fps_median", fps1, "%.2f")
            add("ratio", r, "rvm_threads0_over_threads1", speedup, "%.3f")
        for name, (ms, share) in profile_types.items():
            add("rvm_profile_threads1", SHAPE, "%s_ms" % name.lower(), ms, "%.3f")
            add("rvm_profile_threads1", SHAPE, "%s_share" % name.lower(), share, "%.1f")
        # A profile replaces the previous one whole (an op type may be gone).
        bfd.update_csv(csv_path, out,
                       drop=(lambda row: row["benchmark"] == "rvm_profile_threads1") if profile_types else None)
        log("")
        log("bench rvm: updated %s (%d rows)" % (os.path.relpath(csv_path, os.getcwd()), len(out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
