#!/usr/bin/python3
"""Quality benchmark of `backdrop -m selfie` on ../shared/data (run through bench/run.sh).

For every configuration (model x framing) backdrop runs once per sequence with
--matte to a temporary PNG pattern; every matte frame is compared with its
ground truth (GT):

  IoU          |P & G| / |P | G| with P = matte >= 128, G = GT >= 128
               (1 when both are empty, as in the DAVIS toolkit).
  boundary F   boundaries B(M) = M minus its 3x3 (8-neighbour) erosion, pixels
               outside the image counting as foreground (the frame edge is no
               boundary); precision = share of B(P) within Euclidean distance
               tol of B(G), recall = share of B(G) within tol of B(P),
               F = 2PR / (P + R); both empty: F = 1, one empty: F = 0.
               tol = max(1, round(2 * diagonal / diagonal(640x360))) px, i.e.
               2 px at 640x360 (and at all the sizes of the shared data).

Means are frame-weighted: per dataset, and "overall" over all the frames of
davis2016_person + synth_p3m_portrait_building + p3m_portraits_pseudo_gt.

With the anchor (README of shared/anchor), the same frames go through the
official TFLite runtime (--fit crop / stretch): its rows are the reference,
and the agreement (IoU of our binary mask with the official one) checks our
preprocessing for the framings both implement.

Experimental framings (not in backdrop; emulated here from backdrop's own
probability maps, --softness 1 --threshold 0.5 makes the matte round(255 p)):
square windows of the frame's short side, side by side along the long side,
each run through the general model (square in, square model: no distortion),
probabilities combined by max, or by "tri": a weighted mean where a window's
weight falls linearly from its centre line to 0 at its ends along the long
side; and pad+crop = max of the pad and the centre-window probabilities.
"1 window" (the centre window through the same path) is the control: it must
match "general crop".
"""

import argparse
import glob
import math
import os
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

CONFIGS = [("general", "windows"), ("general", "pad"), ("general", "stretch"), ("general", "crop"),
           ("landscape", "pad"), ("landscape", "stretch")]
OFFICIAL = [("general", "crop"), ("general", "stretch"), ("landscape", "stretch")]
DATASETS = ["davis2016_person", "synth_p3m_portrait_building", "p3m_portraits_pseudo_gt"]
SHORT = {"davis2016_person": "davis", "synth_p3m_portrait_building": "synth",
         "p3m_portraits_pseudo_gt": "p3m", "overall": "overall"}
REF_DIAG = math.hypot(640, 360)
REF_TOL = 2.0


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
    """One GT frame with what the metrics need precomputed."""

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

    def __init__(self, name, dataset, backdrop_input, gt_paths, anchor_input=None, single=False):
        self.name, self.dataset = name, dataset
        self.input = backdrop_input
        self.gt_paths = gt_paths
        self.anchor_input = anchor_input      # a directory or one image, for run_official.cjs
        self.single = single                  # a single image: matte is one PNG
        self.truth = None
        self.frames = None                    # decoded RGB-order frames as PNG paths (experiments)

    def n(self):
        return len(self.gt_paths)

    def load_truth(self):
        if self.truth is None:
            self.truth = []
            for p in self.gt_paths:
                g = cv2.imread(p, cv2.IMREAD_GRAYSCALE)
                if g is None:
                    raise RuntimeError("cannot read GT %s" % p)
                self.truth.append(Truth(g))
        return self.truth


def find_data(root, tmp):
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
    gts = sorted(glob.glob(os.path.join(synth, "mask", "*.png")))
    video = os.path.join(synth, "input.mp4")
    if not gts or not os.path.exists(video):
        return None, "missing %s" % synth
    seqs.append(Seq("synth_p3m_portrait_building", "synth_p3m_portrait_building", video, gts))
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
                        anchor_input=img, single=True))
    return seqs, None


def decoded_frames(seq, tmp):
    """The frames of seq as 8-bit PNG files (for the anchor and the window
    experiments). JPEG stills and frames are used as they are."""
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


# ---------------------------------------------------------------- running backdrop

class Failure(Exception):
    pass


