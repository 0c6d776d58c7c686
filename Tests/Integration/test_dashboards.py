"""The shipped dashboards (dashboards/*.json and their Grafana twins in dashboards/grafana/)
against the real `sluice serve`, fed with a host's node_exporter metrics and agent counters
(metric batches on the `metrics` topic), log lines (Loki's push API) and a Kafka consumer
group with lag.

Every definition must pass the appliance's own checks; every panel's query, with its
variables set to the injected host, must run and return data (and the numbers the injected
data implies, where they are exact); a broken definition must be listed with its file and
the place of its mistake. The Grafana files must be valid dashboard JSON that uses only
the `prometheus` and `loki` data source types, carry the same queries as the definitions
(`generate.py --check`), and each target must run through the matching API.
"""
import json
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
import yaml
from confluent_kafka import Producer

from conftest import REPO, Broker
from feeds import commit_after_reading, push_logs
from prometheus_support import http_json, wait_until

DASHBOARDS = REPO / "dashboards"
GRAFANA = DASHBOARDS / "grafana"
GENERATE = GRAFANA / "generate.py"
SHIPPED = ["hosts", "logs-overview", "pipeline-health"]
HOST = "dash-host"
OTHER_HOST = "other-host"
STEP = 15           # seconds between the points of range queries
CPU_SHARES = {"idle": 0.6, "user": 0.25, "system": 0.1, "iowait": 0.05}   # CPU seconds per second
PANEL_TYPES = {"line", "bar", "stat", "table", "logs"}

# Pushed log lines: (stream labels, line). The pipeline adds source="http".
LOG_LINES = [
    ({"host": HOST, "service": "api", "level": "error"}, "payment gateway timeout"),
    ({"host": HOST, "service": "api", "level": "info"}, "order 18 accepted"),
    ({"host": HOST, "service": "api", "level": "error"}, "payment gateway timeout"),
    ({"host": HOST, "service": "web", "level": "warning"}, "slow response 1200ms"),
    ({"host": HOST, "service": "api", "level": "error"}, "payment gateway timeout"),
    ({"host": OTHER_HOST, "service": "db", "level": "critical"}, "out of memory"),
    ({"host": OTHER_HOST, "service": "db", "level": "error"}, "disk full"),
    ({"host": HOST, "service": "web", "level": "info"}, "order 20 shipped"),
]
ERROR_LINES = [line for labels, line in LOG_LINES if labels["level"] in ("error", "critical")]


# --- Injected data ------------------------------------------------------------------------

