#!/usr/bin/env bash
# clang-format (14, Debian's clang-format) over every C and C++ file git tracks, with the
# project's .clang-format (Google style, 100 columns).
#   scripts/format.sh          rewrites the files that drift
#   scripts/format.sh --check  lists them and fails instead (scripts/test.sh runs this)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
tool="$(command -v clang-format-14 || command -v clang-format || true)"
if [ -z "$tool" ]; then
  echo "format: clang-format is not installed (scripts/setup.sh installs it)" >&2
  exit 1
fi
mapfile -t files < <(git ls-files '*.c' '*.cc' '*.cpp' '*.h' '*.hpp')
if [ "${1:-}" = "--check" ]; then
  # One run over every file; its warnings start with the file's name.
  mapfile -t drift < <("$tool" --dry-run "${files[@]}" 2>&1 | sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: warning:.*/\1/p' | sort -u)
  if [ ${#drift[@]} -gt 0 ]; then
    echo "format: ${#drift[@]} file(s) differ from clang-format; run scripts/format.sh:" >&2
    printf '  %s\n' "${drift[@]}" >&2
    exit 1
  fi
  echo "format: ${#files[@]} files as clang-format writes them"
else
  "$tool" -i "${files[@]}"
fi
