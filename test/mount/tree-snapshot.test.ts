// The persisted tree answers exactly what the in-memory tree would, and is rebuilt only when the
// catalog changed (its generation, bumped by every insert, update and delete of a track).
import { expect, test } from "bun:test";
import { openCatalog, upsertTracks } from "../../internal/catalog/index.ts";
import { Locations } from "../../internal/mountfs/locations.ts";
import { buildVfsTree, catalogSignature, ensureSnapshot, snapshotKey, TreeSnapshot } from "../../internal/mountfs/tree-snapshot.ts";
import { DEFAULT_TEMPLATE, type VfsTree } from "../../internal/vfs/index.ts";
import type { Track } from "../../internal/catalog/index.ts";
import { track } from "../search/fixture.ts";

function catalog() {
  const db = openCatalog(":memory:");
  const rows = [];
  for (let i = 0; i < 300; i++) {
    // Collisions on purpose: a few tracks render to the same path, and some have no tags at all.
    rows.push(track({ artist: i % 7 === 0 ? null : `Artist ${i % 11}`, album: i % 5 === 0 ? null : `Album ${i % 4}`, title: `Song ${i % 40}`, trackNo: i % 12, year: 1990 + (i % 9) }));
  }
  for (let i = 0; i < 3; i++) rows.push(track({ artist: "Twin", album: "Same", title: "Same Song", trackNo: 1, year: 2000 }));
  upsertTracks(db, rows);
  return db;
}

/** Every folder's listing and every node's path, the same way for both trees. */
function walk(get: { entries(ino: number): { name: string; ino: number }[]; pathOf(ino: number): string }, ino = 1, out: string[] = []): string[] {
  for (const e of get.entries(ino)) {
    out.push(`${get.pathOf(e.ino)} ${e.ino}`);
    walk(get, e.ino, out);
  }
  return out;
}

test("a snapshot lists, looks up and names everything as the in-memory tree does", () => {
  const db = catalog();
  const loc = new Locations([]);
  const key = snapshotKey(DEFAULT_TEMPLATE, "[]");
  const mem: VfsTree<Track> = buildVfsTree(db, loc, DEFAULT_TEMPLATE);
  expect(ensureSnapshot(db, key, () => buildVfsTree(db, loc, DEFAULT_TEMPLATE)).built).toBe(true);
  const snap = new TreeSnapshot(db, key);
  expect(snap.size).toBe(mem.size);
  // The (empty) trash folder is in both trees but not listed at the root (looked up, like /.search).
  const memView = {
    entries: (ino: number) => {
      const n = mem.node(ino);
      const names = n?.kind === "dir" ? n.names.filter((name) => ino !== 1 || name !== ".trash") : [];
      return n?.kind === "dir" ? names.map((name) => ({ name, ino: n.children.get(name)! })).sort((a, b) => (a.name < b.name ? -1 : 1)) : [];
    },
    pathOf: (ino: number) => mem.pathOf(ino),
  };
  const a = walk(snap);
  expect(a.length).toBe(mem.size - 2);
  expect(snap.lookup(1, ".trash")?.kind).toBe("dir");
  expect(a).toEqual(walk(memView));
  // Lookups, including names that exist only with a collision suffix.
  for (const line of a) {
    const ino = Number(line.slice(line.lastIndexOf(" ") + 1));
    const n = mem.node(ino)!;
    expect(snap.lookup(n.parent, n.name)?.ino).toBe(ino);
  }
  expect(a.some((l) => l.includes(" (2)"))).toBe(true);
  expect(snap.lookup(1, "No Such Artist")).toBeUndefined();
  db.close();
});

test("rebuilt only after the catalog changes; the generation moves on insert, update and delete", () => {
  const db = catalog();
  const key = snapshotKey(DEFAULT_TEMPLATE, "[]");
  const build = () => buildVfsTree(db, new Locations([]), DEFAULT_TEMPLATE);
  expect(ensureSnapshot(db, key, build).built).toBe(true);
  expect(ensureSnapshot(db, key, build).built).toBe(false);
  const g0 = catalogSignature(db);
  const [id] = upsertTracks(db, [track({ artist: "New Artist", title: "New" })]);
  const g1 = catalogSignature(db);
  expect(g1).not.toBe(g0);
  expect(ensureSnapshot(db, key, build).built).toBe(true);
  expect(new TreeSnapshot(db, key).lookup(1, "New Artist")?.kind).toBe("dir");
  db.query("UPDATE tracks SET title = 'Renamed' WHERE id = ?").run(id);
  const g2 = catalogSignature(db);
  expect(g2).not.toBe(g1);
  db.query("DELETE FROM tracks WHERE id = ?").run(id);
  expect(catalogSignature(db)).not.toBe(g2);
  expect(ensureSnapshot(db, key, build).built).toBe(true);
  expect(new TreeSnapshot(db, key).lookup(1, "New Artist")).toBeUndefined();
  db.close();
});
