#!/bin/sh
# format_check.sh SOURCE_DIR — fails when a tracked C/C++ file differs from what clang-format (with
# the repository's .clang-format) makes of it, naming the files and the first differing lines.
# Skips (exit 77) without clang-format or without git (a tarball has no list of tracked files).
# `make format` formats the tree.
root=${1:?usage: format_check.sh SOURCE_DIR}
cd "$root" || exit 2
command -v clang-format >/dev/null 2>&1 || { echo "format_check: clang-format not installed: skipped"; exit 77; }
files=$(git ls-files '*.c' '*.h' '*.hpp' '*.cpp' 2>/dev/null) || { echo "format_check: not a git checkout: skipped"; exit 77; }
[ -n "$files" ] || { echo "format_check: no tracked files: skipped"; exit 77; }
bad=0
for f in $files; do
  if ! clang-format "$f" | cmp -s - "$f"; then
    echo "format_check: $f is not formatted (make format):"
    clang-format "$f" | diff "$f" - | head -8
    bad=$((bad + 1))
  fi
done
if [ $bad -ne 0 ]; then echo "format_check: $bad file(s) not formatted"; exit 1; fi
echo "format_check: $(echo "$files" | wc -l) files formatted ($(clang-format --version))"
