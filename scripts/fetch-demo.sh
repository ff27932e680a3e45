#!/bin/sh
# Makes the demo clip of a person facing the camera, once, in the cache:
# ${XDG_CACHE_HOME:-$HOME/.cache}/backdrop/demo/portrait.mp4. Prints its path.
#
# No Debian or npm package ships video of a person facing the camera; Debian's
# python3-skimage ships a real portrait photo: astronaut.png, the NASA
# portrait of astronaut Eileen Collins (a work of the US government, public
# domain; scikit-image's data/_fetchers.py gives its source). Its .deb is
# downloaded with apt-get download (no install, no dependencies, no root),
# the picture taken out and checked against its sha256, and a 4-second
# 512x512 clip made from it with ffmpeg: a slow zoom towards the face, so
# that the picture moves as a camera's would.
set -eu

PACKAGE="python3-skimage=0.19.3-8"
PHOTO="usr/lib/python3/dist-packages/skimage/data/astronaut.png"
PHOTO_SHA256="88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5"

dir="${XDG_CACHE_HOME:-$HOME/.cache}/backdrop/demo"
clip="$dir/portrait.mp4"
if [ -s "$clip" ] && [ -f "$dir/astronaut.png" ] &&
   [ "$(sha256sum "$dir/astronaut.png" | cut -d' ' -f1)" = "$PHOTO_SHA256" ]; then
    echo "$clip"
    exit 0
fi
mkdir -p "$dir"
work=$(mktemp -d "$dir/.fetch-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
echo "fetch-demo: downloading $PACKAGE (its portrait photo, public domain)" >&2
(cd "$work" && apt-get download -qq "$PACKAGE" >/dev/null 2>&1) || {
    echo "fetch-demo: apt-get download $PACKAGE failed" >&2
    exit 1
}
dpkg-deb --fsys-tarfile "$work"/python3-skimage_*.deb | tar -x -C "$work" "./$PHOTO"
if [ "$(sha256sum "$work/$PHOTO" | cut -d' ' -f1)" != "$PHOTO_SHA256" ]; then
    echo "fetch-demo: astronaut.png: checksum mismatch (expected $PHOTO_SHA256)" >&2
    exit 1
fi
ffmpeg -nostdin -v error -loop 1 -i "$work/$PHOTO" -vf \
    "zoompan=z='1+0.0025*on':x='iw/2-iw/zoom/2':y='ih*0.3-ih/zoom*0.3':d=100:s=512x512:fps=25,format=yuv420p" \
    -frames:v 100 -c:v libx264 -crf 18 -preset medium "$work/portrait.mp4"
mv "$work/$PHOTO" "$dir/astronaut.png"
mv "$work/portrait.mp4" "$clip"
echo "$clip"
