#!/usr/bin/python3
"""Matte quality benchmark of `backdrop -m selfie` on ../shared/data (run through bench/run.sh).

Every setting (a named list of backdrop arguments, SETTINGS below) runs once per
sequence as

    backdrop IN -o null --matte DIR/%06d.png -q --threads 1 --stats S.json ARGS

and every matte frame (alpha A, 0..255) is compared with its ground truth (GT).
The data: davis2016_person (3 real hand-held sequences, binary human masks),
synth_p3m_portrait_building (a 300-frame composite, exact alpha in alpha/),
p3m_portraits_pseudo_gt (12 stills, P3M-Net alpha as pseudo-GT).  Metrics:

  IoU          |P & G| / |P | G| with P = A >= 128, G = GT >= 128
               (1 when both are empty, as in the DAVIS toolkit).
  boundary F   boundaries B(M) = M minus its 3x3 (8-neighbour) erosion, pixels
               outside the image counting as foreground (the frame edge is no
               boundary); precision = share of B(P) within Euclidean distance
               tol of B(G), recall = share of B(G) within tol of B(P),
               F = 2PR / (P + R); both empty: F = 1, one empty: F = 0.
               tol = max(1, round(2 * diagonal / diagonal(640x360))) px, i.e.
               2 px at 640x360 (and at all the sizes of the shared data).
  MAE          where the GT is an alpha matte (synth, p3m): the mean over the
               frame's pixels of |A/255 - GT/255|, reported x1000 (thousandths
               of full alpha: 10 = 1 %).
  flicker      video only, frames t >= 2: the mean of |A(t) - A(t-1)| / 255
               over the pixels whose GT did not change from t-1 to t (GT(t) ==
               GT(t-1), which for binary GT is "same mask value" and for alpha
               GT "identical alpha"); x1000.  Frames where every pixel's GT
               changed count for nothing.
  ghosting     video only, frames t >= 2: the mean of |A(t) - GT(t)| / 255 over
               the pixels whose GT changed from t-1 to t; x1000.  Frames where
               no pixel's GT changed (a still person, an empty scene) count for
               nothing.  Catches a matte that lags behind motion.
  still        synth only, its still frames (meta.json "still_frames", 1-based
               inclusive: the person holds perfectly still, only the camera
               noise and gain change): the mean |A(t) - A(t-1)| / 255 over
               all pixels of those frame pairs, x1000: flicker where there is
               nothing to follow, the case a video call is in most of the time.
  specks       synth only, its empty frames (meta.json "empty_frames", 1-based
               inclusive; no person at all): specks_fraction = mean over those
               frames of the share of pixels with A >= 128 (should be 0),
               specks_frames = how many of them have any such pixel.
  cost         stage "process" of backdrop's --stats JSON (milliseconds spent
               in segmentation + refinement + stabilisation + compositing, over
               the run) / frames, for the 640x360 videos (3 davis + synth), the
               median of the 4; ms per frame on 1 thread (--threads 1 in every
               run: the mattes do not depend on the thread count).

Means are frame-weighted (every frame, or frame pair, of the group counts
once): per dataset, and "overall" (IoU, BF) over all the frames of the three.

With the anchor (README of shared/anchor), the same frames go through the
official TFLite runtime (--fit crop / stretch): its rows are the reference
(its matte is round(255 p), no soft ramp, so its MAE / flicker are not quite
like for like), and the agreement (IoU of our binary mask with the official
one) checks our preprocessing for the framings both implement.

Before writing, each value is compared with the committed bench/results.csv
(git show HEAD:bench/results.csv; rows of the earlier quality_selfie.py are
read for the framings and the anchor, which it also measured).  Plots of the
settings (bench/plots/, matplotlib, Agg) are drawn from the results file once
written.
"""

import argparse
import csv
import glob
import io
import json
import math
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_framediff as bfd  # noqa: E402  (shared helpers: csv, commit, tables)
import anchor  # noqa: E402  (the official runtime's working copy)

REPO = bfd.REPO
log = bfd.log

# ---------------------------------------------------------------- settings
#
# name -> backdrop arguments (besides input, -o null, --matte, -q, --threads 1,
# --stats).  A setting whose options this backdrop does not know (exit status
# 2) is reported "unavailable" and writes no rows.  Rows: quality_<name>.

_FRAMING = ("-m selfie --model %s --framing %s --refine bilinear --stabilise none --cleanup none "
            "--threshold 0.5 --softness 0.2")

_RAW = "-m selfie --refine bilinear --stabilise none --cleanup none"

