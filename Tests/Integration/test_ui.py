"""The web UI in a real headless Chromium (Debian's chromium and chromedriver, driven by
Selenium) against the real `sluice serve`, fed by the real `sluice-agent` (host metrics of
this machine), by Loki's push API (log lines) and by a Kafka producer (a gauge that
crosses an alert rule's threshold).

Every page must load with no console error; Explore must show the lines a query matches,
with the matches highlighted, and their histogram; the host view must draw non-empty
charts; a firing alert must appear on the Alerts page; every shipped dashboard must render
every panel. Screenshots of each page are written to `.build-ui-screenshots/` in the
repository (or to $SLUICE_UI_SCREENSHOTS), named after the test and page.
"""
import json
import time
import urllib.parse
import urllib.request

import pytest
import yaml
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from agent_support import Agent
from conftest import REPO, Broker
from feeds import GaugeFeeder, push_logs
from prometheus_support import http_json
from ui_support import Browser, wait_for

PAGES = ["explore", "metrics", "hosts", "alerts", "dashboards", "status"]
HOST = "ui-host"
RULE = "UITestQueueDeep"


def queue_feeder(bootstrap):
    """`uitest_queue_depth{host="gauge-host", queue="orders"}`: 1 until the test raises it
    to 50 (the rule fires above 10)."""
    return GaugeFeeder(bootstrap, "uitest_queue_depth", "gauge-host", {"queue": "orders"}, 1.0)


def loki_lines(http, query):
    url = http + "/loki/api/v1/query_range?" + urllib.parse.urlencode(
        {"query": query, "start": str(time.time_ns() - 3600 * 10**9), "end": str(time.time_ns() + 10**9), "limit": "1000"})
    code, body = http_json(url)
    assert code == 200, body
    return [value[1] for stream in body["data"]["result"] for value in stream["values"]]


LOG_LINES = [
    ({"job": "uitest", "level": "error"}, "payment gateway timeout order=17"),
    ({"job": "uitest", "level": "info"}, "order 18 accepted"),
    ({"job": "uitest", "level": "error"}, "inventory timeout while reserving order=19"),
    ({"job": "uitest", "level": "warn"}, "slow response 1200ms"),
    ({"job": "uitest", "level": "error"}, "database timeout after 30s"),
    ({"job": "uitest", "level": "info"}, "order 20 shipped"),
]


@pytest.fixture(scope="module")
def appliance(tmp_path_factory):
    """The appliance serving the UI from the source tree and the shipped dashboards, with
    a rule on the gauge, the real agent shipping this machine's host metrics, and logs."""
    root = tmp_path_factory.mktemp("ui")
    rules = root / "rules.yml"
    rules.write_text(yaml.safe_dump({"groups": [{"name": "uitest", "interval": "250ms", "rules": [
        {"alert": RULE, "expr": "uitest_queue_depth > 10", "for": "1s",
         "labels": {"severity": "page"}, "annotations": {"summary": "queue {{ $labels.queue }} is deep"}}]}]}))
    config = root / "sluice.yml"
    config.write_text(yaml.safe_dump({
        "ui": {"directory": str(REPO / "Sources" / "HTTPAPI" / "UI"), "dashboards": str(REPO / "dashboards")},
        "alerting": {"rule_files": [str(rules)], "evaluation_interval": "250ms"}}))
    broker = Broker(root / "data", "--config", str(config)).start()
    agent = Agent(root / "agent", {
        "host": HOST,
        "kafka": {"bootstrap": broker.bootstrap},
        "inputs": [{"type": "host_metrics", "name": "host", "interval": "1s"}]}).start()
    feeder = queue_feeder(broker.bootstrap)
    push_logs(broker.http, LOG_LINES)
    try:
        wait_for(lambda: len(loki_lines(broker.http, '{job="uitest"}')) == len(LOG_LINES), what="the pushed lines")
        # Rates need two samples of every counter: wait for a CPU rate of this host.
        wait_for(lambda: instant(broker.http, f'rate(node_cpu_seconds_total{{host="{HOST}"}}[1m])'),
                 what="host metrics from the agent")
        yield broker, feeder
    finally:
        feeder.stop()
        agent.stop()
        code = broker.stop()
        assert code == 0, f"sluice serve exited with {code}:\n{broker.log()}"


