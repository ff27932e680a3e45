#!/bin/sh
# The installed library as another program sees it:
#
#   1. meson install --destdir into a temporary directory (the library, the
#      headers, backdrop.pc, the CLI), and check that the pieces are there
#      and that the installed library exports only the API (exports.sh);
#   2. build consumer.c with nothing but `pkg-config --cflags --libs
#      backdrop`: PKG_CONFIG_LIBDIR is the tree's pkgconfig directory first
#      (no backdrop.pc installed elsewhere on the machine can answer; the
#      system's directories follow, for backdrop's private requirements) and
#      PKG_CONFIG_SYSROOT_DIR the destdir, so that -I and -L point into it;
#   3. run it with LD_LIBRARY_PATH on the tree's library directory, after
#      checking with ldd that this is the library the loader picks.
#
#   install.sh MESON BUILD_DIR CONSUMER_C VERSION SANITIZE CC [CC_ARG...]
#
# VERSION is meson.build's project version; SANITIZE the build's b_sanitize
# ("none", or e.g. "address,undefined": the consumer is then built with the
# same sanitizers, whose runtime the installed library needs). Exit 0 pass,
# 1 fail, 77 skip (meson, pkg-config or the C compiler missing).
set -u

skip() {
    echo "SKIP: $*"
    exit 77
}

fail() {
    echo "FAIL: $*"
    exit 1
}

[ $# -ge 6 ] || fail "usage: $0 MESON BUILD_DIR CONSUMER_C VERSION SANITIZE CC [CC_ARG...]"
meson=$1 build=$2 source=$3 version=$4 sanitize=$5
shift 5
here=$(dirname "$0")

command -v "$meson" >/dev/null 2>&1 || skip "meson ('$meson') is not on PATH"
command -v pkg-config >/dev/null 2>&1 ||
    skip "pkg-config is not on PATH (Debian: pkg-config, which scripts/setup.sh installs)"
command -v "$1" >/dev/null 2>&1 || skip "the C compiler '$1' is not on PATH"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/backdrop-install.XXXXXX") || fail "cannot make a temporary directory"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
root=$tmp/root

# 1. Install.
if ! "$meson" install -C "$build" --destdir "$root" --no-rebuild --quiet >"$tmp/install.log" 2>&1; then
    cat "$tmp/install.log"
    fail "meson install -C $build --destdir $root failed"
fi
# The one file of each name in the tree (the prefix and libdir are the
# build's, /usr/local and lib/x86_64-linux-gnu by default on Debian).
find_one() {
    found=$(find "$root" -name "$1" \( -type f -o -type l \))
    [ -n "$found" ] || fail "meson install did not install $1; installed:
$(cd "$root" && find . \( -type f -o -type l \) | sort)"
    [ "$(printf '%s\n' "$found" | wc -l)" -eq 1 ] || fail "more than one $1 installed: $found"
    printf '%s\n' "$found"
}
pc=$(find_one backdrop.pc) || exit 1
header=$(find_one backdrop.h) || exit 1
version_header=$(find_one version.h) || exit 1
devlink=$(find_one libbackdrop.so) || exit 1
libdir=$(dirname "$devlink")
[ "$(dirname "$header")" = "$(dirname "$version_header")" ] ||
    fail "backdrop.h and version.h are installed in different directories"
[ -L "$devlink" ] || fail "$devlink is not a symbolic link to the versioned library"
library=$(readlink -f "$devlink")
[ "$(basename "$library")" = "libbackdrop.so.$version" ] ||
    fail "libbackdrop.so points at $(basename "$library"), expected libbackdrop.so.$version"
soname=$(readelf -d "$library" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[ -n "$soname" ] && [ -e "$libdir/$soname" ] || fail "the SONAME link '$soname' is not installed in $libdir"
sh "$here/exports.sh" symbols "$library" "$header" >"$tmp/exports.log" || {
    cat "$tmp/exports.log"
    fail "the installed library exports more (or less) than the API"
}
echo "installed: ${pc#"$root"}, ${header#"$root"}, ${version_header#"$root"}, ${library#"$root"} (SONAME $soname)"

# 2. Build the consumer the way a user would, from the .pc file alone. The
# system's own .pc directories come after the tree's: backdrop.pc names its
# private requirements (json-c), which pkg-config resolves even for a
# shared link; backdrop itself can only be found in the tree.
system_pc=$(pkg-config --variable pc_path pkg-config 2>/dev/null || true)
export PKG_CONFIG_LIBDIR="$(dirname "$pc")${system_pc:+:$system_pc}"
export PKG_CONFIG_SYSROOT_DIR="$root"
export PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
unset PKG_CONFIG_PATH
modversion=$(pkg-config --modversion backdrop) || fail "pkg-config does not find backdrop in $PKG_CONFIG_LIBDIR"
[ "$modversion" = "$version" ] || fail "backdrop.pc says version $modversion, meson.build $version"
flags=$(pkg-config --cflags --libs backdrop) || fail "pkg-config --cflags --libs backdrop failed"
echo "pkg-config --cflags --libs backdrop: $flags"
case "$flags" in
*"-I$root/"*"-L$root/"* | *"-L$root/"*"-I$root/"*) ;;
*) fail "pkg-config's -I and -L do not both point into $root: $flags" ;;
esac
sanitizer_flags=""
[ "$sanitize" = none ] || sanitizer_flags="-fsanitize=$sanitize"
# shellcheck disable=SC2086 # $flags and $sanitizer_flags are word lists
if ! "$@" -std=c11 -Wall -Wextra -pedantic -Werror $sanitizer_flags "$source" -o "$tmp/consumer" $flags \
    >"$tmp/cc.log" 2>&1; then
    cat "$tmp/cc.log"
    fail "consumer.c does not build with the installed headers and library: $* $sanitizer_flags $source $flags"
fi

# 3. Run it on the installed library, only that one.
export LD_LIBRARY_PATH="$libdir"
if command -v ldd >/dev/null 2>&1; then
    loaded=$(ldd "$tmp/consumer" | sed -n 's/^[[:space:]]*libbackdrop[^ ]* => \([^ ]*\).*/\1/p')
    case "$loaded" in
    "$libdir"/*) ;;
    *) fail "the loader picks '$loaded' for libbackdrop, not the installed $libdir/$soname" ;;
    esac
fi
"$tmp/consumer" "$version" || fail "consumer failed on the installed tree"
