// Metrics: a PromQL query charted over a time range (query_range with a step giving
// about 250 points), with a legend table (min, max, mean, last) and the raw series.

import { getJSON, promRange, matrixSeries, isAbort } from "../api.js";
import { h, fill, clear, errorBox, withLoading, onCtrlEnter, autoGrow } from "../dom.js";
import { drawChart, seriesName } from "../chart.js";
import { rangePicker } from "../rangepicker.js";
import { resolveRange, stepFor, alignRange, durationText } from "../time.js";
import { queryState } from "../querystate.js";

const UNITS = ["none", "short", "percent", "ratio", "bytes", "bytes/s", "seconds", "ops/s"];
const EXAMPLES = ["node_load1", '1 - avg by (host) (rate(node_cpu_seconds_total{mode="idle"}[5m]))',
  "sum by (host) (rate(node_network_receive_bytes_total[5m]))", "sluice_topic_log_end_offset"];

let ui = null;
let controller = null;
let urlState = null;

export default {
  init(section) {
    const query = h("textarea", { id: "promql", rows: 1, spellcheck: "false", class: "query-input",
      placeholder: "PromQL, e.g. rate(node_network_receive_bytes_total[5m]) — Ctrl+Enter to run", "aria-label": "PromQL query" });
    onCtrlEnter(query, () => run());
    const picker = rangePicker({ select: "metrics-range", from: "metrics-from", to: "metrics-to" }, () => run());
    const unit = h("select", { id: "metrics-unit", title: "Unit of the y axis", "aria-label": "Unit" }, UNITS.map((name) => h("option", { value: name }, name)));
    unit.addEventListener("change", () => ui.lastDraw && draw(ui.lastDraw));
    const metricNames = h("datalist", { id: "metric-names" });
    const insert = h("input", { type: "search", list: "metric-names", placeholder: "Insert metric…", class: "metric-insert", "aria-label": "Insert a metric name" });
    insert.addEventListener("change", () => {
      if (!insert.value) return;
      query.value = query.value.trim() ? `${query.value.trim()} ${insert.value}` : insert.value;
      insert.value = "";
      ui.grow();
      query.focus();
    });
    insert.addEventListener("focus", loadMetricNames, { once: true });
    const runButton = h("button", { type: "button", id: "metrics-run", class: "primary", title: "Run query (Ctrl+Enter)", onclick: () => run() }, "Run query");
    const errors = h("div", { class: "errors" });
    const chart = h("div", { id: "metrics-chart", class: "card chart-card" });
    const status = h("div", { class: "status-line" });
    const empty = h("div", { class: "empty-state" }, h("p", {}, "Type a PromQL query and press Ctrl+Enter. Examples:"),
      h("ul", {}, EXAMPLES.map((text) => h("li", {}, h("button", { type: "button", class: "link", onclick: () => { query.value = text; ui.grow(); run(); } }, h("code", {}, text))))));
    section.append(
      h("div", { class: "page-head" }, h("h1", {}, "Metrics")),
      h("div", { class: "query-bar" }, query),
      h("div", { class: "toolbar" }, picker.element, runButton, h("span", { class: "spacer" }), insert, metricNames,
        h("label", { class: "inline-label" }, "Unit ", unit)),
      errors, status, chart, empty);
    ui = { section, query, picker, unit, errors, chart, status, empty, metricNames, grow: autoGrow(query) };
    urlState = queryState("metrics", ui, { name: "unit", control: ui.unit, fallback: "none" });
  },

  enter(route) {
    urlState.restore(route, () => ui.lastDraw, run);
  },

  leave() {
    controller?.abort();
  },
};

async function run() {
  const query = ui.query.value.trim();
  urlState.save();
  controller?.abort();
  clear(ui.errors);
  ui.empty.hidden = !!query;
  if (!query) return;
  controller = new AbortController();
  const range = resolveRange(ui.picker.get());
  const step = stepFor(range.end - range.start);
  const { start, end } = alignRange(range.start, range.end, step);
  const started = performance.now();
  try {
    const data = await withLoading(ui.section.querySelector(".toolbar"), promRange(query, start, end, step, { signal: controller.signal }), "Running…");
    const series = data.resultType === "matrix" ? matrixSeries(data.result) : [];
    const shown = { series: series.map(({ labels, points }) => ({ name: seriesName(labels), points })), start, end, step };
    ui.lastDraw = shown;
    draw(shown);
    fill(ui.status, `${series.length} series · step ${durationText(step * 1000)} · ${Math.round(performance.now() - started)} ms`);
  } catch (error) {
    if (isAbort(error)) return;
    clear(ui.chart);
    clear(ui.status);
    ui.errors.append(errorBox(error));
  }
}

function draw({ series, start, end, step }) {
  urlState.save();
  drawChart(ui.chart, { series, unit: ui.unit.value, start, end, step: step * 1000, height: 340, legend: "table",
    emptyText: "The query returned no series in this range.",
    onSelectRange: (from, to) => { ui.picker.set({ range: "custom", from, to }); run(); } });
}

async function loadMetricNames() {
  try {
    const names = await getJSON("/api/v1/label/__name__/values");
    fill(ui.metricNames, names.map((name) => h("option", { value: name })));
  } catch (error) {
    ui.errors.append(errorBox(error));
  }
}
