#!/usr/bin/env python3
"""Side-by-side load: build/walnut-server against redis-server, same durability.

Four parts, each run against both servers with the same settings:

1. Throughput rows. Each row runs the same redis-benchmark load against both
   servers in alternation (W R W R ...), several times, and prints the medians
   and the ratio walnut/redis. Besides requests per second it records each
   server's CPU time per request (utime+stime from /proc/PID/stat around each
   run): on a 2-core machine redis-benchmark fills one core, so throughput
   alone hides how lean a server is. The mixed row runs two redis-benchmark
   processes at once (GET with 40 clients, SET with 10, 80/20 of the
   requests): throughput is all requests over the wall time of both, and the
   latency percentiles are of the two merged distributions.
2. Start-up and memory. N keys (16-byte keys, 100-byte values that do not
   compress) are fed to each server through `redis-cli --pipe`; RSS per key is
   measured after loading (RSS minus the empty server's RSS, over N). Then the
   server is SIGKILLed and restarted until PING answers +PONG, with the data
   files evicted from the page cache first (posix_fadvise DONTNEED after
   fsync), for: walnut's log as written, walnut after COMPACT, redis's AOF with
   RDB preamble after BGREWRITEAOF, and redis's RDB file alone (SAVE).
3. Compaction. 2M overwrites of 100k keys (100-byte values), and in the full
   run also 10M distinct keys loaded through redis-cli --pipe; automatic
   rewrites off on both; then BGREWRITEAOF on both (walnut: a background
   compaction) while a foreground SET load runs: time until INFO says it is
   done, data directory size before/after, and the foreground throughput in
   the 250 ms samples that overlap the rewrite against the samples before it,
   and the p99 latency of one more client's SETs (sent one at a time) before
   and during the rewrite.
4. Burst. The same 2M overwrites with each server's automatic compaction (walnut's
   policy, redis's auto-aof-rewrite) at its defaults and nothing triggered by
   hand: the data directory's allocated size (as `du` counts it) right after the
   burst and then every 0.25 s for 20 s, against the live payload (DBSIZE x
   116 bytes) and the bound of 2.5x the payload + 16 MiB.

Usage: bench/compare_redis.py [--build build] [--runs 3] [--quick] [--out FILE.md]
--quick: 100k requests per row, 1M keys for start-up (a few minutes); the full
run uses 1M requests per row and both 1M and 10M keys. Plots (gnuplot, PNG)
go next to --out. Every server gets its own free port and fresh data
directory; nothing is left running afterwards.
"""
import argparse
import os
import random
import re
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HZ = os.sysconf("SC_CLK_TCK")
# Flags added to every walnut-server command line (--walnut-args), for A/B runs
# of a setting.
WALNUT_ARGS = []
PAGE = os.sysconf("SC_PAGE_SIZE")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is state (field 3); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / HZ


def rss_bytes(pid):
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE


def ping_once(port):
    """+PONG from the server, or None (not listening yet, -LOADING, ...)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64)
    except OSError:
        return None


def wait_ping(port, proc, timeout=600):
    """Polls PING every millisecond until +PONG; returns when it answered."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}")
        if ping_once(port) == b"+PONG\r\n":
            return time.monotonic()
        time.sleep(0.001)
    raise RuntimeError(f"server on port {port} did not answer PING")


def cli(port, *args, check=True):
    r = subprocess.run(["redis-cli", "-p", str(port)] + [str(a) for a in args],
                       capture_output=True, text=True, timeout=3600)
    if check and (r.returncode != 0 or r.stdout.startswith("ERR")):
        raise RuntimeError(f"redis-cli {args}: {r.stdout} {r.stderr}")
    return r.stdout.strip()


def info_field(port, section, field):
    m = re.search(rf"^{field}:(.*)$", cli(port, "INFO", section), re.M)
    return m.group(1).strip() if m else None


def dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


def data_bytes(server):
    """Bytes of data on disk: walnut's log (INFO walnut_log_bytes, since its
    segments are preallocated and their apparent size includes reserved
    space), redis's AOF directory and RDB file."""
    if server.kind == "walnut":
        v = info_field(server.port, "walnut", "walnut_log_bytes")
        if v is not None:
            return int(v)
    return dir_bytes(server.dir)


