#!/bin/sh
# Fuzzes the TF.js graph-model reader and specialiser: writes the seed
# corpus (the unit tests' tiny model, tfjs_tiny.h, and the specialiser
# tests' models, tfjs_builder.h) into WORKDIR, then runs the fuzzer for
# SECONDS.
# Usage: run_tfjs.sh FUZZER SEEDGEN SECONDS SEED WORKDIR
set -eu
fuzzer=$1 seedgen=$2 seconds=$3 seed=$4 work=$5
corpus=$work/corpus-tfjs
rm -rf "$corpus"
mkdir -p "$corpus"
"$seedgen" "$corpus"
exec "$fuzzer" "$seconds" "$seed" "$corpus"/*
