// Catalog: schema and migrations, scanning real generated files, rescans, moves, deletes,
// malformed files, hostile tags and paths.
import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CatalogError, SCHEMA_VERSION, allTracks, defaultCatalogPath, fingerprintFile, getTrackByPath, openCatalog, scanLibrary, trackCount } from "../../internal/catalog/index.ts";
import { generateLibrary, retag, storedTags, writeTrack, Prng } from "../../internal/samplelib/index.ts";
import { scanOrigin } from "../../internal/catalog/scan-origin.ts";
import { LocalOrigin } from "../../internal/origins/local.ts";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-catalog-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => path.join(root, `case-${++n}`);

describe("openCatalog", () => {
  test("creates the file in WAL mode with the current schema version", () => {
    const file = path.join(fresh(), "sub", "catalog.db");
    const db = openCatalog(file);
    expect(fs.existsSync(file)).toBe(true);
    expect((db.query("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode).toBe("wal");
    expect((db.query("PRAGMA foreign_keys").get() as { foreign_keys: number }).foreign_keys).toBe(1);
    expect((db.query("SELECT version FROM schema_version").get() as { version: number }).version).toBe(SCHEMA_VERSION);
    db.close();
    // Reopening does not migrate again.
    const again = openCatalog(file);
    expect(trackCount(again)).toBe(0);
    again.close();
  });

  test("refuses a catalog from a newer musicfs", () => {
    const file = path.join(fresh(), "c.db");
    openCatalog(file).close();
    const raw = new Database(file);
    raw.run("UPDATE schema_version SET version = 999");
    raw.close();
    expect(() => openCatalog(file)).toThrow(CatalogError);
  });

  test("default location follows XDG_DATA_HOME, else ~/.local/share", () => {
    expect(defaultCatalogPath({ XDG_DATA_HOME: "/data", HOME: "/home/u" })).toBe("/data/musicfs/catalog.db");
    expect(defaultCatalogPath({ HOME: "/home/u" })).toBe("/home/u/.local/share/musicfs/catalog.db");
    expect(defaultCatalogPath({ XDG_DATA_HOME: "relative", HOME: "/home/u" })).toBe("/home/u/.local/share/musicfs/catalog.db");
  });
});

describe("scanLibrary", () => {
  const lib = path.join(root, "lib");
  const files = generateLibrary(lib, { artists: 5, albumsPerArtist: 2, tracksPerAlbum: 3, seed: 11, trackBytes: 8000 });
  const db = openCatalog(":memory:");

  test("first scan adds every file and reads the tags", async () => {
    const progress: string[] = [];
    const s = await scanLibrary(db, [lib], { onProgress: (p) => progress.push(p.phase) });
    expect(s).toMatchObject({ scanned: files.length, added: files.length, updated: 0, unchanged: 0, removed: 0, moved: 0, failed: 1, errors: [] });
    expect(progress).toContain("parse");
    expect(progress.at(-1)).toBe("done");
    expect(trackCount(db)).toBe(files.length);
    for (const f of files) {
      const t = getTrackByPath(db, f.path)!;
      expect(t).not.toBeNull();
      expect(t.format).toBe(f.format);
      expect(t.size).toBe(f.size);
      expect(t.fingerprint).toMatch(/^[0-9a-f]{16}$/);
      if (f.malformed) {
        expect(t.parseError).toContain("ID3v2");
        expect(t.title).toBeNull();
        continue;
      }
      const want = storedTags(f.format, f.tags);
      expect(t.parseError).toBeNull();
      expect(t.title).toBe(want.title!.trim());
      expect(t.artist).toBe(want.artist!);
      expect(t.album).toBe(want.album!);
      expect(t.year).toBe(want.year!);
      expect(t.trackNo).toBe(want.trackNo!);
      expect(t.genre).toBe(want.genre!);
      expect(t.hasCover).toBe(Boolean(want.cover));
      expect(t.sampleRate).toBe(44100);
      expect(t.durationMs).toBeGreaterThan(0);
      if (f.format !== "wav") {
        expect(t.albumArtist).toBe(want.albumArtist ?? null);
        expect(t.mbAlbumId).toBe(want.mbAlbumId ?? null);
        expect(t.mbRecordingId).toBe(want.mbRecordingId ?? null);
        expect(t.composer).toBe(want.composer ?? null);
      }
    }
  });

  test("hostile tag values are stored as text, never as paths", () => {
    const t = allTracks(db);
    expect(t.find((x) => x.artist === "AC/DC")?.title).toBe("../../etc/passwd");
    expect(t.find((x) => x.album === "..")).toBeDefined();
    expect(t.find((x) => x.artist === "Control\x01Chars")?.title).toBe("Bell\x07 Tab\t Line\nBreak");
    expect(t.some((x) => (x.title ?? "").length > 300)).toBe(true);
    for (const x of t) expect(x.path.startsWith(lib + path.sep)).toBe(true);
  });

  test("a rescan of an unchanged library reads nothing", async () => {
    const s = await scanLibrary(db, [lib]);
    expect(s).toMatchObject({ scanned: files.length, added: 0, updated: 0, unchanged: files.length, removed: 0, moved: 0 });
  });

  test("a retagged file is updated in place (same id)", async () => {
    const f = files.find((x) => x.format === "flac" && !x.malformed)!;
    const before = getTrackByPath(db, f.path)!;
    await retag(f.path, { title: "Retagged Title" });
    const s = await scanLibrary(db, [lib]);
    expect(s).toMatchObject({ updated: 1, added: 0, removed: 0, moved: 0, unchanged: files.length - 1 });
    const after = getTrackByPath(db, f.path)!;
    expect(after.id).toBe(before.id);
    expect(after.title).toBe("Retagged Title");
    expect(after.fingerprint).not.toBe(before.fingerprint);
    expect(after.addedAt).toBe(before.addedAt);
  });

  test("a moved file keeps its id; a deleted one is removed", async () => {
    const mover = files.find((x) => x.format === "mp3" && !x.malformed && !x.hostile)!;
    const victim = files.find((x) => x.format === "wav" && !x.hostile)!;
    const before = getTrackByPath(db, mover.path)!;
    const target = path.join(lib, "Moved Here", "renamed.mp3");
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.renameSync(mover.path, target);
    fs.rmSync(victim.path);
    const s = await scanLibrary(db, [lib]);
    expect(s).toMatchObject({ moved: 1, removed: 1, added: 0, scanned: files.length - 1 });
    expect(getTrackByPath(db, mover.path)).toBeNull();
    const moved = getTrackByPath(db, target)!;
    expect(moved.id).toBe(before.id);
    expect(moved.title).toBe(before.title);
    expect(getTrackByPath(db, victim.path)).toBeNull();
    expect(trackCount(db)).toBe(files.length - 1);
  });

  test("a new file is added; a copy of an existing file is a new track, not a move", async () => {
    const src = files.find((x) => x.format === "flac" && !x.hostile && !x.tags.title?.startsWith("Retagged"))!;
    const copy = path.join(lib, "copy.flac");
    fs.copyFileSync(src.path, copy);
    const s = await scanLibrary(db, [lib]);
    expect(s).toMatchObject({ added: 1, moved: 0, removed: 0 });
    expect(getTrackByPath(db, copy)!.id).not.toBe(getTrackByPath(db, src.path)!.id);
  });

  test("a missing root is reported and its tracks are kept", async () => {
    const count = trackCount(db);
    const gone = path.join(root, "not-mounted");
    const s = await scanLibrary(db, [gone]);
    expect(s.errors.length).toBe(1);
    expect(s.errors[0].path).toBe(gone);
    expect(s.removed).toBe(0);
    expect(trackCount(db)).toBe(count);
  });

  test("keepAllIfEmpty: a root emptied (an unmounted share's mountpoint) keeps its tracks; a scan by hand removes them", async () => {
    const share = path.join(root, "share");
    fs.mkdirSync(share);
    for (let i = 0; i < 3; i++) writeTrack(path.join(share, `${i}.wav`), "wav", { title: `Shared ${i}`, artist: "Share" }, new Prng(20 + i).bytes(4000));
    expect((await scanLibrary(db, [share])).added).toBe(3);
    const count = trackCount(db);
    for (const f of fs.readdirSync(share)) fs.renameSync(path.join(share, f), path.join(root, `moved-away-${f}`));
    const kept = await scanLibrary(db, [share], { keepAllIfEmpty: true });
    expect(kept.removed).toBe(0);
    expect(kept.errors.map((e) => e.path)).toEqual([share]);
    expect(kept.errors[0].message).toContain("kept");
    expect(trackCount(db)).toBe(count);
    // One file left is not "empty": the others are removed as usual.
    fs.renameSync(path.join(root, "moved-away-0.wav"), path.join(share, "0.wav"));
    expect((await scanLibrary(db, [share], { keepAllIfEmpty: true })).removed).toBe(2);
    fs.rmSync(path.join(share, "0.wav"));
    expect((await scanLibrary(db, [share])).removed).toBe(1);
    expect(trackCount(db)).toBe(count - 3);
  });

  test("keepAllIfEmpty for a remote origin: one that lists no audio files keeps its tracks", async () => {
    const dir = path.join(root, "remote-box");
    fs.mkdirSync(dir);
    for (let i = 0; i < 2; i++) writeTrack(path.join(dir, `${i}.wav`), "wav", { title: `Remote ${i}`, artist: "Box" }, new Prng(40 + i).bytes(4000));
    const box = new LocalOrigin({ id: "box", root: dir, type: "local" });
    expect((await scanOrigin(db, box)).added).toBe(2);
    for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f));
    const kept = await scanOrigin(db, box, { keepAllIfEmpty: true });
    expect(kept.removed).toBe(0);
    expect(kept.errors[0].message).toContain("kept");
    expect((await scanOrigin(db, box)).removed).toBe(2);
  });

  test("scanning a second root leaves the first alone", async () => {
    const count = trackCount(db);
    const other = path.join(root, "other");
    fs.mkdirSync(other);
    writeTrack(path.join(other, "one.wav"), "wav", { title: "Solo", artist: "Other" }, new Prng(5).bytes(4000));
    fs.writeFileSync(path.join(other, "notes.txt"), "not audio");
    const s = await scanLibrary(db, [other]);
    expect(s).toMatchObject({ scanned: 1, added: 1, removed: 0 });
    expect(trackCount(db)).toBe(count + 1);
    // A sibling folder whose name starts with the root's name is not "under" the root.
    const s2 = await scanLibrary(db, [path.join(root, "oth")].filter(fs.existsSync));
    expect(s2.removed).toBe(0);
  });
});

describe("hostile file names", () => {
  test("unicode, spaces, quotes and leading dashes in paths", async () => {
    const dir = fresh();
    const names = ["-rf.mp3", "quote's \"here\".flac", "Ünïcödé 坂本.wav", " spaced .mp3", "new\nline.mp3"];
    fs.mkdirSync(dir, { recursive: true });
    names.forEach((name, i) => writeTrack(path.join(dir, name), name.endsWith(".flac") ? "flac" : name.endsWith(".wav") ? "wav" : "mp3", { title: `T${i}` }, new Prng(i).bytes(3000)));
    const db = openCatalog(":memory:");
    const s = await scanLibrary(db, [dir]);
    expect(s).toMatchObject({ scanned: names.length, added: names.length, failed: 0 });
    for (const [i, name] of names.entries()) expect(getTrackByPath(db, path.join(dir, name))!.title).toBe(`T${i}`);
  });

  test("symlinks are not followed (no loops)", async () => {
    const dir = fresh();
    fs.mkdirSync(dir, { recursive: true });
    writeTrack(path.join(dir, "a.mp3"), "mp3", { title: "A" }, new Prng(1).bytes(3000));
    fs.symlinkSync(dir, path.join(dir, "loop"));
    const db = openCatalog(":memory:");
    const s = await scanLibrary(db, [dir]);
    expect(s.scanned).toBe(1);
  });
});

describe("fingerprint", () => {
  test("depends on head, tail and size, not on the path", () => {
    const dir = fresh();
    fs.mkdirSync(dir);
    const data = new Prng(3).bytes(300_000);
    const a = path.join(dir, "a");
    const b = path.join(dir, "b");
    fs.writeFileSync(a, data);
    fs.writeFileSync(b, data);
    expect(fingerprintFile(a, data.length)).toBe(fingerprintFile(b, data.length));
    const tail = data.slice();
    tail[tail.length - 1] ^= 1;
    fs.writeFileSync(b, tail);
    expect(fingerprintFile(b, data.length)).not.toBe(fingerprintFile(a, data.length));
    const longer = new Uint8Array(data.length + 1);
    longer.set(data);
    fs.writeFileSync(b, longer);
    expect(fingerprintFile(b, longer.length)).not.toBe(fingerprintFile(a, data.length));
    // Small files (< 64 KiB) hash the whole content once.
    fs.writeFileSync(a, data.subarray(0, 100));
    expect(fingerprintFile(a, 100)).toMatch(/^[0-9a-f]{16}$/);
  });
});
