// Hash routes: #/<page>[/<rest>][?<params>]. Pages keep their state in the parameters
// (query, range, host…), written with replaceState so a reload or a shared link restores
// the view without adding a history entry per keystroke.

/** The current route: {page, rest: [segments], params: URLSearchParams}. */
export function currentRoute() {
  const [path, query = ""] = splitOnce(location.hash.replace(/^#\/?/, ""), "?");
  const [page = "", ...rest] = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { page, rest, params: new URLSearchParams(query) };
}

function splitOnce(text, separator) {
  const index = text.indexOf(separator);
  return index < 0 ? [text] : [text.slice(0, index), text.slice(index + 1)];
}

/** The hash for a page, sub-path and parameters (empty values left out). */
export function hashFor(page, rest = [], params = {}) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    for (const item of Array.isArray(value) ? value : [value]) search.append(name, String(item));
  }
  const path = [page, ...rest].map(encodeURIComponent).join("/");
  const query = search.toString();
  return `#/${path}${query ? "?" + query : ""}`;
}

/** Records a page's state in the URL without navigating. */
export function replaceHash(page, rest, params) {
  const hash = hashFor(page, rest, params);
  if (hash !== location.hash) history.replaceState(null, "", hash);
}
