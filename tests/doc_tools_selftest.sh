#!/bin/sh
# doc_tools_selftest.sh — the documentation checks fail when they should: doc_check.sh on a copy of
# include/einc/notation.h with one doc block removed, and on one whose block lost its example;
# quote_check.sh on docs/attention.md against a shifted copy of examples/attention.c, on an edited
# quote, a range past the end of the file and a marker without a code block.
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

# quote_check.sh: the real docs pass; a shifted source, an edited quote, a range past the end and
# a marker without a code block fail
sh "$src/tests/quote_check.sh" "$src" "$src/docs/attention.md" >/dev/null || fail "quote_check.sh rejects docs/attention.md"
mkdir -p "$tmp/root/examples" "$tmp/root/docs"
cp "$src/docs/attention.md" "$tmp/root/docs/attention.md"
{ echo "/* one line more */"; cat "$src/examples/attention.c"; } >"$tmp/root/examples/attention.c"
out=$(sh "$src/tests/quote_check.sh" "$tmp/root" "$tmp/root/docs/attention.md") && fail "quote_check.sh accepts quotes of a shifted file"
echo "$out" | grep -q 'has drifted' || fail "quote_check.sh does not say the quote drifted: $out"
cp "$src/examples/attention.c" "$tmp/root/examples/attention.c"
sh "$src/tests/quote_check.sh" "$tmp/root" "$tmp/root/docs/attention.md" >/dev/null || fail "quote_check.sh rejects the copies"
sed 's/"\.\.\. N \[M\]"/"... N [K]"/' "$src/docs/attention.md" >"$tmp/root/docs/attention.md"
cmp -s "$src/docs/attention.md" "$tmp/root/docs/attention.md" && fail "could not edit the softmax line of the quote"
out=$(sh "$src/tests/quote_check.sh" "$tmp/root" "$tmp/root/docs/attention.md") && fail "quote_check.sh accepts an edited quote"
echo "$out" | grep -q 'N \[K\]' || fail "quote_check.sh does not show the edited line: $out"
printf '<!-- quote: examples/attention.c 1-999999 -->\n```c\nx\n```\n' >"$tmp/root/docs/range.md"
out=$(sh "$src/tests/quote_check.sh" "$tmp/root" "$tmp/root/docs/range.md") && fail "quote_check.sh accepts a range past the end"
echo "$out" | grep -q 'which has' || fail "quote_check.sh does not name the file's length: $out"
printf '<!-- quote: examples/attention.c 1-2 -->\ntext\n' >"$tmp/root/docs/nofence.md"
sh "$src/tests/quote_check.sh" "$tmp/root" "$tmp/root/docs/nofence.md" >/dev/null && fail "quote_check.sh accepts a marker without a code block"
echo "doc tools detect what they should"
