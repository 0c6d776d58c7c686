// Alerts: what fires and what is pending (/api/v1/alerts), every rule with its state and
// health (/api/v1/rules), the history of transitions and dead letters from the `alerts`
// topic, and the backtest form (replay.js). Refreshed every 10 s while shown.

import { poller } from "../poller.js";
import { getJSON, sampleValue, isAbort } from "../api.js";
import { h, fill, errorBox, withLoading, dataTable, labelChips, badge } from "../dom.js";
import { formatNumber } from "../format.js";
import { relativeTime, formatTime } from "../time.js";
import { createReplay } from "./replay.js";

const REFRESH_MS = 10000;
const HISTORY_LIMIT = 200;

let ui = null;
const refresher = poller(REFRESH_MS, () => refresh());

export default {
  init(section) {
    const active = h("div", { id: "alerts-active", class: "table-scroll" });
    const rules = h("div", { id: "rules" });
    const history = h("div", { id: "history", class: "table-scroll" });
    const filter = h("input", { type: "search", placeholder: "Filter rules…", "aria-label": "Filter rules", class: "metric-insert" });
    filter.addEventListener("input", () => ui.lastRules && renderRules(ui.lastRules));
    const replay = createReplay();
    section.append(
      h("div", { class: "page-head" }, h("h1", {}, "Alerts"), h("span", { class: "muted", id: "alerts-updated" }),
        h("span", { class: "spacer" }), h("button", { type: "button", onclick: () => refresh(), title: "Reload now" }, "Refresh")),
      h("div", { class: "card" }, h("h2", {}, "Firing and pending"), active),
      h("div", { class: "two-columns" },
        h("div", { class: "card" }, h("div", { class: "page-head" }, h("h2", {}, "Rules"), h("span", { class: "spacer" }), filter), rules),
        h("div", { class: "card" }, h("h2", {}, "History ", h("span", { class: "muted small" }, `(newest ${HISTORY_LIMIT} records of the alerts topic)`)), history)),
      replay.element);
    ui = { section, active, rules, history, filter, updated: section.querySelector("#alerts-updated") };
  },

  enter() {
    refresh({ first: true });
    refresher.start();
  },

  leave() {
    refresher.stop();
  },
};

async function refresh({ first = false } = {}) {
  // Only the first load shows loading indicators; refreshes replace the tables quietly.
  const track = (element, promise) => (first ? withLoading(element, promise) : promise);
  await Promise.all([
    track(ui.active, getJSON("/api/v1/alerts")).then((data) => renderActive(data.alerts || []), (error) => show(ui.active, error)),
    track(ui.rules, getJSON("/api/v1/rules")).then((data) => { ui.lastRules = data.groups || []; renderRules(ui.lastRules); }, (error) => show(ui.rules, error)),
    track(ui.history, getJSON("/api/sluice/v1/alerts/history", { limit: HISTORY_LIMIT })).then((data) => renderHistory(data.entries || []), (error) => show(ui.history, error)),
  ]);
  ui.updated.textContent = `updated ${formatTime(Date.now())}`;
}

function show(element, error) {
  if (!isAbort(error)) fill(element, errorBox(error));
}

const STATE_RANK = { firing: 0, pending: 1, inactive: 2 };

function renderActive(alerts) {
  const rows = [...alerts].sort((a, b) => (STATE_RANK[a.state] ?? 3) - (STATE_RANK[b.state] ?? 3) || Date.parse(a.activeAt) - Date.parse(b.activeAt));
  fill(ui.active, dataTable([
    { title: "State", cell: (alert) => badge(alert.state), sort: (alert) => STATE_RANK[alert.state] ?? 3 },
    { title: "Alert", cell: (alert) => h("strong", {}, alert.labels.alertname || ""), sort: (alert) => alert.labels.alertname || "" },
    { title: "Labels", cell: (alert) => labelChips(alert.labels, { skip: ["alertname"] }) },
    { title: "Value", class: "num", cell: (alert) => formatNumber(sampleValue(alert.value)), sort: (alert) => sampleValue(alert.value) },
    { title: "Active since", cell: (alert) => [relativeTime(Date.parse(alert.activeAt)), h("div", { class: "muted small" }, formatTime(Date.parse(alert.activeAt)))],
      sort: (alert) => Date.parse(alert.activeAt) },
    { title: "Summary", cell: (alert) => alert.annotations?.summary || alert.annotations?.description || "" },
  ], rows, { rowClass: (alert) => `alert alert-${alert.state}`, empty: "Nothing is firing or pending." }));
}

function renderRules(groups) {
  const needle = ui.filter.value.trim().toLowerCase();
  const blocks = groups.map((group) => {
    const rules = (group.rules || []).filter((rule) => !needle || `${rule.name} ${rule.query}`.toLowerCase().includes(needle));
    if (!rules.length) return null;
    return h("div", { class: "rule-group" },
      h("h3", {}, group.name, " ", h("span", { class: "muted small" }, `${group.file} · every ${group.interval}s · evaluated `,
        group.lastEvaluation && !group.lastEvaluation.startsWith("0001") ? relativeTime(Date.parse(group.lastEvaluation)) : "never")),
      dataTable([
        { title: "Rule", cell: (rule) => [h("strong", {}, rule.name), h("a", { class: "rule-query", title: "Chart this expression",
          href: `#/metrics?${new URLSearchParams({ query: rule.query, range: "6h" })}` }, rule.query)] },
        { title: "State", cell: (rule) => (rule.type === "recording" ? badge("recording", "unknown") : badge(rule.state)) },
        { title: "Health", cell: (rule) => [badge(rule.health), rule.lastError ? h("div", { class: "error small" }, rule.lastError) : null] },
        { title: "For", cell: (rule) => (rule.duration ? `${rule.duration}s` : "") },
        { title: "Alerts", class: "num", cell: (rule) => (rule.alerts ? String(rule.alerts.length) : "") },
      ], rules, { rowClass: (rule) => `rule rule-${rule.state || rule.type}` }));
  }).filter(Boolean);
  fill(ui.rules, blocks.length ? blocks : h("div", { class: "no-data" }, needle ? "No rule matches the filter." : "No rules are loaded (alerting.rule_files)."));
}

function renderHistory(entries) {
  fill(ui.history, dataTable([
    { title: "Time", cell: (entry) => h("span", { title: entry.timestamp }, formatTime(Date.parse(entry.timestamp))), sort: (entry) => entry.timestamp },
    { title: "Rule", cell: (entry) => (entry.type === "transition" ? h("strong", {}, entry.rule)
      : entry.type === "dead_letter" ? [badge("dead letter", "error"), " ", entry.receiver || ""] : badge(entry.type, "unknown")) },
    { title: "Change", cell: (entry) => (entry.type === "transition" ? [badge(entry.from), " → ", badge(entry.to)]
      : entry.type === "dead_letter" ? h("span", { class: "small" }, `${entry.url || ""}: ${entry.error || ""} (${entry.attempts} attempts)`)
        : h("span", { class: "mono small" }, entry.text || "")) },
    { title: "Labels", cell: (entry) => (entry.labels ? labelChips(entry.labels, { skip: ["alertname"] }) : "") },
    { title: "Value", class: "num", cell: (entry) => (entry.value === undefined || entry.value === null ? "" : formatNumber(sampleValue(entry.value))) },
  ], entries, { rowClass: (entry) => `history-${entry.type}`, empty: "No alert has changed state yet." }));
}
