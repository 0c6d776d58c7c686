// Hosts: one host's CPU, memory, load, network, disk I/O and filesystems from the
// node_exporter-named metrics the agent sends (Sources/AgentInputs/HostMetrics), plus a
// strip of current values. Every series carries the agent's `host` label.

import { poller } from "../poller.js";
import { getJSON, promInstant, sampleValue, isAbort } from "../api.js";
import { h, fill, clear, errorBox, withLoading, dataTable } from "../dom.js";
import { drawChart } from "../chart.js";
import { rangePicker } from "../rangepicker.js";
import { resolveRange, rangeFromParams, rangeToParams, stepFor, alignRange, rateWindow } from "../time.js";
import { formatValue } from "../format.js";
import { promString, rangeSeries } from "../promql.js";
import { replaceHash } from "../router.js";

// Memory-backed and image filesystems are full or empty by design: not worth a row.
const PSEUDO_FS = 'fstype!~"tmpfs|ramfs|devtmpfs|squashfs|overlay|iso9660|erofs|nsfs|proc|sysfs"';
const REAL_DISKS = 'device!~"loop.*|z?ram.*|fd[0-9]+"';
const REFRESH_MS = 30000;

/** The charts: id, title, unit and queries (host selector `H`, rate window `W`). */
const CHARTS = [
  { id: "cpu", title: "CPU busy", unit: "ratio", yMax: 1, queries: (H, W) => [
    { query: `1 - avg(rate(node_cpu_seconds_total{${H},mode="idle"}[${W}]))`, legend: "busy (all CPUs)" },
    { query: `avg by (mode) (rate(node_cpu_seconds_total{${H},mode=~"user|system|iowait|steal"}[${W}]))`, legend: "{{mode}}" }] },
  { id: "memory", title: "Memory", unit: "bytes", queries: (H) => [
    { query: `node_memory_MemTotal_bytes{${H}} - node_memory_MemAvailable_bytes{${H}}`, legend: "used" },
    { query: `node_memory_MemAvailable_bytes{${H}}`, legend: "available" },
    { query: `node_memory_MemTotal_bytes{${H}}`, legend: "total" }] },
  { id: "load", title: "Load average", unit: "none", queries: (H) => [
    { query: `node_load1{${H}}`, legend: "1 min" }, { query: `node_load5{${H}}`, legend: "5 min" }, { query: `node_load15{${H}}`, legend: "15 min" }] },
  { id: "network", title: "Network traffic", unit: "bytes/s", queries: (H, W) => [
    { query: `rate(node_network_receive_bytes_total{${H},device!="lo"}[${W}])`, legend: "{{device}} receive" },
    { query: `rate(node_network_transmit_bytes_total{${H},device!="lo"}[${W}])`, legend: "{{device}} transmit" }] },
  { id: "disk", title: "Disk I/O", unit: "bytes/s", queries: (H, W) => [
    { query: `rate(node_disk_read_bytes_total{${H},${REAL_DISKS}}[${W}])`, legend: "{{device}} read" },
    { query: `rate(node_disk_written_bytes_total{${H},${REAL_DISKS}}[${W}])`, legend: "{{device}} write" }] },
];

const STATS = [
  { title: "CPU busy", unit: "ratio", query: (H) => `1 - avg(rate(node_cpu_seconds_total{${H},mode="idle"}[1m]))` },
  { title: "CPUs", unit: "none", query: (H) => `count(node_cpu_seconds_total{${H},mode="idle"})` },
  { title: "Memory used", unit: "ratio", query: (H) => `1 - node_memory_MemAvailable_bytes{${H}} / node_memory_MemTotal_bytes{${H}}` },
  { title: "Memory total", unit: "bytes", query: (H) => `node_memory_MemTotal_bytes{${H}}` },
  { title: "Load (1 min)", unit: "none", query: (H) => `node_load1{${H}}` },
  { title: "Uptime", unit: "seconds", query: (H) => `time() - node_boot_time_seconds{${H}}` },
];

