#!/bin/sh
# Every C and C++ file of the project is in the house format (.clang-format at the root):
# clang-format --dry-run -Werror over them, listing the files that differ. The fix is
# `./dev format`. Files are the tracked ones when this is a git checkout, else every
# *.c/*.h/*.cpp/*.hpp under the project's own directories (a source tarball).
set -u
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 2
fmt=$(command -v clang-format || command -v clang-format-14) || {
  echo "format_check: clang-format is missing (scripts/setup installs it)" >&2; exit 1; }
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  files=$(git ls-files '*.c' '*.h' '*.cpp' '*.hpp')
else
  files=$(find bench fuzz include pause src tests -name '*.c' -o -name '*.h' -o -name '*.cpp' -o -name '*.hpp')
fi
bad=""
for f in $files; do
  "$fmt" --dry-run -Werror "$f" >/dev/null 2>&1 || bad="$bad $f"
done
if [ -n "$bad" ]; then
  echo "format_check: not in the house format (run ./dev format):" >&2
  for f in $bad; do echo "  $f" >&2; done
  exit 1
fi
echo "format_check: $(echo "$files" | wc -w) files in the house format"
