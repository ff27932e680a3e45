#!/usr/bin/python3
"""Reference (oracle) for backdrop's "--seed-compat" mode, written with OpenCV.

Why this exists
---------------
backdrop began as a port of a Python/OpenCV tutorial that replaces a video's
background by frame differencing.  The C library's seed-compat mode
(BackdropSettings.seed_compat = 1) promises to reproduce that tutorial's
output, quirks included.  This script is an independent re-implementation of
the tutorial's algorithm with OpenCV itself, so the C output can be checked
against what OpenCV actually computes (see compare_frames.py), and so the
benchmark has a tutorial-style Python/OpenCV loop to measure (--bench).

Run it with Debian's interpreter, /usr/bin/python3, which has cv2 and numpy.

Semantics (the tutorial's, kept exactly)
----------------------------------------
* Frames are read with cv2.VideoCapture(INPUT) in order, i = 0, 1, 2, ...,
  as BGR exactly as OpenCV decodes them.
* Frame i becomes `even` when i is even and `odd` when i is odd; each holds
  the latest frame of its parity.
* Nothing is emitted for i = 0 and i = 1.  For every i >= 2 one frame is
  emitted:
      diff = absdiff(even, odd)
      grey = cvtColor(diff, COLOR_BGR2GRAY)
      mask = threshold(grey, THRESHOLD, 255, THRESH_BINARY)   # grey > THRESHOLD
      out  = odd where mask == 255, else the background
  so the composited frame is always the latest ODD frame, and pictures
  repeat: N input frames give N - 2 outputs, and outputs k and k + 1
  (1-based, k even) both composite input frame k + 1, though over masks
  made against different even frames.
* The background is a picture (cv2.imread, BGR) scaled once to the frame
  size with cv2.resize(..., interpolation=cv2.INTER_AREA), stretching each
  axis on its own; or a colour '#RRGGBB' filling the whole frame.

Caveats worth knowing when comparing against the C code: cv2.imread applies
a JPEG's EXIF orientation, and OpenCV's FFmpeg capture applies a video's
rotation metadata (CAP_PROP_ORIENTATION_AUTO); test material without either
avoids the question.

Usage
-----
  tutorial_ref.py INPUT --background BG [--threshold 3] --out DIR
                  [--matte DIR2] [--max-frames N]
      writes DIR/000001.png, 000002.png, ... (the emitted frames, 1-based)
      and, with --matte, the masks as single-channel PNGs named the same way.
      Output folders are created if needed and must not already hold files,
      so stale frames from an earlier run can never be compared by mistake.

  tutorial_ref.py INPUT --background BG [--threshold 3] --bench [--max-frames N]
      writes nothing; times the read + process loop over the input (decoding
      included) and prints one JSON line {"frames": N_in, "seconds": S, "fps": F}.

Exit status: 0 on success, 1 on a failure while running (frame size change,
write error), 2 on bad arguments or inputs (missing/unreadable input, an
input with no decodable frame, unreadable background, malformed colour,
non-empty output folder).  An input of 1 or 2 frames emits nothing, with a
warning, and exits 0.
"""

import argparse
import json
import os
import re
import sys
import time

import cv2
import numpy as np

COLOUR_RE = re.compile(r"^#([0-9a-fA-F]{2})([0-9a-fA-F]{2})([0-9a-fA-F]{2})$")


class UsageError(Exception):
    """Bad arguments or inputs: reported with exit status 2."""


class RunError(Exception):
    """Failure while processing: reported with exit status 1."""


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="OpenCV re-implementation of the original tutorial's "
        "frame-differencing background replacement (oracle for backdrop "
        "--seed-compat, and the Python reference in the benchmark).")
    p.add_argument("input", metavar="INPUT",
                   help="video file (anything cv2.VideoCapture opens)")
    p.add_argument("--background", "-b", required=True, metavar="BG",
                   help="background picture path, or a colour '#RRGGBB'")
    p.add_argument("--threshold", "-t", type=int, default=3,
                   help="a pixel is foreground when the grey level of the "
                   "absolute difference is strictly greater than this, "
                   "0..255 (default: 3, the tutorial's value)")
    p.add_argument("--out", "-o", metavar="DIR",
                   help="folder for the composited frames 000001.png, ...")
    p.add_argument("--matte", metavar="DIR2",
                   help="also write the masks (0/255, one channel) here")
    p.add_argument("--max-frames", type=int, metavar="N",
                   help="read at most N input frames")
    p.add_argument("--bench", action="store_true",
                   help="write nothing; time the loop and print one JSON line")
    a = p.parse_args(argv)

    if not 0 <= a.threshold <= 255:
        p.error("--threshold must be in 0..255, got %d" % a.threshold)
    if a.max_frames is not None and a.max_frames < 1:
        p.error("--max-frames must be at least 1, got %d" % a.max_frames)
    if a.bench:
        if a.out or a.matte:
            p.error("--bench writes nothing; drop --out/--matte")
    elif not a.out:
        p.error("--out DIR is required (or use --bench)")
    if a.out and a.matte and \
            os.path.abspath(a.out) == os.path.abspath(a.matte):
        p.error("--out and --matte must be different folders")
    return a


