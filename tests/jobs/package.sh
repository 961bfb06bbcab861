#!/bin/sh
# The Debian package, end to end: CPack builds podrun's .deb; it is installed with dpkg
# into a fresh Debian 12 root (mmdebstrap --variant=apt, with the package's Recommends),
# where `podrun version`, `podrun doctor` and `podrun up` of an example run in a chroot
# (/proc, /sys, /dev bound, a tmpfs /run); then `dpkg -r` must leave no file behind.
# Run by `./dev test`; as root. The base root is cached as a tarball in the build
# directory (the first run downloads it from the Debian mirror: about 3 minutes).
# Usage: tests/jobs/package.sh [BUILD_DIR]
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
work=$build/package-test
root=$work/root
cache=$build/package-cache/bookworm-apt.tar
t0=$(date +%s)
fails=0
fail() { echo "package: FAIL: $*"; fails=$((fails + 1)); }
step() { echo "package: [$(($(date +%s) - t0))s] $*"; }

[ "$(id -u)" -eq 0 ] || { echo "package: needs root (dpkg in a chroot)" >&2; exit 1; }

# Mounts under $root, deepest first; the root's own bind mount last.
unmount_root() {
    findmnt -rn -o TARGET | grep -E "^$root(/|\$)" | sort -r | while read -r m; do umount -l "$m"; done
}
cleanup() {
    unmount_root
    if findmnt -rn -o TARGET | grep -qE "^$root(/|\$)"; then
        echo "package: mounts remain under $root; not removing it" >&2
        return
    fi
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
cleanup

step "building the .deb with CPack"
cmake --build "$build"
mkdir -p "$work"
(cd "$build" && cpack -G DEB -B "$work/deb" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/deb/podrun_*.deb)
dpkg-deb -I "$deb" | sed -n '/^ Package:/,$p'
dpkg-deb -f "$deb" Recommends | grep -q passt || fail "the .deb does not recommend passt"
dpkg-deb -f "$deb" Recommends | grep -q golang-github-containers-common || fail "the .deb does not recommend golang-github-containers-common"
# The runtime libraries: none for a static podrun; dpkg-shlibdeps' list otherwise.
if file -L "$build/podrun" | grep -q "dynamically linked"; then
    dpkg-deb -f "$deb" Depends | grep -q libc6 || fail "a dynamically linked podrun, but the .deb does not depend on libc6"
fi

# The base root holds the Recommends and what the package Depends on (podrun-image's
# libcurl, libarchive, libcrypto), so that dpkg -i has them, and removing the package
# must leave that root exactly as it was. The cache is keyed by that list.
deps=$(dpkg-deb -f "$deb" Depends | sed 's/([^)]*)//g; s/|[^,]*//g; s/[[:space:]]//g')
include="passt,golang-github-containers-common${deps:+,$deps}"
cache="${cache%.tar}-$(echo "$include" | md5sum | cut -c1-8).tar"
if [ ! -f "$cache" ]; then
    step "making the base root (mmdebstrap --variant=apt bookworm, with $include), cached in $cache"
    mkdir -p "$(dirname "$cache")"
    rm -rf "$cache" "$cache.tmp"  # what an interrupted or older run left
    mmdebstrap --quiet --variant=apt --format=tar --include="$include" bookworm "$cache.tmp"
    mv "$cache.tmp" "$cache"
fi
step "unpacking the base root"
mkdir -p "$root"
tar -C "$root" -xf "$cache"
# The chroot's "/" is a plain directory, as after a plain `chroot`: podrun must detect it
# and pivot from the namespace's real root. (A root bound onto itself, as arch-chroot
# makes it, is not detected yet: see docs/cli.md.) podrun itself runs in a private mount
# namespace (unshare, below), so no pod mount can propagate to the host.
for d in proc sys dev; do
    mount --rbind "/$d" "$root/$d"
    mount --make-rslave "$root/$d"
done
mount -t tmpfs -o mode=0755 tmpfs "$root/run"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

# What the root holds before the package, to compare after its removal. dpkg's and apt's
# own books are expected to change; everything else must come back exactly.
snapshot() {
    (cd "$root" && find . -xdev \( -path ./var/lib/dpkg -o -path ./var/log -o -path ./var/cache -o -path ./tmp \) -prune -o -print) | sort
}
snapshot >"$work/before"

step "dpkg -i $(basename "$deb")"
cp "$deb" "$root/tmp/podrun.deb"
in_root dpkg -i /tmp/podrun.deb || fail "dpkg -i"
in_root dpkg -L podrun >"$work/files" || fail "dpkg -L podrun"
for f in /usr/bin/podrun /usr/libexec/podrun/podrun-pause /usr/libexec/podrun/podrun-image /usr/share/man/man1/podrun.1.gz \
    /usr/share/bash-completion/completions/podrun /usr/share/zsh/vendor-completions/_podrun \
    /usr/share/fish/vendor_completions.d/podrun.fish; do
    grep -qx "$f" "$work/files" || fail "the package does not install $f"
done

# The installed bash completion, where bash-completion would load it from.
got=$(in_root bash --norc -c 'source /usr/share/bash-completion/completions/podrun; COMP_WORDS=(podrun vers); COMP_CWORD=1; _podrun; echo "${COMPREPLY[*]}"')
[ "$got" = version ] || fail "the installed bash completion offers '$got' for 'podrun vers'"

step "podrun version"
in_root podrun version || fail "podrun version"
step "podrun doctor"
if in_root podrun doctor >"$work/doctor" 2>&1; then
    cat "$work/doctor"
    grep -q "\[yes \] pods without resources" "$work/doctor" || fail "podrun doctor: pods will not run in the chroot"
else
    cat "$work/doctor"
    fail "podrun doctor exited non-zero"
fi
step "podrun up /usr/share/doc/podrun/examples/hello.json"
# The pod must live in the chroot: what it leaves on the host (its state and scratch
# directories, its cgroup) is a failure, and removed here so that one run does not spoil
# the next. Only paths that did not exist before the pod started are looked at.
cg=$(findmnt -rn -t cgroup2 -o TARGET | head -n 1)
host_paths="/run/podrun/hello /var/lib/podrun/hello ${cg:+$cg/podrun/hello}"
new_on_host=""
for p in $host_paths; do [ -e "$p" ] || new_on_host="$new_on_host $p"; done
made_run_podrun=0
[ -e /run/podrun ] || made_run_podrun=1
if unshare --mount --propagation private chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    podrun up /usr/share/doc/podrun/examples/hello.json >"$work/up" 2>&1; then
    cat "$work/up"
    grep -q "^hello | hello from hello on hello, I am pid 2 in the pod$" "$work/up" || fail "podrun up: no greeting from the pod"
else
    rc=$?
    cat "$work/up"
    fail "podrun up of examples/hello.json in the chroot exited $rc"
fi
in_root podrun ps | awk 'NR > 1 { print "package: FAIL: a pod is left: " $0 }' | grep . && fails=$((fails + 1))
left=$(ls -A "$root/run/podrun" 2>/dev/null || true)
[ -z "$left" ] || fail "state left in the chroot's /run/podrun: $left"
for p in $new_on_host; do
    [ -e "$p" ] || continue
    fail "the pod in the chroot left $p on the host: $(find "$p" | head -n 5 | tr '\n' ' ')"
    case "$p" in
        "$cg"/*) find "$p" -depth -type d -exec rmdir {} + 2>/dev/null ;;
        *) findmnt -rn -o TARGET | grep -q "^$p" || rm -rf --one-file-system "$p" ;;
    esac
done
[ "$made_run_podrun" -eq 1 ] && rmdir /run/podrun 2>/dev/null

step "dpkg -r podrun"
in_root dpkg -r podrun || fail "dpkg -r podrun"
status=$(in_root dpkg-query -W -f='${db:Status-Abbrev}' podrun 2>/dev/null || true)
case "$status" in "" | "un "*) ;; *) fail "after dpkg -r the package's status is '$status', not gone" ;; esac
while read -r f; do
    # A directory the package shared with others (/usr/bin) stays; one of its own must go,
    # which the snapshot comparison below checks.
    if [ -d "$root$f" ] && ! [ -L "$root$f" ]; then continue; fi
    if [ -e "$root$f" ] || [ -L "$root$f" ]; then fail "dpkg -r left $f"; fi
done <"$work/files"
snapshot >"$work/after"
if ! diff "$work/before" "$work/after" >"$work/diff"; then
    fail "the root differs from before the install:"
    cat "$work/diff"
fi

step "done"
[ "$fails" -eq 0 ] || { echo "package: $fails check(s) failed"; exit 1; }
echo "package: the .deb installs, runs a pod and removes cleanly in a fresh Debian root ($(($(date +%s) - t0))s)"
