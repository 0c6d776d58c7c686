// Dashboard panels: one function per panel type, each filling a panel body from its
// (variable-substituted) query and returning "ok" or "empty"; failures throw with the
// API's message. PromQL goes to /api/v1/query(_range), LogQL to /loki/api/v1/query(_range).

import { promRange, promInstant, lokiRange, lokiInstant, matrixSeries, sampleValue, nanos } from "./api.js";
import { h, fill, dataTable } from "./dom.js";
import { drawChart, seriesName, seriesColor } from "./chart.js";
import { formatValue } from "./format.js";
import { stepFor, alignRange } from "./time.js";
import { lineFilterPatterns, isMetricQuery } from "./logql.js";
import { entries, lineRow, newestFirst } from "./loglines.js";

const LOG_LINES = 200;

/** Renders `panel` into `body` for the range {start, end} (ms); resolves to ok | empty. */
export function renderPanel(body, panel, query, range, signal) {
  const render = { line: chartPanel, bar: chartPanel, stat: statPanel, table: tablePanel, logs: logsPanel }[panel.type];
  return render(body, panel, query, range, signal);
}

function isLogQL(panel) {
  return panel.language === "logql";
}

async function chartPanel(body, panel, query, range, signal) {
  const step = stepFor(range.end - range.start, panel.type === "bar" ? 120 : 250);
  const { start, end } = alignRange(range.start, range.end, step);
  let data;
  if (isLogQL(panel)) {
    if (!isMetricQuery(query)) throw new Error(`a ${panel.type} panel needs a LogQL metric query (e.g. sum(count_over_time(${query} [1m]))), not a log query`);
    data = await lokiRange({ query, start: nanos(start), end: nanos(end), step }, { signal });
  } else data = await promRange(query, start, end, step, { signal });
  const series = matrixSeries(data.result).map(({ labels, points }) => ({ name: seriesName(labels, panel.legend), points }));
  drawChart(body, { series, type: panel.type, stacked: panel.type === "bar", unit: panel.unit || "none", start, end,
    step: step * 1000, height: 200, title: panel.title, emptyText: "No data in this range" });
  return series.some((item) => item.points.length) ? "ok" : "empty";
}

/** An instant query at the range's end: [{labels, value}] (a scalar is one unlabelled sample). */
async function instant(panel, query, range, signal) {
  const data = isLogQL(panel) ? await lokiInstant(query, range.end, { signal }) : await promInstant(query, range.end, { signal });
  if (data.resultType === "scalar") return [{ labels: {}, value: sampleValue(data.result[1]) }];
  if (data.resultType === "streams") throw new Error(`a ${panel.type} panel needs a metric query, not a log query`);
  if (data.resultType === "matrix") return data.result.map((item) => ({ labels: item.metric, value: sampleValue(item.values.at(-1)?.[1]) }));
  return (data.result || []).map((item) => ({ labels: item.metric, value: sampleValue(item.value[1]) }));
}

async function statPanel(body, panel, query, range, signal) {
  const samples = await instant(panel, query, range, signal);
  if (!samples.length) {
    fill(body, h("div", { class: "no-data" }, "No data"));
    return "empty";
  }
  fill(body, h("div", { class: "stat-tiles" }, samples.map((sample, index) => h("div", { class: "stat" },
    h("span", { class: "stat-value", style: samples.length > 1 ? { color: seriesColor(index) } : {} }, formatValue(sample.value, panel.unit || "none")),
    samples.length > 1 || panel.legend ? h("span", { class: "stat-label" }, seriesName(sample.labels, panel.legend)) : null))));
  return "ok";
}

async function tablePanel(body, panel, query, range, signal) {
  const samples = (await instant(panel, query, range, signal)).sort((a, b) => b.value - a.value);
  const names = [...new Set(samples.flatMap((sample) => Object.keys(sample.labels)))]
    .filter((name) => name !== "__name__" || new Set(samples.map((s) => s.labels.__name__)).size > 1).sort();
  const columns = [
    ...(panel.legend ? [{ title: "Series", cell: (s) => seriesName(s.labels, panel.legend), sort: (s) => seriesName(s.labels, panel.legend) }] : []),
    ...names.map((name) => ({ title: name, cell: (s) => s.labels[name] ?? "", sort: (s) => s.labels[name] ?? "" })),
    { title: "Value", class: "num", cell: (s) => formatValue(s.value, panel.unit || "none"), sort: (s) => s.value },
  ];
  fill(body, h("div", { class: "table-scroll" }, dataTable(columns, samples, { empty: "No data" })));
  return samples.length ? "ok" : "empty";
}

async function logsPanel(body, panel, query, range, signal) {
  const data = await lokiRange({ query, start: nanos(range.start), end: nanos(range.end), limit: LOG_LINES, direction: "backward" }, { signal });
  if (data.resultType !== "streams") throw new Error("a logs panel needs a log query ({…} | …), not a metric query");
  const found = entries(data.result).sort(newestFirst);
  const patterns = lineFilterPatterns(query);
  fill(body, found.length ? h("div", { class: "logs-panel log-lines" }, found.map((entry) => lineRow(entry, patterns, { labels: pickLabels })))
    : h("div", { class: "no-data" }, "No lines in this range"));
  return found.length ? "ok" : "empty";
}

// The labels worth a glance in a narrow panel; all of them are in the row's tooltip.
function pickLabels(labels) {
  const shown = {};
  for (const name of ["host", "service", "unit", "level"]) if (labels[name]) shown[name] = labels[name];
  return shown;
}