def open_capture(path):
    """cv2.VideoCapture(path), with a clear error instead of OpenCV's warnings."""
    looks_like_file = "://" not in path and "%" not in path
    if looks_like_file and not os.path.exists(path):
        raise UsageError("input not found: %s" % path)
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise UsageError("cannot open input as video: %s" % path)
    return cap


def load_background(spec):
    """Returns ('colour', (B, G, R)) or ('picture', BGR ndarray)."""
    m = COLOUR_RE.match(spec)
    if m:
        r, g, b = (int(x, 16) for x in m.groups())
        return ("colour", (b, g, r))
    if spec.startswith("#"):
        raise UsageError("bad colour %r: expected '#RRGGBB'" % spec)
    if not os.path.isfile(spec):
        raise UsageError("background not found: %s" % spec)
    img = cv2.imread(spec)  # IMREAD_COLOR: 3-channel BGR, as the tutorial
    if img is None:
        raise UsageError("cannot read background as an image: %s" % spec)
    return ("picture", img)


def fit_background(background, w, h):
    """The background at the frame size, computed once per run."""
    kind, value = background
    if kind == "colour":
        return np.full((h, w, 3), value, dtype=np.uint8)
    return cv2.resize(value, (w, h), interpolation=cv2.INTER_AREA)


def composite(even, odd, bg, threshold):
    """One output of the tutorial: (frame, mask) from the latest even/odd pair."""
    diff = cv2.absdiff(even, odd)
    grey = cv2.cvtColor(diff, cv2.COLOR_BGR2GRAY)
    _, mask = cv2.threshold(grey, threshold, 255, cv2.THRESH_BINARY)
    fg = cv2.bitwise_and(odd, odd, mask=mask)
    inv = cv2.bitwise_not(mask)
    back = cv2.bitwise_and(bg, bg, mask=inv)
    return cv2.bitwise_or(fg, back), mask


def prepare_dir(path):
    """Creates the folder if needed; refuses one that already holds files."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError("not a folder: %s" % path)
    os.makedirs(path, exist_ok=True)
    if os.listdir(path):
        raise UsageError("output folder is not empty: %s" % path)


def write_png(folder, n, img):
    path = os.path.join(folder, "%06d.png" % n)
    if not cv2.imwrite(path, img):
        raise RunError("cannot write %s" % path)


def check_size(frame, first_shape, i):
    if frame.shape != first_shape:
        raise RunError("frame %d is %dx%d, earlier frames %dx%d; the tutorial "
                       "cannot handle a size change"
                       % (i, frame.shape[1], frame.shape[0],
                          first_shape[1], first_shape[0]))


def run_write(cap, background, a):
    """Processes the input and writes the emitted frames (and masks)."""
    prepare_dir(a.out)
    if a.matte:
        prepare_dir(a.matte)
    even = odd = bg = first_shape = None
    i = emitted = 0
    while a.max_frames is None or i < a.max_frames:
        ok, frame = cap.read()
        if not ok:
            break
        if first_shape is None:
            first_shape = frame.shape
            bg = fit_background(background, frame.shape[1], frame.shape[0])
        check_size(frame, first_shape, i)
        if i % 2 == 0:
            even = frame
        else:
            odd = frame
        if i >= 2:
            out, mask = composite(even, odd, bg, a.threshold)
            emitted += 1
            write_png(a.out, emitted, out)
            if a.matte:
                write_png(a.matte, emitted, mask)
        i += 1
    if i == 0:
        raise UsageError("no frame could be read from %s" % a.input)
    if i < 3:
        print("tutorial_ref: warning: read %d frame(s); the tutorial emits "
              "nothing for fewer than 3" % i, file=sys.stderr)
    print("tutorial_ref: read %d frames (%s), wrote %d to %s"
          % (i, cap.getBackendName(), emitted, a.out), file=sys.stderr)


def run_bench(cap, background, a):
    """Times a plain tutorial-style loop: decode + process, nothing written."""
    threshold = a.threshold
    limit = a.max_frames
    even = odd = bg = None
    i = 0
    start = time.perf_counter()
    while limit is None or i < limit:
        ok, frame = cap.read()
        if not ok:
            break
        if bg is None:
            bg = fit_background(background, frame.shape[1], frame.shape[0])
        if i % 2 == 0:
            even = frame
        else:
            odd = frame
        if i >= 2:
            out, mask = composite(even, odd, bg, threshold)
        i += 1
    seconds = time.perf_counter() - start
    if i == 0:
        raise UsageError("no frame could be read from %s" % a.input)
    fps = i / seconds if seconds > 0 else 0.0
    print(json.dumps({"frames": i, "seconds": round(seconds, 6),
                      "fps": round(fps, 3)}))


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    cap = None
    try:
        background = load_background(a.background)
        cap = open_capture(a.input)
        if a.bench:
            run_bench(cap, background, a)
        else:
            run_write(cap, background, a)
    except UsageError as e:
        print("tutorial_ref: error: %s" % e, file=sys.stderr)
        return 2
    except RunError as e:
        print("tutorial_ref: error: %s" % e, file=sys.stderr)
        return 1
    finally:
        if cap is not None:
            cap.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
