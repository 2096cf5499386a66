// `musicfs bench` end to end through cac and register(), with tiny fake scenarios (no timings
// decide anything here: the fake scenarios return fixed numbers).
import { afterAll, describe, expect, test } from "bun:test";
import { cac } from "cac";
import * as fs from "node:fs";
import * as path from "node:path";
import { register } from "../../cmd/bench.ts";
import { defineScenario, ScenarioRegistry, SkipScenario, type BenchResult } from "../../internal/bench/index.ts";
import { tempDir } from "../helpers.ts";

const work = tempDir("musicfs-bench-test-");
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const TARGETS = `
[targets.ref-floor]
metric = "ref.rate"
statistic = "median"
comparison = ">="
value = 0.5
unit = "GB/s"
note = "reference"

[targets.speed]
metric = "fake.rate"
statistic = "p95"
comparison = ">="
value = 150
unit = "MB/s"
note = "fake speed"

[targets.tool]
metric = "needs-tool.wall"
statistic = "median"
comparison = "<="
value = 20
unit = "ms"
note = "skipped here"
`;

function registry(fakeRate: number[]): ScenarioRegistry {
  let i = 0;
  return new ScenarioRegistry()
    .register(defineScenario({ id: "ref", description: "fake reference", metrics: [{ id: "rate", unit: "MB/s", better: "higher" }], run: () => ({ rate: 1000 }) }))
    .register(
      defineScenario({
        id: "fake",
        description: "fake throughput",
        metrics: [{ id: "rate", unit: "MB/s", better: "higher", reference: "ref.rate" }],
        repeat: { full: 5, quick: 5 },
        warmup: { full: 1, quick: 1 },
        run: () => ({ rate: fakeRate[i++ % fakeRate.length] }),
      }),
    )
    .register(
      defineScenario({
        id: "needs-tool",
        description: "skips",
        metrics: [{ id: "wall", unit: "ms", better: "lower" }],
        setup: () => {
          throw new SkipScenario("run npm run build");
        },
        run: () => ({ wall: 1 }),
      }),
    );
}

async function bench(argv: string[], fakeRate = [200]): Promise<{ code: number; out: string; err: string; thrown?: Error }> {
  let out = "";
  let err = "";
  let code = -1;
  const cli = cac("musicfs");
  register(cli, {
    registry: registry(fakeRate),
    targetsText: TARGETS,
    io: { out: (t) => void (out += t), err: (t) => void (err += t), progress: false },
    setExitCode: (c) => void (code = c),
  });
  try {
    cli.parse(["bun", "musicfs", "bench", ...argv], { run: false });
    await cli.runMatchedCommand();
  } catch (e) {
    return { code: 2, out, err, thrown: e as Error };
  }
  return { code, out, err };
}