SETTINGS = [
    ("raw",               _RAW),                                            # the map as before the matte stages
    ("raw+regions",       "-m selfie --refine bilinear --stabilise none"),  # the comparison: cleanup default
    ("ema",               _RAW.replace("none --c", "ema --c")),             # keep 0.85: the baseline
    ("adaptive",          _RAW.replace("none --c", "adaptive --c")),
    ("regions",           "-m selfie --refine bilinear --stabilise none --cleanup regions"),
    ("guided-luma",       "-m selfie --refine guided --guide luma --stabilise none --cleanup none"),
    ("guided",            "-m selfie --refine guided --stabilise none --cleanup none"),
    ("bilateral",         "-m selfie --refine bilateral --stabilise none --cleanup none"),
    ("default",           "-m selfie"),                                     # guided + adaptive + regions
    ("default-ema",       "-m selfie --stabilise ema"),
    ("default-crop",      "-m selfie --framing crop"),
    ("default-track",     "-m selfie --framing track"),
    ("raw-crop",          _RAW + " --framing crop"),
    # The framings quality_selfie.py compared (its rows selfie_quality_<model>_<framing>),
    # refinement and stabilisation pinned so the rows keep their meaning.
    ("general-windows",   _FRAMING % ("general", "windows")),
    ("general-pad",       _FRAMING % ("general", "pad")),
    ("general-stretch",   _FRAMING % ("general", "stretch")),
    ("general-crop",      _FRAMING % ("general", "crop")),
    ("landscape-pad",     _FRAMING % ("landscape", "pad")),
    ("landscape-stretch", _FRAMING % ("landscape", "stretch")),
    # Robust Video Matting: its own refiner and recurrent state, no matte
    # stages. Automatic ratio (0.75 on this 640x360 data), then fixed ones.
    ("rvm",               "-m rvm"),
    ("rvm-0.25",          "-m rvm --downsample-ratio 0.25"),
    ("rvm-0.375",         "-m rvm --downsample-ratio 0.375"),
    ("rvm-0.5",           "-m rvm --downsample-ratio 0.5"),
    ("rvm-1",             "-m rvm --downsample-ratio 1"),
    ("rvm-noguard",       "-m rvm --guard 0"),                      # the drift guard's effect
    ("rvm-0.5-noguard",   "-m rvm --downsample-ratio 0.5 --guard 0"),
]

# Official runtime (model, fit); its rows: quality_official-<model>-<fit>.  The
# agreement is measured against setting <model>-<fit>.
OFFICIAL = [("general", "crop"), ("general", "stretch"), ("landscape", "stretch")]

# Earlier names (quality_selfie.py), for the comparison with the committed file
# and removed from it when the new rows are written.
LEGACY = {"%s-%s" % (m, f): "selfie_quality_%s_%s" % (m, f)
          for m, f in [("general", "windows"), ("general", "pad"), ("general", "stretch"), ("general", "crop"),
                       ("landscape", "pad"), ("landscape", "stretch")]}
LEGACY.update({"official-%s-%s" % (m, f): "official_quality_%s_%s" % (m, f) for m, f in OFFICIAL})
LEGACY_METRIC = {"iou": "iou_mean", "bf": "bf_mean", "agree_iou": "agree_iou_with_backdrop_mean"}
LEGACY_DROP_PREFIX = "selfie_quality_exp_"      # the experimental framings, no longer measured

DATASETS = ["davis2016_person", "synth_p3m_portrait_building", "p3m_portraits_pseudo_gt"]
SHORT = {"davis2016_person": "davis", "synth_p3m_portrait_building": "synth",
         "p3m_portraits_pseudo_gt": "p3m", "overall": "overall"}
FULL = {v: k for k, v in SHORT.items()}
COST_RES = "640x360"
REF_DIAG = math.hypot(640, 360)
REF_TOL = 2.0

# metric -> (groups it is reported for, csv format, display format)
METRICS = {
    "iou":             (["davis", "synth", "p3m", "overall"], "%.4f", "%.3f"),
    "bf":              (["davis", "synth", "p3m", "overall"], "%.4f", "%.3f"),
    "mae":             (["synth", "p3m"], "%.3f", "%.2f"),
    "flicker":         (["davis", "synth"], "%.3f", "%.2f"),
    "ghosting":        (["davis", "synth"], "%.2f", "%.1f"),
    "still":           (["synth"], "%.4f", "%.3f"),
    "specks_fraction": (["synth"], "%.6f", "%.5f"),
    "specks_frames":   (["synth"], "%d", "%d"),
    "cost_ms":         ([COST_RES], "%.2f", "%.2f"),
    "agree_iou":       (["davis", "synth", "p3m", "overall"], "%.4f", "%.4f"),
}


# ---------------------------------------------------------------- metrics

def tolerance(w, h):
    return max(1, int(round(REF_TOL * math.hypot(w, h) / REF_DIAG)))


_disks = {}


def disk(r):
    if r not in _disks:
        y, x = np.mgrid[-r:r + 1, -r:r + 1]
        _disks[r] = ((x * x + y * y) <= r * r).astype(np.uint8)
    return _disks[r]


_square3 = np.ones((3, 3), np.uint8)


def boundary(mask_u8):
    """mask_u8: 0/1 uint8. Foreground pixels with a background 8-neighbour;
    cv2.erode's default border counts as foreground."""
    return mask_u8 & (1 - cv2.erode(mask_u8, _square3))


class Truth:
    """One GT frame with what the binary metrics need precomputed."""

    def __init__(self, gt_u8):
        self.h, self.w = gt_u8.shape
        self.mask = (gt_u8 >= 128).astype(np.uint8)
        self.area = int(self.mask.sum())
        self.tol = tolerance(self.w, self.h)
        self.b = boundary(self.mask)
        self.nb = int(self.b.sum())
        self.b_near = cv2.dilate(self.b, disk(self.tol))


