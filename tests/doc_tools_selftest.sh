#!/bin/sh
# doc_tools_selftest.sh — the documentation checks fail when they should: doc_check.sh on a copy of
# include/einc/notation.h with one doc block removed, and on one whose block lost its example.
#   usage: doc_tools_selftest.sh SOURCE_DIR
set -u
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

sh "$src/tests/doc_check.sh" "$src/include/einc/notation.h" >/dev/null || fail "doc_check.sh rejects notation.h itself"
# the block of einc_mean removed: its declaration follows the end of einc_sum's declaration
awk '/^\/\*\* einx.mean over/ { skip = 1 } skip && /\*\/$/ { skip = 0; next } !skip' \
  "$src/include/einc/notation.h" >"$tmp/no_block.h"
grep -q 'einx.mean over' "$tmp/no_block.h" && fail "could not remove the block of einc_mean"
out=$(sh "$src/tests/doc_check.sh" "$tmp/no_block.h") && fail "doc_check.sh accepts a header without einc_mean's block"
echo "$out" | grep -q 'einc_mean has no doc block' || fail "doc_check.sh does not name einc_mean: $out"
# the example line of einc_var removed
grep -v 'einc_tensor \*v = einc_var(ctx' "$src/include/einc/notation.h" >"$tmp/no_example.h"
out=$(sh "$src/tests/doc_check.sh" "$tmp/no_example.h") && fail "doc_check.sh accepts a block without an example"
echo "$out" | grep -q 'einc_var has no doc block' || fail "doc_check.sh does not name einc_var: $out"
echo "doc tools detect what they should"
