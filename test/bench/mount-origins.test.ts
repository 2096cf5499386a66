// The mount-origins scenario's wiring (its speed is the bench's business): registered, its
// metrics declared, and a target for each limit of the origins issue.
import { expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { defaultRegistry } from "../../bench/scenarios/index.ts";
import { parseTargets } from "../../internal/bench/index.ts";
import { REPO } from "../helpers.ts";

test("mount-origins is registered with its metrics, and bench/targets.toml has the issue's limits", () => {
  const s = defaultRegistry().get("mount-origins");
  expect(s).toBeDefined();
  expect(Object.fromEntries(s!.metrics.map((m) => [m.id, m.unit]))).toEqual({
    "s3-cold": "MB/s", "s3-cold-running": "MB/s", "s3-raw": "MB/s", "s3-cold-vs-raw": "%", "s3-raw-4": "MB/s", cached: "MB/s", "cached-first": "MB/s", "hit-rate": "%",
    "start-misses": "%", "start-misses-off": "%", "prefetch-miss-cut": "%",
    "sftp-cold": "MB/s", "sftp-cold-running": "MB/s", "sftp-raw": "MB/s", "failover-max": "ms", "failover-errors": "reads",
  });
  const targets = parseTargets(fs.readFileSync(path.join(REPO, "bench/targets.toml"), "utf8"));
  const by = new Map(targets.filter((t) => t.metric.startsWith("mount-origins.")).map((t) => [t.metric, t]));
  expect(by.get("mount-origins.s3-cold")).toMatchObject({ comparison: ">=", value: 200, unit: "MB/s" });
  expect(by.get("mount-origins.sftp-cold")).toMatchObject({ comparison: ">=", value: 100, unit: "MB/s" });
  expect(by.get("mount-origins.cached")).toMatchObject({ comparison: ">=", value: 2000, unit: "MB/s" });
  expect(by.get("mount-origins.hit-rate")).toMatchObject({ comparison: ">=", value: 95, unit: "%" });
  expect(by.get("mount-origins.failover-max")).toMatchObject({ comparison: "<=", value: 5000, unit: "ms" });
  expect(by.get("mount-origins.failover-errors")).toMatchObject({ comparison: "<=", value: 0 });
});
