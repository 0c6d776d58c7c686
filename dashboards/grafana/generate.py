#!/usr/bin/env python3
"""Generates the Grafana dashboards in this folder from Sluice's definitions beside it
(`../*.json`, the format described in ../README.md), so that the two cannot drift.

    python3 dashboards/grafana/generate.py          # (re)writes dashboards/grafana/<name>.json
    python3 dashboards/grafana/generate.py --check  # exit 1 if a committed file differs

Every panel's query, legend and unit carry over unchanged; PromQL panels use a Prometheus
data source and LogQL panels a Loki one, both asked for on import (`${DS_PROMETHEUS}`,
`${DS_LOKI}`) and meant to point at Sluice's HTTP API (e.g. http://127.0.0.1:8080).
Python 3 standard library only.
"""
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFINITIONS = HERE.parent

SCHEMA_VERSION = 39
GRAFANA_VERSION = "10.0.0"

DATASOURCES = {
    "promql": {"input": "DS_PROMETHEUS", "type": "prometheus", "name": "Prometheus",
               "label": "Prometheus (Sluice)",
               "description": "A Prometheus data source with URL http://127.0.0.1:8080 (Sluice's HTTP API)"},
    "logql": {"input": "DS_LOKI", "type": "loki", "name": "Loki",
              "label": "Loki (Sluice)",
              "description": "A Loki data source with URL http://127.0.0.1:8080 (Sluice's HTTP API)"},
}

# Sluice's units (DashboardCatalog.units) as Grafana's unit ids; bytes are IEC in both.
UNITS = {"none": "none", "percent": "percent", "ratio": "percentunit", "bytes": "bytes",
         "bytes/s": "binBps", "seconds": "s", "ops/s": "ops", "short": "short"}

PANEL_TYPES = {"line": "timeseries", "bar": "timeseries", "stat": "stat", "table": "table", "logs": "logs"}
PANEL_NAMES = {"timeseries": "Time series", "stat": "Stat", "table": "Table", "logs": "Logs"}

# Grafana's grid has 24 columns, Sluice's 12; heights are in Grafana's rows (30 px).
HEIGHTS = {"stat": 4, "line": 8, "bar": 8, "table": 8, "logs": 10}


def datasource(language):
    source = DATASOURCES[language]
    return {"type": source["type"], "uid": "${%s}" % source["input"]}


def default_width(panel):
    """The UI's default (Sources/HTTPAPI/UI/js/pages/dashboards.js)."""
    return 12 if panel["type"] in ("logs", "table") else 6


def layout(panels):
    """gridPos of each panel: left to right, a new row when the next one does not fit."""
    positions = []
    x = y = row_height = 0
    for panel in panels:
        w = 2 * panel.get("width", default_width(panel))
        h = HEIGHTS[panel["type"]]
        if x + w > 24:
            x, y, row_height = 0, y + row_height, 0
        positions.append({"h": h, "w": w, "x": x, "y": y})
        x += w
        row_height = max(row_height, h)
    return positions


def target(panel, language):
    kind = panel["type"]
    result = {"refId": "A", "datasource": datasource(language), "expr": panel["query"]}
    if kind != "logs":
        result["legendFormat"] = panel.get("legend", "")
    instant = kind in ("stat", "table")
    if language == "promql":
        result["range"] = not instant
        result["instant"] = instant
        if kind == "table":
            result["format"] = "table"
    else:
        result["queryType"] = "instant" if instant else "range"
        if kind == "logs":
            result["maxLines"] = 200
    return result


def grafana_panel(panel, index, position):
    language = panel.get("language", "promql")
    kind = panel["type"]
    grafana_type = PANEL_TYPES[kind]
    result = {
        "id": index + 1,
        "type": grafana_type,
        "title": panel["title"],
        "gridPos": position,
        "datasource": datasource(language),
        "targets": [target(panel, language)],
    }
    unit = UNITS[panel.get("unit", "none")]
    if kind in ("line", "bar"):
        bars = kind == "bar"
        result["fieldConfig"] = {"defaults": {
            "unit": unit,
            "custom": {"drawStyle": "bars" if bars else "line", "fillOpacity": 80 if bars else 10,
                       "lineWidth": 1, "showPoints": "never", "spanNulls": False,
                       "stacking": {"mode": "normal" if bars else "none", "group": "A"}}},
            "overrides": []}
        result["options"] = {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                             "tooltip": {"mode": "multi", "sort": "desc"}}
    elif kind == "stat":
        result["fieldConfig"] = {"defaults": {"unit": unit}, "overrides": []}
        result["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                             "colorMode": "value", "graphMode": "none", "textMode": "auto",
                             "orientation": "auto", "justifyMode": "auto"}
    elif kind == "table":
        result["fieldConfig"] = {"defaults": {"unit": unit}, "overrides": []}
        result["options"] = {"showHeader": True}
        result["transformations"] = [{"id": "organize", "options": {"excludeByName": {"Time": True}}}]
    else:
        result["options"] = {"showTime": True, "showLabels": False, "wrapLogMessage": True,
                             "enableLogDetails": True, "sortOrder": "Descending", "dedupStrategy": "none",
                             "prettifyLogMessage": False, "showCommonLabels": False}
    return result


