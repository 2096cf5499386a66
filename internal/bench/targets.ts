// Targets: the limits `--check` enforces, read from bench/targets.toml (format in bench/README.md).
import type { ScenarioResult, TargetResult } from "./result.ts";
import { slowTail95, type Stats } from "./stats.ts";
import { convert, convertible } from "./units.ts";
import type { Better } from "./types.ts";

export type Statistic = "median" | "mean" | "p95" | "min" | "max";
const STATISTICS: Statistic[] = ["median", "mean", "p95", "min", "max"];

export interface Target {
  id: string;
  /** "scenario.metric" */
  metric: string;
  statistic: Statistic;
  comparison: ">=" | "<=";
  value: number;
  unit: string;
  note: string;
  /** The requirement it comes from, when the id is not one. */
  nfr?: string;
  /**
   * false: a goal this code does not meet yet on this machine kind. Still measured and shown as
   * MISS in every report, but --check does not fail on it; the note says what is missing.
   */
  enforced: boolean;
}

/** A targets file that does not say what it means: reported with the file and the target id. */
export class TargetsError extends Error {
  override name = "TargetsError";
}

/** Parses the TOML text of a targets file ([targets.ID] tables); throws TargetsError on mistakes. */
export function parseTargets(text: string, source = "targets file"): Target[] {
  let doc: unknown;
  try {
    doc = Bun.TOML.parse(text);
  } catch (e) {
    throw new TargetsError(`${source}: not valid TOML: ${(e as Error).message}`);
  }
  const table = (doc as { targets?: unknown }).targets;
  if (typeof table !== "object" || table === null) throw new TargetsError(`${source}: no [targets.<id>] tables`);
  const out: Target[] = [];
  for (const [id, raw] of Object.entries(table as Record<string, unknown>)) {
    const where = `${source}: target "${id}"`;
    if (typeof raw !== "object" || raw === null) throw new TargetsError(`${where} is not a table`);
    const t = raw as Record<string, unknown>;
    const str = (k: string, required = true): string | undefined => {
      const v = t[k];
      if (v === undefined && !required) return undefined;
      if (typeof v !== "string" || v === "") throw new TargetsError(`${where}: "${k}" must be a non-empty string`);
      return v;
    };
    const metric = str("metric")!;
    if (!/^[a-z0-9-]+\.[a-z0-9-]+$/.test(metric)) throw new TargetsError(`${where}: metric must be "scenario.metric", got "${metric}"`);
    const statistic = str("statistic")! as Statistic;
    if (!STATISTICS.includes(statistic)) throw new TargetsError(`${where}: statistic must be one of ${STATISTICS.join(", ")}, got "${statistic}"`);
    const comparison = str("comparison")!;
    if (comparison !== ">=" && comparison !== "<=") throw new TargetsError(`${where}: comparison must be ">=" or "<=", got "${comparison}"`);
    if (typeof t.value !== "number" || !Number.isFinite(t.value)) throw new TargetsError(`${where}: value must be a number`);
    if (t.enforced !== undefined && typeof t.enforced !== "boolean") throw new TargetsError(`${where}: enforced must be true or false`);
    out.push({ id, metric, statistic, comparison, value: t.value, unit: str("unit")!, note: str("note", false) ?? "", nfr: str("nfr", false), enforced: t.enforced !== false });
  }
  return out;
}

function pick(s: Stats, statistic: Statistic, better: Better): number {
  return statistic === "p95" ? slowTail95(s, better) : s[statistic];
}

/**
 * Checks each target against the results. A target whose scenario was not selected is "not-run";
 * one whose scenario was skipped, failed, or did not report the metric is "not-checked" (shown,
 * but it never fails the run: an error fails it on its own).
 */
export function evaluateTargets(targets: Target[], results: ScenarioResult[]): TargetResult[] {
  return targets.map((t): TargetResult => {
    const base: TargetResult = { ...t, status: "not-checked" };
    const [sid] = t.metric.split(".");
    const sr = results.find((r) => r.id === sid);
    if (!sr) return { ...base, status: "not-run", reason: `scenario ${sid} not in this run` };
    if (sr.status !== "ok") return { ...base, reason: `scenario ${sid} ${sr.status}: ${sr.reason ?? ""}`.trim() };
    const m = sr.metrics.find((x) => x.key === t.metric);
    if (!m) return { ...base, reason: `scenario ${sid} has no metric ${t.metric}` };
    if (m.stats.n === 0) return { ...base, reason: `${t.metric} was not measured${sr.notes.length ? ` (${sr.notes.join("; ")})` : ""}` };
    if (!convertible(m.unit, t.unit)) return { ...base, reason: `unit ${t.unit} does not convert from the metric's ${m.unit}` };
    const measured = convert(pick(m.stats, t.statistic, m.better), m.unit, t.unit);
    const ok = t.comparison === ">=" ? measured >= t.value : measured <= t.value;
    return { ...base, measured, status: ok ? "pass" : t.enforced ? "fail" : "miss" };
  });
}
