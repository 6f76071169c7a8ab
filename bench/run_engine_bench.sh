#!/usr/bin/env bash
# Runs the engine benchmarks (3 repetitions, medians) and prints a markdown
# table; raw JSON goes to bench/results/.
# Usage: bench/run_engine_bench.sh [build-dir]
set -euo pipefail
build=${1:-build}
[[ $# -gt 0 ]] && shift
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/results"
out="$here/results/engine-$(date -u +%Y%m%dT%H%M%SZ).json"
export WALNUT_BENCH_DIR=${WALNUT_BENCH_DIR:-$build/bench-data}
"$build/bench/engine_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_out="$out" --benchmark_out_format=json "$@" >/dev/null
python3 "$here/engine_table.py" "$out"
echo
echo "raw results: $out"
