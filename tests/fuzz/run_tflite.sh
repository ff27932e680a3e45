#!/bin/sh
# Fuzzes the .tflite reader: builds the seed corpus in WORKDIR from the
# cached models (plus synthetic models), then runs the fuzzer for SECONDS.
# Exits 77 (skipped) when the models are not in the cache.
# Usage: run_tflite.sh FUZZER SEEDGEN SECONDS SEED WORKDIR
set -eu
fuzzer=$1 seedgen=$2 seconds=$3 seed=$4 work=$5
dir=${BACKDROP_MODEL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/backdrop/models}
general=$dir/selfie_segmentation.tflite
landscape=$dir/selfie_segmentation_landscape.tflite
if [ ! -f "$general" ] || [ ! -f "$landscape" ]; then
    echo "fuzz_tflite: skipped: models not found in $dir (run scripts/fetch-models.sh)"
    exit 77
fi
corpus=$work/corpus-tflite
rm -rf "$corpus"
mkdir -p "$corpus"
"$seedgen" "$corpus" "$general" "$landscape"
exec "$fuzzer" "$seconds" "$seed" "$corpus"/*
