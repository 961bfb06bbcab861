#!/bin/sh
# CI job: the unit tests and root integration tests under ASan+UBSan (preset asan-ubsan:
# children are forked there, as ASan cannot follow the vfork-style paths), then under UBSan
# alone (preset ubsan), which keeps those paths (src/sys/process.cpp). Any report fails the
# job: UBSan is built with -fno-sanitize-recover, ASan aborts on its first error and
# LeakSanitizer fails a process that leaks at exit.
#   tests/jobs/sanitize.sh [GTEST_FILTER]   root tests to run (default: the subset below;
#                                           '*' for the whole root suite)
set -eu
cd "$(dirname "$0")/../.."
# The root suite under ASan takes several times its normal length on 2 CPUs: by default a
# named subset covering up, exec, the lifecycle verbs, races and faults.
filter=${1:-${PODRUN_SANITIZE_FILTER:-'UpLifecycle*:LifecycleVerbs*:Exec*:PodrunTest.Race*:PodrunTest.Fault*:UpMalformed*:UpVolumes*'}}
export PODRUN_MUST_RUN=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
for preset in asan-ubsan ubsan; do
  dir=build-$preset
  start=$(date +%s)
  cmake --preset "$preset" -B "$dir" >/dev/null
  cmake --build "$dir"
  built=$(date +%s)
  (cd "$dir" && ctest -L unit --output-on-failure)
  unit=$(date +%s)
  "$dir"/tests/podrun_root_tests --gtest_filter="$filter" --gtest_brief=1
  echo "sanitize $preset: build $((built - start)) s, unit $((unit - built)) s, root ($filter) $(( $(date +%s) - unit )) s"
done
