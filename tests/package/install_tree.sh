#!/bin/sh
# Unit test of `cmake --install`: into a scratch DESTDIR with prefix /usr, exactly the
# files of the package land where Debian puts them, and the installed podrun finds the
# installed podrun-pause (in ../libexec/podrun, not next to itself).
# Usage: install_tree.sh BUILD_DIR [--up]   (--up needs root)
set -u
build=$1
up=0
[ "${2:-}" = "--up" ] && up=1
if [ "$up" -eq 1 ] && [ "$(id -u)" -ne 0 ]; then echo "FAIL: --up needs root"; exit 1; fi
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

DESTDIR=$dest cmake --install "$build" --prefix /usr >/dev/null || { echo "FAIL: cmake --install"; exit 1; }

for f in usr/bin/podrun usr/libexec/podrun/podrun-pause usr/libexec/podrun/podrun-image; do
    [ -x "$dest/$f" ] || fail "$f is not installed as an executable"
done
for f in usr/share/bash-completion/completions/podrun usr/share/zsh/vendor-completions/_podrun \
    usr/share/fish/vendor_completions.d/podrun.fish usr/share/man/man1/podrun.1.gz \
    usr/share/man/man1/podrun-up.1.gz usr/share/doc/podrun/copyright usr/share/doc/podrun/examples/hello.json \
    usr/share/podrun/cni/podrun0.conflist; do
    [ -f "$dest/$f" ] || fail "$f is not installed"
done
[ ! -e "$dest/usr/bin/podrun-pause" ] || fail "podrun-pause is installed in bin/ (it belongs in libexec/podrun/)"
# Nothing outside those places (no test binary, no header, no build-tree file).
unexpected=$(cd "$dest" && find . ! -type d | sed 's|^\./||' | grep -v -E \
    '^usr/(bin/podrun|libexec/podrun/podrun-(pause|image)|share/man/man1/podrun(-[a-z]+)?\.1\.gz|share/bash-completion/completions/podrun|share/zsh/vendor-completions/_podrun|share/fish/vendor_completions.d/podrun\.fish|share/doc/podrun/(copyright|examples/[^/]+)|share/podrun/cni/podrun0\.conflist)$')
[ -z "$unexpected" ] || fail "unexpected files installed: $unexpected"
# With --up (the root test install_tree_up): the installed podrun runs a pod, so it found
# the installed pause, with nothing pointing it there.
if [ "$up" -eq 1 ]; then
    out=$(env -u PODRUN_PAUSE "$dest/usr/bin/podrun" up "$dest/usr/share/doc/podrun/examples/hello.json" 2>&1)
    rc=$?
    echo "$out"
    [ "$rc" -eq 0 ] || fail "the installed podrun up exited $rc"
    echo "$out" | grep -q "^hello | hello from hello on hello, I am pid 2 in the pod$" || fail "the installed podrun up: no greeting"
fi
[ "$fails" -eq 0 ] || { echo "$fails install check(s) failed"; exit 1; }
echo "cmake --install puts every file where Debian expects it"
