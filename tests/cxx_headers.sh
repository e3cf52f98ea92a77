#!/bin/sh
# Compiles every public header alone, and the C++ example program, as C++11/14/17/20 with each C++
# compiler found (g++, clang++, $CXX) under -Wall -Wextra -pedantic -Werror; the headers also as C11.
set -eu
build_dir=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
inc="-I$source_dir/include -I$build_dir/include"
flags="-Wall -Wextra -pedantic -Werror -fsyntax-only"
headers="einc.h einc.hpp $(cd "$source_dir/include" && ls einc/*.h)"

compilers=""
for c in ${CXX:-} g++ clang++; do
    command -v "$c" >/dev/null 2>&1 || continue
    case " $compilers " in *" $c "*) ;; *) compilers="$compilers $c" ;; esac
done
[ -n "$compilers" ] || { echo "no C++ compiler found"; exit 1; }

passed=0
failed=0
check() { # what, command...
    what=$1
    shift
    if "$@" 2>"$work/err"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $what"
        cat "$work/err"
    fi
}
for h in $headers; do
    printf '#include <%s>\n#include <%s>\n' "$h" "$h" >"$work/one.cpp" # twice: include guards
    for cxx in $compilers; do
        for std in 11 14 17 20; do
            check "$h with $cxx -std=c++$std" $cxx -std=c++$std $flags $inc -x c++ "$work/one.cpp"
        done
    done
    case $h in
    *.hpp) ;;
    *) check "$h as C11" ${CC:-cc} -std=c11 $flags $inc -x c "$work/one.cpp" ;;
    esac
done
for cxx in $compilers; do
    for std in 11 14 17 20; do
        check "tests/install/hello.cpp with $cxx -std=c++$std" $cxx -std=c++$std $flags $inc "$source_dir/tests/install/hello.cpp"
    done
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
