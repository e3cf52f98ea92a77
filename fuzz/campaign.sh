#!/bin/sh
# campaign.sh SECONDS [TARGET...] — runs each libFuzzer target of build-fuzz/ (default: every one
# of notation, npy, safetensors, axes) for SECONDS under ASan + UBSan, on a scratch copy of its
# committed corpus (fuzz/corpus/<target>/, plus tests/golden/npy/ for npy) with its dictionary
# when there is one. Fails when a target finds anything (the input is left in $FUZZ_ARTIFACTS,
# default /tmp/einc-fuzz-artifacts/). Used by `make fuzz-check`; see fuzz/README.md.
set -u
secs=${1:?usage: campaign.sh SECONDS [TARGET...]}
shift
targets=${*:-notation npy safetensors axes}
root=$(cd "$(dirname "$0")/.." && pwd)
art=${FUZZ_ARTIFACTS:-/tmp/einc-fuzz-artifacts}
mkdir -p "$art"
status=0
for t in $targets; do
  bin="$root/build-fuzz/fuzz_$t"
  if [ ! -x "$bin" ]; then echo "campaign: $bin missing (run make fuzz)"; exit 2; fi
  work=$(mktemp -d "${TMPDIR:-/tmp}/einc-fuzz-$t.XXXXXX")
  cp "$root/fuzz/corpus/$t/"* "$work/" 2>/dev/null
  [ "$t" = npy ] && cp "$root/tests/golden/npy/"*.npy "$work/" 2>/dev/null
  dict=""
  [ -f "$root/fuzz/$t.dict" ] && dict="-dict=$root/fuzz/$t.dict"
  log="$art/fuzz_$t.log"
  echo "campaign: fuzz_$t for ${secs}s (log $log)"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$bin" $dict -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$art/$t-" "$work" >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  if [ $rc -ne 0 ]; then
    echo "campaign: fuzz_$t FAILED (exit $rc) after ${runs:-?} runs:"
    grep -E 'ERROR|SUMMARY|violated|==[0-9]+==|Test unit written' "$log" | head -20
    status=1
  else
    echo "campaign: fuzz_$t clean: ${runs:-?} runs in ${secs}s"
  fi
  rm -rf "$work"
done
exit $status
