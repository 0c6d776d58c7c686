// Small DOM helpers: element creation, tables, loading and error states.

/**
 * h("div", {class: "x", onclick: fn, dataset: {a: 1}}, child, [children], "text").
 * Attributes with false/null/undefined values are left out; `true` sets an empty attribute.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name === "style" && typeof value === "object") Object.assign(element.style, value);
    else if (name === "value" || name === "checked" || name === "selected") element[name] = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(element) {
  element.replaceChildren();
  return element;
}

/** Replaces an element's children. */
export function fill(element, ...children) {
  clear(element);
  append(element, children);
  return element;
}

/** An API error as the user sees it: the message verbatim, announced to screen readers. */
export function errorBox(error) {
  const message = error instanceof Error ? error.message : String(error);
  return h("div", { class: "error", role: "alert" }, message);
}

/**
 * Shows a `.loading` indicator inside `container` while `promise` runs (nested calls
 * share one indicator), and returns the promise's result.
 */
export async function withLoading(container, promise, label = "Loading…") {
  container._loadingCount = (container._loadingCount || 0) + 1;
  if (!container._loadingElement) {
    container._loadingElement = h("div", { class: "loading", role: "status" }, h("span", { class: "spinner" }), label);
    container.prepend(container._loadingElement);
  }
  try {
    return await promise;
  } finally {
    container._loadingCount -= 1;
    if (container._loadingCount === 0) {
      container._loadingElement.remove();
      container._loadingElement = null;
    }
  }
}

/**
 * A table: columns are {title, cell(row) → node|text, class?, sort?(row) → comparable}.
 * Clicking a sortable header sorts by it (again: reverse).
 */
export function dataTable(columns, rows, { rowClass, empty = "Nothing to show.", rowAttributes } = {}) {
  const table = h("table", { class: "data" });
  const body = h("tbody");
  let sortIndex = -1;
  let descending = false;
  const render = () => {
    let sorted = rows;
    if (sortIndex >= 0) {
      const key = columns[sortIndex].sort;
      sorted = [...rows].sort((a, b) => {
        const x = key(a), y = key(b);
        const order = x < y ? -1 : x > y ? 1 : 0;
        return descending ? -order : order;
      });
    }
    fill(body, sorted.length ? sorted.map((row) => h("tr", { class: rowClass ? rowClass(row) : null, ...(rowAttributes ? rowAttributes(row) : {}) },
      columns.map((column) => h("td", { class: column.class }, column.cell(row))))) :
      h("tr", { class: "empty-row" }, h("td", { colspan: columns.length }, empty)));
  };
  const headers = columns.map((column, index) => {
    const th = h("th", { class: column.class, scope: "col" }, column.title);
    if (column.sort) {
      th.classList.add("sortable");
      th.tabIndex = 0;
      const sort = () => {
        descending = sortIndex === index ? !descending : false;
        sortIndex = index;
        headers.forEach((other) => other.removeAttribute("aria-sort"));
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        render();
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", (event) => { if (event.key === "Enter") sort(); });
    }
    return th;
  });
  table.append(h("thead", {}, h("tr", {}, headers)), body);
  render();
  return table;
}

// Labels that identify a source read first; parse errors and the like last.
const FIRST_LABELS = ["host", "service", "unit", "job", "source", "level", "queue", "device", "mountpoint", "file", "filename"];
const labelRank = (name) => (FIRST_LABELS.includes(name) ? FIRST_LABELS.indexOf(name) : name.includes("error") || name.startsWith("__") ? 1000 : 100);

/** Label pairs as compact chips: host=web-1 level=error. */
export function labelChips(labels, { skip = [] } = {}) {
  return h("span", { class: "chips" }, Object.entries(labels || {})
    .filter(([name]) => !skip.includes(name))
    .sort(([a], [b]) => labelRank(a) - labelRank(b) || a.localeCompare(b))
    .map(([name, value]) => h("span", { class: "chip", title: `${name}="${value}"` },
      h("span", { class: "chip-name" }, name), "=", h("span", { class: "chip-value" }, value))));
}

/** A state badge: firing, pending, inactive, ok, err, unknown… */
export function badge(text, kind = text) {
  return h("span", { class: `badge badge-${String(kind).toLowerCase()}` }, text);
}

/** Ctrl+Enter (⌘+Enter) in `element` calls `run`. */
export function onCtrlEnter(element, run) {
  element.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    }
  });
}

/** Lets a textarea grow with its content (up to its CSS max-height). */
export function autoGrow(textarea) {
  const resize = () => {
    textarea.style.height = "auto";
    textarea.style.height = textarea.scrollHeight + 2 + "px";
  };
  textarea.addEventListener("input", resize);
  requestAnimationFrame(resize);
  return resize;
}