def score(pred_u8, t):
    """(IoU, boundary F) of a matte (0..255) against Truth t."""
    if pred_u8.shape != (t.h, t.w):
        raise ValueError("matte %s, GT %s" % (pred_u8.shape, (t.h, t.w)))
    p = (pred_u8 >= 128).astype(np.uint8)
    inter = int((p & t.mask).sum())
    union = int(p.sum()) + t.area - inter
    iou = 1.0 if union == 0 else inter / union
    pb = boundary(p)
    npb = int(pb.sum())
    if npb == 0 and t.nb == 0:
        return iou, 1.0
    if npb == 0 or t.nb == 0:
        return iou, 0.0
    prec = int((pb & t.b_near).sum()) / npb
    rec = int((t.b & cv2.dilate(pb, disk(t.tol))).sum()) / t.nb
    f = 0.0 if prec + rec == 0 else 2 * prec * rec / (prec + rec)
    return iou, f


def agreement(a_u8, b_u8):
    """IoU of two binary masks (>= 128); 1 when both empty."""
    a, b = a_u8 >= 128, b_u8 >= 128
    u = int((a | b).sum())
    return 1.0 if u == 0 else int((a & b).sum()) / u


# ---------------------------------------------------------------- data

class Seq:
    """One backdrop run: a frame sequence (or a single image) with its GT."""

    def __init__(self, name, dataset, backdrop_input, gt_paths, anchor_input=None, single=False,
                 alpha_gt=False, empty=(), still=()):
        self.name, self.dataset = name, dataset
        self.input = backdrop_input
        self.gt_paths = gt_paths
        self.anchor_input = anchor_input      # a directory or one image, for run_official.cjs
        self.single = single                  # a single image: matte is one PNG
        self.alpha_gt = alpha_gt              # GT is an alpha matte: MAE
        self.empty = list(empty)              # 0-based frames without a person (specks)
        self.still = list(still)              # 0-based frames t whose pair (t-1, t) is still
        self.truth = None
        self.gt = None                        # GT frames, uint8
        self.stable = None                    # per t >= 1: GT(t) == GT(t-1), bool
        self.n_stable = self.n_changed = None
        self.frames = None                    # decoded frames as image paths (anchor)

    def n(self):
        return len(self.gt_paths)

    def load_truth(self):
        if self.truth is None:
            self.gt = []
            for p in self.gt_paths:
                g = cv2.imread(p, cv2.IMREAD_GRAYSCALE)
                if g is None:
                    raise RuntimeError("cannot read GT %s" % p)
                self.gt.append(g)
            self.truth = [Truth(g) for g in self.gt]
            if not self.single:
                self.stable = [a == b for a, b in zip(self.gt[1:], self.gt[:-1])]
                self.n_stable = [int(s.sum()) for s in self.stable]
                self.n_changed = [s.size - k for s, k in zip(self.stable, self.n_stable)]
        return self.truth


def find_data(root):
    """The sequences of the three datasets; None when a dataset is absent."""
    seqs = []
    davis = os.path.join(root, "davis2016_person")
    for s in ("lucia", "dance-jump", "hike"):
        gts = sorted(glob.glob(os.path.join(davis, s, "gt", "*.png")))
        frames = os.path.join(davis, s, "frames")
        if not gts or not os.path.isdir(frames):
            return None, "missing %s/%s" % (davis, s)
        seqs.append(Seq("davis2016_person/" + s, "davis2016_person", os.path.join(frames, "%06d.jpg"),
                        gts, anchor_input=frames))
    synth = os.path.join(root, "synth_p3m_portrait_building")
    gts = sorted(glob.glob(os.path.join(synth, "alpha", "*.png")))
    video = os.path.join(synth, "input.mp4")
    if not gts or not os.path.exists(video):
        return None, "missing %s" % synth
    empty, still = [], []
    try:
        with open(os.path.join(synth, "meta.json")) as f:
            meta = json.load(f)
        first, last = meta["empty_frames"]
        empty = list(range(first - 1, min(last, len(gts))))
        first, last = meta["still_frames"]
        still = list(range(first, min(last, len(gts))))
    except (OSError, KeyError, ValueError, TypeError) as e:
        log("quality: %s/meta.json: no empty_frames/still_frames (%s): no specks/still" % (synth, e))
    seqs.append(Seq("synth_p3m_portrait_building", "synth_p3m_portrait_building", video, gts,
                    alpha_gt=True, empty=empty, still=still))
    p3m = os.path.join(root, "p3m_portraits_pseudo_gt")
    imgs = sorted(glob.glob(os.path.join(p3m, "images", "*.jpg")))
    if not imgs:
        return None, "missing %s" % p3m
    for img in imgs:
        stem = os.path.splitext(os.path.basename(img))[0]
        gt = os.path.join(p3m, "masks", stem + ".png")
        if not os.path.exists(gt):
            return None, "missing %s" % gt
        seqs.append(Seq("p3m_portraits_pseudo_gt/" + stem, "p3m_portraits_pseudo_gt", img, [gt],
                        anchor_input=img, single=True, alpha_gt=True))
    return seqs, None


def decoded_frames(seq, tmp):
    """The frames of seq as image files, for the anchor: the synth video is
    decoded to PNG, JPEG stills and frames are used as they are."""
    if seq.frames is not None:
        return seq.frames
    if seq.single:
        seq.frames = [seq.input]
    elif seq.input.endswith(".mp4"):
        d = os.path.join(tmp, "frames", seq.name)
        os.makedirs(d, exist_ok=True)
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", seq.input, "-fps_mode", "passthrough",
                        "-pix_fmt", "rgb24", os.path.join(d, "%06d.png")], check=True)
        seq.frames = sorted(glob.glob(os.path.join(d, "*.png")))
        seq.anchor_input = d
    else:
        seq.frames = [seq.input % (i + 1) for i in range(seq.n())]
    if len(seq.frames) != seq.n():
        raise RuntimeError("%s: %d frames, %d GT masks" % (seq.name, len(seq.frames), seq.n()))
    return seq.frames


