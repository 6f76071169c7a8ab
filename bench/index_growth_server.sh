#!/bin/bash
# index_growth_server.sh: the longest request while a server's keyspace grows
# to ~14M keys (hash-table resizes under a write load), through redis-benchmark.
#
#   bench/index_growth_server.sh [LABEL=BINARY | redis] ...
#   ROUNDS=2 N=14000000 bench/index_growth_server.sh old=/path/walnut-server new=build/walnut-server redis
#
# Each spec, in turn, ROUNDS times (A B A B ...): a fresh server on a free
# port with its own directory (walnut: --fsync no, HTTP off; redis: no
# persistence), then `redis-benchmark -t set -n N -r 1000000000 -d 100 -P 16
# -c 50` (random keys: ~N distinct), and one line with throughput, the
# latency summary (avg min p50 p95 p99 max, ms) and DBSIZE.
set -euo pipefail
ROUNDS=${ROUNDS:-2}
N=${N:-14000000}
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
run_one() {
  local label=$1 bin=$2 port dir pid out
  port=$(free_port)
  dir=$(mktemp -d "${TMPDIR:-/tmp}/walnut-growth-XXXXXX")
  if [ "$bin" = redis ]; then
    redis-server --port "$port" --dir "$dir" --save '' --appendonly no >"$dir/server.log" 2>&1 &
  else
    "$bin" --port "$port" --dir "$dir/data" --http-port 0 --fsync no >"$dir/server.log" 2>&1 &
  fi
  pid=$!
  for _ in $(seq 1 400); do
    redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
    sleep 0.05
  done
  out=$(redis-benchmark -p "$port" -t set -n "$N" -r 1000000000 -d 100 -P 16 -c 50 2>&1 | tr '\r' '\n')
  printf '%s | %s | avg min p50 p95 p99 max ms: %s | keys %s\n' "$label" \
    "$(echo "$out" | grep -m1 'requests per second' | sed 's/ *throughput summary: *//')" \
    "$(echo "$out" | grep -A2 'latency summary' | tail -1 | tr -s ' ')" \
    "$(redis-cli -p "$port" dbsize)"
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}
for ((r = 1; r <= ROUNDS; r++)); do
  for spec in "$@"; do
    if [ "$spec" = redis ]; then run_one redis redis; else run_one "${spec%%=*}" "${spec#*=}"; fi
  done
done
