#!/usr/bin/env python3
"""Log pipeline and search on this machine (BENCHMARKS.md, issue 5).

1. Data (reused when WORK_DIR already holds it): RAW_GIB GiB of realistic lines, one third each JSON application logs, nginx
   combined access logs and syslog (RFC 3164 and RFC 5424), from 20 hosts, with event
   times spread evenly over 24 hours. Eight lines of host web-07 carry a rare order id
   (the needle). The file is `host<TAB>line`; kcat produces it into the `logs` topic keyed
   by host, and grep/rg read the same file.
2. Ingest: `sluice serve` with no pipelines takes the records into its commit log; then a
   fresh store is built by the default pipeline (auto-detect parse, timestamp, level,
   index). Rate = records / time from the appliance's start until /metrics shows every
   entry indexed. Repeated RUNS times with the store removed in between.
3. Size: bytes in the store's folder per raw byte of the lines.
4. Queries through the HTTP API (median of RUNS, warm caches) side by side with
   `grep -F` and `rg -F` over the raw file (median of RUNS, warm page cache):
   - needle: {host="web-07"} |= "<order id>" over the 24 hours (limit 100), and
   - sum by (level) (count_over_time({host=~"web-.+"}[1m])) over the 24 hours, step 1m.
   Answers are checked: the needle's count equals grep's, the level counts sum to the
   number of lines.

Needs release builds:  swift build -c release --product sluice --static-swift-stdlib
Usage: Benchmarks/log-search.py [RAW_GIB=5] [RUNS=3] [WORK_DIR]   (INGEST_RUNS=n overrides RUNS for step 2;
       QUERIES_ONLY=1 reruns steps 3 and 4 over the store a previous run left in WORK_DIR)
"""
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SLUICE = REPO / ".build/release/sluice"
raw_gib = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
work = Path(sys.argv[3]) if len(sys.argv) > 3 else Path(tempfile.mkdtemp(prefix="sluice-logsearch-"))
END = 1_795_305_600  # 2026-11-22T00:00:00Z: the data covers the 24 hours before.
START = END - 86_400
NEEDLE = "order_id=3f2a9c1e-5b7d-4e8f-a6c0-9d8e7f6a5b4c"
HOSTS = [f"web-{n:02d}" for n in range(20)]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def generate(path, target_bytes):
    """Writes the data set; returns (lines, bytes of the lines without host and tab)."""
    rng = random.Random(5)
    programs = ["sshd", "cron", "systemd", "kernel", "postfix/smtpd", "dockerd"]
    paths = ["/api/orders", "/api/cart", "/static/app.js", "/login", "/api/search?q=shoes", "/health", "/api/users/42"]
    agents = ["Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0", "curl/8.5.0",
              "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Safari/605.1.15", "kube-probe/1.31"]
    words = ["payment", "authorized", "inventory", "reserved", "cache", "miss", "retry", "upstream", "timeout",
             "user", "session", "created", "order", "shipped", "query", "took", "slow", "connection", "reset"]
    levels = ["info"] * 14 + ["debug"] * 3 + ["warn"] * 2 + ["error"]
    # A pool of clients and a process id per program and host, as real logs repeat them.
    clients = ["%d.%d.%d.%d" % (rng.choice([10, 172, 192, 203]), rng.randrange(256), rng.randrange(256), rng.randrange(1, 255))
               for _ in range(3000)]
    pids = {(host, program): rng.randrange(300, 65000) for host in HOSTS for program in programs}
    estimated = target_bytes // 170
    needle_every = estimated // 8
    next_needle = needle_every // 2
    lines = 0
    raw = 0
    written = 0
    with open(path, "w", buffering=1 << 22) as out:
        chunk = []
        while written < target_bytes:
            # Event time follows the bytes written, so the data spans exactly the 24 hours.
            t = START + 86_400 * written / target_bytes
            second = int(t)
            host = HOSTS[lines % 20]
            kind = lines % 3
            gm = time.gmtime(second)
            if kind == 0:
                level = rng.choice(levels)
                extra = ""
                if host == "web-07" and lines >= next_needle:
                    extra = f" {NEEDLE}"
                    next_needle += needle_every
                line = ('{"ts":"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ","level":"%s","msg":"%s %s %s%s","trace_id":"%016x","duration_ms":%d,"user_id":%d}'
                        % (gm.tm_year, gm.tm_mon, gm.tm_mday, gm.tm_hour, gm.tm_min, gm.tm_sec, int((t - second) * 1000), level,
                           rng.choice(words), rng.choice(words), rng.choice(words), extra, rng.getrandbits(64),
                           rng.randrange(1, 3000), rng.randrange(1, 50000)))
            elif kind == 1:
                status = rng.choice([200] * 16 + [201, 204, 301, 304, 404, 500, 502])
                line = ('%s - - [%02d/%s/%04d:%02d:%02d:%02d +0000] "GET %s HTTP/1.1" %d %d "-" "%s"'
                        % (rng.choice(clients), gm.tm_mday, MONTHS[gm.tm_mon - 1],
                           gm.tm_year, gm.tm_hour, gm.tm_min, gm.tm_sec, rng.choice(paths), status, rng.randrange(100, 90000),
                           rng.choice(agents)))
            else:
                program = rng.choice(programs)
                if lines % 2:
                    line = ('<%d>1 %04d-%02d-%02dT%02d:%02d:%02d.%06dZ %s %s %d - - %s %s for user%d from %s port %d'
                            % (rng.choice([30, 38, 86, 11, 12]), gm.tm_year, gm.tm_mon, gm.tm_mday, gm.tm_hour, gm.tm_min, gm.tm_sec,
                               int((t - second) * 1e6), host, program, pids[(host, program)],
                               rng.choice(words), rng.choice(words), rng.randrange(1000), rng.choice(clients), rng.randrange(1024, 65535)))
                else:
                    line = ('<%d>%s %2d %02d:%02d:%02d %s %s[%d]: %s %s %s (%d ms)'
                            % (rng.choice([30, 38, 86, 11, 12]), MONTHS[gm.tm_mon - 1], gm.tm_mday, gm.tm_hour, gm.tm_min, gm.tm_sec,
                               host, program, pids[(host, program)], rng.choice(words), rng.choice(words),
                               rng.choice(words), rng.randrange(1, 900)))
            chunk.append(host + "\t" + line + "\n")
            lines += 1
            raw += len(line) + 1
            written += len(host) + len(line) + 2
            if len(chunk) >= 100_000:
                out.write("".join(chunk))
                chunk = []
        out.write("".join(chunk))
    return lines, raw


