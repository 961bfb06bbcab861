#!/usr/bin/zsh -f
# zsh_complete.zsh DIR LINE: the matches zsh's completion system (compinit, with DIR first
# in fpath) offers for LINE<TAB>, one a line, sorted. An interactive zsh on a pseudo-terminal
# (zsh/zpty); compadd is wrapped to print every match, and a comppostfuncs hook marks the end.
zmodload zsh/zpty || exit 2
dir=$1 line=$2
init=$(mktemp)
cat >$init <<INIT
PROMPT=''; RPROMPT=''
fpath=('$dir' \$fpath); autoload -Uz compinit; compinit -u -D
INIT
cat >>$init <<'INIT'
compadd () {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return $?; fi
  typeset -a hits; builtin compadd -A hits "$@"
  local h; for h in $hits; do print -rn -- $'\n'"<MATCH>$h"; done
  builtin compadd "$@"
}
end-of-matches() { print -rn -- $'\n<END>\n'; compstate[insert]=''; compstate[list]=''; }
comppostfuncs=(end-of-matches)
zstyle ':completion:*' menu no
INIT
zpty z zsh -f -i
zpty -w z "source $init"
zpty -n -w z "$line"$'\t'
integer tries=0
out=""
while (( tries++ < 1000 )); do
  zpty -r -t z chunk && out+=$chunk
  [[ $out == *$'\n<END>'* ]] && break
  sleep 0.01
done
zpty -d z
rm -f $init
print -r -- "$out" | tr -d '\r' | sed -n 's/^<MATCH>//p' | sort -u
