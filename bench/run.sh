#!/bin/sh
# Speed benchmark of backdrop's framediff method against FFmpeg decode-only
# and the tutorial-style Python/OpenCV reference.  See bench/README.md.
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

cd "$root"
exec "$PY" "$here/bench_framediff.py" --build "$build"
