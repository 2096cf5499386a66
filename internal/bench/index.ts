// Public surface of the bench framework: define and register scenarios, run them, check targets.
export { defineScenario, SkipScenario, type Better, type MetricSpec, type Scenario, type ScenarioContext } from "./types.ts";
export { ScenarioRegistry } from "./registry.ts";
export { runAll, runScenario, MIN_REPEAT, type RunOptions } from "./runner.ts";
export { summarize, percentile, median, slowTail95, relativeNoise, type Stats } from "./stats.ts";
export { parseTargets, evaluateTargets, TargetsError, type Target, type Statistic } from "./targets.ts";
export { compareWithBaseline, countVerdicts, parseBaseline, MIN_THRESHOLD, NOISE_FACTOR } from "./baseline.ts";
export { renderText, renderMarkdown } from "./report.ts";
export { convert } from "./units.ts";
export { benchMain, BenchUsageError, EXIT_OK, EXIT_MISSED, EXIT_USAGE, type BenchOptions, type BenchIo, type BenchDeps } from "./cli.ts";
export type * from "./result.ts";
