#!/usr/bin/env python3
"""Metrics, alerting and replay on this machine (BENCHMARKS.md, issue 6).

Data (reused when WORK_DIR holds it): a day of agent-like host metrics from 50 hosts (HOSTS),
one batch per host every 10 s (with the agent's few milliseconds of jitter), 60 series
per host as sluice-agent sends them (node_cpu_seconds_total for 4 CPUs x 8 modes in
1/100 s ticks, memory gauges in whole pages, load averages, network and disk counters,
filesystem bytes): 25.9M samples. The same samples go to Sluice (metric batches produced
over Kafka) and to Debian's VictoriaMetrics (Prometheus text with timestamps through
/api/v1/import/prometheus).

1. Ingest and size, side by side, RUNS times each:
   - Sluice: the batches sit in the `metrics` topic; the metric store's folder is removed
     and `sluice serve` started: samples/s = samples / time from start until /metrics
     shows every sample appended. Size: the metric store's folder after a clean stop,
     per sample.
   - VictoriaMetrics: a fresh data folder; the text is POSTed in 32 MiB parts; samples/s =
     samples / time from the first POST until /internal/force_flush returns. Size: its
     data folder after force_flush and a force_merge, per sample.
2. query_range over 1,000 series x 24 h at step 60 s
   (`rate(node_cpu_seconds_total{mode=~"user|system|idle|iowait|irq"}[5m])`: 50 hosts x 4 CPUs
   x 5 modes), median of max(RUNS, 5) (after one warm-up), with the answer's series and points checked.
3. Alert latency: a rule group with a 250 ms interval on `bench_latency_gauge > 50`; a
   Kafka producer (acks=all, linger 0) sends a crossing sample (99, a distinct `probe`
   label each cycle), a local webhook receiver timestamps the firing notification, then
   the producer sends 0 for the same series and the receiver timestamps the resolved one:
   PROBES fire/resolve cycles, p50/p99 of each transition and of both together.
4. Replay: `sluice replay --topic metrics` over the whole day with 20 alerting rules,
   median of RUNS, wall time of the command.

Needs a release build:  swift build -c release --product sluice
Usage: Benchmarks/metrics.py [RUNS=3] [WORK_DIR]      (PROBES=n cycles, default 50; PARTS=1,2,3,4 picks parts;
       HOSTS=n, default 50, for part 1 at a larger scale: HOSTS=150 PARTS=1 in a WORK_DIR of its own)
"""
import http.server
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SLUICE = REPO / ".build/release/sluice"
VICTORIA = Path("/usr/bin/victoria-metrics")
runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
work = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp(prefix="sluice-metrics-"))
PROBES = int(os.environ.get("PROBES", "50"))
PARTS = set(os.environ.get("PARTS", "1,2,3,4").split(","))
END = 1_795_305_600  # 2026-11-22T00:00:00Z: the data covers the 24 hours before.
START = END - 86_400
STEP = 10
HOSTS = [f"node-{n:02d}" for n in range(int(os.environ.get("HOSTS", "50")))]
MODES = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"]


def host_series(rng):
    """The 60 series of one host: (name, labels, kind, state) with a step function."""
    series = []
    for cpu in range(4):
        for mode in MODES:
            share = {"user": 0.18, "system": 0.06, "idle": 0.72, "iowait": 0.02, "softirq": 0.01}.get(mode, 0.002)
            series.append(("node_cpu_seconds_total", {"cpu": str(cpu), "mode": mode}, "cpu", [rng.uniform(1e5, 1e6), share]))
    total = rng.choice([8, 16, 32, 64]) * 2**30
    series.append(("node_memory_MemTotal_bytes", {}, "const", [float(total)]))
    for name, fraction in (("MemAvailable", 0.6), ("MemFree", 0.2), ("Cached", 0.3), ("Buffers", 0.02),
                           ("Active", 0.35), ("Inactive", 0.25), ("SwapFree", 0.1)):
        series.append((f"node_memory_{name}_bytes", {}, "pages", [total * fraction]))
    for name, base in (("node_load1", 0.8), ("node_load5", 0.8), ("node_load15", 0.8)):
        series.append((name, {}, "load", [base]))
    for device in ("eth0", "lo"):
        series.append(("node_network_receive_bytes_total", {"device": device}, "bytes", [rng.uniform(1e9, 1e11), 2e5]))
        series.append(("node_network_transmit_bytes_total", {"device": device}, "bytes", [rng.uniform(1e9, 1e11), 1e5]))
        series.append(("node_network_receive_packets_total", {"device": device}, "count", [rng.uniform(1e6, 1e8), 300]))
        series.append(("node_network_receive_errs_total", {"device": device}, "rare", [0.0]))
    for mount, fstype in (("/", "ext4"), ("/var", "xfs")):
        labels = {"device": "/dev/sda1" if mount == "/" else "/dev/sdb1", "fstype": fstype, "mountpoint": mount}
        size = rng.choice([50, 100, 500]) * 2**30
        series.append(("node_filesystem_size_bytes", labels, "const", [float(size)]))
        series.append(("node_filesystem_avail_bytes", labels, "blocks", [size * 0.5]))
        series.append(("node_filesystem_files_free", labels, "files", [3e6]))
    series.append(("node_disk_read_bytes_total", {"device": "sda"}, "sectors", [rng.uniform(1e10, 1e12), 4e4]))
    series.append(("node_disk_written_bytes_total", {"device": "sda"}, "sectors", [rng.uniform(1e10, 1e12), 2e5]))
    series.append(("node_disk_io_time_seconds_total", {"device": "sda"}, "millis", [rng.uniform(1e4, 1e6), 0.05]))
    assert len(series) == 60, len(series)
    return series


