// Human-readable numbers for terminal output (JSON output always carries raw numbers).

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${UNITS[u]}`;
}

export function formatRate(bytes: number, seconds: number): string {
  if (seconds <= 0) return "-";
  return `${(bytes / seconds / 1e6).toFixed(bytes / seconds >= 1e9 ? 0 : 1)} MB/s`;
}

export function percent(part: number, whole: number): string {
  if (whole === 0) return "-";
  return `${((100 * part) / whole).toFixed(1)} %`;
}

/** Renders rows as a left/right aligned text table; numbers are right-aligned. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => [...(r[c] ?? "")].length)));
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((r) => typeof r[c] === "number" || /^[-\d.,]+( [%A-Za-z/]+)?$/.test(String(r[c]))));
  const line = (r: string[]) =>
    r
      .map((cell, c) => {
        const pad = " ".repeat(Math.max(0, widths[c] - [...cell].length));
        return numeric[c] ? pad + cell : cell + pad;
      })
      .join("  ")
      .trimEnd();
  return [line(cells[0]), line(widths.map((w) => "-".repeat(w))), ...cells.slice(1).map(line)].join("\n");
}
