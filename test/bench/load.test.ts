// Other processes' CPU share: the arithmetic on synthetic snapshots, and a sane reading here.
import { describe, expect, test } from "bun:test";
import { cpuSnapshot, othersShare } from "../../internal/bench/load.ts";

describe("others' CPU share", () => {
  test("busy time minus our own, over all CPUs' time", () => {
    const a = { busy: 1000, total: 5000, self: 100 };
    // 200 ticks of 2 CPUs elapsed: 150 busy, 50 of them ours -> others used 100 / 200.
    expect(othersShare(a, { busy: 1150, total: 5200, self: 150 })).toBe(0.5);
    expect(othersShare(a, { busy: 1050, total: 5200, self: 150 })).toBe(0);
    expect(othersShare(a, { busy: 1010, total: 5010, self: 100 })).toBeUndefined(); // too short to tell
    expect(othersShare(undefined, a)).toBeUndefined();
  });

  test("reads /proc on Linux", () => {
    const s = cpuSnapshot();
    if (process.platform !== "linux") return;
    expect(s).toBeDefined();
    expect(s!.total).toBeGreaterThan(s!.busy);
    expect(s!.self).toBeGreaterThanOrEqual(0);
  });
});