def instant(http, query):
    code, body = http_json(http + "/api/v1/query?" + urllib.parse.urlencode({"query": query}))
    assert code == 200, body
    return body["data"]["result"]


@pytest.fixture(scope="module")
def browser(appliance):
    broker, _ = appliance
    opened = Browser(broker.http)
    yield opened
    opened.quit()


def page_ready(browser, page):
    """The page's section is shown and nothing in it is still loading."""
    sections = browser.find(f"section#page-{page}")
    if not sections or not sections[0].is_displayed():
        return False
    return not browser.find(f"section#page-{page} .loading")


def set_text(element, text):
    element.click()
    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(Keys.DELETE)
    element.send_keys(text)


@pytest.mark.parametrize("page", PAGES)
def test_each_page_loads_without_console_errors(browser, page):
    browser.open(page)
    wait_for(lambda: page_ready(browser, page), what=f"the {page} page")
    time.sleep(1)  # late requests and their errors
    errors = browser.console_errors()
    browser.screenshot(f"page-{page}")
    assert errors == [], f"console errors on {page}: {errors}"
    # The navigation reaches every page from this one.
    links = {link.get_attribute("data-page") for link in browser.find("a[data-page]")}
    assert set(PAGES) <= links


def test_explore_shows_matching_lines_highlighted_and_their_histogram(browser, appliance):
    broker, _ = appliance
    query = '{job="uitest"} |= "timeout"'
    expected = [line for line in loki_lines(broker.http, query)]
    assert len(expected) == 3
    browser.open("explore")
    wait_for(lambda: page_ready(browser, "explore"), what="the explore page")
    Select(browser.one("#range")).select_by_value("1h")
    set_text(browser.one("#logql"), query)
    browser.one("#run").click()

    def shown():
        rows = browser.find("#lines .line")
        return rows if len(rows) == len(expected) else None
    rows = wait_for(shown, what="three matching lines")
    texts = sorted(row.find_element(By.CSS_SELECTOR, ".text").text for row in rows)
    assert texts == sorted(expected)
    for row in rows:
        marks = row.find_elements(By.CSS_SELECTOR, ".text mark")
        assert [mark.text for mark in marks] == ["timeout"]
        assert "uitest" in row.find_element(By.CSS_SELECTOR, ".labels").text
    bars = wait_for(lambda: [bar for bar in browser.find("#histogram svg rect.bar")
                             if float(bar.get_attribute("height") or 0) > 0], what="histogram bars")
    assert bars
    counted = sum(int(float(bar.get_attribute("data-count") or 0)) for bar in browser.find("#histogram svg rect.bar"))
    assert counted == len(expected)
    browser.screenshot("explore-query")

    # The export links carry the current query, and the export has the same lines.
    href = browser.one("#export-ndjson").get_attribute("href")
    assert urllib.parse.parse_qs(urllib.parse.urlparse(href).query)["query"] == [query]
    with urllib.request.urlopen(href, timeout=30) as response:
        exported = [json.loads(line) for line in response.read().decode().splitlines() if line]
    assert sorted(record["line"] for record in exported) == sorted(expected)
    assert browser.console_errors() == []


def test_explore_shows_the_apis_error_as_it_is(browser, appliance):
    broker, _ = appliance
    bad = '{job="uitest"} |~ "(unclosed"'
    code, body = http_json(broker.http + "/loki/api/v1/query_range?" + urllib.parse.urlencode({"query": bad}))
    assert code == 400
    browser.open("explore")
    wait_for(lambda: page_ready(browser, "explore"), what="the explore page")
    set_text(browser.one("#logql"), bad)
    browser.one("#run").click()
    shown = wait_for(lambda: [e.text for e in browser.find("section#page-explore .error") if e.text.strip()],
                     what="the error message")
    message = body.get("error") or body.get("message")
    assert any(message in text for text in shown), (message, shown)
    browser.screenshot("explore-error")


