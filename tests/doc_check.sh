#!/bin/sh
# doc_check.sh — fails when a public function in the given headers has no doc block.
#
# A doc block is a /** ... */ comment ending on the line just above the EINC_API declaration and
# holding an example: a line " *   " + code with a call in it (the SQLite-style blocks of
# include/einc/notation.h). Prints each undocumented function as FILE:LINE: NAME.
#   usage: doc_check.sh HEADER...
[ $# -gt 0 ] || { echo "usage: doc_check.sh HEADER..." >&2; exit 2; }
status=0
for h in "$@"; do
  [ -r "$h" ] || { echo "doc_check.sh: cannot read $h" >&2; exit 2; }
  awk -v file="$h" '
    { line[NR] = $0 }
    /^EINC_API / {
      name = $0
      sub(/\(.*/, "", name)
      sub(/.*[ *]/, "", name)
      ok = 0
      if (NR > 1 && line[NR - 1] ~ /\*\/[ \t]*$/) {
        example = 0
        for (i = NR - 1; i >= 1; i--) {
          if (line[i] ~ /^ \*   +[^ ].*\(/) example = 1
          if (line[i] ~ /^\/\*\*/) { ok = example; break }
          if (line[i] ~ /^\/\*/ || (i < NR - 1 && line[i] ~ /\*\/[ \t]*$/)) break
        }
      }
      if (!ok) { printf "%s:%d: %s has no doc block with an example\n", file, NR, name; bad = 1 }
      n++
    }
    END { if (bad) exit 1; if (n == 0) { printf "%s: no EINC_API declarations\n", file; exit 1 } }
  ' "$h" || status=1
done
[ $status -eq 0 ] && echo "doc_check: every public function in $* has a doc block"
exit $status
