// The appliance's HTTP APIs. Every failure becomes an Error whose message is what the
// API said (Prometheus/Loki bodies: {"status":"error","errorType":…,"error":"…"}), so
// pages can show it verbatim.

export class APIError extends Error {
  constructor(message, status = 0, type = "") {
    super(message);
    this.name = "APIError";
    this.status = status;
    this.type = type;
  }
}

/** `?a=1&b=2`; arrays repeat the name (match[]=…&match[]=…); null/undefined are left out. */
export function queryString(params = {}) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    for (const item of Array.isArray(value) ? value : [value]) search.append(name, String(item));
  }
  const text = search.toString();
  return text ? "?" + text : "";
}

/** The error a non-2xx response carries: the API's own message where there is one. */
async function responseError(response) {
  const text = await response.text().catch(() => "");
  try {
    const body = JSON.parse(text);
    if (body && (body.error || body.message)) {
      return new APIError(String(body.error || body.message), response.status, body.errorType || "");
    }
  } catch { /* not JSON: the text itself is the best message */ }
  return new APIError(text.trim() || `${response.status} ${response.statusText}`, response.status);
}

/** fetch that turns transport failures into readable errors (aborts pass through). */
export async function request(path, options = {}) {
  let response;
  try {
    response = await fetch(path, options);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new APIError(`cannot reach the appliance (${error.message})`);
  }
  if (!response.ok) throw await responseError(response);
  return response;
}

/** GET a JSON API; returns its `data` member (the whole body when there is none). */
export async function getJSON(path, params, { signal } = {}) {
  const response = await request(path + queryString(params), { signal, headers: { Accept: "application/json" } });
  const body = await response.json();
  if (body && body.status === "error") throw new APIError(body.error || "error", response.status, body.errorType);
  return body && "data" in body ? body.data : body;
}

/** Whether an error is only the abort of a superseded request (not worth showing). */
export function isAbort(error) {
  return error && error.name === "AbortError";
}

/**
 * Reads an NDJSON response line by line as it streams, calling `onLine(object)`;
 * a line that is not JSON is reported as {type: "error", error: <line>}.
 */
export async function readNDJSON(response, onLine) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const emit = (line) => {
    if (!line.trim()) return;
    try { onLine(JSON.parse(line)); } catch { onLine({ type: "error", error: line }); }
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      emit(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
    }
  }
  emit(buffer + decoder.decode());
}

// Matrix/vector results of both query languages: values are strings ("NaN", "+Inf").
export function sampleValue(text) {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  return Number(text);
}

/** A matrix result as chart series: {labels, points: [[ms, value], …]}. */
export function matrixSeries(result) {
  return (result || []).map((item) => ({
    labels: item.metric || {},
    points: (item.values || []).map(([seconds, value]) => [Math.round(seconds * 1000), sampleValue(value)]),
  }));
}

/** Prometheus range query; times in ms, step in seconds. */
export function promRange(query, startMs, endMs, stepSeconds, options) {
  return getJSON("/api/v1/query_range", {
    query, start: (startMs / 1000).toFixed(3), end: (endMs / 1000).toFixed(3), step: stepSeconds,
  }, options);
}

/** Prometheus instant query at `timeMs` (now when omitted). */
export function promInstant(query, timeMs, options) {
  return getJSON("/api/v1/query", { query, time: timeMs === undefined ? undefined : (timeMs / 1000).toFixed(3) }, options);
}

/** Loki range query; start/end are BigInt nanoseconds (exact, beyond float precision). */
export function lokiRange(params, options) {
  return getJSON("/loki/api/v1/query_range", {
    ...params, start: params.start?.toString(), end: params.end?.toString(),
  }, options);
}

export function lokiInstant(query, timeMs, options) {
  return getJSON("/loki/api/v1/query", { query, time: timeMs === undefined ? undefined : (BigInt(Math.round(timeMs)) * 1000000n).toString() }, options);
}

/** ms → BigInt ns. */
export function nanos(ms) {
  return BigInt(Math.round(ms)) * 1000000n;
}
