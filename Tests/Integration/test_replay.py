"""Replay as a backtest: a day of metrics for 50 hosts, with an injected incident, produced
over Kafka with event times a day in the past; `sluice replay --rules` evaluates the rules
in event time and must print exactly the transitions the incident implies, at the event
times it implies, twice identically; `--into-topic` re-publishes the records.

The samples sit on a 10 s grid and the rules are evaluated every 10 s on the same grid, so
the expected times follow from Prometheus's semantics by hand:
- `node_load1 > 10` for 2m: the load is 20 from INCIDENT to INCIDENT + 15m (exclusive), so
  pending at INCIDENT, firing at INCIDENT + 2m, resolved at INCIDENT + 15m.
- `node_memory_MemAvailable_bytes < 1e9` for 10m: low for 5 minutes only: pending at
  LOW_MEMORY, then deleted (back to inactive) at LOW_MEMORY + 5m without ever firing.
- `increase(node_network_receive_errs_total[1m]) > 0` (no `for`): the counter steps up by 5
  at ERRORS; the 1-minute window (closed at both ends) holds the step from ERRORS to
  ERRORS + 50s, so firing at ERRORS and resolved at ERRORS + 60s.
- `keep_firing_for: 1m` on a flapping disk rule keeps it firing through a 30 s dip.
"""
import json
import subprocess
import time
from datetime import datetime, timezone

import pytest
import yaml
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

from conftest import SLUICE

