// The `musicfs bench` command as a function: options in, exit code out, all output through `io`,
// so tests run it end to end with fake scenarios and cmd/bench.ts stays wiring only.
import * as fs from "node:fs";
import { compareWithBaseline, countVerdicts, parseBaseline } from "./baseline.ts";
import { gitCommit, machineInfo, sameMachineKind } from "./machine.ts";
import type { ScenarioRegistry } from "./registry.ts";
import { renderMarkdown, renderText } from "./report.ts";
import type { BenchResult } from "./result.ts";
import { runAll, type RunOptions } from "./runner.ts";
import { evaluateTargets, parseTargets, TargetsError, type Target } from "./targets.ts";

export const EXIT_OK = 0;
export const EXIT_MISSED = 1;
export const EXIT_USAGE = 2;

export interface BenchOptions {
  quick?: boolean;
  check?: boolean;
  json?: boolean;
  baseline?: string;
  report?: string;
  list?: boolean;
  repeat?: number;
  warmup?: number;
  /** A targets file to use instead of the built-in bench/targets.toml. */
  targets?: string;
}

export interface BenchIo {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is a terminal: progress is drawn only then. */
  progress: boolean;
}

export interface BenchDeps {
  registry: ScenarioRegistry;
  /** TOML text of the default targets (embedded in the executable). */
  targetsText: string;
  io: BenchIo;
  now?: RunOptions["now"];
}

/** A bad flag value or an unknown scenario: the caller prints it and exits 2. */
export class BenchUsageError extends Error {
  override name = "BenchUsageError";
}

function count(v: unknown, flag: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new BenchUsageError(`${flag} must be an integer >= ${min}, got "${v}"`);
  return n;
}

function loadTargets(opts: BenchOptions, deps: BenchDeps): Target[] {
  if (!opts.targets) return parseTargets(deps.targetsText, "bench/targets.toml");
  try {
    return parseTargets(readText(opts.targets), opts.targets);
  } catch (e) {
    throw e instanceof TargetsError ? new BenchUsageError(e.message) : e;
  }
}

/** A target naming a scenario or metric that does not exist is a typo: say so before measuring. */
function checkTargetMetrics(targets: Target[], registry: ScenarioRegistry, source: string): void {
  const bad = targets.filter((t) => {
    const [sid, mid] = t.metric.split(".");
    return !registry.get(sid)?.metrics.some((m) => m.id === mid);
  });
  if (bad.length > 0) throw new BenchUsageError(`${source}: unknown metric ${bad.map((t) => `${t.metric} (target ${t.id})`).join(", ")}; see musicfs bench --list`);
}

function readText(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new BenchUsageError(`cannot read --targets ${file}: ${(e as Error).message}`);
  }
  return text;
}

function listScenarios(deps: BenchDeps): string {
  const lines = deps.registry.list().map((s) => {
    const size = s.size ? ` [${s.size.full} ${s.size.unit}, quick ${s.size.quick} ${s.size.unit}]` : "";
    const metrics = s.metrics.map((m) => `${m.id} (${m.unit})`).join(", ");
    return `${s.id.padEnd(14)} ${s.description}${size}\n${" ".repeat(15)}metrics: ${metrics}`;
  });
  return lines.join("\n") + "\n";
}

