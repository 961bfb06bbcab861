#!/bin/sh
# Issue 14: podrun in a chroot (no pivot_root). Builds a Debian 12 root with mmdebstrap once
# (cached in the build directory: reruns take seconds), copies the built binaries and the
# root test binary in at the same paths, binds /proc, /sys and /dev, mounts a tmpfs on /run
# and /tmp, and runs a named subset of the root tests inside it with PODRUN_MUST_RUN=1. All
# of it happens in a private mount namespace of its own (unshare), so nothing is left
# mounted on the host, and "/" of the chroot is a plain directory: podrun must detect that
# and use MS_MOVE + chroot.
#   tests/jobs/chroot.sh [BUILD_DIR] [GTEST_FILTER]
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
filter=${2:-'UpLifecycle.*:UpVolumes.*:UpNetwork.*:UpNamespaces.*:UpImage.*:ExecVerb.*:LifecycleVerbs.*:UpExamples.*:ConfineFs.*'}
cache=$build/chroot-cache
root=$cache/bookworm
[ "$(id -u)" = 0 ] || { echo "chroot.sh: needs root" >&2; exit 1; }

bins="$build/podrun $build/podrun-pause $build/tests/podrun_root_tests"
# The packages of the libraries the binaries load, so the chroot can run them.
libs=$(for b in $bins; do ldd "$b" 2>/dev/null | awk '$3 ~ /^\// {print $3}'; done | sort -u | while read -r l; do
         dpkg -S "$l" 2>/dev/null || dpkg -S "$(readlink -f "$l")" 2>/dev/null || true
       done | cut -d: -f1 | sort -u | tr '\n' ',')
# busybox-static: the tests copy /bin/busybox into image roots, which have no libc.
# golang-github-containers-common: the seccomp profile podrun confines containers with.
want="busybox-static,golang-github-containers-common,${libs%,}"
if [ ! -f "$root/.podrun-packages" ] || [ "$(cat "$root/.podrun-packages")" != "$want" ]; then
  start=$(date +%s)
  rm -rf "$root" "$root.tmp"
  mkdir -p "$cache"
  mmdebstrap --quiet --variant=apt --include="$want" bookworm "$root.tmp" >&2
  echo "$want" > "$root.tmp/.podrun-packages"
  mv "$root.tmp" "$root"
  echo "chroot.sh: built $root in $(( $(date +%s) - start )) s" >&2
fi

# The binaries and the test data at the paths compiled into the test binary.
for b in $bins; do
  mkdir -p "$root$(dirname "$b")"
  cp -f "$b" "$root$b"
done
mkdir -p "$root$here/tests"
rm -rf "$root$here/examples" "$root$here/tests"
mkdir -p "$root$here"
cp -r "$here/examples" "$here/tests" "$root$here/"

# A tmpfs /tmp, unless the checkout itself is under /tmp (a CI clone may be): it would hide
# the binaries and test data copied in at their own paths.
tmpfs_tmp=1
case "$here/ $build/" in /tmp/* | *" /tmp/"*) tmpfs_tmp=0 ;; esac

start=$(date +%s)
set +e
unshare --mount --propagation private sh -eu -c '
  root=$1; tmpfs_tmp=$2; shift 2
  mount --rbind /proc "$root/proc"
  mount --rbind /sys "$root/sys"
  mount --rbind /dev "$root/dev"
  mount -t tmpfs tmpfs "$root/run"
  [ "$tmpfs_tmp" = 1 ] && mount -t tmpfs tmpfs "$root/tmp"
  exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin PODRUN_MUST_RUN=1 "$@"
' chroot.sh "$root" "$tmpfs_tmp" "$build/tests/podrun_root_tests" --gtest_filter="$filter"
rc=$?
set -e
# Every path podrun creates lives under the root it runs in: nothing of the chroot's pods
# in the host's /run/podrun (issue 14 found container roots there).
for d in /run/podrun/*/roots; do
  if [ -e "$d" ]; then echo "chroot.sh: left on the host: $d" >&2; rc=1; fi
done
echo "chroot.sh: tests took $(( $(date +%s) - start )) s, exit $rc" >&2
exit $rc
