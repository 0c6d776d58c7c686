// Our own SVG time-series charts: lines or (stacked) bars over a time x axis, y ticks in
// the panel's unit, a legend (click to isolate a series), a hover tooltip, optional
// drag-to-zoom, and decorations (threshold lines, vertical markers, shaded spans).
//
// drawChart(container, config) draws (again) into `container`; it redraws by itself
// when the container's width changes. config:
//   series: [{name, points: [[ms, value], …], color?}]   unit: format.js unit
//   type: "line" | "bar"   stacked: bool (bars)   start, end: x domain (ms)
//   step: ms between points (gaps in lines; a bar covers (t - step, t])
//   height, legend: true | false | "table", barAttribute: "count" (data-count on bars)
//   thresholds: [{value, label}]   markers: [{time, label, kind}]   spans: [{from, to, label, kind}]
//   onSelectRange(start, end): drag across the plot to zoom   emptyText: shown without data

import { h, fill } from "./dom.js";
import { axisTicks, formatValue } from "./format.js";
import { formatTime } from "./time.js";

const SVG = "http://www.w3.org/2000/svg";
export const PALETTE = ["#5794f2", "#73bf69", "#f2cc0c", "#ff9830", "#f2495c", "#b877d9", "#8ab8ff", "#96d98d",
  "#ffcb7d", "#ff7383", "#ca95e5", "#3274d9", "#37872d", "#e0b400", "#fa6400", "#c4162a"];

export function seriesColor(index) {
  return PALETTE[index % PALETTE.length];
}

// Series named after a log level keep the colours people expect (error red, not palette green).
const LEVEL_COLORS = { critical: "#c4162a", fatal: "#c4162a", error: "#f2495c", err: "#f2495c", warn: "#ff9830", warning: "#ff9830",
  info: "#73bf69", notice: "#73bf69", debug: "#5794f2", trace: "#8ab8ff", unknown: "#8e8e8e" };

export function levelColor(name) {
  return LEVEL_COLORS[String(name).toLowerCase()];
}

function s(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined && value !== null) element.setAttribute(name, String(value));
  for (const child of children) if (child) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return element;
}

/** A series name from a legend template ("{{host}} rx") or, without one, the label set. */
export function seriesName(labels, template) {
  if (template) {
    const name = template.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, label) => labels[label] ?? "").trim();
    if (name) return name;  // else the series lacks the legend's labels: name it by what it has
  }
  const name = labels.__name__ || "";
  const rest = Object.entries(labels).filter(([key]) => key !== "__name__").sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}="${value}"`).join(", ");
  return rest ? `${name}{${rest}}` : name || "{}";
}

const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800]
  .map((seconds) => seconds * 1000);
const pad = (n) => String(n).padStart(2, "0");

/** Time ticks at round local times, about one per `pixelsPerTick`. */
function timeTicks(start, end, width, pixelsPerTick = 110) {
  const wanted = (end - start) / Math.max(1, width / pixelsPerTick);
  const interval = TIME_STEPS.find((step) => step >= wanted) || TIME_STEPS[TIME_STEPS.length - 1];
  const offset = -new Date(start).getTimezoneOffset() * 60000;  // align to local, not UTC, boundaries
  const ticks = [];
  for (let t = Math.ceil((start + offset) / interval) * interval - offset; t <= end; t += interval) ticks.push(t);
  const spansDays = end - start > 86400000;
  const label = (t) => {
    const d = new Date(t);
    const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    if (interval < 60000) return `${hm}:${pad(d.getSeconds())}`;
    if (!spansDays) return hm;
    const md = `${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
    return interval >= 86400000 || (d.getHours() === 0 && d.getMinutes() === 0) ? md : `${md} ${hm}`;
  };
  return { ticks, label };
}

/** The usual distance between points, for gaps and bar widths when no step is given. */
function guessStep(series) {
  let best = Infinity;
  for (const { points } of series) for (let i = 1; i < points.length; i++) best = Math.min(best, points[i][0] - points[i - 1][0]);
  return Number.isFinite(best) && best > 0 ? best : 60000;
}

export function drawChart(container, config) {
  const state = container._chart || (container._chart = { hidden: new Set() });
  state.config = config;
  if (!state.observer) {
    // Redraw on width changes (window resize, a hidden page shown) but not on our own height.
    state.observer = new ResizeObserver(() => {
      if (container.clientWidth && container.clientWidth !== state.width) render(container);
    });
    state.observer.observe(container);
  }
  // A series that disappeared cannot stay hidden.
  const names = new Set(config.series.map((item) => item.name));
  for (const name of state.hidden) if (!names.has(name)) state.hidden.delete(name);
  render(container);
}

