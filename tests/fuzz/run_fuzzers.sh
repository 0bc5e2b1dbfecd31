#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS (default 600) from its checked-in corpus, two at a
# time (one per core), and prints executions and findings per target. New inputs go to
# fuzz-out/<target>/ (not the repo); crashes to fuzz-out/<target>-crash-*. Needs the
# sanitizer build that deploy/test.sh makes (build-asan, -Dfuzz=true).
#
#   tests/fuzz/run_fuzzers.sh [SECONDS] [TARGET...]
#   tests/fuzz/run_fuzzers.sh 600 --merge   # also merge coverage-new inputs into the corpora
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-600}
shift || true
merge=0
targets=()
for a in "$@"; do
  if [ "$a" = "--merge" ]; then merge=1; else targets+=("$a"); fi
done
# Default: every target with a corpus (each target has one: the fuzz-corpus suite replays it).
if [ ${#targets[@]} -eq 0 ]; then
  for d in tests/fuzz/corpus/*/; do targets+=("$(basename "$d")"); done
fi
bin=build-asan/tests/fuzz
for t in "${targets[@]}"; do
  [ -x "$bin/${t}_fuzz" ] || { echo "missing $bin/${t}_fuzz: run deploy/test.sh first" >&2; exit 2; }
done
mkdir -p fuzz-out
run_one() {
  local t=$1
  mkdir -p "fuzz-out/$t"
  "$bin/${t}_fuzz" "fuzz-out/$t" "tests/fuzz/corpus/$t" -max_total_time="$secs" \
    -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="fuzz-out/$t-" > "fuzz-out/$t.log" 2>&1
  echo "$t exit $?" >> "fuzz-out/$t.log"
}
running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ $running -ge 2 ]; then wait -n; running=$((running - 1)); fi
done
wait
status=0
for t in "${targets[@]}"; do
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "fuzz-out/$t.log" | grep -oE '[0-9]+$')
  cov=$(grep -oE 'cov: [0-9]+' "fuzz-out/$t.log" | tail -1)
  crashes=$(ls fuzz-out/"$t"-crash-* fuzz-out/"$t"-leak-* fuzz-out/"$t"-timeout-* 2>/dev/null | wc -l)
  printf '%-18s %ss  %12s executions  %-10s  findings: %s\n' "$t" "$secs" "${execs:-?}" \
    "${cov:-cov: ?}" "$crashes"
  [ "$crashes" -eq 0 ] || status=1
  if [ $merge -eq 1 ]; then
    "$bin/${t}_fuzz" -merge=1 "tests/fuzz/corpus/$t" "fuzz-out/$t" > "fuzz-out/$t.merge.log" 2>&1
  fi
done
exit $status
