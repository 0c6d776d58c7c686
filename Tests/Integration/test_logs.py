"""End to end for log search: the real `sluice-agent` tails a file into the real
`sluice serve`, whose pipeline parses and indexes the lines, and the Loki API finds them.

Covered: agent → broker → pipeline → store → query_range; restarts of the appliance (SIGTERM
and SIGKILL) lose and duplicate nothing; /push with plain and gzip-compressed JSON; Loki's
error shape with positions for malformed queries; labels endpoints; metric queries; the
streamed export (NDJSON and CSV) against query results; the `sluice logs` CLI.
"""
import csv
import gzip
import io
import json
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from agent_support import Agent, wait_until
from conftest import SLUICE


def get(broker, path, **params):
    """GET on the appliance's HTTP API: (status, parsed JSON or text)."""
    url = broker.http + path + ("?" + urllib.parse.urlencode(params) if params else "")
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        body = error.read()
        status = error.code
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body.decode()


def post(broker, path, body, headers):
    request = urllib.request.Request(broker.http + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def query_lines(broker, query, start_ns, end_ns=None, limit=5000):
    """Every line (with its stream labels) the query returns over the range, oldest first."""
    params = {"query": query, "start": str(start_ns), "limit": str(limit), "direction": "forward"}
    params["end"] = str(end_ns or time.time_ns() + 60 * 10**9)
    status, answer = get(broker, "/loki/api/v1/query_range", **params)
    assert status == 200, answer
    assert answer["status"] == "success"
    assert answer["data"]["resultType"] == "streams"
    entries = []
    for stream in answer["data"]["result"]:
        for ts, line in stream["values"]:
            entries.append((int(ts), line, stream["stream"]))
    return sorted(entries, key=lambda entry: entry[0])


def agent_for(broker, tmp_path, paths):
    return Agent(tmp_path / "agent", {
        "host": "e2e-host",
        "kafka": {"bootstrap": broker.bootstrap, "linger": "5ms"},
        "inputs": [{"type": "file", "name": "app", "paths": [str(path) for path in paths], "start_at": "beginning",
                    "labels": {"service": "checkout"}}],
    })


def test_agent_to_query_range_and_restarts_lose_and_duplicate_nothing(broker, tmp_path):
    log = tmp_path / "app.log"
    started_ns = time.time_ns() - 10**9
    expected = [json.dumps({"level": "error" if n % 10 == 0 else "info", "msg": f"order {n} placed", "n": n}) for n in range(300)]

    def append(lines):
        with open(log, "a") as out:
            for line in lines:
                out.write(line + "\n")

    def found(count, query='{service="checkout"}'):
        return len(query_lines(broker, query, started_ns)) >= count

    append(expected)
    agent = agent_for(broker, tmp_path, [log]).start()
    try:
        wait_until(lambda: found(300), what="300 lines in query_range")
        entries = query_lines(broker, '{service="checkout"}', started_ns)
        # Lines read together share a timestamp; ties are ordered by stream (here: level).
        assert sorted(line for _, line, _ in entries) == sorted(expected)
        labels = next(labels for _, line, labels in entries if line == expected[0])
        assert labels["host"] == "e2e-host"
        assert labels["service"] == "checkout"
        assert labels["source"] == "file"
        assert labels["file"] == str(log)
        assert labels["level"] == "error"
        errors = query_lines(broker, '{service="checkout", level="error"} |= "placed"', started_ns)
        # Parsed fields are structured metadata, part of each result's labels (as in Loki 3),
        # so lines with different fields are different result streams: compare as a set.
        assert sorted(json.loads(line)["n"] for _, line, _ in errors) == list(range(0, 300, 10))
        # Parsed fields are structured metadata: label filters use them without a parser.
        assert len(query_lines(broker, '{service="checkout"} | n >= 290', started_ns)) == 10

        # A line written moments ago is found within seconds.
        fresh = json.dumps({"level": "warn", "msg": "fresh needle-4711"})
        append([fresh])
        expected.append(fresh)
        wait_until(lambda: found(1, '{service="checkout"} |= "needle-4711"'), timeout=30, what="the fresh line")

        # A clean restart, then a SIGKILL, each while lines keep coming: nothing lost,
        # nothing twice (the store's head dies with the process; the commit log has it).
        for round_number, stop in enumerate((broker.stop, broker.kill), start=1):
            stop()
            more = [json.dumps({"level": "info", "msg": f"round {round_number} line {i}", "n": 1000 * round_number + i})
                    for i in range(100)]
            append(more)
            expected += more
            broker.start()
            wait_until(lambda: found(len(expected)), what=f"{len(expected)} lines after restart {round_number}")
            time.sleep(2)  # anything indexed twice would show by now
            lines = [line for _, line, _ in query_lines(broker, '{service="checkout"}', started_ns)]
            assert sorted(lines) == sorted(expected), \
                f"{len(lines)} lines for {len(expected)} written; {len(lines) - len(set(lines))} duplicated"
    finally:
        agent.stop()


def test_push_plain_and_gzip_go_through_the_pipeline(broker):
    now = time.time_ns()
    body = {"streams": [{"stream": {"job": "pushed", "host": "api-7"},
                         "values": [[str(now), 'level=warn msg="disk slow" disk=sda'],
                                    [str(now + 1), "plain words", {"trace_id": "abc123"}]]}]}
    status, answer = post(broker, "/loki/api/v1/push", json.dumps(body).encode(), {"Content-Type": "application/json"})
    assert status == 204, answer
    zipped = {"streams": [{"stream": {"job": "pushed-gzip"}, "values": [[str(now + 2), "compressed line"]]}]}
    status, answer = post(broker, "/loki/api/v1/push", gzip.compress(json.dumps(zipped).encode()),
                          {"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert status == 204, answer
    wait_until(lambda: len(query_lines(broker, '{job=~"pushed.*"}', now - 10**9)) == 3, what="pushed lines")
    entries = query_lines(broker, '{job=~"pushed.*"}', now - 10**9)
    assert [(ts, line) for ts, line, _ in entries] == [
        (now, 'level=warn msg="disk slow" disk=sda'), (now + 1, "plain words"), (now + 2, "compressed line")]
    assert entries[0][2]["level"] == "warning", "the pipeline parsed the pushed logfmt line"
    assert entries[0][2]["host"] == "api-7"
    assert len(query_lines(broker, '{job="pushed"} | trace_id="abc123"', now - 10**9)) == 1
    # Bad bodies are refused whole, with Loki's error shape.
    for bad in (b"{", b'{"streams":[{"stream":{"a":"b"},"values":[["notanumber","x"]]}]}', b'{"streams":3}'):
        status, answer = post(broker, "/loki/api/v1/push", bad, {"Content-Type": "application/json"})
        assert status == 400, answer
        assert json.loads(answer)["status"] == "error"
    status, _ = post(broker, "/loki/api/v1/push", b"\x1f\x8bgarbage", {"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert status == 400


@pytest.mark.parametrize("query", [
    '{job="x"',
    '{job="x"} |= ',
    '{job=~"("}',
    'sum by (level) (count_over_time({job="x"}[5m])',
    'rate({job="x"})',
    '{job="x"} | status >>= 5',
])
def test_malformed_queries_get_400_with_a_position(broker, query):
    status, answer = get(broker, "/loki/api/v1/query_range", query=query)
    assert status == 400, answer
    assert answer["status"] == "error"
    assert answer["errorType"] == "bad_data"
    assert "col" in answer["error"] or "position" in answer["error"], answer


def test_limits_answer_with_clear_errors(broker):
    status, answer = get(broker, "/loki/api/v1/query_range", query='{job="x"}', limit="100000")
    assert status == 400 and "limit" in answer["error"]
    status, answer = get(broker, "/loki/api/v1/query_range", query='{job="x"}', start="0", end=str(time.time_ns()))
    assert status == 400 and "time range" in answer["error"]
    status, answer = get(broker, "/loki/api/v1/query", query='{job="x"}')
    assert status == 400 and "instant" in answer["error"]
    status, answer = get(broker, "/loki/api/v1/query_range")
    assert status == 400 and "query" in answer["error"]


def push_lines(broker, stream, lines, start_ns):
    body = {"streams": [{"stream": stream, "values": [[str(start_ns + i * 10**6), line] for i, line in enumerate(lines)]}]}
    status, answer = post(broker, "/loki/api/v1/push", json.dumps(body).encode(), {"Content-Type": "application/json"})
    assert status == 204, answer


def test_labels_metrics_export_and_cli(broker):
    start = (time.time_ns() // 10**9 - 120) * 10**9
    push_lines(broker, {"app": "shop", "host": "h1"}, [f"level=info n={i}" for i in range(60)], start)
    push_lines(broker, {"app": "shop", "host": "h2"}, [f'level=error n={i} msg="a, \\"quoted\\" line"' for i in range(40)], start)
    wait_until(lambda: len(query_lines(broker, '{app="shop"}', start)) == 100, what="pushed lines")

    status, answer = get(broker, "/loki/api/v1/labels", start=str(start))
    assert status == 200 and {"app", "host", "level", "source"} <= set(answer["data"])
    status, answer = get(broker, "/loki/api/v1/label/host/values", start=str(start), query='{app="shop"}')
    assert answer["data"] == ["h1", "h2"]

    end = start + 60 * 10**9
    status, answer = get(broker, "/loki/api/v1/query_range", query='sum by (level) (count_over_time({app="shop"}[2m]))',
                         start=str(start), end=str(end), step="60")
    assert status == 200 and answer["data"]["resultType"] == "matrix"
    totals = {series["metric"]["level"]: series["values"][-1][1] for series in answer["data"]["result"]}
    assert totals == {"info": "60", "error": "40"}
    status, answer = get(broker, "/loki/api/v1/query", query='sum(count_over_time({app="shop"} |= "quoted" [2m]))', time=str(end))
    assert status == 200 and answer["data"]["resultType"] == "vector"
    assert answer["data"]["result"][0]["value"][1] == "40"

    # Export: every entry, same as the query, in NDJSON and CSV.
    expected = [(ts, line) for ts, line, _ in query_lines(broker, '{app="shop"}', start)]
    url = broker.http + "/api/sluice/v1/export?" + urllib.parse.urlencode(
        {"query": '{app="shop"}', "start": str(start), "end": str(time.time_ns() + 10**9), "format": "ndjson"})
    with urllib.request.urlopen(url, timeout=60) as response:
        rows = [json.loads(line) for line in response.read().decode().splitlines()]
    assert len(rows) == 100
    assert [row["line"] for row in rows] == [line for _, line in expected]
    url = url.replace("format=ndjson", "format=csv")
    with urllib.request.urlopen(url, timeout=60) as response:
        table = list(csv.reader(io.StringIO(response.read().decode())))
    assert table[0] == ["timestamp", "labels", "line"]
    assert [row[2] for row in table[1:]] == [line for _, line in expected]

    # The CLI over the same API.
    done = subprocess.run([str(SLUICE), "logs", "query", '{app="shop", host="h2"}', "--from", str(start), "--limit", "5",
                           "--output", "ndjson", "--url", broker.http], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    printed = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(printed) == 5 and all(row["labels"]["host"] == "h2" for row in printed)
    done = subprocess.run([str(SLUICE), "logs", "query", '{app="shop"', "--url", broker.http], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "col" in done.stderr


def test_health_and_metrics(broker):
    # The appliance runs on jemalloc (ARCHITECTURE.md, Decisions) and says so at start.
    assert "allocator: jemalloc 5." in broker.log()
    assert get(broker, "/healthz")[0] == 200
    assert get(broker, "/readyz")[0] == 200
    status, text = get(broker, "/metrics")
    assert status == 200
    for name in ("sluice_pipeline_records_consumed_total", "sluice_store_entries_indexed_total",
                 "sluice_pipeline_consumer_lag_records"):
        assert name in text