def groups(seqs):
    g = {SHORT[d]: [q for q in seqs if q.dataset == d] for d in DATASETS}
    g["overall"] = list(seqs)
    return g


# ---------------------------------------------------------------- running backdrop

class Failure(Exception):
    pass


class Unavailable(Exception):
    """backdrop refused the setting's arguments (exit status 2)."""


def run_backdrop(binary, inp, out_dir, args, single):
    """Runs backdrop on inp, matte into out_dir; returns (matte paths, stats dict)."""
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    matte = os.path.join(out_dir, "matte.png" if single else "%06d.png")
    stats = out_dir + ".json"
    cmd = [binary, inp, "-o", "null", "--matte", matte, "-q", "--threads", "1", "--stats", stats] + args
    p = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if p.returncode == 2:
        first = (p.stderr.strip().splitlines() or [""])[0]
        raise Unavailable("backdrop exit 2: %s" % first)
    if p.returncode != 0:
        raise Failure("exit status %d: %s\n%s" % (p.returncode, " ".join(cmd), p.stderr.strip()[-2000:]))
    try:
        with open(stats) as f:
            st = json.load(f)
        os.unlink(stats)
    except (OSError, ValueError) as e:
        raise Failure("%s: %s" % (stats, e))
    return sorted(glob.glob(os.path.join(out_dir, "*.png"))), st


def read_mattes(paths, n, what):
    if len(paths) != n:
        raise Failure("%s: %d mattes for %d GT frames" % (what, len(paths), n))
    out = []
    for p in paths:
        m = cv2.imread(p, cv2.IMREAD_GRAYSCALE)
        if m is None:
            raise Failure("cannot read matte %s" % p)
        out.append(m)
    return out


class Result:
    """Per-frame values of one setting (or the official runtime), keyed by
    sequence name."""

    def __init__(self, label, key, args=None):
        self.label, self.key, self.args = label, key, args
        self.per = {}             # seq name -> {metric: [per-frame values]}
        self.cost = {}            # seq name -> process ms per frame
        self.agree = {}           # seq name -> [agreement IoU with the official masks]
        self.failed = None
        self.unavailable = None

    def add(self, seq, mattes):
        truth = seq.load_truth()
        v = {"iou": [], "bf": [], "mae": [], "flicker": [], "ghosting": [], "specks": [], "still": []}
        for i, (m, t) in enumerate(zip(mattes, truth)):
            iou, f = score(m, t)
            v["iou"].append(iou)
            v["bf"].append(f)
            a = m.astype(np.int16)
            err = np.abs(a - seq.gt[i])              # |A - GT|, 0..255
            if seq.alpha_gt:
                v["mae"].append(float(err.mean()) / 255.0 * 1000.0)
            if i > 0:
                stable = seq.stable[i - 1]
                if seq.n_stable[i - 1]:
                    d = np.abs(a - mattes[i - 1])
                    v["flicker"].append(float(d[stable].sum()) / seq.n_stable[i - 1] / 255.0 * 1000.0)
                if seq.n_changed[i - 1]:
                    v["ghosting"].append((float(err.sum()) - float(err[stable].sum()))
                                         / seq.n_changed[i - 1] / 255.0 * 1000.0)
        for i in seq.empty:
            v["specks"].append(float((mattes[i] >= 128).mean()))
        for i in seq.still:
            d = np.abs(mattes[i].astype(np.int16) - mattes[i - 1])
            v["still"].append(float(d.mean()) / 255.0 * 1000.0)
        self.per[seq.name] = v

    def values(self, seqs, metric):
        return [x for q in seqs if q.name in self.per for x in self.per[q.name][metric]]

    def mean(self, seqs, metric):
        v = self.values(seqs, metric)
        return sum(v) / len(v) if v else None

    def summary(self, g):
        """{(group, metric): value} of everything reported."""
        out = {}
        for m in ("iou", "bf", "mae", "flicker", "ghosting", "still"):
            for grp in METRICS[m][0]:
                v = self.mean(g[grp], m)
                if v is not None:
                    out[(grp, m)] = v
        sp = self.values(g["synth"], "specks")
        if sp:
            out[("synth", "specks_fraction")] = sum(sp) / len(sp)
            out[("synth", "specks_frames")] = sum(1 for x in sp if x > 0)
        if self.cost:
            out[(COST_RES, "cost_ms")] = statistics.median(self.cost.values())
        if self.agree:
            for grp in METRICS["agree_iou"][0]:
                v = [x for q in g[grp] for x in self.agree.get(q.name, [])]
                if v:
                    out[(grp, "agree_iou")] = sum(v) / len(v)
        return out


# ---------------------------------------------------------------- anchor

def run_anchor(work, model, fit, inputs, out_dir):
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    cmd = ["node", "run_official.cjs", model, "--fit", fit, "--runs", "0", "--out", out_dir] + inputs
    p = subprocess.run(cmd, cwd=work, capture_output=True, text=True, stdin=subprocess.DEVNULL, env=anchor.env())
    if p.returncode != 0:
        raise Failure("anchor exit status %d: %s\n%s" % (p.returncode, " ".join(cmd),
                                                        (p.stderr + p.stdout).strip()[-2000:]))