def evict_from_page_cache(path):
    """Writes back and drops the cached pages of every file under path, so a
    restart reads them from the disk (no root needed, unlike drop_caches)."""
    for root, _, files in os.walk(path):
        for f in files:
            try:
                fd = os.open(os.path.join(root, f), os.O_RDONLY)
            except OSError:
                continue
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


class Server:
    """One walnut-server or redis-server on a free port with its own dir."""

    def __init__(self, kind, durability, build, extra=None, data_dir=None):
        self.kind, self.durability, self.build = kind, durability, build
        self.extra = list(extra or [])
        self.port = free_port()
        self.dir = data_dir or tempfile.mkdtemp(prefix=f"walnut-bench-{kind}-")
        self.start()

    def command(self):
        if self.kind == "walnut":
            fsync = {"none": "no", "everysec": "everysec", "always": "always"}[self.durability]
            return [f"{self.build}/walnut-server", "--port", str(self.port), "--http-port", "0",
                    "--dir", self.dir, "--fsync", fsync] + self.extra + WALNUT_ARGS
        cmd = ["redis-server", "--port", str(self.port), "--dir", self.dir, "--save", "",
               "--daemonize", "no", "--logfile", os.path.join(self.dir, "redis.log")]
        if self.durability == "none":
            cmd += ["--appendonly", "no"]
        else:
            cmd += ["--appendonly", "yes", "--appendfsync", self.durability]
        return cmd + self.extra

    def start(self):
        """Starts the process; returns seconds until PING answered +PONG."""
        t0 = time.monotonic()
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        return wait_ping(self.port, self.proc) - t0

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------- part 1


def parse_latency_points(out):
    """(latency ms, cumulative count) points of redis-benchmark's histogram."""
    return [(float(m.group(1)), int(m.group(2))) for m in re.finditer(
        r"[\d.]+% <= ([\d.]+) milliseconds \(cumulative count (\d+)\)", out)]


def percentile(points_list, q):
    """q-quantile of the merged distributions given as cumulative points."""
    total = sum(max((c for _, c in pts), default=0) for pts in points_list)
    lats = sorted({l for pts in points_list for l, _ in pts})
    for lat in lats:
        count = 0
        for pts in points_list:
            count += max((c for l, c in pts if l <= lat), default=0)
        if count >= q * total:
            return lat
    return lats[-1] if lats else 0.0


def parse_benchmark(out):
    rps = re.search(r"throughput summary: ([\d.]+) requests per second", out)
    pts = parse_latency_points(out)
    if not rps or not pts:
        raise RuntimeError("could not parse redis-benchmark output:\n" + out[-2000:])
    return {"rps": float(rps.group(1)), "points": pts}


