// Dashboards: the list from /api/sluice/v1/dashboards (a broken definition shows its
// problem) and, at #/dashboards/<name>, the dashboard rendered from its definition
// (DashboardCatalog.swift): variables as selects, panels on a 12-column grid, the
// definition's default range and auto-refresh. Variables, range and refresh are kept in
// the URL (var-<name>=…, range, refresh).

import { getJSON, isAbort } from "../api.js";
import { h, fill, clear, errorBox, withLoading } from "../dom.js";
import { rangePicker } from "../rangepicker.js";
import { resolveRange, rangeFromParams, rangeToParams, parseDuration } from "../time.js";
import { renderPanel } from "../panels.js";
import { replaceHash } from "../router.js";
import { escapeRegex } from "../logql.js";

const ALL = "$__all";
const REFRESH_CHOICES = ["off", "5s", "10s", "30s", "1m", "5m", "15m"];

let section = null;
let view = null;  // the dashboard shown: {name, definition, picker, refresh, variables, panels, controller, timer}

export default {
  init(element) {
    section = element;
  },

  enter(route) {
    stop();
    if (route.rest[0]) openDashboard(route.rest[0], route.params);
    else showList();
  },

  leave() {
    stop();
  },
};

function stop() {
  if (!view) return;
  clearInterval(view.timer);
  view.controller?.abort();
  view = null;
}

// MARK: List

async function showList() {
  const list = h("div", { id: "dashboard-list", class: "dashboard-list" });
  fill(section, h("div", { class: "page-head" }, h("h1", {}, "Dashboards")), list);
  try {
    const dashboards = await withLoading(list, getJSON("/api/sluice/v1/dashboards"));
    fill(list, dashboards.length ? dashboards.map((entry) => {
      const problem = entry.error || entry.problem;
      return h("div", { class: "card dashboard-card" },
        h("h2", {}, problem ? entry.title : h("a", { href: `#/dashboards/${encodeURIComponent(entry.name)}` }, entry.title)),
        entry.description ? h("p", { class: "muted" }, entry.description) : null,
        problem ? errorBox(problem) : null,
        h("div", { class: "muted small", style: { marginTop: "6px" } }, `${entry.name}.json`));
    }) : h("div", { class: "empty-state" }, "No dashboards: put JSON definitions in the folder named by ui.dashboards."));
  } catch (error) {
    fill(list, errorBox(error));
  }
}

// MARK: One dashboard

async function openDashboard(name, params) {
  const head = h("div", { class: "page-head" }, h("a", { href: "#/dashboards" }, "← Dashboards"), h("h1", {}, name));
  const body = h("div", { class: "dashboard-body" });
  fill(section, head, body);
  // The view is this dashboard from now on, so that leaving or opening another while the
  // definition loads is seen below and this one never schedules refreshes.
  const current = { name, definition: null, controller: null, timer: null, values: {}, inFlight: false };
  view = current;
  let definition;
  try {
    definition = await withLoading(head, getJSON(`/api/sluice/v1/dashboards/${encodeURIComponent(name)}`));
  } catch (error) {
    if (view === current) fill(body, errorBox(error));
    return;
  }
  if (view !== current) return;
  current.definition = definition;
  fill(head.querySelector("h1"), definition.title);
  if (definition.description) head.after(h("p", { class: "muted dashboard-description" }, definition.description));

  current.picker = rangePicker({ select: "dashboard-range", from: "dashboard-from", to: "dashboard-to" }, () => refresh(current));
  current.picker.set(params.has("range") || params.has("from") ? rangeFromParams(params) : { range: definition.time || "1h" });
  const refreshDefault = params.get("refresh") || definition.refresh || "off";
  current.refresh = h("select", { id: "dashboard-refresh", title: "Auto-refresh", "aria-label": "Auto-refresh" },
    [...new Set([...REFRESH_CHOICES, refreshDefault])].map((value) => h("option", { value }, value === "off" ? "Auto-refresh off" : `Every ${value}`)));
  current.refresh.value = refreshDefault;
  current.refresh.addEventListener("change", () => { schedule(current); saveState(current); });
  // One toolbar: the variables on the left, time range and refresh on the right.
  const variables = h("div", { class: "variables" });
  const toolbar = h("div", { class: "toolbar dashboard-toolbar" }, variables, h("span", { class: "spacer" }), current.picker.element, current.refresh,
    h("button", { type: "button", title: "Reload every panel", onclick: () => refresh(current) }, "Refresh"));

  const grid = h("div", { class: "dashboard-grid" });
  current.panels = (definition.panels || []).map((panel) => {
    const width = panel.width || (panel.type === "logs" || panel.type === "table" ? 12 : 6);
    const title = h("div", { class: "panel-title", title: panel.title }, panel.title);
    const link = h("a", { class: "panel-link", title: "Open the query in Explore/Metrics" }, "↗");
    const content = h("div", { class: "panel-body" });
    const element = h("div", { class: `card panel panel-${panel.type}`, "data-state": "loading", style: { gridColumn: `span ${width}` } },
      h("div", { class: "panel-head" }, title, link), content);
    grid.append(element);
    return { panel, element, content, link };
  });
  fill(body, toolbar, grid);
  await loadVariables(current, variables, params);
  if (view !== current) return;
  schedule(current);
  refresh(current, { first: true });
}