# ---------------------------------------------------------------- committed rows, comparison

def committed_rows(csv_path):
    """{(benchmark, resolution, metric): value} of bench/results.csv at HEAD,
    else of the file csv_path; and where it came from."""
    text, where = None, None
    try:
        text = subprocess.run(["git", "-C", REPO, "show", "HEAD:bench/results.csv"], check=True,
                              capture_output=True, text=True).stdout
        where = "bench/results.csv at HEAD"
    except (OSError, subprocess.CalledProcessError):
        path = csv_path if csv_path and csv_path != "-" else os.path.join(REPO, "bench", "results.csv")
        if os.path.exists(path):
            with open(path) as f:
                text = f.read()
            where = path
    rows = {}
    if text:
        for r in csv.DictReader(io.StringIO(text)):
            try:
                rows[(r["benchmark"], r["resolution"], r["metric"])] = float(r["value"])
            except (KeyError, ValueError):
                pass
    return rows, where


def old_value(rows, name, res, metric):
    v = rows.get(("quality_" + name, res, metric))
    if v is None and name in LEGACY and metric in LEGACY_METRIC:
        v = rows.get((LEGACY[name], FULL.get(res, res), LEGACY_METRIC[metric]))
    return v


def print_changes(results, summaries, rows, where):
    log("")
    log("change against %s (for the framings and the official runtime also its quality_selfie.py rows):" % where)
    for r in results:
        s = summaries.get(r.key)
        if s is None:
            continue
        name = r.key[len("quality_"):]
        changed, same, new = [], [], []
        for metric, (grps, _, spec) in METRICS.items():
            cells, have = [], False
            for grp in grps:
                if (grp, metric) not in s:
                    continue
                v = s[(grp, metric)]
                o = old_value(rows, name, grp, metric)
                if o is None:
                    continue
                have = True
                d = v - o
                if spec % abs(d) != spec % 0:      # a change of at least half the last shown digit
                    cells.append("%s %s -> %s (%s%s)" % (grp, spec % o, spec % v, "+" if d >= 0 else "-",
                                                          spec % abs(d)))
            if cells:
                changed.append("    %-15s %s" % (metric, ", ".join(cells)))
            elif have:
                same.append(metric)
            elif any((grp, metric) in s for grp in grps):
                new.append(metric)
        if not changed and not same:
            log("  %-18s new" % name)
            continue
        tail = []
        if same:
            tail.append("unchanged: %s" % " ".join(same))
        if new:
            tail.append("new: %s" % " ".join(new))
        log("  %-18s %s" % (name, "; ".join(tail)))
        for c in changed:
            log(c)


# ---------------------------------------------------------------- plots

