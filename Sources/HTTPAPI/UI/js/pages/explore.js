// Explore logs: a LogQL query over a time range → the matching lines (labels, matches
// highlighted), a histogram of all matching lines in the range (a count query, so it
// covers the whole range, not only the lines shown), live tail, and export links.
// A metric query (count_over_time, rate…) is charted instead.

import { lokiRange, matrixSeries, nanos, isAbort, queryString } from "../api.js";
import { h, fill, clear, errorBox, withLoading, onCtrlEnter, autoGrow } from "../dom.js";
import { drawChart, seriesName, levelColor } from "../chart.js";
import { rangePicker } from "../rangepicker.js";
import { resolveRange, durationText, stepFor, formatTime } from "../time.js";
import { lineFilterPatterns, isMetricQuery, addMatcher } from "../logql.js";
import { entries, lineRow, newestFirst, oldestFirst } from "../loglines.js";
import { labelBrowser } from "../labelbrowser.js";
import { formatValue } from "../format.js";
import { queryState } from "../querystate.js";

const LEVEL_ORDER = ["critical", "fatal", "error", "warn", "warning", "info", "debug", "trace", "unknown"];
const TAIL_INTERVAL_MS = 2000;
const TAIL_MAX_ROWS = 2000;
const EXAMPLES = ['{source="file"}', '{level="error"}', '{host=~".+"} |= "error"', '{source="journald"} |~ "(?i)fail(ed|ure)"',
  'sum by (level) (count_over_time({host=~".+"}[1m]))'];

let ui = null;
let controller = null;
let urlState = null;
let tail = null;

export default {
  init(section) {
    const query = h("textarea", { id: "logql", rows: 1, spellcheck: "false", class: "query-input",
      placeholder: 'LogQL, e.g. {host="web-1"} |= "timeout"  — Ctrl+Enter to run', "aria-label": "LogQL query" });
    onCtrlEnter(query, () => run());
    const picker = rangePicker({ select: "range", from: "from", to: "to" }, () => run());
    const limit = h("select", { id: "limit", title: "Most lines shown", "aria-label": "Line limit" },
      [100, 500, 1000, 5000].map((n) => h("option", { value: n, selected: n === 1000 }, `${n} lines`)));
    limit.addEventListener("change", () => run());
    const runButton = h("button", { type: "button", id: "run", class: "primary", title: "Run query (Ctrl+Enter)", onclick: () => run() }, "Run query");
    const tailButton = h("button", { type: "button", id: "tail", "aria-pressed": "false", title: "Follow new lines (polls every 2 s)",
      onclick: () => (tail ? stopTail() : startTail()) }, h("span", { class: "live-dot" }), "Live");
    const exportNDJSON = h("a", { id: "export-ndjson", class: "button-link", href: "#", download: "sluice-export.ndjson", title: "Every matching line in the range, as NDJSON" }, "Export NDJSON");
    const exportCSV = h("a", { id: "export-csv", class: "button-link", href: "#", download: "sluice-export.csv", title: "Every matching line in the range, as CSV" }, "Export CSV");
    for (const link of [exportNDJSON, exportCSV]) link.addEventListener("click", (event) => {
      if (!query.value.trim()) { event.preventDefault(); return; }
      updateExportLinks();  // a relative range ends now, not when the query ran
    });
    const wrap = h("input", { type: "checkbox", id: "wrap-lines", checked: true });
    wrap.addEventListener("change", () => ui.lines.classList.toggle("nowrap", !wrap.checked));
    const browser = labelBrowser(() => resolveRange(ui.picker.get()), (name, value) => {
      query.value = query.value.trim() ? addMatcher(query.value, name, value) : `{${name}=${JSON.stringify(value)}}`;
      ui.grow();
      run();
    });

    const status = h("div", { class: "status-line", id: "explore-status" });
    const errors = h("div", { class: "errors" });
    const histogram = h("div", { id: "histogram", class: "histogram" });
    const chart = h("div", { id: "explore-chart", hidden: true });
    const lines = h("div", { id: "lines", class: "log-lines" });
    const empty = h("div", { class: "empty-state" }, h("p", {}, "Type a LogQL query and press Ctrl+Enter. Examples:"),
      h("ul", {}, EXAMPLES.map((text) => h("li", {}, h("button", { type: "button", class: "link", onclick: () => { query.value = text; run(); } }, h("code", {}, text))))));

    section.append(
      h("div", { class: "page-head" }, h("h1", {}, "Explore logs")),
      h("div", { class: "query-bar" }, query, browser),
      h("div", { class: "toolbar" }, picker.element, limit, runButton, tailButton,
        h("span", { class: "spacer" }), h("label", { class: "check" }, wrap, "Wrap lines"), exportNDJSON, exportCSV),
      errors,
      h("div", { class: "card volume", hidden: true }, h("div", { class: "card-title" }, "Log volume", h("span", { class: "muted", id: "volume-note" })), histogram),
      chart, status, lines, empty);
    ui = { section, query, picker, limit, runButton, tailButton, exportNDJSON, exportCSV, status, errors, histogram, chart, lines, empty,
      volume: section.querySelector(".volume"), volumeNote: section.querySelector("#volume-note"), grow: autoGrow(query) };
    urlState = queryState("explore", ui, { name: "limit", control: ui.limit, fallback: "1000" });
  },

  enter(route) {
    urlState.restore(route, () => ui.ran, run);
  },

  leave() {
    stopTail();
    controller?.abort();
  },
};

