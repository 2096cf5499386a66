// Comparing a run with a saved `--json` result.
//
// The rule (also in bench/README.md), per metric with a direction:
//   change    = relative change of the median in the good direction (new vs baseline);
//   r         = relative noise of one run: 1.4826 * MAD / median of its repetitions (a robust
//               relative stddev);
//   threshold = max(5 %, 3 * sqrt((r_baseline^2 + r_new^2) / 2)), the pooled noise;
//   regression when change < -threshold, improvement when change > +threshold.
// When the metric has a reference (memcpy) measured in both runs, the same test is also applied
// to median / reference median (r then combines the metric's and the reference's noise), and a
// verdict needs BOTH to agree: the metric got worse in absolute terms and relative to how fast
// the machine was in that run.
//
// Why: on this shared 2-core machine the whole machine gets 10-25 % slower or faster between
// runs of the same code as other jobs start and stop. The absolute test alone then flags a busy
// run as a regression (measured: xxHash3 -15 %, SHA-256 -10 % with memcpy -14 %). The
// relative test alone misfires the other way, because memory bandwidth suffers from other jobs
// more than compute does (measured: memcpy -23 % while CDC moved -1 %, a +29 % "improvement"
// relative to memcpy). Requiring both keeps CI quiet under load; the price is that a real
// regression hidden by a simultaneous memcpy slowdown is missed: compare on a quiet machine when
// it matters. 3 x the pooled spread keeps false alarms rare on noisy runs; the 5 % floor stops a
// quiet run (MAD ~ 0) from flagging a 1 % wobble (the predecessor saw -4.5 % with no code
// change). A reference metric itself is shown but never counted: its change is the machine's.
// When other processes used more than BUSY_SHARE of the CPUs while either run measured the
// scenario (load.ts), a would-be verdict is reported as not compared, with what it would have been:
// contention that memcpy does not reflect (the other core busy) halves a two-core pipeline.
// Fewer than 3 repetitions on either side: not compared (spread unknown).
import type { BaselineComparison, BenchResult, MetricResult, ScenarioResult } from "./result.ts";
import { BUSY_SHARE } from "./load.ts";
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

/** Metric key -> share of the CPUs other processes used while its scenario was measured. */
function loadByKey(scenarios: ScenarioResult[]): Map<string, number> {
  return new Map(scenarios.flatMap((s) => s.metrics.map((m) => [m.key, s.othersCpu ?? 0] as const)));
}

/** Relative change of `now` against `base` in the good direction of `better`. */
function goodChange(base: number, now: number, better: MetricResult["better"]): number {
  const rel = (now - base) / Math.abs(base);
  return better === "higher" ? rel : -rel;
}

function thresholdOf(rBase: number, rNew: number): number {
  return Math.max(MIN_THRESHOLD, NOISE_FACTOR * Math.sqrt((rBase * rBase + rNew * rNew) / 2));
}

/** -1 beyond the threshold on the bad side, +1 on the good side, 0 within noise. */
function side(change: number, threshold: number): number {
  return change < -threshold ? -1 : change > threshold ? 1 : 0;
}

export function compareWithBaseline(baseline: BenchResult, current: ScenarioResult[]): BaselineComparison[] {
  const old = metricsByKey(baseline.scenarios);
  const now = metricsByKey(current);
  const loadOld = loadByKey(baseline.scenarios);
  const loadNow = loadByKey(current);
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
    row.change = goodChange(b.stats.median, m.stats.median, m.better);
    if (b.stats.n < MIN_REPEAT || m.stats.n < MIN_REPEAT) {
      out.push({ ...row, reason: `fewer than ${MIN_REPEAT} repetitions` });
      continue;
    }
    const rb = relativeNoise(b.stats);
    const rn = relativeNoise(m.stats);
    row.threshold = thresholdOf(rb, rn);
    let verdict = side(row.change, row.threshold);
    const refNow = m.reference ? now.get(m.reference) : undefined;
    const refOld = m.reference ? old.get(m.reference) : undefined;
    if (refNow && refOld && refNow.stats.n >= MIN_REPEAT && refOld.stats.n >= MIN_REPEAT && refOld.stats.median !== 0 && refNow.stats.median !== 0) {
      row.referenceChange = goodChange(b.stats.median / refOld.stats.median, m.stats.median / refNow.stats.median, m.better);
      row.referenceThreshold = thresholdOf(Math.hypot(rb, relativeNoise(refOld.stats)), Math.hypot(rn, relativeNoise(refNow.stats)));
      if (side(row.referenceChange, row.referenceThreshold) !== verdict) verdict = 0;
    }
    row.verdict = verdict < 0 ? "regression" : verdict > 0 ? "improvement" : "within-noise";
    const load = Math.max(loadOld.get(m.key) ?? 0, loadNow.get(m.key) ?? 0);
    if (verdict !== 0 && load > BUSY_SHARE) {
      row.reason = `would be ${row.verdict === "regression" ? "a regression" : "an improvement"}, but measured under load (others used ${Math.round(100 * load)} % of the CPUs)`;
      row.verdict = "not-compared";
    }
    out.push(row);
  }
  return out;
}

/** Regressions and improvements that count: reference metrics describe the machine, not the code. */
export function countVerdicts(rows: BaselineComparison[]): { regressions: number; improvements: number } {
  const counted = rows.filter((r) => !r.isReference);
  return { regressions: counted.filter((r) => r.verdict === "regression").length, improvements: counted.filter((r) => r.verdict === "improvement").length };
}
