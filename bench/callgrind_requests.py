#!/usr/bin/env python3
"""Instructions per request: walnut-server against redis-server under callgrind.

Each server runs under `valgrind --tool=callgrind`; after start-up its counters
are zeroed (`callgrind_control -z`), one redis-benchmark load runs, and the
counters are dumped (`callgrind_control -d`). The dump's total Ir divided by the
requests of the load is the row's figure. Instruction counts, unlike
wall-clock or CPU time, do not depend on what else the (shared, 2-core)
machine is doing, so one run per row is enough; they still move a little from
run to run (random keys, how many requests each loop turn gathers).

Servers, each with its own free port and fresh data directory, both writing a
log with a once-a-second fsync:
  walnut-server --fsync everysec --partitions 1
  walnut-server --fsync everysec              (default partitions: one per core)
  redis-server --save '' --appendonly yes --appendfsync everysec

Every row gets a fresh server, so a row's figure does not depend on which
other rows ran. GET and MGET rows first run the same uncounted fill as
compare_redis.py's read rows (1M pipelined SETs over the 1M-key space, so
~63% of the keys exist), so that reads find values as they would in use
rather than missing in a nearly empty table.

Usage: bench/callgrind_requests.py [--build build] [--requests 200000]
                                   [--rows 'SET p1,GET p16'] [--keep-dumps DIR]
Prints a markdown table; `callgrind_annotate DIR/<file>` explains a kept dump.
"""
import argparse
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ left in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_redis  # noqa: E402  (free ports, PING wait, server command lines)

# valgrind's start-up (reading debug info) takes seconds, more on a busy machine.
START_TIMEOUT_S = 120

