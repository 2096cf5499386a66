// Comparing a run with a saved `--json` result.
//
// The rule (also in bench/README.md), per metric with a direction:
//   value  = the median, divided by its reference's median (e.g. memcpy) of the same run when
//            the metric has a reference measured in both runs ("reference" basis), else the
//            median itself ("absolute" basis);
//   change = relative change of value in the good direction (new vs baseline);
//   r      = relative noise of one run: 1.4826 * MAD / median of its repetitions (a robust
//            relative stddev); on the reference basis sqrt(r_metric^2 + r_reference^2);
//   noise  = sqrt((r_baseline^2 + r_new^2) / 2), pooled over the two runs;
//   threshold = max(5 %, 3 * noise).
// A regression is change < -threshold; an improvement is change > +threshold; in between is
// within noise. Why: on this shared 2-core machine the whole machine gets 10-15 % slower or
// faster between runs when other jobs start or stop (memcpy moves with it); dividing by the
// same run's memcpy cancels that, which the absolute median cannot. 3 x the pooled spread keeps
// false alarms rare when a run is noisy, and the 5 % floor stops a quiet run (MAD ~ 0) from
// flagging a 1 % wobble (the predecessor saw -4.5 % with no code change). A reference metric
// itself is shown but never counted: its change is the machine's, not the code's. Fewer than
// 3 repetitions on either side: not compared (spread unknown).
import type { BaselineComparison, BenchResult, MetricResult, ScenarioResult } from "./result.ts";
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

function metricsByKey(scenarios: ScenarioResult[]): Map<string, MetricResult> {
  return new Map(scenarios.filter((s) => s.status === "ok").flatMap((s) => s.metrics.filter((m) => m.stats.n > 0).map((m) => [m.key, m] as const)));
}

/** Relative change of `now` against `base` in the good direction of `better`. */
function goodChange(base: number, now: number, better: MetricResult["better"]): number {
  const rel = (now - base) / Math.abs(base);
  return better === "higher" ? rel : -rel;
}

export function compareWithBaseline(baseline: BenchResult, current: ScenarioResult[]): BaselineComparison[] {
  const old = metricsByKey(baseline.scenarios);
  const now = metricsByKey(current);
  const references = new Set([...now.values()].flatMap((m) => (m.reference ? [m.reference] : [])));
  const out: BaselineComparison[] = [];
  for (const m of now.values()) {
    const b = old.get(m.key);
    if (m.better === "none" || !b) continue;
    const row: BaselineComparison = {
      key: m.key,
      unit: m.unit,
      better: m.better,
      baselineMedian: b.stats.median,
      currentMedian: m.stats.median,
      absoluteChange: 0,
      basis: "absolute",
      change: 0,
      threshold: 0,
      verdict: "not-compared",
    };
    if (references.has(m.key)) row.isReference = true;
    if (b.unit !== m.unit) {
      out.push({ ...row, reason: `unit changed from ${b.unit} to ${m.unit}` });
      continue;
    }
    if (b.stats.median === 0) {
      out.push({ ...row, reason: "baseline median is 0" });
      continue;
    }
    row.absoluteChange = goodChange(b.stats.median, m.stats.median, m.better);
    row.change = row.absoluteChange;
    if (b.stats.n < MIN_REPEAT || m.stats.n < MIN_REPEAT) {
      out.push({ ...row, reason: `fewer than ${MIN_REPEAT} repetitions` });
      continue;
    }
    let rb = relativeNoise(b.stats);
    let rn = relativeNoise(m.stats);
    const refNow = m.reference ? now.get(m.reference) : undefined;
    const refOld = m.reference ? old.get(m.reference) : undefined;
    if (refNow && refOld && refNow.stats.n >= MIN_REPEAT && refOld.stats.n >= MIN_REPEAT && refOld.stats.median !== 0 && refNow.stats.median !== 0) {
      row.basis = "reference";
      row.change = goodChange(b.stats.median / refOld.stats.median, m.stats.median / refNow.stats.median, m.better);
      rb = Math.hypot(rb, relativeNoise(refOld.stats));
      rn = Math.hypot(rn, relativeNoise(refNow.stats));
    }
    row.threshold = Math.max(MIN_THRESHOLD, NOISE_FACTOR * Math.sqrt((rb * rb + rn * rn) / 2));
    row.verdict = row.change < -row.threshold ? "regression" : row.change > row.threshold ? "improvement" : "within-noise";
    out.push(row);
  }
  return out;
}

/** Regressions and improvements that count: reference metrics describe the machine, not the code. */
export function countVerdicts(rows: BaselineComparison[]): { regressions: number; improvements: number } {
  const counted = rows.filter((r) => !r.isReference);
  return { regressions: counted.filter((r) => r.verdict === "regression").length, improvements: counted.filter((r) => r.verdict === "improvement").length };
}
