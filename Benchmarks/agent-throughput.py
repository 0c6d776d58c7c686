#!/usr/bin/env python3
"""sluice-agent on this machine, agent and broker sharing the cores (BENCHMARKS.md).

1. Tail: one file of SIZE_MIB MiB of realistic 100-200 byte lines (nginx access, syslog,
   JSON application lines) shipped into `sluice serve` with the agent's default settings
   (gzip level 1, acks=all). Reports lines/s and MiB/s from the agent's start until the
   broker holds every line, the agent's CPU seconds per GiB (utime+stime from /proc),
   its peak RSS (VmHWM), and its RSS once idle after catching up.
2. Idle: a fresh agent with etc/agent.yml's inputs on an empty folder, RSS after 10 s.
3. Journal: ENTRIES entries in a journal file written by systemd-journal-remote, read
   from the beginning and shipped: entries/s.

Each measurement runs RUNS times; the median is printed. Needs release builds:
  swift build -c release --product sluice --static-swift-stdlib
  swift build -c release --product sluice-agent --static-swift-stdlib
Usage: Benchmarks/agent-throughput.py [SIZE_MIB=1024] [RUNS=3] [ENTRIES=200000]
With COMPARE_CODECS="gzip:1 zstd:1 lz4" it also runs the tail measurement once more per
codec (codec:level) and prints lines/s and the bytes the broker stored.
"""
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SLUICE = REPO / ".build/release/sluice"
AGENT = REPO / ".build/release/sluice-agent"
size_mib = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
entries = int(sys.argv[3]) if len(sys.argv) > 3 else 200_000
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def realistic_lines(target_bytes, path):
    rng = random.Random(42)
    paths = ["/", "/api/v1/orders", "/static/app.js", "/login", "/api/v1/users/%d", "/health"]
    agents = ["Mozilla/5.0 (X11; Linux x86_64)", "curl/7.88.1", "Go-http-client/1.1"]
    services = ["sshd[%d]", "CRON[%d]", "kernel", "systemd[1]", "postfix/smtpd[%d]"]
    lines = 0
    written = 0
    with open(path, "w") as out:
        while written < target_bytes:
            kind = rng.random()
            if kind < 0.4:
                line = '10.%d.%d.%d - - [22/Nov/2026:06:%02d:%02d +0000] "GET %s HTTP/1.1" %d %d "-" "%s"' % (
                    rng.randrange(256), rng.randrange(256), rng.randrange(256), rng.randrange(60), rng.randrange(60),
                    rng.choice(paths).replace("%d", str(rng.randrange(10000))), rng.choice([200, 200, 304, 404, 500]),
                    rng.randrange(100000), rng.choice(agents))
            elif kind < 0.7:
                service = rng.choice(services).replace("%d", str(rng.randrange(1, 65000)))
                line = "Nov 22 06:%02d:%02d web-%02d %s: session opened for user u%d by (uid=0) id=%08x" % (
                    rng.randrange(60), rng.randrange(60), rng.randrange(20), service, rng.randrange(1000), rng.getrandbits(32))
            else:
                line = '{"ts":"2026-11-22T06:%02d:%02d.%03dZ","level":"%s","msg":"order processed","order_id":%d,"ms":%d}' % (
                    rng.randrange(60), rng.randrange(60), rng.randrange(1000), rng.choice(["info", "warn", "error", "debug"]),
                    rng.randrange(10**9), rng.randrange(5000))
            # Lengths spread evenly over 100-200 bytes: real lines carry request ids, traces, etc.
            target = rng.randint(100, 200)
            while len(line) < target:
                line += " %s=%x" % (rng.choice(["req", "trace", "span", "sid", "rid"]), rng.getrandbits(40))
            line = line[:target]
            out.write(line + "\n")
            written += len(line) + 1
            lines += 1
    return lines, written


class Broker:
    def __init__(self, work):
        self.log = open(work / "broker.log", "w+")
        self.process = subprocess.Popen([str(SLUICE), "serve", "--data-dir", str(work / "data"),
                                         "--kafka-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"], stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(600):
            self.log.seek(0)
            for line in self.log:
                if line.startswith("kafka-port "):
                    self.port = int(line.split()[1])
                    return
            time.sleep(0.1)
        raise RuntimeError("broker did not start")

    def end_offset(self, topic):
        result = subprocess.run(["kcat", "-b", f"127.0.0.1:{self.port}", "-Q", "-t", f"{topic}:0:-1"],
                                capture_output=True, text=True)
        for line in result.stdout.splitlines():
            if "offset" in line:
                return int(line.split("offset")[1].split()[0])
        return 0

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)


