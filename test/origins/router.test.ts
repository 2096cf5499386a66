// Router: priority and latency routing, replicas by fingerprint+size, failover mid-read (error and
// hang) without an error to the reader, thresholds, backoff, recovery of the primary.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CachedReader } from "../../internal/cas/cached-reader.ts";
import { backoffDelay } from "../../internal/origins/backoff.ts";
import { FaultyOrigin } from "../../internal/origins/faulty.ts";
import { LocalOrigin } from "../../internal/origins/local.ts";
import { Router, type RouterEvent, type TrackRef } from "../../internal/origins/router.ts";
import { errnoName, type OriginType } from "../../internal/origins/types.ts";

const MiB = 1024 * 1024;
let tmp: string;
let data: Uint8Array;
const routers: Router[] = [];

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-router-"));
  data = new Uint8Array(12 * MiB + 12345);
  for (let i = 0; i < data.length; i += 4096) data[i] = (i / 4096) & 255;
  crypto.getRandomValues(data.subarray(0, 65536));
  for (const d of ["a", "b", "c"]) {
    fs.mkdirSync(path.join(tmp, d, "x"), { recursive: true });
    fs.writeFileSync(path.join(tmp, d, "x", "t.flac"), data);
  }
  fs.writeFileSync(path.join(tmp, "c", "x", "short.flac"), data.subarray(0, 100));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all(routers.splice(0).map((r) => r.close()));
});

function origin(dir: string, id: string, type: OriginType = "sftp"): FaultyOrigin {
  // Typed as a remote origin (threshold 3) unless asked otherwise.
  return new FaultyOrigin(new LocalOrigin({ id, root: path.join(tmp, dir) }), id, type);
}

function router(opts: ConstructorParameters<typeof Router>[0] = {}): Router {
  const r = new Router({ ...opts, failover: { baseDelayMs: 5, maxDelayMs: 20, ...opts.failover } });
  routers.push(r);
  return r;
}

const track = (ids: string[], file = "/x/t.flac"): TrackRef => ({ size: data.length, locations: ids.map((originId) => ({ originId, path: file })) });

async function readAll(r: CachedReader<TrackRef>, t: TrackRef, onBlock?: (i: number) => void): Promise<Uint8Array> {
  const out = new Uint8Array(t.size);
  for (let off = 0, i = 0; off < t.size; off += MiB, i++) {
    onBlock?.(i);
    const part = await r.read(t, off, MiB);
    out.set(part, off);
  }
  return out;
}

describe("routing", () => {
  test("lower priority number wins; latency breaks ties", async () => {
    const r = router();
    const a = origin("a", "A");
    const b = origin("b", "B");
    r.add(b, 20);
    r.add(a, 10);
    await r.read(track(["A", "B"]), 0, 100);
    expect([a.served, b.served]).toEqual([1, 0]);

    const r2 = router();
    const slow = origin("a", "S");
    const fast = origin("b", "F");
    slow.setMode({ kind: "slow", delayMs: 30 });
    r2.add(slow, 5);
    r2.add(fast, 5);
    // Both get samples, then the faster one is preferred.
    await r2.read({ ...track(["S"]) }, 0, 10);
    await r2.read({ ...track(["F"]) }, 0, 10);
    const before = fast.served;
    for (let i = 0; i < 3; i++) await r2.read(track(["S", "F"]), 0, 10);
    expect(fast.served - before).toBe(3);
    expect(r2.origins().find((o) => o.id === "S")!.p50Ms!).toBeGreaterThan(r2.origins().find((o) => o.id === "F")!.p50Ms!);
  });

  test("copies on other origins are found by fingerprint+size", async () => {
    const r = router();
    const a = origin("a", "A");
    const b = origin("b", "B");
    r.add(a, 1);
    r.add(b, 2);
    const t: TrackRef = { fingerprint: "00112233aabbccdd", size: data.length, locations: [{ originId: "A", path: "/x/t.flac" }] };
    r.addReplica("00112233aabbccdd", data.length, { originId: "B", path: "x/t.flac" });
    // A different size is a different file.
    r.addReplica("00112233aabbccdd", 100, { originId: "B", path: "/x/short.flac" });
    expect(r.locate(t).map((l) => `${l.originId}${l.path}`)).toEqual(["A/x/t.flac", "B/x/t.flac"]);
    a.setMode({ kind: "error", code: "ENOTCONN" });
    const got = await r.read(t, 5 * MiB, MiB);
    expect(Buffer.from(got).equals(Buffer.from(data.subarray(5 * MiB, 6 * MiB)))).toBe(true);
    expect(b.served).toBe(1);
  });

  test("a missing file on the primary is not an origin failure", async () => {
    const r = router();
    const a = origin("a", "A");
    const c = origin("c", "C");
    r.add(a, 1);
    r.add(c, 2);
    const t: TrackRef = { size: 100, locations: [{ originId: "A", path: "/x/short.flac" }, { originId: "C", path: "/x/short.flac" }] };
    expect((await r.read(t, 0, 1000)).length).toBe(100);
    expect(r.origins().find((o) => o.id === "A")!.consecutiveFailures).toBe(0);
    // A copy whose length differs from the catalog's is refused, not served truncated.
    const t2: TrackRef = { size: data.length, locations: [{ originId: "C", path: "/x/short.flac" }, { originId: "A", path: "/x/t.flac" }] };
    expect((await r.read(t2, 0, 1000)).length).toBe(1000);
    expect(a.served).toBe(1);
    // A stale copy is a file problem: it does not count against its origin's health.
    expect(r.origins().find((o) => o.id === "C")!.consecutiveFailures).toBe(0);
    // Only stale copies: a clear error at once, no retries.
    const t3: TrackRef = { size: data.length, locations: [{ originId: "C", path: "/x/short.flac" }] };
    const e3 = await r.read(t3, 0, 1000).catch((x) => x);
    expect(e3.code).toBe("ESIZE");
    expect(errnoName(e3)).toBe("EIO");
  });

  test("reads are clamped at the track size", async () => {
    const r = router();
    r.add(origin("a", "A"), 1);
    expect((await r.read(track(["A"]), data.length - 10, MiB)).length).toBe(10);
    expect((await r.read(track(["A"]), data.length, MiB)).length).toBe(0);
  });
});

