"""The metric store's durability inside `sluice serve`: samples produced over Kafka are
counted exactly once after a clean restart and after `kill -9` (the store is rebuilt from
its own files and caught up from the `metrics` topic from the offsets it covers), and a
record that is not a metric batch is skipped and counted, not fatal."""
import json
import time

from confluent_kafka import Producer

from prometheus_support import http_json, wait_until

HOSTS = [f"durable-{n}" for n in range(5)]
START = int(time.time()) - 3000


def produce(broker, first, count):
    producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 5, "acks": "all"})
    for step in range(first, first + count):
        t = START + step * 10
        for host in HOSTS:
            batch = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)), "host": host,
                     "samples": [{"name": "durable_requests_total", "labels": {"code": "200"}, "value": step * 3.0},
                                 {"name": "durable_temperature", "labels": {}, "value": 20 + step % 7}]}
            producer.produce("metrics", key=host.encode(), value=json.dumps(batch).encode(), timestamp=t * 1000)
    assert producer.flush(30) == 0


def stored_samples(broker):
    status, body = http_json(broker.http + "/api/v1/query?query=" +
                             "sum(count_over_time(%7B__name__%3D~%22durable_.%2B%22%7D%5B2h%5D))" + f"&time={START + 4000}")
    result = body.get("data", {}).get("result", []) if status == 200 else []
    return int(float(result[0]["value"][1])) if result else 0


def test_samples_are_stored_once_across_restarts_and_kill(broker):
    produce(broker, 0, 100)
    wait_until(lambda: stored_samples(broker) == 100 * len(HOSTS) * 2, timeout=60, what="the first samples")

    assert broker.stop() == 0, broker.log()
    broker.start()
    assert stored_samples(broker) == 100 * len(HOSTS) * 2, "a clean restart kept every sample once"

    produce(broker, 100, 100)
    wait_until(lambda: stored_samples(broker) == 200 * len(HOSTS) * 2, timeout=60, what="the second samples")
    broker.kill()
    broker.start()
    # After kill -9 the head is gone; the store catches up from the topic, without duplicates.
    wait_until(lambda: stored_samples(broker) == 200 * len(HOSTS) * 2, timeout=60, what="the catch-up after kill -9")
    time.sleep(1)
    assert stored_samples(broker) == 200 * len(HOSTS) * 2
    status, body = http_json(broker.http + f"/api/v1/query?query=durable_requests_total&time={START + 1990}")
    assert status == 200 and {r["metric"]["host"] for r in body["data"]["result"]} == set(HOSTS)
    assert {r["value"][1] for r in body["data"]["result"]} == {"597"}


def test_a_record_that_is_not_a_metric_batch_is_skipped_and_counted(broker):
    producer = Producer({"bootstrap.servers": broker.bootstrap})
    producer.produce("metrics", value=b"this is not JSON")
    producer.produce("metrics", value=b'{"timestamp":"2026-01-01T00:00:00Z","host":"h","samples":[{"name":"ok_metric","labels":{},"value":1}]}')
    assert producer.flush(10) == 0

    def counters():
        with __import__("urllib.request").request.urlopen(broker.http + "/metrics") as response:
            text = response.read().decode()
        return {line.split()[0]: float(line.split()[1]) for line in text.splitlines()
                if line.startswith("sluice_metrics_") and " " in line and not line.startswith("#")}

    wait_until(lambda: counters().get("sluice_metrics_records_invalid_total") == 1, timeout=30, what="the bad record counted")
    wait_until(lambda: counters().get("sluice_metrics_samples_appended_total") == 1, timeout=30, what="the good one stored")
