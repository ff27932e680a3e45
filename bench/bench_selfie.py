#!/usr/bin/python3
"""Speed benchmark of `backdrop -m selfie` (run through bench/run.sh).

End to end, file -> null and file -> H.264 (.mp4, libx264 defaults), with
--threads 1 and --threads 0 (all cores), on the cached 720p/1080p clips of
bench_framediff.py (made from vtest.avi when missing, the same way), next to
ffmpeg decode-only, all in the same process and interleaved like
bench_framediff.py (repetition 1 of every benchmark, then repetition 2, ...,
order rotated); medians reported.

Two configurations:
  general windows  the CLI default (--model general --framing windows): a 16:9
                   frame is covered by 3 overlapping square windows, 3
                   inferences of the 256x256 model per frame;
  landscape        --model landscape: 144x256 is 16:9 itself, 1 inference
                   per frame (any framing); 1/5.3 of the default's arithmetic.
Both are passed explicitly, so the rows keep their meaning if a default
changes. BENCH_SELFIE_GENERAL=0 leaves the default configuration out.

fps = 300 input frames / wall seconds of the whole process (start-up, model
loading and network set-up included).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_framediff as bfd  # noqa: E402
from bench_framediff import Bench, log, fmt, paired_ratio, print_table  # noqa: E402

TARGET_FPS = 60.0      # issue: 720p file -> null with all threads >= 60 fps
TARGET_RES = "720p"


# (key, label, backdrop options); key names the rows: backdrop_selfie_<key>_threads{1,0}[_h264]
DEFAULT = ("general_windows", "default (general windows)", ["--model", "general", "--framing", "windows"])
LANDSCAPE = ("landscape", "landscape", ["--model", "landscape"])

# Rows of earlier versions of this script, removed from results.csv when it
# writes: landscape was unnamed, "general" meant general with framing pad.
RETIRED_BENCHES = {"backdrop_selfie_threads1", "backdrop_selfie_threads0", "backdrop_selfie_threads1_h264",
                   "backdrop_selfie_threads0_h264", "backdrop_selfie_general_threads1",
                   "backdrop_selfie_general_threads0"}
RETIRED_RATIOS = {"selfie_threads0_over_decode", "selfie_threads0_over_threads1", "selfie_threads0_h264_over_null",
                  "selfie_general_over_landscape_threads0"}


def bench_name(cfg, threads, h264=False):
    return "backdrop_selfie_%s_threads%d%s" % (cfg[0], threads, "_h264" if h264 else "")


def build_benches(res, clip, binary, tmp, repeat, enc_repeat, configs):
    def bd(cfg, threads, h264):
        name = bench_name(cfg, threads, h264)
        stats = os.path.join(tmp, "%s-%s.json" % (res, name))
        output = os.path.join(tmp, "out-%s-%s.mp4" % (res, name)) if h264 else "null"
        label = "%s %s thr -> %s" % (cfg[1], "1" if threads == 1 else "all", "H.264" if h264 else "null")
        cmd = [binary, "-m", "selfie"] + cfg[2] + ["-b", bfd.BACKGROUND, clip, "-o", output,
                                                   "--quiet", "--threads", str(threads), "--stats", stats]
        return Bench(name, label, res, cmd, enc_repeat if h264 else repeat, "wall", stats)

    benches = [
        Bench("selfie_ffmpeg_decode", "ffmpeg decode", res,
              ["ffmpeg", "-nostdin", "-v", "error", "-i", clip, "-f", "null", "-"], repeat, "wall"),
    ]
    for cfg in configs:
        benches += [bd(cfg, 1, False), bd(cfg, 0, False)]
        if enc_repeat > 0:
            benches += [bd(cfg, 1, True), bd(cfg, 0, True)]
    return benches


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True, help="Meson build directory holding tools/backdrop")
    a = ap.parse_args()

    repeat = max(1, bfd.env_int("BENCH_REPEAT", 5))
    enc_repeat = bfd.env_int("BENCH_ENCODE_REPEAT", min(3, repeat))
    general = bfd.env_int("BENCH_SELFIE_GENERAL", 1)
    configs = [DEFAULT, LANDSCAPE] if general else [LANDSCAPE]
    resolutions = [r.strip() for r in os.environ.get("BENCH_RESOLUTIONS", "720p,1080p").split(",") if r.strip()]
    for r in resolutions:
        if r not in bfd.RESOLUTIONS:
            sys.exit("bench: unknown resolution %r (known: %s)" % (r, ", ".join(bfd.RESOLUTIONS)))
    csv_path = os.environ.get("BENCH_CSV", os.path.join(bfd.REPO, "bench", "results.csv"))

    binary = os.path.join(a.build, "tools", "backdrop")
    for f in (binary, bfd.SOURCE, bfd.BACKGROUND):
        if not os.path.exists(f):
            sys.exit("bench: missing %s (build first / install opencv-doc)" % f)
    for tool in ("ffmpeg", "ffprobe"):
        if not shutil.which(tool):
            sys.exit("bench: %s not found" % tool)

    clips = {r: bfd.make_clip(r) for r in resolutions}
    # The models must be in the model cache.
    for cfg in configs:
        p = subprocess.run([binary, "-m", "selfie"] + cfg[2] + [bfd.BACKGROUND, "-o", "null", "-q"],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            log("bench selfie: SKIPPED: backdrop cannot run %s (fetch the models with 'make models' "
                "or scripts/fetch-models.sh):\n  %s" % (" ".join(cfg[2]), p.stderr.strip()[-500:]))
            return 0

    commit = bfd.git_commit()
    log("bench selfie: %s" % bfd.machine_info())
    log("bench selfie: commit %s, %s; clips in %s (%d frames, %d fps, H.264 crf %d)"
        % (commit, binary, bfd.cache_dir(), bfd.FRAMES, bfd.FPS, bfd.CRF))
    bfd.log_load_at_start("bench selfie")
    log("bench selfie: %d repetitions (H.264 output: %d), interleaved, medians reported" % (repeat, enc_repeat))

    failures = []
    with tempfile.TemporaryDirectory(prefix="backdrop-bench-selfie-") as tmp:
        benches = {r: build_benches(r, clips[r], binary, tmp, repeat, enc_repeat, configs) for r in resolutions}
        for r in resolutions:   # warm-up, not timed
            subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", clips[r], "-f", "null", "-"], check=True)
        total = max(b.repeat for bl in benches.values() for b in bl)
        for rep in range(total):
            log("bench selfie: repetition %d/%d" % (rep + 1, total))
            for r in resolutions:
                bl = benches[r]
                k = rep % len(bl)
                for b in bl[k:] + bl[:k]:
                    if rep >= b.repeat or b.failed:
                        continue
                    try:
                        b.run_once(rep)
                    except (bfd.Failure, OSError, ValueError, KeyError, IndexError) as e:
                        b.failed = str(e)
                        failures.append((b, str(e)))
                        log("bench selfie: FAILED %s %s: %s" % (b.label, r, e))

    log("bench selfie: load average %.2f %.2f %.2f at end" % os.getloadavg())
    log("")
    # ---- main table: one column per benchmark
    names = []
    for r in resolutions:
        for b in benches[r]:
            if b.name not in names:
                names.append(b.name)
    label = {b.name: b.label for r in resolutions for b in benches[r]}
    rows, ratios = [], {}
    for r in resolutions:
        m = {b.name: b for b in benches[r]}
        dec = m["selfie_ffmpeg_decode"]
        ratios[r] = {}
        for cfg in configs:
            t1, t0 = m[bench_name(cfg, 1)], m[bench_name(cfg, 0)]
            ratios[r]["selfie_%s_threads0_over_decode" % cfg[0]] = paired_ratio(t0, dec)
            ratios[r]["selfie_%s_threads0_over_threads1" % cfg[0]] = paired_ratio(t0, t1)
            if bench_name(cfg, 0, True) in m:
                ratios[r]["selfie_%s_threads0_h264_over_null" % cfg[0]] = paired_ratio(m[bench_name(cfg, 0, True)], t0)
        if general:
            ratios[r]["selfie_%s_over_%s_threads0" % (DEFAULT[0], LANDSCAPE[0])] = paired_ratio(
                m[bench_name(DEFAULT, 0)], m[bench_name(LANDSCAPE, 0)])
    headers = ["benchmark"] + ["%s fps" % r for r in resolutions]
    for n in names:
        cells = [label[n]]
        for r in resolutions:
            b = next((x for x in benches[r] if x.name == n), None)
            cells.append("FAILED" if b is not None and b.failed else fmt(b.median_fps() if b else None))
        rows.append(cells)
    print_table(headers, rows)
    log("")
    rnames = sorted({k for r in resolutions for k in ratios[r]})
    print_table(["ratio (median of paired runs)"] + resolutions,
                [[k] + [fmt(ratios[r].get(k), "%.2f") for r in resolutions] for k in rnames])

    # ---- details
    log("")
    log("details: fps min/median/max; wall and cpu (user+sys) ms per input frame, whole process;")
    log("stages = backdrop --stats in ms per input frame (medians; overlapping with more than one thread)")
    drows = []
    for r in resolutions:
        for b in benches[r]:
            if not b.fps:
                drows.append([r, b.label, "FAILED" if b.failed else "-", "", "", "", "", ""])
                continue
            wall_ms = 1000.0 / b.median_wall_fps()
            cpu = b.median_cpu_ms()
            stages = "  ".join("%s %.2f" % (s, b.median_stage_ms(s)) for s in b.stage_names())
            drows.append([r, b.label, "%d" % len(b.fps), "%.1f/%.1f/%.1f" % (min(b.fps), b.median_fps(), max(b.fps)),
                          "%.2f" % wall_ms, "%.2f" % cpu, "%.2f" % (cpu / wall_ms), stages or "-"])
    print_table(["resolution", "benchmark", "runs", "fps min/med/max", "wall ms/frame", "cpu ms/frame",
                 "cores busy", "stages ms/frame"], drows)

    # ---- target
    log("")
    log("target (issue; informational): %s file -> null with all threads >= %.0f fps:" % (TARGET_RES, TARGET_FPS))
    if TARGET_RES in benches:
        for cfg in configs:
            b = next(x for x in benches[TARGET_RES] if x.name == bench_name(cfg, 0))
            v = b.median_fps()
            log("  %-4s %s, all threads: %s fps (min %s)" % (
                "n/a" if v is None else "PASS" if v >= TARGET_FPS else "MISS", cfg[1], fmt(v),
                fmt(min(b.fps) if b.fps else None)))
    else:
        log("  n/a (%s not measured)" % TARGET_RES)

    # ---- results file
    if csv_path and csv_path != "-":
        out = []
        add = bfd.row_adder(out, commit)
        for r in resolutions:
            for b in benches[r]:
                if not b.fps:
                    continue
                add(b.name, r, "fps_median", b.median_fps(), "%.1f")
                add(b.name, r, "cpu_ms_per_frame", b.median_cpu_ms(), "%.2f")
                for s in b.stage_names():
                    add(b.name, r, "stage_%s_ms_per_frame" % s, b.median_stage_ms(s), "%.3f")
            for metric, value in sorted(ratios[r].items()):
                add("ratio", r, metric, value, "%.3f")
        bfd.update_csv(csv_path, out, drop=lambda row: row["benchmark"] in RETIRED_BENCHES or (
            row["benchmark"] == "ratio" and row["metric"] in RETIRED_RATIOS))
        log("")
        log("bench selfie: updated %s (%d rows)" % (os.path.relpath(csv_path, os.getcwd()), len(out)))

    if failures:
        log("")
        log("bench selfie: %d benchmark(s) failed:" % len(failures))
        for b, e in failures:
            log("  %s %s: %s" % (b.label, b.res, e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