HOSTS = [f"host-{n:02d}" for n in range(50)]
STEP_S = 10
DAY_S = 86_400
START_S = (int(time.time()) // 3600 - 26) * 3600  # a whole hour, 26 h ago
INCIDENT_S = START_S + 13 * 3600 + 7 * 60        # 13:07 into the day
LOW_MEMORY_S = START_S + 15 * 3600
ERRORS_S = START_S + 20 * 3600 + 30
DIP_S = START_S + 6 * 3600


def rfc3339(seconds):
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def batches():
    """Yields (host, t, batch JSON) in time order."""
    errors = {host: 0 for host in HOSTS}
    for t in range(START_S, START_S + DAY_S, STEP_S):
        for index, host in enumerate(HOSTS):
            load = 0.5 + (index % 7) * 0.3
            available = 4e9 + index * 1e7
            used_ratio = 0.5
            if host == "host-17" and INCIDENT_S <= t < INCIDENT_S + 15 * 60:
                load = 20.0
            if host == "host-03" and LOW_MEMORY_S <= t < LOW_MEMORY_S + 5 * 60:
                available = 5e8
            if host == "host-42" and t == ERRORS_S:
                errors[host] += 5
            if host == "host-09" and DIP_S <= t < DIP_S + 10 * 60 and not (DIP_S + 4 * 60 <= t < DIP_S + 4 * 60 + 30):
                used_ratio = 0.97
            samples = [
                {"name": "node_load1", "labels": {}, "value": load},
                {"name": "node_memory_MemAvailable_bytes", "labels": {}, "value": available},
                {"name": "node_memory_MemTotal_bytes", "labels": {}, "value": 16e9},
                {"name": "node_network_receive_errs_total", "labels": {"device": "eth0"}, "value": errors[host]},
                {"name": "node_filesystem_used_ratio", "labels": {"mountpoint": "/"}, "value": used_ratio},
            ]
            yield host, t, json.dumps({"timestamp": rfc3339(t), "host": host, "samples": samples},
                                      separators=(",", ":")).encode()


RULES = {"groups": [{"name": "backtest", "interval": "10s", "rules": [
    {"alert": "HighLoad", "expr": "node_load1 > 10", "for": "2m", "labels": {"severity": "page"}},
    {"alert": "LowMemory", "expr": "node_memory_MemAvailable_bytes < 1e9", "for": "10m"},
    {"alert": "NetworkErrors", "expr": "increase(node_network_receive_errs_total[1m]) > 0"},
    {"alert": "DiskAlmostFull", "expr": "node_filesystem_used_ratio > 0.95", "for": "1m", "keep_firing_for": "1m"},
]}]}

EXPECTED = [
    # (event time, rule, host, from, to)
    (DIP_S + 0, "DiskAlmostFull", "host-09", "inactive", "pending"),
    (DIP_S + 60, "DiskAlmostFull", "host-09", "pending", "firing"),
    # the dip from +4m to +4m30s is bridged by keep_firing_for
    (DIP_S + 10 * 60 + 60, "DiskAlmostFull", "host-09", "firing", "resolved"),
    (INCIDENT_S, "HighLoad", "host-17", "inactive", "pending"),
    (INCIDENT_S + 120, "HighLoad", "host-17", "pending", "firing"),
    (INCIDENT_S + 15 * 60, "HighLoad", "host-17", "firing", "resolved"),
    (LOW_MEMORY_S, "LowMemory", "host-03", "inactive", "pending"),
    (LOW_MEMORY_S + 5 * 60, "LowMemory", "host-03", "pending", "inactive"),
    (ERRORS_S, "NetworkErrors", "host-42", "inactive", "firing"),
    (ERRORS_S + 60, "NetworkErrors", "host-42", "firing", "resolved"),
]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    from conftest import Broker
    broker = Broker(tmp_path_factory.mktemp("replay") / "data").start()
    producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 20, "compression.type": "zstd",
                         "queue.buffering.max.messages": 1_000_000})
    count = 0
    for host, t, value in batches():
        while True:
            try:
                producer.produce("metrics", key=host.encode(), value=value, timestamp=t * 1000)
                break
            except BufferError:
                producer.poll(0.05)
        count += 1
        if count % 10_000 == 0:
            producer.poll(0)
    assert producer.flush(120) == 0
    rules = tmp_path_factory.mktemp("rules") / "backtest.yml"
    rules.write_text(yaml.safe_dump(RULES))
    done = subprocess.run(["promtool", "check", "rules", str(rules)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    yield broker, rules, count
    assert broker.stop() == 0, broker.log()


def replay(broker, *args):
    done = subprocess.run([str(SLUICE), "replay", "--url", broker.http, "--topic", "metrics", *args],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_backtest_finds_the_incident_at_its_event_times_twice_identically(loaded):
    broker, rules, _ = loaded
    args = ["--from", rfc3339(START_S), "--to", rfc3339(START_S + DAY_S), "--rules", str(rules), "--output", "ndjson"]
    first = replay(broker, *args)
    second = replay(broker, *args)
    assert first == second
    lines = [json.loads(line) for line in first.splitlines()]
    transitions = [line for line in lines if line["type"] == "transition"]
    got = [(int(datetime.fromisoformat(line["time"].replace("Z", "+00:00")).timestamp()), line["rule"],
            line["labels"]["host"], line["from"], line["to"]) for line in transitions]
    assert got == sorted(EXPECTED), "\n".join(map(str, got))
    firing = next(line for line in transitions if line["rule"] == "HighLoad" and line["to"] == "firing")
    assert firing["value"] == 20 and firing["labels"]["severity"] == "page"
    summary = {line["rule"]: line for line in lines if line["type"] == "summary"}
    assert summary["HighLoad"]["fired"] == 1 and summary["LowMemory"]["fired"] == 0
    assert summary["DiskAlmostFull"]["flaps"] == 0


def test_table_output_and_a_narrower_window(loaded):
    broker, rules, _ = loaded
    text = replay(broker, "--from", rfc3339(INCIDENT_S - 600), "--to", rfc3339(INCIDENT_S + 600),
                  "--rules", str(rules), "--output", "table")
    assert "HighLoad" in text and "pending" in text and "firing" in text
    assert "LowMemory" not in text.split("SUMMARY")[0]


def test_into_topic_republishes_the_window(loaded):
    broker, _, _ = loaded
    out = replay(broker, "--from", rfc3339(INCIDENT_S), "--to", rfc3339(INCIDENT_S + 60), "--into-topic", "incident")
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "replay-check", "enable.auto.commit": False})
    consumer.assign([TopicPartition("incident", 0, OFFSET_BEGINNING)])
    records = []
    deadline = time.monotonic() + 30
    while len(records) < 7 * 50 and time.monotonic() < deadline:
        message = consumer.poll(1)
        if message is not None and message.error() is None:
            records.append(message)
    consumer.close()
    # Records with event times in [INCIDENT, INCIDENT + 60 s]: 7 grid points × 50 hosts.
    assert len(records) == 7 * 50, out
    times = sorted(m.timestamp()[1] // 1000 for m in records)
    assert times[0] == INCIDENT_S and times[-1] == INCIDENT_S + 60
