#!/usr/bin/python3
"""Compares two folders of frames, e.g. backdrop's output against tutorial_ref.py's.

Why this exists
---------------
backdrop's seed-compat mode should reproduce the original OpenCV tutorial,
but bit-exact equality is not a fair test: the C code decodes and converts
frames with FFmpeg/swscale and has its own area-average resize, so a few
values may land one or two levels away from OpenCV's, and a pixel whose grey
difference sits right at the threshold may flip between foreground and
background.  This tool states how close two renderings are, in one line, and
fails when they are not close enough:

  compare_frames.py DIR_A DIR_B [--tol 2] [--min-fraction 0.999] [--exact]

* Both folders must hold the same file names (every regular, non-hidden
  file is taken as an image), and each pair the same size, channel count and
  sample depth; otherwise it exits 1 with a one-line reason.
* Images are loaded with cv2.IMREAD_UNCHANGED, so what is compared is what
  was written (no colour conversion, alpha and 16-bit kept).
* Over all files it counts the channel values with |a - b| <= tol and the
  largest |a - b|, prints e.g.
      compared 48 frames: 99.98% of values within ±2 (max diff 7 in 000031.png)
  and exits 1 when the fraction is below --min-fraction.  The percentage is
  rounded down, so it never shows a pass that is not one.
* --exact requires identical pixels (it means --tol 0 --min-fraction 1).

Run it with Debian's interpreter, /usr/bin/python3, which has cv2 and numpy.
Exit status: 0 close enough, 1 different (or a file cannot be read as an
image), 2 bad arguments or a folder missing.
"""

import argparse
import os
import sys

import cv2
import numpy as np


class Different(Exception):
    """The folders do not match: one-line reason, exit status 1."""


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Compare two folders of same-named images value by value.")
    p.add_argument("dir_a", metavar="DIR_A")
    p.add_argument("dir_b", metavar="DIR_B")
    p.add_argument("--tol", type=int, default=2,
                   help="largest |a - b| that still counts as a match "
                   "(default: 2)")
    p.add_argument("--min-fraction", type=float, default=0.999,
                   help="fraction of channel values that must match, 0..1 "
                   "(default: 0.999)")
    p.add_argument("--exact", action="store_true",
                   help="require identical pixels (--tol 0 --min-fraction 1)")
    a = p.parse_args(argv)
    if a.tol < 0:
        p.error("--tol must be >= 0, got %d" % a.tol)
    if not 0.0 <= a.min_fraction <= 1.0:
        p.error("--min-fraction must be in 0..1, got %g" % a.min_fraction)
    if a.exact:
        a.tol, a.min_fraction = 0, 1.0
    for d in (a.dir_a, a.dir_b):
        if not os.path.isdir(d):
            print("compare_frames: error: not a folder: %s" % d,
                  file=sys.stderr)
            sys.exit(2)
    return a


def list_files(folder):
    return sorted(n for n in os.listdir(folder)
                  if not n.startswith(".")
                  and os.path.isfile(os.path.join(folder, n)))


def describe(names, limit=3):
    shown = ", ".join(names[:limit])
    return shown + (", ..." if len(names) > limit else "")


def check_lists(names_a, names_b, dir_a, dir_b):
    only_a = sorted(set(names_a) - set(names_b))
    only_b = sorted(set(names_b) - set(names_a))
    if only_a or only_b:
        parts = []
        if only_a:
            parts.append("%d only in %s (%s)" % (len(only_a), dir_a,
                                                 describe(only_a)))
        if only_b:
            parts.append("%d only in %s (%s)" % (len(only_b), dir_b,
                                                 describe(only_b)))
        raise Different("file lists differ (%d vs %d files): %s"
                        % (len(names_a), len(names_b), "; ".join(parts)))
    if not names_a:
        raise Different("no files to compare in %s and %s" % (dir_a, dir_b))


def load(path):
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise Different("cannot read as an image: %s" % path)
    return img


def shape_text(img):
    h, w = img.shape[:2]
    c = img.shape[2] if img.ndim == 3 else 1
    return "%dx%d, %d channel(s), %s" % (w, h, c, img.dtype)


def compare(a):
    names = list_files(a.dir_a)
    check_lists(names, list_files(a.dir_b), a.dir_a, a.dir_b)

    total = within = 0
    max_diff, max_name = 0, None
    for name in names:
        img_a = load(os.path.join(a.dir_a, name))
        img_b = load(os.path.join(a.dir_b, name))
        if img_a.shape != img_b.shape or img_a.dtype != img_b.dtype:
            raise Different("size differs for %s: %s vs %s"
                            % (name, shape_text(img_a), shape_text(img_b)))
        # Widen before subtracting: uint8/uint16 arithmetic would wrap.
        diff = np.abs(img_a.astype(np.int64) - img_b.astype(np.int64))
        total += diff.size
        within += int(np.count_nonzero(diff <= a.tol))
        d = int(diff.max()) if diff.size else 0
        if d > max_diff:
            max_diff, max_name = d, name

    # Hundredths of a percent, rounded down with integers (no float rounding
    # can turn a failing 99.899% into a passing-looking "99.90%").
    hundredths = within * 10000 // total
    pct = "%d.%02d%%" % divmod(hundredths, 100)
    where = " in %s" % max_name if max_name else ""
    line = "compared %d frames: %s of values within \u00b1%d (max diff %d%s)" \
        % (len(names), pct, a.tol, max_diff, where)
    # within/total >= min_fraction, without dividing.
    passed = within >= a.min_fraction * total
    if not passed:
        if a.exact:
            line += " - not identical"
        else:
            line += " - below --min-fraction %g" % a.min_fraction
    return line, passed


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    # The line has a "\u00b1"; never crash on a stdout that cannot encode it.
    sys.stdout.reconfigure(errors="backslashreplace")
    try:
        line, passed = compare(a)
    except Different as e:
        print("compare_frames: FAIL: %s" % e)
        return 1
    print(line)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
