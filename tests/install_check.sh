#!/bin/sh
# Installs einc from the build tree into a temporary prefix, then builds tests/install/hello.c
# against it twice — with pkg-config and with CMake's find_package(einc) — and runs both.
set -eu
build_dir=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
libdir=$(ls -d "$work"/prefix/lib* | head -n 1)

export PKG_CONFIG_PATH="$libdir/pkgconfig"
cc -o "$work/hello_pc" "$source_dir/tests/install/hello.c" $(pkg-config --cflags --libs einc) -Wl,-rpath,"$libdir"
out=$("$work/hello_pc")
[ "$out" = "5" ] || { echo "pkg-config build printed '$out', expected 5"; exit 1; }

cmake -S "$source_dir/tests/install" -B "$work/cm" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cm" >/dev/null
out=$("$work/cm/hello")
[ "$out" = "5" ] || { echo "find_package build printed '$out', expected 5"; exit 1; }
echo "1 passed, 0 failed"
