"""Alerting end to end: samples produced over Kafka cross a rule's threshold, and the
notification reaches a webhook (Alertmanager's version-4 payload), a real Alertmanager
(Debian's prometheus-alertmanager, checked through its own API), and a receiver that was
down for a while. And one path from a raw line to a notification: an agent tails a file,
a logs-to-metrics step counts its error lines, the count crosses a rule, the webhook hears.
"""
import json
import re
import subprocess
import time
import urllib.parse
from pathlib import Path

import yaml
from confluent_kafka import Producer

from agent_support import Agent
from conftest import SLUICE
from feeds import GaugeFeeder
from prometheus_support import Alertmanager, WebhookReceiver, http_json, wait_until

# Bodies Alertmanager 0.25 itself sent to a webhook receiver (the same as NotifierTests.swift).
REFERENCE = Path(__file__).resolve().parent / "reference"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def write_rules(path: Path, expr: str, for_="1s", keep_firing_for=None):
    rule = {"alert": "E2EHot", "expr": expr, "for": for_, "labels": {"severity": "page"},
            "annotations": {"summary": "{{ $labels.host }} is at {{ $value }}"}}
    if keep_firing_for:
        rule["keep_firing_for"] = keep_firing_for
    path.write_text(yaml.safe_dump({"groups": [{"name": "e2e", "interval": "250ms", "rules": [rule]}]}))
    done = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return path


def serve_config(tmp_path: Path, rules: Path, webhooks=(), alertmanagers=(), extra=None):
    config = {"alerting": {"rule_files": [str(rules)], "evaluation_interval": "250ms",
                           "external_url": "http://sluice.test:8080",
                           "webhooks": [{"url": url} for url in webhooks],
                           "alertmanagers": [{"url": url} for url in alertmanagers],
                           "retry_initial_backoff": "200ms", "retry_max_backoff": "1s"}}
    config.update(extra or {})
    path = tmp_path / "sluice.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def temperature_feeder(bootstrap, value=20.0):
    """`e2e_temperature_celsius{host="alert-host", sensor="cpu"}` every 250 ms at now."""
    return GaugeFeeder(bootstrap, "e2e_temperature_celsius", "alert-host", {"sensor": "cpu"}, value)


def validate_v4(body, status):
    """Checks a webhook body field by field against Alertmanager's own (reference file)."""
    reference = json.loads((REFERENCE / f"alertmanager-webhook-v4-{status}.json").read_text())
    assert set(body) == set(reference), f"fields differ: {sorted(set(body) ^ set(reference))}"
    assert body["version"] == "4" and body["status"] == status
    assert isinstance(body["truncatedAlerts"], int) and isinstance(body["groupKey"], str)
    for alert in body["alerts"]:
        assert set(alert) == set(reference["alerts"][0])
        assert alert["status"] == status
        assert re.fullmatch(r"[0-9a-f]{16}", alert["fingerprint"])
        assert RFC3339.match(alert["startsAt"]), alert["startsAt"]
        if status == "firing":
            assert alert["endsAt"] == "0001-01-01T00:00:00Z"
        else:
            assert RFC3339.match(alert["endsAt"]) and alert["endsAt"] >= alert["startsAt"]
        assert alert["generatorURL"].startswith("http://sluice.test:8080/")
    for key in ("groupLabels", "commonLabels", "commonAnnotations"):
        assert isinstance(body[key], dict)


def notifications(receiver, status=None, alertname="E2EHot"):
    return [body for _, body in receiver.bodies
            if any(a["labels"].get("alertname") == alertname for a in body["alerts"])
            and (status is None or body["status"] == status)]