class Appliance:
    def __init__(self, config=None):
        args = [str(SLUICE), "serve", "--data-dir", str(work / "data"), "--kafka-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"]
        if config:
            args += ["--config", str(config)]
        self.log = open(work / "serve.log", "a")
        self.started = time.monotonic()
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.kafka = self.http = None
        while self.kafka is None or self.http is None:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("sluice serve exited; see " + str(work / "serve.log"))
            if line.startswith("kafka-port "):
                self.kafka = f"127.0.0.1:{line.split()[1]}"
            if line.startswith("http-port "):
                self.http = f"http://127.0.0.1:{line.split()[1]}"

    def metric(self, name):
        with urllib.request.urlopen(self.http + "/metrics", timeout=30) as response:
            for line in response.read().decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
        return 0.0

    def get(self, path, **params):
        with urllib.request.urlopen(self.http + path + "?" + urllib.parse.urlencode(params), timeout=600) as response:
            return json.loads(response.read())

    def peak_rss_mib(self):
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=600)


def timed(function):
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def main():
    assert SLUICE.exists(), f"{SLUICE} missing; build it first (see the docstring)"
    work.mkdir(parents=True, exist_ok=True)
    if os.environ.get("QUERIES_ONLY") != "1":
        shutil.rmtree(work / "data", ignore_errors=True)  # a rerun starts from an empty appliance
    raw_path = work / "raw.log"
    print(f"work dir {work}; {os.cpu_count()} cores; {raw_gib} GiB; runs {runs}")
    # The data is deterministic: a rerun in the same folder reuses it.
    described = work / "raw.json"
    if raw_path.exists() and described.exists() and json.loads(described.read_text())["gib"] == raw_gib:
        lines, raw_bytes = json.loads(described.read_text())["lines_and_bytes"]
        print(f"reusing {raw_path}: {lines} lines, {raw_bytes / (1 << 30):.2f} GiB of lines")
    else:
        seconds, (lines, raw_bytes) = timed(lambda: generate(raw_path, int(raw_gib * (1 << 30))))
        described.write_text(json.dumps({"gib": raw_gib, "lines_and_bytes": [lines, raw_bytes]}))
        print(f"generated {lines} lines, {raw_bytes / (1 << 30):.2f} GiB of lines in {seconds:.0f} s")

    queries_only = os.environ.get("QUERIES_ONLY") == "1"
    if queries_only:
        # Rerun only the queries (and grep) over the store a previous run left in WORK_DIR.
        assert (work / "data" / "store").exists(), "QUERIES_ONLY=1 needs a previous run's store in WORK_DIR"
        print("queries only: reusing the store in", work / "data")
    else:
        no_pipelines = work / "no-pipelines.yml"
        no_pipelines.write_text("pipelines: []\n")
        appliance = Appliance(no_pipelines)
        seconds, _ = timed(lambda: subprocess.run(
            ["kcat", "-b", appliance.kafka, "-P", "-t", "logs", "-K", "\t", "-z", "zstd", "-X", "linger.ms=20",
             "-X", "batch.num.messages=100000", "-X", "queue.buffering.max.messages=1000000", "-l", str(raw_path)], check=True))
        appliance.stop()
        print(f"produced into the commit log in {seconds:.0f} s")

        rates = []
        for run in range(int(os.environ.get("INGEST_RUNS", runs))):
            shutil.rmtree(work / "data" / "store", ignore_errors=True)
            subprocess.run(["sync"])
            appliance = Appliance()
            while appliance.metric("sluice_store_entries_indexed_total") < lines:
                time.sleep(0.2)
            elapsed = time.monotonic() - appliance.started
            rss = appliance.peak_rss_mib()
            appliance.stop()
            rates.append(lines / elapsed)
            print(f"ingest run {run + 1}: {lines / elapsed:,.0f} events/s ({elapsed:.1f} s), peak RSS {rss:,.0f} MiB")
    store_bytes = sum(f.stat().st_size for f in (work / "data" / "store").rglob("*") if f.is_file())
    if not queries_only:
        print(f"ingest median {statistics.median(rates):,.0f} events/s")
    print(f"store {store_bytes / (1 << 20):,.0f} MiB "
          f"= 1/{raw_bytes / store_bytes:.2f} of the raw lines")

    subprocess.run(["sync"])
    appliance = Appliance()
    needle_query = '{host="web-07"} |= "%s"' % NEEDLE
    level_query = 'sum by (level) (count_over_time({host=~"web-.+"}[1m]))'
    span = {"start": str(START * 10**9), "end": str(END * 10**9)}

    def needle():
        answer = appliance.get("/loki/api/v1/query_range", query=needle_query, limit="100", **span)
        return sum(len(stream["values"]) for stream in answer["data"]["result"])

    def levels():
        answer = appliance.get("/loki/api/v1/query_range", query=level_query, step="60", **span)
        return {series["metric"].get("level", ""): sum(float(v) for _, v in series["values"]) for series in answer["data"]["result"]}

    results = {}
    for name, function in [("needle", needle), ("levels", levels)]:
        function()  # warm
        times = []
        for _ in range(runs):
            seconds, value = timed(function)
            times.append(seconds)
        results[name] = (statistics.median(times), value)
    appliance.stop()
    tools = {}
    for tool in (["grep", "-F", "-c", NEEDLE], ["rg", "-F", "-c", NEEDLE]):
        if shutil.which(tool[0]) is None:
            continue
        subprocess.run(tool + [str(raw_path)], capture_output=True)  # warm the page cache
        times = []
        for _ in range(runs):
            seconds, done = timed(lambda: subprocess.run(tool + [str(raw_path)], capture_output=True, text=True))
            times.append(seconds)
        tools[tool[0]] = (statistics.median(times), int(done.stdout.strip() or 0))
    needle_time, needle_count = results["needle"]
    level_time, level_counts = results["levels"]
    assert needle_count == tools["grep"][1], f"needle: query found {needle_count}, grep {tools['grep'][1]}"
    # Each line is counted in every 1m window's step it falls in: with step = range, once.
    assert round(sum(level_counts.values())) == lines, f"levels sum to {sum(level_counts.values())}, not {lines}"
    print(f"needle query {needle_time * 1000:.0f} ms ({needle_count} lines)", end="")
    for tool, (seconds, count) in tools.items():
        print(f"; {tool} -F {seconds * 1000:.0f} ms ({count} lines, {seconds / needle_time:.0f}x slower)", end="")
    print()
    print(f"sum by (level) over 24 h, step 1m: {level_time * 1000:.0f} ms; counts {dict(sorted(level_counts.items()))}")


if __name__ == "__main__":
    main()
