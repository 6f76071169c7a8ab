#!/usr/bin/env python3
"""Side-by-side load: build/walnut-server against redis-server, same durability.

Each row runs the same redis-benchmark load against both servers in
alternation (W R W R ...), several times, and prints the medians and the ratio
walnut/redis. Besides requests per second it records each server's CPU time
per request (utime+stime from /proc/PID/stat around each run): on a 2-core
machine redis-benchmark fills one core, so throughput alone hides how lean a
server is.

Usage: bench/compare_redis.py [--build build] [--runs 3] [--quick] [--out FILE.md]
Every server gets its own free port and fresh data directory; nothing is left
running afterwards.
"""
import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HZ = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is state (field 3); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / HZ


def wait_ping(port, proc, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}")
        r = subprocess.run(["redis-cli", "-p", str(port), "PING"], capture_output=True, text=True)
        if r.stdout.strip() == "PONG":
            return
        time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not answer PING")


class Server:
    def __init__(self, kind, durability, build):
        self.kind, self.durability = kind, durability
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix=f"walnut-bench-{kind}-")
        if kind == "walnut":
            fsync = {"none": "no", "everysec": "everysec", "always": "always"}[durability]
            cmd = [f"{build}/walnut-server", "--port", str(self.port), "--http-port", "0",
                   "--dir", self.dir, "--fsync", fsync]
        else:
            cmd = ["redis-server", "--port", str(self.port), "--dir", self.dir, "--save", "",
                   "--daemonize", "no", "--logfile", os.path.join(self.dir, "redis.log")]
            if durability == "none":
                cmd += ["--appendonly", "no"]
            else:
                cmd += ["--appendonly", "yes", "--appendfsync", durability]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_ping(self.port, self.proc)

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def parse_benchmark(out):
    rps = re.search(r"throughput summary: ([\d.]+) requests per second", out)
    lat = re.search(r"latency summary \(msec\):\s*\n\s*avg\s+min\s+p50\s+p95\s+p99\s+max\s*\n\s*"
                    r"([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", out)
    p999 = None
    for m in re.finditer(r"(\d+\.\d+)% <= ([\d.]+) milliseconds", out):
        if float(m.group(1)) >= 99.9:
            p999 = float(m.group(2))
            break
    if not rps or not lat:
        raise RuntimeError("could not parse redis-benchmark output:\n" + out[-2000:])
    return {"rps": float(rps.group(1)), "p50": float(lat.group(3)), "p99": float(lat.group(5)),
            "p999": p999 if p999 is not None else float(lat.group(6))}


def run_load(server, args, requests):
    cmd = ["redis-benchmark", "-p", str(server.port), "-n", str(requests)] + args
    before = cpu_seconds(server.proc.pid)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    after = cpu_seconds(server.proc.pid)
    if r.returncode != 0:
        raise RuntimeError(f"redis-benchmark failed: {r.stderr[-500:]}")
    res = parse_benchmark(r.stdout)
    res["cpu_us_per_req"] = (after - before) * 1e6 / requests
    return res


def rows(quick):
    n = 100_000 if quick else 1_000_000
    base = ["-c", "50", "-d", "100", "-r", "1000000"]
    r = [
        ("SET p1", "none", base + ["-t", "set"], n),
        ("GET p1", "none", base + ["-t", "get"], n),
        ("SET p16", "none", base + ["-t", "set", "-P", "16"], n * 2),
        ("GET p16", "none", base + ["-t", "get", "-P", "16"], n * 2),
        ("MSET 10 keys", "none", base + ["-t", "mset"], n // 2),
        ("MGET 10 keys", "none", ["-c", "50", "-r", "1000000", "MGET"] +
         [f"key:__rand_int__" for _ in range(10)], n // 2),
        ("INCR", "none", base + ["-t", "incr"], n),
        ("SET everysec", "everysec", base + ["-t", "set"], n),
    ]
    for clients in (1, 10, 50):
        r.append((f"SET always c{clients}", "always",
                  ["-c", str(clients), "-d", "100", "-r", "1000000", "-t", "set"],
                  max(2000, (n // 50) * (1 if clients == 1 else 2))))
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=None, help="runs per row (default 3; 1 with --quick)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out")
    a = ap.parse_args()
    runs = a.runs if a.runs is not None else (1 if a.quick else 3)
    lines = []

    def say(line=""):
        print(line, flush=True)
        lines.append(line)

    uname = os.uname()
    rv = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.strip()
    say(f"machine: {os.cpu_count()} cores, {uname.sysname} {uname.release}; {rv}")
    say(f"runs per row: {runs} (medians), alternating walnut and redis")
    say()
    say("| load | durability | walnut ops/s | redis ops/s | ratio | walnut CPU µs/req | "
        "redis CPU µs/req | CPU ratio (redis/walnut) | walnut p50/p99/p99.9 ms | "
        "redis p50/p99/p99.9 ms |")
    say("|---|---|---:|---:|---:|---:|---:|---:|---|---|")
    for name, durability, args, requests in rows(a.quick):
        results = {"walnut": [], "redis": []}
        servers = {k: Server(k, durability, a.build) for k in ("walnut", "redis")}
        try:
            for _ in range(runs):
                for kind in ("walnut", "redis"):
                    results[kind].append(run_load(servers[kind], args, requests))
        finally:
            for s in servers.values():
                s.stop()
        med = {k: {f: statistics.median(r[f] for r in v) for f in v[0]}
               for k, v in results.items()}
        w, r = med["walnut"], med["redis"]
        say(f"| {name} | {durability} | {w['rps']:,.0f} | {r['rps']:,.0f} | "
            f"{w['rps'] / r['rps']:.2f} | {w['cpu_us_per_req']:.2f} | {r['cpu_us_per_req']:.2f} | "
            f"{r['cpu_us_per_req'] / max(w['cpu_us_per_req'], 1e-9):.2f} | "
            f"{w['p50']:.3f}/{w['p99']:.3f}/{w['p999']:.3f} | "
            f"{r['p50']:.3f}/{r['p99']:.3f}/{r['p999']:.3f} |")
    if a.out:
        with open(a.out, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
