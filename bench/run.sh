#!/bin/sh
# Benchmarks, in this order (see bench/README.md):
#   inference  ms per inference of both selfie models, XNNPACK 1 / all threads,
#              against the official TFLite runtime (bench_inference.py)
#   framediff  speed of -m framediff against FFmpeg decode-only and the
#              tutorial-style Python/OpenCV reference (bench_framediff.py)
#   selfie     speed of -m selfie (default general windows, and landscape),
#              file -> null and -> H.264 (bench_selfie.py)
#   matte      ms per frame of the matte stages, one thread (bench_matte.py)
#   rvm        Robust Video Matting: the network at 640x360 / 0.75, 1 and all
#              threads, against TF.js WASM; -m rvm fps at 720p and 1080p; the
#              per-operator profile (bench_rvm.py)
#   edges      the blur background and the edge-colour estimate: ms per frame at
#              720p/1080p (one thread, against the plain composite), the edge
#              colour error and the blur's halo on the synthetic clip (bench_edges.py)
#   live       the live loop: latency p50/p99, dropped frames, CPU per method on a
#              720p30 input paced as a camera (--realtime), blur background (bench_live.py)
#   quality    matte quality of -m selfie settings on ../shared/data: IoU,
#              boundary F, MAE, flicker, ghosting, specks, cost; the official
#              TFLite runtime as reference; plots in bench/plots (quality.py)
#
#   sh bench/run.sh [BUILD_DIR]          (default BUILD_DIR: build)
#
# Environment (all optional):
#   BENCH_REPEAT=5          repetitions of each fast benchmark (median reported)
#   BENCH_PY_REPEAT=3       repetitions of the Python reference at 720p
#   BENCH_PY_REPEAT_1080=1  repetitions of the Python reference at 1080p
#   BENCH_ENCODE_REPEAT=3   repetitions of backdrop -o out.mp4 at 720p (0 = skip)
#   BENCH_RESOLUTIONS=720p,1080p
#   BENCH_CACHE=DIR         clip cache (default ${XDG_CACHE_HOME:-$HOME/.cache}/backdrop/bench)
#   BENCH_CSV=FILE          results file to update (default bench/results.csv; "-" = none)
#   BENCH_ONLY=LIST         comma-separated subset of inference,framediff,selfie,matte,rvm,edges,live,quality (default: all)
#   BENCH_SKIP=LIST         comma-separated benchmarks to leave out
#   BENCH_INFERENCE_RUNS=200    timed inferences per process (>= 50); BENCH_INFERENCE_WARMUP=20
#   BENCH_INFERENCE_REPEAT=3    anchor processes per configuration, alternating with ours
#   BENCH_INFERENCE_ANCHOR=1    also time the official runtime (needs node/npm; 0 = skip)
#   BENCH_ANCHOR_DIR=DIR    working copy of ../shared/anchor (default ${XDG_CACHE_HOME:-$HOME/.cache}/backdrop/anchor)
#   BENCH_SELFIE_GENERAL=1  also time the default configuration, general windows (0 = landscape only)
#   BENCH_DATA=DIR          evaluation data (default ../shared/data; absent = quality skipped)
#   BENCH_QUALITY_ANCHOR=1  also run the official runtime (needs node/npm; 0 = skip)
#   BENCH_QUALITY_SETTINGS=LIST  comma-separated subset of the settings in quality.py (default: all)
#   BENCH_QUALITY_PLOTS=DIR plot folder (default bench/plots, written with the results file)
#   BENCH_RVM_*             the rvm benchmark's knobs (bench/README.md, "RVM speed")
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-build}
case $build in
    /*) ;;
    *) build=$(pwd)/$build ;;
esac

PY=/usr/bin/python3
if ! "$PY" -c 'import cv2, numpy' 2>/dev/null; then
    echo "bench: $PY lacks cv2/numpy (apt-get install python3-opencv python3-numpy)" >&2
    exit 2
fi

only=${BENCH_ONLY:-inference,framediff,selfie,matte,rvm,edges,live,quality}
skip=${BENCH_SKIP:-}
for b in $(echo "$only,$skip" | tr ',' ' '); do
    case $b in
        inference|framediff|selfie|matte|rvm|edges|live|quality) ;;
        *) echo "bench: unknown benchmark '$b' in BENCH_ONLY/BENCH_SKIP (known: inference, framediff, selfie, matte, rvm, edges, live, quality)" >&2
           exit 2 ;;
    esac
done
wanted() {
    case ",$skip," in *",$1,"*) return 1 ;; esac
    case ",$only," in *",$1,"*) return 0 ;; esac
    return 1
}

cd "$root"
status=0
sep=
if wanted inference; then
    "$PY" "$here/bench_inference.py" --build "$build" || status=1
    sep=1
fi
if wanted framediff; then
    ${sep:+echo}
    "$PY" "$here/bench_framediff.py" --build "$build" || status=1
fi
if wanted selfie; then
    echo
    "$PY" "$here/bench_selfie.py" --build "$build" || status=1
fi
if wanted matte; then
    echo
    "$PY" "$here/bench_matte.py" "$build" || status=1
fi
if wanted rvm; then
    echo
    "$PY" "$here/bench_rvm.py" --build "$build" || status=1
fi
if wanted edges; then
    echo
    "$PY" "$here/bench_edges.py" "$build" || status=1
fi
if wanted live; then
    echo
    "$PY" "$here/bench_live.py" "$build" || status=1
fi
if wanted quality; then
    echo
    "$PY" "$here/quality.py" --build "$build" || status=1
fi
exit $status