def test_webhook_and_alertmanager_receive_the_alert_and_its_resolution(make_broker, tmp_path):
    hook = WebhookReceiver().start()
    am_hook = WebhookReceiver().start()
    alertmanager = Alertmanager(tmp_path, am_hook.url).start()
    rules = write_rules(tmp_path / "rules.yml", "e2e_temperature_celsius > 50")
    broker = make_broker("--config", str(serve_config(tmp_path, rules, [hook.url], [alertmanager.url])))
    feeder = temperature_feeder(broker.bootstrap)
    try:
        time.sleep(1)
        assert notifications(hook) == []
        feeder.value = 75.5
        wait_until(lambda: notifications(hook, "firing"), timeout=30, what="the firing webhook")
        body = notifications(hook, "firing")[0]
        validate_v4(body, "firing")
        alert = body["alerts"][0]
        assert alert["labels"] == {"alertname": "E2EHot", "host": "alert-host", "sensor": "cpu", "severity": "page"}
        assert alert["annotations"]["summary"] == "alert-host is at 75.5"

        # Alertmanager holds it and shows it through its own API, and notifies its webhook.
        shown = wait_until(lambda: [a for a in alertmanager.alerts() if a["labels"].get("alertname") == "E2EHot"],
                           timeout=30, what="Alertmanager to show the alert")
        assert shown[0]["labels"]["host"] == "alert-host" and shown[0]["status"]["state"] == "active"
        wait_until(lambda: notifications(am_hook, "firing"), timeout=30, what="Alertmanager's own webhook")

        # Sluice lists it too.
        status, answer = http_json(broker.http + "/api/v1/alerts")
        assert status == 200 and answer["data"]["alerts"][0]["state"] == "firing"
        listed = subprocess.run([str(SLUICE), "alerts", "list", "--url", broker.http], capture_output=True, text=True)
        assert listed.returncode == 0 and "E2EHot" in listed.stdout and "firing" in listed.stdout, listed

        feeder.value = 20
        wait_until(lambda: notifications(hook, "resolved"), timeout=30, what="the resolved webhook")
        validate_v4(notifications(hook, "resolved")[0], "resolved")
        wait_until(lambda: notifications(am_hook, "resolved"), timeout=30, what="Alertmanager's resolution")
        assert len(notifications(hook, "firing")) == 1
    finally:
        feeder.stop()
        alertmanager.stop()
        hook.stop()
        am_hook.stop()


def test_a_receiver_that_was_down_gets_the_notification_once(make_broker, tmp_path):
    hook = WebhookReceiver()  # port chosen, nothing listening yet
    rules = write_rules(tmp_path / "rules.yml", "e2e_temperature_celsius > 50")
    broker = make_broker("--config", str(serve_config(tmp_path, rules, [hook.url])))
    feeder = temperature_feeder(broker.bootstrap)
    try:
        feeder.value = 90
        wait_until(lambda: "E2EHot" in json.dumps(http_json(broker.http + "/api/v1/alerts")[1]), timeout=30,
                   what="the alert to fire")
        time.sleep(3)  # several failed attempts
        hook.start()
        wait_until(lambda: notifications(hook, "firing"), timeout=30, what="the late receiver to be notified")
        time.sleep(3)
        assert len(notifications(hook, "firing")) == 1
        validate_v4(notifications(hook, "firing")[0], "firing")
    finally:
        feeder.stop()
        hook.stop()


def test_a_raw_line_becomes_a_notification(make_broker, tmp_path):
    hook = WebhookReceiver().start()
    rules = write_rules(tmp_path / "rules.yml", "sum by (host) (app_errors_total) >= 5", for_="0s")
    pipelines = {"pipelines": [{"name": "logs", "topics": ["logs"], "steps": [
        {"type": "parse", "format": "auto"},
        {"type": "level"},
        {"type": "metric", "name": "app_errors_total", "kind": "counter",
         "when": {"field": "level", "equals": "error"}, "labels": ["host"]},
    ]}]}
    broker = make_broker("--config", str(serve_config(tmp_path, rules, [hook.url], extra=pipelines)))
    log = tmp_path / "app.log"
    log.write_text("")
    agent = Agent(tmp_path / "agent", {
        "host": "line-host",
        "kafka": {"bootstrap": broker.bootstrap, "linger": "5ms"},
        "inputs": [{"type": "file", "name": "app", "paths": [str(log)], "start_at": "beginning"}],
    }).start()
    try:
        with log.open("a") as out:
            for n in range(4):
                out.write(f"level=error msg=\"payment failed\" n={n}\n")
        time.sleep(12)  # the metric is published (every 10 s) below the threshold
        assert notifications(hook) == []
        with log.open("a") as out:
            out.write("level=info msg=\"all good\"\n")
            out.write("level=error msg=\"payment failed\" n=4\n")
        wait_until(lambda: notifications(hook, "firing"), timeout=60, what="the alert from log lines")
        alert = notifications(hook, "firing")[0]["alerts"][0]
        assert alert["labels"]["host"] == "line-host" and alert["labels"]["alertname"] == "E2EHot"
        assert alert["annotations"]["summary"] == "line-host is at 5"
    finally:
        agent.stop()
        hook.stop()


