"""Generated samples and PromQL queries for the conformance test against Prometheus.

The same samples go to Prometheus (as OpenMetrics back-filled with promtool) and to
Sluice (as metric batches produced over Kafka). Each host reports all its series at one
timestamp per interval, with per-host jitter, so that a batch holds every series of its
host and Sluice's staleness (a series missing from a host's next batch) never applies:
back-filled Prometheus data has no stale markers either. Counters reset, gauges go
negative and fractional, whole hosts fall silent for longer than the 5-minute lookback,
one host starts late and one stops early.
"""
import json
import math
import random

START_S = 1_700_000_000          # 2023-11-14T22:13:20Z, a multiple of 60 s minus 40 s
INTERVAL_MS = 15_000
DURATION_MS = 2 * 3600 * 1000
HOSTS = [f"web-{n:02d}" for n in range(14)] + [f"db-{n:02d}" for n in range(6)]


def _families():
    """Metric families: (name, type, label sets per host, sample function)."""
    return [
        ("node_cpu_seconds_total", "counter",
         [{"cpu": str(c), "mode": m} for c in range(2) for m in ("idle", "user", "system", "iowait")]),
        ("http_requests_total", "counter",
         [{"path": p, "code": c} for p in ("/", "/api", "/login") for c in ("200", "500")]),
        ("node_memory_MemAvailable_bytes", "gauge", [{}]),
        ("node_memory_MemTotal_bytes", "gauge", [{}]),
        ("node_network_receive_bytes_total", "counter", [{"device": d} for d in ("eth0", "lo")]),
        ("temperature_celsius", "gauge", [{"sensor": s} for s in ("a", "b")]),
    ]


def generate(seed=6):
    """Returns (series, batches): series maps a label tuple to [(t_ms, value)];
    batches is a list of (host, t_ms, [(name, labels, value)]) in time order per host."""
    rng = random.Random(seed)
    families = _families()
    series = {}
    batches = []
    start_ms = START_S * 1000
    for host_index, host in enumerate(HOSTS):
        state = {}
        first = start_ms + (40 * 60 * 1000 if host == "db-05" else 0)          # starts late
        last = start_ms + DURATION_MS - (30 * 60 * 1000 if host == "db-04" else 0)  # stops early
        silences = []
        if host_index % 5 == 1:  # a silence longer than the lookback
            begin = start_ms + rng.randrange(20, 80) * 60 * 1000
            silences.append((begin, begin + rng.randrange(6, 15) * 60 * 1000))
        if host_index % 7 == 3:  # a short one
            begin = start_ms + rng.randrange(10, 100) * 60 * 1000
            silences.append((begin, begin + 2 * 60 * 1000))
        mem_total = float(rng.choice([8, 16, 32, 64]) * 2**30)
        t = first
        while t <= last:
            jittered = t + rng.randrange(0, 2000)
            if any(b <= jittered < e for b, e in silences):
                t += INTERVAL_MS
                continue
            samples = []
            for name, kind, label_sets in families:
                for labels in label_sets:
                    key = (name, host, tuple(sorted(labels.items())))
                    previous = state.get(key)
                    if kind == "counter":
                        if previous is None:
                            value = rng.choice([0.0, rng.uniform(0, 1e6), float(rng.randrange(0, 10**12))])
                        elif rng.random() < 0.004:      # a counter reset (restart)
                            value = rng.uniform(0, 50)
                        else:
                            step = rng.choice([0.0, rng.uniform(0, 30), float(rng.randrange(0, 5000))])
                            value = previous + step
                            if name == "node_cpu_seconds_total":
                                value = round(value, 2)
                    elif name == "node_memory_MemTotal_bytes":
                        value = mem_total
                    elif name == "node_memory_MemAvailable_bytes":
                        value = float(int(mem_total * rng.uniform(0.02, 0.9)))
                    else:
                        value = round(rng.gauss(40 if labels.get("sensor") == "a" else -5, 12), 3)
                    state[key] = value
                    full = dict(labels, host=host)
                    samples.append((name, full, value))
                    series.setdefault((name, tuple(sorted(full.items()))), []).append((jittered, value))
            batches.append((host, jittered, samples))
            t += INTERVAL_MS
    batches.sort(key=lambda b: (b[1], b[0]))
    return series, batches


