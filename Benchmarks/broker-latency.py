#!/usr/bin/env python3
"""Produce latency with acks=all at a fixed rate (default 10,000 messages/s of 100 bytes)
against a running broker, measured from produce() to the delivery report; prints p50, p99
and p99.9 of each run and the median of the runs' p99.

  python3 Benchmarks/broker-latency.py BOOTSTRAP [RATE] [SECONDS] [RUNS]
"""
import statistics
import sys
import time

from confluent_kafka import Producer

bootstrap = sys.argv[1]
rate = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
duration = float(sys.argv[3]) if len(sys.argv) > 3 else 10
runs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
payload = b"x" * 100
p99s = []
for run in range(runs):
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 0, "enable.idempotence": False})
    latencies = []

    def delivered(err, msg, sent=None):
        if err is not None:
            raise SystemExit(f"delivery failed: {err}")

    total = int(rate * duration)
    start = time.perf_counter()
    for i in range(total):
        due = start + i / rate
        while (now := time.perf_counter()) < due:
            producer.poll(0)
        sent = time.perf_counter()
        producer.produce(f"latency-{run}", payload,
                         on_delivery=lambda err, msg, sent=sent: (delivered(err, msg), latencies.append(time.perf_counter() - sent)))
        producer.poll(0)
    producer.flush(30)
    assert len(latencies) == total, f"{len(latencies)} of {total} delivered"
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
    achieved = total / (time.perf_counter() - start)
    print(f"run {run + 1}: {achieved:,.0f} msg/s  p50 {pick(0.5):.2f} ms  p99 {pick(0.99):.2f} ms  p99.9 {pick(0.999):.2f} ms")
    p99s.append(pick(0.99))
print(f"median p99: {statistics.median(p99s):.2f} ms")
