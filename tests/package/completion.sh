#!/bin/bash
# Unit test of the shell completions (completions/): the bash one is sourced and asked
# through COMP_WORDS/COMP_CWORD, the fish one through `complete -C`, the zsh one through
# compinit on a pseudo-terminal (zsh_complete.zsh). A fake `podrun` on PATH answers `ps` and `inspect` in the real
# formats (src/cli/cli.cpp, src/pod/status.cpp); the root test Completion.* asks a real pod.
# Usage: completion.sh SOURCE_DIR PODRUN_BINARY
set -u
export LC_ALL=C  # one sort order for the expected lists
src=$1
real_podrun=$2
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/podrun" <<'FAKE'
#!/bin/sh
case "$1" in
  ps) printf '%-24s %-10s %-6s %-9s %s\n' NAME PHASE READY RESTARTS AGE \
        web Running 3/3 0 12s webapp-2 Running 1/1 0 3m batch Succeeded 0/1 0 1h ;;
  inspect)
    [ "$2" = web ] || { echo "podrun: pod \"$2\" not found (podrun ps lists pods)" >&2; exit 1; }
    cat <<'JSON'
{
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {
    "labels": {
      "name": "not-a-container"
    },
    "name": "web",
    "namespace": "default"
  },
  "status": {
    "containerStatuses": [
      {
        "name": "server",
        "ready": true,
        "state": {
          "running": {
            "startedAt": "2026-12-01T21:00:00Z"
          }
        }
      },
      {
        "name": "writer",
        "ready": true
      }
    ],
    "initContainerStatuses": [
      {
        "name": "setup",
        "ready": false
      }
    ],
    "phase": "Running"
  }
}
JSON
    ;;
  *) exit 2 ;;
esac
FAKE
chmod +x "$tmp/podrun"
mkdir "$tmp/files" && touch "$tmp/files/pod.yaml" "$tmp/files/pod.json" && mkdir "$tmp/files/podsdir"