def proc_status(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024  # MiB
    return 0.0


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def start_agent(work, inputs, kafka_extra=""):
    config = work / "agent.yml"
    config.write_text(f"host: bench\nstate_dir: {work / 'state'}\nkafka: {{bootstrap: 127.0.0.1:{broker_port}{kafka_extra}}}\ninputs:\n{inputs}\n")
    return subprocess.Popen([str(AGENT), "--config", str(config)], stderr=open(work / "agent.log", "w"))


def settle():
    """Lets the disk finish writing back earlier runs (gigabytes of log segments), so a
    run is not measured against the previous one's writeback."""
    os.sync()
    time.sleep(3)


def wait_for(broker, topic, count, agent, timeout=3600):
    deadline = time.monotonic() + timeout
    peak = 0.0
    while time.monotonic() < deadline:
        peak = max(peak, proc_status(agent.pid, "VmHWM"))
        if broker.end_offset(topic) >= count:
            return
        if agent.poll() is not None:
            raise RuntimeError("agent exited")
        time.sleep(0.1)
    raise RuntimeError("timed out")


results = {"lines_per_s": [], "mib_per_s": [], "cpu_s_per_gib": [], "peak_rss": [], "caught_up_rss": [],
           "idle_rss": [], "journal_per_s": []}
with tempfile.TemporaryDirectory(prefix="sluice-agent-bench.") as tmp:
    base = Path(tmp)
    data_file = base / "input.log"
    line_count, byte_count = realistic_lines(size_mib << 20, data_file)
    print(f"input: {line_count} lines, {byte_count / 2**20:.0f} MiB, mean {byte_count / line_count:.0f} B/line; "
          f"{os.cpu_count()} cores shared by agent and broker; runs: {runs}", flush=True)

    journal_dir = base / "journal"
    journal_dir.mkdir()
    export = subprocess.Popen(["/lib/systemd/systemd-journal-remote", f"--output={journal_dir}/bench.journal", "-"],
                              stdin=subprocess.PIPE)
    boot = "%032x" % random.Random(1).getrandbits(128)
    start_us = int(time.time() * 1e6) - entries * 1000
    chunk = []
    for i in range(entries):
        chunk.append(f"__REALTIME_TIMESTAMP={start_us + i * 1000}\n__MONOTONIC_TIMESTAMP={1_000_000 + i * 1000}\n"
                     f"_BOOT_ID={boot}\n_HOSTNAME=bench\n_SYSTEMD_UNIT=svc{i % 7}.service\nPRIORITY={i % 8}\n"
                     f"SYSLOG_IDENTIFIER=svc{i % 7}\n_PID={1000 + i % 50}\n"
                     f"MESSAGE=request {i} handled in {i % 997} ms for user u{i % 311}\n\n")
        if len(chunk) == 5000:
            export.stdin.write("".join(chunk).encode())
            chunk = []
    export.stdin.write("".join(chunk).encode())
    export.stdin.close()
    export.wait()

    for run in range(runs):
        work = base / f"run{run}"
        work.mkdir()
        broker = Broker(work)
        broker_port = broker.port
        (work / "logs").mkdir()
        os.link(data_file, work / "logs" / "input.log")

        settle()
        started = time.monotonic()
        agent = start_agent(work, f"  - {{type: file, name: bench, paths: [{work}/logs/*.log], start_at: beginning}}")
        wait_for(broker, "logs", line_count, agent)
        elapsed = time.monotonic() - started
        cpu = cpu_seconds(agent.pid)
        peak = proc_status(agent.pid, "VmHWM")
        time.sleep(10)
        caught_up = proc_status(agent.pid, "VmRSS")
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=60)
        results["lines_per_s"].append(line_count / elapsed)
        results["mib_per_s"].append(byte_count / 2**20 / elapsed)
        results["cpu_s_per_gib"].append(cpu / (byte_count / 2**30))
        results["peak_rss"].append(peak)
        results["caught_up_rss"].append(caught_up)

        # A fresh agent with the main job's inputs (file glob, journal, host metrics) on nothing.
        (work / "empty").mkdir()
        idle = start_agent(work, f"  - {{type: file, name: idle, paths: [{work}/empty/*.log]}}\n"
                                 f"  - {{type: journald, name: journal}}\n  - {{type: host_metrics, name: host}}")
        time.sleep(10)
        results["idle_rss"].append(proc_status(idle.pid, "VmRSS"))
        idle.send_signal(signal.SIGTERM)
        idle.wait(timeout=60)

        settle()
        started = time.monotonic()
        journal_agent = start_agent(work, f"  - {{type: journald, name: bench-journal, directory: {journal_dir}, start_at: beginning}}")
        wait_for(broker, "logs", line_count + entries, journal_agent)
        results["journal_per_s"].append(entries / (time.monotonic() - started))
        journal_agent.send_signal(signal.SIGTERM)
        journal_agent.wait(timeout=60)
        broker.stop()
        print(f"run {run + 1}: " + ", ".join(f"{k}={v[-1]:.1f}" for k, v in results.items()), flush=True)

    for spec in os.environ.get("COMPARE_CODECS", "").split():
        codec, _, level = spec.partition(":")
        work = base / f"codec-{codec}-{level}"
        work.mkdir()
        broker = Broker(work)
        broker_port = broker.port
        (work / "logs").mkdir()
        os.link(data_file, work / "logs" / "input.log")
        extra = f", compression: {codec}" + (f", compression_level: {level}" if level else "")
        settle()
        started = time.monotonic()
        agent = start_agent(work, f"  - {{type: file, name: bench, paths: [{work}/logs/*.log], start_at: beginning}}", extra)
        wait_for(broker, "logs", line_count, agent)
        elapsed = time.monotonic() - started
        cpu = cpu_seconds(agent.pid)
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=60)
        stored = sum(p.stat().st_size for p in (work / "data" / "logs-0").glob("*.log"))
        broker.stop()
        print(f"codec {spec:8s}: {line_count / elapsed:10.0f} lines/s, agent {cpu / (byte_count / 2**30):5.1f} CPU s/GiB, "
              f"stored {stored / 2**20:6.0f} MiB for {byte_count / 2**20:.0f} MiB of lines", flush=True)

print()
for key, label in [("lines_per_s", "tail throughput, lines/s"), ("mib_per_s", "tail throughput, MiB/s"),
                   ("cpu_s_per_gib", "agent CPU seconds per GiB"), ("peak_rss", "agent peak RSS while tailing, MiB"),
                   ("caught_up_rss", "agent RSS 10 s after catching up, MiB"), ("idle_rss", "agent idle RSS (fresh, nothing to ship), MiB"),
                   ("journal_per_s", "journal read and ship, entries/s")]:
    values = results[key]
    print(f"{label:48s} median {statistics.median(values):12.1f}   runs: {', '.join(f'{v:.1f}' for v in values)}")
