// Namespace edits (mkdir, mv, rm to the trash, restore, empty) on the stored tree: each edit's
// result as a FUSE worker reads it, rename(2)'s error rules, hostile names, and after every edit
// the in-place rows equal what a full rebuild lays out, so a remount or rescan shows the same tree.
import { afterAll, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import * as fs from "node:fs";
import * as path from "node:path";
import { openCatalog, scanLibrary, upsertTracks } from "../../internal/catalog/index.ts";
import { Locations } from "../../internal/mountfs/locations.ts";
import { emptyTrash, Namespace, NamespaceError, trashList } from "../../internal/mountfs/namespace.ts";
import { buildVfsTree, catalogSignature, ensureSnapshot, snapshotKey, TreeSnapshot } from "../../internal/mountfs/tree-snapshot.ts";
import { generateLibrary, retag } from "../../internal/samplelib/index.ts";
import { DEFAULT_TEMPLATE, FILE_INO_BASE, ROOT_INO } from "../../internal/vfs/index.ts";
import { tempDir } from "../helpers.ts";
import { track } from "../search/fixture.ts";

const KEY = snapshotKey(DEFAULT_TEMPLATE, "[]");
const ALBUM = "Alpha/First (2001) [FLAC]";
const work = tempDir("musicfs-ns-");
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Two artists, three albums, ids 1..9 in album order. */
function catalog(file = ":memory:"): Database {
  const db = openCatalog(file);
  const rows = [];
  for (let i = 1; i <= 3; i++) rows.push(track({ artist: "Alpha", album: "First", year: 2001, title: `A${i}`, trackNo: i }));
  for (let i = 1; i <= 3; i++) rows.push(track({ artist: "Alpha", album: "Second", year: 2003, title: `B${i}`, trackNo: i }));
  for (let i = 1; i <= 3; i++) rows.push(track({ artist: "Beta", album: "Only", year: 1999, title: `C${i}`, trackNo: i }));
  upsertTracks(db, rows);
  return db;
}

/** The tree a FUSE worker would read now (built when stale). */
function view(db: Database): TreeSnapshot {
  ensureSnapshot(db, KEY, () => buildVfsTree(db, new Locations([]), DEFAULT_TEMPLATE));
  return new TreeSnapshot(db, KEY);
}

function at(snap: TreeSnapshot, p: string) {
  let node = snap.node(ROOT_INO);
  for (const part of p.split("/").filter(Boolean)) node = node?.kind === "dir" ? snap.lookup(node.ino, part) : undefined;
  return node;
}

function names(db: Database, p: string): string[] {
  const snap = view(db);
  const dir = at(snap, p);
  return dir?.kind === "dir" ? snap.entries(dir.ino).map((e) => e.name) : [];
}

/** The stored rows (no mtimes), and the same of a tree built from scratch. */
function storedRows(db: Database): string[] {
  return (db.query("SELECT ino, parent, name, track_id FROM mount_tree WHERE key = ?").all(KEY) as object[]).map((r) => JSON.stringify(r)).sort();
}
function rebuiltRows(db: Database): string[] {
  const tree = buildVfsTree(db, new Locations([]), DEFAULT_TEMPLATE);
  return [...tree.allNodes()].map((n) => JSON.stringify({ ino: n.ino, parent: n.parent, name: n.name, track_id: n.kind === "file" ? n.track.id : null })).sort();
}
function expectConsistent(db: Database): void {
  expect(storedRows(db)).toEqual(rebuiltRows(db));
  const meta = db.query("SELECT sig, nodes FROM mount_tree_meta WHERE key = ?").get(KEY) as { sig: string; nodes: number };
  expect(meta.sig).toBe(catalogSignature(db));
  expect(meta.nodes).toBe(storedRows(db).length);
}

function errnoOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof NamespaceError) return e.code;
    throw e;
  }
  return "ok";
}