describe("musicfs bench (fake scenarios)", () => {
  test("human output: a table per metric, the reference ratio, targets with status; exit 0 without --check", async () => {
    const r = await bench(["fake", "needs-tool"], [100]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("fake.rate");
    expect(r.out).toContain("0.100 x ref");
    expect(r.out).toMatch(/speed .* FAIL/);
    expect(r.out).toMatch(/tool +needs-tool\.wall +median <= 20 ms +- +not checked/);
    expect(r.out).toContain("  tool not checked: scenario needs-tool skipped: run npm run build");
    expect(r.out).toContain("  needs-tool: skipped: run npm run build");
    expect(r.err).toContain("target speed missed");
  });

  test("--check: exit 1 on a miss, 0 when met; a skipped scenario does not fail", async () => {
    expect((await bench(["--check"], [100])).code).toBe(1);
    expect((await bench(["--check"], [200])).code).toBe(0);
  });

  test("--json: one documented object with all stats and target statuses", async () => {
    const r = await bench(["--json", "fake"], [200, 220, 180, 200, 210, 190]);
    const j = JSON.parse(r.out) as BenchResult;
    expect(j.schema).toBe(1);
    expect(j.tool).toBe("musicfs bench");
    expect(j.bun).toBe(Bun.version);
    expect(j.machine.cpus).toBeGreaterThan(0);
    expect(j.scenarios.map((s) => s.id)).toEqual(["ref", "fake"]);
    const m = j.scenarios[1].metrics[0];
    // First value (200) was the warm-up.
    expect(m.values).toEqual([220, 180, 200, 210, 190]);
    expect(Object.keys(m.stats).sort()).toEqual(["mad", "max", "mean", "median", "min", "n", "p5", "p95", "stddev"]);
    expect(m.stats.median).toBe(200);
    expect(m.ratio).toBeCloseTo(0.2, 12);
    expect(j.targets.find((t) => t.id === "speed")).toMatchObject({ status: "pass", statistic: "p95" });
    expect(j.targets.find((t) => t.id === "tool")?.status).toBe("not-run");
    expect(j.summary).toMatchObject({ passed: 2, failed: 0, notChecked: 0, errors: 0 });
  });

  test("--report writes Markdown tables with a reference row", async () => {
    const file = path.join(work, "report.md");
    await bench(["--report", file, "fake"]);
    const md = fs.readFileSync(file, "utf8");
    expect(md).toContain("| ID | Metric | Target | Median | p95 | Status |");
    expect(md).toContain("| reference | ref.rate | — | 1000 MB/s | 1000 MB/s | — |");
    expect(md).toContain("| speed | fake.rate | p95 >= 150 MB/s | 200.0 MB/s | 200.0 MB/s | ✅ pass |");
    expect(md).toContain("## All metrics");
  });

  test("--baseline: a real drop is a regression (exit 1 with --check), the same run is within noise", async () => {
    const base = await bench(["--json", "fake"], [200, 201, 199, 200, 200, 200]);
    const file = path.join(work, "base.json");
    fs.writeFileSync(file, base.out);
    const same = await bench(["--baseline", file, "--check", "fake"], [200, 199, 201, 200, 200, 200]);
    expect(same.code).toBe(0);
    expect(same.out).toContain("no change beyond noise");
    const worse = await bench(["--baseline", file, "--check", "--report", path.join(work, "b.md"), "fake"], [160, 160, 161, 159, 160, 160]);
    expect(worse.code).toBe(1);
    expect(worse.out).toContain("REGRESSION: fake.rate 200.0 -> 160.0 MB/s (-20.0%, threshold 5.0%; relative to the reference -20.0%, threshold 5.0%)");
    expect(worse.out).toContain("reference ref.rate 1000 -> 1000 MB/s (0.0%: the machine, not counted)");
    const md = fs.readFileSync(path.join(work, "b.md"), "utf8");
    expect(md).toContain("| fake.rate | 200.0 MB/s | 160.0 MB/s | -20.0% (5.0%) | -20.0% (5.0%) | ❌ regression |");
    expect(md).toContain("| ref.rate | 1000 MB/s | 1000 MB/s | 0.0% (5.0%) | — | reference (the machine; not counted) |");
    const better = await bench(["--baseline", file, "fake"], [260]);
    expect(better.out).toContain("IMPROVEMENT: fake.rate");
    const quick = await bench(["--baseline", file, "--quick", "fake"], [200]);
    expect(quick.out).toContain("WARNING: the baseline is a full run, this one --quick");
  });

  test("usage errors: unknown scenario, bad --repeat, unreadable baseline (exit 2 via UsageError)", async () => {
    const a = await bench(["nope"]);
    expect(a.thrown?.name).toBe("UsageError");
    expect(a.thrown?.message).toContain("unknown scenario nope; known: ref, fake, needs-tool");
    expect((await bench(["--repeat", "0"])).thrown?.message).toContain("--repeat must be an integer >= 1");
    expect((await bench(["--baseline", path.join(work, "missing.json")])).thrown?.message).toContain("cannot read --baseline");
    const typo = path.join(work, "typo.toml");
    fs.writeFileSync(typo, '[targets.x]\nmetric = "fake.rat"\nstatistic = "median"\ncomparison = ">="\nvalue = 1\nunit = "MB/s"\n');
    expect((await bench(["--targets", typo])).thrown?.message).toContain("unknown metric fake.rat (target x)");
    fs.writeFileSync(typo, "[targets.x]\nmetric = 3\n");
    expect((await bench(["--targets", typo])).thrown?.name).toBe("UsageError");
  });

  test("--list names every scenario and its metrics", async () => {
    const r = await bench(["--list"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("needs-tool");
    expect(r.out).toContain("rate (MB/s)");
  });
});