function render(container) {
  const state = container._chart;
  const config = state.config;
  const series = config.series.map((item, index) => ({ ...item, color: item.color || levelColor(item.name) || seriesColor(index) }))
    .filter((item) => item.points.length);
  state.width = container.clientWidth;
  if (!series.length) {
    fill(container, h("div", { class: "no-data" }, config.emptyText || "No data"));
    return;
  }
  const width = Math.max(280, container.clientWidth || 600);
  const height = config.height || 220;
  const visible = series.filter((item) => !state.hidden.has(item.name));
  const type = config.type || "line";
  const step = config.step || guessStep(series);
  let start = config.start ?? Math.min(...series.map((item) => item.points[0][0]));
  let end = config.end ?? Math.max(...series.map((item) => item.points[item.points.length - 1][0]));
  if (start >= end) { start -= step; end += step; }

  // y domain over what is drawn: stacked sums for stacked bars.
  let low = Infinity, high = -Infinity;
  const stackTotals = new Map();
  for (const item of visible) {
    for (const [t, value] of item.points) {
      if (!Number.isFinite(value)) continue;
      if (type === "bar" && config.stacked) stackTotals.set(t, (stackTotals.get(t) || 0) + value);
      else { low = Math.min(low, value); high = Math.max(high, value); }
    }
  }
  for (const total of stackTotals.values()) { low = Math.min(low, total); high = Math.max(high, total); }
  for (const threshold of config.thresholds || []) { low = Math.min(low, threshold.value); high = Math.max(high, threshold.value); }
  if (!Number.isFinite(low)) { low = 0; high = 1; }
  if (low > 0) low = 0;  // rates, bytes, counts: a zero baseline reads honestly
  if (config.yMax !== undefined) high = Math.max(high, config.yMax);
  const axis = axisTicks(low, high, config.unit, Math.max(2, Math.round(height / 45)));

  const longest = Math.max(...axis.ticks.map((tick) => axis.label(tick).length));
  const margin = { top: 8, right: 14, bottom: 22, left: Math.max(36, longest * 6.6 + 12) };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const x = (t) => margin.left + ((t - start) / (end - start)) * plotWidth;
  const y = (v) => margin.top + plotHeight - ((v - axis.min) / (axis.max - axis.min || 1)) * plotHeight;

  const clipId = `clip-${Math.random().toString(36).slice(2)}`;
  const svg = s("svg", { class: "chart-svg", width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": config.title || "chart" });
  svg.append(s("defs", {}, s("clipPath", { id: clipId }, s("rect", { x: margin.left, y: margin.top - 2, width: plotWidth, height: plotHeight + 4 }))));

  // Grid and axes.
  const grid = s("g", { class: "grid" });
  for (const tick of axis.ticks) {
    grid.append(s("line", { x1: margin.left, x2: width - margin.right, y1: y(tick), y2: y(tick) }));
    grid.append(s("text", { class: "tick y", x: margin.left - 6, y: y(tick) + 4, "text-anchor": "end" }, axis.label(tick)));
  }
  const timeAxis = timeTicks(start, end, plotWidth);
  for (const tick of timeAxis.ticks) {
    grid.append(s("line", { class: "vertical", x1: x(tick), x2: x(tick), y1: margin.top, y2: margin.top + plotHeight }));
    grid.append(s("text", { class: "tick x", x: x(tick), y: height - 6, "text-anchor": "middle" }, timeAxis.label(tick)));
  }
  svg.append(grid);

  const plot = s("g", { "clip-path": `url(#${clipId})` });
  for (const span of config.spans || []) {
    const x0 = x(Math.max(span.from, start)), x1 = x(Math.min(span.to, end));
    if (x1 <= x0) continue;
    plot.append(s("rect", { class: `span span-${span.kind || "info"}`, x: x0, y: margin.top, width: Math.max(1, x1 - x0), height: plotHeight },
      s("title", {}, span.label || "")));
  }
  if (type === "bar") drawBars(plot, visible, config, { x, y, step });
  else drawLines(plot, visible, { x, y, step, plotWidth });
  for (const threshold of config.thresholds || []) {
    plot.append(s("line", { class: "threshold", x1: margin.left, x2: width - margin.right, y1: y(threshold.value), y2: y(threshold.value) },
      s("title", {}, threshold.label || `threshold ${formatValue(threshold.value, config.unit)}`)));
  }
  for (const marker of config.markers || []) {
    if (marker.time < start || marker.time > end) continue;
    plot.append(s("g", { class: `marker marker-${marker.kind || "info"}` },
      s("line", { x1: x(marker.time), x2: x(marker.time), y1: margin.top, y2: margin.top + plotHeight }),
      s("path", { d: `M${x(marker.time) - 4},${margin.top} h8 l-4,6 z` }),
      s("title", {}, marker.label || formatTime(marker.time))));
  }
  svg.append(plot);

  const crosshair = s("line", { class: "crosshair", y1: margin.top, y2: margin.top + plotHeight, visibility: "hidden" });
  const selection = s("rect", { class: "selection", y: margin.top, height: plotHeight, visibility: "hidden" });
  const overlay = s("rect", { class: "overlay", x: margin.left, y: margin.top, width: plotWidth, height: plotHeight });
  svg.append(crosshair, selection, overlay);

  const tooltip = h("div", { class: "chart-tooltip", hidden: true });
  const children = [svg, tooltip];
  if (config.legend !== false) children.push(legend(container, series, config));
  fill(container, h("div", { class: "chart-body" }, children));
  container.classList.add("chart");
  attachPointer({ container, svg, overlay, crosshair, selection, tooltip, visible, config, x, start, end, margin, plotWidth, step, type });
}

function drawLines(plot, visible, { x, y, step, plotWidth }) {
  for (const item of visible) {
    let d = "";
    let previous = null;
    const isolated = [];
    const points = item.points;
    for (let i = 0; i < points.length; i++) {
      const [t, value] = points[i];
      if (!Number.isFinite(value)) { previous = null; continue; }
      const connected = previous && t - previous <= step * 1.5;
      d += `${connected ? "L" : "M"}${x(t).toFixed(1)},${y(value).toFixed(1)}`;
      const next = points[i + 1];
      const nextConnected = next && Number.isFinite(next[1]) && next[0] - t <= step * 1.5;
      if (!connected && !nextConnected) { d += "h0.01"; isolated.push([t, value]); }
      previous = t;
    }
    plot.append(s("path", { class: "series", d, stroke: item.color, "data-name": item.name }));
    // Sparse series get visible points; a lone sample would otherwise be a dot of line width.
    const sparse = points.length <= plotWidth / 24;
    for (const [t, value] of sparse ? points.filter(([, v]) => Number.isFinite(v)) : isolated) {
      plot.append(s("circle", { class: "point", cx: x(t).toFixed(1), cy: y(value).toFixed(1), r: 2, fill: item.color }));
    }
  }
}

function drawBars(plot, visible, config, { x, y, step }) {
  const base = new Map();
  for (const item of visible) {
    for (const [t, value] of item.points) {
      if (!Number.isFinite(value)) continue;
      const from = config.stacked ? base.get(t) || 0 : 0;
      const to = from + value;
      if (config.stacked) base.set(t, to);
      const left = x(t - step), right = x(t);
      const gap = Math.min(1, (right - left) * 0.15);
      const top = y(Math.max(from, to)), bottom = y(Math.min(from, to));
      plot.append(s("rect", {
        class: "bar", x: (left + gap).toFixed(2), width: Math.max(0.5, right - left - 2 * gap).toFixed(2),
        y: top.toFixed(2), height: Math.max(0, bottom - top).toFixed(2), fill: item.color,
        [`data-${config.barAttribute || "value"}`]: value, "data-name": item.name,
      }));
    }
  }
}

function legend(container, series, config) {
  const state = container._chart;
  const toggle = (name, event) => {
    if (event.ctrlKey || event.metaKey || event.shiftKey) {
      if (state.hidden.has(name)) state.hidden.delete(name); else state.hidden.add(name);
    } else {
      const isolated = state.hidden.size === series.length - 1 && !state.hidden.has(name);
      state.hidden = isolated ? new Set() : new Set(series.map((item) => item.name).filter((other) => other !== name));
    }
    render(container);
  };
  const entry = (item) => h("button", { type: "button", class: `legend-item${state.hidden.has(item.name) ? " off" : ""}`,
    title: "Click: show only this series; Ctrl+click: show/hide it", onclick: (event) => toggle(item.name, event) },
  h("span", { class: "swatch", style: { background: item.color } }), h("span", { class: "legend-name" }, item.name));
  if (config.legend !== "table") return h("div", { class: "legend" }, series.map(entry));
  const stats = (points) => {
    const values = points.map(([, v]) => v).filter(Number.isFinite);
    if (!values.length) return ["–", "–", "–", "–"];
    const sum = values.reduce((a, b) => a + b, 0);
    return [Math.min(...values), Math.max(...values), sum / values.length, values[values.length - 1]].map((v) => formatValue(v, config.unit));
  };
  return h("div", { class: "legend legend-table" }, h("table", {},
    h("thead", {}, h("tr", {}, h("th", {}, "Series"), ["Min", "Max", "Mean", "Last"].map((title) => h("th", { class: "num" }, title)))),
    h("tbody", {}, series.map((item) => h("tr", { class: state.hidden.has(item.name) ? "off" : null },
      h("td", {}, entry(item)), stats(item.points).map((text) => h("td", { class: "num" }, text)))))));
}

function attachPointer({ container, svg, overlay, crosshair, selection, tooltip, visible, config, x, start, end, margin, plotWidth, step, type }) {
  const times = [...new Set(visible.flatMap((item) => item.points.map(([t]) => t)))].sort((a, b) => a - b);
  const lookup = visible.map((item) => new Map(item.points));
  const timeAt = (clientX) => {
    const box = svg.getBoundingClientRect();
    const px = Math.min(Math.max(clientX - box.left, margin.left), margin.left + plotWidth);
    return start + ((px - margin.left) / plotWidth) * (end - start);
  };
  const nearest = (t) => {
    // Bars cover (t - step, t]: the bar under the pointer is the first time at or after it.
    if (type === "bar") return times.find((time) => time >= t && time - step < t) ?? null;
    let lo = 0, hi = times.length - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (times[mid] < t) lo = mid + 1; else hi = mid; }
    const candidates = [times[lo - 1], times[lo]].filter((v) => v !== undefined);
    const best = candidates.sort((a, b) => Math.abs(a - t) - Math.abs(b - t))[0];
    return best !== undefined && Math.abs(best - t) <= Math.max(step, (end - start) / 50) ? best : null;
  };
  let dragFrom = null;
  overlay.addEventListener("mousemove", (event) => {
    const t = timeAt(event.clientX);
    if (dragFrom !== null) {
      const a = x(Math.min(dragFrom, t)), b = x(Math.max(dragFrom, t));
      selection.setAttribute("x", a);
      selection.setAttribute("width", Math.max(0, b - a));
      selection.setAttribute("visibility", "visible");
    }
    const at = nearest(t);
    if (at === null) { crosshair.setAttribute("visibility", "hidden"); tooltip.hidden = true; return; }
    crosshair.setAttribute("x1", x(at));
    crosshair.setAttribute("x2", x(at));
    crosshair.setAttribute("visibility", "visible");
    const rows = visible.map((item, index) => ({ item, value: lookup[index].get(at) }))
      .filter((row) => row.value !== undefined).sort((a, b) => b.value - a.value);
    const shown = rows.slice(0, 12);
    fill(tooltip, h("div", { class: "tooltip-time" }, type === "bar" ? `${formatTime(at - step)} – ${formatTime(at)}` : formatTime(at)),
      shown.map((row) => h("div", { class: "tooltip-row" }, h("span", { class: "swatch", style: { background: row.item.color } }),
        h("span", { class: "tooltip-name" }, row.item.name), h("span", { class: "tooltip-value" }, formatValue(row.value, config.unit)))),
      rows.length > shown.length ? h("div", { class: "tooltip-more" }, `… ${rows.length - shown.length} more`) : null);
    tooltip.hidden = false;
    const box = container.getBoundingClientRect();
    const left = event.clientX - box.left + 14;
    tooltip.style.left = `${Math.min(left, box.width - tooltip.offsetWidth - 4)}px`;
    tooltip.style.top = `${Math.max(0, event.clientY - box.top - tooltip.offsetHeight - 10)}px`;
  });
  overlay.addEventListener("mouseleave", () => {
    crosshair.setAttribute("visibility", "hidden");
    tooltip.hidden = true;
  });
  if (!config.onSelectRange) return;
  overlay.classList.add("zoomable");
  overlay.addEventListener("mousedown", (event) => {
    dragFrom = timeAt(event.clientX);
    event.preventDefault();
  });
  const finish = (event) => {
    if (dragFrom === null) return;
    const to = timeAt(event.clientX);
    const from = dragFrom;
    dragFrom = null;
    selection.setAttribute("visibility", "hidden");
    if (Math.abs(x(to) - x(from)) > 4) config.onSelectRange(Math.round(Math.min(from, to)), Math.round(Math.max(from, to)));
  };
  overlay.addEventListener("mouseup", finish);
  overlay.addEventListener("mouseleave", () => { dragFrom = null; selection.setAttribute("visibility", "hidden"); });
}
