// Runs scenarios: setup, warm-ups (discarded: JIT tiers, page cache, CPU frequency settle),
// then timed repetitions until the count is reached or the time box is spent, then teardown.
import type { MetricResult, ScenarioResult } from "./result.ts";
import { BUSY_SHARE, cpuSnapshot, othersShare } from "./load.ts";
import { summarize } from "./stats.ts";
import { SkipScenario, type Scenario, type ScenarioContext } from "./types.ts";

/** Below this many repetitions a median and a MAD mean little; the time box never cuts below it. */
export const MIN_REPEAT = 3;

export interface RunOptions {
  quick: boolean;
  /** Overrides every scenario's repetition count. */
  repeat?: number;
  /** Overrides every scenario's warm-up count. */
  warmup?: number;
  /** Called before each warm-up / repetition, for a progress line. */
  onProgress?: (scenario: string, phase: "setup" | "warmup" | "repeat" | "teardown", i: number, of: number) => void;
  /** Clock in ms; injectable so tests can check the time box without waiting. */
  now?: () => number;
}

const DEFAULT_REPEAT = { full: 10, quick: 5 };
const DEFAULT_WARMUP = { full: 2, quick: 1 };
const DEFAULT_BUDGET_MS = { full: 60_000, quick: 8_000 };

export async function runScenario(s: Scenario<any>, opts: RunOptions): Promise<ScenarioResult> {
  const mode = opts.quick ? "quick" : "full";
  const now = opts.now ?? (() => performance.now());
  const repeat = Math.max(1, opts.repeat ?? (s.repeat ?? DEFAULT_REPEAT)[mode]);
  const warmup = Math.max(0, opts.warmup ?? (s.warmup ?? DEFAULT_WARMUP)[mode]);
  const budget = (s.budgetMs ?? DEFAULT_BUDGET_MS)[mode];
  const notes: string[] = [];
  const ctx: ScenarioContext = {
    quick: opts.quick,
    size: s.size ? s.size[mode] : 0,
    note: (t) => {
      if (!notes.includes(t)) notes.push(t);
    },
  };
  const values = new Map<string, number[]>(s.metrics.map((m) => [m.id, []]));
  const result: ScenarioResult = {
    id: s.id,
    description: s.description,
    status: "ok",
    size: s.size ? { value: s.size[mode], unit: s.size.unit } : undefined,
    warmup: 0,
    repetitions: 0,
    seconds: 0,
    notes,
    metrics: [],
  };
  const started = now();
  let state: unknown;
  let setUp = false;
  try {
    opts.onProgress?.(s.id, "setup", 0, 1);
    state = s.setup ? await s.setup(ctx) : undefined;
    setUp = true;
    for (let i = 0; i < warmup; i++) {
      opts.onProgress?.(s.id, "warmup", i + 1, warmup);
      await s.run(state, ctx);
      result.warmup++;
    }
    const t0 = now();
    const cpu0 = cpuSnapshot();
    for (let i = 0; i < repeat; i++) {
      if (i >= MIN_REPEAT && now() - t0 > budget) {
        ctx.note(`time box of ${(budget / 1000).toFixed(0)} s reached after ${i} of ${repeat} repetitions`);
        break;
      }
      opts.onProgress?.(s.id, "repeat", i + 1, repeat);
      const got = await s.run(state, ctx);
      for (const [k, v] of Object.entries(got)) {
        const list = values.get(k);
        if (!list) throw new Error(`scenario ${s.id} returned undeclared metric "${k}"`);
        if (!Number.isFinite(v)) throw new Error(`scenario ${s.id} returned a non-finite ${k}: ${v}`);
        list.push(v);
      }
      result.repetitions++;
    }
    result.othersCpu = othersShare(cpu0, cpuSnapshot());
    if (result.othersCpu !== undefined && result.othersCpu > BUSY_SHARE) {
      ctx.note(`measured under load: other processes used ${Math.round(100 * result.othersCpu)} % of the CPUs`);
    }
  } catch (e) {
    result.status = e instanceof SkipScenario ? "skipped" : "error";
    result.reason = (e as Error)?.message ?? String(e);
  } finally {
    if (setUp && s.teardown) {
      opts.onProgress?.(s.id, "teardown", 0, 1);
      try {
        await s.teardown(state);
      } catch (e) {
        ctx.note(`teardown failed: ${(e as Error).message}`);
      }
    }
  }
  result.seconds = (now() - started) / 1000;
  if (result.status === "ok") {
    for (const m of s.metrics) {
      const v = values.get(m.id)!;
      if (v.length === 0 && !m.optional) {
        result.status = "error";
        result.reason = `metric ${m.id} was never reported`;
      }
    }
  }
  result.metrics = s.metrics.map(
    (m): MetricResult => ({
      key: `${s.id}.${m.id}`,
      id: m.id,
      unit: m.unit,
      better: m.better,
      description: m.description,
      stats: summarize(values.get(m.id)!),
      values: values.get(m.id)!,
      reference: m.reference,
    }),
  );
  return result;
}

/** Runs the scenarios in order, then fills in each metric's ratio to its reference. */
export async function runAll(scenarios: Scenario<any>[], opts: RunOptions): Promise<ScenarioResult[]> {
  const out: ScenarioResult[] = [];
  for (const s of scenarios) out.push(await runScenario(s, opts));
  const byKey = new Map(out.flatMap((r) => r.metrics.map((m) => [m.key, m] as const)));
  for (const r of out) {
    for (const m of r.metrics) {
      const ref = m.reference ? byKey.get(m.reference) : undefined;
      if (ref && ref.stats.n > 0 && m.stats.n > 0 && ref.stats.median !== 0) m.ratio = m.stats.median / ref.stats.median;
    }
  }
  return out;
}
