"""Real Python Kafka clients against `sluice serve`: kafka-python 3.x and confluent-kafka
(librdkafka). See shared/reference/kafka-protocol.md §2, §4 and §7 for what they expect.

Covered: produce/consume round trips with every codec (kafka-python's idempotent acks=all
defaults; confluent with and without idempotence), consumer-group commits that survive a
broker restart, offsets_for_times, and acknowledged messages surviving SIGKILL.
"""
import socket
import struct
import threading
import time

import pytest
from confluent_kafka import OFFSET_BEGINNING, OFFSET_INVALID, Consumer, Producer
from confluent_kafka import TopicPartition as CTopicPartition
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

CODEC_IDS = {None: 0, "none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


# --- Shared helpers -------------------------------------------------------------------

def sample_messages(count, tag):
    """(key, value, headers) triples: null keys, empty and null values, binary, UTF-8 and
    empty headers, and one large value; values are compressible so that every codec is used
    (both clients send a batch uncompressed when compression does not shrink it)."""
    messages = []
    for i in range(count):
        key = None if i % 7 == 0 else f"key-{i % 13}".encode()
        if i == 100:
            value = (f"{tag} big {i} ".encode() * 8000)  # ~100 KB: a batch of its own
        elif i % 50 == 3:
            value = b""
        elif i % 50 == 5 and key is not None:
            value = None  # tombstone
        else:
            value = (f"{tag} message {i} ".encode() * (1 + i % 20)) + bytes([i % 256, 0, 255])
        headers = [("seq", str(i).encode()), ("bin", bytes([i % 256, 0, 255]))]
        if i % 3 == 0:
            headers.append(("empty", b""))
        if i % 10 == 1:
            headers.append(("héader-ключ", "värde".encode()))
        messages.append((key, value, headers))
    return messages


def _string(text):
    data = text.encode()
    return struct.pack(">h", len(data)) + data


def _request(sock, api_key, version, correlation_id, body):
    header = struct.pack(">hhi", api_key, version, correlation_id) + _string("integration-tests")
    frame = header + body
    sock.sendall(struct.pack(">i", len(frame)) + frame)
    size = struct.unpack(">i", _recv_exact(sock, 4))[0]
    response = _recv_exact(sock, size)
    assert struct.unpack(">i", response[:4])[0] == correlation_id
    return response[4:]


def _recv_exact(sock, count):
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        data += chunk
    return data


def stored_batches(bootstrap, topic, partition=0):
    """The record batches the broker serves for one partition, from a raw Fetch v4:
    [(base_offset, record_count, codec, producer_id)]. Shows which codec the client really
    used and that the broker stores batches as sent."""
    host, port = bootstrap.rsplit(":", 1)
    batches = []
    offset = 0
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        for correlation_id in range(1, 10_000):
            body = struct.pack(">iiiib", -1, 0, 1, 64 << 20, 0)
            body += struct.pack(">i", 1) + _string(topic)
            body += struct.pack(">i", 1) + struct.pack(">iqi", partition, offset, 64 << 20)
            response = _request(sock, 1, 4, correlation_id, body)
            pos = 4  # throttle_time_ms
            assert struct.unpack_from(">i", response, pos)[0] == 1
            pos += 4
            name_length = struct.unpack_from(">h", response, pos)[0]
            pos += 2 + name_length
            assert struct.unpack_from(">i", response, pos)[0] == 1
            pos += 4
            index, error, high_watermark, _lso, aborted = struct.unpack_from(">ihqqi", response, pos)
            pos += 4 + 2 + 8 + 8 + 4 + max(aborted, 0) * 16
            assert (index, error) == (partition, 0), f"fetch error {error}"
            if offset >= high_watermark:
                return batches
            size = struct.unpack_from(">i", response, pos)[0]
            pos += 4
            records = response[pos:pos + size]
            at = 0
            before = offset
            while len(records) - at >= 61:
                base, length = struct.unpack_from(">qi", records, at)
                if at + 12 + length > len(records):
                    break
                attributes, last_delta = struct.unpack_from(">hi", records, at + 21)
                producer_id = struct.unpack_from(">q", records, at + 43)[0]
                batches.append((base, last_delta + 1, attributes & 7, producer_id))
                offset = base + last_delta + 1
                at += 12 + length
            assert offset > before, f"fetch at {before} made no progress (hwm {high_watermark})"
    raise AssertionError("too many fetches")


def kp_read_all(bootstrap, topic, timeout=30, **config):
    """Every record of `topic` (all partitions), from the start up to the end offsets at the
    time of the call, read by a kafka-python consumer with assign() (CRC checks on)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             enable_auto_commit=False, **config)
    try:
        partitions = consumer.partitions_for_topic(topic)
        assert partitions, f"no partitions for {topic}"
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning()
        end = consumer.end_offsets(tps)
        records = {tp: [] for tp in tps}
        deadline = time.monotonic() + timeout

        def done():
            return all(end[tp] == 0 or (records[tp] and records[tp][-1].offset >= end[tp] - 1) for tp in tps)

        while not done():
            assert time.monotonic() < deadline, (
                f"read only {[len(r) for r in records.values()]} of end offsets {end}")
            for tp, batch in consumer.poll(timeout_ms=300).items():
                records[tp].extend(batch)
        return records, end
    finally:
        consumer.close()


def confluent_read(bootstrap, topic, count, partition=0, timeout=30):
    """`count` messages of one partition from the beginning, read by a confluent consumer
    with assign()."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "reader-" + topic,
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    try:
        consumer.assign([CTopicPartition(topic, partition, OFFSET_BEGINNING)])
        messages = []
        deadline = time.monotonic() + timeout
        while len(messages) < count:
            assert time.monotonic() < deadline, f"read {len(messages)} of {count}"
            for message in consumer.consume(num_messages=500, timeout=0.3):
                assert message.error() is None, message.error()
                messages.append(message)
        return messages
    finally:
        consumer.close()


def close_producer(producer):
    """Stops a confluent producer now (its threads would otherwise keep reconnecting to a
    stopped broker until garbage collection): drops anything unsent, then closes."""
    producer.purge()
    close = getattr(producer, "close", None)  # confluent-kafka >= 2.11
    if close is not None:
        close()
    else:
        producer.flush(0)


def headers_of(message):
    return [(k, v) for k, v in (message.headers() or [])]


# --- Round trips ----------------------------------------------------------------------

@pytest.mark.parametrize("compression", [None, "gzip", "snappy", "lz4", "zstd"])
def test_kafka_python_producer_round_trip(broker, compression):
    topic = f"kp-{compression or 'none'}"
    messages = sample_messages(300, topic)
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, compression_type=compression, linger_ms=5)
    try:
        assert producer.config["enable_idempotence"] is True and producer.config["acks"] == -1
        futures = [producer.send(topic, key=k, value=v, headers=h) for k, v, h in messages]
        producer.flush(timeout=30)
        metadata = [f.get(timeout=10) for f in futures]
    finally:
        producer.close(timeout=10)
    assert [(m.partition, m.offset) for m in metadata] == [(0, i) for i in range(len(messages))]

    records, end = kp_read_all(broker.bootstrap, topic)
    got = records[TopicPartition(topic, 0)]
    assert end == {TopicPartition(topic, 0): len(messages)}
    assert [r.offset for r in got] == list(range(len(messages)))
    assert [(r.key, r.value, r.headers) for r in got] == messages

    batches = stored_batches(broker.bootstrap, topic)
    assert sum(count for _, count, _, _ in batches) == len(messages)
    assert {codec for _, _, codec, _ in batches} == {CODEC_IDS[compression]}, batches
    # The default producer is idempotent: it got a producer id from InitProducerId.
    assert all(pid >= 0 for _, _, _, pid in batches), batches


