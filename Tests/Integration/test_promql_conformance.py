"""PromQL conformance: Sluice's answers equal Debian's Prometheus on the same samples.

promql_corpus generates ~440 series over two hours (counters with resets, gauges,
silences longer than the lookback, a host starting late and one stopping early). They are
back-filled into Prometheus with `promtool tsdb create-blocks-from openmetrics`, and
produced to Sluice's `metrics` topic as metric batches with confluent-kafka. Every query of
the corpus is then asked of both over the same HTTP API (/api/v1/query and
/api/v1/query_range); results must have the same type, the same label sets, the same
timestamps, and values equal within 1e-9 relative. A query Prometheus refuses must be
refused by Sluice too.
"""
import math

import pytest
from confluent_kafka import Producer

import promql_corpus as corpus
from conftest import Broker
from prometheus_support import Prometheus, query, wait_until

RELATIVE = 1e-9


@pytest.fixture(scope="module")
def samples():
    return corpus.generate()


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory, samples):
    series, _ = samples
    server = Prometheus(tmp_path_factory.mktemp("prometheus")).backfill(corpus.openmetrics(series)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def sluice(tmp_path_factory, samples):
    series, batches = samples
    broker = Broker(tmp_path_factory.mktemp("sluice") / "data").start()
    producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 5, "compression.type": "zstd"})
    for host, t_ms, batch in batches:
        producer.produce("metrics", key=host.encode(), value=corpus.batch_json(host, t_ms, batch), timestamp=t_ms)
        producer.poll(0)
    assert producer.flush(60) == 0
    # The last batch's series are the last ones ingested: wait until all of them are in.
    host, t_ms, batch = batches[-1]
    expected = sum(len(points) for (name, labels), points in series.items()
                   if name == "temperature_celsius" and ("host", host) in labels)

    def ingested():
        status, body = query(broker.http, "query", query=f'sum(count_over_time(temperature_celsius{{host="{host}"}}[1d]))',
                             time=t_ms / 1000)
        result = body.get("data", {}).get("result", []) if status == 200 else []
        return result and float(result[0]["value"][1]) == expected

    wait_until(ingested, timeout=120, what="Sluice to ingest every batch")
    yield broker
    assert broker.stop() == 0, broker.log()