function currentRange() {
  const { start, end } = resolveRange(ui.picker.get());
  return { start, end, startNs: nanos(start), endNs: nanos(end) };
}

function updateExportLinks() {
  const query = ui.query.value.trim();
  const { startNs, endNs } = currentRange();
  for (const [link, format] of [[ui.exportNDJSON, "ndjson"], [ui.exportCSV, "csv"]]) {
    link.href = "/api/sluice/v1/export" + queryString({ query, start: startNs, end: endNs, format });
  }
}

async function run() {
  stopTail();
  const query = ui.query.value.trim();
  urlState.save();
  controller?.abort();
  clear(ui.errors);
  if (!query) {
    ui.empty.hidden = false;
    return;
  }
  ui.empty.hidden = true;
  ui.ran = true;
  controller = new AbortController();
  const { signal } = controller;
  const range = currentRange();
  updateExportLinks();
  const metric = isMetricQuery(query);
  ui.chart.hidden = !metric;
  ui.volume.hidden = metric;
  ui.lines.hidden = metric;
  const work = metric ? runMetric(query, range, signal).then((error) => [error])
    : Promise.all([runLines(query, range, signal), runHistogram(query, range, signal)]);
  const [linesError, volumeError] = await withLoading(ui.section.querySelector(".toolbar"), work, "Running…");
  // The volume query wraps the user's query: when both fail, the user's own error says it best.
  if (linesError) {
    showError(linesError);
    ui.volume.hidden = true;
  }
  else if (volumeError) showError(new Error(`Log volume: ${volumeError.message}`));
}

function showError(error) {
  if (error && !isAbort(error)) ui.errors.append(errorBox(error));
}

// MARK: Lines

async function runLines(query, range, signal) {
  const started = performance.now();
  fill(ui.status, "");
  try {
    const limit = Number(ui.limit.value);
    const data = await lokiRange({ query, start: range.startNs, end: range.endNs, limit, direction: "backward" }, { signal });
    const found = entries(data.result).sort(newestFirst);
    const patterns = lineFilterPatterns(query);
    fill(ui.lines, found.map((entry) => lineRow(entry, patterns, { onFilter: addFilter })));
    if (!found.length) ui.lines.append(h("div", { class: "no-data" }, "No lines match in this range."));
    ui.linesShown = found.length;
    ui.linesLimit = limit;
    ui.linesMillis = Math.round(performance.now() - started);
    describeResults();
    return null;
  } catch (error) {
    if (isAbort(error)) return null;
    clear(ui.lines);
    return error;
  }
}

/** The + / − buttons of a line's labels: keep or leave out lines with that label value. */
function addFilter(name, value, negate) {
  ui.query.value = addMatcher(ui.query.value, name, value, negate);
  ui.grow();
  run();
}

