// The backtest form of the Alerts page: POST a rule file and a past time range to
// /api/sluice/v1/replay, read the NDJSON stream (progress, transitions, summary per rule,
// done — Sources/Replay/ReplayEvent.swift), and show the transitions as a table and on a
// chart of the rule's expression over the range, with pending/firing spans shaded.

import { request, readNDJSON, getJSON, isAbort, sampleValue } from "../api.js";
import { h, fill, clear, errorBox, withLoading, dataTable, labelChips, badge } from "../dom.js";
import { drawChart } from "../chart.js";
import { formatNumber } from "../format.js";
import { formatTime, toLocalInput, fromLocalInput, stepFor, alignRange } from "../time.js";
import { rangeSeries } from "../promql.js";

const EXAMPLE = `# A rule file in Prometheus's format; the backtest evaluates it over the range below.
groups:
  - name: backtest
    interval: 30s
    rules:
      - alert: HighLoad
        expr: node_load1 > 1
        for: 2m
        labels:
          severity: warning
`;

let ui = null;
let controller = null;

export function createReplay() {
  const rule = h("textarea", { id: "replay-rule", spellcheck: "false", "aria-label": "Rule file (YAML)" }, EXAMPLE);
  const now = Date.now();
  const from = h("input", { type: "datetime-local", id: "replay-from", step: 1, value: toLocalInput(now - 3600000) });
  const to = h("input", { type: "datetime-local", id: "replay-to", step: 1, value: toLocalInput(now) });
  const configured = h("input", { type: "checkbox", id: "replay-configured" });
  configured.addEventListener("change", () => { rule.disabled = configured.checked; });
  const run = h("button", { type: "button", id: "replay-run", class: "primary", onclick: () => start() }, "Run backtest");
  const progress = h("div", { class: "progress", hidden: true }, h("span", { style: { width: "0%" } }));
  const status = h("div", { class: "status-line" });
  const errors = h("div", { class: "errors" });
  const chartSelect = h("select", { id: "replay-series", "aria-label": "Rule to chart", hidden: true });
  chartSelect.addEventListener("change", () => drawRule());
  const chart = h("div", { id: "replay-chart" });
  const summary = h("div", { id: "replay-summary" });
  const transitions = h("div", { id: "replay-transitions", class: "table-scroll" });
  rule.addEventListener("keydown", (event) => { if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); start(); } });

  const element = h("div", { class: "card" },
    h("h2", {}, "Backtest a rule ", h("span", { class: "muted small" }, "— replay the metrics topic through a rule file and see when it would have fired")),
    h("div", { class: "replay-form" },
      h("label", { class: "field" }, "Rule file (YAML)", rule),
      h("div", {},
        h("label", { class: "field" }, "From (local time)", from),
        h("label", { class: "field" }, "To (local time)", to),
        h("label", { class: "check", style: { marginBottom: "8px" } }, configured, "Use the appliance's configured rules instead"),
        h("div", { class: "toolbar" }, run), progress, status)),
    errors,
    h("div", { class: "card-title" }, "Expression over the range ", chartSelect),
    chart, summary, h("h2", { style: { marginTop: "12px" } }, "Transitions"), transitions);
  ui = { element, rule, from, to, configured, run, progress, status, errors, chartSelect, chart, summary, transitions };
  return { element };
}

