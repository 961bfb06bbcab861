#!/bin/sh
# Unit test of the man pages (docs/man): podrun(1) and one page per subcommand that
# `podrun --help` lists, each rendered by man-db's man(1) without a single troff or man
# warning, each with its NAME section naming itself and documenting every option that
# the command's --help lists.
# Usage: man_pages.sh MAN_BUILD_DIR PODRUN_BINARY
set -u
dir=$1
podrun=$2
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

command -v man >/dev/null || { echo "FAIL: man is not installed (scripts/setup installs man-db)"; exit 1; }
subs=$("$podrun" --help | awk '/^Subcommands:/ { on = 1; next } on && NF { print $1 }')
[ -n "$subs" ] || fail "no subcommands found in podrun --help"

pages="podrun"
for s in $subs; do pages="$pages podrun-$s"; done
for p in $pages; do
    f="$dir/$p.1.gz"
    if [ ! -f "$f" ]; then
        fail "$p: no man page $f (add docs/man/$p.1.md)"
        continue
    fi
    warnings=$(MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
    [ -z "$warnings" ] || fail "$p: man warns: $warnings"
    text=$(MANWIDTH=80 man -l "$f" 2>/dev/null)
    echo "$text" | grep -q "^NAME" || fail "$p: no NAME section"
    echo "$text" | grep -q "^ *$p  *- " || fail "$p: NAME does not name $p"
    # Every option `podrun SUB --help` lists is documented on SUB's page.
    sub=${p#podrun}
    sub=${sub#-}
    for flag in $("$podrun" $sub --help | awk '/^Options:/ { on = 1; next } /^[A-Za-z]+:/ { on = 0 }
            on && /^  -/ { n = split($1, a, ","); for (i = 1; i <= n; i++) print a[i] }'); do
        case "$flag" in -h | --help) continue ;; esac
        zcat "$f" | grep -qE -- "(^|[^a-z-])$flag([^a-z-]|\$)" || fail "$p: does not document $flag"
    done
    [ "$fails" -eq 0 ] && echo "ok   $p"
done
# And no page for a subcommand podrun does not have.
for f in "$dir"/podrun-*.1.gz; do
    p=$(basename "$f" .1.gz)
    echo " $pages " | grep -q " $p " || fail "$p: a page for a subcommand podrun --help does not list"
done
[ "$fails" -eq 0 ] || { echo "$fails man page check(s) failed"; exit 1; }
echo "all man pages render without warnings"
