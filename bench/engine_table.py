#!/usr/bin/env python3
"""Turns engine_bench JSON (aggregates) into the markdown table of medians."""
import json
import sys

data = json.load(open(sys.argv[1]))
ctx = data["context"]
print(f"machine: {ctx.get('num_cpus')} cpus @ {ctx.get('mhz_per_cpu')} MHz, "
      f"build {ctx.get('library_build_type')}, {ctx.get('date')}")
print()
rows = []
for b in data["benchmarks"]:
    if b.get("aggregate_name") != "median":
        continue
    name = b["run_name"]
    parts = name.split("/")
    threads = next((p.split(":")[1] for p in parts if p.startswith("threads:")), "1")
    rate = b.get("items_per_second", 0)
    if parts[0] == "BM_DiskFdatasync":
        rows.append(("disk fdatasync (128 B append)", "-", "-", threads, rate, ""))
        continue
    mode = {"0": "always", "1": "everysec", "2": "-"}[parts[1]] if parts[0] == "BM_Put" else "-"
    size = parts[2]
    extra = ""
    if "writes_per_sync" in b and parts[0] == "BM_Put" and mode == "always":
        extra = f"{b['writes_per_sync']:.1f} writes/sync"
    if parts[0] == "BM_Put" and parts[1] == "2":
        mode = "no"
    rows.append(("put" if parts[0] == "BM_Put" else "get", mode, size, threads, rate, extra))
print("| op | fsync | value bytes | threads | ops/s (median of 3) | note |")
print("|---|---|---:|---:|---:|---|")
for op, mode, size, threads, rate, extra in rows:
    print(f"| {op} | {mode} | {size} | {threads} | {rate:,.0f} | {extra} |")
