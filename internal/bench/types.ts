// What a bench scenario is. Scenarios are plain objects so later work (mount, search, sync)
// can add theirs by registering one more object in bench/scenarios/index.ts.

/** Which direction is good. "none" is informational: never compared against a baseline. */
export type Better = "higher" | "lower" | "none";

export interface MetricSpec {
  /** Short id, unique within the scenario ("throughput", "xxhash3"). Addressed as "scenario.metric". */
  id: string;
  /** Unit of the values `run` returns: "MB/s" (1e6 bytes/s), "ms", "%", "chunks", ... */
  unit: string;
  better: Better;
  description?: string;
  /**
   * "scenario.metric" of a reference measured in the same run (e.g. "memcpy.throughput"). The
   * result then also carries median/reference-median, a figure that survives a slower or busier
   * machine better than the absolute number. The runner adds the reference's scenario itself.
   */
  reference?: string;
  /** May be absent from some or all repetitions (e.g. a tool that is not built). */
  optional?: boolean;
}

/** Passed to setup and run. */
export interface ScenarioContext {
  /** --quick: small sizes, few repetitions (CI). */
  quick: boolean;
  /** The scenario's size for this mode (scenario.size.quick or .full), if it declares one. */
  size: number;
  /** Records a note shown with the results (deduplicated), e.g. "reused 107/108 chunks". */
  note(text: string): void;
}

export interface Scenario<State = unknown> {
  id: string;
  description: string;
  metrics: MetricSpec[];
  /** Work size per mode, in `size.unit`; given to setup/run as ctx.size. */
  size?: { full: number; quick: number; unit: string };
  /** Default repetitions and warm-ups per mode; --repeat/--warmup override them. */
  repeat?: { full: number; quick: number };
  warmup?: { full: number; quick: number };
  /** Time box for the measured repetitions (at least MIN_REPEAT still run), ms per mode. */
  budgetMs?: { full: number; quick: number };
  /** Prepares data once (not timed). Throw SkipScenario to skip the scenario with a reason. */
  setup?(ctx: ScenarioContext): State | Promise<State>;
  /**
   * One repetition: does the work and returns its metrics keyed by MetricSpec.id. The scenario
   * times itself, so data preparation inside `run` can stay out of the measurement.
   */
  run(state: State, ctx: ScenarioContext): Record<string, number> | Promise<Record<string, number>>;
  /** Always called after setup succeeded, even when a repetition threw. */
  teardown?(state: State): void | Promise<void>;
}

/** Thrown by setup (or run) when a scenario cannot run here; its targets count as not checked. */
export class SkipScenario extends Error {
  override name = "SkipScenario";
}

/** A type-checked way to write a scenario with its own state type. */
export function defineScenario<S>(s: Scenario<S>): Scenario<S> {
  return s;
}
