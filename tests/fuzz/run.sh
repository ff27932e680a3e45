#!/bin/sh
# make fuzz: runs every fuzz target of a (sanitizer) build for SECONDS each,
# from its seed corpus, with a time-based seed so each run explores anew.
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS
set -eu
build=$1 seconds=$2
here=$(dirname "$0")
seed=$(date +%s)
status=0
for target in options control; do
    echo "fuzz: $target for $seconds s (seed $seed)"
    "$build/tests/fuzz/fuzz_$target" "$seconds" "$seed" "$here"/corpus/$target/* || status=1
done
# The .tflite reader's corpus is generated from the cached models (77: none).
echo "fuzz: tflite for $seconds s (seed $seed)"
sh "$here/run_tflite.sh" "$build/tests/fuzz/fuzz_tflite" "$build/tests/fuzz/tflite_seeds" \
    "$seconds" "$seed" "$build/tests/fuzz" || { rc=$?; [ "$rc" -eq 77 ] || status=1; }
echo "fuzz: tfjs for $seconds s (seed $seed)"
sh "$here/run_tfjs.sh" "$build/tests/fuzz/fuzz_tfjs" "$build/tests/fuzz/tfjs_seeds" \
    "$seconds" "$seed" "$build/tests/fuzz" || status=1
exit $status