function describeResults() {
  const parts = [`${ui.linesShown.toLocaleString("en-US")} line${ui.linesShown === 1 ? "" : "s"} shown, newest first`];
  if (ui.totalMatching !== undefined) parts.push(`${ui.totalMatching.toLocaleString("en-US")} matching in the range`);
  if (ui.linesShown >= ui.linesLimit) parts.push(`limit ${ui.linesLimit} reached`);
  parts.push(`${ui.linesMillis} ms`);
  fill(ui.status, parts.join(" · "));
}

// MARK: Histogram

// Bucket sizes that read well; the chosen one divides the range exactly, so that the
// buckets tile [start, end) and their counts add up to the lines in the range.
const BUCKETS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((s) => s * 1000);

export function bucketsFor(startNs, endNs) {
  const rangeNs = endNs - startNs;
  for (const ms of BUCKETS_MS) {
    const stepNs = BigInt(ms) * 1000000n;
    if (rangeNs % stepNs === 0n && rangeNs / stepNs <= 150n) return { stepNs, count: Number(rangeNs / stepNs) };
  }
  const count = rangeNs % 100n === 0n ? 100n : rangeNs % 60n === 0n ? 60n : 1n;
  return { stepNs: rangeNs / count, count: Number(count) };
}

function stepText(stepNs) {
  return stepNs % 1000000n === 0n ? durationText(Number(stepNs / 1000000n)) : `${stepNs}ns`;
}

async function runHistogram(query, range, signal) {
  ui.totalMatching = undefined;
  ui.volumeNote.textContent = "";
  const { stepNs, count } = bucketsFor(range.startNs, range.endNs);
  const step = stepText(stepNs);
  const stepMs = Number(stepNs) / 1e6;
  // count_over_time at t counts (t - step, t]: evaluating at start + k·step - 1 ns makes
  // the windows [start + (k-1)·step, start + k·step), the same half-open range as the lines.
  const volume = `sum by (level) (count_over_time(${query} [${step}]))`;
  try {
    const data = await lokiRange({ query: volume, start: range.startNs + stepNs - 1n, end: range.endNs - 1n, step }, { signal });
    const series = matrixSeries(data.result).map(({ labels, points }) => {
      const level = String(labels.level || "unknown").toLowerCase();
      // Bucket k ends at start + (k+1)·step; the returned times are rounded to ms.
      return { name: level, color: levelColor(level) || "#8e8e8e",
        points: points.map(([t, value]) => [range.start + Math.round((t - range.start) / stepMs) * stepMs, value]) };
    }).sort((a, b) => rank(a.name) - rank(b.name));
    ui.totalMatching = series.reduce((sum, item) => sum + item.points.reduce((s, [, v]) => s + v, 0), 0);
    ui.volumeNote.textContent = ` · ${ui.totalMatching.toLocaleString("en-US")} lines, ${count} buckets of ${formatValue(stepMs / 1000, "seconds")}`;
    drawChart(ui.histogram, { series, type: "bar", stacked: true, unit: "short", start: range.start, end: range.end, step: stepMs,
      height: 130, barAttribute: "count", emptyText: "No matching lines in this range.", title: "Matching lines over time",
      onSelectRange: zoomTo });
    if (ui.linesShown !== undefined) describeResults();
    return null;
  } catch (error) {
    if (isAbort(error)) return null;
    clear(ui.histogram);
    return error;
  }
}

function rank(level) {
  const index = LEVEL_ORDER.indexOf(level);
  return index < 0 ? LEVEL_ORDER.length : index;
}

function zoomTo(start, end) {
  ui.picker.set({ range: "custom", from: start, to: end });
  run();
}

// MARK: Metric queries

async function runMetric(query, range, signal) {
  const step = stepFor(range.end - range.start);
  try {
    const data = await lokiRange({ query, start: range.startNs, end: range.endNs, step }, { signal });
    if (data.resultType !== "matrix") throw new Error(`expected a matrix result, got ${data.resultType}`);
    const series = matrixSeries(data.result).map(({ labels, points }) => ({ name: seriesName(labels), points }));
    drawChart(ui.chart, { series, unit: "short", start: range.start, end: range.end, step: step * 1000, height: 300,
      legend: "table", onSelectRange: zoomTo, emptyText: "The query returned no series in this range." });
    fill(ui.status, `${series.length} series · step ${durationText(step * 1000)}`);
    return null;
  } catch (error) {
    if (isAbort(error)) return null;
    clear(ui.chart);
    return error;
  }
}