describe("mkdir", () => {
  test("makes empty folders that list, nest, and keep their inode across a rebuild", () => {
    const db = catalog();
    const ns = Namespace.forTree(db);
    const made = ns.mkdir("/", "Playlists");
    expect(made.ino).toBeLessThan(FILE_INO_BASE);
    const sub = ns.mkdir("/Playlists", "Road trip");
    expect(names(db, "/")).toEqual(["Alpha", "Beta", "Playlists"]);
    expect(names(db, "/Playlists")).toEqual(["Road trip"]);
    expect(at(view(db), "/Playlists/Road trip")?.ino).toBe(sub.ino);
    expectConsistent(db);
    // A full rebuild (what a rescan or another template's mount does) keeps the inodes.
    db.run("DELETE FROM mount_tree_meta");
    expect(at(view(db), "/Playlists")?.ino).toBe(made.ino);
    expect(at(view(db), "/Playlists/Road trip")?.ino).toBe(sub.ino);
    db.close();
  });

  test("refuses existing names, missing parents, files as parents and the trash", () => {
    const db = catalog();
    const ns = Namespace.forTree(db);
    expect(errnoOf(() => ns.mkdir("/", "Alpha"))).toBe("EEXIST");
    expect(errnoOf(() => ns.mkdir(`/${ALBUM}`, "01 - A1.flac"))).toBe("EEXIST");
    expect(errnoOf(() => ns.mkdir("/Nope", "x"))).toBe("ENOENT");
    expect(errnoOf(() => ns.mkdir(`/${ALBUM}/01 - A1.flac`, "x"))).toBe("ENOTDIR");
    expect(errnoOf(() => ns.mkdir("/.trash", "x"))).toBe("EPERM");
    for (const n of [".trash", ".search", ".collections"]) expect(errnoOf(() => ns.mkdir("/", n))).toBe("EEXIST");
    expectConsistent(db);
    db.close();
  });

  test("hostile names are refused, never stored", () => {
    const db = catalog();
    const ns = Namespace.forTree(db);
    for (const bad of ["", ".", "..", "a/b", "nul\0byte"]) expect(errnoOf(() => ns.mkdir("/", bad))).toBe("EINVAL");
    expect(errnoOf(() => ns.mkdir("/", "x".repeat(256)))).toBe("ENAMETOOLONG");
    expect(errnoOf(() => ns.mkdir("/", "ä".repeat(128)))).toBe("ENAMETOOLONG"); // 256 bytes in UTF-8
    expect(errnoOf(() => ns.mkdir("/../etc", "x"))).toBe("EINVAL");
    expect(errnoOf(() => ns.mkdir("/Alpha/./x", "y"))).toBe("EINVAL");
    expect(errnoOf(() => ns.rename("/Alpha", "/Alpha/../Gamma"))).toBe("EINVAL");
    expect(errnoOf(() => ns.unlink("/Alpha/\0"))).toBe("EINVAL");
    // Names the template would sanitise are fine for a user: they come from the kernel as they are.
    ns.mkdir("/", 'what? "yes" <no> | a:b * \\');
    expect(ns.mkdir("/", "x".repeat(255)).ino).toBeGreaterThan(1);
    expect(names(db, "/")).toContain('what? "yes" <no> | a:b * \\');
    expect(db.query("SELECT count(*) AS n FROM namespace_dirs").get()).toEqual({ n: 2 });
    expectConsistent(db);
    db.close();
  });
});

