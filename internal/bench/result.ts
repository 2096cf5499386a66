// The JSON document `musicfs bench --json` prints and `--baseline FILE` reads back (schema 1).
// Documented field by field in bench/README.md; add fields, never change the meaning of one.
import type { Better } from "./types.ts";
import type { Stats } from "./stats.ts";

export interface MachineInfo {
  platform: string;
  arch: string;
  kernel: string;
  cpuModel: string;
  cpus: number;
  memoryBytes: number;
}

export interface MetricResult {
  /** "scenario.metric" */
  key: string;
  id: string;
  unit: string;
  better: Better;
  description?: string;
  stats: Stats;
  /** Every measured repetition, in order (warm-ups excluded). */
  values: number[];
  reference?: string;
  /** stats.median / the reference's median, when the reference was measured. */
  ratio?: number;
}

export interface ScenarioResult {
  id: string;
  description: string;
  status: "ok" | "skipped" | "error";
  /** Why it was skipped, or the error message. */
  reason?: string;
  size?: { value: number; unit: string };
  warmup: number;
  repetitions: number;
  /** Wall time of setup, warm-ups, repetitions and teardown. */
  seconds: number;
  /**
   * Share (0..1) of all CPUs' time other processes used during the measured repetitions
   * (Linux /proc; absent when unknown or the repetitions were too short to tell).
   */
  othersCpu?: number;
  notes: string[];
  metrics: MetricResult[];
}

/** "miss": below a target marked `enforced = false` (a goal not met yet): reported, never fails --check. */
export type TargetStatus = "pass" | "fail" | "miss" | "not-checked" | "not-run";

export interface TargetResult {
  id: string;
  /** "scenario.metric" */
  metric: string;
  statistic: string;
  comparison: ">=" | "<=";
  value: number;
  unit: string;
  note: string;
  nfr?: string;
  status: TargetStatus;
  /** The statistic of the metric, converted to the target's unit. */
  measured?: number;
  /** Why it was not checked. */
  reason?: string;
}

export type Verdict = "regression" | "improvement" | "within-noise" | "not-compared";

export interface BaselineComparison {
  key: string;
  unit: string;
  better: Better;
  baselineMedian: number;
  currentMedian: number;
  /** Relative change of the median in the good direction: +0.10 = 10 % better, -0.10 = 10 % worse. */
  change: number;
  /** The change of the median that counts as beyond noise (see baseline.ts). */
  threshold: number;
  /**
   * When the metric has a reference (memcpy) measured in both runs: the relative change of
   * median / reference median, and its threshold. A verdict then needs both changes beyond
   * their thresholds in the same direction.
   */
  referenceChange?: number;
  referenceThreshold?: number;
  verdict: Verdict;
  reason?: string;
  /** This metric is other metrics' reference: its change describes the machine, never counts as a regression. */
  isReference?: boolean;
}

export interface BenchResult {
  schema: 1;
  tool: "musicfs bench";
  /** ISO 8601, start of the run. */
  date: string;
  bun: string;
  commit?: string;
  machine: MachineInfo;
  quick: boolean;
  scenarios: ScenarioResult[];
  targets: TargetResult[];
  /** machineDiffers: other CPU model/cores/arch; quickDiffers: one run used --quick, the other not. */
  baseline?: { file: string; date: string; machineDiffers: boolean; quickDiffers: boolean; comparisons: BaselineComparison[] };
  summary: { passed: number; failed: number; notChecked: number; missedGoals: number; errors: number; regressions: number; improvements: number };
}
