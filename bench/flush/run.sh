#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Builds and runs the flush bench against a built libcodensm.a.
#   bench/flush/run.sh [BUILD_DIR] [RUNS]     (BUILD_DIR default: build)
set -e
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
lib=$(find "$build" -name libcodensm.a -path '*runtime*' | head -n 1)
[ -n "$lib" ] || { echo "no libcodensm.a under $build: build the runtime first" >&2; exit 1; }
out=$(mktemp -d)
cc -O2 -std=c11 -I"$root/runtime" -I"$root/include" -I"$root/tests/runtime" \
  "$here/flush_bench.c" "$lib" -lcjson -lnettle -pthread -lm -o "$out/flush_bench"
"$out/flush_bench" "${2:-9}"
rm -rf "$out"
