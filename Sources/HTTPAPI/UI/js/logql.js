// What the UI needs to know about a LogQL query without parsing all of it: its positive
// line filters (to highlight matches), whether it is a metric query, and where its
// stream selector ends (to add a label matcher).

import { h } from "./dom.js";

/** Tokens outside string literals, with string literals decoded: [{kind, text, start, end}]. */
function tokens(query) {
  const out = [];
  let i = 0;
  while (i < query.length) {
    const c = query[i];
    if (c === '"' || c === "`") {
      const start = i++;
      let text = "";
      while (i < query.length && query[i] !== c) {
        if (c === '"' && query[i] === "\\" && i + 1 < query.length) {
          const next = query[++i];
          text += { n: "\n", t: "\t", r: "\r" }[next] ?? next;
        } else text += query[i];
        i++;
      }
      i++;
      out.push({ kind: "string", text, start, end: i });
    } else if (/\s/.test(c)) i++;
    else {
      const two = query.slice(i, i + 2);
      if (["|=", "|~", "!=", "!~", "=~"].includes(two)) { out.push({ kind: "op", text: two, start: i, end: i + 2 }); i += 2; }
      else { out.push({ kind: "op", text: c, start: i, end: i + 1 }); i++; }
    }
  }
  return out;
}

/** A LogQL (RE2) regex as a JavaScript one; `(?i)` prefixes become the i flag. */
function toJSRegex(pattern) {
  let flags = "g";
  let source = pattern;
  const inline = source.match(/^\(\?([imsU]+)\)/);
  if (inline) {
    source = source.slice(inline[0].length);
    if (inline[1].includes("i")) flags += "i";
    if (inline[1].includes("s")) flags += "s";
  }
  try { return new RegExp(source, flags); } catch { return null; }  // RE2-only syntax: no highlighting
}

/** `text` as a regex that matches it literally. */
export const escapeRegex = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Regexes for the query's `|= "x"` and `|~ "re"` filters (what a matching line contains). */
export function lineFilterPatterns(query) {
  const list = tokens(query);
  const patterns = [];
  for (let i = 0; i < list.length; i++) {
    const token = list[i];
    if (token.kind !== "op" || (token.text !== "|=" && token.text !== "|~")) continue;
    const next = list[i + 1];
    if (!next || next.kind !== "string" || next.text === "") continue;
    const regex = token.text === "|=" ? new RegExp(escapeRegex(next.text), "g") : toJSRegex(next.text);
    if (regex) patterns.push(regex);
  }
  return patterns;
}

/** A line as nodes with every match of `patterns` wrapped in <mark>. */
export function highlight(line, patterns) {
  if (!patterns.length) return [line];
  const ranges = [];
  for (const pattern of patterns) {
    pattern.lastIndex = 0;
    let match;
    while ((match = pattern.exec(line)) !== null) {
      if (match[0].length === 0) { pattern.lastIndex++; continue; }
      ranges.push([match.index, match.index + match[0].length]);
    }
  }
  if (!ranges.length) return [line];
  ranges.sort((a, b) => a[0] - b[0]);
  const merged = [ranges[0]];
  for (const [start, end] of ranges.slice(1)) {
    const last = merged[merged.length - 1];
    if (start <= last[1]) last[1] = Math.max(last[1], end); else merged.push([start, end]);
  }
  const nodes = [];
  let at = 0;
  for (const [start, end] of merged) {
    if (start > at) nodes.push(line.slice(at, start));
    nodes.push(h("mark", {}, line.slice(start, end)));
    at = end;
  }
  if (at < line.length) nodes.push(line.slice(at));
  return nodes;
}

/** Metric queries (`sum(count_over_time(…))`) start with a function, log queries with `{`. */
export function isMetricQuery(query) {
  return !/^\s*\{/.test(query);
}

/** The query with `name="value"` (or !=) added to its stream selector. */
export function addMatcher(query, name, value, negate = false) {
  const matcher = `${name}${negate ? "!=" : "="}${JSON.stringify(value)}`;
  const close = tokens(query).find((token) => token.kind === "op" && token.text === "}");
  if (!close) return `{${matcher}}`;
  const inside = query.slice(query.indexOf("{") + 1, close.start).trim();
  if (inside.includes(matcher)) return query;
  return query.slice(0, close.start).replace(/\s*$/, "") + (inside ? ", " : "") + matcher + query.slice(close.start);
}
