// `musicfs bench [SCENARIO...]`: checks the non-functional targets. Wiring only; the logic is in
// internal/bench (framework) and bench/scenarios (what is measured).
import type { CAC } from "cac";
import targetsToml from "../bench/targets.toml" with { type: "text" };
import { defaultRegistry } from "../bench/scenarios/index.ts";
import { benchMain, BenchUsageError, type BenchDeps, type BenchOptions } from "../internal/bench/index.ts";
import { UsageError } from "../internal/cli/index.ts";

/** The defaults; tests pass their own registry, targets and output. */
function defaultDeps(): BenchDeps {
  return {
    registry: defaultRegistry(),
    // Imported as text (embedded in the compiled executable) and parsed with Bun.TOML.parse.
    targetsText: targetsToml as unknown as string,
    io: {
      out: (t) => void process.stdout.write(t),
      err: (t) => void process.stderr.write(t),
      progress: Boolean(process.stderr.isTTY) && !process.env.CI,
    },
  };
}

export function register(cli: CAC, deps: Partial<BenchDeps> & { setExitCode?: (code: number) => void } = {}): void {
  cli
    .command("bench [...scenarios]", "Check the non-functional targets with real statistics (warm-up, median, p95)")
    .option("--quick", "Small sizes and few repetitions (whole run < 60 s; for CI)")
    .option("--check", "Exit 1 when a target is missed (or, with --baseline, on a regression)")
    .option("--json", "Print one JSON object (schema 1: machine, bun, date, scenarios with all stats, targets)")
    .option("--baseline <file>", "Compare with a saved --json result; flags changes beyond noise")
    .option("--report <file>", "Write a Markdown report (targets, all metrics, baseline comparison)")
    .option("--targets <file>", "Targets file (TOML) instead of the built-in bench/targets.toml")
    .option("--list", "List the scenarios and their metrics")
    .option("--repeat <n>", "Measured repetitions per scenario (default: per scenario)")
    .option("--warmup <n>", "Discarded warm-up repetitions per scenario (default: per scenario)")
    .example("musicfs bench --quick --check")
    .example("musicfs bench cdc hash --json > now.json")
    .example("musicfs bench --baseline bench/baselines/2core-vm.json --report bench.md")
    .action(async (scenarios: string[], opts: BenchOptions) => {
      const d = { ...defaultDeps(), ...deps };
      try {
        const code = await benchMain(scenarios, opts, d);
        if (deps.setExitCode) deps.setExitCode(code);
        else process.exitCode = code;
      } catch (e) {
        // musicfs.ts prints a UsageError without a stack and exits 2.
        if (e instanceof BenchUsageError) throw new UsageError(e.message);
        throw e;
      }
    });
}