function saveState(current) {
  const params = { ...rangeToParams(current.picker.get()) };
  if (current.refresh.value !== (current.definition.refresh || "off")) params.refresh = current.refresh.value;
  for (const variable of current.definition.variables || []) params[`var-${variable.name}`] = current.values[variable.name];
  replaceHash("dashboards", [current.name], params);
}

function schedule(current) {
  clearInterval(current.timer);
  const every = parseDuration(current.refresh.value);
  if (every > 0) current.timer = setInterval(() => { if (current.picker.get().range !== "custom") refresh(current, { quiet: true }); }, Math.max(every, 1000));
}

// MARK: Variables

async function loadVariables(current, container, params) {
  for (const variable of current.definition.variables || []) {
    const select = h("select", { class: "variable", name: variable.name, id: `var-${variable.name}`, multiple: !!variable.multi,
      "aria-label": variable.label || variable.name });
    container.append(h("label", {}, variable.label || variable.name, select));
    let values = [];
    try {
      // A variable's `match` may use the variables before it ($host in a disk selector).
      const match = variable.values.match ? substitute(variable.values.match, variableValues(current)) : undefined;
      values = await withLoading(container, getJSON(`/api/v1/label/${encodeURIComponent(variable.values.label)}/values`, { "match[]": match }));
    } catch (error) {
      if (!isAbort(error)) container.append(errorBox(`variable ${variable.name}: ${error.message}`));
    }
    const options = [...(variable.all ? [[ALL, "All"]] : []), ...values.map((value) => [value, value])];
    fill(select, options.length ? options.map(([value, text]) => h("option", { value }, text)) : h("option", { value: "" }, "(no values)"));
    if (variable.multi) select.size = Math.min(4, Math.max(2, options.length));
    const wanted = params.getAll(`var-${variable.name}`).filter((value) => value === ALL || values.includes(value));
    const chosen = wanted.length ? wanted : [options[0]?.[0] ?? ""];
    for (const option of select.options) option.selected = chosen.includes(option.value);
    current.values[variable.name] = chosen;
    select.addEventListener("change", () => {
      let selected = [...select.selectedOptions].map((option) => option.value);
      // "All" with other values means the other values.
      if (selected.length > 1 && selected.includes(ALL)) selected = selected.filter((value) => value !== ALL);
      current.values[variable.name] = selected.length ? selected : [options[0]?.[0] ?? ""];
      refresh(current);
    });
  }
}


/** Each variable's text in a query: a value, `.+` for All, `a|b` (regex-escaped) for several. */
function variableValues(current) {
  const result = {};
  for (const [name, chosen] of Object.entries(current.values)) {
    if (chosen.includes(ALL)) result[name] = ".+";
    else if (chosen.length === 1) result[name] = chosen[0];
    // Escaped for the regex, then the backslashes doubled for the query's string literal.
    else result[name] = chosen.map((value) => escapeRegex(value).replace(/\\/g, "\\\\")).join("|");
  }
  return result;
}

/** $name and ${name} replaced; unknown names are left as written. */
export function substitute(query, values) {
  return query.replace(/\$\{([A-Za-z_]\w*)\}|\$([A-Za-z_]\w*)/g, (text, braced, plain) => {
    const name = braced || plain;
    return name in values ? values[name] : text;
  });
}

// MARK: Panels

async function refresh(current, { first = false, quiet = false } = {}) {
  if (view !== current) return;
  // An auto-refresh tick leaves a slow refresh running: aborting it would mean panels
  // never update when queries take longer than the interval.
  if (quiet && current.inFlight) return;
  saveState(current);
  current.controller?.abort();
  current.controller = new AbortController();
  const { signal } = current.controller;
  current.inFlight = true;
  const range = resolveRange(current.picker.get());
  const values = variableValues(current);
  const rangeParams = new URLSearchParams(rangeToParams(current.picker.get())).toString();
  try {
    await Promise.all(current.panels.map(async ({ panel, element, content, link }) => {
      const query = substitute(panel.query, values);
      const page = panel.language === "logql" ? "explore" : "metrics";
      link.href = `#/${page}?${new URLSearchParams({ query }).toString()}&${rangeParams}`;
      if (first) clear(content);
      try {
        const state = await (quiet ? renderPanel(content, panel, query, range, signal)
          : withLoading(element, renderPanel(content, panel, query, range, signal)));
        element.dataset.state = state;
      } catch (error) {
        if (isAbort(error)) return;
        fill(content, errorBox(error));
        element.dataset.state = "error";
      }
    }));
  } finally {
    if (current.controller.signal === signal) current.inFlight = false;
  }
}
