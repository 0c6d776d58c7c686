#!/usr/bin/env python3
"""Replay as a backtest on this machine (BENCHMARKS.md, issue 6; bar: a day of 50 hosts'
metrics through 20 rules in under 10 s).

1. Data: `sluice serve` (release) in WORK_DIR; a day of metric batches for 50 hosts every
   10 s (432,000 records) produced over Kafka with confluent-kafka, exactly as
   Tests/Integration/test_replay.py does (5 samples per batch, an injected incident), or with
   WIDE=1 25 more samples per batch (CPU modes per core, network and disk counters: 30,
   node_exporter's width for a small host).
2. Rules: RULES_FILE below, 20 rules of the kinds a fleet has (thresholds with `for` and
   `keep_firing_for`, rate/increase, *_over_time, aggregations, topk, absent, a recording
   rule and an alert reading it); `promtool check rules` accepts it.
3. `sluice replay --from <day start> --to <day end> --rules rules20.yml --output ndjson`,
   RUNS times; the wall time of the CLI from start to its last line (reading the topic
   from the offsets for the times, evaluating, streaming the answer). Prints each run and
   the median, and checks every run printed the same bytes.

Needs a release build:  swift build -c release --product sluice
Usage: Benchmarks/replay.py [RUNS=3] [WORK_DIR]      (WIDE=1 for 30 samples per batch)
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SLUICE = REPO / ".build/release/sluice"
sys.path.insert(0, str(REPO / "Tests/Integration"))
import test_replay  # noqa: E402  (the acceptance test's data set)
from confluent_kafka import Producer  # noqa: E402

runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
work = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp(prefix="sluice-replay-"))
wide = os.environ.get("WIDE") == "1"

RULES_FILE = """groups:
  - name: backtest
    interval: 10s
    rules:
      - alert: HighLoad
        expr: node_load1 > 10
        for: 2m
        labels:
          severity: page
      - alert: LowMemory
        expr: node_memory_MemAvailable_bytes < 1e9
        for: 10m
      - alert: NetworkErrors
        expr: increase(node_network_receive_errs_total[1m]) > 0
      - alert: DiskAlmostFull
        expr: node_filesystem_used_ratio > 0.95
        for: 1m
        keep_firing_for: 1m
      - alert: MemoryPressure
        expr: 1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes > 0.9
        for: 5m
        annotations:
          summary: "{{ $labels.host }} uses {{ $value | humanizePercentage }} of its memory"
      - alert: FleetLoadHigh
        expr: sum(node_load1) > 100
      - alert: FleetAverageLoadHigh
        expr: avg(node_load1) > 5
        for: 5m
      - alert: ReceiveErrorRate
        expr: rate(node_network_receive_errs_total[5m]) > 0.01
      - alert: LoadSpread
        expr: stddev(node_load1) > 3
      - alert: DiskWarning
        expr: node_filesystem_used_ratio > 0.8
        for: 5m
      - alert: DiskRecentlyFull
        expr: max_over_time(node_filesystem_used_ratio[10m]) > 0.96
      - alert: LoadPeak
        expr: max_over_time(node_load1[5m]) > 15
      - alert: BusiestHosts
        expr: topk(3, node_load1) > 12
      - alert: MemoryMetricAbsent
        expr: absent(node_memory_MemTotal_bytes{host="host-00"})
      - alert: ManyBusyHosts
        expr: count(node_load1 > 2) > 10
      - alert: LoadJump
        expr: delta(node_load1[5m]) > 10
      - alert: MemoryDip
        expr: min_over_time(node_memory_MemAvailable_bytes[5m]) < 1e9
      - alert: LoadAboveItsAverage
        expr: node_load1 > 3 * avg_over_time(node_load1[15m])
        for: 1m
      - record: host:load1:avg5m
        expr: avg_over_time(node_load1[5m])
      - alert: AverageLoadHigh
        expr: host:load1:avg5m > 8
        for: 1m
