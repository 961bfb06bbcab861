#!/bin/sh
# The suite's last test: no pod process, mount, cgroup or state of podrun's is left.
set -u
fail=0
say() { echo "leak_check: $*"; fail=1; }

if [ "$(id -u)" -ne 0 ]; then
  if [ "${PODRUN_MUST_RUN:-}" = "1" ]; then echo "leak_check: needs root"; exit 1; fi
  echo "leak_check: skipped, needs root"; exit 0
fi

# State and volumes.
for d in /run/podrun /var/lib/podrun; do
  if [ -d "$d" ] && [ -n "$(ls -A "$d" 2>/dev/null)" ]; then
    say "state left in $d: $(ls -A "$d" | tr '\n' ' ')"
  fi
done

# Mounts in the host's mount namespace.
if grep -E '/run/podrun|/var/lib/podrun|podrun' /proc/self/mountinfo; then
  say "mounts left (above)"
fi

# cgroups: anything under <cgroup2>/podrun.
cg2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
if [ -n "$cg2" ] && [ -d "$cg2/podrun" ]; then
  left=$(find "$cg2/podrun" -mindepth 1 -type d 2>/dev/null)
  [ -n "$left" ] && say "cgroups left: $left"
fi

# Processes: any podrun-pause, or any process inside podrun's cgroups.
for p in /proc/[0-9]*; do
  exe=$(readlink "$p/exe" 2>/dev/null) || continue
  case "$exe" in
    */podrun-pause*) say "pause process left: ${p#/proc/} ($exe)" ;;
  esac
  if grep -q '^0::/podrun/' "$p/cgroup" 2>/dev/null; then
    say "process left in a podrun cgroup: ${p#/proc/} ($exe)"
  fi
done

[ $fail -eq 0 ] && echo "leak_check: nothing left behind"
exit $fail