# bash: complete "$@" (the last word is the one being completed, or word N with
# cword=N before them) and compare the sorted candidates with $expected.
ask_bash() {
    local expected=$1 cword=""
    shift
    case "$1" in cword=*) cword=${1#cword=}; shift ;; esac
    local got
    got=$(cd "$tmp/files" && PATH="$tmp:$PATH" CWORD=$cword bash --norc --noprofile -c '
        source "$0"
        COMP_WORDS=("${@}")
        COMP_CWORD=${CWORD:-$(( ${#COMP_WORDS[@]} - 1 ))}
        _podrun
        printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' "$src/completions/podrun.bash" "$@")
    got=${got% }
    if [ "$got" != "$expected" ]; then
        echo "FAIL bash: '$*' -> '$got', expected '$expected'"
        fails=$((fails + 1))
    else
        echo "ok   bash: '$*' -> '$got'"
    fi
}

ask_bash "doctor down" podrun do
ask_bash "exec" podrun --log-level debug ex
ask_bash "debug" podrun --log-level de
ask_bash "--help --log-level --version" podrun --
ask_bash "batch web webapp-2" podrun logs ""
ask_bash "web webapp-2" podrun exec -c server we
ask_bash "web webapp-2" podrun inspect --ns w
ask_bash "" podrun tree web ""
ask_bash "server setup writer" podrun logs web -c ""
ask_bash "server setup writer" cword=3 podrun exec -c "" web
ask_bash "writer" cword=3 podrun logs -c w web -f
ask_bash "writer" podrun exec web --container w
ask_bash "" podrun logs nosuchpod -c ""
ask_bash "" podrun exec web -- ""
ask_bash "pod.json pod.yaml podsdir" podrun up po
ask_bash "pod.json pod.yaml podsdir" podrun validate p
ask_bash "" podrun up pod.json ""
ask_bash "podsdir" podrun up --cgroup-parent p
ask_bash "linear" podrun up --cpu-weight-formula l
ask_bash "--detach" podrun up --d
ask_bash "--cgroup-parent --configmap --cpu-weight-formula" podrun up --c
ask_bash "--json" podrun version --j
ask_bash "--all" podrun down --a
ask_bash "--stdin" podrun exec --s
ask_bash "--tail --timestamps" podrun logs web --t
ask_bash "" podrun ps ""

# Every subcommand that `podrun --help` lists is completed, and nothing else.
listed=$("$real_podrun" --help | awk '/^Subcommands:/ { on = 1; next } on && NF { print $1 }' | sort | tr '\n' ' ')
listed=${listed% }
if [ -z "$listed" ]; then
    echo "FAIL: no subcommands found in podrun --help"
    fails=$((fails + 1))
fi
ask_bash "$listed" podrun ""

# Every option of every subcommand's --help (and of podrun's own) is offered by bash.
for sub in "" $listed; do
    for flag in $("$real_podrun" $sub --help | awk '/^Options:/ { on = 1; next } /^[A-Za-z]+:/ { on = 0 }
            on && /^  -/ { n = split($1, a, ","); for (i = 1; i <= n; i++) print a[i] }'); do
        offered=$(PATH="$tmp:$PATH" bash --norc --noprofile -c 'source "$0"; COMP_WORDS=(podrun $1 "$2"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); _podrun; printf "%s\n" "${COMPREPLY[@]}"' \
            "$src/completions/podrun.bash" "$sub" "$flag")
        echo "$offered" | grep -qx -- "$flag" || { echo "FAIL bash: 'podrun $sub $flag' is not completed"; fails=$((fails + 1)); }
    done
done

# fish: the same questions through `complete -C`.
ask_fish() {
    local expected=$1 line=$2 got
    got=$(cd "$tmp/files" && PATH="$tmp:$PATH" fish --no-config -c "source '$src/completions/podrun.fish'; complete -C'$line'" |
        cut -f1 | sort | tr '\n' ' ')
    got=${got% }
    if [ "$got" != "$expected" ]; then
        echo "FAIL fish: '$line' -> '$got', expected '$expected'"
        fails=$((fails + 1))
    else
        echo "ok   fish: '$line' -> '$got'"
    fi
}
if command -v fish >/dev/null; then
    ask_fish "doctor down" "podrun do"
    ask_fish "batch web webapp-2" "podrun logs "
    ask_fish "server setup writer" "podrun logs web -c "
    ask_fish "pod.json pod.yaml podsdir/" "podrun up po"
    ask_fish "--json" "podrun version --j"
    ask_fish "$listed" "podrun "
else
    echo "FAIL: fish is not installed (scripts/setup installs it)"
    fails=$((fails + 1))
fi

# zsh: the same questions to compinit's completion system on a pseudo-terminal.
ask_zsh() {
    local expected=$1 line=$2 got
    got=$(cd "$tmp/files" && PATH="$tmp:$PATH" timeout 30 zsh -f "$src/tests/package/zsh_complete.zsh" \
        "$src/completions" "$line" | tr '\n' ' ')
    got=${got% }
    if [ "$got" != "$expected" ]; then
        echo "FAIL zsh: '$line' -> '$got', expected '$expected'"
        fails=$((fails + 1))
    else
        echo "ok   zsh: '$line' -> '$got'"
    fi
}
if command -v zsh >/dev/null; then
    ask_zsh "doctor down" "podrun do"
    ask_zsh "batch web webapp-2" "podrun logs "
    ask_zsh "server setup writer" "podrun logs web -c "
    ask_zsh "writer" "podrun exec web -c w"
    ask_zsh "pod.json pod.yaml podsdir" "podrun up po"
    ask_zsh "linear quadratic" "podrun up --cpu-weight-formula "
    ask_zsh "--json" "podrun version --"
    ask_zsh "$listed" "podrun "
else
    echo "FAIL: zsh is not installed (scripts/setup installs it)"
    fails=$((fails + 1))
fi

[ "$fails" -eq 0 ] || { echo "$fails completion check(s) failed"; exit 1; }
echo "all completion checks passed"