describe("failover mid-read", () => {
  test("primary errors mid-file: the reader gets every byte, no error", async () => {
    const r = router();
    const a = origin("a", "A");
    const b = origin("b", "B");
    r.add(a, 1);
    r.add(b, 2);
    const reader = new CachedReader(r, null, { readaheadBytes: 0 });
    const got = await readAll(reader, track(["A", "B"]), (i) => i === 4 && a.setMode({ kind: "error" }));
    expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
    expect(a.served).toBe(4);
    expect(b.served).toBe(9);
  });

  test("primary hangs mid-file: the read continues from the next origin within the hedge deadline", async () => {
    const events: RouterEvent[] = [];
    const r = router({ onEvent: (e) => events.push(e) });
    const a = origin("a", "A");
    const b = origin("b", "B");
    r.add(a, 1);
    r.add(b, 2);
    const reader = new CachedReader(r, null, { readaheadBytes: 0 });
    let stallMs = 0;
    const got = new Uint8Array(data.length);
    for (let off = 0, i = 0; off < data.length; off += MiB, i++) {
      if (i === 3) a.setMode({ kind: "hang" });
      const t0 = performance.now();
      got.set(await reader.read(track(["A", "B"]), off, MiB), off);
      stallMs = Math.max(stallMs, performance.now() - t0);
    }
    expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
    // A hedge (one, unless the machine is so loaded that a healthy read also took > 1.5 s):
    // after it the hung origin is degraded and later reads go to B first.
    expect(r.stats.hedges).toBeGreaterThanOrEqual(1);
    expect(r.stats.failures).toBe(0);
    expect(events.some((e) => e.type === "failover" && e.from === "A" && e.to === "B")).toBe(true);
    console.log(`failover after a hang: longest read ${stallMs.toFixed(0)} ms (hedge deadline 1500 ms, limit 5000 ms)`);
  });

  test("a slow primary is hedged once, then the fast origin serves", async () => {
    const r = router({ failover: { hedgeAfterMs: 100 } });
    const a = origin("a", "A");
    const b = origin("b", "B");
    r.add(a, 1);
    r.add(b, 2);
    a.setMode({ kind: "slow", delayMs: 400 });
    for (let i = 0; i < 6; i++) {
      const got = await r.read(track(["A", "B"]), i * MiB, MiB);
      expect(Buffer.from(got).equals(Buffer.from(data.subarray(i * MiB, (i + 1) * MiB)))).toBe(true);
    }
    expect(r.stats.hedges).toBeGreaterThanOrEqual(1);
    expect(r.stats.failures).toBe(0);
    expect(b.served).toBeGreaterThanOrEqual(5);
    await poll(() => a.served >= 1); // the slow answer arrives later and is not used
  });

  test("the primary wins its traffic back once a health check sees it healthy", async () => {
    const r = router();
    const a = origin("a", "A");
    const b = origin("b", "B");
    r.add(a, 1);
    r.add(b, 2);
    a.setMode({ kind: "error" });
    for (let i = 0; i < 3; i++) await r.read(track(["A", "B"]), i * MiB, MiB);
    expect(r.origins().find((o) => o.id === "A")!.status).toBe("degraded");
    await r.checkHealth();
    await r.checkHealth();
    await r.checkHealth();
    expect(r.origins().find((o) => o.id === "A")!.status).toBe("unhealthy");
    a.setMode({ kind: "ok" });
    const servedBefore = a.served;
    await r.checkHealth();
    expect(r.origins().find((o) => o.id === "A")!.status).toBe("healthy");
    await r.read(track(["A", "B"]), 0, MiB);
    expect(a.served).toBe(servedBefore + 1);
  });

  test("periodic checks find the recovery without a manual call", async () => {
    const r = router({ health: { checkIntervalMs: 50, timeoutMs: 100 } });
    const a = origin("a", "A", "local");
    r.add(a, 1);
    a.setMode({ kind: "hang" });
    r.start();
    await poll(() => r.origins()[0].status === "unhealthy");
    a.setMode({ kind: "ok" });
    await poll(() => r.origins()[0].status === "healthy");
  });
});