describe("rename", () => {
  test("a file moves with its inode; the folder it leaves empty stays", () => {
    const db = catalog();
    const ns = Namespace.forTree(db);
    ns.mkdir("/", "Best");
    ns.rename(`/${ALBUM}/01 - A1.flac`, "/Best/one.flac");
    const snap = view(db);
    expect(at(snap, "/Best/one.flac")?.ino).toBe(FILE_INO_BASE + 1);
    expect(at(snap, `/${ALBUM}/01 - A1.flac`)).toBeUndefined();
    expect(snap.pathOf(FILE_INO_BASE + 1)).toBe("/Best/one.flac");
    ns.rename(`/${ALBUM}/02 - A2.flac`, "/Best/two.flac");
    ns.rename(`/${ALBUM}/03 - A3.flac`, "/three.flac");
    expect(names(db, `/${ALBUM}`)).toEqual([]);
    expect(at(view(db), `/${ALBUM}`)?.kind).toBe("dir");
    expectConsistent(db);
    // ... and can then be removed, as `rm -r` does after the files.
    ns.rmdir(`/${ALBUM}`);
    expect(names(db, "/Alpha")).toEqual(["Second (2003) [FLAC]"]);
    expectConsistent(db);
    db.close();
  });

  test("rename(2) rules: existing targets, files and folders, moving into itself", () => {
    const db = catalog();
    const ns = Namespace.forTree(db);
    const f1 = `/${ALBUM}/01 - A1.flac`;
    ns.mkdir("/", "Empty");
    expect(errnoOf(() => ns.rename(f1, `/${ALBUM}/02 - A2.flac`))).toBe("EEXIST");
    expect(errnoOf(() => ns.rename(f1, "/Empty"))).toBe("EISDIR");
    expect(errnoOf(() => ns.rename("/Beta", f1))).toBe("ENOTDIR");
    expect(errnoOf(() => ns.rename("/Alpha", f1))).toBe("EINVAL"); // a target inside the source: EINVAL first, as in Linux
    expect(errnoOf(() => ns.rename("/Alpha", "/Beta"))).toBe("ENOTEMPTY");
    expect(errnoOf(() => ns.rename("/Alpha", "/Alpha/First (2001) [FLAC]/x"))).toBe("EINVAL");
    expect(errnoOf(() => ns.rename("/Alpha", "/Alpha/x"))).toBe("EINVAL");
    expect(errnoOf(() => ns.rename("/Nope", "/x"))).toBe("ENOENT");
    expect(errnoOf(() => ns.rename(f1, "/Nope/x.flac"))).toBe("ENOENT");
    expect(errnoOf(() => ns.rename(f1, `${f1}/x`))).toBe("ENOTDIR");
    expect(errnoOf(() => ns.rename("/", "/x"))).toBe("EBUSY");
    expect(errnoOf(() => ns.rename("/Alpha", "/.trash/Alpha"))).toBe("EPERM");
    expect(errnoOf(() => ns.rename("/.trash", "/Bin"))).toBe("EPERM");
    expect(errnoOf(() => ns.rename("/Alpha", "/.search"))).toBe("EEXIST");
    expect(errnoOf(() => ns.rename("/Beta", "/Empty", { noReplace: true }))).toBe("EEXIST");
    expect(ns.rename("/Alpha", "/Alpha")).toEqual({ entries: [], inodes: [] });
    expectConsistent(db);
    // A folder replaces an empty folder.
    const beta = at(view(db), "/Beta")!.ino;
    ns.rename("/Beta", "/Empty");
    expect(at(view(db), "/Empty")?.ino).toBe(beta);
    expect(names(db, "/")).toEqual(["Alpha", "Empty"]);
    expectConsistent(db);
    db.close();
  });

  test("a folder moves with everything in it, every inode kept, and stays moved after a rebuild", () => {
    const db = catalog();
    const ns = Namespace.forTree(db);
    const before = view(db);
    const inos = ["/Alpha", `/${ALBUM}`, "/Alpha/Second (2003) [FLAC]"].map((p) => at(before, p)!.ino);
    ns.mkdir("/", "Archive");
    ns.mkdir("/Alpha", "Extras");
    ns.rename("/Alpha", "/Archive/A");
    const snap = view(db);
    expect(at(snap, "/Alpha")).toBeUndefined();
    expect(["/Archive/A", "/Archive/A/First (2001) [FLAC]", "/Archive/A/Second (2003) [FLAC]"].map((p) => at(snap, p)?.ino)).toEqual(inos);
    expect(at(snap, "/Archive/A/First (2001) [FLAC]/01 - A1.flac")?.ino).toBe(FILE_INO_BASE + 1);
    expect(names(db, "/Archive/A")).toEqual(["Extras", "First (2001) [FLAC]", "Second (2003) [FLAC]"]);
    expectConsistent(db);
    // Moved again, and a file inside renamed: the stored paths follow.
    ns.rename("/Archive/A", "/A2");
    ns.rename("/A2/Second (2003) [FLAC]/01 - B1.flac", "/A2/Second (2003) [FLAC]/intro.flac");
    expect(view(db).pathOf(FILE_INO_BASE + 4)).toBe("/A2/Second (2003) [FLAC]/intro.flac");
    expectConsistent(db);
    db.run("DELETE FROM mount_tree_meta");
    expect(at(view(db), "/A2/First (2001) [FLAC]")?.ino).toBe(inos[1]);
    expect(view(db).pathOf(FILE_INO_BASE + 4)).toBe("/A2/Second (2003) [FLAC]/intro.flac");
    db.close();
  });

  test("every edit moves the signature on, so other workers and other trees refresh", () => {
    const db = catalog();
    const ns = Namespace.forTree(db);
    view(db);
    const other = snapshotKey("$artist/$title.$format", "[]");
    ensureSnapshot(db, other, () => buildVfsTree(db, new Locations([]), "$artist/$title.$format"));
    const s0 = catalogSignature(db);
    ns.mkdir("/", "X");
    const s1 = catalogSignature(db);
    expect(s1).not.toBe(s0);
    // This mount's tree was changed in place; the other template's tree rebuilds, with the folder.
    expect(ensureSnapshot(db, KEY, () => buildVfsTree(db, new Locations([]), DEFAULT_TEMPLATE)).built).toBe(false);
    expect(ensureSnapshot(db, other, () => buildVfsTree(db, new Locations([]), "$artist/$title.$format")).built).toBe(true);
    expect(new TreeSnapshot(db, other).lookup(ROOT_INO, "X")?.kind).toBe("dir");
    expect(errnoOf(() => ns.mkdir("/", "X"))).toBe("EEXIST");
    expect(catalogSignature(db)).toBe(s1); // a refused edit changes nothing
    db.close();
  });
});