def _close(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= RELATIVE * max(abs(a), abs(b)) or abs(a - b) < 1e-300


def _value(text):
    return float(text)  # "NaN", "+Inf", "-Inf" included


def _key(metric):
    return tuple(sorted(metric.items()))


def _compare(expected, actual, query_text):
    assert actual["status"] == "success", f"{query_text}: Sluice refused it: {actual}"
    want, got = expected["data"], actual["data"]
    assert got["resultType"] == want["resultType"], query_text
    kind = want["resultType"]
    if kind in ("scalar", "string"):
        assert got["result"][0] == pytest.approx(want["result"][0]), query_text
        if kind == "scalar":
            assert _close(_value(want["result"][1]), _value(got["result"][1])), (query_text, want, got)
        else:
            assert want["result"][1] == got["result"][1], query_text
        return
    want_series = {_key(s["metric"]): s for s in want["result"]}
    got_series = {_key(s["metric"]): s for s in got["result"]}
    assert len(got_series) == len(got["result"]), f"{query_text}: Sluice returned one label set twice"
    missing = set(want_series) - set(got_series)
    extra = set(got_series) - set(want_series)
    assert not missing and not extra, f"{query_text}: missing {sorted(missing)[:3]}, extra {sorted(extra)[:3]}"
    for key, series in want_series.items():
        if kind == "vector":
            (wt, wv), (gt, gv) = series["value"], got_series[key]["value"]
            assert wt == pytest.approx(gt), (query_text, key)
            assert _close(_value(wv), _value(gv)), f"{query_text} {key}: Prometheus {wv}, Sluice {gv}"
        else:
            wpoints, gpoints = series["values"], got_series[key]["values"]
            assert [p[0] for p in gpoints] == pytest.approx([p[0] for p in wpoints]), (query_text, key)
            for (t, wv), (_, gv) in zip(wpoints, gpoints):
                assert _close(_value(wv), _value(gv)), f"{query_text} {key} at {t}: Prometheus {wv}, Sluice {gv}"


def _ask_both(prometheus, sluice, path, **params):
    want_status, want = query(prometheus.url, path, **params)
    got_status, got = query(sluice.http, path, **params)
    if want.get("status") != "success":
        assert got.get("status") == "error" and got_status == want_status, \
            f"{params['query']}: Prometheus refused it ({want}), Sluice answered {got_status} {got}"
        return
    _compare(want, got, f"{params['query']} {params}")


def test_the_corpus_is_large_enough(samples):
    series, _ = samples
    assert len(series) >= 300
    assert len(corpus.INSTANT) + len(corpus.RANGE) >= 60
    # Prometheus answers most of the corpus with data: the corpus exercises values, not only empty results.


@pytest.mark.parametrize("text,time_s", corpus.INSTANT, ids=[f"{q}@{t}" for q, t in corpus.INSTANT])
def test_instant_query(prometheus, sluice, text, time_s):
    _ask_both(prometheus, sluice, "query", query=text, time=time_s)


@pytest.mark.parametrize("text,start,end,step", corpus.RANGE, ids=[q for q, *_ in corpus.RANGE])
def test_range_query(prometheus, sluice, text, start, end, step):
    _ask_both(prometheus, sluice, "query_range", query=text, start=start, end=end, step=step)


def test_most_queries_return_data(prometheus):
    """Guards the corpus itself: an oracle that answers everything with nothing proves little."""
    nonempty = 0
    for text, time_s in corpus.INSTANT:
        status, body = query(prometheus.url, "query", query=text, time=time_s)
        if status == 200 and body["data"]["result"]:
            nonempty += 1
    assert nonempty >= 0.9 * len(corpus.INSTANT)


def test_the_cli_answers_as_the_api(sluice):
    """`sluice metrics query` prints the API's answer (json), one sample per line
    (ndjson), and a readable table (text); a bad query exits non-zero with the reason."""
    import json
    import subprocess
    from conftest import SLUICE
    text = 'sum by (host) (rate(node_network_receive_bytes_total[5m]))'
    at = corpus.INSTANT[0][1]
    _, expected = query(sluice.http, "query", query=text, time=at)
    assert expected["data"]["result"], "the corpus has network counters"
    done = subprocess.run([str(SLUICE), "metrics", "query", text, "--url", sluice.http, "--at", str(at), "--output", "json"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == expected
    done = subprocess.run([str(SLUICE), "metrics", "query", text, "--url", sluice.http, "--at", str(at), "--output", "ndjson"],
                          capture_output=True, text=True)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == len(expected["data"]["result"])
    done = subprocess.run([str(SLUICE), "metrics", "query", text, "--url", sluice.http, "--at", str(at)],
                          capture_output=True, text=True)
    assert done.returncode == 0 and expected["data"]["result"][0]["metric"]["host"] in done.stdout
    done = subprocess.run([str(SLUICE), "metrics", "query", "sum(", "--url", sluice.http], capture_output=True, text=True)
    assert done.returncode != 0 and "parse error" in done.stderr


SERIES_QUERIES = [
    [("match[]", 'node_memory_MemAvailable_bytes')],
    [("match[]", '{__name__=~"node_network_.+", device="lo"}')],
    [("match[]", 'node_load1{host=~"db-.*"}'), ("match[]", 'temperature_celsius{host="web-01"}')],
    [("match[]", 'node_load1'), ("start", str(corpus.START_S + 7200 - 600)), ("end", str(corpus.START_S + 7200))],
]


@pytest.mark.parametrize("params", SERIES_QUERIES, ids=[str(p) for p in SERIES_QUERIES])
def test_series_labels_and_values_equal_prometheus(prometheus, sluice, params):
    """`/api/v1/series`, `/labels` and `/label/host/values` with the same match[] and range."""
    import urllib.parse
    from prometheus_support import http_json
    encoded = urllib.parse.urlencode(params)
    for path in ("series", "labels", "label/host/values"):
        want_status, want = http_json(f"{prometheus.url}/api/v1/{path}?{encoded}")
        got_status, got = http_json(f"{sluice.http}/api/v1/{path}?{encoded}")
        assert (got_status, got["status"]) == (want_status, want["status"]) == (200, "success"), (path, got)
        if path == "series":
            assert sorted(map(_key, got["data"])) == sorted(map(_key, want["data"])), path
        else:
            assert got["data"] == want["data"], (path, params)
