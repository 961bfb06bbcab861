#!/bin/sh
# The include graph holds what docs/architecture.md draws (ctest label unit, no build needed):
# 1. no file under src/ or include/podrun/ outside sys/ includes a header of raw Linux
#    calls (<sys/mount.h>, <sched.h>, <sys/syscall.h>): those calls live in src/sys/;
# 2. a room includes only its own headers and those of the rooms its row of the table
#    "Include directions" in docs/architecture.md names;
# 3. the transitional umbrella podrun/sys/io.hpp is included by no new file.
# tests/include_allowlist.txt lists today's exceptions, each with its reason; an entry
# that no longer matches is reported, to be removed.
set -u
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 2
allow=tests/include_allowlist.txt
doc=docs/architecture.md
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
grep -v '^[[:space:]]*#' "$allow" | grep -v '^[[:space:]]*$' | sed 's/[[:space:]]*$//' | sort -u >"$tmp/allow"
: >"$tmp/used"

# "file: what" is allowed? (and remembered as used)
allowed() {
  if grep -qxF "$1: $2" "$tmp/allow"; then echo "$1: $2" >>"$tmp/used"; return 0; fi
  return 1
}
violation() { echo "include_check: $1"; fail=1; }

# The room of a file: src/<room>/..., include/podrun/<room>/..., or explain/main.
room_of() {
  case "$1" in
    src/explain.cpp|include/podrun/explain.hpp) echo explain ;;
    src/main.cpp) echo main ;;
    src/*/*) r=${1#src/}; echo "${r%%/*}" ;;
    include/podrun/*/*) r=${1#include/podrun/}; echo "${r%%/*}" ;;
    *) echo "" ;;
  esac
}

# The table between the markers: "| room | a, b, c |".
sed -n '/<!-- include-directions -->/,/<!-- \/include-directions -->/p' "$doc" |
  grep '^| `' | sed 's/`//g' |
  awk -F'|' '{ gsub(/ /, "", $2); gsub(/ /, "", $3); print $2 " " $3 }' >"$tmp/table"
[ -s "$tmp/table" ] || { echo "include_check: no include-directions table in $doc"; exit 1; }

files=$(find src include -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.c' \) | sort)
for f in $files; do
  room=$(room_of "$f")
  # 1. headers of raw Linux calls
  if [ "$room" != sys ]; then
    for h in '<sys/mount.h>' '<sched.h>' '<sys/syscall.h>'; do
      if grep -qF "#include $h" "$f" && ! allowed "$f" "$h"; then
        violation "$f includes $h: raw Linux calls belong in src/sys/"
      fi
    done
  fi
  # 3. the umbrella
  if grep -qF '#include "podrun/sys/io.hpp"' "$f" && [ "$f" != include/podrun/sys/io.hpp ] &&
     ! allowed "$f" "podrun/sys/io.hpp"; then
    violation "$f includes podrun/sys/io.hpp: include the header that holds what it uses"
  fi
  # 2. directions
  [ "$room" = main ] && continue
  may=$(awk -v r="$room" '$1 == r { print $2 }' "$tmp/table")
  for dep in $(grep -o '#include "podrun/[a-z_]*[/.]' "$f" | sed 's/#include "podrun\///; s/[/.]$//' | sort -u); do
    [ "$dep" = "$room" ] && continue
    case ",$may," in *",$dep,"*) continue ;; esac
    allowed "$f" "$dep" && continue
    violation "$f ($room) includes podrun/$dep: not an arrow of $doc (include directions)"
  done
done

sort -u "$tmp/used" >"$tmp/used.s"
comm -23 "$tmp/allow" "$tmp/used.s" | while read -r l; do
  echo "include_check: note: allowlist entry no longer needed, remove it: $l"
done
[ $fail -eq 0 ] && echo "include_check: the include graph holds ($(echo "$files" | wc -l) files)"
exit $fail
