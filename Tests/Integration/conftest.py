"""Starts the real `sluice serve` for integration tests with real Kafka clients.

The binary is SLUICE_BIN, or .build/debug/sluice under the repository (scripts/test
builds it). Each broker gets its own data directory and free ports (listening on port
0; the appliance prints "kafka-port N" and "http-port N" when each listener is ready,
and keeps its ports across restarts).
"""
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SLUICE = Path(os.environ.get("SLUICE_BIN", REPO / ".build" / "debug" / "sluice"))


class Broker:
    def __init__(self, data_dir: Path, *extra: str):
        self.data_dir = data_dir
        self.extra = list(extra)
        self.port = 0
        self.http_port = 0
        self.process = None
        self.log_lines = []

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self):
        assert SLUICE.exists(), f"{SLUICE} is missing: build it first (scripts/test does)"
        self.process = subprocess.Popen(
            [str(SLUICE), "serve", "--data-dir", str(self.data_dir),
             "--kafka-listen", f"127.0.0.1:{self.port}",
             "--http-listen", f"127.0.0.1:{self.http_port}", *self.extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        deadline = time.monotonic() + 60
        kafka_ready = http_ready = False
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("sluice serve exited:\n" + "".join(self.log_lines))
            self.log_lines.append(line)
            if line.startswith("kafka-port "):
                self.port = int(line.split()[1])
                kafka_ready = True
            if line.startswith("http-port "):
                self.http_port = int(line.split()[1])
                http_ready = True
            if kafka_ready and http_ready:
                break
        else:
            raise RuntimeError("sluice serve did not start in time")
        # Keep draining its output so that it never blocks on a full pipe.
        threading.Thread(target=self._drain, args=(self.process,), daemon=True).start()
        return self

    def _drain(self, process):
        for line in process.stdout:
            self.log_lines.append(line)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=timeout)
        code = self.process.returncode if self.process else None
        self.process = None
        return code

    def kill(self):
        return self.stop(signal.SIGKILL)

    def restart(self):
        self.stop()
        return self.start()

    def log(self) -> str:
        return "".join(self.log_lines)


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path / "data").start()
    yield b
    code = b.stop()
    assert code == 0, f"sluice serve exited with {code}:\n{b.log()}"


@pytest.fixture
def make_broker(tmp_path):
    """For tests that need options (e.g. --default-partitions 4)."""
    started = []

    def make(*extra):
        b = Broker(tmp_path / f"data{len(started)}", *extra).start()
        started.append(b)
        return b

    yield make
    for b in started:
        b.stop()


def run(args, input=None, timeout=60, check=True):
    """Runs a client command; returns its completed process (text)."""
    done = subprocess.run(args, input=input, capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"{args} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done
