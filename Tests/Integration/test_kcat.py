"""kcat (librdkafka) against the real broker: metadata, produce with every codec and acks
setting, idempotent produce, assign-based consume with offsets, and a consumer group."""
import signal
import subprocess
import threading
import time

import pytest

from conftest import run

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
CODEC_IDS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


def stored_codecs(data_dir, topic):
    """The compression codec of every batch stored for `topic` (attributes & 7, read from
    the segment files), so a client that quietly sends uncompressed is caught."""
    codecs = []
    for segment in sorted((data_dir / f"{topic}-0").glob("*.log")):
        data = segment.read_bytes()
        position = 0
        while position + 61 <= len(data):
            length = int.from_bytes(data[position + 8:position + 12], "big")
            codecs.append(int.from_bytes(data[position + 21:position + 23], "big") & 7)
            position += 12 + length
    return codecs


def produce(bootstrap, topic, lines, *options):
    run(["kcat", "-b", bootstrap, "-P", "-t", topic, *options], input="".join(f"{line}\n" for line in lines))


def consume(bootstrap, topic, *options, fmt="%p %o %k %s\\n"):
    done = run(["kcat", "-b", bootstrap, "-C", "-t", topic, "-e", "-f", fmt.replace("\\n", "\n"), *options])
    return [line for line in done.stdout.split("\n") if line]


def test_metadata_lists_the_broker_and_topics(broker):
    produce(broker.bootstrap, "meta-topic", ["x"])
    out = run(["kcat", "-b", broker.bootstrap, "-L"]).stdout
    assert f"broker 0 at {broker.bootstrap} (controller)" in out
    assert 'topic "meta-topic" with 1 partitions' in out
    assert "leader 0, replicas: 0, isrs: 0" in out


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("acks", ["0", "1", "all"])
def test_produce_each_codec_and_acks(broker, codec, acks):
    topic = f"p-{codec}-{acks}"
    lines = [f"{codec}-{acks}-{i}-" + "x" * (i % 50) for i in range(300)]
    produce(broker.bootstrap, topic, lines, "-z", codec, "-X", f"acks={acks}")
    got = consume(broker.bootstrap, topic, "-o", "beginning", fmt="%o %s\\n")
    assert got == [f"{i} {line}" for i, line in enumerate(lines)]
    # librdkafka really compressed (it silently sends uncompressed when it thinks the
    # broker cannot take the codec). It also sends a batch uncompressed when compressing
    # would not shrink it (a batch of one short line under snappy, depending on timing),
    # so uncompressed batches may appear beside compressed ones, never alone.
    codecs = stored_codecs(broker.data_dir, topic)
    assert CODEC_IDS[codec] in codecs and set(codecs) <= {CODEC_IDS[codec], 0}, codecs


def test_idempotent_producer(broker):
    lines = [f"idem-{i}" for i in range(500)]
    produce(broker.bootstrap, "idem", lines, "-X", "enable.idempotence=true", "-z", "lz4")
    produce(broker.bootstrap, "idem", ["second-producer"], "-X", "enable.idempotence=true")
    got = consume(broker.bootstrap, "idem", "-o", "beginning", fmt="%s\\n")
    assert got == lines + ["second-producer"]


def test_consume_from_beginning_end_and_relative(broker):
    lines = [f"k{i}:v{i}" for i in range(20)]
    produce(broker.bootstrap, "offsets", lines, "-K:")
    assert consume(broker.bootstrap, "offsets", "-o", "beginning") == [f"0 {i} k{i} v{i}" for i in range(20)]
    assert consume(broker.bootstrap, "offsets", "-o", "end") == []
    assert consume(broker.bootstrap, "offsets", "-o", "-5") == [f"0 {i} k{i} v{i}" for i in range(15, 20)]
    assert consume(broker.bootstrap, "offsets", "-o", "12", "-c", "2") == ["0 12 k12 v12", "0 13 k13 v13"]


class GroupConsumer:
    """A kcat -G process whose output lines are collected as they come."""

    def __init__(self, bootstrap, group, topic, name):
        self.name = name
        self.lines = []
        self.log = []
        self.process = subprocess.Popen(
            ["kcat", "-b", bootstrap, "-G", group, "-u", "-X", "auto.offset.reset=earliest",
             "-X", "auto.commit.interval.ms=100", "-X", "session.timeout.ms=6000",
             "-f", "%p %o %k %s %h\n", topic],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        threading.Thread(target=self._read, args=(self.process.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._read, args=(self.process.stderr, self.log), daemon=True).start()

    @staticmethod
    def _read(stream, into):
        for line in stream:
            into.append(line.rstrip("\n"))

    def assigned(self):
        return [line for line in self.log if "assigned:" in line]

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def wait_until(condition, timeout=45, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_two_group_consumers_share_partitions_then_one_leaves(make_broker):
    broker = make_broker("--default-partitions", "4")
    run(["kcat", "-b", broker.bootstrap, "-L", "-t", "shared"])  # creates the 4-partition topic
    a = GroupConsumer(broker.bootstrap, "grp", "shared", "a")
    b = GroupConsumer(broker.bootstrap, "grp", "shared", "b")
    try:
        wait_until(lambda: a.assigned() and b.assigned() and
                   "[" in a.assigned()[-1] and "[" in b.assigned()[-1], what="both consumers assigned")
        first = [f"key{i}:value{i}" for i in range(200)]
        produce(broker.bootstrap, "shared", first, "-K:", "-H", "origin=phase1")
        wait_until(lambda: len(a.lines) + len(b.lines) >= 200, what="phase 1 consumed")
        assert a.lines and b.lines, "both members received partitions"
        time.sleep(0.5)  # let auto-commit store the positions
        b.stop()
        wait_until(lambda: a.assigned() and a.assigned()[-1].count("shared [") == 4, what="a takes all partitions")
        second = [f"key{i}:value{i}" for i in range(200, 400)]
        produce(broker.bootstrap, "shared", second, "-K:", "-H", "origin=phase2")
        wait_until(lambda: len(a.lines) + len(b.lines) >= 400, what="phase 2 consumed")
        time.sleep(0.5)
    finally:
        a.stop()
        if b.process.poll() is None:
            b.stop()
    records = [line.split(" ") for line in a.lines + b.lines]
    keys = sorted(r[2] for r in records)
    assert keys == sorted(f"key{i}" for i in range(400)), "every message exactly once"
    for partition, offset, key, value, headers in records:
        assert value == key.replace("key", "value")
        assert headers == ("origin=phase1" if int(key[3:]) < 200 else "origin=phase2")
    # Within a partition, offsets are dense and in order across the two members.
    by_partition = {}
    for partition, offset, *_ in records:
        by_partition.setdefault(partition, []).append(int(offset))
    assert len(by_partition) == 4
    for offsets in by_partition.values():
        assert sorted(offsets) == list(range(len(offsets)))