describe("inode references (what FUSE requests carry)", () => {
  test("each edit takes a folder inode and a name, resolved at edit time", () => {
    const db = catalog();
    const ns = Namespace.forTree(db);
    const stale = view(db); // a worker's view from before the edits below
    const alpha = at(stale, "/Alpha")!.ino;
    const album = at(stale, `/${ALBUM}`)!.ino;
    // Another worker moves /Alpha away and makes a new /Alpha meanwhile.
    ns.rename("/Alpha", "/Old");
    ns.mkdir("/", "Alpha");
    // An edit by inode lands in the folder the kernel means, not in whatever has its old path now.
    const made = ns.mkdir(alpha, "Sub");
    expect(view(db).pathOf(made.ino)).toBe("/Old/Sub");
    ns.rename({ parent: album, name: "01 - A1.flac" }, { parent: ROOT_INO, name: "a1.flac" });
    expect(view(db).pathOf(FILE_INO_BASE + 1)).toBe("/a1.flac");
    ns.unlink({ parent: album, name: "02 - A2.flac" });
    expect(trashList(db).map((e) => e.path)).toEqual(["/Old/First (2001) [FLAC]/02 - A2.flac"]);
    ns.rmdir({ parent: alpha, name: "Sub" });
    expect(names(db, "/Old")).toEqual(["First (2001) [FLAC]", "Second (2003) [FLAC]"]);
    expect(errnoOf(() => ns.mkdir(123456, "x"))).toBe("ENOENT");
    expect(errnoOf(() => ns.unlink({ parent: alpha, name: ".." }))).toBe("EINVAL");
    expect(errnoOf(() => ns.mkdir(alpha, "a/b"))).toBe("EINVAL");
    expectConsistent(db);
    db.close();
  });
});

