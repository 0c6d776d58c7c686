"""Debian's Prometheus and Alertmanager as test peers (see shared/reference notes).

Neither starts a service here: tests run them in the foreground on loopback ports and
stop them by PID.
"""
import json
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_json(url, data=None, timeout=30):
    request = urllib.request.Request(url, data=data)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            return error.code, json.loads(body)
        except ValueError:
            return error.code, {"raw": body.decode(errors="replace")}


def wait_until(predicate, timeout=60, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except (OSError, ValueError) as error:
            last = error
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


class Prometheus:
    """`prometheus` on back-filled blocks: the PromQL oracle."""

    def __init__(self, work: Path):
        self.work = work
        self.port = free_port()
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def backfill(self, openmetrics_text: str):
        source = self.work / "samples.om"
        source.write_text(openmetrics_text)
        data = self.work / "tsdb"
        done = subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", str(source), str(data)],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"promtool failed:\n{done.stdout}\n{done.stderr}"
        return self

    def start(self):
        config = self.work / "prometheus.yml"
        config.write_text("global: {}\nscrape_configs: []\n")
        self.log = open(self.work / "prometheus.log", "w")
        self.process = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={self.work / 'tsdb'}",
             "--storage.tsdb.retention.time=100y", f"--web.listen-address=127.0.0.1:{self.port}",
             "--query.lookback-delta=5m"],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(lambda: self._ready(), timeout=60, what="prometheus to be ready")
        return self

    def _ready(self):
        if self.process.poll() is not None:
            raise AssertionError("prometheus exited:\n" + (self.work / "prometheus.log").read_text())
        with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as response:
            return response.status == 200

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None


def query(base, path, **params):
    """GET base/api/v1/<path>?params; returns (http status, body)."""
    return http_json(f"{base}/api/v1/{path}?{urllib.parse.urlencode(params)}")


class WebhookReceiver:
    """An HTTP server that records every POSTed JSON body (a webhook receiver). It can be
    started late on a port chosen early, to play a receiver that was down for a while."""

    def __init__(self, port=None):
        import http.server
        import threading

        self.port = port or free_port()
        self.bodies = []
        self.server = None
        received = self.bodies

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                received.append((self.path, json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._handler = Handler
        self._threading = threading
        self._http = http.server

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self):
        self.server = self._http.ThreadingHTTPServer(("127.0.0.1", self.port), self._handler)
        self._threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


class Alertmanager:
    """`prometheus-alertmanager` without clustering, routing everything to one webhook."""

    def __init__(self, work: Path, webhook_url: str):
        self.work = work
        self.port = free_port()
        self.webhook_url = webhook_url
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        config = self.work / "alertmanager.yml"
        config.write_text(
            "route:\n  receiver: hook\n  group_by: [alertname, host]\n  group_wait: 1s\n"
            "  group_interval: 2s\n  repeat_interval: 1h\n"
            f"receivers:\n  - name: hook\n    webhook_configs:\n      - url: {self.webhook_url}\n        send_resolved: true\n")
        self.log = open(self.work / "alertmanager.log", "w")
        self.process = subprocess.Popen(
            ["prometheus-alertmanager", f"--config.file={config}", f"--storage.path={self.work / 'am-data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--cluster.listen-address="],
            stdout=self.log, stderr=subprocess.STDOUT)

        def ready():
            if self.process.poll() is not None:
                raise AssertionError("alertmanager exited:\n" + (self.work / "alertmanager.log").read_text())
            with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as response:
                return response.status == 200

        wait_until(ready, timeout=60, what="alertmanager to be ready")
        return self

    def alerts(self):
        return http_json(self.url + "/api/v2/alerts")[1]

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None
