"""Hostile and malformed input on raw sockets against `sluice serve`.

A bad frame must cost only its own connection: the broker closes it (or keeps waiting for
the rest of a truncated frame) and keeps serving everyone else. Bad records inside a
well-formed Produce get Kafka's per-partition error codes and append nothing. An
ApiVersions request at an unknown version gets Kafka's v0 error body.
"""
import random
import socket
import struct
import threading
import time
import traceback

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.record.default_records import DefaultRecordBatchBuilder

MAX_BATCH_BYTES = (1 << 20) + 12  # the broker's default, like Kafka's message.max.bytes

NONE = 0
CORRUPT_MESSAGE = 2
MESSAGE_TOO_LARGE = 10
INVALID_TOPIC_EXCEPTION = 17
UNSUPPORTED_VERSION = 35


# --- Raw protocol helpers -------------------------------------------------------------

def string(text):
    if text is None:
        return struct.pack(">h", -1)
    data = text.encode()
    return struct.pack(">h", len(data)) + data


def read_string(data, pos):
    length = struct.unpack_from(">h", data, pos)[0]
    pos += 2
    if length < 0:
        return None, pos
    return data[pos:pos + length].decode(), pos + length


def recv_exact(sock, count):
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError(f"broker closed the connection after {len(data)} of {count} bytes")
        data += chunk
    return data


class Connection:
    """One raw Kafka connection: request header v1 (v2 when flexible), response header v0."""

    def __init__(self, bootstrap, timeout=10):
        host, port = bootstrap.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        self.correlation_id = 100

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()

    def request(self, api_key, version, body, flexible_header=False):
        """Sends one request and returns the response body (after the correlation id)."""
        self.correlation_id += 1
        header = struct.pack(">hhi", api_key, version, self.correlation_id) + string("bad-input-tests")
        if flexible_header:
            header += b"\x00"  # empty tagged fields
        frame = header + body
        self.sock.sendall(struct.pack(">i", len(frame)) + frame)
        size = struct.unpack(">i", recv_exact(self.sock, 4))[0]
        response = recv_exact(self.sock, size)
        assert struct.unpack_from(">i", response, 0)[0] == self.correlation_id, "correlation id not echoed"
        return response[4:]

    def produce(self, topic, records, partition=0, acks=1):
        """Produce v7 with one partition; returns (error_code, base_offset)."""
        body = string(None) + struct.pack(">hi", acks, 10_000)
        body += struct.pack(">i", 1) + string(topic)
        body += struct.pack(">i", 1) + struct.pack(">ii", partition, len(records)) + bytes(records)
        response = self.request(0, 7, body)
        pos = 0
        assert struct.unpack_from(">i", response, pos)[0] == 1
        pos += 4
        name, pos = read_string(response, pos)
        assert name == topic
        assert struct.unpack_from(">i", response, pos)[0] == 1
        pos += 4
        index, error, base_offset, log_append_time, _log_start = struct.unpack_from(">ihqqq", response, pos)
        pos += 4 + 2 + 8 + 8 + 8
        throttle = struct.unpack_from(">i", response, pos)[0]
        pos += 4
        assert throttle >= 0
        assert pos == len(response), f"{len(response) - pos} trailing bytes in the Produce v7 response"
        assert index == partition
        assert log_append_time == -1
        return error, base_offset

    def latest_offset(self, topic, partition=0):
        """ListOffsets v1 with timestamp -1: (error_code, offset)."""
        body = struct.pack(">i", -1) + struct.pack(">i", 1) + string(topic)
        body += struct.pack(">i", 1) + struct.pack(">iq", partition, -1)
        response = self.request(2, 1, body)
        assert struct.unpack_from(">i", response, 0)[0] == 1
        name, pos = read_string(response, 4)
        assert name == topic
        assert struct.unpack_from(">i", response, pos)[0] == 1
        index, error, _timestamp, offset = struct.unpack_from(">ihqq", response, pos + 4)
        assert index == partition
        return error, offset

    def api_versions_v0(self):
        return parse_api_versions_v0(self.request(18, 0, b""))


def parse_api_versions_v0(body):
    """(error_code, {api_key: (min, max)}) from a v0 body; it must have nothing after."""
    error, count = struct.unpack_from(">hi", body, 0)
    pos = 6
    keys = {}
    for _ in range(count):
        key, low, high = struct.unpack_from(">hhh", body, pos)
        keys[key] = (low, high)
        pos += 6
    assert pos == len(body), f"{len(body) - pos} bytes after the v0 ApiVersions body"
    return error, keys