"""


def widened(value, counters):
    """The batch with 25 more samples: CPU seconds per core and mode, network and disk counters."""
    batch = json.loads(value)
    for index in range(len(counters)):
        counters[index] += (index + 1) * 0.5
    extra = [{"name": "node_cpu_seconds_total", "labels": {"cpu": str(cpu), "mode": mode}, "value": counters[cpu * 4 + m]}
             for cpu in range(4) for m, mode in enumerate(["idle", "user", "system", "iowait"])]
    for d, device in enumerate(["eth0", "eth1"]):
        extra.append({"name": "node_network_receive_bytes_total", "labels": {"device": device}, "value": counters[16 + d]})
        extra.append({"name": "node_network_transmit_bytes_total", "labels": {"device": device}, "value": counters[18 + d]})
    extra += [{"name": "node_disk_read_bytes_total", "labels": {"device": "sda"}, "value": counters[20]},
              {"name": "node_disk_written_bytes_total", "labels": {"device": "sda"}, "value": counters[21]},
              {"name": "node_load5", "labels": {}, "value": 0.7},
              {"name": "node_load15", "labels": {}, "value": 0.6},
              {"name": "node_filesystem_avail_bytes", "labels": {"mountpoint": "/"}, "value": 5e10}]
    batch["samples"] += extra
    return json.dumps(batch, separators=(",", ":")).encode()


def wait_until_indexed(http_port):
    """The appliance's own metric processor indexes the day too: timing starts once it is done."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        text = urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics").read().decode()
        lags = [float(line.split()[-1]) for line in text.splitlines() if line.startswith("sluice_metrics_consumer_lag_records{")]
        if lags and sum(lags) == 0:
            return
        time.sleep(1)
    raise SystemExit("the metric processor did not catch up")


def main():
    serve = subprocess.Popen([str(SLUICE), "serve", "--data-dir", str(work / "data"), "--kafka-listen", "127.0.0.1:0",
                              "--http-listen", "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    ports = {}
    while len(ports) < 2:
        line = serve.stdout.readline()
        if not line:
            raise SystemExit("sluice serve exited")
        if line.startswith(("kafka-port ", "http-port ")):
            name, port = line.split()
            ports[name] = port
    try:
        producer = Producer({"bootstrap.servers": f"127.0.0.1:{ports['kafka-port']}", "linger.ms": 20,
                             "compression.type": "zstd", "queue.buffering.max.messages": 1_000_000})
        counters = {}
        for count, (host, t, value) in enumerate(test_replay.batches(), 1):
            if wide:
                value = widened(value, counters.setdefault(host, [0.0] * 22))
            while True:
                try:
                    producer.produce("metrics", key=host.encode(), value=value, timestamp=t * 1000)
                    break
                except BufferError:
                    producer.poll(0.05)
            if count % 10_000 == 0:
                producer.poll(0)
        assert producer.flush(120) == 0
        rules = work / "rules20.yml"
        rules.write_text(RULES_FILE)
        wait_until_indexed(ports["http-port"])
        command = [str(SLUICE), "replay", "--url", f"http://127.0.0.1:{ports['http-port']}",
                   "--from", test_replay.rfc3339(test_replay.START_S),
                   "--to", test_replay.rfc3339(test_replay.START_S + test_replay.DAY_S),
                   "--rules", str(rules), "--output", "ndjson"]
        print("$ " + " ".join(command))
        seconds, outputs = [], set()
        for _ in range(runs):
            start = time.monotonic()
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            seconds.append(time.monotonic() - start)
            outputs.add(done.stdout)
        totals = json.loads(done.stdout.splitlines()[-1])
        print(f"{'30' if wide else '5'} samples per batch: {totals['records']} records, {totals['samples']} samples, "
              f"{totals['evaluations']} evaluations, {totals['transitions']} transitions")
        print("runs: " + ", ".join(f"{s:.2f} s" for s in seconds) + f"; median {statistics.median(seconds):.2f} s")
        assert len(outputs) == 1, "the runs printed different output"
    finally:
        serve.terminate()
        serve.wait(timeout=60)


main()
