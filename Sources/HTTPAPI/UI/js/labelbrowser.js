// The label browser beside a LogQL box: label names of the range, then a name's values;
// picking a value calls onPick(name, value).

import { getJSON, nanos } from "./api.js";
import { h, fill, errorBox, withLoading } from "./dom.js";

/** range() gives the {start, end} (ms) to list labels for. */
export function labelBrowser(range, onPick) {
  const list = h("div", { class: "label-browser-body" });
  const details = h("details", { class: "label-browser" }, h("summary", {}, "Label browser"), list);
  const load = async () => {
    const { start, end } = range();
    const window = { start: nanos(start), end: nanos(end) };
    const values = h("div", { class: "label-values" });
    const showValues = async (name, button) => {
      list.querySelectorAll(".label-names .selected").forEach((other) => other.classList.remove("selected"));
      button.classList.add("selected");
      try {
        const found = await withLoading(values, getJSON(`/loki/api/v1/label/${encodeURIComponent(name)}/values`, window));
        fill(values, found.map((value) => h("button", { type: "button", class: "chip-button", title: `Add ${name}="${value}" to the query`,
          onclick: () => onPick(name, value) }, value)));
      } catch (error) {
        fill(values, errorBox(error));
      }
    };
    try {
      const labels = await withLoading(list, getJSON("/loki/api/v1/labels", window));
      fill(list, h("div", { class: "label-names" }, labels.length
        ? labels.map((name) => h("button", { type: "button", class: "chip-button", onclick: (event) => showValues(name, event.currentTarget) }, name))
        : h("span", { class: "muted" }, "No labels in this range.")), values);
    } catch (error) {
      fill(list, errorBox(error));
    }
  };
  details.addEventListener("toggle", () => { if (details.open) load(); });
  return details;
}
