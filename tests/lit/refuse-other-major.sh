#!/bin/sh
# A plugin built for one LLVM major, loaded by a clang of another, must stop
# the compiler with a clear message instead of crashing it.
#   refuse-other-major.sh PLUGIN PLUGIN_MAJOR OTHER_CLANG OTHER_MAJOR
set -u
plugin=$1 major=$2 clang=$3 other=$4
src=$(mktemp --suffix=.c) && trap 'rm -f "$src" "$src.o"' EXIT
echo 'int f(void) { return 1; }' > "$src"
out=$("$clang" -fpass-plugin="$plugin" -c "$src" -o "$src.o" 2>&1)
status=$?
expected="CodeNSM.so was built for LLVM $major, but this compiler runs LLVM $other"
if [ "$status" -ne 1 ] || ! printf '%s' "$out" | grep -qF "$expected"; then
  echo "FAIL: exit $status, output: $out"
  exit 1
fi
echo "PASS: $out" | head -1