class HostFeeder:
    """Sends HOST's metric batches as an agent would: the last two minutes at once, then
    the current time's, a batch a second until stopped (one spacing throughout, so that
    rate() extrapolates alike at both ends of its window). Counters grow at
    known rates from `origin`; gauges hold known values."""

    def __init__(self, bootstrap):
        self.producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 0})
        now = time.time()
        self.origin = now - 120
        self.boot_time = int(now) - 86400
        for back in range(120, 0, -1):
            self.send(now - back)
        self.send(now)
        assert self.producer.flush(30) == 0
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            time.sleep(1)
            self.send(time.time())
            self.producer.flush(10)

    def stop(self):
        self.running = False
        self.thread.join()

    def send(self, when):
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(when)) + f".{int(when * 1000) % 1000:03d}Z"
        batch = {"timestamp": stamp, "host": HOST, "samples": self.samples(when - self.origin)}
        self.producer.produce("metrics", key=HOST.encode(), value=json.dumps(batch).encode(), timestamp=int(when * 1000))

    def samples(self, elapsed):
        samples = []
        for cpu in ("0", "1"):
            for mode, share in CPU_SHARES.items():
                samples.append({"name": "node_cpu_seconds_total", "labels": {"cpu": cpu, "mode": mode},
                                "value": 5000 + elapsed * share})
        fs_root = {"device": "/dev/sda1", "fstype": "ext4", "mountpoint": "/"}
        fs_run = {"device": "tmpfs", "fstype": "tmpfs", "mountpoint": "/run"}
        gap = elapsed >= 60  # one data gap (2 of them), a minute in
        samples += [
            {"name": "node_memory_MemTotal_bytes", "labels": {}, "value": 8e9},
            {"name": "node_memory_MemAvailable_bytes", "labels": {}, "value": 4e9},
            {"name": "node_load1", "labels": {}, "value": 0.7},
            {"name": "node_load5", "labels": {}, "value": 0.4},
            {"name": "node_load15", "labels": {}, "value": 0.3},
            {"name": "node_boot_time_seconds", "labels": {}, "value": self.boot_time},
            {"name": "node_network_receive_bytes_total", "labels": {"device": "eth0"}, "value": 1e6 + elapsed * 2000},
            {"name": "node_network_transmit_bytes_total", "labels": {"device": "eth0"}, "value": 1e6 + elapsed * 1000},
            {"name": "node_network_receive_bytes_total", "labels": {"device": "lo"}, "value": 1e6 + elapsed * 5000},
            {"name": "node_network_transmit_bytes_total", "labels": {"device": "lo"}, "value": 1e6 + elapsed * 5000},
            {"name": "node_disk_read_bytes_total", "labels": {"device": "sda"}, "value": 1e8 + elapsed * 4096},
            {"name": "node_disk_written_bytes_total", "labels": {"device": "sda"}, "value": 1e8 + elapsed * 8192},
            {"name": "node_disk_read_bytes_total", "labels": {"device": "loop0"}, "value": 1e8 + elapsed * 100},
            {"name": "node_disk_written_bytes_total", "labels": {"device": "loop0"}, "value": 1e8},
            {"name": "node_filesystem_avail_bytes", "labels": fs_root, "value": 4e10},
            {"name": "node_filesystem_size_bytes", "labels": fs_root, "value": 1e11},
            {"name": "node_filesystem_avail_bytes", "labels": fs_run, "value": 1e6},
            {"name": "node_filesystem_size_bytes", "labels": fs_run, "value": 2e6},
            # The agent's own counters (Sources/Agent/AgentCounters.swift).
            {"name": "sluice_agent_events_sent_total", "labels": {}, "value": 100 + elapsed * 10},
            {"name": "sluice_agent_data_gaps_total", "labels": {}, "value": 2 if gap else 0},
            {"name": "sluice_agent_data_gap_bytes_total", "labels": {}, "value": 4096 if gap else 0},
            {"name": "sluice_agent_send_failures_total", "labels": {}, "value": int(elapsed // 30)},
            {"name": "sluice_agent_metric_batches_dropped_total", "labels": {}, "value": 0},
        ]
        return samples


def lagging_consumer_group(broker):
    """A consumer group that committed 2 of the 5 records of topic `orders` (lag 3)."""
    producer = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all"})
    for n in range(5):
        producer.produce("orders", value=f"order {n}".encode())
    assert producer.flush(30) == 0
    commit_after_reading(broker.bootstrap, "orders", "dashboard-readers", 2)


# --- The APIs -------------------------------------------------------------------------------

def get(broker, path, params):
    code, body = http_json(broker.http + path + "?" + urllib.parse.urlencode(params, doseq=True))
    return code, body


def ok(broker, path, params, what):
    code, body = get(broker, path, params)
    assert code == 200 and body.get("status") == "success", f"{what}: {path} {params} -> {code} {body}"
    return body["data"]


def promql_instant(broker, query):
    return ok(broker, "/api/v1/query", {"query": query}, query)["result"]


def logql_range_lines(broker, query):
    data = ok(broker, "/loki/api/v1/query_range",
              {"query": query, "start": time.time_ns() - 3600 * 10**9, "end": time.time_ns(), "limit": 1000}, query)
    return [value[1] for stream in data["result"] for value in stream["values"]]


def run_panel(broker, panel, query, now):
    """The request the UI makes for a panel (Sources/HTTPAPI/UI/js/panels.js) over the hour
    before `now`: its data (resultType, result)."""
    logql = panel.get("language", "promql") == "logql"
    start = now - 3600
    if panel["type"] == "logs":
        return ok(broker, "/loki/api/v1/query_range",
                  {"query": query, "start": int(start * 1e9), "end": int(now * 1e9), "limit": 200,
                   "direction": "backward"}, panel["title"])
    if panel["type"] in ("stat", "table"):
        if logql:
            return ok(broker, "/loki/api/v1/query", {"query": query, "time": int(now * 1e9)}, panel["title"])
        return ok(broker, "/api/v1/query", {"query": query, "time": now}, panel["title"])
    if logql:
        return ok(broker, "/loki/api/v1/query_range",
                  {"query": query, "start": int(start * 1e9), "end": int(now * 1e9), "step": STEP}, panel["title"])
    return ok(broker, "/api/v1/query_range", {"query": query, "start": start, "end": now, "step": STEP}, panel["title"])


def substitute(query, values):
    """$name and ${name} replaced, as the UI does for a single chosen value."""
    return re.sub(r"\$\{([A-Za-z_]\w*)\}|\$([A-Za-z_]\w*)",
                  lambda m: values.get(m.group(1) or m.group(2), m.group(0)), query)


def definition(name):
    return json.loads((DASHBOARDS / f"{name}.json").read_text())


# --- The appliance --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def appliance(tmp_path_factory):
    """`sluice serve` with the shipped dashboards and a webhook receiver (nothing listens on
    it: its notification counters exist at 0), fed as the module docstring says, once every
    dashboard's data is there."""
    root = tmp_path_factory.mktemp("dashboards")
    config = root / "sluice.yml"
    config.write_text(yaml.safe_dump({
        "ui": {"dashboards": str(DASHBOARDS)},
        "alerting": {"rule_files": [], "webhooks": [{"url": "http://127.0.0.1:9/hook", "name": "ops", "timeout": "1s"}]}}))
    broker = Broker(root / "data", "--config", str(config)).start()
    feeder = None
    try:
        feeder = HostFeeder(broker.bootstrap)
        push_logs(broker.http, LOG_LINES)
        lagging_consumer_group(broker)
        wait_until(lambda: len(logql_range_lines(broker, '{source=~".+"}')) == len(LOG_LINES), timeout=60,
                   what="the pushed lines in the store")
        wait_until(lambda: len(promql_instant(broker, f'node_load1{{host="{HOST}"}}')) == 1, timeout=60,
                   what="the host's metrics in the store")
        # The appliance stores its /metrics every 10 s: four scrapes since `orders` exists
        # give a rate(…[1m]) at every point of a 15 s range query up to a few seconds ago.
        wait_until(lambda: promql_instant(broker, 'count_over_time(sluice_topic_log_end_offset{job="sluice",topic="orders"}[5m]) >= 4'),
                   timeout=120, what="four self-scrapes of the appliance's metrics")
        wait_until(lambda: promql_instant(broker, 'sluice_consumer_group_lag_records{job="sluice",group="dashboard-readers"}'),
                   timeout=90, what="the consumer group's lag among the self-scraped metrics")
        yield broker
    finally:
        if feeder:
            feeder.stop()
        code = broker.stop()
        assert code == 0, f"sluice serve exited with {code}:\n{broker.log()}"


# --- (a) The definitions pass the appliance's checks ----------------------------------------

def test_the_shipped_definitions_pass_the_appliances_checks(appliance):
    assert sorted(path.stem for path in DASHBOARDS.glob("*.json")) == SHIPPED
    listed = ok(appliance, "/api/sluice/v1/dashboards", {}, "the dashboards list")
    assert [entry["name"] for entry in listed] == SHIPPED
    for entry in listed:
        assert "error" not in entry and "problem" not in entry, entry
        assert entry["title"] == definition(entry["name"])["title"]
        assert entry["description"]
    assert {entry["title"] for entry in listed} == {"Hosts", "Logs overview", "Pipeline health"}
    for name in SHIPPED:
        served = ok(appliance, f"/api/sluice/v1/dashboards/{name}", {}, name)
        assert served == definition(name)
        for panel in served["panels"]:
            assert panel["type"] in PANEL_TYPES and panel["query"], (name, panel)


# --- (b) Every panel's query runs and has data ----------------------------------------------

def variable_values(broker, name):
    """Each variable's values from the API the UI asks; the chosen value is HOST."""
    values = {}
    for variable in definition(name).get("variables", []):
        source = variable["values"]
        params = {"match[]": substitute(source["match"], values)} if source.get("match") else {}
        found = ok(broker, f"/api/v1/label/{urllib.parse.quote(source['label'])}/values", params, variable["name"])
        assert HOST in found, (variable, found)
        assert variable["name"] == "host"
        values[variable["name"]] = HOST
    return values


def has_data(data):
    if data["resultType"] == "matrix":
        return any(series["values"] for series in data["result"])
    if data["resultType"] == "streams":
        return any(stream["values"] for stream in data["result"])
    if data["resultType"] == "scalar":
        return True
    return bool(data["result"])


def run_dashboard(broker, name):
    """{panel title: data} of every panel, each checked to run, to have the result type its
    panel type needs, and to hold data."""
    values = variable_values(broker, name)
    # A few seconds behind, so that rate() windows end where the feeder's batches are
    # indexed already (a window's unsampled end is extrapolated by half an interval only).
    now = time.time() - 3
    results = {}
    for panel in definition(name)["panels"]:
        query = substitute(panel["query"], values)
        assert "$" not in query, query
        data = run_panel(broker, panel, query, now)
        if panel["type"] == "logs":
            assert data["resultType"] == "streams", (panel["title"], data)
        elif panel.get("language") == "logql":
            assert data["resultType"] in (("matrix",) if panel["type"] in ("line", "bar") else ("vector", "scalar")), \
                (panel["title"], data["resultType"])
        assert has_data(data), f"{name}: panel {panel['title']!r} ({query}) has no data: {data}"
        assert panel["title"] not in results, f"{name}: two panels titled {panel['title']!r}"
        results[panel["title"]] = data
    return results


def by(result, label):
    return {item["metric"].get(label, ""): float(item["value"][1]) for item in result}


def last_values(result, label):
    return {item["metric"].get(label, ""): float(item["values"][-1][1]) for item in result}


def test_hosts_panels_show_the_injected_host(appliance):
    panels = run_dashboard(appliance, "hosts")
    assert float(panels["CPU busy"]["result"][0]["value"][1]) == pytest.approx(100 * (1 - CPU_SHARES["idle"]), abs=1)
    assert float(panels["Memory used"]["result"][0]["value"][1]) == pytest.approx(50)
    assert float(panels["Load (1 min)"]["result"][0]["value"][1]) == pytest.approx(0.7)
    assert float(panels["Uptime"]["result"][0]["value"][1]) >= 86400
    modes = last_values(panels["CPU by mode"]["result"], "mode")
    assert modes == {mode: pytest.approx(100 * share, abs=1) for mode, share in CPU_SHARES.items() if mode != "idle"}
    assert last_values(panels["Memory used and available"]["result"], "memory") == {"used": 4e9, "available": 4e9}
    assert {series["metric"]["__name__"] for series in panels["Load average"]["result"]} == {"node_load1", "node_load5", "node_load15"}
    network = {(s["metric"]["device"], s["metric"]["direction"]): float(s["values"][-1][1])
               for s in panels["Network received and sent"]["result"]}
    assert set(network) == {("eth0", "rx"), ("eth0", "tx")}, "lo is left out"
    assert network[("eth0", "rx")] == pytest.approx(2000, rel=0.1)
    assert network[("eth0", "tx")] == pytest.approx(1000, rel=0.1)
    disk = {(s["metric"]["device"], s["metric"]["direction"]): float(s["values"][-1][1])
            for s in panels["Disk read and written"]["result"]}
    assert set(disk) == {("sda", "read"), ("sda", "write")}, "loop devices are left out"
    assert disk[("sda", "write")] == pytest.approx(8192, rel=0.1), panels["Disk read and written"]["result"]
    assert last_values(panels["Filesystem usage"]["result"], "mountpoint") == {"/": pytest.approx(60)}
    assert by(panels["Filesystems now"]["result"], "mountpoint") == {"/": pytest.approx(60)}


def test_logs_overview_panels_count_the_pushed_lines(appliance):
    panels = run_dashboard(appliance, "logs-overview")
    assert float(panels["Lines (last hour)"]["result"][0]["value"][1]) == len(LOG_LINES)
    assert float(panels["Errors (last hour)"]["result"][0]["value"][1]) == len(ERROR_LINES)
    assert float(panels["Warnings (last hour)"]["result"][0]["value"][1]) == 1
    levels = {s["metric"]["level"]: max(float(v) for _, v in s["values"]) for s in panels["Lines per minute by level"]["result"]}
    assert levels == {"error": 4, "critical": 1, "warning": 1, "info": 2}
    sources = {s["metric"]["source"]: max(float(v) for _, v in s["values"]) for s in panels["Lines per minute by source"]["result"]}
    assert sources == {"http": len(LOG_LINES)}
    hosts = {s["metric"]["host"]: max(float(v) for _, v in s["values"]) for s in panels["Errors per minute by host"]["result"]}
    assert hosts == {HOST: 3, OTHER_HOST: 2}
    top = by(panels["Top error messages (last hour)"]["result"], "message")
    assert top == {"payment gateway timeout": 3, "out of memory": 1, "disk full": 1}
    recent = [value[1] for stream in panels["Recent errors"]["result"] for value in stream["values"]]
    assert sorted(recent) == sorted(ERROR_LINES)


def test_pipeline_health_panels_show_the_appliance_and_the_agent(appliance):
    panels = run_dashboard(appliance, "pipeline-health")
    assert float(panels["Agents reporting"]["result"][0]["value"][1]) == 1
    assert set(by(panels["Alerts"]["result"], "state")) == {"firing", "pending"}
    topics = {s["metric"]["topic"] for s in panels["Records appended per second by topic"]["result"]}
    assert {"logs", "metrics", "orders"} <= topics
    own = {(s["metric"]["consumer"], s["metric"]["topic"]) for s in panels["Appliance's processing lag (records)"]["result"]}
    assert own == {("log pipelines", "logs"), ("metric ingestion", "metrics")}
    groups = last_values([s for s in panels["Consumer group lag (records)"]["result"]
                          if s["metric"]["group"] == "dashboard-readers"], "topic")
    assert groups == {"orders": 3}
    seen = by(panels["Agents: seconds since last heard"]["result"], "host")
    assert set(seen) == {HOST} and seen[HOST] >= 0
    assert {s["metric"]["host"] for s in panels["Agent events sent per second"]["result"]} == {HOST}
    gaps = [float(v) for s in panels["Data gaps (per 5 min)"]["result"] for _, v in s["values"]]
    assert max(gaps) > 0, "the injected data gap shows"
    problems = {s["metric"]["problem"] for s in panels["Agent send failures and dropped metric batches (per 5 min)"]["result"]}
    assert problems == {"send failures", "metric batches dropped"}
    outcomes = {(s["metric"]["receiver"], s["metric"]["outcome"]) for s in panels["Alert notifications (per 5 min)"]["result"]}
    assert outcomes == {("ops", "sent"), ("ops", "failed attempts"), ("ops", "dead letters")}
    assert {s["metric"]["receiver"] for s in panels["Notifications waiting for their receiver"]["result"]} == {"ops"}


# --- (c) A broken definition is named with its file and place -------------------------------

def test_a_broken_definition_is_listed_with_its_file_and_place(make_broker, tmp_path):
    folder = tmp_path / "dashboards"
    folder.mkdir()
    for name in SHIPPED:
        shutil.copy(DASHBOARDS / f"{name}.json", folder)
    broken = definition("hosts")
    broken["panels"][2]["type"] = "pie"
    (folder / "pie.json").write_text(json.dumps(broken))
    undeclared = definition("logs-overview")
    undeclared["panels"][1]["query"] = 'sum(count_over_time({host="$server"}[1h]))'
    (folder / "undeclared.json").write_text(json.dumps(undeclared))
    (folder / "truncated.json").write_text((DASHBOARDS / "pipeline-health.json").read_text()[:200])
    config = tmp_path / "sluice.yml"
    config.write_text(yaml.safe_dump({"ui": {"dashboards": str(folder)}, "alerting": {"rule_files": []}}))
    broker = make_broker("--config", str(config))

    listed = {entry["name"]: entry for entry in ok(broker, "/api/sluice/v1/dashboards", {}, "the list")}
    assert sorted(listed) == sorted(SHIPPED + ["pie", "undeclared", "truncated"])
    problem = {name: entry.get("error") or entry.get("problem") for name, entry in listed.items()}
    for name in SHIPPED:
        assert problem[name] is None, problem[name]
    assert str(folder / "pie.json") in problem["pie"] and "panels[2].type" in problem["pie"] and "'pie'" in problem["pie"]
    assert str(folder / "undeclared.json") in problem["undeclared"] and "panels[1].query" in problem["undeclared"]
    assert "$server" in problem["undeclared"]
    assert str(folder / "truncated.json") in problem["truncated"]
    code, body = get(broker, "/api/sluice/v1/dashboards/pie", {})
    assert code == 400 and "panels[2].type" in body["error"], body


# --- (d) The Grafana dashboards -------------------------------------------------------------

ALLOWED_DATASOURCES = {"prometheus", "loki"}
DATASOURCE_OF = {"promql": ("prometheus", "${DS_PROMETHEUS}"), "logql": ("loki", "${DS_LOKI}")}


def grafana(name):
    return json.loads((GRAFANA / f"{name}.json").read_text())


def datasource_references(node, path="$"):
    """Every (path, value) of a `datasource` key anywhere in the document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "datasource":
                yield f"{path}.{key}", value
            yield from datasource_references(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from datasource_references(value, f"{path}[{index}]")


def test_grafana_files_are_dashboards_with_only_prometheus_and_loki_sources():
    assert sorted(path.stem for path in GRAFANA.glob("*.json")) == SHIPPED
    for name in SHIPPED:
        document = grafana(name)
        assert isinstance(document["schemaVersion"], int) and document["schemaVersion"] >= 30
        assert document["uid"] and document["title"] == definition(name)["title"]
        assert isinstance(document["templating"]["list"], list)
        inputs = {item["name"]: item for item in document["__inputs"]}
        assert set(inputs) <= {"DS_PROMETHEUS", "DS_LOKI"} and inputs, name
        for item in inputs.values():
            assert item["type"] == "datasource" and item["pluginId"] in ALLOWED_DATASOURCES
        required = {item["id"] for item in document["__requires"] if item["type"] == "datasource"}
        assert required and required <= ALLOWED_DATASOURCES
        assert not [item for item in document["__requires"] if item["type"] not in ("grafana", "datasource", "panel")]
        references = list(datasource_references(document))
        assert references
        for path, reference in references:
            assert isinstance(reference, dict), (name, path, reference)
            assert reference["type"] in ALLOWED_DATASOURCES, (name, path, reference)
            assert reference["uid"] == DATASOURCE_OF["promql" if reference["type"] == "prometheus" else "logql"][1]
            assert reference["uid"].strip("${}") in inputs, (name, path, "an input that is not declared")
        text = (GRAFANA / f"{name}.json").read_text()
        for other in ("-- Grafana --", "-- Mixed --", "-- Dashboard --", "grafana-testdata-datasource"):
            assert other not in text
        for panel in document["panels"]:
            assert panel["type"] in {"timeseries", "stat", "table", "logs"} and panel["title"]
            assert set(panel["gridPos"]) == {"x", "y", "w", "h"}
            assert 0 <= panel["gridPos"]["x"] and panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
            assert panel["datasource"]["type"] in ALLOWED_DATASOURCES
            assert panel["targets"], panel["title"]
            for target in panel["targets"]:
                assert target["refId"] and target["expr"], (name, panel["title"], target)
                assert target["datasource"] == panel["datasource"]
        ids = [panel["id"] for panel in document["panels"]]
        assert len(set(ids)) == len(ids)


def test_grafana_targets_carry_the_definitions_queries():
    for name in SHIPPED:
        sluice = definition(name)
        document = grafana(name)
        assert len(document["panels"]) == len(sluice["panels"])
        for panel, source in zip(document["panels"], sluice["panels"]):
            assert panel["title"] == source["title"]
            [target] = panel["targets"]
            assert target["expr"] == source["query"]
            assert target.get("legendFormat", "") == source.get("legend", "")
            kind, uid = DATASOURCE_OF[source.get("language", "promql")]
            assert panel["datasource"] == {"type": kind, "uid": uid}
        variables = {variable["name"]: variable for variable in document["templating"]["list"]}
        assert set(variables) == {variable["name"] for variable in sluice.get("variables", [])}
        for variable in sluice.get("variables", []):
            values = variable["values"]
            assert variables[variable["name"]]["definition"] == f"label_values({values['match']}, {values['label']})"
    done = subprocess.run([sys.executable, str(GENERATE), "--check"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_generate_check_fails_on_a_stale_grafana_file(tmp_path):
    copy = tmp_path / "dashboards"
    shutil.copytree(DASHBOARDS, copy)
    check = [sys.executable, str(copy / "grafana" / "generate.py"), "--check"]
    assert subprocess.run(check, capture_output=True, timeout=60).returncode == 0
    edited = definition("hosts")
    edited["panels"][0]["query"] = "42"
    (copy / "hosts.json").write_text(json.dumps(edited))
    done = subprocess.run(check, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "hosts.json" in done.stderr, done.stderr
    subprocess.run([sys.executable, str(copy / "grafana" / "generate.py")], check=True, capture_output=True, timeout=60)
    assert subprocess.run(check, capture_output=True, timeout=60).returncode == 0
    assert json.loads((copy / "grafana" / "hosts.json").read_text())["panels"][0]["targets"][0]["expr"] == "42"
    (copy / "grafana" / "stray.json").write_text("{}")
    assert subprocess.run(check, capture_output=True, timeout=60).returncode == 1


def test_grafana_targets_run_through_the_matching_api(appliance):
    now = time.time()
    for name in SHIPPED:
        document = grafana(name)
        values = {}
        for variable in document["templating"]["list"]:
            match = re.fullmatch(r"label_values\((.+), (\w+)\)", variable["definition"])
            assert match, variable["definition"]
            found = ok(appliance, f"/api/v1/label/{match.group(2)}/values", {"match[]": match.group(1)}, variable["name"])
            assert HOST in found
            values[variable["name"]] = HOST
        for panel in document["panels"]:
            for target in panel["targets"]:
                expr = substitute(target["expr"], values)
                if target["datasource"]["type"] == "prometheus":
                    data = ok(appliance, "/api/v1/query_range",
                              {"query": expr, "start": now - 3600, "end": now, "step": STEP}, panel["title"])
                    assert data["resultType"] == "matrix"
                else:
                    data = ok(appliance, "/loki/api/v1/query_range",
                              {"query": expr, "start": int((now - 3600) * 1e9), "end": int(now * 1e9), "step": STEP,
                               "limit": target.get("maxLines", 100)}, panel["title"])
                    assert data["resultType"] == ("streams" if panel["type"] == "logs" else "matrix")
                assert has_data(data), f"{name}: Grafana panel {panel['title']!r} ({expr}) has no data"
