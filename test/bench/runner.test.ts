// The runner: warm-ups discarded, repetitions counted, time box, skips, errors, references.
import { describe, expect, test } from "bun:test";
import { defineScenario, runAll, runScenario, ScenarioRegistry, SkipScenario } from "../../internal/bench/index.ts";

/** A scenario whose k-th call returns k, so the kept values show which calls were measured. */
function counting(opts: { repeat?: number; warmup?: number } = {}) {
  const calls: string[] = [];
  let k = 0;
  const s = defineScenario({
    id: "count",
    description: "returns 1, 2, 3, ...",
    metrics: [{ id: "v", unit: "ms", better: "lower" }],
    repeat: { full: opts.repeat ?? 4, quick: 2 },
    warmup: { full: opts.warmup ?? 3, quick: 1 },
    setup: () => {
      calls.push("setup");
      return { x: 1 };
    },
    run: (state) => {
      calls.push("run");
      return { v: ++k * state.x };
    },
    teardown: () => void calls.push("teardown"),
  });
  return { s, calls };
}

describe("runner", () => {
  test("warm-ups run but are discarded; then exactly `repeat` repetitions", async () => {
    const { s, calls } = counting();
    const r = await runScenario(s, { quick: false });
    expect(r.status).toBe("ok");
    expect(r.warmup).toBe(3);
    expect(r.repetitions).toBe(4);
    expect(r.metrics[0].values).toEqual([4, 5, 6, 7]);
    expect(r.metrics[0].stats.median).toBe(5.5);
    expect(calls).toEqual(["setup", "run", "run", "run", "run", "run", "run", "run", "teardown"]);
  });

  test("--quick defaults and --repeat/--warmup overrides", async () => {
    const q = await runScenario(counting().s, { quick: true });
    expect(q.metrics[0].values).toEqual([2, 3]);
    const o = await runScenario(counting().s, { quick: false, repeat: 6, warmup: 0 });
    expect(o.metrics[0].values).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test("the time box stops repeating, but never below 3 repetitions", async () => {
    let t = 0;
    const s = defineScenario({
      id: "slow",
      description: "",
      metrics: [{ id: "v", unit: "ms", better: "lower" }],
      budgetMs: { full: 1000, quick: 1000 },
      run: () => {
        t += 600; // every repetition "takes" 600 ms on the fake clock
        return { v: 1 };
      },
    });
    const r = await runScenario(s, { quick: false, repeat: 50, warmup: 0, now: () => t });
    expect(r.repetitions).toBe(3);
    expect(r.notes[0]).toContain("time box");
  });

  test("SkipScenario in setup skips with its reason; teardown is not called without setup", async () => {
    let tornDown = false;
    const s = defineScenario({
      id: "skip",
      description: "",
      metrics: [{ id: "v", unit: "ms", better: "lower" }],
      setup: () => {
        throw new SkipScenario("run npm run build");
      },
      run: () => ({ v: 1 }),
      teardown: () => void (tornDown = true),
    });
    const r = await runScenario(s, { quick: true });
    expect(r).toMatchObject({ status: "skipped", reason: "run npm run build", repetitions: 0 });
    expect(tornDown).toBe(false);
  });

  test("a throwing run is an error, teardown still runs; undeclared or missing metrics are errors", async () => {
    let tornDown = false;
    const boom = defineScenario({
      id: "boom",
      description: "",
      metrics: [{ id: "v", unit: "ms", better: "lower" }],
      setup: () => 1,
      run: () => {
        throw new Error("disk on fire");
      },
      teardown: () => void (tornDown = true),
    });
    expect(await runScenario(boom, { quick: true })).toMatchObject({ status: "error", reason: "disk on fire" });
    expect(tornDown).toBe(true);
    const extra = defineScenario({ id: "x", description: "", metrics: [{ id: "v", unit: "ms", better: "lower" }], run: () => ({ v: 1, w: 2 }) });
    expect((await runScenario(extra, { quick: true })).reason).toContain('undeclared metric "w"');
    const missing = defineScenario({
      id: "y",
      description: "",
      metrics: [
        { id: "v", unit: "ms", better: "lower" },
        { id: "opt", unit: "ms", better: "lower", optional: true },
        { id: "w", unit: "ms", better: "lower" },
      ],
      run: () => ({ v: 1 }),
    });
    expect((await runScenario(missing, { quick: true })).reason).toBe("metric w was never reported");
  });

  test("references run first and give each metric a ratio to the reference median", async () => {
    const ref = defineScenario({ id: "ref", description: "", metrics: [{ id: "t", unit: "MB/s", better: "higher" }], run: () => ({ t: 1000 }) });
    const sub = defineScenario({ id: "sub", description: "", metrics: [{ id: "t", unit: "MB/s", better: "higher", reference: "ref.t" }], run: () => ({ t: 200 }) });
    const reg = new ScenarioRegistry().register(ref).register(sub);
    const { scenarios, unknown } = reg.resolve(["sub", "nope"]);
    expect(scenarios.map((s) => s.id)).toEqual(["ref", "sub"]);
    expect(unknown).toEqual(["nope"]);
    const out = await runAll(scenarios, { quick: true, warmup: 0, repeat: 3 });
    expect(out[1].metrics[0].ratio).toBeCloseTo(0.2, 12);
    expect(out[0].metrics[0].ratio).toBeUndefined();
  });

  test("the registry refuses duplicate and malformed ids", () => {
    const reg = new ScenarioRegistry().register(counting().s);
    expect(() => reg.register(counting().s)).toThrow(/twice/);
    expect(() => reg.register(defineScenario({ id: "Bad Id", description: "", metrics: [], run: () => ({}) }))).toThrow(/must match/);
  });
});
