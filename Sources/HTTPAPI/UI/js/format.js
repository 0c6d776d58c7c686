// Values in the dashboard units: none | percent (0–100) | ratio (0–1, shown as %) |
// bytes | bytes/s (IEC: KiB, MiB…) | seconds | ops/s | short (k, M, G…).
// Axis ticks are computed in a scaled domain (MiB, ms, %) so they land on round numbers.

const IEC = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
const SI = ["", "k", "M", "G", "T", "P"];
const TIME = [[1e-9, "ns"], [1e-6, "µs"], [1e-3, "ms"], [1, "s"], [60, "min"], [3600, "h"], [86400, "d"]];

/** The scale {factor, suffix} used to show values of magnitude `magnitude` in `unit`. */
export function scaleFor(unit, magnitude) {
  const m = Math.abs(magnitude) || 0;
  switch (unit) {
    case "percent": return { factor: 1, suffix: "%" };
    case "ratio": return { factor: 0.01, suffix: "%" };
    case "bytes":
    case "bytes/s": {
      let index = 0;
      while (index < IEC.length - 1 && m >= 1024 ** (index + 1)) index++;
      return { factor: 1024 ** index, suffix: " " + IEC[index] + (unit === "bytes/s" ? "/s" : "") };
    }
    case "seconds": {
      let chosen = TIME[3];
      if (m > 0) for (const entry of TIME) if (m >= entry[0]) chosen = entry;
      return { factor: chosen[0], suffix: " " + chosen[1] };
    }
    case "short":
    case "ops/s": {
      let index = 0;
      while (index < SI.length - 1 && m >= 1000 ** (index + 1)) index++;
      const suffix = SI[index] + (unit === "ops/s" ? " ops/s" : "");
      return { factor: 1000 ** index, suffix: unit === "ops/s" ? " " + suffix.trim() : suffix };
    }
    default: return { factor: 1, suffix: "" };
  }
}

/** A number with about 3 significant digits, no trailing zeros. */
export function formatNumber(value, maximumFractionDigits) {
  if (!Number.isFinite(value)) return value > 0 ? "+Inf" : value < 0 ? "-Inf" : "NaN";
  const magnitude = Math.abs(value);
  const digits = maximumFractionDigits ?? (magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3);
  if (magnitude !== 0 && magnitude < 0.001 && maximumFractionDigits === undefined) return value.toExponential(2);
  return value.toLocaleString("en-US", { maximumFractionDigits: digits, useGrouping: false });
}

/** One value in a unit: 1536 bytes → "1.5 KiB", 0.25 ratio → "25%". */
export function formatValue(value, unit = "none") {
  if (value === null || value === undefined) return "–";
  if (!Number.isFinite(value)) return formatNumber(value);
  if (unit === "none") return formatNumber(value);
  const { factor, suffix } = scaleFor(unit, value);
  return formatNumber(value / factor) + suffix;
}

/** A 1-2-2.5-5 × 10^k step giving about `count` intervals over `span`. */
export function niceStep(span, count) {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/**
 * Ticks for a y axis over [min, max] in `unit`: {ticks: [values], min, max, label(value)}.
 * The domain is widened to whole ticks.
 */
export function axisTicks(min, max, unit = "none", count = 5) {
  const { factor, suffix } = scaleFor(unit, Math.max(Math.abs(min), Math.abs(max)));
  let low = min / factor, high = max / factor;
  if (low === high) { high = low === 0 ? 1 : low + Math.abs(low) * 0.1; low = low === 0 ? 0 : low - Math.abs(low) * 0.1; }
  const step = niceStep(high - low, count);
  low = Math.floor(low / step + 1e-9) * step;
  high = Math.ceil(high / step - 1e-9) * step;
  const ticks = [];
  for (let tick = low; tick <= high + step / 2; tick += step) ticks.push(Number((tick * factor).toPrecision(12)));
  // As many decimals as the step needs (2.5 → 1, 0.25 → 2), the same on every tick.
  let decimals = 0;
  while (decimals < 6 && Math.abs(Math.round(step * 10 ** decimals) - step * 10 ** decimals) > 1e-6) decimals++;
  const label = (value) => {
    if (value === 0) return formatValue(0, unit);  // "0", "0 B", not "0k" or "0 GiB"
    const scaled = value / factor;
    const text = unit === "none" && Math.abs(scaled) >= 1e6 ? formatValue(scaled, "short")
      : scaled.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals, useGrouping: false });
    return text + suffix;
  };
  return { ticks, min: low * factor, max: high * factor, label };
}