@pytest.mark.parametrize("idempotence", [True, False], ids=["idempotent", "plain"])
@pytest.mark.parametrize("compression", ["none", "gzip", "snappy", "lz4", "zstd"])
def test_confluent_producer_round_trip(broker, compression, idempotence):
    topic = f"ck-{compression}-{'idem' if idempotence else 'plain'}"
    messages = sample_messages(300, topic)
    reports = []
    producer = Producer({"bootstrap.servers": broker.bootstrap, "compression.type": compression,
                         "enable.idempotence": idempotence, "acks": "all", "linger.ms": 5})
    try:
        for index, (key, value, headers) in enumerate(messages):
            producer.produce(topic, key=key, value=value, headers=headers,
                             on_delivery=lambda err, msg, index=index: reports.append((index, err, msg.partition(), msg.offset())))
            producer.poll(0)
        assert producer.flush(30) == 0, "messages still undelivered"
    finally:
        close_producer(producer)
    assert [err for _, err, _, _ in reports if err is not None] == []
    assert sorted((index, partition, offset) for index, _, partition, offset in reports) == \
        [(i, 0, i) for i in range(len(messages))]

    got = confluent_read(broker.bootstrap, topic, len(messages))
    assert [m.offset() for m in got] == list(range(len(messages)))
    assert [(m.key(), m.value(), headers_of(m)) for m in got] == messages

    batches = stored_batches(broker.bootstrap, topic)
    assert sum(count for _, count, _, _ in batches) == len(messages)
    # librdkafka sends a batch uncompressed when compressing would not shrink it (small
    # first batches), so uncompressed batches may appear beside the codec, never alone.
    codecs = {codec for _, _, codec, _ in batches}
    assert CODEC_IDS[compression] in codecs and codecs <= {CODEC_IDS[compression], 0}, batches
    if idempotence:
        assert all(pid >= 0 for _, _, _, pid in batches), batches
    else:
        assert all(pid == -1 for _, _, _, pid in batches), batches