def advance(rng, kind, state):
    """The next value of a series (state mutated), as the agent would read it."""
    if kind == "cpu":
        state[0] += round(STEP * state[1] * rng.uniform(0.5, 1.5), 2)
        return round(state[0], 2)
    if kind == "const":
        return state[0]
    if kind == "pages":
        state[0] = max(4096.0, state[0] + rng.randint(-2000, 2000) * 4096)
        return state[0]
    if kind == "load":
        state[0] = max(0.0, state[0] + rng.uniform(-0.05, 0.05))
        return round(state[0], 2)
    if kind == "bytes":
        state[0] += rng.randint(0, int(state[1] * STEP))
        return state[0] // 1
    if kind == "count":
        state[0] += rng.randint(0, int(state[1] * STEP))
        return state[0] // 1
    if kind == "rare":
        if rng.random() < 0.0005:
            state[0] += 1
        return state[0]
    if kind == "blocks":
        state[0] = max(0.0, state[0] - rng.randint(0, 64) * 4096)
        return state[0]
    if kind == "files":
        state[0] += rng.randint(-3, 3)
        return state[0]
    if kind == "sectors":
        state[0] += rng.randint(0, int(state[1] * STEP / 512)) * 512
        return state[0]
    if kind == "millis":
        state[0] += round(rng.uniform(0, state[1] * STEP), 3)
        return round(state[0], 3)
    raise ValueError(kind)


def number(value):
    return repr(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(value)


def generate(batches_path, text_path):
    """Writes `host<TAB>unix-ms<TAB>batch JSON` lines and Prometheus text lines; returns samples."""
    rng = random.Random(6)
    hosts = {host: host_series(rng) for host in HOSTS}
    label_text = {}
    json_names = {}
    for host, series in hosts.items():
        for index, (name, labels, _, _) in enumerate(series):
            pairs = dict(labels, host=host)
            label_text[(host, index)] = name + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(pairs.items())) + "}"
            json_names[(host, index)] = '{"name":"%s","labels":%s,"value":' % (name, json.dumps(labels, separators=(",", ":")))
    samples = 0
    with open(batches_path, "w", buffering=1 << 22) as batches, open(text_path, "w", buffering=1 << 22) as text:
        for t in range(START, END, STEP):
            for host, series in hosts.items():
                ms = t * 1000 + rng.randint(0, 40)  # the agent's jitter
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % (ms % 1000)
                parts = []
                lines = []
                for index, (_, _, kind, state) in enumerate(series):
                    value = number(advance(rng, kind, state))
                    parts.append(json_names[(host, index)] + value + "}")
                    lines.append(f"{label_text[(host, index)]} {value} {ms}\n")
                batches.write(f'{host}\t{ms}\t{{"timestamp":"{stamp}","host":"{host}","samples":[{",".join(parts)}]}}\n')
                text.write("".join(lines))
                samples += len(series)
    return samples


class Appliance:
    def __init__(self, config=None, data=None):
        args = [str(SLUICE), "serve", "--data-dir", str(data or work / "data"), "--kafka-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"]
        if config:
            args += ["--config", str(config)]
        self.log = open(work / "serve.log", "a")
        self.started = time.perf_counter()
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

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(timeout=600) == 0, "sluice serve failed; see " + str(work / "serve.log")


