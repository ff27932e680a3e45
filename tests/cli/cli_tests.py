#!/usr/bin/python3
"""End-to-end tests of the backdrop command-line program.

Each test runs the real `backdrop` executable (the path comes from the
BACKDROP environment variable, which meson sets to the build's own binary,
so the plain and the ASan+UBSan builds each test themselves) on media that
ffmpeg generates at test time from lavfi sources, in a fresh temporary
directory that is removed afterwards.

    cli_tests.py NAME          run one test: exit 0 pass, 1 fail, 77 skip
    cli_tests.py --list        the names this file knows
    cli_tests.py --expect A B  exit 1 unless A B ... are exactly those names
                               (meson's 'cli/registry' test)
    BACKDROP_KEEP_TMP=1        keep the work directory (for debugging)

Run with Debian's /usr/bin/python3, which has numpy and cv2; the ffmpeg and
ffprobe programs must be on PATH.

The default method is selfie (neural person segmentation), which needs the
MediaPipe models in the model cache (`make models`; BACKDROP_MODEL_DIR
overrides the directory, as for backdrop itself). The selfie tests skip
(exit 77) without them, saying so, and in a build without selfie
(-Dxnnpack=disabled: meson sets BACKDROP_HAS_SELFIE=0). The tests of input, output and errors,
whose checks hold whatever the method, run the default method when the
models are there and -m framediff when they are not (see backdrop()), so
that a machine without the models still tests them. The tests on real
people use the evaluation data in ../shared/data next to the source tree
(or the folder BACKDROP_SHARED_DIR names) and skip when it is absent.

Conventions the tests rely on (from tools/backdrop.c and tools/options.c):
  * exit status 0 on success, 2 for a bad command line, 1 for any other
    error, 130 after SIGINT;
  * an error is one line on stderr, "backdrop: <what>: <why>";
  * a successful run prints nothing on stderr when stderr is not a terminal
    (no progress line), unless it has a warning to give;
  * nothing half-written is left behind: outputs are written under hidden
    temporary names and renamed at the end, or removed on failure.
"""

import glob
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(HERE))
REF_DIR = os.path.join(SOURCE_ROOT, "tests", "ref")
SHARED_DATA = (os.environ.get("BACKDROP_SHARED_DIR")
               or os.path.join(os.path.dirname(SOURCE_ROOT), "shared", "data"))
PYTHON = "/usr/bin/python3"
EXIT_SKIP = 77

# Colours used as backgrounds, as (R, G, B).
GREEN = (0x00, 0xB1, 0x40)  # '#00b140', the chroma-key green of --help
BLUE = (0x00, 0x00, 0xFF)


class Failure(Exception):
    """A check failed; the message says which and why."""


class Skip(Exception):
    """The test cannot run here; the message says why."""


def check(condition, message):
    if not condition:
        raise Failure(message)


# --------------------------------------------------------------------------
# Running programs

class Result:
    def __init__(self, args, returncode, stdout, stderr):
        self.args = args
        self.rc = returncode
        self.out = stdout
        self.err = stderr
        self.lines = stderr.splitlines()

    def describe(self):
        return "command: %s\nexit status: %s\nstderr:\n%s" % (
            " ".join(self.args), self.rc, self.err.rstrip() or "(empty)")


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer")


def backdrop(*args, stdin_data=None, timeout=90, env=None, real_default=False):
    """Runs the binary under test with args (and env: variables to set on
    top of ours); never raises on its exit status, but fails at once on any
    sanitizer report. A run that names no method uses selfie, or framediff
    without the selfie models (see default_method)."""
    cmd = [os.environ["BACKDROP"]] + default_method([str(a) for a in args], env, real_default)
    r = subprocess.run(cmd, input=stdin_data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE,
                       stdin=None if stdin_data is not None else subprocess.DEVNULL,
                       timeout=timeout, env=dict(os.environ, **env) if env else None)
    res = Result(["%s=%s" % kv for kv in (env or {}).items()] + ["backdrop"] + cmd[1:],
                 r.returncode, r.stdout.decode("utf-8", "replace"),
                 r.stderr.decode("utf-8", "replace"))
    check(not any(m in res.err for m in SANITIZER_MARKS),
          "sanitizer report\n" + res.describe())
    return res


_fallback_noted = []


def default_method(args, env=None, real_default=False):
    """args, with a method in front when they name none (nor --seed-compat,
    which implies framediff): '-m selfie', the method these tests were
    written for when it was the default, or '-m framediff' when the selfie
    models are not installed (the tests that run 'the default method' only
    check what holds for every method: input, output, errors; they are not
    the selfie tests, which call need_models()). The program's real default
    (rvm, heavy under the sanitizers) is tested on its own: real_default
    passes args unchanged, and so does a build without selfie given an
    environment of its own (its default is framediff, see
    default_method_without_selfie)."""
    names_method = any(a in ("-m", "--method", "--seed-compat") or a.startswith("--method=")
                       for a in args)
    if names_method or real_default or (env and selfie_missing()):
        return args
    if env and not selfie_missing():
        return ["-m", "selfie"] + args
    if not models_missing():
        return ["-m", "selfie"] + args
    if not _fallback_noted:
        print("note: %s; running -m framediff instead of selfie" % models_missing())
        _fallback_noted.append(True)
    return ["-m", "framediff"] + args


def backdrop_ok(*args, stdin_data=None, env=None):
    """Runs backdrop, expecting success and an empty stderr."""
    r = backdrop(*args, stdin_data=stdin_data, env=env)
    check(r.rc == 0, "backdrop failed\n" + r.describe())
    check(r.err == "", "backdrop succeeded but printed on stderr\n" + r.describe())
    return r


def ffmpeg(*args):
    """Makes test media; a failure here is a broken test, reported as such."""
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y"] + [str(a) for a in args]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    check(r.returncode == 0, "ffmpeg could not make test media: %s\n%s"
          % (" ".join(cmd), r.stderr.decode("utf-8", "replace")))
    return r.stdout


def lavfi(graph):
    return ["-f", "lavfi", "-i", graph]


def ffprobe_json(path, *args):
    cmd = ["ffprobe", "-v", "error", "-of", "json"] + list(args) + [path]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    check(r.returncode == 0, "ffprobe cannot read %s: %s"
          % (path, r.stderr.decode("utf-8", "replace").strip()))
    return json.loads(r.stdout)


def streams(path):
    return ffprobe_json(path, "-show_streams", "-show_format")["streams"]


def stream_of(path, kind):
    """The first stream of kind 'video' or 'audio', or None."""
    for s in streams(path):
        if s["codec_type"] == kind:
            return s
    return None


def frame_count(path):
    """Video frames actually decodable from path (decodes the whole stream)."""
    info = ffprobe_json(path, "-count_frames", "-select_streams", "v:0",
                        "-show_entries", "stream=nb_read_frames")
    check(info.get("streams"), "%s has no video stream" % path)
    return int(info["streams"][0]["nb_read_frames"])


def packet_span(path, selector):
    """Seconds from the first packet's start to the last packet's end for the
    stream selector ('v:0', 'a:0'): a duration that does not depend on the
    container filling in stream durations (Matroska does not)."""
    info = ffprobe_json(path, "-select_streams", selector,
                        "-show_entries", "packet=pts_time,duration_time")
    starts, ends = [], []
    for p in info.get("packets", []):
        if p.get("pts_time") in (None, "N/A"):
            continue
        t = float(p["pts_time"])
        d = p.get("duration_time")
        starts.append(t)
        ends.append(t + (float(d) if d not in (None, "N/A") else 0.0))
    check(starts, "%s: no timed packets in stream %s" % (path, selector))
    return max(ends) - min(starts)


def decode_frames(path, width, height, pix_fmt="gray"):
    """All video frames of path as an array (frames, height, width[, 3]),
    converted by ffmpeg to gray, rgb24 or rgba (grey sources stay
    untouched)."""
    channels = {"gray": 1, "rgb24": 3, "rgba": 4}[pix_fmt]
    raw = ffmpeg("-i", path, "-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", pix_fmt, "-")
    size = width * height * channels
    check(len(raw) % size == 0, "%s: decoded size %d is not a whole number of %dx%d frames"
          % (path, len(raw), width, height))
    shape = (-1, height, width) if channels == 1 else (-1, height, width, channels)
    return np.frombuffer(raw, np.uint8).reshape(shape)


def read_png(path):
    """A PNG as written: 2-D for grey, (h, w, 3) in R, G, B order for colour."""
    import cv2  # pylint: disable=import-outside-toplevel
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    check(img is not None, "cannot read %s as an image" % path)
    if img.ndim == 3:
        check(img.shape[2] == 3, "%s has %d channels, expected 3" % (path, img.shape[2]))
        img = img[:, :, ::-1]
    return img


def snapshot(top="."):
    """Every file and directory under top, hidden ones included."""
    found = set()
    for root, dirs, files in os.walk(top):
        for n in dirs + files:
            found.add(os.path.relpath(os.path.join(root, n), top))
    return found


def numbered(pattern, count):
    return [pattern % i for i in range(1, count + 1)]


def listing(directory):
    return sorted(os.listdir(directory))


# --------------------------------------------------------------------------
# Error checks

def is_ffmpeg_log_line(line):
    """FFmpeg's own log lines look like '[h264 @ 0x55d...] message'."""
    return re.match(r"^\[[^\]]+ @ 0x[0-9a-f]+\] ", line) is not None


def expect_error(args, mentions, rc=1, env=None, real_default=False):
    """Runs backdrop expecting it to refuse: exit status rc, exactly one line
    on stderr, starting 'backdrop: ' and containing every string of mentions,
    and no new file anywhere under the work directory (so no output, no
    temporary, no stats file)."""
    before = snapshot()
    r = backdrop(*args, env=env, real_default=real_default)
    check(r.rc == rc, "expected exit status %d\n%s" % (rc, r.describe()))
    check(len(r.lines) == 1, "expected exactly one line on stderr, got %d\n%s"
          % (len(r.lines), r.describe()))
    line = r.lines[0]
    check(line.startswith("backdrop: "), "the error line does not start with 'backdrop: '\n"
          + r.describe())
    for m in mentions:
        check(m in line, "the error does not mention %r\n%s" % (m, r.describe()))
    left = snapshot() - before
    check(not left, "a failed run left files behind: %s\n%s" % (sorted(left), r.describe()))
    return r


def own_lines(result):
    """backdrop's lines on stderr, without FFmpeg's library log lines. Every
    line must be one or the other."""
    ours = []
    for line in result.lines:
        if is_ffmpeg_log_line(line):
            continue
        check(line.startswith("backdrop: "), "stray line on stderr: %r\n%s"
              % (line, result.describe()))
        ours.append(line)
    return ours


# --------------------------------------------------------------------------
# Selfie models and the shared evaluation data

# The named models of tools/model.c: file name in the model directory.
MODEL_FILES = {"general": "selfie_segmentation.tflite",
               "landscape": "selfie_segmentation_landscape.tflite"}


def model_dir():
    """Where backdrop looks for the named models (as tools/model.c does)."""
    if os.environ.get("BACKDROP_MODEL_DIR"):
        return os.environ["BACKDROP_MODEL_DIR"]
    if os.environ.get("XDG_CACHE_HOME"):
        return os.path.join(os.environ["XDG_CACHE_HOME"], "backdrop", "models")
    return os.path.join(os.environ.get("HOME", "."), ".cache", "backdrop", "models")


def model_path(name):
    return os.path.join(model_dir(), MODEL_FILES[name])


def selfie_missing():
    """Why this build has no selfie method, or None. meson sets
    BACKDROP_HAS_SELFIE to 0 in a build configured with -Dxnnpack=disabled
    (the library then has framediff only)."""
    if os.environ.get("BACKDROP_HAS_SELFIE", "1") == "0":
        return "this build has no selfie or rvm method (configured with -Dxnnpack=disabled)"
    return None


def models_missing():
    """Why the selfie models cannot be used (absent, or no selfie method in
    this build), or None when both are there."""
    if selfie_missing():
        return selfie_missing()
    missing = [f for f in MODEL_FILES.values() if not os.path.isfile(os.path.join(model_dir(), f))]
    if not missing:
        return None
    return ("the selfie models are not installed (%s missing in %s); fetch them with "
            "'make models' (needs network) or point BACKDROP_MODEL_DIR at them"
            % (" and ".join(missing), model_dir()))


def need_models():
    """Skips the test unless both selfie models are there."""
    why = models_missing()
    if why:
        raise Skip(why)


def shared_data(*parts):
    """A path in the shared evaluation data; skips the test when it is absent."""
    path = os.path.join(SHARED_DATA, *parts)
    if not os.path.exists(path):
        raise Skip("%s is absent: the evaluation data (../shared/data beside the source tree, "
                   "or BACKDROP_SHARED_DIR) is not here" % path)
    return path


def iou(matte, truth):
    """Intersection over union of matte >= 128 and truth >= 128 (1.0 when
    both are empty)."""
    a, b = matte >= 128, truth >= 128
    union = np.count_nonzero(a | b)
    return np.count_nonzero(a & b) / union if union else 1.0


def read_grey(path):
    """A picture file as one grey plane (for ground-truth masks)."""
    import cv2  # pylint: disable=import-outside-toplevel
    img = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    check(img is not None, "cannot read %s as an image" % path)
    return img


def mattes(directory):
    """The grey PNGs of a matte pattern, in order, as one array."""
    names = listing(directory)
    check(names, "%s is empty: no matte written" % directory)
    return np.stack([read_png(os.path.join(directory, n)) for n in names])


# --------------------------------------------------------------------------
# Test media