def _escape(value):
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")


def _number(value):
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(value)


def openmetrics(series):
    """OpenMetrics text for promtool: families contiguous, seconds with milliseconds."""
    lines = []
    for family, kind, _ in _families():
        lines.append(f"# TYPE {family[:-6] if kind == 'counter' else family} {kind}")
        for (name, labels), points in sorted(series.items()):
            if name != family:
                continue
            text = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
            for t_ms, value in points:
                lines.append(f"{name}{{{text}}} {_number(value)} {t_ms // 1000}.{t_ms % 1000:03d}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def batch_json(host, t_ms, samples):
    """A metric batch as SPEC §3 (and sluice-agent) writes it."""
    seconds, millis = divmod(t_ms, 1000)
    import datetime
    stamp = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    out = {"timestamp": f"{stamp}.{millis:03d}Z", "host": host,
           "samples": [{"name": n, "labels": {k: v for k, v in l.items() if k != "host"},
                        "value": v if math.isfinite(v) else _number(v)} for n, l, v in samples]}
    return json.dumps(out, separators=(",", ":")).encode()


def _at(minutes, seconds=0):
    return START_S + minutes * 60 + seconds


# Instant queries: (query, evaluation time in seconds). Times fall inside the data, in
# silences, right at the edges of the lookback, and after the end.
INSTANT = [(q, t) for q in [
    'node_memory_MemAvailable_bytes',
    'node_memory_MemAvailable_bytes{host="web-01"}',
    'node_cpu_seconds_total{mode!="idle",cpu="1"}',
    'node_cpu_seconds_total{host=~"db-.*",mode=~"user|system"}',
    'http_requests_total{code!~"2..",path!="/"}',
    '{__name__=~"node_memory_.*",host="web-03"}',
    'temperature_celsius offset 7m',
    'temperature_celsius offset -3m',
    'rate(http_requests_total[5m])',
    'rate(node_cpu_seconds_total{mode="user"}[1m])',
    'rate(node_network_receive_bytes_total[90s])',
    'irate(http_requests_total[2m])',
    'increase(http_requests_total[10m])',
    'increase(node_cpu_seconds_total{host="db-05"}[1h])',
    'delta(temperature_celsius[10m])',
    'idelta(temperature_celsius[1m])',
    'deriv(temperature_celsius[15m])',
    'changes(temperature_celsius[10m])',
    'resets(http_requests_total[1h])',
    'avg_over_time(temperature_celsius[10m])',
    'min_over_time(temperature_celsius[10m])',
    'max_over_time(temperature_celsius[10m])',
    'sum_over_time(temperature_celsius[3m])',
    'count_over_time(temperature_celsius[7m])',
    'last_over_time(node_memory_MemAvailable_bytes[20m])',
    'stddev_over_time(temperature_celsius[30m])',
    'stdvar_over_time(temperature_celsius[30m])',
    'quantile_over_time(0.9, temperature_celsius[30m])',
    'present_over_time(temperature_celsius[1m])',
    'sum(rate(http_requests_total[5m]))',
    'sum by (host) (rate(http_requests_total[5m]))',
    'sum without (code) (rate(http_requests_total[5m]))',
    'avg by (mode) (rate(node_cpu_seconds_total[5m]))',
    'min by (path) (http_requests_total)',
    'max without (host) (temperature_celsius)',
    'count by (code) (http_requests_total)',
    'stddev by (sensor) (temperature_celsius)',
    'stdvar(temperature_celsius)',
    'group by (host) (node_memory_MemTotal_bytes)',
    'topk(3, temperature_celsius)',
    'bottomk(2, rate(http_requests_total[5m]))',
    'topk by (sensor) (2, temperature_celsius)',
    'quantile(0.25, temperature_celsius)',
    'quantile by (sensor) (0.95, temperature_celsius)',
    'count_values("mem", node_memory_MemTotal_bytes)',
    '1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes',
    '100 * (1 - avg by (host) (rate(node_cpu_seconds_total{mode="idle"}[5m])))',
    'node_memory_MemAvailable_bytes / on(host) node_memory_MemTotal_bytes',
    'http_requests_total / ignoring(code) group_left sum without (code) (http_requests_total)',
    'rate(http_requests_total[5m]) * on(host) group_left(mem) label_replace(node_memory_MemTotal_bytes, "mem", "$1", "host", "(.*)-.*")',
    'temperature_celsius > 30',
    'temperature_celsius > bool 30',
    'temperature_celsius == bool temperature_celsius',
    'rate(http_requests_total[5m]) > 0.5 and on(host) temperature_celsius{sensor="a"} > 40',
    'temperature_celsius{sensor="a"} or temperature_celsius{sensor="b"} > 0',
    'temperature_celsius unless temperature_celsius < 0',
    'temperature_celsius % 7 ^ 2',
    '-temperature_celsius + 2 * 3 - 1',
    '2 ^ 3 ^ 2',
    'abs(temperature_celsius)',
    'ceil(temperature_celsius) - floor(temperature_celsius)',
    'round(temperature_celsius, 0.5)',
    'clamp(temperature_celsius, -1, 30)',
    'clamp_min(temperature_celsius, 0)',
    'clamp_max(temperature_celsius, 10)',
    'sqrt(abs(temperature_celsius))',
    'ln(node_memory_MemTotal_bytes)',
    'exp(temperature_celsius / 100)',
    'time() - timestamp(temperature_celsius)',
    'vector(1) + 1',
    'scalar(sum(node_memory_MemTotal_bytes)) / 2^30',
    'absent(nonexistent_metric{host="x"})',
    'absent(temperature_celsius)',
    'absent_over_time(temperature_celsius{host="db-05"}[10m])',
    'sort_desc(sum by (host) (rate(http_requests_total[5m])))',
    'label_join(temperature_celsius, "id", "/", "host", "sensor")',
] for t in (_at(37, 13), _at(61), _at(118))] + [(q, _at(61)) for q in [
    # Refused by Prometheus, so by Sluice too: many-to-many, duplicates, bad syntax.
    'http_requests_total / on(host) temperature_celsius',
    'temperature_celsius + on(host) group_left node_cpu_seconds_total',
    'label_replace(temperature_celsius, "sensor", "x", "", "")',
    'rate(temperature_celsius)',
    'sum(http_requests_total) by (host',
    'temperature_celsius{sensor="a"',
    '{__name__=~".*"}',
]]

# Range queries: (query, start s, end s, step s).
RANGE = [
    ('rate(http_requests_total{host="web-01"}[5m])', _at(0), _at(120), 60),
    ('sum by (host) (rate(node_cpu_seconds_total{mode!="idle"}[2m]))', _at(0), _at(125), 60),
    ('temperature_celsius{host=~"db-0[3-5]"}', _at(0), _at(130), 37),
    ('increase(http_requests_total{path="/api"}[15m])', _at(10), _at(110), 300),
    ('avg_over_time(temperature_celsius[5m]) > bool 35', _at(0), _at(120), 90),
    ('max by (sensor) (temperature_celsius) - min by (sensor) (temperature_celsius)', _at(0), _at(120), 60),
    ('topk(2, node_memory_MemAvailable_bytes)', _at(0), _at(120), 120),
    ('1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes > 0.5', _at(0), _at(121), 60),
    ('irate(node_network_receive_bytes_total{device="eth0"}[1m])', _at(30), _at(90), 15),
    ('count(temperature_celsius)', _at(-10), _at(135), 60),
]
