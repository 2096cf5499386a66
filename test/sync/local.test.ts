// Local sync: what users check — the destination equals the source (bytes, modes, mtimes,
// symlinks), only changed bytes move, renames cost nothing, --delete/--dry-run/--exclude/--checksum.
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { syncFolders } from "../../internal/sync/index.ts";
import { randomBytes, snapshot, strayTemps, tempDir, track, treeDiff, write } from "./helpers.ts";

const dirs: string[] = [];
function dirsFor(): { src: string; dst: string } {
  const root = tempDir();
  dirs.push(root);
  return { src: path.join(root, "src"), dst: path.join(root, "dst") };
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe("local sync", () => {
  test("first sync copies everything: nested, empty, unicode, symlinks, modes, mtimes", async () => {
    const { src, dst } = dirsFor();
    write(src, "Artist/Album/01 Intro.flac", randomBytes(300_000, 1), 1_600_000_000);
    write(src, "Artist/Album/cover.jpg", randomBytes(5000, 2), 1_600_000_001);
    write(src, "empty.txt", "", 1_600_000_002);
    write(src, "Björk/Homogénic/Jóga 日本語 🎵.mp3", randomBytes(70_000, 3), 1_600_000_003);
    fs.chmodSync(path.join(src, "Artist/Album/cover.jpg"), 0o640);
    fs.symlinkSync("Artist/Album/01 Intro.flac", path.join(src, "latest.flac"));
    fs.symlinkSync("/nonexistent/target", path.join(src, "dangling"));
    const s = await syncFolders(src, dst);
    expect(s.errors).toEqual([]);
    expect(s.files).toMatchObject({ total: 6, new: 6, changed: 0, unchanged: 0, symlinks: 2 });
    expect(treeDiff(src, dst)).toEqual([]);
    expect(fs.readlinkSync(path.join(dst, "dangling"))).toBe("/nonexistent/target");
    expect(strayTemps(dst)).toEqual([]);
    // Second run: nothing to do.
    const again = await syncFolders(src, dst);
    expect(again.files).toMatchObject({ unchanged: 6, new: 0, changed: 0 });
    expect(again.bytes.moved).toBe(0);
  });

  test("the seed's case: 100 bytes changed in 2 MiB moves under 1 % of the file", async () => {
    const { src, dst } = dirsFor();
    const data = randomBytes(2 << 20, 7);
    write(src, "a.bin", data);
    await syncFolders(src, dst);
    data.fill(0xff, 1 << 20, (1 << 20) + 100);
    write(src, "a.bin", data, 1_700_000_000);
    const s = await syncFolders(src, dst);
    expect(s.files.changed).toBe(1);
    expect(s.bytes.moved).toBeLessThan(0.01 * data.length);
    expect(treeDiff(src, dst)).toEqual([]);
  });

  test("a retag moves bytes in the order of the tag, not a chunk", async () => {
    const { src, dst } = dirsFor();
    write(src, "t.mp3", track(5, 4 << 20, "Old title"));
    await syncFolders(src, dst);
    write(src, "t.mp3", track(5, 4 << 20, "A much longer new title (Remastered 2024)"));
    const s = await syncFolders(src, dst);
    expect(s.bytes.moved).toBeLessThan(4096);
    expect(treeDiff(src, dst)).toEqual([]);
    // Without deltas the changed chunk moves whole.
    write(src, "t.mp3", track(5, 4 << 20, "Third title"));
    const whole = await syncFolders(src, dst, { delta: false });
    expect(whole.bytes.moved).toBeGreaterThan(8192);
    expect(treeDiff(src, dst)).toEqual([]);
  });

  test("renames and moves are rebuilt from the destination's own chunks", async () => {
    const { src, dst } = dirsFor();
    write(src, "old/name.flac", randomBytes(1 << 20, 11));
    write(src, "b.flac", randomBytes(600_000, 12));
    await syncFolders(src, dst);
    fs.mkdirSync(path.join(src, "new/place"), { recursive: true });
    fs.renameSync(path.join(src, "old/name.flac"), path.join(src, "new/place/renamed.flac"));
    fs.rmdirSync(path.join(src, "old"));
    // Swap content between two names too: both old versions are needed while both are replaced.
    fs.renameSync(path.join(src, "b.flac"), path.join(src, "c.flac"));
    const s = await syncFolders(src, dst, { delete: true });
    expect(s.errors).toEqual([]);
    expect(s.files).toMatchObject({ new: 2, deleted: 2 });
    expect(s.bytes.moved).toBe(0);
    expect(treeDiff(src, dst)).toEqual([]);
    expect(fs.existsSync(path.join(dst, "old"))).toBe(false);
  });

  test("--index-all reuses chunks of unchanged destination files too", async () => {
    const { src, dst } = dirsFor();
    const shared = randomBytes(1 << 20, 31);
    write(src, "album/a.flac", shared, 1_600_000_000);
    await syncFolders(src, dst);
    // A new file that embeds a.flac's bytes after a small header: a different size, so only
    // --index-all finds a.flac (which is unchanged) as a source of chunks.
    const copy = new Uint8Array(shared.length + 3000);
    copy.set(randomBytes(3000, 32));
    copy.set(shared, 3000);
    write(src, "other/b.flac", copy, 1_600_000_000);
    const dry = await syncFolders(src, dst, { dryRun: true });
    expect(dry.bytes.literal).toBeGreaterThan(1 << 19);
    const s = await syncFolders(src, dst, { indexAll: true });
    expect(s.bytes.literal).toBeLessThan(200_000);
    expect(treeDiff(src, dst)).toEqual([]);
  });

  test("two files swapping content both come out right", async () => {
    const { src, dst } = dirsFor();
    const a = randomBytes(500_000, 21);
    const b = randomBytes(500_000, 22);
    write(src, "a", a, 1_600_000_000);
    write(src, "b", b, 1_600_000_000);
    await syncFolders(src, dst);
    write(src, "a", b, 1_600_000_100);
    write(src, "b", a, 1_600_000_100);
    const s = await syncFolders(src, dst);
    expect(s.errors).toEqual([]);
    expect(s.bytes.moved).toBe(0);
    expect(treeDiff(src, dst)).toEqual([]);
  });

  test("--delete removes only what the source lacks; excluded files stay", async () => {
    const { src, dst } = dirsFor();
    write(src, "keep.flac", randomBytes(1000, 1));
    write(dst, "gone/old.flac", randomBytes(1000, 2));
    write(dst, "notes.tmp", "mine");
    const noDelete = await syncFolders(src, dst, { exclude: ["*.tmp"] });
    expect(noDelete.files.deleted).toBe(0);
    expect(fs.existsSync(path.join(dst, "gone/old.flac"))).toBe(true);
    const s = await syncFolders(src, dst, { delete: true, exclude: ["*.tmp"] });
    expect(s.files.deleted).toBe(1);
    expect(fs.existsSync(path.join(dst, "gone"))).toBe(false);
    expect(fs.readFileSync(path.join(dst, "notes.tmp"), "utf8")).toBe("mine");
  });

  test("--exclude leaves matching files out", async () => {
    const { src, dst } = dirsFor();
    write(src, "a.flac", "a");
    write(src, "x/b.log", "b");
    write(src, "cache/c.flac", "c");
    const s = await syncFolders(src, dst, { exclude: ["*.log", "cache"] });
    expect(s.files.total).toBe(1);
    expect([...snapshot(dst).keys()]).toEqual(["a.flac"]);
  });

  test("--dry-run reports the plan and bytes but touches nothing", async () => {
    const { src, dst } = dirsFor();
    write(src, "a.bin", randomBytes(1 << 20, 3));
    await syncFolders(src, dst);
    const data = randomBytes(1 << 20, 3);
    data.fill(1, 1000, 1100);
    write(src, "a.bin", data, 1_700_000_000);
    write(src, "new.bin", randomBytes(100_000, 4));
    write(dst, "extra.bin", "x");
    const before = snapshot(dst);
    const s = await syncFolders(src, dst, { dryRun: true, delete: true });
    expect(s.dryRun).toBe(true);
    expect(s.files).toMatchObject({ changed: 1, new: 1, deleted: 1 });
    expect(s.bytes.literal).toBeGreaterThanOrEqual(100_000);
    expect(s.bytes.literal).toBeLessThan(100_000 + 8192);
    expect(s.plan.map((p) => `${p.action} ${p.path}`).sort()).toEqual(["changed a.bin", "delete extra.bin", "new new.bin"]);
    expect(snapshot(dst)).toEqual(before);
  });

  test("--checksum finds same-size same-mtime changes; mtime-only changes move nothing", async () => {
    const { src, dst } = dirsFor();
    write(src, "a", "hello world", 1_600_000_000);
    await syncFolders(src, dst);
    write(dst, "a", "HELLO world", 1_600_000_000); // damaged copy, same size and mtime
    expect((await syncFolders(src, dst)).files.unchanged).toBe(1);
    const s = await syncFolders(src, dst, { checksum: true });
    expect(s.files.changed).toBe(1);
    expect(fs.readFileSync(path.join(dst, "a"), "utf8")).toBe("hello world");
    fs.utimesSync(path.join(src, "a"), 1_650_000_000, 1_650_000_000);
    fs.chmodSync(path.join(src, "a"), 0o600);
    const t = await syncFolders(src, dst);
    expect(t.bytes.moved).toBe(0);
    expect(treeDiff(src, dst)).toEqual([]);
  });

  test("single files: into a file path, and into a folder", async () => {
    const { src, dst } = dirsFor();
    write(src, "one.flac", randomBytes(200_000, 9), 1_600_000_000);
    fs.mkdirSync(dst, { recursive: true });
    await syncFolders(path.join(src, "one.flac"), path.join(dst, "copy.flac"));
    await syncFolders(path.join(src, "one.flac"), dst);
    const snap = snapshot(dst);
    expect(snap.get("copy.flac")?.hash).toBe(snapshot(src).get("one.flac")?.hash);
    expect(snap.get("one.flac")?.hash).toBe(snapshot(src).get("one.flac")?.hash);
    expect(snap.size).toBe(2);
  });

  test("a file replaced by a symlink and back", async () => {
    const { src, dst } = dirsFor();
    write(src, "a", "content");
    await syncFolders(src, dst);
    fs.rmSync(path.join(src, "a"));
    fs.symlinkSync("elsewhere", path.join(src, "a"));
    await syncFolders(src, dst);
    expect(fs.readlinkSync(path.join(dst, "a"))).toBe("elsewhere");
    fs.rmSync(path.join(src, "a"));
    write(src, "a", "content again");
    await syncFolders(src, dst);
    expect(treeDiff(src, dst)).toEqual([]);
  });

  test("refuses a destination inside the source, and the reverse", async () => {
    const { src } = dirsFor();
    write(src, "a.flac", "a");
    await expect(syncFolders(src, path.join(src, "backup"))).rejects.toThrow("inside the source");
    await expect(syncFolders(path.join(src), path.dirname(src))).rejects.toThrow("inside the destination");
    await expect(syncFolders(src, src)).rejects.toThrow("same folder");
    expect(fs.existsSync(path.join(src, "backup"))).toBe(false);
  });

  test("never writes through a symlinked folder in the destination", async () => {
    const { src, dst } = dirsFor();
    const outside = tempDir();
    dirs.push(outside);
    write(src, "dir/file", "x");
    fs.mkdirSync(dst, { recursive: true });
    fs.symlinkSync(outside, path.join(dst, "dir"));
    const s = await syncFolders(src, dst);
    expect(s.errors.length).toBe(1);
    expect(s.errors[0].error).toContain("not a folder");
    expect(fs.readdirSync(outside)).toEqual([]);
  });
});
