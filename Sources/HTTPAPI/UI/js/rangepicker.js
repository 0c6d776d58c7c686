// The time range control: a quick-range select (5m … 7d, "Custom") and, for custom, two
// datetime-local inputs. State is {range: "1h"} or {range: "custom", from, to} (ms).

import { h } from "./dom.js";
import { QUICK_RANGES, fromLocalInput, toLocalInput, resolveRange, durationText, parseDuration } from "./time.js";

/**
 * ids: {select, from, to}; onChange(state) after the user changes it (custom: once both
 * inputs hold a valid range). Returns {element, get(), set(state)}.
 */
export function rangePicker(ids, onChange) {
  let state = { range: "1h" };
  const select = h("select", { id: ids.select, title: "Time range", "aria-label": "Time range" },
    QUICK_RANGES.map(([value, label]) => h("option", { value }, label)), h("option", { value: "custom" }, "Custom range…"));
  const from = h("input", { type: "datetime-local", id: ids.from, step: 1, "aria-label": "From", title: "From (local time)" });
  const to = h("input", { type: "datetime-local", id: ids.to, step: 1, "aria-label": "To", title: "To (local time)" });
  const custom = h("span", { class: "custom-range", hidden: true }, from, h("span", { class: "range-dash" }, "→"), to);

  const readCustom = () => {
    const start = fromLocalInput(from.value), end = fromLocalInput(to.value);
    if (Number.isFinite(start) && Number.isFinite(end) && start < end) {
      state = { range: "custom", from: start, to: end };
      from.setCustomValidity("");
      onChange(state);
    } else if (from.value && to.value) {
      from.setCustomValidity("From must be before To");
      from.reportValidity();
    }
  };
  select.addEventListener("change", () => {
    if (select.value === "custom") {
      // Start from the range shown so far, so "custom" is a small edit, not a blank form.
      const { start, end } = resolveRange(state);
      from.value = toLocalInput(start);
      to.value = toLocalInput(end);
      custom.hidden = false;
      state = { range: "custom", from: start, to: end };
      onChange(state);
    } else {
      custom.hidden = true;
      state = { range: select.value };
      onChange(state);
    }
  });
  from.addEventListener("change", readCustom);
  to.addEventListener("change", readCustom);

  const set = (next) => {
    state = { ...next };
    if (state.range !== "custom" && !(parseDuration(state.range) > 0)) state.range = "1h";  // e.g. Grafana's "now-6h"
    if (state.range !== "custom" && !QUICK_RANGES.some(([value]) => value === state.range)) {
      // A range from a link or a dashboard that is not among the quick ones (e.g. 3h).
      const value = durationText(parseDuration(state.range));
      if (!select.querySelector(`option[value="${value}"]`)) select.prepend(h("option", { value }, `Last ${value}`));
      state.range = value;
    }
    select.value = state.range;
    custom.hidden = state.range !== "custom";
    if (state.range === "custom") {
      from.value = toLocalInput(state.from);
      to.value = toLocalInput(state.to);
    }
  };
  set(state);
  return { element: h("span", { class: "range-picker" }, select, custom), get: () => ({ ...state }), set };
}
