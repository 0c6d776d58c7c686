"""Helpers for the end-to-end tests of `sluice-agent` (test_agent.py): the agent process,
steady line writers that behave like real loggers, a topic reader, and journal files built
with systemd-journal-remote.

Nothing here assumes timing for correctness: waits poll until a generous deadline.
"""
import json
import os
import signal
import struct
import subprocess
import threading
import time
import uuid
from pathlib import Path

import yaml
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from conftest import REPO

AGENT = Path(os.environ.get("SLUICE_AGENT_BIN", REPO / ".build" / "debug" / "sluice-agent"))
JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote"
ARRIVAL_TIMEOUT = 120


def agent_binary(wait=180):
    """The agent binary; another build may replace it, so wait for it to be there."""
    deadline = time.monotonic() + wait
    while not (AGENT.exists() and os.access(AGENT, os.X_OK)):
        if time.monotonic() > deadline:
            raise AssertionError(f"{AGENT} is missing: build it first")
        time.sleep(2)
    return str(AGENT)


def wait_until(condition, timeout=ARRIVAL_TIMEOUT, what="condition", interval=0.2):
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


# --- The agent process ----------------------------------------------------------------

class Agent:
    """One `sluice-agent --config FILE`: writes its config, starts, stops (SIGTERM),
    SIGKILLs and restarts it; its stderr is drained into `log_lines` by a thread."""

    def __init__(self, workdir: Path, config: dict, log_level="info"):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.state_dir = self.workdir / "state"
        self.config_path = self.workdir / "agent.yml"
        self.config = dict(config)
        self.config.setdefault("host", "test-host")
        self.config.setdefault("state_dir", str(self.state_dir))
        self.log_level = log_level
        self.process = None
        self.log_lines = []
        self.starts = 0
        self.exit_codes = []
        self.write_config()

    def write_config(self):
        self.config_path.write_text(yaml.safe_dump(self.config, sort_keys=False))

    def start(self):
        self.starts += 1
        self.log_lines.append(f"---- start #{self.starts} at {time.strftime('%H:%M:%S')} ----\n")
        self.process = subprocess.Popen(
            [agent_binary(), "--config", str(self.config_path), "--log-level", self.log_level],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, errors="replace", bufsize=1)
        threading.Thread(target=self._drain, args=(self.process,), daemon=True).start()
        return self

    def _drain(self, process):
        for line in process.stdout:
            self.log_lines.append(line)

    def running(self):
        return self.process is not None and self.process.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Signals the agent and waits for it; returns its exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
                raise AssertionError(f"sluice-agent did not stop within {timeout} s of {sig!r}:\n{self.log()}")
        code = self.process.returncode
        self.exit_codes.append(code)
        self.log_lines.append(f"---- exited with {code} ----\n")
        self.process = None
        return code

    def kill(self):
        return self.stop(signal.SIGKILL)

    def log(self, last=200):
        return "".join(self.log_lines[-last:])

    def assert_alive(self):
        assert self.running(), f"sluice-agent exited early ({self.process.returncode}):\n{self.log()}"


def check_config(path):
    return subprocess.run([agent_binary(), "check-config", str(path)], capture_output=True, text=True, timeout=60)


# --- Reading a topic -------------------------------------------------------------------

class TopicReader:
    """Collects every value of a one-partition topic from its beginning, incrementally
    (confluent-kafka, assign-based, no group). `poll()` reads what is there now; values
    are parsed as JSON as they arrive (`events`), and `key(event)` (when it gives
    something) is counted in `counts`, to tell missing records and duplicates apart."""

    def __init__(self, bootstrap, topic, key=None):
        self.topic = topic
        self.key = key
        self.values = []
        self.events = []
        self.counts = {}
        self.errors = []
        self.last_arrival = time.monotonic()
        self.consumer = Consumer({
            "bootstrap.servers": bootstrap,
            "group.id": f"agent-test-{uuid.uuid4()}",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "auto.offset.reset": "earliest",
            "fetch.wait.max.ms": 100,
            "topic.metadata.refresh.interval.ms": 1000,
            "reconnect.backoff.max.ms": 1000,
            "logger": _quiet_logger,
        })
        self.consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])

    def _take(self, value):
        self.values.append(value)
        event = json.loads(value)
        self.events.append(event)
        if self.key is not None:
            key = self.key(event)
            if key is not None:
                self.counts[key] = self.counts.get(key, 0) + 1
        self.last_arrival = time.monotonic()

    def poll(self, seconds=1.0):
        """Reads for at most `seconds` (less once at the end of the partition)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            messages = self.consumer.consume(num_messages=10000, timeout=0.2)
            at_end = False
            for message in messages:
                error = message.error()
                if error is None:
                    self._take(message.value())
                elif error.code() == KafkaError._PARTITION_EOF:
                    at_end = True
                else:
                    self.errors.append(str(error))
            if at_end or not messages:
                break
        return len(self.values)

    def wait_for(self, condition, timeout=ARRIVAL_TIMEOUT, what="records", stall=None):
        """Polls until `condition()` holds; fails after `timeout`, or earlier once nothing
        arrived for `stall` seconds (for final drains, where nothing more is coming)."""
        deadline = time.monotonic() + timeout
        self.poll(0.1)
        started = time.monotonic()
        while not condition():
            now = time.monotonic()
            if now > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what} ({len(self.values)} records read)")
            if stall is not None and now - max(self.last_arrival, started) > stall:
                raise AssertionError(f"nothing arrived for {stall} s while waiting for {what} ({len(self.values)} records read)")
            self.poll()

    def duplicates(self):
        return sum(count - 1 for count in self.counts.values())

    def close(self):
        self.consumer.close()


class _QuietLogger:
    """librdkafka's connection-refused chatter while a test stops the broker is expected."""

    def log(self, *args, **kwargs):
        pass

    def __getattr__(self, name):
        return self.log