async function start() {
  controller?.abort();
  controller = new AbortController();
  const signal = controller.signal;
  clear(ui.errors);
  const from = fromLocalInput(ui.from.value), to = fromLocalInput(ui.to.value);
  if (!(from < to)) {
    ui.errors.append(errorBox("Choose a range: From must be before To."));
    return;
  }
  const body = { topic: "metrics", from: new Date(from).toISOString(), to: new Date(to).toISOString() };
  if (!ui.configured.checked) body.rules = [{ name: "backtest.yml", content: ui.rule.value }];
  const state = { from, to, transitions: [], summaries: [], done: null, rules: [] };
  ui.state = state;
  fill(ui.transitions);
  fill(ui.summary);
  fill(ui.chart);
  ui.progress.hidden = false;
  setProgress(0);
  ui.run.disabled = true;
  try {
    await withLoading(ui.status.parentElement, (async () => {
      state.rules = ui.configured.checked ? await configuredRules(signal) : alertRules(ui.rule.value);
      const response = await request("/api/sluice/v1/replay", { method: "POST", signal,
        headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      let lastDraw = 0;
      await readNDJSON(response, (event) => {
        if (event.type === "progress") {
          setProgress(event.phase === "read" ? 0.3 * (event.bytes_total ? event.bytes_read / event.bytes_total : 1) : 0.3 + 0.7 * (event.fraction || 0));
          fill(ui.status, event.phase === "read" ? `Reading the topic: ${event.records.toLocaleString("en-US")} records`
            : `Evaluating: through ${formatTime(Date.parse(event.evaluated_through))}`);
        } else if (event.type === "transition") {
          state.transitions.push(event);
          if (performance.now() - lastDraw > 500) { lastDraw = performance.now(); renderTransitions(); }
        } else if (event.type === "summary") state.summaries.push(event);
        else if (event.type === "done") state.done = event;
        else if (event.type === "error") ui.errors.append(errorBox(event.error));
      });
    })(), "Replaying…");
    setProgress(1);
    renderTransitions();
    renderSummary();
    fillRuleSelect();
    await drawRule();
  } catch (error) {
    if (!isAbort(error)) ui.errors.append(errorBox(error));
  } finally {
    ui.run.disabled = false;
    ui.progress.hidden = true;
  }
}

function setProgress(fraction) {
  ui.progress.firstChild.style.width = `${Math.round(fraction * 100)}%`;
}

function renderSummary() {
  const { done, summaries } = ui.state;
  fill(ui.status, done ? `Replayed ${formatTime(Date.parse(done.from))} → ${formatTime(Date.parse(done.to))}: ${done.records.toLocaleString("en-US")} records, `
    + `${done.samples.toLocaleString("en-US")} samples, ${done.evaluations.toLocaleString("en-US")} evaluations, ${done.transitions} transitions`
    + (done.invalid_records ? `, ${done.invalid_records} invalid records` : "") : "The replay ended early.");
  fill(ui.summary, h("div", { class: "summary-row" }, summaries.map((item) => h("span", {},
    h("strong", {}, item.rule), ` fired ${item.fired}×, resolved ${item.resolved}×, ${item.flaps} flaps`, item.errors ? `, ${item.errors} evaluation errors` : ""))));
}

function renderTransitions() {
  const rows = ui.state.transitions;
  fill(ui.transitions, dataTable([
    { title: "Time", cell: (t) => formatTime(Date.parse(t.time)), sort: (t) => t.time },
    { title: "Rule", cell: (t) => h("strong", {}, t.rule), sort: (t) => t.rule },
    { title: "Labels", cell: (t) => labelChips(t.labels, { skip: ["alertname"] }) },
    { title: "Change", cell: (t) => [badge(t.from), " → ", badge(t.to)], sort: (t) => t.to },
    { title: "Value", class: "num", cell: (t) => formatNumber(sampleValue(t.value)), sort: (t) => sampleValue(t.value) },
  ], rows, { rowClass: (t) => `transition to-${t.to}`, empty: "No transitions: the rule never became pending in this range." }));
}

function fillRuleSelect() {
  const rules = ui.state.rules;
  fill(ui.chartSelect, rules.map((rule, index) => h("option", { value: index }, rule.name)));
  ui.chartSelect.hidden = rules.length < 2;
}

/** Charts the chosen rule's expression (its left side when it compares to a number). */
async function drawRule() {
  const { rules, transitions, from, to } = ui.state;
  const rule = rules[Number(ui.chartSelect.value) || 0];
  if (!rule) {
    fill(ui.chart, h("div", { class: "no-data" }, "No alerting rule with an expression was found in the rule file."));
    return;
  }
  const { expression, threshold } = splitComparison(rule.expr);
  const step = stepFor(to - from);
  const { start, end } = alignRange(from, to, step);
  const own = transitions.filter((t) => t.rule === rule.name);
  try {
    const series = await withLoading(ui.chart, rangeSeries([{ query: expression }], { start, end, step, signal: controller.signal }));
    drawChart(ui.chart, { series, unit: "none", start, end, step: step * 1000, height: 260, legend: true, title: expression,
      thresholds: threshold === null ? [] : [{ value: threshold, label: `threshold ${rule.expr.slice(expression.length).trim()}` }],
      spans: spans(own, to), markers: own.slice(0, 300).map((t) => ({ time: Date.parse(t.time), kind: t.to,
        label: `${formatTime(Date.parse(t.time))} ${t.rule} ${t.from} → ${t.to} (value ${formatNumber(sampleValue(t.value))})` })),
      emptyText: `${expression} has no data in this range.` });
  } catch (error) {
    if (!isAbort(error)) fill(ui.chart, errorBox(error));
  }
}

/** Pending and firing stretches per alert (label set), from its transitions. */
function spans(transitions, end) {
  const byAlert = new Map();
  for (const t of transitions) {
    const key = JSON.stringify(t.labels);
    if (!byAlert.has(key)) byAlert.set(key, []);
    byAlert.get(key).push(t);
  }
  const result = [];
  for (const list of byAlert.values()) {
    list.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    list.forEach((t, index) => {
      if (t.to !== "pending" && t.to !== "firing") return;
      const until = index + 1 < list.length ? Date.parse(list[index + 1].time) : end;
      result.push({ from: Date.parse(t.time), to: until, kind: t.to, label: `${t.rule} ${t.to} ${formatTime(Date.parse(t.time))} – ${formatTime(until)}` });
    });
  }
  return result;
}

async function configuredRules(signal) {
  const data = await getJSON("/api/v1/rules", { type: "alert" }, { signal });
  return (data.groups || []).flatMap((group) => group.rules.map((rule) => ({ name: rule.name, expr: rule.query })));
}

// MARK: Reading the rule file (just enough YAML for alert names and expressions)

function unquote(text) {
  const value = text.trim();
  if (value.startsWith('"')) { try { return JSON.parse(value); } catch { return value.slice(1, -1); } }
  if (value.startsWith("'")) return value.slice(1, -1).replace(/''/g, "'");
  return value.replace(/\s+#.*$/, "");
}

/** [{name, expr}] of the alerting rules in a Prometheus rule file. */
export function alertRules(text) {
  const lines = text.split("\n");
  const rules = [];
  let item = null;
  for (let i = 0; i < lines.length; i++) {
    const match = lines[i].match(/^(\s*)(-\s+)?([A-Za-z_]+):\s?(.*)$/);
    if (!match) continue;
    const [, indent, dash, key, rest] = match;
    if (dash) { item = {}; rules.push(item); }
    if (!item || (key !== "alert" && key !== "expr")) continue;
    const column = indent.length + (dash ? dash.length : 0);
    let value = rest.trim();
    // Block scalars (> or |) and plain scalars continued on more-indented lines.
    const continued = [];
    while (i + 1 < lines.length && (lines[i + 1].trim() === "" || lines[i + 1].search(/\S/) > column)) {
      if (lines[i + 1].trim() === "" && !/^[>|]/.test(value)) break;
      continued.push(lines[++i].trim());
    }
    if (/^[>|][-+]?$/.test(value)) value = continued.join(value.startsWith("|") ? "\n" : " ").trim();
    else value = unquote([value, ...continued].join(" "));
    item[key] = value;
  }
  return rules.filter((rule) => rule.alert && rule.expr).map((rule) => ({ name: rule.alert, expr: rule.expr }));
}

/**
 * `lhs > 0.9` → {expression: "lhs", threshold: 0.9}: the left side shows the value the
 * rule compares, where the whole expression would only show it while the rule holds.
 * Anything else (and/or/unless, comparisons of two series) is charted whole.
 */
export function splitComparison(expr) {
  let depth = 0, quote = null;
  const found = [];
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (quote) { if (c === "\\") i++; else if (c === quote) quote = null; continue; }
    if (c === '"' || c === "'" || c === "`") quote = c;
    else if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) depth--;
    else if (depth === 0) {
      const two = expr.slice(i, i + 2);
      if ([">=", "<=", "==", "!="].includes(two)) { found.push([i, two]); i++; }
      else if ((c === ">" || c === "<")) found.push([i, c]);
      else if (/^(and|or|unless)\b/.test(expr.slice(i)) && /[\s)]/.test(expr[i - 1] || " ")) return { expression: expr.trim(), threshold: null };
    }
  }
  if (found.length !== 1) return { expression: expr.trim(), threshold: null };
  const [index, operator] = found[0];
  const right = expr.slice(index + operator.length).replace(/^\s*bool\b/, "").trim();
  const threshold = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(right) ? Number(right) : null;
  return threshold === null ? { expression: expr.trim(), threshold: null } : { expression: expr.slice(0, index).trim(), threshold };
}
