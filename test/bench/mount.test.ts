// The mount scenario's wiring (not its speed, and without mounting): registered, its metrics
// declared with the units its targets convert from, a target for each of the mount issue's limits,
// and the page-cache eviction it relies on for cold reads.
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { defaultRegistry } from "../../bench/scenarios/index.ts";
import { evictFromPageCache, isMounted, READDIR_ENTRIES, READY_TRACKS } from "../../bench/scenarios/mount.ts";
import { parseTargets } from "../../internal/bench/index.ts";
import { REPO, tempDir } from "../helpers.ts";

const work = tempDir("musicfs-bench-mount-test-");
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("bench scenario mount", () => {
  test("is registered and declares its metrics", () => {
    const s = defaultRegistry().get("mount");
    expect(s).toBeDefined();
    const units = Object.fromEntries(s!.metrics.map((m) => [m.id, m.unit]));
    expect(units).toEqual({
      "warm-read": "MB/s",
      "warm-direct": "MB/s",
      "cold-read": "MB/s",
      "cold-dd": "MB/s",
      "cold-vs-dd": "%",
      "overlay-read-overhead": "%",
      "collections-list": "ms",
      "stat-cached-p50": "us",
      "stat-cached-p95": "us",
      "stat-cold-p50": "us",
      "stat-cold-p95": "us",
      "readdir-p50": "ms",
      "readdir-p99": "ms",
      "ready-wall": "ms",
      "ready-daemon": "ms",
      "ready-first-stat": "ms",
    });
    expect(s!.size).toEqual({ full: READY_TRACKS.full, quick: READY_TRACKS.quick, unit: "tracks (ready time)" });
    expect(READY_TRACKS.full).toBe(100_000);
    expect(READDIR_ENTRIES).toBe(10_000);
  });

  test("bench/targets.toml has the mount issue's five limits", () => {
    const targets = parseTargets(fs.readFileSync(path.join(REPO, "bench/targets.toml"), "utf8"));
    const byMetric = new Map(targets.filter((t) => t.metric.startsWith("mount.")).map((t) => [t.metric, t]));
    expect(byMetric.get("mount.warm-read")).toMatchObject({ comparison: ">=", value: 3, unit: "GB/s" });
    expect(byMetric.get("mount.cold-vs-dd")).toMatchObject({ comparison: ">=", value: 80, unit: "%" });
    expect(byMetric.get("mount.stat-cached-p50")).toMatchObject({ comparison: "<=", value: 20, unit: "us" });
    expect(byMetric.get("mount.stat-cold-p50")).toMatchObject({ comparison: "<=", value: 200, unit: "us" });
    expect(byMetric.get("mount.readdir-p99")).toMatchObject({ comparison: "<=", value: 10, unit: "ms" });
    const ready = targets.filter((t) => t.metric === "mount.ready-wall").map((t) => t.value).sort((a, b) => a - b);
    expect(ready).toEqual([50, 100]); // the issue's 50 ms goal and NFR-1.7's 100 ms
  });

  test.skipIf(process.platform !== "linux")("evictFromPageCache drops a written file's pages; isMounted reads /proc/self/mounts", () => {
    const f = path.join(work, "f.bin");
    fs.writeFileSync(f, new Uint8Array(1 << 20).fill(7));
    const fd = fs.openSync(f, "r+");
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    evictFromPageCache(f);
    const fincore = Bun.spawnSync(["fincore", "--bytes", "--noheadings", "--output", "RES", f], { stdout: "pipe", stderr: "ignore" });
    if (fincore.exitCode === 0) expect(Number(fincore.stdout.toString().trim())).toBe(0);
    expect(fs.readFileSync(f)[123]).toBe(7);
    expect(() => evictFromPageCache(path.join(work, "missing"))).toThrow(/ENOENT/);
    expect(isMounted("/")).toBe(true);
    expect(isMounted(work)).toBe(false);
  });
});
