#!/usr/bin/python3
"""Backgrounds and edge colours (bench/run.sh benchmark "edges").

1. Speed: build/bench/bench_edges (see the top of bench_edges.c): the blur
   background and the composite's foreground-colour estimate per frame, one
   thread, 720p and 1080p, against the plain composite in the same run.

2. Edge colour error, on ../shared/data/synth_p3m_portrait_building, whose
   alpha a and clean plate B are exact and whose frames follow
   I = gain (a F + (1 - a) B) + noise (meta.json). The true composite over a
   new background N is then C* = I / gain - (1 - a) B + (1 - a) N, known at
   every pixel without knowing F. backdrop runs with the exact matte
   (-m external --matte-in alpha/%06d.png), so only the colour differs
   between settings: edge-color original (the frame's pixel, which still
   holds (1 - a) B of the old background) and estimate (blur-fusion), at
   several reaches. Reported over the soft pixels (0.05 < a < 0.95) of the
   frames with the person: mean and 95th percentile of |C - C*| (8-bit,
   per channel). N cancels out of C - C*, so one colour is used.

3. Halo of the blur background, same clip and matte: around the person
   (a = 0 within 2 sigma of it), the distance of the output to the clean
   plate blurred alike (the ideal: no person in it), against the plain
   blur most tools use (the whole frame blurred, person included, then
   composited); both as mean |difference| and as the share of the person's
   colour in it.

Rows go to bench/results.csv as edges_*. Environment: BENCH_DATA (default
../shared/data), BENCH_EDGES_FRAMES (default 30: every 9th frame with the
person), BENCH_CSV.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_framediff as bfd  # noqa: E402

log = bfd.log

# The new background cancels out of the error (both C and C* take (1 - a) N
# from it), so one colour is enough.
COLOURS = {"green": (0, 177, 64)}
ESTIMATES = [("original", ["--edge-color", "original"]),
             ("estimate (default, 12 px)", []),
             ("estimate reach 2 px", ["--edge-radius", "2"]),
             ("estimate reach 4 px", ["--edge-radius", "4"]),
             ("estimate reach 60 px", ["--edge-radius", "60"])]


def slug(name):
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def speed(build, add):
    binary = os.path.join(build, "bench", "bench_edges")
    if not os.path.exists(binary):
        log("bench edges: %s missing (build first)" % binary)
        return 1
    frames = max(10, bfd.env_int("BENCH_EDGES_SPEED_FRAMES", 60))
    log("bench edges: backgrounds and edge colours per frame, one thread (%s --frames %d)" % (binary, frames))
    p = subprocess.run([binary, "--frames", str(frames)], capture_output=True, text=True)
    if p.returncode != 0:
        log("bench edges: failed: %s" % p.stderr.strip())
        return 1
    for line in p.stdout.splitlines():
        log(line)
        m = re.match(r"^(720p|1080p)\s+(.+?)\s+([0-9.]+)\s+([0-9.]+)\s+(-?[0-9.]+)\s*$", line)
        if m:
            name = "edges_speed_" + slug(m.group(2))
            add(name, m.group(1), "min_ms_per_frame", float(m.group(3)), "%.3f")
            add(name, m.group(1), "median_ms_per_frame", float(m.group(4)), "%.3f")
    return 0


def run(backdrop, args):
    p = subprocess.run([backdrop, "-q"] + args, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("backdrop %s: %s" % (" ".join(args), p.stderr.strip()))


def quality(build, data, add):
    clip = os.path.join(data, "synth_p3m_portrait_building")
    if not os.path.isdir(clip):
        log("bench edges: %s absent; edge colour error skipped" % clip)
        return 0
    backdrop = os.path.join(build, "tools", "backdrop")
    meta = json.load(open(os.path.join(clip, "meta.json")))
    per_frame = meta["per_frame"]
    if isinstance(per_frame, str):
        import ast
        per_frame = ast.literal_eval(per_frame)
    visible = [f["frame"] for f in per_frame if f["visible"] and f["fg_fraction"] > 0.02]
    count = max(3, bfd.env_int("BENCH_EDGES_FRAMES", 30))
    step = max(1, len(visible) // count)
    chosen = visible[::step][:count]
    B = cv2.imread(os.path.join(clip, "background.png"))[:, :, ::-1].astype(np.float64)
    work = tempfile.mkdtemp(prefix="bench-edges-")
    try:
        # The chosen frames as a lossless RGB sequence and their mattes, so
        # that nothing but the setting differs between runs.
        cap = cv2.VideoCapture(os.path.join(clip, "input.mp4"))
        frames, index = {}, 0
        os.mkdir(os.path.join(work, "in"))
        os.mkdir(os.path.join(work, "alpha"))
        wanted = set(chosen)
        while True:
            ok, img = cap.read()
            if not ok:
                break
            index += 1
            if index in wanted:
                k = len(frames) + 1
                frames[index] = img[:, :, ::-1].astype(np.float64)
                cv2.imwrite(os.path.join(work, "in", "%03d.png" % k), img)
                shutil.copy(os.path.join(clip, "alpha", "%06d.png" % index), os.path.join(work, "alpha", "%03d.png" % k))
        gains = {f["frame"]: f["gain"] for f in per_frame}
        alphas = {i: cv2.imread(os.path.join(clip, "alpha", "%06d.png" % i), cv2.IMREAD_GRAYSCALE) / 255.0
                  for i in frames}
        order = sorted(frames)
        table = []
        for cname, rgb in COLOURS.items():
            N = np.array(rgb, np.float64)
            colour = "#%02x%02x%02x" % rgb
            for name, extra in ESTIMATES:
                out = os.path.join(work, "out_" + slug(name) + "_" + cname)
                os.mkdir(out)
                run(backdrop, ["-m", "external", "--matte-in", os.path.join(work, "alpha", "%03d.png"),
                               "-b", colour] + extra + [os.path.join(work, "in", "%03d.png"),
                                                         "-o", os.path.join(out, "%03d.png")])
                errors = []
                for k, i in enumerate(order):
                    a = alphas[i][:, :, None]
                    truth = frames[i] / gains[i] - (1 - a) * B + (1 - a) * N
                    got = cv2.imread(os.path.join(out, "%03d.png" % (k + 1)))[:, :, ::-1].astype(np.float64)
                    soft = (alphas[i] > 0.05) & (alphas[i] < 0.95)
                    errors.append(np.abs(got - truth)[soft].ravel())
                e = np.concatenate(errors)
                table.append((cname, name, float(e.mean()), float(np.percentile(e, 95))))
                bench = "edges_colour_" + slug(name) + "_" + cname
                add(bench, "360p", "mae_soft", float(e.mean()), "%.3f")
                add(bench, "360p", "p95_soft", float(np.percentile(e, 95)), "%.3f")
        log("")
        log("Edge colour error on %d frames of synth (soft pixels, 8-bit per channel, exact matte):" % len(order))
        log("  %-7s %-28s %8s %8s" % ("new bg", "setting", "mean", "p95"))
        for row in table:
            log("  %-7s %-28s %8.2f %8.2f" % row)

        # Halo of the blur background: strength 24 px (sigma 12).
        out = os.path.join(work, "blur")
        os.mkdir(out)
        strength = 24.0
        run(backdrop, ["-m", "external", "--matte-in", os.path.join(work, "alpha", "%03d.png"), "-b",
                       "blur:%g" % strength, "--edge-color", "original", os.path.join(work, "in", "%03d.png"),
                       "-o", os.path.join(out, "%03d.png")])
        sigma = strength / 2
        ours, plain, share_ours, share_plain = [], [], [], []
        for k, i in enumerate(order):
            a = alphas[i]
            person = (a > 0).astype(np.uint8)
            dist = cv2.distanceTransform(1 - person, cv2.DIST_L2, 5)
            ring = (a == 0) & (dist <= 2 * sigma)
            ideal = cv2.GaussianBlur(B * gains[i], (0, 0), sigma)
            got = cv2.imread(os.path.join(out, "%03d.png" % (k + 1)))[:, :, ::-1].astype(np.float64)
            naive = cv2.GaussianBlur(frames[i], (0, 0), sigma)
            ours.append(np.abs(got - ideal)[ring].ravel())
            plain.append(np.abs(naive - ideal)[ring].ravel())
            # The person's share in the ring: how much of the way from the
            # ideal towards the person's mean colour the pixel went.
            fmean = frames[i][a > 0.95].mean(axis=0)
            towards = fmean - ideal[ring]
            norm = np.maximum((towards ** 2).sum(axis=1), 1e-6)
            share_ours.append(((got[ring] - ideal[ring]) * towards).sum(axis=1) / norm)
            share_plain.append(((naive[ring] - ideal[ring]) * towards).sum(axis=1) / norm)
        o, p = np.concatenate(ours), np.concatenate(plain)
        so, sp = np.concatenate(share_ours), np.concatenate(share_plain)
        log("")
        log("Halo of -b blur:%g around the person (a = 0 within 2 sigma), against the clean plate blurred alike:"
            % strength)
        log("  %-34s %8s %8s %14s" % ("background", "mean", "p95", "person share"))
        log("  %-34s %8.2f %8.2f %13.1f%%" % ("plain blur (frame with the person)", p.mean(), np.percentile(p, 95),
                                              100 * sp.mean()))
        log("  %-34s %8.2f %8.2f %13.1f%%" % ("backdrop blur (weighted)", o.mean(), np.percentile(o, 95),
                                              100 * so.mean()))
        add("edges_halo_plain_blur", "360p", "mae_ring", float(p.mean()), "%.3f")
        add("edges_halo_plain_blur", "360p", "person_share_pct", float(100 * sp.mean()), "%.2f")
        add("edges_halo_backdrop_blur", "360p", "mae_ring", float(o.mean()), "%.3f")
        add("edges_halo_backdrop_blur", "360p", "person_share_pct", float(100 * so.mean()), "%.2f")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    data = os.environ.get("BENCH_DATA", os.path.join(os.path.dirname(bfd.REPO), "shared", "data"))
    rows = []
    add = bfd.row_adder(rows, bfd.git_commit())
    status = speed(build, add)
    if os.environ.get("BENCH_EDGES_QUALITY", "1") != "0":
        status |= quality(build, data, add)
    # Settings renamed or dropped leave no stale rows behind.
    ran = set(r["benchmark"].split("_")[1] for r in rows)
    bfd.record_rows("bench edges", rows, drop=lambda r: r["benchmark"].startswith("edges_")
                    and r["benchmark"].split("_")[1] in ran)
    return status


if __name__ == "__main__":
    sys.exit(main())
