// LibraryWatcher: changes settle into one rescan per source, rescans never overlap, a failing
// rescan is logged and the others go on, close() waits for the rescan in progress.
import { afterAll, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ScanSummary } from "../../internal/catalog/scan.ts";
import { openCatalog } from "../../internal/catalog/db.ts";
import { LibraryWatcher, type WatchedSource } from "../../internal/mountfs/library-watch.ts";
import type { OriginChange } from "../../internal/origins/types.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-libwatch-"));
const db = path.join(dir, "catalog.db");
openCatalog(db).close();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const summary = (added: number): ScanSummary => ({ scanned: added, added, updated: 0, unchanged: 0, removed: 0, moved: 0, failed: 0, durationMs: 0, errors: [] });

/** A source whose changes the test reports by hand and whose rescans it can hold. */
function source(name: string, rescan: () => Promise<ScanSummary>) {
  let report: ((c: OriginChange[]) => void) | null = null;
  let closed = false;
  const s: WatchedSource = {
    name,
    originId: name,
    catalogPath: (p) => p,
    watch: (onChanges) => ((report = onChanges), { close: () => void (closed = true) }),
    rescan,
  };
  return { s, change: (p: string) => report!([{ kind: "modified", path: p }]), closed: () => closed };
}

test("changes settle into one rescan per source; rescans never overlap; a failure is logged and the rest go on", async () => {
  let running = 0;
  let most = 0;
  const rescans: string[] = [];
  const held = (name: string, fail = false) => async () => {
    running++;
    most = Math.max(most, running);
    rescans.push(name);
    await Bun.sleep(30);
    running--;
    if (fail) throw new Error("share went away");
    return summary(1);
  };
  const a = source("a", held("a"));
  const b = source("b", held("b", true));
  const logs: string[] = [];
  const seen: string[] = [];
  const w = new LibraryWatcher(db, [a.s, b.s], { settleMs: 40, log: (l) => logs.push(l), onChanges: (s, c) => seen.push(`${s.name}${c[0].path}`) }).start();
  for (let i = 0; i < 5; i++) {
    a.change(`/x${i}`);
    await Bun.sleep(5);
  }
  b.change("/y");
  await Bun.sleep(250);
  expect(seen).toEqual(["a/x0", "a/x1", "a/x2", "a/x3", "a/x4", "b/y"]);
  expect(rescans.sort()).toEqual(["a", "b"]); // five changes of a: one rescan
  expect(most).toBe(1);
  expect(logs.some((l) => l.includes("rescan of b failed") && l.includes("share went away"))).toBe(true);
  expect(logs.some((l) => l.startsWith("rescanned a: 1 added"))).toBe(true);
  await w.close();
  expect(a.closed() && b.closed()).toBe(true);
});

test("close() waits for the rescan in progress; nothing is rescanned after it", async () => {
  let finished = false;
  let calls = 0;
  const a = source("a", async () => {
    calls++;
    await Bun.sleep(80);
    finished = true;
    return summary(0);
  });
  const w = new LibraryWatcher(db, [a.s], { settleMs: 1, log: () => {} }).start();
  a.change("/x");
  await Bun.sleep(20); // the rescan has started
  await w.close();
  expect(finished).toBe(true);
  a.change("/later");
  await Bun.sleep(50);
  expect(calls).toBe(1);
});