# --- Consumer groups: commits survive a restart ---------------------------------------

GROUP_MESSAGES = 300
AFTER_RESTART = 60


def produce_keyed(bootstrap, topic, start, count):
    """Messages value=b"m<i>" with 20 distinct keys over the topic's partitions; returns
    {i: (partition, offset)}."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    try:
        futures = {i: producer.send(topic, key=b"k%d" % (i % 20), value=b"m%d" % i) for i in range(start, start + count)}
        producer.flush(timeout=30)
        return {i: (f.get(10).partition, f.get(10).offset) for i, f in futures.items()}
    finally:
        producer.close(timeout=10)


def check_resumed(placed, first, second, committed):
    """first/second: [(partition, offset, value)] read before and after the restart."""
    seen_first = {(p, o) for p, o, _ in first}
    seen_second = [(p, o) for p, o, _ in second]
    assert len(seen_first) == len(first), "duplicates before the restart"
    assert len(set(seen_second)) == len(seen_second), "duplicates after the restart"
    assert not seen_first & set(seen_second), "re-delivered after the restart: " + str(sorted(seen_first & set(seen_second))[:10])
    everything = {placement: b"m%d" % i for i, placement in placed.items()}
    assert seen_first | set(seen_second) == set(everything), "gaps"
    for p, o, value in first + second:
        assert everything[(p, o)] == value
    for partition in {p for p, _ in everything}:
        offsets = [o for p, o in seen_second if p == partition]
        start = committed.get(partition, 0)
        end = max(o for p, o in everything if p == partition) + 1
        assert offsets == list(range(start, end)), f"partition {partition}: resumed at {offsets[:1]}, committed {start}"


def test_kafka_python_group_commit_survives_restart(make_broker):
    broker = make_broker("--default-partitions", "3")
    topic = "kp-group"
    placed = produce_keyed(broker.bootstrap, topic, 0, GROUP_MESSAGES)
    assert {p for p, _ in placed.values()} == {0, 1, 2}
    tps = [TopicPartition(topic, p) for p in range(3)]

    consumer = KafkaConsumer(topic, bootstrap_servers=broker.bootstrap, group_id="G",
                             auto_offset_reset="earliest", enable_auto_commit=False)
    first = []
    deadline = time.monotonic() + 30
    while len(first) < GROUP_MESSAGES // 2:
        assert time.monotonic() < deadline, f"group consumer read {len(first)}"
        for tp, records in consumer.poll(timeout_ms=300, max_records=20).items():
            first += [(tp.partition, r.offset, r.value) for r in records]
    committed = {}
    for p in range(3):
        mine = [o for q, o, _ in first if q == p]
        if mine:
            committed[p] = max(mine) + 1
    consumer.commit({TopicPartition(topic, p): OffsetAndMetadata(o, f"meta-{p}", -1) for p, o in committed.items()})
    assert {tp.partition: consumer.committed(tp) for tp in tps} == {p: committed.get(p) for p in range(3)}
    consumer.close(autocommit=False)

    broker.restart()
    placed.update(produce_keyed(broker.bootstrap, topic, GROUP_MESSAGES, AFTER_RESTART))

    consumer = KafkaConsumer(topic, bootstrap_servers=broker.bootstrap, group_id="G",
                             auto_offset_reset="earliest", enable_auto_commit=False)
    try:
        for tp in tps:
            stored = consumer.committed(tp, metadata=True)
            if tp.partition in committed:
                assert (stored.offset, stored.metadata) == (committed[tp.partition], f"meta-{tp.partition}")
            else:
                assert stored is None
        second = []
        deadline = time.monotonic() + 30
        while len(first) + len(second) < len(placed):
            assert time.monotonic() < deadline, f"after the restart the group consumer read {len(second)}"
            for tp, records in consumer.poll(timeout_ms=300).items():
                second += [(tp.partition, r.offset, r.value) for r in records]
        # Nothing more arrives (no re-delivery of committed records).
        for tp, records in consumer.poll(timeout_ms=300).items():
            second += [(tp.partition, r.offset, r.value) for r in records]
    finally:
        consumer.close(autocommit=False)
    check_resumed(placed, first, second, committed)
    assert broker.stop() == 0, broker.log()


def test_confluent_group_commit_survives_restart(make_broker):
    broker = make_broker("--default-partitions", "3")
    topic = "ck-group"
    placed = produce_keyed(broker.bootstrap, topic, 0, GROUP_MESSAGES)
    config = {"bootstrap.servers": broker.bootstrap, "group.id": "G", "enable.auto.commit": False,
              "auto.offset.reset": "earliest"}

    def read(consumer, until, first=()):
        got = []
        deadline = time.monotonic() + 30
        while len(first) + len(got) < until:
            assert time.monotonic() < deadline, f"group consumer read {len(got)}"
            for message in consumer.consume(num_messages=20, timeout=0.3):
                assert message.error() is None, message.error()
                got.append((message.partition(), message.offset(), message.value()))
        return got

    consumer = Consumer(config)
    consumer.subscribe([topic])
    first = read(consumer, GROUP_MESSAGES // 2)
    result = consumer.commit(asynchronous=False)
    committed = {}
    for p in range(3):
        mine = [o for q, o, _ in first if q == p]
        if mine:
            committed[p] = max(mine) + 1
    assert {tp.partition: tp.offset for tp in result if tp.offset >= 0} == committed
    consumer.close()

    broker.restart()
    placed.update(produce_keyed(broker.bootstrap, topic, GROUP_MESSAGES, AFTER_RESTART))

    consumer = Consumer(config)
    try:
        stored = consumer.committed([CTopicPartition(topic, p) for p in range(3)], timeout=10)
        assert {tp.partition: tp.offset for tp in stored} == {p: committed.get(p, OFFSET_INVALID) for p in range(3)}
        consumer.subscribe([topic])
        second = read(consumer, len(placed), first)
        for message in consumer.consume(num_messages=100, timeout=0.3):
            assert message.error() is None, message.error()
            second.append((message.partition(), message.offset(), message.value()))
    finally:
        consumer.close()
    check_resumed(placed, first, second, committed)
    assert broker.stop() == 0, broker.log()


# --- offsets_for_times ----------------------------------------------------------------

BASE_TIME = 1_700_000_000_000
TIMESTAMPS = [BASE_TIME + 1000 * i for i in range(20)]


def expected_for_time(t):
    """(offset, timestamp) of the first record with timestamp >= t, or None."""
    for offset, ts in enumerate(TIMESTAMPS):
        if ts >= t:
            return offset, ts
    return None


QUERIES = sorted({BASE_TIME - 5000, BASE_TIME, BASE_TIME + 1, TIMESTAMPS[-1], TIMESTAMPS[-1] + 1,
                  TIMESTAMPS[-1] + 100_000}
                 | {ts for ts in TIMESTAMPS} | {ts - 999 for ts in TIMESTAMPS} | {ts + 500 for ts in TIMESTAMPS})


def assert_multi_record_batches(bootstrap, topic):
    batches = stored_batches(bootstrap, topic)
    assert sum(count for _, count, _, _ in batches) == len(TIMESTAMPS)
    # Lookups inside a batch need the broker to look at records, not only batch headers.
    assert any(count > 1 for _, count, _, _ in batches), batches


def test_kafka_python_offsets_for_times(broker):
    topic = "kp-times"
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, compression_type="gzip", linger_ms=100)
    try:
        for half in (TIMESTAMPS[:10], TIMESTAMPS[10:]):  # two batches (or more)
            futures = [producer.send(topic, value=b"at %d" % ts, timestamp_ms=ts) for ts in half]
            producer.flush(timeout=10)
            for f in futures:
                f.get(10)
    finally:
        producer.close(timeout=10)
    assert_multi_record_batches(broker.bootstrap, topic)

    tp = TopicPartition(topic, 0)
    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap, enable_auto_commit=False)
    try:
        answers = {t: consumer.offsets_for_times({tp: t}, timeout_ms=10_000)[tp] for t in QUERIES}
        consumer.assign([tp])
        consumer.seek_to_beginning()
        records = []
        deadline = time.monotonic() + 10
        while len(records) < len(TIMESTAMPS):
            assert time.monotonic() < deadline
            for batch in consumer.poll(timeout_ms=300).values():
                records += batch
    finally:
        consumer.close()
    assert [(r.offset, r.timestamp, r.timestamp_type) for r in records] == [(i, ts, 0) for i, ts in enumerate(TIMESTAMPS)]
    got = {t: None if a is None else (a.offset, a.timestamp) for t, a in answers.items()}
    assert got == {t: expected_for_time(t) for t in QUERIES}


def test_confluent_offsets_for_times(broker):
    topic = "ck-times"
    producer = Producer({"bootstrap.servers": broker.bootstrap, "compression.type": "lz4", "linger.ms": 100})
    errors = []
    try:
        for half in (TIMESTAMPS[:10], TIMESTAMPS[10:]):  # two batches (or more)
            for ts in half:
                producer.produce(topic, value=b"at %d" % ts, timestamp=ts, on_delivery=lambda err, msg: errors.append(err))
            assert producer.flush(10) == 0
    finally:
        close_producer(producer)
    assert errors == [None] * len(TIMESTAMPS)
    assert_multi_record_batches(broker.bootstrap, topic)

    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "times", "enable.auto.commit": False})
    try:
        got = {}
        for t in QUERIES:
            [answer] = consumer.offsets_for_times([CTopicPartition(topic, 0, t)], timeout=10)
            assert answer.error is None, answer.error
            got[t] = answer.offset
    finally:
        consumer.close()
    # librdkafka reports only the offset, and -1 (OFFSET_END) when no record is late enough.
    assert got == {t: (expected_for_time(t) or (-1,))[0] for t in QUERIES}


# --- Crash: acknowledged messages survive SIGKILL -------------------------------------

CRASH_MESSAGES = 5000


def crash_payload(index):
    return b"crash-%05d|" % index + bytes((index * 7 + j) % 251 for j in range(100))


def test_acknowledged_messages_survive_sigkill(broker):
    topic = "crash"
    acked = {}   # index -> offset the broker acknowledged
    failed = {}  # index -> error
    producer = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "linger.ms": 2,
                         "batch.num.messages": 50, "message.timeout.ms": 30_000,
                         "reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 200, "retry.backoff.ms": 50})

    def report(err, msg):
        index = int(msg.key())
        if err is None:
            acked[index] = msg.offset()
        else:
            failed[index] = err

    killed = threading.Event()
    acked_at_kill = []

    def killer():
        # After a short delay: once some messages are acknowledged, while more are in flight.
        deadline = time.monotonic() + 15
        while len(acked) < 500 and time.monotonic() < deadline:
            time.sleep(0.001)
        acked_at_kill.append(len(acked))
        broker.kill()
        killed.set()

    def produce(index):
        while True:
            try:
                producer.produce(topic, key=b"%d" % index, value=crash_payload(index), on_delivery=report)
                return
            except BufferError:
                producer.poll(0.01)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    half = CRASH_MESSAGES // 2
    try:
        for index in range(half):
            produce(index)
            if index % 50 == 0:
                producer.poll(0)
        deadline = time.monotonic() + 20
        while not killed.is_set():
            assert time.monotonic() < deadline, "the broker was never killed"
            producer.poll(0.005)
        thread.join()
        for index in range(half, CRASH_MESSAGES):  # queued while the broker is down
            produce(index)
        producer.poll(0.2)
        broker.start()
        remaining = producer.flush(40)
    finally:
        close_producer(producer)
    assert remaining == 0, f"{remaining} messages undelivered after the restart"
    assert 0 < acked_at_kill[0] < CRASH_MESSAGES, "the kill did not land mid-stream"
    assert failed == {}, f"{len(failed)} deliveries failed, e.g. {list(failed.items())[:5]}"

    records, end = kp_read_all(broker.bootstrap, topic)  # kafka-python checks every CRC
    log = records[TopicPartition(topic, 0)]
    assert [r.offset for r in log] == list(range(end[TopicPartition(topic, 0)])), "offsets are not dense"
    for r in log:
        index = int(r.key)
        assert r.value == crash_payload(index), f"offset {r.offset}: corrupt value"
    by_offset = {r.offset: int(r.key) for r in log}
    misplaced = {i: o for i, o in acked.items() if by_offset.get(o) != i}
    assert misplaced == {}, f"acknowledged messages not at their acknowledged offsets: {list(misplaced.items())[:10]}"
    assert set(by_offset.values()) == set(range(CRASH_MESSAGES))
