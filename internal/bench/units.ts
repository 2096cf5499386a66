// Unit conversion between a target's unit and a metric's unit ("2.0 GB/s" vs a metric in MB/s).
// Only units of the same dimension convert; anything else is a mistake in the targets file.

const FACTORS: Record<string, { dim: string; f: number }> = {
  "B/s": { dim: "rate", f: 1 },
  "KB/s": { dim: "rate", f: 1e3 },
  "MB/s": { dim: "rate", f: 1e6 },
  "GB/s": { dim: "rate", f: 1e9 },
  "MiB/s": { dim: "rate", f: 1 << 20 },
  "GiB/s": { dim: "rate", f: 1 << 30 },
  ns: { dim: "time", f: 1e-9 },
  us: { dim: "time", f: 1e-6 },
  "µs": { dim: "time", f: 1e-6 },
  ms: { dim: "time", f: 1e-3 },
  s: { dim: "time", f: 1 },
  "%": { dim: "percent", f: 1 },
};

/** Converts `value` from unit `from` to unit `to`; throws when they do not convert. */
export function convert(value: number, from: string, to: string): number {
  if (from === to) return value;
  const a = FACTORS[from];
  const b = FACTORS[to];
  if (!a || !b || a.dim !== b.dim) throw new RangeError(`cannot convert ${from} to ${to}`);
  return (value * a.f) / b.f;
}

export function convertible(from: string, to: string): boolean {
  if (from === to) return true;
  return FACTORS[from] !== undefined && FACTORS[to] !== undefined && FACTORS[from].dim === FACTORS[to].dim;
}

/** Formats a number with about 3-4 significant digits, for tables. */
export function fmt(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return "-";
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 100) return v.toFixed(1);
  if (a >= 10) return v.toFixed(2);
  if (a >= 1) return v.toFixed(3);
  if (a < 1e-9) return "0"; // float residue such as a stddev of 1.7e-14 for identical values
  return v.toPrecision(3);
}