def make_talk(path, size="160x120", rate="25", seconds=2, audio=True, extra=()):
    """A testsrc2 clip (moving content) in H.264, with a sine tone if audio."""
    args = lavfi("testsrc2=s=%s:r=%s:d=%s" % (size, rate, seconds))
    if audio:
        args += lavfi("sine=frequency=440:sample_rate=44100:d=%s" % seconds)
        args += ["-c:a", "aac"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    ffmpeg(*(args + list(extra) + [path]))


def make_picture(path, source="mandelbrot", size="200x150"):
    ffmpeg(*(lavfi("%s=s=%s" % (source, size)) + ["-frames:v", "1", path]))


def make_still_clip(path, size="64x48", frames=10):
    """frames identical frames of a detailed picture, lossless (FFV1), so
    that they really are identical after decoding."""
    ffmpeg(*(lavfi("testsrc2=s=%s:r=25,trim=end_frame=1,loop=loop=-1:size=1" % size)
             + ["-frames:v", frames, "-c:v", "ffv1", "-pix_fmt", "yuv420p", path]))


def make_binary_clip(path, size, lum_expr, frames):
    """A lossless YUV 4:2:0 clip whose luma is 0 or 255 (black and white, so
    chroma is neutral everywhere), drawn per frame by geq: X, Y, W, H and the
    frame number N are available in lum_expr."""
    graph = "nullsrc=s=%s:r=25,format=gray,geq=lum='%s',format=yuv420p" % (
        size, lum_expr.replace(",", "\\,"))
    ffmpeg(*(lavfi(graph) + ["-frames:v", frames, "-c:v", "ffv1", path]))


def expected_masks(clip, width, height):
    """For a black-and-white lossless clip: where consecutive frames differ
    (255) and where not (0); the first frame is all 0, as it has nothing
    before it. Any change black <-> white is far above any threshold < 255."""
    luma = decode_frames(clip, width, height, "gray")
    levels = set(np.unique(luma).tolist())
    check(levels <= {0, 255}, "test media is not black and white: levels %s" % sorted(levels))
    masks = np.zeros_like(luma)
    masks[1:] = np.where(luma[1:] != luma[:-1], 255, 0)
    return luma, masks


def assert_colour(img, rgb, tol, what):
    if img.size == 0:
        return
    diff = np.abs(img.astype(int) - np.array(rgb, int))
    check(diff.max() <= tol, "%s: expected every pixel %s within +-%d, max difference %d"
          % (what, rgb, tol, int(diff.max())))


# --------------------------------------------------------------------------
# Tests

TESTS = {}


def test(fn):
    TESTS[fn.__name__] = fn
    return fn


# ---- 1. The usage examples of --help

@test
def usage_video_keeps_audio():
    """`backdrop -b bg.jpg talk.mp4 -o out.mp4` (the default method, selfie):
    the output has the input's frame count, frame rate, size and duration
    (±0.1 s), keeps the audio stream with the same duration, and its first
    frame is the background, not the input: the 16:9 test pattern has no
    person in it (see selfie_default_no_person)."""
    make_talk("talk.mp4", size="256x144")
    make_picture("bg.jpg")
    backdrop_ok("-b", "bg.jpg", "talk.mp4", "-o", "out.mp4")

    vin, vout = stream_of("talk.mp4", "video"), stream_of("out.mp4", "video")
    check(stream_of("out.mp4", "audio") is not None, "out.mp4 has no audio stream")
    check((vout["width"], vout["height"]) == (256, 144), "size changed: %sx%s"
          % (vout["width"], vout["height"]))
    n_in, n_out = frame_count("talk.mp4"), frame_count("out.mp4")
    check(n_in == 50 and n_out == n_in, "frame count %d, input has %d" % (n_out, n_in))
    check(vout["r_frame_rate"] == vin["r_frame_rate"] == "25/1",
          "frame rate %s, input %s" % (vout["r_frame_rate"], vin["r_frame_rate"]))
    for sel in ("v:0", "a:0"):
        a, b = packet_span("talk.mp4", sel), packet_span("out.mp4", sel)
        check(abs(a - b) <= 0.1, "stream %s lasts %.3f s, input %.3f s" % (sel, b, a))

    first_in = decode_frames("talk.mp4", 256, 144)[0].astype(int)
    first_out = decode_frames("out.mp4", 256, 144)[0].astype(int)
    check(np.abs(first_in - first_out).mean() > 20,
          "the first output frame looks like the input, not like the background")


@test
def usage_ntsc_frame_rate():
    """A 30000/1001 fps input keeps exactly that frame rate (not 29.97 or 30)
    in MP4 and in Matroska (whose 1/1000 time base cannot express it), with
    the same frame count and duration (±0.1 s)."""
    make_talk("ntsc.mp4", size="96x64", rate="30000/1001", seconds=1.2)
    n_in = frame_count("ntsc.mp4")
    for out in ("out.mp4", "out.mkv"):
        backdrop_ok("-b", "#00b140", "ntsc.mp4", "-o", out)
        v = stream_of(out, "video")
        check(v["r_frame_rate"] == "30000/1001" and v["avg_frame_rate"] == "30000/1001",
              "%s: frame rate %s (average %s), input 30000/1001"
              % (out, v["r_frame_rate"], v["avg_frame_rate"]))
        check(frame_count(out) == n_in, "%s: %d frames, input %d" % (out, frame_count(out), n_in))
        a, b = packet_span("ntsc.mp4", "v:0"), packet_span(out, "v:0")
        check(abs(a - b) <= 0.1, "%s: video lasts %.3f s, input %.3f s" % (out, b, a))


@test
def usage_png_sequence():
    """`-m framediff --threshold 3 -b '#00b140' clip.mkv -o frames/%06d.png`
    writes exactly 000001.png .. 0000NN.png for NN input frames (no other
    file, no leftover temporaries), at the input size; the first is all
    background green (within ±2, see pixels_still_yuv_background) and the
    later ones show the moving test pattern. The folder must exist, as for
    ffmpeg (error_unwritable_output checks the error when it does not)."""
    make_talk("clip.mkv", size="96x64", seconds=0.48, audio=False)
    n = frame_count("clip.mkv")
    os.mkdir("frames")
    backdrop_ok("-m", "framediff", "--threshold", "3", "-b", "#00b140", "clip.mkv",
                "-o", "frames/%06d.png")
    check(listing("frames") == numbered("%06d.png", n),
          "frames/ holds %s, expected 000001.png .. %06d.png" % (listing("frames"), n))
    first = read_png("frames/000001.png")
    check(first.shape == (64, 96, 3), "picture shape %s" % (first.shape,))
    assert_colour(first, GREEN, 2, "frames/000001.png")
    last = read_png("frames/%06d.png" % n)
    off = np.abs(last.astype(int) - np.array(GREEN)).max(axis=2) > 2
    check(off.mean() > 0.05, "the last frame is almost all background (%.1f%% foreground)"
          % (100 * off.mean()))


@test
def usage_matte_lossless():
    """`--matte matte.mkv` with `--codec ffv1` and `-m framediff`: the matte
    is a grey (gray pixel format) video with the input's frame count, its
    values are only 0 and 255, exactly where the input changed (a moving
    white square on black), and it equals the matte written as a PNG
    sequence."""
    make_binary_clip("square.mkv", "96x64",
                     "if(between(X,8+8*N,23+8*N)*between(Y,24,39),255,0)", 6)
    _, expected = expected_masks("square.mkv", 96, 64)
    backdrop_ok("-m", "framediff", "--codec", "ffv1", "--matte", "matte.mkv", "square.mkv",
                "-o", "out.mkv")
    m = stream_of("matte.mkv", "video")
    check(m["pix_fmt"] == "gray", "matte pixel format %s, expected gray" % m["pix_fmt"])
    check(stream_of("matte.mkv", "audio") is None, "the matte has an audio stream")
    check(frame_count("matte.mkv") == 6, "matte has %d frames, input 6" % frame_count("matte.mkv"))
    matte = decode_frames("matte.mkv", 96, 64, "gray")
    values = sorted(np.unique(matte).tolist())
    check(values == [0, 255], "matte values %s, expected only 0 and 255" % values)
    check(np.array_equal(matte, expected), "matte differs from the input's changes in %d pixels"
          % int(np.count_nonzero(matte != expected)))

    os.mkdir("m")
    backdrop_ok("-m", "framediff", "--matte", "m/%03d.png", "square.mkv", "-o", "null")
    pngs = np.stack([read_png("m/" + n) for n in listing("m")])
    check(np.array_equal(pngs, matte), "the PNG matte differs from the FFV1 matte")


@test
def usage_matte_default_codec():
    """The --help example `-b bg.jpg --matte matte.mkv talk.mp4 -o out.mp4`
    with default codecs, run with -m framediff (whose matte of a moving test
    pattern is known: binary, first frame empty): the matte is a video
    without audio, with the input's frame count, tagged full range (alpha,
    not video levels), with neutral chroma, and nearly binary despite lossy
    H.264 (values near 0 or 255)."""
    make_talk("talk.mp4", size="96x64", seconds=1)
    make_picture("bg.jpg")
    backdrop_ok("-m", "framediff", "-b", "bg.jpg", "--matte", "matte.mkv", "talk.mp4",
                "-o", "out.mp4")
    m = stream_of("matte.mkv", "video")
    check(stream_of("matte.mkv", "audio") is None, "the matte has an audio stream")
    check(m.get("color_range") == "pc", "matte colour range %s, expected pc"
          % m.get("color_range"))
    check(frame_count("matte.mkv") == frame_count("talk.mp4"), "matte frame count differs")
    yuv = decode_frames("matte.mkv", 96, 64, "rgb24").astype(int)
    spread = np.abs(yuv - yuv.mean(axis=3, keepdims=True)).max()
    check(spread <= 3, "the matte is not grey: channels differ by up to %d" % spread)
    grey = yuv[..., 0]
    near = np.count_nonzero((grey <= 24) | (grey >= 231)) / grey.size
    check(near >= 0.98, "only %.2f%% of matte values are near 0 or 255" % (100 * near))
    check(grey[0].max() <= 24, "the first frame's matte is not all background")
    check((grey >= 231).any(), "the matte never marks foreground")


@test
def usage_stdin():
    """`cat in.mkv | backdrop -b bg.png - -o out.mkv`: reading a pipe gives
    every frame and the audio, and (with lossless FFV1 output) exactly the
    same pictures as reading the file."""
    make_talk("in.mkv", size="96x64", seconds=1)
    make_picture("bg.png", size="120x90")
    data = open("in.mkv", "rb").read()
    backdrop_ok("-b", "bg.png", "-", "-o", "out.mkv", stdin_data=data)
    check(frame_count("out.mkv") == frame_count("in.mkv"), "frame count differs from input")
    check(stream_of("out.mkv", "audio") is not None, "out.mkv has no audio stream")

    backdrop_ok("-b", "bg.png", "-", "-o", "pipe.mkv", "--codec", "ffv1", stdin_data=data)
    backdrop_ok("-b", "bg.png", "in.mkv", "-o", "file.mkv", "--codec", "ffv1")
    a = decode_frames("pipe.mkv", 96, 64, "rgb24")
    b = decode_frames("file.mkv", 96, 64, "rgb24")
    check(a.shape == b.shape and np.array_equal(a, b),
          "stdin and file input give different pictures")


@test
def usage_single_image():
    """`backdrop -m framediff -b '#00b140' photo.png -o out.png --matte
    matte.png`: one picture in, one picture out at the same size. A single
    frame has nothing to differ from, so it is all background; an RGB input
    is composited in RGB, so the colour is exact, and the matte is all 0."""
    make_picture("photo.png", source="testsrc", size="80x60")
    backdrop_ok("-m", "framediff", "-b", "#00b140", "photo.png", "-o", "out.png",
                "--matte", "matte.png")
    check(listing(".") == ["matte.png", "out.png", "photo.png"], "files: %s" % listing("."))
    out = read_png("out.png")
    check(out.shape == (60, 80, 3), "out.png shape %s" % (out.shape,))
    assert_colour(out, GREEN, 0, "out.png")
    matte = read_png("matte.png")
    check(matte.shape == (60, 80) and matte.max() == 0, "matte.png is not an all-0 grey picture")


# ---- 2. Exact pixels

@test
def pixels_still_yuv_background():
    """framediff: a clip of identical frames (a still test picture, lossless)
    has no foreground: every output pixel is the background colour and every matte
    value 0. The frames are YUV 4:2:0, so the colour is converted once to
    limited-range BT.601 YUV (the library) and back to RGB for the PNG
    (swscale); each step rounds, and limited range has only 219 luma steps,
    so the result may be up to 2 levels off (#00b140 comes back as #00af3f)."""
    make_still_clip("still.mkv", frames=8)
    os.mkdir("out")
    os.mkdir("m")
    backdrop_ok("-m", "framediff", "-b", "#00b140", "still.mkv", "-o", "out/%02d.png",
                "--matte", "m/%02d.png")
    check(listing("out") == numbered("%02d.png", 8), "outputs: %s" % listing("out"))
    for name in listing("out"):
        assert_colour(read_png("out/" + name), GREEN, 2, "out/" + name)
        check(read_png("m/" + name).max() == 0, "m/%s marks foreground in a still clip" % name)


@test
def pixels_still_rgb_exact():
    """The same (framediff) with RGB input (a PNG sequence): no colour conversion
    anywhere, so the output equals the background bit for bit, for a colour
    and for a picture of exactly the frame size (copied, not resampled)."""
    make_picture("frame.png", source="testsrc", size="64x48")
    os.mkdir("in")
    for i in range(1, 6):
        shutil.copy("frame.png", "in/%03d.png" % i)
    make_picture("bg.png", source="mandelbrot", size="64x48")
    bg = read_png("bg.png")
    os.mkdir("a")
    os.mkdir("b")
    backdrop_ok("-m", "framediff", "-b", "#00b140", "in/%03d.png", "-o", "a/%03d.png")
    backdrop_ok("-m", "framediff", "-b", "bg.png", "in/%03d.png", "-o", "b/%03d.png")
    check(listing("a") == numbered("%03d.png", 5) == listing("b"), "wrong output files")
    for name in listing("a"):
        assert_colour(read_png("a/" + name), GREEN, 0, "a/" + name)
        out = read_png("b/" + name)
        check(np.array_equal(out, bg), "b/%s differs from bg.png in %d values"
              % (name, int(np.count_nonzero(out != bg))))


@test
def pixels_moving_square():
    """framediff: a white 16x16 square moving 8 pixels per frame over black
    (lossless): the matte is 255 exactly where the square left or arrived (old XOR new;
    their overlap is white in both frames, so background) and 0 everywhere
    else; the picture shows the current frame there (white where it arrived,
    black where it left) and the blue background elsewhere. With --threshold
    255 nothing is foreground (255 is not greater than 255)."""
    make_binary_clip("square.mkv", "96x64",
                     "if(between(X,8+8*N,23+8*N)*between(Y,24,39),255,0)", 6)
    luma, expected = expected_masks("square.mkv", 96, 64)
    check(np.count_nonzero(expected[2]) == 2 * 8 * 16, "test media: the square does not move")
    os.mkdir("out")
    os.mkdir("m")
    backdrop_ok("-m", "framediff", "-b", "#0000ff", "square.mkv", "-o", "out/%02d.png",
                "--matte", "m/%02d.png")
    for i in range(6):
        name = "%02d.png" % (i + 1)
        matte = read_png("m/" + name)
        wrong = np.count_nonzero(matte != expected[i])
        check(wrong == 0, "m/%s: %d pixels differ from old XOR new square" % (name, wrong))
        out = read_png("out/" + name).astype(int)
        fg = expected[i] == 255
        arrived = fg & (luma[i] == 255)
        left = fg & (luma[i] == 0)
        assert_colour(out[~fg], BLUE, 2, "out/%s background" % name)
        assert_colour(out[arrived], (255, 255, 255), 2, "out/%s where the square arrived" % name)
        assert_colour(out[left], (0, 0, 0), 2, "out/%s where the square left" % name)

    os.mkdir("m255")
    backdrop_ok("-m", "framediff", "--threshold", "255", "square.mkv", "-o", "null",
                "--matte", "m255/%02d.png")
    for name in listing("m255"):
        check(read_png("m255/" + name).max() == 0, "--threshold 255 marked foreground")


# ---- 3. Odd sizes, one frame, no frame

@test
def odd_size_321x241():
    """framediff on a 321x241 clip (odd width and height: the last chroma row
    and column cover half a 2x2 block) whose box blinks in the bottom-right corner,
    from the odd coordinates (281, 211) to the last row and column. Outputs
    keep 321x241 (MP4: H.264 cannot code odd-sized 4:2:0, so 4:4:4 is
    chosen); the matte is exactly the box on every frame after the first.
    The composited picture, written losslessly (FFV1, still 4:2:0), is
    checked plane by plane: luma is the box's inside it and the blue
    background's outside, up to the last row and column; a chroma sample is
    the box's where its block lies wholly inside the box, the background's
    where wholly outside. (Blocks that straddle the box's edge get the 2x2
    mean alpha by design; they, and any conversion to RGB, whose chroma
    upsampling smears over neighbouring pixels, are left out.)"""
    make_binary_clip("odd.mkv", "321x241", "if(mod(N,2)*gte(X,281)*gte(Y,211),255,0)", 4)
    _, expected = expected_masks("odd.mkv", 321, 241)
    check(expected[1, 240, 320] == 255, "test media: the box misses the corner")
    backdrop_ok("-m", "framediff", "-b", "#0000ff", "odd.mkv", "-o", "out.mp4")
    v = stream_of("out.mp4", "video")
    check((v["width"], v["height"]) == (321, 241), "out.mp4 is %sx%s" % (v["width"], v["height"]))
    check(frame_count("out.mp4") == 4, "out.mp4 has %d frames" % frame_count("out.mp4"))

    os.mkdir("m")
    backdrop_ok("-m", "framediff", "-b", "#0000ff", "odd.mkv", "-o", "out.mkv",
                "--codec", "ffv1", "--matte", "m/%d.png")
    check(stream_of("out.mkv", "video")["pix_fmt"] == "yuv420p", "out.mkv is not 4:2:0")
    frames = decode_yuv420("out.mkv", 321, 241)
    source = decode_yuv420("odd.mkv", 321, 241)
    check(len(frames) == 4, "out.mkv has %d frames" % len(frames))
    # Frame 1 is all background: its (uniform) planes are blue in YUV.
    bg = [int(p[0, 0]) for p in frames[0]]
    check(all(np.all(p == b) for p, b in zip(frames[0], bg)),
          "the first frame is not a uniform background")
    check(abs(bg[0] - 41) <= 1 and abs(bg[1] - 240) <= 1 and abs(bg[2] - 110) <= 1,
          "blue became Y, U, V = %s, expected about 41, 240, 110 (BT.601 limited)" % bg)
    for i in range(4):
        name = "m/%d.png" % (i + 1)
        matte = read_png(name)
        check(matte.shape == (241, 321), "%s shape %s" % (name, matte.shape))
        wrong = np.count_nonzero(matte != expected[i])
        check(wrong == 0, "%s: %d pixels differ from the box" % (name, wrong))

        fg = expected[i] == 255
        y = frames[i][0]
        check(np.array_equal(y[fg], source[i][0][fg]), "frame %d: box luma differs" % (i + 1))
        check(np.all(y[~fg] == bg[0]), "frame %d: background luma differs" % (i + 1))
        inside, outside = chroma_blocks(fg)
        for plane in (1, 2):
            c = frames[i][plane]
            check(np.array_equal(c[inside], source[i][plane][inside]),
                  "frame %d: chroma inside the box differs" % (i + 1))
            check(np.all(c[outside] == bg[plane]),
                  "frame %d: chroma outside the box differs" % (i + 1))
        if i % 2 == 1:
            check(inside[-1, -1], "test media: the last chroma block is not inside the box")


def decode_yuv420(path, width, height):
    """All frames of a 4:2:0 video as (Y, U, V) arrays, without conversion."""
    raw = np.frombuffer(ffmpeg("-i", path, "-map", "0:v:0", "-f", "rawvideo",
                               "-pix_fmt", "yuv420p", "-"), np.uint8)
    cw, ch = (width + 1) // 2, (height + 1) // 2
    size = width * height + 2 * cw * ch
    check(raw.size % size == 0, "%s: not whole 4:2:0 frames" % path)
    frames = []
    for f in raw.reshape(-1, size):
        frames.append((f[: width * height].reshape(height, width),
                       f[width * height: width * height + cw * ch].reshape(ch, cw),
                       f[width * height + cw * ch:].reshape(ch, cw)))
    return frames


def chroma_blocks(mask):
    """Per chroma sample of a 4:2:0 frame: whether its 2x2 block (cut short
    at odd right/bottom edges) lies wholly inside / wholly outside mask."""
    h, w = mask.shape
    padded = np.pad(mask, ((0, h % 2), (0, w % 2)), mode="edge")
    blocks = padded.reshape(padded.shape[0] // 2, 2, padded.shape[1] // 2, 2)
    return blocks.all(axis=(1, 3)), ~blocks.any(axis=(1, 3))


@test
def one_frame_input():
    """A one-frame video gives one output frame, under framediff all
    background (nothing to differ from), with a 1-frame matte of zeros; with
    audio, the output (default method) keeps the audio. --seed-compat needs
    three frames and says so."""
    ffmpeg(*(lavfi("testsrc2=s=64x48:r=25") + ["-frames:v", 1, "-c:v", "libx264", "one.mkv"]))
    ffmpeg(*(lavfi("testsrc2=s=64x48:r=25,trim=end_frame=1") + lavfi("sine=d=1")
             + ["-c:v", "libx264", "-c:a", "aac", "one_audio.mkv"]))
    os.mkdir("out")
    os.mkdir("m")
    backdrop_ok("-m", "framediff", "-b", "#ff0000", "one.mkv", "-o", "out/%03d.png",
                "--matte", "m/%03d.png")
    check(listing("out") == ["001.png"] and listing("m") == ["001.png"],
          "expected one picture each, got %s and %s" % (listing("out"), listing("m")))
    assert_colour(read_png("out/001.png"), (255, 0, 0), 2, "out/001.png")
    check(read_png("m/001.png").max() == 0, "the only frame's matte is not all 0")

    backdrop_ok("one_audio.mkv", "-o", "with_audio.mp4")
    check(frame_count("with_audio.mp4") == 1, "with_audio.mp4 has %d frames"
          % frame_count("with_audio.mp4"))
    check(stream_of("with_audio.mp4", "audio") is not None, "with_audio.mp4 lost its audio")
    a, b = packet_span("one_audio.mkv", "a:0"), packet_span("with_audio.mp4", "a:0")
    check(abs(a - b) <= 0.1, "the audio lasts %.3f s, input %.3f s" % (b, a))

    expect_error(["--seed-compat", "one.mkv", "-o", "seed.mkv"], ["one.mkv", "too few"])


@test
def zero_frame_input():
    """A file with a video stream but no video frame (an AVI whose packets
    were all dropped) is an error naming the file; no output is created."""
    make_talk("talk.mp4", size="64x48", seconds=0.4, audio=False)
    ffmpeg("-i", "talk.mp4", "-map", "0:v", "-c", "copy", "-bsf:v", "noise=drop=1", "empty.avi")
    check(stream_of("empty.avi", "video") is not None, "test media: no video stream")
    expect_error(["empty.avi", "-o", "out.mp4"], ["empty.avi", "no video frames"])


@test
def zero_frame_input_with_audio():
    """The same with an audio stream that does have packets (Matroska): the
    audio must not be mistaken for content, nor be written on its own."""
    make_talk("talk.mp4", size="64x48", seconds=0.4)
    ffmpeg("-i", "talk.mp4", "-map", "0", "-c", "copy", "-bsf:v", "noise=drop=1", "empty.mkv")
    check(stream_of("empty.mkv", "video") is not None, "test media: no video stream")
    check(stream_of("empty.mkv", "audio") is not None, "test media: no audio stream")
    expect_error(["empty.mkv", "-o", "out.mp4"], ["empty.mkv", "no video frames"])


# ---- 4. Outputs

def container_test(ext, video_codec, audio_codec):
    def run():
        make_talk("talk.mp4", size="96x64", seconds=1)
        out = "out." + ext
        backdrop_ok("-b", "#00b140", "talk.mp4", "-o", out)
        v, a = stream_of(out, "video"), stream_of(out, "audio")
        check(v is not None and v["codec_name"] == video_codec,
              "%s: video codec %s, expected %s" % (out, v and v["codec_name"], video_codec))
        check(a is not None and a["codec_name"] == audio_codec,
              "%s: audio codec %s, expected %s" % (out, a and a["codec_name"], audio_codec))
        check((v["width"], v["height"]) == (96, 64), "%s: size changed" % out)
        check(frame_count(out) == frame_count("talk.mp4"), "%s: frame count differs" % out)
        for sel in ("v:0", "a:0"):
            x, y = packet_span("talk.mp4", sel), packet_span(out, sel)
            check(abs(x - y) <= 0.1, "%s: stream %s lasts %.3f s, input %.3f s" % (out, sel, y, x))
        check(listing(".") == sorted(["talk.mp4", out]), "extra files: %s" % listing("."))
    run.__doc__ = ("-o out.%s: %s video and %s audio (%s), the input's frame "
                   "count, size and stream durations (±0.1 s), no leftover files."
                   % (ext, video_codec, audio_codec,
                      "AAC copied" if audio_codec == "aac" else "AAC re-encoded"))
    run.__name__ = "output_" + ext
    return run


for _ext, _v, _a in (("mp4", "h264", "aac"), ("mkv", "h264", "aac"),
                     ("webm", "vp9", "opus"), ("mov", "h264", "aac")):
    test(container_test(_ext, _v, _a))


@test
def output_null():
    """-o null (and --matte null) process every frame and write nothing but
    the requested stats file, whose frame count proves the frames went by."""
    make_talk("talk.mp4", size="64x48", seconds=0.6)
    before = snapshot()
    backdrop_ok("talk.mp4", "-o", "null", "--matte", "null", "--stats", "s.json")
    check(snapshot() - before == {"s.json"}, "new files: %s" % sorted(snapshot() - before))
    stats = json.load(open("s.json"))
    check(stats["frames"] == 15, "stats say %s frames, input has 15" % stats["frames"])


@test
def output_stats_json():
    """--stats s.json is valid JSON with frames (output frames: 25 for 25
    inputs, 23 under --seed-compat, which emits nothing for the first two),
    seconds > 0, fps = frames / seconds, stages.decode / process / encode
    in milliseconds and threads.library (the library's thread count, >= 1);
    no temporary is left next to it."""
    make_talk("talk.mp4", size="64x48", seconds=1, audio=False)
    for args, frames in ((["talk.mp4", "-o", "out.mkv"], 25),
                         (["--seed-compat", "talk.mp4", "-o", "seed.mkv"], 23)):
        if os.path.exists("s.json"):
            os.remove("s.json")
        backdrop_ok(*(args + ["--stats", "s.json"]))
        s = json.load(open("s.json"))
        check(set(s) == {"frames", "seconds", "fps", "stages", "threads"}, "keys: %s" % sorted(s))
        check(s["frames"] == frames, "%s: frames %s, expected %d" % (args, s["frames"], frames))
        check(s["seconds"] > 0, "seconds %s" % s["seconds"])
        check(abs(s["fps"] - frames / s["seconds"]) <= 0.01 * s["fps"] + 0.01,
              "fps %s is not frames / seconds" % s["fps"])
        check(set(s["stages"]) == {"decode", "process", "encode"}, "stages: %s" % s["stages"])
        check(all(isinstance(v, (int, float)) and v >= 0 for v in s["stages"].values()),
              "stage times: %s" % s["stages"])
        check(set(s["threads"]) == {"library"} and isinstance(s["threads"]["library"], int)
              and s["threads"]["library"] >= 1, "threads: %s" % s["threads"])
        check(not [n for n in os.listdir(".") if n.startswith("s.json.")],
              "temporary stats files left: %s" % listing("."))


@test
def output_codec_and_crf():
    """--codec ffv1 writes FFV1; --crf changes the quality (H.264 at crf 0 is
    several times larger than at crf 51); --crf with an encoder that has no
    crf option, or an unknown --codec, is an error naming it, leaving no file."""
    make_talk("talk.mp4", size="96x64", seconds=1, audio=False)
    backdrop_ok("--codec", "ffv1", "talk.mp4", "-o", "lossless.mkv")
    check(stream_of("lossless.mkv", "video")["codec_name"] == "ffv1", "lossless.mkv is not FFV1")
    check(frame_count("lossless.mkv") == 25, "lossless.mkv frame count")

    backdrop_ok("-m", "framediff", "--crf", "0", "talk.mp4", "-o", "crf0.mp4")
    backdrop_ok("-m", "framediff", "--crf", "51", "talk.mp4", "-o", "crf51.mp4")
    big, small = os.path.getsize("crf0.mp4"), os.path.getsize("crf51.mp4")
    check(big > 3 * small, "--crf has no effect: %d bytes at 0, %d at 51" % (big, small))

    expect_error(["--codec", "ffv1", "--crf", "10", "talk.mp4", "-o", "bad.mkv"],
                 ["bad.mkv", "ffv1", "crf"])
    expect_error(["--codec", "nosuchcodec", "talk.mp4", "-o", "bad.mkv"], ["nosuchcodec"])


@test
def output_codec_does_not_apply_to_pictures():
    """--codec and --crf set the video encoder; a PNG matte (or PNG sequence)
    next to it is still written as PNG, not as H.264/FFV1 data in files named
    .png, and --crf does not make the PNG encoder fail."""
    make_talk("talk.mp4", size="64x48", seconds=0.4, audio=False)
    os.mkdir("m")
    os.mkdir("f")
    backdrop_ok("--codec", "ffv1", "--crf", "0", "talk.mp4", "-o", "f/%02d.png",
                "--matte", "m/%02d.png")
    check(listing("m") == numbered("%02d.png", 10) == listing("f"), "wrong files")
    for path in ["m/" + n for n in listing("m")] + ["f/" + n for n in listing("f")]:
        head = open(path, "rb").read(8)
        check(head == b"\x89PNG\r\n\x1a\n", "%s is not a PNG file" % path)
    backdrop_ok("--crf", "20", "talk.mp4", "-o", "out.mkv", "--matte", "m2_%02d.png")
    check(read_png("m2_01.png").ndim == 2, "m2_01.png is not a grey PNG")


def rotation_of(path):
    for sd in stream_of(path, "video").get("side_data_list", []):
        if sd.get("side_data_type") == "Display Matrix":
            return sd.get("rotation")
    return None


@test
def output_rotation():
    """Rotation metadata (an MP4 display matrix) is carried to MP4 and MOV
    outputs unchanged, and the pictures keep their stored size (nothing is
    turned). Matroska is not checked: FFmpeg 5.1's Matroska muxer cannot
    store a display matrix (ffmpeg -c copy drops it too)."""
    make_talk("plain.mp4", size="96x64", seconds=0.4, audio=False)
    for degrees in (90, 270):
        src = "rot%d.mp4" % degrees
        ffmpeg("-i", "plain.mp4", "-c", "copy", "-metadata:s:v:0", "rotate=%d" % degrees, src)
        want = rotation_of(src)
        check(want is not None and want != 0, "test media: %s has no rotation" % src)
        for ext in ("mp4", "mov"):
            out = "out%d.%s" % (degrees, ext)
            backdrop_ok(src, "-o", out)
            got = rotation_of(out)
            check(got == want, "%s: rotation %s, input %s" % (out, got, want))
            v = stream_of(out, "video")
            check((v["width"], v["height"]) == (96, 64), "%s: stored size changed" % out)


@test
def output_full_range():
    """Full-range input (MJPEG, yuvj420p) stays full range: the outputs are
    tagged pc, and the levels really are full range: a white background
    decodes to luma 255 (not limited-range 235), a black one to 0 (not 16).
    framediff, so that the still clip is all background."""
    ffmpeg(*(lavfi("testsrc2=s=64x48:r=25,trim=end_frame=1,loop=loop=-1:size=1")
             + ["-frames:v", 5, "-c:v", "mjpeg", "-pix_fmt", "yuvj420p", "full.mkv"]))
    check(stream_of("full.mkv", "video").get("color_range") == "pc", "test media: not full range")
    for colour, level in (("white", 255), ("black", 0)):
        for ext in ("mp4", "mkv"):
            out = "%s.%s" % (colour, ext)
            backdrop_ok("-m", "framediff", "-b", colour, "full.mkv", "-o", out)
            v = stream_of(out, "video")
            check(v.get("color_range") == "pc", "%s: colour range %s, expected pc"
                  % (out, v.get("color_range")))
            # Read the stored luma plane as is: no range conversion.
            raw = ffmpeg("-i", out, "-vf", "extractplanes=y", "-f", "rawvideo", "-")
            y = np.frombuffer(raw, np.uint8)
            check(np.abs(y.astype(int) - level).max() <= 2, "%s: luma %d..%d, expected %d"
                  % (out, y.min(), y.max(), level))


def library_options():
    """{component: (kind, [option names])} from the library's sources: each
    file under src/ defines at most one component (`.pub = { "name",
    BD_KIND(BD_STAGE_...)`) and its option table (`{ { "name", ...`), and
    src/pipeline.c the context's options. Read from the sources rather than
    the built library, which the ASan build cannot load into Python."""
    kinds = {"SEGMENT": 1, "REFINE": 2, "STABILISE": 3, "BACKGROUND": 4, "COMPOSITE": 5, "CLEANUP": 6}
    found = {}
    for root, _, files in os.walk(os.path.join(SOURCE_ROOT, "src")):
        for name in sorted(files):
            if not name.endswith(".c"):
                continue
            text = open(os.path.join(root, name)).read()
            options = re.findall(r'\{ \{ "([a-z-]+)",', text)
            component = re.search(r'\.pub = \{ "([a-z-]+)", BD_KIND\(BD_STAGE_([A-Z]+)\)', text)
            if component:
                found[component.group(1)] = (kinds[component.group(2)], options)
            elif name == "pipeline.c":
                found["context"] = (0, options)
            else:
                check(not options, "src/%s has an option table but no component" % name)
    return found


@test
def help_lists_every_option():
    """--help (and -h) exits 0, prints to stdout only, and lists every option
    of the CLI's table (tools/options.c), each once, under its group heading,
    with its short form where it has one; then every option of every method
    and stage of the library, under a heading naming that component, exactly
    as the library's own tables list them."""
    groups = [
        ("Input and output", ["output", "matte", "codec", "crf", "on-error", "view"]),
        ("Camera and virtual camera", ["size", "fps", "input-format", "v4l2-format", "on-demand", "list-devices"]),
        ("Segmentation", ["method", "matte-in", "model"]),
        ("Background", ["background"]),
        ("Running", ["threads", "realtime", "control", "preview", "backgrounds", "quiet", "verbose", "stats", "help",
                     "version"]),
    ]
    shorts = {"output": "o", "method": "m", "background": "b", "quiet": "q",
              "verbose": "v", "help": "h", "version": "V"}
    table = open(os.path.join(SOURCE_ROOT, "tools", "options.c")).read()
    in_source = re.findall(r'\{\s*"([a-z0-9-]+)",\s*(?:0|\'\w\'),\s*OPT_', table)
    listed = [name for _, names in groups for name in names]
    check(sorted(in_source) == sorted(listed),
          "tools/options.c has options %s; this test expects %s (update the test)"
          % (sorted(in_source), sorted(listed)))

    r = backdrop_ok("--help")
    check(backdrop_ok("-h").out == r.out, "-h and --help differ")
    heading, seen, library = None, {}, {}
    kinds = {"Every run,": 0, "Method": 1, "Refine stage": 2, "Stabilise stage": 3,
             "Background stage": 4, "Composite stage": 5, "Cleanup stage": 6}
    for line in r.out.splitlines():
        m = re.match(r"^(Every run,|Method|Refine stage|Stabilise stage|Background stage|"
                     r"Composite stage|Cleanup stage) ([a-z-]+) \(.*\):$", line)
        if m:
            heading = (kinds[m.group(1)], m.group(2))
            check(heading[1] not in library, "component %s listed twice" % heading[1])
            library[heading[1]] = (heading[0], [])
            continue
        m = re.match(r"^(\S[^:]*):$", line)
        if m:
            heading = m.group(1)
            continue
        m = re.match(r"^  (?:-(\w), |    )--([a-z0-9-]+)\b", line)
        if m and isinstance(heading, tuple):
            library[heading[1]][1].append(m.group(2))
        elif m:
            check(m.group(2) not in seen, "--%s listed twice" % m.group(2))
            seen[m.group(2)] = (heading, m.group(1))
    for group, names in groups:
        for name in names:
            check(name in seen, "--help does not list --%s" % name)
            check(seen[name] == (group, shorts.get(name)),
                  "--%s is listed as (heading, short) %s, expected %s"
                  % (name, seen[name], (group, shorts.get(name))))
    check(len(seen) == len(listed), "--help lists unknown options: %s"
          % sorted(set(seen) - set(listed)))
    headings = [h for h in re.findall(r"^(\S[^:\n]*):$", r.out, re.M) if h in dict(groups)]
    check(headings == [g for g, _ in groups], "group headings %s" % headings)
    want = {name: value for name, value in library_options().items() if value[1]}
    # The context's 'background' is the CLI's -b (tools/options.c hides it).
    if "context" in want:
        want["context"] = (want["context"][0], [n for n in want["context"][1] if n != "background"])
    if os.environ.get("BACKDROP_HAS_SELFIE", "1") == "0":
        for neural in ("selfie", "rvm"):  # not built without XNNPACK
            want.pop(neural, None)
    check(library == want, "--help lists the library's options as\n%s\nthe library has\n%s"
          % (library, want))
    for name in ("threshold", "softness", "seed-compat", "fit", "color", "rotation") + \
            (("framing", "engine", "track-every") if "selfie" in want else ()):
        check(any(name in opts for _, opts in want.values()), "the library has no option %s" % name)


@test
def version():
    """--version and -V print 'backdrop X.Y.Z (libbackdrop X.Y.Z, FFmpeg ...)'
    with the project version of meson.build, the one place it is written, on
    stdout and exit 0."""
    meson = open(os.path.join(SOURCE_ROOT, "meson.build")).read()
    project = re.search(r"version\s*:\s*'([^']+)'", meson).group(1)
    for flag in ("--version", "-V"):
        r = backdrop_ok(flag)
        check(r.out.startswith("backdrop %s (libbackdrop %s, FFmpeg " % (project, project)),
              "%s printed %r; meson.build says version %s" % (flag, r.out, project))


# ---- 5. Errors

def small_clip():
    make_talk("talk.mp4", size="64x48", seconds=0.4)
    os.mkdir("out")


@test
def error_missing_input():
    """A missing input file: exit 1, one line naming it, nothing written."""
    small_clip()
    expect_error(["missing.mp4", "-o", "out/x.mp4"], ["missing.mp4"])


@test
def error_text_input():
    """A text file as input is 'not a video file' (FFmpeg would otherwise
    show it as ANSI art): exit 1, one line naming it, nothing written."""
    small_clip()
    with open("notes.txt", "w") as f:
        f.write("This is not a video.\n" * 50)
    expect_error(["notes.txt", "-o", "out/x.mp4"], ["notes.txt", "not a video"])


@test
def error_audio_only_input():
    """An audio-only file has 'no video stream': exit 1, one line, nothing
    written."""
    small_clip()
    ffmpeg(*(lavfi("sine=d=1") + ["-c:a", "aac", "tone.m4a"]))
    expect_error(["tone.m4a", "-o", "out/x.mp4"], ["tone.m4a", "no video stream"])


@test
def error_corrupt_input():
    """A damaged MP4 (3000 bytes of the media data overwritten; the index is
    intact). What the CLI does: with --on-error stop it fails with exit 1,
    its one 'backdrop:' line names the file and 'corrupt' data and comes
    last, and no output is left; by default (skip) it succeeds, writes a
    playable file that lacks only the damaged frames, and its last line warns
    how many packets it skipped. FFmpeg's decoder prints its own diagnostics
    ('[h264 @ 0x...] ...') before backdrop's line; they are allowed here."""
    make_talk("talk.mp4", size="160x120", seconds=2, audio=False,
              extra=["-g", "10", "-movflags", "+faststart"])
    data = bytearray(open("talk.mp4", "rb").read())
    rng = random.Random(1)
    start = len(data) // 3
    for i in range(start, start + 3000):
        data[i] = rng.randrange(256)
    open("damaged.mp4", "wb").write(bytes(data))
    os.mkdir("out")

    before = snapshot()
    r = backdrop("--on-error", "stop", "damaged.mp4", "-o", "out/stop.mkv")
    check(r.rc == 1, "--on-error stop: expected exit status 1\n" + r.describe())
    ours = own_lines(r)
    check(len(ours) == 1 and r.lines[-1] == ours[0], "expected one backdrop line, last\n"
          + r.describe())
    check("damaged.mp4" in ours[0] and "corrupt" in ours[0], "the error does not name the "
          "file and the corruption\n" + r.describe())
    check(snapshot() == before, "--on-error stop left files: %s" % sorted(snapshot() - before))

    r = backdrop("damaged.mp4", "-o", "out/skip.mkv")
    check(r.rc == 0, "default --on-error skip: expected success\n" + r.describe())
    ours = own_lines(r)
    check(len(ours) == 1 and r.lines[-1] == ours[0] and "damaged.mp4" in ours[0]
          and re.search(r"skipped \d+ undecodable packets", ours[0]),
          "expected a last line warning about skipped packets\n" + r.describe())
    n = frame_count("out/skip.mkv")
    check(25 <= n < 50, "out/skip.mkv has %d frames; expected most of the 50, not all" % n)


@test
def error_truncated_input():
    """An MP4 cut in half. Index at the end (the default): the index is lost,
    so the file is 'not a video file' (exit 1, nothing written). Index at the
    front (+faststart): the frames before the cut are kept by default, with
    a warning about the skipped packet; --on-error stop fails on it. FFmpeg's
    own diagnostics may precede backdrop's line, which must come last."""
    make_talk("talk.mp4", size="160x120", seconds=2, audio=False, extra=["-g", "10"])
    make_talk("fast.mp4", size="160x120", seconds=2, audio=False,
              extra=["-g", "10", "-movflags", "+faststart"])
    for src, dst in (("talk.mp4", "cut.mp4"), ("fast.mp4", "cut_fast.mp4")):
        data = open(src, "rb").read()
        open(dst, "wb").write(data[: len(data) // 2])
    os.mkdir("out")

    before = snapshot()
    r = backdrop("cut.mp4", "-o", "out/a.mkv")
    check(r.rc == 1, "expected exit status 1\n" + r.describe())
    ours = own_lines(r)
    check(len(ours) == 1 and r.lines[-1] == ours[0] and "cut.mp4" in ours[0]
          and "not a video file" in ours[0], "unexpected message\n" + r.describe())
    r = backdrop("--on-error", "stop", "cut_fast.mp4", "-o", "out/b.mkv")
    check(r.rc == 1, "expected exit status 1\n" + r.describe())
    ours = own_lines(r)
    check(len(ours) == 1 and r.lines[-1] == ours[0] and "cut_fast.mp4" in ours[0]
          and "corrupt" in ours[0], "unexpected message\n" + r.describe())
    check(snapshot() == before, "failed runs left files: %s" % sorted(snapshot() - before))

    r = backdrop("cut_fast.mp4", "-o", "out/c.mkv")
    check(r.rc == 0, "expected success\n" + r.describe())
    ours = own_lines(r)
    check(len(ours) == 1 and "skipped" in ours[0], "expected a warning\n" + r.describe())
    n = frame_count("out/c.mkv")
    check(10 <= n < 50, "out/c.mkv has %d frames; expected those before the cut" % n)


@test
def error_background_missing():
    """-b naming a missing picture: exit 1, one line naming it, nothing
    written (checked before any frame is processed)."""
    small_clip()
    expect_error(["-b", "nowhere.jpg", "talk.mp4", "-o", "out/x.mp4"], ["nowhere.jpg"])


@test
def error_background_text_file():
    """-b naming a text file called bg.jpg: exit 1, one line naming it,
    nothing written."""
    small_clip()
    with open("bg.jpg", "w") as f:
        f.write("not a picture\n")
    expect_error(["-b", "bg.jpg", "talk.mp4", "-o", "out/x.mp4"], ["bg.jpg"])


@test
def error_background_truncated():
    """A background picture that is cut short or damaged is an error, not a
    mostly flat background: exit 1, one line "backdrop: NAME: cannot read
    background image: truncated or damaged (why)", nothing written. JPEG
    and PNG cut at several points (down to the last bytes: the JPEG decoder
    conceals a missing tail, the PNG decoder a missing final chunk), with a
    corrupted middle, and a PNG whose first chunk fails its checksum; WebP
    and BMP cut in half. The intact pictures, and a JPEG followed by other
    data (phones append videos and depth maps), are accepted."""
    small_clip()
    make_picture("bg.jpg")
    make_picture("bg.png")
    make_picture("bg.bmp")
    ffmpeg(*(lavfi("mandelbrot=s=200x150") + ["-frames:v", 1, "-c:v", "libwebp", "bg.webp"]))
    bad = []
    for ext, cuts in (("jpg", (0.1, 0.5, 0.9, -20, -8, -2)), ("png", (0.1, 0.5, 0.9, -12, -4, -1)),
                      ("webp", (0.5,)), ("bmp", (0.5,))):
        data = open("bg." + ext, "rb").read()
        for cut in cuts:
            size = int(len(data) * cut) if cut > 0 else len(data) + cut
            name = "cut%s_%d.%s" % (ext, size, ext)
            open(name, "wb").write(data[:size])
            bad.append(name)
        if ext in ("jpg", "png"):
            damaged = bytearray(data)
            middle = len(data) // 2
            damaged[middle:middle + 16] = bytes(b ^ 0x5A for b in damaged[middle:middle + 16])
            open("middle." + ext, "wb").write(bytes(damaged))
            bad.append("middle." + ext)
    png = bytearray(open("bg.png", "rb").read())
    png[29] ^= 0xFF  # the last byte of IHDR's CRC
    open("crc.png", "wb").write(bytes(png))
    bad.append("crc.png")
    for name in bad:
        r = expect_error(["-m", "framediff", "-b", name, "talk.mp4", "-o", "out/x.mp4"],
                         ["truncated or damaged"])
        check(r.lines[0].startswith("backdrop: %s: cannot read background image: " % name),
              "unexpected wording\n" + r.describe())

    open("followed.jpg", "wb").write(open("bg.jpg", "rb").read() + open("talk.mp4", "rb").read())
    for name in ("bg.jpg", "bg.png", "bg.webp", "bg.bmp", "followed.jpg"):
        backdrop_ok("-m", "framediff", "-b", name, "talk.mp4", "-o", "out/%s.mp4" % name)


@test
def error_bad_colour():
    """-b '#12345' (five digits) is neither a colour nor a file: a command
    line error (exit 2, like every -b that names no valid kind), one line
    quoting it, nothing written."""
    small_clip()
    expect_error(["-b", "#12345", "talk.mp4", "-o", "out/x.mp4"], ["#12345"], rc=2)


@test
def error_unwritable_output():
    """Destinations that cannot be written fail before any work, naming the
    destination, leaving nothing: a missing directory of a video (that of an
    image pattern is created: see safety_sequence_folder_created), a path
    below a regular file (video and image pattern), a new file in /proc (refused even
    to root), and, when not running as root, a directory of mode 0500 (root
    ignores the mode, so CI, which runs as root, relies on the others)."""
    small_clip()
    with open("file.txt", "w") as f:
        f.write("a regular file\n")
    cases = [("nodir/out.mp4", "nodir"), ("file.txt/%06d.png", "file.txt"),
             ("file.txt/out.mp4", "file.txt"), ("/proc/backdrop-test.mp4", "/proc")]
    if os.geteuid() != 0:
        os.mkdir("locked", 0o500)
        cases.append(("locked/out.mp4", "locked"))
    else:
        print("note: running as root; the mode-0500 directory case is not tested")
    for dest, named in cases:
        expect_error(["talk.mp4", "-o", dest], [named])
        check(not os.path.exists("/proc/backdrop-test.mp4"), "wrote into /proc")
        expect_error(["talk.mp4", "-o", "out/x.mkv", "--matte", dest], [named])


@test
def error_bad_option_values():
    """Command-line mistakes exit 2 with one line naming the option or value
    and touch nothing: --threshold 300 and abc, --fit wide, --crf -1,
    --on-error ignore, a value given to a flag (--seed-compat=1), an unknown
    option, a missing -o, a missing option value, two inputs."""
    small_clip()
    cases = [
        (["--threshold", "300"], ["--threshold", "300"]),
        (["--threshold", "abc"], ["--threshold", "abc"]),
        (["--fit", "wide"], ["--fit", "wide"]),
        (["--crf", "-1"], ["--crf", "-1"]),
        (["--on-error", "ignore"], ["--on-error", "ignore"]),
        (["--frobnicate"], ["--frobnicate"]),
        (["--seed-compat=1"], ["--seed-compat"]),
    ]
    for extra, mentions in cases:
        expect_error(extra + ["talk.mp4", "-o", "out/x.mp4"], mentions, rc=2)
    expect_error(["talk.mp4"], ["-o"], rc=2)
    expect_error(["talk.mp4", "-o"], ["--output"], rc=2)
    expect_error(["talk.mp4", "other.mp4", "-o", "out/x.mp4"], ["talk.mp4", "other.mp4"], rc=2)


@test
def error_unknown_method():
    """-m nosuch: exit 1, one line naming it and listing the methods there
    are (selfie, framediff; framediff only in a build without selfie),
    nothing written."""
    small_clip()
    methods = ["framediff"] if selfie_missing() else ["selfie", "framediff"]
    expect_error(["-m", "nosuch", "talk.mp4", "-o", "out/x.mp4"], ["nosuch"] + methods, rc=2)


@test
def default_method_without_selfie():
    """In a build without the neural methods (-Dxnnpack=disabled) the default
    method is framediff: a run without -m succeeds, saying so in one line on
    stderr, and -m framediff is silent; -m selfie is an unknown method.
    With them, the default is rvm even when its model is missing: the run
    fails on the model (naming rvm and 'make models'), it does not fall
    back; live (--realtime) it is selfie; and --help says both."""
    small_clip()
    os.mkdir("empty")
    empty = {"BACKDROP_MODEL_DIR": os.path.abspath("empty")}
    if not selfie_missing():
        expect_error(["talk.mp4", "-o", "out/x.mkv"], ["rvm model not found", "make models"], env=empty,
                     real_default=True)
        # Live (a camera, --realtime) the default is selfie, which keeps up.
        expect_error(["--realtime", "talk.mp4", "-o", "null"], ["selfie_segmentation.tflite", "make models"],
                     env=empty, real_default=True)
        r = backdrop("--help", real_default=True)
        text = " ".join(r.out.split())
        check(r.rc == 0 and "rvm (video matting, the default for files)" in text and
              "selfie (neural segmentation, lighter: the default live" in text,
              "--help does not name rvm the default for files and selfie live\n" + r.describe())
        return
    r = backdrop("talk.mp4", "-o", "out/x.mkv", env=empty, real_default=True)
    check(r.rc == 0, "the default method failed without the neural methods\n" + r.describe())
    check(len(r.lines) == 1 and "neural methods" in r.lines[0] and "framediff" in r.lines[0],
          "expected one line saying framediff replaces the neural methods\n" + r.describe())
    check(frame_count("out/x.mkv") == frame_count("talk.mp4"), "frames lost")
    backdrop_ok("-m", "framediff", "talk.mp4", "-o", "out/y.mkv")
    expect_error(["-m", "selfie", "talk.mp4", "-o", "out/z.mkv"], ["selfie", "framediff"], rc=2)


@test
def error_unknown_output_extension():
    """-o out.xyz (no such format): exit 1, one line naming the file and the
    extension, nothing written, also when it is the matte that is wrong and
    the main output was already open."""
    small_clip()
    expect_error(["talk.mp4", "-o", "out/x.xyz"], ["out/x.xyz", ".xyz"])
    expect_error(["talk.mp4", "-o", "out/x.mkv", "--matte", "out/m.xyz"], ["out/m.xyz"])


@test
def error_single_image_multi_frame():
    """-o out.png with a multi-frame input: exit 1, one line naming out.png
    and suggesting a pattern, and nothing left: neither out.png nor its
    temporary; nor, when the single picture is the matte, the main video."""
    small_clip()
    expect_error(["talk.mp4", "-o", "out/x.png"], ["out/x.png", "%06d"])
    expect_error(["talk.mp4", "-o", "out/x.mkv", "--matte", "out/m.png"], ["out/m.png"])


def stop_with(sig, method_args):
    """Runs a long piped input with method_args, sends sig once the output
    has been opened (then feeds the rest), and returns (exit status,
    stderr). Deterministic: the input comes through a pipe, half of it
    first. Fails on a sanitizer report."""
    ffmpeg(*(lavfi("testsrc2=s=160x120:r=25") + ["-frames:v", 300, "-c:v", "libx264",
                                                 "-preset", "ultrafast", "-g", "25", "long.mkv"]))
    data = open("long.mkv", "rb").read()
    os.mkdir("out")
    cmd = [os.environ["BACKDROP"]] + method_args + ["-", "-o", "out/part.mkv"]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        half = len(data) // 2
        proc.stdin.write(data[:half])
        proc.stdin.flush()
        deadline = time.time() + 60
        while not [n for n in os.listdir("out") if n.startswith(".part.mkv.part-")]:
            check(proc.poll() is None, "backdrop ended before the signal")
            check(time.time() < deadline, "the output was never opened")
            time.sleep(0.02)
        proc.send_signal(sig)
        time.sleep(0.2)
        try:
            proc.stdin.write(data[half:])
            proc.stdin.close()
        except BrokenPipeError:
            pass
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = err.decode("utf-8", "replace")
    check(not any(m in err for m in SANITIZER_MARKS), "sanitizer report:\n" + err)
    return proc.returncode, err


@test
def interrupt_sigint():
    """SIGINT stops the run early but cleanly: exit status 130, a message
    saying it was interrupted, and a complete, playable output holding the
    frames done so far (fewer than the input's), with no temporary left.
    Deterministic: the input comes through a pipe, half of it first; the
    signal is sent once the output has been opened, then the rest follows."""
    status, err = stop_with(signal.SIGINT, default_method([]))
    check(status == 130, "exit status %s, expected 130\n%s" % (status, err))
    check(re.search(r"interrupted after \d+ frames", err), "no interruption message:\n" + err)
    check(listing("out") == ["part.mkv"], "out/ holds %s" % listing("out"))
    n = frame_count("out/part.mkv")
    check(0 < n < 300, "out/part.mkv has %d frames; expected some, not all 300" % n)


# ---- 6. Seed compatibility with the tutorial (OpenCV reference)
#
# tests/ref/tutorial_ref.py runs the tutorial's algorithm with OpenCV, and
# compare_frames.py compares two folders of PNGs. The frames have to agree
# within ±2 on 99.9 % of values, the masks exactly on 99.9 %.
#
# Measured on Debian 12 (FFmpeg 5.1, OpenCV 4.6): frames and masks are
# bit-identical for a colour background and for a background that is shrunk
# by a non-integer ratio (517x389 -> 320x240 and 321x241). Why no larger
# differences: both sides decode with FFmpeg and convert to BGR24 with
# swscale's bicubic default (OpenCV's capture does that, and so does
# tools/input.c under --seed-compat), and the C grey and threshold are
# OpenCV's Q14 fixed-point arithmetic. Remaining differences, all ±1 and in
# the background picture only (the masks stay identical):
#   * enlarging (97x71 -> 320x240): OpenCV's INTER_AREA enlarges with 11-bit
#     fixed-point bilinear weights, src/resize.c with float weights and
#     round-half-even; about 0.2-0.5 % of values differ by 1;
#   * an exact 2:1 shrink (640x480 -> 320x240): OpenCV takes a fast path
#     that rounds halves up ((a + b + c + d + 2) >> 2), src/resize.c rounds
#     half to even; about 8 % of values differ by 1.

def have_opencv():
    r = subprocess.run([PYTHON, "-c", "import cv2, numpy"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    return r.returncode == 0


def seed_compat_compare(clip, background, frames):
    """Runs backdrop --seed-compat and the OpenCV reference on clip with the
    background, compares pictures (±2 on 99.9 %) and masks (exact on 99.9 %),
    and returns compare_frames' summary lines."""
    if not have_opencv():
        raise Skip("%s has no cv2/numpy; the OpenCV reference cannot run" % PYTHON)
    tag = os.path.splitext(clip)[0] + "-" + re.sub(r"\W", "", background)
    out, mout, ref, mref = (tag + s for s in ("-out", "-mout", "-ref", "-mref"))
    os.mkdir(out)
    os.mkdir(mout)
    backdrop_ok("--seed-compat", "-b", background, clip, "-o", out + "/%06d.png",
                "--matte", mout + "/%06d.png")
    check(listing(out) == numbered("%06d.png", frames - 2),
          "--seed-compat wrote %d pictures for %d frames, expected %d"
          % (len(listing(out)), frames, frames - 2))
    masks = [read_png(os.path.join(mout, n)) for n in listing(mout)]
    moving = np.mean([np.count_nonzero(m) / m.size for m in masks])
    check(0.001 < moving < 0.9, "test media: %.2f%% foreground on average; the comparison "
          "needs both foreground and background" % (100 * moving))
    r = subprocess.run([PYTHON, os.path.join(REF_DIR, "tutorial_ref.py"), clip,
                        "--background", background, "--threshold", "3",
                        "--out", ref, "--matte", mref],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    check(r.returncode == 0, "tutorial_ref.py failed: %s" % r.stderr.decode())
    summary = []
    for a, b, opts in ((out, ref, ["--tol", "2", "--min-fraction", "0.999"]),
                       (mout, mref, ["--tol", "0", "--min-fraction", "0.999"])):
        r = subprocess.run([PYTHON, os.path.join(REF_DIR, "compare_frames.py"), a, b] + opts,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = (r.stdout + r.stderr).decode("utf-8", "replace").strip()
        check(r.returncode == 0, "%s vs %s: %s" % (a, b, line))
        summary.append("%s vs %s: %s" % (a, b, line))
    print("\n".join(summary))
    return summary


def make_seed_clips():
    """Two clips with motion: testsrc2 320x240 (H.264), and an odd-sized
    321x241 still test picture with a white box moving over it (FFV1)."""
    ffmpeg(*(lavfi("testsrc2=s=320x240:r=25") + ["-frames:v", 25, "-c:v", "libx264",
                                                 "-pix_fmt", "yuv420p", "motion.mp4"]))
    graph = ("testsrc=s=321x241:r=25,trim=end_frame=1,loop=loop=-1:size=1[bg];"
             "color=white:s=40x30:r=25[box];"
             "[bg][box]overlay=x='10+7*n':y='20+5*n':shortest=0,format=yuv420p")
    ffmpeg(*(lavfi(graph) + ["-frames:v", 15, "-c:v", "ffv1", "box.mkv"]))
    return [("motion.mp4", 25), ("box.mkv", 15)]


@test
def seed_compat_reference():
    """backdrop --seed-compat reproduces the OpenCV tutorial (tutorial_ref.py)
    on a moving 320x240 clip and an odd-sized 321x241 clip with a moving box,
    over a larger background picture with a non-integer ratio (517x389):
    the same frames (N - 2), pictures within ±2 on >= 99.9 % of values and
    masks identical on >= 99.9 %."""
    make_picture("bg.png", source="mandelbrot", size="517x389")
    for clip, frames in make_seed_clips():
        seed_compat_compare(clip, "bg.png", frames)


@test
def seed_compat_small_background():
    """The same with a smaller background (97x71), which is enlarged."""
    make_picture("small.png", source="testsrc", size="97x71")
    for clip, frames in make_seed_clips():
        seed_compat_compare(clip, "small.png", frames)


@test
def seed_compat_colour_background():
    """The same with a colour background '#00b140'."""
    for clip, frames in make_seed_clips():
        seed_compat_compare(clip, "#00b140", frames)


@test
def seed_compat_half_size_background():
    """The same with a background of exactly twice the frame size, which
    OpenCV shrinks on its integer fast path (see the comment above)."""
    make_picture("double.png", source="mandelbrot", size="640x480")
    ffmpeg(*(lavfi("testsrc2=s=320x240:r=25") + ["-frames:v", 12, "-c:v", "libx264",
                                                 "-pix_fmt", "yuv420p", "motion.mp4"]))
    seed_compat_compare("motion.mp4", "double.png", 12)


# ---- 7. selfie: the default method (neural person segmentation)
#
# These need the models (need_models() skips without them) and, for real
# people, the shared evaluation data (shared_data() skips without it). The
# IoU bounds are what this build measured, less a margin for other CPUs
# (XNNPACK picks other kernels, whose float rounding moves a few boundary
# pixels) and for resampling changes; they are smoke bounds on pseudo or
# small ground truth, not accuracy claims. Inputs stay small and short: the
# ASan+UBSan build runs these too.

PORTRAIT = "p_514ca06a"    # 576x640, portrait: the general model by default
WIDE_PORTRAIT = "p_d684dae3"  # 640x360, 16:9: a person filling the width


def p3m(kind, name):
    ext = "jpg" if kind == "images" else "png"
    return shared_data("p3m_portraits_pseudo_gt", kind, "%s.%s" % (name, ext))


def fg_fraction(matte):
    return np.count_nonzero(matte >= 128) / matte.size


def process_ms(stats_path):
    return json.load(open(stats_path))["stages"]["process"]


@test
def selfie_default_no_person():
    """The default method is selfie: on clips without a person (a blue box
    sliding fast over grey at 16:9, and a flat grey picture sequence at
    exactly 4:3) the matte is background (< 128) on >= 99 % of every
    frame's pixels. framediff, by contrast, marks the moving box as
    foreground, so a default that is still framediff fails here. (testsrc2
    is avoided: its coloured bars and moving text look enough like a figure
    that the general model marks up to 10 % of some frames as 'person'.)"""
    need_models()
    ffmpeg(*(lavfi("color=c=0x808080:s=256x144:r=25[grey];color=c=blue:s=40x40:r=25[box];"
                   "[grey][box]overlay=x='mod(n*32,216)':y=50")
             + ["-frames:v", 10, "-c:v", "libx264", "-pix_fmt", "yuv420p", "pattern.mp4"]))
    ffmpeg(*(lavfi("color=c=0x808080:s=192x144:r=25") + ["-frames:v", 3, "grey_%02d.png"]))
    for clip, name in (("pattern.mp4", "pattern"), ("grey_%02d.png", "grey")):
        os.mkdir(name)
        backdrop_ok(clip, "-o", "null", "--matte", name + "/%03d.png")
        for i, m in enumerate(mattes(name)):
            bg = np.count_nonzero(m < 128) / m.size
            print("%s frame %d: %.2f%% background" % (clip, i + 1, 100 * bg))
            check(bg >= 0.99, "%s frame %d: only %.2f%% of the matte is background; no person "
                  "is in it" % (clip, i + 1, 100 * bg))
    os.mkdir("fd")
    backdrop_ok("-m", "framediff", "pattern.mp4", "-o", "null", "--matte", "fd/%03d.png")
    moving = np.mean([fg_fraction(m) for m in mattes("fd")[1:]])
    check(moving > 0.05, "test media: framediff finds only %.2f%% foreground in the moving "
          "pattern, so this test cannot tell the methods apart" % (100 * moving))


@test
def selfie_portrait_iou():
    """A real portrait (p3m %s, 576x640, default method and model) gives a
    matte whose person (>= 128) overlaps the pseudo ground truth (P3M-Net
    alpha >= 128) with IoU >= 0.92 (measured 0.975; an all-person matte
    would score 0.38, an empty one 0). The matte has the picture's size."""
    need_models()
    img, truth = p3m("images", PORTRAIT), read_grey(p3m("masks", PORTRAIT))
    backdrop_ok(img, "-o", "null", "--matte", "m.png")
    m = read_png("m.png")
    check(m.shape == truth.shape, "matte shape %s, picture %s" % (m.shape, truth.shape))
    score = iou(m, truth)
    print("IoU %.4f (person %.1f%% of the matte, %.1f%% of the ground truth)"
          % (score, 100 * fg_fraction(m), 100 * fg_fraction(truth)))
    check(score >= 0.92, "IoU %.4f < 0.92 against the pseudo ground truth" % score)


selfie_portrait_iou.__doc__ = selfie_portrait_iou.__doc__ % PORTRAIT


@test
def selfie_davis_sequence_iou():
    """A real video as an image sequence (frames/%06d.jpg): every 8th frame
    of DAVIS 2016 'lucia' (9 frames, 640x360, so the landscape model by
    default, hand-held camera, the person ~5 % of the frame). Against the
    human masks, the mean IoU is >= 0.77 (measured 0.822) and every frame's
    >= 0.65 (measured minimum 0.716)."""
    need_models()
    seq = shared_data("davis2016_person", "lucia")
    picked = list(range(1, 70, 8))
    os.mkdir("frames")
    for k, i in enumerate(picked, 1):
        shutil.copy(os.path.join(seq, "frames", "%06d.jpg" % i), "frames/%06d.jpg" % k)
    os.mkdir("m")
    backdrop_ok("frames/%06d.jpg", "-o", "null", "--matte", "m/%06d.png")
    got = mattes("m")
    check(len(got) == len(picked), "%d mattes for %d frames" % (len(got), len(picked)))
    scores = [iou(m, read_grey(os.path.join(seq, "gt", "%06d.png" % i)))
              for m, i in zip(got, picked)]
    print("IoU per frame: %s; mean %.4f" % (" ".join("%.3f" % s for s in scores),
                                           np.mean(scores)))
    check(np.mean(scores) >= 0.77, "mean IoU %.4f < 0.77" % np.mean(scores))
    check(min(scores) >= 0.65, "frame %d: IoU %.4f < 0.65"
          % (picked[int(np.argmin(scores))], min(scores)))


@test
def selfie_engines_agree():
    """--engine reference (plain C) and the default XNNPACK run the same
    float model: on two 256x144 video frames (landscape model) and a 144x160
    portrait (general model), with --softness 1 so that alpha is the
    probability itself (255 p, hundreds of levels, not just 0 and 255), the
    mattes agree within ±1 on >= 99.9 % of pixels (measured: identical).
    The reference really is another executor: over both inputs it takes at
    least 3x XNNPACK's processing time (measured ~10x, plain and ASan)."""
    need_models()
    seq = shared_data("davis2016_person", "lucia", "frames")
    ffmpeg("-start_number", 20, "-i", os.path.join(seq, "%06d.jpg"), "-frames:v", 2,
           "-vf", "scale=256:144:flags=area", "-q:v", 2, "video_%02d.jpg")
    ffmpeg("-i", p3m("images", PORTRAIT), "-vf", "scale=144:160:flags=area", "portrait.png")
    total = {"xnnpack": 0.0, "reference": 0.0}
    for src, tag in (("video_%02d.jpg", "video"), ("portrait.png", "portrait")):
        runs = {}
        for engine in ("xnnpack", "reference"):
            out = "%s_%s" % (tag, engine)
            os.mkdir(out)
            backdrop_ok("--engine", engine, "--softness", 1, src, "-o", "null",
                        "--matte", out + "/%02d.png", "--stats", out + ".json")
            runs[engine] = mattes(out).astype(int)
            total[engine] += process_ms(out + ".json")
        a, b = runs["xnnpack"], runs["reference"]
        check(a.shape == b.shape, "%s: %s mattes against %s" % (tag, a.shape, b.shape))
        close = np.count_nonzero(np.abs(a - b) <= 1) / a.size
        levels = len(np.unique(a))
        print("%s: %.4f%% within ±1, max difference %d, %d levels, process %.0f ms "
              "(xnnpack) and %.0f ms (reference)"
              % (tag, 100 * close, np.abs(a - b).max(), levels, process_ms(tag + "_xnnpack.json"),
                 process_ms(tag + "_reference.json")))
        check(levels >= 64 and 0.01 < fg_fraction(a) < 0.9,
              "test media: %s gives %d matte levels, %.1f%% person; the comparison needs a "
              "person with soft edges" % (tag, levels, 100 * fg_fraction(a)))
        check(close >= 0.999, "%s: the engines agree within ±1 on only %.3f%% of pixels"
              % (tag, 100 * close))
    check(total["reference"] >= 3 * total["xnnpack"], "--engine reference took %.0f ms, XNNPACK "
          "%.0f ms: is the option ignored?" % (total["reference"], total["xnnpack"]))


@test
def selfie_model_selection():
    """The default model is the general one for every frame shape (windowed
    framing makes it fit any aspect ratio), and --model overrides it. Shown
    with a model directory holding only one of the two (BACKDROP_MODEL_DIR):
    with only the general model every picture works; with only the
    landscape model each asks for the general one and works with --model
    landscape."""
    need_models()
    sizes = ("192x144", "144x256", "194x144", "256x144")
    for size in sizes:
        make_picture("p%s.png" % size, source="testsrc", size=size)
    for name in MODEL_FILES:
        os.mkdir("only_" + name)
        shutil.copy(model_path(name), os.path.join("only_" + name, MODEL_FILES[name]))
    only = {name: {"BACKDROP_MODEL_DIR": os.path.abspath("only_" + name)} for name in MODEL_FILES}
    for size in sizes:
        backdrop_ok("p%s.png" % size, "-o", "null", env=only["general"])
        expect_error(["p%s.png" % size, "-o", "null"],
                     ["general model not found", MODEL_FILES["general"], "make models"],
                     env=only["landscape"])
        backdrop_ok("--model", "landscape", "p%s.png" % size, "-o", "null", env=only["landscape"])


@test
def selfie_model_override():
    """On a 16:9 picture of a person (256x144): the default matte equals
    --model general's, --model landscape gives another, and --model FILE
    with the general model's path gives exactly --model general's."""
    need_models()
    ffmpeg("-i", p3m("images", WIDE_PORTRAIT), "-vf", "scale=256:144:flags=area", "wide.png")
    runs = {}
    for tag, extra in (("default", []), ("landscape", ["--model", "landscape"]),
                       ("general", ["--model", "general"]),
                       ("file", ["--model", model_path("general")])):
        backdrop_ok(*(extra + ["wide.png", "-o", "null", "--matte", tag + ".png"]))
        runs[tag] = read_png(tag + ".png")
    check(np.array_equal(runs["default"], runs["general"]),
          "a 16:9 picture's default matte is not the general model's")
    check(np.count_nonzero(runs["general"] != runs["landscape"]) > 100,
          "--model general and --model landscape give the same matte")
    check(np.array_equal(runs["file"], runs["general"]),
          "--model FILE (the general model's path) differs from --model general")


@test
def selfie_model_file_errors():
    """--model FILE that is not a usable model: exit 1 with one line naming
    the file and the problem, nothing written, no sanitizer report: a model
    cut in half ('model rejected'), one whose TFLite identifier is
    overwritten and a text file ('not a TFLite model'), an empty file,
    a directory, a missing file. Randomly damaged copies (bytes overwritten
    at fixed seeds) either run or fail in that same way, never crash."""
    need_models()
    good = open(model_path("general"), "rb").read()
    os.mkdir("out")
    open("half.tflite", "wb").write(good[: len(good) // 2])
    open("ident.tflite", "wb").write(good[:4] + b"XXXX" + good[8:])
    open("text.tflite", "w").write("this is not a model\n")
    open("empty.tflite", "wb").close()
    os.mkdir("dir.tflite")
    make_picture("pic.png", source="testsrc", size="192x144")
    for path, problem in (("half.tflite", "model rejected"), ("ident.tflite", "not a TFLite model"),
                          ("text.tflite", "not a TFLite model"), ("empty.tflite", "0 bytes"),
                          ("dir.tflite", "not a regular file"),
                          ("nowhere.tflite", "cannot open model")):
        expect_error(["--model", path, "pic.png", "-o", "out/x.png"], [path, problem])

    outcomes = []
    for seed in range(8):
        rng = random.Random(seed)
        data = bytearray(good)
        if seed % 2:  # the FlatBuffers tables are at the start and the end
            for _ in range(4):
                near_end = len(data) - 1 - rng.randrange(8192)
                i = rng.randrange(2048) if rng.random() < 0.5 else near_end
                data[i] = rng.randrange(256)
        else:
            for _ in range(16):
                data[rng.randrange(len(data))] = rng.randrange(256)
        name = "damaged%d.tflite" % seed
        open(name, "wb").write(bytes(data))
        r = backdrop("--model", name, "pic.png", "-o", "out/%d.png" % seed)
        check(r.rc in (0, 1), "damaged model (seed %d): exit status %d\n%s"
              % (seed, r.rc, r.describe()))
        if r.rc == 1:
            check(len(r.lines) == 1 and name in r.lines[0],
                  "damaged model (seed %d): expected one line naming it\n%s" % (seed, r.describe()))
            check(not os.path.exists("out/%d.png" % seed), "a failed run left out/%d.png" % seed)
        outcomes.append(r.rc)
    print("damaged models: %d rejected, %d ran" % (outcomes.count(1), outcomes.count(0)))


@test
def selfie_named_model_missing():
    """A named model that is not installed: exit 1, one line naming the
    model and where it was looked for, and saying how to fetch it ('make
    models'); nothing written. The place is BACKDROP_MODEL_DIR (here an
    empty directory), else $XDG_CACHE_HOME/backdrop/models. Needs no model."""
    small_clip()
    make_picture("pic.png", source="testsrc", size="192x144")
    os.mkdir("empty")
    empty = {"BACKDROP_MODEL_DIR": os.path.abspath("empty")}
    for args, name in ((["pic.png"], "general"), (["talk.mp4"], "general"),
                       (["--model", "landscape", "pic.png"], "landscape")):
        expect_error(args + ["-o", "out/x.png"],
                     ["%s model not found" % name,
                      os.path.join(os.path.abspath("empty"), MODEL_FILES[name]), "make models"],
                     env=empty)
    cache = {"BACKDROP_MODEL_DIR": "", "XDG_CACHE_HOME": os.path.abspath("cache")}
    expect_error(["pic.png", "-o", "out/x.png"],
                 [os.path.join(os.path.abspath("cache"), "backdrop", "models",
                               MODEL_FILES["general"]), "make models"], env=cache)


@test
def selfie_named_model_checksum():
    """A named model whose file is there but damaged (a copy of the general
    model with one byte flipped, under its name in BACKDROP_MODEL_DIR): exit
    1, one line naming the file, saying 'checksum mismatch' and how to fetch
    it again. The same file given as --model FILE runs: the flipped byte is
    a weight, which only the checksum can catch."""
    need_models()
    data = bytearray(open(model_path("general"), "rb").read())
    data[len(data) // 2] ^= 0xFF
    os.mkdir("bad")
    os.mkdir("out")
    path = os.path.join(os.path.abspath("bad"), MODEL_FILES["general"])
    open(path, "wb").write(bytes(data))
    make_picture("pic.png", source="testsrc", size="192x144")
    bad = {"BACKDROP_MODEL_DIR": os.path.abspath("bad")}
    expect_error(["pic.png", "-o", "out/x.png"], [path, "checksum mismatch", "make models"],
                 env=bad)
    expect_error(["--model", "general", "pic.png", "-o", "out/x.png"], [path, "checksum mismatch"],
                 env=bad)
    backdrop_ok("--model", path, "pic.png", "-o", "out/x.png")


# Option combinations that only the chosen method can judge are checked
# before anything is opened (tools/backdrop.c check_method_options()) and,
# like any malformed command line, exit 2.
COMBINATION_RC = 2


@test
def selfie_option_validation():
    """Values of the selfie options and method-specific meanings of
    --threshold are checked before any model is loaded (the model directory
    here is empty) and before anything is written, each refusal one line
    naming the option: out-of-range --softness or --track-every, unknown
    --framing or --engine, a negative --threshold exit 2; --threshold 0.5 with -m
    framediff (which takes whole grey levels), --threshold 3 or 1.5 with
    selfie (a probability 0..1) and --seed-compat -m selfie exit 1. framediff
    needs no model: -m framediff --threshold 3.0 and --seed-compat run with
    the empty model directory."""
    small_clip()
    os.mkdir("empty")
    empty = {"BACKDROP_MODEL_DIR": os.path.abspath("empty")}
    cases = [
        (["--softness", "2"], ["--softness", "2"], 2),
        (["--softness", "-0.1"], ["--softness", "-0.1"], 2),
        (["--framing", "wide"], ["--framing", "wide"], 2),
        (["--engine", "gpu"], ["--engine", "gpu"], 2),
        (["--track-every", "0"], ["--track-every", "0"], 2),
        (["--threshold", "-0.5"], ["--threshold", "-0.5"], 2),
        (["-m", "framediff", "--threshold", "0.5"], ["--threshold", "framediff", "0.5"],
         COMBINATION_RC),
        (["--threshold", "3"], ["--threshold", "selfie", "0..1"], COMBINATION_RC),
        (["-m", "selfie", "--threshold", "1.5"], ["--threshold", "selfie", "1.5"], COMBINATION_RC),
        (["--seed-compat", "-m", "selfie"], ["--seed-compat", "framediff"], COMBINATION_RC),
    ]
    for extra, mentions, rc in cases:
        expect_error(extra + ["talk.mp4", "-o", "out/x.mp4"], mentions, rc=rc, env=empty)
    backdrop_ok("-m", "framediff", "--threshold", "3.0", "talk.mp4", "-o", "out/a.mkv", env=empty)
    backdrop_ok("--seed-compat", "talk.mp4", "-o", "out/b.mkv", env=empty)


@test
def selfie_framing_crop():
    """--framing crop on a 16:9 clip (256x144, a person across the width)
    with the square general model: the network sees the centred 144x144
    square, and the matte is exactly 0 in the bands left (columns 0-55) and
    right (200-255) of it on every frame, while the person reaches the
    crop's first and last columns. Inside, the matte matches the general
    model run on the centre square cut out as its own clip: within ±8 on
    >= 99.9 % of pixels (measured 99.98 %; not identical, as the resampling
    filter reads a pixel or two across the crop's edge). --softness 1 makes
    alpha the probability itself, so that this tells crops apart: a crop 2
    pixels off centre scores 97.3 %, the whole frame stretched and then
    blanked at the sides 98.2 % (although their IoU is 0.98 and 0.995). The
    bands do hold person with the default --framing pad (so the zeros come
    from the crop). With the landscape model the 16:9 frame needs no crop:
    crop equals pad exactly."""
    need_models()
    ffmpeg("-loop", 1, "-i", p3m("images", WIDE_PORTRAIT), "-frames:v", 3,
           "-vf", "scale=256:144:flags=area", "-pix_fmt", "yuv420p", "-c:v", "ffv1", "wide.mkv")
    ffmpeg("-i", "wide.mkv", "-vf", "crop=144:144:56:0", "-c:v", "ffv1", "centre.mkv")
    runs = {}
    for tag, args in (("crop", ["--model", "general", "--framing", "crop", "wide.mkv"]),
                      ("pad", ["--model", "general", "wide.mkv"]),
                      ("centre", ["--model", "general", "centre.mkv"]),
                      ("lcrop", ["--model", "landscape", "--framing", "crop", "wide.mkv"]),
                      ("lpad", ["--model", "landscape", "--framing", "pad", "wide.mkv"])):
        os.mkdir(tag)
        backdrop_ok(*(args + ["--softness", 1, "-o", "null", "--matte", tag + "/%d.png"]))
        runs[tag] = mattes(tag)
    crop, pad = runs["crop"], runs["pad"]
    check(crop.shape == (3, 144, 256), "matte shape %s" % (crop.shape,))
    bands = np.concatenate([pad[:, :, :56], pad[:, :, 200:]], axis=2)
    check(fg_fraction(bands) >= 0.05, "test media: with pad only %.1f%% of the bands is person; "
          "the crop would have nothing to remove" % (100 * fg_fraction(bands)))
    for i in range(3):
        left, right = crop[i, :, :56], crop[i, :, 200:]
        check(left.max() == 0 and right.max() == 0, "frame %d: matte up to %d left and %d "
              "right of the crop, expected 0" % (i + 1, left.max(), right.max()))
        check(crop[i, :, 56].max() > 0 and crop[i, :, 199].max() > 0,
              "frame %d: nothing on the crop's first or last column; is the crop narrower "
              "or off centre?" % (i + 1))
        inside, alone = crop[i, :, 56:200].astype(int), runs["centre"][i].astype(int)
        close = np.count_nonzero(np.abs(inside - alone) <= 8) / alone.size
        print("frame %d: inside the crop, %.3f%% within ±8 of the centre clip's matte (IoU %.4f)"
              % (i + 1, 100 * close, iou(inside, alone)))
        check(close >= 0.999, "frame %d: inside the crop, only %.3f%% of the matte is within ±8 "
              "of the model run on the centre square alone" % (i + 1, 100 * close))
    check(np.array_equal(runs["lcrop"], runs["lpad"]),
          "landscape model on a 16:9 clip: --framing crop differs from pad")


@test
def selfie_framing_track():
    """--framing track on DAVIS 2016 'lucia' frames 1-40 (consecutive, so
    that the window follows the person; 640x360, general model, the person
    ~5 % of the frame). With --track-every 1 every frame is a full pass and
    the mattes equal --framing windows exactly. With the default the window
    is used (the mattes differ), the mean IoU against the human masks is
    no more than 0.02 below windows' (measured 0.852 against 0.811). Its
    speed (one inference a frame instead of three) is measured by make
    bench (quality_default-track's cost), not asserted here: timings on a
    shared machine, and under the sanitizers, are no test."""
    need_models()
    seq = shared_data("davis2016_person", "lucia")
    n = 40
    os.mkdir("frames")
    for i in range(1, n + 1):
        shutil.copy(os.path.join(seq, "frames", "%06d.jpg" % i), "frames/%06d.jpg" % i)
    runs, ms = {}, {}
    for tag, args in (("windows", ["--framing", "windows"]), ("track", ["--framing", "track"]),
                      ("every1", ["--framing", "track", "--track-every", 1])):
        os.mkdir(tag)
        backdrop_ok(*(args + ["frames/%06d.jpg", "-o", "null", "--matte",
                              tag + "/%06d.png", "--stats", tag + ".json", "--threads", 1]))
        runs[tag] = mattes(tag)
        ms[tag] = process_ms(tag + ".json")
    check(len(runs["track"]) == n, "%d mattes for %d frames" % (len(runs["track"]), n))
    check(np.array_equal(runs["every1"], runs["windows"]),
          "--track-every 1: the mattes differ from --framing windows")
    check(not np.array_equal(runs["track"], runs["windows"]),
          "--framing track: the same mattes as windows; is the window used?")
    score = {tag: np.mean([iou(m, read_grey(os.path.join(seq, "gt", "%06d.png" % (i + 1))))
                           for i, m in enumerate(runs[tag])]) for tag in ("windows", "track")}
    print("mean IoU: windows %.4f, track %.4f; process %.0f ms and %.0f ms"
          % (score["windows"], score["track"], ms["windows"], ms["track"]))
    check(score["track"] >= score["windows"] - 0.02, "track: mean IoU %.4f, windows %.4f"
          % (score["track"], score["windows"]))


@test
def selfie_threshold_softness():
    """--threshold is the probability where alpha is half and --softness
    the width of the ramp around it. With --softness 1 (threshold 0.5) alpha
    is 255 p, the probability itself; every other setting must follow from
    it: the default (0.5, 0.2) is clip(5 (a - 102)) within ±3 (measured ±2);
    --softness 0 gives only 0 and 255, with 255 exactly where p > threshold
    (0.3 and 0.7; pixels within 1/255 of it excepted), so less person at
    0.7 than at 0.3."""
    need_models()
    img = p3m("images", PORTRAIT)
    runs = {}
    for tag, args in (("soft", ["--softness", 1]), ("default", []),
                      ("hard3", ["--softness", 0, "--threshold", 0.3]),
                      ("hard7", ["--softness", 0, "--threshold", 0.7])):
        backdrop_ok(*(args + [img, "-o", "null", "--matte", tag + ".png"]))
        runs[tag] = read_png(tag + ".png").astype(float)
    a = runs["soft"]
    check(len(np.unique(a)) >= 64, "--softness 1 gives only %d levels" % len(np.unique(a)))
    expected = np.clip(np.rint((a - 0.4 * 255) * 5), 0, 255)
    off = np.abs(runs["default"] - expected).max()
    print("default against 5 (a - 102): max difference %d" % off)
    check(off <= 3, "the default matte differs from threshold 0.5, softness 0.2 by up to %d" % off)
    for tag, t in (("hard3", 0.3), ("hard7", 0.7)):
        h = runs[tag]
        values = sorted(np.unique(h).astype(int).tolist())
        check(values == [0, 255], "%s: values %s, expected only 0 and 255" % (tag, values))
        wrong = ((h == 255) != (a > 255 * t)) & (np.abs(a - 255 * t) > 1)
        check(not wrong.any(), "--threshold %s --softness 0: %d pixels on the wrong side"
              % (t, np.count_nonzero(wrong)))
    check(fg_fraction(runs["hard7"]) < fg_fraction(runs["hard3"]),
          "no less person at --threshold 0.7 than at 0.3")


# ---- 8. Orientation: display matrices and EXIF

def write_rgb(path, rgb):
    """Writes an (h, w, 3) R, G, B array as a picture file (by extension)."""
    import cv2  # pylint: disable=import-outside-toplevel
    check(cv2.imwrite(path, np.ascontiguousarray(rgb[:, :, ::-1])), "cannot write %s" % path)


RED, GREEN_PURE, WHITE = (255, 0, 0), (0, 255, 0), (255, 255, 255)


def halves(width, height, top, bottom):
    """An upright width x height picture: the top half one colour, the
    bottom half another."""
    img = np.zeros((height, width, 3), np.uint8)
    img[: height // 2] = top
    img[height // 2:] = bottom
    return img


@test
def rotation_background_upright():
    """Phone video is stored sideways with a display matrix that turns it
    upright; the background picture is upright, so it must be stored turned
    like the frames for the player to show it upright. A still, lossless
    clip stored 96x64 with each quarter-turn display matrix (framediff: every
    pixel is background) and a 64x96 picture, red above blue: decoded with
    ffmpeg's autorotation (as players show it) the output is 64x96, red on
    top and blue below, for every --fit. The picture has the displayed
    aspect ratio, so fitting against the displayed frame uses all of it:
    cover crops nothing and contain adds no bars (bars would be black)."""
    ffmpeg(*(lavfi("testsrc2=s=96x64:r=25,trim=end_frame=1,loop=loop=-1:size=1")
             + ["-frames:v", 4, "-c:v", "libx264", "-qp", 0, "-pix_fmt", "yuv420p", "plain.mp4"]))
    write_rgb("bg.png", halves(64, 96, RED, BLUE))
    for degrees in (90, 180, 270):
        src = "rot%d.mp4" % degrees
        ffmpeg("-i", "plain.mp4", "-c", "copy", "-metadata:s:v:0", "rotate=%d" % degrees, src)
        check(rotation_of(src) not in (None, 0), "test media: %s has no rotation" % src)
        w, h = (96, 64) if degrees == 180 else (64, 96)
        for fit in ("stretch", "cover", "contain"):
            out = "out%d_%s.mp4" % (degrees, fit)
            backdrop_ok("-m", "framediff", "--fit", fit, "-b", "bg.png", src, "-o", out)
            shown = decode_frames(out, w, h, "rgb24")  # ffmpeg turns it as displayed
            what = "rotate=%d, --fit %s (%s)" % (degrees, fit, out)
            # Away from the edges and the middle, where lossy chroma blurs;
            # turned half way, the frame is shown 96x64 and only its centre
            # columns hold the picture with every fit.
            columns = slice(36, 60) if degrees == 180 else slice(4, 60)
            assert_colour(shown[:, 4:h // 2 - 4, columns], RED, 12, what + ", top")
            assert_colour(shown[:, h // 2 + 4:h - 4, columns], BLUE, 12, what + ", bottom")
            if degrees != 180:
                for corner in (shown[:, :2, :2], shown[:, :2, -2:], shown[:, -2:, :2],
                               shown[:, -2:, -2:]):
                    check(corner.astype(int).max() >= 128, "%s: a corner is black (a bar)" % what)


# EXIF orientation: how a picture stored as the camera saw it is shown. The
# EXIF definitions, by where the stored picture's first row and first column
# end up: 1 top/left (as stored), 2 top/right (mirrored), 3 bottom/right
# (turned half way), 4 bottom/left, 5 left/top (transposed), 6 right/top
# (turned a quarter clockwise), 7 right/bottom (transverse), 8 left/bottom
# (turned a quarter counter-clockwise).
EXIF_SHOWN = {
    1: lambda a: a,
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.transpose(1, 0, 2),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: a[::-1, ::-1].transpose(1, 0, 2),
    8: lambda a: np.rot90(a, 1),
}


def exif_stored(upright, orientation):
    """The pixels a camera stores for this upright picture and orientation."""
    inverse = {6: 8, 8: 6}.get(orientation, orientation)
    stored = np.ascontiguousarray(EXIF_SHOWN[inverse](upright))
    check(np.array_equal(EXIF_SHOWN[orientation](stored), upright), "test: EXIF table inconsistent")
    return stored


def exif_tiff(orientation, little_endian=False):
    """A minimal EXIF block (TIFF header and IFD0 with one entry: tag 0x0112
    Orientation, type SHORT, count 1) in either byte order."""
    import struct  # pylint: disable=import-outside-toplevel
    e = "<" if little_endian else ">"
    head = (b"II*\x00" if little_endian else b"MM\x00*") + struct.pack(e + "I", 8)
    entry = struct.pack(e + "HHIH", 0x0112, 3, 1, orientation) + b"\x00\x00"
    return head + struct.pack(e + "H", 1) + entry + struct.pack(e + "I", 0)


def jpeg_with_exif(src, dst, orientation, little_endian=False, second=False):
    """Copies JPEG src to dst with an EXIF APP1 segment: right after SOI, as
    cameras write it, or (second) after the segment that follows SOI (the
    comment that ffmpeg writes), as editors that add a JFIF segment do."""
    import struct  # pylint: disable=import-outside-toplevel
    data = open(src, "rb").read()
    check(data[:2] == b"\xff\xd8", "test media: %s is not a JPEG" % src)
    payload = b"Exif\x00\x00" + exif_tiff(orientation, little_endian)
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    at = 2
    if second:
        check(data[2] == 0xFF and data[3] not in (0xD9, 0xDA), "test media: %s has no segment"
              " after SOI" % src)
        at = 4 + struct.unpack(">H", data[4:6])[0]
    open(dst, "wb").write(data[:at] + app1 + data[at:])


def webp_with_exif(src, dst, orientation, width, height):
    """Copies a simple WebP src to dst in the extended format: a VP8X chunk
    saying that EXIF is present, the image chunks, then an EXIF chunk."""
    import struct  # pylint: disable=import-outside-toplevel
    data = open(src, "rb").read()
    check(data[:4] == b"RIFF" and data[8:12] == b"WEBP", "test media: %s is not a WebP" % src)
    chunks, i = [], 12
    while i + 8 <= len(data):
        size = struct.unpack("<I", data[i + 4:i + 8])[0]
        chunks.append((data[i:i + 4], data[i + 8:i + 8 + size]))
        i += 8 + size + (size & 1)
    check(all(tag != b"VP8X" for tag, _ in chunks), "test media: %s is already extended" % src)
    vp8x = struct.pack("<I", 0x08) + struct.pack("<I", width - 1)[:3] + struct.pack("<I", height - 1)[:3]
    body = b""
    for tag, payload in [(b"VP8X", vp8x)] + chunks + [(b"EXIF", exif_tiff(orientation))]:
        body += tag + struct.pack("<I", len(payload)) + payload + b"\x00" * (len(payload) & 1)
    open(dst, "wb").write(b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body)


def quadrants(width, height):
    """An upright picture: red, green, blue and white quadrants (top-left,
    top-right, bottom-left, bottom-right), each a multiple of 16 pixels so
    that JPEG blocks never straddle two colours."""
    img = np.zeros((height, width, 3), np.uint8)
    img[: height // 2, : width // 2] = RED
    img[: height // 2, width // 2:] = GREEN_PURE
    img[height // 2:, : width // 2] = BLUE
    img[height // 2:, width // 2:] = WHITE
    return img


def oriented_picture(path, upright, orientation, chroma="yuvj444p", **exif_args):
    """Writes upright's pixels as stored for orientation, with the tag: a
    best-quality JPEG (.jpg; chroma subsampling as given) or a lossless
    WebP (.webp)."""
    stored = exif_stored(upright, orientation)
    write_rgb("stored.png", stored)
    if path.endswith(".webp"):
        ffmpeg("-i", "stored.png", "-c:v", "libwebp", "-lossless", 1, "plain.webp")
        webp_with_exif("plain.webp", path, orientation, stored.shape[1], stored.shape[0])
    else:
        ffmpeg("-i", "stored.png", "-q:v", 1, "-pix_fmt", chroma, "plain.jpg")
        jpeg_with_exif("plain.jpg", path, orientation, **exif_args)


@test
def orientation_background_exif():
    """A background photo carries an EXIF orientation: it is used upright.
    The upright picture is 64x96 quadrants, stored for each of the 8
    orientations (mirrors too) and tagged; on a 64x96 RGB frame (framediff:
    all background, picture of the frame's size: copied, not scaled) the
    output equals the upright picture: exactly for lossless WebP (6, 8 and
    the mirror 7), within 2 levels for best-quality 4:4:4 JPEG (all 8; tag
    in big- and little-endian EXIF, first or second segment). A
    video as background (its first frame) is turned by its display matrix
    the same way."""
    upright = quadrants(64, 96)
    write_rgb("frame.png", np.full((96, 64, 3), 128, np.uint8))
    cases = [("bg%d.jpg" % o, o, {}) for o in range(1, 9)]
    cases += [("bg6le.jpg", 6, {"little_endian": True}), ("bg8second.jpg", 8, {"second": True})]
    cases += [("bg%d.webp" % o, o, {}) for o in (6, 8, 7)]
    for name, orientation, exif_args in cases:
        oriented_picture(name, upright, orientation, **exif_args)
        out = "out_" + name.split(".")[0] + ".png"
        backdrop_ok("-m", "framediff", "-b", name, "frame.png", "-o", out)
        got = read_png(out)
        check(got.shape == upright.shape, "%s (orientation %d): output %s, expected %s"
              % (name, orientation, got.shape, upright.shape))
        diff = int(np.abs(got.astype(int) - upright).max())
        tolerance = 0 if name.endswith(".webp") else 2
        check(diff <= tolerance, "%s (orientation %d): differs from the upright picture by up to "
              "%d levels (allowed %d)" % (name, orientation, diff, tolerance))

    # A clip stored 96x64 whose display matrix turns it a quarter clockwise.
    write_rgb("stored.png", exif_stored(upright, 6))
    ffmpeg("-loop", 1, "-i", "stored.png", "-frames:v", 2, "-c:v", "libx264", "-qp", 0,
           "-pix_fmt", "yuv444p", "plain.mp4")
    ffmpeg("-i", "plain.mp4", "-c", "copy", "-metadata:s:v:0", "rotate=270", "turned.mp4")
    check(rotation_of("turned.mp4") == -90, "test media: turned.mp4 has rotation %s, want -90"
          % rotation_of("turned.mp4"))
    backdrop_ok("-m", "framediff", "-b", "turned.mp4", "frame.png", "-o", "out_video.png")
    diff = int(np.abs(read_png("out_video.png").astype(int) - upright).max())
    check(diff <= 2, "background from turned.mp4: differs from the upright picture by %d" % diff)


@test
def orientation_input_exif():
    """A photo as input carries an EXIF orientation: it is processed, and
    written, upright (a picture file has no display matrix). Two-picture
    sequences, black then the quadrants (framediff: the second differs from
    the first everywhere, so it is all foreground and comes out as is),
    each stored and tagged for an orientation: the second output equals the
    upright picture, exactly for lossless WebP (6, 8, mirror 7), within 3
    levels inside each quadrant for 4:2:0 JPEG (all 8; colour edges blur in
    the chroma conversions). A single tagged photo, from a file and from
    stdin, gives an upright picture and matte."""
    upright = quadrants(64, 96)
    black = np.zeros_like(upright)
    inner = [(slice(4, 44), slice(4, 28)), (slice(4, 44), slice(36, 60)),
             (slice(52, 92), slice(4, 28)), (slice(52, 92), slice(36, 60))]
    cases = [("jpg", o) for o in range(1, 9)] + [("webp", o) for o in (6, 8, 7)]
    for ext, orientation in cases:
        d = "in_%s%d" % (ext, orientation)
        os.mkdir(d)
        os.mkdir(d + "_out")
        chroma = {"chroma": "yuvj420p"} if ext == "jpg" else {}
        oriented_picture("%s/1.%s" % (d, ext), black, orientation, **chroma)
        oriented_picture("%s/2.%s" % (d, ext), upright, orientation, **chroma)
        backdrop_ok("-m", "framediff", "-b", "#00b140", "%s/%%d.%s" % (d, ext),
                    "-o", d + "_out/%d.png")
        got = read_png(d + "_out/2.png")
        what = "%s, orientation %d" % (d, orientation)
        check(got.shape == upright.shape, "%s: output %s, expected %s"
              % (what, got.shape, upright.shape))
        diff = np.abs(got.astype(int) - upright)
        if ext == "webp":
            check(diff.max() == 0, "%s: differs from the upright picture by up to %d levels"
                  % (what, diff.max()))
        else:
            worst = max(int(diff[area].max()) for area in inner)
            check(worst <= 3, "%s: quadrants differ from the upright ones by up to %d levels"
                  % (what, worst))

    oriented_picture("photo.jpg", upright, 6, chroma="yuvj420p")
    backdrop_ok("-m", "framediff", "-b", "#00b140", "photo.jpg", "-o", "out.png",
                "--matte", "matte.png")
    backdrop_ok("-m", "framediff", "-b", "#00b140", "-", "-o", "piped.png",
                stdin_data=open("photo.jpg", "rb").read())
    for path, shape in (("out.png", (96, 64, 3)), ("matte.png", (96, 64)), ("piped.png", (96, 64, 3))):
        check(read_png(path).shape == shape, "%s: shape %s, expected %s (upright)"
              % (path, read_png(path).shape, shape))


@test
def selfie_exif_upright():
    """The tester's photo: a phone portrait stored sideways with EXIF
    orientation 6 (or mirrored and turned, 7). selfie is shown it upright
    and writes it upright, so its matte matches the matte of the upright
    picture (IoU >= 0.95); without the tag the same pixels give a much worse
    matte (measured below), so the photo does tell upright from sideways."""
    need_models()
    ffmpeg("-i", p3m("images", "p_22fc0130"), "-vf", "scale=320:-2", "up.png")
    upright = read_png("up.png")
    backdrop_ok("up.png", "-o", "null", "--matte", "up_matte.png")
    reference = read_png("up_matte.png")
    for orientation in (6, 7):
        oriented_picture("photo%d.jpg" % orientation, upright, orientation)
        backdrop_ok("photo%d.jpg" % orientation, "-o", "null", "--matte", "m%d.png" % orientation)
        matte = read_png("m%d.png" % orientation)
        check(matte.shape == reference.shape, "orientation %d: matte %s, upright %s"
              % (orientation, matte.shape, reference.shape))
        score = iou(matte, reference)
        print("orientation %d: IoU with the upright picture's matte %.4f" % (orientation, score))
        check(score >= 0.95, "orientation %d: IoU %.4f < 0.95" % (orientation, score))
    write_rgb("sideways.png", exif_stored(upright, 6))
    backdrop_ok("sideways.png", "-o", "null", "--matte", "side_matte.png")
    side = iou(np.rot90(read_png("side_matte.png"), -1), reference)
    print("untagged sideways: IoU %.4f" % side)
    check(side <= 0.8, "test media: the sideways picture scores %.4f, too close to upright" % side)


# ---- 10. Threads
#
# The library's thread pool (pthreadpool) spins while it waits: its workers
# between parallel steps, the caller for the workers to finish a step. With
# more pool threads than CPUs, a worker left without a CPU holds up every
# one of the ~340 steps a frame of the neural method takes until the
# scheduler preempts a spinning thread: before the fix, --threads 4 on two
# CPUs ran about 80 times slower than --threads 1, --threads 256 did not
# finish one frame in minutes. The library's share is now counted from the
# CPUs this process may use (affinity, cgroup quota); a larger --threads
# only reaches FFmpeg's decoder and encoder, whose threads sleep.

def timed_run(args, timeout):
    """Wall seconds of one successful run, failing the test when it has not
    ended after timeout seconds."""
    start = time.monotonic()
    try:
        r = backdrop(*args, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failure("backdrop %s: still running after %.0f s" % (" ".join(map(str, args)), timeout))
    check(r.rc == 0, "backdrop failed\n" + r.describe())
    return time.monotonic() - start


def usable_cpus():
    return len(os.sched_getaffinity(0))


@test
def threads_beyond_cpus_speed():
    """--threads 8 and --threads 256, more than this machine's CPUs, run the
    neural method about as fast as --threads 1: the best of three runs is
    less than 4 times the best of three with --threads 1, in the same test
    (before the fix, the ratio was about 80 on two CPUs)."""
    need_models()
    make_talk("talk.mp4", size="320x180", seconds=1, audio=False)
    args = ["-m", "selfie", "-q", "-b", "red", "talk.mp4", "-o", "null"]
    one = min(timed_run(args + ["--threads", 1], 90) for _ in range(3))
    # A run slower than this has already failed; stop waiting for it.
    bound = max(10 * one, 10.0)
    for n in (8, 256):
        best = min(timed_run(args + ["--threads", n], bound) for _ in range(3))
        print("--threads %d: %.2f s, --threads 1: %.2f s (ratio %.2f, %d CPUs)"
              % (n, best, one, best / one, usable_cpus()))
        check(best < 4 * one, "--threads %d takes %.2f s, %.1f times --threads 1 (%.2f s)"
              % (n, best, best / one, one))


def library_threads(args):
    """The library's thread count that --stats reports for a run."""
    if os.path.exists("s.json"):
        os.remove("s.json")
    backdrop_ok(*(list(args) + ["--stats", "s.json"]))
    stats = json.load(open("s.json"))
    check("threads" in stats and isinstance(stats["threads"].get("library"), int),
          "--stats has no threads.library: %s" % stats)
    return stats["threads"]["library"]


@test
def threads_follow_affinity():
    """The library's threads (--stats: threads.library) come from the CPUs
    the process may use, not from --threads alone: pinned to one CPU (as
    taskset -c does), every --threads gives it 1; unpinned, --threads 256
    gives it what the default gives, at most the usable CPUs less the one
    decoding takes (1 on two CPUs), and --threads 1 gives it 1."""
    make_talk("talk.mp4", size="64x48", seconds=0.4, audio=False)
    base = ["-q", "talk.mp4", "-o", "null"]
    cpus = sorted(os.sched_getaffinity(0))
    default = library_threads(base)
    wide = library_threads(base + ["--threads", 256])
    print("%d CPUs: library threads %d by default, %d with --threads 256" % (len(cpus), default, wide))
    check(wide == default, "--threads 256 gives the library %d threads, the default %d" % (wide, default))
    check(1 <= default <= max(1, len(cpus) - 1), "the library has %d threads on %d CPUs"
          % (default, len(cpus)))
    check(library_threads(base + ["--threads", 1]) == 1, "--threads 1: the library has more than 1")
    os.sched_setaffinity(0, {cpus[0]})  # inherited by the runs below
    try:
        for n in (0, 2, 3, 8, 256):
            got = library_threads(base + ["--threads", n])
            check(got == 1, "pinned to CPU %d, --threads %d gives the library %d threads"
                  % (cpus[0], n, got))
    finally:
        os.sched_setaffinity(0, cpus)


@test
def threads_rvm_all_cpus():
    """-m rvm gives the library every CPU the process may use (its network is
    nearly all of a frame), where selfie leaves one to decoding: --stats
    threads.library is the CPU count by default and with --threads 256,
    --threads 1 gives 1, and pinned to one CPU it is 1."""
    need_rvm()
    make_talk("talk.mp4", size="64x48", seconds=0.2, audio=False)
    base = ["-q", "-m", "rvm", "talk.mp4", "-o", "null"]
    cpus = sorted(os.sched_getaffinity(0))

    def library_threads(args):
        """As the module's, but the suite runs tests in parallel: rvm may
        say that its pool lost its CPUs (and go on on one thread), which is
        the only line allowed here."""
        if os.path.exists("s.json"):
            os.remove("s.json")
        r = backdrop(*(list(args) + ["--stats", "s.json"]))
        check(r.rc == 0 and all("thread pool did not get its CPUs" in line for line in r.lines),
              "backdrop failed or printed something else\n" + r.describe())
        return json.load(open("s.json"))["threads"]["library"]

    got = library_threads(base)
    print("%d CPUs: rvm's library threads %d" % (len(cpus), got))
    check(got == len(cpus), "rvm: the library has %d threads on %d CPUs" % (got, len(cpus)))
    check(library_threads(base + ["--threads", 256]) == len(cpus), "--threads 256 goes beyond the CPUs")
    check(library_threads(base + ["--threads", 1]) == 1, "--threads 1: the library has more than 1")
    os.sched_setaffinity(0, {cpus[0]})
    try:
        check(library_threads(base) == 1, "pinned to one CPU, rvm's library has more than 1 thread")
    finally:
        os.sched_setaffinity(0, cpus)


@test
def threads_sigterm_prompt():
    """With --threads 256, SIGTERM during the neural method ends the run
    within 5 seconds (before the fix it took minutes to finish one frame):
    exit status 130, a complete output of the frames done, no temporary
    ('.*.part-*') left. The input comes through a pipe, half of it; the
    signal is sent once the output has been opened, then the pipe closed."""
    need_models()
    ffmpeg(*(lavfi("testsrc2=s=160x120:r=25") + ["-frames:v", 600, "-c:v", "libx264",
                                                 "-preset", "ultrafast", "-g", "25", "long.mkv"]))
    data = open("long.mkv", "rb").read()
    os.mkdir("out")
    cmd = [os.environ["BACKDROP"], "-m", "selfie", "--threads", "256", "-", "-o", "out/part.mkv"]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        proc.stdin.write(data[:len(data) // 2])
        proc.stdin.flush()
        deadline = time.time() + 60
        while not [n for n in os.listdir("out") if n.startswith(".part.mkv.part-")]:
            if proc.poll() is not None:  # stderr is read only then: it blocks until the end
                raise Failure("backdrop ended before the signal:\n"
                              + proc.stderr.read().decode("utf-8", "replace"))
            check(time.time() < deadline, "the output was never opened")
            time.sleep(0.02)
        time.sleep(0.2)  # into the frames
        signalled = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        # Closing the pipe (rather than writing the rest, which could block
        # on a run that does not read) lets a reader waiting for data end.
        try:
            proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            raise Failure("backdrop --threads 256 still runs 20 s after SIGTERM")
        took = time.monotonic() - signalled
        err = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        left = [n for n in os.listdir("out") if ".part-" in n]
        if left:
            print("temporaries left in out/: %s" % left)
    err = err.decode("utf-8", "replace")
    check(not any(m in err for m in SANITIZER_MARKS), "sanitizer report:\n" + err)
    print("ended %.2f s after SIGTERM" % took)
    check(took < 5, "backdrop ended %.1f s after SIGTERM, expected within 5 s" % took)
    check(proc.returncode == 143, "exit status %s, expected 143\n%s" % (proc.returncode, err))
    check(listing("out") == ["part.mkv"], "out/ holds %s" % listing("out"))
    n = frame_count("out/part.mkv")
    check(0 < n < 600, "out/part.mkv has %d frames; expected some, not all 600" % n)


# ---- 11. Matte stages: cleanup (specks, holes, expand), stabilise, refine
#
# framediff writes the alpha itself, so of the matte stages only cleanup's
# expansion acts on it: exact tests without the network. Specks, holes,
# stabilise and refine act on the selfie's soft map; their tests paste the
# person of a P3M portrait (its pseudo-GT alpha, cut at 128, so that the
# pasted person has a known, sharp outline) onto a background photo, both
# from ../shared/data, and skip without them.

def square_morph(img, radius):
    """The documented dilation (radius > 0) / erosion (< 0) of
    src/matte/morph.h: max (min) over the (2|r|+1)^2 square, the window
    clipped to the picture (outside pixels ignored)."""
    r = abs(radius)
    pad = 0 if radius > 0 else 255
    big = np.pad(img, r, constant_values=pad)
    h, w = img.shape
    out = big[r:r + h, r:r + w].copy()
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            win = big[r + dy:r + dy + h, r + dx:r + dx + w]
            out = np.maximum(out, win) if radius > 0 else np.minimum(out, win)
    return out


@test
def matte_expand_framediff():
    """--expand (cleanup regions' finish) on framediff's own alpha: a white
    16x16 square moving 8 pixels a frame along the top edge of a black clip
    (lossless), whose matte without --expand is old XOR new. With --expand 3
    the matte is exactly that dilated by a 7x7 square, with --expand -2
    eroded by a 5x5 one (the 8-pixel strips become 4 wide, and the edge of
    the frame does not erode them: the window is clipped), with --expand -4
    empty, with --expand 40 (more than the frame's half height) the clipped
    dilation; --expand 0 and --cleanup none give the plain matte. The
    composite follows the grown matte: the input (black) in the ring, the
    white background outside it (black and white: no chroma to smear across
    the ring's odd edges). --cleanup none --expand 3 is refused (exit
    2): expand belongs to cleanup regions."""
    make_binary_clip("square.mkv", "96x64", "if(between(X,8+8*N,23+8*N)*between(Y,0,15),255,0)", 6)
    luma, plain = expected_masks("square.mkv", 96, 64)
    check(np.count_nonzero(plain[2]) == 2 * 8 * 16, "test media: the square does not move")
    for tag, extra, radius in (("plain", [], 0), ("zero", ["--expand", 0], 0),
                               ("none", ["--cleanup", "none"], 0), ("grow3", ["--expand", 3], 3),
                               ("shrink2", ["--expand", -2], -2), ("shrink4", ["--expand", -4], -4),
                               ("grow40", ["--expand", 40], 40)):
        os.mkdir(tag)
        os.mkdir(tag + "_out")
        backdrop_ok(*(["-m", "framediff", "-b", "#ffffff"] + extra +
                      ["square.mkv", "-o", tag + "_out/%02d.png", "--matte", tag + "/%02d.png"]))
        got = mattes(tag)
        check(len(got) == 6, "%s: %d mattes for 6 frames" % (tag, len(got)))
        for i in range(6):
            want = square_morph(plain[i], radius) if radius else plain[i]
            wrong = np.count_nonzero(got[i] != want)
            check(wrong == 0, "%s frame %d: %d matte pixels differ from the %s (%d foreground "
                  "expected, %d found)" % (tag, i + 1, wrong,
                                           "square %+d" % radius if radius else "plain matte",
                                           np.count_nonzero(want), np.count_nonzero(got[i])))
            if tag == "grow3":
                out = read_png(tag + "_out/%02d.png" % (i + 1)).astype(int)
                fg = want == 255
                ring = fg & (plain[i] == 0)
                check(i < 2 or np.count_nonzero(ring) > 0, "test media: no ring")
                assert_colour(out[~fg], (255, 255, 255), 2,
                              "%s frame %d outside the grown matte" % (tag, i + 1))
                assert_colour(out[ring & (luma[i] == 0)], (0, 0, 0), 2,
                              "%s frame %d in the grown ring" % (tag, i + 1))
    shrink4 = mattes("shrink4")
    check(shrink4.max() == 0, "--expand -4 left %d pixels of 8-pixel-wide strips"
          % np.count_nonzero(shrink4))
    expect_error(["-m", "framediff", "--cleanup", "none", "--expand", "3", "square.mkv",
                  "-o", "x.mkv"], ["--expand", "cleanup stage regions", "not in use",
                                   "--cleanup regions"], rc=2)


@test
def matte_stage_options():
    """The stage options on the command line, checked before any model is
    loaded (the model directory is empty) and before anything is written:
    an option of a stage that is not selected is refused (exit 2) naming
    the stage and the selector to add (--keep without --stabilise ema,
    --motion and --rise with another stabiliser, --radius/--eps/--guide
    with --refine bilinear, --specks/--expand with --cleanup none, also
    with -m framediff); out-of-range values name the range (--radius -1,
    --expand 65 and -65, --keep 1, --motion 0.4, --holes 101, --specks -1)
    and unknown choices list the choices (--guide rgb, --stabilise, --refine,
    --cleanup). Stage selectors apply before stage options whatever the
    order: --keep 0.5 --stabilise ema and the reverse are both accepted
    (the run then fails on the missing model, not on the option), as are
    --threshold/--softness with either refine stage. framediff has no soft
    map: --keep is only for selfie there."""
    small_clip()
    os.mkdir("empty")
    empty = {"BACKDROP_MODEL_DIR": os.path.abspath("empty")}
    not_in_use = lambda opt, kind, stage: [opt, "an option of %s stage %s" % (kind, stage),
                                           "not in use", "add --%s %s" % (kind, stage)]
    cases = [
        (["-m", "framediff", "--cleanup", "none", "--specks", "1"],
         not_in_use("--specks", "cleanup", "regions")),
    ]
    if not selfie_missing():
        cases += [
            (["--keep", "0.9"], not_in_use("--keep", "stabilise", "ema")),
            (["--stabilise", "none", "--motion", "3"], not_in_use("--motion", "stabilise", "adaptive")),
            (["--rise", "0.3", "--stabilise", "ema"], not_in_use("--rise", "stabilise", "adaptive")),
            (["--refine", "bilinear", "--radius", "3"], not_in_use("--radius", "refine", "guided")),
            (["--eps", "0.01", "--refine", "bilinear"], not_in_use("--eps", "refine", "guided")),
            (["--refine", "bilinear", "--guide", "luma"], not_in_use("--guide", "refine", "guided")),
            (["--cleanup", "none", "--expand", "2"], not_in_use("--expand", "cleanup", "regions")),
            (["--holes", "1", "--cleanup", "none"], not_in_use("--holes", "cleanup", "regions")),
            (["--radius", "-1"], ["--radius", "-1", "0..256"]),
            (["--expand", "65"], ["--expand", "65", "-64..64"]),
            (["--expand", "-65"], ["--expand", "-65", "-64..64"]),
            (["--stabilise", "ema", "--keep", "1"], ["--keep", "1", "0..0.99"]),
            (["--motion", "0.4"], ["--motion", "0.4", "0.5..255"]),
            (["--holes", "101"], ["--holes", "101", "0..100"]),
            (["--specks", "-1"], ["--specks", "-1", "0..100"]),
            (["--guide", "rgb"], ["--guide", "rgb", "luma|color"]),
            (["--stabilise", "median"], ["--stabilise", "median", "adaptive", "ema", "none"]),
            (["--refine", "nearest"], ["--refine", "nearest", "bilinear", "guided"]),
            (["--cleanup", "all"], ["--cleanup", "all", "regions", "none"]),
            (["-m", "framediff", "--stabilise", "ema", "--keep", "0.5"],
             ["--keep", "only for -m selfie", "framediff"]),
        ]
    for extra, mentions in cases:
        expect_error(extra + ["talk.mp4", "-o", "out/x.mkv"], mentions, rc=2, env=empty)
    backdrop_ok("-m", "framediff", "--expand", "-3", "talk.mp4", "-o", "out/a.mkv", env=empty)
    if selfie_missing():
        return
    for extra in (["--keep", "0.5", "--stabilise", "ema"], ["--stabilise", "ema", "--keep", "0.5"],
                  ["--radius", "4", "--eps", "0.01", "--guide", "luma"],
                  ["--refine", "bilinear", "--threshold", "0.3", "--softness", "0"],
                  ["--motion", "10", "--rise", "1", "--fall", "0", "--hold", "0"],
                  ["--specks", "0", "--holes", "0", "--expand", "-64"],
                  ["--stabilise", "none", "--cleanup", "none", "--refine", "bilinear"]):
        expect_error(extra + ["talk.mp4", "-o", "out/x.mkv"], ["general model not found"], env=empty)


BUILDING = ("backgrounds", "opencv_building.jpg")


def person_cutout(name=PORTRAIT):
    """The person of a P3M portrait, cropped to the bounding box of its
    pseudo-GT alpha: (R, G, B picture, alpha)."""
    img = read_png(p3m("images", name))
    alpha = read_grey(p3m("masks", name))
    ys, xs = np.nonzero(alpha >= 128)
    box = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
    return img[box], alpha[box]


def person_scene(width, height, people, background=None):
    """A width x height R, G, B picture: the background photo (area-scaled)
    or the array background, with the person pasted at each (x, y, h): top
    left corner, height h (cut at the frame's edge), alpha made binary
    (>= 128), so the truth is exact. Returns (picture, list of the
    people's masks, True = person)."""
    import cv2  # pylint: disable=import-outside-toplevel
    person, alpha = person_cutout()
    if background is None:
        photo = read_png(shared_data(*BUILDING))
        background = cv2.resize(photo, (width, height), interpolation=cv2.INTER_AREA)
    canvas = background.copy()
    masks = []
    for x, y, h in people:
        w = int(round(person.shape[1] * h / person.shape[0]))
        p = cv2.resize(person, (w, h), interpolation=cv2.INTER_AREA)
        a = cv2.resize(alpha, (w, h), interpolation=cv2.INTER_AREA) >= 128
        ph, pw = min(h, height - y), min(w, width - x)
        mask = np.zeros((height, width), bool)
        mask[y:y + ph, x:x + pw] = a[:ph, :pw]
        canvas[mask] = p[:ph, :pw][a[:ph, :pw]]
        masks.append(mask)
    return canvas, masks


def matte_of(src, tag, *args):
    """The matte(s) of one run of the default method on src, as an array
    (frames, height, width); args come first on the command line."""
    os.mkdir(tag)
    backdrop_ok(*(list(args) + [src, "-o", "null", "--matte", tag + "/%03d.png"]))
    return mattes(tag)


@test
def selfie_cleanup_specks():
    """--specks drops person regions smaller than that percentage of the
    frame, and keeps every larger one. A 256x144 scene with two copies of
    a person: one 120 pixels tall (~20 % of the frame) and one 50 pixels
    tall (~3.8 %). With --specks 0, the default 0.05 and 2 both are in the
    matte (>= 128 on >= 95 % of each); with 6 the small one is gone (its
    surroundings exactly 0: no ghost of its soft edge) and the big one is
    the same as with --specks 0 pixel for pixel on the left half; with 30
    the matte is empty. A wrong unit (fraction, or share of the map) fails
    one of these."""
    need_models()
    img, (big, small) = person_scene(256, 144, [(20, 24, 120), (200, 94, 50)])
    write_rgb("scene.png", img)
    import cv2  # pylint: disable=import-outside-toplevel
    near_small = cv2.dilate(small.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    runs = {}
    for tag, extra in (("s0", ["--specks", 0]), ("default", []), ("s2", ["--specks", 2]),
                       ("s6", ["--specks", 6]), ("s30", ["--specks", 30])):
        runs[tag] = m = matte_of("scene.png", tag, *extra)[0]
        kept = [np.count_nonzero(m[p] >= 128) / np.count_nonzero(p) for p in (big, small)]
        print("%s: big person %.1f%% in the matte, small one %.1f%%, matte %.2f%% of the frame"
              % (tag, 100 * kept[0], 100 * kept[1], 100 * fg_fraction(m)))
        runs[tag + "_kept"] = kept
    check(min(runs["s0_kept"]) >= 0.95, "test media: with --specks 0 the network does not find "
          "both people (%.2f, %.2f)" % tuple(runs["s0_kept"]))
    small_area = 100 * np.count_nonzero((runs["s0"] >= 128) & near_small) / (256 * 144)
    check(2.5 < small_area < 5, "test media: the small person is %.2f%% of the frame, expected "
          "between 2.5 and 5" % small_area)
    for tag in ("default", "s2"):
        check(min(runs[tag + "_kept"]) >= 0.95, "%s: a person larger than the speck size was "
              "dropped (kept %.2f, %.2f)" % ((tag,) + tuple(runs[tag + "_kept"])))
    check(runs["s6_kept"][0] >= 0.95, "--specks 6 dropped the person of 20 % of the frame")
    check(runs["s6"][near_small].max() == 0, "--specks 6: the person of 3.8 %% of the frame "
          "is still in the matte (%d pixels, up to %d)"
          % (np.count_nonzero(runs["s6"][near_small]), runs["s6"][near_small].max()))
    left = slice(0, 128)
    check(np.array_equal(runs["s6"][:, left], runs["s0"][:, left]),
          "--specks 6 changed the big person's matte")
    check(runs["s30"].max() == 0, "--specks 30: %d matte pixels left; both people are smaller"
          % np.count_nonzero(runs["s30"]))


@test
def selfie_cleanup_holes():
    """--holes fills background regions enclosed by the person smaller than
    that percentage of the frame. A 256x144 scene: a person 130 pixels
    tall with a 30x25 'window' in the torso showing the background photo
    behind, which the network calls background: with --holes 0 and the
    default 0.02 it is a hole in the matte of about 1.5 % of the frame
    (the default fills only much smaller ones); with 1 it stays, with 3 it
    is filled (>= 99 % of it >= 128) and away from it the matte is the
    default's (tiny holes in the hair filled by both); --holes 100 gives exactly that too: the background around the
    person touches the frame's edge, so it is no hole and stays."""
    need_models()
    img, (person,) = person_scene(256, 144, [(70, 14, 130)])
    bg, _ = person_scene(256, 144, [])
    win = (slice(105, 130), slice(120, 150))
    img[win] = bg[win]
    person[win] = False
    write_rgb("scene.png", img)
    runs = {}
    for tag, extra in (("h0", ["--holes", 0]), ("default", []), ("h1", ["--holes", 1]),
                       ("h3", ["--holes", 3]), ("h100", ["--holes", 100])):
        runs[tag] = m = matte_of("scene.png", tag, *extra)[0]
        print("%s: window %.1f%% person, matte %.2f%% of the frame"
              % (tag, 100 * np.mean(m[win] >= 128), 100 * fg_fraction(m)))
    hole = 100 * np.count_nonzero(runs["h0"][win] < 128) / (256 * 144)
    check(1.2 < hole < 2, "test media: the window is a hole of %.2f%% of the frame in the matte, "
          "expected 1.2..2" % hole)
    check(np.count_nonzero(runs["h0"][person] >= 128) / np.count_nonzero(person) >= 0.9,
          "test media: the network does not find the person")
    for tag in ("default", "h1"):
        kept = 100 * np.count_nonzero(runs[tag][win] < 128) / (256 * 144)
        check(kept >= 0.9 * hole, "%s: the hole of %.2f%% of the frame, larger than the size, "
              "is filled (%.2f%% left)" % (tag, hole, kept))
    check(np.array_equal(runs["h3"], runs["h100"]), "--holes 3 and 100 differ: the background "
          "around the person, open to the frame's edge, is no hole")
    for tag in ("h3", "h100"):
        m = runs[tag]
        check(np.mean(m[win] >= 128) >= 0.99, "%s: the hole is not filled (%.1f%% person)"
              % (tag, 100 * np.mean(m[win] >= 128)))
        away = np.ones(m.shape, bool)
        away[95:140, 110:160] = False
        check(np.array_equal(m[away], runs["default"][away]), "%s: away from the window, the "
              "matte differs from the default's (which fills the hair's tiny holes)" % tag)


def person_clips(width, height, noise, frames):
    """Two lossless clips of a still scene with temporal noise (ffmpeg's
    noise filter, strength noise, new every frame): 'still.mkv', the person
    standing left for frames; 'cut.mkv', frames // 2 of that, then a cut to
    the same person standing right. Returns the masks (left, right)."""
    s = height / 144.0
    a, (left,) = person_scene(width, height, [(int(20 * s), int(14 * s), int(130 * s))])
    b, (right,) = person_scene(width, height, [(int(130 * s), int(14 * s), int(130 * s))])
    write_rgb("a.png", a)
    write_rgb("b.png", b)
    noisy = "noise=alls=%d:allf=t,format=yuv420p" % noise
    ffmpeg("-loop", 1, "-i", "a.png", "-frames:v", frames, "-vf", noisy, "-c:v", "ffv1", "still.mkv")
    ffmpeg("-loop", 1, "-i", "a.png", "-loop", 1, "-i", "b.png", "-filter_complex",
           "[0]trim=end_frame=%d[x];[1]trim=end_frame=%d[y];[x][y]concat=n=2,%s"
           % (frames // 2, frames - frames // 2, noisy), "-frames:v", frames, "-c:v", "ffv1", "cut.mkv")
    return left, right


def flicker(m):
    """Mean absolute change of the matte from frame to frame, in levels,
    after the first 4 frames (the stabilisers' start)."""
    return np.abs(np.diff(m.astype(int), axis=0))[3:].mean()


@test
def selfie_stabilise_still():
    """A still scene (a person on the building photo, 256x144, 16 frames,
    lossless) with per-frame noise (ffmpeg noise=alls=3:allf=t): the network's
    map wavers. With --refine bilinear, so that alpha depends on the map
    only (guided refine passes the frame's noise into the alpha by
    itself): the default stabiliser (adaptive) cuts the matte's
    frame-to-frame change to <= 60 % of --stabilise none's (measured ~35 %)
    and its flips across 128 to <= 50 % (measured ~25 %); --stabilise ema
    also cuts both. --stabilise ema --keep 0 is --stabilise none bit for
    bit, and so is adaptive with --rise 1 --fall 1 --hold 0 (it then takes
    the new map whole) within 1 level."""
    need_models()
    person_clips(256, 144, 3, 16)
    runs = {}
    for tag, extra in (("none", ["--stabilise", "none"]), ("adaptive", []),
                       ("ema", ["--stabilise", "ema"]),
                       ("keep0", ["--stabilise", "ema", "--keep", 0]),
                       ("take_all", ["--rise", 1, "--fall", 1, "--hold", 0])):
        runs[tag] = m = matte_of("still.mkv", tag, "--refine", "bilinear", *extra)
        flips = np.diff(m >= 128, axis=0)[3:].mean()
        runs[tag + "_stats"] = (flicker(m), flips)
        print("%s: mean change %.4f levels, flips %.4f%%" % (tag, flicker(m), 100 * flips))
    none, adaptive, ema = runs["none_stats"], runs["adaptive_stats"], runs["ema_stats"]
    check(none[1] > 2e-4, "test media: the network's map hardly wavers (flips %.4f%%)"
          % (100 * none[1]))
    check(adaptive[0] <= 0.6 * none[0] and adaptive[1] <= 0.5 * none[1],
          "adaptive: change %.4f and flips %.4f%%, --stabilise none %.4f and %.4f%%"
          % (adaptive[0], 100 * adaptive[1], none[0], 100 * none[1]))
    check(ema[0] <= 0.6 * none[0] and ema[1] <= 0.5 * none[1],
          "ema: change %.4f and flips %.4f%%, --stabilise none %.4f and %.4f%%"
          % (ema[0], 100 * ema[1], none[0], 100 * none[1]))
    check(np.array_equal(runs["keep0"], runs["none"]), "--stabilise ema --keep 0 differs from "
          "--stabilise none in %d pixels" % np.count_nonzero(runs["keep0"] != runs["none"]))
    off = np.abs(runs["take_all"].astype(int) - runs["none"]).max()
    check(off <= 1, "adaptive --rise 1 --fall 1 --hold 0 differs from --stabilise none by up "
          "to %d" % off)


@test
def selfie_skip_inference():
    """--max-skip N: on a frame nearly identical to the one the network saw
    last (at most 1 map pixel in 1000 moved by more than --skip-change
    levels), the network is skipped and its last map handed on, at most N
    frames in a row. A still scene with light noise (16 frames, noise 3,
    which moves the network's RGB picture by up to ~20 levels after the
    YUV conversion, hence --skip-change 32), --refine bilinear --stabilise
    none so that the matte is the map's alone: without skipping the map
    wavers from frame to frame; with --max-skip 3 frames 1-3 repeat frame
    0's matte exactly, frame 4 (the
    fourth frame in a row would exceed 3) is the network's again, equal to
    the run without skipping, and so on. --skip-change 0 never skips."""
    need_models()
    person_clips(256, 144, 3, 16)
    plain = ["--refine", "bilinear", "--stabilise", "none"]
    full = matte_of("still.mkv", "full", *plain)
    skip = matte_of("still.mkv", "skip", *(plain + ["--max-skip", 3, "--skip-change", 32]))
    never = matte_of("still.mkv", "never", *(plain + ["--max-skip", 3, "--skip-change", 0]))
    check(any(not np.array_equal(full[i], full[0]) for i in range(1, 4)),
          "test media: the network's map does not waver on the noisy still scene")
    for i in range(16):
        inferred = i % 4 == 0
        if inferred:
            check(np.array_equal(skip[i], full[i]), "frame %d: inferred again, yet differs from the run "
                  "without skipping in %d pixels" % (i, np.count_nonzero(skip[i] != full[i])))
        else:
            check(np.array_equal(skip[i], skip[i - i % 4]), "frame %d: skipped, yet differs from frame %d"
                  % (i, i - i % 4))
    check(np.array_equal(never, full), "--skip-change 0 skipped a frame")


@test
def selfie_stabilise_cut():
    """A cut (8 frames of a person standing left, then 8 of the same person
    standing right; 256x144, light noise): the network's map jumps at once.
    On the first frame after the cut, adaptive (the default) follows within
    that frame: no ghost (< 1 % of the old place >= 128) and the new place
    >= 95 % person, as --stabilise none. --stabilise ema (keep 0.85) keeps a
    trail: the old place still mostly person (>= 80 %), the new one not
    yet; --keep 0.5 --stabilise ema and --stabilise ema --keep 0.5 give the
    same mattes, with less trail. With the motion gate shut (--motion 255)
    the adaptive map moves at its still-scene rates: --rise 1 --fall 1
    follow at once, --fall 0 keeps the old place to the end (>= 80 %) and
    --rise 0 does not bring the new one (< 50 % at the end), while the
    default rates leave a ghost on the first frame after the cut."""
    need_models()
    left, right = person_clips(256, 144, 2, 16)
    old, new = left & ~right, right & ~left
    runs = {}
    for tag, extra in (("none", ["--stabilise", "none"]), ("adaptive", []),
                       ("ema", ["--stabilise", "ema"]),
                       ("ema5", ["--keep", 0.5, "--stabilise", "ema"]),
                       ("ema5r", ["--stabilise", "ema", "--keep", 0.5]),
                       ("shut", ["--motion", 255]),
                       ("shut11", ["--motion", 255, "--rise", 1, "--fall", 1]),
                       ("shut_f0", ["--motion", 255, "--fall", 0]),
                       ("shut_r0", ["--motion", 255, "--rise", 0])):
        m = matte_of("cut.mkv", tag, "--refine", "bilinear", *extra) >= 128
        check(len(m) == 16, "%s: %d mattes for 16 frames" % (tag, len(m)))
        runs[tag] = [(np.mean(m[i][old]), np.mean(m[i][new])) for i in range(16)]
        print("%s: after the cut old/new place person: %s" % (tag, " ".join(
            "%.2f/%.2f" % r for r in runs[tag][8:12])))
        runs[tag + "_m"] = m
    check(runs["none"][7][0] >= 0.95 and runs["none"][8][1] >= 0.95,
          "test media: the network does not find the person before and after the cut")
    for tag in ("none", "adaptive", "shut11"):
        o, n = runs[tag][8]
        check(o < 0.01 and n >= 0.95, "%s: first frame after the cut: %.1f%% of the old place and "
              "%.1f%% of the new one person" % (tag, 100 * o, 100 * n))
    o, n = runs["ema"][8]
    check(o >= 0.8 and n < 0.5, "ema: first frame after the cut: %.1f%% of the old place, %.1f%% of "
          "the new one person; expected a trail" % (100 * o, 100 * n))
    check(np.array_equal(runs["ema5_m"], runs["ema5r_m"]),
          "--keep 0.5 --stabilise ema differs from --stabilise ema --keep 0.5")
    check(runs["ema5"][9][0] < runs["ema"][9][0], "ema --keep 0.5 leaves no less trail than 0.85")
    o, n = runs["shut"][8]
    check(o >= 0.5, "--motion 255: no ghost after the cut (%.1f%% of the old place person): is the "
          "motion gate ignored?" % (100 * o))
    check(runs["shut_f0"][15][0] >= 0.8, "--motion 255 --fall 0: the old place fades (%.1f%% at "
          "the end)" % (100 * runs["shut_f0"][15][0]))
    check(runs["shut_r0"][15][1] < 0.5, "--motion 255 --rise 0: the new place comes (%.1f%% at "
          "the end)" % (100 * runs["shut_r0"][15][1]))


def boundary_errors(matte, truth):
    """Pixels where matte >= 128 and the truth disagree."""
    return int(np.count_nonzero((matte >= 128) != truth))


@test
def selfie_refine_guided_edges():
    """The guided refine (default) puts the matte's edge on the picture's
    edge. A person with a sharp outline (binary alpha) pasted onto the
    building photo at 512x288 (the map is 256x144, so each map pixel covers
    2x2 frame pixels); truth = the pasted outline. Wrong pixels of the
    matte (>= 128 against the truth): guided <= 75 % of --refine bilinear's
    (measured 58 %); a much larger --eps (1: follows no edge) or --radius 30
    give >= 1.3x the default's. Then the same person on a background of the
    same luma as the person's nearest pixel but another colour (an edge of
    chroma only), as RGB PNG: --guide color (default) <= 25 % of --guide
    luma's and of bilinear's wrong pixels (measured 5 %). --cleanup none
    throughout."""
    need_models()
    import cv2  # pylint: disable=import-outside-toplevel
    img, (truth,) = person_scene(512, 288, [(140, 28, 260)])
    write_rgb("scene.png", img)
    wrong = {}
    for tag, extra in (("guided", []), ("bilinear", ["--refine", "bilinear"]),
                       ("eps1", ["--eps", 1]), ("radius30", ["--radius", 30])):
        wrong[tag] = boundary_errors(matte_of("scene.png", tag, "--cleanup", "none", *extra)[0], truth)
    print("wrong pixels: %s" % wrong)
    check(wrong["bilinear"] > 200, "test media: bilinear is already exact (%d)" % wrong["bilinear"])
    check(wrong["guided"] <= 0.75 * wrong["bilinear"], "guided %d wrong pixels, bilinear %d"
          % (wrong["guided"], wrong["bilinear"]))
    for tag in ("eps1", "radius30"):
        check(wrong[tag] >= 1.3 * wrong["guided"], "--%s: %d wrong pixels, the default %d: is "
              "the option ignored?" % (tag, wrong[tag], wrong["guided"]))

    # Luma continued across the outline from the nearest person pixel; the
    # background's chroma set to a saturated blue.
    ycc = cv2.cvtColor(np.ascontiguousarray(img[:, :, ::-1]), cv2.COLOR_BGR2YCrCb)
    _, labels = cv2.distanceTransformWithLabels((~truth).astype(np.uint8), cv2.DIST_L2, 5,
                                                labelType=cv2.DIST_LABEL_PIXEL)
    where = np.zeros((labels.max() + 1, 2), int)
    where[labels[truth]] = np.argwhere(truth)
    nearest = where[labels]
    y = ycc[..., 0][nearest[..., 0], nearest[..., 1]]
    ycc[..., 0] = np.where(truth, ycc[..., 0], y)
    ycc[..., 1] = np.where(truth, ycc[..., 1], 60)
    ycc[..., 2] = np.where(truth, ycc[..., 2], 200)
    cv2.imwrite("iso.png", cv2.cvtColor(ycc, cv2.COLOR_YCrCb2BGR))
    iso = {}
    for tag, extra in (("color", []), ("luma", ["--guide", "luma"]),
                       ("bilinear", ["--refine", "bilinear"])):
        iso[tag] = boundary_errors(matte_of("iso.png", "iso_" + tag, "--cleanup", "none", *extra)[0],
                                   truth)
    print("chroma edge, wrong pixels: %s" % iso)
    check(iso["bilinear"] > 200, "test media: bilinear is already exact (%d)" % iso["bilinear"])
    check(iso["color"] <= 0.25 * min(iso["luma"], iso["bilinear"]),
          "chroma-only edge: --guide color %d wrong pixels, luma %d, bilinear %d"
          % (iso["color"], iso["luma"], iso["bilinear"]))


# --------------------------------------------------------------------------
# Runner

def run_one(name):
    fn = TESTS.get(name)
    if fn is None:
        print("unknown test %r; --list shows the names" % name)
        return 2
    binary = os.environ.get("BACKDROP")
    if not binary or not os.access(binary, os.X_OK):
        print("FAIL: set BACKDROP to the backdrop executable (got %r)" % binary)
        return 1
    os.environ["BACKDROP"] = os.path.abspath(binary)  # the tests chdir
    for tool in ("ffmpeg", "ffprobe"):
        if shutil.which(tool) is None:
            print("SKIP: %s is not on PATH; the tests make their media with it" % tool)
            return EXIT_SKIP
    print("%s: %s" % (name, " ".join((fn.__doc__ or "").split())))
    if name.startswith(("selfie_", "rvm_")) and selfie_missing():
        print("SKIP: %s" % selfie_missing())
        return EXIT_SKIP
    workdir = tempfile.mkdtemp(prefix="backdrop-cli-%s-" % name)
    home = os.getcwd()
    os.chdir(workdir)
    start = time.time()
    try:
        fn()
        print("PASS (%.1f s)" % (time.time() - start))
        return 0
    except Skip as e:
        print("SKIP: %s" % e)
        return EXIT_SKIP
    except (Failure, subprocess.TimeoutExpired) as e:
        print("FAIL: %s" % e)
        return 1
    finally:
        os.chdir(home)
        if os.environ.get("BACKDROP_KEEP_TMP"):
            print("work directory kept: %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


@test
def selfie_rotation_upright():
    """Phone video is often stored sideways with a display matrix that turns
    it upright; the network only knows upright people, so selfie is shown
    the picture as displayed. A p3m portrait is stored turned a quarter
    counter-clockwise in an MP4 whose display matrix turns it back (ffprobe:
    rotation -90): the matte, turned like the display, matches the matte of
    the upright picture (IoU >= 0.95; measured 0.99). Without the display
    matrix the same pixels give a much worse matte (measured 0.52), so the
    test media does tell upright from sideways."""
    need_models()
    # A portrait the model gets badly wrong when sideways (some others it
    # still finds fairly well: p_514ca06a scores 0.80 sideways).
    ffmpeg("-i", p3m("images", "p_22fc0130"), "-vf", "scale=320:-2", "up.png")
    ffmpeg("-i", "up.png", "-vf", "transpose=2", "side.png")
    ffmpeg("-loop", 1, "-i", "side.png", "-frames:v", 2, "-c:v", "libx264", "-pix_fmt", "yuv420p",
           "plain.mp4")
    # FFmpeg 5.1 stores this rotate tag as a counter-clockwise angle; what
    # matters is the resulting matrix, checked below.
    ffmpeg("-i", "plain.mp4", "-c", "copy", "-metadata:s:v:0", "rotate=270", "turned.mp4")
    check(rotation_of("turned.mp4") == -90, "test media: turned.mp4 has rotation %s, want -90"
          % rotation_of("turned.mp4"))
    backdrop_ok("up.png", "-o", "null", "--matte", "up_matte.png")
    upright = read_png("up_matte.png")
    scores = {}
    for clip in ("turned", "plain"):
        backdrop_ok(clip + ".mp4", "-o", "null", "--matte", clip + "_%d.png")
        shown = np.rot90(read_png(clip + "_1.png"), k=-1)  # clockwise, as displayed
        check(shown.shape == upright.shape, "%s: matte %s, upright %s"
              % (clip, shown.shape, upright.shape))
        scores[clip] = iou(shown, upright)
        print("%s: IoU with the upright picture's matte %.4f" % (clip, scores[clip]))
    check(scores["turned"] >= 0.95, "with the display matrix: IoU %.4f < 0.95" % scores["turned"])
    check(scores["plain"] <= scores["turned"] - 0.2, "test media: the sideways picture without a "
          "display matrix scores %.4f, too close to the turned one" % scores["plain"])


# ---- 8. Safety: never destroy a user's file (issue 7)
#
# Outputs are compared with the input and with each other by what they
# name on disk, not by spelling; special files are written in place; a
# failed run leaves what was there before.

def file_digest(path):
    import hashlib
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def digests(paths):
    return {p: file_digest(p) for p in paths}


def expect_refused(args, mentions, keep):
    """A refused command line: exit 2, one line mentioning mentions, nothing
    new on disk, and every file in keep byte for byte as it was."""
    before = digests(keep)
    expect_error(["-m", "framediff", "-b", "red"] + args, mentions, rc=2)
    check(digests(keep) == before, "a refused run changed %s" % keep)


@test
def safety_output_is_input():
    """The input named as -o, --matte or --stats, in every spelling (the same
    name, ./name, the absolute path, a symbolic link, a hard link, file:, a
    file given on stdin) is refused before anything is written, exit 2, and
    the input is unchanged; so is the background picture as an output."""
    make_talk("x.mp4", size="64x48", seconds=0.4)
    os.symlink("x.mp4", "link.mp4")
    os.link("x.mp4", "hard.mp4")
    spellings = ["x.mp4", "./x.mp4", os.path.abspath("x.mp4"), "link.mp4", "hard.mp4",
                 "../%s/x.mp4" % os.path.basename(os.getcwd())]
    for spelling in spellings:
        expect_refused(["x.mp4", "-o", spelling], ["input"], ["x.mp4"])
        expect_refused(["x.mp4", "-o", "out.mkv", "--matte", spelling], ["input"], ["x.mp4"])
        expect_refused(["x.mp4", "-o", "null", "--stats", spelling], ["input"], ["x.mp4"])
    for inp in ["./x.mp4", "link.mp4", "file:x.mp4"]:
        expect_refused([inp, "-o", "x.mp4"], ["input"], ["x.mp4"])
    # The background picture is read too.
    make_picture("bg.png", size="64x48")
    for spelling in ["bg.png", "./bg.png"]:
        before = file_digest("bg.png")
        expect_error(["-m", "framediff", "-b", "bg.png", "x.mp4", "-o", spelling],
                     ["background picture"], rc=2)
        check(file_digest("bg.png") == before, "the background picture was replaced")
    # stdin that is the very file: redirecting x.mp4 into backdrop - -o x.mp4
    before = file_digest("x.mp4")
    with open("x.mp4", "rb") as f:
        r = subprocess.run([os.environ["BACKDROP"], "-m", "framediff", "-", "-o", "x.mp4"],
                           stdin=f, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    check(r.returncode == 2 and b"input" in r.stderr, "stdin = output: exit %d, %r"
          % (r.returncode, r.stderr))
    check(file_digest("x.mp4") == before, "the input given on stdin was replaced")


@test
def safety_pattern_names_input():
    """Image patterns are compared by the names their numbers give: an
    output pattern that names input frames (the same pattern, another
    spelling of its directory), a pattern output over a single input
    picture, and a single picture output that is one of the input pattern's
    frames are all refused, leaving every frame as it was."""
    make_talk("talk.mp4", size="64x48", seconds=0.2, audio=False)
    os.mkdir("f")
    ffmpeg("-i", "talk.mp4", "f/%03d.png")
    frames = sorted("f/" + n for n in os.listdir("f"))
    check(len(frames) == 5, "test media: %d frames" % len(frames))
    os.symlink("f", "g")
    for out in ["f/%03d.png", "./f/%03d.png", os.path.abspath("f") + "/%03d.png", "g/%03d.png",
                "f/../f/%03d.png"]:
        expect_refused(["f/%03d.png", "-o", out], ["input", "001.png"], frames)
        expect_refused(["f/%03d.png", "-o", "null", "--matte", out], ["input"], frames)
    expect_refused(["f/001.png", "-o", "f/%03d.png"], ["input"], frames)
    expect_refused(["f/%03d.png", "-o", "f/003.png"], ["input"], frames)
    expect_refused(["f/%03d.png", "-o", "f/00%d.png"], ["input"], frames)  # 001.png .. 009.png
    # Names that do not meet the input's are fine: %d gives 1.png, 2.png ...
    backdrop_ok("-m", "framediff", "-b", "red", "f/%03d.png", "-o", "f/%d.png")
    check(sorted(n for n in os.listdir("f") if len(n) == 5) == ["%d.png" % i for i in range(1, 6)],
          "f/ holds %s" % listing("f"))


@test
def safety_outputs_alias_each_other():
    """Two outputs naming one file through another spelling or a pattern are
    refused before anything is written, and an earlier good file at that
    name is kept: --matte ./out.mp4 -o out.mp4, --stats out.mp4 -o out.mp4,
    a symbolic link to the output, -o f/%d.png with --matte f/%03d.png (they
    meet at 100) or --matte f/7.png, and a pattern in a directory name."""
    small_clip()
    backdrop_ok("-m", "framediff", "-b", "red", "talk.mp4", "-o", "out.mp4")
    os.symlink("out.mp4", "link.mp4")
    keep = ["out.mp4", "talk.mp4"]
    cases = [
        (["-o", "out.mp4", "--matte", "./out.mp4"], ["--matte", "-o"]),
        (["-o", "out.mp4", "--stats", "out.mp4"], ["--stats", "-o"]),
        (["-o", "out.mp4", "--stats", os.path.abspath("out.mp4")], ["--stats"]),
        (["-o", "link.mp4", "--matte", "out.mp4"], ["--matte"]),
        (["-o", "f/%d.png", "--matte", "f/%03d.png"], ["f/100.png"]),
        (["-o", "f/%d.png", "--matte", "./f/7.png"], ["7.png"]),
        (["-o", "d%d/x.png", "--matte", "d3/x.png"], ["d3/x.png"]),
        (["-o", "m.mkv", "--matte", "n.mkv", "--stats", "./m.mkv"], ["--stats", "-o"]),
    ]
    for args, mentions in cases:
        expect_refused(["talk.mp4"] + args, mentions, keep)
    # Distinct names are fine, as is "null" twice.
    backdrop_ok("-m", "framediff", "-b", "red", "talk.mp4", "-o", "null", "--matte", "null")
    backdrop_ok("-m", "framediff", "-b", "red", "talk.mp4", "-o", "f/%d.png", "--matte", "f/m%d.png")


@test
def safety_stats_special_files():
    """--stats to a special file writes into it, never replaces it: the null
    device stays a character device, a FIFO stays a FIFO (its reader gets
    the JSON), '-' and /dev/stdout go to standard output, and when that is a
    file the JSON is added after what the shell had already written there.
    A --stats in a missing directory is refused before any work."""
    small_clip()
    import stat as stat_module
    args = ["-m", "framediff", "-b", "red", "talk.mp4", "-o", "null", "--stats"]
    # As root (CI), a private node of the null device: a regression then
    # replaces that, not the machine's /dev/null (which it would, as root).
    device = "/dev/null"
    if os.geteuid() == 0:
        device = os.path.abspath("null-device")
        os.mknod(device, 0o666 | stat_module.S_IFCHR, os.makedev(1, 3))
    r = backdrop_ok(*(args + [device]))
    check(stat_module.S_ISCHR(os.stat(device).st_mode), "%s is no longer a device" % device)
    if os.geteuid() == 0:
        os.unlink(device)
    r = backdrop_ok(*(args + ["-"]))
    check(json.loads(r.out)["frames"] == 10, "--stats - printed %r" % r.out)
    r = backdrop_ok(*(args + ["/dev/stdout"]))
    check(json.loads(r.out)["frames"] == 10, "--stats /dev/stdout printed %r" % r.out)
    # stdout redirected to a file: the earlier lines stay.
    script = 'echo before; "$0" "$@"; echo after'
    with open("log.txt", "w") as log:
        p = subprocess.run(["sh", "-c", script, os.environ["BACKDROP"]] + args + ["/dev/stdout"],
                           stdout=log, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    check(p.returncode == 0, "exit %d: %r" % (p.returncode, p.stderr))
    lines = open("log.txt").read().splitlines()
    check(len(lines) == 3 and lines[0] == "before" and lines[2] == "after" and
          json.loads(lines[1])["frames"] == 10, "log.txt holds %r" % lines)
    # A FIFO with a reader.
    os.mkfifo("stats.fifo")
    reader = subprocess.Popen(["cat", "stats.fifo"], stdout=subprocess.PIPE)
    r = backdrop_ok(*(args + ["stats.fifo"]))
    got = reader.communicate(timeout=30)[0]
    check(json.loads(got)["frames"] == 10, "the FIFO's reader got %r" % got)
    check(stat_module.S_ISFIFO(os.stat("stats.fifo").st_mode), "stats.fifo is no longer a FIFO")
    # A directory that cannot take the stats fails before the run, not after.
    expect_error(["-m", "framediff", "talk.mp4", "-o", "out/x.mkv", "--stats", "nodir/s.json"],
                 ["--stats", "nodir"], rc=2)
    check(listing(".") == ["log.txt", "out", "stats.fifo", "talk.mp4"], "left %s" % listing("."))


@test
def safety_failed_sequence_keeps_earlier_frames():
    """An image sequence is committed whole at the end: a run that fails part
    way (--on-error stop on damaged input) leaves an earlier run's frames to
    the same pattern exactly as they were, with no temporary left."""
    make_talk("talk.mp4", size="64x48", seconds=2, audio=False, extra=["-g", "5"])
    os.mkdir("f")
    backdrop_ok("-m", "framediff", "-b", "red", "talk.mp4", "-o", "f/%03d.png")
    frames = ["f/" + n for n in listing("f")]
    check(len(frames) == 50, "first run wrote %d frames" % len(frames))
    before = digests(frames)
    data = bytearray(open("talk.mp4", "rb").read())
    middle = len(data) // 2
    data[middle:middle + 3000] = b"\x55" * 3000
    open("bad.mp4", "wb").write(bytes(data))
    r = backdrop("-m", "framediff", "-b", "blue", "--on-error", "stop", "bad.mp4", "-o", "f/%03d.png")
    check(r.rc == 1 and len(r.lines) == 1, "expected one error line, exit 1\n" + r.describe())
    check(re.search(r"frame \d+", r.err), "the error does not say where\n" + r.describe())
    check(listing("f") == [os.path.basename(f) for f in frames], "f/ now holds %s" % listing("f"))
    check(digests(frames) == before, "frames of the earlier run were changed")


@test
def safety_sequence_folder_created():
    """The folders of an image-sequence output are created (-o new/sub/%03d.png);
    when the run then fails, the folders it made are removed again."""
    small_clip()
    backdrop_ok("-m", "framediff", "-b", "red", "talk.mp4", "-o", "new/sub/%03d.png")
    check(listing("new/sub") == ["%03d.png" % i for i in range(1, 11)], "new/sub holds %s"
          % listing("new/sub"))
    data = bytearray(open("talk.mp4", "rb").read())
    data[len(data) // 2:len(data) // 2 + 1500] = b"\x55" * 1500
    open("bad.mp4", "wb").write(bytes(data))
    r = backdrop("-m", "framediff", "--on-error", "stop", "bad.mp4", "-o", "other/deep/%03d.png")
    check(r.rc == 1, "expected failure\n" + r.describe())
    check(not os.path.exists("other"), "the failed run left its folders: %s" % snapshot("other"))


@test
def safety_permissions_and_links_kept():
    """Replacing an existing output keeps its permission bits (0600 stays
    0600, 0640 stays 0640; pictures of a sequence too), and an output named
    through a symbolic link replaces the link's target, so the link still
    points there."""
    small_clip()
    args = ["-m", "framediff", "-b", "red", "talk.mp4"]
    for mode, name in [(0o600, "a.mp4"), (0o640, "b.png.mkv"), (0o604, "c.mov")]:
        backdrop_ok(*(args + ["-o", name]))
        os.chmod(name, mode)
        backdrop_ok(*(args + ["-o", name]))
        got = os.stat(name).st_mode & 0o7777
        check(got == mode, "%s: mode %o after the second run, was %o" % (name, got, mode))
    backdrop_ok(*(args + ["-o", "s/%02d.png"]))
    os.chmod("s/03.png", 0o600)
    backdrop_ok(*(args + ["-o", "s/%02d.png"]))
    check(os.stat("s/03.png").st_mode & 0o777 == 0o600, "a picture's mode changed")
    os.mkdir("real")
    backdrop_ok(*(args + ["-o", "real/t.mp4"]))
    os.symlink("real/t.mp4", "l.mp4")
    old = file_digest("real/t.mp4")
    backdrop_ok("-m", "framediff", "-b", "blue", "talk.mp4", "-o", "l.mp4")
    check(os.path.islink("l.mp4") and os.readlink("l.mp4") == "real/t.mp4",
          "l.mp4 is no longer the link")
    check(file_digest("real/t.mp4") != old, "the link's target was not replaced")


@test
def safety_long_path_message_keeps_reason():
    """A message about a very long path (thousands of characters) is one
    line of bounded length that still ends with the reason."""
    small_clip()
    deep = "/".join(["d" * 200] * 12)
    for out in [deep + "/out.mp4", os.path.abspath(deep) + "/x/%03d.png"]:
        if out.endswith(".png"):
            # a sequence's folder is created: make the creation fail
            with open("d" * 200, "w") as f:
                f.write("a file where a folder should be\n")
        r = backdrop("-m", "framediff", "talk.mp4", "-o", out)
        check(r.rc == 1 and len(r.lines) == 1, "expected one line\n" + r.describe()[:2000])
        line = r.lines[0]
        check(len(line) < 1200, "the message is %d characters long" % len(line))
        check(line.endswith("No such file or directory") or line.endswith("Not a directory"),
              "the reason was cut off: ...%s" % line[-200:])
        check("..." in line, "the long path was not shortened: %s" % line[:200])
    r = backdrop("-m", "framediff", deep + "/in.mp4", "-o", "out/x.mp4")
    check(r.rc == 1 and r.lines[0].endswith("Not a directory") and len(r.lines[0]) < 1200,
          "input: " + r.describe()[-400:])


@test
def safety_sigterm_sighup():
    """SIGTERM and SIGHUP end a run like Ctrl-C: the output is finished with
    the frames so far and no temporary is left; the exit status is the
    shell's 128 + signal (143, 129) and the message names the signal."""
    for sig, rc, word in [(signal.SIGTERM, 143, "SIGTERM"), (signal.SIGHUP, 129, "SIGHUP")]:
        os.makedirs(word)
        os.chdir(word)
        try:
            status, err = stop_with(sig, ["-m", "framediff"])
            check(status == rc, "%s: exit status %s, expected %d\n%s" % (word, status, rc, err))
            check(re.search(r"%s\) after \d+ frames" % word, err), "%s: message %r" % (word, err))
            check(listing("out") == ["part.mkv"], "%s: out/ holds %s" % (word, listing("out")))
            n = frame_count("out/part.mkv")
            check(0 < n < 300, "%s: %d frames" % (word, n))
        finally:
            os.chdir("..")


@test
def safety_repeated_options_refused():
    """An option that takes a value, given twice, is refused (exit 2, naming
    it and both values) instead of the last one silently winning; flags may
    repeat."""
    small_clip()
    for args, mentions in [
            (["-b", "red", "-b", "blue", "talk.mp4", "-o", "out/a.mp4"], ["--background", "red", "blue"]),
            (["talk.mp4", "-o", "out/a.mp4", "-o", "out/b.mp4"], ["--output", "out/a.mp4", "out/b.mp4"]),
            (["--threshold", "3", "--threshold=4", "talk.mp4", "-o", "null"], ["--threshold"]),
            (["talk.mp4", "-o", "null", "--matte", "out/m.mkv", "--matte", "out/n.mkv"], ["--matte"])]:
        expect_error(["-m", "framediff"] + args, mentions, rc=2)
    backdrop_ok("-m", "framediff", "-q", "-q", "talk.mp4", "-o", "null")


@test
def safety_method_options_refused():
    """Options of one method given with another are refused, not ignored:
    --model, --softness, --framing and --engine with framediff;
    --seed-compat with selfie."""
    small_clip()
    for opt in [["--model", "general"], ["--softness", "0.1"], ["--framing", "crop"],
                ["--engine", "reference"]]:
        with_selfie = os.environ.get("BACKDROP_HAS_SELFIE", "1") != "0"
        if not with_selfie and opt[0] in ("--framing", "--engine"):
            # selfie's own options do not exist in a build without it
            expect_error(["-m", "framediff"] + opt + ["talk.mp4", "-o", "null"], ["unknown option", opt[0]],
                         rc=2)
            continue
        expect_error(["-m", "framediff"] + opt + ["talk.mp4", "-o", "null"],
                     [opt[0], "framediff"] + (["selfie"] if with_selfie else []), rc=2)
    if not selfie_missing():
        expect_error(["-m", "selfie", "--seed-compat", "talk.mp4", "-o", "null"],
                     ["--seed-compat", "framediff"], rc=2)


@test
def safety_encoders_quiet():
    """Encoders that print by themselves rather than through FFmpeg's log
    (x265, SVT-AV1) stay quiet without -v: a successful run prints nothing."""
    make_talk("talk.mp4", size="128x96", seconds=0.4)  # SVT-AV1 needs 64x64 at least
    os.mkdir("out")
    encoders = subprocess.run(["ffmpeg", "-hide_banner", "-encoders"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL).stdout.decode()
    tried = 0
    for codec, out in [("libx265", "out/h.mp4"), ("libsvtav1", "out/a.mkv")]:
        if (" %s " % codec) not in encoders:
            print("note: no %s encoder here" % codec)
            continue
        backdrop_ok("-m", "framediff", "--codec", codec, "talk.mp4", "-o", out)
        check(frame_count(out) == 10, "%s: %d frames" % (codec, frame_count(out)))
        tried += 1
    if not tried:
        raise Skip("neither libx265 nor libsvtav1 is available")


@test
def safety_stdin_mp4_needs_seeking():
    """An mp4 on stdin whose index is at the end gets the real cause (it
    needs seeking; use a streamable container), not "corrupt data"; the same
    mp4 with its index first (+faststart) works from stdin."""
    # Large enough (a few MB) that FFmpeg's read buffer cannot hold it all.
    make_talk("talk.mp4", size="640x360", seconds=2, audio=False, extra=["-crf", "10"])
    r = backdrop("-m", "framediff", "-", "-o", "out.mkv", stdin_data=open("talk.mp4", "rb").read())
    check(r.rc == 1 and len(r.lines) == 1, "expected one error line\n" + r.describe())
    check("seeking" in r.err and "streamable" in r.err and "corrupt" not in r.err,
          "not the real cause\n" + r.describe())
    check(not os.path.exists("out.mkv"), "out.mkv left behind")
    ffmpeg("-i", "talk.mp4", "-c", "copy", "-movflags", "+faststart", "fast.mp4")
    backdrop_ok("-m", "framediff", "-", "-o", "out.mkv", stdin_data=open("fast.mp4", "rb").read())
    check(frame_count("out.mkv") == 50, "out.mkv has %d frames" % frame_count("out.mkv"))



@test
def output_codec_fine_input_clock():
    """An input with a 1/90000 time base (MPEG-TS) encodes with encoders that
    take no such clock: --codec mpeg4 (at most 1/65535) and mpeg2video /
    mpeg1video (standard rates only). The encoder counts frame periods; the
    output has every frame at the input's rate."""
    ffmpeg(*(lavfi("testsrc2=s=160x120:r=25:d=1") + ["-c:v", "libx264", "-preset", "ultrafast",
                                                    "-f", "mpegts", "in.ts"]))
    for codec in ["mpeg4", "mpeg2video", "mpeg1video", "libx264"]:
        out = "out_%s.mkv" % codec
        backdrop_ok("-m", "framediff", "--codec", codec, "in.ts", "-o", out)
        st = stream_of(out, "video")
        check(st["codec_name"] == {"mpeg4": "mpeg4", "mpeg2video": "mpeg2video",
                                   "mpeg1video": "mpeg1video", "libx264": "h264"}[codec],
              "%s: codec %s" % (codec, st["codec_name"]))
        check(st["r_frame_rate"] == "25/1", "%s: rate %s" % (codec, st["r_frame_rate"]))
        check(frame_count(out) == 25, "%s: %d frames" % (codec, frame_count(out)))


# --------------------------------------------------------------------------
# 12. rvm: Robust Video Matting (-m rvm)
#
# A neural method like selfie (absent from a build without XNNPACK: these
# tests skip there); its model is the TF.js graph rvm.json and its weights
# rvm.bin in the model directory (`make models`), or --model DIR/x.json with
# rvm.bin beside it. The tests that run the network skip without the model,
# and run it with --threads 1 (RVM_RUN): on a loaded machine a thread pool
# that does not get its CPUs makes rvm warn on stderr and go on with one
# thread, which a run that must be silent cannot have.

RVM_FILES = ("rvm.json", "rvm.bin")
RVM_RUN = ["-m", "rvm", "--threads", 1]


def need_rvm(model=True):
    """Skips the test in a build without the neural methods and, when model
    is set, unless the RVM model is in the model directory."""
    if selfie_missing():
        raise Skip(selfie_missing())
    missing = [f for f in RVM_FILES if not os.path.isfile(os.path.join(model_dir(), f))]
    if model and missing:
        raise Skip("the rvm model is not installed (%s missing in %s); fetch it with 'make models' "
                   "(needs network) or point BACKDROP_MODEL_DIR at it" % (" and ".join(missing), model_dir()))


def rvm_matte(src, tag, *args):
    """The mattes and outputs of one -m rvm run on src (args after the
    input): PNG sequences tag-m/ and tag-o/, as arrays."""
    os.mkdir(tag + "-m")
    os.mkdir(tag + "-o")
    backdrop_ok(*(RVM_RUN + [src, "-b", "#00b140", "-o", tag + "-o/%03d.png",
                   "--matte", tag + "-m/%03d.png"] + list(args)))
    return mattes(tag + "-m"), np.stack([read_png(os.path.join(tag + "-o", n)) for n in listing(tag + "-o")])


@test
def rvm_model_missing():
    """-m rvm with BACKDROP_MODEL_DIR an empty directory: exit 1, one line
    'rvm model not found at DIR/rvm.json; fetch it with ... make models',
    nothing written. A directory whose rvm.json is not the published one:
    one line naming it, 'checksum mismatch'. Needs no model."""
    need_rvm(model=False)
    small_clip()
    os.mkdir("empty")
    empty = {"BACKDROP_MODEL_DIR": os.path.abspath("empty")}
    expect_error(["-m", "rvm", "talk.mp4", "-o", "out/x.mp4"],
                 ["rvm model not found at %s;" % os.path.join(os.path.abspath("empty"), "rvm.json"),
                  "fetch it with", "make models"], env=empty)
    os.mkdir("other")
    open("other/rvm.json", "w").write('{"format": "graph-model"}\n')
    expect_error(["-m", "rvm", "talk.mp4", "-o", "out/x.mp4"],
                 [os.path.join(os.path.abspath("other"), "rvm.json"), "checksum mismatch", "make models"],
                 env={"BACKDROP_MODEL_DIR": os.path.abspath("other")})


@test
def rvm_model_file_errors():
    """--model FILE.json for -m rvm, with rvm.bin beside it: a copy of
    rvm.json cut in half gives one line naming the file, 'model rejected'
    and 'truncated'; weights cut short name both files (the reader cannot
    tell which one is wrong) and the weight that does not fit; no rvm.bin beside it names the missing DIR/rvm.bin.
    Nothing is written. The real model.json under another name (model.json)
    with rvm.bin beside it runs."""
    need_rvm()
    small_clip()
    json_path, bin_path = (os.path.join(model_dir(), f) for f in RVM_FILES)
    good = open(json_path, "rb").read()
    weights = open(bin_path, "rb").read()
    for d in ("half", "short", "alone", "named"):
        os.mkdir(d)
    open("half/rvm.json", "wb").write(good[: len(good) // 2])
    os.symlink(bin_path, "half/rvm.bin")
    open("short/rvm.json", "wb").write(good)
    open("short/rvm.bin", "wb").write(weights[:-4])
    open("alone/rvm.json", "wb").write(good)
    open("named/model.json", "wb").write(good)
    os.symlink(bin_path, "named/rvm.bin")
    for model, mentions in (("half/rvm.json", ["half/rvm.json", "model rejected", "truncated"]),
                            ("short/rvm.json", ["short/rvm.json", "(weights short/rvm.bin)", "model rejected",
                                                "needs", "bytes"]),
                            ("alone/rvm.json", ["alone/rvm.bin", "cannot open model"])):
        expect_error(["-m", "rvm", "--model", model, "talk.mp4", "-o", "out/x.mp4"], mentions)
    backdrop_ok(*(RVM_RUN + ["--model", "named/model.json", "talk.mp4", "-o", "out/x.mp4"]))
    check(frame_count("out/x.mp4") == frame_count("talk.mp4"), "out/x.mp4: %d frames, input %d"
          % (frame_count("out/x.mp4"), frame_count("talk.mp4")))


@test
def rvm_option_validation():
    """rvm's options are checked before anything is loaded (an empty model
    directory here): --downsample-ratio 2 and -0.1 are out of range (0..1),
    --foreground blue is not one of predicted|original; exit 2, one line
    naming the option, value and range or choices. --downsample-ratio and
    --foreground with -m selfie (or framediff) are refused as rvm options."""
    need_rvm(model=False)
    small_clip()
    os.mkdir("empty")
    empty = {"BACKDROP_MODEL_DIR": os.path.abspath("empty")}
    for extra, mentions in (
            (["-m", "rvm", "--downsample-ratio", "2"], ["--downsample-ratio", "2", "0..1"]),
            (["-m", "rvm", "--downsample-ratio", "-0.1"], ["--downsample-ratio", "-0.1", "0..1"]),
            (["-m", "rvm", "--foreground", "blue"], ["--foreground", "'blue'", "predicted|original"]),
            (["-m", "selfie", "--downsample-ratio", "0.5"], ["--downsample-ratio", "only for -m rvm", "selfie"]),
            (["--foreground", "original", "-m", "selfie"], ["--foreground", "only for -m rvm", "selfie"]),
            (["-m", "framediff", "--downsample-ratio", "0.5"], ["--downsample-ratio", "only for -m rvm"])):
        expect_error(extra + ["talk.mp4", "-o", "out/x.mp4"], mentions, rc=2, env=empty)


@test
def rvm_sizes():
    """-m rvm on synthetic clips of 64x48, 160x90, 256x144 and an odd 97x61
    (FFV1): every frame has its matte, of the frame's size, and the output
    has every frame at that size."""
    need_rvm()
    os.mkdir("out")
    for size, frames in (("64x48", 5), ("160x90", 4), ("256x144", 3), ("97x61", 3)):
        w, h = (int(v) for v in size.split("x"))
        src = "clip_%s.mkv" % size
        # testsrc2 and crop keep 4:2:0 sizes even; cropped in RGB they need not be
        graph = "testsrc2=s=%dx%d:r=25,format=rgb24,crop=%d:%d:0:0,format=yuv420p" % (w + 1, h + 1, w, h)
        ffmpeg(*(lavfi(graph) + ["-frames:v", frames, "-c:v", "ffv1", src]))
        st = stream_of(src, "video")
        check((st["width"], st["height"]) == (w, h), "test media: %s is %dx%d" % (src, st["width"], st["height"]))
        os.mkdir(size)
        out = "out/%s.mkv" % size
        backdrop_ok(*(RVM_RUN + [src, "-b", "#00b140", "-o", out, "--matte", size + "/%03d.png"]))
        check(listing(size) == numbered("%03d.png", frames), "%s: mattes %s" % (size, listing(size)))
        m = mattes(size)
        check(m.shape == (frames, h, w), "%s: mattes of shape %s" % (size, m.shape))
        v = stream_of(out, "video")
        check((v["width"], v["height"]) == (w, h), "%s: output %dx%d" % (size, v["width"], v["height"]))
        check(frame_count(out) == frames, "%s: output has %d frames, expected %d" % (size, frame_count(out), frames))


@test
def rvm_rotation_stored():
    """A clip stored 160x96 with a display matrix (rotation -90): the matte
    comes out in the stored orientation (160x96), and it is the matte of the
    picture as displayed: turned as the player turns it, it equals (within
    2 levels) the matte of an upright copy (ffmpeg's autorotation, lossless)
    run without a matrix, and not the one turned the other way. The output
    keeps the display matrix."""
    need_rvm()
    ffmpeg(*(lavfi("testsrc2=s=160x96:r=25") + ["-frames:v", 6, "-c:v", "libx264", "-qp", 0,
                                               "-pix_fmt", "yuv420p", "plain.mp4"]))
    ffmpeg("-i", "plain.mp4", "-c", "copy", "-metadata:s:v:0", "rotate=270", "turned.mp4")
    check(rotation_of("turned.mp4") == -90, "test media: turned.mp4 has rotation %s, want -90"
          % rotation_of("turned.mp4"))
    ffmpeg("-i", "turned.mp4", "-c:v", "libx264", "-qp", 0, "-pix_fmt", "yuv420p", "upright.mp4")
    st = stream_of("upright.mp4", "video")
    check((st["width"], st["height"]) == (96, 160) and not rotation_of("upright.mp4"),
          "test media: upright.mp4 is %dx%d, rotation %s" % (st["width"], st["height"], rotation_of("upright.mp4")))
    os.mkdir("a")
    os.mkdir("b")
    backdrop_ok(*(RVM_RUN + ["turned.mp4", "-b", "#00b140", "-o", "turned_out.mp4", "--matte", "a/%03d.png"]))
    backdrop_ok(*(RVM_RUN + ["upright.mp4", "-b", "#00b140", "-o", "null", "--matte", "b/%03d.png"]))
    stored, upright = mattes("a").astype(int), mattes("b").astype(int)
    check(stored.shape == (6, 96, 160), "mattes of the turned clip: %s, expected the stored 96 rows of 160"
          % (stored.shape,))
    check(upright.shape == (6, 160, 96), "mattes of the upright clip: %s" % (upright.shape,))
    check(np.count_nonzero(upright) > 100, "the upright mattes are nearly empty: nothing to compare")
    for i in range(6):
        shown = np.rot90(stored[i], k=-1)  # clockwise, as displayed
        other = np.rot90(stored[i], k=1)
        d, wrong = np.abs(shown - upright[i]), np.abs(other - upright[i])
        check(d.max() <= 2, "frame %d: the stored matte turned as displayed differs from the upright "
              "run's by up to %d (mean %.3f)" % (i, d.max(), d.mean()))
        check(wrong.max() > 2 * max(2, d.max()), "frame %d: turned the wrong way it agrees as well "
              "(max %d): the test cannot tell" % (i, wrong.max()))
    check(rotation_of("turned_out.mp4") == -90, "output rotation %s" % rotation_of("turned_out.mp4"))


@test
def rvm_foreground_soft_only():
    """--foreground original and predicted (the default) differ only where
    the matte is soft: an RGB clip (a PNG sequence, so nothing is converted
    and the composite is per pixel) gives identical mattes, and outputs
    identical bit for bit wherever the matte is 0 (the background colour
    there) or 255; where it is soft they differ somewhere."""
    need_rvm()
    os.mkdir("in")
    ffmpeg(*(lavfi("testsrc2=s=128x96:r=25") + ["-frames:v", 5, "-pix_fmt", "rgb24", "in/%03d.png"]))
    m_orig, orig = rvm_matte("in/%03d.png", "orig", "--foreground", "original")
    m_pred, pred = rvm_matte("in/%03d.png", "pred")
    check(m_orig.shape == (5, 96, 128) and orig.shape == (5, 96, 128, 3), "shapes %s, %s"
          % (m_orig.shape, orig.shape))
    check(np.array_equal(m_orig, m_pred), "the mattes differ in %d pixels" % np.count_nonzero(m_orig != m_pred))
    hard = (m_orig == 0) | (m_orig == 255)
    differ = np.any(orig != pred, axis=3)
    check(not np.any(differ & hard), "%d pixels of matte 0 or 255 differ between original and predicted"
          % np.count_nonzero(differ & hard))
    check(np.count_nonzero(m_orig == 0) > 0, "no matte-0 pixel")
    assert_colour(orig[m_orig == 0], GREEN, 0, "output where the matte is 0")
    src = np.stack([read_png("in/" + n) for n in listing("in")])
    check(np.array_equal(orig[m_orig == 255], src[m_orig == 255]), "matte 255 is not the frame's own pixel")
    soft = ~hard
    check(np.count_nonzero(soft) > 0, "no soft matte pixel: nothing to compare")
    check(np.count_nonzero(differ & soft) > 0, "the predicted foreground changed no soft pixel")


# --------------------------------------------------------------------------
# 13. Transparent outputs (-b transparent): the matte as the output's alpha

# The clip of these tests: four flat quadrants and an orange square moving
# 16 pixels a frame (framediff marks where it left and arrived), tagged
# BT.709 limited range so that the colour tags can be followed.
ALPHA_W, ALPHA_H, ALPHA_FRAMES = 160, 96, 8
ORANGE = (255, 128, 0)


def make_alpha_clip(path, container_args=("-c:v", "ffv1", "-pix_fmt", "yuv420p")):
    quadrant = {"r": "if(lt(X,80),if(lt(Y,48),40,30),if(lt(Y,48),200,120))",
                "g": "if(lt(X,80),if(lt(Y,48),60,160),if(lt(Y,48),200,40))",
                "b": "if(lt(X,80),if(lt(Y,48),200,60),if(lt(Y,48),200,90))"}
    graph = ("nullsrc=s=%dx%d:r=25,format=gbrp,geq=r='%s':g='%s':b='%s'[bg];"
             "color=c=0x%02x%02x%02x:s=40x40:r=25[sq];"
             "[bg][sq]overlay=x='8+16*n':y=24:eval=frame:shortest=1"
             % ((ALPHA_W, ALPHA_H) + tuple(quadrant[c].replace(",", "\\,") for c in "rgb") + ORANGE))
    ffmpeg(*(lavfi(graph) + ["-frames:v", ALPHA_FRAMES] + list(container_args)
             + ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
                "-color_range", "tv", path]))


def decode_rgba(path, width, height, *decoder):
    """Every frame of path as (frames, height, width, 4) R, G, B, A, converted
    by ffmpeg; decoder: options before -i (a decoder of our choice)."""
    raw = ffmpeg(*(list(decoder) + ["-i", path, "-map", "0:v:0", "-f", "rawvideo",
                                    "-pix_fmt", "rgba", "-"]))
    check(len(raw) % (width * height * 4) == 0, "%s: not whole %dx%d RGBA frames" % (path, width, height))
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 4)


def flat_interior(picture, radius=4):
    """Per pixel of a (h, w) or (h, w, c) array: its (2 radius + 1)^2
    neighbourhood (cut at the borders) is one value. Near an edge the colour
    depends on the conversion path (bicubic 4:2:0 -> 4:4:4 reaches two chroma
    samples, four pixels, each way: ProRes's input is upsampled by the tool,
    the reference decodes 4:2:0 to RGB directly) and on DCT ringing; the
    colour checks keep to these pixels."""
    p = picture if picture.ndim == 3 else picture[:, :, None]
    h, w = p.shape[:2]
    padded = np.pad(p, ((radius, radius), (radius, radius), (0, 0)), mode="edge")
    flat = np.ones((h, w), bool)
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            flat &= (padded[dy:dy + h, dx:dx + w] == p).all(axis=2)
    return flat


def transparent_run(output, *args, decoder=(), clip="clip.mkv"):
    """Runs framediff with -b transparent on clip into output, with the matte
    as a lossless PNG sequence; returns (the output's frames as RGBA, the
    mattes, the input's frames as RGBA). The matte must mark the square's
    moves: at least half of the 2 x 16 x 40 pixels it left and entered."""
    os.mkdir("m")
    backdrop_ok("-m", "framediff", "-b", "transparent", clip, "-o", output,
                "--matte", "m/%03d.png", *args)
    out = decode_rgba(output, ALPHA_W, ALPHA_H, *decoder)
    matte = decode_frames("m/%03d.png", ALPHA_W, ALPHA_H, "gray")
    source = decode_rgba(clip, ALPHA_W, ALPHA_H)
    check(len(out) == len(matte) == len(source) == ALPHA_FRAMES,
          "%s: %d frames, %d mattes, %d input frames" % (output, len(out), len(matte), len(source)))
    check(np.count_nonzero(matte[1:] == 255) >= (ALPHA_FRAMES - 1) * 640,
          "the matte misses the moving square: %d pixels of 255" % np.count_nonzero(matte[1:] == 255))
    check(set(np.unique(matte).tolist()) <= {0, 255}, "framediff's matte is not binary")
    return out, matte, source


def check_alpha(output, out, matte, max_diff, max_mean):
    """The output's alpha against the (binary) matte: within max_diff
    everywhere, max_mean on average, and always the matte exactly once
    thresholded at 128."""
    diff = np.abs(out[..., 3].astype(int) - matte)
    print("%s: alpha against the matte: max difference %d, mean %.4f, %d of %d pixels differ"
          % (output, diff.max(), diff.mean(), np.count_nonzero(diff), diff.size))
    check(diff.max() <= max_diff and diff.mean() <= max_mean,
          "%s: the alpha differs from the matte by up to %d (mean %.4f); allowed %d (mean %.4f)"
          % (output, diff.max(), diff.mean(), max_diff, max_mean))
    wrong = np.count_nonzero((out[..., 3] >= 128) != (matte >= 128))
    check(wrong == 0, "%s: %d pixels are on the other side of 128 than the matte's" % (output, wrong))


# VP9's alpha at --crf 10 against framediff's binary matte (the hardest
# case: sharp edges): measured max 17, mean 0.015 on the clip of this
# section, both frame formats. Allowed: twice that, for other libvpx builds.
VP9_ALPHA_TOLERANCE = (32, 0.1)


def check_foreground_colour(output, out, matte, source, tol):
    """Where the matte is 255 (and the input and the matte are flat around
    the pixel) the colour is the input's: straight alpha, nothing
    premultiplied or composited there."""
    worst, count = 0, 0
    for i in range(len(out)):
        keep = (matte[i] == 255) & flat_interior(matte[i]) & flat_interior(source[i, :, :, :3])
        if not keep.any():
            continue
        d = np.abs(out[i, :, :, :3][keep].astype(int) - source[i, :, :, :3][keep].astype(int))
        worst, count = max(worst, int(d.max())), count + int(keep.sum())
    print("%s: colour at alpha 255 against the input: max difference %d over %d pixels"
          % (output, worst, count))
    check(count >= 2000, "%s: only %d flat foreground pixels to compare" % (output, count))
    check(worst <= tol, "%s: colour at alpha 255 differs from the input by up to %d (allowed %d)"
          % (output, worst, tol))


def check_video_tags(path, codec, pix_fmts, **expected):
    v = stream_of(path, "video")
    check(v["codec_name"] == codec, "%s: codec %s, expected %s" % (path, v["codec_name"], codec))
    check(v["pix_fmt"] in pix_fmts, "%s: pixel format %s, expected one of %s" % (path, v["pix_fmt"], pix_fmts))
    for key, value in expected.items():
        got = v.get(key, v.get("tags", {}).get(key))
        check(got == value, "%s: %s is %r, expected %r" % (path, key, got, value))
    return v


@test
def transparent_png_sequence():
    """-b transparent into a PNG sequence: 8-bit RGBA (straight alpha) whose
    alpha is the matte exactly, and whose colour where the matte is 255 is
    the input's (the YUV 4:2:0 input converted by swscale in both the tool
    and the reference: within 1 level on flat areas; measured 0). TIFF and
    WebP sequences: the alpha exactly too."""
    make_alpha_clip("clip.mkv")
    os.mkdir("o")
    out, matte, source = transparent_run("o/%03d.png")
    check(listing("o") == numbered("%03d.png", ALPHA_FRAMES), "o/ holds %s" % listing("o"))
    check_video_tags("o/001.png", "png", ("rgba",))
    check_alpha("o/%03d.png", out, matte, 0, 0)
    check_foreground_colour("o/%03d.png", out, matte, source, 1)
    # TIFF (RGBA) and WebP (YUVA 4:2:0; libwebp codes the alpha losslessly)
    # keep the alpha too.
    for ext, pix_fmt in (("tiff", "rgba"), ("webp", "yuva420p")):
        backdrop_ok("-m", "framediff", "-b", "transparent", "clip.mkv", "-o", "o/%03d." + ext)
        check_video_tags("o/001." + ext, ext, (pix_fmt,))
        check_alpha("o/%03d." + ext, decode_rgba("o/%03d." + ext, ALPHA_W, ALPHA_H), matte, 0, 0)


@test
def transparent_single_png():
    """A picture (RGB input: RGBA out, no conversion) with selfie's soft
    matte into one PNG: RGBA, alpha the matte exactly (soft levels too), the
    colour where the matte is 255 exactly the input's."""
    need_models()
    ffmpeg("-i", p3m("images", PORTRAIT), "-vf", "scale=144:160:flags=area", "portrait.png")
    backdrop_ok("-m", "selfie", "-b", "transparent", "portrait.png", "-o", "cut.png", "--matte", "m.png")
    check_video_tags("cut.png", "png", ("rgba",))
    import cv2  # pylint: disable=import-outside-toplevel
    bgra = cv2.imread("cut.png", cv2.IMREAD_UNCHANGED)
    check(bgra is not None and bgra.shape == (160, 144, 4), "cut.png is not a 144x160 RGBA picture")
    matte, picture = read_png("m.png"), read_png("portrait.png")
    levels = len(np.unique(matte))
    check(levels > 16 and (matte == 255).sum() > 1000, "selfie's matte is not soft (%d levels)" % levels)
    wrong = np.count_nonzero(bgra[:, :, 3] != matte)
    check(wrong == 0, "cut.png: %d alpha values differ from the matte" % wrong)
    fg = matte == 255
    d = np.abs(bgra[:, :, 2::-1][fg].astype(int) - picture[fg].astype(int))
    check(d.max() == 0, "cut.png: colour at alpha 255 differs from the input by up to %d" % d.max())


@test
def transparent_prores_mov():
    """-b transparent into .mov: ProRes 4444 with alpha (ffprobe: prores,
    profile 4444, yuva444p1xle; FFmpeg's decoder gives 12-bit planes), BT.709
    limited tags carried. ProRes codes its alpha losslessly and 8 -> 10 ->
    8 bits returns every value, so the alpha is the matte exactly; the
    colour (10-bit DCT) within 4 levels on flat areas (measured: 2)."""
    make_alpha_clip("clip.mkv")
    out, matte, source = transparent_run("out.mov")
    check_video_tags("out.mov", "prores", ("yuva444p10le", "yuva444p12le"), profile="4444",
                     color_space="bt709", color_range="tv")
    check_alpha("out.mov", out, matte, 0, 0)
    check_foreground_colour("out.mov", out, matte, source, 4)


@test
def transparent_vp9_webm():
    """-b transparent into .webm: VP9 with its alpha in BlockAdditional
    (ffprobe: vp9, tag alpha_mode=1), read back with the libvpx-vp9 decoder
    (FFmpeg's own vp9 decoder ignores the alpha: it reports yuv420p). At
    --crf 10 the binary matte survives within a few levels at its edges
    (VP9_ALPHA_TOLERANCE); thresholded at 128 it is the matte exactly.
    Colour within 16 on flat areas (measured: max 2)."""
    make_alpha_clip("clip.mkv")
    out, matte, source = transparent_run("out.webm", "--crf", 10, decoder=("-c:v", "libvpx-vp9"))
    check_video_tags("out.webm", "vp9", ("yuv420p", "yuva420p"), alpha_mode="1",
                     color_space="bt709", color_range="tv")
    check_alpha("out.webm", out, matte, *VP9_ALPHA_TOLERANCE)
    check_foreground_colour("out.webm", out, matte, source, 16)
    # Without libvpx's decoder there is no alpha: what the docs warn about.
    plain = decode_rgba("out.webm", ALPHA_W, ALPHA_H)
    check((plain[..., 3] == 255).all(), "FFmpeg's native vp9 decoder returned an alpha")


@test
def transparent_ffv1_mkv():
    """-b transparent into .mkv: FFV1, lossless YUVA 4:2:0 (ffprobe: ffv1,
    yuva420p, alpha_mode=1): alpha exactly the matte, colour exactly as the
    input's 4:2:0 decodes (within 1: two swscale paths) on flat areas."""
    make_alpha_clip("clip.mkv")
    out, matte, source = transparent_run("out.mkv")
    check_video_tags("out.mkv", "ffv1", ("yuva420p",), alpha_mode="1", color_space="bt709",
                     color_range="tv")
    check_alpha("out.mkv", out, matte, 0, 0)
    check_foreground_colour("out.mkv", out, matte, source, 1)


@test
def transparent_rgb_input():
    """An RGB input (a PNG sequence: RGB24 frames, RGBA composites) into
    .mov, .webm and a PNG sequence: the RGBA -> yuva444p10le and -> yuva420p
    conversions keep the alpha (exact for ProRes and PNG, VP9 within
    VP9_ALPHA_TOLERANCE) and the colours (RGB -> limited BT.601 YUV -> RGB:
    within 4 levels on flat areas for ProRes (measured 0), 16 for VP9
    (measured 9); PNG needs no conversion: exact)."""
    os.mkdir("in")
    make_alpha_clip("in/%03d.png", ("-pix_fmt", "rgb24"))
    for output, decoder, args, alpha_tol, colour_tol in (
            ("out.mov", (), (), (0, 0), 4),
            ("out.webm", ("-c:v", "libvpx-vp9"), ("--crf", 10), VP9_ALPHA_TOLERANCE, 16),
            ("o/%03d.png", (), (), (0, 0), 0)):
        if output.startswith("o/"):
            os.mkdir("o")
        out, matte, source = transparent_run(output, *args, decoder=decoder, clip="in/%03d.png")
        check_alpha(output, out, matte, *alpha_tol)
        check_foreground_colour(output, out, matte, source, colour_tol)
        shutil.rmtree("m")


@test
def transparent_errors():
    """-b transparent refuses, before anything is read or written (exit 2,
    one line, no file), a destination that cannot keep the alpha, naming the
    formats that can: .mp4 and .avi (no codec with alpha by default), .jpg
    and .bmp pictures, and --codec libx264 (no pixel format with alpha).
    --codec with alpha (ffv1 in .avi, VP8 in .webm) and -o null are accepted; the matte
    stays grey."""
    make_alpha_clip("clip.mkv")
    formats = ".png (picture or %d sequence), .mov (ProRes 4444), .webm (VP9 with alpha) or .mkv (FFV1)"
    expect_error(["-m", "framediff", "-b", "transparent", "clip.mkv", "-o", "out.mp4"],
                 ["out.mp4: format 'mp4' has no video codec with alpha", formats], rc=2)
    expect_error(["-m", "framediff", "-b", "transparent", "clip.mkv", "-o", "out.avi"],
                 ["out.avi: format 'avi'", formats], rc=2)
    expect_error(["-m", "framediff", "-b", "transparent", "clip.mkv", "-o", "f_%03d.jpg"],
                 ["f_%03d.jpg: .jpg pictures have no alpha", formats], rc=2)
    expect_error(["-m", "framediff", "-b", "transparent", "clip.mkv", "-o", "out.bmp"],
                 ["out.bmp: .bmp pictures have no alpha", formats], rc=2)
    expect_error(["-m", "framediff", "-b", "transparent", "clip.mkv", "-o", "out.mov", "--codec", "libx264"],
                 ["out.mov: encoder 'libx264' has no pixel format with alpha", formats], rc=2)
    expect_error(["-m", "framediff", "-b", "transparent", "clip.mkv", "-o", "out.mkv", "--codec", "mpeg4"],
                 ["out.mkv: encoder 'mpeg4' has no pixel format with alpha"], rc=2)
    # Encoders with alpha chosen by hand (VP8's needs its alternate
    # reference frames off); the matte is grey as ever.
    backdrop_ok("-m", "framediff", "-b", "transparent", "clip.mkv", "-o", "ffv1.avi", "--codec", "ffv1",
                "--matte", "m.mkv")
    check_video_tags("ffv1.avi", "ffv1", ("yuva420p",))
    check_video_tags("m.mkv", "ffv1", ("gray",))  # --codec goes to the matte too
    backdrop_ok("-m", "framediff", "-b", "transparent", "clip.mkv", "-o", "vp8.webm", "--codec", "libvpx")
    check_video_tags("vp8.webm", "vp8", ("yuv420p", "yuva420p"), alpha_mode="1")
    alpha = decode_rgba("vp8.webm", ALPHA_W, ALPHA_H, "-c:v", "libvpx")[..., 3]
    check(alpha[0].max() < 16 and alpha[1:].max() > 240, "vp8.webm: the alpha is not framediff's matte")
    backdrop_ok("-m", "framediff", "-b", "transparent", "clip.mkv", "-o", "null")


# ---- 14. external matte: -m external --matte-in FILE (issue 11)

DISK_SIZE = (64, 48)
DISK_FRAMES = 5
# The disk of frame N: centre (20 + 4N, 24), radius 12; the matte is 255
# up to radius 10, 0 from radius 14, a ramp of every level in between.
DISK_DIST = "hypot(X-20-4*N\\,Y-24)"


def make_disk_scene(pattern, pix_fmt="rgb24", size=DISK_SIZE, frames=DISK_FRAMES):
    """A red disk on a blue scene (lavfi geq): RGB PNGs for a pattern, or a
    lossless FFV1 clip of pix_fmt for a .mkv name."""
    graph = ("nullsrc=s=%dx%d:r=25,format=rgb24,geq=r='if(lt(%s,12),255,0)':g=0:b='if(lt(%s,12),0,255)'"
             % (size[0], size[1], DISK_DIST, DISK_DIST))
    extra = ["-pix_fmt", "rgb24"] if pattern.endswith(".png") else ["-c:v", "ffv1", "-pix_fmt", pix_fmt]
    ffmpeg(*(lavfi(graph) + ["-frames:v", frames] + extra + [pattern]))


def make_disk_matte(pattern, size=DISK_SIZE, frames=DISK_FRAMES, soft=True):
    """The disk's exact matte, a grey PNG sequence (or FFV1 gray for .mkv):
    255 inside radius 10, 0 outside 14, a linear ramp between (soft), or a
    hard edge at radius 12."""
    lum = ("clip(255*(14-%s)/4\\,0\\,255)" % DISK_DIST) if soft else ("if(lt(%s\\,12)\\,255\\,0)" % DISK_DIST)
    graph = "nullsrc=s=%dx%d:r=25,format=gray,geq=lum='%s'" % (size[0], size[1], lum)
    extra = [] if pattern.endswith(".png") else ["-c:v", "ffv1"]
    ffmpeg(*(lavfi(graph) + ["-frames:v", frames, "-pix_fmt", "gray"] + extra + [pattern]))


def disk_test_media(soft=True):
    """in/%03d.png (the scene) and m/%03d.png (its matte); returns the
    scene and the mattes as arrays, checked to be what they should."""
    os.mkdir("in")
    os.mkdir("m")
    make_disk_scene("in/%03d.png")
    make_disk_matte("m/%03d.png", soft=soft)
    scene = np.stack([read_png("in/" + n) for n in listing("in")])
    m = mattes("m")
    check(scene.shape == (DISK_FRAMES, DISK_SIZE[1], DISK_SIZE[0], 3) and m.shape == scene.shape[:3],
          "test media: scene %s, mattes %s" % (scene.shape, m.shape))
    red = np.all(scene == RED, axis=3)
    check(np.all(red | np.all(scene == BLUE, axis=3)), "test media: the scene is not only red and blue")
    check(np.all(red[m == 255]) and not np.any(red[m == 0]), "test media: the matte does not fit the disk")
    levels = np.unique(m)
    check(np.count_nonzero(m == 255) > 100 and np.count_nonzero(m == 0) > 100 and
          (not soft or len(levels) > 20), "test media: matte levels %s" % levels)
    return scene, m


def expected_blend(scene, m, bg):
    """round((a F + (255 - a) B) / 255) per channel, halves up: the
    library's blend at every alpha."""
    a = m.astype(np.int64)[..., None]
    return ((a * scene.astype(np.int64) + (255 - a) * np.array(bg, np.int64) + 127) // 255).astype(np.uint8)


@test
def external_matte_exact_rgb():
    """-m external --matte-in m/%03d.png -b green on an RGB PNG sequence
    (a red disk on blue, its matte with a soft ramp of every level), with
    --edge-color original: the output PNGs are, bit for bit, red where the
    matte is 255, green where it is 0, and the exact rounded blend of the
    scene's pixel and green at every soft value; --matte writes the given
    matte back bit for bit. With the default edge colour (estimate) the
    pixels at 0 and 255 are the same; at soft ones it differs somewhere."""
    scene, m = disk_test_media()
    os.mkdir("out")
    os.mkdir("rt")
    backdrop_ok("-m", "external", "--matte-in", "m/%03d.png", "-b", "green", "--edge-color", "original",
                "in/%03d.png", "-o", "out/%03d.png", "--matte", "rt/%03d.png")
    out = np.stack([read_png("out/" + n) for n in listing("out")])
    check(out.shape == scene.shape, "output of shape %s, input %s" % (out.shape, scene.shape))
    assert_colour(out[m == 255], RED, 0, "output where the matte is 255")
    assert_colour(out[m == 0], GREEN, 0, "output where the matte is 0")
    want = expected_blend(scene, m, GREEN)
    wrong = np.any(out != want, axis=3)
    check(not wrong.any(), "%d pixels differ from the exact blend (first at frame, row, column %s: "
          "alpha %d, got %s, want %s)" % (np.count_nonzero(wrong), tuple(np.argwhere(wrong)[0]) if wrong.any()
                                         else (), m[wrong][0] if wrong.any() else 0,
                                         out[wrong][0] if wrong.any() else "", want[wrong][0] if wrong.any() else ""))
    rt = mattes("rt")
    check(np.array_equal(rt, m), "the --matte round trip differs in %d pixels" % np.count_nonzero(rt != m))

    os.mkdir("est")
    backdrop_ok("-m", "external", "--matte-in", "m/%03d.png", "-b", "green", "in/%03d.png", "-o", "est/%03d.png")
    est = np.stack([read_png("est/" + n) for n in listing("est")])
    hard = (m == 0) | (m == 255)
    check(np.array_equal(est[hard], out[hard]), "edge-color estimate changed %d pixels where the matte is 0 or 255"
          % np.count_nonzero(np.any(est != out, axis=3) & hard))
    check(np.any(est[~hard] != out[~hard]), "edge-color estimate changed no soft pixel: is it on?")


@test
def external_matte_yuv_input():
    """The disk scene as a YUV 4:2:0 clip (FFV1) with the same PNG matte and
    a PNG output: inside the matte's 255 red, outside its 0 green, within
    3 levels (pure colours through limited-range YUV and back), two pixels
    away from the edge (the converters' chroma filters reach across it:
    18 levels off one pixel away); the round-trip matte is the given one
    exactly."""
    _, m = disk_test_media(soft=False)
    make_disk_scene("scene.mkv", "yuv420p")
    os.mkdir("out")
    os.mkdir("rt")
    backdrop_ok("-m", "external", "--matte-in", "m/%03d.png", "-b", "green", "scene.mkv", "-o", "out/%03d.png",
                "--matte", "rt/%03d.png")
    out = np.stack([read_png("out/" + n) for n in listing("out")])
    check(out.shape[:3] == m.shape, "output of shape %s, mattes %s" % (out.shape, m.shape))
    check(np.array_equal(mattes("rt"), m), "the round-trip matte differs from the given one")
    for i in range(DISK_FRAMES):
        fg = square_morph(m[i], -2) == 255
        bg = square_morph(m[i], 2) == 0
        check(np.count_nonzero(fg) > 100 and np.count_nonzero(bg) > 100, "test media: frame %d too small" % i)
        assert_colour(out[i][fg], RED, 3, "frame %d inside the matte" % (i + 1))
        assert_colour(out[i][bg], GREEN, 3, "frame %d outside the matte" % (i + 1))


@test
def external_matte_round_trip():
    """--matte with -m external writes the matte it was given: a matte with
    every level 0..255 at every place over its frames (FFV1 gray video, 5
    frames) comes back bit for bit as a PNG sequence."""
    os.mkdir("in")
    make_disk_scene("in/%03d.png")
    graph = "nullsrc=s=64x48:r=25,format=gray,geq=lum='mod(X+64*Y+7*N\\,256)'"
    ffmpeg(*(lavfi(graph) + ["-frames:v", DISK_FRAMES, "-c:v", "ffv1", "-pix_fmt", "gray", "levels.mkv"]))
    given = decode_frames("levels.mkv", 64, 48, "gray")
    check(len(np.unique(given)) == 256, "test media: %d levels" % len(np.unique(given)))
    os.mkdir("rt")
    backdrop_ok("-m", "external", "--matte-in", "levels.mkv", "in/%03d.png", "-o", "null", "--matte", "rt/%03d.png")
    check(np.array_equal(mattes("rt"), given), "the PNG round trip differs in %d pixels"
          % np.count_nonzero(mattes("rt") != given))


@test
def external_matte_errors():
    """One line, exit 1, nothing written: a --matte-in that cannot be
    opened (a missing pattern, a missing picture, a text file) names
    --matte-in and the file; a matte of another size says
    'FILE: the matte is 32x24, the input 64x48'; a matte of 3 frames for 5
    'FILE: the matte has 3 frames, the input more'; of 7 frames
    'FILE: the matte has 7 frames, the input 5'. Exit 2 before anything is
    opened: -m external without --matte-in, --matte-in with -m framediff,
    the matte and the input both from stdin, an output (-o or --matte) that
    would replace a file of the matte."""
    disk_test_media()
    os.mkdir("small")
    make_disk_matte("small/%03d.png", size=(32, 24))
    os.mkdir("three")
    os.mkdir("seven")
    for i in range(1, 8):
        if i <= 3:
            shutil.copy("m/%03d.png" % i, "three/%03d.png" % i)
        shutil.copy("m/%03d.png" % min(i, 5), "seven/%03d.png" % i)
    open("notes.txt", "w").write("not a matte\n" * 20)
    run = ["-m", "external", "in/%03d.png", "-o", "out.mkv", "--matte", "rt.mkv"]
    for matte_in, mentions in (
            ("nosuch/%03d.png", ["--matte-in nosuch/%03d.png", "No such file"]),
            ("nosuch.png", ["--matte-in nosuch.png", "No such file"]),
            ("notes.txt", ["--matte-in notes.txt", "not a video file"]),
            ("small/%03d.png", ["small/%03d.png: the matte is 32x24, the input 64x48"]),
            ("three/%03d.png", ["three/%03d.png: the matte has 3 frames, the input more"]),
            ("seven/%03d.png", ["seven/%03d.png: the matte has 7 frames, the input 5"])):
        expect_error(run + ["--matte-in", matte_in], mentions)
    expect_error(["-m", "external", "in/%03d.png", "-o", "out.mkv"], ["-m external needs --matte-in FILE"], rc=2)
    expect_error(["-m", "framediff", "--matte-in", "m/%03d.png", "in/%03d.png", "-o", "out.mkv"],
                 ["--matte-in", "only for -m external", "framediff"], rc=2)
    expect_error(["-m", "external", "--matte-in", "-", "-", "-o", "out.mkv"],
                 ["--matte-in -", "stdin already"], rc=2)
    for args, mentions in ((["-o", "m/%03d.png"], ["-o m/%03d.png", "matte given to --matte-in"]),
                           (["-o", "out.mkv", "--matte", "m/002.png"],
                            ["--matte m/002.png", "matte given to --matte-in (m/%03d.png)"])):
        before = digests(["m/%03d.png" % i for i in range(1, 6)])
        expect_error(["-m", "external", "--matte-in", "m/%03d.png", "in/%03d.png"] + args, mentions, rc=2)
        check(digests(["m/%03d.png" % i for i in range(1, 6)]) == before, "the matte was changed")


@test
def external_matte_still():
    """One picture as --matte-in is the matte of every frame: a 5-frame
    input gives 5 outputs, each red where the picture's matte is 255 and
    green where it is 0 (the scene is the same picture five times), and
    --matte writes the picture back for every frame; also with --threads 1
    (no decoding ahead). A picture of another size is refused as a
    sequence is."""
    disk_test_media(soft=False)
    still = read_png("m/001.png")
    os.mkdir("same")
    for i in range(1, 6):
        shutil.copy("in/001.png", "same/%03d.png" % i)
    shutil.copy("m/001.png", "still.png")
    for tag, extra in (("a", []), ("b", ["--threads", "1"])):
        os.mkdir(tag)
        os.mkdir(tag + "_m")
        backdrop_ok(*(["-m", "external", "--matte-in", "still.png", "-b", "green", "same/%03d.png",
                       "-o", tag + "/%03d.png", "--matte", tag + "_m/%03d.png"] + extra))
        check(listing(tag) == numbered("%03d.png", 5), "%s: outputs %s" % (tag, listing(tag)))
        for i, n in enumerate(listing(tag)):
            out = read_png(os.path.join(tag, n))
            assert_colour(out[still == 255], RED, 0, "%s frame %d inside" % (tag, i + 1))
            assert_colour(out[still == 0], GREEN, 0, "%s frame %d outside" % (tag, i + 1))
        check(np.array_equal(mattes(tag + "_m"), np.stack([still] * 5)), "%s: round trip differs" % tag)
    ffmpeg("-i", "still.png", "-vf", "scale=32:24", "small.png")
    expect_error(["-m", "external", "--matte-in", "small.png", "same/%03d.png", "-o", "x.mkv"],
                 ["small.png: the matte is 32x24, the input 64x48"])


@test
def external_matte_grey_video():
    """The matte as a video: FFV1 gray gives the PNG sequence's matte bit
    for bit (the round trip through --matte); FFV1 yuv420p (limited range,
    16..235) is expanded back to 0..255, exact at 0 and 255 and within one
    level between; an RGB PNG sequence of the grey matte is taken by its
    luma, exactly. Each composite is red at 255 and green at 0."""
    scene, m = disk_test_media()
    make_disk_matte("gray.mkv")
    ffmpeg("-i", "gray.mkv", "-c:v", "ffv1", "-pix_fmt", "yuv420p", "yuv.mkv")
    yuv = stream_of("yuv.mkv", "video")
    check(yuv["pix_fmt"] == "yuv420p" and yuv.get("color_range") in (None, "tv", "unknown"),
          "test media: yuv.mkv is %s, range %s" % (yuv["pix_fmt"], yuv.get("color_range")))
    raw = np.frombuffer(ffmpeg("-i", "yuv.mkv", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"), np.uint8)
    luma = raw.reshape(DISK_FRAMES, -1)[:, :DISK_SIZE[0] * DISK_SIZE[1]]
    check((luma.min(), luma.max()) == (16, 235), "test media: yuv.mkv's luma spans %d..%d, not 16..235"
          % (luma.min(), luma.max()))
    os.mkdir("colour")
    ffmpeg("-i", "m/%03d.png", "-pix_fmt", "rgb24", "colour/%03d.png")
    check(read_png("colour/001.png").ndim == 3, "test media: colour/001.png is not RGB")
    for tag, matte_in, tol in (("gray", "gray.mkv", 0), ("yuv", "yuv.mkv", 1), ("rgb", "colour/%03d.png", 0)):
        os.mkdir(tag)
        os.mkdir(tag + "_out")
        backdrop_ok("-m", "external", "--matte-in", matte_in, "-b", "green", "in/%03d.png",
                    "-o", tag + "_out/%03d.png", "--matte", tag + "/%03d.png")
        got = mattes(tag).astype(int)
        check(got.shape == m.shape, "%s: mattes of shape %s" % (tag, got.shape))
        d = np.abs(got - m)
        check(d.max() <= tol, "%s: the matte differs from the PNG one by up to %d (allowed %d)" % (tag, d.max(), tol))
        check(np.array_equal(got[m == 0], m[m == 0]) and np.array_equal(got[m == 255], m[m == 255]),
              "%s: 0 and 255 did not come back exactly" % tag)
        out = np.stack([read_png(os.path.join(tag + "_out", n)) for n in listing(tag + "_out")])
        assert_colour(out[m == 255], RED, 0, "%s: output where the matte is 255" % tag)
        assert_colour(out[m == 0], GREEN, 0, "%s: output where the matte is 0" % tag)


@test
def external_matte_rotated_input():
    """A clip stored 64x48 with a display matrix (rotation -90): the matte
    is taken in the stored orientation (64x48, as the frames are decoded),
    comes back unchanged through --matte, and the output keeps the matrix;
    a matte of the upright size (48x64) is refused as of another size."""
    os.mkdir("in")
    make_disk_scene("in/%03d.png")
    ffmpeg("-i", "in/%03d.png", "-c:v", "libx264", "-qp", 0, "-pix_fmt", "yuv420p", "plain.mp4")
    ffmpeg("-i", "plain.mp4", "-c", "copy", "-metadata:s:v:0", "rotate=270", "turned.mp4")
    check(rotation_of("turned.mp4") == -90, "test media: rotation %s" % rotation_of("turned.mp4"))
    os.mkdir("m")
    make_disk_matte("m/%03d.png")
    os.mkdir("rt")
    backdrop_ok("-m", "external", "--matte-in", "m/%03d.png", "-b", "green", "turned.mp4", "-o", "out.mp4",
                "--matte", "rt/%03d.png")
    check(np.array_equal(mattes("rt"), mattes("m")), "the matte of rotated video came back changed")
    check(rotation_of("out.mp4") == -90, "output rotation %s" % rotation_of("out.mp4"))
    os.mkdir("upright")
    for i in range(1, 6):
        cv2_write = read_png("m/%03d.png" % i)
        write_grey("upright/%03d.png" % i, np.rot90(cv2_write, k=-1))
    expect_error(["-m", "external", "--matte-in", "upright/%03d.png", "turned.mp4", "-o", "x.mp4"],
                 ["upright/%03d.png: the matte is 48x64, the input 64x48"])


def write_grey(path, img):
    import cv2  # pylint: disable=import-outside-toplevel
    check(cv2.imwrite(path, np.ascontiguousarray(img)), "cannot write %s" % path)


# --------------------------------------------------------------------------
# 15. The kinds of -b: blur, transparent, and video backgrounds

def colour_clip(path, rate, frames, size="64x48"):
    """A lossless RGB clip (FFV1, planar GBR: decoded to RGB24 exactly) whose
    frame N is one solid colour, different for every N < 28."""
    graph = ("color=black:s=%s:r=%d,format=gbrp,geq=r='mod(N*20\\,256)':g='255-N*9':b='mod(N*37\\,256)'"
             % (size, rate))
    ffmpeg(*(lavfi(graph) + ["-frames:v", frames, "-c:v", "ffv1", "-pix_fmt", "gbrp", path]))


def grey_clip(path, rate, frames, pix_fmt="gbrp", size="64x48"):
    """A lossless clip of identical grey frames: under framediff every frame
    after the first equals the one before, so the matte is 0 everywhere and
    the output is the background alone."""
    ffmpeg(*(lavfi("color=gray:s=%s:r=%d" % (size, rate))
             + ["-frames:v", frames, "-c:v", "ffv1", "-pix_fmt", pix_fmt, path]))


def solid_colours(path, width, height):
    """The one colour of every frame of a colour_clip, decoded by ffmpeg."""
    frames = decode_frames(path, width, height, "rgb24")
    for i, f in enumerate(frames):
        check(np.all(f == f[0, 0]), "test media: %s frame %d is not one colour" % (path, i))
    return frames[:, 0, 0].astype(int)


def check_background_sequence(out_dir, colours, expected, tol, what):
    """Output frame i (out_dir/%03d.png) is colour colours[expected[i]]
    everywhere (within tol), and closer to it than to any other frame's."""
    names = listing(out_dir)
    check(names == numbered("%03d.png", len(expected)), "%s: outputs %s" % (what, names))
    for i, name in enumerate(names):
        out = read_png(os.path.join(out_dir, name)).astype(int)
        want = expected[i]
        diff = np.abs(out - colours[want]).max()
        mean = out.reshape(-1, 3).mean(axis=0)
        nearest = int(np.argmin(np.abs(colours - mean).sum(axis=1)))
        check(diff <= tol and nearest == want,
              "%s: output frame %d should show background frame %d %s (within %d), shows %s "
              "(nearest background frame %d, max difference %d)"
              % (what, i, want, list(colours[want]), tol, list(out[0, 0]), nearest, diff))


@test
def videobg_time_aligned():
    """-b with a video: a 10 fps background of 10 solid colours (1 s) under a
    25 fps input of 40 frames (1.6 s, so the background loops once): output
    frame i, at t = i / 25 s, shows background frame floor((t mod 1) * 10),
    the last one whose time is <= t mod the background's duration: each
    background frame 2 or 3 times, and frame 0 again at 1.0 s. Everything is
    RGB and lossless and the picture is the frame's size, so the pixels are
    exact. The same with --threads 1 (no decode-ahead thread)."""
    colour_clip("bg.mkv", 10, 10)
    grey_clip("in.mkv", 25, 40)
    colours = solid_colours("bg.mkv", 64, 48)
    expected = [(40 * i % 1000) // 100 for i in range(40)]
    os.mkdir("out")
    backdrop_ok("-m", "framediff", "-b", "bg.mkv", "in.mkv", "-o", "out/%03d.png")
    check_background_sequence("out", colours, expected, 0, "10 fps under 25 fps")
    os.mkdir("one")
    backdrop_ok("-m", "framediff", "--threads", "1", "-b", "bg.mkv", "in.mkv", "-o", "one/%03d.png")
    check_background_sequence("one", colours, expected, 0, "--threads 1")


@test
def videobg_higher_rate_yuv():
    """A 50 fps background of 25 colours (0.5 s) under a 25 fps input of 40
    frames (1.6 s): every other background frame is dropped (frame i shows
    background frame 2i mod 25) and it loops three times. The background is
    32x24, of the frame's aspect ratio, so scaled 2x on its decoding thread
    (swscale; solid colours stay solid), and the input is
    YUV 4:2:0, so each colour is converted to limited-range YUV (the
    library) and back to RGB for the PNG (swscale), each step rounding:
    within 3 levels (neighbouring frames differ by 9 or more in green), and
    nearest to the right frame's colour."""
    colour_clip("bg.mkv", 50, 25, size="32x24")
    grey_clip("in.mkv", 25, 40, pix_fmt="yuv420p")
    colours = solid_colours("bg.mkv", 32, 24)
    expected = [(40 * i % 500) // 20 for i in range(40)]
    os.mkdir("out")
    backdrop_ok("-m", "framediff", "-b", "bg.mkv", "in.mkv", "-o", "out/%03d.png")
    check_background_sequence("out", colours, expected, 3, "50 fps under 25 fps")


@test
def videobg_fit_contain():
    """A background video of another aspect ratio is fitted by the library
    for every new frame: 48x48 colours (10 fps) under 64x48 RGB frames (25
    fps) with --fit contain show unscaled in columns 8-55, between bars of
    the background colour (black); the colour follows time as always."""
    colour_clip("bg.mkv", 10, 10, size="48x48")
    grey_clip("in.mkv", 25, 12)
    colours = solid_colours("bg.mkv", 48, 48)
    os.mkdir("out")
    backdrop_ok("-m", "framediff", "--fit", "contain", "-b", "bg.mkv", "in.mkv", "-o", "out/%03d.png")
    check(listing("out") == numbered("%03d.png", 12), "outputs: %s" % listing("out"))
    for i, name in enumerate(listing("out")):
        out = read_png("out/" + name).astype(int)
        want = colours[(40 * i) // 100]
        assert_colour(out[:, 8:56], want, 0, "%s picture (background frame %d)" % (name, (40 * i) // 100))
        assert_colour(out[:, :8], (0, 0, 0), 0, "%s left bar" % name)
        assert_colour(out[:, 56:], (0, 0, 0), 0, "%s right bar" % name)


@test
def videobg_sequence_input():
    """An image sequence as input has no container timestamps of its own: its
    frames are timed by index / frame rate (25 by default, 10 with
    -framerate given to ffmpeg's demuxer is not ours to set). Under it, the
    10 fps background advances one frame every 2.5 input frames, and an
    animated background given as a PNG sequence loops too."""
    colour_clip("bg.mkv", 10, 6)
    os.mkdir("in")
    os.mkdir("bgseq")
    ffmpeg(*(lavfi("color=gray:s=64x48:r=25") + ["-frames:v", 20, "-pix_fmt", "rgb24", "in/%03d.png"]))
    ffmpeg("-i", "bg.mkv", "-pix_fmt", "rgb24", "bgseq/%03d.png")
    colours = solid_colours("bg.mkv", 64, 48)
    expected = [(40 * i % 600) // 100 for i in range(20)]
    os.mkdir("out")
    backdrop_ok("-m", "framediff", "-b", "bg.mkv", "in/%03d.png", "-o", "out/%03d.png")
    check_background_sequence("out", colours, expected, 0, "video under a sequence")
    # A sequence background runs at the image demuxer's 25 fps: 6 frames, 0.24 s.
    os.mkdir("out2")
    backdrop_ok("-m", "framediff", "-b", "bgseq/%03d.png", "in/%03d.png", "-o", "out2/%03d.png")
    check_background_sequence("out2", colours, [i % 6 for i in range(20)], 0, "sequence under a sequence")


@test
def videobg_loop_reopen():
    """A background the demuxer cannot seek back in (a raw H.264 stream) is
    opened again at its end instead: under 40 frames at 25 fps its 10 grey
    levels at 10 fps show exactly as the same stream in MP4 (which seeks),
    frame for frame, loop included (output 25, at 1.0 s, is background frame
    0 again)."""
    graph = "color=black:s=64x48:r=10,format=yuv420p,geq=lum='16+N*20':cb=128:cr=128"
    ffmpeg(*(lavfi(graph) + ["-frames:v", 10, "-c:v", "libx264", "-qp", 0, "bg.mp4"]))
    ffmpeg("-i", "bg.mp4", "-c", "copy", "-bsf:v", "h264_mp4toannexb", "bg.h264")
    grey_clip("in.mkv", 25, 40)
    for name in ("bg.mp4", "bg.h264"):
        os.mkdir(name + ".out")
        backdrop_ok("-m", "framediff", "-b", name, "in.mkv", "-o", name + ".out/%03d.png")
    seek = np.stack([read_png("bg.mp4.out/" + n) for n in listing("bg.mp4.out")])
    reopen = np.stack([read_png("bg.h264.out/" + n) for n in listing("bg.h264.out")])
    check(seek.shape == reopen.shape == (40, 48, 64, 3), "outputs %s and %s" % (seek.shape, reopen.shape))
    levels = [int(f[0, 0, 1]) for f in seek]
    check(len(set(levels)) == 10 and levels[25] == levels[0] and levels[24] != levels[0],
          "the MP4 background does not step through its 10 levels and loop at 1.0 s: %s" % levels)
    for i in range(40):
        check(np.array_equal(seek[i], reopen[i]), "frame %d: raw H.264 (opened again) shows %s, MP4 (seek) %s"
              % (i, list(reopen[i][0, 0]), list(seek[i][0, 0])))


@test
def videobg_single_frame():
    """A video of one frame is a still: it shows under every frame (and is
    not decoded again per loop)."""
    colour_clip("one.mkv", 10, 1)
    grey_clip("in.mkv", 25, 12)
    colours = solid_colours("one.mkv", 64, 48)
    os.mkdir("out")
    backdrop_ok("-m", "framediff", "-b", "one.mkv", "in.mkv", "-o", "out/%03d.png")
    check_background_sequence("out", colours, [0] * 12, 0, "one-frame video")


@test
def videobg_errors():
    """A video background that cannot be used: exit 1, one line naming the
    file, nothing written (the outputs are removed when it fails mid-run):
    missing; not media; audio only (no video stream); every packet corrupt
    (no frame decodable); and corrupt from its middle on with --on-error
    stop, which fails when the run reaches the damage (after the first
    frames were written to the output's temporary file). With the default
    --on-error skip the damaged frames are skipped and the run succeeds."""
    grey_clip("in.mkv", 25, 30)
    # FFV1 with slice checksums: damage is detected, not decoded as pixels.
    ffmpeg(*(lavfi("testsrc2=s=64x48:r=10") + ["-frames:v", 10, "-c:v", "ffv1", "-slicecrc", 1, "bg.mkv"]))
    data = open("bg.mkv", "rb").read()
    cluster = data.find(bytes.fromhex("1F43B675"))  # Matroska's first cluster
    check(cluster > 0, "test media: no cluster in bg.mkv")

    def damaged(name, start):
        b = bytearray(data)
        for k in range(start, len(b) - 200):
            b[k] ^= 0x5A
        open(name, "wb").write(bytes(b))

    damaged("none.mkv", cluster + 64)
    damaged("half.mkv", cluster + (len(data) - cluster) // 2)
    with open("text.mp4", "w") as f:
        f.write("not a video\n")
    ffmpeg(*(lavfi("sine=d=0.5") + ["audio.mkv"]))
    os.mkdir("out")
    for name, mentions in (("missing.mp4", ["No such file"]), ("text.mp4", ["not a picture or video"]),
                           ("audio.mkv", ["no picture or video in it"]),
                           ("none.mkv", ["no video frame could be decoded"])):
        expect_error(["-m", "framediff", "-b", name, "in.mkv", "-o", "out/x.mkv"],
                     ["background " + name] + mentions)
    expect_error(["-m", "framediff", "--on-error", "stop", "-b", "half.mkv", "in.mkv", "-o", "out/x.mkv"],
                     ["background half.mkv", "corrupt video data at frame"])
    backdrop_ok("-m", "framediff", "-b", "half.mkv", "in.mkv", "-o", "out/x.mkv")
    check(frame_count("out/x.mkv") == 30, "with --on-error skip: %d frames" % frame_count("out/x.mkv"))


@test
def background_blur_kinds():
    """-b blur and -b blur:STRENGTH select the library's blur background
    (option background = blur, blur.strength = STRENGTH). On a uniform
    frame the blurred frame is that colour: the output equals the input
    exactly, not the default black. On a still frame of black and white
    halves (framediff: all background from the second frame on) the
    band of mixed columns around the edge widens with the strength, and
    blur:0 is the automatic strength, exactly as plain blur."""
    ffmpeg(*(lavfi("color=c=0x3070a0:s=64x48:r=25") + ["-frames:v", 4, "-c:v", "ffv1", "-pix_fmt", "gbrp",
                                                      "uni.mkv"]))
    colour = tuple(int(v) for v in decode_frames("uni.mkv", 64, 48, "rgb24")[0, 0, 0])
    for spec in ("blur", "blur:8"):
        out = "uni_%s" % spec.replace(":", "_")
        os.mkdir(out)
        backdrop_ok("-m", "framediff", "-b", spec, "uni.mkv", "-o", out + "/%03d.png")
        for name in listing(out):
            assert_colour(read_png(out + "/" + name), colour, 0, "%s: %s" % (spec, name))
    graph = "nullsrc=s=96x48:r=25,format=gray,geq=lum='if(lt(X\\,48)\\,0\\,255)',format=gbrp"
    ffmpeg(*(lavfi(graph) + ["-frames:v", 3, "-c:v", "ffv1", "-pix_fmt", "gbrp", "halves.mkv"]))
    bands, last = {}, {}
    for spec in ("blur", "blur:0", "blur:3", "blur:12"):
        out = "h_%s" % spec.replace(":", "_")
        os.mkdir(out)
        backdrop_ok("-m", "framediff", "-b", spec, "halves.mkv", "-o", out + "/%03d.png")
        frame = read_png(out + "/003.png").astype(int)
        row = frame[24, :, 0]
        bands[spec] = int(np.count_nonzero((row > 2) & (row < 253)))
        last[spec] = frame
    check(np.array_equal(last["blur"], last["blur:0"]), "blur:0 differs from the automatic blur")
    check(0 < bands["blur:3"] < bands["blur:12"], "mixed columns around the edge: %s, expected more for "
          "a stronger blur" % bands)


@test
def background_transparent_kind():
    """-b transparent selects the library's transparent background (option
    background = transparent), not a file of that name: the library either
    writes the frame with the matte as alpha (an output that holds alpha)
    or refuses an output without alpha, naming alpha. It is never opened
    as a file."""
    grey_clip("in.mkv", 25, 3)
    os.mkdir("out")
    r = backdrop("-m", "framediff", "-b", "transparent", "in.mkv", "-o", "out/%03d.png")
    check("No such file" not in r.err and "cannot read" not in r.err,
          "transparent was taken for a file\n" + r.describe())
    if r.rc != 0:
        check("alpha" in r.err, "transparent refused without naming alpha\n" + r.describe())
        return
    import cv2  # pylint: disable=import-outside-toplevel
    img = cv2.imread("out/003.png", cv2.IMREAD_UNCHANGED)
    check(img is not None and img.ndim == 3 and img.shape[2] == 4, "out/003.png has no alpha channel")
    check(int(img[:, :, 3].max()) == 0, "all-background frame: alpha should be 0 everywhere")


@test
def background_kind_errors():
    """Bad kinds are command-line errors (exit 2, one line, before anything
    is opened: the missing input is never reached): a strength that is not
    a number, negative, too large or empty names the valid range. A file
    called "blur" does not change what -b blur means; ./blur names it."""
    for spec in ("blur:abc", "blur:-3", "blur:1001", "blur:", "blur:nan"):
        expect_error(["-m", "framediff", "-b", spec, "missing.mkv", "-o", "x.mkv"],
                     ["-b " + spec, "blur strength", "from 0 to 1000"], rc=2)
    ffmpeg(*(lavfi("color=c=0x3070a0:s=64x48:r=25") + ["-frames:v", 3, "-c:v", "ffv1", "-pix_fmt", "gbrp",
                                                      "uni.mkv"]))
    ffmpeg(*(lavfi("color=c=red:s=64x48") + ["-frames:v", 1, "-f", "image2", "-c:v", "png", "-pix_fmt", "rgb24",
                                            "blur"]))
    os.mkdir("a")
    os.mkdir("b")
    backdrop_ok("-m", "framediff", "-b", "blur", "uni.mkv", "-o", "a/%03d.png")
    backdrop_ok("-m", "framediff", "-b", "./blur", "uni.mkv", "-o", "b/%03d.png")
    colour = tuple(int(v) for v in decode_frames("uni.mkv", 64, 48, "rgb24")[0, 0, 0])
    assert_colour(read_png("a/003.png"), colour, 0, "-b blur with a file called blur")
    check(np.array_equal(read_png("b/003.png"), read_png("blur")), "-b ./blur does not show the picture")


# ---- 16. Views

@test
def view_side_by_side():
    """--view side-by-side: input | matte | result in one frame, each panel the
    input's width rounded up to even (95 -> 96; the odd column is black). A
    framediff square clip (binary matte known exactly): the left panel is the
    input, the middle the matte as grey, the right exactly what a run without
    the view writes; --matte beside it is unchanged."""
    make_binary_clip("square.mkv", "95x64", "if(between(X,8+8*N,23+8*N)*between(Y,24,39),255,0)", 6)
    luma, expected = expected_masks("square.mkv", 95, 64)
    for d in ("plain", "view", "m"):
        os.mkdir(d)
    backdrop_ok("-m", "framediff", "-b", "#0000ff", "square.mkv", "-o", "plain/%02d.png")
    backdrop_ok("-m", "framediff", "-b", "#0000ff", "--view", "side-by-side", "square.mkv", "-o", "view/%02d.png",
                "--matte", "m/%02d.png")
    check(listing("view") == numbered("%02d.png", 6), "view frames: %s" % listing("view"))
    for i in range(6):
        name = "%02d.png" % (i + 1)
        v = read_png("view/" + name).astype(int)
        check(v.shape == (64, 3 * 96, 3), "%s: view of shape %s, expected (64, 288, 3)" % (name, v.shape))
        left, middle, right = v[:, 0:95], v[:, 96:191], v[:, 192:287]
        d = np.abs(left - luma[i][:, :, None]).max()
        check(d <= 2, "%s: the input panel differs from the input by %d" % (name, d))
        d = np.abs(middle - expected[i][:, :, None].astype(int)).max()
        check(d <= 2, "%s: the matte panel differs from the matte by %d" % (name, d))
        plain = read_png("plain/" + name).astype(int)
        check(np.array_equal(right, plain), "%s: the result panel differs from the plain run in %d values"
              % (name, np.count_nonzero(right != plain)))
        # The gap columns are black luma; their chroma is the neighbouring
        # panel's (4:2:0 pairs them), neutral for the input and the matte.
        for x in (95, 191):
            check(v[:, x].max() <= 2, "%s: gap column %d is not black (max %d)" % (name, x, v[:, x].max()))
        matte = read_png("m/" + name)
        check(np.array_equal(matte, expected[i]), "m/%s: the matte output changed with the view" % name)
    expect_error(["-m", "framediff", "--view", "sideways", "square.mkv", "-o", "null"],
                 ["--view", "sideways", "output|side-by-side"], rc=2)
    expect_error(["-m", "framediff", "--view", "side-by-side", "-b", "transparent", "square.mkv", "-o", "t.mov"],
                 ["--view side-by-side", "-b transparent"], rc=2)


# ---- 17. Live: --realtime (a file paced as a camera; issue 12)

def live_clip(path, frames=50, rate=25):
    """A lossless clip whose frame N shows N as a grey level (5 N, N < 52),
    so that an output frame names the input frame it came from, and
    framediff (threshold 3) sees every frame change."""
    graph = "nullsrc=s=64x48:r=%d,format=gray,geq=lum='5*N',format=yuv420p" % rate
    ffmpeg(*(lavfi(graph) + ["-frames:v", frames, "-c:v", "ffv1", path]))


def live_stats(path):
    with open(path) as f:
        stats = json.load(f)
    for key in ("latency_ms", "dropped", "cpu_seconds"):
        check(key in stats, "--stats has no %r: %s" % (key, stats))
    check(set(stats["latency_ms"]) == {"p50", "p99"}, "latency_ms: %s" % stats["latency_ms"])
    return stats


def frame_levels(path):
    """The grey level / 5 of each frame of path as stored (no frame rate
    conversion: a live output has gaps), and their pts. framediff shows its
    first frame as background (black), so it is left out of both lists."""
    r = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-fps_mode", "passthrough", "-f", "rawvideo",
                        "-pix_fmt", "gray", "-"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    check(r.returncode == 0, "ffmpeg cannot decode %s" % path)
    luma = np.frombuffer(r.stdout, np.uint8).reshape(-1, 48, 64)
    info = ffprobe_json(path, "-select_streams", "v:0", "-show_entries", "frame=pts")
    pts = [int(f["pts"]) for f in info["frames"]]
    check(len(pts) == len(luma), "%d frames decoded, %d listed" % (len(luma), len(pts)))
    return [int(round(f.mean() / 5)) for f in luma][1:], pts[1:]


@test
def live_realtime_paced():
    """--realtime paces a 2-second 25 fps file at its timestamps (the run
    cannot be shorter than the clip; unpaced it takes a fraction of it),
    and with fast processing takes every frame in order: the accounting
    frames + dropped = 50 holds, --stats gets latency p50 <= p99, dropped
    and a positive CPU time, and the output has no audio."""
    live_clip("in.mkv")
    ffmpeg("-i", "in.mkv", *(lavfi("sine=d=2") + ["-c:v", "copy", "-c:a", "flac", "-shortest", "av.mkv"]))
    start = time.monotonic()
    backdrop_ok("-m", "framediff", "--realtime", "av.mkv", "-o", "out.mkv", "--stats", "s.json")
    wall = time.monotonic() - start
    check(wall >= 1.7, "a 2-second clip ran live in %.2f s: not paced" % wall)
    stats = live_stats("s.json")
    check(stats["frames"] + stats["dropped"] == 50, "frames %d + dropped %d != 50" % (stats["frames"],
                                                                                    stats["dropped"]))
    check(stats["frames"] >= 40, "only %d of 50 frames processed with fast processing" % stats["frames"])
    check(0 < stats["latency_ms"]["p50"] <= stats["latency_ms"]["p99"], "latency %s" % stats["latency_ms"])
    check(stats["cpu_seconds"] > 0, "cpu_seconds %s" % stats["cpu_seconds"])
    levels, pts = frame_levels("out.mkv")
    check(levels == sorted(levels) and len(set(levels)) == len(levels), "frames out of order: %s" % levels)
    check(all(a < b for a, b in zip(pts, pts[1:])), "timestamps not increasing: %s" % pts)
    check(stream_of("out.mkv", "audio") is None, "a live output carries audio")


@test
def live_drops_when_slow():
    """Processing slower than the input (the test hook
    BACKDROP_TEST_PROCESS_DELAY_MS=100 against 40 ms a frame): the newest
    frame is always the one processed and the others are dropped, not
    queued: about a third of the frames come out, each the input frame of
    its own timestamp, in order, with gaps; frames + dropped = 50; the
    latency includes the slow processing (p50 >= 100 ms) but stays bounded
    (p99 under a second: nothing waits behind a queue)."""
    live_clip("in.mkv")
    r = backdrop("-m", "framediff", "--realtime", "in.mkv", "-o", "out.mkv", "--stats", "s.json",
                 env={"BACKDROP_TEST_PROCESS_DELAY_MS": "100"})
    check(r.rc == 0, r.describe())
    stats = live_stats("s.json")
    check(stats["frames"] + stats["dropped"] == 50, "frames %d + dropped %d != 50" % (stats["frames"],
                                                                                    stats["dropped"]))
    check(10 <= stats["frames"] <= 30 and stats["dropped"] >= 20, "frames %d, dropped %d: expected about a "
          "third processed" % (stats["frames"], stats["dropped"]))
    check(100 <= stats["latency_ms"]["p50"] <= stats["latency_ms"]["p99"] < 1000, "latency %s"
          % stats["latency_ms"])
    levels, pts = frame_levels("out.mkv")
    check(len(levels) + 1 == stats["frames"], "%d output frames, stats say %d" % (len(levels) + 1,
                                                                                  stats["frames"]))
    check(all(a < b for a, b in zip(levels, levels[1:])), "frames out of order: %s" % levels)
    check(max(b - a for a, b in zip(levels, levels[1:])) >= 2, "no frame was skipped: %s" % levels)
    # Each output frame is the input frame of its timestamp (25 fps, ms).
    tb = ffprobe_json("out.mkv", "-select_streams", "v:0", "-show_entries", "stream=time_base")
    num, den = (int(x) for x in tb["streams"][0]["time_base"].split("/"))
    for level, p in zip(levels, pts):
        check(abs(p * num / den - level / 25.0) < 0.02, "frame showing input %d has time %.3f s"
              % (level, p * num / den))


@test
def live_steady_rate():
    """A virtual camera (here null, which stands in for one) is kept at a
    steady rate: with processing at 100 ms a frame against 40 ms of input,
    the last frame is repeated whenever 1.5 frame periods (60 ms) pass
    without one, so the longest gap on the output stays near 60 ms instead
    of the 100 ms the processing takes, and the repeats are counted. An
    output with timestamps (a file) is not paced: no "repeated" key. On
    time, nothing is repeated (a few at most, for a loaded machine)."""
    live_clip("in.mkv")
    slow = {"BACKDROP_TEST_PROCESS_DELAY_MS": "100"}
    r = backdrop("-m", "framediff", "--realtime", "in.mkv", "-o", "null", "--stats", "s.json", env=slow)
    check(r.rc == 0, r.describe())
    stats = live_stats("s.json")
    check(stats["repeated"] >= 8, "only %d frames repeated while processing was late" % stats["repeated"])
    check(55 <= stats["max_gap_ms"] <= 90, "longest gap %.1f ms: expected about 60 (1.5 frame periods)"
          % stats["max_gap_ms"])
    check(stats["frames"] + stats["repeated"] >= 35, "%d frames + %d repeated in 2 s of 25 fps: not steady"
          % (stats["frames"], stats["repeated"]))
    r = backdrop("-m", "framediff", "--realtime", "in.mkv", "-o", "out.mkv", "--stats", "f.json", env=slow)
    check(r.rc == 0, r.describe())
    check("repeated" not in live_stats("f.json"), "a file output was paced")
    r = backdrop("-m", "framediff", "--realtime", "in.mkv", "-o", "null", "--stats", "t.json")
    check(r.rc == 0, r.describe())
    stats = live_stats("t.json")
    check(stats["repeated"] <= 5 and stats["frames"] == 50, "on time: %d frames, %d repeated"
          % (stats["frames"], stats["repeated"]))


@test
def live_errors():
    """--realtime with --matte-in is refused (dropped frames would take
    the matte out of step); --realtime takes no value; --control needs the
    live loop."""
    live_clip("in.mkv", frames=5)
    os.mkdir("m")
    ffmpeg(*(lavfi("color=c=white:s=64x48:r=25") + ["-frames:v", 5, "m/%02d.png"]))
    expect_error(["-m", "external", "--matte-in", "m/%02d.png", "--realtime", "in.mkv", "-o", "null"],
                 ["--realtime", "--matte-in"], rc=2)
    expect_error(["-m", "framediff", "--realtime=1", "in.mkv", "-o", "null"], ["--realtime takes no value"], rc=2)
    expect_error(["-m", "framediff", "--control", "c.sock", "in.mkv", "-o", "null"], ["--control", "--realtime"],
                 rc=2)


def wait_for_socket(path):
    """Waits up to 5 s for a live run's control socket."""
    for _ in range(100):
        if os.path.exists(path):
            break
        time.sleep(0.05)
    check(os.path.exists(path), "no control socket after 5 s")


def ctl(*words, sock="ctl.sock"):
    """backdrop ctl SOCK WORDS...: (exit status, stdout, stderr), stripped."""
    r = subprocess.run([os.environ["BACKDROP"], "ctl", sock] + list(words), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    return r.returncode, r.stdout.decode().strip(), r.stderr.decode().strip()


class LiveRun:
    """A backdrop run in the background (the live tests talk to it while it
    runs): killed on the way out if it is still running; wait() gives its
    exit status and stderr."""
    def __init__(self, *args, env=None, stdin=None):
        self.proc = subprocess.Popen([os.environ["BACKDROP"]] + list(args), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=dict(os.environ, **env) if env else None,
                                     stdin=subprocess.PIPE if stdin else None)
        if stdin:
            self.proc.stdin.write(stdin)
            self.proc.stdin.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def wait(self):
        rc = self.proc.wait(timeout=30)
        return rc, self.proc.stderr.read().decode()


@test
def live_control_socket():
    """--control: commands reach a live run between frames. A still grey
    scene (framediff: all background) over blue; mid-run `set background
    red`, `pause` (frames pass through unchanged: grey), `stats` (JSON,
    paused), `resume`, a refused value (an error line, exit 1 from
    backdrop ctl, the run goes on), `quit` (the run ends early, exit 0).
    The output's frames show the phases in order: blue, red, grey, red;
    the socket file is gone afterwards."""
    ffmpeg(*(lavfi("color=c=gray:s=64x48:r=25") + ["-frames:v", 250, "-c:v", "ffv1", "still.mkv"]))
    with LiveRun("-q", "-m", "framediff", "--realtime", "-b", "blue", "--control", "ctl.sock", "still.mkv", "-o",
                 "out.mkv") as run:
        wait_for_socket("ctl.sock")
        time.sleep(0.4)

        check(ctl("set", "background", "red") == (0, "ok", ""), "set background red")
        time.sleep(0.4)
        check(ctl("pause") == (0, "ok", ""), "pause")
        time.sleep(0.4)
        rc, out, _ = ctl("stats")
        check(rc == 0, "stats exit %d" % rc)
        stats = json.loads(out)
        check(stats["paused"] is True and stats["frames"] > 0, "stats %s" % stats)
        check(ctl("resume") == (0, "ok", ""), "resume")
        rc, _, err = ctl("set", "blur", "abc")
        check(rc == 1 and err.startswith("error: ") and "abc" in err, "set blur abc: exit %d, %r" % (rc, err))
        time.sleep(0.4)
        check(ctl("quit") == (0, "ok", ""), "quit")
        rc, err = run.wait()
    check(rc == 0, "the run ended with %d: %s" % (rc, err))
    check(not os.path.exists("ctl.sock"), "the socket file is left behind")
    rgb = decode_frames("out.mkv", 64, 48, "rgb24").reshape(-1, 48, 64, 3).astype(int)
    def phase(f):
        """The nearest of the three colours (the YUV round trip moves pure
        blue most), if the frame is near one at all."""
        m = f.reshape(-1, 3).mean(axis=0)
        named = (("blue", (0, 0, 255)), ("red", (255, 0, 0)), ("grey", (128, 128, 128)))
        d, name = min((np.abs(m - c).max(), n) for n, c in named)
        return name if d < 90 else "other %s" % m
    runs = []
    for f in rgb:
        p = phase(f)
        if not runs or runs[-1] != p:
            runs.append(p)
    check(runs == ["blue", "red", "grey", "red"], "phases %s, expected blue, red, grey, red" % runs)
    check(len(rgb) < 250, "quit did not end the run early (%d frames)" % len(rgb))


def paused_phases(extra, output, width, pix_fmt, phase_of):
    """A live framediff run on a still grey scene (all background) with
    pause and resume over the control socket mid-run; the phases of
    the output's frames, as phase_of names them."""
    ffmpeg(*(lavfi("color=c=gray:s=64x48:r=25") + ["-frames:v", 250, "-c:v", "ffv1", "still.mkv"]))
    with LiveRun("-q", "-m", "framediff", "--realtime", "--control", "ctl.sock", "still.mkv", "-o", output,
                 *extra) as run:
        wait_for_socket("ctl.sock")
        time.sleep(0.5)
        check(ctl("pause") == (0, "ok", ""), "pause")
        time.sleep(0.5)
        check(ctl("resume") == (0, "ok", ""), "resume")
        time.sleep(0.5)
        check(ctl("quit") == (0, "ok", ""), "quit")
        rc, err = run.wait()
    check(rc == 0, "the run ended with %d: %s" % (rc, err))
    runs = []
    for f in decode_frames(output, width, 48, pix_fmt).astype(int):
        p = phase_of(f)
        if not runs or runs[-1] != p:
            runs.append(p)
    return runs


@test
def live_pause_view_and_alpha():
    """Paused, the input goes out in the output's own geometry: with
    --view side-by-side the three panels become input | white | input
    (not the bare input, which the 192-wide output would refuse); with
    -b transparent the input goes out opaque, and the --matte output is
    white while paused."""
    def view_phase(f):
        right, middle = f[:, 128:, :].reshape(-1, 3).mean(axis=0), f[:, 64:128, :].mean()
        if middle < 20 and right[2] > 150 and right[0] < 60:
            return "matte 0, blue"
        if middle > 235 and abs(right - 128).max() < 20:
            return "matte 255, grey"
        return "other %s %s" % (middle, right)
    runs = paused_phases(["-b", "blue", "--view", "side-by-side"], "out.mkv", 192, "rgb24", view_phase)
    check(runs == ["matte 0, blue", "matte 255, grey", "matte 0, blue"], "side-by-side phases %s" % runs)

    def alpha_phase(f):
        alpha, colour = f[:, :, 3].mean(), f[:, :, :3].reshape(-1, 3).mean(axis=0)
        if alpha < 5:
            return "transparent"
        if alpha > 250 and abs(colour - 128).max() < 20:
            return "opaque grey"
        return "other %s %s" % (alpha, colour)
    runs = paused_phases(["-b", "transparent", "--matte", "m.mkv"], "alpha.mkv", 64, "rgba", alpha_phase)
    check(runs == ["transparent", "opaque grey", "transparent"], "transparent phases %s" % runs)
    mruns = []
    for f in decode_frames("m.mkv", 64, 48):
        p = "white" if f.mean() > 250 else "black" if f.mean() < 5 else "other"
        if not mruns or mruns[-1] != p:
            mruns.append(p)
    check(mruns == ["black", "white", "black"], "matte phases %s" % mruns)


@test
def live_background_transparent_again():
    """`set background transparent` on a run begun with -b transparent
    brings the transparent background back after another: the colour
    channels of the (alpha 0) background carry the input's grey again, not
    the red of the background before (which would fringe soft edges)."""
    def phase(f):
        colour = f[:, :, :3].reshape(-1, 3).mean(axis=0)
        if f[:, :, 3].mean() > 5:
            return "opaque"
        return "red" if colour[0] > 200 and colour[1] < 60 else "grey" if abs(colour - 128).max() < 20 else \
            "other %s" % colour
    grey_still("still.mkv")
    with LiveRun("-q", "-m", "framediff", "--realtime", "-b", "transparent", "--control", "ctl.sock", "still.mkv",
                 "-o", "alpha.mkv") as run:
        wait_for_socket("ctl.sock")
        for command in (["set", "background", "red"], ["set", "background", "transparent"], ["quit"]):
            time.sleep(0.5)
            check(ctl(*command) == (0, "ok", ""), " ".join(command))
        rc, err = run.wait()
    check(rc == 0, "the run ended with %d: %s" % (rc, err))
    runs = []
    for f in decode_frames("alpha.mkv", 64, 48, "rgba").astype(int):
        p = phase(f)
        if not runs or runs[-1] != p:
            runs.append(p)
    check(runs == ["grey", "red", "grey"], "phases %s, expected grey, red, grey" % runs)


@test
def selfie_live_switch_fails_keeps_old():
    """A switch that cannot complete leaves the running method as it was:
    the background came from stdin (-b -) and cannot be read again for a
    new context, so `set method selfie` is refused with that reason, stats
    still names framediff, and the output goes on over the same red
    picture to the end."""
    ffmpeg(*(lavfi("color=c=red:s=64x48") + ["-frames:v", 1, "red.png"]))
    with open("red.png", "rb") as f:
        picture = f.read()
    grey_still("still.mkv", frames=100)
    with LiveRun("-q", "-m", "framediff", "--realtime", "-b", "-", "--control", "ctl.sock", "still.mkv", "-o",
                 "out.mkv", stdin=picture) as run:
        wait_for_socket("ctl.sock")
        time.sleep(0.5)
        rc, _, err = ctl("set", "method", "selfie")
        check(rc == 1 and "stdin" in err, "set method selfie with -b -: exit %d, %r" % (rc, err))
        rc, out, _ = ctl("stats")
        check(rc == 0 and json.loads(out)["method"] == "framediff", "stats after the refused switch: %s" % out)
        rc, err = run.wait()
    check(rc == 0, "the run ended with %d: %s" % (rc, err))
    runs, count = colour_phases("out.mkv", 64, 48, (("red", (255, 0, 0)), ("grey", (128, 128, 128))))
    check(runs == ["red"] and count == 100, "phases %s over %d frames, expected red over 100" % (runs, count))


@test
def selfie_live_switch_method():
    """`set method` switches the method while running, the run going on:
    framediff on moving test bars shows the moving parts over blue; `set
    background red` and `set threshold 255` make it all red (nothing moves
    that much); selfie runs (its frames are not checked); back to framediff
    the red background and the threshold 255 a command set are kept (the
    moving parts would show again without them); `set threshold 3` brings
    them back. stats names the method; external and unknown names are
    refused and the method stays. The output's frames follow the phases,
    checked at the frame counts stats gave."""
    ffmpeg(*(lavfi("testsrc2=s=160x120:r=25") + ["-frames:v", 300, "-c:v", "ffv1", "bars.mkv"]))
    with LiveRun("-q", "-m", "framediff", "--realtime", "-b", "blue", "--control", "ctl.sock", "bars.mkv", "-o",
                 "out.mkv") as run:
        wait_for_socket("ctl.sock")

        def stats():
            rc, out, err = ctl("stats")
            check(rc == 0, "stats: exit %d %s" % (rc, err))
            return json.loads(out)

        def command(*words):
            answer = ctl(*words)
            check(answer == (0, "ok", ""), "%s: %s" % (" ".join(words), answer))
            time.sleep(0.6)
            return stats()

        time.sleep(0.8)
        marks = {"blue_moving": stats()["frames"]}
        command("set", "background", "red")
        s = command("set", "threshold", "255")
        marks["red_still_start"] = s["frames"]
        time.sleep(0.6)
        marks["red_still_end"] = stats()["frames"]
        s = command("set", "method", "selfie")
        check(s["method"] == "selfie", "stats after set method selfie: %s" % s)
        rc, _, err = ctl("set", "method", "external")
        check(rc == 1 and "--matte-in" in err, "set method external: exit %d, %r" % (rc, err))
        rc, _, err = ctl("set", "method", "nosuch")
        check(rc == 1 and "unknown method" in err, "set method nosuch: exit %d, %r" % (rc, err))
        check(stats()["method"] == "selfie", "a refused switch changed the method")
        s = command("set", "method", "framediff")
        check(s["method"] == "framediff", "stats after set method framediff: %s" % s)
        marks["replayed_start"] = s["frames"]
        time.sleep(0.6)
        marks["replayed_end"] = stats()["frames"]
        s = command("set", "threshold", "3")
        marks["red_moving"] = s["frames"] + 3
        time.sleep(0.3)
        check(ctl("quit") == (0, "ok", ""), "quit")
        rc, err = run.wait()
    check(rc == 0, "the run ended with %d: %s" % (rc, err))
    rgb = decode_frames("out.mkv", 160, 120, "rgb24").reshape(-1, 120, 160, 3).astype(int)

    def moving(f, colour):
        """The share of pixels far from the background colour."""
        return float((np.abs(f - np.array(colour)).sum(axis=2) > 90).mean())
    n = len(rgb)
    check(n > marks["red_moving"] + 5, "%d frames, marks %s" % (n, marks))
    for i in range(2, marks["blue_moving"]):
        check(moving(rgb[i], (0, 0, 255)) > 0.02, "frame %d: the moving bars are not shown over blue" % i)
    # (selfie, in between, may take a shape of the bars for a person now
    # and then: its frames are not checked.)
    for start, end in ((marks["red_still_start"], marks["red_still_end"]),
                       (marks["replayed_start"], marks["replayed_end"])):
        for i in range(start, end):
            check(moving(rgb[i], (255, 0, 0)) < 0.005, "frame %d (marks %s): not all red, %.3f moved"
                  % (i, marks, moving(rgb[i], (255, 0, 0))))
    for i in range(marks["red_moving"], n):
        check(moving(rgb[i], (255, 0, 0)) > 0.02, "frame %d: the moving bars are not shown over red" % i)


@test
def live_sighup_reload():
    """Live, SIGHUP reloads the background picture and the run goes on: a
    still grey scene (framediff: all background) over bg.png, red; bg.png
    replaced by a green picture, then SIGHUP: the output turns green; then
    SIGINT ends the run (exit 130) with both phases written."""
    ffmpeg(*(lavfi("color=c=gray:s=64x48:r=25") + ["-frames:v", 250, "-c:v", "ffv1", "still.mkv"]))
    ffmpeg(*(lavfi("color=c=red:s=64x48") + ["-frames:v", 1, "bg.png"]))
    with LiveRun("-m", "framediff", "--realtime", "-b", "bg.png", "still.mkv", "-o", "out.mkv") as run:
        time.sleep(1.0)
        ffmpeg(*(lavfi("color=c=green:s=64x48") + ["-frames:v", 1, "green.png"]))
        os.replace("green.png", "bg.png")
        run.proc.send_signal(signal.SIGHUP)
        time.sleep(1.0)
        run.proc.send_signal(signal.SIGINT)
        rc, err = run.wait()
    check(rc == 130, "exit %d after SIGHUP then SIGINT: %s" % (rc, err))
    check("background bg.png reloaded" in err, "no reload reported: %s" % err)
    rgb = decode_frames("out.mkv", 64, 48, "rgb24").astype(int)
    runs = []
    for f in rgb:
        m = f.reshape(-1, 3).mean(axis=0)
        p = "red" if m[0] > 200 and m[1] < 60 else "green" if m[1] > 80 and m[0] < 60 else "other"
        if not runs or runs[-1] != p:
            runs.append(p)
    check(runs == ["red", "green"], "phases %s, expected red then green" % runs)


# ---- 17b. The preview window (--preview, SDL2): run under SDL's dummy
# video driver (no display here; its software renderer can be read back),
# driven by the test hooks of tools/preview.h: keys pushed as SDL events
# after N frames shown, and the last frame drawn dumped as a PPM.

def need_preview():
    if os.environ.get("BACKDROP_HAS_SDL2", "1") == "0":
        raise Skip("this build has no SDL2 (-Dsdl2=disabled): no preview")


def preview_env(keys=None, dump=None, driver="dummy"):
    env = {"SDL_VIDEODRIVER": driver}
    if keys:
        env["BACKDROP_TEST_PREVIEW_KEYS"] = keys
    if dump:
        env["BACKDROP_TEST_PREVIEW_DUMP"] = dump
    return env


def read_ppm(path):
    """A binary PPM as (rgb array (h, w, 3), the comment lines' text)."""
    with open(path, "rb") as f:
        data = f.read()
    fields, comments, pos = [], [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            end = data.index(b"\n", pos)
            comments.append(data[pos + 1:end].decode().strip())
            pos = end + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end].decode())
        pos = end
    check(fields[0] == "P6" and fields[3] == "255", "%s: not a binary 8-bit PPM: %s" % (path, fields))
    w, h = int(fields[1]), int(fields[2])
    pixels = np.frombuffer(data[pos + 1:pos + 1 + w * h * 3], np.uint8)
    check(pixels.size == w * h * 3, "%s: %d bytes of pixels for %dx%d" % (path, pixels.size, w, h))
    return pixels.reshape(h, w, 3), comments


def colour_phases(path, width, height, named):
    """The run of nearest named colours (name, rgb) of path's frames, each
    frame by its mean; a frame near none (max difference >= 90: the YUV
    round trip moves pure blue most) is 'other'."""
    rgb = decode_frames(path, width, height, "rgb24").reshape(-1, height, width, 3).astype(int)
    runs = []
    for f in rgb:
        m = f.reshape(-1, 3).mean(axis=0)
        d, name = min((np.abs(m - np.array(c)).max(), n) for n, c in named)
        p = name if d < 90 else "other %s" % m.round()
        if not runs or runs[-1] != p:
            runs.append(p)
    return runs, len(rgb)


def grey_still(path, frames=250, size="64x48"):
    ffmpeg(*(lavfi("color=c=gray:s=%s:r=25" % size) + ["-frames:v", frames, "-c:v", "ffv1", path]))


@test
def preview_shows_output():
    """--preview shows the frames written to -o: a still grey scene
    (framediff: all background) over red, -o out.mkv (and -o null under
    SDL's offscreen driver as well as its dummy one): the window's last
    frame read back is red like the output's, at the frames' size, and the
    title names the method, fps and latency. With --view side-by-side and
    -o null (the tuning view) it shows the three panels (grey input, black
    matte, red result) scaled down to 1280 wide, the aspect kept. With -b
    transparent the frames are drawn over a checkerboard."""
    need_preview()
    grey_still("still.mkv", frames=50)
    # SDL's offscreen driver (no display, a real renderer) draws the same.
    # Mesa's EGL, which it loads, leaves allocations that LeakSanitizer
    # reports without a symbol to suppress them by: leaks are checked in the
    # dummy driver's runs below, which go through the same code of ours.
    env = preview_env(dump="off.ppm", driver="offscreen")
    env["ASAN_OPTIONS"] = (os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":")
    r = backdrop("-m", "framediff", "--realtime", "-b", "red", "--preview", "still.mkv", "-o", "null", env=env)
    check(r.rc == 0 and r.err == "", r.describe())
    shown, _ = read_ppm("off.ppm")
    check(shown.shape == (48, 64, 3), "offscreen: the window is %s, expected 64x48" % (shown.shape,))
    assert_colour(shown, (255, 0, 0), 40, "the offscreen preview's last frame")
    r = backdrop("-m", "framediff", "--realtime", "-b", "red", "--preview", "still.mkv", "-o", "out.mkv",
                 env=preview_env(dump="d.ppm"))
    check(r.rc == 0 and r.err == "", r.describe())
    shown, comments = read_ppm("d.ppm")
    check(shown.shape == (48, 64, 3), "the window is %s, expected the frames' 64x48" % (shown.shape,))
    out = decode_frames("out.mkv", 64, 48, "rgb24").reshape(-1, 48, 64, 3).astype(int)
    assert_colour(out[-1], (255, 0, 0), 40, "the output's last frame")
    assert_colour(shown, (255, 0, 0), 40, "the preview's last frame")
    check(np.abs(shown.astype(int) - out[-1]).max() <= 24, "the preview differs from the output's last frame "
          "by %d" % np.abs(shown.astype(int) - out[-1]).max())
    title = [c for c in comments if c.startswith("title: ")]
    check(title and re.match(r"title: backdrop: framediff \| [0-9.]+ fps \| [0-9.]+ ms$", title[0]),
          "title %s" % comments)
    fps = float(re.search(r"([0-9.]+) fps", title[0]).group(1))
    check(15 <= fps <= 35, "the title says %.1f fps for a 25 fps input" % fps)

    grey_still("wide.mkv", frames=25, size="640x360")
    r = backdrop("-m", "framediff", "--realtime", "-b", "red", "--view", "side-by-side", "--preview", "wide.mkv",
                 "-o", "null", env=preview_env(dump="sbs.ppm"))
    check(r.rc == 0 and r.err == "", r.describe())
    shown, _ = read_ppm("sbs.ppm")
    check(shown.shape == (240, 1280, 3), "side by side 1920x360 shown as %s, expected 1280x240"
          % (shown.shape,))
    third = 1280 // 3
    assert_colour(shown[8:-8, 8:third - 8], (128, 128, 128), 30, "the input panel")
    assert_colour(shown[8:-8, third + 8:2 * third - 8], (0, 0, 0), 30, "the matte panel")
    assert_colour(shown[8:-8, 2 * third + 8:-8], (255, 0, 0), 40, "the result panel")

    r = backdrop("-m", "framediff", "--realtime", "-b", "transparent", "--preview", "still.mkv", "-o", "cut.mkv",
                 env=preview_env(keys="10:q", dump="t.ppm"))
    check(r.rc == 0 and r.err == "", r.describe())
    shown, _ = read_ppm("t.ppm")
    levels = sorted(set(shown.reshape(-1, 3)[:, 0].tolist()))
    check(levels == [0x66, 0x99] and (shown[:, :, 0] == shown[:, :, 2]).all(),
          "a transparent frame is not drawn over the grey checkerboard: levels %s" % levels)
    check(shown[0, 0, 0] != shown[0, 16, 0] and shown[0, 0, 0] == shown[16, 16, 0], "not a 16-pixel checkerboard")


@test
def preview_keys():
    """The preview's keys are the live loop's commands: a still grey scene
    over blue; c (the next colour after blue: black), p (pause: the camera
    passes through, grey), space (resume), q (quit): the output's frames
    show blue, black, grey, black in order, and the run ends early with
    exit 0. A key without a meaning is ignored; m (the next method) is
    either taken or refused on stderr, and the run goes on."""
    need_preview()
    grey_still("still.mkv")
    r = backdrop("-m", "framediff", "--realtime", "-b", "blue", "--preview", "still.mkv", "-o", "out.mkv",
                 env=preview_env(keys="12:c,15:z,25:p,40:space,55:q"))
    check(r.rc == 0 and r.err == "", r.describe())
    named = (("blue", (0, 0, 255)), ("black", (0, 0, 0)), ("grey", (128, 128, 128)))
    runs, count = colour_phases("out.mkv", 64, 48, named)
    check(runs == ["blue", "black", "grey", "black"], "phases %s, expected blue, black, grey, black" % runs)
    check(count < 80, "q did not end the run early (%d frames)" % count)
    # Esc quits too, and so does closing the window.
    for key in ("esc", "close"):
        r = backdrop("-m", "framediff", "--realtime", "--preview", "still.mkv", "-o", "null",
                     "--stats", "s.json", env=preview_env(keys="5:" + key))
        check(r.rc == 0 and r.err == "", r.describe())
        with open("s.json") as f:
            frames = json.load(f)["frames"]
        check(frames < 40, "%s did not end the run (%d frames)" % (key, frames))
    r = backdrop("-m", "framediff", "--realtime", "--preview", "still.mkv", "-o", "null",
                 env=preview_env(keys="5:m,10:q"))
    check(r.rc == 0, r.describe())
    check(all(line.startswith("backdrop: preview: ") for line in r.lines), "stray lines\n" + r.describe())


@test
def preview_next_picture():
    """n and N step through the pictures of the background picture's
    folder, sorted by name, wrapping around; files that are not pictures
    (by extension) and a folder named like one are skipped. Right and Left
    do the same. A background that is not a picture steps through
    --backgrounds DIR from its first picture; without it the key is
    refused on stderr (nothing with -q) and the run goes on."""
    need_preview()
    grey_still("still.mkv")
    os.mkdir("pics")
    ffmpeg(*(lavfi("color=c=red:s=64x48") + ["-frames:v", 1, "pics/a.png"]))
    ffmpeg(*(lavfi("color=c=0x00ff00:s=64x48") + ["-frames:v", 1, "pics/b.png"]))
    with open("pics/a2.txt", "w") as f:
        f.write("not a picture")
    os.mkdir("pics/ab.png")
    named = (("red", (255, 0, 0)), ("green", (0, 255, 0)), ("blue", (0, 0, 255)))
    r = backdrop("-m", "framediff", "--realtime", "-b", "pics/a.png", "--preview", "still.mkv", "-o", "out.mkv",
                 env=preview_env(keys="12:n,25:n,38:N,50:left,62:right,75:q"))
    check(r.rc == 0 and r.err == "", r.describe())
    runs, _ = colour_phases("out.mkv", 64, 48, named)
    # a -> b -> (wrap) a -> b -> a -> b
    check(runs == ["red", "green", "red", "green", "red", "green"], "phases %s" % runs)

    r = backdrop("-m", "framediff", "--realtime", "-b", "blue", "--backgrounds", "pics", "--preview", "still.mkv",
                 "-o", "out2.mkv", env=preview_env(keys="12:N,25:n,38:q"))
    check(r.rc == 0 and r.err == "", r.describe())
    runs, _ = colour_phases("out2.mkv", 64, 48, named)
    check(runs == ["blue", "green", "red"], "with --backgrounds: phases %s, expected blue, green (the last), "
          "red (then the next, wrapping)" % runs)

    r = backdrop("-m", "framediff", "--realtime", "-b", "blue", "--preview", "still.mkv", "-o", "out3.mkv",
                 env=preview_env(keys="12:n,25:q"))
    check(r.rc == 0, r.describe())
    check(len(r.lines) == 1 and r.lines[0].startswith("backdrop: preview: key n: ") and "--backgrounds" in r.err,
          "key n without a folder: expected one line saying why\n" + r.describe())
    runs, _ = colour_phases("out3.mkv", 64, 48, named)
    check(runs == ["blue"], "phases %s after a refused key" % runs)
    r = backdrop("-q", "-m", "framediff", "--realtime", "-b", "blue", "--preview", "still.mkv", "-o", "null",
                 env=preview_env(keys="12:n,25:q"))
    check(r.rc == 0 and r.err == "", "-q: " + r.describe())


@test
def preview_errors():
    """--preview needs the live loop (exit 2); --backgrounds needs
    --preview and a folder (exit 2); a window SDL cannot open (a video
    driver that does not exist; no display, when SDL would fall back to
    drawing nowhere) is exit 1 with one line naming the problem, and no
    output is left behind."""
    grey_still("still.mkv", frames=10)
    if os.environ.get("BACKDROP_HAS_SDL2", "1") == "0":
        expect_error(["-m", "framediff", "--realtime", "--preview", "still.mkv", "-o", "out.mkv"],
                     ["--preview", "built without SDL2"], rc=2)
        return
    expect_error(["-m", "framediff", "--preview", "still.mkv", "-o", "out.mkv"], ["--preview", "--realtime"], rc=2)
    expect_error(["-m", "framediff", "--realtime", "--backgrounds", ".", "still.mkv", "-o", "out.mkv"],
                 ["--backgrounds", "--preview"], rc=2)
    expect_error(["-m", "framediff", "--realtime", "--preview", "--backgrounds", "nowhere", "still.mkv", "-o",
                  "out.mkv"], ["--backgrounds nowhere", "No such file"], rc=2)
    expect_error(["-m", "framediff", "--realtime", "--preview", "--backgrounds", "still.mkv", "still.mkv", "-o",
                  "out.mkv"], ["--backgrounds still.mkv", "not a folder"], rc=2)
    expect_error(["-m", "framediff", "--realtime", "--preview", "still.mkv", "-o", "out.mkv", "--stats", "s.json"],
                 ["--preview: cannot open a window", "nosuch", "is there a display?"],
                 env={"SDL_VIDEODRIVER": "nosuch"})
    if not os.path.exists("/dev/dri"):
        # Without a display SDL would pick a driver that draws nowhere.
        os.mkdir("xdg", 0o700)
        env = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER", "DISPLAY", "WAYLAND_DISPLAY")}
        env["XDG_RUNTIME_DIR"] = os.path.abspath("xdg")
        before = snapshot()
        r = subprocess.run([os.environ["BACKDROP"], "-m", "framediff", "--realtime", "--preview", "still.mkv",
                            "-o", "out.mkv"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=60)
        err = r.stderr.decode()
        check(r.returncode == 1 and err.count("\n") == 1 and err.startswith("backdrop: --preview: cannot open a "
              "window: no display found") and "is there a display?" in err,
              "no display: exit %d, stderr %r" % (r.returncode, err))
        check(snapshot() - before == set(), "files left: %s" % sorted(snapshot() - before))
def wait_for_socket(path):
    for _ in range(200):
        if os.path.exists(path):
            return
        time.sleep(0.05)
    raise Failure("no control socket %s after 10 s" % path)


def ctl_stats(sock):
    r = subprocess.run([os.environ["BACKDROP"], "ctl", sock, "stats"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=20)
    check(r.returncode == 0, "backdrop ctl stats: exit %d, %s" % (r.returncode, r.stderr.decode().strip()))
    return json.loads(r.stdout.decode())


def has_open(pid, path):
    """Whether process pid has path open (its /proc fd links)."""
    target = os.path.realpath(path)
    fds = "/proc/%d/fd" % pid
    links = []
    for fd in os.listdir(fds):
        try:
            links.append(os.readlink(os.path.join(fds, fd)))
        except OSError:
            pass  # closed meanwhile
    return target in links


def frames_after(sock, seconds):
    """The processed frames after waiting seconds."""
    time.sleep(seconds)
    return ctl_stats(sock)["frames"]


@test
def live_on_demand():
    """--on-demand (the watched file of the test hook BACKDROP_TEST_DEMAND_PATH
    standing in for the virtual camera): with nobody reading it the run is
    idle after its first frame (frames stop, a black frame about once a
    second); a reader from another process makes it process (frames grow);
    closed, it goes idle again after the grace time; `quit` while idle ends
    the run cleanly. While idle the input is closed (not among the run's
    open files), while processing it is open. stderr says each change; the
    output shows the phases: processed (blue), black, processed, black."""
    ffmpeg(*(lavfi("color=c=gray:s=64x48:r=25") + ["-frames:v", 1500, "-c:v", "ffv1", "still.mkv"]))
    open("watched", "w").close()
    with LiveRun("-m", "framediff", "--realtime", "--on-demand", "-b", "blue", "--control", "c.sock", "still.mkv",
                 "-o", "out.mkv", env={"BACKDROP_TEST_DEMAND_PATH": "watched"}) as run:
        wait_for_socket("c.sock")
        idle0 = frames_after("c.sock", 1.0)
        idle1 = frames_after("c.sock", 2.0)
        check(idle0 <= 2 and idle1 == idle0, "nobody reads the watched file, yet frames went %d -> %d"
              % (idle0, idle1))
        check(not has_open(run.proc.pid, "still.mkv"), "idle, yet the input is open")
        with open("watched", "rb"):
            busy = idle1
            for _ in range(40):  # the camera reopened: frames within a few seconds
                busy = frames_after("c.sock", 0.1)
                if busy >= idle1 + 10:
                    break
            check(busy >= idle1 + 10, "a reader came, yet frames went only %d -> %d" % (idle1, busy))
            busy2 = frames_after("c.sock", 1.0)
            check(busy2 >= busy + 10, "processing with a reader: frames went only %d -> %d in 1 s" % (busy, busy2))
            check(has_open(run.proc.pid, "still.mkv"), "processing, yet the input is not open")
        # Closed: idle once the grace time (2 s) has passed.
        after0 = frames_after("c.sock", 3.5)
        after1 = frames_after("c.sock", 2.0)
        check(after1 == after0, "the reader closed, yet frames went %d -> %d" % (after0, after1))
        check(not has_open(run.proc.pid, "still.mkv"), "idle again, yet the input is open")
        r = subprocess.run([os.environ["BACKDROP"], "ctl", "c.sock", "quit"], stdout=subprocess.PIPE, timeout=20)
        check(r.stdout.decode().strip() == "ok", "quit: %r" % r.stdout)
        rc, err = run.wait()
    check(rc == 0, "the run ended with %d: %s" % (rc, err))
    lines = err.splitlines()
    want = ["backdrop: no viewer on watched: idle", "backdrop: a viewer opened watched: processing",
            "backdrop: no viewer on watched: idle"]
    check(lines == want, "stderr %r, expected %r" % (lines, want))
    rgb = decode_frames("out.mkv", 64, 48, "rgb24").reshape(-1, 48, 64, 3).astype(int)
    phases, counts = [], []
    for f in rgb:
        m = f.reshape(-1, 3).mean(axis=0)
        p = "black" if m.max() < 20 else "blue" if m[2] > 150 and m[0] < 80 else "other %s" % m
        if not phases or phases[-1] != p:
            phases.append(p)
            counts.append(0)
        counts[-1] += 1
    check(phases == ["blue", "black", "blue", "black"], "phases %s, expected blue, black, blue, black" % phases)
    check(counts[0] == idle0 and counts[2] == after1 - idle0, "processed frames %s, stats say %d then %d"
          % (counts, idle0, after1 - idle0))
    # Idle for about 4 s and 4 s: a black frame a second (not a frame rate).
    check(3 <= counts[1] <= 7 and 3 <= counts[3] <= 7, "black frames %s: expected about one a second" % counts)


@test
def live_on_demand_cpu():
    """An idle --on-demand run costs next to nothing: the same 4-second
    run (640x360 x264 clip, blur background), once with nobody reading the
    watched file and once with a reader throughout; --stats cpu_seconds of
    the idle run is a small fraction of the processing run's."""
    graph = "testsrc2=s=640x360:r=25"
    ffmpeg(*(lavfi(graph) + ["-frames:v", 500, "-c:v", "libx264", "-preset", "ultrafast", "clip.mkv"]))
    open("watched", "w").close()

    def run(name, hold):
        reader = open("watched", "rb") if hold else None
        try:
            with LiveRun("-q", "-m", "framediff", "-b", "blur", "--realtime", "--on-demand", "clip.mkv", "-o", "null",
                         "--stats", name, env={"BACKDROP_TEST_DEMAND_PATH": "watched"}) as r:
                time.sleep(4)
                r.proc.send_signal(signal.SIGINT)
                rc, err = r.wait()
        finally:
            if reader:
                reader.close()
        check(rc == 130, "%s: the run ended with %d: %s" % (name, rc, err))
        return live_stats(name)

    idle, busy = run("idle.json", False), run("busy.json", True)
    check(idle["frames"] <= 2, "the idle run processed %d frames" % idle["frames"])
    check(busy["frames"] >= 50, "the busy run processed only %d frames" % busy["frames"])
    ratio = idle["cpu_seconds"] / max(busy["cpu_seconds"], 1e-6)
    check(ratio < 0.2, "idle used %.3f s of CPU, processing %.3f s: ratio %.2f, expected under 0.2"
          % (idle["cpu_seconds"], busy["cpu_seconds"], ratio))


@test
def live_on_demand_errors():
    """--on-demand needs the live loop and a virtual camera output (the test
    hook lifts only the latter); a watched path that does not exist fails
    the run naming it; a missing virtual camera is reported as the output's
    error, before anything is watched."""
    live_clip("in.mkv", frames=5)
    expect_error(["-m", "framediff", "--on-demand", "in.mkv", "-o", "null"], ["--on-demand", "--realtime"], rc=2)
    expect_error(["-m", "framediff", "--on-demand", "--realtime", "in.mkv", "-o", "out.mkv"],
                 ["--on-demand", "virtual camera", "/dev/videoN", "out.mkv"], rc=2)
    expect_error(["-m", "framediff", "--on-demand", "in.mkv", "-o", "out.mkv"], ["--on-demand", "--realtime"],
                 rc=2, env={"BACKDROP_TEST_DEMAND_PATH": "watched"})
    expect_error(["-m", "framediff", "--on-demand", "--realtime", "in.mkv", "-o", "out.mkv"],
                 ["--on-demand", "cannot watch missing", "No such file"], env={"BACKDROP_TEST_DEMAND_PATH": "missing"})
    expect_error(["-m", "framediff", "--on-demand=1", "--realtime", "in.mkv", "-o", "null"],
                 ["--on-demand takes no value"], rc=2)
    dev = absent_video_device()
    expect_error(["-m", "framediff", "--on-demand", "--realtime", "in.mkv", "-o", dev],
                 [dev + ": no such device", "modprobe v4l2loopback"])


@test
def systemd_unit_example():
    """contrib/systemd/backdrop.service: its ExecStart is a command line
    backdrop accepts (run against a camera that is not there, the error is
    the camera's, not the options'), it reloads with SIGHUP and restarts
    on failure."""
    unit = open(os.path.join(SOURCE_ROOT, "contrib", "systemd", "backdrop.service")).read()
    keys = {}
    for line in unit.splitlines():
        m = re.match(r"^(\w+)=(.*)$", line)
        if m:
            keys[m.group(1)] = m.group(2)
    check(keys.get("ExecReload") == "/bin/kill -HUP $MAINPID", "ExecReload=%s" % keys.get("ExecReload"))
    check(keys.get("Restart") == "on-failure", "Restart=%s" % keys.get("Restart"))
    check("143" in keys.get("SuccessExitStatus", ""), "a stop (SIGTERM: exit 143) would count as a failure")
    args = keys["ExecStart"].split()
    check(args[0].endswith("/backdrop"), "ExecStart runs %s" % args[0])
    check("--on-demand" in args and "--control" in args, "ExecStart: %s" % args)
    if os.environ.get("BACKDROP_HAS_SELFIE", "1") == "0" and "selfie" in args:
        raise Skip("the unit runs -m selfie, which this build does not have")
    dev = absent_video_device()
    args = [a.replace("%h", os.getcwd()).replace("%t", os.getcwd()) for a in args[1:]]
    check(args[0] == "/dev/video0", "the unit's input is %s, expected /dev/video0" % args[0])
    args[0] = dev
    r = backdrop(*args)
    check(r.rc == 1 and len(r.lines) == 1 and dev + ": no such device" in r.err,
          "the unit's command line did not get as far as the camera\n" + r.describe())


# ---- 18. Camera in, virtual camera out (V4L2). The machine these tests
# were written on has no V4L2 at all: they cover the names, the options and
# every error that needs no device; tests/unit/test_v4l2.c covers the
# device checks on made-up devices.

def absent_video_device():
    """A /dev/videoN that does not exist (on most machines /dev/video0)."""
    for n in range(64):
        path = "/dev/video%d" % n
        if not os.path.exists(path):
            return path
    raise Skip("every /dev/video0..63 exists")


@test
def camera_missing_device():
    dev = absent_video_device()
    expect_error([dev, "-m", "framediff", "-o", "null"],
                 [dev + ": no such device", "no camera there", "--list-devices"])
    expect_error(["v4l2:" + dev, "-m", "framediff", "-o", "null"], [dev + ": no such device"])
    # A character device that is no V4L2 device, and a file that is not a
    # character device, named as cameras.
    expect_error(["v4l2:/dev/null", "-m", "framediff", "-o", "null"], ["/dev/null", "not a V4L2 video device"])
    with open("notadevice", "w") as f:
        f.write("x")
    expect_error(["v4l2:notadevice", "-m", "framediff", "-o", "null"],
                 ["notadevice", "not a character device"])


@test
def loopback_missing_device():
    dev = absent_video_device()
    make_still_clip("clip.mkv", size="64x48", frames=3)
    expect_error(["-m", "framediff", "clip.mkv", "-o", dev],
                 [dev + ": no such device", "is v4l2loopback loaded?",
                  "sudo modprobe v4l2loopback devices=1 exclusive_caps=1 card_label=backdrop"])
    expect_error(["-m", "framediff", "clip.mkv", "-o", "v4l2:/dev/null"],
                 ["/dev/null", "not a V4L2 video device", "modprobe v4l2loopback"])
    # No encoder, no alpha: refused by name, before any device is opened.
    expect_error(["-m", "framediff", "clip.mkv", "-o", dev, "--codec", "libx264"],
                 ["--codec does not apply to a virtual camera", "--v4l2-format"])
    expect_error(["-m", "framediff", "-b", "transparent", "clip.mkv", "-o", dev],
                 [dev, "a virtual camera has no alpha"], rc=2)
    # An odd width is refused before the device is looked at.
    with open("odd.ppm", "wb") as f:  # RGB, whose odd width stays as it is
        f.write(b"P6\n65 48\n255\n" + bytes(range(256)) * (65 * 48 * 3 // 256) + bytes(65 * 48 * 3 % 256))
    expect_error(["-m", "framediff", "odd.ppm", "-o", dev], [dev, "65x48", "even width"])
    expect_error(["-m", "framediff", "clip.mkv", "-o", dev, "--v4l2-format", "i420"], [dev, "no such device"])


@test
def special_outputs_unchanged():
    """/dev/null and /dev/stdout are not virtual cameras: they are written
    in place as before (and need a format, which they have no extension
    to say)."""
    make_still_clip("clip.mkv", size="64x48", frames=3)
    for dev in ("/dev/null", "/dev/stdout"):
        r = backdrop("-m", "framediff", "clip.mkv", "-o", dev)
        check(r.rc == 1 and len(r.lines) == 1 and "no file extension to choose the output format" in r.err,
              "%s as -o changed\n%s" % (dev, r.describe()))
    backdrop_ok("-m", "framediff", "clip.mkv", "-o", "null")


@test
def list_devices():
    r = backdrop("--list-devices")
    devices = sorted(glob.glob("/dev/video*"))
    if not devices:
        check(r.rc == 1, "--list-devices without devices: expected exit status 1\n" + r.describe())
        check(len(r.lines) == 1 and r.lines[0].startswith("backdrop: no V4L2 devices (/dev/video* absent"),
              "--list-devices without devices: expected one line saying why\n" + r.describe())
        check(r.out == "", "--list-devices without devices printed on stdout: %r" % r.out)
    else:
        check(r.rc == 0, "--list-devices: expected exit status 0\n" + r.describe())
        for d in devices:
            check(d + ":" in r.out, "--list-devices does not list %s:\n%s" % (d, r.out))
    # It needs no input or output, and takes none of the run's options.
    r2 = backdrop("--list-devices", "-q")
    check(r2.rc == r.rc, "--list-devices -q: exit status %d, not %d" % (r2.rc, r.rc))


@test
def camera_option_validation():
    make_still_clip("clip.mkv", size="64x48", frames=3)
    for size in ("0x0", "abc", "640x", "x480", "640x0", "16385x480", "-640x480", "640x480x2", "640*480"):
        expect_error(["-m", "framediff", "/dev/video0", "-o", "null", "--size", size],
                     ["--size", "'%s'" % size, "WIDTHxHEIGHT"], rc=2)
    for fps in ("-1", "0", "abc", "1001", "30/0", "30/", "1.5/2", "inf", "nan"):
        expect_error(["-m", "framediff", "/dev/video0", "-o", "null", "--fps", fps],
                     ["--fps", "'%s'" % fps, "frame rate"], rc=2)
    expect_error(["-m", "framediff", "/dev/video0", "-o", "null", "--v4l2-format", "nv12"],
                 ["--v4l2-format", "'nv12'", "yuyv|i420"], rc=2)
    # Camera options need a camera, --v4l2-format a virtual camera.
    for opt, value in (("--size", "640x480"), ("--fps", "30"), ("--input-format", "mjpeg")):
        expect_error(["-m", "framediff", "clip.mkv", "-o", "null", opt, value],
                     [opt, "applies to a camera input", "clip.mkv"], rc=2)
    expect_error(["-m", "framediff", "clip.mkv", "-o", "out.mkv", "--v4l2-format", "i420"],
                 ["--v4l2-format", "virtual camera output", "out.mkv"], rc=2)
    # Valid values get as far as the (missing) device.
    dev = absent_video_device()
    expect_error(["-m", "framediff", dev, "-o", "null", "--size", "1280x720", "--fps", "30000/1001",
                  "--input-format", "mjpeg"], [dev + ": no such device"])
    expect_error(["-m", "framediff", dev, "-o", "null", "--fps", "29.97"], [dev + ": no such device"])


def main(argv):
    if len(argv) == 2 and argv[1] == "--list":
        print("\n".join(TESTS))
        return 0
    if len(argv) >= 2 and argv[1] == "--expect":
        expected = argv[2:]
        problems = []
        for n in sorted(set(n for n in expected if expected.count(n) > 1)):
            problems.append("listed twice in meson.build: %s" % n)
        for n in sorted(set(TESTS) - set(expected)):
            problems.append("not registered in tests/cli/meson.build: %s" % n)
        for n in sorted(set(expected) - set(TESTS)):
            problems.append("registered but not defined in cli_tests.py: %s" % n)
        print("\n".join(problems) if problems else "%d tests registered" % len(TESTS))
        return 1 if problems else 0
    if len(argv) != 2:
        print(__doc__)
        return 2
    return run_one(argv[1])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
