#!/usr/bin/env python3
"""RSS per key of build/walnut-server with every value in memory and with a
small --max-memory (docs/memory.md).

N keys (16-byte keys key:000000000000, values of --value-size random
letters, 100 by default as in compare_redis.py part 2) are fed to a fresh server through `redis-cli --pipe`,
once without --max-memory and once with it, alternating (A B A B ...), --runs
times. For each: RSS per key after loading (RSS minus the empty server's RSS,
over N, read after a 2 s pause for the background eviction to catch up), the
load time, what INFO says (value bytes in memory, values on disk), GET
throughput over random keys (redis-benchmark -t get -r N, 50 clients; the
data files are in the page cache, so a read from disk is a pread served by
the kernel), then RSS per key again after a SIGKILL and restart (the log
replayed) and after COMPACT and a restart (a snapshot start-up; without
--max-memory once the loader has read every value in). Medians are printed
as a Markdown table.

Usage: bench/memory_bench.py [--build build] [--keys 1000000] [--value-size 100]
                             [--runs 3] [--max-memory 16mb] [--out FILE.md]
"""
import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_redis as cr  # noqa: E402  (the server, load and RSS helpers)


def write_load(path, nkeys, value_size, seed):
    """RESP SETs of keys key:%012d (redis-benchmark's -r names), values drawn
    from a pool of random letters."""
    rng = random.Random(seed)
    letters = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    pool = [bytes(rng.choice(letters) for _ in range(value_size)) for _ in range(1024)]
    head = b"*3\r\n$3\r\nSET\r\n$16\r\n"
    with open(path, "wb", buffering=1 << 20) as f:
        for i in range(nkeys):
            f.write(b"%skey:%012d\r\n$%d\r\n%s\r\n" % (head, i, value_size, pool[i & 1023]))


def info_int(port, field):
    v = cr.info_field(port, "everything", field)
    return int(v) if v is not None else 0


def get_rps(port, nkeys):
    r = subprocess.run(["redis-benchmark", "-p", str(port), "-t", "get", "-n", "200000",
                        "-c", "50", "-r", str(nkeys), "-q"],
                       capture_output=True, text=True, timeout=1800)
    m = re.search(r"GET: ([\d.]+) requests per second", r.stdout)
    if m:
        return float(m.group(1))
    raise RuntimeError("redis-benchmark: " + r.stdout[-500:] + r.stderr[-500:])


def settle(port, in_memory):
    """Waits until the server is done moving values: without a budget the
    snapshot loader has read every value; with one, a 2 s pause."""
    deadline = time.time() + 600
    if in_memory:
        while info_int(port, "walnut_values_on_disk") > 0 and time.time() < deadline:
            time.sleep(0.1)
    time.sleep(2)


def one_run(build, load_path, nkeys, max_memory):
    extra = ["--max-memory", max_memory] if max_memory else []
    s = cr.Server("walnut", "everysec", build, extra=extra)
    try:
        base = cr.rss_bytes(s.proc.pid)
        t0 = time.monotonic()
        cr.pipe_load(s.port, load_path)
        load_s = time.monotonic() - t0
        settle(s.port, False)
        out = {
            "load_s": load_s,
            "rss": (cr.rss_bytes(s.proc.pid) - base) / nkeys,
            "cached_mb": info_int(s.port, "walnut_value_bytes_in_memory") / 2**20,
            "on_disk": info_int(s.port, "walnut_values_on_disk"),
        }
        out["get_rps"] = get_rps(s.port, nkeys)
        # The empty server's RSS stands for the fixed part in the restarts too.
        s.kill()
        s.start()
        settle(s.port, not max_memory)
        out["rss_replay"] = (cr.rss_bytes(s.proc.pid) - base) / nkeys
        cr.cli(s.port, "COMPACT")
        s.kill()
        s.start()
        settle(s.port, not max_memory)
        out["rss_snapshot"] = (cr.rss_bytes(s.proc.pid) - base) / nkeys
        if int(cr.cli(s.port, "DBSIZE")) != nkeys:
            raise RuntimeError("wrong key count after restart")
        return out
    finally:
        s.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--value-size", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--max-memory", default="16mb")
    ap.add_argument("--out")
    a = ap.parse_args()
    lines = []

    def say(line):
        print(line, flush=True)
        lines.append(line)

    tmp = tempfile.mkdtemp(prefix="walnut-membench-")
    load = os.path.join(tmp, "load.resp")
    write_load(load, a.keys, a.value_size, seed=a.keys)
    configs = [("all values in memory", None), (f"--max-memory {a.max_memory}", a.max_memory)]
    results = {name: [] for name, _ in configs}
    try:
        for r in range(a.runs):
            for name, mm in configs:
                res = one_run(a.build, load, a.keys, mm)
                print(f"<!-- run {r + 1} {name}: {res} -->", flush=True)
                results[name].append(res)
    finally:
        os.remove(load)
        os.rmdir(tmp)

    say(f"{a.keys:,} keys (16-byte keys, {a.value_size}-byte values), medians of {a.runs} runs, "
        f"`bench/memory_bench.py --keys {a.keys} --value-size {a.value_size} --runs {a.runs} "
        f"--max-memory {a.max_memory}`:")
    say("")
    say("| server | RSS B/key loaded | after SIGKILL + replay | after COMPACT + restart | "
        "values cached MiB | values on disk | load s | GET ops/s |")
    say("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, _ in configs:
        med = {k: statistics.median(r[k] for r in results[name]) for k in results[name][0]}
        say(f"| {name} | {med['rss']:.0f} | {med['rss_replay']:.0f} | {med['rss_snapshot']:.0f} | "
            f"{med['cached_mb']:.1f} | {med['on_disk']:,.0f} | {med['load_s']:.1f} | "
            f"{med['get_rps']:,.0f} |")
    if a.out:
        with open(a.out, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
