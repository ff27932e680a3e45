#!/bin/sh
# Fetches the MediaPipe selfie segmentation models from their npm package,
# checks the sha256 of the package and of both models, and installs them in
# the model cache: ${XDG_CACHE_HOME:-$HOME/.cache}/backdrop/models. Prints
# that directory. Does nothing (and needs no network) when both models are
# already there with the right checksums. Models are never committed.
set -eu

PACKAGE="@mediapipe/selfie_segmentation@0.1.1675465747"
TARBALL_SHA256="7767b33eaa68990ee06c28bbb89f39a13a47ebb07ff0f1fd4947d9e817bb9bf9"
GENERAL_SHA256="8d13b7fae74af625c641226813616a2117bd6bca19eb3b75574621fc08557f27"
LANDSCAPE_SHA256="4aafe6223bb8dac6fac8ca8ed56852870a33051ef3f6238822d282a109962894"

dir="${XDG_CACHE_HOME:-$HOME/.cache}/backdrop/models"

check() { # file sha256
    [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

if check "$dir/selfie_segmentation.tflite" "$GENERAL_SHA256" &&
   check "$dir/selfie_segmentation_landscape.tflite" "$LANDSCAPE_SHA256"; then
    echo "$dir"
    exit 0
fi

command -v npm >/dev/null 2>&1 || {
    echo "fetch-models: npm is needed to fetch $PACKAGE (apt-get install npm)" >&2
    exit 1
}
mkdir -p "$dir"
work=$(mktemp -d "$dir/.fetch-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
echo "fetch-models: fetching $PACKAGE" >&2
(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null)
tarball=$(ls "$work"/*.tgz)
if ! check "$tarball" "$TARBALL_SHA256"; then
    echo "fetch-models: $PACKAGE: package checksum mismatch (expected $TARBALL_SHA256)" >&2
    exit 1
fi
tar -xzf "$tarball" -C "$work" package/selfie_segmentation.tflite package/selfie_segmentation_landscape.tflite
for pair in "selfie_segmentation.tflite $GENERAL_SHA256" "selfie_segmentation_landscape.tflite $LANDSCAPE_SHA256"; do
    set -- $pair
    if ! check "$work/package/$1" "$2"; then
        echo "fetch-models: $1: checksum mismatch (expected $2)" >&2
        exit 1
    fi
    chmod 644 "$work/package/$1"
    mv "$work/package/$1" "$dir/$1"
done
echo "$dir"
