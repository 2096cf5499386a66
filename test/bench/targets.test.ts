// Targets: parsing the TOML format, unit conversion, pass/fail/not-checked.
import { describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { evaluateTargets, parseTargets, summarize, TargetsError, type ScenarioResult } from "../../internal/bench/index.ts";
import { defaultRegistry } from "../../bench/scenarios/index.ts";
import { REPO } from "../helpers.ts";

function result(id: string, metric: string, unit: string, values: number[], better: "higher" | "lower" = "higher", status: ScenarioResult["status"] = "ok"): ScenarioResult {
  return {
    id,
    description: "",
    status,
    reason: status === "ok" ? undefined : "run npm run build",
    warmup: 0,
    repetitions: values.length,
    seconds: 0,
    notes: [],
    metrics: [{ key: `${id}.${metric}`, id: metric, unit, better, stats: summarize(values), values }],
  };
}

const TOML = `
[targets.fast]
metric = "cdc.throughput"
statistic = "median"
comparison = ">="
value = 2.0
unit = "GB/s"
note = "n"

[targets."NFR-1.1"]
metric = "lat.wall"
statistic = "p95"
comparison = "<="
value = 20
unit = "ms"
`;

describe("targets", () => {
  test("parses [targets.<id>] tables", () => {
    const t = parseTargets(TOML);
    expect(t.map((x) => x.id)).toEqual(["fast", "NFR-1.1"]);
    expect(t[0]).toMatchObject({ metric: "cdc.throughput", statistic: "median", comparison: ">=", value: 2, unit: "GB/s", note: "n" });
    expect(t[1].note).toBe("");
  });

  test("says what is wrong with a bad file", () => {
    expect(() => parseTargets("[targets.x]\nmetric='a.b'\nstatistic='p99'\ncomparison='>='\nvalue=1\nunit='ms'")).toThrow(/statistic must be one of/);
    expect(() => parseTargets("[targets.x]\nmetric='ab'\nstatistic='median'\ncomparison='>='\nvalue=1\nunit='ms'")).toThrow(/scenario.metric/);
    expect(() => parseTargets("[targets.x]\nmetric='a.b'\nstatistic='median'\ncomparison='>'\nvalue=1\nunit='ms'")).toThrow(/comparison/);
    expect(() => parseTargets("[targets.x]\nmetric='a.b'\nstatistic='median'\ncomparison='>='\nvalue='1'\nunit='ms'")).toThrow(/value must be a number/);
    expect(() => parseTargets("x = [")).toThrow(TargetsError);
    expect(() => parseTargets("a = 1")).toThrow(/no \[targets/);
  });

  test("converts units, picks the statistic, compares", () => {
    const t = parseTargets(TOML);
    const pass = evaluateTargets(t, [result("cdc", "throughput", "MB/s", [2100, 2200, 2300]), result("lat", "wall", "ms", [10, 11, 12, 13, 30], "lower")]);
    expect(pass[0]).toMatchObject({ status: "pass" });
    expect(pass[0].measured).toBeCloseTo(2.2, 12);
    // p95 of times is the 95th percentile: 13 + 0.8 * 17 = 26.6 > 20.
    expect(pass[1].status).toBe("fail");
    expect(pass[1].measured).toBeCloseTo(26.6, 12);
    const fail = evaluateTargets(t, [result("cdc", "throughput", "MB/s", [1900, 1950, 2500])]);
    expect(fail[0].status).toBe("fail");
    expect(fail[1].status).toBe("not-run");
  });

  test("a skipped scenario or an unmeasured metric is not checked, never failed", () => {
    const t = parseTargets(TOML);
    const r = evaluateTargets(t, [result("cdc", "throughput", "MB/s", [], "higher"), result("lat", "wall", "ms", [1], "lower", "skipped")]);
    expect(r[0].status).toBe("not-checked");
    expect(r[0].reason).toContain("not measured");
    expect(r[1].status).toBe("not-checked");
    expect(r[1].reason).toContain("npm run build");
  });

  test("incompatible units are not checked", () => {
    const t = parseTargets(TOML);
    expect(evaluateTargets(t, [result("cdc", "throughput", "ms", [1])])[0]).toMatchObject({ status: "not-checked" });
  });

  test("bench/targets.toml parses and every target names a metric a registered scenario declares", () => {
    const targets = parseTargets(fs.readFileSync(path.join(REPO, "bench/targets.toml"), "utf8"));
    expect(targets.length).toBeGreaterThanOrEqual(5);
    const reg = defaultRegistry();
    for (const t of targets) {
      const [sid, mid] = t.metric.split(".");
      expect(reg.get(sid)?.metrics.some((m) => m.id === mid)).toBe(true);
    }
  });
});
