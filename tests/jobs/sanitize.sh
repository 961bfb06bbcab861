#!/bin/sh
# CI job (./dev test): podrun under the sanitizers. Preset asan-ubsan (ASan + UBSan, children
# forked: ASan cannot follow the vfork-style paths) runs the unit tests and the whole root
# suite; preset ubsan (UBSan alone) keeps the vfork-style paths (CLONE_VM, the clone3
# trampoline of src/sys/process.cpp) and runs the unit tests and the root tests that go
# through them (every container start, exec, probe and hook, pause). Any report fails the job:
# UBSan is built with -fno-sanitize-recover, ASan halts on its first error, LeakSanitizer
# checks every process that exits normally. Reports go to files (log_path), not only to
# stderr: a detached supervisor's stderr is a file of its pod, a joiner's is the container's,
# and a test that expects a failure might not look at a report on stderr.
#   tests/jobs/sanitize.sh [PRESET...]     (default: asan-ubsan ubsan)
# PODRUN_SANITIZE_ASAN_FILTER, PODRUN_SANITIZE_UBSAN_FILTER: ctest -R regexes of the root
# tests (default: every root test; the vfork-path subset below).
set -eu
cd "$(dirname "$0")/../.."
presets=${*:-asan-ubsan ubsan}
asan_filter=${PODRUN_SANITIZE_ASAN_FILTER:-.}
ubsan_filter=${PODRUN_SANITIZE_UBSAN_FILTER:-'^(UpLifecycle|LifecycleVerbs|ExecVerb|UpNamespaces|ConfineFs|ConfineProc|UpVolumes|UpZombies|UpOutput)\.|^PodrunTest\.(Fault|Race|TimedOutExecProbe|PostStartGates)'}
[ "$(id -u)" = 0 ] || { echo "sanitize.sh: needs root (the root suite)" >&2; exit 1; }
export PODRUN_MUST_RUN=1
here=$(pwd)
fail=0
for preset in $presets; do
  dir=build-$preset
  reports=$here/$dir/sanitizer-reports
  rm -rf "$reports"
  mkdir -p "$reports"
  # exitcode: a report's exit code, told apart from every code a test expects of podrun.
  common="log_path=$reports/report:exitcode=86:print_stacktrace=1"
  export UBSAN_OPTIONS="$common:halt_on_error=1"
  export ASAN_OPTIONS="$common:halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=0"
  export LSAN_OPTIONS="$common"
  case $preset in
    asan-ubsan) filter=$asan_filter ;;
    ubsan) filter=$ubsan_filter ;;
    *) echo "sanitize.sh: unknown preset $preset (asan-ubsan, ubsan)" >&2; exit 2 ;;
  esac
  start=$(date +%s)
  cmake --preset "$preset" -B "$dir" >/dev/null
  cmake --build "$dir"
  built=$(date +%s)
  (cd "$dir" && ctest -L unit --output-on-failure --timeout 600) || fail=1
  unit=$(date +%s)
  # ctest adds the leak_check fixture (nothing of podrun's left on the host) after them.
  (cd "$dir" && ctest -L root -R "$filter" --output-on-failure --timeout 900) || fail=1
  done_at=$(date +%s)
  # Sanitizer warnings that are no error (ASan's note on a stack switch) are not failures.
  found=$(grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:|ERROR: UndefinedBehaviorSanitizer' \
    "$reports"/report* 2>/dev/null || true)
  if [ -n "$found" ]; then
    echo "sanitize $preset: reports in $reports:"
    for f in $found; do echo "== $f"; head -80 "$f"; done
    fail=1
  fi
  echo "sanitize $preset: build $((built - start)) s, unit $((unit - built)) s, root ($filter) $((done_at - unit)) s"
done
exit $fail
