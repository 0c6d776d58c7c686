// Log lines as the UI shows them (Explore and logs panels): a row with time, labels and
// the line with matches highlighted; a click opens the labels with filter buttons.

import { h, labelChips } from "./dom.js";
import { formatTime } from "./time.js";
import { highlight } from "./logql.js";

/** A Loki streams result as entries {ns: BigInt, labels, line}. */
export function entries(result) {
  const list = [];
  for (const stream of result || []) {
    for (const [ns, line] of stream.values) list.push({ ns: BigInt(ns), labels: stream.stream, line });
  }
  return list;
}

export const newestFirst = (a, b) => (a.ns < b.ns ? 1 : a.ns > b.ns ? -1 : 0);
export const oldestFirst = (a, b) => -newestFirst(a, b);

/**
 * One line's row. `onFilter(name, value, negate)` adds the + / − buttons of the details;
 * without it the row is a plain (compact) one.
 */
export function lineRow(entry, patterns, { onFilter, labels = (all) => all } = {}) {
  const level = String(entry.labels.level || entry.labels.detected_level || "unknown").toLowerCase();
  const row = h("div", { class: `line level-${level}`, tabindex: onFilter ? 0 : null,
    title: onFilter ? "Click for labels and filters" : Object.entries(entry.labels).map(([k, v]) => `${k}=${v}`).join(" ") },
  h("span", { class: "time", title: `${entry.ns} ns` }, formatTime(Number(entry.ns / 1000000n), { millis: true })),
  h("span", { class: "labels" }, labelChips(labels(entry.labels))),
  h("span", { class: "text" }, highlight(entry.line, patterns)));
  if (!onFilter) return row;
  const toggle = (event) => {
    if (event.target.closest("button") || window.getSelection().toString()) return;  // selecting text is not a click
    const open = row.nextElementSibling?.classList.contains("line-details");
    if (open) row.nextElementSibling.remove(); else row.after(lineDetails(entry, onFilter));
  };
  row.addEventListener("click", toggle);
  row.addEventListener("keydown", (event) => { if (event.key === "Enter") toggle(event); });
  return row;
}

function lineDetails(entry, onFilter) {
  return h("div", { class: "line-details" }, h("table", { class: "data compact" }, h("tbody", {},
    Object.entries(entry.labels).sort(([a], [b]) => a.localeCompare(b)).map(([name, value]) => h("tr", {},
      h("td", { class: "actions" },
        h("button", { type: "button", class: "small", title: `Only lines with ${name}="${value}"`, onclick: () => onFilter(name, value, false) }, "+"),
        h("button", { type: "button", class: "small", title: `Leave out lines with ${name}="${value}"`, onclick: () => onFilter(name, value, true) }, "−")),
      h("th", {}, name), h("td", { class: "mono" }, value))))),
  h("div", { class: "muted small" }, `timestamp ${entry.ns} ns (${new Date(Number(entry.ns / 1000000n)).toISOString()})`));
}