describe("trash", () => {
  test("rm moves a file to /.trash/<path>: hidden from the tree and from search links, listed, looked up", () => {
    const db = catalog();
    const ns = Namespace.forTree(db);
    const inv = ns.unlink(`/${ALBUM}/02 - A2.flac`);
    const snap = view(db);
    expect(at(snap, `/${ALBUM}/02 - A2.flac`)).toBeUndefined();
    expect(at(snap, `/.trash/${ALBUM}/02 - A2.flac`)?.ino).toBe(FILE_INO_BASE + 2);
    expect(snap.entries(ROOT_INO).map((e) => e.name)).toEqual(["Alpha", "Beta"]); // not listed, like /.search
    expect(snap.fileOfTrack(2)).toBeUndefined(); // search folders do not link into the trash
    expect(snap.fileOfTrack(1)?.ino).toBe(FILE_INO_BASE + 1);
    // The kernel is told about the new trash entries (its own request covers the old name).
    const trashIno = at(snap, "/.trash")!.ino;
    expect(inv.inodes).toEqual([trashIno]);
    expect(inv.entries).toContainEqual({ parent: trashIno, name: "Alpha" });
    expect(inv.entries).toContainEqual({ parent: at(snap, `/.trash/${ALBUM}`)!.ino, name: "02 - A2.flac" });
    expect(trashList(db).map((e) => [e.id, e.path, e.title])).toEqual([[2, `/${ALBUM}/02 - A2.flac`, "A2"]]);
    expectConsistent(db);
    expect(errnoOf(() => ns.unlink("/Alpha"))).toBe("EISDIR");
    expect(errnoOf(() => ns.unlink(`/${ALBUM}/02 - A2.flac`))).toBe("ENOENT");
    expect(errnoOf(() => ns.unlink(`/.trash/${ALBUM}/02 - A2.flac`))).toBe("EPERM");
    expect(errnoOf(() => ns.rmdir(`/.trash/${ALBUM}`))).toBe("EPERM");
    expect(errnoOf(() => ns.rmdir("/Alpha"))).toBe("ENOTEMPTY");
    expect(errnoOf(() => ns.rmdir(`/${ALBUM}/01 - A1.flac`))).toBe("ENOTDIR");
    expect(errnoOf(() => ns.rmdir("/"))).toBe("EBUSY");
    db.close();
  });

  test("rm -r of a folder (files, then folders) empties it into the trash; restore by folder puts it back", () => {
    const db = catalog();
    const ns = Namespace.forTree(db);
    const albumIno = at(view(db), `/${ALBUM}`)!.ino;
    for (const f of names(db, `/${ALBUM}`)) ns.unlink(`/${ALBUM}/${f}`);
    ns.rmdir(`/${ALBUM}`);
    expect(names(db, "/Alpha")).toEqual(["Second (2003) [FLAC]"]);
    expect(names(db, `/.trash/${ALBUM}`)).toEqual(["01 - A1.flac", "02 - A2.flac", "03 - A3.flac"]);
    expectConsistent(db);
    const back = ns.restore(`/.trash/${ALBUM}`);
    expect(back.map((r) => r.to)).toEqual([1, 2, 3].map((i) => `/${ALBUM}/0${i} - A${i}.flac`));
    expect(at(view(db), `/${ALBUM}`)?.ino).toBe(albumIno); // made again at its old path: the same inode
    expect(names(db, `/${ALBUM}`)).toEqual(["01 - A1.flac", "02 - A2.flac", "03 - A3.flac"]);
    expect(at(view(db), "/.trash/Alpha")).toBeUndefined(); // emptied trash folders go
    expect(trashList(db)).toEqual([]);
    expectConsistent(db);
    db.close();
  });

  test("restore by id and path; a taken path gets a (2) suffix; a file moved out of the trash is restored there", () => {
    const db = catalog();
    const ns = Namespace.forTree(db);
    ns.unlink(`/${ALBUM}/01 - A1.flac`);
    ns.rename(`/${ALBUM}/02 - A2.flac`, `/${ALBUM}/01 - A1.flac`); // the old path is taken now
    ns.unlink("/Beta/Only (1999) [FLAC]/01 - C1.flac");
    ns.unlink("/Beta/Only (1999) [FLAC]/02 - C2.flac");
    expect(ns.restore(1)).toEqual([{ id: 1, from: `/${ALBUM}/01 - A1.flac`, to: `/${ALBUM}/01 - A1 (2).flac` }]);
    expect(view(db).pathOf(FILE_INO_BASE + 1)).toBe(`/${ALBUM}/01 - A1 (2).flac`);
    expect(ns.restore("/Beta/Only (1999) [FLAC]/01 - C1.flac").map((r) => r.id)).toEqual([7]);
    expectConsistent(db);
    const inv = ns.rename("/.trash/Beta/Only (1999) [FLAC]/02 - C2.flac", "/Beta/c2.flac");
    expect(view(db).pathOf(FILE_INO_BASE + 8)).toBe("/Beta/c2.flac");
    expect(inv.entries.map((e) => e.name)).toEqual(["Only (1999) [FLAC]", "Beta"]);
    expect(trashList(db)).toEqual([]);
    expectConsistent(db);
    expect(errnoOf(() => ns.restore(1))).toBe("ENOENT");
    expect(errnoOf(() => ns.restore("/Nothing/here.flac"))).toBe("ENOENT");
    ns.unlink("/Beta/c2.flac");
    expect(errnoOf(() => ns.rename("/.trash/Beta/c2.flac", "/Beta/Only (1999) [FLAC]/03 - C3.flac"))).toBe("EEXIST");
    expect(errnoOf(() => ns.rename("/.trash/Beta", "/Beta2"))).toBe("EPERM");
    db.close();
  });

  test("two trashed files from one path both show, the second with a suffix", () => {
    const db = catalog();
    const ns = Namespace.forTree(db);
    const p = `/${ALBUM}/01 - A1.flac`;
    ns.unlink(p);
    ns.rename(`/${ALBUM}/02 - A2.flac`, p);
    ns.unlink(p);
    expect(names(db, `/.trash/${ALBUM}`)).toEqual(["01 - A1 (2).flac", "01 - A1.flac"]);
    expectConsistent(db);
    expect(ns.restore(p).map((r) => r.to)).toEqual([p, `/${ALBUM}/01 - A1 (2).flac`]);
    expectConsistent(db);
    db.close();
  });

  test("emptying the trash hides its tracks for good; the catalog keeps them", () => {
    const db = catalog();
    const ns = Namespace.forTree(db);
    ns.unlink(`/${ALBUM}/01 - A1.flac`);
    ns.unlink("/Beta/Only (1999) [FLAC]/03 - C3.flac");
    view(db);
    expect(emptyTrash(db)).toBe(2);
    expect(emptyTrash(db)).toBe(0);
    expect(trashList(db)).toEqual([]);
    const snap = view(db);
    expect(snap.node(FILE_INO_BASE + 1)).toBeUndefined();
    expect(snap.node(FILE_INO_BASE + 9)).toBeUndefined();
    expect(at(snap, "/.trash")?.kind).toBe("dir");
    expect(snap.entries(at(snap, "/.trash")!.ino)).toEqual([]);
    expect((db.query("SELECT count(*) AS n FROM tracks").get() as { n: number }).n).toBe(9);
    expectConsistent(db);
    expect(errnoOf(() => ns.restore(1))).toBe("ENOENT");
    db.close();
  });
});

