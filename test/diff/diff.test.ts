import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULT_PARAMS } from "../../internal/cdc/fastcdc.ts";
import { diffPaths } from "../../internal/diff/index.ts";
import { lcgBytes, tempDir } from "../helpers.ts";

const SEED_PARAMS = { min: 4096, avg: 16384, max: 65536 }; // the predecessor's test parameters
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function dir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

describe("diff", () => {
  test("the seed's case: 100 bytes changed in the middle of 2 MiB keeps >= 99 % of the bytes", async () => {
    const d = dir();
    const a = lcgBytes(2 << 20);
    const b = a.slice();
    for (let i = 0; i < 100; i++) b[(1 << 20) + i] ^= 0x5a;
    fs.writeFileSync(path.join(d, "old.bin"), a);
    fs.writeFileSync(path.join(d, "new.bin"), b);
    const r = await diffPaths(path.join(d, "old.bin"), path.join(d, "new.bin"), SEED_PARAMS);
    expect(r.files).toHaveLength(1);
    expect(r.files[0].status).toBe("modified");
    expect(r.total.reusePercent).toBeGreaterThanOrEqual(99);
    expect(r.total.literalBytes).toBeLessThan(3 * SEED_PARAMS.max);
    expect(r.total.reusedChunks).toBe(r.total.chunks - 1);
  });

  test("identical files are unchanged with 100 % reuse", async () => {
    const d = dir();
    const a = lcgBytes(300_000, 5n);
    fs.writeFileSync(path.join(d, "a"), a);
    fs.writeFileSync(path.join(d, "b"), a);
    const r = await diffPaths(path.join(d, "a"), path.join(d, "b"), DEFAULT_PARAMS);
    expect(r.files[0].status).toBe("unchanged");
    expect(r.total.reusePercent).toBe(100);
  });

  test("folders: added, removed, modified, unchanged and renamed (by content) files", async () => {
    const oldDir = dir();
    const newDir = dir();
    const keep = lcgBytes(200_000, 1n);
    const moved = lcgBytes(500_000, 2n);
    const gone = lcgBytes(100_000, 3n);
    const edited = lcgBytes(2_000_000, 4n);
    fs.mkdirSync(path.join(oldDir, "A"), { recursive: true });
    fs.mkdirSync(path.join(newDir, "B", "C"), { recursive: true });
    fs.writeFileSync(path.join(oldDir, "keep.flac"), keep);
    fs.writeFileSync(path.join(newDir, "keep.flac"), keep);
    fs.writeFileSync(path.join(oldDir, "A", "moved.mp3"), moved);
    fs.writeFileSync(path.join(newDir, "B", "C", "Björk – moved.mp3"), moved);
    fs.writeFileSync(path.join(oldDir, "gone.wav"), gone);
    fs.writeFileSync(path.join(oldDir, "edited.flac"), edited);
    const e2 = new Uint8Array([...edited.subarray(0, 1000), ...new TextEncoder().encode("A LONGER TAG"), ...edited.subarray(1000)]);
    fs.writeFileSync(path.join(newDir, "edited.flac"), e2);
    fs.writeFileSync(path.join(newDir, "new.ogg"), lcgBytes(50_000, 9n));
    const r = await diffPaths(oldDir, newDir, DEFAULT_PARAMS);
    const byPath = Object.fromEntries(r.files.map((f) => [f.path, f]));
    expect(byPath["keep.flac"].status).toBe("unchanged");
    expect(byPath["B/C/Björk – moved.mp3"].status).toBe("renamed");
    expect(byPath["B/C/Björk – moved.mp3"].from).toBe("A/moved.mp3");
    expect(byPath["B/C/Björk – moved.mp3"].reusePercent).toBe(100);
    expect(byPath["gone.wav"].status).toBe("removed");
    expect(byPath["edited.flac"].status).toBe("modified");
    // Only the chunk holding the insertion changes; the rest resynchronises.
    expect(byPath["edited.flac"].reusePercent).toBeGreaterThan(80);
    expect(byPath["edited.flac"].literalBytes).toBeLessThanOrEqual(DEFAULT_PARAMS.max + 12);
    expect(byPath["new.ogg"].status).toBe("added");
    expect(byPath["new.ogg"].reusedBytes).toBe(0);
    expect(r.total).toMatchObject({ unchanged: 1, modified: 1, added: 1, removed: 1, renamed: 1, files: 4 });
    expect(r.files.some((f) => f.path === "A/moved.mp3")).toBe(false);
  });

  test("a file against a folder is refused with a clear error", async () => {
    const d = dir();
    fs.writeFileSync(path.join(d, "f"), "x");
    fs.mkdirSync(path.join(d, "sub"));
    await expect(diffPaths(path.join(d, "f"), path.join(d, "sub"), DEFAULT_PARAMS)).rejects.toThrow(/file against a folder/);
  });

  test("empty files and empty folders", async () => {
    const a = dir();
    const b = dir();
    fs.writeFileSync(path.join(a, "empty"), "");
    fs.writeFileSync(path.join(b, "empty"), "");
    const r = await diffPaths(a, b, DEFAULT_PARAMS);
    expect(r.files[0]).toMatchObject({ status: "unchanged", newBytes: 0, reusePercent: 100 });
    const r2 = await diffPaths(dir(), dir(), DEFAULT_PARAMS);
    expect(r2.total.files).toBe(0);
    expect(r2.total.reusePercent).toBe(100);
  });
});