def run_backdrop(binary, inp, out_dir, args, single, threads):
    """Runs backdrop on inp, matte into out_dir; returns the list of matte paths."""
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    matte = os.path.join(out_dir, "matte.png" if single else "%06d.png")
    cmd = [binary, inp, "-o", "null", "--matte", matte, "-m", "selfie", "-q", "--threads", str(threads)] + args
    p = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise Failure("exit status %d: %s\n%s" % (p.returncode, " ".join(cmd), p.stderr.strip()[-2000:]))
    return sorted(glob.glob(os.path.join(out_dir, "*.png")))


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
    """Per-frame (IoU, F) of one configuration, keyed by sequence name."""

    def __init__(self, label, key):
        self.label, self.key = label, key
        self.frames = {}          # seq name -> [(iou, f)]
        self.agree = {}           # seq name -> [agreement IoU with the official masks]
        self.failed = None

    def add(self, seq, mattes):
        truth = seq.load_truth()
        self.frames[seq.name] = [score(m, t) for m, t in zip(mattes, truth)]

    def mean(self, seqs, i):
        v = [s[i] for q in seqs if q.name in self.frames for s in self.frames[q.name]]
        return (sum(v) / len(v), len(v)) if v else (None, 0)

    def complete(self, seqs):
        return all(q.name in self.frames for q in seqs)


def groups(seqs):
    g = {d: [q for q in seqs if q.dataset == d] for d in DATASETS}
    g["overall"] = list(seqs)
    return g


# ---------------------------------------------------------------- anchor

def run_anchor(work, model, fit, inputs, out_dir):
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    cmd = ["node", "run_official.cjs", model, "--fit", fit, "--runs", "0", "--out", out_dir] + inputs
    p = subprocess.run(cmd, cwd=work, capture_output=True, text=True, stdin=subprocess.DEVNULL, env=anchor.env())
    if p.returncode != 0:
        raise Failure("anchor exit status %d: %s\n%s" % (p.returncode, " ".join(cmd),
                                                        (p.stderr + p.stdout).strip()[-2000:]))


# ---------------------------------------------------------------- experiments

