#!/usr/bin/env python3
"""RecordBatch v2 interop with kafka-python's own record code (a real client library).

  write DIR   writes batch-<codec>.bin built by kafka-python's DefaultRecordBatchBuilder
              and batch-<codec>.json with the records it holds (the golden fixtures
              in Tests/KafkaWireTests/Fixtures were made this way)
  read FILE   decodes concatenated batches with kafka-python's MemoryRecords, checks each
              CRC, and prints the records as JSON, for Swift tests to compare
"""
import json
import sys
from pathlib import Path

from kafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder
from kafka.record.memory_records import MemoryRecords

CODECS = {
    "none": 0,
    "gzip": DefaultRecordBatch.CODEC_GZIP,
    "snappy": DefaultRecordBatch.CODEC_SNAPPY,
    "lz4": DefaultRecordBatch.CODEC_LZ4,
    "zstd": DefaultRecordBatch.CODEC_ZSTD,
}


def sample_records():
    base = 1_700_000_000_000
    records = [
        (base, b"host-a", b'{"message":"hello"}', [("trace", b"abc")]),
        (base + 5, None, b"plain line", []),
        (base - 3, b"host-b", None, [("k", None), ("empty", b"")]),
        (base + 1000, b"\xff\xfe", bytes(range(256)), []),
    ]
    records += [(base + 2000 + i, b"k%d" % i, b"value %d " % i * 3, []) for i in range(60)]
    return records


def hexed(value):
    return None if value is None else value.hex()


def write(directory):
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for name, codec in CODECS.items():
        for idempotent in (False, True):
            producer = (4242, 3, 17) if idempotent else (-1, -1, -1)
            builder = DefaultRecordBatchBuilder(
                magic=2, compression_type=codec, is_transactional=False,
                producer_id=producer[0], producer_epoch=producer[1], base_sequence=producer[2],
                batch_size=1 << 20)
            expected = []
            for offset, (timestamp, key, value, headers) in enumerate(sample_records()):
                builder.append(offset, timestamp=timestamp, key=key, value=value, headers=headers)
                expected.append(dict(offset=offset, timestamp=timestamp, key=hexed(key), value=hexed(value),
                                     headers=[[k, hexed(v)] for k, v in headers]))
            stem = f"batch-{name}" + ("-idempotent" if idempotent else "")
            (out / f"{stem}.bin").write_bytes(bytes(builder.build()))
            (out / f"{stem}.json").write_text(json.dumps(dict(
                codec=name, producer_id=producer[0], producer_epoch=producer[1], base_sequence=producer[2],
                records=expected), indent=1))


def read(path):
    records = MemoryRecords(Path(path).read_bytes())
    batches = []
    while True:
        batch = records.next_batch()
        if batch is None:
            break
        if not batch.validate_crc():
            sys.exit(f"CRC check failed for batch at offset {batch.base_offset}")
        batches.append(dict(
            base_offset=batch.base_offset, compression=batch.compression_type,
            producer_id=batch.producer_id, records=[
                dict(offset=r.offset, timestamp=r.timestamp, key=hexed(r.key), value=hexed(r.value),
                     headers=[[k, hexed(v)] for k, v in r.headers])
                for r in batch]))
    print(json.dumps(batches))


if __name__ == "__main__":
    {"write": write, "read": read}[sys.argv[1]](sys.argv[2])
