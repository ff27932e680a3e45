#!/usr/bin/python3
"""Speed benchmark of `backdrop -m framediff` (run through bench/run.sh).

For each resolution, all benchmarks run in the same process, interleaved
(repetition 1 of every benchmark, then repetition 2, ...), so slow phases of a
shared, noisy machine hit all of them alike; the median of the repetitions is
reported and the ratios compare numbers measured side by side.

fps is always   input frames / wall seconds   measured around the whole
process (start-up, probing, background loading included), except for the
Python reference, whose own --bench timer (read + process loop, interpreter
start and `import cv2` excluded) is used: that favours Python, so the
"all-thr / python" ratio is a lower bound.
"""

import argparse
import csv
import datetime
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = "/usr/share/doc/opencv-doc/examples/data"
SOURCE = os.path.join(DATA, "vtest.avi")
BACKGROUND = os.path.join(DATA, "starry_night.jpg")
PY = "/usr/bin/python3"
REF = os.path.join(REPO, "tests", "ref", "tutorial_ref.py")

FRAMES = 300
FPS = 25
CRF = 20
RESOLUTIONS = {"720p": (1280, 720), "1080p": (1920, 1080)}

# Targets of the performance issue, checked at 720p.
TARGET_DECODE_RATIO = 0.90   # backdrop all threads >= 90 % of decode-only fps
TARGET_PY_RATIO = 20.0       # backdrop all threads >= 20x the Python reference
TARGET_RES = "720p"

CSV_FIELDS = ["date", "commit", "benchmark", "resolution", "metric", "value"]


def env_int(name, default):
    v = os.environ.get(name, "")
    if not v:
        return default
    try:
        n = int(v)
    except ValueError:
        sys.exit("bench: %s=%r is not a whole number" % (name, v))
    if n < 0:
        sys.exit("bench: %s must be >= 0" % name)
    return n


def log(msg):
    print(msg, flush=True)


# ---------------------------------------------------------------- test clips

def cache_dir():
    d = os.environ.get("BENCH_CACHE")
    if not d:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        d = os.path.join(base, "backdrop", "bench")
    os.makedirs(d, exist_ok=True)
    return d


def probe_frames(path):
    """Number of decodable video frames (decodes the whole file)."""
    out = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                          "-show_entries", "stream=nb_read_frames,width,height,pix_fmt",
                          "-of", "json", path], check=True, capture_output=True, text=True).stdout
    s = json.loads(out)["streams"][0]
    return int(s["nb_read_frames"]), s["width"], s["height"], s["pix_fmt"]


def make_clip(res):
    """The cached clip for res, generated (once) from vtest.avi if missing.

    vtest.avi is 768x576 (4:3) at 10 fps: its middle 768x432 (16:9) is cropped
    so people are not distorted, scaled with lanczos, and its first 300
    frames are re-timed to 25 fps; H.264 yuv420p, crf 20, no audio."""
    w, h = RESOLUTIONS[res]
    path = os.path.join(cache_dir(), "vtest_%dx%d_%df_%dfps_crf%d.mp4" % (w, h, FRAMES, FPS, CRF))
    if os.path.exists(path):
        return path
    log("bench: generating %s from %s" % (path, SOURCE))
    encode_clip(path, ["-i", SOURCE, "-an",
                       "-vf", "crop=768:432,scale=%d:%d:flags=lanczos,setsar=1,setpts=N/(%d*TB)" % (w, h, FPS),
                       "-r", str(FPS)], FRAMES, w, h)
    return path


def encode_clip(path, source_args, frames, w, h):
    """Writes path (H.264 yuv420p, crf CRF) from ffmpeg's source_args (input
    and filters), the first frames frames, and checks it has frames frames of
    w x h; written under a temporary name, renamed when complete."""
    tmp = path + ".part-%d.mp4" % os.getpid()
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y"] + source_args + [
           "-frames:v", str(frames), "-c:v", "libx264", "-preset", "medium", "-crf", str(CRF),
           "-pix_fmt", "yuv420p", "-movflags", "+faststart", tmp]
    try:
        subprocess.run(cmd, check=True)
        n, pw, ph, pix = probe_frames(tmp)
        if (n, pw, ph, pix) != (frames, w, h, "yuv420p"):
            raise RuntimeError("generated clip has %d frames %dx%d %s" % (n, pw, ph, pix))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


