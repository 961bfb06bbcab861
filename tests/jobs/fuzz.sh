#!/bin/sh
# CI job: build the libFuzzer targets (preset fuzz: clang-14, ASan+UBSan) and run each one for
# a bounded time; fails on a crash, a leak, a timeout or an out-of-memory, and says how many
# executions ran. Every fuzz/<name>_fuzz.cpp target is run, seeded from fuzz/corpus/<name>/
# and, for manifests, from examples/ at run time.
#   tests/jobs/fuzz.sh [SECONDS]    (default 60 per target; PODRUN_FUZZ_SECONDS too)
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-${PODRUN_FUZZ_SECONDS:-60}}
build=${PODRUN_FUZZ_BUILD_DIR:-build-fuzz}

start=$(date +%s)
cmake --preset fuzz -B "$build" >/dev/null
cmake --build "$build"
echo "fuzz: built in $(( $(date +%s) - start )) s"

fail=0
for bin in "$build"/fuzz/*_fuzz; do
  name=$(basename "$bin" _fuzz)
  work=$(mktemp -d)           # new inputs go here, never into the repository
  seeds=$(mktemp -d)
  [ -d "fuzz/corpus/$name" ] && cp fuzz/corpus/"$name"/* "$seeds"/ 2>/dev/null || true
  if [ "$name" = manifest ]; then
    cp examples/*.json examples/*.yaml "$seeds"/ 2>/dev/null || true
  fi
  dict=""
  [ -f "fuzz/$name.dict" ] && dict="-dict=fuzz/$name.dict"
  log="$work.log"
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: a blow-up is a failure.
  set +e
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$work/" $dict "$work" "$seeds" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ $rc -ne 0 ]; then
    echo "fuzz $name: FAILED (exit $rc) after ${execs:-?} executions; the input and report:"
    ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* 2>/dev/null || true
    grep -E -A30 '^==[0-9]+==ERROR|runtime error|ALARM|out-of-memory|deadly signal' "$log" | head -60
    fail=1
  else
    echo "fuzz $name: ${execs:-?} executions in $secs s, no crash, leak or timeout ($(ls "$work" | wc -l) new inputs)"
  fi
  rm -rf "$work" "$seeds" "$log"
done
echo "fuzz: done in $(( $(date +%s) - start )) s"
exit $fail
