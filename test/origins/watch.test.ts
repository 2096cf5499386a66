// Change detection (FR-10): inotify on local disks, polling for every other origin, with the
// events a rescan needs (created, modified, deleted) and nothing reported for a dead origin.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FaultyOrigin } from "../../internal/origins/faulty.ts";
import { LocalOrigin } from "../../internal/origins/local.ts";
import { createNfsOrigin } from "../../internal/origins/mounted-share.ts";
import type { OriginChange } from "../../internal/origins/types.ts";
import { pollWatch, watchOrigin } from "../../internal/origins/watch.ts";

let tmp: string;
beforeAll(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-watch-")));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function library(): string {
  const dir = path.join(tmp, `lib${++n}`);
  fs.mkdirSync(path.join(dir, "Artist", "Album"), { recursive: true });
  fs.writeFileSync(path.join(dir, "Artist", "Album", "01.flac"), "one");
  fs.writeFileSync(path.join(dir, "Artist", "Album", "02.flac"), "two");
  return dir;
}

/** Collects changes; `until` resolves once `pred` holds for everything collected (or throws after 10 s). */
function collector() {
  const got: OriginChange[] = [];
  return {
    got,
    push: (c: OriginChange[]) => got.push(...c),
    async until(pred: (all: OriginChange[]) => boolean): Promise<void> {
      const t0 = Date.now();
      while (!pred(got)) {
        if (Date.now() - t0 > 10_000) throw new Error(`timed out; got ${JSON.stringify(got)}`);
        await Bun.sleep(20);
      }
    },
  };
}
const has = (all: OriginChange[], kind: string, p: string) => all.some((c) => c.kind === kind && c.path === p);

describe("inotify on a local origin", () => {
  test("created, modified and deleted files, a folder moved in, debounced into few reports", async () => {
    const dir = library();
    const origin = new LocalOrigin({ id: "disk", root: dir });
    const c = collector();
    let reports = 0;
    const w = watchOrigin(origin, "/", (ch) => (reports++, c.push(ch)), { debounceMs: 100 });
    try {
      await Bun.sleep(100);
      fs.writeFileSync(path.join(dir, "Artist", "Album", "03.flac"), "three");
      for (let i = 0; i < 20; i++) fs.appendFileSync(path.join(dir, "Artist", "Album", "01.flac"), "more");
      fs.unlinkSync(path.join(dir, "Artist", "Album", "02.flac"));
      const outside = path.join(tmp, `moved${n}`);
      fs.mkdirSync(path.join(outside, "Album 2"), { recursive: true });
      fs.writeFileSync(path.join(outside, "Album 2", "01.flac"), "x");
      fs.renameSync(outside, path.join(dir, "Other"));
      await c.until((all) => has(all, "created", "/Artist/Album/03.flac") && has(all, "modified", "/Artist/Album/01.flac") && has(all, "deleted", "/Artist/Album/02.flac") && has(all, "created", "/Other"));
      expect(reports).toBeLessThanOrEqual(3); // 20 appends and the rest coalesced
    } finally {
      w.close();
    }
  }, 20_000);

  test("a symlink to a file outside the root is not reported", async () => {
    const dir = library();
    const secret = path.join(tmp, `secret${n}.flac`);
    fs.writeFileSync(secret, "s");
    const c = collector();
    const w = watchOrigin(new LocalOrigin({ id: "disk", root: dir }), "/", c.push, { debounceMs: 50 });
    try {
      await Bun.sleep(100);
      fs.symlinkSync(secret, path.join(dir, "escape.flac"));
      fs.writeFileSync(path.join(dir, "marker.flac"), "m");
      await c.until((all) => has(all, "created", "/marker.flac"));
      await Bun.sleep(150);
      expect(c.got.some((x) => x.path === "/escape.flac")).toBe(false);
    } finally {
      w.close();
    }
  }, 20_000);

  test("after close, nothing is reported", async () => {
    const dir = library();
    const c = collector();
    const w = watchOrigin(new LocalOrigin({ id: "disk", root: dir }), "/", c.push, { debounceMs: 30 });
    w.close();
    fs.writeFileSync(path.join(dir, "late.flac"), "l");
    await Bun.sleep(150);
    expect(c.got).toEqual([]);
  }, 20_000);
});

describe("inotify unavailable", () => {
  test("a local origin whose folder cannot be watched is polled instead, and says why", async () => {
    const dir = library();
    const origin = new LocalOrigin({ id: "disk", root: dir });
    const errors: string[] = [];
    // A folder that does not exist yet: fs.watch refuses it, the listing (later) does not.
    const w = watchOrigin(origin, "/Later", () => {}, { intervalMs: 50, onError: (e) => errors.push(String(e)) });
    w.close();
    expect(errors.some((e) => e.includes("polling instead"))).toBe(true);
  }, 20_000);
});

describe("polling (remote origins, NFS and SMB shares)", () => {
  test("an NFS share is polled, not watched with inotify: a listing compared by size and mtime", async () => {
    const dir = library();
    const nfs = createNfsOrigin({ id: "nas", path: dir });
    expect(nfs.watch?.("/", () => {})).toBeNull();
    const c = collector();
    const w = watchOrigin(nfs, "/", c.push, { intervalMs: 50 });
    try {
      await Bun.sleep(120); // the first listing is the baseline
      fs.writeFileSync(path.join(dir, "Artist", "Album", "03.flac"), "three");
      fs.writeFileSync(path.join(dir, "Artist", "Album", "01.flac"), "one, retagged");
      fs.unlinkSync(path.join(dir, "Artist", "Album", "02.flac"));
      await c.until((all) => has(all, "created", "/Artist/Album/03.flac") && has(all, "modified", "/Artist/Album/01.flac") && has(all, "deleted", "/Artist/Album/02.flac"));
      expect(c.got.length).toBe(3);
    } finally {
      w.close();
    }
  }, 20_000);

  test("an origin that is down reports no deletions, and changes made meanwhile show once it is back", async () => {
    const dir = library();
    const faulty = new FaultyOrigin(new LocalOrigin({ id: "box", root: dir, type: "local" }));
    const c = collector();
    const errors: unknown[] = [];
    const w = pollWatch(faulty, "/", c.push, { intervalMs: 40, onError: (e) => errors.push(e) });
    try {
      await Bun.sleep(100);
      faulty.setMode({ kind: "error", code: "ENOTCONN" });
      await Bun.sleep(150);
      expect(c.got).toEqual([]);
      expect(errors.length).toBeGreaterThan(0);
      fs.unlinkSync(path.join(dir, "Artist", "Album", "02.flac"));
      faulty.setMode({ kind: "ok" });
      await c.until((all) => has(all, "deleted", "/Artist/Album/02.flac"));
      expect(c.got.length).toBe(1);
    } finally {
      w.close();
    }
  }, 20_000);
});
