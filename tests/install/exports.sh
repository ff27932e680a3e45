#!/bin/sh
# What the shared library shows to the programs that link it.
#
#   exports.sh symbols LIBRARY HEADER   the dynamic symbols LIBRARY defines
#       are exactly the functions HEADER declares, all named backdrop_*, and
#       each declaration carries BACKDROP_API (a function declared without
#       it would be hidden, and missing from the library)
#   exports.sh soname LIBRARY SONAME    LIBRARY's SONAME is SONAME
#
# Exit 0 pass, 1 fail, 77 skip (the binutils tool is missing).
set -u

fail() {
    echo "FAIL: $*"
    exit 1
}

need() {
    command -v "$1" >/dev/null 2>&1 || { echo "SKIP: $1 is not on PATH (binutils)"; exit 77; }
}

check_symbols() {
    lib=$1 header=$2
    need nm
    [ -f "$lib" ] || fail "$lib does not exist"
    [ -f "$header" ] || fail "$header does not exist"
    # Column 3 is the name; a version suffix (name@@VER) would not hide a leak.
    exported=$(nm -D --defined-only "$lib" | awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 }' | sort -u)
    [ -n "$exported" ] || fail "nm -D --defined-only $lib lists nothing"
    leaked=$(printf '%s\n' "$exported" | grep -v '^backdrop_')
    if [ -n "$leaked" ]; then
        echo "FAIL: $lib exports $(printf '%s\n' "$leaked" | wc -l) symbols outside the API (not backdrop_*):"
        printf '%s\n' "$leaked" | sed 's/^/  /'
        echo "Internal functions must not be marked BACKDROP_API; the library is built with hidden visibility."
        exit 1
    fi

    # Declarations start at the beginning of a line: "BACKDROP_API int backdrop_open(".
    declared=$(sed -n 's/^\(BACKDROP_API \)\{0,1\}[A-Za-z_][A-Za-z0-9_ ]*[ *]\(backdrop_[a-z0-9_]*\)(.*/\2/p' "$header" | sort -u)
    [ -n "$declared" ] || fail "found no function declarations in $header"
    unmarked=$(grep -E '^[A-Za-z_][A-Za-z0-9_ ]*[ *]backdrop_[a-z0-9_]*\(' "$header" | grep -v '^BACKDROP_API ')
    [ -z "$unmarked" ] || fail "declared without BACKDROP_API in $header (they would not be exported):
$unmarked"
    missing=$(printf '%s\n' "$declared" | grep -vxF "$exported")
    [ -z "$missing" ] || fail "declared in $header but not exported by $lib: $(echo $missing)"
    extra=$(printf '%s\n' "$exported" | grep -vxF "$declared")
    [ -z "$extra" ] || fail "exported by $lib but not declared in $header: $(echo $extra)"
    echo "$lib exports the $(printf '%s\n' "$exported" | wc -l) functions of $header and nothing else:"
    printf '%s\n' "$exported" | sed 's/^/  /'
}

check_soname() {
    lib=$1 want=$2
    need readelf
    [ -f "$lib" ] || fail "$lib does not exist"
    got=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
    [ "$got" = "$want" ] || fail "$lib has SONAME '$got', expected '$want' (api_version in meson.build)"
    echo "$lib: SONAME $got"
}

usage="usage: $0 symbols LIBRARY HEADER | soname LIBRARY SONAME"
case "${1:-}" in
symbols) [ $# -eq 3 ] || fail "$usage"; check_symbols "$2" "$3" ;;
soname) [ $# -eq 3 ] || fail "$usage"; check_soname "$2" "$3" ;;
*) fail "$usage" ;;
esac