/** Runs `musicfs bench [SCENARIO...]` and returns the exit code (0 ok, 1 missed/error/regression with --check, 2 usage). */
export async function benchMain(ids: string[], opts: BenchOptions, deps: BenchDeps): Promise<number> {
  const { io } = deps;
  if (opts.list) {
    io.out(listScenarios(deps));
    return EXIT_OK;
  }
  const repeat = count(opts.repeat, "--repeat", 1);
  const warmup = count(opts.warmup, "--warmup", 0);
  const { scenarios, unknown } = deps.registry.resolve(ids);
  if (unknown.length > 0) {
    throw new BenchUsageError(`unknown scenario${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}; known: ${deps.registry.list().map((s) => s.id).join(", ")}`);
  }
  const targets = loadTargets(opts, deps);
  checkTargetMetrics(targets, deps.registry, opts.targets ?? "bench/targets.toml");
  // Read the baseline before spending a minute measuring, so a wrong path fails at once.
  const baseline = opts.baseline ? readBaseline(opts.baseline) : undefined;

  const date = new Date().toISOString();
  let lastLen = 0;
  const onProgress: RunOptions["onProgress"] = io.progress
    ? (id, phase, i, of) => {
        const text = phase === "setup" || phase === "teardown" ? `bench ${id}: ${phase}` : `bench ${id}: ${phase} ${i}/${of}`;
        io.err(`\r${text.padEnd(lastLen)}`);
        lastLen = text.length;
      }
    : undefined;
  const scenarioResults = await runAll(scenarios, { quick: Boolean(opts.quick), repeat, warmup, onProgress, now: deps.now });
  if (io.progress && lastLen > 0) io.err(`\r${" ".repeat(lastLen)}\r`);

  const targetResults = evaluateTargets(targets, scenarioResults);
  const machine = machineInfo();
  const result: BenchResult = {
    schema: 1,
    tool: "musicfs bench",
    date,
    bun: Bun.version,
    commit: gitCommit(),
    machine,
    quick: Boolean(opts.quick),
    scenarios: scenarioResults,
    targets: targetResults,
    summary: {
      passed: targetResults.filter((t) => t.status === "pass").length,
      failed: targetResults.filter((t) => t.status === "fail").length,
      missedGoals: targetResults.filter((t) => t.status === "miss").length,
      notChecked: targetResults.filter((t) => t.status === "not-checked").length,
      errors: scenarioResults.filter((s) => s.status === "error").length,
      regressions: 0,
      improvements: 0,
    },
  };
  if (baseline) {
    const comparisons = compareWithBaseline(baseline.result, scenarioResults);
    result.baseline = { file: baseline.file, date: baseline.result.date, machineDiffers: !sameMachineKind(baseline.result.machine, machine), quickDiffers: Boolean(baseline.result.quick) !== Boolean(opts.quick), comparisons };
    Object.assign(result.summary, countVerdicts(comparisons));
  }

  if (opts.report) fs.writeFileSync(opts.report, renderMarkdown(result));
  io.out(opts.json ? JSON.stringify(result, null, 2) + "\n" : renderText(result));
  // On stderr even with --json: stdout stays one parseable object, and a CI log still says why.
  for (const t of targetResults) if (t.status === "miss") io.err(`musicfs bench: goal ${t.id} not met yet (not enforced): ${t.metric} ${t.statistic} ${t.measured?.toPrecision(4)} ${t.unit}, wanted ${t.comparison} ${t.value} ${t.unit}\n`);
  for (const t of targetResults) if (t.status === "fail") io.err(`musicfs bench: target ${t.id} missed: ${t.metric} ${t.statistic} ${t.measured?.toPrecision(4)} ${t.unit}, wanted ${t.comparison} ${t.value} ${t.unit}\n`);
  for (const s of scenarioResults) if (s.status === "error") io.err(`musicfs bench: scenario ${s.id} failed: ${s.reason}\n`);

  // Errors always fail: a crashed scenario checked nothing. Misses and regressions fail with --check.
  if (result.summary.errors > 0) return EXIT_MISSED;
  if (opts.check && (result.summary.failed > 0 || result.summary.regressions > 0)) return EXIT_MISSED;
  return EXIT_OK;
}

function readBaseline(file: string): { file: string; result: BenchResult } {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new BenchUsageError(`cannot read --baseline ${file}: ${(e as Error).message}`);
  }
  try {
    return { file, result: parseBaseline(text, file) };
  } catch (e) {
    throw new BenchUsageError((e as Error).message);
  }
}