/** The overview of every host: one instant query per column, by host. */
const OVERVIEW = [
  { title: "CPU busy", unit: "ratio", query: '1 - avg by (host) (rate(node_cpu_seconds_total{mode="idle"}[1m]))' },
  { title: "CPUs", unit: "none", query: 'count by (host) (node_cpu_seconds_total{mode="idle"})' },
  { title: "Memory used", unit: "ratio", query: "1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes" },
  { title: "Load (1 min)", unit: "none", query: "node_load1" },
  { title: "Fullest filesystem", unit: "ratio",
    query: `max by (host) (1 - node_filesystem_avail_bytes{${PSEUDO_FS}} / node_filesystem_size_bytes{${PSEUDO_FS}})` },
];

let ui = null;
let controller = null;
// Relative ranges move with the clock; custom ones do not need reloading.
let visits = 0;
const refresher = poller(REFRESH_MS, () => { if (ui.picker.get().range !== "custom") load({ quiet: true }); });

export default {
  init(section) {
    const host = h("select", { id: "host", "aria-label": "Host", title: "Host" });
    host.addEventListener("change", () => load());
    const picker = rangePicker({ select: "hosts-range", from: "hosts-from", to: "hosts-to" }, () => load());
    const stats = h("div", { class: "stat-row", id: "host-stats" });
    const errors = h("div", { class: "errors" });
    const cards = CHARTS.map((chart) => h("div", { class: "card chart-card" }, h("div", { class: "card-title" }, chart.title),
      h("div", { id: `chart-${chart.id}` })));
    const filesystems = h("div", { id: "filesystems", class: "table-scroll" });
    const overview = h("div", { id: "hosts-overview", class: "table-scroll" });
    section.append(
      h("div", { class: "page-head" }, h("h1", {}, "Hosts"), h("label", { class: "inline-label" }, "Host ", host), picker.element,
        h("button", { type: "button", onclick: () => load(), title: "Reload the charts" }, "Refresh")),
      errors, stats, h("div", { class: "chart-grid" }, cards,
        h("div", { class: "card" }, h("div", { class: "card-title" }, "Filesystems"), filesystems)),
      h("div", { class: "card" }, h("div", { class: "card-title" }, "All hosts ", h("span", { class: "muted" }, "· now; click a host to chart it")), overview));
    ui = { section, host, picker, stats, errors, filesystems, overview };
  },

  async enter(route) {
    const visit = ++visits;
    if (route.params.has("range") || route.params.has("from")) ui.picker.set(rangeFromParams(route.params));
    const wanted = route.params.get("host") || ui.host.value;
    await loadHosts(wanted);
    // Left (or entered again) while the host list loaded: that visit owns nothing now.
    if (visit !== visits) return;
    load();
    refresher.start();
  },

  leave() {
    visits += 1;
    refresher.stop();
    controller?.abort();
  },
};

async function loadHosts(wanted) {
  clear(ui.errors);
  try {
    // Hosts that send host metrics (not every host label belongs to an agent).
    const hosts = await withLoading(ui.section.querySelector(".page-head"),
      getJSON("/api/v1/label/host/values", { "match[]": '{__name__=~"node_.+"}' }));
    fill(ui.host, hosts.length ? hosts.map((name) => h("option", { value: name }, name)) : h("option", { value: "" }, "no hosts yet"));
    if (wanted && hosts.includes(wanted)) ui.host.value = wanted;
  } catch (error) {
    ui.errors.append(errorBox(error));
  }
}

async function load({ quiet = false } = {}) {
  const host = ui.host.value;
  replaceHash("hosts", [], host ? { host, ...rangeToParams(ui.picker.get()) } : rangeToParams(ui.picker.get()));
  controller?.abort();
  controller = new AbortController();
  const { signal } = controller;
  if (!host) {
    for (const chart of CHARTS) fill(document.getElementById(`chart-${chart.id}`), h("div", { class: "no-data" },
      "No host has sent host metrics yet: run sluice-agent with a host_metrics input."));
    return;
  }
  const H = `host=${promString(host)}`;
  const range = resolveRange(ui.picker.get());
  const step = stepFor(range.end - range.start);
  const { start, end } = alignRange(range.start, range.end, step);
  const W = rateWindow(step);
  const track = (element, promise) => (quiet ? promise : withLoading(element, promise));
  const work = CHARTS.map(async (chart) => {
    const element = document.getElementById(`chart-${chart.id}`);
    try {
      const series = await track(element.parentElement, rangeSeries(chart.queries(H, W), { start, end, step, signal }));
      drawChart(element, { series, unit: chart.unit, start, end, step: step * 1000, height: 210, yMax: chart.yMax, title: chart.title,
        emptyText: `No ${chart.title.toLowerCase()} data for ${host} in this range.`,
        onSelectRange: (from, to) => { ui.picker.set({ range: "custom", from, to }); load(); } });
    } catch (error) {
      if (!isAbort(error)) fill(element, errorBox(error));
    }
  });
  work.push(track(ui.stats, loadStats(H, signal)), track(ui.filesystems.parentElement, loadFilesystems(H, signal)),
    track(ui.overview.parentElement, loadOverview(signal)));
  await Promise.all(work);
}

