// Running several PromQL range queries for one chart, and quoting values into queries.

import { promRange, matrixSeries } from "./api.js";
import { seriesName } from "./chart.js";

/** A PromQL/LogQL double-quoted string literal. */
export function promString(value) {
  return `"${String(value).replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/**
 * Runs [{query, legend}] over one range; resolves to chart series named by each query's
 * legend template. Any failure rejects with the API's message (prefixed by the legend
 * when there are several queries, so the user knows which one failed).
 */
export async function rangeSeries(queries, { start, end, step, signal }) {
  const results = await Promise.allSettled(queries.map(({ query }) => promRange(query, start, end, step, { signal })));
  const failed = results.map((result, index) => [result, queries[index]]).filter(([result]) => result.status === "rejected");
  if (failed.length) {
    const [result, query] = failed[0];
    if (queries.length > 1 && result.reason?.name !== "AbortError") result.reason.message = `${query.legend || query.query}: ${result.reason.message}`;
    throw result.reason;
  }
  return results.flatMap((result, index) => matrixSeries(result.value.result).map(({ labels, points }) => ({
    name: seriesName(labels, queries[index].legend), labels, points,
  })));
}
