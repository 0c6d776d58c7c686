// The URL state of a query page (Explore, Metrics): the query, its time range and one
// option of the page's own (Explore's line limit, Metrics' unit), written to the hash and
// restored from it, so a reload or a shared link shows the same view.

import { rangeFromParams, rangeToParams } from "./time.js";
import { replaceHash } from "./router.js";

/**
 * `controls`: {query, picker, grow} of the page; `option`: {name, control, fallback}
 * (left out of the URL while it holds `fallback`).
 */
export function queryState(page, controls, option) {
  function params() {
    const query = controls.query.value.trim();
    if (!query) return {};
    const value = option.control.value;
    return { query, ...rangeToParams(controls.picker.get()), [option.name]: value === option.fallback ? null : value };
  }

  function save() {
    replaceHash(page, [], params());
  }

  /** On entering the page: a route with a query runs it (`run`), unless it is exactly
   * what is shown already (`shown()`). */
  function restore(route, shown, run) {
    const text = route.params.get("query");
    if (text === null) return save();
    const before = JSON.stringify(params());
    option.control.value = route.params.get(option.name) || option.fallback;
    controls.picker.set(rangeFromParams(route.params));
    controls.query.value = text;
    controls.grow();
    if (JSON.stringify(params()) !== before || !shown()) run();
    else save();
  }

  return { save, restore };
}