// MARK: Live tail

async function startTail() {
  const query = ui.query.value.trim();
  if (!query || isMetricQuery(query)) {
    clear(ui.errors);
    ui.errors.append(errorBox(query ? "Live tail follows log queries ({…}), not metric queries." : "Type a log query to follow."));
    return;
  }
  controller?.abort();
  clear(ui.errors);
  urlState.save();
  ui.empty.hidden = true;
  ui.lines.hidden = false;
  ui.chart.hidden = true;
  tail = { query, seen: new Map(), lastNs: 0n, timer: null, patterns: lineFilterPatterns(query), controller: new AbortController() };
  ui.tailButton.setAttribute("aria-pressed", "true");
  ui.tailButton.classList.add("active");
  fill(ui.lines, h("div", { class: "tail-waiting" }, "Live: waiting for new lines…"));
  fill(ui.status, "Live: newest lines appended at the bottom, polled every 2 s.");
  // The first poll shows the newest lines of the range so far; later polls only newer ones.
  const { startNs } = currentRange();
  await pollTail(tail, startNs, 100);
}

function stopTail() {
  if (!tail) return;
  clearTimeout(tail.timer);
  tail.controller.abort();
  tail = null;
  ui.tailButton.setAttribute("aria-pressed", "false");
  ui.tailButton.classList.remove("active");
  fill(ui.status, "Live tail stopped.");
}

async function pollTail(state, fromNs, limit = 1000) {
  const nowNs = nanos(Date.now());
  // Look back 30 s at least: a line can arrive later than lines stamped after it.
  const lookback = nowNs - 30_000_000_000n;
  const start = fromNs ?? (state.lastNs && state.lastNs + 1n < lookback ? state.lastNs + 1n : lookback);
  try {
    const data = await lokiRange({ query: state.query, start, end: nowNs + 5_000_000_000n, limit, direction: "backward" },
      { signal: state.controller.signal });
    if (tail !== state) return;
    const received = entries(data.result);
    // Newest first with a limit: a full answer may have left lines out. Say so rather
    // than skip them silently (Loki's tail reports dropped entries the same way).
    if (received.length >= limit && fromNs === undefined) {
      fill(ui.status, `Live tail: more than ${limit} lines arrived within one poll; only the newest are shown. Narrow the query to see every line.`);
    }
    const fresh = received.filter((entry) => {
      const key = `${entry.ns} ${JSON.stringify(entry.labels)} ${entry.line}`;
      if (state.seen.has(key)) return false;
      state.seen.set(key, entry.ns);
      return true;
    }).sort(oldestFirst);
    if (fresh.length) appendTailLines(state, fresh);
    // Forget keys older than any later window.
    if (state.seen.size > 20000) for (const [key, ns] of state.seen) if (ns < lookback) state.seen.delete(key);
  } catch (error) {
    if (tail !== state || isAbort(error)) return;
    clear(ui.errors);
    ui.errors.append(errorBox(error));
  }
  if (tail === state) state.timer = setTimeout(() => pollTail(state), TAIL_INTERVAL_MS);
}

function appendTailLines(state, fresh) {
  const atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
  ui.lines.querySelector(".tail-waiting")?.remove();
  clear(ui.errors);
  ui.lines.append(...fresh.map((entry) => lineRow(entry, state.patterns, { onFilter: addFilter })));
  for (const entry of fresh) if (entry.ns > state.lastNs) state.lastNs = entry.ns;
  const rows = ui.lines.querySelectorAll(".line");
  for (let i = 0; i < rows.length - TAIL_MAX_ROWS; i++) rows[i].remove();
  fill(ui.status, `Live: ${Math.min(rows.length, TAIL_MAX_ROWS)} lines, newest at the bottom (polled every 2 s) · last at ${formatTime(Number(state.lastNs / 1000000n), { millis: true })}`);
  if (atBottom) window.scrollTo(0, document.body.scrollHeight);
}
