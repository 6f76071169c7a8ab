#!/bin/bash
# Server CPU time per request of two or more server binaries (and redis-server),
# alternating: for each round and each row, every binary runs on a fresh server
# with its own port and directory. Prints one line per run; take the medians.
#
#   bench/cpu_per_request_ab.sh ROUNDS name=BINARY ... [redis=redis]
#   e.g. bench/cpu_per_request_ab.sh 3 old=/tmp/walnut-server-old new=build/walnut-server
#
# Rows (50 clients, pipeline 16, 1M-key space, 100-byte values): GET, SET, MGET
# and MSET of 10 keys. GET, MGET and MSET run after 1M uncounted SETs (~63% of
# the keys exist); SET starts empty. CPU = utime+stime from /proc/PID/stat
# around the measured load. ROWS="get mget" picks rows; PIPELINE=1 measures
# at another pipeline depth (below 16, with 1/8 of the requests).
set -euo pipefail
rounds=$1
shift
rows=${ROWS:-get set mget mset}
pipeline=${PIPELINE:-16}
k="key:__rand_int__"

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    ss -ltn | awk '{print $4}' | grep -q ":$p\$" || { echo "$p"; return; }
  done
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

for round in $(seq "$rounds"); do
  for row in $rows; do
    for spec in "$@"; do
      name=${spec%%=*}
      bin=${spec#*=}
      dir=$(mktemp -d)
      # A port found free can be taken before the server binds it: then the
      # server exits, and it is started again on another port.
      for attempt in 1 2 3 4 5; do
        port=$(free_port)
        if [ "$bin" = redis ]; then
          redis-server --port "$port" --save '' --appendonly no --dir "$dir" >/dev/null 2>&1 &
        else
          "$bin" --port "$port" --http-port 0 --dir "$dir" --fsync no >/dev/null 2>&1 &
        fi
        pid=$!
        until redis-cli -p "$port" ping 2>/dev/null | grep -q PONG || ! kill -0 "$pid" 2>/dev/null; do
          sleep 0.05
        done
        kill -0 "$pid" 2>/dev/null && break
        [ "$attempt" = 5 ] && { echo "$name did not start" >&2; exit 1; }
      done
      bench=(redis-benchmark -p "$port" -r 1000000 -c 50 -q)
      if [ "$row" != set ]; then "${bench[@]}" -P 16 -t set -n 1000000 -d 100 >/dev/null; fi
      case $row in
        get) n=3000000; load=(-t get -d 100) ;;
        set) n=3000000; load=(-t set -d 100) ;;
        mget) n=300000; load=(MGET $k $k $k $k $k $k $k $k $k $k) ;;
        mset) n=300000; load=(MSET $k v $k v $k v $k v $k v $k v $k v $k v $k v $k v) ;;
        *) echo "unknown row $row" >&2; exit 2 ;;
      esac
      if [ "$pipeline" -lt 16 ]; then n=$((n / 8)); fi
      c0=$(cpu_ticks "$pid")
      "${bench[@]}" -P "$pipeline" -n "$n" "${load[@]}" >/dev/null
      c1=$(cpu_ticks "$pid")
      tck=$(getconf CLK_TCK)
      echo "round $round $row p$pipeline $name cpu_us_per_req=$(echo "scale=3; ($c1 - $c0) * 1000000 / $tck / $n" | bc)"
      kill "$pid"
      wait "$pid" 2>/dev/null || true
      rm -rf "$dir"
    done
  done
done