def run_load(server, loads):
    """Runs the redis-benchmark loads [(args, requests)] at once against server."""
    total = sum(n for _, n in loads)
    before = cpu_seconds(server.proc.pid)
    t0 = time.monotonic()
    procs = [subprocess.Popen(["redis-benchmark", "-p", str(server.port), "-n", str(n)] + args,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for args, n in loads]
    outs = [p.communicate(timeout=1800) for p in procs]
    wall = time.monotonic() - t0
    after = cpu_seconds(server.proc.pid)
    for p, (_, err) in zip(procs, outs):
        if p.returncode != 0:
            raise RuntimeError(f"redis-benchmark failed: {err[-500:]}")
    parsed = [parse_benchmark(o) for o, _ in outs]
    pts = [p["points"] for p in parsed]
    # One process: its own summary; several: all requests over the wall time.
    rps = parsed[0]["rps"] if len(loads) == 1 else total / wall
    return {"rps": rps, "p50": percentile(pts, 0.5), "p99": percentile(pts, 0.99),
            "p999": percentile(pts, 0.999), "cpu_us_per_req": (after - before) * 1e6 / total}


def rows(quick):
    n = 100_000 if quick else 1_000_000
    base = ["-c", "50", "-d", "100", "-r", "1000000"]
    r = [
        ("SET p1", "none", [(base + ["-t", "set"], n)]),
        ("GET p1", "none", [(base + ["-t", "get"], n)]),
        ("SET p16", "none", [(base + ["-t", "set", "-P", "16"], n * 2)]),
        ("GET p16", "none", [(base + ["-t", "get", "-P", "16"], n * 2)]),
        ("MSET 10 keys", "none", [(base + ["-t", "mset"], n // 2)]),
        ("MGET 10 keys", "none", [(["-c", "50", "-r", "1000000", "MGET"] +
                                   ["key:__rand_int__" for _ in range(10)], n // 2)]),
        ("INCR", "none", [(base + ["-t", "incr"], n)]),
        ("mixed 80% GET c40 / 20% SET c10", "none",
         [(["-c", "40", "-d", "100", "-r", "1000000", "-t", "get"], n * 8 // 10),
          (["-c", "10", "-d", "100", "-r", "1000000", "-t", "set"], n * 2 // 10)]),
        ("SET everysec", "everysec", [(base + ["-t", "set"], n)]),
    ]
    for clients in (1, 10, 50):
        r.append((f"SET always c{clients}", "always",
                  [(["-c", str(clients), "-d", "100", "-r", "1000000", "-t", "set"],
                    max(2000, (n // 50) * (1 if clients == 1 else 2)))]))
    return r


# Rows that read: each server gets PREFILL_SETS uncounted SETs over the same
# 1M-key space first (~63% of the keys exist after), so that reads find
# values in a table of realistic size instead of missing in an empty one.
READ_ROWS = ("GET p1", "GET p16", "MGET 10 keys", "mixed 80% GET c40 / 20% SET c10")
PREFILL_SETS = 1_000_000


def prefill(server):
    subprocess.run(["redis-benchmark", "-p", str(server.port), "-q", "-t", "set",
                    "-n", str(PREFILL_SETS), "-r", "1000000", "-d", "100", "-P", "16",
                    "-c", "50"], check=True, capture_output=True, timeout=1800)


def throughput_part(a, runs, say, plot_rows):
    say("| load | durability | walnut ops/s | redis ops/s | ratio | walnut CPU µs/req | "
        "redis CPU µs/req | CPU ratio (redis/walnut) | walnut p50/p99/p99.9 ms | "
        "redis p50/p99/p99.9 ms |")
    say("|---|---|---:|---:|---:|---:|---:|---:|---|---|")
    for name, durability, loads in rows(a.quick):
        if a.rows and not any(r.lower() in name.lower() for r in a.rows.split(",")):
            continue
        results = {"walnut": [], "redis": []}
        servers = {k: Server(k, durability, a.build) for k in ("walnut", "redis")}
        try:
            if name in READ_ROWS:
                for s in servers.values():
                    prefill(s)
            for _ in range(runs):
                for kind in ("walnut", "redis"):
                    results[kind].append(run_load(servers[kind], loads))
        finally:
            for s in servers.values():
                s.stop()
        med = {k: {f: statistics.median(r[f] for r in v) for f in v[0]}
               for k, v in results.items()}
        w, r = med["walnut"], med["redis"]
        cpu_ratio = r['cpu_us_per_req'] / max(w['cpu_us_per_req'], 1e-9)
        say(f"| {name} | {durability} | {w['rps']:,.0f} | {r['rps']:,.0f} | "
            f"{w['rps'] / r['rps']:.2f} | {w['cpu_us_per_req']:.2f} | {r['cpu_us_per_req']:.2f} | "
            f"{cpu_ratio:.2f} | "
            f"{w['p50']:.3f}/{w['p99']:.3f}/{w['p999']:.3f} | "
            f"{r['p50']:.3f}/{r['p99']:.3f}/{r['p999']:.3f} |")
        plot_rows.append((name, w['rps'] / r['rps'], cpu_ratio))


# ---------------------------------------------------------------- part 2


def write_load_file(path, nkeys, seed):
    """RESP SET commands for nkeys keys, values from a pool of random bytes."""
    rng = random.Random(seed)
    alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    pool = [bytes(rng.choice(alphabet) for _ in range(100)) for _ in range(4096)]
    with open(path, "wb", buffering=1 << 20) as f:
        chunk = []
        for i in range(nkeys):
            key = b"key:%012d" % i
            chunk.append(b"*3\r\n$3\r\nSET\r\n$16\r\n%s\r\n$100\r\n%s\r\n" % (key, pool[i & 4095]))
            if len(chunk) == 10000:
                f.write(b"".join(chunk))
                chunk = []
        f.write(b"".join(chunk))


def pipe_load(port, path):
    with open(path, "rb") as f:
        r = subprocess.run(["redis-cli", "-p", str(port), "--pipe"], stdin=f,
                           capture_output=True, text=True, timeout=7200)
    if r.returncode != 0 or "errors: 0" not in r.stdout:
        raise RuntimeError(f"redis-cli --pipe failed: {r.stdout[-500:]} {r.stderr[-500:]}")


def wait_rewrite_done(port, timeout=3600):
    deadline = time.time() + timeout
    while time.time() < deadline:
        info = cli(port, "INFO", "persistence")
        if re.search(r"^aof_rewrite_in_progress:0", info, re.M) and \
                re.search(r"^aof_rewrite_scheduled:0", info, re.M):
            return time.monotonic()
        time.sleep(0.005)
    raise RuntimeError("rewrite did not finish")


def timed_restart(server, nkeys):
    server.kill()
    evict_from_page_cache(server.dir)
    secs = server.start()
    keys = int(cli(server.port, "DBSIZE"))
    if keys != nkeys:
        raise RuntimeError(f"{server.kind} restarted with {keys} keys, expected {nkeys}")
    return secs, rss_bytes(server.proc.pid)


def startup_part(a, nkeys, runs, say, startup_plot, tmp):
    path = os.path.join(tmp, f"load-{nkeys}.resp")
    t0 = time.monotonic()
    write_load_file(path, nkeys, seed=nkeys)
    say(f"<!-- load file of {nkeys:,} keys generated in {time.monotonic() - t0:.1f} s -->")
    w = Server("walnut", "everysec", a.build)
    r = Server("redis", "everysec", a.build, extra=["--aof-use-rdb-preamble", "yes",
                                                    "--auto-aof-rewrite-percentage", "0"])
    try:
        base = {"walnut": rss_bytes(w.proc.pid), "redis": rss_bytes(r.proc.pid)}
        load_s = {}
        for s in (w, r):
            t0 = time.monotonic()
            pipe_load(s.port, path)
            load_s[s.kind] = time.monotonic() - t0
        rss = {s.kind: (rss_bytes(s.proc.pid) - base[s.kind]) / nkeys for s in (w, r)}
        # redis: rewrite the AOF (RDB preamble) and also write dump.rdb.
        cli(r.port, "BGREWRITEAOF")
        wait_rewrite_done(r.port)
        cli(r.port, "SAVE")
        results = {k: [] for k in ("walnut log", "redis AOF+RDB preamble", "redis RDB",
                                   "walnut compacted")}
        rss_after = {}
        for _ in range(runs):
            secs, m = timed_restart(w, nkeys)
            results["walnut log"].append(secs)
            rss_after["walnut"] = m
            r.extra = ["--aof-use-rdb-preamble", "yes", "--auto-aof-rewrite-percentage", "0"]
            results["redis AOF+RDB preamble"].append(timed_restart(r, nkeys)[0])
            r.durability, r.extra = "none", []
            secs, m = timed_restart(r, nkeys)
            results["redis RDB"].append(secs)
            rss_after["redis"] = m
            r.durability = "everysec"
        sizes = {"walnut log": data_bytes(w)}
        cli(w.port, "COMPACT")
        sizes["walnut compacted"] = data_bytes(w)
        for _ in range(runs):
            results["walnut compacted"].append(timed_restart(w, nkeys)[0])
        aofdir = os.path.join(r.dir, "appendonlydir")
        sizes["redis AOF+RDB preamble"] = dir_bytes(aofdir)
        sizes["redis RDB"] = os.path.getsize(os.path.join(r.dir, "dump.rdb"))
    finally:
        w.stop()
        r.stop()
    os.remove(path)
    med = {k: statistics.median(v) for k, v in results.items()}
    order = ("walnut log", "walnut compacted", "redis AOF+RDB preamble", "redis RDB")
    best_w = min(med["walnut log"], med["walnut compacted"])
    best_r = min(med["redis AOF+RDB preamble"], med["redis RDB"])
    say(f"| {nkeys:,} | " + " | ".join(f"{med[k]:.2f}" for k in order) +
        f" | {best_r / best_w:.1f} | {med['redis AOF+RDB preamble'] / med['walnut log']:.1f} | " +
        " / ".join(f"{sizes[k] / 2**20:,.0f}" for k in order) + " |")
    for k in order:
        startup_plot.append((f"{nkeys // 1_000_000}M {k}", med[k]))
    return {"load_s": load_s, "rss": rss,
            "rss_after": {k: (v - base[k]) / nkeys for k, v in rss_after.items()}}


# ---------------------------------------------------------------- part 3


class ProgressLoad:
    """A redis-benchmark SET load whose 250 ms progress lines are timestamped."""

    def __init__(self, port, requests):
        self.samples = []  # (monotonic time, instantaneous rps)
        self.proc = subprocess.Popen(
            ["redis-benchmark", "-p", str(port), "-n", str(requests), "-c", "50", "-d", "100",
             "-r", "100000", "-t", "set"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        buf = b""
        while True:
            c = self.proc.stdout.read1(4096)
            if not c:
                return
            buf += c
            *lines, buf = re.split(rb"[\r\n]", buf)
            now = time.monotonic()
            for line in lines:
                m = re.search(rb"rps=([\d.]+)", line)
                if m:
                    self.samples.append((now, float(m.group(1))))

    def finish(self, stop=False):
        if stop:
            self.proc.terminate()
        self.proc.wait(timeout=600)
        self.thread.join()


class LatencyProbe:
    """One more client that sends SETs one at a time and timestamps each
    reply: the latency a foreground user sees, idle and during a rewrite."""

    def __init__(self, port):
        self.samples = []  # (monotonic time at the reply, seconds taken)
        self.stop = False
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        value = b"p" * 100
        i = 0
        while not self.stop:
            key = b"probe:%d" % (i % 1000)
            req = b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$100\r\n%s\r\n" % (len(key), key, value)
            t = time.monotonic()
            self.sock.sendall(req)
            got = b""
            while not got.endswith(b"\r\n"):
                c = self.sock.recv(64)
                if not c:
                    return
                got += c
            now = time.monotonic()
            self.samples.append((now, now - t))
            i += 1
            time.sleep(0.002)

    def finish(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


def p99_ms(latencies):
    if not latencies:
        return 0.0
    xs = sorted(latencies)
    return xs[min(len(xs) - 1, int(len(xs) * 0.99))] * 1e3


def compaction_part(a, say, nkeys, tmp):
    """nkeys 100k: 2M overwrites of 100k keys first (a log that is mostly
    garbage). Larger: nkeys distinct keys loaded through redis-cli --pipe (a
    rewrite of much live data, e.g. 10M keys: ~1.1 GiB)."""
    servers = [Server("walnut", "everysec", a.build, extra=["--auto-compact", "no"]),
               Server("redis", "everysec", a.build,
                      extra=["--auto-aof-rewrite-percentage", "0"])]
    path = None
    if nkeys > 100_000:
        path = os.path.join(tmp, f"compaction-load-{nkeys}.resp")
        write_load_file(path, nkeys, seed=nkeys)
    out = {}
    try:
        for s in servers:
            if path:
                pipe_load(s.port, path)
            else:
                r = subprocess.run(["redis-benchmark", "-p", str(s.port), "-n", "2000000", "-c",
                                    "50", "-P", "16", "-d", "100", "-r", str(nkeys), "-t", "set",
                                    "-q"], capture_output=True, text=True, timeout=1800)
                if r.returncode != 0:
                    raise RuntimeError(r.stderr)
            # Write everything back first, so the idle samples do not pay for
            # the load's dirty pages (redis's AOF write waits on a slow fsync).
            time.sleep(1.2)
            os.sync()
            before = data_bytes(s)
            # A foreground load that outlasts ~2 s idle and the rewrite; it is
            # stopped half a second after the rewrite ends.
            load = ProgressLoad(s.port, 100_000_000)
            probe = LatencyProbe(s.port)
            while len(load.samples) < 8:
                time.sleep(0.05)
            t0 = time.monotonic()
            cli(s.port, "BGREWRITEAOF")
            t1 = wait_rewrite_done(s.port)
            time.sleep(0.5)
            after = data_bytes(s)
            probe.finish()
            load.finish(stop=True)
            lat_idle = [d for t, d in probe.samples if t < t0]
            lat_during = [d for t, d in probe.samples if t0 <= t <= t1]
            idle = [rps for t, rps in load.samples if t < t0][2:]
            # A sample covers the 250 ms before its timestamp.
            during = [rps for t, rps in load.samples if t >= t0 and t - 0.25 <= t1]
            out[s.kind] = {"secs": t1 - t0, "before": before, "after": after,
                           "idle": statistics.median(idle) if idle else 0.0,
                           "during": statistics.mean(during) if during else 0.0,
                           "p99_idle": p99_ms(lat_idle), "p99_during": p99_ms(lat_during),
                           "n_during": len(lat_during)}
    finally:
        for s in servers:
            s.stop()
        if path:
            os.remove(path)
    for k in ("walnut", "redis"):
        o = out[k]
        say(f"| {nkeys:,} | {k} | {o['secs']:.2f} | {o['before'] / 2**20:,.0f} | "
            f"{o['after'] / 2**20:,.0f} | {o['idle']:,.0f} | {o['during']:,.0f} | "
            f"{o['during'] / max(o['idle'], 1):.2f} | {o['p99_idle']:.2f} | "
            f"{o['p99_during']:.2f} ({o['n_during']} samples) |")


def allocated_bytes(path):
    """Bytes the files under path occupy on disk (st_blocks, as du counts:
    preallocated space included, holes not)."""
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.stat(os.path.join(root, f)).st_blocks * 512
            except OSError:
                pass
    return total


def burst_once(kind, build):
    overwrites, keys, wait_s = 2_000_000, 100_000, 20.0
    s = Server(kind, "everysec", build)
    try:
        r = subprocess.run(["redis-benchmark", "-p", str(s.port), "-n", str(overwrites), "-c", "50",
                            "-P", "16", "-d", "100", "-r", str(keys), "-t", "set", "-q"],
                           capture_output=True, text=True, timeout=1800)
        if r.returncode != 0:
            raise RuntimeError(r.stderr)
        t0 = time.monotonic()
        payload = int(cli(s.port, "DBSIZE").strip()) * (16 + 100)
        bound = 2.5 * payload + 16 * 2**20
        after_burst = allocated_bytes(s.dir)
        under_at = None
        now = after_burst
        while True:
            now = allocated_bytes(s.dir)
            t = time.monotonic() - t0
            if under_at is None and now <= bound:
                under_at = t
            if t >= wait_s:
                break
            time.sleep(0.25)
        return {"payload": payload, "after_burst": after_burst, "after_wait": now,
                "under_at": under_at}
    finally:
        s.stop()


def burst_part(a, runs, say):
    res = {"walnut": [], "redis": []}
    for i in range(runs):
        for kind in ("walnut", "redis"):
            o = burst_once(kind, a.build)
            print(f"  burst run {i + 1} {kind}: payload {o['payload'] / 2**20:.1f} MiB, after burst "
                  f"{o['after_burst'] / 2**20:.1f} MiB, after 20 s {o['after_wait'] / 2**20:.1f} MiB, "
                  f"under bound at {o['under_at']}", flush=True)
            res[kind].append(o)
    for kind, rs in res.items():
        payload = statistics.median(o["payload"] for o in rs)
        ab = statistics.median(o["after_burst"] for o in rs)
        aw = statistics.median(o["after_wait"] for o in rs)
        unders = [o["under_at"] for o in rs if o["under_at"] is not None]
        under = f"{statistics.median(unders):.2f}" if len(unders) == len(rs) else "not within 20 s"
        say(f"| {kind} | {ab / 2**20:.1f} ({ab / payload:.2f}x) | {aw / 2**20:.1f} "
            f"({aw / payload:.2f}x) | {under} | {len(unders)}/{len(rs)} |")


# ---------------------------------------------------------------- machine, plots


def machine_record(tmpdir):
    lines = []
    uname = os.uname()
    rv = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.M)
            cpu = m.group(1) if m else "?"
    except OSError:
        pass
    with open("/proc/meminfo") as f:
        mem_kb = int(re.search(r"MemTotal:\s*(\d+)", f.read()).group(1))
    df = subprocess.run(["df", "-T", tmpdir], capture_output=True, text=True).stdout.splitlines()
    dev = df[-1].split() if len(df) > 1 else ["?", "?"]
    lsblk = subprocess.run(["lsblk", "-dno", "NAME,SIZE,ROTA,MODEL", "/dev/" +
                            os.path.basename(dev[0])], capture_output=True, text=True).stdout
    # The disk's own rate of 4 KiB append + fdatasync, what --fsync always costs.
    path = os.path.join(tmpdir, "fsync-probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    t0 = time.monotonic()
    n = 0
    while time.monotonic() - t0 < 1.0:
        os.write(fd, b"x" * 4096)
        os.fdatasync(fd)
        n += 1
    rate = n / (time.monotonic() - t0)
    os.close(fd)
    os.remove(path)
    lines.append(f"- machine: {os.cpu_count()} cores ({cpu}), {mem_kb / 2**20:.0f} GiB RAM, "
                 f"kernel {uname.sysname} {uname.release}")
    lines.append(f"- data disk: {dev[0]} ({dev[1]}), lsblk: {lsblk.strip() or '?'}; "
                 f"append 4 KiB + fdatasync: {rate:,.0f}/s")
    lines.append(f"- {rv.strip()}")
    lines.append(f"- walnut: {subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()} "
                 f"(git), measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    return lines


def plot(outdir, ratio_rows, startup_rows, mem_rows):
    if shutil.which("gnuplot") is None:
        print("gnuplot not found: no plots (scripts/install-deps.sh bench installs it)")
        return
    def write(name, rows_):
        with open(os.path.join(outdir, name), "w") as f:
            for row in rows_:
                f.write(" ".join(f'"{x}"' if isinstance(x, str) else f"{x:.4f}" for x in row) + "\n")
    write("ratios.dat", ratio_rows)
    write("startup.dat", startup_rows)
    write("memory.dat", mem_rows)
    common = ("set terminal pngcairo size 1000,520 font 'sans,10'\n" if subprocess.run(
        ["gnuplot", "-e", "set terminal pngcairo"], capture_output=True).returncode == 0
        else "set terminal png size 1000,520\n")
    script = common + f"""
cd '{outdir}'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.8
set grid ytics
set xtics rotate by -30 left
set key top left
set yrange [0:*]
"""
    if ratio_rows:
        script += """
set output 'ratios.png'
set title 'walnut vs redis-server: throughput ratio and CPU-per-request ratio (>1: walnut better)'
plot 'ratios.dat' using 2:xtic(1) title 'ops/s walnut / redis', \\
     '' using 3 title 'CPU per request redis / walnut', 1 with lines lw 2 lc rgb 'black' notitle
"""
    if startup_rows:
        script += """
set output 'startup.png'
set title 'start-up after SIGKILL until PING answers (s, cold page cache; lower is better)'
plot 'startup.dat' using 2:xtic(1) notitle
"""
    if mem_rows:
        script += """
set output 'memory.png'
set title 'RSS per key after loading (bytes; lower is better)'
plot 'memory.dat' using 2:xtic(1) notitle
"""
    r = subprocess.run(["gnuplot"], input=script, capture_output=True, text=True)
    if r.returncode != 0:
        print("gnuplot failed:", r.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=3, help="alternating runs per row (medians)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out")
    ap.add_argument("--rows", help="only throughput rows whose name contains one of these "
                    "comma-separated words (e.g. 'mixed,MGET')")
    ap.add_argument("--parts", default="throughput,startup,compaction,burst",
                    help="comma-separated subset of throughput,startup,compaction,burst")
    ap.add_argument("--walnut-args", default="",
                    help="extra flags for every walnut-server, e.g. '--background-nice 0'")
    a = ap.parse_args()
    WALNUT_ARGS.extend(shlex.split(a.walnut_args))
    parts = set(a.parts.split(","))
    lines = []

    def say(line=""):
        print(line, flush=True)
        lines.append(line)

    tmp = tempfile.mkdtemp(prefix="walnut-bench-")
    ratio_rows, startup_rows, mem_rows = [], [], []
    try:
        say("## Machine")
        say()
        for l in machine_record(tmp):
            say(l)
        say(f"- mode: {'quick' if a.quick else 'full'}, {a.runs} alternating runs per row "
            "(walnut, redis, walnut, ...), medians")
        if WALNUT_ARGS:
            say(f"- walnut-server flags added to every run: `{' '.join(WALNUT_ARGS)}`")
        say()
        if "throughput" in parts:
            say("## Throughput, CPU per request, latency")
            say()
            say("redis-benchmark, 100-byte values, 1M-key space; redis with `--save ''` and AOF "
                "as the durability column says, walnut with the matching `--fsync`. The rows "
                "that read (GET, MGET, mixed) start after 1M uncounted SETs over the key space "
                "(~63% of the keys exist).")
            say()
            throughput_part(a, a.runs, say, ratio_rows)
            say()
        if "startup" in parts:
            say("## Start-up after SIGKILL, and memory")
            say()
            say("Time from exec to the first +PONG, data files evicted from the page cache "
                "first; every restart checked with DBSIZE. Keys: 16 bytes, values: 100 bytes.")
            say()
            say("| keys | walnut log as written s | walnut after COMPACT s | "
                "redis AOF+RDB preamble s | redis RDB s | best redis / best walnut | "
                "redis AOF / walnut log | data MiB (same order) |")
            say("|---:|---:|---:|---:|---:|---:|---:|---|")
            mem = {}
            for nkeys in ([1_000_000] if a.quick else [1_000_000, 10_000_000]):
                mem[nkeys] = startup_part(a, nkeys, a.runs, say, startup_rows, tmp)
            say()
            say("| keys | walnut RSS B/key | redis RSS B/key | ratio (redis/walnut) | "
                "after restart walnut / redis B/key | load via redis-cli --pipe walnut / redis s |")
            say("|---:|---:|---:|---:|---|---|")
            for nkeys, m in mem.items():
                say(f"| {nkeys:,} | {m['rss']['walnut']:.0f} | {m['rss']['redis']:.0f} | "
                    f"{m['rss']['redis'] / m['rss']['walnut']:.2f} | "
                    f"{m['rss_after']['walnut']:.0f} / {m['rss_after']['redis']:.0f} | "
                    f"{m['load_s']['walnut']:.1f} / {m['load_s']['redis']:.1f} |")
                mem_rows.append((f"{nkeys // 1_000_000}M walnut", m['rss']['walnut']))
                mem_rows.append((f"{nkeys // 1_000_000}M redis", m['rss']['redis']))
            say()
        if "compaction" in parts:
            say("## Compaction: BGREWRITEAOF under a foreground load")
            say()
            say("100,000 keys: 2M overwrites of them first. 10,000,000 keys (full run only): "
                "loaded once through redis-cli --pipe. Both everysec with automatic rewrites off; "
                "a 50-client SET load runs meanwhile (throughput from redis-benchmark's 250 ms "
                "samples).")
            say()
            say("| keys | server | rewrite s | data MiB before | data MiB after | SET ops/s idle | "
                "SET ops/s during | during/idle | probe SET p99 ms idle | probe SET p99 ms during |")
            say("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
            for nkeys in ([100_000] if a.quick else [100_000, 10_000_000]):
                compaction_part(a, say, nkeys, tmp)
            say()
        if "burst" in parts:
            say("## Disk after a write burst, automatic compaction alone")
            say()
            say("2M SETs over 100k keys (100-byte values, 50 clients, pipeline 16), everysec, each "
                "server's automatic compaction at its defaults (redis: auto-aof-rewrite-percentage "
                "100, min-size 64mb; `--save ''`). Allocated bytes of the data directory; live "
                "payload = DBSIZE x 116 bytes; bound = 2.5x payload + 16 MiB. Medians of the runs.")
            say()
            say("| server | after burst MiB (x payload) | after 20 s MiB (x payload) | "
                "under bound after s | runs under bound within 20 s |")
            say("|---|---:|---:|---:|---:|")
            burst_part(a, a.runs, say)
            say()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if a.out:
        with open(a.out, "w") as f:
            f.write("\n".join(lines) + "\n")
        plot(os.path.dirname(os.path.abspath(a.out)), ratio_rows, startup_rows, mem_rows)


if __name__ == "__main__":
    sys.exit(main())