def folder_bytes(path):
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def produce(appliance, batches_path):
    from confluent_kafka import Producer
    producer = Producer({"bootstrap.servers": appliance.kafka, "linger.ms": 50, "compression.type": "zstd",
                         "batch.size": 1_000_000, "queue.buffering.max.messages": 500_000})
    with open(batches_path) as lines:
        for line in lines:
            host, ms, value = line.rstrip("\n").split("\t", 2)
            while True:
                try:
                    producer.produce("metrics", key=host.encode(), value=value.encode(), timestamp=int(ms))
                    break
                except BufferError:
                    producer.poll(0.05)
            producer.poll(0)
    assert producer.flush(600) == 0


def median_text(values, unit="", digits=0):
    return f"{statistics.median(values):,.{digits}f}{unit} (runs: {', '.join(f'{v:,.{digits}f}' for v in values)})"


def ingest_sluice(samples):
    rates, sizes = [], []
    for _ in range(runs):
        shutil.rmtree(work / "data" / "metrics", ignore_errors=True)
        appliance = Appliance()
        while appliance.metric("sluice_metrics_samples_appended_total") < samples:
            time.sleep(0.05)
        elapsed = time.perf_counter() - appliance.started
        appliance.stop()
        rates.append(samples / elapsed)
        sizes.append(folder_bytes(work / "data" / "metrics") / samples)
        print(f"  sluice: {samples / elapsed:,.0f} samples/s, {sizes[-1]:.3f} bytes/sample", flush=True)
    return rates, sizes


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ingest_victoria(text_path, samples):
    rates, sizes = [], []
    for run in range(runs):
        data = work / f"victoria-{run}"
        shutil.rmtree(data, ignore_errors=True)
        port = free_port()
        process = subprocess.Popen([str(VICTORIA), f"-storageDataPath={data}", f"-httpListenAddr=127.0.0.1:{port}",
                                    "-retentionPeriod=100y", "-loggerLevel=ERROR"],
                                   stdout=subprocess.DEVNULL, stderr=open(work / "victoria.log", "a"))
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/health", timeout=1).read()
                break
            except OSError:
                time.sleep(0.05)
        started = time.perf_counter()
        with open(text_path, "rb") as text:
            while True:
                part = text.read(32 << 20)
                if not part:
                    break
                rest = text.readline()  # whole lines only
                request = urllib.request.Request(base + "/api/v1/import/prometheus", data=part + rest, method="POST")
                urllib.request.urlopen(request, timeout=600).read()
        urllib.request.urlopen(base + "/internal/force_flush", timeout=600).read()
        elapsed = time.perf_counter() - started
        urllib.request.urlopen(base + "/internal/force_merge", timeout=600).read()
        count = json.loads(urllib.request.urlopen(base + "/api/v1/query?" + urllib.parse.urlencode(
            {"query": 'sum(count_over_time({__name__=~"node_.+"}[1d]))', "time": END}), timeout=600).read())
        stored = float(count["data"]["result"][0]["value"][1]) if count["data"]["result"] else 0
        time.sleep(10)  # background merges after force_merge
        process.send_signal(signal.SIGINT)
        process.wait(timeout=120)
        rates.append(samples / elapsed)
        sizes.append(folder_bytes(data) / samples)
        print(f"  victoria-metrics: {samples / elapsed:,.0f} samples/s, {sizes[-1]:.3f} bytes/sample "
              f"({stored:,.0f} samples counted by its own query)", flush=True)
    return rates, sizes


def query_range(appliance):
    query = 'rate(node_cpu_seconds_total{mode=~"user|system|idle|iowait|irq"}[5m])'
    params = {"query": query, "start": START, "end": END, "step": 60}
    body = appliance.get("/api/v1/query_range", **params)  # warm-up (and check)
    result = body["data"]["result"]
    assert len(result) == 1000, len(result)
    assert all(len(s["values"]) >= 1435 for s in result), min(len(s["values"]) for s in result)
    # Timed as a client sees it: request sent until the last byte of the answer (~50 MB of
    # JSON) is read; parsing it in Python (about a second) is not counted.
    times = []
    url = appliance.http + "/api/v1/query_range?" + urllib.parse.urlencode(params)
    for _ in range(max(runs, 5)):
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=600) as response:
            size = len(response.read())
        times.append((time.perf_counter() - started) * 1000)
    print(f"   answer: {len(result)} series, {size:,} bytes of JSON")
    return times


