#!/bin/sh
# quote_check.sh — fails when code quoted in the docs has drifted from the file it quotes.
#
# A quote in a Markdown file is a marker line followed by a fenced code block:
#   <!-- quote: examples/attention.c 71-86 -->
#   ```c
#   ... exactly lines 71 to 86 of examples/attention.c ...
#   ```
# The path is relative to ROOT. Every marker must be followed by a fence, the range must exist,
# and the block must equal those lines byte for byte; otherwise the quote is printed with a diff.
# When the source changes, move the range (or copy the lines anew) in the same commit.
#   usage: quote_check.sh ROOT DOC.md...
[ $# -ge 2 ] || { echo "usage: quote_check.sh ROOT DOC.md..." >&2; exit 2; }
root=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
nquotes=0
for doc in "$@"; do
  [ -r "$doc" ] || { echo "quote_check.sh: cannot read $doc" >&2; exit 2; }
  # one file per quote: $tmp/q.N holds the block, $tmp/q.N.meta "DOCLINE FILE FIRST LAST" (or "DOCLINE bad")
  rm -f "$tmp"/q.*
  awk -v dir="$tmp" '
    state == 0 && /^<!-- quote: / {
      n++; meta = dir "/q." n ".meta"; body = dir "/q." n
      spec = $0; sub(/^<!-- quote: /, "", spec); sub(/ -->[ \t]*$/, "", spec)
      split(spec, f, " "); split(f[2], r, "-")
      if (f[1] == "" || r[1] !~ /^[0-9]+$/ || r[2] !~ /^[0-9]+$/) { print NR, "bad" > meta; close(meta); next }
      print NR, f[1], r[1], r[2] > meta; close(meta)
      printf "" > body; close(body)
      state = 1; next
    }
    state == 1 { if ($0 ~ /^```/) { state = 2; next } print NR, "nofence" > meta; close(meta); state = 0; next }
    state == 2 { if ($0 ~ /^```[ \t]*$/) { state = 0; close(body); next } print >> body }
    END { if (state == 2) print NR, "unclosed" > meta }
  ' "$doc"
  for meta in "$tmp"/q.*.meta; do
    [ -e "$meta" ] || continue
    nquotes=$((nquotes + 1))
    body=${meta%.meta}
    set -- $(cat "$meta")
    at=$1
    case $2 in
    bad) echo "$doc:$at: malformed quote marker (want <!-- quote: PATH FIRST-LAST -->)"; status=1; continue ;;
    nofence) echo "$doc:$at: a quote marker must be followed by a fenced code block"; status=1; continue ;;
    unclosed) echo "$doc: the code block of a quote is not closed"; status=1; continue ;;
    esac
    file=$2 first=$3 last=$4
    if [ ! -r "$root/$file" ]; then
      echo "$doc:$at: quotes $file, which does not exist"; status=1; continue
    fi
    total=$(wc -l <"$root/$file")
    if [ "$first" -lt 1 ] || [ "$last" -lt "$first" ] || [ "$last" -gt "$total" ]; then
      echo "$doc:$at: quotes lines $first-$last of $file, which has $total lines"; status=1; continue
    fi
    sed -n "${first},${last}p" "$root/$file" >"$body.src"
    if ! cmp -s "$body" "$body.src"; then
      echo "$doc:$at: the quote of $file lines $first-$last has drifted (- the doc, + the file):"
      diff "$body" "$body.src" | sed 's/^/    /'
      status=1
    fi
  done
done
if [ $nquotes -eq 0 ]; then
  echo "quote_check.sh: no quotes found"
  exit 1
fi
[ $status -eq 0 ] && echo "quote_check: $nquotes quotes match their files"
exit $status
