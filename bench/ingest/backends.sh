#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# backends.sh - ingest throughput per replica on SQLite and on PostgreSQL,
# side by side in one run.
#
# Builds the load generator (ingest_bench.c), starts a throwaway
# PostgreSQL 15 (Debian's initdb/postgres, in a temporary directory, on a
# loopback port, default durability: fsync on, synchronous_commit on, as
# SQLite's synchronous=FULL), then for each setup - SQLite with one
# collector, PostgreSQL with one collector, PostgreSQL with two replicas on
# one database - creates a fresh database, starts the collector(s) and
# runs one ingest_bench per replica at the same time.  Prints each
# replica's median requests/s and functions/s, and their sum.
#   bench/ingest/backends.sh [path/to/codensm-collector] [threads requests functions reps]
# (threads are per replica; defaults 4 200 50 5).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../build/collector/codensm-collector}
shift || true
params=("${@:-4 200 50 5}")
read -r -a params <<< "${params[*]}"
pgbin=${CNSM_PG_BIN:-/usr/lib/postgresql/15/bin}
tmp=$(mktemp -d)
pids=()
pgpid=""
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  [ -n "$pgpid" ] && kill -INT "$pgpid" 2>/dev/null && wait "$pgpid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
as_pg=()
if [ "$(id -u)" -eq 0 ]; then # PostgreSQL refuses to run as root
  chown nobody:nogroup "$tmp"
  as_pg=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi
cc -O2 -Wall -Wextra -o "$tmp/ingest_bench" "$here/ingest_bench.c" -lcurl -lpthread
"${as_pg[@]}" "$pgbin/initdb" -D "$tmp/pg" -U codensm --auth=trust -E UTF8 --locale=C \
  --no-instructions > "$tmp/initdb.log"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${as_pg[@]}" "$pgbin/postgres" -D "$tmp/pg" -h 127.0.0.1 -p "$port" -k "$tmp" \
  -c max_connections=100 > "$tmp/pg.log" 2>&1 & pgpid=$!
for _ in $(seq 300); do psql -X -q -d "postgresql://codensm@127.0.0.1:$port/postgres" \
  -c 'SELECT 1' > /dev/null 2>&1 && break; sleep 0.1; done

# run LABEL DB REPLICAS: one collector per replica, one bench per collector.
run() {
  local label=$1 db=$2 n=$3 key ports=() i
  key=$("$bin" key create bench --db "$db")
  pids=()
  for i in $(seq "$n"); do
    "$bin" serve --listen 127.0.0.1:0 --db "$db" 2> "$tmp/log$i" & pids+=($!)
    for _ in $(seq 100); do grep -qs "listening on" "$tmp/log$i" && break; sleep 0.05; done
    ports+=("$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/log$i")")
  done
  local benches=()
  for i in $(seq "$n"); do
    "$tmp/ingest_bench" "http://127.0.0.1:${ports[$((i - 1))]}/codensm/ingest" "$key" \
      "${params[@]}" > "$tmp/bench$i" & benches+=($!)
  done
  for b in "${benches[@]}"; do wait "$b"; done
  local total=0 rps
  for i in $(seq "$n"); do
    rps=$(sed -n 's/^median of [0-9]*: \([0-9]*\) requests.*/\1/p' "$tmp/bench$i")
    printf '%-26s replica %d: %s\n' "$label" "$i" "$(grep '^median' "$tmp/bench$i" | cut -d: -f2-)"
    total=$((total + rps))
  done
  printf '%-26s all replicas: %d requests/s, %d functions/s\n' "$label" "$total" \
    "$((total * params[2]))"
  for p in "${pids[@]}"; do kill "$p" && wait "$p" 2>/dev/null || true; done
  pids=()
}

echo "codensm-collector ingest, per replica (bench/ingest/backends.sh ${params[*]})"
echo "machine: $(nproc) CPU; $("$pgbin/postgres" --version); SQLite $(sqlite3 --version | cut -d' ' -f1)"
run "SQLite, 1 collector" "$tmp/bench.db" 1
psql -X -q -d "postgresql://codensm@127.0.0.1:$port/postgres" -c 'CREATE DATABASE one' -c 'CREATE DATABASE two'
run "PostgreSQL, 1 collector" "postgresql://codensm@127.0.0.1:$port/one" 1
run "PostgreSQL, 2 replicas" "postgresql://codensm@127.0.0.1:$port/two" 2