def grafana_variable(variable):
    values = variable["values"]
    query = "label_values(%s, %s)" % (values["match"], values["label"]) if values.get("match") \
        else "label_values(%s)" % values["label"]
    result = {
        "name": variable["name"],
        "label": variable.get("label", variable["name"]),
        "type": "query",
        "datasource": datasource("promql"),
        "query": query,
        "definition": query,
        "refresh": 2,
        "sort": 1,
        "multi": bool(variable.get("multi", False)),
        "includeAll": bool(variable.get("all", False)),
        "current": {},
        "options": [],
        "regex": "",
        "hide": 0,
        "skipUrlSync": False,
    }
    if variable.get("all"):
        # Sluice's UI puts `.+` for All, as this does.
        result["allValue"] = ".+"
    return result


def dashboard(name, definition):
    panels = definition["panels"]
    variables = definition.get("variables", [])
    languages = {panel.get("language", "promql") for panel in panels}
    if variables:
        languages.add("promql")
    used = [language for language in ("promql", "logql") if language in languages]
    inputs = [{"name": DATASOURCES[language]["input"], "label": DATASOURCES[language]["label"],
               "description": DATASOURCES[language]["description"], "type": "datasource",
               "pluginId": DATASOURCES[language]["type"], "pluginName": DATASOURCES[language]["name"]}
              for language in used]
    panel_types = sorted({PANEL_TYPES[panel["type"]] for panel in panels})
    requires = [{"type": "grafana", "id": "grafana", "name": "Grafana", "version": GRAFANA_VERSION}]
    requires += [{"type": "datasource", "id": DATASOURCES[language]["type"], "name": DATASOURCES[language]["name"],
                  "version": "1.0.0"} for language in used]
    requires += [{"type": "panel", "id": kind, "name": PANEL_NAMES[kind], "version": ""} for kind in panel_types]
    return {
        "__inputs": inputs,
        "__requires": requires,
        "annotations": {"list": []},
        "description": definition.get("description", ""),
        "editable": True,
        "graphTooltip": 1,
        "id": None,
        "links": [],
        "panels": [grafana_panel(panel, index, position)
                   for index, (panel, position) in enumerate(zip(panels, layout(panels)))],
        "refresh": definition.get("refresh", ""),
        "schemaVersion": SCHEMA_VERSION,
        "tags": ["sluice"],
        "templating": {"list": [grafana_variable(variable) for variable in variables]},
        "time": {"from": "now-" + definition.get("time", "1h"), "to": "now"},
        "timepicker": {},
        "timezone": "browser",
        "title": definition["title"],
        "uid": "sluice-" + name,
        "version": 1,
    }


def generated():
    """{file name: text} of every Grafana dashboard, from the definitions."""
    files = {}
    for path in sorted(DEFINITIONS.glob("*.json")):
        definition = json.loads(path.read_text(encoding="utf-8"))
        files[path.name] = json.dumps(dashboard(path.stem, definition), indent=2, ensure_ascii=False) + "\n"
    return files


def main(argv):
    check = argv[1:] == ["--check"]
    if argv[1:] and not check:
        print("usage: generate.py [--check]", file=sys.stderr)
        return 2
    files = generated()
    if not check:
        for name, text in files.items():
            (HERE / name).write_text(text, encoding="utf-8")
            print(f"wrote {HERE / name}")
        return 0
    problems = []
    for name, text in files.items():
        path = HERE / name
        if not path.exists():
            problems.append(f"{path}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{path}: differs from what generate.py makes of {DEFINITIONS / name}")
    for path in sorted(HERE.glob("*.json")):
        if path.name not in files:
            problems.append(f"{path}: no definition {DEFINITIONS / path.name} makes it")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("run python3 dashboards/grafana/generate.py to regenerate", file=sys.stderr)
        return 1
    print(f"{len(files)} Grafana dashboards match their definitions")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