ROOT = Path(__file__).resolve().parents[2]


def test_the_default_rule_files_pass_promtool_and_load_in_sluice(make_broker, tmp_path):
    files = sorted((ROOT / "etc" / "rules").glob("*.yml"))
    assert len(files) >= 2
    promtool_rules = 0
    for path in files:
        done = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        promtool_rules += int(re.search(r"SUCCESS: (\d+) rules found", done.stdout).group(1))
    config = tmp_path / "sluice.yml"
    config.write_text(yaml.safe_dump({"alerting": {"rule_files": [str(ROOT / "etc" / "rules" / "*.yml")]}}))
    broker = make_broker("--config", str(config))
    status, answer = http_json(broker.http + "/api/v1/rules")
    assert status == 200
    names = [rule["name"] for group in answer["data"]["groups"] for rule in group["rules"]]
    assert len(names) == promtool_rules
    assert {"HighCPU", "LowMemory", "NetworkErrors", "DiskAlmostFull", "AgentSilent", "AgentDataGap"} <= set(names)


def test_agent_silent_finds_the_agent_that_stopped_sending(make_broker, tmp_path):
    """The AgentSilent expression of etc/rules/agents.yml over real ingested samples: an
    agent last heard 20 minutes ago is silent, one heard now is not."""
    rules = yaml.safe_load((ROOT / "etc" / "rules" / "agents.yml").read_text())
    expr = next(r["expr"] for g in rules["groups"] for r in g["rules"] if r.get("alert") == "AgentSilent")
    broker = make_broker()
    producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 5})
    now = int(time.time())
    for host, last in (("quiet-host", now - 1200), ("busy-host", now)):
        for t in range(now - 1800, last + 1, 15):
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
            batch = {"timestamp": stamp, "host": host,
                     "samples": [{"name": "sluice_agent_events_sent_total", "labels": {}, "value": float(t - now + 2000)}]}
            producer.produce("metrics", key=host.encode(), value=json.dumps(batch).encode(), timestamp=t * 1000)
    assert producer.flush(30) == 0

    def silent():
        status, answer = http_json(broker.http + "/api/v1/query?" + urllib.parse.urlencode({"query": expr, "time": now}))
        return status == 200 and [s["metric"] for s in answer["data"]["result"]]

    wait_until(lambda: silent() == [{"host": "quiet-host"}], timeout=30, what="only quiet-host to be silent")


def test_a_restart_while_firing_does_not_notify_again(make_broker, tmp_path):
    hook = WebhookReceiver().start()
    rules = write_rules(tmp_path / "rules.yml", "e2e_temperature_celsius > 50")
    config = serve_config(tmp_path, rules, [hook.url])
    broker = make_broker("--config", str(config))
    feeder = temperature_feeder(broker.bootstrap)
    try:
        feeder.value = 80
        wait_until(lambda: notifications(hook, "firing"), timeout=30, what="the firing webhook")
        feeder.stop()
        assert broker.stop() == 0, broker.log()
        broker.start()
        feeder = temperature_feeder(broker.bootstrap, value=80)
        wait_until(lambda: "firing" in json.dumps(http_json(broker.http + "/api/v1/alerts")[1]), timeout=30,
                   what="the alert to be firing after the restart")
        time.sleep(2)
        assert len(notifications(hook, "firing")) == 1, "the restart notified again"
        feeder.value = 20
        wait_until(lambda: notifications(hook, "resolved"), timeout=30, what="the resolution after the restart")
    finally:
        feeder.stop()
        hook.stop()