describe("health", () => {
  test("thresholds: local unhealthy after 1 failure, remote after 3", async () => {
    const r = router();
    const l = origin("a", "L", "local");
    const s = origin("b", "R", "s3");
    r.add(l, 1);
    r.add(s, 2);
    l.setMode({ kind: "error" });
    s.setMode({ kind: "error" });
    const st = (id: string) => r.origins().find((o) => o.id === id)!.status;
    await r.checkHealth();
    expect([st("L"), st("R")]).toEqual(["unhealthy", "degraded"]);
    await r.checkHealth();
    expect(st("R")).toBe("degraded");
    await r.checkHealth();
    expect(st("R")).toBe("unhealthy");
  });

  test("a slow but answering probe is degraded, not healthy", async () => {
    const r = router({ failover: { hedgeAfterMs: 50 } });
    const s = origin("a", "S");
    r.add(s, 1);
    s.setMode({ kind: "slow", delayMs: 120 });
    await r.checkHealth();
    expect(r.origins()[0].status).toBe("degraded");
    expect(r.origins()[0].lastError).toContain("slow health probe");
    s.setMode({ kind: "ok" });
    await r.checkHealth();
    expect(r.origins()[0].status).toBe("healthy");
  });

  test("checks run in parallel and hung probes time out", async () => {
    const r = router({ health: { timeoutMs: 150 } });
    const hung = ["H1", "H2", "H3"].map((id) => origin("a", id, "local"));
    for (const h of hung) {
      h.setMode({ kind: "hang" });
      r.add(h, 1);
    }
    r.add(origin("b", "OK", "local"), 2);
    await r.checkHealth();
    const byId = Object.fromEntries(r.origins().map((o) => [o.id, o]));
    expect([byId.H1.status, byId.H2.status, byId.H3.status, byId.OK.status]).toEqual(["unhealthy", "unhealthy", "unhealthy", "healthy"]);
    expect(byId.H1.lastError).toContain("timed out");
  });

  test("every origin down: retries with backoff, then one clear error", async () => {
    const events: RouterEvent[] = [];
    const r = router({ onEvent: (e) => events.push(e), failover: { retries: 2 } });
    const a = origin("a", "A");
    const b = origin("b", "B");
    r.add(a, 1);
    r.add(b, 2);
    a.setMode({ kind: "error", code: "ECONNREFUSED" });
    b.setMode({ kind: "error", code: "ETIMEDOUT" });
    const err = await r.read(track(["A", "B"]), 0, 10).catch((e) => e);
    expect(err.code).toBe("ETIMEDOUT");
    expect(r.stats.retries).toBe(2);
    expect(a.calls).toBe(3);
    expect(b.calls).toBe(3);
    expect(r.stats.failures).toBe(1);
    // Then still served from the "least bad" once one comes back.
    b.setMode({ kind: "ok" });
    expect((await r.read(track(["A", "B"]), 0, 10)).length).toBe(10);
    expect(events.some((e) => e.type === "all_origins_unhealthy")).toBe(true);
  });

  test("every copy hangs: one deadline for the whole read; an abort answers EINTR at once", async () => {
    const r = router({ failover: { requestTimeoutMs: 300, hedgeAfterMs: 100, retries: 5 } });
    const a = origin("a", "A");
    const b = origin("b", "B");
    r.add(a, 1);
    r.add(b, 2);
    a.setMode({ kind: "hang" });
    b.setMode({ kind: "hang" });
    const e = await r.read(track(["A", "B"]), 0, 10).catch((x) => x);
    expect(e.code).toBe("ETIMEDOUT");
    // The retries did not restart the clock: one round ran out the deadline.
    expect(r.stats.retries).toBeLessThanOrEqual(1);

    const ctl = new AbortController();
    const p = r.read(track(["A", "B"]), 0, 10, { signal: ctl.signal }).catch((x) => x);
    ctl.abort();
    expect((await p).code).toBe("EINTR");
    const reader = new CachedReader(r, null);
    const ctl2 = new AbortController();
    const p2 = reader.read(track(["A", "B"]), 0, 10, { signal: ctl2.signal }).catch((x) => x);
    ctl2.abort();
    expect((await p2).code).toBe("EINTR");
  });

  test("backoff grows exponentially with jitter and a cap", () => {
    expect(backoffDelay(0, 100, 2000, () => 1)).toBe(100);
    expect(backoffDelay(1, 100, 2000, () => 1)).toBe(200);
    expect(backoffDelay(2, 100, 2000, () => 0)).toBe(200);
    expect(backoffDelay(10, 100, 2000, () => 1)).toBe(2000);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(3, 100, 2000);
      expect(d).toBeGreaterThanOrEqual(400);
      expect(d).toBeLessThanOrEqual(800);
    }
  });
});

async function poll(cond: () => boolean, limitMs = 10000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached");
    await Bun.sleep(10);
  }
}
