// OPT-IN (MUSICFS_SYNC_BIG=1): a real sync of a sparse 5 GiB file, past 4 GiB, on the same file
// system. It writes 5 GiB to disk (the copy is not sparse) and takes tens of seconds, so it is
// off by default; units.test.ts covers the >4 GiB offsets of the streaming build quickly.
import { afterAll, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { syncFolders } from "../../internal/sync/index.ts";
import { sha256, tempDir } from "./helpers.ts";

const BIG = Boolean(process.env.MUSICFS_SYNC_BIG);
const root = BIG ? tempDir("musicfs-big-") : "";
afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

test.skipIf(!BIG)(
  "a sparse 5 GiB file syncs, then a few changed bytes at 4.5 GiB move as a few KB",
  async () => {
    const src = path.join(root, "src");
    const dst = path.join(root, "dst");
    fs.mkdirSync(src);
    const f = path.join(src, "huge.bin");
    Bun.spawnSync(["truncate", "-s", "5G", f]);
    const fd = fs.openSync(f, "r+");
    fs.writeSync(fd, Buffer.from("start marker"), 0, 12, 0);
    fs.writeSync(fd, Buffer.from("late marker"), 0, 11, 4.5 * 2 ** 30);
    fs.closeSync(fd);
    fs.utimesSync(f, 1_600_000_000, 1_600_000_000);
    const first = await syncFolders(src, dst);
    expect(first.errors).toEqual([]);
    expect(fs.statSync(path.join(dst, "huge.bin")).size).toBe(5 * 2 ** 30);
    const fd2 = fs.openSync(f, "r+");
    fs.writeSync(fd2, Buffer.from("CHANGED"), 0, 7, 4.5 * 2 ** 30 + 100);
    fs.closeSync(fd2);
    fs.utimesSync(f, 1_600_000_100, 1_600_000_100);
    const second = await syncFolders(src, dst);
    expect(second.errors).toEqual([]);
    expect(second.bytes.literal).toBeLessThan(64 << 10);
    const tail = (p: string) => {
      const b = Buffer.alloc(4096);
      const h = fs.openSync(p, "r");
      fs.readSync(h, b, 0, 4096, 4.5 * 2 ** 30);
      fs.closeSync(h);
      return sha256(b);
    };
    expect(tail(path.join(dst, "huge.bin"))).toBe(tail(f));
    console.log(`5 GiB sparse: first sync ${first.seconds.toFixed(1)} s, second ${second.seconds.toFixed(1)} s, literal ${second.bytes.literal} B`);
  },
  300_000,
);
