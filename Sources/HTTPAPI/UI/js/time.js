// Time ranges, query steps and time formatting.

export const QUICK_RANGES = [
  ["5m", "Last 5 minutes"], ["15m", "Last 15 minutes"], ["1h", "Last 1 hour"],
  ["6h", "Last 6 hours"], ["24h", "Last 24 hours"], ["7d", "Last 7 days"],
];

const UNIT_MS = { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000, w: 604800000 };

/** "1h30m", "15s", "7d" → milliseconds; NaN when not a duration. */
export function parseDuration(text) {
  const parts = String(text || "").trim().match(/^(\d+(?:\.\d+)?(ms|s|m|h|d|w))+$/);
  if (!parts) return NaN;
  let total = 0;
  for (const [, amount, unit] of String(text).trim().matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) total += Number(amount) * UNIT_MS[unit];
  return total;
}

/** milliseconds → the shortest Go/Prometheus duration text: 90000 → "1m30s". */
export function durationText(ms) {
  if (ms <= 0) return "0s";
  if (ms % 1000) return `${Math.round(ms)}ms`;
  let seconds = Math.round(ms / 1000);
  let text = "";
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]]) {
    if (seconds >= size) {
      text += Math.floor(seconds / size) + unit;
      seconds %= size;
    }
  }
  return text;
}

/**
 * A range as kept in page state and the URL: {range: "1h"} (relative to now) or
 * {range: "custom", from: ms, to: ms}. Resolved to absolute {start, end} ms.
 */
export function resolveRange(state, now = Date.now()) {
  if (state.range === "custom" && Number.isFinite(state.from) && Number.isFinite(state.to)) {
    return { start: state.from, end: state.to };
  }
  const span = parseDuration(state.range) || 3600000;
  return { start: now - span, end: now };
}

/** Range state from URL parameters (range=1h, or from/to in ms), else `fallback`. */
export function rangeFromParams(params, fallback = "1h") {
  const from = Number(params.get("from")), to = Number(params.get("to"));
  if (params.get("from") && params.get("to") && Number.isFinite(from) && Number.isFinite(to) && from < to) {
    return { range: "custom", from, to };
  }
  const range = params.get("range");
  return { range: range && parseDuration(range) > 0 ? range : fallback };
}

export function rangeToParams(state) {
  return state.range === "custom" ? { from: state.from, to: state.to } : { range: state.range };
}

// Steps a human reads easily (seconds), for queries and histogram buckets.
const NICE_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/** A nice step (seconds) giving at most about `points` points over the range. */
export function stepFor(rangeMs, points = 250) {
  const wanted = rangeMs / 1000 / points;
  return NICE_STEPS.find((step) => step >= wanted) || Math.ceil(wanted / 86400) * 86400;
}

/** Aligns a range to whole steps, so repeated queries evaluate at the same instants. */
export function alignRange(start, end, stepSeconds) {
  const step = stepSeconds * 1000;
  return { start: Math.floor(start / step) * step, end: Math.ceil(end / step) * step };
}

/** The rate window for a step: wide enough for two samples of a 10 s–1 min scrape. */
export function rateWindow(stepSeconds) {
  return durationText(Math.max(60, stepSeconds * 4) * 1000);
}

const pad = (number, width = 2) => String(number).padStart(width, "0");

/** Local "2026-11-23 08:32:44" (with .mmm when `millis`). */
export function formatTime(ms, { millis = false } = {}) {
  const d = new Date(ms);
  const text = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return millis ? `${text}.${pad(d.getMilliseconds(), 3)}` : text;
}

/** The value of a datetime-local input for `ms` (local time, seconds precision). */
export function toLocalInput(ms) {
  return formatTime(ms).replace(" ", "T");
}

/** A datetime-local input's value → ms (NaN when empty or invalid). */
export function fromLocalInput(value) {
  return value ? new Date(value).getTime() : NaN;
}

/** "12 s ago", "3 min ago", "in 5 s" — relative to now. */
export function ago(ms, now = Date.now()) {
  const seconds = Math.round((now - ms) / 1000);
  const magnitude = Math.abs(seconds);
  let text;
  if (magnitude < 60) text = `${magnitude} s`;
  else if (magnitude < 3600) text = `${Math.floor(magnitude / 60)} min`;
  else if (magnitude < 86400) text = `${Math.floor(magnitude / 3600)} h ${Math.floor((magnitude % 3600) / 60)} min`;
  else text = `${Math.floor(magnitude / 86400)} d ${Math.floor((magnitude % 86400) / 3600)} h`;
  return seconds >= 0 ? `${text} ago` : `in ${text}`;
}

/** A <time> showing "12 s ago" (absolute time on hover), kept current every second. */
export function relativeTime(ms) {
  const element = document.createElement("time");
  if (!Number.isFinite(ms)) {
    element.textContent = "never";
    return element;
  }
  element.className = "relative";
  element.dataset.ms = String(ms);
  element.dateTime = new Date(ms).toISOString();
  element.title = formatTime(ms, { millis: true });
  element.textContent = ago(ms);
  return element;
}

setInterval(() => {
  const now = Date.now();
  for (const element of document.querySelectorAll("time.relative")) element.textContent = ago(Number(element.dataset.ms), now);
}, 1000);
