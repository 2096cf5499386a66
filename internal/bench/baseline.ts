// Comparing a run with a saved `--json` result.
//
// The rule (also in bench/README.md): per metric with a direction, let
//   change = relative change of the median in the good direction (new vs baseline),
//   noise  = sqrt((rb^2 + rn^2) / 2), the pooled relative noise of the two runs, where
//            r = 1.4826 * MAD / median of that run's repetitions (a robust relative stddev),
//   threshold = max(5 %, 3 * noise).
// A regression is change < -threshold; an improvement is change > +threshold; anything in
// between is within noise. Why: on this shared 2-core machine a 5-10 % swing between runs of the
// same code is normal (the predecessor saw -4.5 % with no code change); 3 x the pooled spread
// keeps false alarms rare when a run is noisy, and the 5 % floor keeps a quiet run (MAD ~ 0)
// from flagging a 1 % wobble. Metrics with fewer than 3 repetitions on either side are not
// compared: their spread is unknown.
import type { BaselineComparison, BenchResult, ScenarioResult } from "./result.ts";
import { relativeNoise } from "./stats.ts";
import { MIN_REPEAT } from "./runner.ts";

export const MIN_THRESHOLD = 0.05;
export const NOISE_FACTOR = 3;

/** Throws when the text is not a schema-1 result of musicfs bench. */
export function parseBaseline(text: string, source = "baseline"): BenchResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not JSON: ${(e as Error).message}`);
  }
  const d = doc as Partial<BenchResult>;
  if (d?.schema !== 1 || !Array.isArray(d.scenarios)) throw new Error(`${source}: not a musicfs bench --json result (schema 1)`);
  return d as BenchResult;
}

export function compareWithBaseline(baseline: BenchResult, current: ScenarioResult[]): BaselineComparison[] {
  const old = new Map(baseline.scenarios.filter((s) => s.status === "ok").flatMap((s) => s.metrics.map((m) => [m.key, m] as const)));
  const out: BaselineComparison[] = [];
  for (const sr of current) {
    if (sr.status !== "ok") continue;
    for (const m of sr.metrics) {
      if (m.better === "none" || m.stats.n === 0) continue;
      const b = old.get(m.key);
      if (!b || b.stats.n === 0) continue;
      const row: BaselineComparison = {
        key: m.key,
        unit: m.unit,
        better: m.better,
        baselineMedian: b.stats.median,
        currentMedian: m.stats.median,
        change: 0,
        threshold: 0,
        verdict: "not-compared",
      };
      if (b.unit !== m.unit) {
        out.push({ ...row, reason: `unit changed from ${b.unit} to ${m.unit}` });
        continue;
      }
      if (b.stats.median === 0) {
        out.push({ ...row, reason: "baseline median is 0" });
        continue;
      }
      const rel = (m.stats.median - b.stats.median) / Math.abs(b.stats.median);
      row.change = m.better === "higher" ? rel : -rel;
      if (b.stats.n < MIN_REPEAT || m.stats.n < MIN_REPEAT) {
        out.push({ ...row, reason: `fewer than ${MIN_REPEAT} repetitions` });
        continue;
      }
      const rb = relativeNoise(b.stats);
      const rn = relativeNoise(m.stats);
      row.threshold = Math.max(MIN_THRESHOLD, NOISE_FACTOR * Math.sqrt((rb * rb + rn * rn) / 2));
      row.verdict = row.change < -row.threshold ? "regression" : row.change > row.threshold ? "improvement" : "within-noise";
      out.push(row);
    }
  }
  return out;
}
