"""Data the end-to-end tests feed the appliance: log lines through Loki's push API and a
gauge produced over Kafka as the agent's metric batches, at the current time."""
import json
import threading
import time
import urllib.request

from confluent_kafka import Consumer, Producer, TopicPartition


def push_logs(http, lines):
    """Pushes (labels, line) pairs through /loki/api/v1/push, a millisecond apart, ending now."""
    now = time.time_ns()
    streams = {}
    for index, (labels, line) in enumerate(lines):
        key = json.dumps(labels, sort_keys=True)
        streams.setdefault(key, []).append([str(now - (len(lines) - index) * 1_000_000), line])
    body = {"streams": [{"stream": json.loads(key), "values": values} for key, values in streams.items()]}
    request = urllib.request.Request(http + "/loki/api/v1/push", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 204


def rfc3339_now():
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"


class GaugeFeeder:
    """Produces one gauge sample (`name{labels}` of `host`) every 250 ms at now, as a
    metric batch keyed by host on the `metrics` topic; the test changes `value`."""

    def __init__(self, bootstrap, name, host, labels, value):
        self.producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
        self.name, self.host, self.labels = name, host, dict(labels)
        self.value = value
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            batch = {"timestamp": rfc3339_now(), "host": self.host,
                     "samples": [{"name": self.name, "labels": self.labels, "value": self.value}]}
            self.producer.produce("metrics", key=self.host.encode(), value=json.dumps(batch).encode())
            self.producer.flush(10)
            time.sleep(0.25)

    def stop(self):
        self.running = False
        self.thread.join()


def commit_after_reading(bootstrap, topic, group, count):
    """A consumer group that reads `count` records of partition 0 of `topic` from its
    beginning and commits there (so its lag is whatever lies beyond)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, 0)])
    read = 0
    deadline = time.monotonic() + 30
    while read < count and time.monotonic() < deadline:
        message = consumer.poll(1)
        if message is not None and not message.error():
            read += 1
    assert read == count, f"read {read} of {count} records of {topic}"
    consumer.commit(asynchronous=False)
    consumer.close()