test("a track a rescan adds at a moved file's path gets the suffix; the moved file keeps its name", () => {
  const db = catalog();
  const ns = Namespace.forTree(db);
  ns.rename(`/${ALBUM}/01 - A1.flac`, `/${ALBUM}/04 - A4.flac`);
  const [id] = upsertTracks(db, [track({ artist: "Alpha", album: "First", year: 2001, title: "A4", trackNo: 4 })]);
  const snap = view(db);
  expect(snap.pathOf(FILE_INO_BASE + 1)).toBe(`/${ALBUM}/04 - A4.flac`);
  expect(snap.pathOf(FILE_INO_BASE + id)).toBe(`/${ALBUM}/04 - A4 (2).flac`);
  // A user folder where the template wants one is shared; where a file is, the template's gets " (2)".
  ns.mkdir("/", "Gamma");
  ns.rename(`/${ALBUM}/02 - A2.flac`, "/Delta");
  upsertTracks(db, [track({ artist: "Gamma", album: "G", year: 2010, title: "G1", trackNo: 1 }), track({ artist: "Delta", album: "D", year: 2010, title: "D1", trackNo: 1 })]);
  expect(names(db, "/Gamma")).toEqual(["G (2010) [FLAC]"]);
  expect(names(db, "/")).toEqual(["Alpha", "Beta", "Delta", "Delta (2)", "Gamma"]);
  expect(at(view(db), "/Delta")?.ino).toBe(FILE_INO_BASE + 2);
  expect(names(db, "/Delta (2)")).toEqual(["D (2010) [FLAC]"]);
  expectConsistent(db);
  db.close();
});

test("a track deleted from the catalog takes its edits along (an id reused later starts clean)", () => {
  const db = catalog();
  const ns = Namespace.forTree(db);
  ns.rename(`/${ALBUM}/01 - A1.flac`, "/one.flac");
  ns.unlink(`/${ALBUM}/02 - A2.flac`);
  db.run("DELETE FROM tracks WHERE id IN (1, 2)");
  expect(db.query("SELECT (SELECT count(*) FROM namespace_files) + (SELECT count(*) FROM namespace_trash) AS n").get()).toEqual({ n: 0 });
  expect(trashList(db)).toEqual([]);
  db.close();
});