def test_live_tail_appends_new_lines(browser, appliance):
    broker, _ = appliance
    browser.open("explore")
    wait_for(lambda: page_ready(browser, "explore"), what="the explore page")
    set_text(browser.one("#logql"), '{job="uitest-tail"}')
    browser.one("#tail").click()
    time.sleep(1)
    push_logs(broker.http, [({"job": "uitest-tail"}, "tailed line one")])
    wait_for(lambda: any("tailed line one" in row.text for row in browser.find("#lines .line")), what="the first tailed line")
    push_logs(broker.http, [({"job": "uitest-tail"}, "tailed line two")])
    wait_for(lambda: any("tailed line two" in row.text for row in browser.find("#lines .line")), what="the second tailed line")
    browser.one("#tail").click()
    browser.screenshot("explore-tail")


def nonempty_paths(browser, css):
    return [path for path in browser.find(css) if len((path.get_attribute("d") or "").strip()) > 10]


def test_metrics_page_charts_a_promql_query(browser):
    browser.open("metrics")
    wait_for(lambda: page_ready(browser, "metrics"), what="the metrics page")
    set_text(browser.one("#promql"), f'node_load1{{host="{HOST}"}}')
    browser.one("#metrics-run").click()
    wait_for(lambda: nonempty_paths(browser, "#metrics-chart svg path.series"), what="a drawn series")
    browser.screenshot("metrics-query")
    assert browser.console_errors() == []


def test_host_view_draws_non_empty_charts(browser):
    browser.open("hosts")
    wait_for(lambda: page_ready(browser, "hosts"), what="the hosts page")
    select = Select(browser.one("#host"))
    wait_for(lambda: HOST in [option.get_attribute("value") for option in select.options], what="the agent's host")
    select.select_by_value(HOST)
    for chart in ("cpu", "memory", "load", "network", "disk"):
        wait_for(lambda: nonempty_paths(browser, f"#chart-{chart} svg path.series"), what=f"the {chart} chart")
    browser.screenshot("hosts")
    assert browser.console_errors() == []


def test_a_firing_alert_appears_on_the_alerts_page(browser, appliance):
    broker, feeder = appliance
    feeder.value = 50.0
    wait_for(lambda: any(a["labels"]["alertname"] == RULE and a["state"] == "firing"
                         for a in http_json(broker.http + "/api/v1/alerts")[1]["data"]["alerts"]),
             what="the rule firing in the API")
    browser.open("alerts")
    wait_for(lambda: page_ready(browser, "alerts"), what="the alerts page")
    row = wait_for(lambda: [r for r in browser.find("#alerts-active tr.alert") if RULE in r.text], what="the firing alert")[0]
    assert "firing" in row.text.lower()
    assert "orders" in row.text  # its labels
    assert "50" in row.text      # its value
    wait_for(lambda: RULE in browser.one("#rules").text, what="the rule in the rules list")
    wait_for(lambda: RULE in browser.one("#history").text, what="the transition in the history")
    browser.screenshot("alerts-firing")
    assert browser.console_errors() == []


def test_backtest_form_shows_transitions(browser, appliance):
    broker, feeder = appliance
    feeder.value = 50.0
    wait_for(lambda: instant(broker.http, "uitest_queue_depth > 10"), what="the gauge above the threshold")
    browser.open("alerts")
    wait_for(lambda: page_ready(browser, "alerts"), what="the alerts page")
    rule_file = yaml.safe_dump({"groups": [{"name": "backtest", "interval": "1s", "rules": [
        {"alert": "BacktestDeep", "expr": "uitest_queue_depth > 10", "for": "0s"}]}]})
    set_text(browser.one("#replay-rule"), rule_file)
    start = time.strftime("%Y-%m-%dT%H:%M", time.localtime(time.time() - 3600))
    end = time.strftime("%Y-%m-%dT%H:%M", time.localtime(time.time() + 120))
    for css, value in (("#replay-from", start), ("#replay-to", end)):
        field = browser.one(css)
        browser.driver.execute_script(
            "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
            "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));", field, value)
    browser.one("#replay-run").click()
    rows = wait_for(lambda: [r for r in browser.find("#replay-transitions tr") if "BacktestDeep" in r.text],
                    what="backtest transitions")
    assert any("firing" in row.text.lower() for row in rows)
    wait_for(lambda: nonempty_paths(browser, "#replay-chart svg path.series"), what="the backtest chart")
    browser.screenshot("alerts-backtest")