class Receiver(http.server.BaseHTTPRequestHandler):
    """Alertmanager-webhook receiver: the first arrival per (probe label, status)."""
    arrivals = {}

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        now = time.time()
        for alert in body["alerts"]:
            Receiver.arrivals.setdefault((alert["labels"].get("probe"), alert["status"]), now)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def alert_latency():
    """Per cycle: produce 99 and wait for `firing`, produce 0 and wait for `resolved`;
    returns the milliseconds from produce() to the webhook's arrival, per transition."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    rules = work / "latency-rules.yml"
    rules.write_text("groups:\n  - name: latency\n    interval: 250ms\n    rules:\n"
                     "      - alert: LatencyProbe\n        expr: bench_latency_gauge > 50\n")
    config = work / "latency.yml"
    config.write_text(json.dumps({"alerting": {"rule_files": [str(rules)],
                                               "webhooks": [{"url": f"http://127.0.0.1:{server.server_port}/hook"}]}}))
    shutil.rmtree(work / "latency-data", ignore_errors=True)
    from confluent_kafka import Producer
    appliance = Appliance(config, data=work / "latency-data")
    producer = Producer({"bootstrap.servers": appliance.kafka, "linger.ms": 0, "acks": "all"})
    latencies = {"firing": [], "resolved": []}

    def transition(probe, value, status):
        time.sleep(random.uniform(0.05, 0.6))  # anywhere in the evaluation cycle
        now = time.time()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".%03dZ" % (int(now * 1000) % 1000)
        batch = {"timestamp": stamp, "host": "latency-host",
                 "samples": [{"name": "bench_latency_gauge", "labels": {"probe": str(probe)}, "value": value}]}
        sent = time.time()
        producer.produce("metrics", key=b"latency-host", value=json.dumps(batch).encode())
        producer.flush(10)
        key = (str(probe), status)
        deadline = time.time() + 10
        while key not in Receiver.arrivals and time.time() < deadline:
            time.sleep(0.002)
        assert key in Receiver.arrivals, f"probe {probe} was not notified as {status}"
        latencies[status].append((Receiver.arrivals[key] - sent) * 1000)

    for probe in range(PROBES):
        transition(probe, 99, "firing")
        transition(probe, 0, "resolved")
    del producer  # closes its connections before the broker goes (no "disconnected" noise)
    appliance.stop()
    server.shutdown()
    return latencies


def percentiles(values):
    ordered = sorted(values)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], ordered[-1]


REPLAY_RULES = [
    ("HighCPU", '1 - avg by (host) (rate(node_cpu_seconds_total{mode="idle"}[5m])) > 0.9', "5m"),
    ("CPUSteal", 'avg by (host) (rate(node_cpu_seconds_total{mode="steal"}[5m])) > 0.1', "5m"),
    ("IOWait", 'avg by (host) (rate(node_cpu_seconds_total{mode="iowait"}[5m])) > 0.2', "10m"),
    ("LowMemory", "node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes < 0.1", "5m"),
    ("SwapUsed", "node_memory_SwapFree_bytes / node_memory_MemTotal_bytes < 0.05", "10m"),
    ("MemoryDropping", "deriv(node_memory_MemAvailable_bytes[10m]) < -1e7", "5m"),
    ("HighLoad", "node_load1 > 4", "2m"),
    ("HighLoad15", "node_load15 > 2", "15m"),
    ("NetworkErrors", "increase(node_network_receive_errs_total[5m]) > 0", "0s"),
    ("NetworkBusy", 'rate(node_network_receive_bytes_total{device="eth0"}[5m]) > 1e6', "5m"),
    ("NetworkTransmitBusy", 'rate(node_network_transmit_bytes_total{device="eth0"}[5m]) > 1e6', "5m"),
    ("PacketStorm", "rate(node_network_receive_packets_total[1m]) > 1e4", "1m"),
    ("DiskAlmostFull", "node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.1", "10m"),
    ("DiskFillingUp", "predict_linear(node_filesystem_avail_bytes[1h], 4 * 3600) < 0", "30m"),
    ("FewInodes", "node_filesystem_files_free < 1000", "10m"),
    ("DiskReadHeavy", "rate(node_disk_read_bytes_total[5m]) > 5e7", "10m"),
    ("DiskWriteHeavy", "rate(node_disk_written_bytes_total[5m]) > 5e7", "10m"),
    ("DiskSaturated", "rate(node_disk_io_time_seconds_total[5m]) > 0.9", "10m"),
    ("CPUBusyAnyCore", 'max by (host) (1 - rate(node_cpu_seconds_total{mode="idle"}[2m])) > 0.5', "1m"),
    ("HostOutlierLoad", "node_load1 > 2 * avg without (host) (node_load1)", "5m"),
]


def replay():
    rules = work / "replay-rules.yml"
    rules.write_text(json.dumps({"groups": [{"name": "bench", "interval": "10s", "rules": [
        {"alert": name, "expr": expr, "for": hold} for name, expr, hold in REPLAY_RULES]}]}))
    assert len(REPLAY_RULES) == 20
    appliance = Appliance()
    times, transitions = [], None
    from_text = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(START))
    to_text = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(END - STEP))
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run([str(SLUICE), "replay", "--url", appliance.http, "--topic", "metrics", "--from", from_text,
                               "--to", to_text, "--rules", str(rules), "--output", "ndjson"],
                              capture_output=True, text=True, timeout=1800)
        times.append(time.perf_counter() - started)
        assert done.returncode == 0, done.stderr
        lines = [json.loads(line) for line in done.stdout.splitlines()]
        count = sum(1 for line in lines if line.get("type") == "transition")
        assert transitions is None or transitions == count, "replay is not deterministic"
        transitions = count
    appliance.stop()
    return times, transitions


def main():
    assert SLUICE.exists(), f"{SLUICE} missing; build it first (see the docstring)"
    work.mkdir(parents=True, exist_ok=True)
    print(f"work dir {work}; {os.cpu_count()} cores; runs {runs}", flush=True)
    batches_path, text_path, described = work / "batches.tsv", work / "samples.prom", work / "samples.json"
    if described.exists():
        samples = json.loads(described.read_text())["samples"]
        hosts = json.loads(described.read_text()).get("hosts", 50)
        assert hosts == len(HOSTS), f"{work} holds {hosts} hosts' data; HOSTS={len(HOSTS)} needs another WORK_DIR"
    else:
        seconds, samples = timed(lambda: generate(batches_path, text_path))
        described.write_text(json.dumps({"samples": samples, "hosts": len(HOSTS)}))
        print(f"generated {samples:,} samples in {seconds:.0f} s", flush=True)
    if not (work / "data" / "produced").exists():
        shutil.rmtree(work / "data", ignore_errors=True)
        appliance = Appliance()
        seconds, _ = timed(lambda: produce(appliance, batches_path))
        appliance.stop()
        (work / "data" / "produced").write_text("yes")
        print(f"produced {len(HOSTS) * 86_400 // STEP:,} batches in {seconds:.0f} s", flush=True)

    if "1" in PARTS:
        ingest_and_size(samples, text_path)
    if "2" in PARTS:
        print("2. query_range 1,000 series x 24 h, step 60 s", flush=True)
        appliance = Appliance()
        milliseconds = query_range(appliance)
        appliance.stop()
        print(f"   {median_text(milliseconds, ' ms', 1)}")
    if "3" in PARTS:
        print("3. alert latency (250 ms evaluation interval)", flush=True)
        latencies = alert_latency()
        for name, values in (("firing", latencies["firing"]), ("resolved", latencies["resolved"]),
                             ("both", latencies["firing"] + latencies["resolved"])):
            p50, p99, most = percentiles(values)
            print(f"   {name}: {len(values)} notifications: p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {most:.0f} ms")
    if "4" in PARTS:
        print("4. replay a day of 50 hosts through 20 rules", flush=True)
        seconds, transitions = replay()
        print(f"   {median_text(seconds, ' s', 2)}; {transitions} transitions")


def ingest_and_size(samples, text_path):
    print("1. ingest and size", flush=True)
    sluice_rates, sluice_sizes = ingest_sluice(samples)
    victoria_rates, victoria_sizes = ingest_victoria(text_path, samples) if VICTORIA.exists() else ([0], [0])
    print(f"   sluice ingest {median_text(sluice_rates, ' samples/s')}; size {median_text(sluice_sizes, ' B/sample', 3)}")
    print(f"   victoria-metrics ingest {median_text(victoria_rates, ' samples/s')}; size {median_text(victoria_sizes, ' B/sample', 3)}")


def timed(function):
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


if __name__ == "__main__":
    main()
