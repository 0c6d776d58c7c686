"""The status API and the appliance's own metrics with real Kafka clients: topics with
their offsets and sizes, a confluent-kafka consumer group with its committed offsets and
lag, the agents (hosts sending metric batches) with when each was last seen, and
`sluice_topic_*` metrics stored in the metric store (`job="sluice"`) for PromQL."""
import json
import time
import urllib.parse
import urllib.request

from confluent_kafka import Producer

from conftest import SLUICE, run
from feeds import commit_after_reading
from prometheus_support import http_json, wait_until


def produce_lines(broker, count):
    producer = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "linger.ms": 5})
    for n in range(count):
        producer.produce("logs", value=f"status line {n}".encode())
    assert producer.flush(30) == 0


def produce_batch(broker, host, when):
    producer = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all"})
    batch = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when)), "host": host,
             "samples": [{"name": "sluice_agent_events_sent_total", "labels": {}, "value": 42},
                         {"name": "node_load1", "labels": {}, "value": 0.5}]}
    producer.produce("metrics", key=host.encode(), value=json.dumps(batch).encode(), timestamp=when * 1000)
    assert producer.flush(30) == 0


def status(broker):
    code, body = http_json(broker.http + "/api/sluice/v1/status")
    assert code == 200, body
    return body["data"]


def test_status_shows_topics_groups_lag_and_agents(broker):
    produce_lines(broker, 10)
    now = int(time.time())
    produce_batch(broker, "status-host", now - 5)

    commit_after_reading(broker.bootstrap, "logs", "status-readers", 4)

    def settled():
        data = status(broker)
        groups = [c for c in data["consumers"] if c["group"] == "status-readers"]
        return data if groups and data["agents"] else None

    data = wait_until(settled, timeout=30, what="the group and the agent in the status")
    logs = next(t for t in data["topics"] if t["name"] == "logs")
    assert logs["partitions"][0]["log_end_offset"] == 10
    assert logs["partitions"][0]["size_bytes"] > 0
    group = next(c for c in data["consumers"] if c["group"] == "status-readers")
    assert group["kind"] == "kafka" and group["members"] == 0
    assert group["partitions"] == [{"topic": "logs", "partition": 0, "committed": 4, "log_end_offset": 10, "lag": 6}]
    internal = {c["group"]: c for c in data["consumers"] if c["kind"] == "internal"}
    assert set(internal) == {"sluice log pipelines", "sluice metric ingestion"}
    agent = next(a for a in data["agents"] if a["host"] == "status-host")
    assert agent["last_seen"] == time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime(now - 5))
    assert agent["events_sent"] == 42

    with urllib.request.urlopen(broker.http + "/metrics") as response:
        text = response.read().decode()
    assert 'sluice_topic_log_end_offset{topic="logs",partition="0"} 10' in text
    assert 'sluice_consumer_group_lag_records{group="status-readers",topic="logs",partition="0"} 6' in text

    # The appliance stores its own metrics: PromQL sees the topic's offsets.
    query = urllib.parse.quote('sluice_topic_log_end_offset{job="sluice",topic="logs"}')

    def stored():
        code, body = http_json(broker.http + "/api/v1/query?query=" + query)
        result = body.get("data", {}).get("result", []) if code == 200 else []
        return result and float(result[0]["value"][1]) == 10

    wait_until(stored, timeout=40, what="the self-scraped sluice_topic_log_end_offset")

    # The CLI over the same API.
    listed = run([str(SLUICE), "topics", "list", "--url", broker.http]).stdout.splitlines()
    assert listed[0].split() == ["TOPIC", "PARTITIONS", "RECORDS", "SIZE"]
    assert any(line.split()[:3] == ["logs", "1", "10"] for line in listed[1:]), listed
    described = run([str(SLUICE), "topics", "describe", "logs", "--url", broker.http]).stdout.splitlines()
    assert described[1].split()[:3] == ["0", "0", "10"], described
    assert any(line.split() == ["status-readers", "kafka", "Empty", "0", "4", "10", "6"] for line in described), described
    missing = run([str(SLUICE), "topics", "describe", "nope", "--url", broker.http], check=False)
    assert missing.returncode != 0 and "no topic named 'nope'" in missing.stderr
