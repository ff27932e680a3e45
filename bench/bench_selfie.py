#!/usr/bin/python3
"""Speed benchmark of `backdrop -m selfie` (run through bench/run.sh).

End to end, file -> null and file -> H.264 (.mp4, libx264 defaults), with
--threads 1 and --threads 0 (all cores), on the cached 720p/1080p clips of
bench_framediff.py (made from vtest.avi when missing, the same way), next to
ffmpeg decode-only, all in the same process and interleaved like
bench_framediff.py (repetition 1 of every benchmark, then repetition 2, ...,
order rotated); medians reported.

The model is `landscape` (the default for frames wider than 4:3, so for 16:9
clips); `general` (256x256, framing pad: 1.8x the work) is measured too
unless BENCH_SELFIE_GENERAL=0.

fps = 300 input frames / wall seconds of the whole process (start-up, model
loading and network set-up included).
"""

import argparse
import datetime
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


def build_benches(res, clip, binary, tmp, repeat, enc_repeat, general):
    s = lambda tag: os.path.join(tmp, "%s-%s.json" % (res, tag))

    def bd(name, label, model, threads, output, rep):
        tag = name
        cmd = [binary, "-m", "selfie", "--model", model, "-b", bfd.BACKGROUND, clip, "-o", output,
               "--quiet", "--threads", str(threads), "--stats", s(tag)]
        return Bench(name, label, res, cmd, rep, "wall", s(tag))

    h264 = lambda tag: os.path.join(tmp, "out-%s-%s.mp4" % (res, tag))
    benches = [
        Bench("selfie_ffmpeg_decode", "ffmpeg decode", res,
              ["ffmpeg", "-nostdin", "-v", "error", "-i", clip, "-f", "null", "-"], repeat, "wall"),
        bd("backdrop_selfie_threads1", "landscape 1 thr -> null", "landscape", 1, "null", repeat),
        bd("backdrop_selfie_threads0", "landscape all thr -> null", "landscape", 0, "null", repeat),
    ]
    if enc_repeat > 0:
        benches += [
            bd("backdrop_selfie_threads1_h264", "landscape 1 thr -> H.264", "landscape", 1, h264("t1"), enc_repeat),
            bd("backdrop_selfie_threads0_h264", "landscape all thr -> H.264", "landscape", 0, h264("t0"),
               enc_repeat),
        ]
    if general:
        benches += [
            bd("backdrop_selfie_general_threads1", "general 1 thr -> null", "general", 1, "null", repeat),
            bd("backdrop_selfie_general_threads0", "general all thr -> null", "general", 0, "null", repeat),
        ]
    return benches


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True, help="Meson build directory holding tools/backdrop")
    a = ap.parse_args()

    repeat = max(1, bfd.env_int("BENCH_REPEAT", 5))
    enc_repeat = bfd.env_int("BENCH_ENCODE_REPEAT", min(3, repeat))
    general = bfd.env_int("BENCH_SELFIE_GENERAL", 1)
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
    for model in ("landscape", "general") if general else ("landscape",):
        p = subprocess.run([binary, "-m", "selfie", "--model", model, bfd.BACKGROUND, "-o", "null", "-q"],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            log("bench selfie: SKIPPED: backdrop cannot run the %s model (fetch the models with 'make models' "
                "or scripts/fetch-models.sh):\n  %s" % (model, p.stderr.strip()[-500:]))
            return 0

    commit = bfd.git_commit()
    log("bench selfie: %s" % bfd.machine_info())
    log("bench selfie: commit %s, %s; clips in %s (%d frames, %d fps, H.264 crf %d)"
        % (commit, binary, bfd.cache_dir(), bfd.FRAMES, bfd.FPS, bfd.CRF))
    load = os.getloadavg()
    log("bench selfie: load average %.2f %.2f %.2f at start%s" % (load + (
        "  (machine not idle: expect noisy numbers; compare ratios)" if load[0] > 1.0 else "",)))
    log("bench selfie: %d repetitions (H.264 output: %d), interleaved, medians reported" % (repeat, enc_repeat))

    failures = []
    with tempfile.TemporaryDirectory(prefix="backdrop-bench-selfie-") as tmp:
        benches = {r: build_benches(r, clips[r], binary, tmp, repeat, enc_repeat, general) for r in resolutions}
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
        dec, t1, t0 = m["selfie_ffmpeg_decode"], m["backdrop_selfie_threads1"], m["backdrop_selfie_threads0"]
        ratios[r] = {"selfie_threads0_over_decode": paired_ratio(t0, dec),
                     "selfie_threads0_over_threads1": paired_ratio(t0, t1)}
        if "backdrop_selfie_threads0_h264" in m:
            ratios[r]["selfie_threads0_h264_over_null"] = paired_ratio(m["backdrop_selfie_threads0_h264"], t0)
        if "backdrop_selfie_general_threads0" in m:
            ratios[r]["selfie_general_over_landscape_threads0"] = paired_ratio(
                m["backdrop_selfie_general_threads0"], t0)
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
        b = next(x for x in benches[TARGET_RES] if x.name == "backdrop_selfie_threads0")
        v = b.median_fps()
        log("  %-4s landscape all threads: %s fps" % ("n/a" if v is None else "PASS" if v >= TARGET_FPS else "MISS",
                                                     fmt(v)))
        g = next((x for x in benches[TARGET_RES] if x.name == "backdrop_selfie_general_threads0"), None)
        if g and g.median_fps() is not None:
            log("  %-4s general (pad) all threads: %s fps" % ("PASS" if g.median_fps() >= TARGET_FPS else "MISS",
                                                             fmt(g.median_fps())))
    else:
        log("  n/a (%s not measured)" % TARGET_RES)

    # ---- results file
    if csv_path and csv_path != "-":
        date = datetime.datetime.now().astimezone().strftime("%Y-%m-%d")
        out = []

        def add(bench, res, metric, value, spec):
            if value is not None:
                out.append({"date": date, "commit": commit, "benchmark": bench, "resolution": res,
                            "metric": metric, "value": spec % value})
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
        bfd.update_csv(csv_path, out)
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