BASE = ["-c", "50", "-d", "100", "-r", "1000000"]
ROWS = [
    # name, redis-benchmark arguments, needs keys loaded first
    ("SET p1", BASE + ["-t", "set"], False),
    ("GET p1", BASE + ["-t", "get"], True),
    ("SET p16", BASE + ["-t", "set", "-P", "16"], False),
    ("GET p16", BASE + ["-t", "get", "-P", "16"], True),
    # The same MGET as compare_redis.py: 10 random keys of the SET key space.
    ("MGET 10 keys", ["-c", "50", "-r", "1000000", "MGET"] +
     ["key:__rand_int__"] * 10, True),
    # The same MSET and INCR as compare_redis.py (MSET: redis-benchmark's 10 keys).
    ("MSET 10 keys", BASE + ["-t", "mset"], False),
    ("INCR p1", BASE + ["-t", "incr"], False),
]
SERVERS = [
    # column title, kind, extra server flags
    ("walnut `--partitions 1`", "walnut", ["--partitions", "1"]),
    ("walnut default", "walnut", []),
    ("redis-server", "redis", []),
]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class CallgrindServer(compare_redis.Server):
    """compare_redis.Server's command line, run under callgrind in its own
    process group, so that a failure anywhere still kills all of it."""

    def __init__(self, kind, build, extra, out_file):
        self.out_file = out_file
        self.proc = None
        super().__init__(kind, "everysec", build, extra=extra)

    def start(self):
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={self.out_file}"]
        self.proc = subprocess.Popen(cmd + self.command(), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            compare_redis.wait_ping(self.port, self.proc, timeout=START_TIMEOUT_S)
        except BaseException:
            # Raised inside the constructor: no caller holds this server yet.
            self.stop()
            raise

    def kill(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def control(self, option):
        # valgrind runs the server in its own process, so the pid is the server's.
        r = subprocess.run(["callgrind_control", option, str(self.proc.pid)],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0 or "OK" not in r.stdout:
            raise RuntimeError(f"callgrind_control {option} failed: {r.stdout} {r.stderr}")


def benchmark(port, args, requests):
    r = subprocess.run(["redis-benchmark", "-p", str(port), "-n", str(requests)] + args,
                       capture_output=True, text=True, timeout=7200)
    if r.returncode != 0 or "throughput summary" not in r.stdout:
        raise RuntimeError(f"redis-benchmark {args} failed: {r.stdout[-500:]} {r.stderr[-500:]}")


def dump_files(out_file):
    """The files of the explicit dump: <out>.1, or <out>.1-NN per thread if
    valgrind ran with --separate-threads=yes. <out> itself is the dump at
    exit, which a SIGKILL never writes."""
    return sorted(glob.glob(glob.escape(out_file) + ".*"))


def total_ir(out_file, timeout=60):
    """Total Ir of the dump. One file may hold several parts, and with
    --separate-threads there is one file per thread; each part carries its
    own total, so the total is the sum over all parts of all files. A part's
    total is its `summary:` line (the header's), or its `totals:` line (the
    trailer's) if the header has none."""
    deadline = time.time() + timeout
    while True:
        files = dump_files(out_file)
        texts = []
        for path in files:
            with open(path) as f:
                texts.append(f.read())
        # callgrind writes `totals:` last, so a file that has it is complete.
        if files and all(re.search(r"^totals:", t, re.M) for t in texts):
            break
        if time.time() > deadline:
            raise RuntimeError(f"no complete callgrind dump at {out_file}.*")
        time.sleep(0.2)
    total = 0
    for text in texts:
        events = re.search(r"^events:\s*(.*)$", text, re.M).group(1).split()
        if events[0] != "Ir":
            raise RuntimeError(f"{out_file}: first event is {events[0]}, not Ir")
        for part in re.split(r"^(?=part:)", text, flags=re.M):
            m = re.search(r"^summary:\s*(\d+)", part, re.M) or \
                re.search(r"^totals:\s*(\d+)", part, re.M)
            if m:
                total += int(m.group(1))
    return total


def measure(kind, extra, build, row, requests, out_file):
    """Instructions per request of one row on a fresh server under callgrind."""
    name, args, preload = row
    server = CallgrindServer(kind, build, extra, out_file)
    try:
        if preload:
            benchmark(server.port, BASE + ["-t", "set", "-P", "16"], compare_redis.PREFILL_SETS)
        server.control("-z")
        benchmark(server.port, args, requests)
        server.control("-d")
        return total_ir(out_file) / requests
    finally:
        server.stop()


def git_head():
    r = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                       cwd=os.path.dirname(os.path.abspath(__file__)))
    return r.stdout.strip() or "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--requests", type=int, default=200_000, help="requests per row")
    ap.add_argument("--rows", help="comma-separated row names, e.g. 'SET p1,MGET 10 keys' "
                    f"(all: {', '.join(r[0] for r in ROWS)})")
    ap.add_argument("--keep-dumps", metavar="DIR",
                    help="keep the callgrind dumps here (for callgrind_annotate)")
    a = ap.parse_args()
    rows = ROWS
    if a.rows:
        wanted = [w.strip().lower() for w in a.rows.split(",") if w.strip()]
        known = {r[0].lower() for r in ROWS}
        unknown = [w for w in wanted if w not in known]
        if unknown:
            ap.error(f"unknown rows {unknown}; rows are: {', '.join(r[0] for r in ROWS)}")
        rows = [r for r in ROWS if r[0].lower() in wanted]
    if a.requests <= 0:
        ap.error("--requests must be positive")
    server_bin = os.path.join(a.build, "walnut-server")
    for tool in ("valgrind", "callgrind_control", "redis-server", "redis-benchmark"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found (scripts/install-deps.sh bench installs it)")
    if not os.access(server_bin, os.X_OK):
        sys.exit(f"{server_bin} not found: build it first (make build)")

    dump_dir = a.keep_dumps or tempfile.mkdtemp(prefix="walnut-callgrind-")
    os.makedirs(dump_dir, exist_ok=True)
    redis_version = re.search(r"v=(\S+)", subprocess.run(
        ["redis-server", "--version"], capture_output=True, text=True).stdout)
    titles = [t if k == "walnut" else f"redis-server {redis_version.group(1)}"
              if redis_version else t for t, k, _ in SERVERS]
    print(f"callgrind Ir per request: walnut {git_head()}, {a.requests:,} requests per row, "
          "50 clients, 100-byte values, 1M-key space, everysec logs on both")
    print()
    print("| load | " + " | ".join(titles) + " | redis / walnut default |")
    print("|---|" + "---:|" * (len(SERVERS) + 1))
    try:
        for row in rows:
            cells = []
            for title, kind, extra in SERVERS:
                slug = re.sub(r"[^a-z0-9]+", "-", f"{row[0]} {title}".lower()).strip("-")
                out_file = os.path.join(dump_dir, f"callgrind.out.{slug}")
                # A kept dump directory may hold an earlier run's files.
                for old in glob.glob(glob.escape(out_file) + "*"):
                    os.remove(old)
                t0 = time.monotonic()
                cells.append(measure(kind, extra, a.build, row, a.requests, out_file))
                log(f"{row[0]}, {title}: {cells[-1]:,.0f} Ir/request "
                    f"({time.monotonic() - t0:.0f} s)")
            print(f"| {row[0]} | " + " | ".join(f"{c:,.0f}" for c in cells) +
                  f" | {cells[2] / cells[1]:.2f} |", flush=True)
    finally:
        if not a.keep_dumps:
            shutil.rmtree(dump_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