def record_batch(values, timestamp=1_700_000_000_000):
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False,
                                       producer_id=-1, producer_epoch=-1, base_sequence=-1,
                                       batch_size=64 << 20)
    for offset, value in enumerate(values):
        assert builder.append(offset, timestamp=timestamp + offset, key=None, value=value, headers=[]) is not None
    return bytes(builder.build())


def read_values(bootstrap, topic, timeout=15):
    """Every value of partition 0, read by kafka-python (CRC checks on)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False)
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        end = consumer.end_offsets([tp])[tp]
        records = []
        deadline = time.monotonic() + timeout
        while len(records) < end:
            assert time.monotonic() < deadline, f"read {len(records)} of {end}"
            for batch in consumer.poll(timeout_ms=300).values():
                records += batch
        assert [r.offset for r in records] == list(range(end))
        return [r.value for r in records]
    finally:
        consumer.close()


# --- Abuse on raw sockets while a real client keeps working ---------------------------

def assert_closed_by_broker(sock, timeout=5.0, what=""):
    """The broker closes the connection without answering."""
    sock.settimeout(timeout)
    try:
        data = sock.recv(65536)
    except (ConnectionResetError, BrokenPipeError):
        return
    except socket.timeout:
        raise AssertionError(f"{what}: the broker kept the connection open for {timeout} s") from None
    assert data == b"", f"{what}: the broker answered {data[:64]!r}"


def send_ignoring_close(sock, data):
    """Sends what it can: the broker may close before everything is written."""
    try:
        sock.sendall(data)
    except (ConnectionResetError, BrokenPipeError):
        pass


class CleanClient(threading.Thread):
    """A well-behaved kafka-python producer and consumer that keep producing and consuming
    one message at a time until stopped, then read everything they sent."""

    def __init__(self, bootstrap, topic):
        super().__init__(daemon=True)
        self.bootstrap = bootstrap
        self.topic = topic
        self.stop_event = threading.Event()
        self.sent = []
        self.received = []
        self.offsets = []
        self.errors = []

    def run(self):
        producer = consumer = None
        try:
            producer = KafkaProducer(bootstrap_servers=self.bootstrap, linger_ms=0)
            consumer = KafkaConsumer(bootstrap_servers=self.bootstrap, auto_offset_reset="earliest",
                                     enable_auto_commit=False)
            tp = TopicPartition(self.topic, 0)
            index = 0
            while not self.stop_event.is_set():
                value = b"clean-%d" % index
                metadata = producer.send(self.topic, value=value).get(timeout=10)
                assert metadata.offset == index, f"message {index} got offset {metadata.offset}"
                self.sent.append(value)
                index += 1
                if index == 1:
                    consumer.assign([tp])
                self._poll(consumer, 10)
            deadline = time.monotonic() + 15
            while len(self.received) < len(self.sent):
                assert time.monotonic() < deadline, f"received {len(self.received)} of {len(self.sent)}"
                self._poll(consumer, 200)
        except Exception:
            self.errors.append(traceback.format_exc())
        finally:
            for client in (producer, consumer):
                if client is not None:
                    try:
                        client.close()
                    except Exception:
                        self.errors.append(traceback.format_exc())

    def _poll(self, consumer, timeout_ms):
        for records in consumer.poll(timeout_ms=timeout_ms).values():
            for r in records:
                self.offsets.append(r.offset)
                self.received.append(r.value)

    def wait_for_sent(self, count, timeout=20):
        deadline = time.monotonic() + timeout
        while len(self.sent) < count:
            assert not self.errors, self.errors[0]
            assert self.is_alive(), "the clean client stopped"
            assert time.monotonic() < deadline, f"the clean client sent only {len(self.sent)} messages"
            time.sleep(0.01)


def test_garbage_frames_close_only_their_connection(broker):
    client = CleanClient(broker.bootstrap, "clean")
    client.start()
    try:
        client.wait_for_sent(5)
        rng = random.Random(20240611)

        # Random bytes: the first 4 are read as a frame size. Nothing may come back; the
        # broker closes at once, or at the latest when we stop writing.
        for case in range(8):
            with Connection(broker.bootstrap) as conn:
                send_ignoring_close(conn.sock, rng.randbytes(rng.choice([1, 3, 17, 4096, 65536])))
                conn.sock.settimeout(0.3)
                try:
                    data = conn.sock.recv(65536)
                    assert data == b"", f"random bytes #{case}: the broker answered {data[:64]!r}"
                    continue
                except ConnectionResetError:
                    continue
                except socket.timeout:
                    pass  # waiting for the rest of a plausible frame
                conn.sock.shutdown(socket.SHUT_WR)
                assert_closed_by_broker(conn.sock, what=f"random bytes #{case} then end of stream")

        # Well-framed garbage: the frame arrives whole, and its content is nonsense.
        framed = {
            "random body": rng.randbytes(200),
            "unknown api key": struct.pack(">hhi", 0x7F7F, 0, 1) + string("x") + rng.randbytes(50),
            "produce v7 with random body": struct.pack(">hhi", 0, 7, 1) + string("x") + rng.randbytes(300),
            "produce v7 with a 2^31-1 topic count": struct.pack(">hhi", 0, 7, 1) + string("x")
                + string(None) + struct.pack(">hii", 1, 1000, 0x7FFFFFFF),
            "metadata v4 with a huge topic count": struct.pack(">hhi", 3, 4, 1) + string("x") + struct.pack(">i", 0x7FFFFFF0),
            "produce v7 with a 2 GiB records length": struct.pack(">hhi", 0, 7, 1) + string("x") + string(None)
                + struct.pack(">hi", 1, 1000) + struct.pack(">i", 1) + string("clean")
                + struct.pack(">iii", 1, 0, 0x7FFFFFF0),
            "header cut short": struct.pack(">hh", 18, 0),
            "client id longer than the frame": struct.pack(">hhih", 18, 0, 1, 5000),
            "empty frame": b"",
        }
        for what, payload in framed.items():
            with Connection(broker.bootstrap) as conn:
                send_ignoring_close(conn.sock, struct.pack(">i", len(payload)) + payload)
                assert_closed_by_broker(conn.sock, what=what)

        # Declared sizes that must be refused before any memory is reserved.
        for size in (0x7FFFFFFF, -1, -0x80000000, 200 << 20):
            with Connection(broker.bootstrap) as conn:
                send_ignoring_close(conn.sock, struct.pack(">i", size) + b"\x00\x12\x00\x00")
                assert_closed_by_broker(conn.sock, what=f"declared frame size {size}")

        # Truncated frames: the broker may wait for the rest, but must not answer; many of
        # them left open at once, then closed by us.
        truncated = []
        for _ in range(50):
            conn = Connection(broker.bootstrap)
            frame = struct.pack(">hhi", 18, 0, 7) + string("truncated")
            send_ignoring_close(conn.sock, struct.pack(">i", len(frame) + 100) + frame)
            truncated.append(conn)
        client.wait_for_sent(len(client.sent) + 10)
        for conn in truncated:
            conn.sock.settimeout(0.01)
            try:
                data = conn.sock.recv(65536)
                assert data == b"", f"answered a truncated frame: {data[:64]!r}"
            except (socket.timeout, ConnectionResetError):
                pass
            conn.close()

        # After all that, new connections are served and the real client keeps going.
        with Connection(broker.bootstrap) as conn:
            error, keys = conn.api_versions_v0()
            assert error == NONE and 18 in keys
        client.wait_for_sent(len(client.sent) + 20)
        assert broker.process.poll() is None, "the broker died:\n" + broker.log()
    finally:
        client.stop_event.set()
        client.join(timeout=30)
    assert not client.is_alive(), "the clean client did not finish"
    assert client.errors == [], client.errors[0]
    assert client.received == client.sent
    assert client.offsets == list(range(len(client.sent)))
    assert len(client.sent) >= 35


# --- Bad records in a well-formed Produce ---------------------------------------------

@pytest.mark.parametrize("position", ["crc field", "base timestamp", "first record", "last byte"])
def test_produce_with_a_wrong_crc_is_refused(broker, position):
    topic = "crc"
    with Connection(broker.bootstrap) as conn:
        assert conn.produce(topic, record_batch([b"first good"])) == (NONE, 0)
        batch = bytearray(record_batch([b"corrupt me %d" % i for i in range(3)]))
        at = {"crc field": 18, "base timestamp": 30, "first record": 62, "last byte": len(batch) - 1}[position]
        batch[at] ^= 0x5A
        error, base_offset = conn.produce(topic, batch)
        assert error == CORRUPT_MESSAGE, f"error {error} for a batch with a wrong CRC (byte {at} flipped)"
        assert base_offset == -1
        assert conn.latest_offset(topic) == (NONE, 1), "the corrupt batch was appended"
        # The connection stays usable and the log continues right after the good batch.
        assert conn.produce(topic, record_batch([b"second good"])) == (NONE, 1)
    assert read_values(broker.bootstrap, topic) == [b"first good", b"second good"]


def batch_of_size(size):
    """An uncompressed one-record batch of exactly `size` bytes (incompressible value)."""
    value_size = size - 80
    for _ in range(5):
        value = random.Random(7).randbytes(value_size)
        batch = record_batch([value])
        if len(batch) == size:
            return batch, value
        value_size += size - len(batch)
    raise AssertionError(f"could not build a batch of {size} bytes")


def test_produce_with_a_batch_over_the_limit_is_refused(broker):
    topic = "large"
    with Connection(broker.bootstrap, timeout=30) as conn:
        assert conn.produce(topic, record_batch([b"small"])) == (NONE, 0)
        error, base_offset = conn.produce(topic, batch_of_size(MAX_BATCH_BYTES + 1)[0])
        assert (error, base_offset) == (MESSAGE_TOO_LARGE, -1)
        error, _ = conn.produce(topic, batch_of_size(4 << 20)[0])
        assert error == MESSAGE_TOO_LARGE
        assert conn.latest_offset(topic) == (NONE, 1), "an oversized batch was appended"
        # Exactly at the limit is accepted, like Kafka's message.max.bytes.
        batch, value = batch_of_size(MAX_BATCH_BYTES)
        assert conn.produce(topic, batch) == (NONE, 1)
        assert conn.latest_offset(topic) == (NONE, 2)
    assert read_values(broker.bootstrap, topic) == [b"small", value]


@pytest.mark.parametrize("topic", ["bad topic!", "", ".", "..", "x" * 250, "tab\there", "slash/topic", "ümlaut"])
def test_produce_to_an_invalid_topic_name_is_refused(broker, topic):
    with Connection(broker.bootstrap) as conn:
        error, base_offset = conn.produce(topic, record_batch([b"nowhere"]))
        assert (error, base_offset) == (INVALID_TOPIC_EXCEPTION, -1)
        # The connection stays usable.
        assert conn.produce("good-topic", record_batch([b"somewhere"])) == (NONE, 0)
    # Nothing was created for the invalid name ("store" is the log store's folder).
    assert {p.name for p in broker.data_dir.iterdir() if not p.name.startswith("__") and p.name not in ("store", "metrics", "alerts-state.json")} == {"good-topic-0"}


@pytest.mark.parametrize("acks", [2, -2, 5])
def test_produce_with_invalid_acks_is_refused_and_writes_nothing(broker, acks):
    with Connection(broker.bootstrap) as conn:
        assert conn.produce("acks-topic", record_batch([b"first"])) == (NONE, 0)
        assert conn.produce("acks-topic", record_batch([b"never"]), acks=acks) == (21, -1)  # INVALID_REQUIRED_ACKS
        assert conn.latest_offset("acks-topic") == (NONE, 1)


# --- ApiVersions at an unknown version ------------------------------------------------

def test_api_versions_at_an_unknown_version_gets_a_v0_error_body(broker):
    with Connection(broker.bootstrap) as conn:
        # A future client: header v2 and a v3-style body (compact software name and version).
        body = bytes([len("tests") + 1]) + b"tests" + bytes([len("9.9") + 1]) + b"9.9" + b"\x00"
        error, keys = parse_api_versions_v0(conn.request(18, 99, body, flexible_header=True))
        assert error == UNSUPPORTED_VERSION
        assert keys.get(18, (None, None))[0] == 0 and keys[18][1] >= 3, keys
        for key in (0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 19, 22):
            assert key in keys, f"api key {key} missing from {keys}"

        # The same connection stays usable: v0 and v3 now succeed with the same list.
        error, keys_v0 = conn.api_versions_v0()
        assert (error, keys_v0) == (NONE, keys)
        response = conn.request(18, 3, body, flexible_header=True)
        error = struct.unpack_from(">h", response, 0)[0]
        count = response[2] - 1  # compact array length (one byte for < 127 entries)
        assert error == NONE and count == len(keys)
