#!/usr/bin/env bash
# layering.sh — fails when a library file includes or calls into a layer above its own.
#
# The layers, lowest first (docs/architecture.md): a file in src/L may include headers of and call
# functions defined in L and the layers below it, never above. Calls are read from the compiled
# objects (what each one defines and what it needs, as nm prints them), includes from the sources.
#   usage: layering.sh SRC_DIR OBJECT...
set -euo pipefail
src=$1
shift
declare -A rank=([core]=0 [kernels]=1 [drivers]=2 [notation]=3 [plan]=4 [ops]=5 [autograd]=6 [io]=6 [nn]=7)
layer_of() { # src/<layer>/<file> (an object's path ends in src/<layer>/<file>.c.o)
  local p=${1%/*}
  echo "${p##*/}"
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/defs"
: >"$tmp/uses"
for o in "$@"; do
  l=$(layer_of "$o")
  [ -n "${rank[$l]+x}" ] || { echo "layering.sh: $o is in no known layer ($l): add it to the table"; exit 1; }
  f="$l/$(basename "$o" .c.o)"
  nm --defined-only -g "$o" | awk -v f="$f" 'NF == 3 {print $3, f}' >>"$tmp/defs"
  nm -u "$o" | awk -v f="$f" '{print $NF, f}' >>"$tmp/uses"
done
sort -k1,1 -u "$tmp/defs" >"$tmp/defs.s"
sort -k1,1 "$tmp/uses" >"$tmp/uses.s"
bad=0
# symbol, user file, defining file
while read -r sym user def; do
  lu=${user%%/*} ld=${def%%/*}
  if [ "${rank[$ld]}" -gt "${rank[$lu]}" ]; then
    echo "call up a layer: src/$user.c ($lu) -> $sym, defined in src/$def.c ($ld)"
    bad=1
  fi
done < <(join -1 1 -2 1 "$tmp/uses.s" "$tmp/defs.s")
for l in "${!rank[@]}"; do
  for f in "$src"/src/"$l"/*.[ch]; do
    [ -e "$f" ] || continue
    while read -r inc; do
      il=${inc#../}
      il=${il%%/*}
      if [ -n "${rank[$il]+x}" ] && [ "${rank[$il]}" -gt "${rank[$l]}" ]; then
        echo "include up a layer: ${f#"$src"/} ($l) includes $inc"
        bad=1
      fi
    done < <(sed -n 's/^#include "\(\.\.\/[a-z]*\/[^"]*\)".*/\1/p' "$f")
  done
done
if [ "$bad" = 0 ]; then echo "layering: no include or call runs up a layer ($# objects)"; fi
exit "$bad"