async function loadStats(H, signal) {
  const values = await Promise.all(STATS.map((stat) => promInstant(stat.query(H), undefined, { signal })
    .then((data) => ({ value: data.result?.[0] ? sampleValue(data.result[0].value[1]) : null }), (error) => ({ error }))));
  if (signal.aborted) return;
  fill(ui.stats, STATS.map((stat, index) => {
    const { value, error } = values[index];
    return h("div", { class: "card stat" }, h("span", { class: "stat-label" }, stat.title),
      error ? errorBox(error) : h("span", { class: "stat-value" }, value === null ? "–" : formatValue(value, stat.unit)));
  }));
}

async function loadFilesystems(H, signal) {
  try {
    const [size, avail] = await Promise.all([
      promInstant(`node_filesystem_size_bytes{${H},${PSEUDO_FS}}`, undefined, { signal }),
      promInstant(`node_filesystem_avail_bytes{${H},${PSEUDO_FS}}`, undefined, { signal })]);
    const available = new Map(avail.result.map((item) => [item.metric.mountpoint, sampleValue(item.value[1])]));
    const rows = size.result.map((item) => {
      const total = sampleValue(item.value[1]);
      const free = available.get(item.metric.mountpoint) ?? NaN;
      return { ...item.metric, total, free, used: total - free, share: total > 0 ? (total - free) / total : 0 };
    });
    fill(ui.filesystems, dataTable([
      { title: "Mount point", cell: (row) => h("span", { class: "mono" }, row.mountpoint), sort: (row) => row.mountpoint },
      { title: "Device", cell: (row) => row.device, sort: (row) => row.device },
      { title: "Type", cell: (row) => row.fstype },
      { title: "Size", class: "num", cell: (row) => formatValue(row.total, "bytes"), sort: (row) => row.total },
      { title: "Available", class: "num", cell: (row) => formatValue(row.free, "bytes"), sort: (row) => row.free },
      { title: "Used", cell: (row) => h("span", { class: "inline-label" },
        h("span", { class: `usage-bar${row.share > 0.9 ? " full" : row.share > 0.75 ? " high" : ""}` }, h("span", { style: { width: `${(row.share * 100).toFixed(1)}%` } })),
        formatValue(row.share, "ratio")), sort: (row) => row.share },
    ], rows, { empty: "No filesystem metrics for this host." }));
  } catch (error) {
    if (!isAbort(error)) fill(ui.filesystems, errorBox(error));
  }
}

async function loadOverview(signal) {
  const results = await Promise.allSettled(OVERVIEW.map((column) => promInstant(column.query, undefined, { signal })));
  if (signal.aborted) return;
  const failed = results.find((result) => result.status === "rejected");
  if (failed) {
    fill(ui.overview, errorBox(failed.reason));
    return;
  }
  const byHost = new Map();
  results.forEach((result, index) => {
    for (const item of result.value.result) {
      if (!byHost.has(item.metric.host)) byHost.set(item.metric.host, { host: item.metric.host });
      byHost.get(item.metric.host)[index] = sampleValue(item.value[1]);
    }
  });
  const choose = (host) => {
    ui.host.value = host;
    load();
    window.scrollTo({ top: 0, behavior: "smooth" });
  };
  fill(ui.overview, dataTable([
    { title: "Host", cell: (row) => h("button", { type: "button", class: "link", onclick: () => choose(row.host) }, row.host), sort: (row) => row.host },
    ...OVERVIEW.map((column, index) => ({ title: column.title, class: "num", cell: (row) => formatValue(row[index], column.unit), sort: (row) => row[index] ?? -1 })),
  ], [...byHost.values()].sort((a, b) => a.host.localeCompare(b.host)), { rowClass: (row) => (row.host === ui.host.value ? "selected" : null),
    empty: "No host has sent host metrics in the last 5 minutes." }));
}
