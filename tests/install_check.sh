#!/bin/sh
# Installs einc from the build tree into a temporary prefix, then builds and runs user programs
# against it: tests/install/hello.c (C) and tests/install/hello.cpp (C++17), each with pkg-config
# and with CMake's find_package(einc) (a C project and a C++-only project; shared and static).
# Also checks the installed version header, pkg-config Version, the man page and the docs.
set -eu
build_dir=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
libdir=$(ls -d "$work"/prefix/lib* | head -n 1)
passed=0
expect() { # what, expected, program
    out=$("$3")
    [ "$out" = "$2" ] || { echo "$1 printed '$out', expected '$2'"; exit 1; }
    passed=$((passed + 1))
}
c_out=5
cxx_out=$(printf '276 1 0\nAxisSizeError 0')

export PKG_CONFIG_PATH="$libdir/pkgconfig"
cc -o "$work/hello_pc" "$source_dir/tests/install/hello.c" $(pkg-config --cflags --libs einc) -Wl,-rpath,"$libdir"
expect "C, pkg-config" "$c_out" "$work/hello_pc"
c++ -std=c++17 -Wall -Wextra -pedantic -Werror -o "$work/hello_cxx_pc" "$source_dir/tests/install/hello.cpp" \
    $(pkg-config --cflags --libs einc) -Wl,-rpath,"$libdir"
expect "C++17, pkg-config" "$cxx_out" "$work/hello_cxx_pc"

cmake -S "$source_dir/tests/install" -B "$work/cm" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cm" >/dev/null
expect "C, find_package" "$c_out" "$work/cm/hello"
expect "C, find_package, static" "$c_out" "$work/cm/hello_static"
cmake -S "$source_dir/tests/install/cxx" -B "$work/cmx" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cmx" >/dev/null
expect "C++17, find_package" "$cxx_out" "$work/cmx/hello_cxx"
expect "C++17, find_package, static" "$cxx_out" "$work/cmx/hello_cxx_static"

# one version everywhere: the generated header, einc_version(), pkg-config, the tool
version=$(sed -n 's/^#define EINC_VERSION_STRING "\(.*\)"$/\1/p' "$work/prefix/include/einc/version.h")
[ -n "$version" ] || { echo "installed einc/version.h has no EINC_VERSION_STRING"; exit 1; }
[ "$(pkg-config --modversion einc)" = "$version" ] || { echo "pkg-config Version is not $version"; exit 1; }
if [ -x "$work/prefix/bin/einc" ]; then
    "$work/prefix/bin/einc" --version | head -n 1 | grep -q "^einc $version " ||
        { echo "einc --version does not say $version"; exit 1; }
    [ -f "$work/prefix/share/man/man1/einc.1" ] || { echo "man page einc(1) not installed"; exit 1; }
fi
passed=$((passed + 1))
for f in README.md LICENSE CHANGELOG.md notation.md cli.md cpp.md; do
    [ -f "$work/prefix/share/doc/einc/$f" ] || { echo "share/doc/einc/$f not installed"; exit 1; }
done
passed=$((passed + 1))
echo "$passed passed, 0 failed"