def draw_plots(points, out_dir):
    """points: {setting: {(group, metric): value}}. Writes the PNGs; returns
    their paths (none without matplotlib)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("quality: no plots (matplotlib absent: apt-get install python3-matplotlib)")
        return []
    os.makedirs(out_dir, exist_ok=True)
    written = []

    # Settings that make the same matte (every quality value equal at the
    # precision of results.csv) share one point and one label, at the median
    # of their costs (they differ by timing noise only).
    def fingerprint(v):
        return tuple(sorted((k, METRICS[k[1]][1] % x) for k, x in v.items()
                            if k[1] not in ("cost_ms", "agree_iou")))

    same = {}
    for name, v in points.items():
        same.setdefault(fingerprint(v), []).append(name)
    order = {n: i for i, (n, _) in enumerate(SETTINGS)}
    merged = []
    for names in same.values():
        names.sort(key=lambda n: order.get(n, len(order)))
        v = dict(points[names[0]])
        costs = [points[n][(COST_RES, "cost_ms")] for n in names if (COST_RES, "cost_ms") in points[n]]
        if costs:
            v[(COST_RES, "cost_ms")] = statistics.median(costs)
        merged.append((" = ".join(names), v))

    def scatter(ax, xk, yk, marker, color):
        spots = [(v[xk], v[yk], label) for label, v in merged if xk in v and yk in v]
        if spots:
            ax.scatter([x for x, _, _ in spots], [y for _, y, _ in spots], marker=marker, color=color, s=36,
                       zorder=3)
            ax.margins(0.12)
        return spots

    def place_labels(ax, spots, fontsize=7):
        """Each label beside its point, at the first of a few positions that
        overlaps no label placed before, no other point and stays inside the
        axes (else the least overlapping one)."""
        fig = ax.figure
        pt = fig.dpi / 72.0
        frame = ax.get_window_extent()
        dots = [tuple(ax.transData.transform((x, y))) for x, y, _ in spots]
        placed = []

        def overlap(b, c):
            w = min(b[2], c[2]) - max(b[0], c[0])
            h = min(b[3], c[3]) - max(b[1], c[1])
            return w * h if w > 0 and h > 0 else 0.0

        for i in sorted(range(len(spots)), key=lambda k: dots[k]):
            px, py = dots[i]
            text = spots[i][2]
            w, h = len(text) * fontsize * 0.55 * pt, fontsize * 1.25 * pt
            best = None
            for dx, dy, ha, va in ((5, 2, "left", "bottom"), (5, -2, "left", "top"), (-5, 2, "right", "bottom"),
                                   (-5, -2, "right", "top"), (0, 7, "center", "bottom"), (0, -7, "center", "top"),
                                   (5, 9, "left", "bottom"), (5, -9, "left", "top")):
                x0 = px + dx * pt - (w if ha == "right" else w / 2 if ha == "center" else 0)
                y0 = py + dy * pt - (h if va == "top" else 0)
                box = (x0, y0, x0 + w, y0 + h)
                cost = sum(overlap(box, c) for c in placed)
                cost += sum(overlap(box, (qx - 4 * pt, qy - 4 * pt, qx + 4 * pt, qy + 4 * pt))
                            for j, (qx, qy) in enumerate(dots) if j != i)
                inside = (box[0] >= frame.x0 and box[2] <= frame.x1 and box[1] >= frame.y0 and box[3] <= frame.y1)
                cost += 0 if inside else 1e6
                if best is None or cost < best[0]:
                    best = (cost, box, dx, dy, ha, va)
                if cost == 0:
                    break
            _, box, dx, dy, ha, va = best
            placed.append(box)
            ax.annotate(text, spots[i][:2], xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                        fontsize=fontsize)

    def save(fig, name, labels):
        fig.tight_layout()
        for ax, spots in labels:
            place_labels(ax, spots)
        p = os.path.join(out_dir, name)
        fig.savefig(p, dpi=fig.dpi)
        plt.close(fig)
        written.append(p)

    for metric, label, fname in (("bf", "boundary F, overall (higher is better)", "quality_bf_vs_cost.png"),
                                 ("iou", "IoU, overall (higher is better)", "quality_iou_vs_cost.png")):
        fig, ax = plt.subplots(figsize=(8, 5.5), dpi=120)
        spots = scatter(ax, (COST_RES, "cost_ms"), ("overall", metric), "o", "tab:blue")
        if spots:
            ax.set_xlabel("cost: backdrop 'process' stage, ms per 640x360 frame, 1 thread (lower is better)")
            ax.set_ylabel(label)
            ax.set_title("backdrop -m selfie settings: %s against cost" % ("boundary F" if metric == "bf" else "IoU"))
            ax.grid(True, alpha=0.3)
            save(fig, fname, [(ax, spots)])
        else:
            plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(10, 5), dpi=120)
    labels = []
    for ax, grp, marker, color, what in ((axes[0], "davis", "o", "tab:orange", "real, hand-held, binary GT"),
                                         (axes[1], "synth", "s", "tab:green", "static camera, exact alpha GT")):
        labels.append((ax, scatter(ax, (grp, "ghosting"), (grp, "flicker"), marker, color)))
        ax.set_title("%s (%s)" % (grp, what), fontsize=10)
        ax.set_xlabel("ghosting x1000 (lower is better)")
        ax.set_ylabel("flicker x1000 (lower is better)")
        ax.grid(True, alpha=0.3)
    if any(spots for _, spots in labels):
        fig.suptitle("backdrop -m selfie settings: flicker where the GT is still, against error where it changed",
                     fontsize=11)
        save(fig, "quality_flicker_vs_ghosting.png", labels)
    else:
        plt.close(fig)
    return written


def plot_points_from_csv(path, names):
    pts = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            b = r["benchmark"]
            if b.startswith("quality_") and b[len("quality_"):] in names:
                try:
                    pts.setdefault(b[len("quality_"):], {})[(r["resolution"], r["metric"])] = float(r["value"])
                except ValueError:
                    pass
    return pts


# ---------------------------------------------------------------- main

def fmt(v, spec="%.3f"):
    return "-" if v is None else spec % v


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True, help="Meson build directory holding tools/backdrop")
    a = ap.parse_args()
    t_start = time.perf_counter()

    data = os.environ.get("BENCH_DATA") or os.path.join(os.path.dirname(REPO), "shared", "data")
    csv_path = os.environ.get("BENCH_CSV", os.path.join(REPO, "bench", "results.csv"))
    use_anchor = bfd.env_int("BENCH_QUALITY_ANCHOR", 1)
    plot_dir = os.environ.get("BENCH_QUALITY_PLOTS", "")
    known = [n for n, _ in SETTINGS]
    want = [x.strip() for x in os.environ.get("BENCH_QUALITY_SETTINGS", "").split(",") if x.strip()]
    for x in want:
        if x not in known:
            sys.exit("quality: unknown setting %r in BENCH_QUALITY_SETTINGS (known: %s)" % (x, ", ".join(known)))
    settings = [(n, s) for n, s in SETTINGS if not want or n in want]

    binary = os.path.join(a.build, "tools", "backdrop")
    if not os.path.exists(binary):
        sys.exit("quality: missing %s (build first)" % binary)
    if not os.path.isdir(data):
        log("quality: SKIPPED: no evaluation data at %s (set BENCH_DATA)" % data)
        return 0

    with tempfile.TemporaryDirectory(prefix="backdrop-quality-") as tmp:
        seqs, why = find_data(data)
        if seqs is None:
            log("quality: SKIPPED: incomplete evaluation data (%s)" % why)
            return 0
        # Models present?  (The named models are looked up in the model cache.)
        for model in ("general", "landscape"):
            p = subprocess.run([binary, seqs[-1].input, "-o", "null", "-q", "-m", "selfie", "--model", model],
                               capture_output=True, text=True, stdin=subprocess.DEVNULL)
            if p.returncode != 0:
                log("quality: SKIPPED: backdrop cannot run the %s model (fetch the models with 'make models' "
                    "or scripts/fetch-models.sh):\n  %s" % (model, p.stderr.strip()[-500:]))
                return 0

        commit = bfd.git_commit()
        g = groups(seqs)
        log("quality: commit %s, %s; data %s" % (commit, binary, data))
        log("quality: %s; %d settings, --threads 1" % (
            ", ".join("%s %d frames" % (grp, sum(q.n() for q in g[grp])) for grp in ("davis", "synth", "p3m")),
            len(settings)))
        for q in seqs:
            q.load_truth()
        videos = [q for q in seqs if not q.single]

        results, failures = [], []

        def attempt(res, fn):
            try:
                fn()
            except Unavailable as e:
                res.unavailable = str(e)
            except (Failure, RuntimeError, ValueError, OSError, subprocess.CalledProcessError) as e:
                res.failed = str(e)
                failures.append((res.label, str(e)))

        # ---- backdrop settings
        ours = {}
        official_settings = {"%s-%s" % mf for mf in OFFICIAL}
        for name, argstr in settings:
            res = Result(name, "quality_" + name, argstr)
            ours[name] = res
            results.append(res)
            t0 = time.perf_counter()

            def go(res=res, name=name, args=shlex.split(argstr)):
                for q in seqs:
                    out = os.path.join(tmp, "m", res.key, q.name.replace("/", "_"))
                    paths, st = run_backdrop(binary, q.input, out, args, q.single)
                    res.add(q, read_mattes(paths, q.n(), "%s %s" % (res.label, q.name)))
                    if not q.single:
                        res.cost[q.name] = st["stages"]["process"] / st["frames"]
                    # Keep the mattes of settings the anchor checks.
                    if not (use_anchor and name in official_settings):
                        shutil.rmtree(out)
            attempt(res, go)
            if res.unavailable:
                log("quality: %-18s unavailable (%s)" % (name, res.unavailable))
            elif res.failed:
                log("quality: %-18s FAILED: %s" % (name, res.failed))
            else:
                log("quality: %-18s %5.1f s   %s" % (name, time.perf_counter() - t0, argstr))

        # ---- official runtime
        official = {}
        if use_anchor:
            work, why = anchor.setup("quality", log=log)
            if work is None:
                log("quality: official runtime skipped: %s" % why)
            else:
                for model, fit in OFFICIAL:
                    res = Result("official %s %s" % (model, fit), "quality_official-%s-%s" % (model, fit))
                    official[(model, fit)] = res
                    results.append(res)
                    t0 = time.perf_counter()

                    def go(res=res, model=model, fit=fit):
                        out_root = os.path.join(tmp, "a", res.key)
                        multi = [q for q in seqs if not q.single]
                        singles = [q for q in seqs if q.single]
                        for q in multi:
                            decoded_frames(q, tmp)
                            out = os.path.join(out_root, q.name.replace("/", "_"))
                            run_anchor(work, model, fit, [q.anchor_input], out)
                            res.add(q, read_mattes(sorted(glob.glob(os.path.join(out, "*.png"))), q.n(),
                                                   "%s %s" % (res.label, q.name)))
                        if singles:
                            out = os.path.join(out_root, "singles")
                            run_anchor(work, model, fit, [q.anchor_input for q in singles], out)
                            for q in singles:
                                stem = os.path.splitext(os.path.basename(q.anchor_input))[0]
                                res.add(q, read_mattes([os.path.join(out, stem + ".png")], 1, q.name))
                        # Agreement with our run of the same model and framing.
                        mine = ours.get("%s-%s" % (model, fit))
                        if mine is None or mine.failed or mine.unavailable:
                            return
                        for q in seqs:
                            theirs = (sorted(glob.glob(os.path.join(out_root, q.name.replace("/", "_"), "*.png")))
                                      if not q.single else
                                      [os.path.join(out_root, "singles",
                                                    os.path.splitext(os.path.basename(q.anchor_input))[0] + ".png")])
                            m_dir = os.path.join(tmp, "m", mine.key, q.name.replace("/", "_"))
                            m_paths = sorted(glob.glob(os.path.join(m_dir, "*.png")))
                            res.agree[q.name] = [agreement(x, y) for x, y in
                                                 zip(read_mattes(m_paths, q.n(), q.name),
                                                     read_mattes(theirs, q.n(), q.name))]
                        shutil.rmtree(out_root)
                    attempt(res, go)
                    if res.failed:
                        log("quality: %-18s FAILED: %s" % (res.label, res.failed))
                    else:
                        log("quality: %-18s %5.1f s" % (res.label, time.perf_counter() - t0))

    done = [r for r in results if not r.failed and not r.unavailable]
    summaries = {r.key: r.summary(g) for r in done}

    def cell(r, grp, metric):
        s = summaries.get(r.key)
        return fmt(None if s is None else s.get((grp, metric)), METRICS[metric][2])

    def blank_row(r, n):
        if r.unavailable:
            return [r.label, "unavailable"] + [""] * (n - 2)
        return [r.label, "FAILED"] + [""] * (n - 2)

    # ---- accuracy table
    log("")
    cols = ["davis", "synth", "p3m", "overall"]
    headers = (["setting"] + ["%s %s" % (grp, m) for grp in cols for m in ("IoU", "BF")]
               + ["synth MAE", "p3m MAE"])
    rows = []
    for r in results:
        if r not in done:
            rows.append(blank_row(r, len(headers)))
            continue
        rows.append([r.label] + [cell(r, grp, m) for grp in cols for m in ("iou", "bf")]
                    + [cell(r, "synth", "mae"), cell(r, "p3m", "mae")])
    bfd.print_table(headers, rows)
    log("(mean per frame. IoU of matte>=128 vs GT>=128; BF = boundary F-measure, tolerance %d px at 640x360;"
        % REF_TOL)
    log(" MAE = mean |alpha - GT| x1000 (alpha GT only). Frames: %s; overall is frame-weighted."
        % ", ".join("%s %d" % (grp, sum(q.n() for q in g[grp])) for grp in cols))
    log(" p3m GT is P3M-Net output, not human GT.)")

    # ---- temporal + cost table
    log("")
    n_empty = sum(len(q.empty) for q in g["synth"])
    headers = ["setting", "davis flicker", "davis ghosting", "synth flicker", "synth ghosting", "synth still",
               "specks %", "speck frames", "cost ms/frame"]
    rows = []
    for r in results:
        if r not in done:
            rows.append(blank_row(r, len(headers)))
            continue
        s = summaries[r.key]
        sf = s.get(("synth", "specks_fraction"))
        rows.append([r.label, cell(r, "davis", "flicker"), cell(r, "davis", "ghosting"),
                     cell(r, "synth", "flicker"), cell(r, "synth", "ghosting"), cell(r, "synth", "still"),
                     fmt(None if sf is None else 100 * sf, "%.4f"),
                     "-" if ("synth", "specks_frames") not in s else
                     "%d / %d" % (s[("synth", "specks_frames")], n_empty),
                     cell(r, COST_RES, "cost_ms")])
    bfd.print_table(headers, rows)
    log("(flicker = mean |alpha(t) - alpha(t-1)| x1000 where the GT did not change; ghosting = mean |alpha - GT|")
    log(" x1000 where the GT changed from t-1; still = flicker over all pixels of synth's still frames;")
    log(" specks on synth's %d empty frames: %% of pixels alpha >= 128, and"
        % n_empty)
    log(" frames with any; cost = median over the %d 640x360 videos of backdrop's 'process' ms per frame, 1 thread.)"
        % len(videos))

    # ---- per sequence (davis + synth)
    log("")
    headers = ["setting"] + ["%s IoU/BF/flicker" % (q.name.split("/")[-1] if "/" in q.name else SHORT[q.dataset])
                             for q in videos]
    rows = []
    for r in done:
        rows.append([r.label] + ["%s/%s/%s" % (fmt(r.mean([q], "iou")), fmt(r.mean([q], "bf")),
                                              fmt(r.mean([q], "flicker"), "%.2f")) for q in videos])
    bfd.print_table(headers, rows)

    # ---- agreement with the official runtime
    agree_rows = []
    for (model, fit), r in official.items():
        if r.failed or not r.agree:
            continue
        cells = ["%s %s" % (model, fit)]
        for grp in cols:
            v = [x for q in g[grp] for x in r.agree.get(q.name, [])]
            cells.append(fmt(sum(v) / len(v) if v else None, "%.4f"))
            if grp != "overall":
                cells.append(fmt(min(v) if v else None, "%.3f"))
        agree_rows.append(cells)
    if agree_rows:
        log("")
        log("agreement of backdrop's binary mask with the official runtime's (same model and framing):")
        bfd.print_table(["model framing"] + [x for grp in cols[:3] for x in ("%s mean" % grp, "%s min" % grp)]
                        + ["overall mean"], agree_rows)
        log("(IoU of the two masks >= 128, per frame; 1.0 = identical)")

    # ---- change against the committed file
    old, where = committed_rows(csv_path)
    if where:
        print_changes(done, summaries, old, where)
    else:
        log("")
        log("quality: no committed bench/results.csv to compare with")

    log("")
    log("quality: %.0f s" % (time.perf_counter() - t_start))

    # ---- results file
    out = []
    add = bfd.row_adder(out, commit)
    for r in done:
        for (grp, metric), v in sorted(summaries[r.key].items()):
            add(r.key, grp, metric, v, METRICS[metric][1])
    names = [n for n, _ in SETTINGS]
    if csv_path and csv_path != "-":
        written = {r.key for r in done}
        superseded = {LEGACY[r.key[len("quality_"):]] for r in done if r.key[len("quality_"):] in LEGACY}
        bfd.update_csv(csv_path, out,
                       drop=lambda row: (row["benchmark"] in written or row["benchmark"] in superseded
                                         or row["benchmark"].startswith(LEGACY_DROP_PREFIX)))
        log("quality: updated %s (%d rows)" % (os.path.relpath(csv_path, os.getcwd()), len(out)))
        points = plot_points_from_csv(csv_path, names)
        plot_dir = plot_dir or os.path.join(REPO, "bench", "plots")
    else:
        points = {r.key[len("quality_"):]: summaries[r.key] for r in done if r.key[len("quality_"):] in names}
    if plot_dir and points:
        for p in draw_plots(points, plot_dir):
            log("quality: plot %s (%d KB)" % (os.path.relpath(p, os.getcwd()), (os.path.getsize(p) + 512) // 1024))

    if failures:
        log("")
        log("quality: %d failure(s):" % len(failures))
        for label, e in failures:
            log("  %s: %s" % (label, e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