_quiet_logger = _QuietLogger()


# --- Line writers ----------------------------------------------------------------------

class LineWriter(threading.Thread):
    """Appends numbered lines `<tag> <seq> <padding>` to `path` at a steady rate, one
    `write` per line with O_APPEND, like a real logger. Before each small batch it checks
    whether the path now names another file (rename rotation, `create`) and reopens it if
    so; while the path names nothing it keeps writing to the renamed file. After a
    copytruncate it simply keeps appending (O_APPEND writes at the new end).

    `count` lines in all (or until `stop()`); `progress` holds (start, end, first seq,
    end seq) of every batch (monotonic times), for diagnosing losses."""

    def __init__(self, path, tag, count=None, rate=5000, pad=40):
        super().__init__(daemon=True)
        self.path = Path(path)
        self.tag = tag
        self.count = count
        self.rate = rate
        self.pad = "p" * pad
        self.written = 0
        self.reopens = 0
        self.progress = []
        self.error = None
        self._halt = threading.Event()

    def line(self, seq):
        return f"{self.tag} {seq:09d} {self.pad}\n"

    def stop(self):
        self._halt.set()

    def _open(self):
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        return fd, os.fstat(fd).st_ino

    def run(self):
        try:
            fd, inode = self._open()
            tick = 0.01
            per_tick = max(1, int(self.rate * tick))
            start = time.monotonic()
            while not self._halt.is_set() and (self.count is None or self.written < self.count):
                try:
                    current = os.stat(self.path).st_ino
                except FileNotFoundError:
                    current = inode  # renamed, new one not created yet: keep the old one
                if current != inode:
                    os.close(fd)
                    fd, inode = self._open()
                    self.reopens += 1
                batch = per_tick if self.count is None else min(per_tick, self.count - self.written)
                first, began = self.written, time.monotonic()
                for _ in range(batch):
                    os.write(fd, self.line(self.written).encode())
                    self.written += 1
                self.progress.append((began, time.monotonic(), first, self.written))
                # Stay on schedule: sleep until this batch's slot, never sleep to catch up.
                due = start + self.written / self.rate
                delay = due - time.monotonic()
                if delay > 0:
                    self._halt.wait(delay)
            os.close(fd)
        except Exception as error:  # reported by the test
            self.error = error

    def time_of(self, seq):
        """(start, end) monotonic times of writing the batch that holds line `seq`."""
        for began, ended, first, end in self.progress:
            if first <= seq < end:
                return began, ended
        return None


def parse_line_key(message):
    """(tag, seq) of a line written by LineWriter, or None."""
    parts = message.split(" ")
    if len(parts) >= 2 and parts[1].isdigit():
        return parts[0], int(parts[1])
    return None


def line_key(event):
    """The (tag, seq) of a file event carrying a LineWriter line."""
    if event.get("source") != "file":
        return None
    return parse_line_key(event["message"])


def describe_missing(missing, limit=30):
    """Missing keys as runs: tag first-last (n)."""
    runs = []
    for key in sorted(missing):
        tag, seq = key
        if runs and runs[-1][0] == tag and runs[-1][2] == seq - 1:
            runs[-1][2] = seq
        else:
            runs.append([tag, seq, seq])
    text = ", ".join(f"{tag} {a}-{b} ({b - a + 1})" for tag, a, b in runs[:limit])
    if len(runs) > limit:
        text += f", … {len(runs) - limit} more runs"
    return text


# --- Journal files -----------------------------------------------------------------------

def export_format(entries):
    """The journal export format for entries given as dicts with __REALTIME_TIMESTAMP,
    __MONOTONIC_TIMESTAMP, _BOOT_ID and a list of (name, bytes) fields."""
    out = bytearray()
    for entry in entries:
        out += f"__REALTIME_TIMESTAMP={entry['realtime']}\n".encode()
        out += f"__MONOTONIC_TIMESTAMP={entry['monotonic']}\n".encode()
        out += f"_BOOT_ID={entry['boot_id']}\n".encode()
        for name, value in entry["fields"]:
            if isinstance(value, str):
                value = value.encode()
            if any(b < 0x20 and b != 0x09 for b in value):
                out += name.encode() + b"\n" + struct.pack("<Q", len(value)) + value + b"\n"
            else:
                out += name.encode() + b"=" + value + b"\n"
        out += b"\n"
    return bytes(out)


def write_journal(entries, path):
    """Appends the entries to the journal file `path` (created if needed)."""
    done = subprocess.run([JOURNAL_REMOTE, f"--output={path}", "-"], input=export_format(entries),
                          capture_output=True, timeout=120)
    if done.returncode != 0:
        raise AssertionError(f"systemd-journal-remote failed ({done.returncode}): {done.stderr.decode(errors='replace')}")


def expected_text(value: bytes) -> str:
    """What the agent's JSON makes of stored bytes: valid UTF-8 as is, each invalid byte as
    the four characters \\xNN."""
    return value.decode("utf-8", errors="backslashreplace")