def windows(w, h, n):
    """n square windows (x, y, side) of the short side along the long side,
    evenly spaced from one end to the other (n = 1: centred)."""
    s = min(w, h)
    span = max(w, h) - s
    offs = [span // 2] if n == 1 else [int(round(i * span / (n - 1))) for i in range(n)]
    return [(o, 0, s) if w >= h else (0, o, s) for o in offs]


def window_probs(binary, seq, tmp, n, threads):
    """Per frame: list of (window, prob u8 of window size) for n windows."""
    frames = decoded_frames(seq, tmp)
    first = cv2.imread(frames[0], cv2.IMREAD_COLOR)
    h, w = first.shape[:2]
    wins = windows(w, h, n)
    per_win = []
    for k, (x, y, s) in enumerate(wins):
        d = os.path.join(tmp, "win", "%s-%d-%d" % (seq.name.replace("/", "_"), n, k))
        os.makedirs(d, exist_ok=True)
        for i, f in enumerate(frames):
            img = first if i == 0 else cv2.imread(f, cv2.IMREAD_COLOR)
            cv2.imwrite(os.path.join(d, "%06d.png" % (i + 1)), img[y:y + s, x:x + s])
        out = d + "-matte"
        paths = run_backdrop(binary, os.path.join(d, "%06d.png") if not seq.single else
                             os.path.join(d, "000001.png"), out,
                             ["--model", "general", "--framing", "stretch", "--threshold", "0.5",
                              "--softness", "1"], seq.single, threads)
        per_win.append(read_mattes(paths, seq.n(), "%s window %d" % (seq.name, k)))
        shutil.rmtree(d)
        shutil.rmtree(out)
    return wins, per_win, (w, h)


def combine(wins, per_win, size, i, how):
    """Frame i of the windows' probabilities (u8) on the frame: 'max', or
    'tri': weighted mean, a window's weight falling linearly from its centre
    line to 0 at its two ends along the long side (so where windows overlap
    each pixel follows mostly the window it is most central in)."""
    w, h = size
    acc = np.zeros((h, w), np.float32)
    wsum = np.zeros((h, w), np.float32)
    for (x, y, s), probs in zip(wins, per_win):
        p = probs[i].astype(np.float32)
        if how == "max":
            np.maximum(acc[y:y + s, x:x + s], p, out=acc[y:y + s, x:x + s])
            continue
        t = np.arange(s, dtype=np.float32) + 0.5
        f = np.minimum(t, s - t)
        wt = np.broadcast_to(f[None, :] if w >= h else f[:, None], (s, s))
        acc[y:y + s, x:x + s] += p * wt
        wsum[y:y + s, x:x + s] += wt
    if how != "max":
        acc /= np.maximum(wsum, 1e-6)
    return np.clip(acc + 0.5, 0, 255).astype(np.uint8)


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
    use_exp = bfd.env_int("BENCH_QUALITY_EXPERIMENTS", 1)
    threads = bfd.env_int("BENCH_QUALITY_THREADS", 0)

    binary = os.path.join(a.build, "tools", "backdrop")
    if not os.path.exists(binary):
        sys.exit("quality: missing %s (build first)" % binary)
    if not os.path.isdir(data):
        log("quality: SKIPPED: no evaluation data at %s (set BENCH_DATA)" % data)
        return 0

    with tempfile.TemporaryDirectory(prefix="backdrop-quality-") as tmp:
        seqs, why = find_data(data, tmp)
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
        log("quality: %s" % ", ".join("%s %d frames" % (SHORT[d], sum(q.n() for q in g[d])) for d in DATASETS))
        for q in seqs:
            q.load_truth()

        results, failures = [], []

        def attempt(res, fn):
            try:
                fn()
            except (Failure, RuntimeError, ValueError, OSError, subprocess.CalledProcessError) as e:
                res.failed = str(e)
                failures.append((res.label, str(e)))
                log("quality: FAILED %s: %s" % (res.label, e))

        # ---- backdrop configurations
        ours = {}
        for model, framing in CONFIGS:
            res = Result("%s %s" % (model, framing), "selfie_quality_%s_%s" % (model, framing))
            ours[(model, framing)] = res
            results.append(res)
            t0 = time.perf_counter()

            def go(res=res, model=model, framing=framing):
                for q in seqs:
                    out = os.path.join(tmp, "m", res.key, q.name.replace("/", "_"))
                    paths = run_backdrop(binary, q.input, out, ["--model", model, "--framing", framing,
                                                                "--threshold", "0.5", "--softness", "0.2"],
                                         q.single, threads)
                    res.add(q, read_mattes(paths, q.n(), "%s %s" % (res.label, q.name)))
                    # Keep the mattes of configurations the anchor checks.
                    if not (use_anchor and (model, framing) in OFFICIAL):
                        shutil.rmtree(out)
            attempt(res, go)
            log("quality: %-22s %.1f s" % (res.label, time.perf_counter() - t0))

        # ---- official runtime
        official = {}
        if use_anchor:
            work, why = anchor.setup("quality", log=log)
            if work is None:
                log("quality: official runtime skipped: %s" % why)
            else:
                for model, fit in OFFICIAL:
                    res = Result("official %s %s" % (model, fit), "official_quality_%s_%s" % (model, fit))
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
                        mine = ours.get((model, fit))
                        if mine is None or mine.failed:
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
                    log("quality: %-22s %.1f s" % (res.label, time.perf_counter() - t0))

        # ---- experimental framings
        if use_exp:
            exps = {"1win": Result("exp general 1 window (=crop)", "selfie_quality_exp_general_1win"),
                    "2win_max": Result("exp general 2 windows, max", "selfie_quality_exp_general_2win_max"),
                    "2win_tri": Result("exp general 2 windows, tri", "selfie_quality_exp_general_2win_tri"),
                    "3win_max": Result("exp general 3 windows, max", "selfie_quality_exp_general_3win_max"),
                    "3win_tri": Result("exp general 3 windows, tri", "selfie_quality_exp_general_3win_tri"),
                    "padcrop_max": Result("exp general pad+crop, max", "selfie_quality_exp_general_padcrop_max")}
            results.extend(exps.values())
            t0 = time.perf_counter()

            def go_exp():
                for q in seqs:
                    wins2, pw2, size = window_probs(binary, q, tmp, 2, threads)
                    wins3, pw3, _ = window_probs(binary, q, tmp, 3, threads)
                    wins1, pw1, _ = window_probs(binary, q, tmp, 1, threads)
                    pad_paths = run_backdrop(binary, q.input, os.path.join(tmp, "padprob"),
                                             ["--model", "general", "--framing", "pad", "--threshold", "0.5",
                                              "--softness", "1"], q.single, threads)
                    pad = read_mattes(pad_paths, q.n(), q.name)
                    rows = {k: [] for k in exps}
                    for i in range(q.n()):
                        rows["2win_max"].append(combine(wins2, pw2, size, i, "max"))
                        rows["2win_tri"].append(combine(wins2, pw2, size, i, "tri"))
                        rows["3win_max"].append(combine(wins3, pw3, size, i, "max"))
                        rows["3win_tri"].append(combine(wins3, pw3, size, i, "tri"))
                        c1 = combine(wins1, pw1, size, i, "max")
                        rows["1win"].append(c1)
                        rows["padcrop_max"].append(np.maximum(c1, pad[i]))
                    for k, r in exps.items():
                        r.add(q, rows[k])
            try:
                go_exp()
            except (Failure, RuntimeError, ValueError, OSError, subprocess.CalledProcessError) as e:
                for r in exps.values():
                    r.failed = str(e)
                failures.append(("experiments", str(e)))
                log("quality: FAILED experiments: %s" % e)
            log("quality: %-22s %.1f s" % ("experiments", time.perf_counter() - t0))

    # ---- main table
    log("")
    cols = DATASETS + ["overall"]
    headers = ["configuration"] + ["%s %s" % (SHORT[d], m) for d in cols for m in ("IoU", "BF")]
    rows = []
    for r in results:
        if r.failed:
            rows.append([r.label] + ["FAILED"] + [""] * (len(headers) - 2))
            continue
        cells = [r.label]
        for d in cols:
            cells += [fmt(r.mean(g[d], 0)[0]), fmt(r.mean(g[d], 1)[0])]
        rows.append(cells)
    bfd.print_table(headers, rows)
    log("(mean per frame: IoU of matte>=128 vs GT>=128; BF = boundary F-measure, tolerance %d px at 640x360;"
        % REF_TOL)
    log(" frames: %s; overall is frame-weighted. p3m GT is P3M-Net output, not human GT.)"
        % ", ".join("%s %d" % (SHORT[d], sum(q.n() for q in g[d])) for d in cols))

    # ---- per sequence (davis + synth)
    log("")
    named = [q for q in seqs if not q.single]
    headers = ["configuration"] + ["%s IoU/BF" % q.name.split("/")[-1] for q in named]
    rows = []
    for r in results:
        if r.failed:
            continue
        rows.append([r.label] + ["%s/%s" % (fmt(r.mean([q], 0)[0]), fmt(r.mean([q], 1)[0])) for q in named])
    bfd.print_table(headers, rows)

    # ---- synth: empty frames (no person in GT) with a false detection
    synth = [q for q in seqs if q.dataset == "synth_p3m_portrait_building"]
    if synth:
        q = synth[0]
        empty = [i for i, t in enumerate(q.truth) if t.area == 0]
        if empty:
            log("")
            log("synth: %d frames have no person in the GT; frames of those with a false detection "
                "(IoU 0), and mean IoU over the %d person frames:" % (len(empty), q.n() - len(empty)))
            for r in results:
                if r.failed or q.name not in r.frames:
                    continue
                fr = r.frames[q.name]
                fp = sum(1 for i in empty if fr[i][0] < 1.0)
                pers = [fr[i][0] for i in range(q.n()) if i not in set(empty)]
                log("  %-32s false detections %3d / %d   person-frame IoU %.3f"
                    % (r.label, fp, len(empty), statistics.mean(pers)))

    # ---- agreement with the official runtime
    agree_rows = []
    for (model, fit), r in official.items():
        if r.failed or not r.agree:
            continue
        cells = ["%s %s" % (model, fit)]
        for d in cols:
            v = [x for q in g[d] for x in r.agree.get(q.name, [])]
            cells.append(fmt(sum(v) / len(v) if v else None, "%.4f"))
            if d != "overall":
                cells.append(fmt(min(v) if v else None, "%.3f"))
        agree_rows.append(cells)
    if agree_rows:
        log("")
        log("agreement of backdrop's binary mask with the official runtime's (same model and framing):")
        bfd.print_table(["model framing"] + [x for d in DATASETS for x in ("%s mean" % SHORT[d], "%s min" % SHORT[d])]
                        + ["overall mean"], agree_rows)
        log("(IoU of the two masks >= 128, per frame; 1.0 = identical)")

    log("")
    log("quality: %.0f s" % (time.perf_counter() - t_start))

    # ---- results file
    if csv_path and csv_path != "-":
        out = []
        add = bfd.row_adder(out, commit, default_spec="%.4f")
        for r in results:
            if r.failed:
                continue
            for d in cols:
                add(r.key, d, "iou_mean", r.mean(g[d], 0)[0])
                add(r.key, d, "bf_mean", r.mean(g[d], 1)[0])
            for q in named:
                add(r.key, q.name, "iou_mean", r.mean([q], 0)[0])
                add(r.key, q.name, "bf_mean", r.mean([q], 1)[0])
            if r.agree:
                for d in cols:
                    v = [x for q in g[d] for x in r.agree.get(q.name, [])]
                    if v:
                        add(r.key, d, "agree_iou_with_backdrop_mean", sum(v) / len(v))
        bfd.update_csv(csv_path, out)
        log("quality: updated %s (%d rows)" % (os.path.relpath(csv_path, os.getcwd()), len(out)))

    if failures:
        log("")
        log("quality: %d failure(s):" % len(failures))
        for label, e in failures:
            log("  %s: %s" % (label, e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