def shipped_dashboards():
    return sorted(path.stem for path in (REPO / "dashboards").glob("*.json"))


@pytest.mark.parametrize("name", shipped_dashboards())
def test_a_dashboard_renders_every_panel(browser, appliance, name):
    broker, _ = appliance
    definition = json.loads((REPO / "dashboards" / f"{name}.json").read_text())
    browser.open(f"dashboards/{name}")

    def settled():
        panels = browser.find("section#page-dashboards .panel")
        states = [panel.get_attribute("data-state") for panel in panels]
        return panels if len(panels) == len(definition["panels"]) and all(s in ("ok", "empty", "error") for s in states) else None
    panels = wait_for(settled, what=f"every panel of {name}")
    broken = [(panel.find_element(By.CSS_SELECTOR, ".panel-title").text if panel.find_elements(By.CSS_SELECTOR, ".panel-title") else "?",
               panel.text) for panel in panels if panel.get_attribute("data-state") == "error"]
    assert broken == []
    drawn = [panel for panel in panels if panel.get_attribute("data-state") == "ok"]
    assert drawn, f"no panel of {name} has data"
    browser.screenshot(f"dashboard-{name}")
    assert browser.console_errors() == []


def test_status_page_lists_topics_consumers_and_the_agent(browser):
    browser.open("status")
    wait_for(lambda: page_ready(browser, "status"), what="the status page")
    wait_for(lambda: "metrics" in browser.one("#topics").text and "logs" in browser.one("#topics").text, what="the topics")
    wait_for(lambda: HOST in browser.one("#agents").text, what="the agent")
    assert browser.one("#consumers").text.strip()
    browser.screenshot("status")
    assert browser.console_errors() == []


def test_the_binary_serves_its_own_copy_of_the_ui(tmp_path):
    """Without ui.directory, `/` is the index.html SwiftPM copied beside the executable."""
    broker = Broker(tmp_path / "data").start()
    try:
        with urllib.request.urlopen(broker.http + "/", timeout=30) as response:
            served = response.read()
        assert served == (REPO / "Sources" / "HTTPAPI" / "UI" / "index.html").read_bytes()
    finally:
        assert broker.stop() == 0


def test_a_link_restores_the_query_range_and_option(browser, appliance):
    """The URL carries a query page's state: opening it runs the query with its range and
    the page's own option (Explore's line limit, Metrics' unit)."""
    broker, _ = appliance
    query = '{job="uitest"} |= "timeout"'
    expected = sorted(loki_lines(broker.http, query))
    browser.open("explore?" + urllib.parse.urlencode({"query": query, "range": "6h", "limit": "100"}))
    rows = wait_for(lambda: (lambda r: r if len(r) == len(expected) else None)(browser.find("#lines .line")), what="the linked query's lines")
    assert sorted(row.find_element(By.CSS_SELECTOR, ".text").text for row in rows) == expected
    assert browser.one("#logql").get_attribute("value") == query
    assert (browser.one("#range").get_attribute("value"), browser.one("#limit").get_attribute("value")) == ("6h", "100")

    browser.open("metrics?" + urllib.parse.urlencode({"query": f'node_load1{{host="{HOST}"}}', "range": "15m", "unit": "short"}))
    wait_for(lambda: nonempty_paths(browser, "#metrics-chart svg path.series"), what="the linked query's chart")
    assert browser.one("#metrics-unit").get_attribute("value") == "short"
    assert browser.console_errors() == []