# ---------------------------------------------------------------- running

class Failure(Exception):
    pass


def run_timed(cmd, capture_stdout=False):
    """Runs cmd; returns (wall seconds, exit status, stdout, stderr)."""
    out = subprocess.PIPE if capture_stdout else subprocess.DEVNULL
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    stdout, stderr = p.communicate()
    wall = time.perf_counter() - t0
    return wall, p.returncode, stdout, stderr


def children_cpu():
    """User + system seconds of all reaped children so far (cumulative: the
    CPU time of one run is the difference around it)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class Bench:
    """One benchmark of one resolution: command line and collected samples."""

    def __init__(self, name, label, res, cmd, repeat, kind, stats_path=None):
        self.name, self.label, self.res = name, label, res
        self.cmd, self.repeat, self.kind = cmd, repeat, kind
        self.stats_path = stats_path
        self.fps, self.wall, self.cpu, self.stages = [], [], [], []
        self.fps_by_rep = {}
        self.failed = None

    def run_once(self, rep):
        if self.stats_path and os.path.exists(self.stats_path):
            os.unlink(self.stats_path)
        c0 = children_cpu()
        wall, rc, stdout, stderr = run_timed(self.cmd, capture_stdout=(self.kind == "python"))
        cpu = children_cpu() - c0
        if rc != 0:
            raise Failure("exit status %d: %s\n%s" % (rc, " ".join(self.cmd),
                                                       stderr.decode(errors="replace").strip()[-2000:]))
        if self.kind == "python":
            line = stdout.decode().strip().splitlines()[-1]
            report = json.loads(line)
            if report["frames"] != FRAMES:
                raise Failure("%s read %s frames, expected %d" % (" ".join(self.cmd), report["frames"], FRAMES))
            fps = float(report["fps"])
        else:
            fps = FRAMES / wall
        if self.stats_path:
            with open(self.stats_path) as f:
                st = json.load(f)
            self.stages.append(st)
        self.fps.append(fps)
        self.fps_by_rep[rep] = fps
        self.wall.append(wall)
        self.cpu.append(cpu)

    def median_fps(self):
        return statistics.median(self.fps) if self.fps else None

    def median_wall_fps(self):
        """Frames / wall seconds of the whole process (start-up included)."""
        return FRAMES / statistics.median(self.wall) if self.wall else None

    def median_cpu_ms(self):
        return 1000.0 * statistics.median(self.cpu) / FRAMES if self.cpu else None

    def median_stage_ms(self, stage):
        vals = [s["stages"][stage] for s in self.stages if stage in s.get("stages", {})]
        return statistics.median(vals) / FRAMES if vals else None

    def stage_names(self):
        return list(self.stages[0]["stages"].keys()) if self.stages else []


def build_benches(res, clip, binary, tmp, repeat, py_repeat, enc_repeat):
    def bd(threads, output, stats):
        return [binary, "-m", "framediff", "-b", BACKGROUND, clip, "-o", output,
                "--quiet", "--threads", str(threads), "--stats", stats]
    s = lambda tag: os.path.join(tmp, "%s-%s.json" % (res, tag))
    benches = [
        Bench("ffmpeg_decode", "ffmpeg decode", res,
              ["ffmpeg", "-nostdin", "-v", "error", "-i", clip, "-f", "null", "-"], repeat, "wall"),
        Bench("backdrop_framediff_threads1", "backdrop 1 thr", res,
              bd(1, "null", s("t1")), repeat, "wall", s("t1")),
        Bench("backdrop_framediff_threads0", "backdrop all thr", res,
              bd(0, "null", s("t0")), repeat, "wall", s("t0")),
        Bench("python_ref", "python ref", res,
              [PY, REF, clip, "--background", BACKGROUND, "--threshold", "3", "--bench"],
              py_repeat, "python"),
    ]
    if res == "720p" and enc_repeat > 0:
        benches.append(Bench("backdrop_framediff_threads0_h264", "backdrop all thr -> H.264", res,
                             bd(0, os.path.join(tmp, "out-%s.mp4" % res), s("h264")),
                             enc_repeat, "wall", s("h264")))
    return benches


# ---------------------------------------------------------------- results file

def git_commit():
    try:
        h = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                           check=True, capture_output=True, text=True).stdout.strip()
        # Dirty when anything outside bench/ differs from HEAD: the numbers
        # then belong to uncommitted code.
        st = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no",
                             "--", ".", ":(exclude)bench"],
                            check=True, capture_output=True, text=True).stdout.strip()
        return h + ("+dirty" if st else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def record_rows(who, rows, drop=None):
    """Writes rows into the results file (BENCH_CSV, default
    bench/results.csv; "-" = none) with update_csv, and says so."""
    path = os.environ.get("BENCH_CSV", os.path.join(REPO, "bench", "results.csv"))
    if path == "-" or not rows:
        return
    update_csv(path, rows, drop=drop)
    log("%s: updated %s (%d rows)" % (who, os.path.relpath(path, os.getcwd()), len(rows)))


def row_adder(out, commit, default_spec="%.1f"):
    """A function add(bench, resolution, metric, value, spec) appending one
    results.csv row (dated today, for this commit) to out; None values are
    left out."""
    date = datetime.datetime.now().astimezone().strftime("%Y-%m-%d")

    def add(bench, res, metric, value, spec=default_spec):
        if value is not None:
            out.append({"date": date, "commit": commit, "benchmark": bench, "resolution": res,
                        "metric": metric, "value": spec % value})
    return add


def update_csv(path, rows, drop=None):
    """Replaces the rows of the same (benchmark, resolution, metric) and keeps
    the file sorted, so it stays one line per metric and diffs well. drop:
    a predicate on the existing rows, for rows a benchmark no longer makes."""
    table = {}
    if os.path.exists(path):
        with open(path, newline="") as f:
            for r in csv.DictReader(f):
                if drop is None or not drop(r):
                    table[(r["benchmark"], r["resolution"], r["metric"])] = r
    for r in rows:
        table[(r["benchmark"], r["resolution"], r["metric"])] = r
    tmp = path + ".part"
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS, lineterminator="\n")
        w.writeheader()
        for key in sorted(table):
            w.writerow({k: table[key].get(k, "") for k in CSV_FIELDS})
    os.replace(tmp, path)


# ---------------------------------------------------------------- report

def fmt(v, spec="%.1f"):
    return "-" if v is None else spec % v


def paired_ratio(a, b):
    """Median over the repetitions that ran both benchmarks of fps(a)/fps(b):
    each pair ran back to back, so a slow phase of the machine mostly cancels."""
    reps = sorted(set(a.fps_by_rep) & set(b.fps_by_rep))
    if not reps:
        return None
    return statistics.median(a.fps_by_rep[k] / b.fps_by_rep[k] for k in reps)


def print_table(headers, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    line = lambda cells: " | ".join(str(c).rjust(w) if i else str(c).ljust(w)
                                    for i, (c, w) in enumerate(zip(cells, widths)))
    log(line(headers))
    log("-+-".join("-" * w for w in widths))
    for r in rows:
        log(line(r))


def log_load_at_start(who):
    """The load average, with a warning when the machine is not idle."""
    load = os.getloadavg()
    log("%s: load average %.2f %.2f %.2f at start%s" % ((who,) + load + (
        "  (machine not idle: expect noisy numbers; compare ratios)" if load[0] > 1.0 else "",)))


def machine_info():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for l in f:
                if l.startswith("model name"):
                    model = l.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        ff = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.split("\n")[0]
    except OSError:
        ff = "ffmpeg not found"
    return "%d cores (%s); %s" % (os.cpu_count() or 0, model, ff)


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True, help="Meson build directory holding tools/backdrop")
    a = ap.parse_args()

    repeat = max(1, env_int("BENCH_REPEAT", 5))
    py_repeat = {"720p": env_int("BENCH_PY_REPEAT", min(3, repeat)),
                 "1080p": env_int("BENCH_PY_REPEAT_1080", 1)}
    enc_repeat = env_int("BENCH_ENCODE_REPEAT", min(3, repeat))
    resolutions = [r.strip() for r in os.environ.get("BENCH_RESOLUTIONS", "720p,1080p").split(",") if r.strip()]
    for r in resolutions:
        if r not in RESOLUTIONS:
            sys.exit("bench: unknown resolution %r (known: %s)" % (r, ", ".join(RESOLUTIONS)))
    csv_path = os.environ.get("BENCH_CSV", os.path.join(REPO, "bench", "results.csv"))

    binary = os.path.join(a.build, "tools", "backdrop")
    for f in (binary, SOURCE, BACKGROUND, REF):
        if not os.path.exists(f):
            sys.exit("bench: missing %s (build first / install opencv-doc)" % f)
    for tool in ("ffmpeg", "ffprobe"):
        if not shutil.which(tool):
            sys.exit("bench: %s not found" % tool)

    clips = {r: make_clip(r) for r in resolutions}
    commit = git_commit()
    log("bench: %s" % machine_info())
    log("bench: commit %s, %s; clips in %s (%d frames, %d fps, H.264 crf %d)"
        % (commit, binary, cache_dir(), FRAMES, FPS, CRF))
    log_load_at_start("bench")
    log("bench: %d repetitions (python ref: %s; H.264 output: %d), interleaved, medians reported"
        % (repeat, ", ".join("%s %d" % (r, py_repeat[r]) for r in resolutions), enc_repeat))

    failures = []
    with tempfile.TemporaryDirectory(prefix="backdrop-bench-") as tmp:
        benches = {r: build_benches(r, clips[r], binary, tmp, repeat, py_repeat[r], enc_repeat)
                   for r in resolutions}
        # Warm-up: page cache, dynamic loader, cv2 import paths.  Not timed.
        for r in resolutions:
            subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", clips[r], "-f", "null", "-"],
                           check=True)
        total = max(b.repeat for bl in benches.values() for b in bl)
        for rep in range(total):
            log("bench: repetition %d/%d" % (rep + 1, total))
            for r in resolutions:
                bl = benches[r]
                # Rotate the order each repetition so no benchmark always runs
                # right after the same neighbour.
                k = rep % len(bl)
                for b in bl[k:] + bl[:k]:
                    if rep >= b.repeat or b.failed:
                        continue
                    try:
                        b.run_once(rep)
                    except (Failure, OSError, ValueError, KeyError, IndexError) as e:
                        b.failed = str(e)
                        failures.append((b, str(e)))
                        log("bench: FAILED %s %s: %s" % (b.label, r, e))

    # ---- main table
    log("bench: load average %.2f %.2f %.2f at end (the benchmark itself keeps ~1-2 cores busy)"
        % os.getloadavg())
    log("")
    headers = ["resolution", "ffmpeg decode fps", "backdrop 1 thr fps", "backdrop all thr fps",
               "python ref fps", "all-thr / decode", "all-thr / python"]
    rows, results = [], {}
    for r in resolutions:
        m = {b.name: b for b in benches[r]}
        dec, t1, t0, py = (m["ffmpeg_decode"], m["backdrop_framediff_threads1"],
                           m["backdrop_framediff_threads0"], m["python_ref"])
        results[r] = {"threads0_over_decode": paired_ratio(t0, dec),
                      "threads0_over_python": paired_ratio(t0, py),
                      "threads0_over_threads1": paired_ratio(t0, t1)}
        rows.append([r, fmt(dec.median_fps()), fmt(t1.median_fps()), fmt(t0.median_fps()),
                     fmt(py.median_fps()), fmt(results[r]["threads0_over_decode"], "%.2f"),
                     fmt(results[r]["threads0_over_python"], "%.1fx")])
    print_table(headers, rows)
    log("(fps: medians; ratios: medians of the per-repetition ratios of runs made back to back)")

    # ---- details: spread, CPU, stages
    log("")
    log("details: fps min/median/max over the runs; wall ms = median wall time of the whole process")
    log("per input frame (for the python ref, start-up and import included, unlike its fps); cpu =")
    log("user+sys ms per input frame, whole process; cores busy = cpu / wall; stages = backdrop --stats,")
    log("ms per input frame, medians. With more than 1 thread, decode runs ahead on its own thread,")
    log("so stages overlap and can add up to more than the wall time.")
    drows = []
    for r in resolutions:
        for b in benches[r]:
            if not b.fps:
                drows.append([r, b.label, "FAILED" if b.failed else "-", "", "", "", "", ""])
                continue
            spread = "%.1f/%.1f/%.1f" % (min(b.fps), b.median_fps(), max(b.fps))
            cpu = b.median_cpu_ms()
            wall_fps = b.median_wall_fps()
            wall_ms = 1000.0 / wall_fps
            stages = "  ".join("%s %.2f" % (s, b.median_stage_ms(s)) for s in b.stage_names())
            drows.append([r, b.label, "%d" % len(b.fps), spread, "%.2f" % wall_ms, "%.2f" % cpu,
                          "%.2f" % (cpu / wall_ms), stages or "-"])
    print_table(["resolution", "benchmark", "runs", "fps min/med/max", "wall ms/frame", "cpu ms/frame",
                 "cores busy", "stages ms/frame"], drows)

    # ---- targets
    log("")
    log("targets (issue, at %s; informational):" % TARGET_RES)
    if TARGET_RES in results:
        m = results[TARGET_RES]
        for what, val, goal, spec in (
                ("backdrop all threads >= %d %% of ffmpeg decode-only fps" % round(TARGET_DECODE_RATIO * 100),
                 m["threads0_over_decode"], TARGET_DECODE_RATIO, "%.2f"),
                ("backdrop all threads >= %gx the Python reference" % TARGET_PY_RATIO,
                 m["threads0_over_python"], TARGET_PY_RATIO, "%.1f")):
            verdict = "n/a" if val is None else ("PASS" if val >= goal else "MISS")
            log("  %-4s %s: %s" % (verdict, what, fmt(val, spec)))
    else:
        log("  n/a (%s not measured)" % TARGET_RES)

    # ---- results file
    if csv_path and csv_path != "-":
        out = []
        add = row_adder(out, commit)
        for r in resolutions:
            for b in benches[r]:
                if not b.fps:
                    continue
                add(b.name, r, "fps_median", b.median_fps(), "%.1f")
                if b.kind == "python":
                    add(b.name, r, "process_fps_median", b.median_wall_fps(), "%.1f")
                add(b.name, r, "cpu_ms_per_frame", b.median_cpu_ms(), "%.2f")
                for s in b.stage_names():
                    add(b.name, r, "stage_%s_ms_per_frame" % s, b.median_stage_ms(s), "%.3f")
            for metric, value in sorted(results[r].items()):
                add("ratio", r, metric, value, "%.3f")
        update_csv(csv_path, out)
        log("")
        log("bench: updated %s (%d rows)" % (os.path.relpath(csv_path, os.getcwd()), len(out)))

    if failures:
        log("")
        log("bench: %d benchmark(s) failed:" % len(failures))
        for b, e in failures:
            log("  %s %s: %s" % (b.label, b.res, e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