describe("persistence", () => {
  test("edits survive closing and reopening the catalog (a remount), also with the tree rebuilt", () => {
    const file = path.join(work, "remount.db");
    let db = catalog(file);
    let ns = Namespace.forTree(db);
    ns.mkdir("/", "Mine");
    ns.rename(`/${ALBUM}/01 - A1.flac`, "/Mine/a1.flac");
    ns.rename("/Beta", "/Mine/Beta");
    ns.unlink(`/${ALBUM}/02 - A2.flac`);
    const before = storedRows(db);
    db.close();
    db = openCatalog(file);
    expect(storedRows(db)).toEqual(before);
    db.run("DELETE FROM mount_tree");
    db.run("DELETE FROM mount_tree_meta");
    view(db);
    expect(storedRows(db)).toEqual(before);
    ns = Namespace.forTree(db);
    expect(ns.restore(2)[0].to).toBe(`/${ALBUM}/02 - A2.flac`);
    db.close();
  });

  test("a rescan keeps moves, folders and the trash; a retagged moved file stays put; a vanished file takes its edits along", async () => {
    const lib = path.join(work, "lib");
    const files = generateLibrary(lib, { artists: 2, albumsPerArtist: 1, tracksPerAlbum: 3, seed: 8, trackBytes: 2000, hostile: false, malformed: false, formats: ["flac"] });
    const db = openCatalog(path.join(work, "rescan.db"));
    await scanLibrary(db, [lib], { workers: 0 });
    const ns = Namespace.forTree(db);
    const all = (db.query("SELECT id, path FROM tracks ORDER BY id").all() as { id: number; path: string }[]);
    const snap = view(db);
    const p = (id: number) => snap.pathOf(FILE_INO_BASE + id);
    const [moved, trashed, purged, vanished] = [all[0], all[1], all[2], all[3]];
    ns.mkdir("/", "Keep");
    ns.rename(p(moved.id), "/Keep/moved.flac");
    const vanishedPath = p(vanished.id);
    ns.rename(vanishedPath, "/Keep/vanished.flac");
    ns.unlink(p(purged.id));
    emptyTrash(db);
    const trashedFrom = p(trashed.id);
    ns.unlink(trashedFrom);
    // Retag the moved file, delete the vanished one's file, rescan.
    await retag(moved.path, { album: "Elsewhere" });
    fs.rmSync(vanished.path);
    const s = await scanLibrary(db, [lib], { workers: 0 });
    expect(s.updated).toBe(1);
    expect(s.removed).toBe(1);
    const after = view(db);
    expect(after.pathOf(FILE_INO_BASE + moved.id)).toBe("/Keep/moved.flac");
    expect(after.pathOf(FILE_INO_BASE + trashed.id)).toBe(`/.trash${trashedFrom}`);
    expect(after.node(FILE_INO_BASE + purged.id)).toBeUndefined();
    expect(after.node(FILE_INO_BASE + vanished.id)).toBeUndefined();
    expect(db.query("SELECT count(*) AS n FROM namespace_files WHERE track_id = ?").get(vanished.id)).toEqual({ n: 0 });
    expect(trashList(db).map((e) => e.path)).toEqual([trashedFrom]);
    expect(names(db, "/Keep")).toEqual(["moved.flac"]);
    expect(files.length).toBe(6);
    db.close();
  });
});

test.each([7, 21, 1234])("a random sequence of edits always leaves the stored rows equal to a rebuild (seed %d)", (start) => {
  const db = catalog();
  const ns = Namespace.forTree(db);
  let seed = start;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const paths = () => {
    const out: string[] = [];
    const walk = (snap: TreeSnapshot, ino: number, p: string) => {
      for (const e of snap.entries(ino)) {
        out.push(`${p}/${e.name}`);
        if (e.kind === "dir") walk(snap, e.ino, `${p}/${e.name}`);
      }
    };
    walk(view(db), ROOT_INO, "");
    return out;
  };
  const counts: Record<string, number> = {};
  for (let i = 0; i < 150; i++) {
    const ps = paths();
    const pick = () => ps[rnd(ps.length)] ?? "/";
    const dirs = ps.filter((x) => at(view(db), x)?.kind === "dir");
    const dir = () => (dirs.length && rnd(4) ? dirs[rnd(dirs.length)] : "/");
    const op = rnd(6);
    const code = errnoOf(() => {
      if (op === 0) ns.mkdir(dir(), `d${i}`);
      else if (op === 1) ns.rename(pick(), `${dir() === "/" ? "" : dir()}/n${i}`);
      else if (op === 2) ns.unlink(pick());
      else if (op === 3) ns.rmdir(pick());
      else if (op === 4 && trashList(db).length) ns.restore(trashList(db)[rnd(trashList(db).length)].id);
      else ns.rename(pick(), pick());
    });
    counts[code] = (counts[code] ?? 0) + 1;
    expectConsistent(db);
  }
  expect(counts.ok).toBeGreaterThan(40);
  db.close();
});
