// The regression rule: beyond max(5 %, 3 x pooled relative MAD) only.
import { describe, expect, test } from "bun:test";
import { compareWithBaseline, countVerdicts, parseBaseline, summarize, type BenchResult, type ScenarioResult } from "../../internal/bench/index.ts";

function run(values: number[], better: "higher" | "lower" = "higher"): ScenarioResult[] {
  return [
    {
      id: "s",
      description: "",
      status: "ok",
      warmup: 0,
      repetitions: values.length,
      seconds: 0,
      notes: [],
      metrics: [{ key: "s.m", id: "m", unit: "MB/s", better, stats: summarize(values), values }],
    },
  ];
}

function doc(scenarios: ScenarioResult[]): BenchResult {
  return {
    schema: 1,
    tool: "musicfs bench",
    date: "2026-11-28T00:00:00.000Z",
    bun: "1.4.5",
    machine: { platform: "linux", arch: "x64", kernel: "6", cpuModel: "cpu", cpus: 2, memoryBytes: 1 },
    quick: false,
    scenarios,
    targets: [],
    summary: { passed: 0, failed: 0, notChecked: 0, missedGoals: 0, errors: 0, regressions: 0, improvements: 0 },
  };
}

/** A run with a memcpy-like reference "r.t" and a metric "s.m" that names it. */
function withRef(ref: number[], values: number[]): ScenarioResult[] {
  const r = run(ref);
  r[0].id = "r";
  r[0].metrics[0].key = "r.t";
  r[0].metrics[0].id = "t";
  const m = run(values);
  m[0].metrics[0].reference = "r.t";
  return [...r, ...m];
}

describe("baseline comparison", () => {
  test("a 4 % drop on quiet runs is within the 5 % floor", () => {
    const [c] = compareWithBaseline(doc(run([1000, 1001, 999, 1000, 1000])), run([960, 961, 959, 960, 960]));
    expect(c.change).toBeCloseTo(-0.04, 12);
    expect(c.threshold).toBe(0.05);
    expect(c.verdict).toBe("within-noise");
  });

  test("a 10 % drop on quiet runs is a regression; a 10 % gain an improvement", () => {
    expect(compareWithBaseline(doc(run([1000, 1001, 999, 1000, 1000])), run([900, 901, 899, 900, 900]))[0].verdict).toBe("regression");
    expect(compareWithBaseline(doc(run([1000, 1001, 999, 1000, 1000])), run([1100, 1101, 1099, 1100, 1100]))[0].verdict).toBe("improvement");
  });

  test("the same 10 % drop is noise when the runs scatter by ~8 %", () => {
    const base = run([1000, 920, 1080, 1000, 930, 1070, 1000]);
    const now = run([900, 830, 970, 900, 840, 960, 900]);
    const [c] = compareWithBaseline(doc(base), now);
    expect(c.change).toBeCloseTo(-0.1, 12);
    expect(c.threshold).toBeGreaterThan(0.1);
    expect(c.verdict).toBe("within-noise");
  });

  test("direction: for times, higher is worse", () => {
    const [c] = compareWithBaseline(doc(run([10, 10, 10, 10], "lower")), run([12, 12, 12, 12], "lower"));
    expect(c.change).toBeCloseTo(-0.2, 12);
    expect(c.verdict).toBe("regression");
  });

  test("fewer than 3 repetitions, a changed unit or a missing metric are not compared", () => {
    expect(compareWithBaseline(doc(run([1000, 1000])), run([500, 500]))[0]).toMatchObject({ verdict: "not-compared" });
    const other = run([1, 1, 1]);
    other[0].metrics[0].unit = "ms";
    expect(compareWithBaseline(doc(other), run([1, 1, 1]))[0].reason).toContain("unit changed");
    const renamed = run([1, 1, 1]);
    renamed[0].metrics[0].key = "s.other";
    expect(compareWithBaseline(doc(renamed), run([1, 1, 1]))).toEqual([]);
  });

  test("with a reference: a whole-machine slowdown is not a regression", () => {
    const base = doc(withRef([6000, 6010, 5990, 6000], [1500, 1501, 1499, 1500]));
    // Another job slows everything by ~15 %: memcpy and the metric alike.
    const busy = compareWithBaseline(base, withRef([5100, 5110, 5090, 5100], [1275, 1276, 1274, 1275]));
    const m = busy.find((c) => c.key === "s.m")!;
    expect(m.change).toBeCloseTo(-0.15, 12);
    expect(m.referenceChange).toBeCloseTo(0, 12);
    expect(m.verdict).toBe("within-noise");
    const ref = busy.find((c) => c.key === "r.t")!;
    expect(ref.isReference).toBe(true);
    expect(ref.verdict).toBe("regression");
    expect(ref.referenceChange).toBeUndefined();
    expect(countVerdicts(busy)).toEqual({ regressions: 0, improvements: 0 });
  });

  test("with a reference: memcpy alone getting faster is not a regression of the metric", () => {
    // Baseline under load (memcpy suffered most), new run quiet: the ratio drops 23 %, the metric did not move.
    const c = compareWithBaseline(doc(withRef([4800, 4810, 4790, 4800], [1500, 1501, 1499, 1500])), withRef([6250, 6260, 6240, 6250], [1510, 1511, 1509, 1510]));
    const m = c.find((x) => x.key === "s.m")!;
    expect(m.referenceChange!).toBeLessThan(-0.2);
    expect(m.verdict).toBe("within-noise");
  });

  test("with a reference: the metric alone 15 % slower on the same machine is a regression", () => {
    const base = doc(withRef([6000, 6010, 5990, 6000], [1500, 1501, 1499, 1500]));
    const slower = compareWithBaseline(base, withRef([6000, 6010, 5990, 6000], [1275, 1276, 1274, 1275]));
    expect(slower.find((c) => c.key === "s.m")!.verdict).toBe("regression");
    expect(countVerdicts(slower)).toEqual({ regressions: 1, improvements: 0 });
  });

  test("a would-be regression measured under load is reported, not counted", () => {
    const now = run([900, 901, 899, 900, 900]);
    now[0].othersCpu = 0.45;
    const [c] = compareWithBaseline(doc(run([1000, 1001, 999, 1000, 1000])), now);
    expect(c.verdict).toBe("not-compared");
    expect(c.reason).toBe("would be a regression, but measured under load (others used 45 % of the CPUs)");
    expect(countVerdicts([c]).regressions).toBe(0);
    now[0].othersCpu = 0.1;
    expect(compareWithBaseline(doc(run([1000, 1001, 999, 1000, 1000])), now)[0].verdict).toBe("regression");
  });

  test("parseBaseline rejects what is not a bench result", () => {
    expect(() => parseBaseline("{}")).toThrow(/schema 1/);
    expect(() => parseBaseline("nope")).toThrow(/not JSON/);
    expect(parseBaseline(JSON.stringify(doc(run([1])))).schema).toBe(1);
  });
});
