// The single-page app: shows the section of the page named by the hash, lets each page
// build itself once (init) and start/stop its work when shown/hidden (enter/leave).

import { currentRoute } from "./router.js";
import { getJSON } from "./api.js";
import explore from "./pages/explore.js";
import metrics from "./pages/metrics.js";
import hosts from "./pages/hosts.js";
import alerts from "./pages/alerts.js";
import dashboards from "./pages/dashboards.js";
import status from "./pages/status.js";

const PAGES = { explore, metrics, hosts, alerts, dashboards, status };
const TITLES = { explore: "Explore", metrics: "Metrics", hosts: "Hosts", alerts: "Alerts", dashboards: "Dashboards", status: "Status" };
const initialized = new Set();
let active = null;

function navigate() {
  const route = currentRoute();
  if (!PAGES[route.page]) {
    history.replaceState(null, "", "#/explore");
    route.page = "explore";
  }
  if (active && active !== route.page) PAGES[active].leave?.();
  for (const [name] of Object.entries(PAGES)) {
    document.getElementById(`page-${name}`).hidden = name !== route.page;
    document.querySelector(`a[data-page="${name}"]`).toggleAttribute("aria-current", name === route.page);
  }
  const page = PAGES[route.page];
  const section = document.getElementById(`page-${route.page}`);
  if (!initialized.has(route.page)) {
    page.init(section);
    initialized.add(route.page);
  }
  active = route.page;
  document.title = `${TITLES[route.page]} · Sluice`;
  page.enter(route);
}

// How many alerts fire, beside the Alerts link: worth seeing from every page.
async function refreshAlertCount() {
  const badge = document.getElementById("nav-alert-count");
  try {
    const data = await getJSON("/api/v1/alerts");
    const firing = (data.alerts || []).filter((alert) => alert.state === "firing").length;
    badge.textContent = String(firing);
    badge.hidden = firing === 0;
    badge.title = `${firing} firing`;
  } catch {
    badge.hidden = true;  // the Alerts page shows the error itself
  }
}

document.getElementById("theme-toggle").addEventListener("click", () => {
  const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
  document.documentElement.dataset.theme = next;
  localStorage.setItem("sluice-theme", next);
});

window.addEventListener("hashchange", navigate);
navigate();
refreshAlertCount();
setInterval(refreshAlertCount, 15000);
