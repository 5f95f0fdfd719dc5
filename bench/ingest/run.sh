#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run.sh - ingest throughput of codensm-collector on loopback.
# Builds the load generator, starts a collector on a fresh database in a
# temporary directory, runs ingest_bench and stops the collector.
#   bench/ingest/run.sh [path/to/codensm-collector] [threads requests functions reps [hist]]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../build/collector/codensm-collector}
shift || true
tmp=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
cc -O2 -Wall -Wextra -o "$tmp/ingest_bench" "$here/ingest_bench.c" -lcurl -lpthread
key=$("$bin" key create bench --db "$tmp/bench.db")
"$bin" serve --listen 127.0.0.1:0 --db "$tmp/bench.db" 2> "$tmp/log" & pid=$!
for _ in $(seq 100); do grep -qs "listening on" "$tmp/log" && break; sleep 0.05; done
port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/log")
[ -n "$port" ] || { cat "$tmp/log"; exit 1; }
"$tmp/ingest_bench" "http://127.0.0.1:$port/codensm/ingest" "$key" "$@"
