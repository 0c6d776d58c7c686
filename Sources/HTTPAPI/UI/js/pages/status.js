// Status: the appliance's view of itself from /api/sluice/v1/status (StatusAPI.swift):
// topics and partitions with offsets and sizes, consumers (Kafka groups and the
// appliance's own pipelines) with committed offsets and lag, and agents with when each
// was last seen. Refreshed every 10 s while shown.

import { poller } from "../poller.js";
import { getJSON } from "../api.js";
import { h, fill, errorBox, withLoading, dataTable, badge } from "../dom.js";
import { formatValue } from "../format.js";
import { relativeTime, formatTime } from "../time.js";

const REFRESH_MS = 10000;
const STALE_AGENT_MS = 120000;

let ui = null;
const refresher = poller(REFRESH_MS, () => refresh());

export default {
  init(section) {
    ui = {
      section,
      summary: h("div", { class: "stat-row" }),
      errors: h("div", { class: "errors" }),
      topics: h("div", { id: "topics", class: "table-scroll" }),
      consumers: h("div", { id: "consumers", class: "table-scroll" }),
      agents: h("div", { id: "agents", class: "table-scroll" }),
      updated: h("span", { class: "muted" }),
    };
    section.append(
      h("div", { class: "page-head" }, h("h1", {}, "Status"), ui.updated, h("span", { class: "spacer" }),
        h("button", { type: "button", onclick: () => refresh(), title: "Reload now" }, "Refresh")),
      ui.errors, ui.summary,
      h("div", { class: "card" }, h("h2", {}, "Topics"), ui.topics),
      h("div", { class: "card" }, h("h2", {}, "Consumers"), ui.consumers),
      h("div", { class: "card" }, h("h2", {}, "Agents"), ui.agents));
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
  try {
    const request = getJSON("/api/sluice/v1/status");
    const data = await (first ? withLoading(ui.section.querySelector(".page-head"), request) : request);
    fill(ui.errors);
    render(data);
    ui.updated.textContent = `as of ${formatTime(Date.parse(data.now))}`;
  } catch (error) {
    fill(ui.errors, errorBox(error));
  }
}

function render(data) {
  const partitions = data.topics.flatMap((topic) => topic.partitions.map((partition) => ({ topic: topic.name, ...partition,
    records: partition.log_end_offset - partition.log_start_offset })));
  const consumers = data.consumers.flatMap((group) => (group.partitions.length ? group.partitions : [null]).map((partition) => ({ ...group, partition })));
  const now = Date.parse(data.now) || Date.now();
  const totalBytes = partitions.reduce((sum, p) => sum + p.size_bytes, 0);
  const totalLag = consumers.reduce((sum, c) => sum + (c.partition?.lag || 0), 0);
  const stale = data.agents.filter((agent) => now - Date.parse(agent.last_seen) > STALE_AGENT_MS).length;

  fill(ui.summary, [
    ["Topics", String(data.topics.length)], ["Stored", formatValue(totalBytes, "bytes")],
    ["Records", formatValue(partitions.reduce((sum, p) => sum + p.records, 0), "short")],
    ["Consumer lag", totalLag.toLocaleString("en-US")], ["Agents", `${data.agents.length}${stale ? ` (${stale} quiet)` : ""}`],
  ].map(([label, value]) => h("div", { class: "card stat" }, h("span", { class: "stat-label" }, label), h("span", { class: "stat-value" }, value))));

  fill(ui.topics, dataTable([
    { title: "Topic", cell: (p) => h("strong", {}, p.topic), sort: (p) => p.topic },
    { title: "Partition", class: "num", cell: (p) => String(p.partition), sort: (p) => p.partition },
    { title: "Start offset", class: "num", cell: (p) => p.log_start_offset.toLocaleString("en-US"), sort: (p) => p.log_start_offset },
    { title: "End offset", class: "num", cell: (p) => p.log_end_offset.toLocaleString("en-US"), sort: (p) => p.log_end_offset },
    { title: "Records", class: "num", cell: (p) => p.records.toLocaleString("en-US"), sort: (p) => p.records },
    { title: "Size", class: "num", cell: (p) => formatValue(p.size_bytes, "bytes"), sort: (p) => p.size_bytes },
    { title: "Segments", class: "num", cell: (p) => String(p.segments), sort: (p) => p.segments },
  ], partitions, { empty: "No topics yet." }));

  fill(ui.consumers, dataTable([
    { title: "Group", cell: (c) => h("strong", {}, c.group), sort: (c) => c.group },
    { title: "Kind", cell: (c) => (c.kind === "internal" ? "appliance" : "Kafka group"), sort: (c) => c.kind },
    { title: "State", cell: (c) => badge(c.state, c.state.toLowerCase()) },
    { title: "Members", class: "num", cell: (c) => String(c.members) },
    { title: "Topic / partition", cell: (c) => (c.partition ? `${c.partition.topic} / ${c.partition.partition}` : "–"), sort: (c) => (c.partition ? c.partition.topic : "") },
    { title: "Committed", class: "num", cell: (c) => (c.partition ? c.partition.committed.toLocaleString("en-US") : "–") },
    { title: "End offset", class: "num", cell: (c) => (c.partition ? c.partition.log_end_offset.toLocaleString("en-US") : "–") },
    { title: "Lag", class: "num", cell: (c) => (c.partition ? h("span", { class: c.partition.lag > 0 ? "lagging" : "" }, c.partition.lag.toLocaleString("en-US")) : "–"),
      sort: (c) => c.partition?.lag ?? -1 },
  ], consumers, { empty: "No consumers." }));

  fill(ui.agents, dataTable([
    { title: "Host", cell: (a) => h("a", { href: `#/hosts?host=${encodeURIComponent(a.host)}`, title: "Host metrics" }, a.host), sort: (a) => a.host },
    { title: "Last seen", cell: (a) => {
      const seen = Date.parse(a.last_seen);
      return [relativeTime(seen), now - seen > STALE_AGENT_MS ? [" ", badge("quiet", "warning")] : null];
    }, sort: (a) => a.last_seen },
    { title: "Last batch at", cell: (a) => formatTime(Date.parse(a.last_seen)) },
    { title: "Events sent", class: "num", cell: (a) => (a.events_sent === null ? "–" : a.events_sent.toLocaleString("en-US")), sort: (a) => a.events_sent ?? -1 },
    { title: "Data gaps", class: "num", cell: (a) => (a.data_gaps === null ? "–" : h("span", { class: a.data_gaps > 0 ? "lagging" : "" }, a.data_gaps.toLocaleString("en-US"))),
      sort: (a) => a.data_gaps ?? -1 },
  ], data.agents, { empty: "No agent has sent metrics since the appliance started." }));
}
